"""The sandbox through Google's own client libraries: reads, mutations seen by the next read, LROs."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
import requests
from google.api_core import exceptions as gexc
from google.cloud import resourcemanager_v3, run_v2, service_usage_v1, sqladmin_v1

from troubleshooter.sandbox import serve_forever
from troubleshooter.world import World

P, PN, R = "telepay-459221", "291176869049", "us-central1"
SERVICE = f"projects/{P}/locations/{R}/services/gcdonationhandler-10-26"
JOB = f"projects/{P}/locations/{R}/jobs/migrate"
RUN_SERVICE_TYPE = run_v2.Service


# --------------------------------------------------------------------------- Cloud Run


def test_get_and_list_services_by_project_id_or_number(sandbox_clients: Any) -> None:
    _, clients = sandbox_clients
    services = clients.rest(run_v2.ServicesClient, "run")
    svc = services.get_service(name=SERVICE.replace(P, PN))
    assert svc.name == SERVICE
    assert svc.generation == 2
    assert svc.template.containers[0].env[0].value.startswith("/cloudsql/")
    assert svc.template.containers[0].env[2].value_source.secret_key_ref.secret == "db-password"
    assert svc.terminal_condition.state == run_v2.Condition.State.CONDITION_SUCCEEDED
    assert [s.name for s in services.list_services(parent=f"projects/{P}/locations/-")] == [SERVICE]
    assert list(services.list_services(parent=f"projects/{P}/locations/europe-west1")) == []


def test_missing_service_is_not_found_in_googles_words(sandbox_clients: Any) -> None:
    _, clients = sandbox_clients
    with pytest.raises(gexc.NotFound, match="Resource 'nope' of kind 'SERVICE' in region 'us-central1'"):
        clients.rest(run_v2.ServicesClient, "run").get_service(name=f"projects/{P}/locations/{R}/services/nope")


def test_serving_revision_is_built_from_the_template(sandbox_clients: Any) -> None:
    _, clients = sandbox_clients
    svc = clients.rest(run_v2.ServicesClient, "run").get_service(name=SERVICE)
    revisions = clients.rest(run_v2.RevisionsClient, "run")
    rev = revisions.get_revision(name=svc.latest_ready_revision)
    assert rev.service == "gcdonationhandler-10-26"
    assert rev.containers[0].image == svc.template.containers[0].image
    assert rev.service_account == svc.template.service_account
    assert rev.conditions[0].type_ == "Ready"
    assert [r.name for r in revisions.list_revisions(parent=SERVICE)] == [svc.latest_ready_revision]


def test_update_service_is_an_lro_and_creates_a_revision_seen_by_the_next_read(sandbox_clients: Any) -> None:
    sandbox, clients = sandbox_clients
    services = clients.rest(run_v2.ServicesClient, "run")
    before = services.get_service(name=SERVICE)
    old_revision = before.latest_ready_revision
    before.template.volumes.append(
        run_v2.Volume(name="cloudsql", cloud_sql_instance=run_v2.CloudSqlInstance(instances=[f"{P}:{R}:telepay-pg"]))
    )
    before.template.containers[0].volume_mounts.append(run_v2.VolumeMount(name="cloudsql", mount_path="/cloudsql"))

    op = services.update_service(service=before)
    assert op.operation.name.startswith(f"projects/{P}/locations/{R}/operations/")
    assert op.done() is False  # first poll: still running
    assert op.done() is True
    updated = op.result()
    assert isinstance(updated, RUN_SERVICE_TYPE)
    assert updated.generation == 3

    after = services.get_service(name=SERVICE)
    assert after.generation == 3 and after.etag != before.etag
    assert after.latest_ready_revision == after.latest_created_revision != old_revision
    assert after.latest_ready_revision.rsplit("/", 1)[1].startswith("gcdonationhandler-10-26-00003-")
    assert after.traffic_statuses[0].percent == 100
    assert after.traffic_statuses[0].revision == after.latest_ready_revision.rsplit("/", 1)[1]
    assert after.template.volumes[0].cloud_sql_instance.instances == [f"{P}:{R}:telepay-pg"]

    revisions = clients.rest(run_v2.RevisionsClient, "run")
    new_rev = revisions.get_revision(name=after.latest_ready_revision)
    assert new_rev.volumes[0].cloud_sql_instance.instances == [f"{P}:{R}:telepay-pg"]
    assert revisions.get_revision(name=old_revision).volumes == []  # the old serving revision is kept
    assert len(list(revisions.list_revisions(parent=SERVICE))) == 2
    assert sandbox.snapshot().services[0]["generation"] == "3"


def test_update_service_with_a_stale_etag_is_aborted(sandbox_clients: Any) -> None:
    _, clients = sandbox_clients
    services = clients.rest(run_v2.ServicesClient, "run")
    stale = services.get_service(name=SERVICE)
    services.update_service(service=stale)
    with pytest.raises(gexc.Conflict) as info:
        services.update_service(service=stale)
    assert info.value.response.json()["error"]["status"] == "ABORTED"


def test_update_job_and_read_executions(sandbox_clients: Any) -> None:
    _, clients = sandbox_clients
    jobs = clients.rest(run_v2.JobsClient, "run")
    job = jobs.get_job(name=JOB)
    job.template.template.max_retries = 3
    op = jobs.update_job(job=job)
    while not op.done():
        pass  # the sandbox answers "done" on the second poll
    assert op.result().generation == 2
    assert jobs.get_job(name=JOB).template.template.max_retries == 3
    executions = clients.rest(run_v2.ExecutionsClient, "run")
    [execution] = list(executions.list_executions(parent=JOB))
    assert executions.get_execution(name=execution.name).failed_count == 1


# --------------------------------------------------------------------------- Resource Manager


def test_get_and_search_projects(sandbox_clients: Any) -> None:
    _, clients = sandbox_clients
    projects = clients.rest(resourcemanager_v3.ProjectsClient, "cloudresourcemanager")
    for ref in (P, PN):
        project = projects.get_project(name=f"projects/{ref}")
        assert (project.name, project.project_id) == (f"projects/{PN}", P)
        assert project.state == resourcemanager_v3.Project.State.ACTIVE
    assert [p.project_id for p in projects.search_projects(query=f"id:{P}")] == [P]
    with pytest.raises(gexc.Forbidden) as info:
        projects.get_project(name="projects/unknown-1")
    assert info.value.reason == "IAM_PERMISSION_DENIED"


def test_set_iam_policy_is_seen_by_get_and_stale_etag_is_refused(sandbox_clients: Any) -> None:
    _, clients = sandbox_clients
    projects = clients.rest(resourcemanager_v3.ProjectsClient, "cloudresourcemanager")
    policy = projects.get_iam_policy(request={"resource": f"projects/{P}"})
    assert policy.version == 3 and policy.etag == b"\x07\x05\xf4"  # "BwX0" in the world file
    policy.bindings.add(role="roles/cloudsql.client", members=["serviceAccount:new@x.iam.gserviceaccount.com"])
    written = projects.set_iam_policy(request={"resource": f"projects/{P}", "policy": policy})
    assert written.etag != policy.etag

    again = projects.get_iam_policy(request={"resource": f"projects/{PN}"})
    assert again.etag == written.etag
    assert any("serviceAccount:new@x.iam.gserviceaccount.com" in b.members for b in again.bindings)

    with pytest.raises(gexc.Conflict, match="There were concurrent policy changes") as info:
        projects.set_iam_policy(request={"resource": f"projects/{P}", "policy": policy})  # stale etag
    assert info.value.response.json()["error"]["status"] == "ABORTED"

    policy.etag = b""  # no etag: accepted, like Google
    assert projects.set_iam_policy(request={"resource": f"projects/{P}", "policy": policy}).etag


# --------------------------------------------------------------------------- Service Usage


def test_enable_service_then_get_shows_it_enabled(sandbox_clients: Any) -> None:
    _, clients = sandbox_clients
    usage = clients.rest(service_usage_v1.ServiceUsageClient, "serviceusage")
    name = f"projects/{P}/services/compute.googleapis.com"
    got = usage.get_service(request={"name": name})
    assert got.state == service_usage_v1.State.DISABLED
    assert got.name == f"projects/{PN}/services/compute.googleapis.com" and got.config.title == "Compute Engine API"
    result = usage.enable_service(request={"name": name}).result(timeout=5)
    assert result.service.state == service_usage_v1.State.ENABLED
    assert usage.get_service(request={"name": f"projects/{PN}/services/compute.googleapis.com"}).state == (
        service_usage_v1.State.ENABLED
    )
    batch = usage.batch_get_services(
        request={"parent": f"projects/{P}", "names": [f"projects/{P}/services/run.googleapis.com", name]}
    )
    assert [s.state for s in batch.services] == [service_usage_v1.State.ENABLED] * 2


# --------------------------------------------------------------------------- Cloud Logging


def test_log_entries_come_back_typed_ordered_and_paginated(sandbox_clients: Any) -> None:
    from google.cloud import logging as gcl
    from google.cloud.logging_v2.entries import StructEntry, TextEntry

    sandbox, clients = sandbox_clients
    client = clients.logging(P)
    before = sandbox.calls.count("logging")
    entries = list(client.list_entries(resource_names=[f"projects/{P}"], order_by=gcl.DESCENDING, page_size=2))
    assert sandbox.calls.count("logging") - before == 2  # two pages of two
    assert [type(e) for e in entries] == [StructEntry, TextEntry, TextEntry, TextEntry]
    assert entries[0].payload == {"message": "request failed", "status": 500}
    assert entries[0].resource.type == "cloud_run_revision"
    assert entries[0].resource.labels["service_name"] == "gcdonationhandler-10-26"
    assert [e.timestamp for e in entries] == sorted((e.timestamp for e in entries), reverse=True)
    oldest_first = list(client.list_entries(resource_names=[f"projects/{PN}"], order_by=gcl.ASCENDING))
    assert [e.insert_id for e in oldest_first] == ["b1", "a1", "a2", "a3"]


def test_log_filter_is_applied_and_a_bad_filter_is_invalid_argument(serve: Any, fixture_world: World) -> None:
    try:
        from troubleshooter.sandbox.logfilter import compile_filter
    except ImportError:  # logfilter is written concurrently: a stand-in that knows `severity=X`

        def compile_filter(text: str) -> Any:
            if "severity=" not in text:
                raise ValueError(f"unsupported filter {text!r}")
            wanted = text.split("severity=")[1].split()[0]
            return lambda e: e.get("severity") == wanted

    sandbox = serve(fixture_world)[0]
    endpoint = sandbox.endpoints["logging"]
    body = {"resourceNames": [f"projects/{P}"], "filter": "severity=ERROR", "orderBy": "timestamp desc"}
    direct = requests.post(f"{endpoint}/v2/entries:list", json=body, timeout=5).json()
    assert [e["insertId"] for e in direct["entries"]] == ["a3", "a2", "b1"]

    from troubleshooter.sandbox import Sandbox

    with Sandbox(fixture_world, log_filter=compile_filter) as other:
        bad = requests.post(
            f"{other.endpoints['logging']}/v2/entries:list",
            json={"resourceNames": [f"projects/{P}"], "filter": "severity=(ERROR"},
            timeout=5,
        )
        assert bad.status_code == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"


# --------------------------------------------------------------------------- Cloud SQL Admin (gRPC)


def test_sql_get_list_databases_users(sandbox_clients: Any) -> None:
    _, clients = sandbox_clients
    instances = clients.sql("SqlInstancesServiceClient")
    inst = instances.get(request={"project": P, "instance": "telepay-pg"})
    assert inst.connection_name == f"{P}:{R}:telepay-pg"
    assert inst.settings.ip_configuration.authorized_networks[0].value == "0.0.0.0/0"
    assert inst.settings.activation_policy == sqladmin_v1.Settings.SqlActivationPolicy.ALWAYS
    assert [i.name for i in instances.list(request={"project": P}).items] == ["telepay-pg"]
    assert list(instances.list(request={"project": "shared-db-123"}).items) == []
    dbs = clients.sql("SqlDatabasesServiceClient").list(request={"project": P, "instance": "telepay-pg"})
    assert [d.name for d in dbs.items] == ["postgres", "telepaydb"]
    users = clients.sql("SqlUsersServiceClient").list(request={"project": P, "instance": "telepay-pg"})
    assert [u.name for u in users.items] == ["postgres", "donations"]
    with pytest.raises(gexc.NotFound, match="The Cloud SQL instance does not exist."):
        instances.get(request={"project": P, "instance": "nope"})


def test_sql_patch_merges_settings_and_operation_completes(sandbox_clients: Any) -> None:
    sandbox, clients = sandbox_clients
    instances = clients.sql("SqlInstancesServiceClient")
    body = sqladmin_v1.DatabaseInstance(
        settings=sqladmin_v1.Settings(
            activation_policy=sqladmin_v1.Settings.SqlActivationPolicy.NEVER,
            ip_configuration=sqladmin_v1.IpConfiguration(
                authorized_networks=[sqladmin_v1.AclEntry(value="203.0.113.0/24", name="office")]
            ),
        )
    )
    op = instances.patch(request={"project": P, "instance": "telepay-pg", "body": body})
    assert op.status == sqladmin_v1.Operation.SqlOperationStatus.PENDING
    assert (op.operation_type, op.target_id) == (sqladmin_v1.Operation.SqlOperationType.UPDATE, "telepay-pg")
    done = clients.sql("SqlOperationsServiceClient").get(request={"project": P, "operation": op.name})
    assert done.status == sqladmin_v1.Operation.SqlOperationStatus.DONE

    inst = instances.get(request={"project": P, "instance": "telepay-pg"})
    assert inst.settings.activation_policy == sqladmin_v1.Settings.SqlActivationPolicy.NEVER
    assert [n.value for n in inst.settings.ip_configuration.authorized_networks] == ["203.0.113.0/24"]
    assert inst.settings.ip_configuration.ipv4_enabled  # untouched by the patch
    assert inst.settings.tier == "db-custom-1-3840"
    assert inst.settings.settings_version == 4
    assert sandbox.snapshot().instances[0]["settings"]["activationPolicy"] == "NEVER"


# --------------------------------------------------------------------------- serve_forever


class _Lines(io.StringIO):
    """An output that says when the sandbox has printed its last line."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = threading.Event()

    def flush(self) -> None:
        super().flush()
        self.ready.set()


def test_serve_forever_prints_exports_and_stops_on_request(tmp_path: Any, fixture_world: World) -> None:
    path = tmp_path / "world.yaml"
    fixture_world.dump(path)
    out, stop = _Lines(), threading.Event()
    thread = threading.Thread(target=serve_forever, args=(str(path), 0.0, out), kwargs={"stop": stop})
    thread.start()
    try:
        assert out.ready.wait(10)
        lines = [line for line in out.getvalue().splitlines() if line.startswith("export ")]
        exports = dict(line.removeprefix("export ").split("=", 1) for line in lines)
        assert exports["CLOUDSDK_CORE_PROJECT"] == P and exports["CLOUDSDK_RUN_REGION"] == R
        run = exports["CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN"]
        assert run.startswith("http://127.0.0.1:") and run.endswith("/")
        assert {k.removeprefix("CLOUDSDK_API_ENDPOINT_OVERRIDES_") for k in exports if "OVERRIDES" in k} == {
            "RUN", "SQLADMIN", "CLOUDRESOURCEMANAGER", "LOGGING", "SERVICEUSAGE", "CLOUDASSET", "COMPUTE", "VPCACCESS",
            "SECRETMANAGER",
        }  # fmt: skip
        got = requests.get(f"{run}v2/{SERVICE}", timeout=5)
        assert got.status_code == 200 and got.json()["name"] == SERVICE
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
