"""The RCA report: markdown built from a Session (what was measured and done), never leaking a secret."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Iterable

from troubleshooter.catalog import SYMPTOMS
from troubleshooter.checks.routing import ROUTE_CHECKS
from troubleshooter.diagnosis import fill
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.operations import SqlOperation
from troubleshooter.graph import to_mermaid
from troubleshooter.model import Evidence, LogMatch
from troubleshooter.report_md import (
    cell,
    clip,
    code,
    fence,
    hms,
    scrub,
    secret_fragments,
    table,
    text,
    value_repr,
)
from troubleshooter.world import parse_rfc3339

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Diagnosis, Reported
    from troubleshooter.graph import Step
    from troubleshooter.session import AppliedFix, Session

STATUS_LABEL = {
    "resolved": "resolved",
    "root-cause-found": "root cause found",
    "no-cause-found": "no cause found",
    "inconclusive": "inconclusive",
    "unexplained": "unexplained",
    "not-run": "not diagnosed yet",
}


def _status(session: "Session") -> str:
    """The session's status, with the verdict where no cause holds: a run with database errors
    in its logs is `unexplained`, never "no cause found" (root-causes.md, "Verdicts")."""
    status = session.status
    d = session.current
    if d is not None and status in ("no-cause-found", "inconclusive"):
        return {"healthy": "no-cause-found"}.get(d.verdict, d.verdict)
    return status
STEP_MARK = {"entry": "▶", "failed": "✗", "ok": "✓", "uncertain": "?", "skipped": "–",
             "reached": "●", "pending": "…", "unanswered": "?"}
SEVERITY_ORDER = {"critical": 0, "error": 1, "warning": 2, "info": 3}
_MAX_EVIDENCE = 24      # a table longer than a screen stops being read
_MAX_LOG_LINES = 3


@dataclass(frozen=True)
class _Cause:
    """A root cause across the session: as first reported, and whether it is gone now."""

    item: "Reported"
    state: str                       # open | fixed | new (appeared in a re-diagnosis)


def build_report(session: "Session", *, now: datetime | None = None) -> str:
    """The RCA as CommonMark (GFM tables, a mermaid block), deterministic given session and `now`."""
    now = now or datetime.now(timezone.utc)
    day = session.started_at.astimezone(timezone.utc).strftime("%Y-%m-%d")
    causes = _causes(session)
    parts = [
        _title(session),
        _header(session, now, causes),
        _section("Summary", _summary(session, causes, day)),
        _section("Timeline (UTC)", _timeline(session, day)),
        _section("Evidence", _evidence(session, causes, day)),
        _section("Root causes", _root_causes(session, causes)),
        _section("Unexplained errors", _unexplained(session)),
        _section("Fix", _fix(session, causes, day)),
        _section("Findings", _findings(session)),
        _section("Prevention", _prevention(causes)),
        _section("Uncertain checks", _uncertain(session)),
        _section("Decision path", _decision_path(session, day)),
    ]
    document = "\n\n".join(p for p in parts if p).rstrip() + "\n"
    env: list[dict] = []
    for d in session.diagnoses:
        for source in (d.obs.run, d.obs.serving, d.obs.latest):
            env.extend(source.env if source is not None else ())
    return scrub(document, secret_fragments(env))


# --------------------------------------------------------------------------- head


def _title(session: "Session") -> str:
    name = session.target.name
    return {
        "resolved": f"# RCA: {name} could not reach Cloud SQL (resolved)",
        "root-cause-found": f"# RCA: {name} cannot reach Cloud SQL",
        "no-cause-found": f"# RCA: {name} and Cloud SQL: no root cause found",
        "inconclusive": f"# RCA: {name} and Cloud SQL: inconclusive",
        "unexplained": f"# RCA: {name} and Cloud SQL: database errors no known cause explains",
    }.get(_status(session), f"# RCA: {name}: not diagnosed yet")


def _header(session: "Session", now: datetime, causes: list[_Cause]) -> str:
    t = session.target
    status = f"**{STATUS_LABEL.get(_status(session), _status(session))}**"
    fixed = sum(c.state == "fixed" for c in causes)
    if session.status == "root-cause-found" and fixed:
        status += f" ({fixed} of {len(causes)} root causes fixed)"
    lines = [
        f"- **Date:** {session.started_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- **Target:** Cloud Run {t.kind} {code(t.name)}, project {code(t.project)}, region {code(t.region)}",
        f"- **Status:** {status}",
    ]
    d = session.initial
    if d is not None:
        lines.append(f"- **Symptom:** {_symptom_phrase(d)}")
    if session.sandboxed:
        where = f" (scenario {code(session.scenario)})" if session.scenario else ""
        lines.append(f"- **Environment:** sandbox{where}, not a live project")
    if session.read_only:
        lines.append("- **Mode:** read-only (no fix could be applied)")
    lines.append(f"- **Report generated:** {now.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
    return "\n".join(lines)


def _symptom_phrase(d: "Diagnosis") -> str:
    source = {"flag": "given by the operator", "logs": "seen in the logs",
              "config": "from the deploy state", "default": "nothing specific in the logs"}
    names = ", ".join(code(s) for s in d.symptoms)
    titles = "; ".join(text(_node_title(d, f"symptom:{s}")) for s in d.symptoms)
    return f"{names}: {titles} ({source.get(d.symptom_source, text(d.symptom_source))})"


def _section(title: str, body: str) -> str:
    return f"## {title}\n\n{body}" if body else ""


# --------------------------------------------------------------------------- summary


def _summary(session: "Session", causes: list[_Cause], day: str) -> str:
    d = session.initial
    t = session.target
    if d is None:
        return "No diagnosis has run yet."
    who = f"Cloud Run {t.kind} {code(t.name)}"
    seen = _symptom_sentence(d, day)
    status = _status(session)
    if status == "resolved":
        first = f"{who} could not reach its Cloud SQL database{seen}."
    elif causes:
        first = f"{who} cannot reach its Cloud SQL database{seen}."
    else:
        first = f"{who} was checked from end to end{seen or ''}."
    sentences = [first]
    if causes:
        if len(causes) == 1:
            c = causes[0].item
            sentences.append(f"Root cause ({code(c.id)}): {text(_gist(c.summary))}")
        else:
            listed = "; ".join(f"{i}) {text(c.item.title.rstrip('.'))}" for i, c in enumerate(causes, 1))
            sentences.append(f"{len(causes)} root causes, upstream first: {listed}.")
    elif status == "unexplained" and session.current is not None:
        signals = session.current.signals
        n = sum(m.count for m in signals)
        kinds = ", ".join(code(m.symptom) for m in signals)
        sentences.append(f"No known cause explains the {n} database-connection error"
                         f"{'s' if n != 1 else ''} in the logs ({kinds}): this is not healthy "
                         "(see Unexplained errors)")
    elif status == "inconclusive":
        n = len(session.current.uncertain) if session.current else 0
        sentences.append(f"No check found a cause, but {n} could not decide (see Uncertain checks).")
    else:
        sentences.append("Every check on the path passed: the connection path from Cloud Run to "
                         "Cloud SQL looks healthy.")
    sentences.append(_next_sentence(session, causes, day))
    return " ".join(_sentence(s) for s in sentences if s)


def _gist(summary: str) -> str:
    """The first sentence of a check's summary, cut at its first top-level ": " or "; " when it
    runs long: the full text is under Root causes, the summary has to fit on a screen."""
    s = summary.strip()
    depth, cut = 0, len(s)
    for i, ch in enumerate(s):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in ".!?" and s[i + 1 : i + 2] == " " and s[i + 2 : i + 3].isupper():
            cut = i + 1
            break
    first = s[:cut]
    if len(first) > 200:
        depth = 0
        for i, ch in enumerate(first):
            depth += ch in "([" and 1 or ch in ")]" and -1 or 0
            if i >= 40 and depth == 0 and first[i : i + 2] in (": ", "; "):
                return first[:i]
    return first


def _sentence(s: str) -> str:
    s = s.strip()
    return s if s.endswith((".", "!", "?")) else s + "."


def _symptom_sentence(d: "Diagnosis", day: str) -> str:
    if d.symptom_source == "logs":
        matches = [d.obs.logs[s] for s in d.symptoms if s in d.obs.logs]
        if matches:
            m = matches[0]
            when = _between(m, day)
            return f": the logs show {m.count} {code(m.symptom)} line{'s' if m.count != 1 else ''}{when}"
    if d.symptom_source == "flag":
        return f" (reported symptom: {code(', '.join(d.symptoms))})"
    if d.symptom_source == "config":
        return ": its latest deploy did not become ready"
    return ""


def _next_sentence(session: "Session", causes: list[_Cause], day: str) -> str:
    applied = [f for f in session.fixes if f.outcome == "applied"]
    open_ = [c for c in causes if c.state != "fixed"]
    if session.status == "resolved":
        did = ", ".join(code(f.fix_id) for f in applied)
        last = session.current
        when = f" at {hms(last.finished_at, day)} UTC" if last is not None else ""
        return f"Fixed by applying {did}; the re-diagnosis{when} found no remaining root cause."
    if open_:
        c = open_[0].item
        how = (f"run {code(c.commands[0])}" if c.commands else _step_text(c.steps[0]) if c.steps
               else "see Fix below")
        auto = f" (or {code(f'troubleshooter fix {c.id}')})" if c.automatic and c.commands else ""
        more = f"; {len(open_) - 1} more under Fix" if len(open_) > 1 else ""
        done = f"Applied {', '.join(code(f.fix_id) for f in applied)}; still to do: " if applied else "To fix: "
        return f"{done}{how}{auto}{more}"
    if _status(session) == "unexplained" and session.current is not None:
        return f"Next: {text(session.current.next_steps()[0])}"
    if session.status == "inconclusive":
        return "Grant the read permissions listed under Uncertain checks and run the diagnosis again."
    return "If the app still fails, look past the connection: queries, schema, or the app's own code."


def _between(m: LogMatch, day: str) -> str:
    first, last = _parse_time(m.first_seen), _parse_time(m.last_seen)
    if first is None:
        return ""
    if last is None or hms(first, day) == hms(last, day):
        return f" at {hms(first, day)} UTC"
    return f" between {hms(first, day)} and {hms(last, day)} UTC"


# --------------------------------------------------------------------------- timeline


def _timeline(session: "Session", day: str) -> str:
    rows: list[tuple[datetime, int, str, str]] = []
    batches = 0
    events = list(session.timeline)
    i = 0
    while i < len(events):
        event = events[i]
        if event.kind != "probe":
            rows.append((event.at, i, event.kind, event.text))
            i += 1
            continue
        j = i
        while j < len(events) and events[j].kind == "probe":
            j += 1
        batch = events[i:j]
        if batches == 0:
            # The first run says what each probe found; re-runs only what changed from "ok".
            for k, e in enumerate(batch):
                ms = e.detail.get("ms")
                rows.append((e.at, i + k, "probe", e.text + (f" [{ms} ms]" if ms is not None else "")))
        else:
            rows.append((batch[0].at, i, "probe", _probe_batch(batch)))
        batches += 1
        i = j
    d = session.initial
    if d is not None:
        # When the errors started matters as much as what the session did about them.
        for symptom, m in _log_matches(d):
            where = f" in {', '.join(m.resources)}" if m.resources else ""
            first, last = _parse_time(m.first_seen), _parse_time(m.last_seen)
            if first is None:
                continue
            if last is None or hms(last, day) == hms(first, day):
                plural = "s" if m.count != 1 else ""
                rows.append((first, -2, "log", f"{m.count} {symptom} line{plural}{where}"))
            else:
                rows.append((first, -2, "log", f"first of {m.count} {symptom} lines{where}"))
                rows.append((last, -1, "log", f"last {symptom} line{where}"))
        # Cloud SQL's own history beside the log bursts: what the instance did, one line each.
        for op, line in _operation_rows(d, day):
            rows.append((op, -3, "sql-operation", line))
    if not rows:
        return "Nothing recorded yet."
    rows.sort(key=lambda r: (r[0], r[1]))
    return table(["Time", "Event", "What happened"],
                 ([hms(at, day), code(kind, in_table=True), cell(detail)] for at, _i, kind, detail in rows))


def _operation_rows(d: "Diagnosis", day: str) -> list[tuple[datetime, str]]:
    """The disruptive Cloud SQL operations read (MAINTENANCE, FAILOVER, RESTART, UPDATE...), each
    with its start time; those the stale-pooled-connections check tied to the drops say so."""
    blamed = {str(ev.value.get("name")) for c in d.causes if c.id == "stale-pooled-connections"
              for ev in c.evidence if ev.field == "operations[]" and isinstance(ev.value, dict)}
    out: list[tuple[datetime, str]] = []
    for key, raw in sorted(d.obs.sql_operations.items()):
        for op in (SqlOperation(o) for o in raw):
            start = op.started
            if not op.disruptive or start is None:
                continue
            until = f", until {hms(op.ended, day)}" if op.ended else ", still running"
            who = f" by {op.user}" if op.user else ""
            err = f", error {op.error}" if op.error else ""
            tie = "; the dropped connections came with it" if op.name in blamed else ""
            out.append((start, f"Cloud SQL {op.type} of {key}{until} ({op.status or 'status unknown'}{who}{err}){tie}"))
    return out


def _probe_batch(batch: list) -> str:
    ok = sum(e.detail.get("outcome") == "ok" for e in batch)
    others = [e.text for e in batch if e.detail.get("outcome") != "ok"]
    head = f"re-ran {len(batch)} probes: " + ("all ok" if not others else f"{ok} ok")
    return head + "".join(f"; {t}" for t in others)


# --------------------------------------------------------------------------- evidence


def _evidence(session: "Session", causes: list[_Cause], day: str) -> str:
    d = session.initial
    if d is None:
        return ""
    items: list[Evidence] = []
    for c in causes:
        items.extend(c.item.evidence)
    for f in d.findings:
        items.extend(f.evidence)
    if not causes:
        # Nothing broke: show what was checked and found fine, so the reader can trust it.
        for step in d.walk.steps:
            if step.result is not None:
                items.extend(step.result.evidence)
    rows = []
    seen: set[tuple[str, str, str]] = set()
    for ev in items:
        if ev.probe == "logs" and not ev.field.startswith("operations["):  # log lines have their own section
            continue
        shown = clip(value_repr(ev.value))
        key = (ev.field, shown, ev.resource or ev.source)
        if key in seen:
            continue
        seen.add(key)
        value = code(shown, in_table=True) + (f" ({cell(ev.note)})" if ev.note else "")
        source = code(ev.source, in_table=True) + (f" {code(ev.resource, in_table=True)}" if ev.resource else "")
        rows.append([code(ev.field, in_table=True), value, source])
    parts = ["### Configuration"]
    if rows:
        extra = len(rows) - _MAX_EVIDENCE
        parts.append(table(["Field", "Value", "Source (API, resource)"], rows[:_MAX_EVIDENCE]))
        if extra > 0:
            parts.append(f"{extra} more observation{'s' if extra > 1 else ''} in `diagnose --format json`.")
    else:
        parts.append("No configuration evidence was recorded.")
    parts += ["### Logs", _logs(d, day)]
    return "\n\n".join(parts)


def _logs(d: "Diagnosis", day: str) -> str:
    probe = d.probes.get("logs")
    matches = _log_matches(d)
    # The logs themselves failing, not the Cloud SQL operations the probe reads after them.
    if probe is not None and FactKey.logs() in d.obs.failures:
        return f"The logs could not be read: {text(probe.summary)}."
    if not matches:
        seen = f" ({text(probe.summary)})" if probe is not None and probe.summary else ""
        return f"No log line matched a known symptom{seen}."
    blocks = []
    for symptom, m in matches:
        origin = f", from {', '.join(code(r) for r in m.resources)}" if m.resources else ""
        names = sorted({_log_name(n) for n in m.log_names})
        logs = f" (log {', '.join(code(n) for n in names)})" if names else ""
        head = (f"**{code(symptom)}**: {m.count} line{'s' if m.count != 1 else ''}"
                f"{_first_last(m, day)}{origin}{logs}.")
        blocks.append(head + "\n\n" + fence(m.lines[:_MAX_LOG_LINES], "text"))
    return "\n\n".join(blocks)


def _first_last(m: LogMatch, day: str) -> str:
    first, last = _parse_time(m.first_seen), _parse_time(m.last_seen)
    if first is None:
        return ""
    if last is None or hms(last, day) == hms(first, day):
        return f", at {hms(first, day)} UTC"
    return f", first seen {hms(first, day)}, last seen {hms(last, day)} UTC"


def _log_matches(d: "Diagnosis") -> list[tuple[str, LogMatch]]:
    order = {s: i for i, s in enumerate(SYMPTOMS)}
    found = [(s, m) for s, m in d.obs.logs.items() if m.count]
    return sorted(found, key=lambda sm: (order.get(sm[0], len(order)), sm[0]))


def _log_name(log_name: str) -> str:
    return log_name.rsplit("/logs/", 1)[-1].replace("%2F", "/")


# --------------------------------------------------------------------------- causes


def _causes(session: "Session") -> list[_Cause]:
    first, last = session.initial, session.current
    if first is None:
        return []
    now_ids = set(last.cause_ids) if last is not None else set()
    later = len(session.diagnoses) > 1
    out = []
    for item in first.causes:
        state = "fixed" if later and item.id not in now_ids else "open"
        out.append(_Cause(item, state))
    known = {c.item.id for c in out}
    if last is not None and later:
        for item in last.causes:
            if item.id not in known:
                out.append(_Cause(item, "new"))
    return out


def _root_causes(session: "Session", causes: list[_Cause]) -> str:
    if session.initial is None:
        return ""
    if not causes:
        return "None found." + (" Some checks could not decide: see Uncertain checks."
                                if session.status == "inconclusive" else "") + (
            " The logs show errors all the same: see Unexplained errors."
            if _status(session) == "unexplained" else "")
    blocks = []
    for i, c in enumerate(causes, 1):
        item = c.item
        state = {"fixed": " (fixed)", "new": " (found after the fixes)"}.get(c.state, "")
        lines = [f"### {i}. {text(item.title)}{state}", "",
                 f"{code(item.id)}: {text(item.summary)}", "",
                 f"**Why it breaks the connection:** {text(item.why)}"]
        rows = _expected_actual(item)
        if rows:
            lines += ["", table(["", "Expected (working)", "Actual (measured)"], rows)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _unexplained(session: "Session") -> str:
    """What was seen, what was ruled out, what to look at next: for the `unexplained` verdict."""
    d = session.current
    if d is None or _status(session) != "unexplained":
        return ""
    rows = [[code(m.symptom, in_table=True), str(m.count), cell(m.first_seen), cell(m.last_seen),
             code(clip(m.lines[0]) if m.lines else "", in_table=True)] for m in d.signals]
    parts = ["The logs hold database-connection errors that no cause of the catalog explains.",
             table(["Signal", "Count", "First", "Last", "Example (redacted)"], rows)]
    ruled = [code(s.node.spec.check or s.node.short) for s in d.ruled_out]
    if ruled:
        parts.append("**Ruled out:** " + ", ".join(ruled) + ".")
    parts.append("**Look at next:**\n\n" + "\n".join(f"- {text(n)}" for n in d.next_steps()))
    return "\n\n".join(parts)


def _expected_actual(item: "Reported") -> list[list[str]]:
    if item.expected_actual:
        return [[cell(what), code(value_repr(exp), in_table=True), code(value_repr(act), in_table=True)]
                for what, exp, act in item.expected_actual]
    # No comparison from the check: show what was measured, so the table is never a guess.
    return [[code(ev.field, in_table=True), "see why above", code(value_repr(ev.value), in_table=True)]
            for ev in item.evidence if ev.probe != "logs"][:6]


# --------------------------------------------------------------------------- fix


def _fix(session: "Session", causes: list[_Cause], day: str) -> str:
    if session.initial is None:
        return ""
    titles = {c.item.id: c.item for c in causes}
    applied = [f for f in session.fixes if f.outcome == "applied"]
    stopped = [f for f in session.fixes if f.outcome in ("failed", "refused", "cancelled")]
    # A plan shown but not applied (manual, dry run) is the most precise advice for its cause.
    planned = {f.cause: f for f in session.fixes if f.outcome in ("manual", "dry-run") and f.commands}
    parts = []
    if applied:
        parts.append("### Applied")
        parts += [_applied(f, titles.get(f.cause), day) for f in applied]
    if stopped:
        parts.append("### Not applied")
        parts.append("\n".join(_stopped(f, titles.get(f.cause), day) for f in stopped))
    todo = [c for c in causes if c.state != "fixed"]
    if todo:
        if applied or stopped:
            parts.append("### Still to do")
        parts += [_recommended(c.item, planned.get(c.item.id)) for c in todo]
    if not parts:
        return "Nothing to fix."
    return "\n\n".join(parts)


def _applied(f: "AppliedFix", item: "Reported | None", day: str) -> str:
    title = text(item.title) if item is not None else code(f.cause)
    if f.verified is None:
        verdict = "not verified yet"
    else:
        verdict = "verified: the cause is gone" if f.verified else "**not verified**: the cause is still there"
    lines = [f"**{title}** ({code(f.fix_id)}), applied at {hms(f.at, day)} UTC, {verdict}."]
    if f.commands:
        lines += ["", fence(f.commands, "sh")]
    if f.change:
        lines += ["", table(["Field", "Before", "After"],
                            ([code(field, in_table=True), code(clip(value_repr(before)), in_table=True),
                              code(clip(value_repr(after)), in_table=True)] for field, before, after in f.change))]
    notes = []
    if f.verification:
        notes.append(f"Verification: {text(f.verification)}")
    if item is not None and item.risk:
        notes.append(f"Risk: {text(_risk(item))}")
    if notes:
        lines += ["", "\n".join(f"- {n}" for n in notes)]
    return "\n".join(lines)


def _stopped(f: "AppliedFix", item: "Reported | None", day: str) -> str:
    title = text(item.title) if item is not None else code(f.cause)
    fix = f" ({code(f.fix_id)})" if f.fix_id else ""
    why = f": {text(f.error)}" if f.error else ""
    return f"- **{title}**{fix}: {text(f.outcome)} at {hms(f.at, day)} UTC{why}"


_COMMAND_START = re.compile(r"(?:^|(?<=: ))(?=(?:gcloud|printf|kubectl|terraform|troubleshooter) )")


def _step_text(step: str, *, in_table: bool = False) -> str:
    """A manual step; the shell command in it (whole, or after "...: ") as code to copy."""
    prose = cell if in_table else text
    m = _COMMAND_START.search(step)
    if m is None:
        return prose(step)
    return (prose(step[: m.start()]) if m.start() else "") + code(step[m.start():], in_table=in_table)


def _recommended(item: "Reported", planned: "AppliedFix | None" = None) -> str:
    lines = [f"**{text(item.title)}** ({code(item.id)})"]
    if planned is not None:
        lines += [""] + [f"{i}. {_step_text(s)}" for i, s in enumerate(planned.commands, 1)]
    else:
        if item.commands:
            lines += ["", fence(item.commands, "sh")]
        if item.steps:
            lines += [""] + [f"{i}. {_step_text(s)}" for i, s in enumerate(item.steps, 1)]
    notes = []
    if item.automatic and item.commands and planned is None:
        notes.append(f"Can be applied and verified by {code(f'troubleshooter fix {item.id}')}.")
    elif planned is None or planned.outcome == "manual":
        notes.append("Manual fix: the troubleshooter does not apply it as it stands.")
    if item.risk:
        notes.append(f"Risk: {text(_risk(item))}")
    lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines)


def _risk(item: "Reported") -> str:
    # The graph's risk texts are templates ("free addresses in {region}").
    return fill(item.risk, item.params)


# --------------------------------------------------------------------------- findings, prevention


def _findings(session: "Session") -> str:
    d = session.current
    if d is None:
        return ""
    if not d.findings:
        return "None."
    items = sorted(d.findings, key=lambda f: SEVERITY_ORDER.get(f.severity or "warning", 9))
    rows = []
    for f in items:
        todo = (code(f.commands[0], in_table=True) if f.commands
                else _step_text(f.steps[0], in_table=True) if f.steps else "—")
        rows.append([f"**{cell(f.severity or 'warning')}**", f"{cell(f.title)} ({code(f.id, in_table=True)})",
                     cell(f.summary), todo])
    return table(["Severity", "Finding", "What was seen", "What to do"], rows)


def _prevention(causes: list[_Cause]) -> str:
    blocks = []
    for c in causes:
        steps = list(dict.fromkeys(c.item.prevention))
        if steps:
            blocks.append(f"- **{text(c.item.title)}**\n" + "\n".join(f"  - {text(s)}" for s in steps))
    return "\n".join(blocks) if blocks else ("None: no root cause was found." if causes == [] else "")


# --------------------------------------------------------------------------- uncertain, path


def _uncertain(session: "Session") -> str:
    d = session.current
    if d is None:
        return ""
    # Routing checks (the conclusion) are uncertain only because others are: not a question.
    steps = [s for s in d.uncertain if s.node.spec.check not in ROUTE_CHECKS]
    if not steps:
        return "None: every check on the path decided."
    grouped: dict[tuple[str, str], list["Step"]] = {}
    for step in steps:
        summary = step.result.summary if step.result else ""
        grouped.setdefault((summary, _settle(d, step)), []).append(step)
    rows = []
    for (summary, settle), group in grouped.items():
        checks = "; ".join(f"{cell(s.node.title)} ({code(s.node.id, in_table=True)})" for s in group)
        rows.append([checks, cell(summary), settle])
    return table(["Check", "Why it could not decide", "What would settle it"], rows)


def _settle(d: "Diagnosis", step: "Step") -> str:
    """What would let this check decide: a permission or API (from its probes' failures), or
    the answer to a question left open on the path before it. Returns table-cell markdown."""
    needs: list[str] = []
    for probe_id in step.node.probes:
        probe = d.probes.get(probe_id)
        for failure in (probe.failures if probe is not None else ()):
            if failure.kind == "permission-denied" and failure.permission:
                needs.append(f"grant {code(failure.permission, in_table=True)} "
                             f"({cell(f'{failure.api} {failure.method}')})")
            elif failure.kind == "api-disabled":
                needs.append(f"enable {code(failure.service or failure.api, in_table=True)}")
            else:
                needs.append(cell(failure.explain()))
    if needs:
        return "; ".join(dict.fromkeys(needs))
    open_questions = [s for s in d.walk.steps if s.node.kind == "question" and s.outcome == "unanswered"]
    for q in open_questions:
        if d.walk.steps.index(q) < d.walk.steps.index(step):
            choices = ", ".join(code(c, in_table=True) for c in q.node.spec.choices)
            flag = code(f"--answer {q.node.short}=CHOICE", in_table=True)
            return f"answer {cell(q.node.title)} ({flag}; one of {choices})"
    return "decide by hand: the message says what is missing"


def _decision_path(session: "Session", day: str) -> str:
    d = session.initial
    if d is None:
        return ""
    mermaid = to_mermaid(d.graph, highlight=d.walk.path,
                         taken={s.node.id: s.outcome for s in d.walk.steps})
    told = {r.summary for r in d.causes + d.findings}
    parts = [fence(mermaid.splitlines(), "mermaid"), _steps(d.walk.steps, told)]
    for later in session.diagnoses[1:]:
        parts.append(f"Re-diagnosis at {hms(later.finished_at, day)} UTC: {_walk_gist(later)}")
    return "\n\n".join(parts)


def _steps(steps: Iterable["Step"], told: set[str]) -> str:
    """The walk as a numbered list; a failed check's message is left out when a root cause or
    finding above already says it."""
    lines = []
    for i, step in enumerate(steps, 1):
        mark = STEP_MARK.get(step.outcome, "·")
        line = f"{i}. {mark} {text(step.node.title)} ({code(step.node.id)}): {text(step.outcome)}"
        summary = step.result.summary if step.result is not None else ""
        if step.outcome in ("failed", "uncertain") and summary and summary not in told:
            line += f", {text(summary)}"
        lines.append(line)
    return "\n".join(lines)


def _walk_gist(d: "Diagnosis") -> str:
    """A re-run's walk in one line: what it reached and what it could not decide."""
    causes = [code(s.node.id) for s in d.walk.steps if s.node.kind in ("cause", "finding")]
    unsure = [code(s.node.id) for s in d.uncertain if s.node.spec.check not in ROUTE_CHECKS]
    checks = sum(1 for s in d.walk.steps if s.node.kind == "check")
    said = f"{checks} checks, reached " + (", ".join(causes) if causes else "no root cause or finding")
    return said + (f"; uncertain: {', '.join(unsure)}" if unsure else "") + "."


# --------------------------------------------------------------------------- small things


def _node_title(d: "Diagnosis", node_id: str) -> str:
    node = d.graph.nodes.get(node_id)
    return node.title if node is not None else node_id


def _parse_time(stamp: str) -> datetime | None:
    try:
        return parse_rfc3339(stamp) if stamp else None
    except ValueError:
        return None


__all__ = ["build_report"]
