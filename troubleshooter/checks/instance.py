"""Is the instance running?"""

from __future__ import annotations

from typing import Any

from troubleshooter.checks.base import Check
from troubleshooter.checks.helpers import (
    P_SQL,
    base_params,
    failed,
    inst_ev,
    instance_params,
    per_instance,
)
from troubleshooter.fixes.contracts import StartInstance
from troubleshooter.model import CheckResult, InstanceRef
from troubleshooter.observations import Observations

_NOT_RUNNABLE = ("SUSPENDED", "FAILED", "MAINTENANCE", "PENDING_CREATE", "PENDING_DELETE", "REPAIRING")
# States that serve connections (ONLINE_MAINTENANCE is the deprecated name of in-place updates).
_SERVING = ("RUNNABLE", "ONLINE_MAINTENANCE")
_WHAT_TO_DO = {
    "SUSPENDED": "usually billing or a revoked KMS key: see suspensionReason",
    "FAILED": "the instance failed to start: contact support or restore from a backup",
    "MAINTENANCE": "wait for the maintenance to finish",
    "PENDING_CREATE": "the instance is still being created: wait",
    "PENDING_DELETE": "the instance is being deleted",
    "REPAIRING": "Cloud SQL is repairing it: wait",
}


def _stopped(obs: Observations, ref: InstanceRef, inst: dict[str, Any]) -> CheckResult:
    policy = (inst.get("settings") or {}).get("activationPolicy")
    state = inst.get("state")
    name = inst.get("connectionName") or ref.key
    ev = [inst_ev(inst, "settings.activationPolicy", policy),
          inst_ev(inst, "state", state, "a stopped instance may still say RUNNABLE")]
    if policy == "NEVER":
        return failed(
            f"Instance {name} is stopped (settings.activationPolicy is NEVER"
            + (", although state still says RUNNABLE" if state == "RUNNABLE" else "")
            + "), so nothing accepts connections.",
            ev, {**base_params(obs), **instance_params(inst, ref), "activation_policy": policy},
            [("settings.activationPolicy", "ALWAYS", "NEVER")],
            StartInstance(inst.get("project", ref.project), inst.get("name", ref.instance)),
        )
    return CheckResult.ok(f"Instance {name} is not stopped (activationPolicy {policy}).", *ev)


def _not_runnable(obs: Observations, ref: InstanceRef, inst: dict[str, Any]) -> CheckResult:
    state = inst.get("state")
    name = inst.get("connectionName") or ref.key
    ev = [inst_ev(inst, "state", state)]
    if state in _NOT_RUNNABLE:
        reasons = list(inst.get("suspensionReason") or [])
        if reasons:
            ev.append(inst_ev(inst, "suspensionReason", reasons))
        if inst.get("scheduledMaintenance"):
            ev.append(inst_ev(inst, "scheduledMaintenance", inst["scheduledMaintenance"]))
        why = f" ({', '.join(reasons)})" if reasons else ""
        return failed(
            f"Instance {name} is {state}{why}, so it does not accept connections; "
            f"{_WHAT_TO_DO[state]}.",
            ev, {**base_params(obs), **instance_params(inst, ref), "state": state,
                 "suspension_reason": reasons, "suspension": why},
            [("state", "RUNNABLE", f"{state}{why}")],
        )
    if state in _SERVING:
        return CheckResult.ok(f"Instance {name} is {state}.", *ev)
    return CheckResult.uncertain(f"Instance {name} reports the unfamiliar state {state!r}.", *ev)


def instance_stopped(obs: Observations) -> CheckResult:
    return per_instance(obs, lambda ref, inst: _stopped(obs, ref, inst))


def instance_not_runnable(obs: Observations) -> CheckResult:
    return per_instance(obs, lambda ref, inst: _not_runnable(obs, ref, inst))


CHECKS = (
    Check.reporting("instance-stopped", probes=(P_SQL,), evaluate=instance_stopped),
    Check.reporting("instance-not-runnable", probes=(P_SQL,), evaluate=instance_not_runnable),
)
