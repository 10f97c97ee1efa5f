"""The probes, end to end: real Google clients through the Gateway against the sandbox.

Each test builds a small world (or loads a built-in scenario), serves it, runs every probe with
the runner and asserts on the Observations and ProbeResults the checks will read.
"""

from __future__ import annotations

import copy
import inspect
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pytest

from troubleshooter import probes
from troubleshooter.facts.keys import FactKey
from troubleshooter.gateway import Gateway
from troubleshooter.model import Outcome, ProbeResult, Target
from troubleshooter.observations import Observations
from troubleshooter.probes.common import split_connection_name
from troubleshooter.runner import run_probes
from troubleshooter.sandbox import Sandbox
from troubleshooter.world import World, load_world, world_from_data

P = "shop-prod"
NUMBER = "123456789012"
R = "us-central1"
SVC = f"projects/{P}/locations/{R}/services/api"
REV = f"{SVC}/revisions/api-00007-abc"
DEFAULT_SA = f"{NUMBER}-compute@developer.gserviceaccount.com"
CONN = f"{P}:{R}:shop-db"
PUBLIC_IP = "34.41.195.120"
SCENARIOS = Path(probes.__file__).parent.parent / "scenarios"

SIGNATURES = {
    "socket-not-found": (re.compile(r"No such file or directory"), re.compile(r"is not reachable")),
    "connection-refused": (re.compile(r"Connection refused|ECONNREFUSED"),),
    "auth-failed": (re.compile(r"password authentication failed"),),
}


def base_world() -> dict[str, Any]:
    """One service attached to one running Postgres instance; healthy unless a test breaks it."""
    return {
        "name": "probe-test",
        "target": {"project": P, "region": R, "service": "api"},
        "projects": [
            {
                "projectId": P,
                "projectNumber": NUMBER,
                "iamPolicy": {
                    "version": 1,
                    "etag": "BwX0",
                    "bindings": [
                        {"role": "roles/cloudsql.client", "members": [f"serviceAccount:{DEFAULT_SA}"]},
                        {"role": "roles/owner", "members": ["user:ops@shop.example"]},
                    ],
                },
            }
        ],
        "services": [
            {
                "name": SVC,
                "template": {
                    "scaling": {"maxInstanceCount": 8},
                    "containers": [
                        {
                            "image": "gcr.io/shop-prod/api:1",
                            "env": [
                                {"name": "INSTANCE_CONNECTION_NAME", "value": CONN},
                                {"name": "DB_NAME", "value": "shop"},
                                {"name": "DB_USER", "value": "shop_app"},
                                {"name": "DB_PASS", "valueSource": {
                                    "secretKeyRef": {"secret": "db-pass", "version": "latest"}}},
                            ],
                            "volumeMounts": [{"name": "cloudsql", "mountPath": "/cloudsql"}],
                        }
                    ],
                    "volumes": [{"name": "cloudsql", "cloudSqlInstance": {"instances": [CONN]}}],
                },
                "terminalCondition": {"type": "Ready", "state": "CONDITION_SUCCEEDED"},
                "latestReadyRevision": REV,
                "latestCreatedRevision": REV,
                "trafficStatuses": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
                "etag": "svc-etag",
            }
        ],
        "instances": [
            {
                "name": "shop-db",
                "project": P,
                "region": R,
                "connectionName": CONN,
                "databaseVersion": "POSTGRES_15",
                "state": "RUNNABLE",
                "ipAddresses": [{"type": "PRIMARY", "ipAddress": PUBLIC_IP}],
                "settings": {
                    "activationPolicy": "ALWAYS",
                    "ipConfiguration": {"ipv4Enabled": True, "sslMode": "ENCRYPTED_ONLY",
                                        "authorizedNetworks": [{"value": "0.0.0.0/0"}]},
                    "connectorEnforcement": "NOT_REQUIRED",
                },
            }
        ],
        "databases": {f"{P}:shop-db": [{"name": "postgres"}, {"name": "shop"}]},
        "users": {f"{P}:shop-db": [{"name": "postgres", "type": "BUILT_IN"}, {"name": "shop_app"}]},
        # DB_PASS's secret, readable by the runtime SA (probe `secrets`: metadata, versions, IAM).
        "secrets": [{"name": f"projects/{P}/secrets/db-pass", "replication": {"automatic": {}},
                     "iamPolicy": {"version": 1, "etag": "BwX1", "bindings": [
                         {"role": "roles/secretmanager.secretAccessor", "members": [f"serviceAccount:{DEFAULT_SA}"]}]},
                     "versions": [{"name": f"projects/{P}/secrets/db-pass/versions/1", "state": "ENABLED",
                                   "createTime": "-1d", "payload": {"data": "czNjcjN0LXB3"}}]}],
    }


def template(world: dict[str, Any]) -> dict[str, Any]:
    return world["services"][0]["template"]


def log_entry(text: str, *, ago: str = "-5m", service: str = "api", json: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "logName": f"projects/{P}/logs/run.googleapis.com%2Fstderr",
        "resource": {"type": "cloud_run_revision", "labels": {
            "project_id": P, "service_name": service, "location": R,
            "revision_name": f"{service}-00007-abc"}},
        "severity": "DEFAULT",
        "timestamp": ago,
    }
    entry["jsonPayload" if json else "textPayload"] = {"message": text} if json else text
    return entry


@dataclass
class Run:
    obs: Observations
    results: dict[str, ProbeResult]
    counts: dict[str, int]
    elapsed: float
    call_starts: list[float]

    def failure_kinds(self, probe: str) -> list[str]:
        return [f.kind for f in self.results[probe].failures]


def run_world(
    world: World | Mapping[str, Any],
    *,
    signatures: Mapping[str, tuple[re.Pattern[str], ...]] | None = None,
    latency: float = 0.0,
) -> Run:
    w = world if isinstance(world, World) else world_from_data(copy.deepcopy(dict(world)))
    target = Target(**w.target.model_dump())
    with Sandbox(w, latency=latency) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        try:
            start = time.perf_counter()
            obs, results = run_probes(target, gateway, probes.ALL_PROBES, signatures=signatures)
            elapsed = time.perf_counter() - start
        finally:
            gateway.close()
        starts = sorted(c.time for c in sandbox.calls.entries())
    return Run(obs, results, dict(gateway.stats.counts), elapsed, starts)


# --------------------------------------------------------------------------- registry


def test_registry_holds_every_probe_once_in_run_order() -> None:
    ids = [p.id for p in probes.ALL_PROBES]
    assert ids == [
        "run-config", "secrets", "serving-revision", "project", "app-settings", "sql-instances",
        "iam", "service-usage", "databases-users", "logs", "network",
    ]
    assert list(probes.REGISTRY) == ids
    with pytest.raises(TypeError):
        probes.REGISTRY["x"] = probes.ALL_PROBES[0]  # type: ignore[index]
    for p in probes.ALL_PROBES:
        assert set(p.needs) <= set(ids)
        module = inspect.getmodule(p.run)
        assert module is not None and len((module.__doc__ or "").strip()) > 200, p.id


@pytest.mark.parametrize(
    ("name", "project", "region", "instance", "cleaned"),
    [
        ("p:us-central1:db", "p", "us-central1", "db", False),
        ("p:us-central1:db\r", "p", "us-central1", "db", True),
        (" p:us-central1:db\n", "p", "us-central1", "db", True),
        ("example.com:p:us-east1:db", "example.com:p", "us-east1", "db", False),
        ("p:db", "p", None, "db", False),
        ("bot-db", "target", None, "bot-db", False),
        ("", "target", None, "", False),
    ],
)
def test_connection_names_split_byte_exact(
    name: str, project: str, region: str | None, instance: str, cleaned: bool
) -> None:
    ref = split_connection_name(name, "target")
    assert (ref.connection_name, ref.project, ref.region, ref.instance, ref.cleaned) == (
        name, project, region, instance, cleaned,
    )


# --------------------------------------------------------------------------- run config


def test_healthy_service_reads_every_fact_once_each() -> None:
    run = run_world(base_world())
    # No VPC egress and no private IP: the network probe skips without a call (issue 12).
    assert {p: r.outcome for p, r in run.results.items()} == {
        p.id: Outcome.SKIPPED if p.id == "network" else Outcome.OK for p in probes.ALL_PROBES}
    cfg = run.obs.run
    assert cfg is not None
    # No serviceAccount in the template: the project's default compute account runs it.
    assert cfg.service_account == DEFAULT_SA and cfg.service_account_is_default
    assert run.obs.project_numbers == {P: NUMBER}
    assert cfg.attached == (CONN,) and cfg.cloudsql_mount_paths == ("/cloudsql",)
    assert cfg.max_instances == 8 and cfg.serving_revisions == (REV,)
    assert run.obs.serving is not None and run.obs.serving.name == REV and run.obs.latest is None
    assert run.obs.instances[f"{P}:shop-db"]["connectionName"] == CONN
    assert run.obs.iam[P]["bindings"]
    assert run.obs.services_enabled == {f"{P}:sqladmin.googleapis.com": True}
    assert run.obs.databases[f"{P}:shop-db"] == ["postgres", "shop"]
    assert [u["name"] for u in run.obs.users[f"{P}:shop-db"]] == ["postgres", "shop_app"]
    # Attachment and INSTANCE_CONNECTION_NAME name one instance: one ref, one read of each thing.
    assert [r.key for r in run.obs.instance_refs] == [f"{P}:shop-db"]
    assert all(n == 1 for n in run.counts.values()), run.counts
    assert run.counts["sqladmin.Get"] == 1 and run.counts["cloudresourcemanager.GetProject"] == 1
    assert run.obs.failures == {}


def test_attached_name_is_kept_byte_exact_and_looked_up_cleaned() -> None:
    world = base_world()
    template(world)["volumes"][0]["cloudSqlInstance"]["instances"] = [CONN + "\r"]
    run = run_world(world)
    assert run.obs.run is not None and run.obs.run.attached == (CONN + "\r",)
    ref = run.obs.instance_refs[0]
    assert ref.connection_name == CONN + "\r" and ref.cleaned and ref.instance == "shop-db"
    assert f"{P}:shop-db" in run.obs.instances
    evidence = next(e for e in run.results["run-config"].evidence if e.field == "template.volumes")
    assert evidence.value[0]["cloudSqlInstance"]["instances"] == [CONN + "\r"]


def test_default_service_account_unknown_when_the_project_cannot_be_read() -> None:
    world = base_world()
    world["faults"] = [{"api": "cloudresourcemanager", "method": "GetProject", "code": 403,
                        "reason": "IAM_PERMISSION_DENIED",
                        "metadata": {"permission": "resourcemanager.projects.get"}}]
    run = run_world(world)
    assert run.obs.run is not None and run.obs.run.service_account == ""
    assert run.obs.run.service_account_is_default
    assert run.results["run-config"].outcome is Outcome.UNCERTAIN
    assert run.results["project"].outcome is Outcome.UNCERTAIN
    assert run.obs.failures[FactKey.project(P)].permission == "resourcemanager.projects.get"
    assert run.counts["cloudresourcemanager.GetProject"] == 1  # shared, not retried per probe
    assert run.results["iam"].evidence[0].value == "n/a"


def test_explicit_service_account_and_vpc_egress() -> None:
    world = base_world()
    template(world)["serviceAccount"] = "api@shop-prod.iam.gserviceaccount.com"
    template(world)["vpcAccess"] = {
        "egress": "ALL_TRAFFIC",
        "networkInterfaces": [{"network": "default", "subnetwork": "run-subnet"}],
    }
    run = run_world(world)
    cfg = run.obs.run
    assert cfg is not None and cfg.service_account == "api@shop-prod.iam.gserviceaccount.com"
    assert not cfg.service_account_is_default
    assert (cfg.vpc.network, cfg.vpc.subnetwork, cfg.vpc.egress) == ("default", "run-subnet", "ALL_TRAFFIC")
    assert run.results["iam"].evidence[0].value == "none"  # that account holds no role here


def test_missing_target_fails_run_config_and_skips_what_depends_on_it() -> None:
    world = base_world()
    world["target"]["service"] = "nope"
    run = run_world(world)
    assert run.results["run-config"].outcome is Outcome.FAILED
    assert run.failure_kinds("run-config") == ["not-found"]
    assert run.obs.failures[FactKey.run()].kind == "not-found"
    for probe in ("serving-revision", "app-settings", "sql-instances", "databases-users"):
        assert run.results[probe].outcome is Outcome.SKIPPED, probe


def test_job_reads_the_task_template_and_latest_execution() -> None:
    world = base_world()
    job = f"projects/{P}/locations/{R}/jobs/migrate"
    task = copy.deepcopy(template(world))
    task.pop("scaling")
    task["serviceAccount"] = "migrate@shop-prod.iam.gserviceaccount.com"
    world["target"] = {"project": P, "region": R, "job": "migrate"}
    world["jobs"] = [{
        "name": job,
        "template": {"parallelism": 2, "taskCount": 5, "template": task},
        "terminalCondition": {"type": "Ready", "state": "CONDITION_SUCCEEDED"},
        "latestCreatedExecution": {"name": "migrate-x1y2z"},
    }]
    world["executions"] = [{
        "name": f"{job}/executions/migrate-x1y2z",
        "template": task,
        "conditions": [{"type": "Completed", "state": "CONDITION_FAILED", "message": "Task failed"}],
    }]
    run = run_world(world)
    cfg = run.obs.run
    assert cfg is not None and cfg.kind == "job" and cfg.template_path == "template.template"
    assert cfg.service_account == "migrate@shop-prod.iam.gserviceaccount.com"
    assert cfg.attached == (CONN,) and cfg.max_instances == 2 and cfg.serving_revisions == ()
    assert run.obs.latest is not None and run.obs.latest.ready is False
    assert run.obs.latest.attached == (CONN,)
    assert run.obs.serving is None
    assert run.counts["run.GetJob"] == 1 and run.counts["run.GetExecution"] == 1
    fields = {e.field for e in run.results["run-config"].evidence}
    assert "template.template.volumes" in fields and "template.template.serviceAccount" in fields


# --------------------------------------------------------------------------- revisions


def test_failed_deploy_reads_the_newest_and_the_serving_revision() -> None:
    world = base_world()
    svc = world["services"][0]
    newest = f"{SVC}/revisions/api-00008-new"
    svc["latestCreatedRevision"] = newest
    svc["terminalCondition"] = {"type": "Ready", "state": "CONDITION_FAILED",
                                "message": f"Revision '{newest}' is not ready."}
    svc["trafficStatuses"] = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                               "revision": "api-00007-abc", "percent": 100}]
    old = copy.deepcopy(template(world))
    old["volumes"] = []  # the serving revision predates the attachment: what runs has none
    world["revisions"] = [
        {"name": REV, **old,
         "conditions": [{"type": "Ready", "state": "CONDITION_SUCCEEDED"}]},
        {"name": newest, **copy.deepcopy(template(world)),
         "conditions": [{"type": "Ready", "state": "CONDITION_FAILED",
                         "message": "Container failed to start.\nLogs URL: https://x"}]},
    ]
    run = run_world(world)
    assert run.obs.serving is not None and run.obs.serving.name == REV
    assert run.obs.serving.ready is True and run.obs.serving.attached == ()
    assert run.obs.latest is not None and run.obs.latest.name == newest
    assert run.obs.latest.ready is False and run.obs.latest.attached == (CONN,)
    assert run.counts["run.GetRevision"] == 2
    summary = run.results["serving-revision"].summary
    assert "Container failed to start." in summary and "\n" not in summary


# --------------------------------------------------------------------------- instances


def test_public_ip_dsn_is_matched_to_the_instance_that_owns_it() -> None:
    world = base_world()
    template(world)["volumes"] = []
    template(world)["containers"][0]["env"] = [
        {"name": "DATABASE_URL", "value": f"postgresql://shop_app:s3cr3t-pw@{PUBLIC_IP}:5432/shop"},
    ]
    run = run_world(world)
    refs = run.obs.instance_refs
    assert [(r.connection_name, r.key) for r in refs] == [(CONN, f"{P}:shop-db")]
    assert run.obs.instances[f"{P}:shop-db"]["ipAddresses"][0]["ipAddress"] == PUBLIC_IP
    assert run.obs.databases[f"{P}:shop-db"] == ["postgres", "shop"]
    assert run.counts.get("sqladmin.Get", 0) == 0  # taken from instances.list, not read again
    assert run.counts["sqladmin.List"] == 1
    shown = repr([e.as_dict() for r in run.results.values() for e in r.evidence])
    assert "s3cr3t-pw" not in shown and "<redacted>" in shown


def test_missing_instance_is_a_fact_with_the_existing_instances_listed() -> None:
    world = base_world()
    world["projects"].append({"projectId": "data-hub", "projectNumber": "998877665544"})
    world["instances"].append({
        "name": "ledger", "project": "data-hub", "region": R,
        "connectionName": f"data-hub:{R}:ledger", "state": "RUNNABLE",
    })
    template(world)["volumes"][0]["cloudSqlInstance"]["instances"] = [
        f"{P}:{R}:shop-dbb", f"data-hub:{R}:ledgr",
    ]
    run = run_world(world)
    assert run.obs.failures[FactKey.instance(P, "shop-dbb")].kind == "not-found"
    assert run.obs.failures[FactKey.instance("data-hub", "ledgr")].kind == "not-found"
    assert [i["name"] for i in run.obs.project_instances[P]] == ["shop-db"]
    assert [i["name"] for i in run.obs.project_instances["data-hub"]] == ["ledger"]
    assert run.results["sql-instances"].outcome is Outcome.OK
    assert "not found" in run.results["sql-instances"].summary
    # The instance's project is looked at too (cross-project IAM and API state).
    assert set(run.obs.iam) == {P, "data-hub"}
    assert set(run.obs.services_enabled) == {f"{P}:sqladmin.googleapis.com",
                                             "data-hub:sqladmin.googleapis.com"}
    assert run.results["databases-users"].outcome is not Outcome.UNCERTAIN


def test_permission_denied_makes_the_probe_uncertain_and_names_the_permission() -> None:
    world = base_world()
    world["faults"] = [{"api": "sqladmin", "method": "Get", "code": 403, "reason": "IAM_PERMISSION_DENIED",
                        "metadata": {"permission": "cloudsql.instances.get"}}]
    run = run_world(world)
    result = run.results["sql-instances"]
    assert result.outcome is Outcome.UNCERTAIN
    assert [(f.kind, f.permission) for f in result.failures] == [
        ("permission-denied", "cloudsql.instances.get")
    ]
    assert "cloudsql.instances.get" in result.as_dict()["error"]
    assert run.obs.failures[FactKey.instance(P, "shop-db")].kind == "permission-denied"
    assert f"{P}:shop-db" not in run.obs.instances
    # Doubt about one fact stays with it: everything else was read.
    assert run.results["run-config"].outcome is Outcome.OK
    assert run.results["databases-users"].outcome is Outcome.OK


def test_disabled_admin_api_is_an_api_disabled_failure_and_a_fact() -> None:
    world = base_world()
    world["projects"][0]["enabledServices"] = [
        "run.googleapis.com", "logging.googleapis.com", "cloudresourcemanager.googleapis.com",
        "serviceusage.googleapis.com",
    ]
    run = run_world(world)
    assert run.obs.services_enabled == {f"{P}:sqladmin.googleapis.com": False}
    assert run.results["service-usage"].outcome is Outcome.OK
    for probe in ("sql-instances", "databases-users"):
        assert run.results[probe].outcome is Outcome.UNCERTAIN, probe
        assert set(run.failure_kinds(probe)) == {"api-disabled"}, probe
    failure = run.obs.failures[FactKey.instance(P, "shop-db")]
    assert failure.kind == "api-disabled" and failure.service == "sqladmin.googleapis.com"
    assert "Cloud SQL Admin API" in failure.explain()


def test_iam_read_denied_is_uncertain_not_a_cause() -> None:
    world = base_world()
    world["faults"] = [{"api": "cloudresourcemanager", "method": "GetIamPolicy", "code": 403,
                        "reason": "IAM_PERMISSION_DENIED",
                        "metadata": {"permission": "resourcemanager.projects.getIamPolicy"}}]
    run = run_world(world)
    assert run.results["iam"].outcome is Outcome.UNCERTAIN
    assert run.obs.failures[FactKey.iam(P)].permission == "resourcemanager.projects.getIamPolicy"
    assert run.obs.iam == {}


# --------------------------------------------------------------------------- app settings


def test_app_settings_show_env_redacted_and_secrets_unread() -> None:
    world = base_world()
    template(world)["containers"][0]["env"].append(
        {"name": "DATABASE_URL", "value": "postgresql://shop_app:hunter2@localhost/shop"}
    )
    template(world)["containers"][0]["env"][0]["value"] = ""  # empty connection-name variable
    run = run_world(world)
    app = run.obs.app
    assert app is not None
    assert {c.kind for c in app} >= {"connection-name", "url", "secret"}
    # The empty name is a ref (so checks can explain it) but nothing is looked up for it.
    empty = [r for r in run.obs.instance_refs if r.connection_name == ""]
    assert empty and empty[0].project == P and empty[0].region is None
    evidence = run.results["app-settings"].evidence
    shown = repr([e.as_dict() for e in evidence])
    assert "hunter2" not in shown
    assert any(e.field == "template.containers[0].env[DATABASE_URL]" for e in evidence)
    secret = next(e for e in evidence if "DB_PASS" in e.field)
    assert "Secret Manager" in secret.note and "not read" in secret.note


# --------------------------------------------------------------------------- logs


def test_logs_match_symptoms_without_a_severity_filter_and_redact_lines() -> None:
    world = base_world()
    world["logEntries"] = [
        log_entry("boot", ago="-20m"),
        log_entry('connection to server at "10.0.0.5", port 5432 failed: Connection refused '
                  "(dsn postgresql://shop_app:hunter2@10.0.0.5/shop)", ago="-10m"),
        log_entry("connect ECONNREFUSED 127.0.0.1:5432", ago="-4m", json=True),
        log_entry("Connection refused", ago="-3m", service="other-svc"),  # another service
        log_entry("Connection refused", ago="-3h"),                       # outside the window
    ]
    run = run_world(world, signatures=SIGNATURES)
    assert run.obs.log_entries_seen == 3
    match = run.obs.logs["connection-refused"]
    assert match.count == 2
    assert match.lines[0] == "connect ECONNREFUSED 127.0.0.1:5432"  # newest first
    assert "hunter2" not in match.lines[1] and "<redacted>" in match.lines[1]
    assert match.first_seen < match.last_seen
    assert match.resources == ("api-00007-abc",)
    assert match.log_names == (f"projects/{P}/logs/run.googleapis.com%2Fstderr",)
    assert set(run.obs.logs) == {"connection-refused"}
    evidence = run.results["logs"].evidence
    assert len(evidence) == 1 and evidence[0].value.startswith("2 lines between")
    assert "hunter2" not in repr([e.as_dict() for e in evidence])


def test_logs_with_no_signatures_match_nothing() -> None:
    world = base_world()
    world["logEntries"] = [log_entry("Connection refused")]
    run = run_world(world)
    assert run.obs.logs == {} and run.obs.log_entries_seen == 1
    assert run.results["logs"].outcome is Outcome.OK


# --------------------------------------------------------------------------- scenarios


def test_scenario_survey_bot_carriage_return_and_default_sa() -> None:
    world = load_world(SCENARIOS / "survey-bot-missing-role.yaml")
    run = run_world(world, signatures=SIGNATURES)
    cfg = run.obs.run
    assert cfg is not None and cfg.attached[0].endswith("bot-db\r")
    assert cfg.service_account.endswith("-compute@developer.gserviceaccount.com")
    assert run.obs.instance_refs[0].cleaned
    assert run.obs.logs["socket-not-found"].count >= 1


def test_scenario_saleor_job_dials_a_public_ip() -> None:
    world = load_world(SCENARIOS / "saleor-job-open-network.yaml")
    run = run_world(world)
    assert run.obs.run is not None and run.obs.run.kind == "job" and run.obs.run.attached == ()
    refs = run.obs.instance_refs
    assert [r.connection_name for r in refs] == ["melodic-now-463704-k1:us-central1:saleor-db-demo"]
    assert refs[0].key in run.obs.instances


# --------------------------------------------------------------------------- concurrency


def test_probes_take_two_round_trips() -> None:
    """Structure, not speed: every call starts in the first or the second wave of requests.

    With latency L per call, a call made after a reply starts >= L after the first call; one
    made after two replies, >= 2L. So "all calls start within 1.5 L" means the critical path
    is two calls deep: run-config -> {instances, IAM, databases, users, revision}, the lists,
    the project, Service Usage and the logs going out at t=0.
    """
    latency = 0.3
    world = base_world()
    template(world)["containers"][0]["env"].append(
        {"name": "DATABASE_URL", "value": f"postgresql://u:p@{PUBLIC_IP}:5432/shop"}
    )
    run = run_world(world, signatures=SIGNATURES, latency=latency)
    assert all(r.outcome is Outcome.OK for p, r in run.results.items() if p != "network")
    first = run.call_starts[0]
    late = [round(s - first, 2) for s in run.call_starts if s - first >= 1.5 * latency]
    assert late == [], f"calls started in a third wave: {late}"
    wave1 = [s for s in run.call_starts if s - first < latency / 2]
    assert len(wave1) == 5  # GetService, GetProject, instances.list, Service Usage, logs
    # Timing (the lead keeps the benchmarks): two round trips and overhead, well under 3.5 L.
    assert run.elapsed < 3.5 * latency, run.elapsed
