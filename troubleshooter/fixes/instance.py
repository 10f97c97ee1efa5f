"""Cloud SQL instance patches: bodies with only the changed fields; network allow-list safety."""

from __future__ import annotations

import ipaddress
from typing import Any, Callable

from troubleshooter.fixes.base import ApplyOutcome, Progress, Refused
from troubleshooter.gateway import Gateway

# Wider than this needs the operator to have typed it; /0../8 is "open to the world", never.
NARROWEST_WITHOUT_CONSENT = 24
OPEN_TO_WORLD = 8


def check_network(cidr: str, *, typed_by_user: bool) -> str:
    """The network normalised (`10.0.0.1/32`), or a refusal saying why it is too wide."""
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        raise Refused(f"{cidr!r} is not an IP network (expected e.g. 203.0.113.7/32)") from None
    if net.prefixlen <= OPEN_TO_WORLD:
        raise Refused(
            f"refusing to authorize {net}: it opens the database to the internet (the Saleor "
            "'temporary' 0.0.0.0/0). Use the /cloudsql socket or a Cloud SQL connector instead"
        )
    if net.version == 4 and net.prefixlen < NARROWEST_WITHOUT_CONSENT and not typed_by_user:
        raise Refused(
            f"refusing to authorize {net}: wider than /{NARROWEST_WITHOUT_CONSENT}. Type the exact "
            "network yourself if you mean it (Cloud Run's egress IPs are dynamic: prefer the socket)"
        )
    return str(net)


def activation_body() -> dict[str, Any]:
    return {"settings": {"activationPolicy": "ALWAYS"}}


def networks_body(existing: list[dict[str, Any]], cidr: str, label: str) -> dict[str, Any]:
    """The whole authorizedNetworks list (a present list replaces it), existing entries kept as read."""
    if any(e.get("value") == cidr for e in existing):
        return {"settings": {"ipConfiguration": {"authorizedNetworks": list(existing)}}}
    entry = {"kind": "sql#aclEntry", "value": cidr, "name": label}
    return {"settings": {"ipConfiguration": {"authorizedNetworks": [*existing, entry]}}}


def authorized(instance: dict[str, Any]) -> list[dict[str, Any]]:
    return list(((instance.get("settings") or {}).get("ipConfiguration") or {}).get("authorizedNetworks") or [])


def patch(gateway: Gateway, project: str, instance: str,
          body_for: Callable[[dict[str, Any]], dict[str, Any] | None], progress: Progress,
          describe: str) -> ApplyOutcome:
    """Read the instance, build the body from it (only changed fields), patch, follow the operation."""
    before = gateway.get_instance(project, instance)
    version = (before.get("settings") or {}).get("settingsVersion", "?")
    progress(f"read instance {project}:{instance} (settingsVersion {version})")
    body = body_for(before)
    if body is None:
        return ApplyOutcome(False, f"instance {project}:{instance} already has the change; nothing written",
                            1, f"{project}:{instance}", before, before)
    after = gateway.patch_instance(project, instance, body, progress)
    return ApplyOutcome(True, f"patched instance {project}:{instance}: {describe}", 1,
                        f"{project}:{instance}", before, after)
