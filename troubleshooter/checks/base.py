"""What a check is: a pure verdict on one root cause or finding, from the typed facts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from troubleshooter.facts.read import Facts
from troubleshooter.model import CheckResult
from troubleshooter.observations import Observations


@dataclass(frozen=True)
class Check:
    """Registered by id; the decision graph's check nodes name it. FAILED = the cause holds."""

    id: str                         # what it asks and why is in the decision tree's check node
    produces: str | None            # the root-cause or finding id it can report (None for routing)
    # The probes whose facts it reads: the live walk keeps it pending until they finish
    # (tests/unit/test_check_probes.py holds this against what `judge` really reads).
    probes: tuple[str, ...]
    judge: Callable[[Facts], CheckResult]

    def evaluate(self, obs: Observations) -> CheckResult:
        return self.judge(Facts(obs))

    @classmethod
    def reporting(cls, cause: str, *, probes: tuple[str, ...],
                  judge: Callable[[Facts], CheckResult]) -> "Check":
        """The check of one catalog cause or finding: its id is the id it reports."""
        return cls(id=cause, produces=cause, probes=probes, judge=judge)
