"""`troubleshooter graph`: the decision graph as text, Mermaid or Graphviz dot."""

from __future__ import annotations

import click


@click.command()
@click.option("--format", "fmt", type=click.Choice(("mermaid", "dot", "text")), default="text", show_default=True)
@click.option("--tree", type=click.Path(dir_okay=False), help="A decision tree file (default: the built-in one).")
def graph(fmt: str, tree: str | None) -> None:
    """Print the decision graph."""
    from troubleshooter.graph import load_graph, to_dot, to_mermaid, to_text  # networkx: not at start-up

    g = load_graph(tree)
    click.echo({"mermaid": to_mermaid, "dot": to_dot, "text": to_text}[fmt](g))
