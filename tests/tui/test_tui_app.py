"""The TUI, driven by keys like an operator, on the real sandbox (no sleeps: workers are awaited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from textual.binding import Binding
from textual.widgets import Button, OptionList, Static

from troubleshooter.scenarios import list_scenarios, scenario_path
from troubleshooter.tui import messages as m
from troubleshooter.tui.app import TroubleshooterApp
from troubleshooter.tui.autopilot import at_causes, at_symptoms, settle
from troubleshooter.tui.launch import Launch
from troubleshooter.tui.palette import ActionsProvider
from troubleshooter.tui.screens.causes import CausesScreen
from troubleshooter.tui.screens.choose import ChooseValueModal
from troubleshooter.tui.screens.confirm import ConfirmFixModal
from troubleshooter.tui.screens.help import HelpScreen
from troubleshooter.tui.screens.learn import LearnScreen
from troubleshooter.tui.screens.progress import FixProgressScreen
from troubleshooter.tui.screens.scenario import ScenarioScreen
from troubleshooter.tui.screens.symptom import SymptomScreen
from troubleshooter.tui.screens.target import TargetScreen
from troubleshooter.tui.screens.walk import WalkScreen
from troubleshooter.tui.widgets.walk_tree import WalkTree

TELEPAY = "telepay-missing-attachment"
SIZE = (80, 24)


def expected(name: str) -> dict[str, list[str]]:
    data = yaml.safe_load(scenario_path(name).read_text(encoding="utf-8"))
    return {"rootCauses": list(data["expect"].get("rootCauses", [])),
            "findings": list(data["expect"].get("findings", []))}


def text_of(widget: Static) -> str:
    """What a Static shows, as plain text (markup strings and Rich renderables alike)."""
    from rich.console import Console
    from textual.content import Content

    content = widget.content
    if isinstance(content, str):
        return Content.from_markup(content).plain
    console = Console(record=True, width=200, file=open("/dev/null", "w"))
    console.print(content)
    return console.export_text()


def shown_ids(app: TroubleshooterApp) -> list[str]:
    options = app.screen.query_one("#cause-list", OptionList)
    return [str(options.get_option_at_index(i).id) for i in range(options.option_count)]


def demo(scenario: str = TELEPAY, **kw: Any) -> TroubleshooterApp:
    return TroubleshooterApp(Launch(demo=True, scenario=scenario, **kw))


# --------------------------------------------------------------------------- every scenario


@pytest.mark.parametrize("name", [info.name for info in list_scenarios()])
async def test_each_scenario_walks_to_its_root_causes(name: str) -> None:
    # A scenario whose expectation needs the Secret Manager values is run with that consent.
    consent = bool(yaml.safe_load(scenario_path(name).read_text(encoding="utf-8"))["expect"].get("readSecrets"))
    app = demo(name, read_secrets=consent)
    finished: list[str] = []

    def hook(message: Any) -> None:
        if isinstance(message, m.ProbeFinished):
            finished.append(message.result.probe)

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await at_causes(app, pilot)
        want = expected(name)
        shown = shown_ids(app)
        assert [i for i in shown if i in {c.id for c in app.state.causes}] == want["rootCauses"]
        assert [i for i in shown if i in {f.id for f in app.state.findings}] == want["findings"]
        assert sorted(finished) == sorted(app.state.run.probe_ids)  # every probe reported live
        assert app.state.session is not None and app.state.session.current is not None
        assert app.state.session.current.cause_ids == want["rootCauses"]


# --------------------------------------------------------------------------- the demo from the start


async def test_scenario_picker_starts_the_chosen_scenario() -> None:
    app = TroubleshooterApp(Launch(demo=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, lambda: isinstance(app.screen, ScenarioScreen) and bool(app.scenarios))
        names = [info.name for info, _ in app.scenarios]
        assert names == [info.name for info in list_scenarios()]
        await pilot.press("down", "enter")          # the second scenario
        await at_symptoms(app, pilot)
        assert app.target is not None and app.state.session is not None
        assert app.state.session.scenario == names[1]
        await pilot.press("escape")                 # back to the scenarios: start over on another
        assert isinstance(app.screen, ScenarioScreen)
        await pilot.press("up", "enter")
        await at_symptoms(app, pilot)
        assert app.state.session.scenario == names[0]


async def test_symptom_from_the_logs_then_the_walk_one_step_at_a_time() -> None:
    app = demo()
    async with app.run_test(size=SIZE) as pilot:
        await at_symptoms(app, pilot)
        symptoms = app.screen.query_one("#symptom-list")
        assert list(symptoms.selected) == ["socket-not-found"]      # pre-selected from the logs
        logs = text_of(app.screen.query_one("#symptom-logs", Static))
        assert "No such file or directory" in logs and "matching log line" in logs
        await pilot.press("enter")
        await settle(app, pilot, lambda: isinstance(app.screen, WalkScreen))
        tree = app.screen.query_one(WalkTree)
        assert tree.cursor_node.data.node.id == "symptom:socket-not-found"
        await pilot.press("n")
        step = tree.cursor_node.data
        assert step.node.kind == "check"
        why = text_of(app.screen.query_one("#step-why", Static))
        assert "Why it matters" in why and step.node.why.split()[0] in why
        await pilot.press("p")
        assert tree.cursor_node.data.node.id == "symptom:socket-not-found"
        statuses = {s.outcome for s in app.state.walk.steps if s.node.kind == "check"}
        assert "failed" in statuses and "ok" in statuses


async def test_a_question_no_probe_answers_is_asked_and_rewalks() -> None:
    app = demo("survey-bot-missing-role")
    async with app.run_test(size=SIZE) as pilot:
        await at_symptoms(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot, lambda: isinstance(app.screen, WalkScreen))
        tree = app.screen.query_one(WalkTree)
        tree.select_step("question:app-connection")
        await pilot.pause()
        choices = app.screen.query_one("#step-choices", OptionList)
        assert choices.display
        choices.focus()
        await pilot.press("home", "enter")          # the first choice: a Unix socket
        await settle(app, pilot)
        assert app.state.session.answers == {"app-connection": "unix-socket"}
        assert app.state.walk.step("question:app-connection").outcome == "unix-socket"
        assert app.state.session.current.obs.answers["app-connection"] == "unix-socket"
        assert any(e.kind == "answer" for e in app.state.session.timeline)


async def test_the_walk_fills_in_live_while_probes_run(tmp_path: Path) -> None:
    """The logs API stalls: the walk starts anyway, checks that need the logs wait, the rest decide."""
    from troubleshooter.world import Fault, load_world

    world = load_world(scenario_path(TELEPAY))
    world.faults.append(Fault(api="logging", delay=60))   # cut short when the app closes the sandbox
    path = tmp_path / "stalled.yaml"
    world.dump(path)
    app = TroubleshooterApp(Launch(world=str(path)))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):                 # not settle(): the stalled probe never completes
            if isinstance(app.screen, SymptomScreen) and app.state.run.status["run-config"] == "ok":
                break
            await pilot.pause()
        assert app.state.run.status["logs"] == "running" and app.state.suggested is None
        await pilot.press("enter")           # nothing pre-selected: walk from the highlighted symptom
        assert isinstance(app.screen, WalkScreen)
        steps = app.state.walk.steps
        assert any(s.pending for s in steps) and any(s.outcome == "ok" for s in steps)
        assert "probes running" in text_of(app.screen.query_one("#walk-head", Static))
        board = text_of(app.screen.query_one("#probe-board", Static))
        assert "… logs" in board and "✓ run-config" in board


# --------------------------------------------------------------------------- root causes and fixes


async def test_apply_fix_through_the_modal_and_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = demo()
    async with app.run_test(size=SIZE) as pilot:
        await at_causes(app, pilot)
        await settle(app, pilot, lambda: "cloudsql-not-attached" in app.state.plans)
        command = text_of(app.screen.query_one("#cause-command", Static))
        assert "--add-cloudsql-instances=telepay-459221:us-central1:telepaypsql" in command.replace("\n", "")
        await pilot.press("c")
        assert app.clipboard.startswith("gcloud run services update gcdonationhandler-10-26")

        await pilot.press("a")
        assert isinstance(app.screen, ConfirmFixModal)
        assert app.focused is not None and app.focused.id == "confirm-cancel"
        shown = text_of(app.screen.query_one("#confirm-command", Static))
        assert "--add-cloudsql-instances" in shown
        await pilot.press("y")
        await settle(app, pilot, lambda: app.state.fix_result is not None)
        assert isinstance(app.screen, FixProgressScreen)
        verdict = text_of(app.screen.query_one("#fix-verdict", Static))
        assert "Fixed" in verdict and "cloudsql-not-attached is gone" in verdict
        assert any("UpdateService" in line for line in app.state.fix_log)
        await pilot.press("enter")
        assert isinstance(app.screen, CausesScreen)
        assert app.state.causes == [] and app.state.session.status == "resolved"
        assert app.state.session.fixes[-1].verified is True

        await pilot.press("ctrl+p", *"export rca")    # the RCA, through the command palette
        await settle(app, pilot, lambda: app.screen.query_one("CommandList").option_count > 0)
        await pilot.press("enter")
        await settle(app, pilot, lambda: isinstance(app.screen, CausesScreen))
        written = list(tmp_path.glob("rca-gcdonationhandler-10-26-*.md"))
        assert len(written) == 1
        text = written[0].read_text(encoding="utf-8")
        assert "cloudsql-not-attached" in text


async def test_cancel_changes_nothing() -> None:
    app = demo()
    async with app.run_test(size=SIZE) as pilot:
        await at_causes(app, pilot)
        await settle(app, pilot, lambda: "cloudsql-not-attached" in app.state.plans)
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmFixModal)
        await pilot.press("enter")                   # focus starts on Cancel
        await settle(app, pilot)
        assert isinstance(app.screen, CausesScreen)
        assert app.state.session.fixes[-1].outcome == "cancelled"
        assert [c.id for c in app.state.causes] == ["cloudsql-not-attached"]
        assert len(app.state.session.diagnoses) == 1


async def test_read_only_shows_no_apply_action() -> None:
    app = demo(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await at_causes(app, pilot)
        await settle(app, pilot, lambda: "cloudsql-not-attached" in app.state.plans)
        screen = app.screen
        assert all(b.binding.action != "apply_fix" for b in screen.active_bindings.values())
        assert not screen.query_one("#apply-fix", Button).display
        assert not any("Apply" in name for name, _, _ in ActionsProvider(screen)._actions())
        assert "applies" not in text_of(screen.query_one("#causes-head", Static))
        await pilot.press("a")
        assert isinstance(app.screen, CausesScreen) and app.state.session.fixes == []


async def test_apply_fix_that_needs_a_subnet_asks_for_it_first() -> None:
    cause = "private-ip-without-vpc-egress"
    app = demo("private-ip-no-egress")
    async with app.run_test(size=SIZE) as pilot:
        await at_causes(app, pilot)
        await settle(app, pilot, lambda: cause in app.state.plans)
        assert not app.state.plans[cause].automatic          # without the subnet: manual steps only
        assert app.screen.query_one("#apply-fix", Button).display
        await pilot.press("a")
        assert isinstance(app.screen, ChooseValueModal)
        label = text_of(app.screen.query_one("#choose-label", Static))
        assert "Subnet of network prod-vpc in europe-west3 (must have free addresses)" in label
        await pilot.press("enter")                           # nothing typed: refused, the modal stays
        await pilot.pause()
        assert isinstance(app.screen, ChooseValueModal)
        assert "Nothing typed" in text_of(app.screen.query_one("#choose-hint", Static))
        await pilot.press(*"prod-euw3", "enter")
        await settle(app, pilot, lambda: isinstance(app.screen, ConfirmFixModal))
        shown = text_of(app.screen.query_one("#confirm-command", Static)).replace("\n", "")
        assert "--subnet=prod-euw3" in shown and "--network=prod-vpc" in shown
        await pilot.press("y")
        await settle(app, pilot, lambda: app.state.fix_result is not None)
        assert isinstance(app.screen, FixProgressScreen)
        verdict = text_of(app.screen.query_one("#fix-verdict", Static))
        assert "Fixed" in verdict and f"{cause} is gone" in verdict
        await pilot.press("enter")
        assert isinstance(app.screen, CausesScreen)
        assert cause not in [c.id for c in app.state.causes]
        assert app.state.session.fixes[-1].verified is True


async def test_escape_in_the_subnet_prompt_changes_nothing() -> None:
    app = demo("private-ip-no-egress")
    async with app.run_test(size=SIZE) as pilot:
        await at_causes(app, pilot)
        await pilot.press("a")
        assert isinstance(app.screen, ChooseValueModal)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, CausesScreen)
        assert app.state.session.fixes == [] and len(app.state.session.diagnoses) == 1


async def test_rerun_probes_adds_a_diagnosis() -> None:
    app = demo("private-ip-no-egress")
    async with app.run_test(size=SIZE) as pilot:
        await at_causes(app, pilot)
        first = app.state.run
        await pilot.press("r")
        await settle(app, pilot, lambda: app.state.run is not first and app.state.run.done
                     and len(app.state.session.diagnoses) == 2)
        assert app.state.session.current.cause_ids == ["private-ip-without-vpc-egress"]


# --------------------------------------------------------------------------- learn, help, palette


async def test_help_palette_and_graph_cover_every_action() -> None:
    app = demo()
    async with app.run_test(size=SIZE) as pilot:
        await at_causes(app, pilot)
        await settle(app, pilot, lambda: "cloudsql-not-attached" in app.state.plans)
        names = " ".join(name for name, _, _ in ActionsProvider(app.screen)._actions())
        for word in ("Help", "Export", "Re-run", "Copy", "Graph", "Quit", "Apply fix", "Walk"):
            assert word in names, word
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"
        await pilot.press("escape")
        await pilot.press("g")
        assert isinstance(app.screen, LearnScreen)
        tree = app.screen.query_one("#graph-tree")
        kinds = [str(n.label) for n in tree.root.children]
        assert [k.split(":")[0] for k in kinds][:2] == ["Symptoms", "Checks"]
        causes = next(n for n in tree.root.children if str(n.label).startswith("Root causes"))
        causes.expand()
        await pilot.pause()
        tree.move_cursor(causes.children[0])
        await pilot.pause()
        text = app.screen.query_one("#graph-text").source
        assert "Why it matters" in text and "Fix" in text
        await pilot.press("escape")
        assert isinstance(app.screen, CausesScreen)


def test_every_binding_has_an_id_a_description_and_a_tooltip() -> None:
    import inspect

    from troubleshooter.tui.screens import progress
    from troubleshooter.tui.screens.confirm import ConfirmFixModal
    from troubleshooter.tui.screens.scenario import ScenarioList
    from troubleshooter.tui.screens.symptom import SymptomList

    owners = [TroubleshooterApp, ScenarioList, TargetScreen, SymptomScreen, SymptomList, WalkScreen,
              CausesScreen, LearnScreen, HelpScreen, ConfirmFixModal, progress.FixProgressScreen]
    for owner in owners:
        for binding in inspect.getattr_static(owner, "BINDINGS"):
            assert isinstance(binding, Binding)
            assert binding.id and binding.description and binding.tooltip, (owner.__name__, binding.key)


# --------------------------------------------------------------------------- the target picker


async def test_picker_lists_projects_regions_and_workloads_from_the_apis() -> None:
    app = TroubleshooterApp(Launch(world=str(scenario_path(TELEPAY)), use_world_target=False,
                                   use_gcloud_defaults=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, lambda: isinstance(app.screen, TargetScreen) and "project" in app.choices)
        projects = [v for v, _ in app.choices["project"][0]]
        assert "telepay-459221" in projects
        await pilot.press(*"telepay", "enter")
        await settle(app, pilot, lambda: app.screen.step == "region" and "region" in app.choices)
        await pilot.press(*"us-central1", "enter")
        await settle(app, pilot, lambda: app.screen.step == "workload" and "workload" in app.choices)
        workloads = [v for v, _ in app.choices["workload"][0]]
        assert "service:gcdonationhandler-10-26" in workloads
        await pilot.press(*"donation", "enter")
        await at_symptoms(app, pilot)
        assert app.target is not None and app.target.service == "gcdonationhandler-10-26"
        assert app.target.project == "telepay-459221" and app.target.region == "us-central1"


def test_rca_file_name() -> None:
    from datetime import datetime

    from troubleshooter.model import Target
    from troubleshooter.tui.app import rca_path

    path = rca_path(Target("p", "r", job="migrate"), datetime(2025, 11, 13, 21, 5, 9), Path("/x"))
    assert path == Path("/x/rca-migrate-20251113-210509.md")
