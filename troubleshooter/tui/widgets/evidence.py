"""EvidencePanel: the facts behind a step or a cause (API field, redacted value, source) and its log lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from troubleshooter.redact import redact

if TYPE_CHECKING:
    from troubleshooter.model import Evidence


def _is_time(key: str) -> bool:
    return key.lower().endswith(("time", "timestamp", "seen"))


def shown(value: Any, limit: int = 240) -> str:
    """A value as the operator should see it: redacted, repr for strings that hide whitespace, cut.

    Timestamps inside structured values are left out: the log lines carry their own times.
    """
    if isinstance(value, dict) and value:
        text = ", ".join(f"{k}: {shown(v, limit)}" for k, v in value.items() if not _is_time(str(k)))
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        text = ", ".join(shown(v, limit) for v in value)
    elif isinstance(value, str):
        text = repr(value) if value != value.strip() or any(c in value for c in "\r\n\t") else value
    elif value is None or value == [] or value == {}:
        text = "(empty)" if value is not None else "(none)"
    else:
        text = str(value)
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short(resource: str) -> str:
    """The last segment of a resource name (`.../revisions/x` -> `x`)."""
    return resource.rstrip("/").rsplit("/", 1)[-1]


class EvidencePanel(Static):
    """A table of evidence rows, and the matching log lines below it."""

    def show(self, evidence: Iterable["Evidence"], log_lines: Iterable[str] = (),
             expected_actual: Iterable[tuple[str, str, str]] = (),
             log_heading: str = "Log lines (redacted)") -> None:
        parts: list[RenderableType] = []
        rows = list(evidence)
        if rows:
            table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
            table.add_column("field", ratio=3, overflow="fold")
            table.add_column("value", ratio=4, overflow="fold")
            table.add_column("from", ratio=2, overflow="fold", style="dim")
            for ev in rows:
                table.add_row(ev.field, shown(ev.value), short(ev.resource) or ev.source)
            parts.append(table)
        pairs = list(expected_actual)
        if pairs:
            table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
            table.add_column("", ratio=2, overflow="fold")
            table.add_column("expected", ratio=3, overflow="fold")
            table.add_column("actual", ratio=3, overflow="fold")
            for what, expected, actual in pairs:
                table.add_row(what, shown(expected), shown(actual))
            parts.append(Text(""))
            parts.append(table)
        lines = [redact(line) for line in log_lines]
        if lines:
            if parts:
                parts.append(Text(""))
            parts.append(Text(log_heading, style="bold"))
            for line in lines:
                parts.append(Text("  " + line.replace("\t", "  "), style="italic", overflow="fold"))
        self.display = bool(parts)
        self.update(Group(*parts))
