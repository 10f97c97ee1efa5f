"""What the screens show of a run: the engine's session and live walk, and the fix plans being
worked out in the background (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from troubleshooter.runner import ProbeEvent

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Diagnosis, Reported
    from troubleshooter.engine.compare import Comparison
    from troubleshooter.engine.run import DiagnosisRun
    from troubleshooter.engine.troubleshooting import Troubleshooting
    from troubleshooter.fixes.base import FixPlan
    from troubleshooter.graph import Walk
    from troubleshooter.model import ProbeResult
    from troubleshooter.session import AppliedFix, Session


@dataclass
class RunState:
    """The operator's run as the screens show it; the engine decides, this keeps the plans."""

    engine: "Troubleshooting"
    plans: dict[str, "FixPlan"] = field(default_factory=dict)
    planning: set[str] = field(default_factory=set)
    plan_errors: dict[str, str] = field(default_factory=dict)
    fix_log: list[str] = field(default_factory=list)
    fix_result: "AppliedFix | BaseException | None" = None
    sibling_search: str = ""                  # "" not started | "searching" | "done"
    sibling: "Comparison | None" = None       # the comparison with a healthy sibling, if one was found

    # -- what the engine knows ------------------------------------------------------

    @property
    def session(self) -> "Session":
        return self.engine.session

    @property
    def run(self) -> "DiagnosisRun | None":
        return self.engine.run

    @property
    def symptoms(self) -> list[str]:
        return self.engine.symptoms

    @property
    def suggested(self) -> tuple[list[str], str] | None:
        return self.engine.suggested

    @property
    def walk(self) -> "Walk | None":
        return self.engine.walk

    @property
    def causes(self) -> list["Reported"]:
        return self.engine.causes

    @property
    def findings(self) -> list["Reported"]:
        return self.engine.findings

    @property
    def can_rerun(self) -> bool:
        return self.engine.can_rerun

    # -- the operator's run ---------------------------------------------------------

    def start_probes(self) -> "DiagnosisRun":
        """A fresh run of every probe (the operator's answers carry over)."""
        self.forget_plans()
        return self.engine.start_run()

    def probe_started(self, run: "DiagnosisRun", probe: str) -> bool:
        if not self.engine.is_current(run):
            return False  # a run that was replaced by a re-run
        self.engine.probe_event(run, ProbeEvent(probe))
        return True

    def probe_finished(self, run: "DiagnosisRun", result: "ProbeResult") -> "Diagnosis | None":
        return self.concluded(self.engine.probe_event(run, ProbeEvent(result.probe, result)))

    def choose(self, symptoms: list[str]) -> "Diagnosis | None":
        return self.concluded(self.engine.choose(symptoms))

    def answer(self, question: str, choice: str) -> "Diagnosis | None":
        return self.concluded(self.engine.answer(question, choice))

    def concluded(self, diagnosis: "Diagnosis | None") -> "Diagnosis | None":
        if diagnosis is not None:
            self.forget_plans()  # plans are worked out from the diagnosis they fix
        return diagnosis

    # -- fixes ----------------------------------------------------------------------

    def planned(self, cause: str, plan: "FixPlan") -> None:
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

    def applied(self, result: "AppliedFix") -> None:
        """The fix ran and the probes were re-run: the engine shows the verification run now."""
        self.fix_result = result
        self.forget_plans()
