"""Acceptance: every root cause and finding of the catalog, end to end, and its near miss.

Each case (tests/cases.py) is the healthy baseline with one mutation, served by a real Sandbox
and diagnosed by the real probes through the real client libraries. A case that holds must
report exactly its cause (plus any cause that is inherent, stated in the case) and exactly its
findings; its near miss, the same setup healthy in that one respect, must report no root cause
and not that finding. Each world is diagnosed once; every test below reads the same result.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from cases import (
    CASES,
    CN,
    PASSWORD,
    PN,
    Case,
    Run,
    RunCache,
    _w,
    add_log,
    internal_errors,
    loopback_only,
    run_world,
)

from troubleshooter.catalog import FINDINGS, ROOT_CAUSES
from troubleshooter.engine.tree import load_graph
from troubleshooter.probes import ALL_PROBES

HOLDS = [c for c in CASES if c.kind == "holds"]
NEAR = [c for c in CASES if c.kind == "near"]
PROBE_IDS = [p.id for p in ALL_PROBES]

# What the cause's summary must say: the fact that tells this cause apart, as the user sees it.
SAYS: dict[str, tuple[str, ...]] = {
    "sqladmin-api-disabled": ("disabled", "acme-orders-prod"),
    "latest-revision-not-ready": ("orders-api-00043-k2m", "orders-api-00042-j8v"),
    "cloudsql-not-attached": ("no Cloud SQL connection", "acme-orders-prod:europe-west1:orders-db"),
    "connection-name-malformed": ("'acme-orders-prod:europe-west1:orders-db\\r'",),
    "connection-name-mismatch": ("orders-db-replica", "acme-orders-prod:europe-west1:orders-db"),
    "instance-not-found": ("orders-db", "does not exist"),
    "socket-path-too-long": ("110 bytes", "107"),
    "missing-cloudsql-client-role": ("orders-api@acme-orders-prod.iam.gserviceaccount.com",
                                     "roles/cloudsql.client", "folder"),
    "instance-stopped": ("NEVER", "RUNNABLE"),
    "instance-not-runnable": ("SUSPENDED", "BILLING_ISSUE"),
    "private-ip-without-vpc-egress": ("private IP", "orders-vpc"),
    "vpc-network-mismatch": ("default", "orders-vpc"),
    "all-traffic-egress-to-public-ip": ("ALL_TRAFFIC", "34.76.201.58"),
    "app-uses-localhost-tcp": ("localhost", "/cloudsql/acme-orders-prod:europe-west1:orders-db"),
    "app-uses-public-ip-unauthorized": ("34.76.201.58",),
    "ssl-required-for-direct-tcp": ("ENCRYPTED_ONLY", "10.40.0.3"),
    "connector-enforcement-blocks-direct": ("REQUIRED", "10.40.0.3"),
    "socket-path-wrong-for-engine": (".s.PGSQL.5432",),
    "dsn-rejected-by-validator": ("DATABASE_URL", "empty host"),
    "secret-not-accessible": ("orders-db-password", "orders-api@acme-orders-prod.iam.gserviceaccount.com"),
    "database-not-found": ("orders_prod",),
    "db-user-not-found": ("orders_svc",),
    "password-authentication-failed": ("orders_app",),
    "too-many-connections": ("max_connections 200",),
    "admin-api-quota-exceeded": ("rateLimitExceeded",),
    "driver-lacks-unix-socket": ("host name",),
    "dsn-socket-param-ignored": ("DATABASE_URL", "localhost"),
    "password-not-url-encoded": ("DATABASE_URL", "'@'"),
    "sidecar-proxy-not-ready": ("cloud-sql-proxy", "dependsOn"),
    "iam-db-user-missing": ("orders-api@acme-orders-prod.iam", "ENABLE_IAM_AUTH"),
    "missing-cloudsql-instance-user-role": ("roles/cloudsql.instanceUser",
                                            "orders-api@acme-orders-prod.iam.gserviceaccount.com"),
    "iam-authentication-flag-off": ("cloudsql.iam_authentication",),
    "run-instance-connection-limit": ("100 connections", "max_connections"),
    # The instance's operations are read now (operations.list): the world has none near the drops.
    "stale-pooled-connections": ("die under the app", "No Cloud SQL operation explains the drops"),
}
# Symptoms that enter the graph mid-way, past the platform checks (the connection already works).
DB_LEVEL = ("auth-failed", "database-missing", "too-many-connections")


@pytest.fixture(scope="module", autouse=True)
def _loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def graph(_loopback: None, runs: RunCache) -> Any:
    g = load_graph()
    runs.warm({_key(c): _job(c, g) for c in CASES})
    return g


def _key(case: Case) -> str:
    return f"case:{case.id}"


def _job(case: Case, graph: Any) -> Any:
    return lambda: run_world(case.world(), graph, symptom=case.symptom, answers=case.answers)


def run(case: Case, graph: Any, runs: RunCache) -> Run:
    return runs.get(_key(case), _job(case, graph))


def _ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]


# --------------------------------------------------------------------------- coverage


def test_every_catalog_id_has_a_case_and_a_near_miss() -> None:
    for subject in (*ROOT_CAUSES, *FINDINGS):
        assert any(c.subject == subject for c in HOLDS), f"no case where {subject} holds"
        assert any(c.subject == subject for c in NEAR), f"no near miss for {subject}"
    for c in HOLDS:
        assert c.causes == tuple(sorted(c.causes, key=ROOT_CAUSES.index)), f"{c.id}: not catalog order"
        if c.subject in ROOT_CAUSES:
            assert c.subject in c.causes
            # Another cause is only allowed when the case says why it is inherent.
            assert len(c.causes) == 1 or c.note, c.id
        else:
            assert c.subject in c.findings and not c.causes
    for c in CASES:
        assert (c.symptom is None and c.answers is None) or c.why, f"{c.id}: say why it needs them"


# --------------------------------------------------------------------------- holds


@pytest.mark.parametrize("case", HOLDS, ids=_ids(HOLDS))
def test_cause_holds(case: Case, graph: Any, runs: RunCache) -> None:
    d = run(case, graph, runs).diagnosis
    assert d.cause_ids == list(case.causes), _explain(d)
    assert set(d.finding_ids) == set(case.findings), _explain(d)
    assert d.status == ("root-cause-found" if case.causes else "no-cause-found")
    if case.entry:
        assert d.symptoms[0] == case.entry and d.walk.path[0] == f"symptom:{case.entry}"
    else:
        assert d.symptoms == ["unknown"] or d.symptom_source == "config"


@pytest.mark.parametrize("case", [c for c in HOLDS if c.subject in SAYS],
                         ids=_ids([c for c in HOLDS if c.subject in SAYS]))
def test_cause_says_what_tells_it_apart(case: Case, graph: Any, runs: RunCache) -> None:
    d = run(case, graph, runs).diagnosis
    cause = next(c for c in d.causes if c.id == case.subject)
    for words in SAYS[case.subject]:
        assert words in cause.summary, f"{words!r} not in: {cause.summary}"
    assert cause.evidence, "a cause must carry its evidence"
    assert cause.commands or cause.steps, "a cause must say how to fix it"
    # The walk passed through the check that found it, and that check failed.
    check = next(s for s in d.walk.steps
                 if f"cause:{case.subject}" in s.node.spec.routes.get("failed", []))
    assert check.outcome == "failed"


@pytest.mark.parametrize("case", [c for c in HOLDS if c.entry in DB_LEVEL],
                         ids=_ids([c for c in HOLDS if c.entry in DB_LEVEL]))
def test_db_level_symptoms_enter_mid_graph(case: Case, graph: Any, runs: RunCache) -> None:
    d = run(case, graph, runs).diagnosis
    assert d.symptom_source == "logs"
    path = d.walk.path
    checks = [n for n in path if n.startswith("check:")]
    # The symptom's likely checks come first (its `first`), the rest of the DB level after them.
    first = graph.nodes[f"symptom:{d.symptoms[0]}"].spec.first
    assert checks[0] in ("check:secret-access", *first), path
    assert "check:secret-access" in checks
    for upstream in ("check:api-enabled", "check:attachment", "check:client-role", "check:private-egress"):
        assert upstream not in path


def test_answer_routes_the_question(graph: Any, runs: RunCache) -> None:
    """The DSN lives in Secret Manager: the question is asked, and the answer is what decides."""
    for case_id, choice in (("app-uses-localhost-tcp+answer", "localhost-tcp"),
                            ("app-uses-localhost-tcp+answer~near", "unix-socket")):
        case = next(c for c in CASES if c.id == case_id)
        d = run(case, graph, runs).diagnosis
        step = d.walk.step("question:app-connection")
        assert step is not None and step.outcome == choice, d.walk.path
    unanswered = run_world(next(c for c in CASES if c.id == "app-uses-localhost-tcp+answer").world(),
                           graph).diagnosis
    assert unanswered.cause_ids == []
    assert "check:app-localhost" in [s.node.id for s in unanswered.uncertain]


# --------------------------------------------------------------------------- near misses


@pytest.mark.parametrize("case", NEAR, ids=_ids(NEAR))
def test_near_miss_is_healthy(case: Case, graph: Any, runs: RunCache) -> None:
    d = run(case, graph, runs).diagnosis
    assert d.cause_ids == [], _explain(d)
    assert case.subject not in d.finding_ids
    assert set(d.finding_ids) == set(case.findings), _explain(d)
    assert d.status in ("no-cause-found", "inconclusive")
    if case.entry:
        assert d.symptoms[0] == case.entry
    if case.subject in ROOT_CAUSES:
        check = next((s for s in d.walk.steps
                      if f"cause:{case.subject}" in s.node.spec.routes.get("failed", [])), None)
        assert check is not None and check.outcome in ("ok", "skipped"), _explain(d)


# --------------------------------------------------------------------------- every run


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_run_is_clean(case: Case, graph: Any, runs: RunCache) -> None:
    """No probe or check crashed, every probe reported, nothing secret leaked into the JSON."""
    r = run(case, graph, runs)
    d = r.diagnosis
    assert internal_errors(d) == []
    assert list(d.probes) == PROBE_IDS
    out = json.dumps(d.to_json())
    assert PASSWORD not in out
    # A healthy API answers every read: only the case's own fact may be an API failure.
    failures = [f for p in d.probes.values() for f in p.failures]
    if case.id == "sqladmin-api-disabled":
        assert failures and all(f.kind == "api-disabled" for f in failures)
    elif case.id == "instance-stopped":
        # Google lists no databases or users of a stopped instance (400 "... not running.").
        assert failures and all(f.kind == "invalid" and "not running" in f.message for f in failures)
    elif case.id == "instance-not-accessible":
        sql = [f for f in failures if f.api == "sqladmin"]
        assert sql and all(f.kind == "permission-denied" and not f.permission for f in sql)
        assert all(f.kind == "permission-denied" for f in failures)  # and CRM's IAM policy read
    else:
        assert failures == [], [f.explain() for f in failures]


def _explain(d: Any) -> str:
    lines = [f"symptoms={d.symptoms} causes={d.cause_ids} findings={d.finding_ids}"]
    for s in d.walk.steps:
        if s.node.kind == "check" and s.outcome in ("failed", "uncertain") and s.result:
            lines.append(f"  {s.node.id} {s.outcome}: {s.result.summary}")
    return "\n".join(lines)


def test_admin_api_quota_line_alone_is_detected(graph: Any) -> None:
    def quota_line(w: dict[str, Any]) -> None:
        add_log(w, (
            f'failed to connect to instance: Refresh error: failed to get instance metadata '
            f'(connection name = "{CN}"): googleapi: Error 429: Quota exceeded for quota metric '
            "'Connect Queries' and limit 'Connect Queries per minute per user' of service "
            f"'sqladmin.googleapis.com' for consumer 'project_number:{PN}'., rateLimitExceeded"),
            "-2m")

    d = run_world(_w(quota_line)(), graph).diagnosis
    assert internal_errors(d) == []
    assert d.cause_ids == ["admin-api-quota-exceeded"]
