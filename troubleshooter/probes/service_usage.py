"""Probe `service-usage`: is the Cloud SQL Admin API enabled where the connection needs it?

Cloud Run's built-in Cloud SQL connection (and every connector library) calls the Cloud SQL
Admin API to fetch the instance's address and certificates, so `sqladmin.googleapis.com` must
be enabled in the service's project (and, cross-project, the instance's). Reads Service Usage
v1 `services.get` of `projects/P/services/sqladmin.googleapis.com`: `state` (`ENABLED` or
`DISABLED`) into `obs.services_enabled["P:sqladmin.googleapis.com"]`.

The target project's read starts at t=0, before `app-settings` is awaited (the instances'
projects are only known after it).
Permission: `serviceusage.services.get`.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
from troubleshooter.failures import ApiFailure
from troubleshooter.model import Evidence, Outcome, ProbeResult
from troubleshooter.probes.base import Probe, ProbeContext
from troubleshooter.probes.common import projects_of, record, settle

ID = sources.USAGE
SQLADMIN = "sqladmin.googleapis.com"


def _state(ctx: ProbeContext, project: str) -> Future[dict[str, Any]]:
    return ctx.fetch.get(
        FactKey.usage(project, SQLADMIN),
        lambda: ctx.gateway.get_service_state(project, SQLADMIN),
    )


def run(ctx: ProbeContext) -> ProbeResult:
    _state(ctx, ctx.target.project)
    ctx.wait_for("app-settings")
    projects = projects_of(ctx.target.project, ctx.obs.instance_refs)
    futures = {p: _state(ctx, p) for p in projects}

    failures: list[ApiFailure] = []
    evidence: list[Evidence] = []
    disabled: list[str] = []
    for project, fut in futures.items():
        key = f"{project}:{SQLADMIN}"
        svc, failure = settle(fut)
        if failure is not None:
            failures.append(record(ctx, FactKey.usage(project, SQLADMIN), failure))
            continue
        assert svc is not None
        state = svc.get("state")
        if state in ("ENABLED", "DISABLED"):  # STATE_UNSPECIFIED says nothing
            with ctx.obs.lock:
                ctx.obs.services_enabled[key] = state == "ENABLED"
            if state == "DISABLED":
                disabled.append(project)
        evidence.append(Evidence(ID, "state", state, sources.USAGE_API,
                                 f"projects/{project}/services/{SQLADMIN}"))

    summary = (
        f"Cloud SQL Admin API disabled in {', '.join(disabled)}" if disabled
        else f"Cloud SQL Admin API state read in {len(projects) - len(failures)} project(s)"
    )
    if failures:
        return ProbeResult(ID, Outcome.UNCERTAIN, summary, evidence, failures)
    return ProbeResult(ID, Outcome.OK, summary, evidence)


# It waits for `app-settings` itself, after starting the target project's read.
PROBE = Probe(id=ID, title="Cloud SQL Admin API", needs=(), run=run)
