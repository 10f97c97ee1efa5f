"""Sandbox failure modes: injected faults, disabled APIs, latency, and a clean stop."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from google.api_core import exceptions as gexc
from google.cloud import resourcemanager_v3, run_v2, service_usage_v1

from troubleshooter.sandbox import Sandbox
from troubleshooter.world import World

P, PN, R = "telepay-459221", "291176869049", "us-central1"
SERVICE = f"projects/{P}/locations/{R}/services/gcdonationhandler-10-26"


def _with(world: World, **changes: Any) -> World:
    data = world.to_dict()
    data.update(changes)
    return World.model_validate(data)


def _without_api(world: World, service: str) -> World:
    data = world.to_dict()
    data["projects"][0]["enabledServices"].remove(service)
    return World.model_validate(data)


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("fault", "exc_type", "reason", "words"),
    [
        ({"code": 403}, gexc.Forbidden, "IAM_PERMISSION_DENIED", "Permission 'run.services.get' denied on resource"),
        ({"code": 403, "reason": "SERVICE_DISABLED"}, gexc.Forbidden, "SERVICE_DISABLED", "has not been used in project"),
        ({"code": 404}, gexc.NotFound, None, "was not found"),
        ({"code": 429}, gexc.TooManyRequests, "RATE_LIMIT_EXCEEDED", "Quota exceeded"),
        ({"code": 500, "message": "boom"}, gexc.InternalServerError, None, "boom"),
        ({"code": 503}, gexc.ServiceUnavailable, None, "currently unavailable"),
        ({"code": "DEADLINE_EXCEEDED"}, gexc.GatewayTimeout, None, "Deadline"),
        ({"code": 403, "reason": "CUSTOM", "metadata": {"k": "v"}}, gexc.Forbidden, "CUSTOM", "denied"),
    ],
)
def test_rest_faults_surface_as_api_core_exceptions(
    serve: Any, fixture_world: World, fault: dict, exc_type: type, reason: str | None, words: str
) -> None:
    world = _with(fixture_world, faults=[{"api": "run", "method": "GetService", **fault}])
    sandbox, clients = serve(world)
    services = clients.rest(run_v2.ServicesClient, "run")
    with pytest.raises(exc_type, match=words) as info:
        services.get_service(name=SERVICE, retry=None)
    assert info.value.reason == reason
    if fault.get("metadata"):
        assert info.value.metadata["k"] == "v"
    if reason == "IAM_PERMISSION_DENIED":
        assert info.value.metadata["permission"] == "run.services.get"
    assert [c.status for c in sandbox.calls][-1] != "OK"
    # Other methods of the same API are untouched.
    assert list(services.list_services(parent=f"projects/{P}/locations/{R}"))


@pytest.mark.parametrize(
    ("fault", "exc_type", "reason"),
    [
        # Cloud SQL's own 403 names no permission (sandbox/errors.sql_not_authorized).
        ({"code": 403}, gexc.PermissionDenied, "notAuthorized"),
        ({"code": "UNAVAILABLE"}, gexc.ServiceUnavailable, None),
        ({"code": 429}, gexc.ResourceExhausted, "RATE_LIMIT_EXCEEDED"),
        ({"code": "DEADLINE_EXCEEDED"}, gexc.DeadlineExceeded, None),
        ({"code": 404}, gexc.NotFound, None),
    ],
)
def test_grpc_faults_surface_as_api_core_exceptions(
    serve: Any, fixture_world: World, fault: dict, exc_type: type, reason: str | None
) -> None:
    world = _with(fixture_world, faults=[{"api": "sqladmin", "method": "Get", **fault}])
    _, clients = serve(world)
    instances = clients.sql("SqlInstancesServiceClient")
    with pytest.raises(exc_type) as info:
        instances.get(request={"project": P, "instance": "telepay-pg"}, retry=None)
    assert info.value.reason == reason
    if reason == "notAuthorized":
        assert info.value.message == "The client is not authorized to make this request."
        assert "permission" not in (info.value.metadata or {})
    assert instances.list(request={"project": P}).items  # List is another method


def test_fault_times_match_and_qualified_methods(serve: Any, fixture_world: World) -> None:
    faults = [
        {"api": "sqladmin", "method": "SqlDatabasesService/List", "code": 500, "times": 1},
        {"api": "sqladmin", "method": "Get", "code": 403, "match": "other-instance"},
        {"api": "cloudresourcemanager", "method": "*", "code": 503, "times": 2},
    ]
    _, clients = serve(_with(fixture_world, faults=faults))
    databases = clients.sql("SqlDatabasesServiceClient")
    with pytest.raises(gexc.InternalServerError):
        databases.list(request={"project": P, "instance": "telepay-pg"}, retry=None)
    assert databases.list(request={"project": P, "instance": "telepay-pg"}, retry=None).items  # times: 1 used up
    # Unqualified "Get" only targets SqlInstancesService, and only resources matching "other-instance".
    assert clients.sql("SqlInstancesServiceClient").get(request={"project": P, "instance": "telepay-pg"}).name
    with pytest.raises(gexc.PermissionDenied):
        clients.sql("SqlInstancesServiceClient").get(request={"project": P, "instance": "other-instance"}, retry=None)
    projects = clients.rest(resourcemanager_v3.ProjectsClient, "cloudresourcemanager")
    for _ in range(2):
        with pytest.raises(gexc.ServiceUnavailable):
            projects.get_project(name=f"projects/{P}", retry=None)
    assert projects.get_project(name=f"projects/{P}", retry=None).project_id == P


def test_delay_fault_provokes_client_timeouts_and_stop_cuts_it_short(serve: Any, fixture_world: World) -> None:
    faults = [
        {"api": "run", "method": "GetService", "delay": 30},
        {"api": "sqladmin", "method": "Get", "delay": 30},
    ]
    sandbox, clients = serve(_with(fixture_world, faults=faults))
    with pytest.raises(requests.exceptions.Timeout):
        clients.rest(run_v2.ServicesClient, "run").get_service(name=SERVICE, retry=None, timeout=0.2)
    with pytest.raises(gexc.DeadlineExceeded):
        clients.sql("SqlInstancesServiceClient").get(
            request={"project": P, "instance": "telepay-pg"}, retry=None, timeout=0.2
        )
    started = time.monotonic()
    sandbox.stop()  # two handlers are still "sleeping" 30 s
    assert time.monotonic() - started < 3


# --------------------------------------------------------------------------- enabled services


def test_disabled_run_api_is_service_disabled_until_enabled(serve: Any, fixture_world: World) -> None:
    _, clients = serve(_without_api(fixture_world, "run.googleapis.com"))
    services = clients.rest(run_v2.ServicesClient, "run")
    with pytest.raises(gexc.Forbidden) as info:
        services.get_service(name=SERVICE, retry=None)
    err = info.value
    assert err.reason == "SERVICE_DISABLED" and err.domain == "googleapis.com"
    assert err.metadata["service"] == "run.googleapis.com"
    assert err.metadata["consumer"] == f"projects/{PN}"
    assert f"Cloud Run Admin API has not been used in project {PN} before or it is disabled" in err.message

    usage = clients.rest(service_usage_v1.ServiceUsageClient, "serviceusage")
    usage.enable_service(request={"name": f"projects/{P}/services/run.googleapis.com"}).result(timeout=5)
    assert services.get_service(name=SERVICE).name == SERVICE


def test_disabled_sqladmin_api_over_grpc(serve: Any, fixture_world: World) -> None:
    sandbox, clients = serve(_without_api(fixture_world, "sqladmin.googleapis.com"))
    instances = clients.sql("SqlInstancesServiceClient")
    with pytest.raises(gexc.PermissionDenied) as info:
        instances.get(request={"project": P, "instance": "telepay-pg"}, retry=None)
    assert info.value.reason == "SERVICE_DISABLED"
    assert info.value.metadata["service"] == "sqladmin.googleapis.com"
    assert "Cloud SQL Admin API has not been used in project" in info.value.message
    usage = clients.rest(service_usage_v1.ServiceUsageClient, "serviceusage")
    usage.enable_service(request={"name": f"projects/{PN}/services/sqladmin.googleapis.com"}).result(timeout=5)
    assert instances.get(request={"project": P, "instance": "telepay-pg"}).name == "telepay-pg"
    assert "sqladmin.googleapis.com" in sandbox.snapshot().projects[0].enabled_services


def test_disabled_logging_and_resource_manager(serve: Any, fixture_world: World) -> None:
    world = _without_api(_without_api(fixture_world, "logging.googleapis.com"), "cloudresourcemanager.googleapis.com")
    _, clients = serve(world)
    with pytest.raises(gexc.Forbidden) as info:
        list(clients.logging(P).list_entries(resource_names=[f"projects/{P}"]))
    assert info.value.reason == "SERVICE_DISABLED"
    projects = clients.rest(resourcemanager_v3.ProjectsClient, "cloudresourcemanager")
    with pytest.raises(gexc.Forbidden) as info:
        projects.get_iam_policy(request={"resource": f"projects/{P}"})
    assert info.value.metadata["service"] == "cloudresourcemanager.googleapis.com"


# --------------------------------------------------------------------------- latency, calls, lifecycle


def test_latency_applies_per_call_concurrently(serve: Any, fixture_world: World) -> None:
    latency = 0.3
    sandbox, clients = serve(fixture_world, latency=latency)
    services = clients.rest(run_v2.ServicesClient, "run")
    services.get_service(name=SERVICE)  # warm the connection pool and imports
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: services.get_service(name=SERVICE).name, range(4)))
    elapsed = time.monotonic() - started
    assert results == [SERVICE] * 4
    assert latency <= elapsed < 2 * latency  # overlapping, not 4 x latency
    assert sandbox.calls.count("run", "GetService") == 5 and sandbox.call_count == 5
    assert {c.resource for c in sandbox.calls} == {SERVICE}


def test_stop_is_clean_no_threads_or_ports_left(fixture_world: World) -> None:
    baseline = {t.ident for t in threading.enumerate()}
    sandbox = Sandbox(fixture_world).start()
    ports = [int(url.rsplit(":", 1)[1]) for url in sandbox.endpoints.values()]
    session = requests.Session()  # keep-alive connections must not hold the server up
    assert session.get(f"{sandbox.endpoints['run']}/v2/{SERVICE}", timeout=5).status_code == 200
    sandbox.stop()
    sandbox.stop()  # idempotent
    leftover = [t.name for t in threading.enumerate() if t.ident not in baseline and t.is_alive()]
    assert leftover == []
    for port in ports:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
    session.close()


def test_endpoints_and_env(fixture_world: World) -> None:
    with Sandbox(fixture_world) as sandbox:
        assert set(sandbox.endpoints) == {"run", "sqladmin", "cloudresourcemanager", "logging", "serviceusage",
                                          "cloudasset", "compute", "vpcaccess", "secretmanager"}
        assert len(set(sandbox.endpoints.values())) == len(sandbox.endpoints)   # one server per API
        assert sandbox.env["CLOUDSDK_API_ENDPOINT_OVERRIDES_SQLADMIN"] == sandbox.endpoints["sqladmin"] + "/"
        bad = requests.get(f"{sandbox.endpoints['run']}/v2/nothing/here", timeout=5)
        assert bad.status_code == 404 and bad.json()["error"]["status"] == "NOT_FOUND"
    with pytest.raises(RuntimeError):
        sandbox.endpoints


def test_faults_on_logging_and_service_usage(serve: Any, fixture_world: World) -> None:
    faults = [
        {"api": "logging", "method": "ListLogEntries", "code": 403},
        {"api": "serviceusage", "method": "ServiceUsage/EnableService", "code": 429},
    ]
    _, clients = serve(_with(fixture_world, faults=faults))
    with pytest.raises(gexc.Forbidden) as info:
        list(clients.logging(P).list_entries(resource_names=[f"projects/{P}"]))
    assert info.value.metadata["permission"] == "logging.logEntries.list"
    usage = clients.rest(service_usage_v1.ServiceUsageClient, "serviceusage")
    with pytest.raises(gexc.TooManyRequests):
        usage.enable_service(request={"name": f"projects/{P}/services/compute.googleapis.com"}, retry=None)
    assert usage.get_service(request={"name": f"projects/{P}/services/run.googleapis.com"}).state == (
        service_usage_v1.State.ENABLED
    )
