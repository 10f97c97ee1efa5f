"""A Cloud SQL instance as read from `instances.get` / `instances.list` (a DatabaseInstance)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from troubleshooter.facts import sources
from troubleshooter.model import Evidence

_ENGINES = (("POSTGRES", "postgres"), ("MYSQL", "mysql"), ("SQLSERVER", "sqlserver"))


def prefix_len(cidr: str) -> int | None:
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen
    except ValueError:
        return None


def is_open_network(cidr: str) -> bool:
    """/0../8: wide enough to hold Cloud Run's dynamic egress (and the rest of the internet)."""
    p = prefix_len(cidr)
    return p is not None and p <= 8


@dataclass(frozen=True)
class Instance:
    """Typed reads of one DatabaseInstance; `raw` is the API JSON as the probe stored it."""

    raw: dict[str, Any]

    # ---------------------------------------------------------------- identity
    @property
    def name(self) -> str | None:
        return self.raw.get("name")

    @property
    def project(self) -> str | None:
        return self.raw.get("project")

    @property
    def region(self) -> str | None:
        return self.raw.get("region")

    @property
    def connection_name(self) -> str | None:
        return self.raw.get("connectionName")

    @property
    def key(self) -> str:
        """`project:name`, as InstanceRef.key."""
        return f"{self.project}:{self.name}"

    @property
    def label(self) -> str | None:
        """How a summary names it: the connection name, else the instance name."""
        return self.connection_name or self.name

    # ---------------------------------------------------------------- state and engine
    @property
    def state(self) -> str | None:
        state = self.raw.get("state")
        return None if state is None else str(state)  # a number: a state these protos do not know

    @property
    def database_version(self) -> str | None:
        version = self.raw.get("databaseVersion")
        return None if version is None else str(version)  # a number: a version unknown to the protos

    @property
    def engine(self) -> str | None:
        """postgres | mysql | sqlserver from databaseVersion."""
        version = (self.database_version or "").upper()
        for prefix, name in _ENGINES:
            if version.startswith(prefix):
                return name
        return None

    @property
    def settings(self) -> dict[str, Any]:
        return self.raw.get("settings") or {}

    @property
    def activation_policy(self) -> str | None:
        return self.settings.get("activationPolicy")

    @property
    def tier(self) -> str | None:
        return self.settings.get("tier")

    @property
    def suspension_reason(self) -> list[str]:
        return list(self.raw.get("suspensionReason") or [])

    @property
    def scheduled_maintenance(self) -> Any:
        return self.raw.get("scheduledMaintenance")

    def database_flag(self, name: str) -> str | None:
        for f in self.settings.get("databaseFlags") or []:
            if f.get("name") == name:
                return str(f.get("value"))
        return None

    # ---------------------------------------------------------------- addresses and access
    @property
    def ip_configuration(self) -> dict[str, Any]:
        return self.settings.get("ipConfiguration") or {}

    @property
    def ip_addresses(self) -> list[dict[str, Any]]:
        return self.raw.get("ipAddresses") or []

    def ips(self, kind: str) -> list[str]:
        """Addresses of `kind` (PRIMARY = public, PRIVATE, OUTGOING)."""
        return [a.get("ipAddress", "") for a in self.ip_addresses if a.get("type") == kind]

    def ip_of(self, kind: str) -> str | None:
        for a in self.ip_addresses:
            if a.get("type") == kind:
                return a.get("ipAddress")
        return None

    def address_type(self, ip: str) -> str | None:
        """The type (PRIMARY | PRIVATE ...) of address `ip`, if the instance has it."""
        for a in self.ip_addresses:
            if a.get("ipAddress") == ip:
                return a.get("type", "")
        return None

    @property
    def ipv4_enabled(self) -> bool | None:
        return self.ip_configuration.get("ipv4Enabled")

    @property
    def has_public_ip(self) -> bool:
        """Cloud Run's built-in connection prefers this address when it exists."""
        if self.ipv4_enabled is False:
            return False
        return bool(self.ips("PRIMARY"))

    @property
    def has_private_ip(self) -> bool:
        return bool(self.ips("PRIVATE")) or bool(self.private_network)

    @property
    def private_network(self) -> str | None:
        return self.ip_configuration.get("privateNetwork")

    @property
    def authorized_networks(self) -> list[dict[str, Any]]:
        """The raw entries (`value`, `name`): a fix re-sets the list with the ones it keeps."""
        return list(self.ip_configuration.get("authorizedNetworks") or [])

    @property
    def authorized_values(self) -> list[str]:
        return [str(n.get("value", "")) for n in self.authorized_networks]

    @property
    def ssl_mode(self) -> str | None:
        return self.ip_configuration.get("sslMode")

    @property
    def require_ssl(self) -> bool | None:
        return self.ip_configuration.get("requireSsl")

    @property
    def connector_enforcement(self) -> str | None:
        return self.settings.get("connectorEnforcement")

    # ---------------------------------------------------------------- evidence
    def evidence(self, field: str, value: Any, note: str = "") -> Evidence:
        res = self.connection_name or f"{self.raw.get('project', '')}:{self.raw.get('name', '')}"
        return Evidence(sources.SQL, field, value, sources.SQL_API, res, note)
