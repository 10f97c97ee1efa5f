"""Every check, registered by id: one per root cause and finding of the catalog."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from troubleshooter.checks import (
    access,
    api,
    app,
    attachment,
    database,
    findings,
    iam,
    instance,
    methods,
    network,
    replica,
    revision,
    secrets,
)
from troubleshooter.checks.base import Check

# Catalog order: upstream causes first, findings last.
ALL: tuple[Check, ...] = (
    *api.CHECKS,
    *revision.CHECKS[:1],
    *attachment.CHECKS,
    *iam.CHECKS,
    *instance.CHECKS,
    *network.CHECKS,
    *app.CHECKS,
    *secrets.CHECKS[:1],  # secret-not-accessible
    *database.CHECKS,
    *access.CHECKS,       # added causes follow the first catalog, in the spec's order
    *methods.CHECKS,
    *secrets.CHECKS[1:],  # secret-version-not-enabled (an added cause, after the others)
    *findings.CHECKS,
    *replica.CHECKS,
)

REGISTRY: Mapping[str, Check] = MappingProxyType({c.id: c for c in ALL})

__all__ = ["ALL", "REGISTRY", "Check"]
