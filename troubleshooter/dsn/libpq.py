"""libpq key=value connection strings (host=/cloudsql/P:R:I dbname=app user=app)."""

from __future__ import annotations

from typing import Final

from troubleshooter.dsn.kinds import show
from troubleshooter.dsn.params import split_hostport
from troubleshooter.dsn.parsed import ParsedDsn, Pieces, build
from troubleshooter.redact import REDACTED, redact

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


def parse_keyvalue(value: str, notes: list[str]) -> ParsedDsn | None:
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
    hp = split_hostport(host, notes)[0] if host and "," in host else host
    pieces = Pieces(
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
    return build(pieces, notes)
