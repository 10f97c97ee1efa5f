"""The Go MySQL driver DSN: user:pass@unix(/cloudsql/P:R:I)/db, user:pass@tcp(host:3306)/db."""

from __future__ import annotations

import re
from typing import Final

from troubleshooter.dsn.params import query_params, splice, split_hostport
from troubleshooter.dsn.parsed import ParsedDsn, Pieces, build

_GO_MYSQL_RE: Final = re.compile(
    r"(?:(?P<user>[^:@/]*)(?::(?P<password>.*))?@)?"
    r"(?P<net>tcp|tcp4|tcp6|unix|cloudsql|cloudsql-mysql)\((?P<addr>[^)]*)\)"
    r"/(?P<db>[^?]*)(?:\?(?P<query>.*))?",
    re.S,
)


def parse_go_mysql(value: str, notes: list[str]) -> ParsedDsn | None:
    """go-sql-driver/mysql DSN: user:pass@unix(/cloudsql/P:R:I)/db, user:pass@tcp(h:3306)/db."""
    m = _GO_MYSQL_RE.fullmatch(value)
    if m is None:
        return None
    net, addr = m.group("net"), m.group("addr")
    params = query_params(m.group("query") or "")
    host: str | None
    port_raw: str | None = None
    connector: str | None = None
    if net == "unix":
        host = addr
    elif net.startswith("cloudsql"):
        host, connector = None, addr
    else:
        host, port_raw = split_hostport(addr, notes)
    span = (m.start("password"), m.end("password")) if m.group("password") is not None else (0, 0)
    pieces = Pieces(
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
        redacted=splice(value, *span),
        connector_instance=connector,
    )
    return build(pieces, notes)
