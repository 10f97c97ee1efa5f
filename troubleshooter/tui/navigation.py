"""Which screen shows what: the app's navigation, in one place. Screens post intents
(messages.py, "navigation intents"); these handlers push and pop the screens.

Screens are imported where they are first shown: the first paint (the splash) needs none of them,
and with Textual's widgets they cost over 100 ms of imports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from troubleshooter.errors import BadInput
from troubleshooter.tui import messages as m

if TYPE_CHECKING:
    from textual.screen import Screen

    from troubleshooter.fixes.base import FixPlan
    from troubleshooter.tui.launch import Launch
    from troubleshooter.tui.state import RunState


def _training_screens() -> tuple[type[Any], type[Any]]:
    """(TrainScreen, DebriefScreen): Markdown screens, imported when training first needs them."""
    from troubleshooter.tui.screens.debrief import DebriefScreen
    from troubleshooter.tui.screens.train import TrainScreen

    return TrainScreen, DebriefScreen


def _scenario_screen() -> type[Any]:
    from troubleshooter.tui.screens.scenario import ScenarioScreen

    return ScenarioScreen


class Navigator:
    """Mixed into the app: screen changes asked for by screens (intents) and by the app itself."""

    if TYPE_CHECKING:  # provided by the App this is mixed into (declared, never defined here)
        BINDINGS: list[Binding]
        screen: Screen[Any]
        screen_stack: list[Screen[Any]]
        state: RunState | None
        graph: Any
        launch: Launch

        def push_screen(self, *args: Any, **kwargs: Any) -> Any: ...
        def notify(self, *args: Any, **kwargs: Any) -> None: ...
        def apply(self, cause: str, plan: FixPlan) -> None: ...
        def plan_with(self, cause: str, options: dict[str, str]) -> None: ...
        def bump(self) -> None: ...
        def pop_screen(self) -> Any: ...
        def list_scenarios(self) -> None: ...

    # -- the app's own moves ----------------------------------------------------------

    def show_scenarios(self) -> None:
        self.push_screen(_scenario_screen()(train=self.launch.train))

    def show_picker(self, values: dict[str, str | None]) -> None:
        from troubleshooter.tui.screens.target import TargetScreen

        self.push_screen(TargetScreen(values))

    def show_fleet(self) -> None:
        from troubleshooter.tui.screens.fleet import FleetScreen

        self.push_screen(FleetScreen())

    def show_symptoms(self) -> None:
        from troubleshooter.tui.screens.symptom import SymptomScreen

        self.push_screen(SymptomScreen())

    @property
    def is_picking(self) -> bool:
        from troubleshooter.tui.screens.target import TargetScreen

        return any(isinstance(s, TargetScreen) for s in self.screen_stack)

    @property
    def came_from_scenarios(self) -> bool:
        """The demo's scenario picker is under this run (back returns to it)."""
        return any(isinstance(s, _scenario_screen()) for s in self.screen_stack)

    def confirm_fix(self, cause: str, title: str, plan: "FixPlan") -> None:
        """The confirmation modal for `plan` (exact command and change), then the progress screen."""
        from troubleshooter.tui.screens.confirm import ConfirmFixModal
        from troubleshooter.tui.screens.progress import FixProgressScreen

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
        from troubleshooter.tui.screens.walk import WalkScreen

        if not isinstance(self.screen, WalkScreen):
            self.push_screen(WalkScreen())

    def on_fleet_target_wanted(self, message: m.FleetTargetWanted) -> None:
        """One target of the scan: its walk, from the diagnosis the scan made (escape comes back)."""
        from troubleshooter.engine.troubleshooting import Troubleshooting
        from troubleshooter.tui.screens.walk import WalkScreen
        from troubleshooter.tui.state import RunState

        workspace = getattr(self, "workspace", None)
        if workspace is None:
            return
        diagnosis = message.diagnosis
        engine = Troubleshooting.adopting(workspace, diagnosis, read_only=self.launch.read_only)
        self.target = diagnosis.target  # type: ignore[attr-defined]
        self.state = RunState(engine)
        self.sub_title = diagnosis.target.describe()  # type: ignore[attr-defined]
        self.push_screen(WalkScreen())
        self.bump()

    def on_causes_wanted(self, _message: m.CausesWanted) -> None:
        from troubleshooter.tui.screens.causes import CausesScreen

        self.push_screen(CausesScreen())

    def on_comparison_wanted(self, _message: m.ComparisonWanted) -> None:
        from troubleshooter.tui.screens.compare import CompareScreen

        comparison = self.state.sibling if self.state is not None else None
        if comparison is not None and not isinstance(self.screen, CompareScreen):
            self.push_screen(CompareScreen(comparison))

    def on_fix_choice_wanted(self, message: m.FixChoiceWanted) -> None:
        from troubleshooter.tui.screens.choose import ChooseValueModal

        def chosen(value: str | None) -> None:
            if value:  # planned in a worker; the plan comes back to be confirmed (ChosenFixPlanned)
                self.plan_with(message.cause, {message.key: value})

        self.push_screen(ChooseValueModal(f"Choose {message.key} to apply", message.label, message.placeholder),
                         chosen)

    def on_secrets_consent_wanted(self, message: m.SecretsConsentWanted) -> None:
        """The consent modal; a yes re-runs the probes, now reading the values (this session only)."""
        from troubleshooter.tui.screens.secrets_consent import SecretsConsentModal

        def answered(yes: bool | None) -> None:
            if self.state is None:
                return
            self.state.engine.consent_to_secrets(bool(yes))
            if yes:
                self.start_probes()  # type: ignore[attr-defined]
            else:  # no: the question is the operator's to answer, as before
                self.notify("Secret Manager values stay unread: answer how the app connects.")
            self.bump()

        self.push_screen(SecretsConsentModal(message.secrets), answered)

    def on_fix_confirm_wanted(self, message: m.FixConfirmWanted) -> None:
        self.confirm_fix(message.cause, message.title, message.plan)

    # -- training ---------------------------------------------------------------------

    def show_drill(self, drill: Any) -> None:
        """A fresh try at `drill` (the incident first, no check run yet)."""
        from troubleshooter.training import Attempt

        TrainScreen, DebriefScreen = _training_screens()

        while isinstance(self.screen, (TrainScreen, DebriefScreen)):
            self.pop_screen()
        self.push_screen(TrainScreen(drill, Attempt()))

    def on_naming_wanted(self, message: m.NamingWanted) -> None:
        from troubleshooter.tui.screens.name_causes import NameCausesModal

        attempt = message.attempt

        def named(causes: list[str] | None) -> None:
            if causes:
                attempt.named = causes
                self.post_message(m.DebriefWanted(message.drill, attempt))  # type: ignore[attr-defined]

        self.push_screen(NameCausesModal(message.drill.catalog, attempt.named), named)

    def on_debrief_wanted(self, message: m.DebriefWanted) -> None:
        from troubleshooter.training import Progress, debrief

        TrainScreen, DebriefScreen = _training_screens()

        result = debrief(message.drill, message.attempt)
        progress = Progress()
        try:
            progress.record(message.drill.name, result.solved)
        except BadInput as exc:  # an unwritable data directory costs the record, not the lesson
            self.notify(str(exc), title="Progress not saved", severity="warning")
        while isinstance(self.screen, TrainScreen):
            self.pop_screen()
        self.push_screen(DebriefScreen(message.drill, message.attempt, result, progress.summary()))

    def on_retry_wanted(self, message: m.RetryWanted) -> None:
        self.show_drill(message.drill)

    def on_scenarios_wanted(self, _message: m.ScenariosWanted) -> None:
        TrainScreen, DebriefScreen = _training_screens()
        while isinstance(self.screen, (TrainScreen, DebriefScreen)):
            self.pop_screen()
        if not isinstance(self.screen, _scenario_screen()):
            self.show_scenarios()
            self.list_scenarios()

    # -- global actions that open a screen ---------------------------------------------

    def action_help(self) -> None:
        from troubleshooter.tui.screens.causes import CausesScreen
        from troubleshooter.tui.screens.fleet import FleetScreen, FleetTable
        from troubleshooter.tui.screens.name_causes import NameCausesModal
        from troubleshooter.tui.screens.symptom import SymptomList, SymptomScreen
        from troubleshooter.tui.screens.walk import WalkScreen

        from troubleshooter.tui.screens.help import HelpScreen

        TrainScreen, DebriefScreen = _training_screens()

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen([
                ("everywhere", self.BINDINGS),
                ("fleet (--scan)", FleetTable.BINDINGS + FleetScreen.BINDINGS),
                ("symptoms", SymptomList.BINDINGS + SymptomScreen.BINDINGS),
                ("walk", WalkScreen.BINDINGS),
                ("root causes", CausesScreen.BINDINGS),
                ("training", TrainScreen.BINDINGS + NameCausesModal.BINDINGS + DebriefScreen.BINDINGS),
            ]))

    def action_graph(self) -> None:
        from troubleshooter.tui.screens.learn import LearnScreen

        if self.graph is None:
            self.notify("The decision graph is still loading.")
        elif not isinstance(self.screen, LearnScreen):
            self.push_screen(LearnScreen())
