"""What the commands share: the target flags, `--answer` parsing, and opening the engine on a target."""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

import click

from troubleshooter.errors import BadInput

if TYPE_CHECKING:
    from troubleshooter.engine.troubleshooting import Troubleshooting

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class TargetFlags:
    """`--project P --region R (--service S | --job J)` and `--world FILE`, as given."""

    project: str | None = None
    region: str | None = None
    service: str | None = None
    job: str | None = None
    world: str | None = None


def target_options(fn: F) -> F:
    """The target flags every command that looks at a project shares, passed as `target: TargetFlags`."""
    options = (
        click.option("--project", help="Project id (default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, gcloud config)."),
        click.option("--region", help="Region (default: CLOUDSDK_RUN_REGION, gcloud config run/region)."),
        click.option("--service", help="Cloud Run service name."),
        click.option("--job", help="Cloud Run job name."),
        click.option("--world", "world", metavar="FILE",
                     help="Look at a sandbox serving this world file (or built-in scenario) instead of Google Cloud."),
    )

    @functools.wraps(fn)  # keeps the options declared below this decorator (click's __click_params__)
    def wrapped(*args: Any, project: str | None, region: str | None, service: str | None,
                job: str | None, world: str | None, **kwargs: Any) -> Any:
        return fn(*args, target=TargetFlags(project, region, service, job, world), **kwargs)

    for opt in reversed(options):
        wrapped = opt(wrapped)
    return wrapped  # type: ignore[return-value]


def answer_option(fn: F) -> F:
    return click.option("--answer", "answers", multiple=True, metavar="QUESTION=CHOICE", callback=_parse_answers,
                        help="Answer a question no probe can, e.g. app-connection=unix-socket.")(fn)


def read_secrets_option(fn: F) -> F:
    return click.option("--read-secrets", "read_secrets", is_flag=True,
                        help="Read the Secret Manager values the app's env names, so the connection checks "
                             "decide from the real setting (never printed, logged or exported).")(fn)


def symptom_option(fn: F) -> F:
    return click.option("--symptom", help="Start from this symptom instead of the one the logs point at.")(fn)


def _parse_answers(_ctx: click.Context, _param: click.Parameter, pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise BadInput(f"--answer {pair!r}: expected QUESTION=CHOICE, e.g. app-connection=unix-socket")
        key, value = pair.split("=", 1)
        out[key.strip().removeprefix("question:")] = value.strip()
    return out


def check_answers(graph: Any, answers: dict[str, str]) -> None:
    """Every --answer names a question of the graph and one of its choices (before any call)."""
    questions = {n.short: n for n in graph.of_kind("question")}
    for question, choice in answers.items():
        node = questions.get(question)
        if node is None:
            raise BadInput(f"--answer {question!r}: unknown question (known: {', '.join(sorted(questions))})")
        if choice not in node.spec.choices:
            raise BadInput(f"--answer {question}={choice!r}: unknown choice (known: "
                           f"{', '.join(node.spec.choices)})")


def say_world_notes(workspace: Any) -> None:
    """The loader's notes on a --world file (a converted v1 service...), one line each on stderr:
    the report on stdout stays what was diagnosed."""
    from troubleshooter.redact import redact

    for note in workspace.notes:
        click.echo(f"troubleshooter: note: {' '.join(redact(note).split())}", err=True)


@contextlib.contextmanager
def troubleshooting(flags: TargetFlags, *, answers: dict[str, str] | None = None,
                    read_only: bool = False, read_secrets: bool = False) -> Iterator["Troubleshooting"]:
    """The engine on the target the flags name: the sandbox when --world, else Google Cloud.
    Google's clients load here, at first use, so the TUI paints before they do."""
    from troubleshooter.engine.troubleshooting import Troubleshooting
    from troubleshooter.engine.workspace import Workspace

    with Workspace.open(flags.world, env=os.environ) as workspace:
        say_world_notes(workspace)
        target = workspace.target(flags.project, flags.region, flags.service, flags.job)
        check_answers(workspace.graph, answers or {})
        yield Troubleshooting.begin(workspace, target, read_only=read_only, answers=answers,
                                    read_secrets=read_secrets)


def rich_text(draw: Callable[[Any], None], width: int = 110) -> str:
    """What `draw(console)` prints, as text: colours only when stdout is a terminal, lines kept
    whole (no soft wrap), trailing padding of rich's grids dropped. The commands' text format."""
    import io
    import sys

    from rich.console import Console

    buf = io.StringIO()
    draw(Console(file=buf, force_terminal=sys.stdout.isatty(), width=width, soft_wrap=False))
    return "".join(line.rstrip(" ") + "\n" for line in buf.getvalue().splitlines())
