"""The probes, registered by id: each module's `PROBE`, listed here explicitly (no import magic)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from troubleshooter.probes import (
    app_settings,
    databases_users,
    iam,
    logs,
    network,
    project,
    run_config,
    secrets,
    service_usage,
    serving_revision,
    sql_instances,
)
from troubleshooter.probes.base import Probe

# Run order (all run at once; this is the order results are listed in). The ids are a
# contract: the decision graph and the checks name them.
ALL_PROBES: tuple[Probe, ...] = (
    run_config.PROBE,
    secrets.PROBE,
    serving_revision.PROBE,
    project.PROBE,
    app_settings.PROBE,
    sql_instances.PROBE,
    iam.PROBE,
    service_usage.PROBE,
    databases_users.PROBE,
    logs.PROBE,
    network.PROBE,
)

REGISTRY: Mapping[str, Probe] = MappingProxyType({p.id: p for p in ALL_PROBES})

__all__ = ["ALL_PROBES", "REGISTRY", "Probe"]
