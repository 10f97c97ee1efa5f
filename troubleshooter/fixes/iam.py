"""Grant roles/cloudsql.client by read-modify-write of the project IAM policy, keeping everything else."""

from __future__ import annotations

import copy
from typing import Any

from troubleshooter.failures import ApiFailure
from troubleshooter.fixes.base import MAX_ATTEMPTS, ApplyOutcome, Progress, Refused
from troubleshooter.gateway import Gateway
from troubleshooter.remedies.commands import CLIENT_ROLE

# Least privilege: the only role a fix grants. Everything broader is refused, never "upgraded to".
ALLOWED_ROLES = frozenset({CLIENT_ROLE})
CONDITIONS_VERSION = 3


def check_role(role: str) -> None:
    if role not in ALLOWED_ROLES:
        raise Refused(
            f"refusing to grant {role}: a fix grants only {CLIENT_ROLE} (cloudsql.instances.connect "
            "and .get), never admin, editor or owner"
        )


def check_member(member: str) -> None:
    if not member.startswith("serviceAccount:") or "@" not in member:
        raise Refused(f"refusing to grant to {member!r}: expected serviceAccount:EMAIL of the runtime "
                      "service account")


def with_member(policy: dict[str, Any], role: str, member: str) -> dict[str, Any]:
    """The policy with `member` in an unconditional `role` binding; conditional bindings untouched."""
    out = copy.deepcopy(policy)
    bindings = out.setdefault("bindings", [])
    plain = next((b for b in bindings if b.get("role") == role and not b.get("condition")), None)
    if plain is None:
        bindings.append({"role": role, "members": [member]})
    elif member.lower() not in [m.lower() for m in plain.get("members") or []]:
        plain.setdefault("members", []).append(member)
    if any(b.get("condition") for b in bindings):
        # A policy with conditions written at version 1 is rejected (or loses them): keep 3.
        out["version"] = CONDITIONS_VERSION
    return out


def members_of(policy: dict[str, Any], role: str) -> list[str]:
    return [m for b in policy.get("bindings") or [] if b.get("role") == role and not b.get("condition")
            for m in b.get("members") or []]


def grant(gateway: Gateway, project: str, member: str, role: str, progress: Progress,
          *, attempts: int = MAX_ATTEMPTS) -> ApplyOutcome:
    """Add the binding with the etag read; on a concurrent change, re-read and add it again."""
    check_role(role)
    check_member(member)
    resource = f"projects/{project}"
    for attempt in range(1, attempts + 1):
        policy = gateway.get_iam_policy(project)
        progress(f"read policy etag {policy.get('etag', '')} of {resource} (attempt {attempt})")
        wanted = with_member(policy, role, member)
        if wanted == policy:
            return ApplyOutcome(False, f"{member} already holds {role} in {project}; nothing written",
                                attempt, resource, policy, policy)
        try:
            after = gateway.set_iam_policy(project, wanted)
        except ApiFailure as exc:
            if exc.kind != "conflict" or attempt == attempts:
                raise
            progress(f"the IAM policy of {resource} changed since it was read; "
                     "re-reading and adding the binding again")
            continue
        return ApplyOutcome(True, f"granted {role} to {member} in {project}", attempt, resource, policy, after)
    raise AssertionError("unreachable")  # pragma: no cover

