"""CompareScreen: the target beside a healthy sibling on the same instance, differences first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from troubleshooter.redact import redact_obj
from troubleshooter.render_compare import comparison_renderable

if TYPE_CHECKING:
    from troubleshooter.engine.compare import Comparison


class CompareScreen(Screen[None]):
    """What a working sibling does differently: each difference with why it matters, then what is the same."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="compare-back", tooltip="Back to the root causes"),
    ]

    def __init__(self, comparison: "Comparison") -> None:
        super().__init__()
        self.doc = redact_obj(comparison.to_json())

    def compose(self) -> ComposeResult:
        n = len(self.doc["differences"])
        b = self.doc["b"]
        name = b.get("service") or b.get("job")
        yield Header()
        yield Static(f"[b]Compared with {escape(str(name))}[/b], healthy and on the same instance: "
                     f"{n} difference{'s' if n != 1 else ''}", id="compare-head", classes="screen-head")
        with VerticalScroll(id="compare-body"):
            yield Static(comparison_renderable(self.doc), id="comparison")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#compare-body").focus()

    def action_back(self) -> None:
        self.app.pop_screen()
