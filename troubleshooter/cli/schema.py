"""`troubleshooter schema`: the JSON Schema of the diagnose, check and scan JSON, from the output models."""

from __future__ import annotations

import json

import click

KINDS = ("all", "diagnose", "scan", "compare")


@click.command("schema")
@click.option("--output-of", "kind", type=click.Choice(KINDS), default="all", show_default=True,
              help="One command's object as the root, or both (`anyOf`).")
def schema(kind: str) -> None:
    """Print the JSON Schema (2020-12) of `diagnose`/`check`/`scan --format json` (`--output-of compare`: of `compare`)."""
    from troubleshooter.output import json_schema, schema_for

    doc = json_schema() if kind == "all" else schema_for(kind)  # type: ignore[arg-type]
    click.echo(json.dumps(doc, indent=2, sort_keys=False))
