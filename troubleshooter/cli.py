"""The command line: `troubleshooter`, `demo`, `diagnose`, `fix`, `graph`, `sandbox` (see shared/spec/cli.md)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from troubleshooter.errors import BadInput, CloudUnreachable
from troubleshooter.facts.keys import FactKey

FORMATS = ("text", "json", "markdown")


def target_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The target flags every command that looks at a project shares."""
    for opt in reversed((
        click.option("--project", help="Project id (default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, gcloud config)."),
        click.option("--region", help="Region (default: CLOUDSDK_RUN_REGION, gcloud config run/region)."),
        click.option("--service", help="Cloud Run service name."),
        click.option("--job", help="Cloud Run job name."),
        click.option("--world", "world", metavar="FILE",
                     help="Look at a sandbox serving this world file (or built-in scenario) instead of Google Cloud."),
    )):
        fn = opt(fn)
    return fn


def _world_path(world: str) -> Path:
    path = Path(world)
    if path.exists():
        return path
    if os.sep not in world and not path.suffix:
        from troubleshooter.scenarios import scenario_path

        return scenario_path(world)
    raise BadInput(f"{world}: no such world file")


@contextlib.contextmanager
def backend(world: str | None) -> Iterator[tuple[Any, Any, Any]]:
    """(gateway, world or None, sandbox or None): the sandbox when --world, else Google Cloud."""
    from troubleshooter.gateway import Gateway

    if world is None:
        gateway = Gateway.from_env(os.environ)
        try:
            yield gateway, None, None
        finally:
            gateway.close()
        return
    from troubleshooter.sandbox import Sandbox
    from troubleshooter.world import load_world

    loaded = load_world(_world_path(world))
    with Sandbox(loaded) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        try:
            yield gateway, loaded, sandbox
        finally:
            gateway.close()


def _world_target(loaded: Any) -> Any:
    from troubleshooter.model import Target

    if loaded is None:
        return None
    t = loaded.target
    return Target(project=t.project, region=t.region, service=t.service, job=t.job)


def _check_target_readable(diagnosis: Any) -> None:
    """A target we could not read at all is not a diagnosis: exit 2 (not found) or 3 (access)."""
    failure = diagnosis.obs.failure(FactKey.run())
    if failure is None:
        return
    if failure.kind == "not-found":
        raise BadInput(f"{diagnosis.target.describe()} not found")
    raise CloudUnreachable(f"cannot read {diagnosis.target.describe()}: {failure.explain()}")


def _parse_answers(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise BadInput(f"--answer {pair!r}: expected QUESTION=CHOICE, e.g. app-connection=unix-socket")
        key, value = pair.split("=", 1)
        out[key.strip().removeprefix("question:")] = value.strip()
    return out


# --------------------------------------------------------------------------- commands


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@target_options
@click.option("--read-only", is_flag=True, help="Never change anything (hides every apply action).")
@click.version_option(package_name="troubleshooter")
@click.pass_context
def cli(ctx: click.Context, project: str | None, region: str | None, service: str | None,
        job: str | None, world: str | None, read_only: bool) -> None:
    """Find why a Cloud Run service or job cannot reach its Cloud SQL database, and fix it.

    Without a command: the guided troubleshooter (TUI).
    """
    if ctx.invoked_subcommand is not None:
        return
    from troubleshooter.tui.launch import run_tui

    run_tui(project=project, region=region, service=service, job=job, world=world, read_only=read_only)


@cli.command()
@click.argument("scenario", required=False)
@click.option("--list", "list_", is_flag=True, help="List the built-in scenarios.")
@click.option("--read-only", is_flag=True, help="Hide every apply action.")
def demo(scenario: str | None, list_: bool, read_only: bool) -> None:
    """The TUI on a built-in scenario served by the sandbox: no account needed."""
    from troubleshooter.scenarios import list_scenarios, scenario_path

    if list_:
        for info in list_scenarios():
            click.echo(f"{info.name:32} {info.title}")
        return
    if scenario is not None:
        scenario_path(scenario)  # unknown names fail here with the list of valid ones
    from troubleshooter.tui.launch import run_tui

    run_tui(scenario=scenario, read_only=read_only, demo=True)


@cli.command()
@target_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--symptom", help="Start from this symptom instead of the one the logs point at.")
@click.option("--answer", "answers", multiple=True, metavar="QUESTION=CHOICE",
              help="Answer a question no probe can, e.g. app-connection=unix-socket.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--log-window", type=click.IntRange(1, 30 * 24 * 60), default=None,
              help="Minutes of recent logs to read (default: 60 for services, 1440 for jobs).")
def diagnose(project: str | None, region: str | None, service: str | None, job: str | None,
             world: str | None, fmt: str, symptom: str | None, answers: tuple[str, ...],
             output: str | None, log_window: int | None) -> None:
    """Batch run of the decision graph, no prompts. Exit 1 when a root cause is found."""
    from troubleshooter.diagnosis import diagnose as run_diagnosis
    from troubleshooter.graph import load_graph
    from troubleshooter.session import Session
    from troubleshooter.target import resolve

    graph = load_graph()
    if symptom is not None and f"symptom:{symptom}" not in graph.nodes:
        known = ", ".join(n.short for n in graph.of_kind("symptom"))
        raise BadInput(f"--symptom {symptom!r}: unknown symptom (known: {known})")
    parsed_answers = _parse_answers(answers)
    with backend(world) as (gateway, loaded, _sandbox):
        target = resolve(project, region, service, job, fallback=_world_target(loaded))
        diagnosis = run_diagnosis(target, gateway, graph, symptom=symptom, answers=parsed_answers,
                                  log_window_minutes=log_window)
    _check_target_readable(diagnosis)
    session = Session(target=target, graph=graph, sandboxed=world is not None)
    for q, c in parsed_answers.items():
        session.answer(q, c)
    session.add_diagnosis(diagnosis)
    text = _format(session, fmt)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(1 if diagnosis.causes else 0)


def _format(session: Any, fmt: str) -> str:
    diagnosis = session.current
    if fmt == "json":
        from troubleshooter.redact import redact_obj

        return json.dumps(redact_obj(diagnosis.to_json()), indent=2) + "\n"
    if fmt == "markdown":
        from troubleshooter.report import build_report

        return build_report(session)
    import io

    from rich.console import Console

    from troubleshooter.render import render_text

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=sys.stdout.isatty(), width=110, soft_wrap=False)
    render_text(diagnosis, console)
    return buf.getvalue()


@cli.command()
@click.option("--format", "fmt", type=click.Choice(("mermaid", "dot", "text")), default="text", show_default=True)
@click.option("--tree", type=click.Path(dir_okay=False), help="A decision tree file (default: the built-in one).")
def graph(fmt: str, tree: str | None) -> None:
    """Print the decision graph."""
    from troubleshooter.graph import load_graph, to_dot, to_mermaid, to_text

    g = load_graph(tree)
    click.echo({"mermaid": to_mermaid, "dot": to_dot, "text": to_text}[fmt](g))


@cli.command()
@click.option("--world", required=True, metavar="FILE", help="World file or built-in scenario name.")
@click.option("--latency", type=float, default=0.0, show_default=True, help="Seconds added to every API call.")
def sandbox(world: str, latency: float) -> None:
    """Serve a world over loopback with Google's wire protocols; prints the export lines."""
    from troubleshooter.sandbox import serve_forever

    serve_forever(str(_world_path(world)), latency, sys.stdout)


from troubleshooter.fix_command import fix  # noqa: E402  (it reuses the helpers above)

cli.add_command(fix)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except BadInput as exc:
        click.echo(f"troubleshooter: error: {exc}", err=True)
        sys.exit(2)
    except CloudUnreachable as exc:
        click.echo(f"troubleshooter: cannot reach Google Cloud: {exc}", err=True)
        sys.exit(3)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    else:
        sys.exit(0)
