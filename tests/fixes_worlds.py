"""Small healthy worlds for the fix tests, and the variants that break one thing each."""

from __future__ import annotations

import copy
from typing import Any, Callable

P = "acme-prod"
R = "us-central1"
I = "orders-db"
CN = f"{P}:{R}:{I}"
SA = f"orders-api@{P}.iam.gserviceaccount.com"
SERVICE = "orders-api"
JOB = "orders-migrate"
SVC_NAME = f"projects/{P}/locations/{R}/services/{SERVICE}"
JOB_NAME = f"projects/{P}/locations/{R}/jobs/{JOB}"
REV = f"{SVC_NAME}/revisions/{SERVICE}-00005-abc"
APIS = ["run.googleapis.com", "sqladmin.googleapis.com", "logging.googleapis.com",
        "cloudresourcemanager.googleapis.com", "iam.googleapis.com",
        "secretmanager.googleapis.com", "serviceusage.googleapis.com", "compute.googleapis.com"]


def _template() -> dict[str, Any]:
    return {
        "serviceAccount": SA,
        "containers": [
            {
                "name": "app",
                "image": f"us-docker.pkg.dev/{P}/app/orders:2.1",
                "ports": [{"containerPort": 8080}],
                "env": [
                    {"name": "INSTANCE_CONNECTION_NAME", "value": CN},
                    {"name": "DB_NAME", "value": "orders"},
                    {"name": "DB_USER", "value": "orders"},
                    {"name": "DB_PASS", "valueSource": {"secretKeyRef": {"secret": "db-pass", "version": "latest"}}},
                    {"name": "LOG_LEVEL", "value": "info"},
                ],
                "volumeMounts": [
                    {"name": "cloudsql", "mountPath": "/cloudsql"},
                    {"name": "config", "mountPath": "/etc/orders"},
                ],
                "resources": {"limits": {"cpu": "1", "memory": "512Mi"}},
            },
            {
                "name": "otel",
                "image": "otel/opentelemetry-collector-contrib:0.98.0",
                "env": [{"name": "OTEL_LOG_LEVEL", "value": "warn"}],
            },
        ],
        "volumes": [
            {"name": "cloudsql", "cloudSqlInstance": {"instances": [CN]}},
            {"name": "config", "secret": {"secret": "orders-config", "items": [{"path": "app.yaml", "version": "3"}]}},
        ],
        "scaling": {"maxInstanceCount": 4},
        "labels": {"revision-team": "orders"},
        "annotations": {"example.com/owner": "orders-team"},
        "timeout": "300s",
        "maxInstanceRequestConcurrency": 40,
    }


def healthy(kind: str = "service") -> dict[str, Any]:
    """A service (or job) that reaches its Postgres through the socket, with nothing wrong."""
    world: dict[str, Any] = {
        "name": f"fix-test-{kind}",
        "title": "fix test",
        "target": {"project": P, "region": R, kind: SERVICE if kind == "service" else JOB},
        "projects": [{
            "projectId": P,
            "projectNumber": "123456789012",
            "enabledServices": list(APIS),
            "iamPolicy": {
                "version": 1,
                "etag": "BwX0AAAAAAA=",
                "bindings": [
                    {"role": "roles/owner", "members": ["user:ops@acme.example"]},
                    {"role": "roles/cloudsql.client", "members": [f"serviceAccount:{SA}"]},
                    {"role": "roles/logging.logWriter", "members": [f"serviceAccount:{SA}"]},
                ],
            },
        }],
        "instances": [{
            "kind": "sql#instance",
            "name": I,
            "project": P,
            "region": R,
            "connectionName": CN,
            "databaseVersion": "POSTGRES_15",
            "state": "RUNNABLE",
            "backendType": "SECOND_GEN",
            "ipAddresses": [{"type": "PRIMARY", "ipAddress": "34.41.7.9"}],
            "settings": {
                "tier": "db-custom-1-3840",
                "activationPolicy": "ALWAYS",
                "settingsVersion": "7",
                "ipConfiguration": {
                    "ipv4Enabled": True,
                    "sslMode": "ENCRYPTED_ONLY",
                    "requireSsl": True,
                    "authorizedNetworks": [{"kind": "sql#aclEntry", "value": "203.0.113.0/28", "name": "office"}],
                },
                "databaseFlags": [{"name": "max_connections", "value": "200"}],
                "userLabels": {"team": "orders"},
                "connectorEnforcement": "NOT_REQUIRED",
            },
        }],
        "databases": {f"{P}:{I}": [{"name": "postgres"}, {"name": "orders"}]},
        "users": {f"{P}:{I}": [{"name": "postgres", "type": "BUILT_IN"}, {"name": "orders", "type": "BUILT_IN"}]},
    }
    if kind == "service":
        world["services"] = [{
            "name": SVC_NAME,
            "uid": "0b0b0b0b-0000-4000-8000-000000000001",
            "generation": "5",
            "labels": {"team": "orders", "env": "prod"},
            "annotations": {"example.com/runbook": "https://runbooks.acme.example/orders"},
            "ingress": "INGRESS_TRAFFIC_ALL",
            "launchStage": "GA",
            "template": _template(),
            "traffic": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
            "observedGeneration": "5",
            "terminalCondition": {"type": "Ready", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": "-1d"},
            "latestReadyRevision": REV,
            "latestCreatedRevision": REV,
            "trafficStatuses": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
            "uri": "https://orders-api-abcdefghij-uc.a.run.app",
            "etag": '"svc-etag-5"',
        }]
    else:
        tmpl = _template()
        tmpl["containers"][0].pop("ports")
        tmpl.pop("scaling")
        tmpl.pop("maxInstanceRequestConcurrency")
        tmpl.pop("labels")
        tmpl.pop("annotations")
        tmpl["maxRetries"] = 2
        tmpl.pop("timeout")
        tmpl["timeout"] = "600s"
        world["jobs"] = [{
            "name": JOB_NAME,
            "generation": "3",
            "labels": {"team": "orders"},
            "template": {"taskCount": 1, "parallelism": 1, "template": tmpl},
            "terminalCondition": {"type": "Ready", "state": "CONDITION_SUCCEEDED"},
            "etag": '"job-etag-3"',
        }]
    return world


def variant(kind: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    world = copy.deepcopy(healthy(kind))
    change(world)
    return world


def workload(world: dict[str, Any]) -> dict[str, Any]:
    return (world.get("services") or world.get("jobs"))[0]


def tmpl(world: dict[str, Any]) -> dict[str, Any]:
    w = workload(world)
    return w["template"]["template"] if world.get("jobs") else w["template"]


def app(world: dict[str, Any]) -> dict[str, Any]:
    return tmpl(world)["containers"][0]


def env(world: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in app(world)["env"] if e["name"] == name)


# --------------------------------------------------------------------------- one cause each


def api_disabled(w: dict[str, Any]) -> None:
    w["projects"][0]["enabledServices"].remove("sqladmin.googleapis.com")


def not_attached(w: dict[str, Any]) -> None:
    t = tmpl(w)
    t["volumes"] = [v for v in t["volumes"] if v["name"] != "cloudsql"]
    app(w)["volumeMounts"] = [m for m in app(w)["volumeMounts"] if m["name"] != "cloudsql"]


def malformed_env(w: dict[str, Any]) -> None:
    env(w, "INSTANCE_CONNECTION_NAME")["value"] = CN + "\r\n"


def malformed_attachment(w: dict[str, Any]) -> None:
    tmpl(w)["volumes"][0]["cloudSqlInstance"]["instances"] = [CN + "\r"]


def missing_role(w: dict[str, Any]) -> None:
    policy = w["projects"][0]["iamPolicy"]
    policy["bindings"] = [b for b in policy["bindings"] if b["role"] != "roles/cloudsql.client"]
    # A conditional grant for someone else: the fix must leave it exactly as it is.
    policy["version"] = 3
    policy["bindings"].append({
        "role": "roles/cloudsql.client",
        "members": ["serviceAccount:reports@acme-prod.iam.gserviceaccount.com"],
        "condition": {"title": "reports only", "expression": 'resource.name.startsWith("projects/acme-prod/instances/reports")'},
    })


def stopped(w: dict[str, Any]) -> None:
    w["instances"][0]["settings"]["activationPolicy"] = "NEVER"


def private_only(w: dict[str, Any]) -> None:
    inst = w["instances"][0]
    inst["ipAddresses"] = [{"type": "PRIVATE", "ipAddress": "10.8.0.5"}]
    cfg = inst["settings"]["ipConfiguration"]
    cfg["ipv4Enabled"] = False
    cfg["authorizedNetworks"] = []
    cfg["privateNetwork"] = f"projects/{P}/global/networks/default"


def all_traffic(w: dict[str, Any]) -> None:
    tmpl(w)["vpcAccess"] = {"networkInterfaces": [{"network": "default", "subnetwork": "default"}],
                            "egress": "ALL_TRAFFIC"}
