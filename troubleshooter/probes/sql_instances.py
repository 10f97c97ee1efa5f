"""Probe `sql-instances`: every Cloud SQL instance the revision or the app names, as it is.

Reads Cloud SQL Admin v1 `instances.get` for each referenced instance (all at once), and
`instances.list` of the target's project. Facts kept per instance (`obs.instances[P:I]`):
`state` (a stopped instance still says `RUNNABLE`), `settings.activationPolicy` (`NEVER` is
stopped), `ipAddresses[]` (a private-only instance needs VPC egress), `settings.ipConfiguration`
(`ipv4Enabled`, `privateNetwork`, `authorizedNetworks[]`, `sslMode`, `requireSsl`),
`settings.connectorEnforcement`, `databaseVersion`, `connectionName`.

The list serves twice: when a name gives 404, the instances that do exist are what the fix
should point at (`obs.project_instances[P]`; other projects are listed on 404 only); and when
the app dials an IP literal instead of naming an instance (Saleor's
`postgresql://...@34.41.195.120:5432/db`), the instance owning that address is added to
`obs.instance_refs`, taken from the list without a second read.

The list is requested at t=0, before `app-settings` is awaited, so it costs no wall time.
Permissions: `cloudsql.instances.get`, `cloudsql.instances.list`.
Outcome: SKIPPED when nothing names an instance; UNCERTAIN when a read failed (a 404 is a fact,
recorded under `instance:P:I`, not a doubt).
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Mapping

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
from troubleshooter.probes.secrets import attached_refs, waits_for_secrets

ID = sources.SQL
_IP_CONFIG_FIELDS = (
    "ipv4Enabled", "privateNetwork", "authorizedNetworks", "sslMode", "requireSsl",
)  # fmt: skip


def list_future(ctx: ProbeContext, project: str) -> Future[list[dict[str, Any]]]:
    """`instances.list` of `project`, shared by every probe that needs it."""
    return ctx.fetch.get(FactKey.listing(project), lambda: ctx.gateway.list_instances(project))


def run(ctx: ProbeContext) -> ProbeResult:
    target_project = ctx.target.project
    listing = list_future(ctx, target_project)
    ctx.wait_for(sources.RUN_CONFIG)
    if waits_for_secrets(ctx):  # app-settings waits for Secret Manager: read the attached ones now
        for ref in attached_refs(ctx):
            ctx.fetch.get(FactKey.instance(ref.project, ref.instance),
                          lambda ref=ref: ctx.gateway.get_instance(ref.project, ref.instance))
    ctx.wait_for("app-settings")

    refs = lookup_refs(ctx.obs.instance_refs)
    gets = {
        ref.key: ctx.fetch.get(
            FactKey.instance(ref.project, ref.instance),
            lambda ref=ref: ctx.gateway.get_instance(ref.project, ref.instance),
        )
        for ref in refs
    }
    failures: list[ApiFailure] = []
    evidence: list[Evidence] = []
    missing: list[InstanceRef] = []
    found = 0

    listed, list_failure = settle(listing)
    if list_failure is not None:
        record(ctx, FactKey.listing(target_project), list_failure)
    else:
        with ctx.obs.lock:
            ctx.obs.project_instances[target_project] = list(listed or [])

    ips = app_ip_hosts(ctx.obs.app)
    list_needed = bool(ips)  # without the list, the address cannot be matched to an instance
    if ips:
        for ref, inst in ip_matched_refs(ips, listed or [], known=list(gets)):
            with ctx.obs.lock:
                ctx.obs.instance_refs.append(ref)
                ctx.obs.instances[ref.key] = inst
            evidence.extend(_evidence(ref, inst, "matched by the IP address the app dials"))
            found += 1

    for ref in refs:
        inst, failure = settle(gets[ref.key])
        if failure is not None:
            record(ctx, FactKey.instance(ref.project, ref.instance), failure)
            if failure.kind == "not-found":
                missing.append(ref)
                evidence.append(Evidence(ID, "instances.get", "not found", sources.SQL_API,
                                         ref.connection_name or ref.key))
            else:
                failures.append(failure)
            continue
        assert inst is not None
        with ctx.obs.lock:
            ctx.obs.instances[ref.key] = inst
        evidence.extend(_evidence(ref, inst))
        found += 1

    # A missing instance: list its project so the report can name the ones that exist.
    other = dict.fromkeys(r.project for r in missing if r.project != target_project)
    lists = {p: list_future(ctx, p) for p in other}
    list_needed |= any(r.project == target_project for r in missing)
    if list_needed and list_failure is not None:
        failures.append(list_failure)
    for p, fut in lists.items():
        listed_p, failure = settle(fut)
        if failure is not None:
            failures.append(record(ctx, FactKey.listing(p), failure))
            continue
        with ctx.obs.lock:
            ctx.obs.project_instances[p] = list(listed_p or [])

    if not refs and not found and not failures:
        return ProbeResult(ID, Outcome.SKIPPED, "no Cloud SQL instance is named")
    parts = [f"{found} instance(s) read"]
    if missing:
        parts.append("not found: " + ", ".join(r.key for r in missing))
    summary = "; ".join(parts)
    if failures:
        return ProbeResult(ID, Outcome.UNCERTAIN, summary, evidence, failures)
    return ProbeResult(ID, Outcome.OK, summary, evidence)


def _evidence(ref: InstanceRef, inst: Mapping[str, Any], note: str = "") -> list[Evidence]:
    where = str(inst.get("connectionName") or ref.connection_name)
    settings = inst.get("settings") or {}
    ip_config = settings.get("ipConfiguration") or {}
    return [
        Evidence(ID, "state", inst.get("state"), sources.SQL_API, where, note),
        Evidence(ID, "settings.activationPolicy", settings.get("activationPolicy"), sources.SQL_API, where),
        Evidence(ID, "ipAddresses", [
            {"type": a.get("type"), "ipAddress": a.get("ipAddress")}
            for a in inst.get("ipAddresses") or ()
        ], sources.SQL_API, where),
        Evidence(ID, "settings.ipConfiguration",
                 {k: ip_config[k] for k in _IP_CONFIG_FIELDS if k in ip_config}, sources.SQL_API, where),
        Evidence(ID, "settings.connectorEnforcement", settings.get("connectorEnforcement"),
                 sources.SQL_API, where),
        Evidence(ID, "databaseVersion", inst.get("databaseVersion"), sources.SQL_API, where),
    ]


# It waits for `app-settings` itself, after starting the list: see the docstring.
PROBE = Probe(id=ID, title="Cloud SQL instances", needs=(), run=run)
