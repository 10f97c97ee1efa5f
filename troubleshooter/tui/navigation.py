"""Which screen shows what: the app's navigation, in one place. Screens post intents
(messages.py, "navigation intents"); these handlers push and pop the screens.

The Markdown screens (help, learn, scenarios) are imported where they are first shown: the first
paint (the splash) needs none of them, and Markdown costs about 250 ms of imports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from troubleshooter.tui import messages as m
from troubleshooter.tui.screens.causes import CausesScreen
from troubleshooter.tui.screens.choose import ChooseValueModal
from troubleshooter.tui.screens.confirm import ConfirmFixModal
from troubleshooter.tui.screens.progress import FixProgressScreen
from troubleshooter.tui.screens.symptom import SymptomList, SymptomScreen
from troubleshooter.tui.screens.target import TargetScreen
from troubleshooter.tui.screens.walk import WalkScreen

if TYPE_CHECKING:
    from textual.screen import Screen

    from troubleshooter.fixes.base import FixPlan
    from troubleshooter.tui.state import RunState


class Navigator:
    """Mixed into the app: screen changes asked for by screens (intents) and by the app itself."""

    if TYPE_CHECKING:  # provided by the App this is mixed into (declared, never defined here)
        BINDINGS: list[Binding]
        screen: Screen[Any]
        screen_stack: list[Screen[Any]]
        state: RunState | None
        graph: Any

        def push_screen(self, *args: Any, **kwargs: Any) -> Any: ...
        def notify(self, *args: Any, **kwargs: Any) -> None: ...
        def apply(self, cause: str, plan: FixPlan) -> None: ...
        def plan_with(self, cause: str, options: dict[str, str]) -> None: ...
        def bump(self) -> None: ...

    # -- the app's own moves ----------------------------------------------------------

    def show_scenarios(self) -> None:
        from troubleshooter.tui.screens.scenario import ScenarioScreen

        self.push_screen(ScenarioScreen())

    def show_picker(self, values: dict[str, str | None]) -> None:
        self.push_screen(TargetScreen(values))

    def show_symptoms(self) -> None:
        self.push_screen(SymptomScreen())

    @property
    def is_picking(self) -> bool:
        return any(isinstance(s, TargetScreen) for s in self.screen_stack)

    @property
    def came_from_scenarios(self) -> bool:
        """The demo's scenario picker is under this run (back returns to it)."""
        from troubleshooter.tui.screens.scenario import ScenarioScreen

        return any(isinstance(s, ScenarioScreen) for s in self.screen_stack)

    def confirm_fix(self, cause: str, title: str, plan: "FixPlan") -> None:
        """The confirmation modal for `plan` (exact command and change), then the progress screen."""
        if not plan.automatic:
            self.notify(f"{cause} still has no automatic fix: follow the manual steps",
                        title="Cannot apply", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.apply(cause, plan)
                self.push_screen(FixProgressScreen(title, cause))
            elif self.state is not None:  # the modal was the confirmation: record it, as `fix` does
                self.state.engine.record(plan, "cancelled")
                self.bump()

        self.push_screen(ConfirmFixModal(title, plan), confirmed)

    # -- intents from the screens -----------------------------------------------------

    def on_walk_wanted(self, _message: m.WalkWanted) -> None:
        if not isinstance(self.screen, WalkScreen):
            self.push_screen(WalkScreen())

    def on_causes_wanted(self, _message: m.CausesWanted) -> None:
        self.push_screen(CausesScreen())

    def on_fix_choice_wanted(self, message: m.FixChoiceWanted) -> None:
        def chosen(value: str | None) -> None:
            if value:  # planned in a worker; the plan comes back to be confirmed (ChosenFixPlanned)
                self.plan_with(message.cause, {message.key: value})

        self.push_screen(ChooseValueModal(f"Choose {message.key} to apply", message.label, message.placeholder),
                         chosen)

    def on_fix_confirm_wanted(self, message: m.FixConfirmWanted) -> None:
        self.confirm_fix(message.cause, message.title, message.plan)

    # -- global actions that open a screen ---------------------------------------------

    def action_help(self) -> None:
        from troubleshooter.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen([
                ("everywhere", self.BINDINGS),
                ("symptoms", SymptomList.BINDINGS + SymptomScreen.BINDINGS),
                ("walk", WalkScreen.BINDINGS),
                ("root causes", CausesScreen.BINDINGS),
            ]))

    def action_graph(self) -> None:
        from troubleshooter.tui.screens.learn import LearnScreen

        if self.graph is None:
            self.notify("The decision graph is still loading.")
        elif not isinstance(self.screen, LearnScreen):
            self.push_screen(LearnScreen())
