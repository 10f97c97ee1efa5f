"""The stable ids of ../shared/spec/root-causes.md, in catalog order (upstream causes first)."""

from __future__ import annotations

SYMPTOMS: tuple[str, ...] = (
    "socket-not-found",
    "connection-refused",
    "connection-timeout",
    "not-authorized",
    "api-disabled",
    "auth-failed",
    "database-missing",
    "too-many-connections",
    "config-rejected",
    "deploy-not-ready",
    "unknown",
)

ROOT_CAUSES: tuple[str, ...] = (
    "sqladmin-api-disabled",
    "latest-revision-not-ready",
    "cloudsql-not-attached",
    "connection-name-malformed",
    "connection-name-mismatch",
    "instance-not-found",
    "socket-path-too-long",
    "missing-cloudsql-client-role",
    "instance-stopped",
    "instance-not-runnable",
    "private-ip-without-vpc-egress",
    "vpc-network-mismatch",
    "all-traffic-egress-to-public-ip",
    "app-uses-localhost-tcp",
    "app-uses-public-ip-unauthorized",
    "ssl-required-for-direct-tcp",
    "connector-enforcement-blocks-direct",
    "socket-path-wrong-for-engine",
    "dsn-rejected-by-validator",
    "secret-not-accessible",
    "database-not-found",
    "db-user-not-found",
    "password-authentication-failed",
    "too-many-connections",
    "admin-api-quota-exceeded",
    # Added causes (root-causes.md, "Added causes"), in the spec's order (admin-api-unreachable-from-vpc
    # and vpc-subnet-wrong-region are not built here: they go before and after secret-version-not-enabled).
    "instance-not-accessible",
    "driver-lacks-unix-socket",
    "dsn-socket-param-ignored",
    "password-not-url-encoded",
    "sidecar-proxy-not-ready",
    "iam-db-user-missing",
    "missing-cloudsql-instance-user-role",
    "iam-authentication-flag-off",
    "run-instance-connection-limit",
    "stale-pooled-connections",
    # Issue 12 (root-causes.md "Added causes", in the spec's order): the VPC itself and secrets.
    "admin-api-unreachable-from-vpc",
    "secret-version-not-enabled",
    "vpc-subnet-wrong-region",
)

# The one cause an operator-typed authorized network can address (and only with that input).
NETWORK_CAUSE = "app-uses-public-ip-unauthorized"

FINDINGS: tuple[str, ...] = (
    "authorized-networks-open-to-world",
    "plaintext-secret-in-env",
    "overprivileged-runtime-sa",
    "public-ip-allows-unencrypted",
    # Added: the app's database is a read replica (issue 11).
    "app-database-is-read-replica",
)

FINDING_SEVERITY: dict[str, str] = {
    "authorized-networks-open-to-world": "critical",
    "plaintext-secret-in-env": "warning",
    "overprivileged-runtime-sa": "warning",
    "public-ip-allows-unencrypted": "warning",
    "app-database-is-read-replica": "warning",
}


def cause_rank(cause_id: str) -> int:
    """Position in the catalog; unknown ids sort last (new ids are appended, never renamed)."""
    try:
        return ROOT_CAUSES.index(cause_id)
    except ValueError:
        return len(ROOT_CAUSES)
