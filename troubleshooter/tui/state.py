"""What one troubleshooting run holds for the screens: session, probes, symptoms, walk, fix plans (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from troubleshooter.tui.run import ProbeRun

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Diagnosis, Reported
    from troubleshooter.graph import Walk
    from troubleshooter.model import ProbeResult
    from troubleshooter.session import Session


@dataclass
class RunState:
    """The operator's run as the screens show it; every change goes through a method here."""

    session: "Session"
    probe_run: ProbeRun | None = None
    concluded: bool = False                 # the current probe run is in the session as a Diagnosis
    symptoms: list[str] = field(default_factory=list)
    symptom_source: str = ""
    suggested: tuple[list[str], str] | None = None
    walk: "Walk | None" = None
    causes: list["Reported"] = field(default_factory=list)
    findings: list["Reported"] = field(default_factory=list)
    plans: dict[str, Any] = field(default_factory=dict)
    planning: set[str] = field(default_factory=set)
    plan_errors: dict[str, str] = field(default_factory=dict)
    fix_log: list[str] = field(default_factory=list)
    fix_result: Any = None

    # -- probes ---------------------------------------------------------------------

    def start_probes(self) -> ProbeRun:
        """A fresh run of every probe (the operator's answers carry over)."""
        s = self.session
        self.probe_run = ProbeRun.start(s.target, s.graph, dict(s.answers))
        self.concluded = False
        self.forget_plans()
        return self.probe_run

    def probe_started(self, run: ProbeRun, probe: str) -> bool:
        if run is not self.probe_run:
            return False  # a run that was replaced by a re-run
        run.started(probe)
        return True

    def probe_finished(self, run: ProbeRun, result: "ProbeResult") -> "Diagnosis | None":
        if run is not self.probe_run:
            return None
        run.finished(result)
        if self.suggested is None:
            self.suggested = run.detected_symptoms()
        return self.rewalk()

    # -- the walk -------------------------------------------------------------------

    def rewalk(self) -> "Diagnosis | None":
        """Walk again over what is known; returns the Diagnosis to add when this run first concludes."""
        run = self.probe_run
        if run is None or not self.symptoms:
            return None
        self.walk = run.walk(self.symptoms)
        self.causes, self.findings = run.report(self.walk)
        if not run.done:
            return None
        diagnosis = run.conclude(self.symptoms, self.symptom_source)
        if not self.concluded:
            self.concluded = True
            return diagnosis
        if self.session.diagnoses:
            self.session.diagnoses[-1] = diagnosis  # answers and symptom changes refine this run
        return None

    def choose(self, symptoms: list[str]) -> "Diagnosis | None":
        suggested = self.suggested[0] if self.suggested else []
        self.symptom_source = self.suggested[1] if self.suggested and symptoms == suggested else "operator"
        if self.concluded and symptoms != self.symptoms:
            self.session.record("symptom", f"symptom changed to {', '.join(symptoms)}", symptoms=symptoms)
        self.symptoms = list(symptoms)
        return self.rewalk()

    def answer(self, question: str, choice: str) -> "Diagnosis | None":
        assert self.probe_run is not None
        self.probe_run.obs.answers[question] = choice
        self.session.answer(question, choice)
        return self.rewalk()

    def add(self, diagnosis: "Diagnosis") -> None:
        self.session.add_diagnosis(diagnosis)
        self.forget_plans()  # plans are worked out from the diagnosis they fix

    # -- fixes ----------------------------------------------------------------------

    def planned(self, cause: str, plan: Any) -> None:
        self.planning.discard(cause)
        self.plans[cause] = plan

    def plan_failed(self, cause: str, reason: str) -> None:
        self.planning.discard(cause)
        self.plan_errors[cause] = reason

    def forget_plans(self) -> None:
        self.plans.clear()
        self.planning.clear()
        self.plan_errors.clear()

    def applying(self) -> None:
        self.fix_log, self.fix_result = [], None

    def applied(self, result: Any) -> None:
        """The fix ran and the probes were re-run: show the verification run from now on."""
        self.fix_result = result
        current = self.session.current
        if current is not None:
            self.probe_run = ProbeRun.of(current)
            self.concluded = True
            self.walk, self.causes, self.findings = current.walk, current.causes, current.findings
        self.forget_plans()

    @property
    def can_rerun(self) -> bool:
        return self.probe_run is None or self.probe_run.done
