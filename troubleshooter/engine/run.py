"""One diagnosis run: the probes as they finish, the walk over what is known so far, the diagnosis.

`diagnose()` (batch) and the TUI (live) drive the same object: the TUI walks after every probe
and shows checks still waiting as pending; the batch run walks once, at the end.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Mapping

from troubleshooter.diagnosis import (
    Diagnosis,
    Reported,
    default_log_window,
    detect_symptoms,
    evaluate_walk,
    report,
)
from troubleshooter.gateway import Gateway
from troubleshooter.graph import DecisionGraph, Walk
from troubleshooter.model import ProbeResult, Target
from troubleshooter.observations import Observations
from troubleshooter.probes import ALL_PROBES
from troubleshooter.probes.base import Fetcher
from troubleshooter.runner import Listener, ProbeEvent, run_probes

RUNNING = "running"
WAITING = "waiting"
# The probes whose facts pick the entry symptom: the logs, and the deploy state.
_SYMPTOM_PROBES = frozenset({"logs", "run-config"})


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class DiagnosisRun:
    """The probes of one run (waiting, running or done), what they observed, and the walk over it."""

    target: Target
    graph: DecisionGraph = field(repr=False)
    obs: Observations = field(repr=False)
    probe_ids: tuple[str, ...]
    log_window_minutes: int
    status: dict[str, str] = field(default_factory=dict)       # waiting | running | ok | failed | ...
    results: dict[str, ProbeResult] = field(default_factory=dict, repr=False)
    started_at: datetime = field(default_factory=_now)
    finished_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def start(cls, target: Target, graph: DecisionGraph, *, answers: Mapping[str, str] | None = None,
              log_window_minutes: int | None = None, read_secrets: bool = False) -> "DiagnosisRun":
        """A run about to probe `target`; the operator's answers (and whether they let it read
        Secret Manager values) are known from the start."""
        obs = Observations(target)
        obs.answers.update(answers or {})
        obs.read_secrets = read_secrets
        ids = tuple(p.id for p in ALL_PROBES)
        window = log_window_minutes if log_window_minutes is not None else default_log_window(target)
        return cls(target, graph, obs, ids, window, {pid: WAITING for pid in ids})

    @classmethod
    def of(cls, diagnosis: Diagnosis) -> "DiagnosisRun":
        """A finished run rebuilt from a diagnosis (e.g. the verification after a fix)."""
        results = dict(diagnosis.probes)
        return cls(diagnosis.target, diagnosis.graph, diagnosis.obs, tuple(results),
                   default_log_window(diagnosis.target),
                   {pid: r.outcome.value for pid, r in results.items()}, results,
                   diagnosis.started_at, diagnosis.finished_at)

    # -- probing ----------------------------------------------------------------------

    def execute(self, gateway: Gateway, listener: Listener | None = None, *,
                fetcher: Fetcher | None = None, sequential: bool = False) -> None:
        """Run every probe concurrently (blocking). Each start and finish goes to `listener`, which
        must hand it back to `record` (the TUI does so on its event loop); without one, each is
        recorded as it happens. `fetcher` shares reads beyond this run, and `sequential` runs
        the probes in dependency order in this thread (a scan's, engine/fleet.py)."""
        run_probes(self.target, gateway, ALL_PROBES, signatures=self.graph.signatures(),
                   log_window_minutes=self.log_window_minutes, listener=listener or self.record,
                   obs=self.obs, fetcher=fetcher, sequential=sequential)

    def record(self, event: ProbeEvent) -> None:
        """A probe started (no result yet) or finished."""
        with self._lock:
            if event.result is None:
                self.status[event.probe] = RUNNING
                return
            self.results[event.probe] = event.result
            self.status[event.probe] = event.result.outcome.value
            if len(self.results) == len(self.probe_ids):
                self.finished_at = _now()

    @property
    def pending(self) -> set[str]:
        with self._lock:
            return {pid for pid in self.probe_ids if pid not in self.results}

    @property
    def done(self) -> bool:
        return not self.pending

    # -- what it means ----------------------------------------------------------------

    def answer(self, question: str, choice: str) -> None:
        self.obs.answers[question] = choice

    def detected_symptoms(self) -> tuple[list[str], str] | None:
        """The symptoms the logs (or the deploy state) point at, once the probes that tell are done."""
        if _SYMPTOM_PROBES & self.pending:
            return None
        return detect_symptoms(self.obs)

    def walk(self, symptoms: Iterable[str]) -> Walk:
        """The walk over what is known so far; checks still waiting for probes show as pending."""
        symptoms = list(symptoms)
        self.obs.symptoms = symptoms  # routing checks read them
        return evaluate_walk(self.graph, self.obs, symptoms, pending_probes=self.pending)

    def report(self, walk: Walk) -> tuple[list[Reported], list[Reported]]:
        """The causes and findings `walk` reached, with their fixes."""
        return report(self.graph, self.target, walk)

    def conclude(self, symptoms: list[str] | None = None, source: str | None = None) -> Diagnosis:
        """The run as a Diagnosis; the symptoms default to those the observations point at."""
        if symptoms is None:
            symptoms, source = detect_symptoms(self.obs)
        w = self.walk(symptoms)
        causes, findings = self.report(w)
        with self._lock:
            probes = {pid: self.results[pid] for pid in self.probe_ids if pid in self.results}
        return Diagnosis(
            target=self.target, symptoms=list(symptoms), symptom_source=source or "operator",
            graph=self.graph, obs=self.obs, probes=probes, walk=w, started_at=self.started_at,
            finished_at=self.finished_at or _now(), causes=causes, findings=findings,
        )


def diagnose(
    target: Target,
    gateway: Gateway,
    graph: DecisionGraph,
    *,
    symptom: str | None = None,
    answers: Mapping[str, str] | None = None,
    listener: Listener | None = None,
    log_window_minutes: int | None = None,
    read_secrets: bool = False,
) -> Diagnosis:
    """One full, non-interactive run: every probe concurrently, then the walk. Secret Manager
    payloads are read only when `read_secrets` (the operator's consent)."""
    run = DiagnosisRun.start(target, graph, answers=answers, log_window_minutes=log_window_minutes,
                             read_secrets=read_secrets)

    def relay(event: ProbeEvent) -> None:
        run.record(event)
        if listener is not None:
            listener(event)

    run.execute(gateway, relay)
    if symptom:
        return run.conclude([symptom], "flag")
    return run.conclude()
