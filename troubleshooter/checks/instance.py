"""Is the instance running?"""

from __future__ import annotations

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params, instance_params
from troubleshooter.checks.verdicts import failed, per_instance
from troubleshooter.facts.instance import Instance
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import APP, RUN_CONFIG, SQL
from troubleshooter.model import CheckResult, InstanceRef
from troubleshooter.remedies.contracts import StartInstance

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


def _stopped(obs: Facts, ref: InstanceRef, inst: Instance) -> CheckResult:
    policy = inst.activation_policy
    state = inst.state
    name = inst.connection_name or ref.key
    ev = [inst.evidence("settings.activationPolicy", policy),
          inst.evidence("state", state, "a stopped instance may still say RUNNABLE")]
    if policy == "NEVER":
        return failed(
            f"Instance {name} is stopped (settings.activationPolicy is NEVER"
            + (", although state still says RUNNABLE" if state == "RUNNABLE" else "")
            + "), so nothing accepts connections.",
            ev, {**base_params(obs), **instance_params(inst, ref), "activation_policy": policy},
            [("settings.activationPolicy", "ALWAYS", "NEVER")],
            StartInstance(inst.project or ref.project, inst.name or ref.instance),
        )
    return CheckResult.ok(f"Instance {name} is not stopped (activationPolicy {policy}).", *ev)


def _not_runnable(obs: Facts, ref: InstanceRef, inst: Instance) -> CheckResult:
    state = inst.state
    name = inst.connection_name or ref.key
    ev = [inst.evidence("state", state)]
    if state in _NOT_RUNNABLE:
        reasons = inst.suspension_reason
        if reasons:
            ev.append(inst.evidence("suspensionReason", reasons))
        if inst.scheduled_maintenance:
            ev.append(inst.evidence("scheduledMaintenance", inst.scheduled_maintenance))
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


def instance_stopped(obs: Facts) -> CheckResult:
    return per_instance(obs, lambda ref, inst: _stopped(obs, ref, inst))


def instance_not_runnable(obs: Facts) -> CheckResult:
    return per_instance(obs, lambda ref, inst: _not_runnable(obs, ref, inst))


CHECKS = (
    Check.reporting("instance-stopped", probes=(RUN_CONFIG, APP, SQL), judge=instance_stopped),
    Check.reporting("instance-not-runnable", probes=(RUN_CONFIG, APP, SQL), judge=instance_not_runnable),
)
