"""SymptomScreen: what the operator sees, pre-selected from the logs, with the matching log lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Header, SelectionList, Static
from textual.widgets.selection_list import Selection

from troubleshooter.tui import messages as m
from troubleshooter.tui.screens.base import AppAccess
from troubleshooter.tui.widgets.evidence import EvidencePanel
from troubleshooter.tui.widgets.probe_board import ProbeBoard

if TYPE_CHECKING:
    pass


SOURCES = {"logs": "The recent logs point", "config": "The deploy state points"}


class SymptomList(SelectionList[str]):
    """Symptoms of the graph; the ones the logs show are ticked. Space ticks, enter walks."""

    BINDINGS = [
        Binding("enter", "walk", "Walk", id="walk-from-symptoms",
                tooltip="Walk the decision graph from the ticked symptoms (or the highlighted one)"),
        Binding("space", "select", "Tick", id="tick-symptom", tooltip="Tick or untick the highlighted symptom"),
    ]

    def action_walk(self) -> None:
        chosen = list(self.selected)
        if not chosen and self.highlighted is not None:
            chosen = [self.get_option_at_index(self.highlighted).value]
        if chosen:
            self.post_message(m.SymptomChosen(chosen))


class SymptomScreen(AppAccess, Screen[None]):
    """Step 2: confirm (or change) the symptom the logs point at."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="symptom-back", tooltip="Back to the previous screen"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.touched = False
        self.preselected = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="symptom-head", classes="screen-head")
        with Horizontal(classes="panes"):
            yield SymptomList(id="symptom-list", classes="pane-left")
            with VerticalScroll(id="symptom-detail", classes="pane-right"):
                yield Static(id="symptom-title")
                yield Static(id="symptom-examples")
                yield EvidencePanel(id="symptom-logs")
        yield ProbeBoard(id="probe-board")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        graph = self.tapp.graph
        assert graph is not None
        symptoms = self.query_one(SymptomList)
        symptoms.add_options([Selection(escape(n.title), n.short) for n in graph.of_kind("symptom")])
        symptoms.highlighted = 0
        symptoms.focus()
        self.watch(self.app, "revision", self.show_state)

    def show_state(self) -> None:
        self.query_one(ProbeBoard).show(self.run_state.run)
        suggested = self.run_state.suggested
        head = self.query_one("#symptom-head", Static)
        if self.run_state.run is not None and not self.run_state.run.done and suggested is None:
            head.update("[b]What do you see?[/b] Reading the recent logs to suggest a symptom…")
        elif suggested is not None and suggested[1] != "default":
            who = SOURCES.get(suggested[1], f"The {suggested[1]} point")
            head.update(f"[b]What do you see?[/b] {escape(who)} at the ticked ● "
                        f"symptom{'s' if len(suggested[0]) > 1 else ''}. [$text-muted]space ticks · enter walks[/]")
        else:
            head.update("[b]What do you see?[/b] The logs show no known error: pick what you see, "
                        "or “I don't know”. [$text-muted]space ticks · enter walks[/]")
        if suggested is not None and not self.preselected:
            self.mark(suggested[0])
        if suggested is not None and not self.preselected and not self.touched:
            self.preselected = True
            symptoms = self.query_one(SymptomList)
            with symptoms.prevent(SelectionList.SelectedChanged):
                for value in suggested[0]:
                    symptoms.select(value)
            values = [symptoms.get_option_at_index(i).value for i in range(symptoms.option_count)]
            if suggested[0] and suggested[0][0] in values:
                symptoms.highlighted = values.index(suggested[0][0])
        self.show_symptom()

    def mark(self, seen: list[str]) -> None:
        """● before the symptoms the logs (or the deploy state) show: visible without colour."""
        symptoms = self.query_one(SymptomList)
        graph = self.tapp.graph
        assert graph is not None
        for index in range(symptoms.option_count):
            short = symptoms.get_option_at_index(index).value
            if short in seen:
                title = escape(graph.node(f"symptom:{short}").title)
                symptoms.replace_option_prompt_at_index(index, f"[$accent]●[/] {title}")

    def on_selection_list_selected_changed(self) -> None:
        self.touched = True

    def on_selection_list_selection_highlighted(self) -> None:
        self.show_symptom()

    def show_symptom(self) -> None:
        symptoms = self.query_one(SymptomList)
        graph = self.tapp.graph
        if symptoms.highlighted is None or graph is None:
            return
        short = symptoms.get_option_at_index(symptoms.highlighted).value
        node = graph.node(f"symptom:{short}")
        self.query_one("#symptom-title", Static).update(
            f"[b]{escape(node.title)}[/b]\n{escape(node.why)}" if node.why else f"[b]{escape(node.title)}[/b]")
        examples = "\n".join(f"  • {escape(e)}" for e in node.spec.examples)
        self.query_one("#symptom-examples", Static).update(
            f"[b]Error text that means this[/b]\n{examples}" if examples else "")
        run = self.run_state.run
        logs = run.obs.logs.get(short) if run is not None else None
        panel = self.query_one("#symptom-logs", EvidencePanel)
        if logs is not None and logs.count:
            many = "s" if logs.count != 1 else ""
            panel.show((), logs.lines, log_heading=f"{logs.count} matching log line{many} (newest first, redacted)")
        else:
            panel.show(())

    def on_symptom_chosen(self, _message: m.SymptomChosen) -> None:
        # The app records the choice (the message bubbles on); the walk is the next screen.
        self.post_message(m.WalkWanted())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self.tapp.came_from_scenarios
        return True

    def action_back(self) -> None:
        """Back to the scenarios (demo): choosing one there starts over."""
        self.app.pop_screen()
