"""Probe `logs`: recent log lines of the target that match a known symptom.

Reads Cloud Logging v2 `entries.list` for the target's resource, newest first:
`resource.type="cloud_run_revision"` with `service_name` (jobs: `cloud_run_job`, `job_name`),
`location`, and `timestamp` inside the last `ctx.log_window_minutes`. There is deliberately no
severity filter: plain stdout/stderr lines arrive with severity `DEFAULT`, and that is where
`connection refused` or `password authentication failed` usually is.

Each entry's text (`textPayload`, `jsonPayload.message` or the whole `jsonPayload`,
`protoPayload.status.message`) is matched against the decision graph's symptom signatures
(`ctx.signatures`); per symptom `obs.logs[id]` keeps the count, first and last timestamp, up
to five example lines (redacted: DSNs in logs carry passwords), the log names and the
revisions or executions they came from. `obs.log_entries_seen` counts every entry read.
A line no signature matches is held against the family of database-connection errors
(troubleshooter/db_errors.py): it counts under the symptom it is evidence of, or under
`db-error:KIND` (refused, unresolvable, timeout, terminated...), so that no verdict is
`healthy` while the window holds database errors.

When the lines show connections dying under the app, the instances' recent Cloud SQL operations
are read too (probes/sql_operations.py: operations.list, after `app-settings`), and named in the
summary when there are some.

Permissions: `logging.logEntries.list`; `cloudsql.instances.get` for the operations.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from troubleshooter import db_errors
from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
from troubleshooter.model import Evidence, LogMatch, Outcome, ProbeResult, Target
from troubleshooter.probes.base import Probe, ProbeContext
from troubleshooter.facts.operations import drop_times
from troubleshooter.probes.common import record, settle
from troubleshooter.probes.sql_operations import read_operations, window_minutes
from troubleshooter.redact import redact

ID = sources.LOGS
_EXAMPLES = 5
_MAX_LINE = 1000  # a stack trace is not evidence; its first lines are
_EXECUTION_LABEL = "run.googleapis.com/execution_name"
_STAMPED, _STAMPED_LINE = 500, 200  # every entry read (the gateway's cap), its line's head


def log_filter(target: Target, since: datetime) -> str:
    """The Logging query for the target's own entries since `since` (no severity filter)."""
    if target.kind == "job":
        resource = f'resource.type="cloud_run_job" AND resource.labels.job_name="{target.name}"'
    else:
        resource = (
            f'resource.type="cloud_run_revision" '
            f'AND resource.labels.service_name="{target.name}"'
        )
    stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'{resource} AND resource.labels.location="{target.region}" AND timestamp>="{stamp}"'


def entry_text(entry: Mapping[str, Any]) -> str:
    """The human-readable text of a LogEntry, whichever payload it has."""
    if entry.get("textPayload"):
        return str(entry["textPayload"])
    payload = entry.get("jsonPayload")
    if isinstance(payload, Mapping):
        message = payload.get("message") or payload.get("msg")
        if isinstance(message, str) and message:
            return message
        return json.dumps(payload, ensure_ascii=False, sort_keys=True)
    proto = entry.get("protoPayload")
    if isinstance(proto, Mapping):
        status = proto.get("status")
        if isinstance(status, Mapping) and status.get("message"):
            return str(status["message"])
    return ""


def _origin(entry: Mapping[str, Any]) -> str:
    labels = (entry.get("resource") or {}).get("labels") or {}
    return str(
        labels.get("revision_name")
        or (entry.get("labels") or {}).get(_EXECUTION_LABEL)
        or labels.get("job_name")
        or ""
    )


def run(ctx: ProbeContext) -> ProbeResult:
    t = ctx.target
    since = datetime.now(timezone.utc) - timedelta(minutes=ctx.log_window_minutes)
    query = log_filter(t, since)
    entries, failure = settle(
        ctx.fetch.get(FactKey.logs(), lambda: ctx.gateway.list_log_entries(t.project, query))
    )
    if failure is not None:
        record(ctx, FactKey.logs(), failure)
        return ProbeResult(ID, Outcome.UNCERTAIN, failure.explain(), failures=[failure])
    entries = entries or []

    hits: dict[str, list[tuple[Mapping[str, Any], str]]] = {}
    for entry in entries:  # newest first, as the gateway asks for
        text = entry_text(entry)
        if not text:
            continue
        matched = False
        for symptom, patterns in ctx.signatures.items():
            if any(p.search(text) for p in patterns):
                hits.setdefault(symptom, []).append((entry, text))
                matched = True
        if not matched:
            # No symptom's signature: is it a database-connection error all the same? A line
            # of the family counts under its symptom when it has one, else as db-error:KIND,
            # so a diagnosis never calls healthy what the logs show failing.
            sig = db_errors.classify(text)
            if sig is not None:
                key = sig.symptom or f"{db_errors.PREFIX}{sig.kind}"
                hits.setdefault(key, []).append((entry, text))

    matches = {s: _match(s, found) for s, found in hits.items()}
    with ctx.obs.lock:
        ctx.obs.logs.update(matches)
        ctx.obs.log_entries_seen = len(entries)

    # Connections dying under the app: Cloud SQL's own history says whether maintenance, a
    # failover or a restart closed them (probes/sql_operations.py; no call otherwise).
    ops_evidence, ops_failures, ops_seen = ([], [], 0)
    if drop_times(matches.values()):
        ops_evidence, ops_failures, ops_seen = read_operations(ctx)
    evidence = [
        Evidence(ID, "textPayload",
                 f"{m.count} line{'s' if m.count != 1 else ''} between {m.first_seen} and {m.last_seen}",
                 sources.LOGGING_API, ", ".join(m.resources), f"{m.symptom}: {m.lines[0]}")
        for m in matches.values()
    ]
    found = ", ".join(f"{s} ({m.count})" for s, m in matches.items()) or "no known symptom"
    summary = f"{len(entries)} entries in the last {ctx.log_window_minutes} min: {found}"
    if ops_seen:
        summary += f"; {ops_seen} Cloud SQL operation(s) in the last {window_minutes(ctx)} min"
    if ops_failures:
        return ProbeResult(ID, Outcome.UNCERTAIN, summary, evidence + ops_evidence, ops_failures)
    return ProbeResult(ID, Outcome.OK, summary, evidence + ops_evidence)


def _match(symptom: str, found: list[tuple[Mapping[str, Any], str]]) -> LogMatch:
    entries = [e for e, _ in found]
    # Entries arrive newest first, so the ends of the list are the last and first sightings.
    stamps = [str(e["timestamp"]) for e in entries if e.get("timestamp")]
    lines = tuple(redact(text)[:_MAX_LINE] for _, text in found[:_EXAMPLES])
    log_names = tuple(dict.fromkeys(str(e["logName"]) for e in entries if e.get("logName")))
    origins = tuple(dict.fromkeys(o for o in map(_origin, entries) if o))
    return LogMatch(
        symptom=symptom,
        count=len(entries),
        first_seen=stamps[-1] if stamps else "",
        last_seen=stamps[0] if stamps else "",
        lines=lines,
        log_names=log_names,
        resources=origins,
        stamped=tuple((str(e.get("timestamp") or ""), redact(text)[:_STAMPED_LINE])
                      for e, text in found[:_STAMPED]),
    )


PROBE = Probe(id=ID, title="Logs", needs=(), run=run)
