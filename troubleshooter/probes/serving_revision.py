"""Probe `serving-revision`: the revision that takes traffic, and the newest one if it differs.

A service's template is what the *next* revision will be; what runs is the serving revision.
When the last deploy failed (`latestCreatedRevision != latestReadyRevision`, or the service's
`terminalCondition` is not Ready), traffic stays on an older revision: the fix the operator
deployed never took effect, and the old revision's attachment and env are the ones in use.
So this probe reads, with Cloud Run Admin API v2 `revisions.get`:

- the newest revision, only when the deploy failed (`obs.latest`: its `conditions[]` say why);
- the serving revision, the one with most traffic (`obs.serving`: `conditions[]`,
  `volumes[].cloudSqlInstance.instances[]`, `containers[].env`).

For a job it reads the latest execution (`latestCreatedExecution.name`, `executions.get`) into
`obs.latest`: its `conditions[]` and the task template it ran with.

Permissions: `run.revisions.get` (jobs: `run.executions.get`).
Outcome: SKIPPED when the target could not be read or has nothing deployed or run yet.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Mapping

from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.names import short
from troubleshooter.failures import ApiFailure
from troubleshooter.model import Evidence, Outcome, ProbeResult, RevisionInfo, RunConfig
from troubleshooter.probes.base import Probe, ProbeContext
from troubleshooter.probes.common import (
    attached_names,
    conditions,
    merged_env,
    ready_from,
    record,
    settle,
)
from troubleshooter.redact import redact

ID = sources.SERVING
_SUMMARY_MAX = 160


def run(ctx: ProbeContext) -> ProbeResult:
    cfg = ctx.obs.run
    if cfg is None:
        return ProbeResult(ID, Outcome.SKIPPED, "the Cloud Run configuration could not be read")
    if cfg.kind == "job":
        return _job(ctx, cfg)
    return _service(ctx, cfg)


def _fetch_revision(ctx: ProbeContext, name: str) -> Future[dict[str, Any]]:
    return ctx.fetch.get(FactKey.revision(name), lambda: ctx.gateway.get_revision(name))


def _service(ctx: ProbeContext, cfg: RunConfig) -> ProbeResult:
    terminal = cfg.terminal_condition
    deploy_failed = cfg.latest_created_revision != cfg.latest_ready_revision or (
        terminal is not None and terminal.state != "CONDITION_SUCCEEDED"
    )
    serving_name = cfg.serving_revisions[0] if cfg.serving_revisions else None
    latest_name = cfg.latest_created_revision if deploy_failed else None
    if latest_name == serving_name:
        latest_name = None  # one revision: it is the serving one, nothing newer to show
    # Both reads start before either is awaited.
    futures = {n: _fetch_revision(ctx, n) for n in (serving_name, latest_name) if n}
    if not futures:
        return ProbeResult(ID, Outcome.SKIPPED, "no revision has been created yet")

    failures: list[ApiFailure] = []
    evidence: list[Evidence] = []
    found: dict[str, RevisionInfo] = {}
    for name, fut in futures.items():
        raw, failure = settle(fut)
        if failure is not None:
            record(ctx, FactKey.revision(name), failure)
            record(ctx, FactKey.serving() if name == serving_name else FactKey.latest(), failure)
            failures.append(failure)
            continue
        assert raw is not None
        info = _revision_info(name, raw, raw)
        found[name] = info
        evidence.extend(_evidence(info, "serving" if name == serving_name else "latest"))

    with ctx.obs.lock:
        if serving_name in found:
            ctx.obs.serving = found[serving_name]
        if latest_name in found:
            ctx.obs.latest = found[latest_name]

    parts = []
    if serving_name:
        parts.append(f"serving {short(serving_name)}" + _state(found.get(serving_name)))
    else:
        parts.append("no revision takes traffic")
    if latest_name:
        parts.append(f"newest {short(latest_name)}" + _state(found.get(latest_name)))
    summary = "; ".join(parts)
    if failures:
        return ProbeResult(ID, Outcome.UNCERTAIN, summary, evidence, failures)
    return ProbeResult(ID, Outcome.OK, summary, evidence)


def _job(ctx: ProbeContext, cfg: RunConfig) -> ProbeResult:
    ref = (cfg.raw.get("latestCreatedExecution") or {}).get("name")
    if not ref:
        return ProbeResult(ID, Outcome.SKIPPED, "the job has never been executed")
    name = ref if "/" in ref else f"{cfg.name}/executions/{ref}"
    raw, failure = settle(
        ctx.fetch.get(FactKey.execution(name), lambda: ctx.gateway.get_execution(name))
    )
    if failure is not None:
        record(ctx, FactKey.execution(name), failure)
        record(ctx, FactKey.latest(), failure)
        return ProbeResult(ID, Outcome.UNCERTAIN, failure.explain(), failures=[failure])
    assert raw is not None
    # An execution keeps the task template it ran with, like a revision keeps its template.
    info = _revision_info(name, raw, raw.get("template") or {}, ready_kind="Completed")
    with ctx.obs.lock:
        ctx.obs.latest = info
    summary = f"latest execution {short(name)}" + _state(info)
    return ProbeResult(ID, Outcome.OK, summary, _evidence(info, "latest execution"))


def _revision_info(
    name: str, raw: Mapping[str, Any], template: Mapping[str, Any], ready_kind: str = "Ready"
) -> RevisionInfo:
    conds = conditions(raw.get("conditions"))
    return RevisionInfo(
        name=name,
        ready=ready_from(conds, ready_kind),
        conditions=conds,
        attached=attached_names(template),
        env=merged_env(template),
        raw=dict(raw),
    )


def _state(info: RevisionInfo | None) -> str:
    if info is None:
        return " (unreadable)"
    if info.ready is None:
        return " (not settled)"
    if info.ready:
        return " (ready)"
    bad = next((c for c in info.conditions if c.state == "CONDITION_FAILED"), None)
    if bad is None:
        return " (failed)"
    # A summary is one line: the condition's first sentence; the evidence keeps all of it.
    text = (bad.message or bad.reason).strip()
    first = text.splitlines()[0] if text else ""
    if len(first) > _SUMMARY_MAX:
        first = first[: _SUMMARY_MAX - 1] + "…"
    return f" (failed: {redact(first)})"


def _evidence(info: RevisionInfo, role: str) -> list[Evidence]:
    out = [
        Evidence(ID, "volumes[].cloudSqlInstance.instances", list(info.attached), sources.RUN_API,
                 info.name, f"{role}: Cloud SQL connection of this revision"),
    ]
    for c in info.conditions:
        if c.state == "CONDITION_FAILED":
            out.append(Evidence(
                ID, f"conditions[{c.type}]",
                {"state": c.state, "reason": c.reason or c.revision_reason,
                 "message": redact(c.message)},
                sources.RUN_API, info.name, role,
            ))
    return out


PROBE = Probe(id=ID, title="Serving revision", needs=("run-config",), run=run)
