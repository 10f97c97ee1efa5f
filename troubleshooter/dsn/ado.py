"""ADO.NET / Npgsql / ODBC connection strings: Server=...;Database=...;User Id=...;Password=..."""

from __future__ import annotations

import re
from typing import Final

from troubleshooter.dsn.kinds import Engine
from troubleshooter.dsn.params import fold_keys, norm_key, pick, semicolon_params
from troubleshooter.dsn.parsed import ParsedDsn, Pieces, build
from troubleshooter.redact import REDACTED, is_secret_name, redact

_ADO_HOST_KEYS: Final = ("server", "host", "data_source", "address", "addr", "network_address", "hostname")
_ADO_KEYS: Final = frozenset(
    (*_ADO_HOST_KEYS, "database", "initial_catalog", "user_id", "uid", "username", "password", "pwd", "driver", "port")
)


ADO_SEP_RE: Final = re.compile(r";[ \t]*[A-Za-z][A-Za-z _]*=")


def parse_ado(value: str, notes: list[str]) -> ParsedDsn | None:
    """Server=...;Database=...;User Id=...;Password=... (ADO.NET, Npgsql, ODBC)."""
    if ";" not in value or "=" not in value:
        return None
    params = semicolon_params(value)
    lowered = fold_keys(params)
    if not _ADO_KEYS.intersection(lowered) or not set(_ADO_HOST_KEYS) & set(lowered):
        return None
    host_raw = pick(lowered, *_ADO_HOST_KEYS) or ""
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
    ado_params = {k: v for k, v in params.items() if norm_key(k) not in _ADO_HOST_KEYS}
    pieces = Pieces(
        form="ado",
        scheme=None,
        engine=engine,
        host=host,
        port_raw=port_raw,
        database=pick(lowered, "database", "initial_catalog"),
        user=pick(lowered, "user_id", "userid", "uid", "username", "user"),
        has_password=bool(pick(lowered, "password", "pwd")),
        params=ado_params,
        empty_host=False,
        redacted=redact(redacted),
    )
    return build(pieces, notes)
