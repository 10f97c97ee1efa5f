"""ScenarioScreen: the built-in scenarios, each with its story only (the resolution on demand, in the
demo); choosing one starts the sandbox, or, in training, the drill."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    BINDINGS = [
        Binding("t", "train", "Train", id="train-scenario",
                tooltip="Train on the highlighted incident: you choose the checks and name the cause"),
        Binding("v", "reveal", "Answer", id="reveal-resolution",
                tooltip="Show or hide what the tool finds in the highlighted scenario (its resolution)"),
    ]

    def __init__(self, train: bool = False) -> None:
        super().__init__()
        self.train = train
        self.revealed = False
        self.scenarios: list[tuple["ScenarioInfo", str]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("[b]Training[/b]: choose an incident. You run the checks and name the cause; the "
                     "debrief compares your path with the graph's." if self.train else
                     "[b]Demo[/b]: choose a scenario. Each one replays a real incident in a local sandbox "
                     "that speaks Google's APIs (t trains on it instead).", id="scenario-head",
                     classes="screen-head")
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
        progress = None
        if self.train:
            from troubleshooter.training import Progress

            progress = Progress()
        options.add_options([Option(self.label(info, progress), id=info.name) for info, _ in listed])
        options.highlighted = 0
        options.focus()

    def label(self, info: "ScenarioInfo", progress: Any = None) -> str:
        mark = progress.mark(info.name) if progress is not None else ""
        tail = f" · {mark}" if mark else ""
        return f"[b]{escape(info.title)}[/b]\n[$text-muted]{escape(info.name)}{escape(tail)}[/]"

    def on_screen_resume(self) -> None:
        """In training, each incident says how the learner did on it (read from the progress file)."""
        if not self.train or not self.scenarios:
            return
        from troubleshooter.training import Progress

        progress = Progress()
        options = self.query_one(OptionList)
        for info, _ in self.scenarios:
            options.replace_option_prompt(info.name, self.label(info, progress))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.revealed = False
        self.show_story(event.option_index)

    def show_story(self, index: int | None) -> None:
        """The story only; the resolution (the cause and fix) below it once revealed, in the demo."""
        if index is not None and 0 <= index < len(self.scenarios):
            info, text = self.scenarios[index]
            resolution = getattr(self.app, "resolutions", {}).get(info.name, "")
            shown = f"## {info.title}\n\n{text}"
            if self.revealed and resolution:
                shown += f"\n\n## What the tool finds\n\n{resolution}"
            elif resolution and not self.train:
                shown += "\n\n*v shows what the tool finds; t trains on it without the answer.*"
            self.query_one("#scenario-text", Markdown).update(shown)
            self.query_one("#scenario-story", VerticalScroll).scroll_home(animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reveal":
            return not self.train  # training never shows the answer before the debrief
        return True

    def action_reveal(self) -> None:
        self.revealed = not self.revealed
        self.show_story(self.query_one(OptionList).highlighted)

    def action_train(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and 0 <= index < len(self.scenarios):
            self.post_message(m.TrainingWanted(self.scenarios[index][0].name))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_choose()

    def action_choose(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and 0 <= index < len(self.scenarios):
            self.post_message(m.ScenarioChosen(self.scenarios[index][0]))
