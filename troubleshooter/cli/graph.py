"""`troubleshooter graph`: the decision graph as text, Mermaid or Graphviz dot."""

from __future__ import annotations

import click


@click.command()
@click.option("--format", "fmt", type=click.Choice(("mermaid", "dot", "text")), default="text", show_default=True)
@click.option("--tree", type=click.Path(dir_okay=False), help="A decision tree file (default: the built-in one).")
def graph(fmt: str, tree: str | None) -> None:
    """Print the decision graph."""
    from troubleshooter.engine.tree import load_graph
    from troubleshooter.graph import (  # networkx: not at start-up
        to_dot,
        to_mermaid,
        to_text,
    )

    g = load_graph(tree)
    click.echo({"mermaid": to_mermaid, "dot": to_dot, "text": to_text}[fmt](g))
