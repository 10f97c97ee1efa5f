"""A project's IAM policy: which roles a service account holds, and under what condition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Sequence

from troubleshooter.facts.cel import Verdict, evaluate

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


# What IAM hands a Cloud SQL permission check (cloudsql.instances.connect/get) as `resource`:
# Cloud SQL's IAM Conditions docs use resource.name "projects/PROJECT/instances/INSTANCE",
# resource.type "sqladmin.googleapis.com/Instance" and resource.service "sqladmin.googleapis.com".
SQL_RESOURCE_TYPE = "sqladmin.googleapis.com/Instance"
SQL_SERVICE = "sqladmin.googleapis.com"


@dataclass(frozen=True)
class Grant:
    """One binding of a role to the member, with its condition (None when unconditional)."""

    role: str
    condition: dict[str, Any] | None

    @property
    def expression(self) -> str:
        return (self.condition or {}).get("expression", "")

    def applies(self, project: str, instance: str | None, now: datetime | None = None) -> Verdict:
        """Does this grant hold for a Cloud SQL call on projects/PROJECT/instances/INSTANCE?

        The condition is evaluated as CEL (troubleshooter.facts.cel) over the attributes IAM
        gives Cloud SQL; an expression that does not parse, or reads something we cannot know
        (tags, api attributes, an unknown function), is None: unknown, never guessed.
        """
        if not self.condition:
            return Verdict(True)
        if not instance:
            return Verdict(None, "the instance is not known")
        return evaluate(self.expression, {
            "resource": {"name": f"projects/{project}/instances/{instance}",
                         "type": SQL_RESOURCE_TYPE, "service": SQL_SERVICE},
            "request": {"time": now or datetime.now(timezone.utc)},
        })


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
