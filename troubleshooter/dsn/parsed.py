"""ParsedDsn, and the one interpretation that every syntax's raw pieces go through."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from troubleshooter.dsn.kinds import (
    Engine,
    HostKind,
    Transport,
    engine_guess,
    host_kind,
    show,
)
from troubleshooter.dsn.names import looks_like_connection_name
from troubleshooter.dsn.params import fold_keys, parse_port, pick
from troubleshooter.dsn.sockets import (
    CLOUDSQL_DIR,
    PG_SOCKET_FILE,
    instance_from_socket_path,
)
from troubleshooter.redact import REDACTED, is_secret_name, redact


@dataclass(frozen=True)
class ParsedDsn:
    """What a connection string says. Pieces are byte-exact (never stripped); the password is
    never kept, only whether one is present.

    host is the host as written in the authority (None: absent, '': empty authority), except
    that a libpq '?host=' TCP value overrides it as libpq does. Where the app really goes is
    transport + host_kind + socket_path.
    """

    form: str  # "url" | "jdbc" | "keyvalue" | "ado" | "go-mysql" | "split"
    scheme: str | None
    engine: Engine | None
    host: str | None
    port: int | None
    socket_path: str | None
    socket_param: str | None  # where the socket came from: "host", "unix_socket", "authority", ...
    instance: str | None
    database: str | None
    user: str | None
    has_password: bool
    sslmode: str | None
    params: Mapping[str, str] = field(hash=False)
    empty_host: bool
    transport: Transport
    host_kind: HostKind
    redacted: str
    notes: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        """The redacted DSN, repr-escaped."""
        return show(self.redacted)


def _safe_params(params: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(
        {k: (REDACTED if v and is_secret_name(k) else redact(v)) for k, v in params.items()}
    )


_SOCKET_KEYS: Final = (
    "host",
    "unix_socket",
    "unix_sock",
    "unixsocketpath",
    "socket",
    "socketpath",
    "unix_socket_path",
)


@dataclass(frozen=True)
class Pieces:
    """Raw pieces from one syntax, before the common interpretation in build."""

    form: str
    scheme: str | None
    engine: Engine | None
    host: str | None
    port_raw: str | None
    database: str | None
    user: str | None
    has_password: bool
    params: Mapping[str, str]
    empty_host: bool
    redacted: str
    connector_instance: str | None = None


def build(p: Pieces, notes: list[str]) -> ParsedDsn:
    lowered = fold_keys(p.params)
    host = p.host
    socket: str | None = None
    socket_param: str | None = None
    for key in _SOCKET_KEYS:
        value = lowered.get(key)
        if value is None:
            continue
        if value.startswith("/"):
            socket, socket_param = value, key
            break
        if key == "host" and value:
            if value.startswith("cloudsql/"):
                notes.append(f"host={show(value)} lacks the leading '/' so it is read as a hostname")
            host = value  # libpq: a query host overrides the authority
    if socket is None and host and host.startswith("/"):
        socket, socket_param = host, "authority"
    if socket is None and host and host.startswith("cloudsql/") and "host" not in lowered:
        notes.append(f"host {show(host)} lacks the leading '/' so it is read as a hostname")

    port = parse_port(p.port_raw if p.port_raw is not None else lowered.get("port"), notes)
    # A query value fills in a missing piece but keeps '' (an empty path) when there is none.
    database = p.database or pick(lowered, "dbname", "database", "databasename") or p.database
    user = p.user or pick(lowered, "user", "username", "uid", "user_id") or p.user
    has_password = p.has_password or bool(pick(lowered, "password", "pwd", "passwd"))
    engine = p.engine or engine_guess(port)
    if engine is None and socket is not None and socket.endswith(PG_SOCKET_FILE):
        engine = "postgres"
    sslmode = pick(lowered, "sslmode", "ssl_mode", "ssl", "tls")
    if sslmode is None and engine == "sqlserver":
        sslmode = lowered.get("encrypt")

    socket_factory = lowered.get("socketfactory", "")
    connector_instance = p.connector_instance or lowered.get("cloudsqlinstance")
    is_connector = connector_instance is not None or "cloud.sql" in socket_factory

    instance: str | None = None
    if socket is not None:
        instance = instance_from_socket_path(socket)
        if instance is None:
            notes.append(f"socket {show(socket)} is not under {CLOUDSQL_DIR}, where Cloud Run mounts sockets")
    if connector_instance is not None:
        instance = connector_instance
    if instance is None and host and looks_like_connection_name(host):
        instance = host
        notes.append(
            f"host {show(host)} is a connection name, not a hostname: drivers will try DNS on it "
            f"(only Cloud SQL connector drivers accept it); use host=/cloudsql/{host}"
        )

    if is_connector:
        transport: Transport = "connector"
        kind: HostKind = "none"
    elif socket is not None:
        transport, kind = "unix-socket", "socket"
    elif host:
        transport, kind = "tcp", host_kind(host)
    else:
        transport, kind = "unknown", "none"
    if host and host != host.strip():
        notes.append(f"host {show(host)} has surrounding whitespace")

    return ParsedDsn(
        form=p.form,
        scheme=p.scheme,
        engine=engine,
        host=host,
        port=port,
        socket_path=socket,
        socket_param=socket_param,
        instance=instance,
        database=database,
        user=user,
        has_password=has_password,
        sslmode=sslmode,
        params=_safe_params(p.params),
        empty_host=p.empty_host,
        transport=transport,
        host_kind=kind,
        redacted=p.redacted,
        notes=tuple(notes),
    )
