"""Cloud SQL Admin `operations.list` (and get) on the sandbox, driven by the real sqladmin gRPC client
and by plain `requests` on the v1 and v1beta4 REST paths: the world's operations and the ones the
sandbox makes on writes, newest first by start time, paged with maxResults/pageToken."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from troubleshooter.world import World, world_from_data

P, I = "telepay-459221", "telepay-pg"
KEY = f"{P}:{I}"


def _with_operations(fixture_world: World, ops: list[dict[str, Any]], *, faults: list[dict] | None = None) -> World:
    data = fixture_world.to_dict()
    data["sqlOperations"] = {KEY: ops}
    if faults:
        data["faults"] = faults
    return world_from_data(data)


OPS = [
    {"name": "op-backup", "operationType": "BACKUP_VOLUME", "status": "DONE",
     "insertTime": "-3h", "startTime": "-3h", "endTime": "-179m", "user": "cloud-sql-service"},
    {"name": "op-maint", "operationType": "MAINTENANCE", "status": "DONE",
     "insertTime": "-21m", "startTime": "-21m", "endTime": "-18m", "user": "cloud-sql-service"},
    {"name": "op-restart", "operationType": "RESTART", "status": "DONE",
     "insertTime": "-2h", "startTime": "-2h", "endTime": "-119m", "user": "ops@example.com"},
]


def test_grpc_lists_newest_first_and_pages(serve: Any, fixture_world: World) -> None:
    from google.cloud import sqladmin_v1

    _, clients = serve(_with_operations(fixture_world, OPS))
    ops = clients.sql("SqlOperationsServiceClient")
    first = ops.list(request={"project": P, "instance": I, "max_results": 2})
    assert [o.name for o in first.items] == ["op-maint", "op-restart"]
    assert first.next_page_token
    second = ops.list(request={"project": P, "instance": I, "max_results": 2, "page_token": first.next_page_token})
    assert [o.name for o in second.items] == ["op-backup"] and not second.next_page_token
    maint = first.items[0]
    assert maint.operation_type == sqladmin_v1.Operation.SqlOperationType.MAINTENANCE
    assert maint.status == sqladmin_v1.Operation.SqlOperationStatus.DONE
    assert maint.target_id == I and maint.target_project == P and maint.kind == "sql#operation"
    assert maint.start_time.timestamp() < maint.end_time.timestamp()
    got = ops.get(request={"project": P, "operation": "op-maint"})
    assert got.operation_type == sqladmin_v1.Operation.SqlOperationType.MAINTENANCE


def test_writes_make_operations_that_are_listed(serve: Any, fixture_world: World) -> None:
    sandbox, clients = serve(_with_operations(fixture_world, OPS))
    base = f"{sandbox.endpoints['sqladmin']}/v1/projects/{P}"
    op = requests.patch(f"{base}/instances/{I}", json={"settings": {"userLabels": {"a": "b"}}}, timeout=5).json()
    listed = clients.sql("SqlOperationsServiceClient").list(request={"project": P, "instance": I})
    assert [o.name for o in listed.items][0] == op["name"]  # the newest: it started just now
    assert listed.items[0].operation_type.name == "UPDATE"


@pytest.mark.parametrize("prefix", ["/v1", "/sql/v1beta4"])
def test_rest_lists_as_the_api_prints(serve: Any, fixture_world: World, prefix: str) -> None:
    sandbox, _ = serve(_with_operations(fixture_world, OPS))
    url = f"{sandbox.endpoints['sqladmin']}{prefix}/projects/{P}/operations"
    page = requests.get(url, params={"instance": I, "maxResults": 1}, timeout=5).json()
    assert page["kind"] == "sql#operationsList"
    (maint,) = page["items"]
    assert maint["operationType"] == "MAINTENANCE" and maint["status"] == "DONE"
    assert maint["startTime"].endswith("Z") and maint["targetId"] == I
    rest = requests.get(url, params={"instance": I, "pageToken": page["nextPageToken"]}, timeout=5).json()
    assert [o["name"] for o in rest["items"]] == ["op-restart", "op-backup"] and "nextPageToken" not in rest
    assert requests.get(f"{url}/op-restart", timeout=5).json()["user"] == "ops@example.com"
    assert requests.get(url, timeout=5).status_code == 400  # no instance named


def test_an_instance_without_operations_lists_none(serve: Any, fixture_world: World) -> None:
    sandbox, clients = serve(fixture_world)
    listed = clients.sql("SqlOperationsServiceClient").list(request={"project": P, "instance": I})
    assert list(listed.items) == []
    gone = requests.get(f"{sandbox.endpoints['sqladmin']}/v1/projects/{P}/operations",
                        params={"instance": "nope"}, timeout=5)
    assert gone.status_code == 404


def test_listing_needs_cloudsql_instances_get(serve: Any, fixture_world: World) -> None:
    from google.api_core import exceptions

    world = _with_operations(fixture_world, OPS, faults=[
        {"api": "sqladmin", "method": "SqlOperationsService/List", "code": 403}])
    sandbox, clients = serve(world)
    # Cloud SQL's 403 names no permission (notAuthorized); the gateway names the documented one.
    with pytest.raises(exceptions.PermissionDenied, match="not authorized"):
        clients.sql("SqlOperationsServiceClient").list(request={"project": P, "instance": I})
    assert sandbox.calls.count("sqladmin", "List") == 1
