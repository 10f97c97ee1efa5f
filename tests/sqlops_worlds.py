"""Worlds for Cloud SQL's own history (operations.list) as evidence of `stale-pooled-connections`.

The healthy baseline's Postgres app (orders-api on orders-db) whose pooled connections die:
libpq's `server closed the connection unexpectedly` and Postgres' `terminating connection due to
administrator command` in a burst around twenty minutes ago. Around it, Cloud SQL did (or did
not do) something:
- `pool_dies_at_maintenance`: a MAINTENANCE operation spans the burst (the cause and its trigger);
- `pool_dies_far_from_maintenance`: the only MAINTENANCE was 100 minutes ago (a near miss: the
  logs still show the cause, but no operation explains it);
- `pool_dies_operations_unreadable`: operations.list answers 403 (the read failed: say so).
"""

from __future__ import annotations

from typing import Any

from cases import INSTANCE, P, World, add_log, base

KEY = f"{P}:{INSTANCE}"
CLOSED = "psycopg2.OperationalError: server closed the connection unexpectedly\n\tThis probably means " \
         "the server terminated abnormally before or while processing the request."
ADMIN = "FATAL:  terminating connection due to administrator command"


def _burst(w: World) -> None:
    add_log(w, ADMIN, "-21m")
    add_log(w, CLOSED, "-20m")
    add_log(w, CLOSED, "-19m")
    add_log(w, CLOSED, "-17m")


def operation(kind: str, start: str, end: str | None, *, name: str, user: str = "cloud-sql-service",
              status: str = "DONE", instance: str = INSTANCE) -> dict[str, Any]:
    op: dict[str, Any] = {"kind": "sql#operation", "name": name, "operationType": kind, "status": status,
                          "insertTime": start, "startTime": start, "user": user,
                          "targetId": instance, "targetProject": P}
    if end is not None:
        op["endTime"] = end
    return op


def _ops(w: World, *ops: dict[str, Any]) -> None:
    w.setdefault("sqlOperations", {})[KEY] = list(ops)


# A daily backup (not disruptive) is always in the history: it must not be taken for a cause.
_BACKUP = operation("BACKUP_VOLUME", "-50m", "-49m", name="8d1c0b9e-backup")


def pool_dies_at_maintenance() -> World:
    w = base()
    w["name"] = "pool-dies-at-maintenance"
    _burst(w)
    _ops(w, operation("MAINTENANCE", "-22m", "-18m", name="5f2e6a1c-maintenance"), _BACKUP)
    return w


def pool_dies_far_from_maintenance() -> World:
    w = base()
    w["name"] = "pool-dies-far-from-maintenance"
    _burst(w)
    _ops(w, _BACKUP, operation("MAINTENANCE", "-100m", "-97m", name="0b7d4f3a-maintenance"))
    return w


def pool_dies_operations_unreadable() -> World:
    w = pool_dies_at_maintenance()
    w["name"] = "pool-dies-operations-unreadable"
    w["faults"] = [{"api": "sqladmin", "method": "SqlOperationsService/List", "code": 403}]
    return w


def pool_dies_at_failover() -> World:
    w = base()
    w["name"] = "pool-dies-at-failover"
    _burst(w)
    _ops(w, operation("FAILOVER", "-21m", "-20m", name="9a4b1e7d-failover", user="cloud-sql-service"))
    return w


def pool_dies_at_maintenance_of_second_instance() -> World:
    """Two attached instances; the maintenance was on the second one: both histories are read
    (at once), and the one that explains the drops is named."""
    from cases import add_instance, template

    w = base()
    w["name"] = "pool-dies-at-maintenance-of-second-instance"
    cn = add_instance(w, "orders-db-2")
    for holder in [template(w), *(r for r in w.get("revisions", []))]:
        for vol in holder.get("volumes") or ():
            if "cloudSqlInstance" in vol:
                vol["cloudSqlInstance"]["instances"].append(cn)
    _burst(w)
    _ops(w, _BACKUP)
    w["sqlOperations"][f"{P}:orders-db-2"] = [operation("MAINTENANCE", "-22m", "-18m", name="c3a9-maint-2",
                                                            instance="orders-db-2")]
    return w


def no_drops_with_operations() -> World:
    """Operations in the history but no dropped connection in the logs: nothing to explain."""
    w = base()
    w["name"] = "no-drops-with-operations"
    _ops(w, operation("MAINTENANCE", "-22m", "-18m", name="5f2e6a1c-maintenance"))
    return w
