"""The record of every API call the sandbox served (benchmarks and tests count them)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Call:
    """One served call: which API and RPC, on what resource, when, and how it ended."""

    api: str
    service: str
    method: str
    resource: str
    time: float
    status: str = "OK"
    duration: float = 0.0

    @property
    def qualified_method(self) -> str:
        return f"{self.service}/{self.method}"


class CallLog:
    """Thread-safe, append-only list of calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def entries(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def __iter__(self) -> Iterator[Call]:
        return iter(self.entries())

    def __len__(self) -> int:
        with self._lock:
            return len(self._calls)

    @property
    def call_count(self) -> int:
        return len(self)

    def count(self, api: str | None = None, method: str | None = None) -> int:
        """Calls to `api` (and `method`, short or `Service/Method`), or all calls."""
        return sum(
            1
            for c in self.entries()
            if (api is None or c.api == api)
            and (method is None or method in (c.method, c.qualified_method))
        )

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
