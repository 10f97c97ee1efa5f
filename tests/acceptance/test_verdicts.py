"""Verdicts (root-causes.md, "Verdicts"; cli.md second edition): exactly one of root-causes,
healthy, unexplained, inconclusive; never `healthy` while the log window holds a database-
connection error; the family of generic database-error signatures on real driver texts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from cases import CASES, CN, PASSWORD, RunCache, _w, add_log, loopback_only, run_world, scenario_data

from troubleshooter import db_errors
from troubleshooter.diagnosis import VERDICTS
from troubleshooter.engine.tree import load_graph
from troubleshooter.scenarios import scenario_names

# Real texts, as drivers print them (the issue thread each comes from is in db_errors.py).
REAL_TEXTS: list[tuple[str, str]] = [
    ("Error: Connection terminated due to connection timeout\n    at Connection.<anonymous> "
     "(/srv/node_modules/pg/lib/client.js:223:9)", "timeout"),
    ("Error: Connection terminated unexpectedly\n    at Connection.<anonymous> "
     "(/node_modules/pg/lib/client.js:272:71)", "terminated"),
    ("Error: timeout exceeded when trying to connect", "timeout"),
    ("Error: getaddrinfo ENOTFOUND /cloudsql/acme:europe-west1:orders-db", "unresolvable"),
    ('psycopg2.OperationalError: could not translate host name "db" to address: Name or service '
     'not known', "unresolvable"),
    ("dial tcp: lookup /cloudsql/acme:europe-west1:orders-db: no such host", "unresolvable"),
    ("server closed the connection unexpectedly\n\tThis probably means the server terminated "
     "abnormally", "terminated"),
    ("FATAL:  terminating connection due to administrator command", "terminated"),
    ("(2013, 'Lost connection to MySQL server during query')", "terminated"),
    ("SQLSTATE[HY000] [2006] MySQL server has gone away", "terminated"),
    ("com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure", "terminated"),
    ("org.postgresql.util.PSQLException: Connection to localhost:5432 refused. Check that the "
     "hostname and port are correct and that the postmaster is accepting TCP/IP connections.", None),
    ("HikariPool-1 - Connection is not available, request timed out after 30000ms.", "timeout"),
    ("Login failed for user 'app'.", "auth"),
    ("Microsoft.Data.SqlClient.SqlException (0x80131904): A network-related or instance-specific "
     "error occurred while establishing a connection to SQL Server.", "connect-failed"),
    ("MySqlConnector.MySqlException (0x80004005): Unable to connect to any of the specified MySQL "
     "hosts.", "connect-failed"),
    ("PG::ConnectionBad: could not connect to server", "connect-failed"),
    ("failed to connect to `user=ledger_app database=ledger`: /cloudsql/p:r:i/.s.PGSQL.5432: "
     "failed to receive message: unexpected EOF", "connect-failed"),
    ("Invalid `prisma.user.findOne()` invocation: Can't reach database server at `localhost`:`3306`",
     "timeout"),
    ("googleapi: Error 429: Quota exceeded for quota metric 'Connect Queries', rateLimitExceeded",
     "rate-limited"),
    ('FATAL:  no pg_hba.conf entry for host "10.8.0.2", user "app", database "app", no encryption',
     "rejected"),
    ("FATAL:  the database system is starting up", "unavailable"),
    ("asyncpg.exceptions.ConnectionDoesNotExistError: connection was closed in the middle of operation",
     "terminated"),
]
# Lines that are no database error (or only one when they name a database).
NOT_DB = [
    "getaddrinfo ENOTFOUND api.stripe.com",
    "GET /healthz 200 3ms",
    "geocode: dial tcp 142.250.1.1:443: i/o timeout",
    "user clicked 'Connection settings'",
]


@pytest.mark.parametrize("text,kind", REAL_TEXTS, ids=[k or "refused" for _, k in REAL_TEXTS])
def test_real_driver_texts_are_database_errors(text: str, kind: str | None) -> None:
    sig = db_errors.classify(text)
    assert sig is not None, text
    assert sig.kind == (kind or "refused")


@pytest.mark.parametrize("text", NOT_DB)
def test_other_clients_errors_are_not_database_errors(text: str) -> None:
    assert db_errors.classify(text) is None


# --------------------------------------------------------------------------- over every world


@pytest.fixture(scope="module", autouse=True)
def _loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def graph(_loopback: None) -> Any:
    return load_graph()


WORLDS: dict[str, Any] = {
    **{f"seed:{name}": (lambda name=name: scenario_data(name)) for name in scenario_names()},
    **{f"case:{c.id}": c.world for c in CASES},
}


def _run(key: str, graph: Any, runs: RunCache) -> Any:
    case = next((c for c in CASES if f"case:{c.id}" == key), None)
    return runs.get(key, lambda: run_world(WORLDS[key](), graph, symptom=case.symptom if case else None,
                                         answers=case.answers if case else None)).diagnosis


@pytest.mark.parametrize("key", sorted(WORLDS))
def test_one_verdict_and_never_healthy_with_database_errors(key: str, graph: Any, runs: RunCache) -> None:
    d = _run(key, graph, runs)
    assert d.verdict in VERDICTS
    errors = {k: m.count for k, m in d.obs.logs.items() if m.count and k != "deploy-not-ready"}
    if d.verdict == "healthy":
        assert not errors, (key, errors)
        assert not d.uncertain
    if d.causes:
        assert d.verdict == "root-causes"
    doc = d.to_json()
    assert doc["verdict"] == d.verdict and doc["status"] == d.status
    assert ("unexplained" in doc) == (d.verdict == "unexplained")


@pytest.mark.parametrize("key", sorted(WORLDS))
def test_a_database_error_added_to_a_healthy_world_is_never_healthy(key: str, graph: Any, runs: RunCache) -> None:
    if _run(key, graph, runs).verdict != "healthy":
        pytest.skip("only healthy worlds")
    world = WORLDS[key]()
    if world["target"].get("job") or world.get("jobs") and not world.get("services"):
        pytest.skip("the log line builder writes service lines")
    svc = world["target"].get("service")
    add_log(world, "Error: Connection terminated due to connection timeout", "-2m", service_name=svc)
    d = run_world(world, graph).diagnosis
    assert d.verdict != "healthy"
    assert d.signals


# --------------------------------------------------------------------------- unexplained


def _starting_up() -> Any:
    def mutate(w: dict) -> None:
        for ago in ("-9m", "-5m", "-1m"):
            add_log(w, f"FATAL:  the database system is starting up (postgresql://orders_app:{PASSWORD}"
                       f"@localhost/orders?host=/cloudsql/{CN})", ago)
    return _w(mutate)()


def test_unexplained_json_says_what_was_seen_ruled_out_and_next(graph: Any) -> None:
    d = run_world(_starting_up(), graph).diagnosis
    assert d.verdict == "unexplained" and not d.causes
    doc = d.to_json()
    un = doc["unexplained"]
    [signal] = un["signals"]
    assert signal["kind"] == "db-error:unavailable" and signal["count"] == 3
    assert signal["first"] < signal["last"]
    assert "the database system is starting up" in signal["example"]
    assert PASSWORD not in json.dumps(doc)
    assert "check:attachment" in un["ruledOut"] and "check:client-role" in un["ruledOut"]
    assert any("restart or maintenance" in n for n in un["next"])


def test_diagnose_exits_4_for_unexplained_and_0_only_for_healthy(graph: Any, tmp_path: Path,
                                                                monkeypatch, capsys) -> None:
    from troubleshooter.cli import main

    path = tmp_path / "terminated.yaml"
    path.write_text(yaml.safe_dump(_starting_up()), encoding="utf-8")

    def run(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["troubleshooter", *args])
        monkeypatch.setenv("CLOUDSDK_CONFIG", "/nonexistent-gcloud-config")
        with pytest.raises(SystemExit) as exit_info:
            main()
        return int(exit_info.value.code or 0), capsys.readouterr().out

    code, out = run("diagnose", "--world", str(path), "--format", "json")
    assert code == 4 and json.loads(out)["verdict"] == "unexplained"
    code, out = run("diagnose", "--world", str(path))
    assert code == 4 and "Unexplained" in out and "looks healthy" not in out
    assert PASSWORD not in out
    code, out = run("diagnose", "--world", str(path), "--format", "markdown")
    assert code == 4 and "## Unexplained errors" in out and PASSWORD not in out
    code, out = run("diagnose", "--world", "healthy-baseline", "--format", "json")
    assert code == 0 and json.loads(out)["verdict"] == "healthy"
