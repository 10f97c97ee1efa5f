"""Read-modify-write of a Cloud Run service or job: pure template edits and the etag retry loop."""

from __future__ import annotations

import copy
from typing import Any, Callable

from troubleshooter.failures import ApiFailure
from troubleshooter.fixes.base import MAX_ATTEMPTS, ApplyOutcome, Progress, Refused
from troubleshooter.gateway import Gateway
from troubleshooter.model import Target
from troubleshooter.remedies.contracts import corrected_value

Resource = dict[str, Any]
Edit = Callable[[Resource], None]      # changes a deep copy of the resource in place

CLOUDSQL_VOLUME = "cloudsql"
CLOUDSQL_MOUNT = "/cloudsql"


# --------------------------------------------------------------------------- reading and writing


def read(gateway: Gateway, target: Target) -> Resource:
    if target.kind == "job":
        return gateway.get_job(target.project, target.region, target.name)
    return gateway.get_service(target.project, target.region, target.name)


def write(gateway: Gateway, target: Target, resource: Resource, progress: Progress) -> Resource:
    if target.kind == "job":
        return gateway.update_job(resource, progress)
    return gateway.update_service(resource, progress)


def edited(resource: Resource, edit: Edit) -> Resource:
    out = copy.deepcopy(resource)
    edit(out)
    return out


def update(gateway: Gateway, target: Target, edit: Edit, progress: Progress,
           *, attempts: int = MAX_ATTEMPTS) -> ApplyOutcome:
    """Apply `edit` to the live resource with its etag; on a concurrent write, re-read and redo."""
    label = f"{target.kind} {target.name}"
    for attempt in range(1, attempts + 1):
        current = read(gateway, target)
        progress(f"read {label} etag {current.get('etag', '?')} (attempt {attempt})")
        wanted = edited(current, edit)
        if wanted == current:
            return ApplyOutcome(False, f"{label} already has the change; nothing written",
                                attempt, target.resource_name, current, current)
        try:
            after = write(gateway, target, wanted, progress)
        except ApiFailure as exc:
            if exc.kind != "conflict" or attempt == attempts:
                raise
            progress(f"{label} changed since it was read; re-reading and applying again")
            continue
        # Judged on what was written: the new revision is named in none of its REVISION targets.
        gap = serving_gap(wanted) if target.kind == "service" else ""
        what = ("a new revision carries it" if gap else "a new revision serves it") if target.kind == "service" \
            else "its next executions use it"
        return ApplyOutcome(True, f"updated {label} ({what})", attempt, target.resource_name, current, after,
                            not_serving=gap)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def serving_gap(written: Resource) -> str:
    """Why the revision an update creates may serve no traffic: the traffic written with the
    update (kept as it was read) pins a share to a named revision, and the new revision is named
    in none. Cloud Run then creates the new revision and routes it only the LATEST share
    (Service.traffic: "If traffic is empty or not provided, defaults to 100% traffic to the
    latest Ready Revision"; a REVISION target keeps its revision). Empty when LATEST takes all."""
    old = [t for t in written.get("traffic") or []
           if (t.get("percent") or 0) > 0 and t.get("type") == "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"]
    if not old:
        return ""
    shares = ", ".join(f"{t.get('revision')} {t.get('percent')}%" for t in old)
    name = str(written.get("name") or "").rsplit("/", 1)[-1]
    return (f"traffic is pinned to revision(s) {shares}, which do not carry the change; move it with "
            f"`gcloud run services update-traffic {name} --to-latest` once the new revision is ready")


# --------------------------------------------------------------------------- template edits


def template(resource: Resource, kind: str) -> Resource:
    """The revision template: `template` (service) or `template.template` (job)."""
    outer = resource.setdefault("template", {})
    return outer.setdefault("template", {}) if kind == "job" else outer


def peek(resource: Resource, kind: str) -> Resource:
    """The revision template, read only (an empty dict when absent)."""
    outer = resource.get("template") or {}
    return (outer.get("template") or {}) if kind == "job" else outer


def template_path(kind: str) -> str:
    return "template.template" if kind == "job" else "template"


def app_container(tmpl: Resource) -> Resource:
    """The app's container: the one that takes ingress (has a port), else the first."""
    containers = tmpl.get("containers") or []
    if not containers:
        raise Refused("the revision template has no container to mount /cloudsql in")
    return next((c for c in containers if c.get("ports")), containers[0])


def attached(tmpl: Resource) -> list[str]:
    return [n for v in tmpl.get("volumes") or [] for n in (v.get("cloudSqlInstance") or {}).get("instances") or []]


def _cloudsql_volume(tmpl: Resource) -> Resource:
    """The template's Cloud SQL volume, created (with a free name) when there is none."""
    volumes = tmpl.setdefault("volumes", [])
    for vol in volumes:
        if "cloudSqlInstance" in vol:
            vol["cloudSqlInstance"].setdefault("instances", [])
            return vol
    taken = {v.get("name") for v in volumes}
    name = CLOUDSQL_VOLUME
    n = 1
    while name in taken:
        name, n = f"{CLOUDSQL_VOLUME}-{n}", n + 1
    vol = {"name": name, "cloudSqlInstance": {"instances": []}}
    volumes.append(vol)
    return vol


def _mount(tmpl: Resource, volume: str) -> None:
    container = app_container(tmpl)
    mounts = container.setdefault("volumeMounts", [])
    if any(m.get("name") == volume for m in mounts):
        return
    clash = next((m for m in mounts if m.get("mountPath") == CLOUDSQL_MOUNT), None)
    if clash is not None:
        raise Refused(f"container {container.get('name') or 0} already mounts volume "
                      f"{clash.get('name')!r} at {CLOUDSQL_MOUNT}; attach the instance by hand")
    mounts.append({"name": volume, "mountPath": CLOUDSQL_MOUNT})


def attach(kind: str, connection_name: str) -> Edit:
    """Add the instance to the Cloud SQL volume (created if needed) and mount it at /cloudsql."""

    def edit(resource: Resource) -> None:
        tmpl = template(resource, kind)
        vol = _cloudsql_volume(tmpl)
        names = vol["cloudSqlInstance"]["instances"]
        if connection_name not in names:
            names.append(connection_name)
        _mount(tmpl, vol["name"])

    return edit


def replace_attached(kind: str, replacements: dict[str, str]) -> Edit:
    """Swap byte-exact attached names for their exact connectionName, keeping order, no duplicates."""

    def edit(resource: Resource) -> None:
        tmpl = template(resource, kind)
        for vol in tmpl.get("volumes") or []:
            sql = vol.get("cloudSqlInstance")
            if not sql:
                continue
            out: list[str] = []
            for name in sql.get("instances") or []:
                fixed = replacements.get(name, name)
                if fixed not in out:
                    out.append(fixed)
            sql["instances"] = out

    return edit


def replace_env(kind: str, variable: str, bad: str, exact: str) -> Edit:
    """Point `variable` at the exact name: the whole value when it is the name, else the name in it."""

    def edit(resource: Resource) -> None:
        for container in template(resource, kind).get("containers") or []:
            for entry in container.get("env") or []:
                if entry.get("name") != variable or "valueSource" in entry:
                    continue
                value = entry.get("value", "")
                entry["value"] = corrected_value(value, bad, exact)

    return edit


def set_vpc(kind: str, network: str | None, subnet: str | None, egress: str) -> Edit:
    """Direct VPC egress on `network`/`subnet` (kept when already set), with `egress`."""

    def edit(resource: Resource) -> None:
        vpc = template(resource, kind).setdefault("vpcAccess", {})
        if network or subnet:
            iface: dict[str, str] = {}
            if network:
                iface["network"] = network
            if subnet:
                iface["subnetwork"] = subnet
            vpc["networkInterfaces"] = [iface]
        vpc["egress"] = egress

    return edit


def set_egress(kind: str, egress: str) -> Edit:
    def edit(resource: Resource) -> None:
        template(resource, kind).setdefault("vpcAccess", {})["egress"] = egress

    return edit


def clear_revision_name(kind: str) -> Edit:
    """A fixed revision name cannot be reused by a changed template; let the server pick one."""

    def edit(resource: Resource) -> None:
        if kind == "service":
            resource.get("template", {}).pop("revision", None)

    return edit


def chain(*edits: Edit) -> Edit:
    def edit(resource: Resource) -> None:
        for e in edits:
            e(resource)

    return edit
