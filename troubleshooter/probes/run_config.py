"""Probe `run-config`: the Cloud Run service or job as configured, the root of every other fact.

Reads `services.get` (or `jobs.get`) of the Cloud Run Admin API v2 for the target, and from the
revision template (`template` for a service, `template.template` for a job):
`serviceAccount`, `volumes[].cloudSqlInstance.instances[]` (the Cloud SQL connection, called the
`run.googleapis.com/cloudsql-instances` annotation in v1/gcloud terms) with the mount paths of
those volumes, `containers[].env`, `vpcAccess`, `scaling.maxInstanceCount`; and the status:
`terminalCondition`, `conditions[]`, `latestCreatedRevision`, `latestReadyRevision`,
`trafficStatuses[]`, `etag`.

Why: the runtime service account is who needs `roles/cloudsql.client`; the attached names are
what Cloud Run will open sockets for, byte for byte; env is where the app names its database;
VPC egress decides whether a private IP is reachable; max instances bounds the connections.
An empty `serviceAccount` means the project's default compute account,
`PROJECT_NUMBER-compute@developer.gserviceaccount.com`, so the project number is read too
(Resource Manager `projects.get`, shared with the `project` probe).

Permissions: `run.services.get` (or `run.jobs.get`), `resourcemanager.projects.get`.
Outcome: FAILED when the target does not exist; UNCERTAIN when it cannot be read (or its
default service account cannot be named); OK otherwise.
"""

from __future__ import annotations

from typing import Any, Mapping

from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.names import short
from troubleshooter.failures import ApiFailure
from troubleshooter.model import Evidence, Outcome, ProbeResult, RunConfig, VpcAccess
from troubleshooter.probes.base import Probe, ProbeContext
from troubleshooter.probes.common import (
    attached_names,
    cloudsql_volumes,
    condition,
    conditions,
    merged_env,
    record,
    settle,
)
from troubleshooter.redact import redact_obj

ID = sources.RUN_CONFIG
_LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"


def run(ctx: ProbeContext) -> ProbeResult:
    t = ctx.target
    gw = ctx.gateway
    if t.kind == "job":
        fut = ctx.fetch.get(FactKey.run(), lambda: gw.get_job(t.project, t.region, t.name))
    else:
        fut = ctx.fetch.get(FactKey.run(), lambda: gw.get_service(t.project, t.region, t.name))
    # Started together with the target read: the default SA needs the project number.
    project_fut = ctx.fetch.get(FactKey.project(t.project), lambda: gw.get_project(t.project))

    resource, failure = settle(fut)
    if failure is not None:
        record(ctx, FactKey.run(), failure)
        if failure.kind == "not-found":
            return ProbeResult(
                ID, Outcome.FAILED, f"{t.describe()} does not exist", failures=[failure]
            )
        return ProbeResult(ID, Outcome.UNCERTAIN, failure.explain(), failures=[failure])
    assert resource is not None

    failures: list[ApiFailure] = []
    project, project_failure = settle(project_fut)
    number = short(project.get("name")) if project else ""
    if number:
        with ctx.obs.lock:
            ctx.obs.project_numbers[t.project] = number

    template_path = "template.template" if t.kind == "job" else "template"
    template = _template(resource, t.kind)
    sa = str(template.get("serviceAccount") or "")
    is_default = not sa
    if is_default:
        if number:
            sa = f"{number}-compute@developer.gserviceaccount.com"
        elif project_failure is not None:
            # Without the number the default account cannot be named: leave it unknown.
            failures.append(record(ctx, FactKey.project(t.project), project_failure))

    cfg = _run_config(resource, t.kind, template_path, template, sa, is_default)
    with ctx.obs.lock:
        ctx.obs.run = cfg

    evidence = _evidence(cfg, template_path, template)
    summary = (
        f"{t.kind} {t.name}: runs as {sa or 'an unknown default service account'}; "
        f"Cloud SQL connection: {', '.join(map(repr, cfg.attached)) or 'none'}"
    )
    if failures:
        return ProbeResult(ID, Outcome.UNCERTAIN, summary, evidence, failures)
    return ProbeResult(ID, Outcome.OK, summary, evidence)


def _template(resource: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    outer = resource.get("template") or {}
    return (outer.get("template") or {}) if kind == "job" else outer


def _run_config(
    resource: Mapping[str, Any],
    kind: str,
    template_path: str,
    template: Mapping[str, Any],
    sa: str,
    is_default: bool,
) -> RunConfig:
    volumes = cloudsql_volumes(template)
    volume_names = tuple(str(v.get("name", "")) for v in volumes)
    containers = tuple(dict(c) for c in template.get("containers") or ())
    mounts = tuple(
        str(m.get("mountPath", ""))
        for c in containers
        for m in c.get("volumeMounts") or ()
        if m.get("name") in volume_names
    )
    terminal = resource.get("terminalCondition")
    latest_created = _revision_name(resource, resource.get("latestCreatedRevision"))
    latest_ready = _revision_name(resource, resource.get("latestReadyRevision"))
    return RunConfig(
        kind=kind,
        name=str(resource.get("name", "")),
        template_path=template_path,
        service_account=sa,
        service_account_is_default=is_default,
        attached=attached_names(template),
        cloudsql_volume_names=volume_names,
        cloudsql_mount_paths=mounts,
        env=merged_env(template),
        containers=containers,
        vpc=_vpc(template.get("vpcAccess") or {}),
        max_instances=_max_instances(resource, kind),
        conditions=conditions(resource.get("conditions")),
        terminal_condition=condition(terminal) if terminal else None,
        latest_created_revision=latest_created,
        latest_ready_revision=latest_ready,
        serving_revisions=_serving(resource, latest_ready) if kind == "service" else (),
        etag=resource.get("etag"),
        raw=dict(resource),
    )


def _vpc(raw: Mapping[str, Any]) -> VpcAccess:
    nic = (raw.get("networkInterfaces") or [{}])[0]
    return VpcAccess(
        network=nic.get("network") or None,
        subnetwork=nic.get("subnetwork") or None,
        connector=raw.get("connector") or None,
        egress=raw.get("egress") or None,
    )


def _max_instances(resource: Mapping[str, Any], kind: str) -> int | None:
    outer = resource.get("template") or {}
    if kind == "job":
        # A job runs at most `parallelism` tasks at once; 0/unset means all `taskCount` tasks.
        tasks = int(outer.get("taskCount") or 1)
        parallel = int(outer.get("parallelism") or 0)
        return min(parallel, tasks) if parallel else tasks
    # Both the service-level and the revision-level limit cap scaling: the lower one binds.
    limits = [
        int(v)
        for v in (
            (resource.get("scaling") or {}).get("maxInstanceCount"),
            (outer.get("scaling") or {}).get("maxInstanceCount"),
        )
        if v
    ]
    return min(limits) if limits else None


def _revision_name(service: Mapping[str, Any], name: str | None) -> str | None:
    """A revision's full name under its service, whatever form the API (or a world) used."""
    if not name:
        return None
    return f"{service.get('name', '')}/revisions/{short(name)}"


def _serving(service: Mapping[str, Any], latest_ready: str | None) -> tuple[str, ...]:
    """Revisions with traffic, most traffic first ("LATEST" is the latest ready revision)."""
    statuses = service.get("trafficStatuses")
    if not statuses:
        # No status yet (or a hand-written world): Cloud Run's default is 100% to latest ready.
        return (latest_ready,) if latest_ready else ()
    shares: dict[str, int] = {}
    for s in statuses:
        percent = int(s.get("percent") or 0)
        if percent <= 0:
            continue
        if s.get("type") == _LATEST or not s.get("revision"):
            name = latest_ready
        else:
            name = _revision_name(service, s.get("revision"))
        if name:
            shares[name] = shares.get(name, 0) + percent
    return tuple(sorted(shares, key=lambda n: -shares[n]))


def _evidence(cfg: RunConfig, path: str, template: Mapping[str, Any]) -> list[Evidence]:
    where = cfg.name
    volumes = [
        {"name": v.get("name"), "cloudSqlInstance": v.get("cloudSqlInstance")}
        for v in cloudsql_volumes(template)
    ]
    sa_note = (
        "serviceAccount is empty: Cloud Run uses the project's default compute service account"
        if cfg.service_account_is_default
        else ""
    )
    vpc = template.get("vpcAccess") or {}
    out = [
        Evidence(ID, f"{path}.volumes", volumes, sources.RUN_API, where,
                 "" if volumes else "no Cloud SQL connection (cloudSqlInstance volume)"),
        Evidence(ID, f"{path}.serviceAccount", cfg.service_account, sources.RUN_API, where, sa_note),
        Evidence(ID, f"{path}.vpcAccess", dict(vpc), sources.RUN_API, where,
                 "" if vpc else "no VPC egress"),
    ]
    terminal = cfg.raw.get("terminalCondition")
    if terminal:
        shown = {k: terminal[k] for k in ("type", "state", "reason", "revisionReason",
                                          "executionReason", "message") if k in terminal}
        # Condition messages quote the failing container's output, which can carry secrets.
        out.append(Evidence(ID, "terminalCondition", redact_obj(shown), sources.RUN_API, where))
    return out


PROBE = Probe(id=ID, title="Cloud Run configuration", needs=(), run=run)
