"""Helpers the probes share: reading v2 templates, splitting connection names, settling fetches."""

from __future__ import annotations

import ipaddress
from concurrent.futures import Future
from typing import Any, Iterable, Mapping, Sequence, TypeVar

from troubleshooter.dsn.connections import AppConnection
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.names import clean as clean_name
from troubleshooter.failures import ApiFailure
from troubleshooter.model import Condition, InstanceRef
from troubleshooter.probes.base import ProbeContext

T = TypeVar("T")



def settle(fut: Future[T]) -> tuple[T | None, ApiFailure | None]:
    """The value of a fetch, or the ApiFailure that stopped it (other errors propagate)."""
    try:
        return fut.result(), None
    except ApiFailure as failure:
        return None, failure


def record(ctx: ProbeContext, key: FactKey, failure: ApiFailure) -> ApiFailure:
    """Note in the observations why the fact under `key` is unknown; return the failure."""
    ctx.obs.fail(key, failure)
    return failure


# --------------------------------------------------------------------------- v2 templates


def conditions(raw: Iterable[Mapping[str, Any]] | None) -> tuple[Condition, ...]:
    return tuple(condition(c) for c in raw or ())


def condition(c: Mapping[str, Any]) -> Condition:
    # Run v2 puts the reason in one of three oneof fields depending on the resource kind.
    return Condition(
        type=str(c.get("type", "")),
        state=str(c.get("state", "")),
        message=str(c.get("message", "")),
        reason=str(c.get("reason") or c.get("executionReason") or ""),
        revision_reason=str(c.get("revisionReason", "")),
        severity=str(c.get("severity", "")),
    )


def ready_from(conds: Sequence[Condition], kind: str = "Ready") -> bool | None:
    """True/False when the `kind` condition has settled, None while it is pending or absent."""
    for c in conds:
        if c.type == kind:
            if c.state == "CONDITION_SUCCEEDED":
                return True
            if c.state == "CONDITION_FAILED":
                return False
            return None
    return None


def cloudsql_volumes(template: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [v for v in template.get("volumes") or () if "cloudSqlInstance" in v]


def attached_names(template: Mapping[str, Any]) -> tuple[str, ...]:
    """`volumes[].cloudSqlInstance.instances[]` exactly as stored (a trailing `\\r` matters)."""
    return tuple(
        name
        for v in cloudsql_volumes(template)
        for name in (v.get("cloudSqlInstance") or {}).get("instances") or ()
    )


def merged_env(template: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """Every container's env entries, raw, in container order (sidecars can carry the DSN too)."""
    return tuple(dict(e) for c in template.get("containers") or () for e in c.get("env") or ())


# --------------------------------------------------------------------------- connection names


def split_connection_name(name: str, default_project: str) -> InstanceRef:
    """`project:region:instance` into its parts, tolerating what users get wrong.

    Domain-scoped projects (`example.com:proj:region:inst`) keep their colon. Two parts are read
    as `project:instance`; one part (a bare instance name, or nothing at all) is looked for in
    the target's project, so the instance can still be found and its real name suggested.
    """
    # The byte-exact original stays in InstanceRef.connection_name so checks can show it.
    clean = clean_name(name)
    parts = clean.split(":")
    if len(parts) >= 3:
        project, region, instance = ":".join(parts[:-2]), parts[-2], parts[-1]
    elif len(parts) == 2 and parts[0]:
        project, region, instance = parts[0], None, parts[1]
    else:
        project, region, instance = default_project, None, parts[-1]
    return InstanceRef(
        connection_name=name,
        project=project or default_project,
        region=region or None,
        instance=instance,
        cleaned=clean != name,
    )


def ip_literal(host: str | None) -> str | None:
    """`host` as a normalised IP address string, or None if it is a name or a socket path."""
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def app_ip_hosts(app: Iterable[AppConnection] | None) -> list[str]:
    """The IP literals the app dials directly (DSN hosts that are addresses)."""
    out: list[str] = []
    for conn in app or ():
        dsn = conn.dsn
        # Loopback is "localhost" to the parser: a proxy question, not an instance address.
        ip = ip_literal(dsn.host) if dsn is not None and dsn.host_kind == "ip" else None
        if ip and ip not in out:
            out.append(ip)
    return out


def ip_matched_refs(
    ips: Iterable[str], listed: Iterable[Mapping[str, Any]], known: Iterable[str] = ()
) -> list[tuple[InstanceRef, dict[str, Any]]]:
    """Instances owning one of `ips` (from instances.list), as refs with their resource.

    An app that dials a public IP names no instance; this is how the instance is found anyway.
    Refs whose key is in `known` are left out (the instance is already referenced by name).
    """
    wanted = set(ips)
    seen = set(known)
    out: list[tuple[InstanceRef, dict[str, Any]]] = []
    for inst in listed:
        addrs = {ip_literal(a.get("ipAddress")) for a in inst.get("ipAddresses") or ()}
        if not wanted & addrs:
            continue
        ref = InstanceRef(
            connection_name=str(inst.get("connectionName") or ""),
            project=str(inst.get("project") or ""),
            region=inst.get("region"),
            instance=str(inst.get("name") or ""),
            cleaned=False,
        )
        if ref.key not in seen and ref.instance:
            seen.add(ref.key)
            out.append((ref, dict(inst)))
    return out


def lookup_refs(refs: Iterable[InstanceRef]) -> list[InstanceRef]:
    """The refs that name something to look up (an empty variable names no instance)."""
    return [r for r in refs if r.instance and r.project]


def projects_of(target_project: str, refs: Iterable[InstanceRef]) -> list[str]:
    """The target's project first, then every instance's project, once each."""
    out = [target_project]
    for r in lookup_refs(refs):
        if r.project not in out:
            out.append(r.project)
    return out
