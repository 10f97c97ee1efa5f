"""A troubleshooting session as the front ends drive it: diagnosis runs (batch or live), the
operator's symptom choice and answers, fix plans, and fixes applied and verified.

The CLI, the TUI and the tests all go through `Troubleshooting`; the Session it keeps is what the
RCA report is built from. Writes happen in exactly one place, `apply`, behind the read-only gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from troubleshooter.diagnosis import Diagnosis, Reported
from troubleshooter.engine.definition import Definition, judge_definition
from troubleshooter.engine.run import DiagnosisRun, diagnose
from troubleshooter.engine.workspace import Workspace
from troubleshooter.errors import BadInput, CloudUnreachable
from troubleshooter.facts.keys import FactKey
from troubleshooter.failures import ApiFailure
from troubleshooter.fixes.base import FixPlan, Progress, Refused, no_progress
from troubleshooter.fixes.plans import plan_fix
from troubleshooter.graph import Walk
from troubleshooter.model import Target
from troubleshooter.runner import Listener, ProbeEvent
from troubleshooter.session import AppliedFix, Session

Confirm = Callable[[FixPlan], bool]


@dataclass
class Troubleshooting:
    """One session on one target: every run, answer and fix goes through here."""

    workspace: Workspace = field(repr=False)
    session: Session
    run: DiagnosisRun | None = None
    # The live run as the operator sees it (the TUI): the chosen symptoms, the walk so far.
    symptoms: list[str] = field(default_factory=list)
    symptom_source: str = ""
    suggested: tuple[list[str], str] | None = None
    walk: Walk | None = None
    causes: list[Reported] = field(default_factory=list)
    findings: list[Reported] = field(default_factory=list)
    concluded: bool = False     # the current run is in the session as a Diagnosis
    # The operator's consent to read the Secret Manager values the app's settings name
    # (--read-secrets, or yes in the TUI's modal), for this session only.
    read_secrets: bool = False
    secrets_asked: bool = False  # the operator was asked (the TUI asks once per session)

    @classmethod
    def begin(cls, workspace: Workspace, target: Target, *, read_only: bool = False,
              scenario: str | None = None, answers: Mapping[str, str] | None = None,
              read_secrets: bool = False) -> "Troubleshooting":
        session = Session(target=target, graph=workspace.graph, read_only=read_only,
                          sandboxed=workspace.sandboxed, scenario=scenario)
        for question, choice in (answers or {}).items():
            session.answer(question, choice)
        return cls(workspace, session, read_secrets=read_secrets)

    @classmethod
    def adopting(cls, workspace: Workspace, diagnosis: Diagnosis, *, read_only: bool = False) -> "Troubleshooting":
        """A session that starts from a diagnosis made elsewhere (a scan's target): its walk,
        causes and fixes are there at once, as after a finished run."""
        engine = cls.begin(workspace, diagnosis.target, read_only=read_only)
        engine.session.add_diagnosis(diagnosis)
        engine.symptoms, engine.symptom_source = list(diagnosis.symptoms), diagnosis.symptom_source
        engine.suggested = (list(diagnosis.symptoms), diagnosis.symptom_source)
        engine.after_fix()
        return engine

    @property
    def target(self) -> Target:
        return self.session.target

    @property
    def read_only(self) -> bool:
        return self.session.read_only

    # -- batch ------------------------------------------------------------------------

    def diagnose(self, *, symptom: str | None = None, log_window_minutes: int | None = None,
                 listener: Listener | None = None) -> Diagnosis:
        """Run every probe, walk once, keep the diagnosis (the first one, or a re-diagnosis)."""
        if symptom is not None and f"symptom:{symptom}" not in self.workspace.graph.nodes:
            known = ", ".join(n.short for n in self.workspace.graph.of_kind("symptom"))
            raise BadInput(f"--symptom {symptom!r}: unknown symptom (known: {known})")
        found = diagnose(self.target, self.workspace.gateway, self.workspace.graph, symptom=symptom,
                         answers=self.session.answers, listener=listener,
                         log_window_minutes=log_window_minutes, read_secrets=self.read_secrets)
        self.session.add_diagnosis(found)
        return found

    def check(self, definition: Definition) -> Diagnosis:
        """Judge a definition not yet deployed as if it served (engine/definition.py); kept like a run."""
        found = judge_definition(self.target, self.workspace.gateway, self.workspace.graph, definition,
                                 answers=self.session.answers)
        self.session.add_diagnosis(found)
        return found

    def require_readable(self) -> None:
        """A target that could not be read at all is no diagnosis: BadInput (not found) or CloudUnreachable."""
        current = self.session.current
        failure = current.obs.failure(FactKey.run()) if current is not None else None
        if failure is None:
            return
        if failure.kind == "not-found":
            raise BadInput(f"{self.target.describe()} not found")
        raise CloudUnreachable(f"cannot read {self.target.describe()}: {failure.explain()}")

    def rediagnose(self) -> Diagnosis:
        """Every probe again, with the first run's symptom and the session's answers (verification)."""
        first = self.session.initial
        symptom = None
        if first is not None and len(first.symptoms) == 1 and first.symptom_source != "config":
            # A deploy-state symptom may be gone after the fix; a log or flag symptom is the same story.
            symptom = first.symptoms[0]
        return self.diagnose(symptom=symptom)

    # -- live (the TUI): probes arrive one by one, the operator chooses and answers ---

    def start_run(self) -> DiagnosisRun:
        """A fresh run of every probe (answers carry over); `execute` it in a worker."""
        self.run = DiagnosisRun.start(self.target, self.workspace.graph, answers=self.session.answers,
                                      read_secrets=self.read_secrets)
        self.concluded = False
        return self.run

    def probe_event(self, run: DiagnosisRun, event: ProbeEvent) -> Diagnosis | None:
        """Record a probe's start or finish and walk again; the Diagnosis when the run first concludes.
        Events of a run that was replaced by a re-run are ignored."""
        if run is not self.run:
            return None
        run.record(event)
        if event.result is None:
            return None
        if self.suggested is None:
            self.suggested = run.detected_symptoms()
        return self.rewalk()

    def secrets_to_ask(self) -> list[str]:
        """The secrets (names only) whose values would decide the app's settings, when the
        operator has not consented yet: the TUI asks about exactly these."""
        from troubleshooter.probes.secrets import payload_uses

        current = self.run.obs if self.run is not None else (
            self.session.current.obs if self.session.current is not None else None)
        if self.read_secrets or current is None:
            return []
        return list(dict.fromkeys(u.secret for u in payload_uses(current.secret_uses)))

    def consent_to_secrets(self, granted: bool) -> None:
        """The operator's yes or no, for this session; a yes takes effect on the next run."""
        self.read_secrets = granted
        self.session.record("consent", "Secret Manager values may be read for this session" if granted
                            else "Secret Manager values are not to be read")

    def is_current(self, run: DiagnosisRun) -> bool:
        return run is self.run

    def choose(self, symptoms: list[str]) -> Diagnosis | None:
        """The operator's (or the logs') symptoms; the walk follows them."""
        suggested = self.suggested[0] if self.suggested else []
        self.symptom_source = self.suggested[1] if self.suggested and symptoms == suggested else "operator"
        if self.concluded and symptoms != self.symptoms:
            self.session.record("symptom", f"symptom changed to {', '.join(symptoms)}", symptoms=symptoms)
        self.symptoms = list(symptoms)
        return self.rewalk()

    def answer(self, question: str, choice: str) -> Diagnosis | None:
        """An answer to a question no probe can decide; the live walk takes it at once."""
        self.session.answer(question, choice)
        if self.run is None:
            return None
        self.run.answer(question, choice)
        return self.rewalk()

    def rewalk(self) -> Diagnosis | None:
        """Walk the live run again; the Diagnosis (added to the session) when it first concludes."""
        run = self.run
        if run is None or not self.symptoms:
            return None
        self.walk = run.walk(self.symptoms)
        self.causes, self.findings = run.report(self.walk)
        if not run.done:
            return None
        diagnosis = run.conclude(self.symptoms, self.symptom_source)
        if not self.concluded:
            self.concluded = True
            self.session.add_diagnosis(diagnosis)
            return diagnosis
        if self.session.diagnoses:
            self.session.diagnoses[-1] = diagnosis  # answers and symptom changes refine this run
        return None

    @property
    def can_rerun(self) -> bool:
        return self.run is None or self.run.done

    # -- fixes ------------------------------------------------------------------------

    def current(self) -> Diagnosis:
        """The session's latest diagnosis, running the first one when there is none yet."""
        if self.session.current is None:
            self.diagnose()
        return self.session.current  # type: ignore[return-value]

    def plan(self, cause: str, options: Mapping[str, Any] | None = None) -> FixPlan:
        """The fix plan for a diagnosed cause (fresh reads). Raises CauseNotPresent, Refused,
        BadInput (not in the catalog) or ApiFailure (the resource could not be read)."""
        return plan_fix(self.current(), cause, self.workspace.gateway, options=options)

    def apply(self, cause: str, progress: Progress = no_progress, confirm: Confirm | None = None, *,
              options: Mapping[str, Any] | None = None, plan: FixPlan | None = None) -> AppliedFix:
        """Plan (unless given), ask `confirm`, apply, re-diagnose, and say whether the cause is gone.

        The one write path and its read-only gate. Refusals, cancellations and API failures are
        recorded, never raised; CauseNotPresent and BadInput are raised (nothing to record).
        """
        if plan is None:
            try:
                plan = self.plan(cause, options)
            except Refused as exc:
                return self.refused(cause, str(exc))
            except ApiFailure as exc:
                return self.refused(cause, f"could not read what the fix changes: {exc.explain()}", "failed")
        if not plan.automatic:
            return self.record(plan, "manual")
        if self.read_only:
            return self.record(plan, "refused", error="read-only session: nothing was written")
        if confirm is not None and not confirm(plan):
            return self.record(plan, "cancelled")
        try:
            outcome = plan.apply(progress)
        except Refused as exc:
            return self.record(plan, "refused", error=str(exc))
        except ApiFailure as exc:
            return self.record(plan, "failed", error=exc.explain())
        progress(outcome.message)
        # The change goes on the timeline when it happens, before the re-diagnosis that judges it.
        self.session.record("fix", f"applying {plan.fix_id} for {plan.cause}: {outcome.message}",
                            cause=plan.cause, fix=plan.fix_id, outcome="applying", commands=list(plan.commands))
        progress("re-running the probes to verify")
        after = self.rediagnose()
        gone = cause not in after.cause_ids
        left = ", ".join(after.cause_ids) or "none"
        verification = (f"{cause} is gone; root causes left: {left}" if gone
                        else f"{cause} is still found: {next(c.summary for c in after.causes if c.id == cause)}")
        if gone and outcome.not_serving:
            # Written, but the revision that serves traffic does not carry it: not fixed yet.
            gone, verification = False, f"{cause} is gone from the new revision, but {outcome.not_serving}"
        applied = self.record(plan, "applied", verified=gone, verification=verification)
        self.after_fix()
        return applied

    def after_fix(self) -> None:
        """Show the verification run from now on (the live view follows the session)."""
        current = self.session.current
        if current is not None:
            self.run = DiagnosisRun.of(current)
            self.concluded = True
            self.walk, self.causes, self.findings = current.walk, current.causes, current.findings

    def record(self, plan: FixPlan, outcome: str, *, error: str | None = None,
               verified: bool | None = None, verification: str = "") -> AppliedFix:
        """Keep the fix in the session, with one line on the timeline."""
        fix = AppliedFix(cause=plan.cause, fix_id=plan.fix_id, commands=list(plan.commands or plan.steps),
                         change=list(plan.change), outcome=outcome, error=error, verified=verified,
                         verification=verification)
        self.session.fixes.append(fix)
        text = {
            "dry-run": f"planned {plan.fix_id} for {plan.cause} (dry run, nothing changed)",
            "manual": f"{plan.cause} has no automatic fix: {len(plan.steps)} manual step(s) shown",
            "cancelled": f"{plan.fix_id} for {plan.cause} cancelled",
            "refused": f"refused {plan.fix_id} for {plan.cause}: {error}",
            "failed": f"{plan.fix_id} for {plan.cause} failed: {error}",
            "applied": f"verified {plan.fix_id} for {plan.cause}: "
                       + ("cause gone" if verified else "cause still found" if verified is False else "not verified"),
        }[outcome]
        self.session.record("fix", text, cause=plan.cause, fix=plan.fix_id, outcome=outcome,
                            commands=list(plan.commands), verified=verified)
        return fix

    def refused(self, cause: str, reason: str, outcome: str = "refused") -> AppliedFix:
        """A fix refused (or failed) before it had a plan: recorded like any other."""
        node = self.session.graph.cause_node(cause)
        fix_id = node.spec.fix.id if node is not None and node.spec.fix is not None else cause
        plan = FixPlan(cause=cause, fix_id=fix_id, title="", summary="", commands=[], change=[], risk="",
                       automatic=False)
        return self.record(plan, outcome, error=reason)
