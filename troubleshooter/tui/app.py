"""The Textual app: global bindings, start-up, the workers, and the one place their errors land."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.reactive import var
from textual.worker import Worker, WorkerState

from troubleshooter.redact import redact
from troubleshooter.target import complete
from troubleshooter.target import partial as known
from troubleshooter.tui import jobs
from troubleshooter.tui import messages as m
from troubleshooter.tui.launch import Launch
from troubleshooter.tui.navigation import Navigator
from troubleshooter.tui.palette import ActionsProvider
from troubleshooter.tui.widgets.splash import Splash

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Diagnosis
    from troubleshooter.engine.workspace import Workspace
    from troubleshooter.fixes.base import FixPlan
    from troubleshooter.graph import DecisionGraph
    from troubleshooter.model import Target
    from troubleshooter.tui.state import RunState


class TroubleshooterApp(Navigator, App[None]):
    """Finds why a Cloud Run service or job cannot reach Cloud SQL, and fixes it."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "troubleshooter"
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", id="help", key_display="?",
                tooltip="How the troubleshooter works, and every key"),
        Binding("x", "export_rca", "Export", id="export-rca",
                tooltip="Write the RCA report (rca-<target>-<timestamp>.md) in the current directory"),
        Binding("r", "rerun_probes", "Re-run", id="rerun-probes",
                tooltip="Run every probe again and re-walk the graph"),
        Binding("c", "copy_command", "Copy", id="copy-command",
                tooltip="Copy the fix command of the selected root cause to the clipboard"),
        Binding("g", "graph", "Graph", id="graph",
                tooltip="Browse the whole decision graph: every symptom, check and root cause"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave the troubleshooter"),
    ]

    revision: var[int] = var(0)
    """Bumped whenever the run changes; screens watch it and re-render from `state`."""

    def __init__(self, launch: Launch | None = None) -> None:
        super().__init__()
        self.launch = launch or Launch(demo=True)
        self.graph: DecisionGraph | None = None
        self.workspace: Workspace | None = None
        self.target: Target | None = None
        self.state: RunState | None = None
        self.scenarios: list[Any] = []
        self.resolutions: dict[str, str] = {}
        self.choices: dict[str, tuple[list[tuple[str, str]], str]] = {}
        self.status = "Starting…"
        self._enabled: tuple[bool | None, ...] = ()
        self._bump_pending = False
        self.fleet: Any = None                       # the scan's result (engine/fleet.py Scan)
        self.fleet_progress: tuple[int, int] = (0, 0)

    # ------------------------------------------------------------------ start-up

    def compose(self) -> ComposeResult:
        from textual.widgets import Footer, Header

        yield Header()
        yield Splash(id="splash")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "Cloud Run → Cloud SQL"
        # Everything slow waits for the first paint: the graph, the sandbox, the Google clients.
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        if self.launch.train:
            self.start(jobs.load_graph, group="graph")
            if self.launch.scenario:
                self.train(self.launch.scenario)
            else:
                self.show_scenarios()
                self.list_scenarios()
            return
        if self.launch.needs_scenario:
            # The Learn view may be opened from the scenario picker: the graph comes first.
            self.start(jobs.load_graph, group="graph")
            self.show_scenarios()
            self.start(jobs.list_scenarios, group="scenarios")
            return
        if self.launch.scan:
            self.show_fleet()
            self.open_workspace(self.launch.world)
            return
        if self.launch.world_source:
            self.open_workspace(self.launch.world_source)
            return
        values = self.known_target()
        self.target = complete(values)
        if self.target is None:
            self.show_picker(values)
        self.open_workspace(None)

    def start(self, fn: Callable[..., Any], *args: Any, group: str, name: str = "") -> Worker[Any]:
        """Run blocking work in a thread worker; it reports back with messages."""
        return self.run_worker(partial(fn, self.post_message, *args), name=name or fn.__name__, group=group,
                               thread=True, exit_on_error=False)

    def known_target(self) -> dict[str, str | None]:
        launch = self.launch
        if not launch.use_gcloud_defaults:
            return {"project": launch.project, "region": launch.region,
                    "service": launch.service, "job": launch.job}
        return known(launch.project, launch.region, launch.service, launch.job)

    def open_workspace(self, world: str | None) -> None:
        self.set_status("Starting the sandbox…" if world else "Connecting to Google Cloud…")
        self.start(jobs.open_workspace, world, self.launch.latency, self.graph, group="backend")

    def set_status(self, text: str) -> None:
        self.status = text
        self.bump()

    def bump(self) -> None:
        """Tell the screens something changed; a burst of messages coalesces into one repaint."""
        if not self._bump_pending:
            self._bump_pending = True
            self.call_next(self._publish)

    def _publish(self) -> None:
        self._bump_pending = False
        self.revision += 1
        enabled = tuple(self.check_action(a, ()) for a in ("export_rca", "rerun_probes", "copy_command"))
        if enabled != self._enabled:  # the footer recomposes on refresh: only when a key turns on or off
            self._enabled = enabled
            self.refresh_bindings()

    def maybe_begin(self) -> None:
        """Once the workspace and the target are known: the engine, the probes, the symptom screen."""
        if self.workspace is None or self.target is None or self.state is not None:
            return
        # Google's clients load with the engine, after the first paint.
        from troubleshooter.engine.troubleshooting import Troubleshooting
        from troubleshooter.tui.state import (
            RunState,  # the runner and probes: not before the first paint
        )

        engine = Troubleshooting.begin(self.workspace, self.target, read_only=self.launch.read_only,
                                       scenario=self.launch.scenario or self.launch.world,
                                       read_secrets=self.launch.read_secrets)
        sandboxed = self.workspace.sandboxed
        engine.session.record("session", f"troubleshooting {self.target.describe()}" + (" (sandbox)" if sandboxed else ""))
        self.state = RunState(engine)
        self.sub_title = self.target.describe() + (" · read-only" if self.launch.read_only else "")
        self.start_probes()
        self.show_symptoms()

    def start_probes(self) -> None:
        assert self.state is not None and self.workspace is not None
        self.start(jobs.run_probes, self.state.start_probes(), self.workspace, group="probes")
        self.bump()

    def concluded(self, diagnosis: "Diagnosis | None") -> None:
        if diagnosis is not None:
            self.post_message(m.DiagnosisFinished(diagnosis))
        self.bump()

    # ------------------------------------------------------------------ worker results

    @on(m.GraphLoaded)
    def graph_loaded(self, message: m.GraphLoaded) -> None:
        if self.graph is None:  # a workspace opened first brought its own
            self.graph = message.graph
        self.maybe_begin()
        self.bump()

    def list_scenarios(self) -> None:
        self.start(jobs.list_scenarios, group="scenarios")

    def train(self, name: str) -> None:
        """Diagnose scenario `name` once on its own sandbox; the drill comes back as DrillPrepared."""
        self.set_status(f"Preparing {name}…")
        if len(self.screen_stack) > 1:  # from the picker (at start-up the splash says so already)
            self.notify("One engine run on its sandbox, then it is yours.", title=f"Preparing {name}…")
        self.start(jobs.prepare_drill, name, self.graph, group="training", name=name)

    @on(m.DrillPrepared)
    def drill_prepared(self, message: m.DrillPrepared) -> None:
        self.set_status("Ready")
        self.show_drill(message.drill)

    @on(m.TrainingWanted)
    def training_wanted(self, message: m.TrainingWanted) -> None:
        self.train(message.name)

    @on(m.ScenariosListed)
    def scenarios_listed(self, message: m.ScenariosListed) -> None:
        self.scenarios = message.scenarios
        self.resolutions = message.resolutions or {}
        self.bump()

    @on(m.ChoicesListed)
    def choices_listed(self, message: m.ChoicesListed) -> None:
        self.choices[message.step] = (message.choices, message.error)
        self.bump()

    def list_choices(self, step: str, project: str | None, region: str | None) -> None:
        """Fill one step of the target picker (projects, regions, or services and jobs)."""
        assert self.workspace is not None
        self.choices.pop(step, None)
        self.start(jobs.list_choices, self.workspace, step, project, region, group="picker", name=step)

    @on(m.WorkspaceOpened)
    def workspace_opened(self, message: m.WorkspaceOpened) -> None:
        if message.source != self.launch.world_source or self.workspace is not None:
            # Opened for a scenario the operator has since left: close it, keep the current one.
            self.run_worker(message.workspace.close, thread=True, group="backend-close", exit_on_error=False)
            return
        self.workspace = message.workspace
        self.graph = message.workspace.graph  # one graph: the one the engine walks
        for note in message.workspace.notes:  # what the loader did to the world file, once
            self.notify(note, title="World file", timeout=8)
        if self.launch.scan:
            self.set_status("Scanning…")
            self.start(jobs.run_scan, self.workspace, self.launch, group="scan")
            return
        world = message.workspace.world_target
        if self.target is None and self.launch.use_world_target and world is not None:
            launch = self.launch
            values = {"project": launch.project or world.project, "region": launch.region or world.region,
                      "service": launch.service, "job": launch.job}
            if not (launch.service or launch.job):
                values.update(service=world.service, job=world.job)
            self.target = complete(values)
        if self.target is None and not self.is_picking:
            self.show_picker(self.known_target())
        self.set_status("Ready")
        self.maybe_begin()

    @on(m.ScanProgressed)
    def scan_progressed(self, message: m.ScanProgressed) -> None:
        self.fleet_progress = (message.done, message.total)
        self.bump()

    @on(m.ScanFinished)
    def scan_finished(self, message: m.ScanFinished) -> None:
        self.fleet = message.scan
        self.set_status("Ready")

    @on(m.ProbeStarted)
    def probe_started(self, message: m.ProbeStarted) -> None:
        if self.state is not None and self.state.probe_started(message.run, message.probe):
            self.bump()

    @on(m.ProbeFinished)
    def probe_finished(self, message: m.ProbeFinished) -> None:
        if self.state is not None:
            self.concluded(self.state.probe_finished(message.run, message.result))

    @on(m.DiagnosisFinished)
    def diagnosis_finished(self, message: m.DiagnosisFinished) -> None:
        found = len(message.diagnosis.causes)
        self.notify(f"{found} root cause{'s' if found != 1 else ''} found" if found else "No root cause found",
                    title="Diagnosis finished", severity="warning" if found else "information")
        self.look_for_sibling(message.diagnosis)
        self.bump()

    def look_for_sibling(self, diagnosis: "Diagnosis") -> None:
        """Once per session, when something is wrong: a healthy sibling on the same instance to
        compare with. Never in training, where it would give the answer away."""
        state = self.state
        if (state is None or self.workspace is None or self.launch.train or state.sibling_search
                or diagnosis.verdict == "healthy"):
            return
        state.sibling_search = "searching"
        self.start(jobs.find_working_sibling, self.workspace, diagnosis, group="sibling")

    @on(m.SiblingCompared)
    def sibling_compared(self, message: m.SiblingCompared) -> None:
        if self.state is None:
            return
        # No toast: the offer is the root causes screen's `w Compare` key, which shows only now
        # (a toast arriving after the result drew over the screens under the fix modal).
        self.state.sibling_search = "done"
        self.state.sibling = message.comparison
        self.bump()

    @on(m.FixPlanned)
    def fix_planned(self, message: m.FixPlanned) -> None:
        if self.state is not None:
            self.state.planned(message.cause, message.plan)
            self.bump()

    @on(m.ChosenFixPlanned)
    def chosen_fix_planned(self, message: m.ChosenFixPlanned) -> None:
        item = next((r for r in self.state.causes if r.id == message.cause), None) if self.state else None
        if item is not None:
            self.confirm_fix(item.id, item.title, message.plan)

    @on(m.FixProgressed)
    def fix_progressed(self, message: m.FixProgressed) -> None:
        if self.state is not None:
            self.state.fix_log.append(redact(message.text))
            self.bump()

    @on(m.FixApplied)
    def fix_applied(self, message: m.FixApplied) -> None:
        if self.state is not None:
            self.state.applied(message.result)
            self.bump()

    @on(Worker.StateChanged)
    def worker_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors land: say what failed, in words, and keep going."""
        worker = event.worker
        if event.state != WorkerState.ERROR:
            return
        text = describe_error(worker.error)
        if worker.group == "fix-apply" and self.state is not None:
            self.state.fix_log.append(f"failed: {text}")
            self.state.fix_result = worker.error
        elif worker.group in ("backend", "graph", "training", "scan"):
            self.set_status(f"Could not start: {text}")
        elif worker.group == "picker":
            self.post_message(m.ChoicesListed(worker.name, [], text))
        elif worker.group == "fix-plan" and self.state is not None:
            self.state.plan_failed(worker.name, text)
        elif worker.group == "sibling" and self.state is not None:
            self.state.sibling_search = "done"  # nothing to offer; the diagnosis stands
        self.notify(text, title=f"{worker.group} failed", severity="error", timeout=12)
        self.bump()

    # ------------------------------------------------------------------ operator intents

    @on(m.ScenarioChosen)
    def scenario_chosen(self, message: m.ScenarioChosen) -> None:
        """Start over on the chosen scenario (closing the sandbox of the previous one)."""
        if self.launch.train:
            self.train(message.info.name)
            return
        if self.workspace is not None:
            self.run_worker(self.workspace.close, thread=True, group="backend-close", exit_on_error=False)
        self.workers.cancel_group(self, "probes")
        self.workspace = self.target = self.state = None
        self.launch = Launch(**{**self.launch.__dict__, "scenario": message.info.name})
        self.open_workspace(message.info.name)

    @on(m.TargetChosen)
    def target_chosen(self, message: m.TargetChosen) -> None:
        self.target = message.target
        self.maybe_begin()

    @on(m.SymptomChosen)
    def symptom_chosen(self, message: m.SymptomChosen) -> None:
        if self.state is not None:
            self.concluded(self.state.choose(message.symptoms))

    @on(m.QuestionAnswered)
    def question_answered(self, message: m.QuestionAnswered) -> None:
        if self.state is not None:
            self.concluded(self.state.answer(message.question, message.choice))

    def plan(self, cause: str) -> None:
        """Work out the fix plan of `cause` (reads the resource as it is now), once per diagnosis."""
        state = self.state
        if (state is None or state.session.current is None
                or cause in state.plans or cause in state.planning):
            return
        state.planning.add(cause)
        self.start(jobs.plan_fix, state.engine, cause, group="fix-plan", name=cause)

    def plan_with(self, cause: str, options: dict[str, str]) -> None:
        """Plan `cause`'s fix with the value the operator chose; the plan comes back to be confirmed."""
        state = self.state
        if state is None or state.session.current is None:
            return
        self.start(jobs.plan_fix, state.engine, cause, options, group="fix-choice", name=cause)

    def apply(self, cause: str, plan: "FixPlan") -> None:
        """Apply the confirmed plan in a worker; progress and the verification come back as messages."""
        assert self.state is not None
        self.state.applying()
        self.start(jobs.apply_fix, self.state.engine, cause, plan, group="fix-apply")

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = self.state
        if action == "export_rca":
            return True if state is not None and state.session.current is not None else None
        if action == "rerun_probes":
            return True if state is not None and state.can_rerun else None
        if action == "copy_command":
            return True if self.selected_command() else None
        return True

    def selected_command(self) -> str | None:
        getter = getattr(self.screen, "selected_command", None)
        return getter() if callable(getter) else None

    def action_copy_command(self) -> None:
        from textual.markup import escape

        command = self.selected_command()
        if not command:
            self.notify("No command selected: pick a root cause first.", severity="warning")
            return
        self.copy_to_clipboard(command)
        self.notify(escape(command), title="Copied to the clipboard")

    def action_rerun_probes(self) -> None:
        if self.state is None or not self.state.can_rerun:
            return
        self.state.session.record("probe", "probes re-run by the operator")
        self.start_probes()
        self.notify("Re-running every probe…")

    def action_export_rca(self) -> None:
        if self.state is None or self.state.session.current is None:
            self.notify("Nothing to report yet: wait for the diagnosis.", severity="warning")
            return
        from troubleshooter.report import build_report

        session = self.state.session
        path = rca_path(session.target, datetime.now())
        path.write_text(build_report(session), encoding="utf-8")
        self.notify(str(path), title="RCA written")

    async def on_unmount(self) -> None:
        """Stop the sandbox and close the clients however the app ends."""
        if self.workspace is not None:
            import asyncio

            workspace, self.workspace = self.workspace, None
            await asyncio.to_thread(workspace.close)


def rca_path(target: "Target", when: datetime, folder: Path | None = None) -> Path:
    """`rca-<target>-<timestamp>.md` in the current directory."""
    return (folder or Path.cwd()) / f"rca-{target.name}-{when:%Y%m%d-%H%M%S}.md"


def describe_error(error: BaseException | None) -> str:
    explain = getattr(error, "explain", None)
    text = explain() if callable(explain) else f"{type(error).__name__}: {error}" if error else "unknown error"
    return redact(str(text))
