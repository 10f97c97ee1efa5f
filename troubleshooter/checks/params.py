"""What every fix's params start with: the target, and the instance a fix acts on."""

from __future__ import annotations

from typing import Any

from troubleshooter.facts.instance import Instance
from troubleshooter.facts.names import clean
from troubleshooter.facts.read import Facts
from troubleshooter.model import InstanceRef


def base_params(obs: Facts) -> dict[str, Any]:
    """Target fields every fix command needs."""
    t = obs.target
    out: dict[str, Any] = {"project": t.project, "region": t.region, "kind": t.kind, "name": t.name}
    out[t.kind] = t.name
    return out


def instance_params(inst: Instance | None, ref: InstanceRef | None = None) -> dict[str, Any]:
    if inst is not None:
        return {
            "instance": inst.raw.get("name", ref.instance if ref else ""),
            "instance_project": inst.raw.get("project", ref.project if ref else ""),
            "connection_name": inst.raw.get("connectionName", ""),
        }
    if ref is not None:
        return {
            "instance": ref.instance,
            "instance_project": ref.project,
            "connection_name": clean(ref.connection_name),
        }
    return {}
