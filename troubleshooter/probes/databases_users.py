"""Probe `databases-users`: the databases, users and operations of each referenced instance.

"database "x" does not exist" and "password authentication failed for user "x"" are told
apart from wrong passwords by what exists: Cloud SQL Admin v1 `databases.list` (names, into
`obs.databases[P:I]`) and `users.list` (`name`, `host`, `type`, into `obs.users[P:I]`; password
fields are never kept). Both lists of every instance are requested at once.

Instances the app reaches by IP literal are resolved from `instances.list` of the target's
project (the same shared read `sql-instances` starts at t=0), so this probe does not have to
wait for `sql-instances`. An instance already known to be missing is skipped; otherwise a 404
is recorded like any failure, but is not a doubt about this probe's facts.

When the logs (probe `logs`, waited for) show connections dying under the app, the instance's
own history is read too: `operations.list` (MAINTENANCE, FAILOVER, RESTART, UPDATE..., newest
first, into `obs.sql_operations[P:I]`), back to an hour before the log window, so that
connections dropped by maintenance are told from idle timeouts (`stale-pooled-connections`).
Without such lines it is not read (no call). The summary names the operations when there are.
Permissions: `cloudsql.databases.list`, `cloudsql.users.list`, `cloudsql.instances.get`
(operations.list).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.operations import drop_times
from troubleshooter.failures import ApiFailure
from troubleshooter.model import Evidence, InstanceRef, Outcome, ProbeResult
from troubleshooter.probes.base import Probe, ProbeContext
from troubleshooter.probes.common import (
    app_ip_hosts,
    ip_matched_refs,
    lookup_refs,
    record,
    settle,
)
from troubleshooter.probes.sql_instances import list_future

ID = sources.DBUSERS
_USER_FIELDS = ("name", "host", "type")
_OP_FIELDS = ("name", "operationType", "status", "insertTime", "startTime", "endTime", "user",
              "targetId", "targetProject", "error")
_OPS_BEFORE_WINDOW = timedelta(hours=1)  # an operation shortly before the window still explains it


def _refs(ctx: ProbeContext) -> list[InstanceRef]:
    refs = lookup_refs(ctx.obs.instance_refs)
    ips = app_ip_hosts(ctx.obs.app)
    if ips:
        listed, _ = settle(list_future(ctx, ctx.target.project))  # sql-instances records it
        known = [r.key for r in refs]
        refs += [ref for ref, _inst in ip_matched_refs(ips, listed or [], known=known)]
    with ctx.obs.lock:
        gone = {k for k, f in ctx.obs.failures.items() if f.kind == "not-found"}
    return [r for r in refs if FactKey.instance(r.project, r.instance) not in gone]


def run(ctx: ProbeContext) -> ProbeResult:
    refs = _refs(ctx)
    if not refs:
        return ProbeResult(ID, Outcome.SKIPPED, "no Cloud SQL instance to look into")
    gw = ctx.gateway
    since = datetime.now(timezone.utc) - timedelta(minutes=ctx.log_window_minutes) - _OPS_BEFORE_WINDOW
    futures = {
        ref.key: (
            ctx.fetch.get(FactKey.databases(ref.project, ref.instance),
                          lambda r=ref: gw.list_databases(r.project, r.instance)),
            ctx.fetch.get(FactKey.users(ref.project, ref.instance), lambda r=ref: gw.list_users(r.project, r.instance)),
        )
        for ref in refs
    }
    # Cloud SQL's history matters only when connections died under the app: read it then, while
    # databases and users are on their way (the logs are read from t=0, so this rarely waits).
    ctx.wait_for(sources.LOGS)
    with ctx.obs.lock:
        matches = list(ctx.obs.logs.values())
    ops_futures = {
        ref.key: ctx.fetch.get(FactKey.operations(ref.project, ref.instance),
                               lambda r=ref: gw.list_operations(r.project, r.instance, since=since))
        for ref in refs
    } if drop_times(matches) else {}
    seen_ops = 0
    failures: list[ApiFailure] = []
    evidence: list[Evidence] = []
    for ref in refs:
        dbs_fut, users_fut = futures[ref.key]
        where = ref.connection_name or ref.key
        dbs, failure = settle(dbs_fut)
        if failure is not None:
            _failed(ctx, FactKey.databases(ref.project, ref.instance), failure, failures)
        else:
            names = [str(d.get("name", "")) for d in dbs or ()]
            with ctx.obs.lock:
                ctx.obs.databases[ref.key] = names
            evidence.append(Evidence(ID, "databases[].name", names, sources.SQL_API, where))
        users, failure = settle(users_fut)
        if failure is not None:
            _failed(ctx, FactKey.users(ref.project, ref.instance), failure, failures)
        else:
            kept: list[dict[str, Any]] = [
                {k: u[k] for k in _USER_FIELDS if k in u} for u in users or ()
            ]
            with ctx.obs.lock:
                ctx.obs.users[ref.key] = kept
            evidence.append(Evidence(ID, "users[].name", [u.get("name") for u in kept],
                                     sources.SQL_API, where))
        ops_fut = ops_futures.get(ref.key)
        if ops_fut is None:
            continue
        ops, failure = settle(ops_fut)
        if failure is not None and failure.kind == "permission-denied" and not failure.permission:
            failure = _name_permission(ctx, ref, failure)
        if failure is not None:
            _failed(ctx, FactKey.operations(ref.project, ref.instance), failure, failures)
        else:
            trimmed = [{k: o[k] for k in _OP_FIELDS if k in o} for o in ops or ()]
            with ctx.obs.lock:
                ctx.obs.sql_operations[ref.key] = trimmed
            seen_ops += len(trimmed)
            if trimmed:
                evidence.append(Evidence(ID, "operations[].operationType",
                                         [o.get("operationType") for o in trimmed], sources.SQL_API, where))

    summary = f"databases and users of {len(refs)} instance(s)"
    if seen_ops:
        minutes = ctx.log_window_minutes + int(_OPS_BEFORE_WINDOW.total_seconds() // 60)
        summary += f"; {seen_ops} Cloud SQL operation(s) in the last {minutes} min"
    if failures:
        return ProbeResult(ID, Outcome.UNCERTAIN, summary, evidence, failures)
    return ProbeResult(ID, Outcome.OK, summary, evidence)


# operations.list needs cloudsql.instances.get ("gcloud sql operations list": cloudsql.instances.get,
# cloud.google.com/sql/docs/mysql/iam-permissions). Cloud SQL's 403 notAuthorized names no
# permission and may mean "not visible" (errors.sql_not_authorized): only when the instance
# itself was read is the 403 of its operations a missing permission.
OPERATIONS_PERMISSION = "cloudsql.instances.get"


def _name_permission(ctx: ProbeContext, ref: InstanceRef, failure: ApiFailure) -> ApiFailure:
    try:
        ctx.instance(ref.project, ref.instance)  # the shared read sql-instances made (or makes)
    except ApiFailure:
        return failure  # the instance's own failure says why; no permission is named
    failure.permission = OPERATIONS_PERMISSION
    return failure


def _failed(ctx: ProbeContext, key: FactKey, failure: ApiFailure, failures: list[ApiFailure]) -> None:
    record(ctx, key, failure)
    # A 404 means the instance is missing: `sql-instances` reports that fact, not a doubt here.
    if failure.kind != "not-found":
        failures.append(failure)


PROBE = Probe(id=ID, title="Databases and users", needs=("app-settings",), run=run)
