"""`capture` round trips: serve a world, capture its target through the real clients, load the
capture, diagnose it: the same verdict, root causes, findings and walk as the original. On every
built-in scenario, on one world per catalog id (the `holds` cases, plus the near misses whose
decision reads a secret-bearing value), and on worlds where the caller lacks a permission.
No planted secret reaches the file."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

from cases import CASES, PASSWORD, Case, RunCache, base, loopback_only, only_dsn, run_world, set_env, target_of
from troubleshooter.engine.capture import capture, relative_times
from troubleshooter.engine.tree import load_graph
from troubleshooter.engine.workspace import Workspace
from troubleshooter.scenarios import list_scenarios, scenario_path
from troubleshooter.world import load_world, world_from_data

GRAPH = load_graph()
SCENARIOS = [s.name for s in list_scenarios()]
# The near misses whose verdict hangs on an env value capture must replace (a password's
# characters, a secret-looking value): the stand-ins must keep them deciding the same.
_SECRET_BEARING = {"password-not-url-encoded", "plaintext-secret-in-env", "dsn-rejected-by-validator",
                   "password-authentication-failed", "app-uses-localhost-tcp", "dsn-socket-param-ignored"}
SAMPLE = [c for c in CASES if c.kind == "holds" or c.subject in _SECRET_BEARING]


@pytest.fixture(scope="module", autouse=True)
def _loopback() -> Iterator[None]:
    with loopback_only():
        yield


def captured(data: Mapping[str, Any]) -> dict[str, Any]:
    """The capture of `data`'s target, served by a real sandbox, as world data."""
    world = world_from_data(copy.deepcopy(dict(data)), "<original>")
    with Workspace.serving(world, GRAPH) as ws:
        return capture(ws.gateway, target_of(world))


def decided(d: Any) -> tuple[str, list[str], list[str], list[str]]:
    """What a replay must reproduce: verdict, root causes, findings, and the walk's path."""
    return d.verdict, list(d.cause_ids), sorted(d.finding_ids), d.to_json()["path"]


def outcome(data: Mapping[str, Any], symptom: str | None = None,
            answers: Mapping[str, str] | None = None) -> tuple[str, list[str], list[str], list[str]]:
    # Without consent on both sides: a capture never holds a secret payload, so what a payload
    # decided (twenty-crm-secret-dsn with --read-secrets) is asked again on replay, as it was
    # asked before consent.
    return decided(run_world(dict(data), GRAPH, symptom=symptom, answers=answers, read_secrets=False).diagnosis)


def _scenario(name: str) -> dict[str, Any]:
    return load_world(scenario_path(name)).to_dict()


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_replays_to_the_same_diagnosis(name: str) -> None:
    original = _scenario(name)
    again = captured(original)
    world_from_data(copy.deepcopy(again), "<capture>")  # a valid world file
    assert outcome(again) == outcome(original)


def test_a_capture_holds_secret_metadata_and_never_a_payload() -> None:
    original = _scenario("twenty-crm-secret-dsn")
    payloads = [v["payload"]["data"] for s in original["secrets"] for v in s.get("versions", ()) if v.get("payload")]
    assert payloads
    again = captured(original)
    names = {s["name"].rsplit("/", 1)[-1] for s in again["secrets"]}
    assert names == {s["name"].rsplit("/", 1)[-1] for s in original["secrets"]}
    assert all("versions" in s and "iamPolicy" in s for s in again["secrets"])
    text = json.dumps(again)
    assert '"payload"' not in text
    for data in payloads:
        assert data not in text and base64.b64decode(data).decode() not in text


def test_a_capture_holds_the_vpc_the_network_probe_read() -> None:
    original = _scenario("connector-all-traffic-no-pga")
    again = captured(original)
    for key in ("subnetworks", "routers"):
        if original.get(key):
            assert {x["name"] for x in again.get(key, ())} <= {x["name"] for x in original[key]}
            assert again.get(key), key
    assert outcome(again) == outcome(original)


@pytest.mark.parametrize("case", SAMPLE, ids=[c.id for c in SAMPLE])
def test_case_worlds_replay_to_the_same_diagnosis(case: Case, runs: RunCache) -> None:
    # The original's run is shared with test_diagnosis_cases (same key) when on the same worker.
    first = runs.get(f"case:{case.id}", lambda: run_world(case.world(), GRAPH, symptom=case.symptom,
                                                          answers=case.answers)).diagnosis
    expected = decided(first)
    assert outcome(captured(case.world()), case.symptom, case.answers) == expected


DENIED = [
    ("survey-bot-missing-role", "sqladmin", "Get", "cloudsql.instances.get"),
    ("survey-bot-missing-role", "cloudresourcemanager", "GetIamPolicy", "resourcemanager.projects.getIamPolicy"),
    ("telepay-missing-attachment", "logging", "ListLogEntries", "logging.logEntries.list"),
    ("private-ip-no-egress", "sqladmin", "SqlUsersService/List", "cloudsql.users.list"),
]


@pytest.mark.parametrize("scenario,api,method,permission", DENIED, ids=[f"{s}|{m}" for s, _, m, _ in DENIED])
def test_a_read_the_caller_may_not_make_stays_denied_in_the_replay(scenario: str, api: str, method: str,
                                                                    permission: str) -> None:
    original = _scenario(scenario)
    original["faults"] = [{"api": api, "method": method, "code": 403, "reason": "IAM_PERMISSION_DENIED",
                           "metadata": {"permission": permission}}]
    again = captured(original)
    assert any(f["api"] == api and f["code"] == 403 for f in again["faults"])
    assert permission in again["description"]
    assert outcome(again) == outcome(original)


# --------------------------------------------------------------------------- secrets


PLANTED = ["Sup3r-s3cret-pw", "p@ss#w0rd!", "xoxb-123456789012-abcdefghijklmnop", "hunter2hunter2"]


def _planted_world() -> dict[str, Any]:
    w = base()
    only_dsn(w, f"postgresql://app:{PASSWORD}@/orders?host=/cloudsql/acme-orders-prod:europe-west1:orders-db")
    set_env(w, "LEGACY_DSN", "postgresql://app:p@ss#w0rd!@10.40.0.3:5432/orders")
    set_env(w, "SLACK_HOOK_TOKEN_VALUE", "xoxb-123456789012-abcdefghijklmnop")
    set_env(w, "DB_PASSWORD", "hunter2hunter2")
    w["services"][0]["template"]["containers"][0]["args"] = ["serve", "--db-password", "Sup3r-s3cret-pw"]
    w["logEntries"].append({
        "logName": "projects/acme-orders-prod/logs/run.googleapis.com%2Fstderr",
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "orders-api", "location": "europe-west1",
                                "revision_name": "orders-api-00042-j8v"}},
        "textPayload": f"connecting to postgresql://app:{PASSWORD}@10.40.0.3:5432/orders",
        "severity": "INFO", "timestamp": "-2m"})
    return w


def test_no_planted_secret_reaches_the_capture_and_the_replay_decides_the_same(tmp_path: Path) -> None:
    original = _planted_world()
    again = captured(original)
    text = json.dumps(again)
    for secret in PLANTED:
        assert secret not in text
    assert "hunter2" not in text and "s3cret" not in text
    # The stand-in keeps the unencoded '@' and '#' the password-encoding check reads.
    assert "postgresql://app:redacted@redacted#redacted!@10.40.0.3:5432/orders" in text
    assert outcome(again) == outcome(original)
    assert "password-not-url-encoded" in outcome(again)[1] + outcome(again)[2]


def test_relative_times_keep_the_future_absolute() -> None:
    from datetime import datetime, timezone

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    out = relative_times({"timestamp": "2026-01-01T11:58:30Z", "a": [{"startTime": "2026-02-01T00:00:00Z"}],
                          "note": "2026-01-01T11:00:00Z"}, now)
    assert out == {"timestamp": "-90s", "a": [{"startTime": "2026-02-01T00:00:00Z"}], "note": "2026-01-01T11:00:00Z"}


# --------------------------------------------------------------------------- the command


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "troubleshooter", *args], capture_output=True, text=True,
                          timeout=120)


def test_capture_command_writes_a_world_that_replays(tmp_path: Path) -> None:
    out = tmp_path / "incident.yaml"
    proc = _cli("capture", "--world", "telepay-missing-attachment", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stderr
    replay = _cli("diagnose", "--world", str(out), "--format", "json")
    assert replay.returncode == 1
    assert [c["id"] for c in json.loads(replay.stdout)["rootCauses"]] == ["cloudsql-not-attached"]


def test_capture_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "incident.json"
    out.write_text("keep me", encoding="utf-8")
    proc = _cli("capture", "--world", "telepay-missing-attachment", "-o", str(out))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--force" in proc.stderr and "Traceback" not in proc.stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    forced = _cli("capture", "--world", "telepay-missing-attachment", "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["target"]["service"] == "gcdonationhandler-10-26"


def test_capture_of_an_unknown_target_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = _cli("capture", "--world", "telepay-missing-attachment", "--service", "nope", "-o",
                str(tmp_path / "x.json"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "not found" in proc.stderr
    assert not (tmp_path / "x.json").exists()


# --------------------------------------------------------------------------- other test worlds


def _gcpdiag(dirs: tuple[str, ...], service: str | None) -> dict[str, Any]:
    from gcpdiag_worlds import only, world_from_dumps

    data = world_from_dumps(*dirs)
    return only(data, service) if service else data


def _fixes(kind: str, change: str | None) -> dict[str, Any]:
    import fixes_worlds

    return fixes_worlds.variant(kind, getattr(fixes_worlds, change)) if change else fixes_worlds.healthy(kind)


OTHER = {
    # gcpdiag's test data: real API dumps, with the output-only fields Google adds.
    "gcpdiag-cloudrun1": lambda: _gcpdiag(("cloudrun1",), None),
    "gcpdiag-cloudrun2-invalid-container": lambda: _gcpdiag(("cloudrun2",), "invalid-container"),
    "fixes-healthy-job": lambda: _fixes("job", None),
    "fixes-private-only-job": lambda: _fixes("job", "private_only"),
    "fixes-missing-role-service": lambda: _fixes("service", "missing_role"),
}


@pytest.mark.parametrize("name", list(OTHER))
def test_other_test_worlds_replay_to_the_same_diagnosis(name: str) -> None:
    original = OTHER[name]()
    assert outcome(captured(original)) == outcome(original)


def test_a_capture_holds_the_instances_operations_and_replays_the_maintenance() -> None:
    from sqlops_worlds import KEY, pool_dies_at_maintenance

    original = dict(pool_dies_at_maintenance())
    again = captured(original)
    assert sorted(o["name"] for o in again["sqlOperations"][KEY]) == \
        sorted(o["name"] for o in original["sqlOperations"][KEY])
    replay = run_world(again, GRAPH, read_secrets=False).diagnosis
    assert "stale-pooled-connections" in replay.cause_ids
    assert outcome(again) == outcome(original)
