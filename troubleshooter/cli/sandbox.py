"""`troubleshooter sandbox`: serve a world over loopback and print the endpoint exports."""

from __future__ import annotations

import sys

import click

from troubleshooter.engine.workspace import world_path


@click.command()
@click.option("--world", required=True, metavar="FILE", help="World file or built-in scenario name.")
@click.option("--latency", type=float, default=0.0, show_default=True, help="Seconds added to every API call.")
def sandbox(world: str, latency: float) -> None:
    """Serve a world over loopback with Google's wire protocols; prints the export lines."""
    from troubleshooter.sandbox import (
        serve_forever,  # Google's message classes: only for this command
    )

    serve_forever(str(world_path(world)), latency, sys.stdout)
