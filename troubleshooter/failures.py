"""ApiFailure: a failed Google Cloud call, by kind, explained in one line. Imports no Google client."""

from __future__ import annotations

from typing import Any

from troubleshooter.apis import DEFAULT_HOSTS, SERVICE_TITLES

FAILURE_KINDS = (
    "permission-denied",
    "api-disabled",
    "not-found",
    "timeout",
    "unreachable",
    "unauthenticated",
    "conflict",
    "quota",
    "invalid",
    "error",
)


class ApiFailure(Exception):
    """A failed Google Cloud call, typed so that it can be explained and never misread as a cause."""

    def __init__(
        self,
        kind: str,
        *,
        api: str,
        method: str,
        resource: str = "",
        message: str = "",
        permission: str | None = None,
        service: str | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(message or kind)
        self.kind = kind
        self.api = api
        self.method = method
        self.resource = resource
        self.message = message
        self.permission = permission
        self.service = service
        self.code = code

    def explain(self) -> str:
        """One line saying what failed and what it would take to see it."""
        where = f"{self.api} {self.method}" + (f" on {self.resource}" if self.resource else "")
        if self.kind == "permission-denied":
            need = f"permission {self.permission}" if self.permission else "a permission"
            return f"missing {need} ({where})"
        if self.kind == "api-disabled":
            svc = self.service or DEFAULT_HOSTS.get(self.api, self.api)
            return f"{SERVICE_TITLES.get(svc, svc)} ({svc}) is disabled ({where})"
        if self.kind == "not-found":
            return f"not found: {self.resource or where}"
        if self.kind == "timeout":
            return f"timed out ({where})"
        if self.kind == "unreachable":
            return f"could not reach the API ({where}): {self.message}"
        if self.kind == "unauthenticated":
            return (
                "no valid credentials: run `gcloud auth application-default login` "
                f"({where})"
            )
        if self.kind == "conflict":
            return f"concurrent change, resource changed since it was read ({where})"
        if self.kind == "quota":
            return f"quota or rate limit exceeded ({where})"
        return f"{where} failed: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "api": self.api,
            "method": self.method,
            "resource": self.resource,
            "permission": self.permission,
            "service": self.service,
            "explanation": self.explain(),
        }
