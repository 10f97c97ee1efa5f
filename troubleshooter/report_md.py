"""Markdown pieces for the RCA report; every dynamic string passes through redaction here."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from troubleshooter.redact import REDACTED, redact, redact_env, redact_obj

# What would turn prose into markup: raw HTML (the <redacted> marker itself is a valid tag),
# emphasis (`*`, and `_` at a word's edge), links `](`, images `![`, entities `&amp;`, and a
# backslash before punctuation.
# Nothing else is escaped, so the file stays readable as plain text: a lone `[a-z]` or `\r`
# renders literally. Intraword `_` never emphasises in CommonMark, and env names are full of it.
_PROSE_SPECIAL = re.compile(
    r"[<>*]|\\(?=[!-/:-@\[-`{-~])|\](?=\()|!(?=\[)|&(?=#?\w+;)"
    r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def text(value: Any) -> str:
    """Redacted prose, safe to put in a paragraph or a list item (one line).

    Code spans the text already carries (check summaries quote fields as `x[]`) are kept as
    they are, since a backslash inside a code span would show literally.
    """
    s = _one_line(redact(str(value)))
    out: list[str] = []
    pos = 0
    for start, end in _code_spans(s):
        out.append(_escape_prose(s[pos:start]))
        out.append(s[start:end])
        pos = end
    out.append(_escape_prose(s[pos:]))
    return "".join(out)


def _escape_prose(s: str) -> str:
    return _PROSE_SPECIAL.sub(lambda m: "\\" + m.group(0), s)


def _code_spans(s: str) -> list[tuple[int, int]]:
    """(start, end) of each CommonMark code span: a backtick run closed by a run of equal length."""
    spans = []
    runs = [(m.start(), m.end()) for m in re.finditer(r"`+", s)]
    i = 0
    while i < len(runs):
        start, end = runs[i]
        width = end - start
        close = next((j for j in range(i + 1, len(runs)) if runs[j][1] - runs[j][0] == width), None)
        if close is None:
            i += 1
            continue
        spans.append((start, runs[close][1]))
        i = close + 1
    return spans


def cell(value: Any) -> str:
    """Redacted prose for a table cell: pipes escaped, never empty."""
    return text(value).replace("|", r"\|") or "—"


def code(value: Any, *, in_table: bool = False) -> str:
    """A redacted inline code span; the fence outgrows any backtick run inside."""
    body = _one_line(redact(str(value)))
    if not body:
        return "—" if in_table else "``"
    run = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * (run + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or run else ""
    span = f"{fence}{pad}{body}{pad}{fence}"
    return span.replace("|", r"\|") if in_table else span


def fence(lines: Iterable[str], info: str = "") -> str:
    """A fenced code block of redacted lines; the fence outgrows any backtick run inside."""
    body = "\n".join(_visible(redact(line)).rstrip() for line in lines)
    run = max((len(m) for m in re.findall(r"`{3,}", body)), default=2)
    bar = "`" * (run + 1)
    return f"{bar}{info}\n{body}\n{bar}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GFM table; cells must already be escaped (cell() / code(in_table=True))."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def value_repr(value: Any) -> str:
    """An evidence value as people read it: strings byte-exact (repr when they hide control
    characters, since a stray \\r is often the bug), structures as compact JSON."""
    if isinstance(value, str):
        return repr(value) if _CONTROL.search(value) or value != value.strip() else value
    if value is None:
        return "(none)"
    if isinstance(value, dict) and isinstance(value.get("type"), str) and isinstance(value.get("state"), str):
        # A Cloud Run condition reads best the way the console shows it.
        reason = f" ({value['reason']})" if value.get("reason") else ""
        message = f": {value['message']}" if value.get("message") else ""
        return redact(f"{value['type']}={value['state']}{reason}{message}")
    if isinstance(value, (list, tuple, dict)):
        if not value:
            return "(empty)"
        return json.dumps(redact_obj(value), ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def clip(shown: str, limit: int = 240) -> str:
    """A long value cut for a table (redacted first, so a cut never exposes half a secret)."""
    shown = redact(shown)
    if len(shown) <= limit:
        return shown
    return f"{shown[:limit].rstrip()}… ({len(shown) - limit} more chars)"


def hms(moment: datetime | None, day: str | None = None) -> str:
    """UTC HH:MM:SS, with the date in front when it is not `day` (YYYY-MM-DD)."""
    if moment is None:
        return "—"
    utc = moment.astimezone(timezone.utc)
    stamp = utc.strftime("%H:%M:%S")
    date = utc.strftime("%Y-%m-%d")
    return stamp if day is None or date == day else f"{date} {stamp}"


# Characters that end a line for some reader (str.splitlines, editors) or hide in a terminal.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")


def _visible(s: str) -> str:
    """Control characters shown the way repr() would (a stray \\r is often the bug itself)."""
    named = {"\r": "\\r", "\x0b": "\\v", "\x0c": "\\f"}
    return _INVISIBLE.sub(lambda m: named.get(m.group(0)) or repr(m.group(0))[1:-1], s)


def _one_line(s: str) -> str:
    # A newline would end a table row or a list item: show it the way repr() would.
    return _visible(s.replace("\n", "\\n").replace("\t", " "))


# --------------------------------------------------------------------------- the last line of defence


def secret_fragments(env: Iterable[dict[str, Any]]) -> set[str]:
    """Plain env values (or the parts of them) that redaction would hide.

    The finished document is scrubbed of these byte for byte, so a secret that reached some
    summary or note unredacted still never leaves in the report.
    """
    found: set[str] = set()
    for entry in env:
        name, value = entry.get("name"), entry.get("value")
        if not isinstance(name, str) or not isinstance(value, str) or not value:
            continue
        shown = redact_env(name, value)
        if shown == REDACTED:
            found.add(value)
            continue
        found.update(_masked_spans(value, shown))
    # Short fragments ("a", "db") would clobber ordinary words; real secrets are longer.
    return {f for f in found if len(f.strip()) >= 4}


def _masked_spans(value: str, shown: str) -> list[str]:
    """The parts of `value` that redaction replaced with the marker in `shown`.

    redact() only ever swaps a span for the marker, so the text between markers is kept
    verbatim and anchors each hidden span.
    """
    pieces = shown.split(REDACTED)
    if len(pieces) == 1 or not value.startswith(pieces[0]):
        return []
    spans: list[str] = []
    pos = len(pieces[0])
    for k, piece in enumerate(pieces[1:], 1):
        last = k == len(pieces) - 1
        end = len(value) - len(piece) if last else value.find(piece, pos) if piece else pos
        if end < pos or (last and not value.endswith(piece)):
            return spans + [value[pos:]]  # lost the thread: hide everything after it
        spans.append(value[pos:end])
        pos = end + len(piece)
    return spans


def scrub(document: str, fragments: Iterable[str]) -> str:
    """Redact the finished document once more and cut every known secret fragment out of it.

    Line by line, because the marker must stay markdown-safe: raw inside code, escaped in
    prose (raw `<redacted>` is an HTML tag that would hide the text). A line that needs no
    change is kept byte for byte.
    """
    ordered = sorted(set(fragments), key=len, reverse=True)
    out: list[str] = []
    fence_bar: str | None = None
    for line in document.split("\n"):
        if fence_bar is not None:
            if line.startswith(fence_bar) and not line.strip("`"):
                fence_bar = None
                out.append(line)
            else:
                out.append(_clean(line, ordered))
            continue
        opening = re.match(r"`{3,}", line)
        if opening:
            fence_bar = opening.group(0)
            out.append(line)
            continue
        norm = line.replace(_ESCAPED, REDACTED)
        cleaned = _clean(norm, ordered)
        out.append(line if cleaned == norm else _escape_markers(cleaned))
    return "\n".join(out)


_ESCAPED = REDACTED.replace("<", "\\<").replace(">", "\\>")


def _clean(line: str, fragments: list[str]) -> str:
    line = redact(line)
    for fragment in fragments:
        if len(fragment) >= 12:
            line = line.replace(fragment, REDACTED)
        else:
            # A short secret ("hunter22") is cut only as a whole token, so that words which
            # merely contain it survive.
            pattern = rf"(?<![A-Za-z0-9]){re.escape(fragment)}(?![A-Za-z0-9])"
            line = re.sub(pattern, REDACTED, line)
    return line


def _escape_markers(line: str) -> str:
    """Escape raw markers outside code spans (they would render as an HTML tag)."""
    out: list[str] = []
    pos = 0
    for start, end in _code_spans(line):
        out.append(line[pos:start].replace(REDACTED, _ESCAPED))
        out.append(line[start:end])
        pos = end
    out.append(line[pos:].replace(REDACTED, _ESCAPED))
    return "".join(out)
