"""Probe `iam`: the IAM policy of the target's project and of every instance's project.

Reads Resource Manager v3 `projects.getIamPolicy` (policy version 3, so conditional bindings
come back whole) for each project at once, into `obs.iam[P]`. The Cloud SQL connection runs as
the revision's service account and needs `cloudsql.instances.connect`/`get` in the
**instance's** project, which is not the service's project in cross-project setups; the
target's own policy also shows an over-privileged runtime account (`roles/editor`).

Only project-level bindings are visible here: a role granted on a folder, the organization or
through a group does not show, so "not found" means "not granted in this project".
Permission: `resourcemanager.projects.getIamPolicy`.
"""

from __future__ import annotations

from typing import Any, Mapping

from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
from troubleshooter.failures import ApiFailure
from troubleshooter.model import Evidence, Outcome, ProbeResult
from troubleshooter.probes.base import Probe, ProbeContext
from troubleshooter.probes.common import projects_of, record, settle
from troubleshooter.probes.secrets import waits_for_secrets

ID = sources.IAM


def run(ctx: ProbeContext) -> ProbeResult:
    ctx.wait_for(sources.RUN_CONFIG)
    if waits_for_secrets(ctx):  # app-settings waits for Secret Manager: the target's policy now
        p = ctx.target.project
        ctx.fetch.get(FactKey.iam(p), lambda: ctx.gateway.get_iam_policy(p))
    ctx.wait_for(sources.APP, sources.PROJECT)
    projects = projects_of(ctx.target.project, ctx.obs.instance_refs)
    futures = {
        p: ctx.fetch.get(FactKey.iam(p), lambda p=p: ctx.gateway.get_iam_policy(p)) for p in projects
    }
    sa = ctx.obs.run.service_account if ctx.obs.run else ""
    failures: list[ApiFailure] = []
    evidence: list[Evidence] = []
    for project, fut in futures.items():
        policy, failure = settle(fut)
        if failure is not None:
            failures.append(record(ctx, FactKey.iam(project), failure))
            continue
        assert policy is not None
        with ctx.obs.lock:
            ctx.obs.iam[project] = policy
        evidence.append(_evidence(project, policy, sa))

    read = len(projects) - len(failures)
    summary = f"IAM policy of {read}/{len(projects)} project(s) read"
    if failures:
        return ProbeResult(ID, Outcome.UNCERTAIN, summary, evidence, failures)
    return ProbeResult(ID, Outcome.OK, summary, evidence)


def bindings_for(policy: Mapping[str, Any], member: str) -> list[dict[str, Any]]:
    """The bindings naming `member` (IAM compares emails case-insensitively)."""
    wanted = member.lower()
    out = []
    for b in policy.get("bindings") or ():
        if any(str(m).lower() == wanted for m in b.get("members") or ()):
            shown: dict[str, Any] = {"role": b.get("role")}
            if b.get("condition"):
                shown["condition"] = b["condition"]
            out.append(shown)
    return out


def _evidence(project: str, policy: Mapping[str, Any], sa: str) -> Evidence:
    where = f"projects/{project}"
    if not sa:
        return Evidence(ID, "bindings", "n/a", sources.CRM_API, where,
                        "the runtime service account is unknown")
    found = bindings_for(policy, f"serviceAccount:{sa}")
    return Evidence(ID, "bindings", found or "none", sources.CRM_API, where,
                    f"project-level roles of serviceAccount:{sa}")


PROBE = Probe(id=ID, title="IAM policies", needs=(sources.RUN_CONFIG,), run=run)
