"""Tokenizers the DSN syntaxes share: ports, host:port, query strings, Key=Value;... and key folding."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

from troubleshooter.dsn.kinds import show
from troubleshooter.redact import REDACTED, redact


def parse_port(raw: str | None, notes: list[str]) -> int | None:
    """The port as a number, noting whitespace or a non-number in notes."""
    if raw is None or raw == "":
        return None
    if raw.isdigit():
        return int(raw)
    if raw.strip().isdigit():
        notes.append(f"port {show(raw)} has surrounding whitespace")
        return int(raw.strip())
    notes.append(f"port {show(raw)} is not a number")
    return None


def split_hostport(hp: str, notes: list[str]) -> tuple[str, str | None]:
    """'host:port', '[v6]:port' or 'h1,h2' -> (first host, raw port or None)."""
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


def query_params(query: str) -> dict[str, str]:
    """'a=1&b=2' -> {'a': '1', 'b': '2'}, percent-decoded."""
    params: dict[str, str] = {}
    for pair in query.split("&"):
        if pair == "":
            continue
        key, _, value = pair.partition("=")
        params[unquote(key)] = unquote(value)
    return params


def semicolon_params(text: str) -> dict[str, str]:
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


def norm_key(key: str) -> str:
    """'ssl-mode', 'User Id', 'unixSocketPath' -> 'ssl_mode', 'user_id', 'unixsocketpath'."""
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def fold_keys(params: Mapping[str, str]) -> dict[str, str]:
    """params with every key through norm_key, so lookups ignore case and separators."""
    return {norm_key(k): v for k, v in params.items()}


def pick(lowered: Mapping[str, str], *keys: str) -> str | None:
    """The value of the first of keys present in lowered, else None."""
    for key in keys:
        if key in lowered:
            return lowered[key]
    return None


def splice(value: str, start: int, end: int) -> str:
    """value with [start:end) (a password) replaced by the marker, then redact() for the rest."""
    if end > start:
        value = value[:start] + REDACTED + value[end:]
    return redact(value)
