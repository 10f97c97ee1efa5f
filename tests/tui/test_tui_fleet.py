"""The fleet screen: a scan's targets in a sortable table; enter opens one target's walk, escape returns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from troubleshooter.scenarios.fleet import ORGANIZATION, fleet_world
from troubleshooter.tui.app import TroubleshooterApp
from troubleshooter.tui.autopilot import at_fleet, on, settle
from troubleshooter.tui.launch import Launch


def fleet_app(path: Path, **kw: Any) -> TroubleshooterApp:
    app = TroubleshooterApp(Launch(world=str(path), scan=True, **kw))
    app.TOOLTIP_DELAY = 3600.0
    return app


@pytest.fixture
def world_file(tmp_path: Path) -> Path:
    data, _ = fleet_world(12)
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


async def test_enter_drills_into_a_walk_and_escape_returns(world_file: Path) -> None:
    app = fleet_app(world_file, organization=ORGANIZATION)
    async with app.run_test(size=(120, 36)) as pilot:
        await at_fleet(app, pilot)
        first = app.fleet.diagnoses[0]
        assert first.verdict == "root-causes" and len(app.fleet.diagnoses) == 12
        await pilot.press("enter")
        await settle(app, pilot, lambda: on(app, "WalkScreen"))
        assert app.target == first.target and app.state.causes[0].id == first.cause_ids[0]
        assert app.state.session.current is first        # the scan's diagnosis: no second run
        await pilot.press("escape")
        await settle(app, pilot, lambda: on(app, "FleetScreen"))


async def test_sort_cycles_verdict_causes_target(world_file: Path) -> None:
    app = fleet_app(world_file, project="fleet-a-prod", all_regions=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await at_fleet(app, pilot)
        table = app.screen.query_one("#fleet-table")
        assert {d.target.project for d in app.fleet.diagnoses} == {"fleet-a-prod"}

        def column(i: int) -> list[str]:
            return [table.get_row_at(r)[i].plain for r in range(table.row_count)]

        verdicts = column(0)
        assert verdicts == sorted(verdicts, key=["root-causes", "unexplained", "inconclusive", "healthy"].index)
        await pilot.press("s", "s")
        assert app.screen.sort_by == "target" and column(2) == sorted(column(2))
        await pilot.press("s")
        assert app.screen.sort_by == "verdict" and column(0) == verdicts


def test_fleet_bindings_have_an_id_a_description_and_a_tooltip() -> None:
    import inspect

    from textual.binding import Binding

    from troubleshooter.tui.screens.fleet import FleetScreen, FleetTable

    for owner in (FleetScreen, FleetTable):
        for binding in inspect.getattr_static(owner, "BINDINGS"):
            assert isinstance(binding, Binding)
            assert binding.id and binding.description and binding.tooltip, (owner.__name__, binding.key)
