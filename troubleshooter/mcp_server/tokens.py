"""Plan tokens: `apply_fix` runs only the exact plan `plan_fix` showed, on the resource as it was then.

A token is an HMAC (with a key this server process drew at start, so no other process can mint
one) over the target, the cause, the plan's commands and change, and a version of the resource the
plan changes: its etag (Cloud Run, IAM policy, Cloud SQL instance), or a digest of what was read
where there is none (a Service Usage state). `apply_fix` plans again from fresh reads; if anything
moved, the token no longer matches and the plan is refused as stale.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from troubleshooter.fixes.base import FixPlan
from troubleshooter.gateway import Gateway
from troubleshooter.model import Target

_RUN = re.compile(r"^projects/([^/]+)/locations/([^/]+)/(services|jobs)/([^/]+)$")
_USAGE = re.compile(r"^projects/([^/]+)/services/([^/]+)$")
_PROJECT = re.compile(r"^projects/([^/]+)$")


def resource_version(gateway: Gateway, resource: str) -> str:
    """The etag (or a digest) of the resource a plan changes, read now; raises ApiFailure."""
    raw: dict[str, Any]
    if m := _RUN.match(resource):
        project, region, kind, name = m.groups()
        raw = (gateway.get_job if kind == "jobs" else gateway.get_service)(project, region, name)
    elif m := _USAGE.match(resource):
        raw = gateway.get_service_state(*m.groups())
    elif m := _PROJECT.match(resource):
        raw = gateway.get_iam_policy(m.group(1))
    elif ":" in resource:
        project, _, instance = resource.rpartition(":")
        raw = gateway.get_instance(project, instance)
    else:
        return ""
    etag = raw.get("etag")
    if etag:
        return f"etag:{etag}"
    return "sha256:" + hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()


class PlanTokens:
    """Mints and verifies the tokens of one server process."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def mint(self, target: Target, plan: FixPlan, version: str) -> str:
        body = json.dumps({
            "target": target.as_dict(), "cause": plan.cause, "fix": plan.fix_id,
            "commands": plan.commands, "change": [list(map(str, row)) for row in plan.change],
            "resource": plan.resource, "version": version,
        }, sort_keys=True)
        return "tsp1." + hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()

    def verify(self, token: str, target: Target, plan: FixPlan, version: str) -> bool:
        return hmac.compare_digest(token.encode(), self.mint(target, plan, version).encode())
