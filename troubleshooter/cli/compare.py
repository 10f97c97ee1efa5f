"""`troubleshooter compare TARGET --with NAME`: two targets' connection-relevant configuration, differences first."""

from __future__ import annotations

import json
import os
import sys

import click

from troubleshooter.cli.options import TargetFlags, rich_text, target_options
from troubleshooter.redact import redact_obj

FORMATS = ("text", "json", "markdown")


@click.command()
@target_options
@click.option("--with", "other", required=True, metavar="NAME",
              help="The other service or job: a name in the same project and region (service first, "
                   "then job), service:NAME, job:NAME, or projects/P/locations/R/services|jobs/NAME.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--log-window", type=click.IntRange(1, 30 * 24 * 60), default=None,
              help="Minutes of recent logs each diagnosis reads (default: 60 for services, 1440 for jobs).")
def compare(target: TargetFlags, other: str, fmt: str, log_window: int | None) -> None:
    """Compare the Cloud SQL attachment, service account and roles, egress, env shape, secrets and
    instance of two targets, read as `diagnose` reads them. Exit 0 compared (with or without
    differences), 2 bad input (unknown target, bad --with), 3 Google Cloud unreachable."""
    from troubleshooter.engine.compare import compare as compare_targets
    from troubleshooter.engine.compare import other_target
    from troubleshooter.engine.workspace import Workspace

    with Workspace.open(target.world, env=os.environ) as workspace:
        a = workspace.target(target.project, target.region, target.service, target.job)
        b = other_target(workspace.gateway, a, other)
        comparison = compare_targets(workspace.gateway, workspace.graph, a, b, log_window_minutes=log_window)
    click.echo(render(redact_obj(comparison.to_json()), fmt), nl=False)
    sys.exit(0)


def render(doc: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2) + "\n"
    from troubleshooter.render_compare import comparison_markdown, render_comparison

    if fmt == "markdown":
        return comparison_markdown(doc)
    return rich_text(lambda console: render_comparison(doc, console))
