"""Log signals as the checks read them: evidence of a match, connection names in its lines."""

from __future__ import annotations

import re

from troubleshooter.facts import sources
from troubleshooter.model import Evidence, LogMatch

_CLOUDSQL_IN_LOG = re.compile(
    r"""Cloud SQL instance "([^"]*)" is not reachable|/cloudsql/([^/"'\s]+)"""
)


def log_ev(m: LogMatch) -> Evidence:
    """Log lines are redacted by the logs probe; show a few as they were matched."""
    return Evidence(
        sources.LOGS, f"logs[{m.symptom}]",
        {"count": m.count, "lastSeen": m.last_seen, "lines": list(m.lines[:3])},
        sources.LOGGING_API, ", ".join(m.resources[:3]),
    )


def names_in_logs(m: LogMatch | None) -> list[str]:
    """Connection names the app opened, from socket-not-found lines (platform or driver)."""
    out: list[str] = []
    for line in (m.lines if m else ()):
        for a, b in _CLOUDSQL_IN_LOG.findall(line):
            n = a or b
            if n and n not in out:
                out.append(n)
    return out
