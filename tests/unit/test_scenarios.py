"""Built-in scenarios: each world file parses, is complete, consistent, and in Google's shapes."""

from __future__ import annotations

import importlib.util
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from troubleshooter.catalog import FINDINGS, ROOT_CAUSES
from troubleshooter.errors import BadInput
from troubleshooter.scenarios import list_scenarios, scenario_names, scenario_path

REQUIRED_KEYS = {"name", "title", "description", "target", "projects", "expect"}
BASE_SERVICES = {
    "run.googleapis.com",
    "sqladmin.googleapis.com",
    "logging.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "secretmanager.googleapis.com",
    "serviceusage.googleapis.com",
}
EXPECTED_SCENARIOS = {
    "telepay-missing-attachment",
    "survey-bot-missing-role",
    "twenty-crm-localhost",
    "twenty-crm-url-validator",
    "saleor-job-open-network",
    "gchostpay3-revision-not-ready",
    "healthy-baseline",
    "private-ip-no-egress",
}

RELATIVE = re.compile(r"^-((?:\d+[smhd])+)$")  # "-5m", "-1h30m": the world format's relative times
_PART = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
NOW = datetime(2025, 11, 13, 21, 0, 0, tzinfo=timezone.utc)

INFOS = list_scenarios()
SCENARIOS = {info.name: info.path for info in INFOS}


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


WORLDS = {name: _load(path) for name, path in SCENARIOS.items()}


def _absolute(value):
    """The world with relative times ("-12m") made absolute, as the sandbox does on load."""
    if isinstance(value, dict):
        return {k: _absolute(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_absolute(v) for v in value]
    if isinstance(value, str):
        m = RELATIVE.match(value)
        if m:
            ago = sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in _PART.findall(m.group(1))), timedelta())
            return (NOW - ago).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


# --------------------------------------------------------------------------- listing


def test_all_expected_scenarios_ship():
    assert EXPECTED_SCENARIOS <= set(SCENARIOS)


def test_listing_is_ordered_and_baseline_last():
    names = [info.name for info in INFOS]
    assert names == scenario_names()
    assert names[-1] == "healthy-baseline"
    assert names[0] == "telepay-missing-attachment"


def test_scenario_path_known_and_unknown():
    assert scenario_path("healthy-baseline") == SCENARIOS["healthy-baseline"]
    with pytest.raises(BadInput) as err:
        scenario_path("no-such-scenario")
    message = str(err.value)
    assert "\n" not in message and "no-such-scenario" in message
    assert "telepay-missing-attachment" in message


# --------------------------------------------------------------------------- per world


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_required_keys_and_name(name):
    world = WORLDS[name]
    assert REQUIRED_KEYS <= set(world), REQUIRED_KEYS - set(world)
    assert world["name"] == name == SCENARIOS[name].stem
    assert world["title"].strip() and "\n" not in world["title"]
    assert len(world["description"].split()) >= 40


def test_names_and_titles_unique():
    assert len({w["name"] for w in WORLDS.values()}) == len(WORLDS)
    assert len({w["title"] for w in WORLDS.values()}) == len(WORLDS)


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_expect_ids_in_catalog_and_order(name):
    expect = WORLDS[name]["expect"]
    causes, findings = expect.get("rootCauses", []), expect.get("findings", [])
    assert set(causes) <= set(ROOT_CAUSES), set(causes) - set(ROOT_CAUSES)
    assert set(findings) <= set(FINDINGS), set(findings) - set(FINDINGS)
    # A diagnosis lists root causes in catalog order (upstream first); so must `expect`.
    assert causes == sorted(causes, key=ROOT_CAUSES.index), "root causes not in catalog order"
    assert len(set(causes)) == len(causes) and len(set(findings)) == len(findings)


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_target_and_references_resolve(name):
    world = WORLDS[name]
    target = world["target"]
    projects = {p["projectId"]: p for p in world["projects"]}
    assert target["project"] in projects
    assert ("service" in target) != ("job" in target)
    prefix = f"projects/{target['project']}/locations/{target['region']}"
    if "service" in target:
        names = {s["name"] for s in world.get("services", [])}
        assert f"{prefix}/services/{target['service']}" in names
    else:
        names = {j["name"] for j in world.get("jobs", [])}
        assert f"{prefix}/jobs/{target['job']}" in names

    for project in projects.values():
        assert project["projectNumber"].isdigit()
        assert BASE_SERVICES <= set(project["enabledServices"])
        assert project["iamPolicy"]["bindings"]

    instances = {f"{i['project']}:{i['name']}": i for i in world.get("instances", [])}
    for inst in instances.values():
        assert inst["connectionName"] == f"{inst['project']}:{inst['region']}:{inst['name']}"
        assert inst["project"] in projects
    # Every instance has its databases and users listed.
    assert set(world.get("databases", {})) == set(instances)
    assert set(world.get("users", {})) == set(instances)

    revisions = {r["name"] for r in world.get("revisions", [])}
    for svc in world.get("services", []):
        if revisions and svc["name"].startswith(prefix):
            for key in ("latestReadyRevision", "latestCreatedRevision"):
                if svc.get(key):
                    assert svc[key] in revisions, (key, svc[key])


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_log_entries_are_ordered_and_attributed(name):
    world = WORLDS[name]
    entries = _absolute(world.get("logEntries", []))
    assert entries, "a scenario needs logs to analyse"
    stamps = [e["timestamp"] for e in entries]
    assert stamps == sorted(stamps), "logEntries must be newest last"
    projects = {p["projectId"] for p in world["projects"]}
    insert_ids = [e["insertId"] for e in entries]
    assert len(set(insert_ids)) == len(insert_ids)
    for entry in entries:
        project = entry["logName"].split("/")[1]
        assert project in projects
        assert entry["resource"]["labels"]["project_id"] == project
        assert entry["resource"]["type"] in {"cloud_run_revision", "cloud_run_job"}
        assert ("textPayload" in entry) or ("jsonPayload" in entry) or ("httpRequest" in entry)


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_no_unredacted_placeholders(name):
    text = SCENARIOS[name].read_text(encoding="utf-8")
    assert "<redacted>" not in text  # seeds' placeholders became obviously fake values


# --------------------------------------------------------------------------- Google's shapes


def _parse(message, data):
    from google.protobuf import json_format

    json_format.ParseDict(data, message, ignore_unknown_fields=False)


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_resources_match_google_messages(name):
    """Every resource parses strictly into the client libraries' message: no misspelt field."""
    run_v2 = pytest.importorskip("google.cloud.run_v2")
    sqladmin_v1 = pytest.importorskip("google.cloud.sqladmin_v1")
    logging_types = pytest.importorskip("google.cloud.logging_v2.types")
    policy_pb2 = pytest.importorskip("google.iam.v1.policy_pb2")

    world = _absolute(WORLDS[name])
    kinds = [
        ("services", run_v2.Service),
        ("revisions", run_v2.Revision),
        ("jobs", run_v2.Job),
        ("executions", run_v2.Execution),
        ("instances", sqladmin_v1.DatabaseInstance),
        ("logEntries", logging_types.LogEntry),
    ]
    for key, cls in kinds:
        for item in world.get(key, []):
            _parse(cls.pb(cls()), item)
    for key, cls in (("databases", sqladmin_v1.Database), ("users", sqladmin_v1.User)):
        for items in world.get(key, {}).values():
            for item in items:
                _parse(cls.pb(cls()), item)
    for project in world["projects"]:
        _parse(policy_pb2.Policy(), project["iamPolicy"])


# --------------------------------------------------------------------------- the world loader


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_loads_with_world_loader(name):
    if importlib.util.find_spec("troubleshooter.world") is None:
        pytest.skip("troubleshooter.world is not written yet (the sandbox helper owns it)")
    from troubleshooter.world import load_world

    world = load_world(SCENARIOS[name])
    assert world is not None
