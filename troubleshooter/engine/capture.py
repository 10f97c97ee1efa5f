"""Capture a live target as a world file that `--world FILE` replays to the same diagnosis.

One *reader* per world section, each reading through the gateway (Google's client libraries, as
the probes do) what the probes of a diagnosis would read, in the API's own REST JSON:

- `workload`: the service (`services.get`) or job (`jobs.get`) of the target;
- `revisions`: the revisions its status names (traffic, latest ready, latest created), or the
  job's latest execution;
- `instances`: `instances.list` of every project involved (the target's, and each referenced
  instance's), so a missing name still has the list the fix suggests from, and an IP the app
  dials is matched to its instance; `instances.get` for a referenced instance the list misses;
- `projects`: each project's number and parent (`projects.get`), IAM policy (`getIamPolicy`,
  version 3: conditions come back whole) and enabled services (`services.list state:ENABLED`);
- `databases/users`: `databases.list` and `users.list` of each captured instance;
- `logs`: the target's log entries in the window the `logs` probe reads.

A read the caller is not permitted becomes a world `fault` (403 on the same method and resource),
so the replay is as uncertain as the original; anything else unreadable is a note in the
description. Secrets: env values go through `redact.stand_in` (passwords and tokens replaced by
stand-ins that keep what the checks read); every other string through `redact.redact`; secret
payloads are never read. Times of the past become relative to the capture (`-90s`), so the
replay is as recent as the incident was when captured.

- `secrets/network`: what the `secrets` and `network` probes read (they decide which): each named
  secret's metadata, IAM policy and versions (never a payload: no consent is given), and the
  networks, subnetworks, routers, firewalls and VPC Access connectors of the egress path;
- `sqlOperations`: each referenced instance's `operations.list`, as far back as the `logs` probe
  reads it when connections drop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from troubleshooter.dsn.connections import app_connections
from troubleshooter.errors import BadInput, CloudUnreachable
from troubleshooter.facts.names import short
from troubleshooter.failures import ApiFailure
from troubleshooter.gateway import Gateway
from troubleshooter.model import InstanceRef, Target
from troubleshooter.probes.app_settings import instance_refs
from troubleshooter.probes.common import attached_names, merged_env
from troubleshooter.probes.logs import log_filter
from troubleshooter.redact import is_secret_name, redact, stand_in

# The `logs` probe reads at most this many entries (gateway.list_log_entries' default).
MAX_LOG_ENTRIES = 500


@dataclass
class Capture:
    """One capture in progress: the world being written (file format) and what could not be read."""

    gateway: Gateway
    target: Target
    log_window_minutes: int
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    world: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    resource: dict[str, Any] = field(default_factory=dict)       # the target's service or job
    templates: list[dict[str, Any]] = field(default_factory=list)  # its template and its revisions'
    refs: list[InstanceRef] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)

    def read(self, what: str, fn: Callable[[], Any]) -> Any:
        """`fn()`, or None when it failed: a 403 becomes a fault the replay answers the same way."""
        try:
            return fn()
        except ApiFailure as failure:
            if failure.kind == "not-found":
                return None  # absent in the capture is absent in the replay: same 404
            if failure.kind == "permission-denied":
                fault: dict[str, Any] = {"api": failure.api, "method": failure.method, "code": 403,
                                         "message": redact(failure.message or "permission denied")}
                if failure.permission:
                    fault.update(reason="IAM_PERMISSION_DENIED", metadata={"permission": failure.permission})
                if failure.resource:
                    fault["match"] = short(failure.resource.replace(":", "/"))
                self.faults.append(fault)
            self.notes.append(f"{what}: {redact(failure.explain())}")
            return None

    def add_project(self, project: str) -> None:
        if project and project not in self.projects:
            self.projects.append(project)


Reader = Callable[[Capture], None]


# --------------------------------------------------------------------------- readers


def read_workload(c: Capture) -> None:
    """The target's service or job; a target that cannot be read is no capture at all."""
    t = c.target
    try:
        if t.kind == "job":
            c.resource = c.gateway.get_job(t.project, t.region, t.name)
        else:
            c.resource = c.gateway.get_service(t.project, t.region, t.name)
    except ApiFailure as failure:
        if failure.kind == "not-found":
            raise BadInput(f"{t.describe()} not found") from None
        raise CloudUnreachable(f"cannot read {t.describe()}: {failure.explain()}") from None
    c.world["jobs" if t.kind == "job" else "services"] = [c.resource]
    outer = c.resource.get("template") or {}
    c.templates.append((outer.get("template") or {}) if t.kind == "job" else outer)
    c.add_project(t.project)


def read_revisions(c: Capture) -> None:
    """The revisions the service's status names, or the job's latest execution."""
    r = c.resource
    if c.target.kind == "job":
        ref = (r.get("latestCreatedExecution") or {}).get("name")
        if ref:
            name = ref if "/" in ref else f"{r['name']}/executions/{ref}"
            execution = c.read(f"execution {short(name)}", lambda: c.gateway.get_execution(name))
            if execution:
                c.world["executions"] = [execution]
                c.templates.append(execution.get("template") or {})
        return
    names = [r.get("latestReadyRevision"), r.get("latestCreatedRevision")]
    names += [s.get("revision") for s in r.get("trafficStatuses") or ()]
    full = dict.fromkeys(n if "/" in n else f"{r['name']}/revisions/{n}" for n in names if n)
    revisions = []
    for name in full:
        revision = c.read(f"revision {short(name)}", lambda name=name: c.gateway.get_revision(name))
        if revision:
            revisions.append(revision)
            c.templates.append(revision)
    if revisions:
        c.world["revisions"] = revisions


def read_instances(c: Capture) -> None:
    """Every instance of each project involved (the list), plus referenced ones the list misses."""
    project = c.target.project
    refs: dict[str, InstanceRef] = {}
    for template in c.templates:
        found = instance_refs(attached_names(template), app_connections(list(merged_env(template))), project)
        for ref in found:
            refs.setdefault(ref.key, ref)
    c.refs = list(refs.values())
    for ref in c.refs:
        c.add_project(ref.project)
    instances: dict[str, dict[str, Any]] = {}
    # Each referenced instance is read as the `sql-instances` probe reads it (a get, whose 403
    # must be captured as such), then the lists fill in the rest of each project.
    for ref in c.refs:
        if ref.instance:
            got = c.read(f"instance {ref.key}", lambda ref=ref: c.gateway.get_instance(ref.project, ref.instance))
            if got:
                instances[ref.key] = got
    for p in list(c.projects):
        listed = c.read(f"instances of {p}", lambda p=p: c.gateway.list_instances(p)) or []
        for inst in listed:
            instances.setdefault(f"{inst.get('project') or p}:{inst.get('name')}", inst)
    for key, inst in instances.items():
        inst.setdefault("project", key.split(":", 1)[0])  # the world format requires it
    if instances:
        c.world["instances"] = list(instances.values())


def read_projects(c: Capture) -> None:
    """Number, parent, IAM policy and enabled services of every project involved."""
    specs = []
    for p in c.projects:
        got = c.read(f"project {p}", lambda p=p: c.gateway.get_project(p))
        if not got:
            continue  # an unreadable project stays unreadable in the replay (the sandbox denies it)
        spec: dict[str, Any] = {"projectId": got.get("projectId") or p,
                                "projectNumber": short(got.get("name"))}
        for key in ("displayName", "parent", "state"):
            if got.get(key):
                spec[key] = got[key]
        policy = c.read(f"IAM policy of {p}", lambda p=p: c.gateway.get_iam_policy(p))
        if policy is not None:
            spec["iamPolicy"] = policy
        enabled = c.read(f"enabled services of {p}", lambda p=p: c.gateway.list_enabled_services(p))
        if enabled is not None:
            spec["enabledServices"] = sorted(enabled)
        specs.append(spec)
    c.world["projects"] = specs


def read_databases_users(c: Capture) -> None:
    """Databases and users of each captured instance (password fields are never kept)."""
    databases: dict[str, list[dict[str, Any]]] = {}
    users: dict[str, list[dict[str, Any]]] = {}
    for inst in c.world.get("instances") or ():
        p, name = str(inst.get("project")), str(inst.get("name"))
        key = f"{p}:{name}"
        dbs = c.read(f"databases of {key}", lambda: c.gateway.list_databases(p, name))
        if dbs is not None:
            databases[key] = dbs
        got = c.read(f"users of {key}", lambda: c.gateway.list_users(p, name))
        if got is not None:
            users[key] = [{k: v for k, v in u.items() if not is_secret_name(k)} for u in got]
    c.world["databases"] = databases
    c.world["users"] = users


def read_logs(c: Capture) -> None:
    """The target's entries in the window the `logs` probe reads, oldest first (newest last)."""
    since = c.now - timedelta(minutes=c.log_window_minutes)
    query = log_filter(c.target, since)
    entries = c.read("log entries", lambda: c.gateway.list_log_entries(c.target.project, query,
                                                                        max_results=MAX_LOG_ENTRIES))
    c.world["logEntries"] = list(reversed(entries or []))


# The probes whose reads the probed sections take, with the probes they wait for. Which secrets,
# which VPC resources: the probes decide (one author of "what to read"); capture writes down what
# they read. No consent is given, so no secret payload is read.
_PROBED = ("run-config", "project", "app-settings", "sql-instances", "secrets", "network")


def read_probed(c: Capture) -> None:
    """Secret Manager metadata (secret, its IAM policy, versions without payload) and the VPC
    (networks, subnetworks, routers, firewalls, connectors), as the `secrets` and `network` probes
    read them; a denied read becomes a fault like the other sections'."""
    from troubleshooter.probes import REGISTRY
    from troubleshooter.runner import run_probes

    obs, _results = run_probes(c.target, c.gateway, [REGISTRY[p] for p in _PROBED],
                               log_window_minutes=c.log_window_minutes)
    secrets = []
    for facts in obs.secrets.values():
        if facts.meta is None:
            continue  # a secret that does not exist is absent in the replay too (same 404)
        secret = {k: v for k, v in facts.meta.items() if k != "payload"}
        if facts.policy is not None:
            secret["iamPolicy"] = facts.policy
        if facts.versions is not None:
            secret["versions"] = [{k: v for k, v in ver.items() if k != "payload"} for ver in facts.versions]
        secrets.append(secret)
    if secrets:
        c.world["secrets"] = secrets
    sections = {
        "networks": list(obs.networks.values()),
        "subnetworks": list({id(s): s for s in obs.subnetworks.values()}.values()),
        "routers": [r for items in obs.routers.values() for r in items],
        "firewalls": [f for items in obs.firewalls.values() for f in items],
        "vpcConnectors": list(obs.connectors.values()),
    }
    for key, items in sections.items():
        if items:
            c.world[key] = items
    for key, failure in obs.failures.items():
        if key.kind in _PROBED_KINDS:
            c.read(f"{key.kind} {'/'.join(key.parts)}", lambda failure=failure: _raise(failure))


_PROBED_KINDS = frozenset({"secret", "secret-versions", "secret-iam", "network", "subnetwork", "subnetworks",
                           "routers", "firewalls", "connector"})


def _raise(failure: ApiFailure) -> Any:
    raise failure


def read_sql_operations(c: Capture) -> None:
    """Each referenced instance's Cloud SQL operations (maintenance, failover, restart, update...)
    as far back as the `logs` probe looks when connections drop (its window plus an hour)."""
    from troubleshooter.probes.sql_operations import BEFORE_WINDOW

    since = c.now - timedelta(minutes=c.log_window_minutes) - BEFORE_WINDOW
    history: dict[str, list[dict[str, Any]]] = {}
    for ref in c.refs:
        if not ref.instance:
            continue
        ops = c.read(f"operations of {ref.key}",
                     lambda ref=ref: c.gateway.list_operations(ref.project, ref.instance, since=since))
        if ops:
            history[ref.key] = ops
    if history:
        c.world["sqlOperations"] = history


READERS: tuple[tuple[str, Reader], ...] = (
    ("workload", read_workload),
    ("revisions", read_revisions),
    ("instances", read_instances),
    ("projects", read_projects),
    ("databases/users", read_databases_users),
    ("logs", read_logs),
    ("secrets/network", read_probed),
    ("sqlOperations", read_sql_operations),
)


# --------------------------------------------------------------------------- the world


def capture(gateway: Gateway, target: Target, *, log_window_minutes: int | None = None,
            now: datetime | None = None, readers: Iterable[tuple[str, Reader]] = READERS) -> dict[str, Any]:
    """The target as world data (file format), redacted, with times relative to the capture."""
    from troubleshooter.diagnosis import default_log_window

    window = log_window_minutes if log_window_minutes is not None else default_log_window(target)
    c = Capture(gateway, target, window, now or datetime.now(timezone.utc))
    for _section, reader in readers:
        reader(c)
    return assemble(c)


_TIMED_SECTIONS = ("services", "revisions", "jobs", "executions", "instances", "logEntries", "secrets",
                   "vpcConnectors", "sqlOperations")


def assemble(c: Capture) -> dict[str, Any]:
    t = c.target
    stamp = c.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [f"Captured from {t.describe()} at {stamp} by `troubleshooter capture`. Times are "
             "relative to the capture, so a replay sees the incident as recent as it was then. "
             "Secrets are replaced by stand-ins; no secret payload was read."]
    if c.notes:
        lines += ["", "Could not be read:"] + [f"- {n}" for n in c.notes]
    world: dict[str, Any] = {
        "name": f"capture-{t.name}",
        "title": f"Captured: {t.describe()}",
        "description": "\n".join(lines),
        "target": t.as_dict(),
    }
    for key, value in c.world.items():
        value = scrub(value)
        world[key] = relative_times(value, c.now) if key in _TIMED_SECTIONS else value
    if c.faults:
        world["faults"] = c.faults
    return world


def scrub(value: Any, key: str = "") -> Any:
    """Env entries' values through stand_in, secret-named fields' values too, other strings
    through redact (a log line's DSN password, a token in an annotation)."""
    if isinstance(value, dict):
        name, env_value = value.get("name"), value.get("value")
        if isinstance(name, str) and isinstance(env_value, str):
            return {k: (stand_in(name, v) if k == "value" else scrub(v, k)) for k, v in value.items()}
        return {k: scrub(v, k) for k, v in value.items()}
    if isinstance(value, list):
        out = [scrub(v, key) for v in value]
        # args/command lists: the value after a secret-named flag (`--db-password`, `hunter2`)
        # is a separate item that no text rule can recognise alone.
        for i, item in enumerate(value[:-1]):
            if (isinstance(item, str) and item.startswith("-") and "=" not in item
                    and is_secret_name(item.lstrip("-")) and isinstance(value[i + 1], str)):
                out[i + 1] = stand_in(item.lstrip("-"), value[i + 1])
        return out
    if isinstance(value, str):
        if key in _KEPT_AS_IS:
            return value
        if key and key != "secret" and is_secret_name(key):
            return stand_in(key, value)
        return redact(value)
    return value


# Opaque API values that are no secret and must stay byte for byte: an IAM etag must still be
# base64 for the replay's setIamPolicy, and a long Run etag could look random enough to be masked.
_KEPT_AS_IS = frozenset({"etag", "uid"})


def _is_time_key(key: str) -> bool:
    return key in ("timestamp", "receiveTimestamp") or key.endswith(("Time", "Timestamp"))


def relative_times(value: Any, now: datetime) -> Any:
    """Every past RFC 3339 time field as `-Ns` before `now` (the loader makes it absolute again)."""
    from troubleshooter.world import parse_rfc3339

    if isinstance(value, list):
        return [relative_times(v, now) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        if isinstance(v, str) and _is_time_key(k):
            try:
                ago = (now - parse_rfc3339(v)).total_seconds()
            except ValueError:
                ago = -1.0
            out[k] = f"-{ago:.6f}".rstrip("0").rstrip(".") + "s" if ago >= 0 else v
        else:
            out[k] = relative_times(v, now)
    return out
