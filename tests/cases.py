"""World builders for the diagnosis acceptance tests: the healthy baseline, one small mutation each.

Every builder starts from a deep copy of `healthy-baseline.yaml` as plain data (what
`yaml.safe_load` gives), changes one thing, and clears `expect`/`faults`. A `Case` pairs a
builder with what a correct diagnosis reports. For every root-cause and finding id of the
catalog there is a case where it holds (`kind="holds"`) and a near miss (`kind="near"`): the
same setup, healthy in that one respect, which must report no root cause and not that id.

Nothing here talks to an API: `run_world` (used by the tests) serves the world in a real
Sandbox and runs the real probes through the real client libraries.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import yaml

from troubleshooter.scenarios import scenario_path

World = dict[str, Any]

# --------------------------------------------------------------------------- the baseline

P = "acme-orders-prod"
PN = "503183562094"
R = "europe-west1"
SVC = "orders-api"
INSTANCE = "orders-db"
CN = f"{P}:{R}:{INSTANCE}"
SA = f"{SVC}@{P}.iam.gserviceaccount.com"
SERVICE_NAME = f"projects/{P}/locations/{R}/services/{SVC}"
REV42 = f"{SERVICE_NAME}/revisions/orders-api-00042-j8v"
PUBLIC_IP = "34.76.201.58"
PRIVATE_IP = "10.40.0.3"
VPC = "orders-vpc"
VPC_PATH = f"projects/{P}/global/networks/{VPC}"
PASSWORD = "Sup3r-s3cret-pw"   # must never appear in any output
PROXY_IMAGE = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1"

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # what yaml.safe_load does, in C

with scenario_path("healthy-baseline").open(encoding="utf-8") as _fh:
    _BASELINE: World = yaml.load(_fh, Loader=_YAML_LOADER)  # noqa: S506 - a SafeLoader


def base() -> World:
    """A private deep copy of the healthy baseline, with no expectations and no faults."""
    w = copy.deepcopy(_BASELINE)
    w.pop("expect", None)
    w.pop("faults", None)
    return w


# --------------------------------------------------------------------------- small accessors


def service(w: World) -> dict[str, Any]:
    return w["services"][0]


def template(w: World) -> dict[str, Any]:
    return service(w)["template"]


def container(w: World) -> dict[str, Any]:
    return template(w)["containers"][0]


def instance(w: World) -> dict[str, Any]:
    return w["instances"][0]


def ip_config(w: World) -> dict[str, Any]:
    return instance(w)["settings"]["ipConfiguration"]


def bindings(w: World, project: int = 0) -> list[dict[str, Any]]:
    return w["projects"][project]["iamPolicy"]["bindings"]


def set_env(w: World, name: str, value: str) -> None:
    """Set a plain env value (replacing the variable if it exists, else appending it)."""
    env = container(w)["env"]
    for e in env:
        if e["name"] == name:
            e.clear()
            e.update(name=name, value=value)
            return
    env.append({"name": name, "value": value})


def secret_env(w: World, name: str, secret: str, version: str = "latest") -> None:
    env = container(w)["env"]
    env[:] = [e for e in env if e["name"] != name]
    env.append({"name": name, "valueSource": {"secretKeyRef": {"secret": secret, "version": version}}})


def del_env(w: World, *names: str) -> None:
    env = container(w)["env"]
    env[:] = [e for e in env if e["name"] not in names]


def only_dsn(w: World, dsn: str, name: str = "DATABASE_URL") -> None:
    """The app connects with one URL (password from Secret Manager): the other DB vars go."""
    del_env(w, "INSTANCE_CONNECTION_NAME", "INSTANCE_UNIX_SOCKET", "DB_NAME", "DB_USER")
    set_env(w, name, dsn)


def grant(w: World, role: str, member: str, project: int = 0) -> None:
    bs = bindings(w, project)
    for b in bs:
        if b["role"] == role and "condition" not in b:
            if member not in b["members"]:
                b["members"].append(member)
            return
    bs.append({"role": role, "members": [member]})


def revoke(w: World, role: str, member: str, project: int = 0) -> None:
    bs = bindings(w, project)
    for b in bs:
        if b["role"] == role and member in b["members"]:
            b["members"].remove(member)
    bs[:] = [b for b in bs if b["members"]]


def make_private_only(w: World) -> None:
    """The instance has only a private IP on `orders-vpc` (ipv4Enabled false)."""
    inst = instance(w)
    inst["ipAddresses"] = [{"type": "PRIVATE", "ipAddress": PRIVATE_IP}]
    cfg = ip_config(w)
    cfg["ipv4Enabled"] = False
    cfg["privateNetwork"] = VPC_PATH


def add_private_ip(w: World) -> None:
    """Public and private IP (the public one stays PRIMARY)."""
    instance(w)["ipAddresses"].append({"type": "PRIVATE", "ipAddress": PRIVATE_IP})
    ip_config(w)["privateNetwork"] = VPC_PATH


def vpc_egress(w: World, network: str, egress: str = "PRIVATE_RANGES_ONLY") -> None:
    template(w)["vpcAccess"] = {
        "networkInterfaces": [{"network": network, "subnetwork": f"{network.rsplit('/', 1)[-1]}-{R}"}],
        "egress": egress,
    }


def rename_instance(w: World, name: str, project: str = P, project_number: str | None = None) -> str:
    """Give the instance a new name (and project): every reference follows. Returns the new
    connection name. A new project gets an entry with sqladmin enabled and the SA's role."""
    new_cn = f"{project}:{R}:{name}"
    old_key, new_key = f"{P}:{INSTANCE}", f"{project}:{name}"

    def swap(obj: Any) -> Any:
        if isinstance(obj, str):
            return obj.replace(CN, new_cn)
        if isinstance(obj, list):
            return [swap(x) for x in obj]
        if isinstance(obj, dict):
            return {k: swap(v) for k, v in obj.items()}
        return obj

    for key in ("services", "logEntries"):
        w[key] = swap(w[key])
    inst = instance(w)
    inst.update(name=name, project=project, connectionName=new_cn,
                selfLink=f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{project}/instances/{name}")
    for coll in ("databases", "users"):
        rows = w[coll].pop(old_key)
        for row in rows:
            row.update(instance=name, project=project)
            row.pop("selfLink", None)
        w[coll][new_key] = rows
    if project != P:
        w["projects"].append({
            "projectId": project,
            "projectNumber": project_number or "771234567890",
            "enabledServices": ["sqladmin.googleapis.com", "cloudresourcemanager.googleapis.com",
                                "serviceusage.googleapis.com"],
            "iamPolicy": {"version": 1, "etag": "BwYdata0001=", "bindings": [
                {"role": "roles/cloudsql.client", "members": [f"serviceAccount:{SA}"]},
            ]},
        })
    return new_cn


def add_instance(w: World, name: str) -> str:
    """A second instance in the same project (a copy of orders-db), with its databases and users."""
    inst = copy.deepcopy(instance(w))
    cn = f"{P}:{R}:{name}"
    inst.update(name=name, connectionName=cn,
                selfLink=f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{P}/instances/{name}",
                ipAddresses=[{"type": "PRIMARY", "ipAddress": "34.76.201.77"}])
    w["instances"].append(inst)
    for coll in ("databases", "users"):
        rows = copy.deepcopy(w[coll][f"{P}:{INSTANCE}"])
        for row in rows:
            row.update(instance=name)
            row.pop("selfLink", None)
        w[coll][f"{P}:{name}"] = rows
    return cn


# --------------------------------------------------------------------------- revisions


def revision(w: World, short: str, *, ready: bool, message: str = "") -> dict[str, Any]:
    """A v2 Revision of the service, built from its template, Ready or failed with `message`."""
    rev = copy.deepcopy(template(w))
    rev.pop("revision", None)
    cond: dict[str, Any] = {"type": "Ready", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": "-3d"}
    if not ready:
        cond = {"type": "Ready", "state": "CONDITION_FAILED", "severity": "ERROR",
                "lastTransitionTime": "-20m", "message": message}
    rev.update(
        name=f"{SERVICE_NAME}/revisions/{short}",
        service=SVC,
        generation="1",
        createTime="-3d" if ready else "-25m",
        conditions=[cond],
        observedGeneration="1",
    )
    return rev


def failed_deploy(w: World, new_rev: str, message: str) -> None:
    """The newest revision `new_rev` failed; traffic stays on orders-api-00042-j8v."""
    svc = service(w)
    svc["latestCreatedRevision"] = f"{SERVICE_NAME}/revisions/{new_rev}"
    svc["latestReadyRevision"] = REV42
    failure = {"type": "Ready", "state": "CONDITION_FAILED", "severity": "ERROR",
               "reason": "REVISION_FAILED", "lastTransitionTime": "-20m",
               "message": f"Revision '{new_rev}' is not ready and cannot serve traffic. {message}"}
    svc["terminalCondition"] = failure
    svc["conditions"] = [
        {"type": "RoutesReady", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": "-3d"},
        {**failure, "type": "ConfigurationsReady"},
    ]
    svc["trafficStatuses"] = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST",
                               "revision": "orders-api-00042-j8v", "percent": 100}]


def older_failed_revision(w: World, message: str) -> None:
    """An older revision (00041) failed with `message`; 00042 fixed it and serves."""
    w["revisions"] = [
        revision(w, "orders-api-00041-q7z", ready=False, message=message),
        revision(w, "orders-api-00042-j8v", ready=True),
    ]


# --------------------------------------------------------------------------- logs

_REL = re.compile(r"^-(\d+)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _age(entry: Mapping[str, Any]) -> int:
    m = _REL.match(str(entry.get("timestamp", "")))
    return int(m.group(1)) * _UNIT[m.group(2)] if m else 0


def add_log(w: World, text: str, ago: str = "-1m", *, service_name: str = SVC,
            stream: str = "stderr", severity: str = "DEFAULT") -> None:
    """A plain-text log line of the service (or another one), kept in newest-last order."""
    entry = {
        "logName": f"projects/{P}/logs/run.googleapis.com%2F{stream}",
        "resource": {"type": "cloud_run_revision", "labels": {
            "project_id": P, "service_name": service_name,
            "revision_name": f"{service_name}-00042-j8v", "location": R,
            "configuration_name": service_name}},
        "severity": severity,
        "timestamp": ago,
        "receiveTimestamp": ago,
        "insertId": hashlib.sha1(f"{service_name}|{ago}|{len(w['logEntries'])}|{text}".encode())
        .hexdigest()[:24],
        "textPayload": text,
    }
    logs = w["logEntries"]
    at = next((i for i, e in enumerate(logs) if _age(e) < _age(entry)), len(logs))
    logs.insert(at, entry)


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One world and what a correct diagnosis of it reports.

    `subject` is the catalog id the case is about; `kind` says whether it holds or is the near
    miss. `causes` are in catalog order (the diagnosis's order); `findings` compare as a set.
    `symptom`/`answers` are passed to diagnose() only when `why` says the case needs them.
    `entry` is the symptom the walk must start from (detected from logs or config).
    """

    id: str
    subject: str
    kind: str                                   # holds | near
    build: Callable[[], World]
    causes: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    symptom: str | None = None
    answers: Mapping[str, str] | None = None
    why: str = ""
    entry: str | None = None
    note: str = ""

    def world(self) -> World:
        w = self.build()
        w["name"] = f"case-{self.id}"
        return w


def _w(*steps: Callable[[World], Any]) -> Callable[[], World]:
    def build() -> World:
        w = base()
        for step in steps:
            step(w)
        return w
    return build


# ---- mutations, named so that a failing case reads as a sentence


def _disable_sqladmin(w: World) -> None:
    w["projects"][0]["enabledServices"].remove("sqladmin.googleapis.com")


def _disable_compute(w: World) -> None:
    w["projects"][0]["enabledServices"].remove("compute.googleapis.com")


def _deploy_failed(w: World) -> None:
    failed_deploy(w, "orders-api-00043-k2m",
                  "The user-provided container failed to start and listen on the port defined "
                  "provided by the PORT=8080 environment variable within the allocated timeout.")


def _older_deploy_failed(w: World) -> None:
    older_failed_revision(w, "Container failed to start. Failed to start and then listen on the "
                             "port defined by the PORT environment variable.")


_SECRET_DENIED = (
    f"Permission denied on secret: projects/{PN}/secrets/orders-db-password/versions/3 for "
    f"Revision service account {SA}. The service account used must be granted the 'Secret "
    "Manager Secret Accessor' role (roles/secretmanager.secretAccessor) at the secret, project "
    "or higher level."
)


def _secret_denied(w: World) -> None:
    failed_deploy(w, "orders-api-00043-k2m", _SECRET_DENIED)
    w["revisions"] = [
        revision(w, "orders-api-00043-k2m", ready=False, message=_SECRET_DENIED),
        revision(w, "orders-api-00042-j8v", ready=True),
    ]


def _older_secret_denied(w: World) -> None:
    older_failed_revision(w, _SECRET_DENIED)


DB_SECRET = "orders-db-password"


def _db_secret(w: World, states: tuple[str, ...] = ("ENABLED", "ENABLED", "ENABLED"),
               bindings: list[dict[str, Any]] | None = None) -> None:
    """DB_PASS's secret as Secret Manager has it: versions 1.. (oldest first) and its own policy."""
    w["secrets"] = [{
        "name": f"projects/{P}/secrets/{DB_SECRET}", "replication": {"automatic": {}},
        "iamPolicy": {"version": 3, "etag": "BwYS3c", "bindings": bindings or []},
        "versions": [{"name": f"projects/{PN}/secrets/{DB_SECRET}/versions/{n}", "state": st,
                      "createTime": f"-{10 - n}d", "payload": {"data": "U3VwM3ItczNjcmV0LXB3"}}
                     for n, st in enumerate(states, start=1)],
    }]


def _pinned_version_disabled(w: World) -> None:
    _db_secret(w, ("ENABLED", "ENABLED", "DISABLED"))    # DB_PASS pins version 3


def _newer_version_disabled(w: World) -> None:
    _db_secret(w, ("ENABLED", "ENABLED", "ENABLED", "DISABLED"))  # latest (4) is off; 3 is pinned


def _no_secret_accessor(w: World) -> None:
    _db_secret(w)
    policy = w["projects"][0]["iamPolicy"]
    policy["bindings"] = [b for b in policy["bindings"] if b["role"] != "roles/secretmanager.secretAccessor"]


def _secret_accessor_by_condition(w: World) -> None:
    _no_secret_accessor(w)
    _db_secret(w, bindings=[{"role": "roles/secretmanager.secretAccessor", "members": [f"serviceAccount:{SA}"],
                             "condition": {"title": "orders secrets",
                                           "expression": f'resource.name.startsWith("projects/{PN}/secrets/orders-")'}}])


def _detach(w: World) -> None:
    t = template(w)
    t["volumes"] = [v for v in t["volumes"] if "cloudSqlInstance" not in v]
    if not t["volumes"]:
        del t["volumes"]
    c = container(w)
    c["volumeMounts"] = [m for m in c["volumeMounts"] if m["name"] != "cloudsql"]
    if not c["volumeMounts"]:
        del c["volumeMounts"]


def _attach_under_another_volume_name(w: World) -> None:
    template(w)["volumes"][0]["name"] = "db-socket"
    container(w)["volumeMounts"][0]["name"] = "db-socket"


def _attached_name_with_cr(w: World) -> None:
    template(w)["volumes"][0]["cloudSqlInstance"]["instances"] = [CN + "\r"]


def _cr_in_unrelated_var(w: World) -> None:
    set_env(w, "LOG_LEVEL", "info\r")


def _app_uses_replica(w: World) -> None:
    replica = add_instance(w, "orders-db-replica")
    set_env(w, "INSTANCE_CONNECTION_NAME", replica)
    set_env(w, "INSTANCE_UNIX_SOCKET", f"/cloudsql/{replica}")


def _app_uses_replica_attached_too(w: World) -> None:
    _app_uses_replica(w)
    template(w)["volumes"][0]["cloudSqlInstance"]["instances"].append(f"{P}:{R}:orders-db-replica")


def _delete_instance(w: World) -> None:
    w["instances"] = []
    w["databases"] = {}
    w["users"] = {}


def _instance_in_other_project(w: World) -> None:
    rename_instance(w, INSTANCE, project="acme-data-prod")


def _instance_in_invisible_project(w: World) -> None:
    """The app and attachment name acme-data-prod, a project this caller cannot see (the world
    does not describe it): Cloud SQL answers 403 notAuthorized, never 404."""
    rename_instance(w, INSTANCE, project="acme-data-prod")
    w["projects"] = [p for p in w["projects"] if p["projectId"] != "acme-data-prod"]
    w["instances"] = [i for i in w["instances"] if i["project"] != "acme-data-prod"]
    for coll in ("databases", "users"):
        w[coll].pop("acme-data-prod:orders-db", None)


def _app_uses_read_replica(w: World) -> None:
    """orders-db itself is a read replica of orders-db-primary: it connects, and writes fail."""
    instance(w).update(instanceType="READ_REPLICA_INSTANCE", masterInstanceName=f"{P}:orders-db-primary")


def _app_uses_primary(w: World) -> None:
    instance(w)["instanceType"] = "CLOUD_SQL_INSTANCE"


# /cloudsql/ (10) + "acme-orders-prod:europe-west1:" (30) + name + /.s.PGSQL.5432 (14)
LONG_NAME_110 = "orders-db-" + "x" * 46         # 56 chars -> 110 bytes
LONG_NAME_107 = "orders-db-" + "x" * 43         # 53 chars -> 107 bytes, the limit


def _long_name(n: str) -> Callable[[World], None]:
    def step(w: World) -> None:
        rename_instance(w, n)
    step.__name__ = f"_rename_{len(n)}"
    return step


def _no_client_role(w: World) -> None:
    revoke(w, "roles/cloudsql.client", f"serviceAccount:{SA}")
    revoke(w, "roles/editor", f"serviceAccount:{SA}")


def _client_role_via_cloudsql_editor(w: World) -> None:
    _no_client_role(w)
    grant(w, "roles/cloudsql.editor", f"serviceAccount:{SA}")


def _stopped(w: World) -> None:
    instance(w)["settings"]["activationPolicy"] = "NEVER"   # state still says RUNNABLE


def _always(w: World) -> None:
    instance(w)["settings"]["activationPolicy"] = "ALWAYS"
    instance(w)["state"] = "RUNNABLE"


def _suspended(w: World) -> None:
    instance(w)["state"] = "SUSPENDED"
    instance(w)["suspensionReason"] = ["BILLING_ISSUE"]


def _maintenance_scheduled(w: World) -> None:
    instance(w)["scheduledMaintenance"] = {"startTime": "2099-01-04T03:00:00Z", "canDefer": True,
                                           "canReschedule": True}


def _private_only(w: World) -> None:
    make_private_only(w)


def _private_only_with_egress_full_path(w: World) -> None:
    make_private_only(w)
    vpc_egress(w, VPC_PATH)


def _private_only_egress_other_network(w: World) -> None:
    make_private_only(w)
    vpc_egress(w, "default")


def _private_only_egress_short_name(w: World) -> None:
    make_private_only(w)
    vpc_egress(w, VPC)


def _all_traffic_public_only(w: World) -> None:
    vpc_egress(w, "default", "ALL_TRAFFIC")


def _private_ranges_public_only(w: World) -> None:
    vpc_egress(w, "default", "PRIVATE_RANGES_ONLY")


def _localhost_dsn(w: World) -> None:
    only_dsn(w, "postgresql://orders_app@localhost:5432/orders")


def _localhost_dsn_with_proxy(w: World) -> None:
    _localhost_dsn(w)
    template(w)["containers"].append({
        "name": "cloud-sql-proxy",
        "image": PROXY_IMAGE,
        "args": ["--port=5432", "--private-ip=false", CN],
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
    })
    container(w)["name"] = "app"


def _public_ip_dsn(w: World) -> None:
    only_dsn(w, f"postgresql://orders_app@{PUBLIC_IP}:5432/orders?sslmode=require")


def _private_ip_path(w: World) -> None:
    """The app dials the instance's private IP directly, with VPC egress on its network."""
    add_private_ip(w)
    vpc_egress(w, VPC)


def _private_ip_dsn_tls(w: World) -> None:
    _private_ip_path(w)
    only_dsn(w, f"postgresql://orders_app@{PRIVATE_IP}:5432/orders?sslmode=require")


def _private_ip_dsn_no_tls(w: World) -> None:
    _private_ip_path(w)
    only_dsn(w, f"postgresql://orders_app@{PRIVATE_IP}:5432/orders")


def _connector_required(w: World) -> None:
    instance(w)["settings"]["connectorEnforcement"] = "REQUIRED"


def _socket_file_as_host(w: World) -> None:
    only_dsn(w, f"postgresql://orders_app@localhost/orders?host=/cloudsql/{CN}/.s.PGSQL.5432")


def _socket_dir_as_host(w: World) -> None:
    only_dsn(w, f"postgresql://orders_app@localhost/orders?host=/cloudsql/{CN}")


def _empty_host_url(w: World) -> None:
    only_dsn(w, f"postgresql://orders_app@/orders?host=/cloudsql/{CN}")


def _config_rejected_logs(w: World) -> None:
    add_log(w, "Error: Config validation failed:\n - DATABASE_URL must be a URL address\n"
               "    at validate (/app/dist/config/validation.js:41:15)", "-4m")
    add_log(w, "An instance of ConfigVariables has failed the validation:\n - property "
               "DATABASE_URL has failed the following constraints: isUrl ", "-4m")


def _db_name_missing(w: World) -> None:
    set_env(w, "DB_NAME", "orders_prod")
    add_log(w, 'FATAL:  database "orders_prod" does not exist', "-3m")


def _db_name_postgres(w: World) -> None:
    set_env(w, "DB_NAME", "postgres")


def _db_user_missing(w: World) -> None:
    set_env(w, "DB_USER", "orders_svc")


def _db_user_postgres(w: World) -> None:
    set_env(w, "DB_USER", "postgres")


_AUTH_FAILED = 'FATAL:  password authentication failed for user "orders_app"'


def _auth_failed_recent(w: World) -> None:
    add_log(w, _AUTH_FAILED, "-3m")
    add_log(w, _AUTH_FAILED, "-90s")


def _auth_failed_stale(w: World) -> None:
    add_log(w, _AUTH_FAILED, "-3h")
    add_log(w, _AUTH_FAILED, "-179m")


_TOO_MANY = "FATAL:  sorry, too many clients already"


def _too_many_ours(w: World) -> None:
    add_log(w, _TOO_MANY, "-3m")
    add_log(w, "FATAL:  remaining connection slots are reserved for non-replication superuser "
               "connections", "-90s")


def _too_many_other_service(w: World) -> None:
    add_log(w, _TOO_MANY, "-3m", service_name="reports-batch")
    add_log(w, _TOO_MANY, "-90s", service_name="reports-batch")


def _admin_quota(w: World) -> None:
    add_log(w, (
        "Cloud SQL connection failed. Please see https://cloud.google.com/sql/docs/postgres/"
        f"connect-run for additional details: ensure that the account has access to \"{CN}\" "
        f"(and make sure there's no typo in that name). Error during generateEphemeral for {CN}: "
        "googleapi: Error 429: Quota exceeded for quota metric 'Connect Queries' and limit "
        "'Connect Queries per minute per user' of service 'sqladmin.googleapis.com' for consumer "
        f"'project_number:{PN}'., rateLimitExceeded"), "-2m", stream="varlog%2Fsystem",
        severity="ERROR")


def _other_api_quota(w: World) -> None:
    add_log(w, "geocode: ETIMEDOUT after retry: Quota exceeded for quota metric 'Requests' and "
               "limit 'Requests per minute' of service 'geocoding-backend.googleapis.com'", "-2m")


def _open_to_world(w: World) -> None:
    ip_config(w)["authorizedNetworks"] = [{"kind": "sql#aclEntry", "name": "temporary",
                                           "value": "0.0.0.0/0"}]


def _office_network(w: World) -> None:
    ip_config(w)["authorizedNetworks"] = [{"kind": "sql#aclEntry", "name": "office",
                                           "value": "203.0.113.0/24"}]


def _dsn_with_password(w: World) -> None:
    only_dsn(w, f"postgresql://orders_app:{PASSWORD}@localhost/orders?host=/cloudsql/{CN}")


def _sa_editor(w: World) -> None:
    grant(w, "roles/editor", f"serviceAccount:{SA}")


def _sa_cloudsql_admin(w: World) -> None:
    grant(w, "roles/cloudsql.admin", f"serviceAccount:{SA}")


def _unencrypted_allowed(w: World) -> None:
    cfg = ip_config(w)
    cfg["sslMode"] = "ALLOW_UNENCRYPTED_AND_ENCRYPTED"
    cfg["requireSsl"] = False


def _unencrypted_with_office(w: World) -> None:
    _unencrypted_allowed(w)
    _office_network(w)


def _secret_dsn(w: World) -> None:
    del_env(w, "INSTANCE_CONNECTION_NAME", "INSTANCE_UNIX_SOCKET", "DB_NAME", "DB_USER")
    secret_env(w, "DATABASE_URL", "orders-database-url")


# ---- added causes (root-causes.md, "Added causes"): real texts from public incident threads


def _socket_path_looked_up(w: World) -> None:
    # node-postgres given host=/cloudsql/... by a config layer that treats it as a host name.
    add_log(w, f"Error: getaddrinfo ENOTFOUND /cloudsql/{CN}", "-3m")
    add_log(w, f"Error: getaddrinfo ENOTFOUND /cloudsql/{CN}", "-1m")


def _other_host_unresolvable(w: World) -> None:
    add_log(w, "Error: getaddrinfo ENOTFOUND api.stripe.com", "-2m")


_REFUSED_LOOPBACK = "Error: connect ECONNREFUSED 127.0.0.1:5432"


def _socket_dsn_dials_tcp(w: World) -> None:
    _socket_dir_as_host(w)
    add_log(w, _REFUSED_LOOPBACK, "-3m")
    add_log(w, _REFUSED_LOOPBACK, "-1m")


_IAM_SA_USER = f"{SVC}@{P}.iam"   # Postgres' name for the SA: its email without .gserviceaccount.com


def _password_with_at(w: World) -> None:
    only_dsn(w, f"postgresql://orders_app:{PASSWORD}@2024@localhost/orders?host=/cloudsql/{CN}")


def _password_encoded(w: World) -> None:
    only_dsn(w, f"postgresql://orders_app:{PASSWORD}%402024@localhost/orders?host=/cloudsql/{CN}")


def _proxy_starts_late(w: World) -> None:
    _localhost_dsn_with_proxy(w)
    add_log(w, _REFUSED_LOOPBACK, "-3m")


def _proxy_ordered(w: World) -> None:
    _localhost_dsn_with_proxy(w)
    container(w)["dependsOn"] = ["cloud-sql-proxy"]
    proxy = template(w)["containers"][1]
    proxy["args"] = [*proxy["args"], "--health-check", "--http-address=0.0.0.0"]
    proxy["startupProbe"] = {"httpGet": {"path": "/startup", "port": 9090}, "periodSeconds": 1,
                             "failureThreshold": 60}


def _iam_login(w: World, *, user: bool = True, role: bool = True, flag: bool = True) -> None:
    """The Python connector with IAM database authentication (Google's sample env shape)."""
    del_env(w, "INSTANCE_UNIX_SOCKET", "DB_USER", "DB_PASS")
    set_env(w, "IP_TYPE", "PUBLIC")
    set_env(w, "ENABLE_IAM_AUTH", "true")
    if user:
        w["users"][f"{P}:{INSTANCE}"].append({"kind": "sql#user", "name": _IAM_SA_USER, "host": "",
                                               "instance": INSTANCE, "project": P,
                                               "type": "CLOUD_IAM_SERVICE_ACCOUNT"})
    if role:
        grant(w, "roles/cloudsql.instanceUser", f"serviceAccount:{SA}")
    if flag:
        instance(w)["settings"]["databaseFlags"].append({"name": "cloudsql.iam_authentication",
                                                          "value": "on"})


_PER_INSTANCE_LIMIT = f'Exceeded maximum of 100 connections per instance "{CN}".'


def _run_connection_cap(w: World) -> None:
    add_log(w, _PER_INSTANCE_LIMIT, "-3m", severity="ERROR")
    add_log(w, _PER_INSTANCE_LIMIT, "-1m", severity="ERROR")


def _run_connection_cap_other_service(w: World) -> None:
    add_log(w, _PER_INSTANCE_LIMIT, "-2m", service_name="reports-batch", severity="ERROR")


_TERMINATED = "Error: Connection terminated unexpectedly"


def _pool_connections_die(w: World) -> None:
    add_log(w, _TERMINATED, "-20m")
    add_log(w, "FATAL:  terminating connection due to administrator command", "-19m")


def _pool_connections_died_long_ago(w: World) -> None:
    add_log(w, _TERMINATED, "-5h")


# ---- the VPC itself (issue 12): Compute resources in their REST shapes (as gcpdiag captured them)
_COMPUTE = "https://www.googleapis.com/compute/v1/"


def vpc_resources(w: World, *, subnet: str = "run-egress", region: str = R, pga: bool = False,
                  nat: bool = False) -> None:
    """orders-vpc (with private services access), one subnet, a router (with or without Cloud NAT)."""
    net = f"{_COMPUTE}projects/{P}/global/networks/{VPC}"
    link = f"{_COMPUTE}projects/{P}/regions/{region}/subnetworks/{subnet}"
    w["networks"] = [{"kind": "compute#network", "name": VPC, "selfLink": net, "autoCreateSubnetworks": False,
                      "subnetworks": [link], "peerings": [
                          {"name": "servicenetworking-googleapis-com", "state": "ACTIVE",
                           "network": f"{_COMPUTE}projects/svc-tp-1/global/networks/servicenetworking"}]}]
    w["subnetworks"] = [{"kind": "compute#subnetwork", "name": subnet, "network": net, "ipCidrRange": "10.8.0.0/26",
                         "region": f"{_COMPUTE}projects/{P}/regions/{region}", "selfLink": link,
                         "privateIpGoogleAccess": pga}]
    w["routers"] = [{"kind": "compute#router", "name": "edge", "network": net,
                     "region": f"{_COMPUTE}projects/{P}/regions/{region}",
                     "nats": [{"name": "nat", "sourceSubnetworkIpRangesToNat": "ALL_SUBNETWORKS_ALL_IP_RANGES"}]
                     if nat else []}]
    w["firewalls"] = []


def _connector_app_all_traffic(pga: bool) -> Callable[[World], None]:
    def step(w: World) -> None:
        del_env(w, "INSTANCE_UNIX_SOCKET")
        set_env(w, "IP_TYPE", "PRIVATE")   # the connector samples' variable: a connector library
        add_private_ip(w)
        template(w)["vpcAccess"] = {"networkInterfaces": [{"network": VPC, "subnetwork": "run-egress"}],
                                    "egress": "ALL_TRAFFIC"}
        vpc_resources(w, pga=pga)
    return step


def _egress_subnet_in(region: str) -> Callable[[World], None]:
    def step(w: World) -> None:
        template(w)["vpcAccess"] = {"networkInterfaces": [{"network": VPC, "subnetwork": "run-egress"}],
                                    "egress": "PRIVATE_RANGES_ONLY"}
        vpc_resources(w, region=region)
    return step


def _pair(subject: str, holds: Callable[[], World], near: Callable[[], World], *,
          causes: tuple[str, ...] | None = None, findings: tuple[str, ...] = (),
          near_findings: tuple[str, ...] = (), entry: str | None = None,
          near_entry: str | None = None, note: str = "", near_note: str = "",
          symptom: str | None = None, answers: Mapping[str, str] | None = None,
          near_answers: Mapping[str, str] | None = None, why: str = "",
          suffix: str = "") -> list[Case]:
    is_finding = subject in _FINDING_IDS
    if causes is None:
        causes = () if is_finding else (subject,)
    if is_finding and subject not in findings:
        findings = (*findings, subject)
    tag = f"{subject}{suffix}"
    return [
        Case(f"{tag}", subject, "holds", holds, causes, findings, symptom, answers, why, entry, note),
        Case(f"{tag}~near", subject, "near", near, (), near_findings, symptom, near_answers, why,
             near_entry, near_note),
    ]


_FINDING_IDS = ("authorized-networks-open-to-world", "plaintext-secret-in-env", "app-database-is-read-replica",
                "overprivileged-runtime-sa", "public-ip-allows-unencrypted")

CASES: list[Case] = [
    *_pair("sqladmin-api-disabled", _w(_disable_sqladmin), _w(_disable_compute),
           near_note="another API (compute) is off; sqladmin is on"),
    *_pair("latest-revision-not-ready", _w(_deploy_failed), _w(_older_deploy_failed),
           entry="deploy-not-ready",
           near_note="an older revision failed; the newest one is ready and serves"),
    *_pair("cloudsql-not-attached", _w(_detach), _w(_attach_under_another_volume_name),
           near_note="attached, under a volume named db-socket"),
    *_pair("connection-name-malformed", _w(_attached_name_with_cr), _w(_cr_in_unrelated_var),
           near_note="a \\r in LOG_LEVEL, not in a connection name"),
    *_pair("connection-name-mismatch", _w(_app_uses_replica), _w(_app_uses_replica_attached_too),
           note="the app names orders-db-replica (which exists), orders-db is attached",
           near_note="both instances attached, the app uses one of them"),
    *_pair("instance-not-found", _w(_delete_instance), _w(_instance_in_other_project),
           near_note="the instance lives in another project (acme-data-prod) and is named so"),
    *_pair("socket-path-too-long", _w(_long_name(LONG_NAME_110)), _w(_long_name(LONG_NAME_107)),
           note="110-byte socket path", near_note="107-byte socket path: exactly the limit"),
    *_pair("missing-cloudsql-client-role", _w(_no_client_role), _w(_client_role_via_cloudsql_editor),
           near_note="granted through roles/cloudsql.editor"),
    *_pair("instance-stopped", _w(_stopped), _w(_always),
           note="activationPolicy NEVER while state still says RUNNABLE"),
    *_pair("instance-not-runnable", _w(_suspended), _w(_maintenance_scheduled),
           near_note="RUNNABLE with maintenance scheduled in the future"),
    *_pair("private-ip-without-vpc-egress", _w(_private_only), _w(_private_only_with_egress_full_path),
           near_note="VPC egress on the instance's network (full resource path)"),
    *_pair("vpc-network-mismatch", _w(_private_only_egress_other_network),
           _w(_private_only_egress_short_name),
           near_note="VPC egress on the instance's network, given by short name"),
    *_pair("all-traffic-egress-to-public-ip", _w(_all_traffic_public_only),
           _w(_private_ranges_public_only), near_note="egress PRIVATE_RANGES_ONLY"),
    *_pair("app-uses-localhost-tcp", _w(_localhost_dsn), _w(_localhost_dsn_with_proxy),
           near_note="a cloud-sql-proxy sidecar listens on localhost"),
    *_pair("app-uses-localhost-tcp", _w(_secret_dsn), _w(_secret_dsn),
           answers={"app-connection": "localhost-tcp"}, near_answers={"app-connection": "unix-socket"},
           why="the DSN is in Secret Manager, so only the operator's answer to "
               "question:app-connection says how the app connects",
           suffix="+answer", note="answer localhost-tcp", near_note="answer unix-socket"),
    *_pair("app-uses-public-ip-unauthorized", _w(_public_ip_dsn), _w(_private_ip_dsn_tls),
           note="public IP with sslmode=require, no authorized networks",
           near_note="the private IP with sslmode=require, through VPC egress on its network"),
    *_pair("ssl-required-for-direct-tcp", _w(_private_ip_dsn_no_tls), _w(_private_ip_dsn_tls),
           note="sslMode ENCRYPTED_ONLY, private-IP DSN without sslmode",
           near_note="the same DSN with sslmode=require"),
    *_pair("connector-enforcement-blocks-direct", _w(_private_ip_dsn_tls, _connector_required),
           _w(_connector_required),
           note="connectorEnforcement REQUIRED, private-IP DSN (with TLS)",
           near_note="connectorEnforcement REQUIRED, the app uses the /cloudsql socket"),
    *_pair("socket-path-wrong-for-engine", _w(_socket_file_as_host), _w(_socket_dir_as_host),
           near_note="host= names the socket directory"),
    *_pair("dsn-rejected-by-validator", _w(_empty_host_url, _config_rejected_logs),
           _w(_socket_dir_as_host), entry="config-rejected",
           near_note="a dummy localhost host with ?host=/cloudsql/..., no rejection"),
    *_pair("dsn-rejected-by-validator", _w(_empty_host_url, _config_rejected_logs), _w(_empty_host_url),
           entry="config-rejected", suffix="+logs",
           near_note="the same empty-host URL, but the logs show no rejection"),
    *_pair("secret-not-accessible", _w(_secret_denied), _w(_older_secret_denied),
           causes=("latest-revision-not-ready", "secret-not-accessible"), entry="deploy-not-ready",
           note="inherent: a revision that cannot read its secret never becomes ready, so "
                "latest-revision-not-ready holds too",
           near_note="an older revision was denied the secret; the newest one is ready"),
    *_pair("secret-not-accessible", _w(_no_secret_accessor), _w(_secret_accessor_by_condition), suffix="+iam",
           note="decided from IAM: no role with secretmanager.versions.access on the secret or the project",
           near_note="secretAccessor on the secret under a condition that applies to it"),
    *_pair("database-not-found", _w(_db_name_missing), _w(_db_name_postgres),
           entry="database-missing", near_note="DB_NAME names the existing postgres database"),
    *_pair("db-user-not-found", _w(_db_user_missing), _w(_db_user_postgres),
           near_note="DB_USER names the existing postgres user"),
    *_pair("password-authentication-failed", _w(_auth_failed_recent), _w(_auth_failed_stale),
           entry="auth-failed", near_note="the same lines, three hours old (outside the window)"),
    *_pair("too-many-connections", _w(_too_many_ours), _w(_too_many_other_service),
           entry="too-many-connections",
           near_note="the lines come from another service of the project"),
    *_pair("admin-api-quota-exceeded", _w(_admin_quota), _w(_other_api_quota),
           entry="not-authorized", near_entry="connection-timeout",
           note="the platform's Cloud SQL connection line carrying the Admin API's 429",
           near_note="a quota error of another API (geocoding)"),
    *_pair("driver-lacks-unix-socket", _w(_socket_path_looked_up), _w(_other_host_unresolvable),
           note="node-postgres looks /cloudsql/P:R:I up in DNS",
           near_note="another host (a payment API) does not resolve: no database error"),
    *_pair("dsn-socket-param-ignored", _w(_socket_dsn_dials_tcp), _w(_socket_dir_as_host),
           entry="connection-refused",
           note="host=/cloudsql/... in the DSN, ECONNREFUSED 127.0.0.1:5432 in the logs",
           near_note="the same DSN, no TCP attempt in the logs"),
    *_pair("secret-version-not-enabled", _w(_pinned_version_disabled), _w(_newer_version_disabled),
           note="DB_PASS pins version 3, which is DISABLED",
           near_note="a newer version is disabled; the pinned version 3 is enabled"),
    *_pair("password-not-url-encoded", _w(_password_with_at), _w(_password_encoded),
           findings=("plaintext-secret-in-env",), near_findings=("plaintext-secret-in-env",),
           note="an '@' in the password, unencoded", near_note="the same password with %40"),
    *_pair("sidecar-proxy-not-ready", _w(_proxy_starts_late), _w(_proxy_ordered),
           entry="connection-refused",
           note="a proxy sidecar without dependsOn or startup probe; ECONNREFUSED 127.0.0.1:5432",
           near_note="dependsOn the proxy, which has a startup probe on /startup"),
    *_pair("iam-db-user-missing", _w(lambda w: _iam_login(w, user=False)), _w(_iam_login),
           note="ENABLE_IAM_AUTH with the connector; no CLOUD_IAM_SERVICE_ACCOUNT user",
           near_note="the IAM user exists"),
    *_pair("missing-cloudsql-instance-user-role", _w(lambda w: _iam_login(w, role=False)),
           _w(_iam_login), note="IAM login without roles/cloudsql.instanceUser",
           near_note="roles/cloudsql.instanceUser granted"),
    *_pair("iam-authentication-flag-off", _w(lambda w: _iam_login(w, flag=False)), _w(_iam_login),
           note="IAM login, cloudsql.iam_authentication unset", near_note="the flag is on"),
    *_pair("run-instance-connection-limit", _w(_run_connection_cap),
           _w(_run_connection_cap_other_service), entry="too-many-connections",
           note="Cloud Run's per-instance cap, max_connections is not the limit",
           near_note="the same line from another service"),
    *_pair("stale-pooled-connections", _w(_pool_connections_die), _w(_pool_connections_died_long_ago),
           note="node-postgres and Postgres' own words for a connection closed under the pool",
           near_note="one such line, five hours old (outside the window)"),
    *_pair("authorized-networks-open-to-world", _w(_open_to_world), _w(_office_network),
           near_note="a /24 office network"),
    *_pair("plaintext-secret-in-env", _w(_dsn_with_password), _w(_socket_dir_as_host),
           near_note="the same socket DSN without the password (DB_PASS from Secret Manager)"),
    *_pair("overprivileged-runtime-sa", _w(_sa_editor), _w(_sa_cloudsql_admin),
           near_note="roles/cloudsql.admin: broad for Cloud SQL, not editor/owner"),
    *_pair("public-ip-allows-unencrypted", _w(_unencrypted_with_office), _w(_unencrypted_allowed),
           near_note="unencrypted allowed, but no authorized network"),
    *_pair("instance-not-accessible", _w(_instance_in_invisible_project), _w(_instance_in_other_project),
           note="the instance's project is not visible: Cloud SQL answers 403 notAuthorized",
           near_note="the instance lives in another project the caller can see, and is named so"),
    *_pair("app-database-is-read-replica", _w(_app_uses_read_replica), _w(_app_uses_primary),
           near_note="instanceType CLOUD_SQL_INSTANCE: a primary"),
    *_pair("admin-api-unreachable-from-vpc", _w(_connector_app_all_traffic(pga=False)),
           _w(_connector_app_all_traffic(pga=True)),
           note="a connector app, ALL_TRAFFIC into a subnet without Private Google Access or Cloud NAT",
           near_note="the same subnet with Private Google Access on"),
    *_pair("vpc-subnet-wrong-region", _w(_egress_subnet_in("europe-west4")), _w(_egress_subnet_in(R)),
           note="the egress subnet exists only in europe-west4", near_note="the subnet is in the service's region"),
]

CASE_BY_ID: dict[str, Case] = {c.id: c for c in CASES}
assert len(CASE_BY_ID) == len(CASES), "case ids must be unique"


# --------------------------------------------------------------------------- running


def target_of(world: Any) -> Any:
    """The model Target of a validated World's `target`."""
    from troubleshooter.model import Target

    t = world.target
    return Target(project=t.project, region=t.region, service=t.service, job=t.job)


@dataclass(frozen=True)
class Run:
    """One diagnosis and the calls the sandbox served for it."""

    diagnosis: Any
    calls: tuple[Any, ...]
    seconds: float

    def called(self, api: str, method: str) -> list[Any]:
        """Served calls of `method` ("Service/Method" or the bare method name) of `api`."""
        return [c for c in self.calls if c.api == api
                and method in (c.method, f"{c.service}/{c.method}")
                and (api != "sqladmin" or "/" in method or c.service == "SqlInstancesService")]


def run_world(data: World, graph: Any, *, symptom: str | None = None,
              answers: Mapping[str, str] | None = None, timeout: float | None = None,
              deadline: float | None = None, read_secrets: bool | None = None) -> Run:
    """Serve `data` in a real Sandbox and diagnose its target through the engine, as `diagnose` does.
    `read_secrets` (the operator's consent) defaults to what the world's `expect` was written for."""
    if read_secrets is None:
        read_secrets = bool((data.get("expect") or {}).get("readSecrets"))
    from troubleshooter.engine.troubleshooting import Troubleshooting
    from troubleshooter.engine.workspace import Workspace
    from troubleshooter.world import world_from_data

    world = world_from_data(copy.deepcopy(data), f"<{data.get('name', 'world')}>")
    options: dict[str, float] = {}
    if timeout is not None:
        options["timeout"] = timeout
    if deadline is not None:
        options["deadline"] = deadline
    with Workspace.serving(world, graph, gateway_options=options) as workspace:
        engine = Troubleshooting.begin(workspace, target_of(world), answers=answers, read_secrets=read_secrets)
        started = time.monotonic()
        d = engine.diagnose(symptom=symptom)
        assert workspace.sandbox is not None
        return Run(d, tuple(workspace.sandbox.calls), time.monotonic() - started)


def engine_for(session: Any, gateway: Any, sandbox: Any = None) -> Any:
    """The engine over a session and a gateway a test built itself (the test closes the gateway)."""
    from troubleshooter.engine.troubleshooting import Troubleshooting
    from troubleshooter.engine.workspace import Workspace

    return Troubleshooting(Workspace(gateway, session.graph, sandbox), session)


class RunCache:
    """Diagnosed worlds by key, kept for one test session (a session fixture holds it, see conftest):
    each world is diagnosed once, whichever test asks first."""

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}

    def get(self, key: str, make: Callable[[], Run]) -> Run:
        if key not in self._runs:
            self._runs[key] = make()
        return self._runs[key]

    def warm(self, jobs: Mapping[str, Callable[[], Run]], workers: int = 4) -> None:
        """Diagnose the worlds not yet here a few at a time: each run mostly waits on loopback I/O
        (its own sandbox, its own gateway), so a handful overlap well even on two cores. A run
        that raises is left out, so that the test asking for it runs it and shows the error."""
        from concurrent.futures import ThreadPoolExecutor

        todo = {k: make for k, make in jobs.items() if k not in self._runs}
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="case") as pool:
            futures = {k: pool.submit(make) for k, make in todo.items()}
        for k, fut in futures.items():
            if fut.exception() is None:
                self._runs[k] = fut.result()


_CHECK_CRASH = re.compile(r"^check \S+ could not decide: ")


def internal_errors(diagnosis: Any) -> list[str]:
    """Probe or check crashes that the runner/walk turned into doubt (they must never happen)."""
    out = [f"probe {p.probe}: {f.explain()}" for p in diagnosis.probes.values()
           for f in p.failures if f.api == "troubleshooter"]
    out += [f"{s.node.id}: {s.result.summary}" for s in diagnosis.walk.steps
            if s.result is not None and _CHECK_CRASH.match(s.result.summary)]
    return out


# --------------------------------------------------------------------------- environment

_LOOPBACK_ONLY = {
    # Anything the client libraries try to reach beyond loopback goes to a closed local port and
    # fails at once; the sandbox (127.0.0.1) is reached directly. A guard: the suite must never
    # leave the machine (test_diagnosis_faults::test_log_reads_stay_on_loopback proves it doesn't).
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "no_proxy": "127.0.0.1,localhost",
}


@contextlib.contextmanager
def loopback_only(proxy: str | None = None) -> Any:
    """Environment where only loopback is reachable directly (both spellings of each variable)."""
    values = dict(_LOOPBACK_ONLY)
    if proxy is not None:
        values["http_proxy"] = values["https_proxy"] = proxy
    keys = [k for name in values for k in (name, name.upper())]
    saved = {k: os.environ.get(k) for k in keys}
    try:
        for name, value in values.items():
            os.environ[name] = os.environ[name.upper()] = value
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --------------------------------------------------------------------------- seed scenarios


def scenario_data(name: str) -> World:
    """A built-in scenario as plain data (expectations kept, as shipped); a fresh copy each call."""
    with scenario_path(name).open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_YAML_LOADER)  # noqa: S506 - a SafeLoader


def seed_key(name: str) -> str:
    return f"seed:{name}"


def seed_job(name: str, graph: Any) -> Callable[[], Run]:
    """The clean run of a built-in scenario: no symptom flag, no answers, default gateway."""
    return lambda: run_world(scenario_data(name), graph)
