"""Every check on small hand-built observations: the cause holds, a near miss, doubt, no secrets."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable

import pytest

from troubleshooter.catalog import FINDINGS, ROOT_CAUSES
from troubleshooter.checks import ALL, REGISTRY
from troubleshooter.dsn.connections import app_connections
from troubleshooter.facts.keys import FactKey
from troubleshooter.failures import ApiFailure
from troubleshooter.model import (
    CheckResult,
    Condition,
    LogMatch,
    Outcome,
    RevisionInfo,
    RunConfig,
    Target,
    VpcAccess,
)
from troubleshooter.observations import Observations
from troubleshooter.probes.app_settings import instance_refs
from troubleshooter.probes.common import app_ip_hosts, ip_matched_refs
from troubleshooter.remedies.commands import commands_for
from troubleshooter.remedies.contracts import AddVpcEgress, SetConnectionName

P, R, I = "shop-prod", "us-central1", "shop-db"
CN = f"{P}:{R}:{I}"
NUMBER = "123456789012"
SA = "runner@shop-prod.iam.gserviceaccount.com"
PASSWORD = "Sup3r-s3cret-pw"  # must never appear in any result
PUBLIC_IP = "34.41.195.120"
PRIVATE_IP = "10.20.0.3"
NET = f"projects/{P}/global/networks/prod-vpc"
SERVICE = f"projects/{P}/locations/{R}/services/shop-api"
PROXY_IMAGE = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11"


# --------------------------------------------------------------------------- builders


def plain(**values: str) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def secret(name: str, secret_name: str) -> dict[str, Any]:
    return {"name": name, "valueSource": {"secretKeyRef": {"secret": secret_name, "version": "latest"}}}


HEALTHY_ENV = plain(INSTANCE_CONNECTION_NAME=CN, DB_USER="app", DB_NAME="shop") + [
    secret("DB_PASS", "db-pass")
]


def run_cfg(
    *,
    attached: tuple[str, ...] = (CN,),
    env: list[dict[str, Any]] | None = None,
    sa: str = SA,
    vpc: VpcAccess = VpcAccess(),
    images: tuple[str, ...] = ("us-docker.pkg.dev/shop-prod/app/api:1",),
    kind: str = "service",
    terminal: Condition | None = Condition("Ready", "CONDITION_SUCCEEDED"),
    created: str | None = f"{SERVICE}/revisions/shop-api-00002-abc",
    ready: str | None = f"{SERVICE}/revisions/shop-api-00002-abc",
    max_instances: int | None = 10,
    default_sa: bool = False,
) -> RunConfig:
    env = HEALTHY_ENV if env is None else env
    containers = tuple({"name": f"c{i}", "image": img, "env": env if i == 0 else []}
                       for i, img in enumerate(images))
    return RunConfig(
        kind=kind,
        name=SERVICE if kind == "service" else f"projects/{P}/locations/{R}/jobs/migrate",
        template_path="template" if kind == "service" else "template.template",
        service_account=sa,
        service_account_is_default=default_sa,
        attached=attached,
        cloudsql_volume_names=("cloudsql",) if attached else (),
        cloudsql_mount_paths=("/cloudsql",) if attached else (),
        env=tuple(env),
        containers=containers,
        vpc=vpc,
        max_instances=max_instances,
        conditions=(),
        terminal_condition=terminal,
        latest_created_revision=created if kind == "service" else None,
        latest_ready_revision=ready if kind == "service" else None,
        serving_revisions=(ready,) if kind == "service" and ready else (),
        etag="e1",
    )


def instance(
    *,
    name: str = I,
    project: str = P,
    region: str = R,
    version: str = "POSTGRES_15",
    state: str = "RUNNABLE",
    policy: str = "ALWAYS",
    public: str | None = PUBLIC_IP,
    private: str | None = None,
    network: str | None = None,
    nets: tuple[str, ...] = (),
    ssl_mode: str | None = "ENCRYPTED_ONLY",
    require_ssl: bool | None = None,
    enforcement: str | None = None,
    flags: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    addrs = []
    if public:
        addrs.append({"type": "PRIMARY", "ipAddress": public})
    if private:
        addrs.append({"type": "PRIVATE", "ipAddress": private})
    ipc: dict[str, Any] = {"ipv4Enabled": bool(public),
                           "authorizedNetworks": [{"value": n, "name": f"n{i}"} for i, n in enumerate(nets)]}
    if network or private:
        ipc["privateNetwork"] = network or NET
    if ssl_mode:
        ipc["sslMode"] = ssl_mode
    if require_ssl is not None:
        ipc["requireSsl"] = require_ssl
    settings: dict[str, Any] = {"activationPolicy": policy, "ipConfiguration": ipc, "tier": "db-f1-micro",
                                "databaseFlags": [{"name": k, "value": v} for k, v in (flags or {}).items()]}
    if enforcement:
        settings["connectorEnforcement"] = enforcement
    return {"name": name, "project": project, "region": region, "connectionName": f"{project}:{region}:{name}",
            "databaseVersion": version, "state": state, "ipAddresses": addrs, "settings": settings, **extra}


def policy(*bindings: tuple[str, str] | dict[str, Any]) -> dict[str, Any]:
    out = []
    for b in bindings:
        out.append(b if isinstance(b, dict) else {"role": b[0], "members": [b[1]]})
    return {"version": 3, "etag": "x", "bindings": out}


def client_binding(sa: str = SA) -> tuple[str, str]:
    return ("roles/cloudsql.client", f"serviceAccount:{sa}")


def logmatch(symptom: str, *lines: str) -> LogMatch:
    return LogMatch(symptom, len(lines), "2025-06-28T00:00:00Z", "2025-06-28T00:05:00Z", tuple(lines),
                    ("projects/shop-prod/logs/run.googleapis.com%2Fstderr",), ("shop-api-00002-abc",))


def denied(api: str, method: str, resource: str, permission: str) -> ApiFailure:
    return ApiFailure("permission-denied", api=api, method=method, resource=resource, permission=permission)


def not_found(key: str) -> ApiFailure:
    return ApiFailure("not-found", api="sqladmin", method="Get", resource=key)


_DEFAULT = object()


def make_obs(
    run: RunConfig | None | object = _DEFAULT,
    *,
    instances: list[dict[str, Any]] | None = None,
    iam: dict[str, dict[str, Any]] | None = None,
    services: dict[str, bool] | None = None,
    logs: dict[str, LogMatch] | None = None,
    failures: dict[FactKey, ApiFailure] | None = None,
    answers: dict[str, str] | None = None,
    databases: dict[str, list[str]] | None = None,
    users: dict[str, list[dict[str, Any]]] | None = None,
    serving: RevisionInfo | None = None,
    latest: RevisionInfo | None = None,
    kind: str = "service",
) -> Observations:
    """Observations as the probes would leave them (refs from the real app-settings helpers)."""
    target = Target(P, R, service="shop-api") if kind == "service" else Target(P, R, job="migrate")
    cfg = run_cfg(kind=kind) if run is _DEFAULT else run
    obs = Observations(target)
    obs.run = cfg  # type: ignore[assignment]
    obs.project_numbers[P] = NUMBER
    instances = [instance()] if instances is None else instances
    failures = dict(failures or {})
    if cfg is not None:
        assert isinstance(cfg, RunConfig)
        obs.app = app_connections(list(cfg.env))
        obs.instance_refs = instance_refs(cfg.attached, obs.app, P)
        known = {r.key for r in obs.instance_refs}
        obs.instance_refs += [ref for ref, _ in ip_matched_refs(app_ip_hosts(obs.app), instances, known)]
    else:
        failures.setdefault(FactKey.run(), denied("run", "GetService", SERVICE, "run.services.get"))
    by_key = {f"{i['project']}:{i['name']}": i for i in instances}
    for ref in obs.instance_refs:
        if ref.key in by_key and FactKey.instance(ref.project, ref.instance) not in failures:
            obs.instances[ref.key] = by_key[ref.key]
        elif ref.key not in by_key and FactKey.instance(ref.project, ref.instance) not in failures and ref.instance:
            failures[FactKey.instance(ref.project, ref.instance)] = not_found(ref.key)
    for i in instances:
        obs.project_instances.setdefault(i["project"], []).append(i)
    obs.iam = {P: policy(client_binding())} if iam is None else iam
    obs.services_enabled = {f"{P}:sqladmin.googleapis.com": True} if services is None else services
    obs.logs = logs or {}
    obs.answers = answers or {}
    obs.databases = {f"{P}:{I}": ["postgres", "shop"]} if databases is None else databases
    obs.users = ({f"{P}:{I}": [{"name": "postgres", "type": "BUILT_IN"}, {"name": "app", "type": "BUILT_IN"}]}
                 if users is None else users)
    obs.serving, obs.latest = serving, latest
    obs.failures = failures
    return obs


def check(check_id: str, obs: Observations) -> CheckResult:
    return REGISTRY[check_id].evaluate(obs)


def text_of(result: CheckResult) -> str:
    return json.dumps([result.summary, [e.as_dict() for e in result.evidence], result.params,
                       result.expected_actual, repr(result.fix)], default=str)


# --------------------------------------------------------------------------- scenarios

# Deviations from the healthy base, by name.
def leaky_env(url: str) -> list[dict[str, Any]]:
    return plain(DATABASE_URL=url)


SECRET_URL_ENV = [secret("DATABASE_URL", "db-url")]
IP_URL = f"postgresql://app:{PASSWORD}@{PUBLIC_IP}:5432/shop"
PRIVATE_ONLY = dict(public=None, private=PRIVATE_IP, network=NET)
IAM_ENV = plain(INSTANCE_CONNECTION_NAME=CN, DB_NAME="shop", IP_TYPE="PUBLIC", ENABLE_IAM_AUTH="true")
FAIL_LOGS = {FactKey.logs(): ApiFailure("permission-denied", api="logging", method="ListLogEntries",
                                resource=f"projects/{P}", permission="logging.logEntries.list")}


def failed_revision() -> RevisionInfo:
    return RevisionInfo(
        f"{SERVICE}/revisions/shop-api-00003-new", False,
        (Condition("Ready", "CONDITION_FAILED",
                   "The user-provided container failed to start and listen on the port defined "
                   "provided by the PORT=8080 environment variable."),),
        (CN,), tuple(HEALTHY_ENV),
    )


SECRET_DENIED_MSG = (
    "spec.template.spec.containers[0].env[3].value_from.secret_key_ref.name: Permission denied on "
    f"secret: projects/{NUMBER}/secrets/db-pass/versions/latest for Revision service account {SA}. "
    "The service account used must be granted the 'Secret Manager Secret Accessor' role."
)

def secret_obs(states: tuple[str, ...] = ("ENABLED",), *, version: str = "latest",
               secret_bindings: tuple[dict[str, Any], ...] = (), project_iam: dict[str, Any] | None = None,
               failures: dict[FactKey, ApiFailure] | None = None, secrets: tuple[str, ...] = ("db-pass",)) -> Observations:
    """A workload whose DB_PASS comes from Secret Manager, with what the `secrets` probe read
    (versions newest first: states[0] is the newest)."""
    from troubleshooter.facts.secrets import SecretFacts, SecretUse

    obs = make_obs(iam={P: project_iam if project_iam is not None else policy(client_binding())},
                   failures=failures)
    for name in secrets:
        use = SecretUse(P, name, version, f"env {name.upper()}", name.upper().replace("-", "_"))
        obs.secret_uses.append(use)
        if FactKey.secret_versions(P, name) in obs.failures:
            obs.secrets[use.key] = SecretFacts(P, name)
            continue
        n = len(states)
        versions = tuple({"name": f"projects/{NUMBER}/secrets/{name}/versions/{n - i}", "state": st}
                         for i, st in enumerate(states))
        iam_denied = FactKey.secret_iam(P, name) in obs.failures
        obs.secrets[use.key] = SecretFacts(P, name, {"name": f"projects/{NUMBER}/secrets/{name}"}, versions,
                                           None if iam_denied else
                                           {"version": 1, "etag": "BwY=", "bindings": list(secret_bindings)})
    return obs


def accessor(sa: str = SA, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {"role": "roles/secretmanager.secretAccessor", "members": [f"serviceAccount:{sa}"]}
    if condition:
        b["condition"] = condition
    return b


Case = Callable[[], Observations]
CASES: dict[str, dict[str, Case]] = {
    "sqladmin-api-disabled": {
        "failed": lambda: make_obs(services={f"{P}:sqladmin.googleapis.com": False}),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(services={}, failures={
            FactKey.usage(P, "sqladmin.googleapis.com"): denied("serviceusage", "GetService", P,
                                                        "serviceusage.services.get")}),
    },
    "latest-revision-not-ready": {
        "failed": lambda: make_obs(
            run_cfg(created=f"{SERVICE}/revisions/shop-api-00003-new",
                    terminal=Condition("Ready", "CONDITION_FAILED", "Revision 'shop-api-00003-new' is not ready")),
            latest=failed_revision()),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(None),
    },
    "cloudsql-not-attached": {
        "failed": lambda: make_obs(run_cfg(attached=())),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(run_cfg(attached=(), env=SECRET_URL_ENV), failures=dict(FAIL_LOGS)),
    },
    "connection-name-malformed": {
        "failed": lambda: make_obs(run_cfg(attached=(CN + "\r",))),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(run_cfg(attached=(), env=SECRET_URL_ENV)),
    },
    "connection-name-mismatch": {
        "failed": lambda: make_obs(run_cfg(env=plain(INSTANCE_CONNECTION_NAME=f"{P}:{R}:shop-db-old"))),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(run_cfg(env=SECRET_URL_ENV)),
    },
    "instance-not-found": {
        "failed": lambda: make_obs(run_cfg(attached=(f"{P}:{R}:shop-db-old",), env=[])),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(failures={
            FactKey.instance(P, I): denied("sqladmin", "Get", f"{P}:{I}", "cloudsql.instances.get")}),
    },
    "socket-path-too-long": {
        "failed": lambda: make_obs(
            run_cfg(attached=(LONG_CN,), env=plain(INSTANCE_CONNECTION_NAME=LONG_CN)),
            instances=[instance(name=LONG_I, project=LONG_P)]),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(
            run_cfg(attached=(LONG_CN,), env=[]), instances=[],
            failures={FactKey.instance(LONG_P, LONG_I): denied("sqladmin", "Get", "x", "cloudsql.instances.get")}),
    },
    "missing-cloudsql-client-role": {
        "failed": lambda: make_obs(iam={P: policy(("roles/viewer", f"serviceAccount:{SA}"))}),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(iam={}, failures={
            FactKey.iam(P): denied("cloudresourcemanager", "GetIamPolicy", f"projects/{P}",
                               "resourcemanager.projects.getIamPolicy")}),
    },
    "instance-stopped": {
        "failed": lambda: make_obs(instances=[instance(policy="NEVER")]),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(failures={FactKey.instance(P, I): ApiFailure(
            "api-disabled", api="sqladmin", method="Get", resource=f"{P}:{I}",
            service="sqladmin.googleapis.com")}),
    },
    "instance-not-runnable": {
        "failed": lambda: make_obs(instances=[instance(state="SUSPENDED", suspensionReason=["BILLING_ISSUE"])]),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(failures={
            FactKey.instance(P, I): denied("sqladmin", "Get", f"{P}:{I}", "cloudsql.instances.get")}),
    },
    "private-ip-without-vpc-egress": {
        "failed": lambda: make_obs(instances=[instance(**PRIVATE_ONLY)]),
        "ok": lambda: make_obs(run_cfg(vpc=VpcAccess(network="prod-vpc", subnetwork="run-subnet")),
                               instances=[instance(**PRIVATE_ONLY)]),
        "uncertain": lambda: make_obs(failures={
            FactKey.instance(P, I): denied("sqladmin", "Get", f"{P}:{I}", "cloudsql.instances.get")}),
    },
    "vpc-network-mismatch": {
        "failed": lambda: make_obs(run_cfg(vpc=VpcAccess(network="legacy-vpc", subnetwork="s")),
                                   instances=[instance(**PRIVATE_ONLY)]),
        "ok": lambda: make_obs(run_cfg(vpc=VpcAccess(network="prod-vpc", subnetwork="s")),
                               instances=[instance(**PRIVATE_ONLY)]),
        "uncertain": lambda: make_obs(
            run_cfg(vpc=VpcAccess(connector=f"projects/{P}/locations/{R}/connectors/c1")),
            instances=[instance(**PRIVATE_ONLY)]),
    },
    "all-traffic-egress-to-public-ip": {
        "failed": lambda: make_obs(run_cfg(vpc=VpcAccess(network="prod-vpc", subnetwork="s", egress="ALL_TRAFFIC"))),
        "ok": lambda: make_obs(run_cfg(vpc=VpcAccess(network="prod-vpc", subnetwork="s",
                                                     egress="PRIVATE_RANGES_ONLY"))),
        "uncertain": lambda: make_obs(None),
    },
    "app-uses-localhost-tcp": {
        "failed": lambda: make_obs(run_cfg(env=leaky_env(f"postgresql://app:{PASSWORD}@localhost:5432/shop"))),
        "ok": lambda: make_obs(run_cfg(env=leaky_env(f"postgresql://app:{PASSWORD}@localhost:5432/shop"),
                                       images=("app:1", PROXY_IMAGE))),
        "uncertain": lambda: make_obs(run_cfg(env=SECRET_URL_ENV)),
    },
    "app-uses-public-ip-unauthorized": {
        "failed": lambda: make_obs(run_cfg(attached=(), env=leaky_env(IP_URL))),
        "ok": lambda: make_obs(run_cfg(attached=(), env=leaky_env(IP_URL)),
                               instances=[instance(nets=("0.0.0.0/0",))]),
        "uncertain": lambda: make_obs(run_cfg(env=SECRET_URL_ENV)),
    },
    "ssl-required-for-direct-tcp": {
        "failed": lambda: make_obs(run_cfg(attached=(), env=leaky_env(IP_URL)),
                                   instances=[instance(nets=("0.0.0.0/0",))]),
        "ok": lambda: make_obs(run_cfg(attached=(), env=leaky_env(IP_URL + "?sslmode=require")),
                               instances=[instance(nets=("0.0.0.0/0",))]),
        "uncertain": lambda: make_obs(run_cfg(env=SECRET_URL_ENV)),
    },
    "connector-enforcement-blocks-direct": {
        "failed": lambda: make_obs(run_cfg(attached=(), env=leaky_env(IP_URL)),
                                   instances=[instance(enforcement="REQUIRED")]),
        "ok": lambda: make_obs(run_cfg(attached=(), env=leaky_env(IP_URL)),
                               instances=[instance(enforcement="NOT_REQUIRED")]),
        "uncertain": lambda: make_obs(run_cfg(env=SECRET_URL_ENV)),
    },
    "socket-path-wrong-for-engine": {
        "failed": lambda: make_obs(run_cfg(env=leaky_env(
            f"postgresql://app:{PASSWORD}@/shop?host=/cloudsql/{CN}/.s.PGSQL.5432"))),
        "ok": lambda: make_obs(run_cfg(env=leaky_env(f"postgresql://app:{PASSWORD}@/shop?host=/cloudsql/{CN}"))),
        "uncertain": lambda: make_obs(run_cfg(env=SECRET_URL_ENV)),
    },
    "dsn-rejected-by-validator": {
        "failed": lambda: make_obs(
            run_cfg(env=plain(PG_DATABASE_URL=f"postgres://app:{PASSWORD}@/shop?host=/cloudsql/{CN}")),
            logs={"config-rejected": logmatch("config-rejected", "PG_DATABASE_URL must be a URL address")}),
        "ok": lambda: make_obs(run_cfg(env=plain(PG_DATABASE_URL=f"postgres://app:{PASSWORD}@/shop?host=/cloudsql/{CN}"))),
        "uncertain": lambda: make_obs(
            run_cfg(env=plain(PG_DATABASE_URL=f"postgres://app:{PASSWORD}@/shop?host=/cloudsql/{CN}")),
            failures=dict(FAIL_LOGS)),
    },
    "secret-not-accessible": {
        "failed": lambda: make_obs(latest=RevisionInfo(
            f"{SERVICE}/revisions/shop-api-00003-new", False,
            (Condition("Ready", "CONDITION_FAILED", SECRET_DENIED_MSG),), (CN,), tuple(HEALTHY_ENV))),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(None),
        # Decided from IAM: no failed revision, and no role on the secret or the project.
        "failed-iam": lambda: secret_obs(secrets=("db-pass", "api-key", "jwt-key")),
        "ok-secret": lambda: secret_obs(secret_bindings=(accessor(),)),
        "ok-project": lambda: secret_obs(project_iam=policy(client_binding(), ("roles/secretmanager.secretAccessor", f"serviceAccount:{SA}"))),
        "ok-condition": lambda: secret_obs(secret_bindings=(accessor(condition={
            "title": "db secrets", "expression": 'resource.name.startsWith("projects/' + NUMBER + '/secrets/db-")'}),)),
        "failed-condition": lambda: secret_obs(secret_bindings=(accessor(condition={
            "title": "other secrets", "expression": 'resource.name.startsWith("projects/' + NUMBER + '/secrets/web-")'}),)),
        "uncertain-iam": lambda: secret_obs(failures={FactKey.secret_iam(P, "db-pass"): denied(
            "secretmanager", "GetIamPolicy", f"projects/{P}/secrets/db-pass", "secretmanager.secrets.getIamPolicy")}),
    },
    "secret-version-not-enabled": {
        "failed": lambda: secret_obs(("DISABLED", "ENABLED")),
        "ok": lambda: secret_obs(("ENABLED", "DISABLED"), secret_bindings=(accessor(),)),
        "uncertain": lambda: secret_obs(failures={FactKey.secret_versions(P, "db-pass"): denied(
            "secretmanager", "ListSecretVersions", f"projects/{P}/secrets/db-pass", "secretmanager.versions.list")}),
        "failed-pinned": lambda: secret_obs(("ENABLED", "DISABLED"), version="1"),
        "failed-destroyed": lambda: secret_obs(("DESTROYED", "ENABLED")),
        "failed-none": lambda: secret_obs(("DISABLED", "DESTROYED")),
        "skipped": lambda: make_obs(),
    },
    "database-not-found": {
        "failed": lambda: make_obs(run_cfg(env=plain(INSTANCE_CONNECTION_NAME=CN, DB_USER="app", DB_NAME="shopdb"))),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(databases={}, failures={
            FactKey.databases(P, I): denied("sqladmin", "List", f"{P}:{I}", "cloudsql.databases.list")}),
    },
    "db-user-not-found": {
        "failed": lambda: make_obs(run_cfg(env=plain(INSTANCE_CONNECTION_NAME=CN, DB_USER="ghost", DB_NAME="shop"))),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(users={}, failures={
            FactKey.users(P, I): denied("sqladmin", "List", f"{P}:{I}", "cloudsql.users.list")}),
    },
    "password-authentication-failed": {
        "failed": lambda: make_obs(logs={"auth-failed": logmatch(
            "auth-failed", 'FATAL: password authentication failed for user "app"')}),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(failures=dict(FAIL_LOGS)),
    },
    "too-many-connections": {
        "failed": lambda: make_obs(instances=[instance(flags={"max_connections": "50"})], logs={
            "too-many-connections": logmatch("too-many-connections", "FATAL: sorry, too many clients already")}),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(failures=dict(FAIL_LOGS)),
    },
    "admin-api-quota-exceeded": {
        "failed": lambda: make_obs(logs={"unknown": logmatch(
            "unknown", "failed to get instance metadata: googleapi: Error 429: Quota exceeded for quota "
            "metric 'Connect Queries' of service 'sqladmin.googleapis.com', rateLimitExceeded")}),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(failures=dict(FAIL_LOGS)),
    },
    "driver-lacks-unix-socket": {
        "failed": lambda: make_obs(logs={"db-error:unresolvable": logmatch(
            "db-error:unresolvable", f"Error: getaddrinfo ENOTFOUND /cloudsql/{CN}")}),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(failures=dict(FAIL_LOGS)),
    },
    "dsn-socket-param-ignored": {
        "failed": lambda: make_obs(run_cfg(env=leaky_env(f"postgresql://app@localhost/shop?host=/cloudsql/{CN}")),
                                   logs={"connection-refused": logmatch(
                                       "connection-refused", "Error: connect ECONNREFUSED 127.0.0.1:5432")}),
        "ok": lambda: make_obs(run_cfg(env=leaky_env(f"postgresql://app@localhost/shop?host=/cloudsql/{CN}"))),
        "uncertain": lambda: make_obs(run_cfg(env=leaky_env(f"postgresql://app@localhost/shop?host=/cloudsql/{CN}")),
                                      failures=dict(FAIL_LOGS)),
    },
    "password-not-url-encoded": {
        "failed": lambda: make_obs(run_cfg(env=leaky_env(f"postgresql://app:{PASSWORD}#1@localhost/shop"))),
        "ok": lambda: make_obs(run_cfg(env=leaky_env(f"postgresql://app:{PASSWORD}%231@localhost/shop"))),
        "uncertain": lambda: make_obs(None),
    },
    "sidecar-proxy-not-ready": {
        "failed": lambda: make_obs(run_cfg(images=("us-docker.pkg.dev/shop-prod/app/api:1", PROXY_IMAGE)),
                                   logs={"connection-refused": logmatch(
                                       "connection-refused", "Error: connect ECONNREFUSED 127.0.0.1:5432")}),
        "ok": lambda: make_obs(run_cfg(images=("us-docker.pkg.dev/shop-prod/app/api:1", PROXY_IMAGE))),
        "uncertain": lambda: make_obs(run_cfg(images=("us-docker.pkg.dev/shop-prod/app/api:1", PROXY_IMAGE)),
                                      failures=dict(FAIL_LOGS)),
    },
    "iam-db-user-missing": {
        "failed": lambda: make_obs(run_cfg(env=IAM_ENV)),
        "ok": lambda: make_obs(run_cfg(env=IAM_ENV), users={f"{P}:{I}": [
            {"name": SA.removesuffix(".gserviceaccount.com"), "type": "CLOUD_IAM_SERVICE_ACCOUNT"}]}),
        "uncertain": lambda: make_obs(run_cfg(env=IAM_ENV), users={}, failures={
            FactKey.users(P, I): denied("sqladmin", "List", f"{P}:{I}", "cloudsql.users.list")}),
    },
    "missing-cloudsql-instance-user-role": {
        "failed": lambda: make_obs(run_cfg(env=IAM_ENV)),
        "ok": lambda: make_obs(run_cfg(env=IAM_ENV), iam={P: policy(
            client_binding(), ("roles/cloudsql.instanceUser", f"serviceAccount:{SA}"))}),
        "uncertain": lambda: make_obs(run_cfg(env=IAM_ENV), iam={}, failures={
            FactKey.iam(P): denied("cloudresourcemanager", "GetIamPolicy", f"projects/{P}",
                               "resourcemanager.projects.getIamPolicy")}),
    },
    "iam-authentication-flag-off": {
        "failed": lambda: make_obs(run_cfg(env=IAM_ENV), instances=[instance(flags={"max_connections": "50"})]),
        "ok": lambda: make_obs(run_cfg(env=IAM_ENV),
                               instances=[instance(flags={"cloudsql.iam_authentication": "on"})]),
        "uncertain": lambda: make_obs(run_cfg(env=IAM_ENV), failures={
            FactKey.instance(P, I): denied("sqladmin", "Get", f"{P}:{I}", "cloudsql.instances.get")}),
    },
    "run-instance-connection-limit": {
        "failed": lambda: make_obs(logs={"too-many-connections": logmatch(
            "too-many-connections", f'Exceeded maximum of 100 connections per instance "{CN}".')}),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(failures=dict(FAIL_LOGS)),
    },
    "stale-pooled-connections": {
        "failed": lambda: make_obs(logs={"db-error:terminated": logmatch(
            "db-error:terminated", "Error: Connection terminated unexpectedly")}),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(failures=dict(FAIL_LOGS)),
    },
    "authorized-networks-open-to-world": {
        "failed": lambda: make_obs(instances=[instance(nets=("0.0.0.0/0", "203.0.113.7/32"))]),
        "ok": lambda: make_obs(instances=[instance(nets=("203.0.113.7/32", "198.51.0.0/16"))]),
        "uncertain": lambda: make_obs(failures={
            FactKey.instance(P, I): denied("sqladmin", "Get", f"{P}:{I}", "cloudsql.instances.get")}),
    },
    "plaintext-secret-in-env": {
        "failed": lambda: make_obs(run_cfg(env=leaky_env(f"postgresql://app:{PASSWORD}@/shop?host=/cloudsql/{CN}"))),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(None),
    },
    "overprivileged-runtime-sa": {
        "failed": lambda: make_obs(iam={P: policy(("roles/editor", f"serviceAccount:{SA}"))}),
        "ok": lambda: make_obs(),
        "uncertain": lambda: make_obs(iam={}, failures={
            FactKey.iam(P): denied("cloudresourcemanager", "GetIamPolicy", f"projects/{P}",
                               "resourcemanager.projects.getIamPolicy")}),
    },
    "public-ip-allows-unencrypted": {
        "failed": lambda: make_obs(instances=[instance(ssl_mode="ALLOW_UNENCRYPTED_AND_ENCRYPTED",
                                                       nets=("203.0.113.7/32",))]),
        "ok": lambda: make_obs(instances=[instance(ssl_mode="ENCRYPTED_ONLY", nets=("203.0.113.7/32",))]),
        "uncertain": lambda: make_obs(failures={
            FactKey.instance(P, I): denied("sqladmin", "Get", f"{P}:{I}", "cloudsql.instances.get")}),
    },
    "instance-not-accessible": {
        # Cloud SQL's 403 notAuthorized names no permission; a named permission is IAM's answer.
        "failed": lambda: make_obs(instances=[], failures={FactKey.instance(P, I): ApiFailure(
            "permission-denied", api="sqladmin", method="Get", resource=f"{P}:{I}",
            message="The client is not authorized to make this request.")}),
        "ok": lambda: make_obs(),
    },
    "app-database-is-read-replica": {
        "failed": lambda: make_obs(instances=[instance(instanceType="READ_REPLICA_INSTANCE",
                                                       masterInstanceName=f"{P}:shop-db-primary")]),
        "ok": lambda: make_obs(instances=[instance(instanceType="CLOUD_SQL_INSTANCE")]),
        "uncertain": lambda: make_obs(failures={
            FactKey.instance(P, I): denied("sqladmin", "Get", f"{P}:{I}", "cloudsql.instances.get")}),
    },
}

# /cloudsql/P:us-central1:I is 102 bytes (fine for MySQL); with /.s.PGSQL.5432, 116 (too long).
LONG_P = "p" + "x" * 28
LONG_I = "i" + "y" * 49
LONG_CN = f"{LONG_P}:{R}:{LONG_I}"

# --------------------------------------------------------------------------- the VPC (issue 12)
C = "https://www.googleapis.com/compute/v1/"
CONNECTOR_ENV = plain(INSTANCE_CONNECTION_NAME=CN, IP_TYPE="PUBLIC", DB_USER="app", DB_NAME="shop")


def subnet(name: str = "run-sub", region: str = R, pga: bool = False) -> dict[str, Any]:
    return {"name": name, "region": f"{C}projects/{P}/regions/{region}", "ipCidrRange": "10.8.0.0/26",
            "network": f"{C}projects/{P}/global/networks/prod-vpc", "privateIpGoogleAccess": pga,
            "selfLink": f"{C}projects/{P}/regions/{region}/subnetworks/{name}"}


def vpc_obs(*, egress: str = "ALL_TRAFFIC", pga: bool = False, nat: bool = False, firewall: bool = False,
            env: list[dict[str, Any]] | None = None, sub: str = "run-sub", subnet_read: bool = True,
            failures: dict[FactKey, ApiFailure] | None = None, listed_in: str | None = None) -> Observations:
    obs = make_obs(run_cfg(env=CONNECTOR_ENV if env is None else env, attached=(),
                           vpc=VpcAccess(network="prod-vpc", subnetwork=sub, egress=egress)),
                   failures=failures)
    obs.networks[f"{P}/prod-vpc"] = {"name": "prod-vpc", "subnetworks": [
        f"{C}projects/{P}/regions/{listed_in or R}/subnetworks/{sub}"]}
    key = FactKey.subnetwork(P, R, sub)
    if subnet_read and key not in obs.failures:
        obs.subnetworks[f"{P}/{R}/{sub}"] = subnet(sub, pga=pga)
    elif key not in obs.failures:
        obs.failures[key] = ApiFailure("not-found", api="compute", method="Subnetworks/Get", resource=sub)
    if FactKey.routers(P, R) not in obs.failures:
        obs.routers[f"{P}/{R}"] = [{"name": "r1", "region": f"{C}projects/{P}/regions/{R}",
                                    "network": f"{C}projects/{P}/global/networks/prod-vpc",
                                    "nats": [{"name": "nat1", "sourceSubnetworkIpRangesToNat":
                                              "ALL_SUBNETWORKS_ALL_IP_RANGES"}] if nat else []}]
    obs.firewalls[P] = [{"name": "deny-egress", "network": f"{C}projects/{P}/global/networks/prod-vpc",
                         "direction": "EGRESS", "priority": 1000, "denied": [{"IPProtocol": "tcp", "ports": ["443"]}],
                         "destinationRanges": ["0.0.0.0/0"]}] if firewall else []
    return obs


CASES.update({
    "admin-api-unreachable-from-vpc": {
        "failed": lambda: vpc_obs(),
        "ok": lambda: vpc_obs(pga=True),
        "uncertain": lambda: vpc_obs(failures={FactKey.routers(P, R): denied(
            "compute", "Routers/List", f"projects/{P}/regions/{R}/routers", "compute.routers.list")}),
    },
    "vpc-subnet-wrong-region": {
        "failed": lambda: vpc_obs(subnet_read=False, listed_in="europe-west1"),
        "ok": lambda: vpc_obs(),
        "uncertain": lambda: vpc_obs(failures={FactKey.subnetwork(P, R, "run-sub"): denied(
            "compute", "Subnetworks/Get", f"projects/{P}/regions/{R}/subnetworks/run-sub",
            "compute.subnetworks.get")}),
    },
})


def test_admin_api_near_misses() -> None:
    """NAT present, PRIVATE_RANGES_ONLY, a direct-TCP app: none of them is the cause."""
    assert check("admin-api-unreachable-from-vpc", vpc_obs(nat=True)).outcome == Outcome.OK
    assert check("admin-api-unreachable-from-vpc", vpc_obs(egress="PRIVATE_RANGES_ONLY")).outcome == Outcome.OK
    direct = plain(DATABASE_URL=f"postgresql://app:{PASSWORD}@{PUBLIC_IP}:5432/shop")
    assert check("admin-api-unreachable-from-vpc", vpc_obs(env=direct)).outcome == Outcome.SKIPPED


def test_admin_api_firewall_deny_wins_over_private_google_access() -> None:
    result = check("admin-api-unreachable-from-vpc", vpc_obs(pga=True, firewall=True))
    assert result.outcome == Outcome.FAILED and "deny-egress" in result.summary
    assert "0.0.0.0/0" not in json.dumps(result.params)  # never offer the whole internet


def test_admin_api_fix_commands_come_from_remedies() -> None:
    result = check("admin-api-unreachable-from-vpc", vpc_obs())
    assert result.params["step_1"].endswith(
        f"gcloud compute networks subnets update run-sub --region={R} --project={P} "
        "--enable-private-ip-google-access")


def test_admin_api_builtin_socket_is_doubt_not_a_verdict() -> None:
    """Cloud Run makes the /cloudsql connection itself: where its Admin API calls go is undocumented."""
    result = check("admin-api-unreachable-from-vpc", vpc_obs(env=HEALTHY_ENV))
    assert result.outcome == Outcome.UNCERTAIN and "not documented" in result.summary


def test_subnet_in_region_and_missing_subnet() -> None:
    assert check("vpc-subnet-wrong-region", vpc_obs(subnet_read=False, listed_in=R)).outcome == Outcome.FAILED
    obs = vpc_obs(subnet_read=False)
    obs.networks.clear()
    obs.failures[FactKey.network(P, "prod-vpc")] = ApiFailure("not-found", api="compute", method="Networks/Get",
                                                            resource="prod-vpc")
    # Nothing in Compute, and the revision deployed: not judged (a world without network data).
    assert check("vpc-subnet-wrong-region", obs).outcome == Outcome.SKIPPED


def test_connector_in_another_region() -> None:
    name = f"projects/{P}/locations/europe-west1/connectors/c1"
    obs = make_obs(run_cfg(vpc=VpcAccess(connector=name, egress="ALL_TRAFFIC")))
    result = check("vpc-subnet-wrong-region", obs)
    assert result.outcome == Outcome.FAILED and "europe-west1" in result.summary
    ok = f"projects/{P}/locations/{R}/connectors/c1"
    obs = make_obs(run_cfg(vpc=VpcAccess(connector=ok)))
    obs.connectors[ok] = {"name": ok, "network": "prod-vpc", "state": "READY", "ipCidrRange": "10.8.0.0/28"}
    assert check("vpc-subnet-wrong-region", obs).outcome == Outcome.OK


def test_private_ip_check_knows_private_services_access() -> None:
    """Egress on the right network, but the servicenetworking peering is gone: doubt, not ok."""
    obs = make_obs(run_cfg(vpc=VpcAccess(network="prod-vpc", subnetwork="s")), instances=[instance(**PRIVATE_ONLY)])
    assert check("private-ip-without-vpc-egress", obs).outcome == Outcome.OK
    obs.networks[f"{P}/prod-vpc"] = {"name": "prod-vpc", "peerings": []}
    result = check("private-ip-without-vpc-egress", obs)
    assert result.outcome == Outcome.UNCERTAIN and "servicenetworking-googleapis-com" in result.summary
    obs.networks[f"{P}/prod-vpc"]["peerings"] = [{"name": "servicenetworking-googleapis-com", "state": "ACTIVE"}]
    assert check("vpc-network-mismatch", obs).outcome == Outcome.OK


def test_all_traffic_to_public_ip_is_fine_through_cloud_nat() -> None:
    obs = vpc_obs(nat=True, env=HEALTHY_ENV)
    assert check("all-traffic-egress-to-public-ip", obs).outcome == Outcome.OK
    assert check("all-traffic-egress-to-public-ip", vpc_obs(env=HEALTHY_ENV)).outcome == Outcome.FAILED


EXPECTED = {"failed": Outcome.FAILED, "ok": Outcome.OK, "uncertain": Outcome.UNCERTAIN}
EXPECTED = {"failed": Outcome.FAILED, "ok": Outcome.OK, "uncertain": Outcome.UNCERTAIN, "skipped": Outcome.SKIPPED}
PAIRS = [(cid, kind) for cid, cases in CASES.items() for kind in cases]


# --------------------------------------------------------------------------- the table


def test_one_check_per_catalog_id_in_catalog_order() -> None:
    assert tuple(c.id for c in ALL) == ROOT_CAUSES + FINDINGS
    assert all(c.produces == c.id for c in ALL)
    assert set(CASES) == set(REGISTRY)
    with pytest.raises(TypeError):
        REGISTRY["x"] = ALL[0]  # type: ignore[index]


@pytest.mark.parametrize(("check_id", "case"), PAIRS, ids=[f"{c}-{k}" for c, k in PAIRS])
def test_outcome(check_id: str, case: str) -> None:
    result = check(check_id, CASES[check_id][case]())
    # A case named "failed-iam" or "ok-project" is one more world of that outcome.
    assert result.outcome == EXPECTED[case.split("-")[0]], result.summary
    assert result.summary
    assert PASSWORD not in text_of(result)
    if case.startswith("failed"):
        assert result.evidence and result.expected_actual
        assert result.params["project"] == P and result.params["name"] in ("shop-api", "migrate")
    if case.startswith("ok"):
        assert result.evidence or check_id in (
            "password-authentication-failed", "too-many-connections", "admin-api-quota-exceeded",
            "plaintext-secret-in-env", "overprivileged-runtime-sa", "driver-lacks-unix-socket",
            "password-not-url-encoded", "run-instance-connection-limit", "stale-pooled-connections",
            "missing-cloudsql-instance-user-role")


@pytest.mark.parametrize(("check_id", "case"), [p for p in PAIRS if p[1] == "uncertain"],
                         ids=[c for c, k in PAIRS if k == "uncertain"])
def test_uncertain_says_why(check_id: str, case: str) -> None:
    obs = CASES[check_id][case]()
    result = check(check_id, obs)
    reasons = [f.explain() for f in obs.failures.values()]
    said = any(r in result.summary for r in reasons) or "Secret Manager" in result.summary or (
        "was not read" in result.summary or "not read" in result.summary)
    assert said, result.summary


# --------------------------------------------------------------------------- specific decisions


def test_api_disabled_seen_through_a_failed_instance_read() -> None:
    obs = make_obs(services={}, failures={FactKey.instance(P, I): ApiFailure(
        "api-disabled", api="sqladmin", method="Get", resource=f"{P}:{I}", service="sqladmin.googleapis.com",
        message=f"Cloud SQL Admin API has not been used in project {NUMBER} before or it is disabled.")})
    r = check("sqladmin-api-disabled", obs)
    assert r.outcome == Outcome.FAILED and r.params["project"] == P


def test_api_disabled_in_our_own_quota_project_is_not_the_targets() -> None:
    obs = make_obs(services={}, failures={FactKey.instance(P, I): ApiFailure(
        "api-disabled", api="sqladmin", method="Get", resource=f"{P}:{I}", service="sqladmin.googleapis.com",
        message="Cloud SQL Admin API has not been used in project 999 before or it is disabled.")})
    assert check("sqladmin-api-disabled", obs).outcome == Outcome.UNCERTAIN


def test_revision_failure_quotes_the_condition() -> None:
    r = check("latest-revision-not-ready", CASES["latest-revision-not-ready"]["failed"]())
    assert "failed to start" in r.summary and r.params["latest_revision"] == "shop-api-00003-new"


def test_deploy_in_progress_is_doubt_not_failure() -> None:
    obs = make_obs(run_cfg(created=f"{SERVICE}/revisions/shop-api-00003-new",
                           terminal=Condition("Ready", "CONDITION_RECONCILING")))
    assert check("latest-revision-not-ready", obs).outcome == Outcome.UNCERTAIN


def test_job_execution_app_exit_is_not_a_failed_start() -> None:
    exit_1 = RevisionInfo("projects/p/locations/r/jobs/migrate/executions/migrate-x", False,
                          (Condition("Completed", "CONDITION_FAILED",
                                     "Task migrate-x-task0 failed with message: The container exited "
                                     "with an exit code of 1."),), (), ())
    assert check("latest-revision-not-ready", make_obs(kind="job", latest=exit_1)).outcome == Outcome.OK
    no_start = replace(exit_1, conditions=(Condition("ResourcesAvailable", "CONDITION_FAILED",
                                                     "Image 'x' not found."),))
    r = check("latest-revision-not-ready", make_obs(kind="job", latest=no_start))
    assert r.outcome == Outcome.FAILED and "Image 'x' not found" in r.summary


def test_not_attached_names_the_instance_to_attach() -> None:
    r = check("cloudsql-not-attached", CASES["cloudsql-not-attached"]["failed"]())
    assert r.params["connection_name"] == CN and r.params["connection_name_verified"]
    assert "INSTANCE_CONNECTION_NAME" in r.summary and "cloudsql-instances" in r.summary


def test_not_attached_from_the_logs_alone() -> None:
    line = f'connection to server on socket "/cloudsql/{CN}/.s.PGSQL.5432" failed: No such file or directory'
    obs = make_obs(run_cfg(attached=(), env=SECRET_URL_ENV), logs={"socket-not-found": logmatch("socket-not-found", line)})
    r = check("cloudsql-not-attached", obs)
    assert r.outcome == Outcome.FAILED and r.params["connection_name"] == CN


def test_not_attached_is_fine_with_a_proxy_sidecar_on_localhost() -> None:
    obs = make_obs(run_cfg(attached=(), env=leaky_env(f"postgresql://app:{PASSWORD}@127.0.0.1:5432/shop"),
                           images=("app:1", PROXY_IMAGE)))
    assert check("cloudsql-not-attached", obs).outcome == Outcome.OK
    assert check("app-uses-localhost-tcp", obs).outcome == Outcome.OK


def test_not_attached_when_the_app_dials_the_public_ip() -> None:
    # Saleor: the direct public-IP path works only through authorized networks; the supported
    # path, the Cloud SQL connection, is what is missing.
    obs = make_obs(run_cfg(attached=(), env=leaky_env(IP_URL)), instances=[instance(nets=("0.0.0.0/0",))])
    r = check("cloudsql-not-attached", obs)
    assert r.outcome == Outcome.FAILED and r.params["connection_name"] == CN


def test_not_attached_doubts_when_the_url_is_secret_but_the_user_is_plain() -> None:
    obs = make_obs(run_cfg(attached=(), env=plain(DB_USER="app") + SECRET_URL_ENV))
    r = check("cloudsql-not-attached", obs)
    assert r.outcome == Outcome.UNCERTAIN and "DATABASE_URL" in r.summary


def test_not_attached_is_fine_for_a_private_ip_over_vpc() -> None:
    obs = make_obs(run_cfg(attached=(), env=leaky_env(f"postgresql://app:{PASSWORD}@{PRIVATE_IP}/shop"),
                           vpc=VpcAccess(network="prod-vpc", subnetwork="s")),
                   instances=[instance(**PRIVATE_ONLY)])
    # Not needed by this method: skipped, saying why (issue 10: how the app connects first).
    r = check("cloudsql-not-attached", obs)
    assert r.outcome == Outcome.SKIPPED and "direct TCP" in r.summary


def test_malformed_shows_repr_and_the_exact_name() -> None:
    r = check("connection-name-malformed", CASES["connection-name-malformed"]["failed"]())
    assert repr(CN + "\r") in r.summary
    assert isinstance(r.fix, SetConnectionName) and r.fix.where == "attachment" and r.fix.exact == CN
    assert r.fix.attachment == ((CN + "\r", CN),) and r.fix.attached_after == (CN,)
    assert commands_for(r.fix)[0].endswith(f"--set-cloudsql-instances={CN}")


def test_malformed_empty_variable() -> None:
    obs = make_obs(run_cfg(env=plain(INSTANCE_CONNECTION_NAME="")))
    r = check("connection-name-malformed", obs)
    assert r.outcome == Outcome.FAILED and r.params["variable"] == "INSTANCE_CONNECTION_NAME"
    assert isinstance(r.fix, SetConnectionName)
    assert f"--update-env-vars=INSTANCE_CONNECTION_NAME={CN}" in commands_for(r.fix)[0]


def test_malformed_empty_variable_from_the_platform_line() -> None:
    line = 'Cloud SQL instance ".s.PGSQL.5432" is not reachable. Deploy a new revision adding the Cloud SQL connection.'
    obs = make_obs(run_cfg(env=SECRET_URL_ENV), logs={"socket-not-found": logmatch("socket-not-found", line)})
    # The attachment is fine, but the app opened an empty name: the variable is empty.
    r = check("connection-name-malformed", obs)
    assert r.outcome == Outcome.FAILED and r.params["connection_name"] == CN


def test_trailing_newline_in_env_is_malformed_not_mismatched() -> None:
    obs = make_obs(run_cfg(env=plain(INSTANCE_CONNECTION_NAME=CN + "\n")))
    assert check("connection-name-malformed", obs).outcome == Outcome.FAILED
    assert check("connection-name-mismatch", obs).outcome == Outcome.OK


def test_mismatch_says_which_exists() -> None:
    r = check("connection-name-mismatch", CASES["connection-name-mismatch"]["failed"]())
    assert "shop-db-old does not exist" in r.summary and f"{CN} exists" in r.summary
    assert r.params["connection_name"] == CN and r.params["env_var"] == "INSTANCE_CONNECTION_NAME"


def test_mismatch_skipped_when_nothing_attached() -> None:
    assert check("connection-name-mismatch", make_obs(run_cfg(attached=()))).outcome == Outcome.SKIPPED


def test_not_found_lists_the_existing_instances() -> None:
    r = check("instance-not-found", CASES["instance-not-found"]["failed"]())
    assert CN in r.summary and r.params["existing_instances"] == [CN]
    assert r.params["suggested_connection_name"] == CN


def test_not_found_with_a_project_number() -> None:
    obs = make_obs(run_cfg(attached=(f"{NUMBER}:{R}:{I}",), env=[]))
    r = check("instance-not-found", obs)
    assert r.outcome == Outcome.FAILED and "project number" in r.summary
    assert r.params["suggested_connection_name"] == CN


def test_not_found_wrong_region() -> None:
    obs = make_obs(run_cfg(attached=(f"{P}:us-east1:{I}",), env=[]))
    r = check("instance-not-found", obs)
    assert r.outcome == Outcome.FAILED and r.params["suggested_connection_name"] == CN


def test_socket_path_mysql_is_shorter() -> None:
    obs = make_obs(run_cfg(attached=(LONG_CN,), env=[]),
                   instances=[instance(name=LONG_I, project=LONG_P, version="MYSQL_8_0")])
    assert check("socket-path-too-long", obs).outcome == Outcome.OK


def test_role_failure_says_where_else_it_may_come_from() -> None:
    r = check("missing-cloudsql-client-role", CASES["missing-cloudsql-client-role"]["failed"]())
    assert "not granted at project level" in r.summary and "analyze-iam-policy" in r.summary
    assert r.params["service_account"] == SA and r.params["instance_project"] == P
    assert r.params["role"] == "roles/cloudsql.client"


def test_role_conditional_grants() -> None:
    cond = lambda expr: {"role": "roles/cloudsql.client", "members": [f"serviceAccount:{SA}"],  # noqa: E731
                         "condition": {"title": "t", "expression": expr}}
    naming = make_obs(iam={P: policy(cond(f'resource.name == "projects/{P}/instances/{I}"'))})
    assert check("missing-cloudsql-client-role", naming).outcome == Outcome.OK
    timed = make_obs(iam={P: policy(cond('request.time < timestamp("2020-01-01T00:00:00Z")'))})
    r = check("missing-cloudsql-client-role", timed)
    assert r.outcome == Outcome.FAILED and "conditional grant" in r.summary


@pytest.mark.parametrize(("expr", "outcome"), [
    # A regex on the instance name counted this "!=" as a grant naming the instance; CEL says false.
    (f'resource.name != "projects/{P}/instances/{I}"', Outcome.FAILED),
    # ...and missed a prefix match that does grant it.
    (f'resource.name.startsWith("projects/{P}/instances/shop-")', Outcome.OK),
    (f'resource.name.startsWith("projects/{P}/instances/other-")', Outcome.FAILED),
    ('resource.type == "sqladmin.googleapis.com/Instance" && resource.service == "sqladmin.googleapis.com"',
     Outcome.OK),
    ('resource.type == "storage.googleapis.com/Bucket"', Outcome.FAILED),
    ('request.time < timestamp("2099-01-01T00:00:00Z")', Outcome.OK),
    (f'resource.name.extract("projects/{P}/instances/{{name}}") == "{I}"', Outcome.OK),
    # What only IAM can evaluate (tags), or what does not parse: unknown, never guessed.
    ('resource.matchTag("123456/env", "prod")', Outcome.UNCERTAIN),
    ('resource.name.startsWith(', Outcome.UNCERTAIN),
    ('resource.name.size()', Outcome.UNCERTAIN),   # not a boolean
], ids=["not-equal", "prefix", "other-prefix", "type-service", "other-type", "time", "extract",
        "tag", "unparsable", "not-boolean"])
def test_role_conditions_are_evaluated_as_cel(expr: str, outcome: Outcome) -> None:
    binding = {"role": "roles/cloudsql.client", "members": [f"serviceAccount:{SA}"],
               "condition": {"title": "t", "expression": expr}}
    r = check("missing-cloudsql-client-role", make_obs(iam={P: policy(binding)}))
    assert r.outcome == outcome, r.summary
    if outcome == Outcome.UNCERTAIN:
        assert expr in r.summary and "unknown" in r.summary


def test_role_cross_project_uses_the_instance_project() -> None:
    other = "db-host"
    cn = f"{other}:{R}:{I}"
    obs = make_obs(run_cfg(attached=(cn,), env=plain(INSTANCE_CONNECTION_NAME=cn)),
                   instances=[instance(project=other)],
                   iam={P: policy(client_binding()), other: policy(("roles/viewer", "user:x@y.z"))},
                   services={f"{P}:sqladmin.googleapis.com": True, f"{other}:sqladmin.googleapis.com": True})
    r = check("missing-cloudsql-client-role", obs)
    assert r.outcome == Outcome.FAILED and r.params["instance_project"] == other


def test_role_unknown_default_sa() -> None:
    obs = make_obs(run_cfg(sa="", default_sa=True), failures={
        FactKey.project(P): denied("cloudresourcemanager", "GetProject", P, "resourcemanager.projects.get")})
    r = check("missing-cloudsql-client-role", obs)
    assert r.outcome == Outcome.UNCERTAIN and "resourcemanager.projects.get" in r.summary


def test_role_not_needed_for_direct_ip() -> None:
    obs = make_obs(run_cfg(attached=(), env=leaky_env(IP_URL)), iam={P: policy()})
    assert check("missing-cloudsql-client-role", obs).outcome == Outcome.SKIPPED


def test_stopped_instance_still_says_runnable() -> None:
    r = check("instance-stopped", CASES["instance-stopped"]["failed"]())
    assert "RUNNABLE" in r.summary and r.params["instance"] == I


def test_sqladmin_disabled_makes_instance_checks_uncertain() -> None:
    r = check("instance-stopped", CASES["instance-stopped"]["uncertain"]())
    assert "disabled" in r.summary


def test_private_ip_params() -> None:
    r = check("private-ip-without-vpc-egress", CASES["private-ip-without-vpc-egress"]["failed"]())
    assert isinstance(r.fix, AddVpcEgress) and r.fix.network == "prod-vpc" and r.fix.subnet is None
    assert r.fix.choice is not None and r.fix.choice.key == "subnet" and "operator" in r.summary
    assert "--network=prod-vpc --subnet=SUBNET " in commands_for(r.fix)[0]


def test_private_ip_not_needed_with_a_public_ip() -> None:
    assert check("private-ip-without-vpc-egress", make_obs()).outcome == Outcome.SKIPPED


def test_app_dialling_the_private_ip_needs_egress_even_with_a_public_ip() -> None:
    obs = make_obs(run_cfg(attached=(), env=leaky_env(f"postgresql://app:{PASSWORD}@{PRIVATE_IP}/shop")),
                   instances=[instance(private=PRIVATE_IP)])
    assert check("private-ip-without-vpc-egress", obs).outcome == Outcome.FAILED


def test_vpc_network_compares_full_path_and_short_name() -> None:
    obs = make_obs(run_cfg(vpc=VpcAccess(network=NET, subnetwork="s")), instances=[instance(**PRIVATE_ONLY)])
    assert check("vpc-network-mismatch", obs).outcome == Outcome.OK
    shared = make_obs(run_cfg(vpc=VpcAccess(network="projects/host/global/networks/prod-vpc", subnetwork="s")),
                      instances=[instance(**PRIVATE_ONLY)])
    assert check("vpc-network-mismatch", shared).outcome == Outcome.FAILED


def test_localhost_with_answer_when_settings_are_secret() -> None:
    obs = make_obs(run_cfg(env=SECRET_URL_ENV), answers={"app-connection": "localhost-tcp"})
    assert check("app-uses-localhost-tcp", obs).outcome == Outcome.FAILED
    obs = make_obs(run_cfg(env=SECRET_URL_ENV), answers={"app-connection": "unix-socket"})
    assert check("app-uses-localhost-tcp", obs).outcome == Outcome.OK


def test_localhost_suggests_the_socket_without_the_password() -> None:
    r = check("app-uses-localhost-tcp", CASES["app-uses-localhost-tcp"]["failed"]())
    assert r.params["suggested_value"] == f"postgresql://app:PASSWORD@localhost/shop?host=/cloudsql/{CN}"
    assert r.params["variable"] == "DATABASE_URL" and "DATABASE_URL=" in r.params["socket_dsn_hint"]


def test_public_ip_with_only_other_hosts_authorized() -> None:
    obs = make_obs(run_cfg(attached=(), env=leaky_env(IP_URL)), instances=[instance(nets=("203.0.113.7/32",))])
    r = check("app-uses-public-ip-unauthorized", obs)
    assert r.outcome == Outcome.FAILED
    assert r.params["authorized_networks"] == [{"value": "203.0.113.7/32", "name": "n0"}]
    assert "0.0.0.0/0" not in json.dumps(r.params)


def test_ssl_not_judged_when_the_app_uses_the_socket() -> None:
    assert check("ssl-required-for-direct-tcp", make_obs()).outcome == Outcome.SKIPPED


def test_ssl_client_certificate_required() -> None:
    obs = make_obs(run_cfg(attached=(), env=leaky_env(IP_URL + "?sslmode=require")),
                   instances=[instance(ssl_mode="TRUSTED_CLIENT_CERTIFICATE_REQUIRED", nets=("0.0.0.0/0",))])
    assert check("ssl-required-for-direct-tcp", obs).outcome == Outcome.FAILED


def test_mysql_socket_with_postgres_suffix() -> None:
    obs = make_obs(run_cfg(env=plain(DB_SOCKET_PATH=f"/cloudsql/{CN}/.s.PGSQL.5432", DB_USER="app")),
                   instances=[instance(version="MYSQL_8_0")])
    r = check("socket-path-wrong-for-engine", obs)
    assert r.outcome == Outcome.FAILED and r.params["suggested_socket_path"] == f"/cloudsql/{CN}"


def test_validator_rejection_seen_only_in_logs_with_secret_url() -> None:
    obs = make_obs(run_cfg(env=SECRET_URL_ENV),
                   logs={"config-rejected": logmatch("config-rejected", "PG_DATABASE_URL must be a URL address")})
    assert check("dsn-rejected-by-validator", obs).outcome == Outcome.UNCERTAIN


def test_secret_denied_params() -> None:
    r = check("secret-not-accessible", CASES["secret-not-accessible"]["failed"]())
    assert r.params["secret"] == "db-pass" and r.params["service_account"] == SA


def test_database_list_and_iam_user_names() -> None:
    r = check("database-not-found", CASES["database-not-found"]["failed"]())
    assert r.params["database"] == "shopdb" and r.params["existing"] == "postgres, shop"
    iam_users = {f"{P}:{I}": [{"name": "runner@shop-prod.iam", "type": "CLOUD_IAM_SERVICE_ACCOUNT"}]}
    full = make_obs(run_cfg(env=plain(INSTANCE_CONNECTION_NAME=CN, DB_USER=SA)), users=iam_users)
    r = check("db-user-not-found", full)
    assert r.outcome == Outcome.FAILED and r.params["suggested_user"] == "runner@shop-prod.iam"
    short_name = make_obs(run_cfg(env=plain(INSTANCE_CONNECTION_NAME=CN, DB_USER="runner@shop-prod.iam")),
                          users=iam_users)
    assert check("db-user-not-found", short_name).outcome == Outcome.OK


def test_password_failure_for_a_missing_user_is_not_a_password_problem() -> None:
    obs = make_obs(logs={"auth-failed": logmatch("auth-failed", 'password authentication failed for user "ghost"')})
    assert check("password-authentication-failed", obs).outcome == Outcome.OK


def test_password_failure_points_at_the_secret() -> None:
    r = check("password-authentication-failed", CASES["password-authentication-failed"]["failed"]())
    assert r.params["user"] == "app" and r.params["secret"] == "db-pass"


def test_too_many_connections_carries_the_limits() -> None:
    r = check("too-many-connections", CASES["too-many-connections"]["failed"]())
    assert r.params["max_connections"] == "50" and r.params["max_instances"] == 10


def test_open_network_fix_keeps_the_other_entries() -> None:
    r = check("authorized-networks-open-to-world", CASES["authorized-networks-open-to-world"]["failed"]())
    assert [n["value"] for n in r.params["authorized_networks"]] == ["0.0.0.0/0", "203.0.113.7/32"]
    assert r.params["authorized_networks_flag"] == "--authorized-networks=203.0.113.7/32"


def test_open_network_without_public_ip_exposes_nothing() -> None:
    obs = make_obs(instances=[instance(nets=("0.0.0.0/0",), **PRIVATE_ONLY)],
                   run=run_cfg(vpc=VpcAccess(network="prod-vpc", subnetwork="s")))
    assert check("authorized-networks-open-to-world", obs).outcome == Outcome.OK


def test_plaintext_finding_names_variables_only() -> None:
    r = check("plaintext-secret-in-env", CASES["plaintext-secret-in-env"]["failed"]())
    assert r.params["variables"] == "DATABASE_URL" and PASSWORD not in text_of(r)


def test_no_secret_anywhere_in_any_result() -> None:
    """Every check on a service that leaks a password everywhere it can."""
    url = f"postgresql://app:{PASSWORD}@localhost:5432/shop?sslmode=disable"
    env = plain(DATABASE_URL=url, DB_PASSWORD=PASSWORD, INSTANCE_CONNECTION_NAME=CN + "\r",
                DB_HOST=PUBLIC_IP, DB_USER="ghost", DB_NAME="nope")
    msg = f"Permission denied on secret: projects/{P}/secrets/s/versions/1 password={PASSWORD}"
    obs = make_obs(run_cfg(attached=(), env=env), instances=[instance(nets=("0.0.0.0/0",))],
                   latest=RevisionInfo("r", False, (Condition("Ready", "CONDITION_FAILED", msg),), (), ()),
                   logs={"auth-failed": logmatch("auth-failed", 'password authentication failed for user "app"')})
    for c in ALL:
        result = c.evaluate(obs)
        assert PASSWORD not in text_of(result), c.id


def test_mismatch_points_a_dsn_at_the_attached_instance_keeping_the_dsn() -> None:
    # The old step replaced the whole DSN with the bare connection name.
    other = f"{P}:{R}:other-db"
    dsn = f"postgresql://app@localhost/shop?host=/cloudsql/{other}"
    r = check("connection-name-mismatch", make_obs(run_cfg(env=plain(DATABASE_URL=dsn))))
    assert r.outcome == Outcome.FAILED
    assert r.params["point_app_command"].endswith(
        f"'--update-env-vars=DATABASE_URL=postgresql://app@localhost/shop?host=/cloudsql/{CN}'")


def test_socket_file_under_a_non_libpq_key_is_doubt_not_a_cause() -> None:
    # Issue 10: only libpq-style host= wants the directory; socketPath of another driver may want the file.
    env = leaky_env(f"postgresql://app@localhost/shop?socketPath=/cloudsql/{CN}/.s.PGSQL.5432")
    r = check("socket-path-wrong-for-engine", make_obs(run_cfg(env=env)))
    assert r.outcome == Outcome.UNCERTAIN, r.summary
    env = leaky_env(f"postgresql://app@localhost/shop?host=/cloudsql/{CN}/.s.PGSQL.5432")
    assert check("socket-path-wrong-for-engine", make_obs(run_cfg(env=env))).outcome == Outcome.FAILED


def test_secret_access_fix_grants_every_secret_it_cannot_read() -> None:
    """Issue 10: a grant on one of three secrets leaves the revision failing on the next."""
    from troubleshooter.remedies.commands import commands_for

    r = check("secret-not-accessible", CASES["secret-not-accessible"]["failed-iam"]())
    assert r.fix is not None
    commands = commands_for(r.fix)
    assert len(commands) == 3
    for name in ("db-pass", "api-key", "jwt-key"):
        assert any(f"add-iam-policy-binding {name} " in c and f"serviceAccount:{SA}" in c for c in commands)


def test_secret_access_from_a_message_naming_several_secrets() -> None:
    msg = (f"Permission denied on secret: projects/{NUMBER}/secrets/db-pass/versions/latest for Revision "
           f"service account {SA}. Permission denied on secret: projects/{NUMBER}/secrets/api-key/versions/2 "
           f"for Revision service account {SA}.")
    obs = make_obs(latest=RevisionInfo(f"{SERVICE}/revisions/shop-api-00003-new", False,
                                       (Condition("Ready", "CONDITION_FAILED", msg),), (CN,), tuple(HEALTHY_ENV)))
    from troubleshooter.remedies.commands import commands_for

    r = check("secret-not-accessible", obs)
    assert r.outcome == Outcome.FAILED and r.params["secrets"] == "db-pass, api-key"
    assert r.fix is not None and len(commands_for(r.fix)) == 2
    assert all(f"--project={P}" in c for c in commands_for(r.fix))  # the number read as the target's id


def test_secret_version_fix_commands() -> None:
    from troubleshooter.remedies.commands import commands_for

    disabled = check("secret-version-not-enabled", CASES["secret-version-not-enabled"]["failed-pinned"]())
    assert disabled.fix is not None
    assert commands_for(disabled.fix) == [f"gcloud secrets versions enable projects/{P}/secrets/db-pass/versions/1"]
    destroyed = check("secret-version-not-enabled", CASES["secret-version-not-enabled"]["failed-destroyed"]())
    assert destroyed.fix is not None and "versions add db-pass" in commands_for(destroyed.fix)[0]
    assert "version 2 (latest) is DESTROYED" in destroyed.summary
    none = check("secret-version-not-enabled", CASES["secret-version-not-enabled"]["failed-none"]())
    assert "no version of it is enabled" in none.summary


def test_secret_iam_missing_permission_names_it() -> None:
    r = check("secret-not-accessible", CASES["secret-not-accessible"]["uncertain-iam"]())
    assert r.outcome == Outcome.UNCERTAIN and "secretmanager.secrets.getIamPolicy" in r.summary
