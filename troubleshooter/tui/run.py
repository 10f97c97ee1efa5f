"""One pass of the probes as the screens see it: live status, the walk so far, the diagnosis (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Diagnosis, Reported
    from troubleshooter.graph import DecisionGraph, Walk
    from troubleshooter.model import ProbeResult, Target
    from troubleshooter.observations import Observations

RUNNING = "running"
WAITING = "waiting"


@dataclass
class ProbeRun:
    """The probes of one run: which are waiting, running or done, and what they observed."""

    target: "Target"
    graph: "DecisionGraph" = field(repr=False)
    obs: "Observations" = field(repr=False)
    probe_ids: tuple[str, ...]
    status: dict[str, str] = field(default_factory=dict)       # waiting | running | ok | failed | ...
    results: dict[str, "ProbeResult"] = field(default_factory=dict, repr=False)
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    finished_at: datetime | None = None

    @classmethod
    def start(cls, target: "Target", graph: "DecisionGraph", answers: dict[str, str] | None = None) -> "ProbeRun":
        from troubleshooter.observations import Observations
        from troubleshooter.probes import ALL_PROBES

        obs = Observations(target)
        obs.answers.update(answers or {})
        ids = tuple(p.id for p in ALL_PROBES)
        return cls(target, graph, obs, ids, {pid: WAITING for pid in ids})

    @classmethod
    def of(cls, diagnosis: "Diagnosis") -> "ProbeRun":
        """A finished run rebuilt from a diagnosis (e.g. the verification after a fix)."""
        results = dict(diagnosis.probes)
        return cls(diagnosis.target, diagnosis.graph, diagnosis.obs, tuple(results),
                   {pid: r.outcome.value for pid, r in results.items()}, results,
                   diagnosis.started_at, diagnosis.finished_at)

    # -- progress -----------------------------------------------------------------

    def started(self, probe: str) -> None:
        self.status[probe] = RUNNING

    def finished(self, result: "ProbeResult") -> None:
        self.results[result.probe] = result
        self.status[result.probe] = result.outcome.value
        if self.done:
            self.finished_at = datetime.now(timezone.utc)

    @property
    def pending(self) -> set[str]:
        return {pid for pid in self.probe_ids if pid not in self.results}

    @property
    def done(self) -> bool:
        return not self.pending

    # -- what it means ------------------------------------------------------------

    def detected_symptoms(self) -> tuple[list[str], str] | None:
        """The symptoms the logs (or the deploy state) point at, once the probes that tell are done."""
        from troubleshooter.diagnosis import detect_symptoms

        if {"logs", "run-config"} & self.pending:
            return None
        return detect_symptoms(self.obs)

    def walk(self, symptoms: Iterable[str]) -> "Walk":
        """The walk over what is known so far; checks still waiting for probes show as pending."""
        from troubleshooter.diagnosis import evaluate_walk

        self.obs.symptoms = list(symptoms)  # routing checks read them, as in `diagnose`
        return evaluate_walk(self.graph, self.obs, list(symptoms), pending_probes=self.pending)

    def report(self, walk: "Walk") -> tuple[list["Reported"], list["Reported"]]:
        from troubleshooter.diagnosis import report

        return report(self.graph, self.target, walk)

    def conclude(self, symptoms: list[str], source: str) -> "Diagnosis":
        """The finished run as a Diagnosis (the same object `diagnose` returns)."""
        from troubleshooter.diagnosis import Diagnosis

        self.obs.symptoms = list(symptoms)
        w = self.walk(symptoms)
        causes, findings = self.report(w)
        return Diagnosis(
            target=self.target, symptoms=list(symptoms), symptom_source=source, graph=self.graph,
            obs=self.obs, probes={pid: self.results[pid] for pid in self.probe_ids if pid in self.results},
            walk=w, started_at=self.started_at, finished_at=self.finished_at or datetime.now(timezone.utc),
            causes=causes, findings=findings,
        )
