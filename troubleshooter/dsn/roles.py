"""Which part of the DB connection an env variable holds, by its name (DB_HOST -> host)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

Role = Literal["url", "connection-name", "socket-path", "host", "port", "database", "user", "password"]

_ROLE_NAMES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "url": frozenset(
            {
                "DATABASE_URL", "DB_URL", "SQLALCHEMY_DATABASE_URI", "DATABASE_URI", "DB_URI",
                "SPRING_DATASOURCE_URL", "SPRING_R2DBC_URL", "POSTGRES_URL", "MYSQL_URL",
                "DATABASE_DSN", "DB_DSN", "PG_DSN", "POSTGRES_DSN", "MYSQL_DSN",
                "DB_CONNECTION_STRING", "DATABASE_CONNECTION_STRING",
            }
        ),
        "connection-name": frozenset({"CLOUD_SQL_INSTANCE", "CLOUDSQL_INSTANCE"}),
        "socket-path": frozenset(
            {
                "DB_SOCKET_PATH", "INSTANCE_UNIX_SOCKET", "DB_SOCKET_DIR", "DB_UNIX_SOCKET",
                "DB_SOCKET", "MYSQL_UNIX_PORT", "MYSQL_SOCKET", "UNIX_SOCKET_PATH",
            }
        ),
        "host": frozenset(
            {
                "DB_HOST", "DATABASE_HOST", "POSTGRES_HOST", "PGHOST", "MYSQL_HOST", "INSTANCE_HOST",
                "DB_HOSTNAME", "DATABASE_HOSTNAME", "POSTGRES_HOSTNAME", "MYSQL_HOSTNAME",
            }
        ),
        "port": frozenset({"DB_PORT", "DATABASE_PORT", "POSTGRES_PORT", "PGPORT", "MYSQL_PORT"}),
        "database": frozenset(
            {
                "DB_NAME", "DATABASE_NAME", "POSTGRES_DB", "PGDATABASE", "MYSQL_DATABASE",
                "DB_DATABASE", "POSTGRES_DATABASE",
            }
        ),
        "user": frozenset(
            {
                "DB_USER", "DATABASE_USER", "POSTGRES_USER", "PGUSER", "MYSQL_USER", "DB_USERNAME",
                "DATABASE_USERNAME", "SPRING_DATASOURCE_USERNAME",
            }
        ),
        "password": frozenset(
            {
                "DB_PASS", "DB_PASSWORD", "DATABASE_PASSWORD", "DATABASE_PASS", "POSTGRES_PASSWORD",
                "PGPASSWORD", "MYSQL_PASSWORD", "SPRING_DATASOURCE_PASSWORD",
            }
        ),
    }
)
_URL_SUFFIXES: Final = ("_DATABASE_URL", "_DB_URL", "_DATABASE_URI", "_DB_URI")
SPLIT_ROLES: Final = ("host", "port", "database", "user", "password")


def env_role(name: str) -> Role | None:
    """What a variable holds for the DB connection, by name ('DB_HOST' -> 'host'), else None.
    A '_SECRET' suffix is ignored (DATABASE_HOST_SECRET reads as DATABASE_HOST)."""
    upper = name.upper()
    candidates = [upper]
    if upper.endswith("_SECRET"):
        candidates.append(upper[: -len("_SECRET")])
    for n in candidates:
        for role, names in _ROLE_NAMES.items():
            if n in names:
                return role  # type: ignore[return-value]
        if n.endswith(_URL_SUFFIXES):
            return "url"
        if n.endswith("CONNECTION_NAME"):
            return "connection-name"
    return None
