"""Probe `secrets`: every Secret Manager secret the workload names, as Secret Manager has it.

Which secrets: the template's env (`valueSource.secretKeyRef`: a bare name, `projects/ID/...` or
`projects/NUMBER/...`) and its secret volumes (`volumes[].secret`), from `run-config`. Nothing
is read when the workload names no secret. For each secret, all at once (Secret Manager v1,
REST): `secrets.get`, `secrets.versions.list` (each version's state: ENABLED, DISABLED,
DESTROYED; `latest` is the newest, whatever its state) and `secrets.getIamPolicy` (who may read
it), into `obs.secrets["P/S"]`; the policy of a secret's project when it is not the target's.
None of these returns a payload.

Payloads only with the operator's consent (`--read-secrets`, the TUI's yes, `obs.read_secrets`),
and only of env variables that say where the app connects (dsn roles url, host, port, socket
path, connection name; never a password alone): `versions.access`, in
parallel with the reads above. Each text is registered with troubleshooter.redact (masked if it
ever reached an output) and handed to `app-settings` in `obs.secret_payloads`, which parses it
and drops it; what stays is "read from secret S, version N" (`obs.secret_reads`).

Permissions: `secretmanager.secrets.get`, `secretmanager.versions.list`,
`secretmanager.secrets.getIamPolicy`; with consent `secretmanager.versions.access`.
Outcome: SKIPPED when nothing names a secret (or the target could not be read); UNCERTAIN when
a read failed (a missing secret is a fact, recorded under `secret:P:S`).
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from troubleshooter.dsn.roles import env_role
from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.secrets import SecretFacts, SecretUse, access_grants, secret_uses, version_id
from troubleshooter.failures import ApiFailure
from troubleshooter.model import Evidence, InstanceRef, Outcome, ProbeResult
from troubleshooter.probes.base import Probe, ProbeContext
from troubleshooter.probes.common import lookup_refs, record, settle, split_connection_name
from troubleshooter.redact import register_secret

ID = sources.SECRETS


def named_uses(ctx: ProbeContext) -> list[SecretUse]:
    """The secrets the target's template names, projects given as numbers turned into ids."""
    cfg = ctx.obs.run
    if cfg is None:
        return []
    target = ctx.target.project
    number = ctx.obs.project_numbers.get(target)
    uses = secret_uses(cfg.raw, cfg.template_path, target)
    if number:
        uses = [SecretUse(target, u.secret, u.version, u.where, u.variable) if u.project == number else u
                for u in uses]
    return uses


# The settings whose value decides where and how the app connects (a URL, host, port, socket or
# connection name); a user or password alone decides none of the checks that stay undecided.
DECIDING_ROLES = ("url", "host", "port", "socket-path", "connection-name")


def payload_uses(uses: list[SecretUse]) -> list[SecretUse]:
    """Env uses whose variable says where the app connects: the only payloads worth reading."""
    return [u for u in uses if u.variable is not None and env_role(u.variable) in DECIDING_ROLES]


def waits_for_secrets(ctx: ProbeContext) -> bool:
    """True when app-settings will wait for this probe (consent, and a deciding setting in a
    secret): the probes behind app-settings then start their attachment-known reads early."""
    cfg = ctx.obs.run
    return bool(ctx.obs.read_secrets and cfg is not None and any(
        isinstance(e.get("name"), str) and env_role(e["name"]) in DECIDING_ROLES
        and ((e.get("valueSource") or {}).get("secretKeyRef") or (e.get("valueFrom") or {}).get("secretKeyRef"))
        for e in cfg.env))


def attached_refs(ctx: ProbeContext) -> list[InstanceRef]:
    """The instances the attachment names (known once run-config is read), to fetch early."""
    cfg = ctx.obs.run
    if cfg is None:
        return []
    return lookup_refs(split_connection_name(n, ctx.target.project) for n in cfg.attached)


def run(ctx: ProbeContext) -> ProbeResult:
    ctx.wait_for(sources.RUN_CONFIG)
    if ctx.obs.run is None:
        return ProbeResult(ID, Outcome.SKIPPED, "the Cloud Run configuration could not be read")
    uses = named_uses(ctx)
    with ctx.obs.lock:
        ctx.obs.secret_uses = uses
    if not uses:
        return ProbeResult(ID, Outcome.SKIPPED, "the workload names no Secret Manager secret")
    gw = ctx.gateway
    secrets: dict[str, SecretUse] = {}
    for u in uses:
        secrets.setdefault(u.key, u)
    reads: dict[str, tuple[Future[Any], Future[Any], Future[Any]]] = {}
    for key, u in secrets.items():
        reads[key] = (
            ctx.fetch.get(FactKey.secret(u.project, u.secret), lambda n=u.name: gw.get_secret(n)),
            ctx.fetch.get(FactKey.secret_versions(u.project, u.secret),
                          lambda n=u.name: gw.list_secret_versions(n)),
            ctx.fetch.get(FactKey.secret_iam(u.project, u.secret), lambda n=u.name: gw.get_secret_iam_policy(n)),
        )
    others = sorted({u.project for u in secrets.values()} - {ctx.target.project})
    project_policies = {p: ctx.fetch.get(FactKey.iam(p), lambda p=p: gw.get_iam_policy(p)) for p in others}
    payloads: dict[str, Future[tuple[str, str]]] = {}
    if ctx.obs.read_secrets:
        for u in payload_uses(uses):
            payloads[u.variable or ""] = ctx.fetch.get(
                FactKey.secret_payload(u.project, u.secret, u.version),
                lambda n=u.version_name: gw.access_secret_version(n))

    failures: list[ApiFailure] = []
    read_notes: list[str] = []
    for use in payload_uses(uses):
        fut = payloads.get(use.variable or "")
        if fut is None:
            continue
        got, failure = settle(fut)
        if failure is not None:
            failures.append(record(ctx, FactKey.secret_payload(use.project, use.secret, use.version), failure))
            continue
        assert got is not None
        name, text = got
        register_secret(text, owner=ctx.gateway)
        note = f"read from secret {use.secret}, version {version_id(name)}"
        with ctx.obs.lock:
            ctx.obs.secret_payloads[use.variable or ""] = text
            ctx.obs.secret_reads[use.variable or ""] = note
        read_notes.append(f"{use.variable}: {note}")
        del text, got

    sa = ctx.obs.run.service_account
    evidence: list[Evidence] = []
    for key, u in secrets.items():
        meta_f, versions_f, policy_f = reads[key]
        meta, f1 = settle(meta_f)
        versions, f2 = settle(versions_f)
        policy, f3 = settle(policy_f)
        for fkey, f in ((FactKey.secret(u.project, u.secret), f1),
                        (FactKey.secret_versions(u.project, u.secret), f2),
                        (FactKey.secret_iam(u.project, u.secret), f3)):
            if f is not None:
                record(ctx, fkey, f)
                if f.kind != "not-found":
                    failures.append(f)
        facts = SecretFacts(u.project, u.secret, meta, tuple(versions) if versions is not None else None, policy)
        with ctx.obs.lock:
            ctx.obs.secrets[key] = facts
        evidence.extend(_evidence(facts, sa, [x for x in uses if x.key == key]))
    for project, fut in project_policies.items():
        policy, failure = settle(fut)
        if failure is not None:
            failures.append(record(ctx, FactKey.iam(project), failure))
            continue
        with ctx.obs.lock:
            ctx.obs.iam.setdefault(project, policy)  # type: ignore[arg-type]

    consent = ("; payloads " + (f"read with consent ({', '.join(read_notes)})" if read_notes else "not needed")
               if ctx.obs.read_secrets else "; payloads not read (no consent)")
    summary = f"{len(secrets)} secret(s) named by {len(uses)} env var(s)/volume(s){consent}"
    if failures:
        return ProbeResult(ID, Outcome.UNCERTAIN, summary, evidence, failures)
    return ProbeResult(ID, Outcome.OK, summary, evidence)


def _evidence(facts: SecretFacts, sa: str, uses: list[SecretUse]) -> list[Evidence]:
    name = f"projects/{facts.project}/secrets/{facts.secret}"
    out = []
    if facts.versions is not None:
        states = [f"{version_id(str(v.get('name', '')))}={v.get('state', 'ENABLED')}" for v in facts.versions]
        wanted = ", ".join(sorted({f"{u.where} wants {u.version}" for u in uses}))
        out.append(Evidence(ID, "versions[].state", states or "no versions", sources.SECRET_API, name, wanted))
    if facts.policy is not None:
        roles = [b.get("role") for b in access_grants(facts.policy, sa)] if sa else []
        out.append(Evidence(ID, "iamPolicy.bindings", roles or "none", sources.SECRET_API, name,
                            f"secret-level access roles of serviceAccount:{sa}" if sa
                            else "the runtime service account is unknown"))
    return out


PROBE = Probe(id=ID, title="Secret Manager secrets", needs=(sources.RUN_CONFIG,), run=run)
