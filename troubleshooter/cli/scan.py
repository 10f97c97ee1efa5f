"""`troubleshooter scan`: every Cloud Run service and job of a project, folder or organization,
one verdict each (engine/fleet.py), as a table, JSON (cli.md's scan shape) or markdown."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import TYPE_CHECKING, Callable, Iterator

import click

from troubleshooter.cli.options import read_secrets_option, rich_text
from troubleshooter.errors import CloudUnreachable

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Diagnosis
    from troubleshooter.engine.fleet import Scan

FORMATS = ("text", "json", "markdown")
# cli.md: the worst verdict decides, as `diagnose` exits for one target.
EXIT_BY_VERDICT = {"healthy": 0, "root-causes": 1, "unexplained": 4, "inconclusive": 4}
@contextlib.contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr while targets are decided (only on a terminal)."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("scan", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@click.command()
@click.option("--project", help="Scan this project (default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, gcloud config).")
@click.option("--folder", metavar="NUMBER", help="Scan every project under this folder (Cloud Asset Inventory).")
@click.option("--organization", metavar="NUMBER", help="Scan every project of this organization (Cloud Asset Inventory).")
@click.option("--region", help="Only this region (a project scan defaults to CLOUDSDK_RUN_REGION, gcloud config).")
@click.option("--all-regions", is_flag=True, help="Every region (the default for --folder and --organization).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--world", metavar="FILE", help="Scan a sandbox serving this world file (or built-in scenario) instead of Google Cloud.")
@read_secrets_option
def scan(project: str | None, folder: str | None, organization: str | None, region: str | None,
         all_regions: bool, fmt: str, world: str | None, read_secrets: bool) -> None:
    """Every Cloud Run service and job in scope, one verdict each, worst first. Exit: the worst verdict."""
    from troubleshooter.engine.fleet import resolve_scope, scan_workspace
    from troubleshooter.engine.workspace import Workspace
    from troubleshooter.failures import ApiFailure

    if world is None:  # bad flags fail before anything loads
        resolve_scope(project, folder, organization, region, all_regions)
    with Workspace.open(world, env=os.environ) as workspace:
        t = workspace.world_target
        scope = resolve_scope(project, folder, organization, region, all_regions,
                              fallback_project=t.project if t else None, fallback_region=t.region if t else None)
        with _progress_bar(sys.stderr.isatty()) as progress:
            try:
                result = scan_workspace(workspace, scope, progress=progress, read_secrets=read_secrets)
            except ApiFailure as failure:
                raise CloudUnreachable(f"cannot list {scope.name}: {failure.explain()}") from None
    click.echo(render(result, fmt), nl=False)
    sys.exit(EXIT_BY_VERDICT[result.worst])


def render(result: "Scan", fmt: str) -> str:
    """The scan in one of FORMATS (each through the redaction boundary)."""
    from troubleshooter.redact import redact_obj

    if fmt == "json":
        return json.dumps(redact_obj(result.to_json()), indent=2) + "\n"
    if fmt == "markdown":
        return markdown(result)
    return rich_text(lambda console: render_table(result, console), width=120)


_STYLE = {"root-causes": "bold red", "unexplained": "yellow", "inconclusive": "yellow", "healthy": "green"}


def causes_of(d: "Diagnosis") -> str:
    """What a row says under Causes: the causes; the unexplained signals; the undecided checks."""
    if d.causes:
        return ", ".join(d.cause_ids)
    if d.verdict == "unexplained":
        return "unexplained: " + ", ".join(m.symptom for m in d.signals)
    if d.verdict == "inconclusive":
        checks = [s.node.short for s in d.uncertain] or (["logs unread"] if d.logs_unread else [])
        return "undecided: " + ", ".join(checks)
    return ""


def target_label(d: "Diagnosis") -> str:
    t = d.target
    return f"{t.kind} {t.name} ({t.project}, {t.region})"


def summary_line(result: "Scan") -> str:
    counts = ", ".join(f"{n} {v}" for v, n in result.summary.items() if n)
    return f"{len(result.diagnoses)} targets in {result.scope.name}: {counts or 'none'} · {result.api_calls} API calls"


def render_table(result: "Scan", console: object) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"scan of {result.scope.name} ({', '.join(result.regions) or 'no region'})",
                  title_justify="left")
    table.add_column("verdict", no_wrap=True)
    table.add_column("causes")
    table.add_column("target", no_wrap=True)
    for d in result.diagnoses:
        table.add_row(f"[{_STYLE[d.verdict]}]{d.verdict}[/]", escape(causes_of(d)), escape(target_label(d)))
    console.print(table)  # type: ignore[attr-defined]
    for e in result.errors:
        console.print(f"[yellow]not read[/]: {escape(e.project)} {escape(e.region)}: {escape(e.failure.explain())}")  # type: ignore[attr-defined]
    console.print(escape(summary_line(result)))  # type: ignore[attr-defined]


def markdown(result: "Scan") -> str:
    from troubleshooter.redact import redact

    def cell(text: str) -> str:
        return redact(text).replace("|", "\\|").replace("\n", " ")

    lines = [f"# Scan of `{result.scope.name}`", "", f"Regions: {', '.join(result.regions) or 'none'}", "",
             "| verdict | causes | target |", "|---|---|---|"]
    lines += [f"| {d.verdict} | {cell(causes_of(d))} | {cell(target_label(d))} |" for d in result.diagnoses]
    lines += [""] + [f"- not read: {e.project} {e.region}: {cell(e.failure.explain())}" for e in result.errors]
    lines += ["", summary_line(result), ""]
    return "\n".join(lines)
