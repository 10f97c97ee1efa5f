"""The tool on API responses captured from real projects (gcpdiag's json-dumps, tests/data/gcpdiag).

Each world is built from the dumps unchanged (tests/gcpdiag_worlds.py), or with one field
varied in memory, and diagnosed end to end: real sandbox, real client libraries, real walk.
"""

from __future__ import annotations

import copy
from typing import Any, Iterator

import pytest

from cases import loopback_only, run_world
from gcpdiag_worlds import dump, only, world_from_dumps
from troubleshooter.engine.tree import load_graph
from troubleshooter.gateway import Gateway
from troubleshooter.sandbox import Sandbox
from troubleshooter.sandbox.run_model import revision_from_template
from troubleshooter.world import world_from_data


@pytest.fixture(scope="module", autouse=True)
def _loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def graph() -> Any:
    return load_graph()


def _step(d: Any, node: str) -> Any:
    return next(s.result for s in d.walk.steps if s.node.id == node and s.result is not None)


# --------------------------------------------------------------------------- Cloud Run dumps


def test_the_dumps_load_as_worlds() -> None:
    for dirs in (("cloudrun1",), ("cloudrun2",), ("cloudsql1",)):
        data = world_from_dumps(*dirs) if dirs != ("cloudsql1",) else None
        if data is not None:
            world_from_data(data, f"<gcpdiag {dirs[0]}>")


def test_a_service_whose_only_revision_failed(graph: Any) -> None:
    """cloudrun2/invalid-container: latestReadyRevision == latestCreatedRevision, yet Ready failed
    with revisionReason HEALTH_CHECK_CONTAINER_ERROR: no revision serves, and nothing says
    traffic "stays on" the failed one."""
    d = run_world(only(world_from_dumps("cloudrun2"), "invalid-container"), graph).diagnosis
    assert d.cause_ids == ["latest-revision-not-ready"]
    summary = d.causes[0].as_cause_json()["summary"]
    assert "never became ready" in summary and "no revision serves traffic" in summary
    assert "stays on" not in summary
    values = [e["value"] for e in d.causes[0].as_cause_json()["evidence"] if isinstance(e["value"], dict)]
    assert any(v.get("revisionReason") == "HEALTH_CHECK_CONTAINER_ERROR" for v in values)


def test_a_service_that_never_had_a_ready_revision(graph: Any) -> None:
    """cloudrun2/no-image-permission: no latestReadyRevision at all (reason CONTAINER_PERMISSION_DENIED)."""
    d = run_world(only(world_from_dumps("cloudrun2"), "no-image-permission"), graph).diagnosis
    assert d.cause_ids == ["latest-revision-not-ready"]
    summary = d.causes[0].as_cause_json()["summary"]
    assert "no revision serves traffic" in summary and "stays on" not in summary


def test_the_synthesized_revision_says_only_what_the_service_status_says() -> None:
    services = {s["name"].rsplit("/", 1)[-1]: s for s in dump("cloudrun2", "cloudrun_services.json")["services"]}
    failed = services["invalid-container"]
    rev = revision_from_template(failed, failed["latestCreatedRevision"], "2024-06-28T15:00:00Z")
    assert [c["type"] for c in rev["conditions"]] == ["Ready"]          # no invented ContainerHealthy
    ready = rev["conditions"][0]
    assert ready["state"] == "CONDITION_FAILED"                           # never a synthesized success
    assert ready["revisionReason"] == "HEALTH_CHECK_CONTAINER_ERROR"
    healthy = dump("cloudrun1", "cloudrun_services.json")["services"][0]
    rev = revision_from_template(healthy, healthy["latestReadyRevision"], "2024-06-28T15:00:00Z")
    assert rev["conditions"] == [{"type": "Ready", "state": "CONDITION_SUCCEEDED",
                                  "lastTransitionTime": healthy["terminalCondition"]["lastTransitionTime"]}]


def test_condition_severity_and_revision_reason_survive_the_wire() -> None:
    data = only(world_from_dumps("cloudrun2"), "invalid-container")
    data["services"][0]["terminalCondition"]["severity"] = "ERROR"
    with Sandbox(world_from_data(data, "<w>")) as sandbox:
        gateway = Gateway.from_env(sandbox.env, timeout=2.0, deadline=4.0)
        try:
            svc = gateway.get_service("gcpdiag-cloudrun2-aaaa", "us-central1", "invalid-container")
        finally:
            gateway.close()
    assert svc["terminalCondition"]["severity"] == "ERROR"
    assert svc["terminalCondition"]["revisionReason"] == "HEALTH_CHECK_CONTAINER_ERROR"
    from troubleshooter.probes.common import condition

    c = condition(svc["terminalCondition"])
    assert (c.severity, c.revision_reason) == ("ERROR", "HEALTH_CHECK_CONTAINER_ERROR")


def test_a_service_without_cloud_sql_gets_no_cloud_sql_cause(graph: Any) -> None:
    """cloudrun1: a hello-world service in a project whose services.json lacks sqladmin."""
    data = world_from_dumps("cloudrun1")
    assert "sqladmin.googleapis.com" not in data["projects"][0]["enabledServices"]
    d = run_world(data, graph).diagnosis
    assert d.cause_ids == []
    api = _step(d, "check:api-enabled")
    assert api.outcome.value == "skipped" and "does not use Cloud SQL" in api.summary


def test_the_same_service_with_a_cloud_sql_connection_gets_the_api_cause(graph: Any) -> None:
    """The near miss: one field varied, the service attaches an instance: now the API matters."""
    data = world_from_dumps("cloudrun1")
    template = data["services"][0]["template"]
    template["volumes"] = [{"name": "cloudsql", "cloudSqlInstance": {"instances": ["gcpdiag-cloudrun1-aaaa:us-central1:sql1"]}}]
    template["containers"][0]["volumeMounts"] = [{"name": "cloudsql", "mountPath": "/cloudsql"}]
    d = run_world(data, graph).diagnosis
    assert "sqladmin-api-disabled" in d.cause_ids


# --------------------------------------------------------------------------- Cloud SQL dumps


def _sql_world(**change: Any) -> dict[str, Any]:
    """cloudsql1's instances behind cloudrun1's service (same project ids rewritten is not needed:
    the instances keep their own project, gcpdiag-cloudsql1-aaaa)."""
    data = world_from_dumps("cloudrun1", "cloudsql1", service="cloudrun1")
    # Our calls bill to the target's project (cloudrun1), where the dump has the Admin API off.
    data["projects"][0]["enabledServices"].append("sqladmin.googleapis.com")
    for inst in data["instances"]:
        inst.update(copy.deepcopy(change))
    return data


def test_every_instance_page_is_read() -> None:
    data = _sql_world()
    template = copy.deepcopy(data["instances"][1])
    for i in range(600):  # the sandbox pages instances.list by 500, as a big project would be
        data["instances"].append({**copy.deepcopy(template), "name": f"extra-{i:03d}"})
    with Sandbox(world_from_data(data, "<w>")) as sandbox:
        gateway = Gateway.from_env(sandbox.env, timeout=5.0, deadline=10.0)
        try:
            names = [i["name"] for i in gateway.list_instances("gcpdiag-cloudsql1-aaaa")]
        finally:
            gateway.close()
        assert sandbox.calls.count(api="sqladmin", method="List") == 2
    assert len(names) == 602 and names[0] == "sql1" and names[-1] == "extra-599"


def test_unknown_enum_values_reach_the_tool() -> None:
    """A value newer than the client's protos (databaseVersion, state) arrives as a number, not as nothing."""
    data = _sql_world()
    data["instances"][0]["databaseVersion"] = "POSTGRES_99"
    data["instances"][0]["state"] = "SOME_FUTURE_STATE"
    with Sandbox(world_from_data(data, "<w>")) as sandbox:
        gateway = Gateway.from_env(sandbox.env, timeout=2.0, deadline=4.0)
        try:
            got = gateway.get_instance("gcpdiag-cloudsql1-aaaa", "sql1")
        finally:
            gateway.close()
    from troubleshooter.facts.instance import Instance

    inst = Instance(got)
    assert inst.database_version is not None and inst.database_version.isdigit()
    assert inst.state is not None and inst.state != "RUNNABLE"
    assert inst.engine is None  # unknown, not guessed


def _app_on(data: dict[str, Any], instance: str) -> None:
    cn = f"gcpdiag-cloudsql1-aaaa:us-central1:{instance}"
    template = data["services"][0]["template"]
    template["volumes"] = [{"name": "cloudsql", "cloudSqlInstance": {"instances": [cn]}}]
    container = template["containers"][0]
    container["volumeMounts"] = [{"name": "cloudsql", "mountPath": "/cloudsql"}]
    container["env"] = [{"name": "INSTANCE_CONNECTION_NAME", "value": cn},
                        {"name": "INSTANCE_UNIX_SOCKET", "value": f"/cloudsql/{cn}"}]


def test_sql_server_has_no_socket_to_measure(graph: Any) -> None:
    data = _sql_world(databaseVersion="SQLSERVER_2019_STANDARD")
    data["instances"][0]["connectionName"] = "gcpdiag-cloudsql1-aaaa:us-central1:sql1"
    _app_on(data, "sql1")
    d = run_world(data, graph).diagnosis
    step = _step(d, "check:socket-length")
    assert step.outcome.value == "skipped"
    assert "connector" in step.summary and "TCP" in step.summary
    assert "could not decide" not in " ".join(s.result.summary for s in d.walk.steps if s.result)


def test_a_psc_only_instance_is_never_called_reachable(graph: Any) -> None:
    """cloudsql1's sql1 varied to PSC only (no private network, no IP): nothing in a service
    without VPC egress reaches it, and the tool says what would."""
    data = _sql_world()
    inst = data["instances"][0]
    inst["ipAddresses"] = []
    inst["dnsName"] = "abc123.def456.us-central1.sql.goog."
    inst["pscServiceAttachmentLink"] = "projects/t-123/regions/us-central1/serviceAttachments/a-sql1"
    ip = inst["settings"]["ipConfiguration"]
    ip.pop("privateNetwork")
    ip["pscConfig"] = {"pscEnabled": True, "allowedConsumerProjects": ["gcpdiag-cloudrun1-aaaa"]}
    _app_on(data, "sql1")
    d = run_world(data, graph).diagnosis
    assert d.status != "healthy" and "healthy" not in d.status
    step = _step(d, "check:private-egress")
    assert step.outcome.value == "uncertain"
    assert "Private Service Connect" in step.summary and "abc123.def456.us-central1.sql.goog" in step.summary
    assert "nothing in it can reach the instance" in step.summary
