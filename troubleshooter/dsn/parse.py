"""parse_dsn: read a connection string in whichever syntax it is written."""

from __future__ import annotations

from troubleshooter.dsn.ado import ADO_SEP_RE, parse_ado
from troubleshooter.dsn.go_mysql import parse_go_mysql
from troubleshooter.dsn.kinds import show
from troubleshooter.dsn.libpq import parse_keyvalue
from troubleshooter.dsn.parsed import ParsedDsn
from troubleshooter.dsn.url import SCHEME_RE, parse_jdbc_opaque, parse_url


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
    if value != value.lstrip() and SCHEME_RE.match(value.lstrip()):
        notes.append(f"value starts with whitespace: {show(value[: len(value) - len(value.lstrip())])}")
        body = value.lstrip()
    # Npgsql/ADO 'host=x;database=y' would also read as one libpq pair, so ';'-separated
    # pairs decide which of the two is tried first.
    kv_parsers = (parse_ado, parse_keyvalue) if ADO_SEP_RE.search(body) else (parse_keyvalue, parse_ado)
    for parser in (parse_url, parse_jdbc_opaque, parse_go_mysql, *kv_parsers):
        parsed = parser(body, notes)
        if parsed is not None:
            return parsed
        notes = notes[:1] if body is not value else []
    return None
