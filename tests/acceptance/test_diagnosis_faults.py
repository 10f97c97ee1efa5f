"""Acceptance: a failing API never crashes a run and never invents a cause.

For each built-in scenario with a non-empty `expect`, each API method the probes call is made
to fail in turn (403 IAM_PERMISSION_DENIED naming the permission, injected into the world and
served by the real Sandbox). The run must finish with a result from every probe, report no
root cause or finding outside the scenario's `expect`, and turn every expected cause or finding
whose evidence the fault hid into an *uncertain* check that names the missing permission.
SERVICE_DISABLED on every Cloud SQL Admin call may add exactly one cause,
`sqladmin-api-disabled`. A few faults are timeout- or 503-shaped, with the gateway's timeout
set low: they must cost no more than the gateway's deadline.
"""

from __future__ import annotations

import copy
import socket
import threading
from dataclasses import dataclass
from typing import Any, Iterator

import pytest
from cases import (
    Run,
    RunCache,
    internal_errors,
    loopback_only,
    run_world,
    scenario_data,
    seed_job,
    seed_key,
)

from troubleshooter.engine.tree import load_graph
from troubleshooter.probes import ALL_PROBES
from troubleshooter.scenarios import list_scenarios

PROBE_IDS = [p.id for p in ALL_PROBES]


def _expect(name: str) -> dict[str, list[str]]:
    e = scenario_data(name).get("expect") or {}
    return {"rootCauses": list(e.get("rootCauses") or []), "findings": list(e.get("findings") or [])}


SCENARIOS = [s.name for s in list_scenarios() if any(_expect(s.name).values())]


def _is_job(name: str) -> bool:
    return "job" in scenario_data(name)["target"]


# (api, method as the fault names it, permission) for every call the probes make.
SERVICE_READS = [("run", "GetService", "run.services.get"), ("run", "GetRevision", "run.revisions.get")]
JOB_READS = [("run", "GetJob", "run.jobs.get"), ("run", "GetExecution", "run.executions.get")]
COMMON_READS = [
    ("cloudresourcemanager", "GetProject", "resourcemanager.projects.get"),
    ("cloudresourcemanager", "GetIamPolicy", "resourcemanager.projects.getIamPolicy"),
    ("serviceusage", "GetService", "serviceusage.services.get"),
    ("sqladmin", "Get", "cloudsql.instances.get"),
    ("sqladmin", "List", "cloudsql.instances.list"),
    ("sqladmin", "SqlDatabasesService/List", "cloudsql.databases.list"),
    ("sqladmin", "SqlUsersService/List", "cloudsql.users.list"),
    ("logging", "ListLogEntries", "logging.logEntries.list"),
    ("secretmanager", "GetSecret", "secretmanager.secrets.get"),
    ("secretmanager", "ListSecretVersions", "secretmanager.versions.list"),
    ("secretmanager", "GetIamPolicy", "secretmanager.secrets.getIamPolicy"),
    ("secretmanager", "AccessSecretVersion", "secretmanager.versions.access"),
]


@dataclass(frozen=True)
class Denied:
    scenario: str
    api: str
    method: str
    permission: str

    @property
    def id(self) -> str:
        return f"{self.scenario}|{self.api}.{self.method}"

    def world(self) -> dict[str, Any]:
        w = copy.deepcopy(scenario_data(self.scenario))
        w["faults"] = [{"api": self.api, "method": self.method, "code": 403,
                        "reason": "IAM_PERMISSION_DENIED", "metadata": {"permission": self.permission}}]
        return w


DENIED = [Denied(s, api, m, perm) for s in SCENARIOS
          for api, m, perm in (JOB_READS if _is_job(s) else SERVICE_READS) + COMMON_READS]


def _disabled_world(name: str) -> dict[str, Any]:
    w = copy.deepcopy(scenario_data(name))
    w["faults"] = [{"api": "sqladmin", "method": "*", "code": 403, "reason": "SERVICE_DISABLED"}]
    return w


# Timeout- and 503-shaped faults, run with Gateway(timeout=0.5, deadline=1.0).
# (id, scenario, fault, words the failure explanation must contain)
TIMEOUT, DEADLINE = 0.5, 1.0
SLOW = [
    ("survey-bot-missing-role|sqladmin.Get+delay", "survey-bot-missing-role",
     {"api": "sqladmin", "method": "Get", "delay": 3.0}, "timed out (sqladmin Get"),
    ("survey-bot-missing-role|GetIamPolicy+delay", "survey-bot-missing-role",
     {"api": "cloudresourcemanager", "method": "GetIamPolicy", "delay": 3.0},
     "timed out (cloudresourcemanager GetIamPolicy"),
    ("telepay-missing-attachment|run.GetService+503", "telepay-missing-attachment",
     {"api": "run", "method": "GetService", "code": 503}, "run GetService"),
    ("private-ip-no-egress|sqladmin.Get+503", "private-ip-no-egress",
     {"api": "sqladmin", "method": "Get", "code": 503}, "sqladmin Get"),
]


def _slow_world(scenario: str, fault: dict[str, Any]) -> dict[str, Any]:
    w = copy.deepcopy(scenario_data(scenario))
    w["faults"] = [fault]
    return w


@pytest.fixture(scope="module", autouse=True)
def _loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def graph(_loopback: None, runs: RunCache) -> Any:
    g = load_graph()
    jobs: dict[str, Any] = {seed_key(s): seed_job(s, g) for s in SCENARIOS}
    jobs.update({f"denied:{c.id}": _denied_job(c, g) for c in DENIED})
    jobs.update({f"disabled:{s}": _disabled_job(s, g) for s in SCENARIOS})
    jobs.update({f"slow:{i}": _slow_job(s, f, g) for i, s, f, _ in SLOW})
    runs.warm(jobs, workers=6)
    return g


def _denied_job(c: Denied, graph: Any) -> Any:
    return lambda: run_world(c.world(), graph)


def _disabled_job(name: str, graph: Any) -> Any:
    return lambda: run_world(_disabled_world(name), graph)


def _slow_job(scenario: str, fault: dict[str, Any], graph: Any) -> Any:
    return lambda: run_world(_slow_world(scenario, fault), graph, timeout=TIMEOUT, deadline=DEADLINE)


def _check_of(graph: Any) -> dict[str, str]:
    """Cause or finding id -> the check node that reports it."""
    out: dict[str, str] = {}
    for node in graph.check_nodes():
        for target in node.spec.routes.get("failed", []):
            if target.startswith(("cause:", "finding:")):
                out[target.split(":", 1)[1]] = node.id
    return out


def _sound(r: Run) -> None:
    """No crash: every probe has a result, no probe or check failed internally."""
    d = r.diagnosis
    assert list(d.probes) == PROBE_IDS
    assert all(p.outcome is not None for p in d.probes.values())
    assert internal_errors(d) == []


def _hidden_become_uncertain(r: Run, graph: Any, ids: list[str], words: tuple[str, ...]) -> None:
    """Each expected id the run lost is an uncertain check whose explanation has one of `words`."""
    d = r.diagnosis
    found = set(d.cause_ids) | set(d.finding_ids)
    unsure = {s.node.id: s.result.summary if s.result else "" for s in d.uncertain}
    check_of = _check_of(graph)
    for lost in (i for i in ids if i not in found):
        check = check_of[lost]
        step = d.walk.step(check)
        outcome = step.outcome if step else "not walked"
        assert check in unsure, f"{lost} vanished: {check} is {outcome}, not uncertain" + (
            f" ({step.result.summary})" if step and step.result else "")
        assert any(w in unsure[check] for w in words), f"{check} does not say why: {unsure[check]}"


# --------------------------------------------------------------------------- 403 on each read

@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in DENIED])
def test_denied_read_never_crashes_nor_invents(case: Denied, graph: Any, runs: RunCache) -> None:
    r = runs.get(f"denied:{case.id}", _denied_job(case, graph))
    _sound(r)
    d = r.diagnosis
    expect = _expect(case.scenario)
    assert set(d.cause_ids) <= set(expect["rootCauses"]), d.cause_ids
    assert set(d.finding_ids) <= set(expect["findings"]), d.finding_ids
    # The fault was really served when the clean run makes that call, and the run recorded the
    # denial (naming the permission) for the checks that needed the fact to explain themselves.
    clean = runs.get(seed_key(case.scenario), seed_job(case.scenario, graph))
    if clean.called(case.api, case.method):
        assert any(c.status == "PERMISSION_DENIED" for c in r.called(case.api, case.method))
        recorded = [f.explain() for f in d.obs.failures.values()]
        assert any(case.permission in e for e in recorded), recorded


# A denied read hides a fact: the checks that needed it must say uncertain, naming the permission.
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in DENIED])
def test_denied_read_hidden_causes_are_uncertain(case: Denied, graph: Any, runs: RunCache) -> None:
    r = runs.get(f"denied:{case.id}", _denied_job(case, graph))
    _hidden_become_uncertain(r, graph, _expect(case.scenario)["rootCauses"], (case.permission,))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in DENIED])
def test_denied_read_hidden_findings_are_uncertain(case: Denied, graph: Any, runs: RunCache) -> None:
    r = runs.get(f"denied:{case.id}", _denied_job(case, graph))
    _hidden_become_uncertain(r, graph, _expect(case.scenario)["findings"], (case.permission,))


# --------------------------------------------------------------------------- sqladmin disabled

_SQLADMIN_WORDS = ("sqladmin.googleapis.com", "Cloud SQL Admin API")


@pytest.mark.parametrize("name", SCENARIOS)
def test_sqladmin_disabled_may_add_only_its_own_cause(name: str, graph: Any, runs: RunCache) -> None:
    r = runs.get(f"disabled:{name}", _disabled_job(name, graph))
    _sound(r)
    d = r.diagnosis
    expect = _expect(name)
    assert d.cause_ids[:1] == ["sqladmin-api-disabled"], d.cause_ids
    assert set(d.cause_ids) - {"sqladmin-api-disabled"} <= set(expect["rootCauses"])
    assert set(d.finding_ids) <= set(expect["findings"])


@pytest.mark.parametrize("name", [
    pytest.param(n) for n in SCENARIOS])
def test_sqladmin_disabled_hidden_causes_are_uncertain(name: str, graph: Any, runs: RunCache) -> None:
    r = runs.get(f"disabled:{name}", _disabled_job(name, graph))
    _hidden_become_uncertain(r, graph, _expect(name)["rootCauses"], _SQLADMIN_WORDS)


@pytest.mark.parametrize("name", [
    pytest.param(n) for n in SCENARIOS])
def test_sqladmin_disabled_hidden_findings_are_uncertain(name: str, graph: Any, runs: RunCache) -> None:
    r = runs.get(f"disabled:{name}", _disabled_job(name, graph))
    _hidden_become_uncertain(r, graph, _expect(name)["findings"], _SQLADMIN_WORDS)


# --------------------------------------------------------------------------- slow and unavailable


@pytest.mark.parametrize(("key", "scenario", "fault", "words"), SLOW, ids=[s[0] for s in SLOW])
def test_slow_or_unavailable_api_costs_at_most_the_deadline(
    key: str, scenario: str, fault: dict[str, Any], words: str, graph: Any
, runs: RunCache) -> None:
    r = runs.get(f"slow:{key}", _slow_job(scenario, fault, graph))
    _sound(r)
    d = r.diagnosis
    expect = _expect(scenario)
    assert set(d.cause_ids) <= set(expect["rootCauses"])
    assert set(d.finding_ids) <= set(expect["findings"])
    errors = [p.as_dict()["error"] or "" for p in d.probes.values()]
    assert any(words in e for e in errors), errors
    # A retried 503 may use the whole deadline; a stalled call only the timeout. Never the delay.
    assert r.seconds < DEADLINE + 1.5, f"{r.seconds:.2f}s"
    _hidden_become_uncertain(r, graph, expect["rootCauses"], (words,))
    _hidden_become_uncertain(r, graph, expect["findings"], (words,))


def test_stalled_logging_api_times_out(graph: Any) -> None:
    w = _slow_world("telepay-missing-attachment",
                    {"api": "logging", "method": "ListLogEntries", "delay": 2.5})
    r = run_world(w, graph, timeout=TIMEOUT, deadline=DEADLINE)
    _sound(r)
    logs = r.diagnosis.probes["logs"].as_dict()
    assert "timed out" in (logs["error"] or ""), logs
    assert r.seconds < DEADLINE + 1.0, f"{r.seconds:.2f}s"


# --------------------------------------------------------------------------- no egress


class _Recorder:
    """A local 'proxy' that records the first line of each request sent to it, then hangs up."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    self.lines.append(conn.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace"))
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


def test_log_reads_stay_on_loopback(graph: Any) -> None:
    recorder = _Recorder()
    try:
        with loopback_only(proxy=recorder.url):
            r = run_world(scenario_data("telepay-missing-attachment"), graph)
    finally:
        recorder.close()
    _sound(r)
    assert r.diagnosis.obs.log_entries_seen > 0  # the logs were read
    assert recorder.lines == [], recorder.lines
