"""stale-pooled-connections with Cloud SQL's own history (operations.list) read through the real
sqladmin gRPC client on the sandbox: the maintenance that closed the pool is named, an operation
far from the drops is not blamed, a failed read is said, and the RCA timeline shows the
operations beside the log lines (worlds: tests/sqlops_worlds.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cases import RunCache, loopback_only, run_world
from sqlops_worlds import (
    KEY,
    pool_dies_at_failover,
    pool_dies_at_maintenance,
    pool_dies_far_from_maintenance,
    pool_dies_operations_unreadable,
)
from troubleshooter.cli import cli as cli_main
from troubleshooter.engine.tree import load_graph

CAUSE = "stale-pooled-connections"
WORLDS = {
    "maintenance": pool_dies_at_maintenance,
    "far": pool_dies_far_from_maintenance,
    "unreadable": pool_dies_operations_unreadable,
    "failover": pool_dies_at_failover,
}


@pytest.fixture(scope="module")
def graph() -> Any:
    with loopback_only():
        yield load_graph()


def _run(runs: RunCache, graph: Any, name: str) -> Any:
    return runs.get(f"sqlops-{name}", lambda: run_world(WORLDS[name](), graph))


def _cause(run: Any) -> Any:
    (cause,) = [c for c in run.diagnosis.causes if c.id == CAUSE]
    return cause


def test_the_maintenance_that_closed_the_pool_is_named(runs: RunCache, graph: Any) -> None:
    run = _run(runs, graph, "maintenance")
    assert run.diagnosis.cause_ids == [CAUSE]
    cause = _cause(run)
    assert "MAINTENANCE of acme-orders-prod:orders-db" in cause.summary
    assert "BACKUP" not in cause.summary  # a backup closes no connection
    ops = [e.value for e in cause.evidence if e.field == "operations[]"]
    assert [o["operationType"] for o in ops] == ["MAINTENANCE"] and "span" in ops[0]
    steps = " ".join(cause.steps)
    assert "maintenance window" in steps and "deny maintenance period" in steps
    assert len(run.called("sqladmin", "SqlOperationsService/List")) == 1  # one page, one instance
    assert "2 Cloud SQL operation(s)" in run.diagnosis.probes["logs"].summary


def test_a_failover_gets_failover_advice(runs: RunCache, graph: Any) -> None:
    cause = _cause(_run(runs, graph, "failover"))
    assert "FAILOVER of" in cause.summary
    steps = " ".join(cause.steps)
    assert "old primary" in steps and "maintenance window" not in steps


def test_an_operation_far_from_the_drops_is_not_blamed(runs: RunCache, graph: Any) -> None:
    run = _run(runs, graph, "far")
    assert run.diagnosis.cause_ids == [CAUSE]  # the logs alone still show it
    cause = _cause(run)
    assert "No Cloud SQL operation explains the drops" in cause.summary
    assert "idle timeout" in cause.summary
    assert not [e for e in cause.evidence if e.field == "operations[]"]
    assert "maintenance window" not in " ".join(cause.steps)


def test_a_failed_read_is_said_not_guessed(runs: RunCache, graph: Any) -> None:
    run = _run(runs, graph, "unreadable")
    assert run.diagnosis.cause_ids == [CAUSE]
    cause = _cause(run)
    assert "could not be read" in cause.summary and "cloudsql.instances.get" in cause.summary
    assert "No Cloud SQL operation explains" not in cause.summary and "MAINTENANCE" not in cause.summary
    probe = run.diagnosis.probes["logs"]
    assert probe.outcome.value == "uncertain"
    assert [f.permission for f in probe.failures] == ["cloudsql.instances.get"]
    # databases and users were still read: the checks that need them decide
    assert run.diagnosis.obs.users.get(KEY) and KEY not in run.diagnosis.obs.sql_operations


def _markdown(tmp_path: Path, world: dict) -> str:
    path = tmp_path / f"{world['name']}.yaml"
    path.write_text(yaml.safe_dump(world, sort_keys=False), encoding="utf-8")
    with loopback_only():
        result = CliRunner().invoke(cli_main, ["diagnose", "--world", str(path), "--format", "markdown"])
    assert result.exit_code == 1, result.output
    return result.output


def _timeline(md: str) -> list[tuple[str, str, str]]:
    part = md.split("## Timeline (UTC)", 1)[1].split("\n## ", 1)[0]
    rows = [ln.strip("|").split("|") for ln in part.splitlines() if ln.startswith("| ") and "---" not in ln]
    return [(a.strip(), b.strip().strip("`"), c.strip()) for a, b, c in rows[1:]]


def test_the_rca_timeline_puts_the_operation_beside_the_log_lines(tmp_path: Path) -> None:
    rows = _timeline(_markdown(tmp_path, pool_dies_at_maintenance()))
    kinds = [k for _, k, _ in rows]
    ops = [r for r in rows if r[1] == "sql-operation"]
    assert len(ops) == 1, ops  # the backup is not on the timeline
    # An end on another day than the report's gets its date (a run just after midnight UTC).
    assert re.match(r"Cloud SQL MAINTENANCE of acme-orders-prod:orders-db, until (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \(DONE by "
                    r"cloud-sql-service\); the dropped connections came with it$", ops[0][2])
    # time-ordered: the maintenance started before the first dropped connection
    assert kinds.index("sql-operation") < kinds.index("log")
    times = [t for t, _, _ in rows]
    # HH:MM:SS only: a window that crosses midnight UTC wraps once, and is in order on both sides.
    wrap = next((i for i in range(1, len(times)) if times[i] < times[i - 1]), len(times))
    assert times[:wrap] == sorted(times[:wrap]) and times[wrap:] == sorted(times[wrap:])
    assert not times[wrap:] or times[-1] <= times[0]


def test_the_rca_of_a_far_operation_shows_it_without_blame(tmp_path: Path) -> None:
    rows = _timeline(_markdown(tmp_path, pool_dies_far_from_maintenance()))
    (op,) = [r for r in rows if r[1] == "sql-operation"]
    assert "MAINTENANCE" in op[2] and "came with it" not in op[2]


def test_every_referenced_instance_is_read_at_once(graph: Any) -> None:
    from sqlops_worlds import pool_dies_at_maintenance_of_second_instance
    from troubleshooter.engine.troubleshooting import Troubleshooting
    from troubleshooter.engine.workspace import Workspace
    from troubleshooter.world import world_from_data

    from cases import target_of

    world = world_from_data(pool_dies_at_maintenance_of_second_instance())
    with loopback_only(), Workspace.serving(world, graph, latency=0.2) as workspace:
        d = Troubleshooting.begin(workspace, target_of(world)).diagnose()
        lists = [c for c in workspace.sandbox.calls if c.service == "SqlOperationsService"]
    assert sorted(c.resource.rsplit("/", 1)[-1] for c in lists) == ["orders-db", "orders-db-2"]
    assert abs(lists[0].time - lists[1].time) < 0.15  # concurrent, not one after the other
    cause = _cause(type("R", (), {"diagnosis": d})())
    assert "MAINTENANCE of acme-orders-prod:orders-db-2" in cause.summary


def test_no_dropped_connection_no_operations_read(runs: RunCache, graph: Any) -> None:
    from sqlops_worlds import no_drops_with_operations

    run = runs.get("sqlops-no-drops", lambda: run_world(no_drops_with_operations(), graph))
    assert run.diagnosis.cause_ids == []
    assert run.called("sqladmin", "SqlOperationsService/List") == []  # not one extra call
    assert run.diagnosis.obs.sql_operations == {}


@pytest.mark.parametrize("fault, words", [
    ({"delay": 3.0}, "timed out (sqladmin SqlOperationsService/List"),
    ({"code": 503}, "SqlOperationsService/List"),
    ({"code": 403, "reason": "SERVICE_DISABLED"}, "is disabled"),
], ids=["stall", "503", "api-disabled"])
def test_other_failed_reads_are_said_too(graph: Any, fault: dict, words: str) -> None:
    world = pool_dies_at_maintenance()
    world["faults"] = [{"api": "sqladmin", "method": "SqlOperationsService/List", **fault}]
    with loopback_only():
        run = run_world(world, graph, timeout=0.5, deadline=1.0)
    cause = _cause(run)
    assert "could not be read" in cause.summary and words in cause.summary, cause.summary
    assert "MAINTENANCE" not in cause.summary
    assert run.seconds < 10


def test_probes_in_registry_order_in_one_thread_never_wait_for_a_later_one() -> None:
    """A scan runs a target's probes one after another in ALL_PROBES order: reading operations
    (inside `logs`, after `app-settings`) must not wait for a probe that runs later."""
    import threading

    from troubleshooter import probes
    from troubleshooter.gateway import Gateway
    from troubleshooter.observations import Observations
    from troubleshooter.probes.base import Fetcher, ProbeContext
    from troubleshooter.sandbox import Sandbox
    from troubleshooter.world import world_from_data
    from concurrent.futures import ThreadPoolExecutor

    from cases import target_of

    world = world_from_data(pool_dies_at_maintenance())
    target = target_of(world)
    graph = load_graph()
    obs = Observations(target)
    with loopback_only(), Sandbox(world) as sandbox, ThreadPoolExecutor(8) as pool:
        gateway = Gateway.from_env(sandbox.env)
        done = {p.id: threading.Event() for p in probes.ALL_PROBES}
        ctx = ProbeContext(target, gateway, obs, Fetcher(pool), graph.signatures(), 60, done)

        def one_thread() -> None:
            for probe in probes.ALL_PROBES:
                probe.run(ctx)
                done[probe.id].set()

        worker = threading.Thread(target=one_thread, daemon=True)
        worker.start()
        worker.join(timeout=30)
        gateway.close()
    assert not worker.is_alive(), "a probe waited for one that runs after it"
    assert [o["operationType"] for o in obs.sql_operations[KEY]] == ["MAINTENANCE", "BACKUP_VOLUME"]


def test_the_rca_of_a_failed_operations_read_still_shows_the_log_lines(tmp_path: Path) -> None:
    md = _markdown(tmp_path, pool_dies_operations_unreadable())
    logs = md.split("### Logs", 1)[1].split("\n## ", 1)[0]
    assert "The logs could not be read" not in logs and "db-error:terminated" in logs
    assert not [r for r in _timeline(md) if r[1] == "sql-operation"]
