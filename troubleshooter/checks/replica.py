"""Is the app's database a read replica? It connects, reads, and every write fails."""

from __future__ import annotations

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params, instance_params
from troubleshooter.checks.verdicts import failed, per_instance
from troubleshooter.facts.instance import Instance
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import APP, RUN_CONFIG, SQL
from troubleshooter.model import CheckResult, InstanceRef

# DatabaseInstance.instanceType (sqladmin v1): CLOUD_SQL_INSTANCE, ON_PREMISES_INSTANCE,
# READ_REPLICA_INSTANCE; a replica names its primary in masterInstanceName ("project:name").
_REPLICA = "READ_REPLICA_INSTANCE"


def _replica(obs: Facts, ref: InstanceRef, inst: Instance) -> CheckResult:
    kind = inst.raw.get("instanceType")
    name = inst.connection_name or ref.key
    ev = inst.evidence("instanceType", kind)
    if kind != _REPLICA:
        return CheckResult.ok(f"Instance {name} is not a read replica ({kind or 'instanceType not given'}).", ev)
    primary = str(inst.raw.get("masterInstanceName") or "")
    primary_name = primary.rsplit(":", 1)[-1] or "its primary"
    primary_project = primary.rsplit(":", 1)[0] if ":" in primary else (inst.project or ref.project)
    return failed(
        f"The app's database instance {name} is a read replica (of {primary or 'an unnamed primary'}): "
        "it accepts connections and reads, but every write fails (Postgres: \"cannot execute ... in "
        "a read-only transaction\"; MySQL: \"--read-only option\"). Point writes at the primary.",
        [ev, inst.evidence("masterInstanceName", primary or None)],
        {**base_params(obs), **instance_params(inst, ref), "primary": primary or "the primary",
         "primary_instance": primary_name, "primary_project": primary_project},
        [("instanceType of the app's database", "CLOUD_SQL_INSTANCE (a primary)", _REPLICA)],
    )


def app_database_is_read_replica(obs: Facts) -> CheckResult:
    return per_instance(obs, lambda ref, inst: _replica(obs, ref, inst))


CHECKS = (
    Check.reporting("app-database-is-read-replica", probes=(RUN_CONFIG, APP, SQL),
                    judge=app_database_is_read_replica),
)
