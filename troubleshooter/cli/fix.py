"""`troubleshooter fix CAUSE_ID`: diagnose, show the fix plan, apply it on consent, verify it.

Exit codes (shared/spec/cli.md): 0 the cause is gone (or was not present), 1 not verified (manual
steps, refused, cancelled, failed, or still found), 2 usage error, 3 Google Cloud unreachable.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from troubleshooter.catalog import FINDINGS, NETWORK_CAUSE, ROOT_CAUSES
from troubleshooter.cli.options import (
    TargetFlags,
    answer_option,
    read_secrets_option,
    symptom_option,
    target_options,
    troubleshooting,
)
from troubleshooter.errors import BadInput
from troubleshooter.failures import ApiFailure
from troubleshooter.fixes.base import CauseNotPresent, FixPlan, Refused, show_value
from troubleshooter.redact import redact

if TYPE_CHECKING:
    from troubleshooter.engine.troubleshooting import Troubleshooting
    from troubleshooter.sandbox import Sandbox
    from troubleshooter.session import AppliedFix


@click.command("fix")
@click.argument("cause_id", metavar="CAUSE_ID")
@target_options
@click.option("--dry-run", is_flag=True, help="Show the plan (commands and the before/after change) and change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option("--save-world", metavar="OUT", type=click.Path(dir_okay=False),
              help="After the fix, write the sandbox's world to OUT (needs --world).")
@click.option("--read-only", is_flag=True, help="Never change anything: show the plan and refuse to apply it.")
@symptom_option
@answer_option
@read_secrets_option
@click.option("--authorize-network", "network", metavar="CIDR",
              help=f"{NETWORK_CAUSE}: add this authorized network (typed by you; never /0-/8).")
@click.option("--subnet", metavar="SUBNET",
              help="private-ip-without-vpc-egress: the subnet for Direct VPC egress, when it cannot be derived.")
def fix(cause_id: str, target: TargetFlags, dry_run: bool, yes: bool, save_world: str | None,
        read_only: bool, symptom: str | None, answers: dict[str, str], read_secrets: bool,
        network: str | None, subnet: str | None) -> None:
    """Show the fix for one root cause, apply it (with --yes or your confirmation), verify it."""
    _validate(cause_id, dry_run, yes, save_world, target.world, network)
    options: dict[str, Any] = {}
    if network:
        options.update(authorize_network=network, typed_by_user=True)
    if subnet:
        options["subnet"] = subnet
    with troubleshooting(target, answers=answers, read_only=read_only, read_secrets=read_secrets) as engine:
        code = run_fix(engine, cause_id, symptom=symptom, options=options, dry_run=dry_run, yes=yes,
                       typed=bool(network))
        sandbox = engine.workspace.sandbox
        if save_world and sandbox is not None:
            _save(sandbox, save_world)
    sys.exit(code)


def _validate(cause_id: str, dry_run: bool, yes: bool, save_world: str | None, world: str | None,
              network: str | None) -> None:
    if cause_id not in ROOT_CAUSES and cause_id not in FINDINGS:
        raise BadInput(f"unknown cause {cause_id!r}; see `troubleshooter graph` for the catalog "
                       f"(e.g. {', '.join(ROOT_CAUSES[:3])})")
    if dry_run and yes:
        raise BadInput("--dry-run and --yes are exclusive: show the plan, or apply it")
    if save_world and world is None:
        raise BadInput("--save-world needs --world: only the sandbox's world can be written")
    if network and cause_id != NETWORK_CAUSE:
        raise BadInput(f"--authorize-network applies only to {NETWORK_CAUSE}")


def run_fix(engine: "Troubleshooting", cause_id: str, *, symptom: str | None, options: dict[str, Any],
            dry_run: bool, yes: bool, typed: bool) -> int:
    """Diagnose, plan, then show, apply or refuse; returns the exit code."""

    diagnosis = engine.diagnose(symptom=symptom)
    engine.require_readable()
    try:
        plan = engine.plan(cause_id, options)
    except CauseNotPresent:
        found = ", ".join(diagnosis.cause_ids) or "none"
        click.echo(f"{cause_id} is not present in {engine.target.describe()}: nothing to fix "
                   f"(root causes found: {found}).")
        return 0
    except Refused as exc:
        engine.refused(cause_id, str(exc))
        click.echo(f"refused: {exc}", err=True)
        # A refused value the operator typed is bad input; a refused derived plan is "not fixed".
        return 2 if typed else 1
    except ApiFailure as exc:
        click.echo(f"cannot plan the fix: {exc.explain()}", err=True)
        return 1

    click.echo(render_plan(plan))
    if not plan.automatic:
        engine.record(plan, "manual")
        click.echo("No automatic fix: follow the steps above, then run `troubleshooter diagnose` again.")
        return 1
    if dry_run:
        engine.record(plan, "dry-run")
        click.echo("Dry run: nothing was changed.")
        return 1  # the cause is still there, as `diagnose` would say
    if engine.read_only:
        engine.apply(cause_id, plan=plan)  # the engine's gate refuses it, and records that
        click.echo("Read-only: nothing was changed (drop --read-only to apply).", err=True)
        return 1
    if not yes and not _interactive():
        raise BadInput("not a terminal: pass --yes to apply the fix, or --dry-run to only show it")

    def confirm(_: object) -> bool:
        return True if yes else click.confirm("Apply this change?", default=False)

    def progress(message: str) -> None:
        click.echo(f"  … {message}", err=True)

    return _report(engine.apply(cause_id, progress, confirm, plan=plan))


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _save(sandbox: "Sandbox", out: str) -> None:
    sandbox.snapshot().dump(out)
    click.echo(f"wrote {out}", err=True)


def _report(applied: "AppliedFix") -> int:
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


def render_plan(plan: "FixPlan") -> str:
    """The plan as text: what, the exact commands (or steps), the change, the risk."""
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
