"""Cloud Logging API v2 over REST: `entries:list` with filter, order and real pagination."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any, Callable

from troubleshooter.sandbox.errors import invalid
from troubleshooter.sandbox.faults import Rpc
from troubleshooter.sandbox.paging import paginate
from troubleshooter.sandbox.rest import Request, Route, route
from troubleshooter.sandbox.state import WorldState
from troubleshooter.world import parse_rfc3339

EntryPredicate = Callable[[dict[str, Any]], bool]
FilterCompiler = Callable[[str], EntryPredicate]

_LIST = Rpc("logging", "LoggingServiceV2", "ListLogEntries", "logging.logEntries.list")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def default_filter_compiler() -> FilterCompiler:
    """The sandbox's evaluator of Logging's query language (troubleshooter.sandbox.logfilter)."""
    from troubleshooter.sandbox import logfilter

    return logfilter.compile_filter


def _when(entry: dict[str, Any]) -> datetime:
    try:
        return parse_rfc3339(str(entry.get("timestamp") or entry.get("receiveTimestamp")))
    except ValueError:
        return _EPOCH


class LoggingApi:
    """Log entries of the world's projects, newest last in the file, ordered as asked."""

    def __init__(self, state: WorldState, compile_filter: FilterCompiler | None = None) -> None:
        self.state = state
        self._compile = compile_filter

    def routes(self) -> list[Route]:
        return [route("POST", "/v2/entries:list", _LIST, self.list_entries, resource=self._resource)]

    @staticmethod
    def _resource(req: Request) -> str:
        names = req.body.get("resourceNames") if isinstance(req.body, dict) else None
        return ",".join(names) if isinstance(names, list) else ""

    def list_entries(self, req: Request) -> dict[str, Any]:
        body = req.body if isinstance(req.body, dict) else {}
        names = body.get("resourceNames") or [f"projects/{p}" for p in body.get("projectIds") or []]
        if not names:
            raise invalid("Resource names must be specified.")
        projects = [n.removeprefix("projects/") for n in names if n.startswith("projects/")]
        order = (body.get("orderBy") or "timestamp asc").strip().lower()
        if order not in ("timestamp asc", "timestamp desc"):
            raise invalid(f"Invalid orderBy: {body.get('orderBy')!r}; use 'timestamp asc' or 'timestamp desc'.")
        keep = self._predicate(body.get("filter") or "")
        with self.state.lock:
            entries = [
                copy.deepcopy(e) for e in self.state.data.get("logEntries", [])
                if any(self.state.same_project(_project_of(e), p) for p in projects)
            ]  # fmt: skip
        entries = [e for e in entries if keep(e)]
        # Stable sort: entries with equal timestamps keep the file's order (reversed for desc).
        indexed = sorted(enumerate(entries), key=lambda ie: (_when(ie[1]), ie[0]), reverse=order.endswith("desc"))
        ordered = [e for _, e in indexed]
        size = body.get("pageSize") or body.get("maxResults")
        page, token = paginate(ordered, int(size) if size else None, body.get("pageToken"), default=50)
        out: dict[str, Any] = {"entries": page} if page else {}
        if token:
            out["nextPageToken"] = token
        return out

    def _predicate(self, text: str) -> EntryPredicate:
        if not text.strip():
            return lambda _e: True
        compile_filter = self._compile or default_filter_compiler()
        try:
            return compile_filter(text)
        except ValueError as exc:  # logfilter.FilterError is a ValueError
            raise invalid(f"Invalid filter: {exc}") from None


def _project_of(entry: dict[str, Any]) -> str:
    parts = str(entry.get("logName", "")).split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "projects" else ""
