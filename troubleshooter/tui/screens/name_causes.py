"""NameCausesModal: the learner names the root causes they think hold, from the catalog, searchable."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, SelectionList, Static
from textual.widgets.selection_list import Selection


class CauseChoices(SelectionList[str]):
    """The catalog's causes that match the search; space or enter ticks one."""

    BINDINGS = [
        Binding("d", "done", "Done", id="name-done", tooltip="Name the ticked causes and see the debrief"),
        Binding("slash", "search", "Search", id="name-search-again", key_display="/",
                tooltip="Back to the search box, to find another cause (your ticks are kept)"),
    ]

    def action_search(self) -> None:
        self.screen.query_one(Input).focus()

    def action_done(self) -> None:
        screen = self.screen
        if isinstance(screen, NameCausesModal):
            screen.action_done()


class NameCausesModal(ModalScreen[list[str] | None]):
    """Which root causes hold? Type to search; tick one or more; done shows the debrief."""

    BINDINGS = [
        Binding("escape", "cancel", "Back", id="name-cancel", tooltip="Back to the checks, naming nothing yet"),
    ]

    def __init__(self, catalog: tuple[tuple[str, str], ...], named: list[str] | None = None) -> None:
        super().__init__()
        self.catalog = catalog
        self.chosen: list[str] = list(named or [])

    def compose(self) -> ComposeResult:
        with Vertical(id="name-body", classes="modal-body") as body:
            body.border_title = "Name the root causes"
            yield Static("Type to search, enter goes to the list; space ticks each cause you think holds, / searches "
                         "again, d when done.",
                         id="name-help")
            yield Input(placeholder="search causes…", id="name-search")
            yield CauseChoices(id="name-choices")
            yield Static(id="name-chosen")
            with Horizontal(id="name-buttons"):
                yield Button("Done", id="name-submit", variant="primary")
                yield Button("Back", id="name-back")

    def on_mount(self) -> None:
        self.fill("")
        self.query_one(Input).focus()

    def fill(self, query: str) -> None:
        words = query.lower().split()
        choices = self.query_one(CauseChoices)
        choices.clear_options()
        choices.add_options([
            Selection(f"{escape(title)} [$text-muted]{escape(cid)}[/]", cid, cid in self.chosen)
            for cid, title in self.catalog
            if all(w in f"{cid} {title}".lower() for w in words)
        ])
        if choices.option_count:
            choices.highlighted = 0
        self.show_chosen()

    def show_chosen(self) -> None:
        text = ", ".join(self.chosen) if self.chosen else "none yet"
        self.query_one("#name-chosen", Static).update(f"[b]Named[/b] {escape(text)}")

    @on(Input.Changed, "#name-search")
    def searched(self, event: Input.Changed) -> None:
        self.fill(event.value)

    @on(Input.Submitted, "#name-search")
    def to_list(self) -> None:
        self.query_one(CauseChoices).focus()

    @on(SelectionList.SelectionToggled)
    def toggled(self, event: SelectionList.SelectionToggled[str]) -> None:
        cid = event.selection.value
        if cid in self.chosen:
            self.chosen.remove(cid)
        else:
            self.chosen.append(cid)
        self.show_chosen()

    @on(Button.Pressed, "#name-submit")
    def action_done(self) -> None:
        if not self.chosen:
            self.notify("Tick at least one cause (space), or press escape to run more checks.",
                        severity="warning")
            return
        self.dismiss(list(self.chosen))

    @on(Button.Pressed, "#name-back")
    def action_cancel(self) -> None:
        self.dismiss(None)
