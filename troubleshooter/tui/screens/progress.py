"""FixProgressScreen: a fix being applied, line by line, then whether the probes still find the cause."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Log, ProgressBar, Static

from troubleshooter.redact import redact
from troubleshooter.tui.screens.base import AppAccess

if TYPE_CHECKING:
    pass


class FixProgressScreen(AppAccess, ModalScreen[None]):
    """Progress while the fix runs; the verification when it is done."""

    BINDINGS = [
        Binding("escape,enter", "close", "Close", id="progress-close", tooltip="Back to the root causes"),
    ]

    def __init__(self, title: str, cause: str) -> None:
        super().__init__()
        self.fix_title = title
        self.cause = cause
        self.written = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="progress-body", classes="modal-body") as body:
            body.border_title = "Applying the fix"
            yield Static(f"[b]{escape(self.fix_title)}[/b]")
            yield ProgressBar(total=None, show_eta=False, id="fix-progress")
            yield Log(id="fix-log", auto_scroll=True)
            yield Static(id="fix-verdict")
            yield Button("Close", id="progress-close", disabled=True)

    def on_mount(self) -> None:
        self.watch(self.app, "revision", self.show_state)

    @property
    def done(self) -> bool:
        return self.run_state.fix_result is not None

    def show_state(self) -> None:
        log = self.query_one(Log)
        for line in self.run_state.fix_log[self.written:]:
            log.write_line(line)
        self.written = len(self.run_state.fix_log)
        result = self.run_state.fix_result
        if result is None:
            return
        self.query_one(ProgressBar).update(total=1, progress=1)
        verdict = self.query_one("#fix-verdict", Static)
        outcome = getattr(result, "outcome", "failed")
        if outcome == "applied" and getattr(result, "verified", None):
            verdict.update(f"[$success][b]✓ Fixed.[/b] {escape(redact(result.verification))}[/]")
        elif outcome == "applied":
            verdict.update(f"[$error][b]✗ Applied, but not verified.[/b] {escape(redact(result.verification))}[/]")
        else:
            error = getattr(result, "error", None) or str(result)
            verdict.update(f"[$error][b]✗ Fix {escape(outcome)}.[/b] {escape(redact(error))}[/]")
        button = self.query_one(Button)
        button.disabled = False
        button.focus()

    def action_close(self) -> None:
        if self.done:
            self.dismiss(None)

    @on(Button.Pressed, "#progress-close")
    def closed(self) -> None:
        self.action_close()
