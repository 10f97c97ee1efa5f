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
    vpc,
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
    # Issue 12's added causes, in the spec's order: the VPC's Admin API path, a secret version
    # that is not enabled, the VPC subnet's region.
    vpc.CHECKS[0],        # admin-api-unreachable-from-vpc
    *secrets.CHECKS[1:],  # secret-version-not-enabled
    *vpc.CHECKS[1:],      # vpc-subnet-wrong-region
    *findings.CHECKS,
    *replica.CHECKS,
)

REGISTRY: Mapping[str, Check] = MappingProxyType({c.id: c for c in ALL})

__all__ = ["ALL", "REGISTRY", "Check"]
