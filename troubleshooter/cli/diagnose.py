"""`troubleshooter diagnose`: the decision graph in batch, no prompts; text, JSON or the RCA."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from troubleshooter.cli.options import (
    TargetFlags,
    answer_option,
    read_secrets_option,
    rich_text,
    symptom_option,
    target_options,
    troubleshooting,
)
from troubleshooter.errors import BadInput
from troubleshooter.redact import redact_obj
from troubleshooter.session import Session

FORMATS = ("text", "json", "markdown")


@click.command()
@target_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@symptom_option
@answer_option
@read_secrets_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--log-window", type=click.IntRange(1, 30 * 24 * 60), default=None,
              help="Minutes of recent logs to read (default: 60 for services, 1440 for jobs).")
def diagnose(target: TargetFlags, fmt: str, symptom: str | None, answers: dict[str, str],
             read_secrets: bool, output: str | None, log_window: int | None) -> None:
    """Batch run of the decision graph, no prompts. Exit 0 healthy, 1 root causes, 4 unexplained or inconclusive."""
    if output and not Path(output).resolve().parent.is_dir():
        raise BadInput(f"--output {output!r}: no such directory {str(Path(output).parent)!r}")
    with troubleshooting(target, answers=answers, read_secrets=read_secrets) as engine:
        engine.diagnose(symptom=symptom, log_window_minutes=log_window)
        engine.require_readable()
        session = engine.session
        # Rendered while the workspace is open: a Secret Manager value read with consent is still
        # registered with the redaction boundary, so it would be masked even here.
        text = render(session, fmt)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"--output {output!r}: cannot write: {exc.strerror or exc}") from None
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(exit_code(session))


# cli.md: 0 healthy, 1 root causes, 4 unexplained or inconclusive (never 0 while errors show).
EXIT_BY_VERDICT = {"healthy": 0, "root-causes": 1, "unexplained": 4, "inconclusive": 4}


def exit_code(session: Session) -> int:
    diagnosis = session.current
    return EXIT_BY_VERDICT[diagnosis.verdict] if diagnosis is not None else 0


def render(session: Session, fmt: str) -> str:
    """The session's latest diagnosis in one of FORMATS (each passes the redaction boundary)."""
    diagnosis = session.current
    assert diagnosis is not None
    if fmt == "json":
        return json.dumps(redact_obj(diagnosis.to_json()), indent=2) + "\n"
    if fmt == "markdown":
        from troubleshooter.report import build_report

        return build_report(session)
    from troubleshooter.render import render_text

    return rich_text(lambda console: render_text(diagnosis, console))
