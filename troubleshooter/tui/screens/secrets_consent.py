"""SecretsConsentModal: may the tool read these Secret Manager values (names only), for this session?"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class SecretsConsentModal(ModalScreen[bool]):
    """Yes or no, for this session; focus starts on No. Only the secrets' names are shown."""

    BINDINGS = [
        Binding("y", "answer(True)", "Read them", id="secrets-yes",
                tooltip="Read these values for this session (never shown, logged or exported)"),
        Binding("n,escape", "answer(False)", "Don't", id="secrets-no", tooltip="Keep the values unread"),
        Binding("left,right", "switch", "Move", id="secrets-move", show=False, tooltip="Move between the buttons"),
    ]

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def compose(self) -> ComposeResult:
        with Vertical(id="secrets-body", classes="modal-body") as body:
            body.border_title = "Read Secret Manager values?"
            yield Static("The app's database settings are in Secret Manager, so the checks that depend "
                         "on them cannot decide. May the tool read these secrets for this session?",
                         id="secrets-why")
            yield Static("\n".join(f"  • {escape(s)}" for s in self.secrets), id="secrets-names")
            yield Static("Values go straight to the connection-string parser: never shown, logged, exported "
                         "or kept after the run. Reading needs secretmanager.versions.access.",
                         id="secrets-promise")
            with Horizontal(id="secrets-buttons"):
                yield Button("Read them \\[y]", id="secrets-yes", variant="warning")
                yield Button("Don't \\[n]", id="secrets-no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#secrets-no", Button).focus()

    @on(Button.Pressed, "#secrets-yes")
    def granted(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#secrets-no")
    def refused(self) -> None:
        self.dismiss(False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_switch(self) -> None:
        self.focus_next(Button)
