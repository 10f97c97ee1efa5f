"""How an app will connect: DSN parsing, app connection settings from env, connection-name checks."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final, Literal
from urllib.parse import unquote

from troubleshooter.redact import REDACTED, is_secret_name, redact, redact_env

Engine = Literal["postgres", "mysql", "sqlserver"]
Transport = Literal["unix-socket", "tcp", "connector", "unknown"]
HostKind = Literal["localhost", "ip", "hostname", "socket", "none"]
ConnectionKind = Literal["url", "keyvalue", "split", "connection-name", "socket-path", "secret"]

# The catalog's pattern, verbatim. Always apply it with fullmatch (or is_valid_connection_name):
# re.match with '$' accepts a trailing '\n', the very byte we must catch.
CONNECTION_NAME_PATTERN: Final = r"^[a-z][a-z0-9-]*(:[a-z0-9.-]+)?:[a-z0-9-]+:[a-z][a-z0-9-]*$"
CONNECTION_NAME_RE: Final = re.compile(CONNECTION_NAME_PATTERN)
# Legacy domain-scoped projects (example.com:project) give example.com:project:region:instance,
# which the catalog pattern rejects because of the dot in its first part.
_DOMAIN_SCOPED_RE: Final = re.compile(
    r"[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+:[a-z][a-z0-9-]*:[a-z0-9-]+:[a-z][a-z0-9-]*"
)
_REGION_RE: Final = re.compile(r"[a-z]+-[a-z]+[0-9]+")
_ZONE_RE: Final = re.compile(r"(?P<region>[a-z]+-[a-z]+[0-9]+)-[a-z]")

# sun_path is 108 bytes including the terminating NUL.
SOCKET_PATH_MAX: Final = 107
CLOUDSQL_DIR: Final = "/cloudsql/"
PG_SOCKET_FILE: Final = ".s.PGSQL.5432"

_LOCAL_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_DEFAULT_PORTS: Final[Mapping[int, Engine]] = MappingProxyType(
    {5432: "postgres", 3306: "mysql", 1433: "sqlserver"}
)


def show(value: str) -> str:
    """repr-style display, so '\\r', '\\n' and trailing spaces are visible."""
    return repr(value)


# --- connection names -------------------------------------------------------------------


def is_valid_connection_name(name: str) -> bool:
    """Byte-exact check against the catalog pattern (domain-scoped projects accepted too)."""
    return bool(CONNECTION_NAME_RE.fullmatch(name) or _DOMAIN_SCOPED_RE.fullmatch(name))


def looks_like_project_number(name: str) -> bool:
    """True when the project part of P:R:I is all digits: a project number, not the id."""
    project = name.split(":", 1)[0]
    return ":" in name and project.isdigit()


def _whitespace_problem(name: str) -> str | None:
    words = {"\r": "a carriage return (\\r)", "\n": "a newline (\\n)", "\t": "a tab", " ": "a space"}
    if name != name.rstrip():
        last = name[len(name.rstrip()) :][-1]
        what = words.get(last, "whitespace")
        return f"ends with {what}: {show(name)}; the instance is {show(name.strip())}"
    if name != name.lstrip():
        return f"starts with whitespace: {show(name)}; the instance is {show(name.strip())}"
    if any(c.isspace() or ord(c) < 32 for c in name):
        return f"contains whitespace or control characters: {show(name)}"
    return None


def connection_name_problem(name: str) -> str | None:
    """A specific human reason why name is not a usable 'project:region:instance', else None."""
    if name == "" or name == PG_SOCKET_FILE:
        return (
            f"empty ({show(name)}): the connection-name variable was empty, so the app opened "
            f"'/cloudsql//{PG_SOCKET_FILE}' and Cloud Run reports the instance as '{PG_SOCKET_FILE}'"
        )
    if (problem := _whitespace_problem(name)) is not None:
        return problem
    if name.startswith(("/cloudsql", "cloudsql/")):
        inner = name.split("cloudsql/", 1)[-1].split("/", 1)[0] if "cloudsql/" in name else ""
        return f"{show(name)} is a socket path, not a connection name; the name is {show(inner)}"
    if name != name.lower():
        return f"has uppercase letters: {show(name)}; connection names are lowercase ({show(name.lower())})"
    parts = name.split(":")
    if len(parts) == 1:
        return f"{show(name)} is a bare instance name; expected 'project:region:{name}'"
    if len(parts) == 2:
        if _REGION_RE.fullmatch(parts[0]):
            return f"{show(name)} has no project; expected 'project:{name}'"
        return f"{show(name)} has two parts only; expected 'project:region:instance' (region missing?)"
    if len(parts) > 4:
        return f"{show(name)} has {len(parts)} parts; expected 'project:region:instance'"
    project, region, instance = ":".join(parts[:-2]), parts[-2], parts[-1]
    if project.isdigit():
        return f"{show(project)} is a project number, not the project id, in {show(name)}"
    if (zone := _ZONE_RE.fullmatch(region)) is not None:
        return f"{show(region)} is a zone, not a region; use {show(zone.group('region'))} in {show(name)}"
    if _REGION_RE.fullmatch(project) and not _REGION_RE.fullmatch(region):
        return f"{show(name)} looks out of order; expected 'project:region:instance'"
    if not _REGION_RE.fullmatch(region):
        return f"{show(region)} does not look like a region (e.g. 'us-central1') in {show(name)}"
    if not instance:
        return f"{show(name)} has an empty instance name"
    if not is_valid_connection_name(name):
        return f"{show(name)} does not match 'project:region:instance' (lowercase letters, digits, '-')"
    return None


def _looks_like_connection_name(value: str) -> bool:
    """Shape only (two or more ':' and no '/'), so malformed names are still recognised."""
    return value.count(":") >= 2 and "/" not in value and not _is_ip(value.strip("[] \r\n\t"))


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


def socket_path(name: str, engine: str = "postgres") -> str:
    """The Unix socket Cloud Run creates for instance NAME: the .s.PGSQL.5432 file for Postgres,
    the /cloudsql/NAME socket file for MySQL. SQL Server has none (ValueError)."""
    eng = normalize_engine(engine)
    if eng == "postgres":
        return f"{CLOUDSQL_DIR}{name}/{PG_SOCKET_FILE}"
    if eng == "mysql":
        return f"{CLOUDSQL_DIR}{name}"
    raise ValueError(
        f"no Cloud Run Unix socket for engine {engine!r}: SQL Server needs a Cloud SQL connector or TCP"
    )


def socket_path_bytes(name: str, engine: str = "postgres") -> int:
    """Length in UTF-8 bytes of socket_path(name, engine)."""
    return len(socket_path(name, engine).encode("utf-8"))


def socket_path_too_long(name: str, engine: str = "postgres") -> bool:
    """True when the socket path exceeds SOCKET_PATH_MAX bytes (socket-path-too-long)."""
    return normalize_engine(engine) != "sqlserver" and socket_path_bytes(name, engine) > SOCKET_PATH_MAX


def socket_path_length_problem(name: str, engine: str = "postgres") -> str | None:
    """Why the socket path for name is too long for a Unix socket, else None."""
    if not socket_path_too_long(name, engine):
        return None
    n = socket_path_bytes(name, engine)
    return (
        f"socket path {show(socket_path(name, engine))} is {n} bytes; Unix sockets allow "
        f"{SOCKET_PATH_MAX}: use a shorter name or a Cloud SQL connector library"
    )


# --- parsed DSN -------------------------------------------------------------------------


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


def _is_ip(value: str) -> bool:
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


def instance_from_socket_path(path: str) -> str | None:
    """The bytes after '/cloudsql/' up to the next '/' (or the end), else None."""
    if not path.startswith(CLOUDSQL_DIR):
        return None
    return path[len(CLOUDSQL_DIR) :].split("/", 1)[0]


def _engine_from_scheme(scheme: str) -> Engine | None:
    s = scheme.lower()
    for prefix in ("jdbc:", "r2dbc:gcp:", "r2dbc:"):
        if s.startswith(prefix):
            s = s[len(prefix) :]
    base = s.split("+", 1)[0].split(":", 1)[0]
    if base in {"postgresql", "postgres", "pgsql", "postgis", "psql", "cockroachdb"}:
        return "postgres"
    if base in {"mysql", "mysql2", "mysqlx", "mariadb", "mysqlgis"}:
        return "mysql"
    if base in {"sqlserver", "mssql"}:
        return "sqlserver"
    return None


def _engine_guess(port: int | None) -> Engine | None:
    return _DEFAULT_PORTS.get(port) if port is not None else None


def _parse_port(raw: str | None, notes: list[str]) -> int | None:
    if raw is None or raw == "":
        return None
    if raw.isdigit():
        return int(raw)
    if raw.strip().isdigit():
        notes.append(f"port {show(raw)} has surrounding whitespace")
        return int(raw.strip())
    notes.append(f"port {show(raw)} is not a number")
    return None


def _split_hostport(hp: str, notes: list[str]) -> tuple[str, str | None]:
    if "," in hp:
        notes.append(f"several hosts {show(hp)}: the first one is used here")
        hp = hp.split(",", 1)[0]
    if hp.startswith("["):
        end = hp.find("]")
        if end != -1:
            rest = hp[end + 1 :]
            return hp[1:end], rest[1:] if rest.startswith(":") else None
    if hp.count(":") == 1:
        host, port = hp.split(":", 1)
        return host, port
    return hp, None


def _query_params(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in query.split("&"):
        if pair == "":
            continue
        key, _, value = pair.partition("=")
        params[unquote(key)] = unquote(value)
    return params


def _semicolon_params(text: str) -> dict[str, str]:
    """k=v;k=v with ODBC {braced} and quoted values (ADO.NET, ODBC, JDBC SQL Server)."""
    params: dict[str, str] = {}
    i = 0
    while i < len(text):
        eq = text.find("=", i)
        if eq == -1:
            break
        key = text[i:eq].strip(" ;")
        j = eq + 1
        closer = {"{": "}", '"': '"', "'": "'"}.get(text[j : j + 1])
        if closer is not None:
            end = text.find(closer, j + 1)
            end = len(text) if end == -1 else end
            value = text[j + 1 : end]
            nxt = text.find(";", end)
            i = len(text) if nxt == -1 else nxt + 1
        else:
            end = text.find(";", j)
            end = len(text) if end == -1 else end
            value = text[j:end]
            i = end + 1
        if key:
            params[key] = value
    return params


def _norm_key(key: str) -> str:
    """'ssl-mode', 'User Id', 'unixSocketPath' -> 'ssl_mode', 'user_id', 'unixsocketpath'."""
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def _lower(params: Mapping[str, str]) -> dict[str, str]:
    return {_norm_key(k): v for k, v in params.items()}


def _pick(lowered: Mapping[str, str], *keys: str) -> str | None:
    for key in keys:
        if key in lowered:
            return lowered[key]
    return None


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
class _Pieces:
    """Raw pieces from one syntax, before the common interpretation in _build."""

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


def _build(p: _Pieces, notes: list[str]) -> ParsedDsn:
    lowered = _lower(p.params)
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

    port = _parse_port(p.port_raw if p.port_raw is not None else lowered.get("port"), notes)
    # A query value fills in a missing piece but keeps '' (an empty path) when there is none.
    database = p.database or _pick(lowered, "dbname", "database", "databasename") or p.database
    user = p.user or _pick(lowered, "user", "username", "uid", "user_id") or p.user
    has_password = p.has_password or bool(_pick(lowered, "password", "pwd", "passwd"))
    engine = p.engine or _engine_guess(port)
    if engine is None and socket is not None and socket.endswith(PG_SOCKET_FILE):
        engine = "postgres"
    sslmode = _pick(lowered, "sslmode", "ssl_mode", "ssl", "tls")
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
    if instance is None and host and _looks_like_connection_name(host):
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


def _splice(value: str, start: int, end: int) -> str:
    """value with [start:end) (a password) replaced by the marker, then redact() for the rest."""
    if end > start:
        value = value[:start] + REDACTED + value[end:]
    return redact(value)


_SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*(?::[A-Za-z][A-Za-z0-9+.\-]*)*://")


def _find_userinfo_at(rest: str, auth_end: int) -> int:
    """Index of the '@' ending user:password in rest, or -1.

    The last '@' before the first '/', '?' (or ';') is the normal case. Otherwise a later '@'
    still counts when the text before it reads as user:password (an unencoded '/', '?' in the
    password), but not when it is host:port/... followed by an '@' in the path or query.
    """
    at = rest.rfind("@", 0, auth_end)
    if at != -1:
        return at
    colon = rest.find(":", 0, auth_end)
    if colon == -1:
        return -1
    later = rest.find("@", auth_end)
    if later == -1 or any(c.isspace() for c in rest[:later]):
        return -1
    if rest[colon + 1 : auth_end].isdigit() or "=" in rest[:later]:
        return -1
    return later


def _parse_url(value: str, notes: list[str]) -> ParsedDsn | None:
    m = _SCHEME_RE.match(value)
    if m is None:
        return None
    scheme = m.group(0)[:-3]
    engine = _engine_from_scheme(scheme)
    base = m.end()
    rest = value[base:]
    stops = "/?;" if engine == "sqlserver" else "/?"
    auth_end = next((i for i, c in enumerate(rest) if c in stops), len(rest))
    at = _find_userinfo_at(rest, auth_end)
    user: str | None = None
    has_password = False
    pw_span = (0, 0)
    if at != -1:
        userinfo = rest[:at]
        raw_user, colon, raw_pw = userinfo.partition(":")
        user = unquote(raw_user)
        has_password = bool(colon) and raw_pw != ""
        if colon:
            pw_span = (base + len(raw_user) + 1, base + at)
        after = rest[at + 1 :]
    else:
        after = rest
    auth_len = next((i for i, c in enumerate(after) if c in stops), len(after))
    authority, tail = after[:auth_len], after[auth_len:]

    params: dict[str, str] = {}
    database: str | None = None
    if tail.startswith("/"):
        path, _, query = tail[1:].partition("?")
        if engine == "sqlserver" and ";" in path:
            path, _, props = path.partition(";")
            params.update(_semicolon_params(props))
        database = unquote(path)
        params.update(_query_params(query))
    elif tail.startswith("?"):
        params.update(_query_params(tail[1:]))
    elif tail.startswith(";"):
        props, _, query = tail[1:].partition("?")
        params.update(_semicolon_params(props))
        params.update(_query_params(query))

    connector_instance: str | None = None
    if scheme.lower().startswith("r2dbc:gcp:"):
        # R2DBC Cloud SQL connector: the authority is the connection name itself.
        host_raw, port_raw = unquote(authority), None
        connector_instance = host_raw
    else:
        hp, port_raw = _split_hostport(authority, notes)
        host_raw = unquote(hp)
    form = "jdbc" if scheme.lower().startswith("jdbc:") else "url"
    pieces = _Pieces(
        form=form,
        scheme=scheme,
        engine=engine,
        host=host_raw,
        port_raw=port_raw,
        database=database,
        user=user,
        has_password=has_password,
        params=params,
        empty_host=authority == "",
        redacted=_splice(value, *pw_span),
        connector_instance=connector_instance,
    )
    return _build(pieces, notes)


def _parse_jdbc_opaque(value: str, notes: list[str]) -> ParsedDsn | None:
    """jdbc:postgresql:dbname (no '//'): local default host, database only."""
    m = re.fullmatch(r"(jdbc:[A-Za-z0-9]+):([^/?][^?]*)(?:\?(.*))?", value, re.S)
    if m is None:
        return None
    pieces = _Pieces(
        form="jdbc",
        scheme=m.group(1),
        engine=_engine_from_scheme(m.group(1)),
        host=None,
        port_raw=None,
        database=unquote(m.group(2)),
        user=None,
        has_password=False,
        params=_query_params(m.group(3) or ""),
        empty_host=False,
        redacted=redact(value),
    )
    return _build(pieces, notes)


_LIBPQ_KEYS: Final = frozenset(
    {"host", "hostaddr", "port", "dbname", "user", "password", "sslmode", "passfile", "options"}
)


def _parse_libpq_kv(value: str) -> tuple[dict[str, str], list[tuple[int, int]]] | None:
    """libpq 'key=value key2='quoted \\' value'': pairs and the spans of password values.

    Like libpq, whitespace (including '\\r', '\\n') separates pairs, so it is not part of an
    unquoted value; inside quotes every byte is kept.
    """
    pairs: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    i, n = 0, len(value)
    while True:
        while i < n and value[i].isspace():
            i += 1
        if i >= n:
            break
        k0 = i
        while i < n and not value[i].isspace() and value[i] != "=":
            i += 1
        key = value[k0:i]
        while i < n and value[i].isspace():
            i += 1
        if not key or i >= n or value[i] != "=":
            return None
        i += 1
        while i < n and value[i].isspace():
            i += 1
        v0 = i
        chars: list[str] = []
        if i < n and value[i] == "'":
            i += 1
            while i < n and value[i] != "'":
                if value[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(value[i])
                i += 1
            if i >= n:
                return None  # unterminated quote: libpq rejects it too
            i += 1
        else:
            while i < n and not value[i].isspace():
                if value[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(value[i])
                i += 1
        pairs[key] = "".join(chars)
        if key in {"password", "pwd", "passwd"}:
            spans.append((v0, i))
    return pairs, spans


def _parse_keyvalue(value: str, notes: list[str]) -> ParsedDsn | None:
    parsed = _parse_libpq_kv(value)
    if parsed is None:
        return None
    pairs, spans = parsed
    if not _LIBPQ_KEYS.intersection(pairs) or not {"host", "hostaddr", "dbname", "user"} & set(pairs):
        return None
    redacted = value
    for start, end in reversed(spans):
        redacted = redacted[:start] + REDACTED + redacted[end:]
    if value != value.rstrip():
        notes.append(f"trailing whitespace {show(value[len(value.rstrip()):])} (libpq ignores it)")
    host = pairs.get("host") or pairs.get("hostaddr")
    hp = _split_hostport(host, notes)[0] if host and "," in host else host
    pieces = _Pieces(
        form="keyvalue",
        scheme=None,
        engine="postgres",
        host=hp,
        port_raw=pairs.get("port"),
        database=pairs.get("dbname"),
        user=pairs.get("user"),
        has_password=bool(pairs.get("password")),
        params={k: v for k, v in pairs.items() if k not in {"host", "hostaddr"}},
        empty_host=False,
        redacted=redact(redacted),
    )
    return _build(pieces, notes)


_ADO_HOST_KEYS: Final = ("server", "host", "data_source", "address", "addr", "network_address", "hostname")
_ADO_KEYS: Final = frozenset(
    (*_ADO_HOST_KEYS, "database", "initial_catalog", "user_id", "uid", "username", "password", "pwd", "driver", "port")
)


_ADO_SEP_RE: Final = re.compile(r";[ \t]*[A-Za-z][A-Za-z _]*=")


def _parse_ado(value: str, notes: list[str]) -> ParsedDsn | None:
    """Server=...;Database=...;User Id=...;Password=... (ADO.NET, Npgsql, ODBC)."""
    if ";" not in value or "=" not in value:
        return None
    params = _semicolon_params(value)
    lowered = _lower(params)
    if not _ADO_KEYS.intersection(lowered) or not set(_ADO_HOST_KEYS) & set(lowered):
        return None
    host_raw = _pick(lowered, *_ADO_HOST_KEYS) or ""
    port_raw = lowered.get("port")
    host = host_raw
    if host.lower().startswith("tcp:"):
        host = host[4:]
    if "," in host and not host.startswith("/"):
        host, port_raw = host.split(",", 1)  # SQL Server: Server=host,1433
    driver = lowered.get("driver", "").lower()
    engine: Engine | None = None
    sqlserver_hints = ("initial_catalog", "data_source", "encrypt", "trustservercertificate")
    if "sql server" in driver or host_raw.lower().startswith("tcp:") or set(sqlserver_hints) & set(lowered):
        engine = "sqlserver"
    elif "mysql" in driver:
        engine = "mysql"
    elif "postgres" in driver or "username" in lowered:
        engine = "postgres"
    redacted = value
    for key, raw in params.items():
        if raw and is_secret_name(key):
            redacted = redacted.replace(f"{key}={raw}", f"{key}={REDACTED}")
            redacted = redacted.replace(f"{key}={{{raw}}}", f"{key}={{{REDACTED}}}")
    ado_params = {k: v for k, v in params.items() if _norm_key(k) not in _ADO_HOST_KEYS}
    pieces = _Pieces(
        form="ado",
        scheme=None,
        engine=engine,
        host=host,
        port_raw=port_raw,
        database=_pick(lowered, "database", "initial_catalog"),
        user=_pick(lowered, "user_id", "userid", "uid", "username", "user"),
        has_password=bool(_pick(lowered, "password", "pwd")),
        params=ado_params,
        empty_host=False,
        redacted=redact(redacted),
    )
    return _build(pieces, notes)


_GO_MYSQL_RE: Final = re.compile(
    r"(?:(?P<user>[^:@/]*)(?::(?P<password>.*))?@)?"
    r"(?P<net>tcp|tcp4|tcp6|unix|cloudsql|cloudsql-mysql)\((?P<addr>[^)]*)\)"
    r"/(?P<db>[^?]*)(?:\?(?P<query>.*))?",
    re.S,
)


def _parse_go_mysql(value: str, notes: list[str]) -> ParsedDsn | None:
    """go-sql-driver/mysql DSN: user:pass@unix(/cloudsql/P:R:I)/db, user:pass@tcp(h:3306)/db."""
    m = _GO_MYSQL_RE.fullmatch(value)
    if m is None:
        return None
    net, addr = m.group("net"), m.group("addr")
    params = _query_params(m.group("query") or "")
    host: str | None
    port_raw: str | None = None
    connector: str | None = None
    if net == "unix":
        host = addr
    elif net.startswith("cloudsql"):
        host, connector = None, addr
    else:
        host, port_raw = _split_hostport(addr, notes)
    span = (m.start("password"), m.end("password")) if m.group("password") is not None else (0, 0)
    pieces = _Pieces(
        form="go-mysql",
        scheme=None,
        engine="mysql",
        host=host,
        port_raw=port_raw,
        database=m.group("db"),
        user=m.group("user"),
        has_password=bool(m.group("password")),
        params=params,
        empty_host=addr == "",
        redacted=_splice(value, *span),
        connector_instance=connector,
    )
    return _build(pieces, notes)


def parse_dsn(value: str) -> ParsedDsn | None:
    """Parse a connection string in any common form, or None when value is not one.

    Forms: URLs (postgresql://, postgres://, SQLAlchemy dialect+driver://, Prisma, asyncpg,
    mysql://, sqlserver://, mssql+pyodbc://, r2dbc:gcp:...), JDBC (jdbc:postgresql://...,
    socket factory -> transport 'connector'), libpq key=value, ADO.NET/ODBC Key=Value;...,
    and the Go MySQL driver DSN. Pieces keep every byte ('bot-db\\r' stays 'bot-db\\r').
    """
    if not value:
        return None
    notes: list[str] = []
    body = value
    if value != value.lstrip() and _SCHEME_RE.match(value.lstrip()):
        notes.append(f"value starts with whitespace: {show(value[: len(value) - len(value.lstrip())])}")
        body = value.lstrip()
    # Npgsql/ADO 'host=x;database=y' would also read as one libpq pair, so ';'-separated
    # pairs decide which of the two is tried first.
    kv_parsers = (_parse_ado, _parse_keyvalue) if _ADO_SEP_RE.search(body) else (_parse_keyvalue, _parse_ado)
    for parser in (_parse_url, _parse_jdbc_opaque, _parse_go_mysql, *kv_parsers):
        parsed = parser(body, notes)
        if parsed is not None:
            return parsed
        notes = notes[:1] if body is not value else []
    return None


def socket_path_problem(dsn: ParsedDsn, engine: str | None = None) -> str | None:
    """Why the DSN's socket path is wrong for the instance's engine (socket-path-wrong-for-engine),
    else None. engine is the instance's (databaseVersion or 'postgres'/'mysql'); defaults to the
    DSN's own."""
    eng = normalize_engine(engine) or dsn.engine
    path = dsn.socket_path
    if path is None:
        if dsn.host and dsn.host.startswith("cloudsql/"):
            return f"host {show(dsn.host)} lacks the leading '/': it is read as a hostname, not a socket"
        return None
    if dsn.engine and eng and dsn.engine != eng:
        return f"the connection string is for {dsn.engine} but the instance is {eng}"
    if eng == "sqlserver":
        return "Cloud Run gives SQL Server no Unix socket: use a Cloud SQL connector or TCP over private IP"
    from_env = (dsn.socket_param or "").startswith("env:")
    if not path.startswith(CLOUDSQL_DIR) or (from_env and path == CLOUDSQL_DIR):
        if path.rstrip("/") == "/cloudsql":
            if from_env:
                return None  # a base directory the app joins with the connection name

            return f"socket {show(path)} names no instance: use /cloudsql/PROJECT:REGION:INSTANCE"
        return f"socket {show(path)} is not under {CLOUDSQL_DIR}, where Cloud Run mounts the instance sockets"
    name = dsn.instance or ""
    pg_suffix = "/" + PG_SOCKET_FILE
    if eng == "postgres" and not from_env:
        # libpq-style drivers take the directory; pg8000 (unix_sock) and the JDBC
        # unixSocketPath take the socket file itself.
        wants_file = dsn.socket_param in {"unix_sock", "unixsocketpath"}
        if wants_file and not path.endswith(pg_suffix):
            return f"{dsn.socket_param}={show(path)} must be the socket file: {show(socket_path(name, 'postgres'))}"
        if not wants_file and path.endswith(pg_suffix):
            where = "the host" if dsn.socket_param == "authority" else f"{dsn.socket_param}="
            return (
                f"{where} {show(path)} points at the socket file; Postgres drivers want its "
                f"directory: {show(CLOUDSQL_DIR + name)}"
            )
    if eng == "mysql" and path.endswith(pg_suffix):
        return (
            f"{show(path)} is the Postgres socket; the MySQL socket is the file "
            f"{show(socket_path(name, 'mysql'))}"
        )
    return None


# --- app connections from env -----------------------------------------------------------

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
_SPLIT_ROLES: Final = ("host", "port", "database", "user", "password")


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


@dataclass(frozen=True)
class AppConnection:
    """One way the app will reach its database, read from the container env.

    kind 'secret': the value comes from Secret Manager and was not read (secret_ref says which
    secret, role what the variable would hold); never guessed. instance is the connection name
    the app names, byte-exact. display is redacted and repr-escaped. problem is the first thing
    found wrong with the name or socket (connection_name_problem / socket checks), if any.
    """

    source: tuple[str, ...]
    kind: ConnectionKind
    dsn: ParsedDsn | None = None
    instance: str | None = None
    secret_ref: str | None = None
    readable: bool = True
    display: str = ""
    role: Role | None = None
    problem: str | None = None


@dataclass(frozen=True)
class _EnvVar:
    name: str
    value: str | None  # None when secret-backed
    secret_ref: str | None


def _read_env(env: Sequence[Mapping[str, Any]]) -> list[_EnvVar]:
    out: list[_EnvVar] = []
    for entry in env:
        name = entry.get("name")
        if not isinstance(name, str):
            continue
        # v2: valueSource.secretKeyRef {secret, version}; v1: valueFrom.secretKeyRef {name, key}
        v2 = (entry.get("valueSource") or {}).get("secretKeyRef")
        v1 = (entry.get("valueFrom") or {}).get("secretKeyRef")
        if v2:
            out.append(_EnvVar(name, None, f"{v2.get('secret', '')}:{v2.get('version') or 'latest'}"))
        elif v1:
            out.append(_EnvVar(name, None, f"{v1.get('name', '')}:{v1.get('key') or 'latest'}"))
        else:
            # The API omits "value" for a variable set to the empty string.
            value = entry.get("value")
            out.append(_EnvVar(name, value if isinstance(value, str) else "", None))
    return out


def _problem_for(dsn: ParsedDsn | None, instance: str | None) -> str | None:
    if instance is not None and (p := connection_name_problem(instance)) is not None:
        return p
    if dsn is not None:
        if (p := socket_path_problem(dsn)) is not None:
            return p
        if instance is not None and dsn.engine in ("postgres", "mysql"):
            return socket_path_length_problem(instance, dsn.engine)
    elif instance is not None:
        return socket_path_length_problem(instance, "postgres")
    return None


def _value_kind(value: str) -> tuple[ConnectionKind, ParsedDsn | None] | None:
    """Recognise a DB setting by its value alone (for variables with other names)."""
    if value.startswith(CLOUDSQL_DIR):
        return "socket-path", None
    parsed = parse_dsn(value)
    # A lone 'user=x' is not a connection string; a host or a database makes it one.
    if parsed is not None and parsed.engine and (parsed.form != "keyvalue" or parsed.host or parsed.database):
        return ("keyvalue" if parsed.form in ("keyvalue", "ado") else "url"), parsed
    core = value.strip()
    if _looks_like_connection_name(core) and is_valid_connection_name(core.lower()):
        region = core.split(":")[-2]
        if _REGION_RE.fullmatch(region) or _ZONE_RE.fullmatch(region):
            return "connection-name", None
    return None


def _socket_dsn(name: str, value: str) -> ParsedDsn:
    notes: list[str] = []
    pieces = _Pieces(
        form="split",
        scheme=None,
        engine="postgres" if value.endswith(PG_SOCKET_FILE) else None,
        host=value,
        port_raw=None,
        database=None,
        user=None,
        has_password=False,
        params={},
        empty_host=False,
        redacted=f"{name}={show(redact_env(name, value))}",
    )
    # How the app uses this path (libpq directory, pg8000 file) is unknown: mark it "env:NAME".
    return replace(_build(pieces, notes), socket_param=f"env:{name}")


def _split_engine(names: Sequence[str], port: int | None) -> Engine | None:
    upper = [n.upper() for n in names]
    if any(n.startswith(("POSTGRES", "PG")) for n in upper):
        return "postgres"
    if any(n.startswith("MYSQL") for n in upper):
        return "mysql"
    return _engine_guess(port)


def app_connections(env: Sequence[Mapping[str, Any]]) -> list[AppConnection]:
    """What the app will use to reach its database, from a container's env list (v2 or v1).

    URL/DSN variables, connection-name and socket-path variables each give one AppConnection;
    split variables (DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASS, ...) combine into one 'split'
    AppConnection; every Secret Manager-backed variable gives a 'secret' AppConnection.
    Other variables count when their value is itself a DB connection string, a /cloudsql/
    path or a connection name. Order follows the env.
    """
    out: list[tuple[int, AppConnection]] = []
    split: list[tuple[int, _EnvVar, Role]] = []
    for index, var in enumerate(_read_env(env)):
        role = env_role(var.name)
        if var.value is None:
            if role is not None:
                conn = AppConnection(
                    source=(var.name,),
                    kind="secret",
                    secret_ref=var.secret_ref,
                    readable=False,
                    display=f"{var.name}=<from Secret Manager {var.secret_ref}>",
                    role=role,
                )
                out.append((index, conn))
            continue
        value = var.value
        if role in _SPLIT_ROLES:
            split.append((index, var, role))
            continue
        kind: ConnectionKind
        dsn: ParsedDsn | None = None
        if role == "url":
            dsn = parse_dsn(value)
            kind = "keyvalue" if dsn is not None and dsn.form in ("keyvalue", "ado") else "url"
        elif role == "connection-name" or role == "socket-path":
            kind = role
        else:
            guessed = _value_kind(value)
            if guessed is None:
                continue
            kind, dsn = guessed
        out.append((index, _single(var.name, value, kind, dsn)))
    if split and any(role in ("host", "database", "user") for _, _, role in split):
        out.append(_split_connection(split))
    return [conn for _, conn in sorted(out, key=lambda pair: pair[0])]


def _single(name: str, value: str, kind: ConnectionKind, dsn: ParsedDsn | None) -> AppConnection:
    instance: str | None = None
    if kind == "connection-name":
        instance = value
        display = f"{name}={show(value)}"
    elif kind == "socket-path":
        dsn = _socket_dsn(name, value)
        instance = dsn.instance
        display = dsn.redacted
    else:
        instance = dsn.instance if dsn is not None else None
        display = f"{name}={dsn.display if dsn is not None else show(redact_env(name, value))}"
    problem = _problem_for(dsn, instance)
    if dsn is None and kind in ("url", "keyvalue"):
        problem = "empty" if value == "" else "not a connection string this tool can read"
    return AppConnection(
        source=(name,), kind=kind, dsn=dsn, instance=instance, display=display, problem=problem
    )


def _split_connection(split: Sequence[tuple[int, _EnvVar, Role]]) -> tuple[int, AppConnection]:
    names = tuple(var.name for _, var, _ in split)
    first: dict[str, tuple[str, str]] = {}
    for _, var, role in split:
        first.setdefault(role, (var.name, var.value or ""))  # the first of each role wins
    notes: list[str] = []
    host_name, host = first.get("host", (None, None))
    port_raw = first["port"][1] if "port" in first else None
    display = " ".join(f"{var.name}={show(redact_env(var.name, var.value or ''))}" for _, var, _ in split)
    pieces = _Pieces(
        form="split",
        scheme=None,
        engine=_split_engine(names, _parse_port(port_raw, [])),
        host=host,
        port_raw=port_raw,
        database=first["database"][1] if "database" in first else None,
        user=first["user"][1] if "user" in first else None,
        has_password=bool(first.get("password", ("", ""))[1]),
        params={},
        empty_host=host == "",
        redacted=display,
    )
    dsn = _build(pieces, notes)
    if dsn.socket_param == "authority":
        dsn = replace(dsn, socket_param=host_name)
    return split[0][0], AppConnection(
        source=names,
        kind="split",
        dsn=dsn,
        instance=dsn.instance,
        display=display,
        problem=_problem_for(dsn, dsn.instance),
    )


def app_instances(connections: Sequence[AppConnection]) -> tuple[str, ...]:
    """The connection names the app names, byte-exact and de-duplicated, in order."""
    seen: dict[str, None] = {}
    for conn in connections:
        if conn.instance is not None:
            seen.setdefault(conn.instance, None)
    return tuple(seen)
