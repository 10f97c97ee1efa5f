"""Training in the TUI, played by keys: the incident without its cause, checks revealed one by one,
causes named from the catalog, and a debrief that compares the learner's path with the graph's."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Markdown, Static

from troubleshooter.tui.app import TroubleshooterApp
from troubleshooter.tui.autopilot import at_drill, at_scenarios, name_causes, on, settle
from troubleshooter.tui.launch import Launch

TELEPAY = "telepay-missing-attachment"
CAUSE = "cloudsql-not-attached"
CAUSE_TITLE = "The Cloud SQL instance is not attached"


def shown_text(app: TroubleshooterApp) -> str:
    """Every Static and Markdown on the current screen, as text."""
    parts = [str(w.render()) for w in app.screen.query(Static)]
    parts += [w.source for w in app.screen.query(Markdown) if hasattr(w, "source")]
    return "\n".join(parts)


def train(scenario: str | None = TELEPAY) -> TroubleshooterApp:
    return TroubleshooterApp(Launch(train=True, scenario=scenario))


async def test_wrong_then_right_answer_with_a_debrief_of_path_and_cost() -> None:
    app = train()
    async with app.run_test(size=(120, 36)) as pilot:
        await at_drill(app, pilot)
        text = shown_text(app)
        assert "The incident" in text and "No such file or directory" in text
        assert CAUSE not in text and CAUSE_TITLE not in text   # the cause is the learner's to find
        # A wrong try: one check off the graph's path, a cause that does not hold.
        checks = [c.node for c in app.screen.drill.checks]
        await pilot.press(*["down"] * checks.index("check:open-networks"), "enter")
        assert "Is the database closed to the internet?" in shown_text(app)
        await name_causes(app, pilot, "client-role")
        debrief = app.screen.result
        assert debrief.wrong == ("missing-cloudsql-client-role",) and debrief.missed == (CAUSE,)
        assert [n for n, _ in debrief.extra] == ["check:open-networks"]
        text = shown_text(app)
        assert "Not yet" in text and "does not hold" in text and "off the graph’s path" in text
        assert "incident-telepay-missing-cloudsql-annotation.md" in text   # where the cost comes from
        assert "gcloud run services update gcdonationhandler-10-26" in text and "Prevention" in text
        # Retry, and get it right from the graph's own first checks.
        await pilot.press("r")
        await settle(app, pilot, lambda: on(app, "TrainScreen") and not app.screen.attempt.ran)
        for _ in range(3):
            await pilot.press("enter", "down")
        await name_causes(app, pilot, "not attached")
        debrief = app.screen.result
        assert debrief.solved and debrief.extra == () and debrief.skipped == ()
        assert "Solved" in shown_text(app)
    from troubleshooter.training import Progress

    record = Progress().records[TELEPAY]
    assert record.tries == 2 and record.solved and record.first_try is False


async def test_training_picker_never_reveals_and_starts_the_drill() -> None:
    app = train(None)
    async with app.run_test(size=(120, 36)) as pilot:
        await at_scenarios(app, pilot)
        assert app.screen.check_action("reveal", ()) is False
        await pilot.press("v")
        assert CAUSE not in shown_text(app)
        await pilot.press("enter")
        await at_drill(app, pilot)
        assert app.screen.drill.name == TELEPAY
        await pilot.press("escape")
        await settle(app, pilot, lambda: on(app, "ScenarioScreen"))


async def test_demo_picker_shows_the_story_then_the_answer_on_demand() -> None:
    app = TroubleshooterApp(Launch(demo=True))
    async with app.run_test(size=(120, 36)) as pilot:
        await at_scenarios(app, pilot)
        await settle(app, pilot, lambda: bool(app.resolutions))
        app.screen.show_story(0)
        await pilot.pause()
        assert CAUSE not in shown_text(app) and "should find" not in shown_text(app)
        await pilot.press("v")
        await pilot.pause()
        assert CAUSE in shown_text(app)
        await pilot.press("t")
        await at_drill(app, pilot)


def test_train_bindings_have_ids_descriptions_and_tooltips() -> None:
    import inspect

    from textual.binding import Binding

    from troubleshooter.tui.screens.debrief import DebriefScreen
    from troubleshooter.tui.screens.name_causes import CauseChoices, NameCausesModal
    from troubleshooter.tui.screens.scenario import ScenarioScreen
    from troubleshooter.tui.screens.train import CheckList, TrainScreen

    for owner in (TrainScreen, CheckList, NameCausesModal, CauseChoices, DebriefScreen, ScenarioScreen):
        for binding in inspect.getattr_static(owner, "BINDINGS"):
            assert isinstance(binding, Binding)
            assert binding.id and binding.description and binding.tooltip, (owner.__name__, binding.key)


@pytest.mark.parametrize("argv", [["train", "--list"]])
def test_train_list_shows_progress(argv: list[str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from troubleshooter.cli import cli
    from troubleshooter.training import Progress

    monkeypatch.setenv("TROUBLESHOOTER_DATA_DIR", str(tmp_path))
    Progress().record(TELEPAY, solved=True)
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0
    line = next(l for l in result.output.splitlines() if l.startswith(TELEPAY))
    assert "solved first try" in line
    assert "1 tried · 1 solved · 100% right on the first try" in result.output
    assert str(tmp_path) in result.output


async def test_the_training_picker_marks_what_was_solved() -> None:
    from troubleshooter.training import Progress

    Progress().record(TELEPAY, solved=True)
    app = train(None)
    async with app.run_test(size=(120, 36)) as pilot:
        await at_scenarios(app, pilot)
        prompt = str(app.screen.query_one("#scenario-list").get_option(TELEPAY).prompt)
        assert "solved first try" in prompt


def test_unreadable_progress_starts_afresh(tmp_path: Any) -> None:
    from troubleshooter.training import Progress

    (tmp_path / "training.json").write_text('{"scenarios": {"a": {"tries": "x", "firstTry": 3}}, ', "utf-8")
    assert Progress(tmp_path).records == {}
    (tmp_path / "training.json").write_text('{"scenarios": {"a": {"tries": "x", "firstTry": 3}}}', "utf-8")
    assert Progress(tmp_path).records["a"].tries == 0 and Progress(tmp_path).first_try_accuracy is None
