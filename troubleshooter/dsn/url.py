"""URL-style DSNs: scheme://user:pass@host:port/db?k=v (SQLAlchemy, Prisma, JDBC, R2DBC) and opaque JDBC."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote

from troubleshooter.dsn.kinds import Engine
from troubleshooter.dsn.params import (
    query_params,
    semicolon_params,
    splice,
    split_hostport,
)
from troubleshooter.dsn.parsed import ParsedDsn, Pieces, build
from troubleshooter.redact import redact


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


SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*(?::[A-Za-z][A-Za-z0-9+.\-]*)*://")


def _find_userinfo_at(rest: str, auth_end: int, *, database_url: bool = False) -> int:
    """Index of the '@' ending user:password in rest, or -1.

    The last '@' before the first '/', '?' (or ';') is the normal case. Otherwise a later '@'
    still counts when the text before it reads as user:password (an unencoded '/', '?' in the
    password), but not when it is host:port/... followed by an '@' in the path or query. In a
    database URL a digit-first password (u:123/abc@host) is still a password: reading it as
    port 123 and database 'abc@host/db' named a password fragment as the missing database.
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
    if "=" in rest[:later]:
        return -1
    if rest[colon + 1 : auth_end].isdigit() and not database_url:
        return -1
    return later


def parse_url(value: str, notes: list[str]) -> ParsedDsn | None:
    m = SCHEME_RE.match(value)
    if m is None:
        return None
    scheme = m.group(0)[:-3]
    engine = _engine_from_scheme(scheme)
    base = m.end()
    rest = value[base:]
    stops = "/?;" if engine == "sqlserver" else "/?"
    auth_end = next((i for i, c in enumerate(rest) if c in stops), len(rest))
    at = _find_userinfo_at(rest, auth_end, database_url=engine is not None)
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
            params.update(semicolon_params(props))
        database = unquote(path)
        params.update(query_params(query))
    elif tail.startswith("?"):
        params.update(query_params(tail[1:]))
    elif tail.startswith(";"):
        props, _, query = tail[1:].partition("?")
        params.update(semicolon_params(props))
        params.update(query_params(query))

    connector_instance: str | None = None
    if scheme.lower().startswith("r2dbc:gcp:"):
        # R2DBC Cloud SQL connector: the authority is the connection name itself.
        host_raw, port_raw = unquote(authority), None
        connector_instance = host_raw
    else:
        hp, port_raw = split_hostport(authority, notes)
        host_raw = unquote(hp)
    form = "jdbc" if scheme.lower().startswith("jdbc:") else "url"
    pieces = Pieces(
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
        redacted=splice(value, *pw_span),
        connector_instance=connector_instance,
    )
    return build(pieces, notes)


def parse_jdbc_opaque(value: str, notes: list[str]) -> ParsedDsn | None:
    """jdbc:postgresql:dbname (no '//'): local default host, database only."""
    m = re.fullmatch(r"(jdbc:[A-Za-z0-9]+):([^/?][^?]*)(?:\?(.*))?", value, re.S)
    if m is None:
        return None
    pieces = Pieces(
        form="jdbc",
        scheme=m.group(1),
        engine=_engine_from_scheme(m.group(1)),
        host=None,
        port_raw=None,
        database=unquote(m.group(2)),
        user=None,
        has_password=False,
        params=query_params(m.group(3) or ""),
        empty_host=False,
        redacted=redact(value),
    )
    return build(pieces, notes)
