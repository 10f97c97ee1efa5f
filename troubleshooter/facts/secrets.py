"""Secret Manager as the checks read it: which secrets the workload names, their versions, who may read.

`secret_uses` reads a Cloud Run v2 template (env `valueSource.secretKeyRef`, secret volumes)
into SecretUse, each naming the secret's project and id whichever form Cloud Run holds (a bare
name, `projects/ID/secrets/S`, `projects/NUMBER/secrets/S`). `SecretFacts` is what the
`secrets` probe read about one secret (metadata, versions, IAM policy, never a payload).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from troubleshooter.facts.cel import Verdict, evaluate

# Roles that carry secretmanager.versions.access (IAM roles reference, Secret Manager roles:
# secretAccessor "Allows accessing the payload of secrets", admin `secretmanager.*`; owner holds
# every permission). The basic Editor role does not include versions.access.
ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"
ACCESS_ROLES = (ACCESSOR_ROLE, "roles/secretmanager.admin", "roles/owner")
ACCESS_PERMISSION = "secretmanager.versions.access"
SECRET_RESOURCE_TYPE = "secretmanager.googleapis.com/Secret"
SECRET_SERVICE = "secretmanager.googleapis.com"


@dataclass(frozen=True)
class SecretUse:
    """One place the workload takes a secret: an env var or a volume file, and the version it wants."""

    project: str        # as Cloud Run names it (id or number); the target's project for a bare name
    secret: str         # the secret id
    version: str        # a number or "latest"
    where: str          # "env PG_DATABASE_URL" | "volume db-creds (/secrets/db)"
    variable: str | None = None  # the env var, for env uses

    @property
    def key(self) -> str:
        return f"{self.project}/{self.secret}"

    @property
    def name(self) -> str:
        return f"projects/{self.project}/secrets/{self.secret}"

    @property
    def version_name(self) -> str:
        return f"{self.name}/versions/{self.version}"


def split_secret(ref: str, default_project: str) -> tuple[str, str]:
    """(project, secret id) of a secretKeyRef.secret: bare, projects/P/secrets/S (id or number)."""
    parts = ref.strip().split("/")
    if len(parts) >= 4 and parts[0] == "projects" and parts[2] == "secrets":
        return parts[1], parts[3]
    return default_project, parts[-1]


def _template(raw: Mapping[str, Any], template_path: str) -> Mapping[str, Any]:
    node: Any = raw
    for part in template_path.split("."):
        node = (node or {}).get(part) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def secret_uses(raw: Mapping[str, Any], template_path: str, default_project: str,
                env: Iterable[Mapping[str, Any]] = ()) -> list[SecretUse]:
    """Every secret the template's env and secret volumes name, in order, once per place."""
    out: list[SecretUse] = []
    template = _template(raw, template_path)
    envs: list[Mapping[str, Any]] = list(env)
    for c in template.get("containers") or ():
        for e in c.get("env") or ():
            if e not in envs:
                envs.append(e)
    for e in envs:
        ref = (e.get("valueSource") or {}).get("secretKeyRef") or {}
        if ref.get("secret"):
            project, secret = split_secret(str(ref["secret"]), default_project)
            use = SecretUse(project, secret, str(ref.get("version") or "latest"), f"env {e.get('name')}",
                            str(e.get("name") or "") or None)
            if use not in out:
                out.append(use)
    mounts = {m.get("name"): m.get("mountPath") for c in template.get("containers") or ()
              for m in c.get("volumeMounts") or ()}
    for v in template.get("volumes") or ():
        sec = v.get("secret") or {}
        if not sec.get("secret"):
            continue
        project, secret = split_secret(str(sec["secret"]), default_project)
        where = f"volume {v.get('name')}" + (f" ({mounts[v.get('name')]})" if mounts.get(v.get("name")) else "")
        items = sec.get("items") or [{}]
        for item in items:
            use = SecretUse(project, secret, str(item.get("version") or "latest"), where)
            if use not in out:
                out.append(use)
    return out


def version_id(name: str) -> str:
    return name.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class SecretFacts:
    """What was read about one secret: its metadata, versions (newest first) and IAM policy."""

    project: str
    secret: str
    meta: dict[str, Any] | None = None
    versions: tuple[dict[str, Any], ...] | None = None
    policy: dict[str, Any] | None = field(default=None)

    def resolve(self, version: str) -> dict[str, Any] | None:
        """The version `version` names: `latest` is the most recently created, whatever its state."""
        if self.versions is None:
            return None
        if version == "latest":
            return self.versions[0] if self.versions else None
        return next((v for v in self.versions if version_id(str(v.get("name", ""))) == version), None)

    def enabled(self) -> list[str]:
        return [version_id(str(v.get("name", ""))) for v in self.versions or ()
                if (v.get("state") or "ENABLED") == "ENABLED"]


def member_of(sa: str) -> str:
    return f"serviceAccount:{sa}".lower()


def access_grants(policy: Mapping[str, Any] | None, sa: str) -> list[dict[str, Any]]:
    """Bindings that give `sa` versions.access directly (an access role naming the SA)."""
    return [b for b in (policy or {}).get("bindings") or ()
            if b.get("role") in ACCESS_ROLES and member_of(sa) in [str(m).lower() for m in b.get("members") or ()]]


def indirect_grants(policy: Mapping[str, Any] | None, sa: str) -> list[str]:
    """Bindings that might give `sa` access without naming it: an access role to a group or
    domain, or a custom role bound to the SA (its permissions are not read)."""
    out = []
    for b in (policy or {}).get("bindings") or ():
        role = str(b.get("role") or "")
        members = [str(m).lower() for m in b.get("members") or ()]
        # A group's owners are people: only Secret Manager's own roles to a group might be the SA's.
        if role in ACCESS_ROLES[:2] and any(m.startswith(("group:", "domain:", "principalset:")) for m in members):
            out.append(f"{role} to {', '.join(m for m in members if not m.startswith('serviceaccount:'))}")
        elif "/roles/" in role and member_of(sa) in members:
            out.append(f"custom role {role}")
    return out


def condition_holds(binding: Mapping[str, Any], secret_name: str, version: str) -> Verdict:
    """Does a conditional binding hold for AccessSecretVersion on this secret's version?

    IAM hands Secret Manager conditions resource.name `projects/NUMBER/secrets/S/versions/V`
    (versions.access is checked on the version), resource.type
    `secretmanager.googleapis.com/SecretVersion`, resource.service `secretmanager.googleapis.com`
    (Secret Manager docs, "Access control with IAM Conditions").
    """
    cond = binding.get("condition") or {}
    if not cond:
        return Verdict(True)
    return evaluate(str(cond.get("expression") or ""), {
        "resource": {"name": f"{secret_name}/versions/{version}",
                     "type": "secretmanager.googleapis.com/SecretVersion", "service": SECRET_SERVICE},
        "request": {"time": datetime.now(timezone.utc)},
    })


def uses_by_secret(uses: Sequence[SecretUse]) -> dict[str, list[SecretUse]]:
    out: dict[str, list[SecretUse]] = {}
    for u in uses:
        out.setdefault(u.key, []).append(u)
    return out
