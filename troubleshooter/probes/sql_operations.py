"""Cloud SQL's own history, read by probe `logs` when its lines show connections dying under the app.

`operations.list` of each referenced instance (Cloud SQL Admin v1 SqlOperationsService.List,
newest first; MAINTENANCE, FAILOVER, RESTART, UPDATE...), all at once, back to an hour before the
log window, into `obs.sql_operations[P:I]`, so that `stale-pooled-connections` tells connections
closed by maintenance from idle timeouts. Not a probe of its own: without such lines nothing is
read (no call), and it runs inside `logs`, which waits for `app-settings` (the instances) only
then. `app-settings` comes before `logs` in the registry's order, so a sequential run never waits.

Permission: `cloudsql.instances.get` ("gcloud sql operations list": cloudsql.instances.get,
cloud.google.com/sql/docs/mysql/iam-permissions). Cloud SQL's 403 notAuthorized names no
permission and may mean "not visible" (sandbox/errors.sql_not_authorized): only when the instance
itself was read is the 403 of its operations named a missing cloudsql.instances.get.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
from troubleshooter.failures import ApiFailure
from troubleshooter.model import Evidence, InstanceRef
from troubleshooter.probes.base import ProbeContext
from troubleshooter.probes.common import app_ip_hosts, ip_matched_refs, lookup_refs, record, settle
from troubleshooter.probes.sql_instances import list_future

OPERATIONS_PERMISSION = "cloudsql.instances.get"
BEFORE_WINDOW = timedelta(hours=1)  # an operation shortly before the window still explains it
_FIELDS = ("name", "operationType", "status", "insertTime", "startTime", "endTime", "user",
           "targetId", "targetProject", "error")


def _refs(ctx: ProbeContext) -> list[InstanceRef]:
    refs = lookup_refs(ctx.obs.instance_refs)
    ips = app_ip_hosts(ctx.obs.app)
    if ips:
        listed, _ = settle(list_future(ctx, ctx.target.project))  # sql-instances records it
        refs += [ref for ref, _inst in ip_matched_refs(ips, listed or [], known=[r.key for r in refs])]
    return refs


def read_operations(ctx: ProbeContext) -> tuple[list[Evidence], list[ApiFailure], int]:
    """Read every referenced instance's recent operations at once: (evidence, doubts, how many)."""
    ctx.wait_for(sources.APP)
    refs = _refs(ctx)
    since = datetime.now(timezone.utc) - timedelta(minutes=ctx.log_window_minutes) - BEFORE_WINDOW
    gw = ctx.gateway
    futures = {ref.key: ctx.fetch.get(FactKey.operations(ref.project, ref.instance),
                                      lambda r=ref: gw.list_operations(r.project, r.instance, since=since))
               for ref in refs}
    evidence: list[Evidence] = []
    failures: list[ApiFailure] = []
    seen = 0
    for ref in refs:
        ops, failure = settle(futures[ref.key])
        if failure is not None:
            if failure.kind == "permission-denied" and not failure.permission:
                failure = _name_permission(ctx, ref, failure)
            record(ctx, FactKey.operations(ref.project, ref.instance), failure)
            if failure.kind != "not-found":  # a missing instance: sql-instances says so, no doubt here
                failures.append(failure)
            continue
        kept = [{k: o[k] for k in _FIELDS if k in o} for o in ops or ()]
        with ctx.obs.lock:
            ctx.obs.sql_operations[ref.key] = kept
        seen += len(kept)
        if kept:
            evidence.append(Evidence(sources.LOGS, "operations[].operationType",
                                     [o.get("operationType") for o in kept], sources.SQL_API,
                                     ref.connection_name or ref.key))
    return evidence, failures, seen


def window_minutes(ctx: ProbeContext) -> int:
    return ctx.log_window_minutes + int(BEFORE_WINDOW.total_seconds() // 60)


def _name_permission(ctx: ProbeContext, ref: InstanceRef, failure: ApiFailure) -> ApiFailure:
    try:
        ctx.instance(ref.project, ref.instance)  # the shared read sql-instances made (or makes)
    except ApiFailure:
        return failure  # the instance's own failure says why; no permission is named
    failure.permission = OPERATIONS_PERMISSION
    return failure
