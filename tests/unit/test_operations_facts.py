"""Cloud SQL operations as facts (facts/operations.py) and the stale-pooled-connections verdict over
them, pure: which types close connections, what "near" means, and the three honest answers
(this operation; none near; could not be read)."""

from __future__ import annotations

from troubleshooter.checks import REGISTRY
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.operations import NEAR_AFTER, NEAR_BEFORE, SqlOperation, drop_times, operations_near, parse_time
from troubleshooter.model import LogMatch, Outcome

from test_checks import CN, I, P, denied, make_obs

KEY = f"{P}:{I}"
T0 = parse_time("2025-06-28T00:00:00Z")


def op(kind: str, start: str, end: str | None = None, **extra: str) -> dict:
    out = {"operationType": kind, "status": "DONE", "startTime": start, "targetId": I, "targetProject": P,
           "name": f"{kind.lower()}-{start}", **extra}
    if end:
        out["endTime"] = end
    return out


def drops(*stamps: str) -> dict[str, LogMatch]:
    line = "FATAL:  terminating connection due to administrator command"
    m = LogMatch("db-error:terminated", len(stamps), stamps[-1], stamps[0], (line,), (), ("shop-api-00002-abc",),
                 tuple((s, line) for s in stamps))
    return {m.symptom: m}


def test_times_parse_with_any_fraction() -> None:
    assert parse_time("2025-06-28T00:00:00.123456789Z") == replace_micro(T0, 123456)
    assert parse_time("yesterday") is None and parse_time(None) is None


def replace_micro(t, us):  # noqa: ANN001, ANN201 - tiny helper
    return t.replace(microsecond=us)


def test_what_closes_connections() -> None:
    assert SqlOperation(op("MAINTENANCE", "x")).disruptive
    assert SqlOperation(op("FAILOVER", "x")).disruptive and SqlOperation(op("UPDATE", "x")).disruptive
    assert not SqlOperation(op("BACKUP_VOLUME", "x")).disruptive
    assert not SqlOperation(op("CREATE_USER", "x")).disruptive


def test_near_is_the_span_widened_by_the_pool_s_delay() -> None:
    o = SqlOperation(op("MAINTENANCE", "2025-06-28T00:00:00Z", "2025-06-28T00:04:00Z"))
    assert o.near(T0 - NEAR_BEFORE) and not o.near(T0 - NEAR_BEFORE - NEAR_BEFORE)
    end = parse_time("2025-06-28T00:04:00Z")
    assert o.near(end + NEAR_AFTER) and not o.near(end + NEAR_AFTER + NEAR_BEFORE)
    assert operations_near([o, SqlOperation(op("BACKUP_VOLUME", "2025-06-28T00:00:00Z"))], [T0]) == [o]


def test_drop_times_are_every_dropped_line() -> None:
    times = drop_times(drops("2025-06-28T00:05:00Z", "2025-06-28T00:01:00Z").values())
    assert [t.minute for t in times] == [1, 5]


def _judge(obs):  # noqa: ANN001, ANN202
    return REGISTRY["stale-pooled-connections"].evaluate(obs)


def test_the_operation_near_the_drops_is_named() -> None:
    obs = make_obs(logs=drops("2025-06-28T00:03:00Z"))
    obs.sql_operations[KEY] = [op("MAINTENANCE", "2025-06-28T00:00:00Z", "2025-06-28T00:04:00Z")]
    r = _judge(obs)
    assert r.outcome == Outcome.FAILED and "MAINTENANCE of shop-prod:shop-db" in r.summary
    assert "maintenance window" in r.params["closed_by"] and r.params["instance"] == I
    assert any(e.field == "operations[]" for e in r.evidence)


def test_an_operation_far_away_explains_nothing() -> None:
    obs = make_obs(logs=drops("2025-06-28T00:30:00Z"))
    obs.sql_operations[KEY] = [op("MAINTENANCE", "2025-06-28T00:00:00Z", "2025-06-28T00:04:00Z")]
    r = _judge(obs)
    assert r.outcome == Outcome.FAILED and "No Cloud SQL operation explains the drops" in r.summary
    assert "MAINTENANCE came at other times" in r.summary and "idle timeout" in r.params["closed_by"]


def test_a_failed_read_is_unknown_not_none() -> None:
    failure = denied("sqladmin", "SqlOperationsService/List", KEY, "cloudsql.instances.get")
    obs = make_obs(logs=drops("2025-06-28T00:03:00Z"), failures={FactKey.operations(P, I): failure})
    r = _judge(obs)
    assert r.outcome == Outcome.FAILED  # the logs alone show the cause
    assert "could not be read" in r.summary and "cloudsql.instances.get" in r.summary
    assert "No Cloud SQL operation explains" not in r.summary and r.params["closed_by"].startswith("unknown")


def test_logs_unread_stay_uncertain() -> None:
    obs = make_obs(failures={FactKey.logs(): denied("logging", "ListLogEntries", P, "logging.logEntries.list")})
    assert _judge(obs).outcome == Outcome.UNCERTAIN


def test_the_key_is_recorded_by_databases_users() -> None:
    key = FactKey.operations(P, I)
    assert key.recorded_by == ("logs",) and key.project_id == P and str(key) == f"operations:{P}:{I}"
    assert CN.endswith(I)
