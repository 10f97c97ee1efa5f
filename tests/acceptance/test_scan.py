"""`troubleshooter scan`: a fleet of services and jobs on the sandbox, through the real clients.

The done-when test of issue 13: an organization with two projects (one under a folder) and 400
targets over three regions, every plant of troubleshooter/scenarios/fleet.py, scanned at
organization scope: each target decided as its plant says, and as `diagnose` of it alone says.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from troubleshooter.engine.fleet import Scan, Scope, resolve_scope, scan, scan_workspace
from troubleshooter.engine.run import diagnose
from troubleshooter.engine.tree import load_graph
from troubleshooter.engine.workspace import Workspace
from troubleshooter.errors import BadInput
from troubleshooter.failures import ApiFailure
from troubleshooter.model import Target
from troubleshooter.output import ScanOut, schema_for
from troubleshooter.scenarios.fleet import FOLDER, ORGANIZATION, fleet_world
from troubleshooter.world import world_from_data

ENV = {"CLOUDSDK_CONFIG": "/nonexistent-gcloud-config", "PATH": "/usr/bin:/bin"}
GRAPH = load_graph()


def _serve(data: dict[str, Any]) -> Workspace:
    return Workspace.serving(world_from_data(data, "fleet"), GRAPH)


def _key(t: Target) -> tuple[str, str, str, str]:
    return (t.project, t.region, t.kind, t.name)


@pytest.fixture(scope="module")
def org400() -> Any:
    data, plants = fleet_world(400)
    with _serve(data) as ws:
        ws.sandbox.calls.clear()
        result = scan_workspace(ws, Scope("organization", ORGANIZATION))
        calls = Counter(c.qualified_method for c in ws.sandbox.calls)
        yield ws, result, plants, calls


def test_an_organization_of_400_targets_is_decided_target_by_target(org400: Any) -> None:
    _ws, result, plants, _calls = org400
    assert len(result.diagnoses) == 400 and not result.errors
    assert {d.target.project for d in result.diagnoses} == {"fleet-a-prod", "fleet-b-prod"}
    assert {d.target.kind for d in result.diagnoses} == {"service", "job"}
    assert len({d.target.region for d in result.diagnoses}) == 3
    wrong = [(d.target, d.verdict, d.cause_ids) for d in result.diagnoses
             if (d.verdict, tuple(d.cause_ids)) != (plants[_key(d.target)].verdict, plants[_key(d.target)].causes)]
    assert not wrong
    assert result.summary == {"root-causes": 250, "healthy": 150, "unexplained": 0, "inconclusive": 0}
    assert result.worst == "root-causes"


def test_each_plant_is_decided_as_diagnose_decides_it_alone(org400: Any) -> None:
    ws, result, plants, _calls = org400
    by_target = {_key(d.target): d for d in result.diagnoses}
    seen: set[tuple[str, str]] = set()
    for key, plant in plants.items():
        if (plant.name, plant.kind) in seen:
            continue
        seen.add((plant.name, plant.kind))
        project, region, kind, name = key
        alone = diagnose(Target(project, region, **{kind: name}), ws.gateway, GRAPH)
        fleet = by_target[key]
        assert (fleet.verdict, fleet.cause_ids, fleet.finding_ids) == (alone.verdict, alone.cause_ids, alone.finding_ids)
        assert [s.node.id for s in fleet.uncertain] == [s.node.id for s in alone.uncertain]
        assert fleet.walk.path == alone.walk.path
    assert len(seen) == 7


def test_calls_per_project_do_not_grow_with_its_services(org400: Any) -> None:
    _ws, result, _plants, calls400 = org400
    data, _ = fleet_world(40)
    with _serve(data) as ws:
        ws.sandbox.calls.clear()
        small = scan_workspace(ws, Scope("organization", ORGANIZATION))
        calls40 = Counter(c.qualified_method for c in ws.sandbox.calls)
    per_instance = ("SqlDatabasesService/List", "SqlUsersService/List")   # once per instance in use
    assert {k: v for k, v in calls40.items() if k not in per_instance} == \
        {k: v for k, v in calls400.items() if k not in per_instance}
    assert all(calls40[k] <= calls400[k] <= 12 for k in per_instance)      # 12 instances in the world
    assert small.api_calls == sum(calls40.values()) and result.api_calls == sum(calls400.values())
    # Never a read per target: the lists carry the templates and revisions.
    for per_target in ("Services/GetService", "Jobs/GetJob", "Revisions/GetRevision", "Executions/GetExecution"):
        assert calls400[per_target] == 0
    # Per project and region: one list of each kind, one logs query.
    assert calls400["LoggingServiceV2/ListLogEntries"] == 2 * 3
    assert calls400["Projects/GetIamPolicy"] == 2 and calls400["SqlInstancesService/List"] == 2


def test_a_read_failure_in_one_project_leaves_its_targets_inconclusive() -> None:
    data, plants = fleet_world(40)
    data["faults"] = [{"api": "logging", "method": "ListLogEntries", "code": 403, "match": "fleet-b-prod"}]
    with _serve(data) as ws:
        result = scan_workspace(ws, Scope("organization", ORGANIZATION))
    assert len(result.diagnoses) == 40
    for d in result.diagnoses:
        plant = plants[_key(d.target)]
        if d.target.project == "fleet-a-prod":
            assert (d.verdict, tuple(d.cause_ids)) == (plant.verdict, plant.causes)
        elif plant.verdict == "healthy":
            assert d.verdict == "inconclusive" and d.logs_unread


def test_a_region_whose_list_fails_is_said_and_its_named_targets_are_inconclusive() -> None:
    data, _ = fleet_world(24)
    data["faults"] = [{"api": "run", "method": "ListServices", "code": 403, "match": "fleet-b-prod/locations/us-central1"}]
    with _serve(data) as ws:
        result = scan_workspace(ws, Scope("organization", ORGANIZATION))
        alone = scan_workspace(ws, Scope("project", "fleet-b-prod", "us-central1"))
    hidden = [d for d in result.diagnoses if d.target.project == "fleet-b-prod" and d.target.region == "us-central1"
              and d.target.kind == "service"]
    assert hidden and all(d.verdict == "inconclusive" for d in hidden)   # Asset Inventory named them
    assert alone.errors and alone.worst == "inconclusive"                  # nothing named them here
    assert [d.target.kind for d in alone.diagnoses] == ["job"]


def test_folder_and_project_scopes() -> None:
    data, plants = fleet_world(24)
    with _serve(data) as ws:
        folder = scan_workspace(ws, Scope("folder", FOLDER))
        region = scan_workspace(ws, Scope("organization", ORGANIZATION, "europe-west1"))
        project = scan_workspace(ws, Scope("project", "fleet-a-prod"))
        with pytest.raises(ApiFailure) as refused:
            scan(Scope("organization", "999"), ws.gateway, GRAPH)
    assert {d.target.project for d in folder.diagnoses} == {"fleet-b-prod"}   # the project under the folder
    assert {d.target.region for d in region.diagnoses} == {"europe-west1"} and region.regions == ["europe-west1"]
    assert {d.target.project for d in project.diagnoses} == {"fleet-a-prod"} and len(project.regions) == 3
    assert len(project.diagnoses) == sum(1 for k in plants if k[0] == "fleet-a-prod")
    assert refused.value.kind == "permission-denied"
    assert refused.value.permission == "cloudasset.assets.searchAllResources"


def test_asset_inventory_shapes_and_paging() -> None:
    data, _ = fleet_world(40)
    with _serve(data) as ws:
        found = ws.gateway.search_all_resources(f"organizations/{ORGANIZATION}", ["run.googleapis.com/Service"])
        url = ws.sandbox.endpoints["cloudasset"]
        page = requests.get(f"{url}/v1/organizations/{ORGANIZATION}:searchAllResources",
                            params={"assetTypes": "run.googleapis.com/.*", "pageSize": 1000}, timeout=10).json()
        small = requests.get(f"{url}/v1/organizations/{ORGANIZATION}:searchAllResources",
                             params={"pageSize": 7}, timeout=10).json()
        bad = requests.get(f"{url}/v1/organizations/{ORGANIZATION}:searchAllResources",
                           params={"query": "state:ACTIVE"}, timeout=10)
    assert len(found) == 30   # 40 targets: every eighth and seventh plant is a job
    svc = next(r for r in found if r["displayName"] == "svc-0001")
    assert svc["name"] == "//run.googleapis.com/projects/fleet-b-prod/locations/europe-west1/services/svc-0001"
    assert svc["assetType"] == "run.googleapis.com/Service"
    assert svc["project"] == "projects/712300001017" and svc["location"] == "europe-west1"
    assert svc["folders"] == [f"folders/{FOLDER}"] and svc["organization"] == f"organizations/{ORGANIZATION}"
    assert svc["parentAssetType"] == "cloudresourcemanager.googleapis.com/Project"
    assert len(page["results"]) == 40 and "nextPageToken" not in page
    assert len(small["results"]) == 7 and small["nextPageToken"]
    assert bad.status_code == 400


def test_scope_flags_are_checked_before_any_call() -> None:
    with pytest.raises(BadInput, match="give one scope"):
        resolve_scope("p1", "123", None, None, False)
    with pytest.raises(BadInput, match="folder's number"):
        resolve_scope(None, "abc", None, None, False)
    with pytest.raises(BadInput, match="--region and --all-regions"):
        resolve_scope("proj-1", None, None, "us-central1", True)
    assert resolve_scope(None, None, "organizations/42", None, False) == Scope("organization", "42")
    assert resolve_scope(None, None, None, None, False, fallback_project="p-1", fallback_region="r1") == Scope("project", "p-1", "r1")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "troubleshooter", "scan", *args], capture_output=True,
                          text=True, env=ENV, timeout=120, check=False)


def test_cli_json_is_the_spec_shape_and_exit_is_the_worst_verdict(tmp_path: Path) -> None:
    data, _ = fleet_world(16)
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    proc = _cli("--world", str(path), "--organization", ORGANIZATION, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""   # no progress bar when stderr is no terminal
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, schema_for("scan"))
    ScanOut.model_validate(doc)
    assert set(doc) == {"scope", "targets", "summary", "apiCalls"}
    assert doc["scope"] == {"organization": ORGANIZATION, "regions": ["asia-northeast1", "europe-west1", "us-central1"]}
    assert all("path" not in t and "probes" not in t for t in doc["targets"])
    assert [t["verdict"] for t in doc["targets"]][:1] == ["root-causes"] and doc["targets"][-1]["verdict"] == "healthy"
    assert sum(doc["summary"].values()) == 16 and doc["apiCalls"] > 0

    healthy = _cli("--world", "healthy-baseline", "--format", "markdown")
    assert healthy.returncode == 0, healthy.stderr
    assert "| healthy |  | service orders-api (acme-orders-prod, europe-west1) |" in healthy.stdout

    text = _cli("--world", str(path), "--project", "fleet-a-prod", "--all-regions")
    assert text.returncode == 1 and "verdict" in text.stdout and "API calls" in text.stdout


@pytest.mark.parametrize("args, message", [
    (["--folder", "abc"], "--folder 'abc'"),
    (["--project", "p-1", "--organization", "1"], "give one scope"),
    (["--region", "Bad Region!"], "--region"),
])
def test_cli_bad_scope_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    proc = _cli("--world", "healthy-baseline", *args)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_scan_json_of_a_scan_object_round_trips(org400: Any) -> None:
    _ws, result, _plants, _calls = org400
    doc = json.loads(json.dumps(result.to_json()))
    assert isinstance(result, Scan)
    assert ScanOut.model_validate(doc).model_dump(by_alias=True)["summary"] == doc["summary"]


def test_mcp_scan_tool_returns_the_scan_schema(tmp_path: Path) -> None:
    import anyio
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    data, plants = fleet_world(16)
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    async def run() -> tuple[dict[str, Any], Any, dict[str, Any]]:
        params = StdioServerParameters(command=sys.executable, args=["-m", "troubleshooter", "mcp", "--world", str(path)],
                                       env=ENV)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = {t.name: t for t in (await session.list_tools()).tools}
                result = await session.call_tool("scan", {"organization": ORGANIZATION})
                assert not result.is_error, result.content
                bad = await session.call_tool("scan", {"folder": "abc"})
                assert bad.is_error and "folder's number" in bad.content[0].text
                return tools["scan"].output_schema, result.structured_content, {}

    schema, doc, _ = anyio.run(run)
    assert schema is not None and doc is not None
    jsonschema.validate(doc, schema)
    jsonschema.validate(doc, schema_for("scan"))
    assert len(doc["targets"]) == 16 and doc["summary"]["root-causes"] == sum(1 for p in plants.values() if p.causes)
