"""Injected faults: which calls fail or stall, and how many times each fault still applies."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Sequence

from troubleshooter.world import Fault

# The API whose short method names a fault may use unqualified when several services share them.
_PRIMARY_SERVICE = {"sqladmin": "SqlInstancesService"}


@dataclass(frozen=True)
class Rpc:
    """One API method as the sandbox serves it, and the IAM permission it needs."""

    api: str
    service: str
    method: str
    permission: str

    def matches(self, pattern: str) -> bool:
        """`*`, `Service/Method`, a full `pkg.Service/Method`, or the short method name."""
        if pattern in ("*", f"{self.service}/{self.method}") or pattern.endswith(
            f".{self.service}/{self.method}"
        ):
            return True
        if pattern == self.method:
            primary = _PRIMARY_SERVICE.get(self.api)
            return primary is None or primary == self.service
        return False


class FaultBook:
    """The world's faults with their remaining `times`, consumed atomically per call."""

    def __init__(self, faults: Sequence[Fault]) -> None:
        self._lock = threading.Lock()
        self._faults = list(faults)
        self._left: list[int | None] = [f.times for f in self._faults]

    def take(self, rpc: Rpc, resource: str) -> Fault | None:
        """The first fault that applies to this call, its count decremented; None if none does."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.api != rpc.api or not rpc.matches(fault.method):
                    continue
                if fault.match and fault.match not in resource:
                    continue
                left = self._left[i]
                if left is not None:
                    if left <= 0:
                        continue
                    self._left[i] = left - 1
                return fault
        return None
