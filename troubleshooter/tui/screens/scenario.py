"""ScenarioScreen: the built-in demo scenarios, each with its story; choosing one starts the sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from troubleshooter.tui import messages as m

if TYPE_CHECKING:
    from troubleshooter.scenarios import ScenarioInfo


class ScenarioList(OptionList):
    """The scenarios by title; enter starts the highlighted one."""

    BINDINGS = [
        Binding("enter", "select", "Start", id="start-scenario",
                tooltip="Start the sandbox on the highlighted scenario and troubleshoot it"),
    ]


class ScenarioScreen(Screen[None]):
    """Pick a scenario: a real incident replayed by the sandbox (no Google account needed)."""

    AUTO_FOCUS = "#scenario-list"

    def __init__(self) -> None:
        super().__init__()
        self.scenarios: list[tuple["ScenarioInfo", str]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("[b]Demo[/b]: choose a scenario. Each one replays a real incident in a local sandbox "
                     "that speaks Google's APIs.", id="scenario-head", classes="screen-head")
        with Horizontal(classes="panes"):
            yield ScenarioList(id="scenario-list", classes="pane-left")
            with VerticalScroll(id="scenario-story", classes="pane-right"):
                yield Markdown(id="scenario-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "revision", self.show_scenarios)

    def show_scenarios(self) -> None:
        listed = getattr(self.app, "scenarios", None)
        options = self.query_one(OptionList)
        if not listed or self.scenarios:
            return
        self.scenarios = listed
        options.add_options([Option(f"[b]{escape(info.title)}[/b]\n[$text-muted]{escape(info.name)}[/]",
                                    id=info.name) for info, _ in listed])
        options.highlighted = 0
        options.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = event.option_index
        if 0 <= index < len(self.scenarios):
            info, text = self.scenarios[index]
            self.query_one("#scenario-text", Markdown).update(f"## {info.title}\n\n{text}")
            self.query_one("#scenario-story", VerticalScroll).scroll_home(animate=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_choose()

    def action_choose(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and 0 <= index < len(self.scenarios):
            self.post_message(m.ScenarioChosen(self.scenarios[index][0]))
