"""TargetScreen: pick the project, the region, then the service or job, from the APIs (searchable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from troubleshooter.target import complete
from troubleshooter.tui import messages as m
from troubleshooter.tui.screens.base import AppAccess

if TYPE_CHECKING:
    pass

STEPS = ("project", "region", "workload")
PROMPTS = {"project": "Which project?", "region": "Which region?", "workload": "Which service or job?"}


class TargetScreen(AppAccess, Screen[None]):
    """Step 1: what to troubleshoot, when flags and gcloud defaults leave something open."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="target-back", tooltip="Back to the previous choice"),
        Binding("down", "focus_list", "List", id="target-list", show=False,
                tooltip="Move from the search box to the list"),
    ]

    def __init__(self, values: dict[str, str | None]) -> None:
        super().__init__()
        self.values = dict(values)
        self.step = self.first_open()
        self.requested: set[str] = set()
        self.choices: list[tuple[str, str]] = []

    def first_open(self) -> str:
        if not self.values.get("project"):
            return "project"
        if not self.values.get("region"):
            return "region"
        return "workload"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="target-head", classes="screen-head")
        yield Input(id="target-search", placeholder="Type to search; enter takes the first match or what you typed")
        yield OptionList(id="target-choices")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "revision", self.show_state)
        self.query_one(Input).focus()

    def show_state(self) -> None:
        app = self.tapp
        v = self.values
        known = (f"project [b]{escape(v.get('project') or '?')}[/b] · region [b]{escape(v.get('region') or '?')}"
                 f"[/b] · {escape('job' if v.get('job') else 'service')} "
                 f"[b]{escape(v.get('job') or v.get('service') or '?')}[/b]")
        self.query_one("#target-head", Static).update(f"[b]{PROMPTS[self.step]}[/b]  {known}")
        options = self.query_one(OptionList)
        if app.workspace is None:
            options.loading = True
            return
        if self.step not in self.requested:
            self.requested.add(self.step)
            options.loading = True
            app.list_choices(self.step, v.get("project"), v.get("region"))
            return
        listed = app.choices.get(self.step)
        if listed is None:
            return
        options.loading = False
        self.choices, error = listed
        if error:
            self.notify(error, title=f"Cannot list {self.step}s", severity="warning")
        self.filter(self.query_one(Input).value)

    def filter(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        needle = text.strip().lower()
        shown = [(value, label) for value, label in self.choices if needle in label.lower()]
        options.add_options([Option(escape(label), id=value) for value, label in shown])
        if shown:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            self.choose(str(options.get_option_at_index(options.highlighted).id))
        elif event.value.strip() and self.step != "workload":
            self.choose(event.value.strip())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.choose(str(event.option.id))

    def choose(self, value: str) -> None:
        if self.step == "workload":
            kind, _, name = value.partition(":")
            self.values.update(service=name if kind == "service" else None, job=name if kind == "job" else None)
            target = complete(self.values)
            if target is not None:
                self.post_message(m.TargetChosen(target))
            return
        self.values[self.step] = value
        self.step = STEPS[STEPS.index(self.step) + 1]
        if self.step == "region" and self.values.get("region"):
            self.step = "workload"
        self.requested.discard("workload")
        self.tapp.choices.pop("workload", None)
        self.reset_search()

    def reset_search(self) -> None:
        search = self.query_one(Input)
        search.value = ""
        search.focus()
        self.query_one(OptionList).clear_options()
        self.show_state()

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    def action_back(self) -> None:
        index = STEPS.index(self.step)
        if index == 0:
            return
        self.step = STEPS[index - 1]
        self.values[self.step] = None
        self.reset_search()
