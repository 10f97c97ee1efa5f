"""World files: loading JSON and YAML, relative times, round trips, one-line errors for bad files."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from troubleshooter.errors import BadInput
from troubleshooter.world import World, load_world, load_world_text, parse_rfc3339

FIXTURE = Path(__file__).parents[1] / "fixtures" / "world.json"
NOW = datetime(2025, 11, 13, 21, 0, 0, tzinfo=timezone.utc)


def _fixture_data() -> dict:
    return json.loads(FIXTURE.read_text())


def _bad(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(BadInput) as info:
        load_world(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


def test_fixture_loads_with_typed_top_level() -> None:
    world = load_world(FIXTURE, now=NOW)
    assert world.target.service == "gcdonationhandler-10-26" and world.target.job is None
    project = world.project("291176869049")
    assert project is not None and project.project_id == "telepay-459221"
    assert world.project("projects/telepay-459221") is project
    assert world.instances[0]["settings"]["ipConfiguration"]["authorizedNetworks"][0]["value"] == "0.0.0.0/0"
    assert world.expect is not None and world.expect.root_causes == ["cloudsql-not-attached"]


def test_relative_timestamps_become_rfc3339_before_now() -> None:
    world = load_world(FIXTURE, now=NOW)
    stamps = [e["timestamp"] for e in world.log_entries]
    assert stamps[1] == "2025-11-13T20:50:00.000000Z"  # -10m
    assert stamps[3] == "2025-11-13T19:00:00.000000Z"  # -2h
    assert world.services[0]["createTime"] == "2025-11-10T21:00:00.000000Z"  # -3d
    assert world.services[0]["terminalCondition"]["lastTransitionTime"] == "2025-11-12T21:00:00.000000Z"
    assert all(parse_rfc3339(s) < NOW for s in stamps)


def test_round_trip_json_and_yaml(tmp_path: Path) -> None:
    world = load_world(FIXTURE, now=NOW)
    for name in ("out.json", "out.yaml"):
        world.dump(tmp_path / name)
        again = load_world(tmp_path / name, now=NOW)
        assert again == world
        assert again.to_dict() == world.to_dict()
    dumped = world.to_dict()
    assert dumped["projects"][0]["projectNumber"] == "291176869049"
    assert "logEntries" in dumped and "log_entries" not in dumped


def test_yaml_keeps_timestamps_as_strings_and_numbers_become_strings() -> None:
    text = yaml.safe_dump(
        {
            "name": "y",
            "target": {"project": "p", "region": "r", "job": "j"},
            "projects": [{"projectId": "p", "projectNumber": 123}],
            "logEntries": [{"logName": "projects/p/logs/x", "timestamp": "2025-01-01T00:00:00Z"}],
        }
    ).replace("'2025-01-01T00:00:00Z'", "2025-01-01T00:00:00Z")
    world = load_world_text(text, "w.yaml")
    assert world.log_entries[0]["timestamp"] == "2025-01-01T00:00:00Z"
    assert world.projects[0].project_number == "123"


def test_unknown_fields_are_ignored() -> None:
    data = _fixture_data()
    data["somethingNew"] = {"x": 1}
    data["projects"][0]["lifecycleState"] = "ACTIVE"
    data["services"][0]["template"]["futureField"] = True
    world = load_world_text(json.dumps(data), "w.json")
    assert world.services[0]["template"]["futureField"] is True  # resources are kept as-is


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["target"].pop("service"), "$.target: target needs exactly one of 'service' or 'job'"),
        (lambda d: d["services"][0].update(name="gcdonationhandler"), "$.services[0].name: a service needs a name like"),
        (lambda d: d["instances"][0].pop("project"), "$.instances[0].project: a Cloud SQL instance needs"),
        (lambda d: d["projects"][0].update(projectNumber="abc"), "$.projects[0].projectNumber: projectNumber must be digits"),
        (lambda d: d["faults"].append({"api": "nope", "code": 403}) if "faults" in d else d.update(faults=[{"api": "nope", "code": 403}]), "$.faults[0].api"),
        (lambda d: d.update(faults=[{"api": "run", "code": "BOGUS"}]), "$.faults[0].code: code must be an HTTP code"),
        (lambda d: d["logEntries"][0].update(timestamp="yesterday"), "$.logEntries[0].timestamp: not an RFC 3339"),
        (lambda d: d["services"][0]["template"].update(timeout=300), "$.services[0].template.timeout:"),
        (
            lambda d: d["services"][0]["template"]["containers"][0]["env"][1].update(name=5),
            "$.services[0].template.containers[0].env[1].name: expected string",
        ),
        (lambda d: d["databases"].update({"no-colon": []}), "$.databases: key 'no-colon' must be 'PROJECT:INSTANCE'"),
    ],
)
def test_malformed_worlds_are_one_line_with_file_line_and_path(tmp_path: Path, mutate, expected: str) -> None:
    data = _fixture_data()
    mutate(data)
    message = _bad(tmp_path, "bad.json", json.dumps(data, indent=2))
    assert expected in message
    assert message.startswith(f"{tmp_path / 'bad.json'}:")


def test_json_error_line_points_at_the_field(tmp_path: Path) -> None:
    data = _fixture_data()
    data["services"][0]["template"]["containers"][0]["env"][1]["name"] = 5
    text = json.dumps(data, indent=2)
    message = _bad(tmp_path, "bad.json", text)
    line = int(message.split(":")[1])
    assert '"name": 5' in text.splitlines()[line - 1]


def test_yaml_error_line_points_at_the_field(tmp_path: Path) -> None:
    text = (
        "name: y\n"
        "target: {project: p, region: r, service: s}\n"
        "services:\n"
        "  - name: projects/p/locations/r/services/s\n"
        "    template:\n"
        "      scaling:\n"
        "        maxInstanceCount: lots\n"
    )
    message = _bad(tmp_path, "bad.yaml", text)
    assert message.startswith(f"{tmp_path / 'bad.yaml'}:7: $.services[0].template.scaling.maxInstanceCount:")


def test_syntax_errors_and_unreadable_files(tmp_path: Path) -> None:
    assert ":3: $: invalid JSON" in _bad(tmp_path, "syntax.json", '{\n "name": "x",\n }')
    assert ":2: $: invalid YAML" in _bad(tmp_path, "syntax.yaml", "name: x\n  - nope: [\n")
    assert "a world must be a mapping" in _bad(tmp_path, "list.yaml", "- 1\n- 2\n")
    with pytest.raises(BadInput, match=r"missing\.json: cannot read world file"):
        load_world(tmp_path / "missing.json")


def test_world_model_accepts_snake_case_in_python() -> None:
    world = World(name="w", target={"project": "p", "region": "r", "service": "s"}, log_entries=[])
    assert world.to_dict()["target"] == {"project": "p", "region": "r", "service": "s"}


@pytest.mark.parametrize(("key", "item", "said"), [
    ("subnetworks", {"name": "s1"}, "'s1' needs a 'region'"),
    ("routers", {"name": "r1", "network": "n"}, "'r1' needs a 'region'"),
    ("networks", {"peerings": []}, "needs a 'name'"),
    ("vpcConnectors", {"name": "c1", "state": "READY"}, "projects/P/locations/R/connectors/C"),
])
def test_vpc_resources_name_what_the_sandbox_serves_them_by(tmp_path: Path, key: str, item: dict, said: str) -> None:
    data = _fixture_data()
    data[key] = [item]
    message = _bad(tmp_path, "w.json", json.dumps(data))
    assert key in message and said in message
