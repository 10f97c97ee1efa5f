"""Cloud SQL operations as the checks read them: what the instance itself did, and when.

An `operations.list` item (Cloud SQL Admin v1 Operation, REST JSON) typed: its `operationType`
(MAINTENANCE, FAILOVER, RESTART, UPDATE...), `status`, `insertTime`/`startTime`/`endTime`, the
instance (`targetProject:targetId`), who started it (`user`) and its `error`. Which types close
established connections, and how close in time a dropped connection must be to be explained by
one, are decided here once (the check and the RCA use the same answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from troubleshooter.facts import sources
from troubleshooter.model import Evidence, LogMatch

# Operation types that restart the database server or move it (every client connection is
# closed): maintenance, HA failover and switchover, restarts (AUTO_RESTART is Cloud SQL's own),
# an UPDATE (a tier, flag or network change restarts the instance: "Most changes to an instance
# require a restart", cloud.google.com/sql/docs/postgres/edit-instance), a major version
# upgrade, a restore, a replica promotion.
DISRUPTIVE = frozenset({
    "MAINTENANCE", "SELF_SERVICE_MAINTENANCE", "CLUSTER_MAINTENANCE", "FAILOVER", "SWITCHOVER",
    "SWITCHOVER_TO_REPLICA", "RESTART", "AUTO_RESTART", "UPDATE", "MAJOR_VERSION_UPGRADE",
    "RESTORE_VOLUME", "PROMOTE_REPLICA", "RECONFIGURE_OLD_PRIMARY",
})
# How near a dropped connection must be to an operation to be explained by it. Connections die
# during the operation; a pool notices a dead one only on its next borrow, which on a quiet
# service is minutes later. The tool's judgement, not a documented figure.
NEAR_BEFORE = timedelta(minutes=2)
NEAR_AFTER = timedelta(minutes=10)

# An established connection died under the app (drivers' and Postgres'/MySQL's own words).
DROPPED_CONNECTION = re.compile(
    r"(?i)Connection terminated unexpectedly|server closed the connection unexpectedly|"
    r"terminating connection due to administrator command|Lost connection to MySQL server|"
    r"MySQL server has gone away|Connection terminated due to connection timeout|"
    r"PROTOCOL_CONNECTION_LOST|ConnectionDoesNotExistError|driver: bad connection|"
    r"Communications link failure|This connection has been closed|SSL connection has been closed unexpectedly"
)
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$")


def parse_time(text: Any) -> datetime | None:
    """An RFC 3339 timestamp (any fraction length) as an aware datetime, or None."""
    m = _STAMP.match(str(text or ""))
    if not m:
        return None
    day, clock, frac, zone = m.groups()
    offset = "+00:00" if zone in ("Z", "z") else zone
    return datetime.fromisoformat(f"{day}T{clock}.{(frac or '0')[:6].ljust(6, '0')}{offset}")


@dataclass(frozen=True)
class SqlOperation:
    """One Cloud SQL operation of an instance, typed."""

    raw: Mapping[str, Any]

    @property
    def type(self) -> str:
        return str(self.raw.get("operationType") or "SQL_OPERATION_TYPE_UNSPECIFIED")

    @property
    def status(self) -> str:
        return str(self.raw.get("status") or "")

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @property
    def user(self) -> str:
        return str(self.raw.get("user") or "")

    @property
    def instance_key(self) -> str:
        return f"{self.raw.get('targetProject', '')}:{self.raw.get('targetId', '')}"

    @property
    def started(self) -> datetime | None:
        return parse_time(self.raw.get("startTime")) or parse_time(self.raw.get("insertTime"))

    @property
    def ended(self) -> datetime | None:
        return parse_time(self.raw.get("endTime"))

    @property
    def error(self) -> str:
        errors = (self.raw.get("error") or {}).get("errors") or []
        return "; ".join(f"{e.get('code', '')}: {e.get('message', '')}".strip(": ") for e in errors)

    @property
    def disruptive(self) -> bool:
        """A type that closes every connection to the instance."""
        return self.type in DISRUPTIVE

    def span(self, now: datetime | None = None) -> tuple[datetime, datetime] | None:
        """(start, end) of the operation; a running one ends now."""
        start = self.started
        if start is None:
            return None
        return start, self.ended or now or datetime.now(timezone.utc)

    def near(self, moment: datetime) -> bool:
        """Whether a dropped connection at `moment` falls in this operation's reach."""
        span = self.span()
        return span is not None and span[0] - NEAR_BEFORE <= moment <= span[1] + NEAR_AFTER

    def describe(self) -> str:
        """One line, as `gcloud sql operations list` would summarise it."""
        span = self.span()
        when = ""
        if span is not None:
            when = f" {span[0]:%H:%M:%S}" + (f"–{self.ended:%H:%M:%S}" if self.ended else " (still running)")
            when += " UTC"
        by = f" by {self.user}" if self.user else ""
        err = f", error {self.error}" if self.error else ""
        return f"{self.type} of {self.instance_key}{when} ({self.status or 'status unknown'}{by}{err})"

    def evidence(self) -> Evidence:
        # One "span" value rather than startTime/endTime: screens leave *Time keys of a value out
        # (log lines carry their own times), and here the time is the evidence.
        start, end = self.raw.get("startTime") or self.raw.get("insertTime"), self.raw.get("endTime")
        shown: dict[str, Any] = {"operationType": self.type, "status": self.status}
        if start:
            shown["span"] = f"{start} – {end}" if end else f"{start} – (running)"
        shown.update({k: self.raw[k] for k in ("user", "name") if self.raw.get(k)})
        return Evidence(sources.LOGS, "operations[]", shown, sources.SQL_API, self.instance_key)


def operations_near(ops: Iterable[SqlOperation], moments: Iterable[datetime]) -> list[SqlOperation]:
    """The disruptive operations some of `moments` fall near, in time order."""
    times = list(moments)
    hits = [op for op in ops if op.disruptive and any(op.near(t) for t in times)]
    return sorted(hits, key=lambda op: op.started or datetime.min.replace(tzinfo=timezone.utc))


def drop_times(matches: Iterable[LogMatch]) -> list[datetime]:
    """When connections died under the app: the time of every dropped-connection log line."""
    out: set[datetime] = set()
    for m in matches:
        if not m.count:
            continue
        stamped = m.stamped or tuple((t, ln) for t in (m.last_seen, m.first_seen) if t for ln in m.lines[:1])
        for stamp, text in stamped:
            t = parse_time(stamp)
            if t is not None and DROPPED_CONNECTION.search(text):
                out.add(t)
    return sorted(out)
