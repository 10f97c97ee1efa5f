"""The TUI offers "compare with a working sibling" when a healthy target uses the same instance."""

from __future__ import annotations

from typing import Any

import pytest

from troubleshooter.tui.app import TroubleshooterApp
from troubleshooter.tui.autopilot import at_causes, on, settle
from troubleshooter.tui.launch import Launch

TELEPAY = "telepay-missing-attachment"


def demo(scenario: str = TELEPAY) -> TroubleshooterApp:
    app = TroubleshooterApp(Launch(demo=True, scenario=scenario))
    app.TOOLTIP_DELAY = 3600.0
    return app


async def at_comparison(app: TroubleshooterApp, pilot: Any) -> None:
    await at_causes(app, pilot)
    await settle(app, pilot, lambda: app.state.sibling_search == "done")
    await pilot.press("w")
    await settle(app, pilot, lambda: on(app, "CompareScreen"))
    app.clear_notifications()
    await pilot.pause()


async def test_w_shows_the_comparison_with_the_working_sibling() -> None:
    app = demo()
    async with app.run_test(size=(120, 36)) as pilot:
        await at_comparison(app, pilot)
        comparison = app.state.sibling
        assert comparison is not None and comparison.b.name == "gcbotcommand-10-26"
        assert comparison.differences[0].field == "cloudSqlInstances"
        await pilot.press("escape")
        await settle(app, pilot, lambda: on(app, "CausesScreen"))


@pytest.mark.parametrize("scenario", ["survey-bot-missing-role", "healthy-baseline"])
async def test_no_offer_without_a_healthy_sibling_on_the_instance(scenario: str) -> None:
    app = demo(scenario)
    async with app.run_test(size=(120, 36)) as pilot:
        await at_causes(app, pilot)
        await settle(app, pilot, lambda: app.state.sibling_search in ("", "done"))
        assert app.state.sibling is None
        assert app.screen.check_action("compare_sibling", ()) is False
        await pilot.press("w")
        await pilot.pause()
        assert on(app, "CausesScreen")


def test_comparison_screen(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await at_comparison(pilot.app, pilot)

    assert snap_compare(demo(), terminal_size=(120, 36), run_before=run_before)
