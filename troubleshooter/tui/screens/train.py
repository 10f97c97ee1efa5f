"""TrainScreen: an incident as the operator met it; the learner runs checks one by one, then names causes."""

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
from troubleshooter.tui.marks import glyph
from troubleshooter.tui.widgets.evidence import EvidencePanel

if TYPE_CHECKING:
    from troubleshooter.training import Attempt, CheckReveal, Drill

# What an outcome means to a learner (never which cause it points at: that is theirs to name).
OUTCOME_WORDS = {"ok": "passed", "failed": "failed", "uncertain": "could not decide",
                 "skipped": "does not apply here"}


def visible(line: str) -> str:
    r"""A log line with its carriage returns shown as \r (a terminal would swallow them)."""
    return line.replace("\r", "\\r")


class CheckList(OptionList):
    """The graph's checks; enter runs the highlighted one and reveals what it found."""

    BINDINGS = [
        Binding("enter", "select", "Run check", id="train-run-check",
                tooltip="Run the highlighted check: see its evidence and why it matters"),
    ]


class TrainScreen(Screen[None]):
    """Training: read the incident, choose which checks to run, then name the root causes."""

    AUTO_FOCUS = "#train-checks"
    BINDINGS = [
        Binding("n", "name_causes", "Name causes", id="train-name",
                tooltip="Name the root causes you think hold (one or more, from the catalog)"),
        Binding("i", "incident", "Incident", id="train-incident",
                tooltip="Show the incident again: the story, the symptom and its log lines"),
        Binding("escape", "back", "Back", id="train-back", tooltip="Leave this drill"),
    ]

    def __init__(self, drill: "Drill", attempt: "Attempt") -> None:
        super().__init__()
        self.drill = drill
        self.attempt = attempt

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="train-head", classes="screen-head")
        with Horizontal(classes="panes"):
            yield CheckList(*[self.option(c) for c in self.drill.checks], id="train-checks", classes="pane-left")
            with VerticalScroll(id="train-detail", classes="pane-right"):
                yield Markdown(id="train-story")
                yield Static(id="train-symptom")
                yield Static(id="train-check")
                yield EvidencePanel(id="train-evidence")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.show_head()
        self.action_incident()

    def option(self, check: "CheckReveal") -> Option:
        if check.node in self.attempt.ran:
            return Option(f"{glyph(check.outcome)} {escape(check.title)}\n"
                          f"  [$text-muted]{OUTCOME_WORDS.get(check.outcome, check.outcome)}[/]", id=check.node)
        return Option(f"[$text-muted]·[/] {escape(check.title)}\n  [$text-muted]{check.calls} API calls[/]",
                      id=check.node)

    def show_head(self) -> None:
        spent = sum(self.drill.check(n).calls for n in self.attempt.ran)
        ran = len(self.attempt.ran)
        self.query_one("#train-head", Static).update(
            f"[b]Training[/b]: {escape(self.drill.title)} · {ran} check{'s' if ran != 1 else ''} run, "
            f"{spent} API calls · n names the causes")

    def action_incident(self) -> None:
        drill = self.drill
        self.query_one("#train-story", Markdown).update(f"## The incident\n\n{drill.story}")
        symptoms = ", ".join(drill.symptom_titles) or "nothing in the logs points anywhere"
        # A carriage return hides in a terminal: show it, as the evidence does (the survey-bot's `\r`).
        lines = "\n".join(f"  [$text-muted]{escape(visible(line))}[/]" for line in drill.log_lines[:6])
        self.query_one("#train-symptom", Static).update(
            f"[b]Symptom[/b] {escape(symptoms)}" + (f"\n[b]Log lines[/b] (redacted)\n{lines}" if lines else ""))
        for selector in ("#train-story", "#train-symptom"):
            self.query_one(selector).display = True
        self.query_one("#train-check", Static).display = False
        self.query_one(EvidencePanel).show(())
        self.query_one("#train-detail", VerticalScroll).scroll_home(animate=False)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        node = event.option.id
        if node in self.attempt.ran:
            self.reveal(self.drill.check(node))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        node = event.option.id
        if node is None:
            return
        fresh = node not in self.attempt.ran
        self.attempt.run(node)
        check = self.drill.check(node)
        if fresh:
            options = self.query_one(CheckList)
            options.replace_option_prompt(node, self.option(check).prompt)
            self.show_head()
        self.reveal(check)

    def reveal(self, check: "CheckReveal") -> None:
        for selector in ("#train-story", "#train-symptom"):
            self.query_one(selector).display = False
        text = self.query_one("#train-check", Static)
        text.display = True
        outcome = OUTCOME_WORDS.get(check.outcome, check.outcome)
        text.update(f"[b]{escape(check.title)}[/b]\n{glyph(check.outcome)} {outcome} · "
                    f"[$text-muted]{check.calls} API calls · reads {escape(', '.join(check.probes))}[/]\n\n"
                    + (f"[b]Why it matters[/b]\n{escape(check.why)}\n\n" if check.why else "")
                    + f"[b]Found[/b] {escape(check.summary)}")
        self.query_one(EvidencePanel).show(check.result.evidence, (), check.result.expected_actual)
        self.query_one("#train-detail", VerticalScroll).scroll_home(animate=False)

    def action_name_causes(self) -> None:
        self.post_message(m.NamingWanted(self.drill, self.attempt))

    def action_back(self) -> None:
        self.post_message(m.ScenariosWanted())
