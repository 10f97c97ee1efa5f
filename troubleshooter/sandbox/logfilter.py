"""Evaluate Cloud Logging query-language filters (the `entries:list` subset) against REST-JSON LogEntry dicts."""

from __future__ import annotations

import operator
import re
import types
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Mapping, Union

# Grammar accepted (Google's "Logging query language", restricted to what the sandbox needs):
#
#   query       := [ and_expr ]                      -- empty query matches every entry
#   and_expr    := or_expr { [ "AND" ] or_expr }     -- juxtaposition is an implicit AND
#   or_expr     := unary { "OR" unary }
#   unary       := ( "NOT" | "-" ) unary | primary
#   primary     := "(" and_expr ")" | function | restriction
#   function    := "log_id" "(" string ")"
#   restriction := path [ comparator value_arg ]     -- a path with no comparator is a global search term
#   path        := segment { "." segment }           -- segment: bare word or "quoted string"
#   comparator  := "=" | "!=" | ">" | "<" | ">=" | "<=" | ":" | "=~" | "!~"
#   value_arg   := value | "(" value_and ")"         -- field = ("a" OR "b") distributes the comparison
#   comments    := "--" to end of line, anywhere whitespace is allowed
#
# Precedence follows Google's Logging query language reference, section "Boolean operators":
# NOT binds tightest, then OR, then AND -- the reference's own example is that
# `"a" OR NOT "b" AND NOT "c" OR "d"` means `("a" OR (NOT "b")) AND ((NOT "c") OR "d")`
# (AIP-160, the filtering spec it cites, also gives OR higher precedence than AND).
# Boolean keywords must be upper case, as Google requires; lower-case `and` is a search term.

Entry = Mapping[str, Any]
Predicate = Callable[[Entry], bool]

# LogSeverity enum values; REST JSON carries the name, but numbers are accepted in filters.
_SEVERITY_RANKS: Mapping[str, int] = types.MappingProxyType(
    {
        "DEFAULT": 0,
        "DEBUG": 100,
        "INFO": 200,
        "NOTICE": 300,
        "WARNING": 400,
        "ERROR": 500,
        "CRITICAL": 600,
        "ALERT": 700,
        "EMERGENCY": 800,
    }
)

# LogEntry fields whose values are RFC 3339 timestamps and therefore compare as instants.
_TIMESTAMP_FIELDS = frozenset({"timestamp", "receiveTimestamp"})

# Characters that end a bare word anywhere; "." additionally separates path segments.
_WORD_STOP = frozenset('()"=!<>:~')
_COMPARATORS = ("=~", "!~", "!=", ">=", "<=", "=", ">", "<", ":")
_KEYWORDS = frozenset({"AND", "OR", "NOT"})
_ESCAPES: Mapping[str, str] = types.MappingProxyType(
    {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}
)

_ORDERING: Mapping[str, Callable[[Any, Any], bool]] = types.MappingProxyType(
    {">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le}
)

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*([Zz]|[+-]\d{2}:?\d{2})?"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class FilterError(ValueError):
    """A filter that does not parse; `position` is the 0-based offset of the problem."""

    def __init__(self, message: str, text: str, position: int) -> None:
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        super().__init__(f"invalid filter: {message} at line {line}, column {column}")
        self.reason = message
        self.position = position
        self.line = line
        self.column = column


@dataclass(frozen=True)
class _Literal:
    """A value on the right of a comparator, remembering how it was written."""

    text: str
    quoted: bool
    position: int

    @property
    def number(self) -> int | float | None:
        return _as_number(self.text)


# A value expression `("a" OR NOT "b")` is kept as a tree until the comparison it feeds is known.
_ValueTree = Union[_Literal, tuple[str, Any]]


def compile_filter(text: str) -> Callable[[dict], bool]:
    """Compile a Logging query-language filter into a predicate over LogEntry dicts."""
    return _Parser(text).parse()


def _as_number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    # "nan"/"inf" parse as floats but are words in a filter.
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def parse_timestamp(text: str) -> tuple[int, int] | None:
    """RFC 3339 (or a bare date) as (epoch seconds, nanoseconds); None if it is not one."""
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    if offset and offset not in ("Z", "z"):
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    # Seconds and nanoseconds kept apart so nanosecond timestamps compare exactly.
    nanos = int((fraction or "").ljust(9, "0"))
    return int((moment - _EPOCH).total_seconds()), nanos


def _severity_rank(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        name = value.strip().upper()
        if name in _SEVERITY_RANKS:
            return _SEVERITY_RANKS[name]
        number = _as_number(name)
        return int(number) if number is not None else None
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _leaves(value: Any) -> Iterator[Any]:
    """Scalar values inside a (possibly nested) JSON value, for has/regex/global search."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None:
        yield value


def _resolve(entry: Entry, path: tuple[str, ...]) -> list[Any]:
    """Values at `path`; repeated fields fan out so a comparison matches if any element does."""
    values: list[Any] = [entry]
    for segment in path:
        found: list[Any] = []
        for value in values:
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, Mapping) and segment in item:
                    found.append(item[segment])
        values = found
        if not values:
            return []
    flat: list[Any] = []
    for value in values:
        flat.extend(value if isinstance(value, list) else (value,))
    return flat


def _all(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    return lambda entry: all(p(entry) for p in predicates)


def _any(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    return lambda entry: any(p(entry) for p in predicates)


def _negate(predicate: Predicate) -> Predicate:
    return lambda entry: not predicate(entry)


def _global_search(needle: str) -> Predicate:
    lowered = needle.lower()
    return lambda entry: any(lowered in _text(leaf).lower() for leaf in _leaves(entry))


def _log_id(log_id: str) -> Predicate:
    def matches(entry: Entry) -> bool:
        name = entry.get("logName")
        if not isinstance(name, str) or "/logs/" not in name:
            return False
        # logName carries the id URL-encoded ("run.googleapis.com%2Fstderr"); log_id() takes it plain.
        return urllib.parse.unquote(name.split("/logs/", 1)[1]) == log_id

    return matches


class _Parser:
    """Recursive-descent parser that builds the predicate directly while parsing."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    # -- scanning ---------------------------------------------------------------------------

    def _error(self, message: str, position: int | None = None) -> FilterError:
        return FilterError(message, self.text, self.pos if position is None else position)

    def _peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def _at_end(self) -> bool:
        return self.pos >= len(self.text)

    def _skip_ws(self) -> None:
        while not self._at_end():
            if self.text[self.pos].isspace():
                self.pos += 1
            elif self.text.startswith("--", self.pos):
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end + 1
            else:
                return

    def _keyword(self) -> str | None:
        """The boolean keyword at the cursor, if the next word is exactly one."""
        for word in _KEYWORDS:
            if self.text.startswith(word, self.pos):
                after = self._peek(len(word))
                if after == "" or after.isspace() or after in '("':
                    return word
        return None

    def _describe_here(self) -> str:
        return "end of filter" if self._at_end() else repr(self.text[self.pos])

    def _bare(self, stop: frozenset[str]) -> str:
        start = self.pos
        while not self._at_end():
            char = self.text[self.pos]
            if char.isspace() or char in stop:
                break
            self.pos += 1
        return self.text[start : self.pos]

    def _string(self) -> str:
        start = self.pos
        self.pos += 1  # opening quote
        out: list[str] = []
        while True:
            if self._at_end():
                raise self._error("unterminated string", start)
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\":
                escaped = self._peek(1)
                if escaped == "":
                    raise self._error("unterminated string", start)
                if escaped in _ESCAPES:
                    out.append(_ESCAPES[escaped])
                    self.pos += 2
                elif escaped == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", self.text[self.pos + 2 : self.pos + 6]):
                    out.append(chr(int(self.text[self.pos + 2 : self.pos + 6], 16)))
                    self.pos += 6
                else:
                    # Unknown escapes stay literal so regexes like "\d+" survive unescaping.
                    out.append("\\" + escaped)
                    self.pos += 2
                continue
            out.append(char)
            self.pos += 1

    def _comparator(self) -> str | None:
        for comparator in _COMPARATORS:
            if self.text.startswith(comparator, self.pos):
                self.pos += len(comparator)
                return comparator
        return None

    # -- boolean structure ------------------------------------------------------------------

    def parse(self) -> Predicate:
        self._skip_ws()
        if self._at_end():
            return lambda entry: True
        predicate = self._and()
        self._skip_ws()
        if not self._at_end():
            raise self._error(f"unexpected {self._describe_here()}")
        return predicate

    def _and(self) -> Predicate:
        terms = [self._or()]
        while True:
            self._skip_ws()
            if self._at_end() or self._peek() == ")":
                return _all(terms)
            if self._keyword() == "AND":
                self.pos += 3
            terms.append(self._or())

    def _or(self) -> Predicate:
        terms = [self._unary()]
        while True:
            self._skip_ws()
            if self._keyword() != "OR":
                return _any(terms)
            self.pos += 2
            terms.append(self._unary())

    def _unary(self) -> Predicate:
        self._skip_ws()
        if self._keyword() == "NOT":
            self.pos += 3
            return _negate(self._unary())
        if self._peek() == "-":
            self.pos += 1
            return _negate(self._unary())
        return self._primary()

    def _primary(self) -> Predicate:
        self._skip_ws()
        char = self._peek()
        if char == "":
            raise self._error("expected a search term or comparison, found end of filter")
        if char == "(":
            opened = self.pos
            self.pos += 1
            self._skip_ws()
            if self._peek() == ")":
                raise self._error("empty parentheses")
            inner = self._and()
            self._skip_ws()
            if self._peek() != ")":
                raise self._error("unclosed '(' (no matching ')')", opened)
            self.pos += 1
            return inner
        keyword = self._keyword()
        if keyword in ("AND", "OR"):
            raise self._error(f"{keyword} needs a term on each side")
        if char == ")":
            raise self._error("unexpected ')'")
        if char in _WORD_STOP and char != '"':
            raise self._error(f"expected a field name or search term before {char!r}")
        return self._restriction()

    # -- comparisons ------------------------------------------------------------------------

    def _restriction(self) -> Predicate:
        start = self.pos
        segments: list[str] = []
        quoted_only = True
        while True:
            if self._peek() == '"':
                segments.append(self._string())
            else:
                word = self._bare(_WORD_STOP | {"."})
                if not word:
                    raise self._error(f"expected a field name, found {self._describe_here()}")
                segments.append(word)
                quoted_only = False
            if self._peek() != ".":
                break
            self.pos += 1
        raw = self.text[start : self.pos]
        if self._peek() == "(" and len(segments) == 1 and not quoted_only:
            return self._function(segments[0], start)
        after_path = self.pos
        self._skip_ws()
        comparator_at = self.pos
        comparator = self._comparator()
        if comparator is None:
            self.pos = after_path
            # A lone value is a global restriction: it searches every field of the entry.
            return _global_search(segments[0] if quoted_only and len(segments) == 1 else raw)
        self._skip_ws()
        if self._at_end() or self._peek() == ")" or self._keyword() in ("AND", "OR"):
            raise self._error(f"expected a value after {comparator!r}", comparator_at)
        tree = self._value_operand()
        path = tuple(segments)
        return self._build(tree, lambda literal: _comparison(path, comparator, literal, self.text))

    def _function(self, name: str, start: int) -> Predicate:
        if name != "log_id":
            raise self._error(f"unsupported function {name!r}", start)
        self.pos += 1
        self._skip_ws()
        if self._peek() != '"':
            raise self._error("log_id() takes one quoted log id")
        log_id = self._string()
        self._skip_ws()
        if self._peek() != ")":
            raise self._error("missing ')' after the log_id() argument")
        self.pos += 1
        return _log_id(log_id)

    def _value_operand(self) -> _ValueTree:
        self._skip_ws()
        char = self._peek()
        if char == "(":
            opened = self.pos
            self.pos += 1
            tree = self._value_and()
            self._skip_ws()
            if self._peek() != ")":
                raise self._error("unclosed '(' (no matching ')')", opened)
            self.pos += 1
            return tree
        if char == '"':
            start = self.pos
            return _Literal(self._string(), True, start)
        start = self.pos
        word = self._bare(_WORD_STOP)
        if not word:
            raise self._error(f"expected a value, found {self._describe_here()}")
        return _Literal(word, False, start)

    def _value_and(self) -> _ValueTree:
        terms = [self._value_or()]
        while True:
            self._skip_ws()
            if self._at_end() or self._peek() == ")":
                return terms[0] if len(terms) == 1 else ("and", terms)
            if self._keyword() == "AND":
                self.pos += 3
            terms.append(self._value_or())

    def _value_or(self) -> _ValueTree:
        terms = [self._value_unary()]
        while True:
            self._skip_ws()
            if self._keyword() != "OR":
                return terms[0] if len(terms) == 1 else ("or", terms)
            self.pos += 2
            terms.append(self._value_unary())

    def _value_unary(self) -> _ValueTree:
        self._skip_ws()
        if self._keyword() == "NOT":
            self.pos += 3
            return ("not", self._value_unary())
        # "-5" is a number; "-x" negates, as it does outside a value.
        if self._peek() == "-" and not (self._peek(1).isdigit() or self._peek(1) == "."):
            self.pos += 1
            return ("not", self._value_unary())
        if self._at_end():
            raise self._error("expected a value, found end of filter")
        if self._keyword() in ("AND", "OR"):
            raise self._error(f"{self._keyword()} needs a value on each side")
        return self._value_operand()

    def _build(self, tree: _ValueTree, leaf: Callable[[_Literal], Predicate]) -> Predicate:
        if isinstance(tree, _Literal):
            return leaf(tree)
        kind, body = tree
        if kind == "not":
            return _negate(self._build(body, leaf))
        parts = [self._build(part, leaf) for part in body]
        return _all(parts) if kind == "and" else _any(parts)


def _comparison(path: tuple[str, ...], comparator: str, literal: _Literal, text: str) -> Predicate:
    """Predicate for `path comparator literal`; a field the entry lacks never matches."""
    is_severity = path == ("severity",)

    def values(entry: Entry) -> list[Any]:
        found = _resolve(entry, path)
        # proto3 JSON omits a default enum, so an entry without severity is DEFAULT (plain stderr lines).
        if not found and is_severity:
            return ["DEFAULT"]
        return found

    def present(entry: Entry) -> list[Any]:
        return [value for value in values(entry) if value is not None]

    if comparator == ":" and not literal.quoted and literal.text == "*":
        return lambda entry: bool(present(entry))

    if comparator in ("=~", "!~"):
        try:
            pattern = re.compile(literal.text)
        except re.error as exc:
            raise FilterError(f"bad regular expression: {exc}", text, literal.position) from None

        def regex_hit(found: list[Any]) -> bool:
            return any(pattern.search(_text(leaf)) for value in found for leaf in _leaves(value))

        if comparator == "=~":
            return lambda entry: regex_hit(present(entry))

        def regex_miss(entry: Entry) -> bool:
            found = present(entry)
            return bool(found) and not regex_hit(found)

        return regex_miss

    if comparator == ":":
        needle = literal.text.lower()
        return lambda entry: any(
            needle in _text(leaf).lower() for value in present(entry) for leaf in _leaves(value)
        )

    if not literal.quoted and literal.text == "NULL_VALUE" and comparator in ("=", "!="):
        # NULL_VALUE names an explicit JSON null, which other comparisons treat as absent.
        if comparator == "=":
            return lambda entry: any(value is None for value in _resolve(entry, path))
        return lambda entry: bool(present(entry))

    if is_severity:
        wanted = _severity_rank(literal.text)
        if wanted is None:
            raise FilterError(f"unknown severity {literal.text!r}", text, literal.position)
        return _ordered(comparator, lambda entry: [_severity_rank(v) for v in present(entry)], wanted)

    if len(path) == 1 and path[0] in _TIMESTAMP_FIELDS:
        instant = parse_timestamp(literal.text)
        if instant is None:
            raise FilterError(f"{literal.text!r} is not an RFC 3339 timestamp", text, literal.position)
        return _ordered(comparator, lambda entry: [parse_timestamp(_text(v)) for v in present(entry)], instant)

    if path == ("logName",) and comparator in ("=", "!="):
        # Filters may spell the log id with "/" or "%2F"; both name the same log.
        target = urllib.parse.unquote(literal.text).lower()
        return _ordered(
            comparator,
            lambda entry: [urllib.parse.unquote(_text(v)).lower() for v in present(entry)],
            target,
        )

    number = literal.number
    lowered = literal.text.lower()
    ordering = comparator in _ORDERING

    def keyed(entry: Entry) -> list[tuple[Any, Any] | None]:
        out: list[tuple[Any, Any] | None] = []
        for value in present(entry):
            if isinstance(value, (Mapping, list)):
                out.append(None)
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and number is not None:
                out.append((value, number))
            elif ordering and isinstance(value, str) and number is not None and _as_number(value) is not None:
                # int64 fields arrive as JSON strings; order them as numbers, not text.
                out.append((_as_number(value), number))
            else:
                # String comparisons are case-insensitive in the Logging query language.
                out.append((_text(value).lower(), lowered))
        return out

    return _ordered_pairs(comparator, keyed)


def _ordered(comparator: str, extract: Callable[[Entry], list[Any]], target: Any) -> Predicate:
    """Compare each extracted value (None = incomparable) with one target."""
    return _ordered_pairs(
        comparator, lambda entry: [None if v is None else (v, target) for v in extract(entry)]
    )


def _ordered_pairs(comparator: str, pairs_of: Callable[[Entry], list[tuple[Any, Any] | None]]) -> Predicate:
    if comparator == "=":
        return lambda entry: any(p is not None and p[0] == p[1] for p in pairs_of(entry))
    if comparator == "!=":

        def differs(entry: Entry) -> bool:
            pairs = [p for p in pairs_of(entry) if p is not None]
            return bool(pairs) and not any(a == b for a, b in pairs)

        return differs
    compare = _ORDERING[comparator]

    def ordered(entry: Entry) -> bool:
        for pair in pairs_of(entry):
            if pair is None:
                continue
            try:
                if compare(pair[0], pair[1]):
                    return True
            except TypeError:
                continue
        return False

    return ordered
