"""AppConnection: each way the app will reach its database, read from a container's env."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from troubleshooter.dsn.kinds import Engine, engine_guess, show
from troubleshooter.dsn.names import (
    REGION_RE,
    ZONE_RE,
    is_valid_connection_name,
    looks_like_connection_name,
)
from troubleshooter.dsn.params import parse_port
from troubleshooter.dsn.parse import parse_dsn
from troubleshooter.dsn.parsed import ParsedDsn, Pieces, build
from troubleshooter.dsn.roles import SPLIT_ROLES, Role, env_role
from troubleshooter.dsn.sockets import CLOUDSQL_DIR, PG_SOCKET_FILE
from troubleshooter.dsn.verdicts import connection_problem
from troubleshooter.redact import redact_env

ConnectionKind = Literal["url", "keyvalue", "split", "connection-name", "socket-path", "secret"]


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
    read_from: str | None = None  # "read from secret S, version N": a Secret Manager value read with consent
    unread_why: str | None = None  # with consent, why the value could still not be read (a denied read)


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


def _value_kind(value: str) -> tuple[ConnectionKind, ParsedDsn | None] | None:
    """Recognise a DB setting by its value alone (for variables with other names)."""
    if value.startswith(CLOUDSQL_DIR):
        return "socket-path", None
    parsed = parse_dsn(value)
    # A lone 'user=x' is not a connection string; a host or a database makes it one.
    if parsed is not None and parsed.engine and (parsed.form != "keyvalue" or parsed.host or parsed.database):
        return ("keyvalue" if parsed.form in ("keyvalue", "ado") else "url"), parsed
    core = value.strip()
    if looks_like_connection_name(core) and is_valid_connection_name(core.lower()):
        region = core.split(":")[-2]
        if REGION_RE.fullmatch(region) or ZONE_RE.fullmatch(region):
            return "connection-name", None
    return None


def _socket_dsn(name: str, value: str) -> ParsedDsn:
    notes: list[str] = []
    pieces = Pieces(
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
    return replace(build(pieces, notes), socket_param=f"env:{name}")


def _split_engine(names: Sequence[str], port: int | None) -> Engine | None:
    upper = [n.upper() for n in names]
    if any(n.startswith(("POSTGRES", "PG")) for n in upper):
        return "postgres"
    if any(n.startswith("MYSQL") for n in upper):
        return "mysql"
    return engine_guess(port)


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
        if role in SPLIT_ROLES:
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
    problem = connection_problem(dsn, instance)
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
    pieces = Pieces(
        form="split",
        scheme=None,
        engine=_split_engine(names, parse_port(port_raw, [])),
        host=host,
        port_raw=port_raw,
        database=first["database"][1] if "database" in first else None,
        user=first["user"][1] if "user" in first else None,
        has_password=bool(first.get("password", ("", ""))[1]),
        params={},
        empty_host=host == "",
        redacted=display,
    )
    dsn = build(pieces, notes)
    if dsn.socket_param == "authority":
        dsn = replace(dsn, socket_param=host_name)
    return split[0][0], AppConnection(
        source=names,
        kind="split",
        dsn=dsn,
        instance=dsn.instance,
        display=display,
        problem=connection_problem(dsn, dsn.instance),
    )


def app_instances(connections: Sequence[AppConnection]) -> tuple[str, ...]:
    """The connection names the app names, byte-exact and de-duplicated, in order."""
    seen: dict[str, None] = {}
    for conn in connections:
        if conn.instance is not None:
            seen.setdefault(conn.instance, None)
    return tuple(seen)
