"""`troubleshooter check FILE`: before a deploy, judge a service or job definition against the live
project (or `--world`) as if it were the serving revision: the diagnose catalog and exit codes.

Exit codes: 0 healthy, 1 a root cause holds, 4 inconclusive (a check could not decide),
2 bad input, 3 Google Cloud unreachable. `--format github` prints workflow annotations.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from troubleshooter.cli.options import TargetFlags, answer_option, say_world_notes, target_options

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Diagnosis
    from troubleshooter.engine.definition import Definition
    from troubleshooter.engine.troubleshooting import Troubleshooting

FORMATS = ("text", "json", "github", "markdown")
EXIT = {"root-causes": 1, "healthy": 0, "inconclusive": 4, "unexplained": 4}


@click.command("check")
@click.argument("file", metavar="FILE")
@target_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@answer_option
def check(file: str, target: TargetFlags, fmt: str, answers: dict[str, str]) -> None:
    """Judge FILE (a v2 or v1-export service/job, or a `gcloud run deploy` line) before deploying it.

    --service/--job pick one command when FILE holds several; the target's name and region come
    from FILE unless the flags say otherwise.
    """
    from troubleshooter.cli.definition import load
    from troubleshooter.engine.troubleshooting import Troubleshooting
    from troubleshooter.engine.workspace import Workspace
    from troubleshooter.target import defaults

    with Workspace.open(target.world, env=os.environ) as workspace:
        say_world_notes(workspace)
        world = workspace.world_target
        hint = target.project or defaults().get("project") or (world.project if world else None)
        definition = load(file, project=hint, select=target.service or target.job)
        service = definition.name if definition.kind == "service" else None
        job = definition.name if definition.kind == "job" else None
        resolved = workspace.target(target.project or definition.project, target.region or definition.region,
                                    service, job)
        engine = Troubleshooting.begin(workspace, resolved, answers=answers)
        diagnosis = engine.check(definition)
    click.echo(render(diagnosis, definition, fmt, engine), nl=False)
    sys.exit(EXIT[verdict(diagnosis)])


def verdict(diagnosis: "Diagnosis") -> str:
    """root-causes | healthy | inconclusive (logs are not read, so never unexplained)."""
    if diagnosis.causes:
        return "root-causes"
    return "inconclusive" if diagnosis.uncertain else "healthy"


def as_json(diagnosis: "Diagnosis", definition: "Definition") -> dict[str, Any]:
    from troubleshooter.redact import redact_obj

    doc = diagnosis.to_json()
    doc.setdefault("verdict", verdict(diagnosis))
    doc["definition"] = definition.as_json()
    return redact_obj(doc)


def render(diagnosis: "Diagnosis", definition: "Definition", fmt: str, engine: "Troubleshooting") -> str:
    """The check's result in one of FORMATS (each passes the redaction boundary)."""
    if fmt == "json":
        return json.dumps(as_json(diagnosis, definition), indent=2) + "\n"
    if fmt == "github":
        return github(as_json(diagnosis, definition))
    from troubleshooter.cli.diagnose import render as render_diagnosis
    from troubleshooter.redact import redact

    header = (f"Checked {definition.source} ({definition.format}) as the serving revision of "
              f"{diagnosis.target.describe()}; its logs are not evidence about it and were not read.\n")
    return redact(header) + "\n" + render_diagnosis(engine.session, fmt)


def _data(text: str) -> str:
    # GitHub workflow commands: the message escapes %, CR and LF; properties also : and ,
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def github(doc: dict[str, Any]) -> str:
    """Workflow annotations: an error per root cause, a warning per finding or undecided check."""
    file = doc["definition"]["file"]
    t = doc["target"]
    who = f"{'job' if 'job' in t else 'service'} {t.get('job') or t.get('service')}"
    lines = []
    for cause in doc["rootCauses"]:
        fix = "; ".join(cause["fix"]["commands"])
        message = f"{who}: {cause['summary']}" + (f" Fix: {fix}" if fix else "")
        lines.append(f"::error file={_prop(file)},title={_prop(cause['id'])}::{_data(message)}")
    for finding in doc["findings"]:
        lines.append(f"::warning file={_prop(file)},title={_prop(finding['id'])}::{_data(who + ': ' + finding['summary'])}")
    for step in doc.get("uncertain") or []:
        lines.append(f"::warning file={_prop(file)},title={_prop(step['check'])}::{_data(who + ': ' + step['summary'])}")
    if doc["verdict"] == "healthy":
        lines.append(f"::notice file={_prop(file)},title=troubleshooter check::"
                     f"{_data(who + ': no root cause found in the definition')}")
    return "\n".join(lines) + "\n"
