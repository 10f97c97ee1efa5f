"""A troubleshooting session: target, diagnoses, answers, fixes applied, and a timeline.

The RCA report and the screens are built from this object, never from widgets. It is not
global: each run of the CLI or the TUI makes its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from troubleshooter.model import Target

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Diagnosis
    from troubleshooter.graph import DecisionGraph


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class TimelineEvent:
    """Something that happened in the session, in the order it happened."""

    at: datetime
    kind: str          # session | probe | symptom | walk | answer | diagnosis | fix | verify
    text: str          # one line for people (already redacted)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class AppliedFix:
    """A fix that was planned and applied (or refused, cancelled, failed), and its verification."""

    cause: str
    fix_id: str
    commands: list[str]
    change: list[tuple[str, Any, Any]]       # (field, before, after), redacted
    outcome: str                             # applied | failed | cancelled | refused | dry-run | manual
    at: datetime = field(default_factory=now)
    error: str | None = None
    verified: bool | None = None             # None until the probes have been re-run
    verification: str = ""


@dataclass
class Session:
    target: Target
    graph: "DecisionGraph"
    started_at: datetime = field(default_factory=now)
    diagnoses: list["Diagnosis"] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    fixes: list[AppliedFix] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    read_only: bool = False
    sandboxed: bool = False
    scenario: str | None = None

    def record(self, kind: str, text: str, **detail: Any) -> TimelineEvent:
        event = TimelineEvent(now(), kind, text, detail)
        self.timeline.append(event)
        return event

    def add_diagnosis(self, diagnosis: "Diagnosis") -> None:
        """Keep a run and put what it did on the timeline."""
        first = not self.diagnoses
        self.diagnoses.append(diagnosis)
        for probe in diagnosis.probes.values():
            self.record("probe", f"{probe.probe}: {probe.outcome.value}"
                        + (f" ({probe.summary})" if probe.summary else ""),
                        probe=probe.probe, outcome=probe.outcome.value, ms=probe.duration_ms)
        if first:
            self.record("symptom", f"symptom {', '.join(diagnosis.symptoms)} (from {diagnosis.symptom_source})",
                        symptoms=diagnosis.symptoms, source=diagnosis.symptom_source)
        found = ", ".join(diagnosis.cause_ids) or "none"
        self.record("diagnosis" if first else "verify",
                    f"{'diagnosis' if first else 're-diagnosis'}: root causes {found}; "
                    f"findings {', '.join(diagnosis.finding_ids) or 'none'}",
                    causes=diagnosis.cause_ids, findings=diagnosis.finding_ids,
                    status=diagnosis.status)

    def answer(self, question: str, choice: str) -> None:
        self.answers[question] = choice
        self.record("answer", f"answered {question}: {choice}", question=question, choice=choice)

    @property
    def initial(self) -> "Diagnosis | None":
        return self.diagnoses[0] if self.diagnoses else None

    @property
    def current(self) -> "Diagnosis | None":
        return self.diagnoses[-1] if self.diagnoses else None

    @property
    def status(self) -> str:
        """resolved | root-cause-found | no-cause-found | inconclusive | not-run"""
        if not self.diagnoses:
            return "not-run"
        first, last = self.diagnoses[0], self.diagnoses[-1]
        if first.causes and not last.causes and any(f.outcome == "applied" for f in self.fixes):
            return "resolved"
        return last.status
