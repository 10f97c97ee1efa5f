"""What a probe is, and the context it runs in: shared fetches, observations, other probes."""

from __future__ import annotations

import re
import threading
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, TypeVar

from troubleshooter.facts.keys import FactKey
from troubleshooter.failures import ApiFailure
from troubleshooter.gateway import Gateway
from troubleshooter.model import Outcome, ProbeResult, Target
from troubleshooter.observations import Observations

T = TypeVar("T")


@dataclass(frozen=True)
class Probe:
    """One small data-gathering step, registered by id. Its module docstring documents it."""

    id: str
    title: str
    needs: tuple[str, ...]
    run: Callable[["ProbeContext"], ProbeResult]


class Fetcher:
    """Memoised, concurrent API reads: each resource is fetched once per run, on first ask."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._futures: dict[FactKey, Future[Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: FactKey, fn: Callable[[], T]) -> "Future[T]":
        with self._lock:
            fut = self._futures.get(key)
            if fut is None:
                fut = self._executor.submit(fn)
                self._futures[key] = fut
            return fut

    def result(self, key: FactKey, fn: Callable[[], T]) -> T:
        """Fetch (or join the fetch already under way) and wait; raises ApiFailure."""
        return self.get(key, fn).result()


@dataclass
class ProbeContext:
    """What a probe may use. Probes write facts into `obs` and return their result."""

    target: Target
    gateway: Gateway
    obs: Observations
    fetch: Fetcher
    signatures: Mapping[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    log_window_minutes: int = 60
    done: Mapping[str, threading.Event] = field(default_factory=dict)

    def wait_for(self, *probe_ids: str) -> None:
        for pid in probe_ids:
            ev = self.done.get(pid)
            if ev is not None:
                ev.wait()

    # Memoised reads the probes share; a fetch's FactKey is also its failure's key.
    def project(self, project: str) -> dict[str, Any]:
        return self.fetch.result(FactKey.project(project), lambda: self.gateway.get_project(project))

    def instance(self, project: str, instance: str) -> dict[str, Any]:
        return self.fetch.result(
            FactKey.instance(project, instance), lambda: self.gateway.get_instance(project, instance)
        )

    def iam_policy(self, project: str) -> dict[str, Any]:
        return self.fetch.result(FactKey.iam(project), lambda: self.gateway.get_iam_policy(project))


def failed_probe(probe: str, failures: list[ApiFailure], summary: str = "") -> ProbeResult:
    """A probe that could not read what it needed: uncertain, never a finding by itself."""
    text = summary or "; ".join(f.explain() for f in failures)
    return ProbeResult(probe, Outcome.UNCERTAIN, text, failures=list(failures))
