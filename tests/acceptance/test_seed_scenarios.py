"""Acceptance: each built-in scenario, diagnosed as `demo` would, finds exactly what it ships as
`expect`, from the symptom its own logs show; and the JSON output keeps the contract's shape.

Each scenario is served by a real Sandbox and diagnosed once (no symptom flag, no answers).
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from cases import (
    RunCache,
    internal_errors,
    loopback_only,
    scenario_data,
    seed_job,
    seed_key,
)

from troubleshooter.catalog import FINDINGS, ROOT_CAUSES, SYMPTOMS
from troubleshooter.engine.tree import load_graph
from troubleshooter.probes import ALL_PROBES
from troubleshooter.scenarios import list_scenarios

NAMES = [s.name for s in list_scenarios()]
PROBE_IDS = [p.id for p in ALL_PROBES]

# The symptom each story opens with, which the logs (or, for a failed deploy, the service's
# status) must show without the operator saying so.
HEADLINE: dict[str, tuple[str, ...]] = {
    "telepay-missing-attachment": ("socket-not-found",),
    "survey-bot-missing-role": ("socket-not-found", "not-authorized"),
    "twenty-crm-localhost": ("connection-refused",),
    "twenty-crm-url-validator": ("config-rejected",),
    "twenty-crm-secret-dsn": ("connection-refused",),
    "saleor-job-open-network": ("connection-timeout",),
    "gchostpay3-revision-not-ready": ("deploy-not-ready",),
    "private-ip-no-egress": ("connection-timeout",),
    "connector-all-traffic-no-pga": ("connection-timeout",),
    "healthy-baseline": ("unknown",),
}


@pytest.fixture(scope="module", autouse=True)
def _loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def graph(_loopback: None, runs: RunCache) -> Any:
    g = load_graph()
    runs.warm({seed_key(n): seed_job(n, g) for n in NAMES})
    return g


def diagnosed(name: str, graph: Any, runs: RunCache) -> Any:
    return runs.get(seed_key(name), seed_job(name, graph)).diagnosis


def test_every_scenario_has_a_headline_symptom() -> None:
    assert set(HEADLINE) == set(NAMES), "a new scenario needs its headline symptom here"
    assert all(s in SYMPTOMS for ss in HEADLINE.values() for s in ss)


@pytest.mark.parametrize("name", NAMES)
def test_scenario_yields_its_expectation(name: str, graph: Any, runs: RunCache) -> None:
    expect = scenario_data(name)["expect"]
    d = diagnosed(name, graph, runs)
    want = sorted(expect.get("rootCauses") or [], key=ROOT_CAUSES.index)
    assert want == list(expect.get("rootCauses") or []), "expect.rootCauses is not in catalog order"
    assert d.cause_ids == want, _explain(d)
    assert set(d.finding_ids) == set(expect.get("findings") or []), _explain(d)
    assert d.status == ("root-cause-found" if want else "no-cause-found")
    assert internal_errors(d) == []


@pytest.mark.parametrize("name", NAMES)
def test_symptom_is_detected_not_given(name: str, graph: Any, runs: RunCache) -> None:
    d = diagnosed(name, graph, runs)
    for symptom in HEADLINE[name]:
        assert symptom in d.symptoms, (d.symptoms, d.symptom_source)
    expected_source = {"unknown": "default", "deploy-not-ready": ("logs", "config")}
    source = expected_source.get(HEADLINE[name][0], "logs")
    assert d.symptom_source in ((source,) if isinstance(source, str) else source)
    assert d.walk.path[0] == f"symptom:{d.symptoms[0]}"


@pytest.mark.parametrize("name", NAMES)
def test_json_output_has_the_contract_shape(name: str, graph: Any, runs: RunCache) -> None:
    d = diagnosed(name, graph, runs)
    out = json.loads(json.dumps(d.to_json()))  # serialisable as it is
    t = scenario_data(name)["target"]
    kind = "job" if "job" in t else "service"
    assert out["target"] == {"project": t["project"], "region": t["region"], kind: t[kind]}

    assert [c["id"] for c in out["rootCauses"]] == d.cause_ids
    for cause in out["rootCauses"]:
        assert set(cause) >= {"id", "title", "summary", "evidence", "fix"}
        assert cause["id"] in ROOT_CAUSES
        assert _text(cause["title"]) and _text(cause["summary"])
        assert isinstance(cause["evidence"], list) and cause["evidence"]
        for ev in cause["evidence"]:
            assert set(ev) >= {"probe", "field", "value", "source"}
            assert _text(ev["probe"]) and _text(ev["field"]) and _text(ev["source"])
            assert ev["probe"] in PROBE_IDS or ev["probe"] == "operator"
        fix = cause["fix"]
        assert set(fix) >= {"commands", "automatic"}
        assert isinstance(fix["automatic"], bool)
        assert isinstance(fix["commands"], list) and fix["commands"]
        assert all(_text(c) for c in fix["commands"])

    assert [f["id"] for f in out["findings"]] == d.finding_ids
    for finding in out["findings"]:
        assert set(finding) >= {"id", "severity", "summary"}
        assert finding["id"] in FINDINGS
        assert finding["severity"] in ("critical", "warning", "info")
        assert _text(finding["summary"])

    path = out["path"]
    assert isinstance(path, list) and all(_text(p) for p in path)
    assert path[0].startswith("symptom:")
    for cid in d.cause_ids:
        assert f"cause:{cid}" in path
    for fid in d.finding_ids:
        assert f"finding:{fid}" in path

    assert [p["id"] for p in out["probes"]] == PROBE_IDS
    for probe in out["probes"]:
        assert set(probe) >= {"id", "outcome", "durationMs", "error"}
        assert probe["outcome"] in ("ok", "failed", "uncertain", "skipped")
        assert isinstance(probe["durationMs"], int) and probe["durationMs"] >= 0
        assert probe["error"] is None  # every scenario's APIs answer


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _explain(d: Any) -> str:
    lines = [f"symptoms={d.symptoms} ({d.symptom_source}) causes={d.cause_ids} findings={d.finding_ids}"]
    for s in d.walk.steps:
        if s.node.kind == "check" and s.outcome in ("failed", "uncertain") and s.result:
            lines.append(f"  {s.node.id} {s.outcome}: {s.result.summary}")
    return "\n".join(lines)
