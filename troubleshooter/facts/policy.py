"""A project's IAM policy: which roles a service account holds, and under what condition."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

# Roles that carry cloudsql.instances.connect + get (the Cloud Run connection needs both).
CLIENT_ROLES = (
    "roles/cloudsql.client",
    "roles/cloudsql.editor",
    "roles/cloudsql.admin",
    "roles/editor",
    "roles/owner",
)
BROAD_ROLES = ("roles/editor", "roles/owner")


def sa_is_known(sa: str) -> bool:
    """False when the default SA could not be filled in (project number unreadable)."""
    return bool(sa) and "@" in sa and not sa.startswith(("-", "@")) and "PROJECT_NUMBER" not in sa


@dataclass(frozen=True)
class Grant:
    """One binding of a role to the member, with its condition (None when unconditional)."""

    role: str
    condition: dict[str, Any] | None

    @property
    def expression(self) -> str:
        return (self.condition or {}).get("expression", "")

    def covers(self, instance: str | None) -> bool:
        """Unconditional grants count; a condition only if it plausibly names the instance."""
        if not self.condition:
            return True
        if not instance:
            return False
        expr = self.condition.get("expression") or ""
        return bool(re.search(rf"(?<![a-z0-9-]){re.escape(instance)}(?![a-z0-9-])", expr))


@dataclass(frozen=True)
class Policy:
    """Typed reads of one `getIamPolicy` answer; `raw` is the API JSON."""

    project: str
    raw: dict[str, Any]

    @property
    def resource(self) -> str:
        return f"projects/{self.project}"

    def _names(self, binding: dict[str, Any], sa: str) -> bool:
        return f"serviceAccount:{sa}".lower() in [m.lower() for m in binding.get("members") or []]

    def grants(self, sa: str, roles: Sequence[str]) -> list[Grant]:
        """Bindings of `roles` that name `serviceAccount:sa` (deleted members excluded)."""
        return [Grant(b["role"], b.get("condition") or None)
                for b in self.raw.get("bindings") or []
                if b.get("role") in roles and self._names(b, sa)]

    def roles_of(self, sa: str) -> list[str]:
        """Every role bound to `serviceAccount:sa`, sorted."""
        return sorted({b.get("role") for b in self.raw.get("bindings") or [] if self._names(b, sa)})
