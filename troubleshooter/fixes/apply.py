"""Plan, confirm, apply and verify one fix inside a Session, recording every step on its timeline."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from troubleshooter.diagnosis import Diagnosis, diagnose
from troubleshooter.failures import ApiFailure
from troubleshooter.fixes.base import FixPlan, Progress, Refused, no_progress
from troubleshooter.fixes.plans import plan_fix
from troubleshooter.gateway import Gateway
from troubleshooter.session import AppliedFix, Session

Confirm = Callable[[FixPlan], bool]


def current_diagnosis(session: Session, gateway: Gateway, *, symptom: str | None = None) -> Diagnosis:
    """The session's latest diagnosis, running the first one when there is none yet."""
    if session.current is None:
        session.add_diagnosis(diagnose(session.target, gateway, session.graph, symptom=symptom,
                                       answers=session.answers))
    return session.current  # type: ignore[return-value]


def rediagnose(session: Session, gateway: Gateway) -> Diagnosis:
    """Run every probe again with the first run's symptoms and the session's answers."""
    first = session.initial
    symptom = None
    if first is not None and len(first.symptoms) == 1 and first.symptom_source != "config":
        # A deploy-state symptom may be gone after the fix; a log or flag symptom is the same story.
        symptom = first.symptoms[0]
    found = diagnose(session.target, gateway, session.graph, symptom=symptom, answers=session.answers)
    session.add_diagnosis(found)
    return found


def record(session: Session, plan: FixPlan, outcome: str, *, error: str | None = None,
           verified: bool | None = None, verification: str = "") -> AppliedFix:
    """Keep the fix in the session and put one line on the timeline."""
    fix = AppliedFix(cause=plan.cause, fix_id=plan.fix_id, commands=list(plan.commands or plan.steps),
                     change=list(plan.change), outcome=outcome, error=error, verified=verified,
                     verification=verification)
    session.fixes.append(fix)
    text = {
        "dry-run": f"planned {plan.fix_id} for {plan.cause} (dry run, nothing changed)",
        "manual": f"{plan.cause} has no automatic fix: {len(plan.steps)} manual step(s) shown",
        "cancelled": f"{plan.fix_id} for {plan.cause} cancelled",
        "refused": f"refused {plan.fix_id} for {plan.cause}: {error}",
        "failed": f"{plan.fix_id} for {plan.cause} failed: {error}",
        "applied": f"verified {plan.fix_id} for {plan.cause}: "
                   + ("cause gone" if verified else "cause still found" if verified is False else "not verified"),
    }[outcome]
    session.record("fix", text, cause=plan.cause, fix=plan.fix_id, outcome=outcome,
                   commands=list(plan.commands), verified=verified)
    return fix


def refusal(session: Session, cause: str, reason: str, outcome: str = "refused") -> AppliedFix:
    """A fix refused (or failed) before it had a plan: recorded like any other."""
    node = session.graph.cause_node(cause)
    fix_id = node.spec.fix.id if node is not None and node.spec.fix is not None else cause
    plan = FixPlan(cause=cause, fix_id=fix_id, title="", summary="", commands=[], change=[], risk="",
                   automatic=False)
    return record(session, plan, outcome, error=reason)


def apply_and_verify(session: Session, cause_id: str, gateway: Gateway, progress: Progress = no_progress,
                     confirm: Confirm | None = None, *, options: Mapping[str, Any] | None = None,
                     plan: FixPlan | None = None) -> AppliedFix:
    """Plan the fix for `cause_id`, ask `confirm`, apply it, re-diagnose, and say if the cause is gone.

    Refusals (read-only, unsafe), cancellations and API failures are recorded, never raised.
    CauseNotPresent and BadInput (an id not in the catalog) are raised: there is nothing to record.
    """
    if plan is None:
        diagnosis = current_diagnosis(session, gateway)
        try:
            plan = plan_fix(diagnosis, cause_id, gateway, read_only=session.read_only, options=options)
        except Refused as exc:
            return refusal(session, cause_id, str(exc))
        except ApiFailure as exc:
            return refusal(session, cause_id, f"could not read what the fix changes: {exc.explain()}", "failed")
    if not plan.automatic:
        return record(session, plan, "manual")
    if session.read_only or plan.read_only:
        return record(session, plan, "refused", error="read-only session: nothing was written")
    if confirm is not None and not confirm(plan):
        return record(session, plan, "cancelled")
    try:
        outcome = plan.apply(progress)
    except Refused as exc:
        return record(session, plan, "refused", error=str(exc))
    except ApiFailure as exc:
        return record(session, plan, "failed", error=exc.explain())
    progress(outcome.message)
    # The change goes on the timeline when it happens, before the re-diagnosis that judges it.
    session.record("fix", f"applying {plan.fix_id} for {plan.cause}: {outcome.message}",
                   cause=plan.cause, fix=plan.fix_id, outcome="applying", commands=list(plan.commands))
    progress("re-running the probes to verify")
    after = rediagnose(session, gateway)
    gone = cause_id not in after.cause_ids
    left = ", ".join(after.cause_ids) or "none"
    verification = (f"{cause_id} is gone; root causes left: {left}" if gone
                    else f"{cause_id} is still found: {next(c.summary for c in after.causes if c.id == cause_id)}")
    return record(session, plan, "applied", verified=gone, verification=verification)
