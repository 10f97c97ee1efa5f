"""ChangeView: what a fix changes on the resource, one row per field, before and after."""

from __future__ import annotations

from typing import Any, Iterable

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from troubleshooter.fixes.base import show_value
from troubleshooter.redact import redact


def value_text(value: Any) -> str:
    return redact(show_value(value))


class ChangeView(Static):
    """A before/after table of the fields a fix writes."""

    def show(self, rows: Iterable[tuple[str, Any, Any]], resource: str = "") -> None:
        rows = list(rows)
        if not rows:
            self.update(Text("No field of the resource changes.", style="dim"))
            return
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True,
                      caption=resource or None, caption_justify="left", caption_style="dim")
        table.add_column("field", ratio=2, overflow="fold")
        theme = self.app.theme_variables
        table.add_column("before", ratio=3, overflow="fold", style=theme.get("error", ""))
        table.add_column("after", ratio=3, overflow="fold", style=theme.get("success", ""))
        for field, before, after in rows:
            table.add_row(field, value_text(before), value_text(after))
        self.update(table)
