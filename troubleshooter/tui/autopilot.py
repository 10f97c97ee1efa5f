"""Drive the app by keys, headless: shared by the tests, the screenshot script and the benchmark."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from troubleshooter.tui.app import TroubleshooterApp


async def settle(app: "TroubleshooterApp", pilot: "Pilot[None]", until: Callable[[], bool] = lambda: True,
                 rounds: int = 40) -> None:
    """Let workers finish and their messages land, until `until()` holds (no sleeps)."""
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if until():
            return
    raise AssertionError(f"never settled: screen {type(app.screen).__name__}")


def on(app: "TroubleshooterApp", name: str) -> bool:
    return type(app.screen).__name__ == name


async def at_scenarios(app: "TroubleshooterApp", pilot: "Pilot[None]") -> None:
    await settle(app, pilot, lambda: on(app, "ScenarioScreen") and bool(app.scenarios))


async def at_symptoms(app: "TroubleshooterApp", pilot: "Pilot[None]") -> None:
    """The symptom screen with every probe done (so the logs have pre-selected the symptom)."""
    await settle(app, pilot, lambda: on(app, "SymptomScreen")
                 and app.state.run is not None and app.state.run.done)


async def at_walk(app: "TroubleshooterApp", pilot: "Pilot[None]") -> None:
    await at_symptoms(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot, lambda: on(app, "WalkScreen"))


async def at_causes(app: "TroubleshooterApp", pilot: "Pilot[None]") -> None:
    """From start-up to the result: enter walks from the pre-selected symptom, e jumps to the end."""
    await at_walk(app, pilot)
    await pilot.press("e")
    # The search for a working sibling (started when the diagnosis finished) is over too: the
    # footer's compare key depends on it.
    await settle(app, pilot, lambda: on(app, "CausesScreen") and (
        not app.state.causes or app.state.causes[0].id in app.state.plans)
        and app.state.sibling_search != "searching")


async def at_drill(app: "TroubleshooterApp", pilot: "Pilot[None]") -> None:
    """Training: the drill's first screen (the incident), once the engine run is done."""
    await settle(app, pilot, lambda: on(app, "TrainScreen"))


async def name_causes(app: "TroubleshooterApp", pilot: "Pilot[None]", *searches: str) -> None:
    """From the drill: open the naming modal, tick the first match of each search, then done."""
    await pilot.press("n")
    await settle(app, pilot, lambda: on(app, "NameCausesModal"))
    for search in searches:
        search_box = app.screen.query_one("#name-search")
        search_box.focus()
        search_box.value = ""
        await pilot.press(*search, "enter", "space")
    await pilot.press("d")
    await settle(app, pilot, lambda: on(app, "DebriefScreen"))


async def at_fleet(app: "TroubleshooterApp", pilot: "Pilot[None]") -> None:
    """The fleet screen with the scan done and its table drawn."""
    await settle(app, pilot, lambda: on(app, "FleetScreen") and app.fleet is not None
                 and app.screen.query_one("#fleet-table").row_count == len(app.fleet.diagnoses))


async def at_comparison(app: "TroubleshooterApp", pilot: "Pilot[None]") -> None:
    """The root causes, then `w`: the comparison with the working sibling the app found."""
    await at_causes(app, pilot)
    await settle(app, pilot, lambda: app.state.sibling_search == "done")
    await pilot.press("w")
    await settle(app, pilot, lambda: on(app, "CompareScreen"))


async def at_secrets_consent(app: "TroubleshooterApp", pilot: "Pilot[None]") -> None:
    """The walk, Enter on the question a secret's value would answer: the consent modal."""
    from troubleshooter.tui.widgets.walk_tree import WalkTree

    await at_walk(app, pilot)
    tree = app.screen.query_one(WalkTree)
    stack = [tree.root]
    while stack:
        node = stack.pop()
        if node.data is not None and node.data.node.id == "question:app-connection":
            tree.select_node(node)
            break
        stack.extend(node.children)
    await settle(app, pilot, lambda: on(app, "SecretsConsentModal"))
