"""Cloud SQL instance patches: bodies with only the changed fields; network allow-list safety."""

from __future__ import annotations

import ipaddress
from typing import Any, Callable

from troubleshooter.fixes.base import ApplyOutcome, Progress, Refused
from troubleshooter.gateway import Gateway

# Wider than this needs the operator to have typed it; /0../8 is "open to the world", never.
NARROWEST_WITHOUT_CONSENT = 24
OPEN_TO_WORLD = 8
# IPv6: a /64 is one subnet; a /32 or wider is an ISP's whole allocation (2001:db8::/16, ::/0),
# as open as 0.0.0.0/0 is for IPv4.
NARROWEST_WITHOUT_CONSENT_V6 = 64
OPEN_TO_WORLD_V6 = 32
# IPv6 ranges that carry IPv4 addresses, and how many leading bits come before the IPv4 part:
# IPv4-mapped (RFC 4291 2.5.5.2), IPv4-compatible (deprecated), NAT64 (RFC 6052), 6to4 (RFC 3056).
# ::ffff:0:0/96 is all of IPv4: it must be refused like 0.0.0.0/0.
_EMBEDS_V4: tuple[tuple[ipaddress.IPv6Network, int], ...] = (
    (ipaddress.IPv6Network("::ffff:0:0/96"), 96),
    (ipaddress.IPv6Network("::/96"), 96),
    (ipaddress.IPv6Network("64:ff9b::/96"), 96),
    (ipaddress.IPv6Network("2002::/16"), 16),
)


def _as_v4(net: ipaddress.IPv6Network) -> ipaddress.IPv4Network | None:
    """The IPv4 range an IPv6 range stands for (::ffff:10.0.0.0/104 -> 10.0.0.0/8), else None."""
    for block, offset in _EMBEDS_V4:
        if net.prefixlen >= block.prefixlen and net.subnet_of(block):
            bits = int(net.network_address) >> (128 - offset - 32) & 0xFFFFFFFF
            prefix = min(net.prefixlen - offset, 32)
            return ipaddress.IPv4Network((bits, prefix), strict=False)
    return None


def check_network(cidr: str, *, typed_by_user: bool) -> str:
    """The network normalised (`10.0.0.1/32`), or a refusal saying why it is too wide. The width
    rule holds for IPv4, for IPv6, and for IPv6 ranges that embed IPv4 (judged as that IPv4 range)."""
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        raise Refused(f"{cidr!r} is not an IP network (expected e.g. 203.0.113.7/32)") from None
    judged: ipaddress.IPv4Network | ipaddress.IPv6Network = net
    if isinstance(net, ipaddress.IPv6Network):
        judged = _as_v4(net) or net
    if isinstance(judged, ipaddress.IPv4Network):
        open_to_world, needs_consent = judged.prefixlen <= OPEN_TO_WORLD, judged.prefixlen < NARROWEST_WITHOUT_CONSENT
        narrowest = NARROWEST_WITHOUT_CONSENT
    else:
        open_to_world = judged.prefixlen <= OPEN_TO_WORLD_V6
        needs_consent = judged.prefixlen < NARROWEST_WITHOUT_CONSENT_V6
        narrowest = NARROWEST_WITHOUT_CONSENT_V6
    same = "" if judged is net else f" (the IPv4 range {judged})"
    if open_to_world:
        raise Refused(
            f"refusing to authorize {net}{same}: it opens the database to the internet (the Saleor "
            "'temporary' 0.0.0.0/0). Use the /cloudsql socket or a Cloud SQL connector instead"
        )
    if needs_consent and not typed_by_user:
        raise Refused(
            f"refusing to authorize {net}{same}: wider than /{narrowest}. Type the exact "
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
