"""Snapshots of the main screens at 80×24 and 120×36 on one fixed scenario (no clocks, no durations)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import pytest

from troubleshooter.tui.app import TroubleshooterApp
from troubleshooter.tui.autopilot import (
    at_causes,
    at_scenarios,
    at_symptoms,
    at_walk,
    on,
    settle,
)
from troubleshooter.tui.launch import Launch

SIZES = [(80, 24), (120, 36)]
TELEPAY = "telepay-missing-attachment"


def demo(scenario: str | None = TELEPAY, **kw: Any) -> TroubleshooterApp:
    app = TroubleshooterApp(Launch(demo=True, scenario=scenario, **kw))
    # A tooltip shows after the pointer rests 0.5 s: on a loaded machine a snapshot may catch one.
    app.TOOLTIP_DELAY = 3600.0
    return app


def steady(drive: Callable[[TroubleshooterApp, Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
    """Drive the app, then drop the toasts: they come and go with time."""

    async def run_before(pilot: Any) -> None:
        app = pilot.app
        await drive(app, pilot)
        await settle(app, pilot)
        app.clear_notifications()
        await pilot.pause()

    return run_before


async def walk(app: TroubleshooterApp, pilot: Any) -> None:
    await at_walk(app, pilot)
    await pilot.press("n", "n", "n")       # the failed check: is the instance attached?


async def confirm(app: TroubleshooterApp, pilot: Any) -> None:
    await at_causes(app, pilot)
    # The result has been drawn with its plan (the apply button shows only then): the screen under
    # the modal is then the same in every run.
    await settle(app, pilot, lambda: app.screen.query_one("#apply-fix").display)
    await pilot.press("a")   # the screen asks; the app's navigation shows the modal a message later
    await settle(app, pilot, lambda: on(app, "ConfirmFixModal") and app.focused is not None
                 and app.focused.id == "confirm-cancel")


async def learn(app: TroubleshooterApp, pilot: Any) -> None:
    await at_symptoms(app, pilot)
    await pilot.press("g", "down", "down")     # the first symptom, explained


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_scenario_picker(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(demo(None), terminal_size=size, run_before=steady(at_scenarios))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_symptoms(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(demo(), terminal_size=size, run_before=steady(at_symptoms))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_walk(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(demo(), terminal_size=size, run_before=steady(walk))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_root_causes(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(demo(), terminal_size=size, run_before=steady(at_causes))


def test_confirm_fix(snap_compare: Any) -> None:
    assert snap_compare(demo(), terminal_size=(80, 24), run_before=steady(confirm))


def test_root_causes_read_only(snap_compare: Any) -> None:
    assert snap_compare(demo(read_only=True), terminal_size=(80, 24), run_before=steady(at_causes))


def test_learn(snap_compare: Any) -> None:
    assert snap_compare(demo(), terminal_size=(120, 36), run_before=steady(learn))


# --------------------------------------------------------------------------- training


def training() -> TroubleshooterApp:
    return TroubleshooterApp(Launch(train=True, scenario=TELEPAY))


async def train_check(app: TroubleshooterApp, pilot: Any) -> None:
    from troubleshooter.tui.autopilot import at_drill

    await at_drill(app, pilot)
    await pilot.press("down", "down", "enter")   # the failed check: is the instance attached?


async def train_naming(app: TroubleshooterApp, pilot: Any) -> None:
    await train_check(app, pilot)
    await pilot.press("n")
    await settle(app, pilot, lambda: type(app.screen).__name__ == "NameCausesModal")
    await pilot.press(*"attach", "enter", "space")


async def train_debrief(app: TroubleshooterApp, pilot: Any) -> None:
    from troubleshooter.tui.autopilot import name_causes

    await train_check(app, pilot)
    await pilot.press("up", "up", "enter")       # a check on the graph's path, run second
    await name_causes(app, pilot, "not attached")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_train_incident(snap_compare: Any, size: tuple[int, int]) -> None:
    from troubleshooter.tui.autopilot import at_drill

    assert snap_compare(training(), terminal_size=size, run_before=steady(at_drill))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_train_check(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(training(), terminal_size=size, run_before=steady(train_check))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_train_naming(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(training(), terminal_size=size, run_before=steady(train_naming))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_train_debrief(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(training(), terminal_size=size, run_before=steady(train_debrief))


# --------------------------------------------------------------------------- the fleet


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_fleet(snap_compare: Any, size: tuple[int, int], tmp_path: Any) -> None:
    import json

    from troubleshooter.scenarios.fleet import ORGANIZATION, fleet_world
    from troubleshooter.tui.autopilot import at_fleet

    data, _ = fleet_world(16)
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    app = TroubleshooterApp(Launch(world=str(path), scan=True, organization=ORGANIZATION))
    app.TOOLTIP_DELAY = 3600.0
    assert snap_compare(app, terminal_size=size, run_before=steady(at_fleet))
