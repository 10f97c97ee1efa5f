"""The words every DSN module shares: engines, transports, host kinds, and how a value is shown."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

Engine = Literal["postgres", "mysql", "sqlserver"]
Transport = Literal["unix-socket", "tcp", "connector", "unknown"]
HostKind = Literal["localhost", "ip", "hostname", "socket", "none"]

_LOCAL_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_DEFAULT_PORTS: Final[Mapping[int, Engine]] = MappingProxyType(
    {5432: "postgres", 3306: "mysql", 1433: "sqlserver"}
)


def show(value: str) -> str:
    """repr-style display, so '\\r', '\\n' and trailing spaces are visible."""
    return repr(value)


def normalize_engine(engine: str | None) -> Engine | None:
    """'postgres', 'postgresql', 'POSTGRES_15', 'MYSQL_8_0', 'SQLSERVER_2019_STANDARD'... -> Engine."""
    if not engine:
        return None
    e = engine.lower()
    if e.startswith(("postgres", "pg")):
        return "postgres"
    if e.startswith(("mysql", "mariadb")):
        return "mysql"
    if e.startswith(("sqlserver", "mssql")):
        return "sqlserver"
    return None


def is_ip(value: str) -> bool:
    """True when value is an IPv4 or IPv6 address as written."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def host_kind(host: str | None) -> HostKind:
    """Classify a host as written: localhost / ip / hostname / socket (a path) / none."""
    if host is None or host == "":
        return "none"
    if host.startswith("/"):
        return "socket"
    h = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if h.lower() in _LOCAL_NAMES:
        return "localhost"
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return "hostname"
    return "localhost" if ip.is_loopback or ip.is_unspecified else "ip"


def engine_guess(port: int | None) -> Engine | None:
    """The engine a well-known port implies (5432, 3306, 1433), else None."""
    return _DEFAULT_PORTS.get(port) if port is not None else None
