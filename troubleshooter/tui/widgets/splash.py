"""The first thing painted: what the tool does, and what it is doing while it starts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import LoadingIndicator, Static


class Splash(Vertical):
    """A title, one sentence, and the start-up status line."""

    def compose(self) -> ComposeResult:
        with Center():
            yield Static("[b]troubleshooter[/b]", id="splash-title")
        with Center():
            yield Static("Finds why a Cloud Run service or job cannot reach its Cloud SQL database, "
                         "and fixes it.", id="splash-text")
        yield LoadingIndicator()
        with Center():
            yield Static("Starting…", id="splash-status")

    def on_mount(self) -> None:
        self.watch(self.app, "revision", self.show_status)

    def show_status(self) -> None:
        from textual.markup import escape

        self.query_one("#splash-status", Static).update(escape(getattr(self.app, "status", "")))
