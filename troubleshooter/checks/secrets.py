"""Can the revision resolve its secrets: may its service account read them, and is the version enabled?

Both are decided from Secret Manager itself (probe `secrets`: versions' states and the secret's
IAM policy) and the project's IAM policy, not only from a failed revision's message: a grant
missing today fails the next instance start even while an older one still serves.
"""

from __future__ import annotations

import re

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params
from troubleshooter.checks.verdicts import failed, unknown
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.policy import sa_is_known
from troubleshooter.facts.read import Facts
from troubleshooter.facts.secrets import (
    ACCESS_PERMISSION,
    ACCESS_ROLES,
    ACCESSOR_ROLE,
    SecretUse,
    condition_holds,
    indirect_grants,
    member_of,
    uses_by_secret,
    version_id,
)
from troubleshooter.facts.sources import IAM, PROJECT, RUN_CONFIG, SECRET_API, SECRETS, SERVING
from troubleshooter.facts.workload import run_ev
from troubleshooter.model import CheckResult, Condition, Evidence
from troubleshooter.redact import redact
from troubleshooter.remedies.contracts import EnableSecretVersion, GrantSecretAccess, SecretVersionFix

# "Permission denied on secret: projects/123/secrets/db-pass/versions/latest for Revision service
# account 123-compute@developer.gserviceaccount.com." and the IAM form naming the permission.
_SECRET_DENIED = re.compile(r"Permission denied on secret|secretmanager\.versions\.access")
_SECRET_PATH = re.compile(r"projects/([^/\s'\"]+)/secrets/([^/\s'\".,]+)(?:/versions/([^\s'\".,]+))?")
_SA_IN_MESSAGE = re.compile(r"service account ([\w.+-]+@[\w.-]+\.com)")


def _all_conditions(obs: Facts) -> list[tuple[Condition, str, str]]:
    out: list[tuple[Condition, str, str]] = []
    for rev in (obs.latest, obs.serving):
        if rev is not None:
            out.extend((c, SERVING, rev.name) for c in rev.conditions)
    run = obs.run
    if run is not None:
        if run.terminal_condition is not None:
            out.append((run.terminal_condition, RUN_CONFIG, run.name))
        out.extend((c, RUN_CONFIG, run.name) for c in run.conditions)
    return out


def _env_refs(obs: Facts) -> list[str]:
    refs = []
    for e in obs.container_env():
        ref = ((e.get("valueSource") or {}).get("secretKeyRef") or {}).get("secret")
        if ref and ref not in refs:
            refs.append(ref)
    return refs


def _project_of(obs: Facts, project: str) -> str:
    """A project named by number in a message, as the target's id when it is the target's."""
    numbers = obs.project_numbers
    for pid, number in numbers.items():
        if project == number:
            return pid
    return project


# --------------------------------------------------------------------------- secret-not-accessible


def _iam_verdict(obs: Facts, sa: str, use: SecretUse) -> tuple[bool | None, str]:
    """(True: may read, False: may not, None: unknown) and why, from the secret's and project's policies."""
    facts = obs.secret(use.key)
    if facts is None:
        return None, "not read"
    secret_policy = facts.policy
    project_policy = obs.project_policy(use.project)
    unknown_why = []
    for where, policy in ((f"secret {use.secret}", secret_policy), (f"project {use.project}", project_policy)):
        if policy is None:
            continue
        for b in policy.get("bindings") or ():
            if b.get("role") not in ACCESS_ROLES or member_of(sa) not in [str(m).lower() for m in b.get("members") or ()]:
                continue
            # IAM hands the condition the secret's name with the project NUMBER.
            number = obs.project_numbers.get(use.project, use.project)
            holds = condition_holds(b, f"projects/{number}/secrets/{use.secret}", use.version)
            if holds.holds:
                return True, f"{b.get('role')} on {where}" + (" (its condition holds)" if b.get("condition") else "")
            if holds.holds is None:
                unknown_why.append(f"{b.get('role')} on {where} under a condition that cannot be evaluated "
                                   f"({holds.why or 'unknown attributes'})")
        unknown_why.extend(f"{g} on {where}" for g in indirect_grants(policy, sa))
    if unknown_why:
        return None, "; ".join(unknown_why)
    missing = []
    if secret_policy is None:
        f = obs.failure(FactKey.secret_iam(use.project, use.secret))
        if f is not None and f.kind == "not-found":
            return None, f"secret {use.secret} does not exist"
        missing.append(f"the secret's policy: {obs.reason(FactKey.secret_iam(use.project, use.secret))}")
    if project_policy is None:
        missing.append(f"the project's policy: {obs.reason(FactKey.iam(use.project))}")
    if missing:
        return None, "cannot read " + "; ".join(missing)
    return False, f"no role with {ACCESS_PERMISSION} for serviceAccount:{sa} on secret {use.secret} or project {use.project}"


def secret_not_accessible(obs: Facts) -> CheckResult:
    run = obs.run
    if run is None:
        return unknown(obs, "whether the revision can read its secrets", FactKey.run())
    sa = run.service_account
    denied: dict[tuple[str, str], str] = {}     # (project, secret) -> why
    evidence: list[Evidence] = []
    for c, probe, resource in _all_conditions(obs):
        if not _SECRET_DENIED.search(c.message or ""):
            continue
        sa_m = _SA_IN_MESSAGE.search(c.message)
        sa = sa_m.group(1) if sa_m else sa
        named = [(_project_of(obs, m.group(1)), m.group(2)) for m in _SECRET_PATH.finditer(c.message)]
        if not named:
            refs = _env_refs(obs)
            named = [(obs.target.project, r.rsplit("/", 1)[-1]) for r in refs] or [(obs.target.project, "SECRET")]
        for key in named:
            denied.setdefault(key, "the revision's condition says Permission denied on secret")
        # Condition messages quote the failing container's output, which can carry secrets.
        evidence.append(Evidence(probe, "conditions[].message", redact(c.message), "run.googleapis.com", resource))
    doubts: list[str] = []
    uses = obs.secret_uses
    if uses and not sa_is_known(sa):
        doubts.append("the runtime service account is unknown")
    elif uses:
        for key, group in uses_by_secret(uses).items():
            use = group[0]
            may, why = _iam_verdict(obs, sa, use)
            if may is False:
                denied.setdefault((use.project, use.secret), why)
            elif may is None and why != "not read" and "does not exist" not in why:
                doubts.append(f"secret {use.secret}: {why}")
            if may is not None or why != "not read":
                evidence.append(Evidence(SECRETS, "iamPolicy.bindings", why, SECRET_API, use.name,
                                         f"who may read it ({', '.join(u.where for u in group)})"))
    if denied:
        secrets = tuple(denied)
        names = ", ".join(s for _, s in secrets)
        first_project, first = secrets[0]
        return failed(
            f"The service account {sa} of {obs.target.kind} {obs.target.name} may not read secret(s) "
            f"{names}, so new instances cannot resolve them and the revision fails to start.",
            evidence,
            {**base_params(obs), "secret": first, "secret_project": first_project, "secrets": names,
             "secret_version": "latest", "service_account": sa, "role": ACCESSOR_ROLE},
            [(f"{ACCESSOR_ROLE} on {s} for {sa}", "granted", denied[(p, s)]) for p, s in secrets],
            GrantSecretAccess(sa, secrets),
        )
    if doubts:
        return CheckResult.uncertain(
            f"Cannot tell whether {sa or 'the runtime service account'} may read its secrets: "
            + "; ".join(doubts) + ".", *evidence)
    refs = _env_refs(obs)
    if uses and evidence:
        return CheckResult.ok(f"The service account {sa} may read every secret it uses "
                              f"({', '.join(sorted({u.secret for u in uses}))}).", *evidence)
    return CheckResult.ok(
        "No revision condition reports a denied secret"
        + (f" (secrets referenced: {', '.join(refs)})." if refs else "."),
        run_ev(run, "containers[].env[].valueSource.secretKeyRef", refs),
    )


# --------------------------------------------------------------------------- secret-version-not-enabled


def secret_version_not_enabled(obs: Facts) -> CheckResult:
    run = obs.run
    if run is None:
        return unknown(obs, "which secret versions the revision uses", FactKey.run())
    uses = obs.secret_uses
    if not uses:
        return CheckResult.skipped("The workload names no Secret Manager secret.")
    bad: list[SecretVersionFix] = []
    doubts: list[str] = []
    evidence: list[Evidence] = []
    summaries: list[str] = []
    for key, group in uses_by_secret(uses).items():
        facts = obs.secret(key)
        first = group[0]
        if facts is None or facts.versions is None:
            f = obs.failure(FactKey.secret_versions(first.project, first.secret), FactKey.secret(first.project, first.secret))
            if f is not None and f.kind == "not-found":
                continue  # a missing secret is another story (the deploy names something that is not there)
            doubts.append(f"the versions of secret {first.secret}: "
                          f"{obs.reason(FactKey.secret_versions(first.project, first.secret))}")
            continue
        enabled = facts.enabled()
        states = [f"{version_id(str(v.get('name', '')))}={v.get('state', 'ENABLED')}" for v in facts.versions]
        evidence.append(Evidence(SECRETS, "versions[].state", states or "no versions", SECRET_API,
                                 f"projects/{facts.project}/secrets/{facts.secret}",
                                 ", ".join(f"{u.where} wants {u.version}" for u in group)))
        for wanted in dict.fromkeys(u.version for u in group):
            resolved = facts.resolve(wanted)
            variables = tuple(u.variable for u in group if u.version == wanted and u.variable)
            if resolved is None and wanted != "latest":
                doubts.append(f"secret {first.secret} has no version {wanted}")
                continue
            state = str((resolved or {}).get("state") or ("" if resolved is None else "ENABLED"))
            if state == "ENABLED":
                continue
            vid = version_id(str(resolved.get("name", ""))) if resolved else ""
            what = f"version {vid} ({wanted})" if wanted == "latest" and vid else f"version {vid or wanted}"
            summaries.append(f"secret {first.secret} {what} is {state or 'missing: the secret has no version'}"
                             + ("" if enabled else ", and no version of it is enabled"))
            bad.append(SecretVersionFix(facts.project, facts.secret, vid or wanted, state, wanted, variables,
                                        enabled[0] if enabled else None))
    if bad:
        b = bad[0]
        return failed(
            f"{obs.target.kind.capitalize()} {obs.target.name} uses " + "; ".join(summaries)
            + ": new instances cannot resolve it, so new revisions fail to start.",
            evidence,
            {**base_params(obs), "secret": b.secret, "secret_project": b.project, "version": b.version,
             "state": b.state or "missing", "enabled_version": b.enabled or "none"},
            [(f"secret {v.secret} version {v.version}", "ENABLED", v.state or "no version") for v in bad],
            EnableSecretVersion(obs.target, tuple(bad)),
        )
    if doubts:
        return CheckResult.uncertain("Cannot tell whether the secret versions in use are enabled: "
                                     + "; ".join(doubts) + ".", *evidence)
    if not evidence:
        return CheckResult.skipped("None of the secrets the workload names exists.")
    return CheckResult.ok("Every secret version the workload uses is ENABLED.", *evidence)


CHECKS = (
    Check.reporting("secret-not-accessible", probes=(RUN_CONFIG, SERVING, PROJECT, SECRETS, IAM),
                    judge=secret_not_accessible),
    Check.reporting("secret-version-not-enabled", probes=(RUN_CONFIG, SECRETS),
                    judge=secret_version_not_enabled),
)
