"""May the runtime service account connect to the instance (in the instance's project)?"""

from __future__ import annotations

from dataclasses import replace

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params
from troubleshooter.checks.verdicts import combine, failed, unknown
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.policy import CLIENT_ROLES, sa_is_known
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import (
    APP,
    CRM_API,
    IAM,
    PROJECT,
    RUN_CONFIG,
    SERVING,
    SQL,
)
from troubleshooter.model import CheckResult, Evidence, InstanceRef
from troubleshooter.remedies.contracts import GrantRole

ROLE = "roles/cloudsql.client"
_WHERE_ELSE = (
    "not granted at project level; it may still come from a folder, organization or group — "
    "check with `gcloud asset analyze-iam-policy` / policy troubleshooter"
)


def _one(obs: Facts, sa: str, ref: InstanceRef) -> CheckResult:
    project = ref.project
    policy = obs.policy(project)
    if policy is None:
        return CheckResult.uncertain(
            f"Cannot tell whether {sa} may connect to {ref.key}: the IAM policy of project "
            f"{project} could not be read ({obs.reason(FactKey.iam(project))})."
        )
    grants = policy.grants(sa, CLIENT_ROLES)
    verdicts = [(g, g.applies(project, ref.instance)) for g in grants]
    counted = [g for g, v in verdicts if v.holds]
    resource = policy.resource
    if counted:
        g = counted[0]
        return CheckResult.ok(
            f"{sa} holds {g.role} in project {project}"
            + (f" (its condition {g.expression!r} holds for the instance)" if g.condition else "")
            + f", enough for {ref.key}.",
            Evidence(IAM, "bindings[].role", g.role, CRM_API, resource,
                     f"member serviceAccount:{sa}"),
        )
    unknown_grants = [(g, v) for g, v in verdicts if v.holds is None]
    if unknown_grants:
        g, v = unknown_grants[0]
        # A condition the tool cannot evaluate may grant the role or not: say so, never guess.
        return CheckResult.uncertain(
            f"{sa} holds {g.role} in project {project} only under the condition {g.expression!r}, "
            f"and {v.why}, so whether it applies to {ref.key} is unknown. `gcloud policy-"
            "intelligence troubleshoot-policy iam` (Policy Troubleshooter) evaluates it.",
            Evidence(IAM, "bindings[].condition.expression", g.expression, CRM_API, resource,
                     f"{g.role}, member serviceAccount:{sa}"),
        )
    skipped_conditional = [g for g, v in verdicts if v.holds is False]
    cond_note = ""
    if skipped_conditional:
        c = skipped_conditional[0]
        expr = c.expression
        cond_note = (f" A conditional grant of {c.role} exists ({expr!r}) but its condition is false "
                     f"for instance {ref.instance}, so it is not counted.")
    roles_held = policy.roles_of(sa)
    inst = obs.instance(ref)
    return failed(
        f"Service account {sa} of {obs.target.kind} {obs.target.name} has no {ROLE} (or a role "
        f"containing cloudsql.instances.connect) in project {project}, which owns instance "
        f"{ref.instance}, so the Cloud SQL connection is refused: {_WHERE_ELSE}.{cond_note}",
        [Evidence(IAM, "bindings[] naming the service account", roles_held, CRM_API, resource,
                  f"member serviceAccount:{sa}")],
        {**base_params(obs), "service_account": sa, "member": f"serviceAccount:{sa}",
         "role": ROLE, "instance": ref.instance, "instance_project": project,
         "connection_name": (inst.connection_name if inst else None) or ref.connection_name.strip(),
         "cross_project": project != obs.target.project},
        [(f"{ROLE} for {sa} in {project}", "granted", "not granted at project level")],
        GrantRole(project, sa, ROLE),
    )


def missing_cloudsql_client_role(obs: Facts) -> CheckResult:
    run = obs.run
    if run is None:
        return unknown(obs, "which service account the revision runs as", FactKey.run())
    sa = run.service_account
    if not sa_is_known(sa):
        return CheckResult.uncertain(
            f"{obs.target.kind.capitalize()} {obs.target.name} runs as the default compute service "
            "account, whose name needs the project number, which could not be read "
            f"({obs.reason(FactKey.project(obs.target.project))})."
        )
    if not obs.refs:
        return CheckResult.skipped("No Cloud SQL instance is attached to or named by the app.")
    refs = obs.connection_refs()
    if not refs:
        return CheckResult.skipped(
            "The app reaches its instance by IP address only; Cloud SQL IAM roles are needed "
            "for the Cloud SQL connection and connectors, which it does not use."
        )
    result = combine([_one(obs, sa, r) for r in refs])
    sa_ev = Evidence(RUN_CONFIG, f"{run.template_path}.serviceAccount",
                     sa + (" (default compute account)" if run.service_account_is_default else ""),
                     "run.googleapis.com", run.name)
    return replace(result, evidence=(sa_ev, *result.evidence))


CHECKS = (
    Check.reporting("missing-cloudsql-client-role",
                    probes=(RUN_CONFIG, SERVING, PROJECT, APP, SQL, IAM),
                    judge=missing_cloudsql_client_role),
)
