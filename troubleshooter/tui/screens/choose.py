"""ChooseValueModal: the one value a fix needs that only the operator knows (e.g. the subnet)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class ChooseValueModal(ModalScreen[str | None]):
    """Ask for a value: enter submits it (an empty one is refused), escape cancels (None)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="choose-cancel", tooltip="Change nothing"),
    ]

    def __init__(self, title: str, label: str, placeholder: str = "") -> None:
        super().__init__()
        self.choose_title = title
        self.label = label
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="choose-body", classes="modal-body") as body:
            body.border_title = self.choose_title
            yield Static(f"[b]{escape(self.label)}[/b]", id="choose-label")
            yield Input(id="choose-input", placeholder=self.placeholder)
            yield Static("[$text-muted]enter continues to the confirmation · escape cancels[/]",
                         id="choose-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value:
            self.query_one("#choose-hint", Static).update(
                "[$error]Nothing typed: the fix needs a value (escape cancels).[/]")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
