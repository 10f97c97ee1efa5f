"""What a check is: a pure verdict on one root cause or finding, from the observations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from troubleshooter.model import CheckResult
from troubleshooter.observations import Observations


@dataclass(frozen=True)
class Check:
    """Registered by id; the decision graph's check nodes name it. FAILED = the cause holds."""

    id: str                         # what it asks and why is in the decision tree's check node
    produces: str | None            # the root-cause or finding id it can report (None for routing)
    probes: tuple[str, ...]         # the probes whose facts it reads
    evaluate: Callable[[Observations], CheckResult]

    @classmethod
    def reporting(cls, cause: str, *, probes: tuple[str, ...],
                  evaluate: Callable[[Observations], CheckResult]) -> "Check":
        """The check of one catalog cause or finding: its id is the id it reports."""
        return cls(id=cause, produces=cause, probes=probes, evaluate=evaluate)
