"""Mask secrets (passwords, tokens, keys) in text, env values and API objects before any output."""

from __future__ import annotations

import functools
import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

REDACTED: Final = "<redacted>"

# --- secret-looking names -------------------------------------------------------------

# Substrings that make a name secret wherever they appear (PGPASSWORD, sslpassword, APP_SECRET).
_SECRET_SUBSTRINGS: Final = (
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "APIKEY",
    "API_KEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
)
# Whole name parts that are secret only as a word (`sig`, not SIGNAL). Authorization headers
# have their own rule, which keeps the scheme word (Bearer) visible.
_SECRET_PARTS: Final = frozenset({"PWD", "PW", "PGPASS", "SIG", "SIGNATURE", "COOKIE"})
# A last part that makes the name secret: *_KEY, *_PASS, *_AUTH (BASIC_AUTH=user:pass).
_SECRET_LAST: Final = frozenset({"KEY", "PASS", "AUTH"})
# Names that end in one of these hold metadata about a secret (its id, file, TTL), not the secret:
# AWS_ACCESS_KEY_ID, POSTGRES_PASSWORD_FILE, TELEGRAM_BOT_SECRET_NAME, TOKEN_URI, ...
_NOT_SECRET_LAST: Final = frozenset(
    {
        "ID", "IDS", "NAME", "NAMES", "FILE", "PATH", "DIR", "REF", "VERSION", "URL", "URI",
        "ENDPOINT", "TTL", "EXPIRY", "EXPIRES", "EXPIRATION", "LIFETIME", "AUDIENCE", "ISSUER",
        "HEADER", "TYPE", "LENGTH", "SECONDS", "MINUTES", "HOURS", "DAYS", "ENABLED", "DISABLED",
        "MODE", "ALGORITHM", "POLICY", "STATUS", "PROJECT", "LOCATION", "REGION", "COUNT", "SIZE",
        "FORMAT", "PREFIX", "FIELD", "PARAM", "KIND", "PARALLELISM",
    }
)
# Keys that are public or are resource names: publishable/public keys, KMS key resource names,
# reCAPTCHA site keys, database "keys".
_NOT_SECRET_SUBSTRINGS: Final = ("PUBLIC", "PUBLISHABLE", "KMS", "SITE_KEY", "CRYPTO_KEY")
_NOT_SECRET_NAMES: Final = frozenset(
    {"CACHE_KEY", "PARTITION_KEY", "SORT_KEY", "PRIMARY_KEY", "FOREIGN_KEY", "IDEMPOTENCY_KEY"}
)


def _normalize_name(name: str) -> str:
    """FOO-bar.baz / fooBarBaz -> FOO_BAR_BAZ, so env, query and JSON keys compare alike."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^A-Z0-9]+", "_", snake.upper()).strip("_")


@functools.lru_cache(maxsize=8192)
def is_secret_name(name: str) -> bool:
    """True when a variable, parameter or field name says its value is a secret (pure in `name`,
    so remembered: the same env names come back for every target of a scan).

    Secret: *PASSWORD*, *PASSWD*, *SECRET*, *TOKEN*, *CREDENTIAL*, *API_KEY*, *PRIVATE_KEY*,
    *ACCESS_KEY*, a part PWD/PW/PGPASS/SIG/SIGNATURE/COOKIE, or a last part KEY/PASS/AUTH.
    Not secret: names ending in ID, NAME, FILE, PATH, URL, TTL, ... (metadata about a secret,
    e.g. AWS_ACCESS_KEY_ID, POSTGRES_PASSWORD_FILE), and public keys (PUBLIC, PUBLISHABLE,
    KMS, SITE_KEY). A value under such a name is still scanned for token shapes.
    """
    norm = _normalize_name(name)
    if not norm or norm in _NOT_SECRET_NAMES:
        return False
    parts = norm.split("_")
    if parts[-1] in _NOT_SECRET_LAST or any(s in norm for s in _NOT_SECRET_SUBSTRINGS):
        return False
    if any(s in norm for s in _SECRET_SUBSTRINGS):
        return True
    return bool(_SECRET_PARTS.intersection(parts)) or parts[-1] in _SECRET_LAST


# --- token shapes -----------------------------------------------------------------------

# (kind, pattern): each match is replaced whole. Kinds feed secret_in_env's reason.
_TOKEN_PATTERNS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    (
        "a private key",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?"
            r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
            re.S,
        ),
    ),
    ("a Google API key", re.compile(r"AIza[0-9A-Za-z_\-]{35}")),
    ("a Google OAuth access token", re.compile(r"\bya29\.[0-9A-Za-z_\-.]{10,}")),
    ("a Google OAuth refresh token", re.compile(r"\b1//0[0-9A-Za-z_\-]{20,}")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}")),
    # xoxb-/xoxp-/... bot and user tokens, xapp- app-level tokens (Socket Mode).
    ("a Slack token", re.compile(r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9\-]{10,4096}")),
    ("a Slack webhook URL", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+")),
    ("a Stripe key", re.compile(r"\b(?:(?:sk|rk)_(?:live|test)_|whsec_)[0-9A-Za-z]{10,}")),
    ("an OpenAI-style API key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Telegram bot token", re.compile(r"\b\d{8,10}:[A-Za-z0-9_\-]{35}\b")),
    ("a SendGrid key", re.compile(r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b")),
    ("an npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("a JWT", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*")),
)


def token_kind(text: str) -> str | None:
    """The kind of the first token-shaped secret found in text ('a GitHub token'), else None."""
    for kind, pattern in _TOKEN_PATTERNS:
        if pattern.search(text):
            return kind
    return None


# --- free-text rules --------------------------------------------------------------------

# scheme://user:PASSWORD@ — the password may hold '/', '?', '#', a space and even '@' when
# another '@' follows (unencoded passwords are common in hand-written DSNs). Every quantifier
# is bounded and the scheme cannot start inside a word, so a long run of letters costs linear
# time (an unbounded form backtracked: 64 s for one 250 KB log line).
_URL_USERINFO_RE: Final = re.compile(
    r"(?<![A-Za-z0-9+.\-])(?P<head>[A-Za-z][A-Za-z0-9+.\-]{0,30}://(?P<user>[^\s:/@]{0,128}):)"
    r"(?P<pw>(?:[^\s@]|[ ](?!\S{0,64}://)|@(?=[^\s@/?]{0,128}@)){1,2048})(?=@)"
)
# Web URLs (https://host:8443/path?email=a@b.com): a "password" that is digits then a path is
# really host:port/path. Database and other schemes keep it as a password: a digit-first
# password followed by '#', '/' or '?' is a real password there.
_PORT_THEN_PATH_RE: Final = re.compile(r"\d{1,5}[/?#]")
_WEB_SCHEMES: Final = frozenset({"http", "https", "ws", "wss"})


def _is_url_password(head: str, pw: str) -> bool:
    if not pw:
        return False
    scheme = head.split("://", 1)[0].lower()
    if scheme in _WEB_SCHEMES:
        return not _PORT_THEN_PATH_RE.match(pw) and " " not in pw
    return True


# Go MySQL driver DSN: user:password@tcp(host:3306)/db, user:password@unix(/cloudsql/...)/db.
_GO_DSN_RE: Final = re.compile(
    r"(?P<head>(?<![^\s\"'=])[^\s:@/\"'=]*:)(?P<pw>[^\s@]*)(?=@(?:tcp|tcp4|tcp6|unix|cloudsql|cloudsql-mysql)\()"
)
_AUTH_HEADER_RE: Final = re.compile(
    r"(?P<head>\bauthorization\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?"
    r"(?:(?:bearer|basic|token|digest|negotiate|bot)[ \t]+)?)(?P<val>[^\s\"',;\\]+)",
    re.I,
)
_BEARER_RE: Final = re.compile(r"(?P<head>\bbearer[ \t]+)(?P<val>[A-Za-z0-9\-._~+/]+=*)", re.I)
_CLI_FLAG_RE: Final = re.compile(
    r"(?P<head>(?<![\w-])--[\w-]*(?:password|passwd|secret|token|api-key|apikey)[\w-]*[ \t]+)"
    r"(?P<val>(?!-)(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\S+))",
    re.I,
)
# SQL: ALTER USER x WITH PASSWORD 'p'; CREATE USER ... IDENTIFIED BY 'p'.
_SQL_PASSWORD_RE: Final = re.compile(
    r"(?P<head>\b(?:password|identified[ \t]+by)[ \t]+)(?P<val>'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\")",
    re.I,
)
# key=value / key: value / "key": "value" — a key followed by its separator. The value is
# read by hand (_value_end) so a non-secret key never swallows the secret pair after it.
_KEY_SEP_RE: Final = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<key>[A-Za-z_][A-Za-z0-9_.\-]{0,63})"
    r"(?:[ \t]*=[ \t]*|[ \t]*:[ \t]+|(?<=[\"'])[ \t]*:[ \t]*|\\*[\"'][ \t]*:[ \t]*)"
)
# Secret Manager references and gcloud --set-secrets values name a secret, they are not one;
# the tool must show them (secret-not-accessible).
_SECRET_REFERENCE_RE: Final = re.compile(
    r"projects/[^/\s]{1,255}/secrets/[^/\s]{1,255}(?:/versions/[^/\s]{1,64})?[.,]?|[A-Za-z0-9_\-]{1,255}:latest"
)
_SECRETS_FLAG_RE: Final = re.compile(r"--(?:set|update|remove)-secrets[= ]", re.I)
# mysql -pPASSWORD (the password glued to -p, as the MySQL clients take it on the command line).
_MYSQL_P_RE: Final = re.compile(
    r"(?P<head>\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlsh|mariadb|mariadb-dump)"
    r"(?:\.exe)?\b[^\n]{0,400}?(?<=[ \t])-p)(?P<val>[^\s'\"]{1,256}|'[^'\n]{0,256}'|\"[^\"\n]{0,256}\")"
)
# Oracle connect strings: scott/tiger@host, jdbc:oracle:thin:scott/tiger@//host:1521/svc.
# A name right after '/', '.', '@' or a word char is part of a path or an image (repo/img@sha256).
_ORACLE_RE: Final = re.compile(
    r"(?<![\w/.@$#\-])(?P<head>[A-Za-z][\w$#]{0,63}/)(?P<val>[^\s/@'\"]{1,128})"
    r"(?=@(?!sha256:|sha512:)(?://)?[A-Za-z0-9\[(])"
)
# A bare AWS secret access key: 40 base64 characters on their own (its id, AKIA..., is found
# by shape; the secret has none, so it must mix cases and digits and look random).
_AWS_SECRET_RE: Final = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# Lines longer than this are cut (at a space, so no half token is left) before any rule runs:
# nothing readable is that long, and Cloud Logging allows 256 KB per entry.
MAX_LINE: Final = 16_384


def _sub(pattern: re.Pattern[str], text: str, keep: Callable[[str], bool] | None = None) -> str:
    """Replace group 'val'/'pw' of each match with the marker, unless keep(value) says no."""

    def repl(m: re.Match[str]) -> str:
        value = m.group("val") if "val" in m.groupdict() else m.group("pw")
        if value == REDACTED or (keep is not None and keep(value)):
            return m.group(0)
        if value[:1] in "\"'" and len(value) >= 2 and value[-1] == value[0]:
            return m.group("head") + value[0] + REDACTED + value[0]
        return m.group("head") + REDACTED

    return pattern.sub(repl, text)


def _redact_url_passwords(text: str) -> str:
    # A hand loop instead of re.sub: when a candidate is rejected (host:port/...@), scanning
    # restarts right after its '://' so a real DSN nested in that URL is still found.
    out: list[str] = []
    pos = last = 0
    while (m := _URL_USERINFO_RE.search(text, pos)) is not None:
        pw = m.group("pw")
        if pw != REDACTED and _is_url_password(m.group("head"), pw):
            out.append(text[last : m.start("pw")])
            out.append(REDACTED)
            last = pos = m.end("pw")
        else:
            pos = m.start() + m.group("head").index("://") + 3
    out.append(text[last:])
    return "".join(out)


_QUOTE_RE: Final = re.compile(r"\\*[\"']")


def _value_end(text: str, start: int) -> int:
    """End of the value that starts at text[start]: quoted (JSON, JSON inside JSON, libpq)
    or up to whitespace, '&' or ';'."""
    if text.startswith(REDACTED, start):
        return start + len(REDACTED)
    q = _QUOTE_RE.match(text, start)
    if q is not None:
        quote = q.group(0)
        i = q.end()
        while i < len(text):
            if text.startswith(quote, i):
                return i + len(quote)
            if len(quote) == 1 and text[i] == "\\":
                i += 2
                continue
            if text[i] == "\n":
                return i  # unterminated: mask to end of line rather than leak
            i += 1
        return len(text)
    i = start
    while i < len(text) and not text[i].isspace() and text[i] not in "&;":
        i += 1
    return i


def _mask_value(value: str) -> str:
    q = _QUOTE_RE.match(value)
    if q is not None:
        quote = q.group(0)
        closed = len(value) >= 2 * len(quote) and value.endswith(quote)
        return quote + REDACTED + (quote if closed else "")
    return REDACTED


# A probe's or check's outcome after its id ("secrets: skipped" in the RCA timeline).
_OUTCOME_WORDS: Final = frozenset({"ok", "failed", "uncertain", "skipped"})


def _redact_key_values(text: str) -> str:
    out: list[str] = []
    last = 0
    for m in _KEY_SEP_RE.finditer(text):
        if m.start() < last or not is_secret_name(m.group("key")):
            continue
        line_start = max(text.rfind(" ", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
        if _SECRETS_FLAG_RE.match(text, line_start):
            continue
        vstart = m.end()
        vend = _value_end(text, vstart)
        value = text[vstart:vend]
        if not value or value == REDACTED or _SECRET_REFERENCE_RE.fullmatch(value.strip("\"'\\")):
            continue
        if value in _OUTCOME_WORDS:
            continue  # "secrets: ok" is the `secrets` probe's outcome, not a secret's value
        masked = _mask_value(value)
        if masked == value:
            continue
        out.append(text[last:vstart])
        out.append(masked)
        last = vend
    out.append(text[last:])
    return "".join(out)


def _bearer_keep(value: str) -> bool:
    # "Bearer token" / "bearer authentication" is prose; real tokens carry digits or dots.
    return not (re.search(r"[0-9._~+/=-]", value) and len(value) >= 8)


def _aws_secret(value: str) -> bool:
    has = [any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value)]
    return all(has) and value.count("/") <= 4 and _entropy(value) >= 4.0


def _redact_aws_secrets(text: str) -> str:
    return _AWS_SECRET_RE.sub(lambda m: REDACTED if _aws_secret(m.group(0)) else m.group(0), text)


def cut_long_lines(text: str, limit: int = MAX_LINE) -> str:
    """Lines longer than limit cut to it, at the last space before it (a half token would
    escape the rules that need its end), with how much was cut."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if len(line) > limit:
            space = max(line.rfind(" ", 0, limit), line.rfind("\t", 0, limit))
            keep = line[:space] if space > 0 else ""
            lines[i] = f"{keep} …[{len(line) - len(keep)} chars cut]"
    return "\n".join(lines)


# --- values known to be secret ------------------------------------------------------------

# Secret Manager payloads read in this process (with the operator's consent): masked wherever
# they appear, whatever their shape. Registered by the probe that reads them under its owner (the
# gateway of the workspace), dropped when that workspace closes (forget_known_secrets).
_KNOWN_LOCK: Final = threading.Lock()
_KNOWN_BY: dict[int, set[str]] = {}
_KNOWN: list[str] = []    # every owner's values, longest first (a payload holding another is masked whole)
_KNOWN_MIN = 4  # shorter values ("on", "5432") would mask ordinary words everywhere


def register_secret(value: str, owner: object = None) -> None:
    """Mask `value` (each of its lines, a DSN's password in it) in every later redact()."""
    pieces = {value, value.strip(), *(line.strip() for line in value.splitlines())}
    # The password inside a DSN payload is a secret on its own (a driver error may quote it).
    pieces.update(m.group("pw") for m in _URL_USERINFO_RE.finditer(value))
    for m in _KEY_SEP_RE.finditer(value):
        key = _normalize_name(m.group("key"))
        if key in {"PASSWORD", "PWD", "PASSWD", "PASS", "PW"} or key.endswith("PASSWORD"):
            pieces.add(value[m.end():_value_end(value, m.end())].strip("'\"\\ "))
    with _KNOWN_LOCK:
        mine = _KNOWN_BY.setdefault(id(owner), set())
        mine.update(p for p in pieces if len(p) >= _KNOWN_MIN)
        _rebuild_known()


def forget_known_secrets(owner: object = None) -> None:
    """Drop the values `owner` registered (the workspace that read them is closing)."""
    with _KNOWN_LOCK:
        _KNOWN_BY.pop(id(owner), None)
        _rebuild_known()


def _rebuild_known() -> None:
    _KNOWN[:] = sorted({v for values in _KNOWN_BY.values() for v in values}, key=len, reverse=True)


def _mask_known(text: str) -> str:
    with _KNOWN_LOCK:
        known = list(_KNOWN)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def redact(text: str) -> str:
    """Mask every secret in free text (log lines, env values, error messages, commands).

    Covers URL passwords of any scheme, password=/pwd=/passwd= and token/key/sig/secret
    pairs (query strings, libpq key=value, JSON, YAML), Authorization headers, CLI
    --password flags, SQL PASSWORD '...', and token shapes (Google API keys, ya29 tokens,
    private key blocks, Slack, Stripe, GitHub, AWS, JWT...). Everything else is left
    byte for byte. Idempotent: redact(redact(x)) == redact(x).
    """
    if not text:
        return text
    text = cut_long_lines(_mask_known(text))
    for _kind, pattern in _TOKEN_PATTERNS[:1]:
        # Private keys first: their base64 body would otherwise be cut up by later rules.
        text = pattern.sub(REDACTED, text)
    text = _sub(_AUTH_HEADER_RE, text)
    text = _sub(_BEARER_RE, text, keep=_bearer_keep)
    text = _redact_url_passwords(text)
    text = _sub(_GO_DSN_RE, text, keep=lambda v: v == "")
    text = _redact_key_values(text)
    text = _sub(_CLI_FLAG_RE, text)
    text = _sub(_SQL_PASSWORD_RE, text)
    text = _sub(_MYSQL_P_RE, text)
    text = _sub(_ORACLE_RE, text)
    for _kind, pattern in _TOKEN_PATTERNS[1:]:
        text = pattern.sub(REDACTED, text)
    return _redact_aws_secrets(text)


# --- env values -------------------------------------------------------------------------

_BOOLISH: Final = frozenset({"", "true", "false", "0", "1", "yes", "no", "on", "off", "none", "null"})
# Names whose values are long identifiers by nature (commit SHAs, digests, build ids).
_ID_NAME_RE: Final = re.compile(
    r"(?:^|_)(?:ID|SHA|COMMIT|HASH|DIGEST|VERSION|REVISION|IMAGE|BUILD|CHECKSUM|UUID)(?:_|$)"
)
_COMPACT_RE: Final = re.compile(r"[A-Za-z0-9+/=_\-]{32,}")
_HEX_RE: Final = re.compile(r"[0-9a-fA-F]{32,}")


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def looks_high_entropy(value: str) -> bool:
    """True for a long random-looking value: 32+ hex chars, or 32+ base64 chars mixing
    upper, lower and digits with high Shannon entropy. UUIDs, paths and words do not count."""
    if not _COMPACT_RE.fullmatch(value) or value.startswith("/"):
        return False
    if _HEX_RE.fullmatch(value):
        return not value.isdigit() and _entropy(value) >= 3.0
    classes = sum(bool(re.search(p, value)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    # Random base64 of n chars scores close to log2(n); long CamelCase words fall short of it.
    return classes >= 2 and _entropy(value) >= min(4.5, math.log2(len(value)) - 0.8)


def _is_path(value: str) -> bool:
    return value.startswith(("/", "./", "~/")) and not any(c.isspace() for c in value)


def _secret_name_applies(name: str, value: str) -> bool:
    """A secret-named var whose value is not a secret after all: a boolean flag, a Secret
    Manager reference, or a credentials file path (GOOGLE_APPLICATION_CREDENTIALS)."""
    if not is_secret_name(name) or value.strip().lower() in _BOOLISH:
        return False
    if _SECRET_REFERENCE_RE.fullmatch(value):
        return False
    return not ("CREDENTIAL" in _normalize_name(name) and _is_path(value))


def _entropy_applies(name: str, value: str) -> bool:
    return not _ID_NAME_RE.search(_normalize_name(name)) and looks_high_entropy(value)


def redact_env(name: str, value: str) -> str:
    """An env value fit to show: whole value masked when the NAME is secret-looking (see
    is_secret_name) or the value is a high-entropy secret; otherwise redact(value).
    Empty values stay empty so 'variable is empty' diagnoses remain visible."""
    if _secret_name_applies(name, value) or _entropy_applies(name, value):
        return REDACTED
    return redact(value)


def secret_in_env(name: str, value: str) -> str | None:
    """Why a plain (not Secret Manager) env value carries a secret, for the
    plaintext-secret-in-env finding; None when it does not."""
    if not value or value.strip().lower() in _BOOLISH:
        return None
    value = cut_long_lines(value)
    for m in _URL_USERINFO_RE.finditer(value):
        if _is_url_password(m.group("head"), m.group("pw")):
            scheme = m.group("head").split("://", 1)[0]
            return f"{name} holds a {scheme} URL with an embedded password"
    if (go := _GO_DSN_RE.search(value)) is not None and go.group("pw"):
        return f"{name} holds a connection string with an embedded password"
    if (ora := _ORACLE_RE.search(value)) is not None and ora.group("val") != REDACTED:
        return f"{name} holds an Oracle-style user/password@host connect string"
    for m in _KEY_SEP_RE.finditer(value):
        key = _normalize_name(m.group("key"))
        is_password = key in {"PASSWORD", "PWD", "PASSWD", "PASS", "PW"} or key.endswith("PASSWORD")
        if is_password and value[m.end() : _value_end(value, m.end())].strip("'\"\\"):
            return f"{name} holds a connection string with {m.group('key')}=..."
    kind = token_kind(value)
    if kind is not None:
        return f"{name} holds what looks like {kind}"
    if _secret_name_applies(name, value):
        return f"{name} is named like a secret and has a plain value"
    if _entropy_applies(name, value):
        return f"{name} holds a long random-looking value (a key or token?)"
    return None


# --- objects ----------------------------------------------------------------------------


def redact_obj(obj: Any) -> Any:
    """A redacted deep copy of API JSON or an env list: {"name","value"} entries go through
    redact_env, other string fields under a secret-looking key are masked whole, every other
    string goes through redact. The key 'secret' names a Secret Manager secret (secretKeyRef)
    and is shown. Non-string scalars are returned as they are."""
    if isinstance(obj, dict):
        name, value = obj.get("name"), obj.get("value")
        is_env = isinstance(name, str) and isinstance(value, str)
        out: dict[Any, Any] = {}
        for key, item in obj.items():
            if is_env and key == "value":
                out[key] = redact_env(name, item)  # type: ignore[arg-type]
            elif isinstance(item, str) and isinstance(key, str) and key != "secret":
                out[key] = redact_env(key, item) if _secret_name_applies(key, item) else redact(item)
            else:
                out[key] = redact_obj(item)
        return out
    if isinstance(obj, list):
        return [redact_obj(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(redact_obj(item) for item in obj)
    if isinstance(obj, str):
        return redact(obj)
    return obj


# --- stand-ins for captured worlds ----------------------------------------------------------

# What replaces a secret in a captured world file (troubleshooter capture). Unlike REDACTED,
# a stand-in must keep every input the diagnosis reads from the value, so that the replayed
# world decides the same: a DSN password keeps its reserved characters and percent-escapes
# (where URL parsers split, and what the password-not-url-encoded check reads) with every other
# run of characters replaced by STAND_IN; a token keeps its kind's shape (the
# plaintext-secret-in-env finding tells tokens by shape); a long random value is replaced by a
# long random-looking one derived from the variable's NAME only, never from the value.
STAND_IN: Final = "redacted"
_PCT_ESCAPE_RE: Final = re.compile(r"%[0-9A-Fa-f]{2}")
_SCHEME_RE: Final = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.\-]*://")


def shaped_password(password: str) -> str:
    """`p@ss#w%40rd!` -> `redacted@redacted#redacted%40redacted!`: only runs of letters and digits
    are replaced (a run of up to five digits by "0": a web URL's host:port/path is told from a
    password by it; any other by STAND_IN). Punctuation and valid percent-escapes are kept: they
    are where URL parsers split (RFC 3986 gen-delims, '%') and what the secret-shape rules read,
    so the replay's checks decide as on the real value. What stays known is only the password's
    punctuation, never its letters or digits."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            short_number = len(run) <= 5 and all(c.isdigit() for c in run)
            out.append("0" if short_number else STAND_IN)
            run.clear()

    i = 0
    while i < len(password):
        m = _PCT_ESCAPE_RE.match(password, i)
        if m is not None:
            flush()
            out.append(m.group(0))
            i = m.end()
            continue
        ch = password[i]
        if ch.isalnum():
            run.append(ch)
        else:
            flush()
            out.append(ch)
        i += 1
    flush()
    return "".join(out)


def _url_password_span(value: str) -> tuple[int, int] | None:
    """Where the password of a URL DSN is, split as the password-encoding check splits it
    (checks/methods.py: userinfo up to the LAST '@', password after its first ':')."""
    m = _SCHEME_RE.match(value)
    if m is None:
        return None
    at = value.rfind("@", m.end())
    if at < 0:
        return None
    colon = value.find(":", m.end(), at)
    if colon < 0:
        return None
    return colon + 1, at


def _token_stand_in(token: str) -> str:
    """A fake of the same kind: the kind's prefix kept, letters to X/x, digits to 0, the rest kept."""
    kind = token_kind(token)
    for keep in (4, 8, 12):
        head, tail = token[:keep], token[keep:]
        fake = head + "".join("0" if c.isdigit() else ("X" if c.isupper() else "x") if c.isalpha() else c
                              for c in tail)
        if fake != token and token_kind(fake) == kind:
            return fake
    return STAND_IN


def stand_in(name: str, value: str) -> str:
    """An env value fit to write into a captured world: no secret left, but what the checks read
    (DSN shape, password characters that matter, token kind, secret-looking name) kept."""
    if not value:
        return value
    if _SECRET_REFERENCE_RE.fullmatch(value) or value.strip().lower() in _BOOLISH:
        return value
    span = _url_password_span(value)
    if _secret_name_applies(name, value) and span is None:
        return STAND_IN  # a secret-named value: nothing of it is kept (a URL DSN keeps its shape)
    if _entropy_applies(name, value):
        import hashlib

        return hashlib.sha256(f"troubleshooter stand-in for {name}".encode()).hexdigest()
    if span is not None:
        # A URL DSN: its password is replaced in place by its shape; the parts around it (the
        # scheme and user, the host, path and query) go through the same rules as any value.
        start, end = span
        head, tail = _stand_in_text(value[:start - 1]), _stand_in_text(value[end + 1:])
        return f"{head}:{shaped_password(value[start:end])}@{tail}"
    return _stand_in_text(value)


def _stand_in_text(value: str) -> str:
    """Free text with each secret replaced: tokens by fakes of their kind, the rest by STAND_IN."""
    if not value:
        return value
    # Tokens become fakes of their kind; each is hidden behind a short marker while redact()
    # masks the rest (it would mask the fake too: it has the shape on purpose).
    fakes: list[str] = []

    def hide(m: re.Match[str]) -> str:
        fakes.append(_token_stand_in(m.group(0)))
        return f"tsfake{len(fakes) - 1}x"

    for _kind, pattern in _TOKEN_PATTERNS[1:]:
        value = pattern.sub(hide, value)
    text = redact(value).replace(REDACTED, STAND_IN)
    for i, fake in enumerate(fakes):
        text = text.replace(f"tsfake{i}x", fake)
    return text
