"""Probe `databases-users`: the databases and users that exist on each referenced instance.

"database "x" does not exist" and "password authentication failed for user "x"" are told
apart from wrong passwords by what exists: Cloud SQL Admin v1 `databases.list` (names, into
`obs.databases[P:I]`) and `users.list` (`name`, `host`, `type`, into `obs.users[P:I]`; password
fields are never kept). Both lists of every instance are requested at once.

Instances the app reaches by IP literal are resolved from `instances.list` of the target's
project (the same shared read `sql-instances` starts at t=0), so this probe does not have to
wait for `sql-instances`. An instance already known to be missing is skipped; otherwise a 404
is recorded like any failure, but is not a doubt about this probe's facts.
Permissions: `cloudsql.databases.list`, `cloudsql.users.list`.
"""

from __future__ import annotations

from typing import Any

from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
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
    futures = {
        ref.key: (
            ctx.fetch.get(FactKey.databases(ref.project, ref.instance),
                          lambda r=ref: gw.list_databases(r.project, r.instance)),
            ctx.fetch.get(FactKey.users(ref.project, ref.instance), lambda r=ref: gw.list_users(r.project, r.instance)),
        )
        for ref in refs
    }
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

    summary = f"databases and users of {len(refs)} instance(s)"
    if failures:
        return ProbeResult(ID, Outcome.UNCERTAIN, summary, evidence, failures)
    return ProbeResult(ID, Outcome.OK, summary, evidence)


def _failed(ctx: ProbeContext, key: FactKey, failure: ApiFailure, failures: list[ApiFailure]) -> None:
    record(ctx, key, failure)
    # A 404 means the instance is missing: `sql-instances` reports that fact, not a doubt here.
    if failure.kind != "not-found":
        failures.append(failure)


PROBE = Probe(id=ID, title="Databases and users", needs=("app-settings",), run=run)
