"""`troubleshooter fix CAUSE_ID`: diagnose, show the fix plan, apply it on consent, verify it.

Exit codes (shared/spec/cli.md): 0 the cause is gone (or was not present), 1 not verified (manual
steps, refused, cancelled, failed, or still found), 2 usage error, 3 Google Cloud unreachable.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from troubleshooter.errors import BadInput

_HELP = {
    "dry_run": "Show the plan (commands and the before/after change) and change nothing.",
    "yes": "Apply without asking.",
    "save_world": "After the fix, write the sandbox's world to OUT (needs --world).",
    "read_only": "Never change anything: show the plan and refuse to apply it.",
    "symptom": "Start the diagnosis from this symptom instead of the one the logs point at.",
    "answer": "Answer a question no probe can, e.g. app-connection=unix-socket.",
    "network": "app-uses-public-ip-unauthorized: add this authorized network (typed by you; never /0-/8).",
    "subnet": "private-ip-without-vpc-egress: the subnet for Direct VPC egress, when it cannot be derived.",
}


def _build() -> click.Command:
    # cli.py registers this command at its end; importing its helpers here, at first use rather
    # than at module import, lets either module be imported first without a circular import.
    from troubleshooter.cli import target_options

    @click.command("fix")
    @click.argument("cause_id", metavar="CAUSE_ID")
    @target_options
    @click.option("--dry-run", is_flag=True, help=_HELP["dry_run"])
    @click.option("--yes", "-y", is_flag=True, help=_HELP["yes"])
    @click.option("--save-world", metavar="OUT", type=click.Path(dir_okay=False), help=_HELP["save_world"])
    @click.option("--read-only", is_flag=True, help=_HELP["read_only"])
    @click.option("--symptom", help=_HELP["symptom"])
    @click.option("--answer", "answers", multiple=True, metavar="QUESTION=CHOICE", help=_HELP["answer"])
    @click.option("--authorize-network", "network", metavar="CIDR", help=_HELP["network"])
    @click.option("--subnet", metavar="SUBNET", help=_HELP["subnet"])
    def fix(cause_id: str, project: str | None, region: str | None, service: str | None,
            job: str | None, world: str | None, dry_run: bool, yes: bool, save_world: str | None,
            read_only: bool, symptom: str | None, answers: tuple[str, ...], network: str | None,
            subnet: str | None) -> None:
        """Show the fix for one root cause, apply it (with --yes or your confirmation), verify it."""
        sys.exit(run_fix(cause_id, project=project, region=region, service=service, job=job,
                         world=world, dry_run=dry_run, yes=yes, save_world=save_world,
                         read_only=read_only, symptom=symptom, answers=answers, network=network,
                         subnet=subnet))

    return fix


def _validate(cause_id: str, dry_run: bool, yes: bool, save_world: str | None, world: str | None,
              symptom: str | None, network: str | None, graph: Any) -> None:
    from troubleshooter.catalog import FINDINGS, ROOT_CAUSES
    from troubleshooter.fixes.plans import NETWORK_CAUSE

    if cause_id not in ROOT_CAUSES and cause_id not in FINDINGS:
        raise BadInput(f"unknown cause {cause_id!r}; see `troubleshooter graph` for the catalog "
                       f"(e.g. {', '.join(ROOT_CAUSES[:3])})")
    if dry_run and yes:
        raise BadInput("--dry-run and --yes are exclusive: show the plan, or apply it")
    if save_world and world is None:
        raise BadInput("--save-world needs --world: only the sandbox's world can be written")
    if network and cause_id != NETWORK_CAUSE:
        raise BadInput(f"--authorize-network applies only to {NETWORK_CAUSE}")
    if symptom is not None and f"symptom:{symptom}" not in graph.nodes:
        known = ", ".join(n.short for n in graph.of_kind("symptom"))
        raise BadInput(f"--symptom {symptom!r}: unknown symptom (known: {known})")


def run_fix(cause_id: str, *, project: str | None = None, region: str | None = None,
            service: str | None = None, job: str | None = None, world: str | None = None,
            dry_run: bool = False, yes: bool = False, save_world: str | None = None,
            read_only: bool = False, symptom: str | None = None, answers: tuple[str, ...] = (),
            network: str | None = None, subnet: str | None = None) -> int:
    """The whole command; returns the exit code."""
    from troubleshooter.cli import _check_target_readable, _parse_answers, _world_target, backend
    from troubleshooter.diagnosis import diagnose
    from troubleshooter.failures import ApiFailure
    from troubleshooter.fixes.apply import apply_and_verify, record, refusal
    from troubleshooter.fixes.base import CauseNotPresent, Refused
    from troubleshooter.fixes.plans import plan_fix
    from troubleshooter.graph import load_graph
    from troubleshooter.session import Session
    from troubleshooter.target import resolve

    graph = load_graph()
    _validate(cause_id, dry_run, yes, save_world, world, symptom, network, graph)
    parsed = _parse_answers(answers)
    options: dict[str, Any] = {}
    if network:
        options.update(authorize_network=network, typed_by_user=True)
    if subnet:
        options["subnet"] = subnet

    with backend(world) as (gateway, loaded, sandbox):
        target = resolve(project, region, service, job, fallback=_world_target(loaded))
        session = Session(target=target, graph=graph, read_only=read_only, sandboxed=world is not None)
        for q, c in parsed.items():
            session.answer(q, c)
        diagnosis = diagnose(target, gateway, graph, symptom=symptom, answers=parsed)
        _check_target_readable(diagnosis)
        session.add_diagnosis(diagnosis)
        try:
            plan = plan_fix(diagnosis, cause_id, gateway, read_only=read_only, options=options)
        except CauseNotPresent:
            found = ", ".join(diagnosis.cause_ids) or "none"
            click.echo(f"{cause_id} is not present in {target.describe()}: nothing to fix "
                       f"(root causes found: {found}).")
            return _finish(0, sandbox, save_world)
        except Refused as exc:
            refusal(session, cause_id, str(exc))
            click.echo(f"refused: {exc}", err=True)
            # A refused value the operator typed is bad input; a refused derived plan is "not fixed".
            return _finish(2 if network else 1, sandbox, save_world)
        except ApiFailure as exc:
            click.echo(f"cannot plan the fix: {exc.explain()}", err=True)
            return _finish(1, sandbox, save_world)

        click.echo(render_plan(plan))
        if not plan.automatic:
            record(session, plan, "manual")
            click.echo("No automatic fix: follow the steps above, then run `troubleshooter diagnose` again.")
            return _finish(1, sandbox, save_world)
        if dry_run:
            record(session, plan, "dry-run")
            click.echo("Dry run: nothing was changed.")
            return _finish(1, sandbox, save_world)  # the cause is still there, as `diagnose` would say
        if read_only:
            record(session, plan, "refused", error="read-only: nothing was written")
            click.echo("Read-only: nothing was changed (drop --read-only to apply).", err=True)
            return _finish(1, sandbox, save_world)
        if not yes and not _interactive():
            raise BadInput("not a terminal: pass --yes to apply the fix, or --dry-run to only show it")

        def confirm(_: Any) -> bool:
            return True if yes else click.confirm("Apply this change?", default=False)

        def progress(message: str) -> None:
            click.echo(f"  … {message}", err=True)

        applied = apply_and_verify(session, cause_id, gateway, progress, confirm, plan=plan)
        code = _report(applied)
        return _finish(code, sandbox, save_world)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _finish(code: int, sandbox: Any, save_world: str | None) -> int:
    if save_world and sandbox is not None:
        sandbox.snapshot().dump(save_world)
        click.echo(f"wrote {save_world}", err=True)
    return code


def _report(applied: Any) -> int:
    """Say how it ended; the exit code: 0 only when the cause is verified gone."""
    if applied.outcome == "cancelled":
        click.echo("Cancelled: nothing was changed.")
        return 1
    if applied.outcome in ("refused", "failed"):
        click.echo(f"{applied.outcome}: {applied.error}", err=True)
        return 1
    if applied.verified:
        click.echo(f"Verified: {applied.verification.rstrip('.')}.")
        return 0
    click.echo(f"Not verified: {applied.verification.rstrip('.')}.")
    return 1


def render_plan(plan: Any) -> str:
    """The plan as text: what, the exact commands (or steps), the change, the risk."""
    from troubleshooter.fixes.base import show_value
    from troubleshooter.redact import redact

    lines = [f"Fix for {plan.cause}: {plan.title}", f"  {redact(plan.summary)}", ""]
    lines += [f"Note: {redact(n)}" for n in plan.notes]
    if plan.commands:
        lines.append("Command" + ("s" if len(plan.commands) > 1 else "") + " (what a person would run):")
        lines += [f"  {c}" for c in plan.commands]
    if plan.steps and not plan.automatic:
        lines.append("Steps:")
        lines += [f"  {i}. {redact(s)}" for i, s in enumerate(plan.steps, 1)]
    if plan.change:
        lines.append(f"Change to {plan.resource}:")
        for field, before, after in plan.change:
            lines.append(f"  {field}")
            lines.append(f"    before: {redact(show_value(before))}")
            lines.append(f"    after:  {redact(show_value(after))}")
    if plan.risk:
        lines.append(f"Risk: {plan.risk}")
    lines.append(f"Applied automatically: {'yes, through the API' if plan.automatic else 'no'}")
    return "\n".join(lines)


def __getattr__(name: str) -> Any:
    # `fix` is built on first access (see _build) and then kept as a plain module attribute.
    if name == "fix":
        built = _build()
        # Building may import cli, which asks for `fix` itself: keep whichever was made first.
        cmd = globals().setdefault("fix", built)
        return cmd
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
