"""The sandbox answers as Google does where the tool's verdicts depend on it: Cloud SQL's 403
notAuthorized and 400 "not running", Run v2's system-annotation refusal and etag shape, IAM's
policy-version check. Each through Google's own client libraries."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import resourcemanager_v3, run_v2, sqladmin_v1
from google.iam.v1 import policy_pb2

from troubleshooter.world import World

P, R = "telepay-459221", "us-central1"
SERVICE = f"projects/{P}/locations/{R}/services/gcdonationhandler-10-26"


def _with_instance(world: World, **change: Any) -> World:
    data = world.to_dict()
    data["instances"][0].update(change)
    return World.model_validate(data)


# --------------------------------------------------------------------------- Cloud SQL


def test_an_unseen_project_is_not_authorized_never_not_found(serve: Any, fixture_world: World) -> None:
    _, clients = serve(fixture_world)
    instances = clients.sql("SqlInstancesServiceClient")
    with pytest.raises(gexc.PermissionDenied) as info:
        instances.get(request={"project": "nobody-sees-this-1", "instance": "telepay-pg"}, retry=None)
    assert info.value.message == "The client is not authorized to make this request."
    assert info.value.reason == "notAuthorized" and "permission" not in (info.value.metadata or {})
    with pytest.raises(gexc.PermissionDenied):
        instances.list(request={"project": "nobody-sees-this-1"}, retry=None)
    # A project the caller sees, without that instance: Google's 404.
    with pytest.raises(gexc.NotFound):
        instances.get(request={"project": P, "instance": "no-such-db"}, retry=None)


@pytest.mark.parametrize("change", [{"settings": {"activationPolicy": "NEVER", "ipConfiguration": {}}},
                                    {"state": "PENDING_CREATE"}], ids=["stopped", "pending-create"])
def test_databases_and_users_of_an_instance_that_is_not_running(serve: Any, fixture_world: World,
                                                                 change: dict[str, Any]) -> None:
    _, clients = serve(_with_instance(fixture_world, **change))
    for client, request in (("SqlDatabasesServiceClient", sqladmin_v1.SqlDatabasesListRequest),
                            ("SqlUsersServiceClient", sqladmin_v1.SqlUsersListRequest)):
        with pytest.raises(gexc.InvalidArgument) as info:
            clients.sql(client).list(request=request(project=P, instance="telepay-pg"), retry=None)
        assert info.value.message == "Invalid request: Invalid request since instance is not running."


def test_the_database_checks_blame_a_stopped_instance() -> None:
    from cases import CASE_BY_ID, loopback_only, run_world
    from troubleshooter.engine.tree import load_graph

    with loopback_only():
        d = run_world(CASE_BY_ID["instance-stopped"].world(), load_graph()).diagnosis
    assert "instance-stopped" in d.cause_ids
    for node in ("check:database-exists", "check:db-user"):
        result = next(s.result for s in d.walk.steps if s.node.id == node)
        assert result.outcome.value == "uncertain", result.summary
        assert "is stopped" in result.summary and "running instance" in result.summary


# --------------------------------------------------------------------------- Cloud Run v2


def test_a_system_annotation_is_refused_on_patch(serve: Any, fixture_world: World) -> None:
    _, clients = serve(fixture_world)
    services = clients.rest(run_v2.ServicesClient, "run")
    svc = services.get_service(name=SERVICE)
    svc.template.annotations["run.googleapis.com/cloudsql-instances"] = f"{P}:{R}:telepay-pg"
    with pytest.raises(gexc.BadRequest) as info:
        services.update_service(service=svc)
    assert "system annotations are not supported in Cloud Run API v2" in info.value.message
    assert "template.annotations[run.googleapis.com/cloudsql-instances]" in info.value.message
    svc = services.get_service(name=SERVICE)
    svc.annotations["team"] = "payments"   # a user annotation is fine
    assert services.update_service(service=svc).result().annotations["team"] == "payments"


def test_an_etag_after_an_update_has_google_s_shape(serve: Any, fixture_world: World) -> None:
    _, clients = serve(fixture_world)
    services = clients.rest(run_v2.ServicesClient, "run")
    before = services.get_service(name=SERVICE)
    after = services.update_service(service=before).result()
    etag = after.etag
    assert etag.startswith('"') and etag.endswith('"') and etag != before.etag
    stamp, name = etag.strip('"').split("/")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    assert base64.urlsafe_b64decode(pad(name)).decode() == SERVICE
    from google.protobuf import timestamp_pb2

    ts = timestamp_pb2.Timestamp.FromString(base64.urlsafe_b64decode(pad(stamp)))
    assert ts.seconds > 1_700_000_000
    second = services.update_service(service=services.get_service(name=SERVICE)).result()
    assert second.etag != etag


def test_set_iam_policy_at_a_lower_version_is_refused(serve: Any, fixture_world: World) -> None:
    _, clients = serve(fixture_world)
    projects = clients.rest(resourcemanager_v3.ProjectsClient, "cloudresourcemanager")
    policy = projects.get_iam_policy(request={"resource": f"projects/{P}", "options": {"requested_policy_version": 3}})
    policy.version = 3
    policy = projects.set_iam_policy(request={"resource": f"projects/{P}", "policy": policy})
    assert policy.version == 3
    lower = policy_pb2.Policy()
    lower.CopyFrom(policy)
    lower.version = 1
    with pytest.raises(gexc.BadRequest) as info:
        projects.set_iam_policy(request={"resource": f"projects/{P}", "policy": lower})
    assert "Specified policy version (1) cannot be less than the existing policy version (3)" in info.value.message
    lower.etag = b""   # without an etag IAM skips the version check (Policy.version docs)
    assert projects.set_iam_policy(request={"resource": f"projects/{P}", "policy": lower}).version == 1
