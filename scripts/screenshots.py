"""Pictures of the TUI's main screens on the demo scenarios: SVG (Textual) and PNG, into screenshots/.

Needs the package installed (`pip install -e .`). SVGs come from Textual itself. For PNGs one of:
  * the `cairosvg` Python package (`pip install cairosvg`; it needs the cairo C library, libcairo2),
  * `rsvg-convert` (`apt-get install librsvg2-bin`),
  * a headless Chromium (`apt-get install chromium`).
The first that works is used; with none, only SVGs are written (and the script says so).
Pillow (which cairosvg installs) shrinks the PNGs to a palette; without it they stay as converted.
A monospace font (DejaVu Sans Mono, `apt-get install fonts-dejavu-core`) keeps the columns straight.

    python scripts/screenshots.py [--out screenshots] [--scenario NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Awaitable, Callable

from troubleshooter.scenarios import scenario_names
from troubleshooter.tui.app import TroubleshooterApp
from troubleshooter.tui.autopilot import (
    at_causes,
    at_comparison,
    at_drill,
    at_fleet,
    at_scenarios,
    at_secrets_consent,
    at_symptoms,
    at_walk,
    name_causes,
    settle,
)
from troubleshooter.tui.launch import Launch

Drive = Callable[[TroubleshooterApp, Any], Awaitable[None]]
BIG, SMALL = (120, 36), (80, 24)
FIXABLE = "telepay-missing-attachment"


async def first_failed_check(app: TroubleshooterApp, pilot: Any) -> None:
    """The walk with the cursor on the first check that found a cause (n, n, n… as a user would)."""
    await at_walk(app, pilot)
    tree = app.screen.query_one("#walk-tree")
    for _ in range(len(app.state.walk.steps) if app.state.walk else 0):
        step = tree.cursor_node.data if tree.cursor_node else None
        if step is not None and step.node.kind == "check" and step.outcome == "failed":
            return
        await pilot.press("n")


async def confirm(app: TroubleshooterApp, pilot: Any) -> None:
    await at_causes(app, pilot)
    await pilot.press("a")


async def fixed(app: TroubleshooterApp, pilot: Any) -> None:
    await confirm(app, pilot)
    await pilot.press("y")
    await settle(app, pilot, lambda: app.state.fix_result is not None)


async def fixed_causes(app: TroubleshooterApp, pilot: Any) -> None:
    await fixed(app, pilot)
    await pilot.press("enter")


async def learn(app: TroubleshooterApp, pilot: Any) -> None:
    await at_symptoms(app, pilot)
    await pilot.press("g", "down", "down")


async def learn_cause(app: TroubleshooterApp, pilot: Any) -> None:
    await at_symptoms(app, pilot)
    await pilot.press("g")
    tree = app.screen.query_one("#graph-tree")
    causes = next(n for n in tree.root.children if str(n.label).startswith("Root causes"))
    causes.expand()
    await pilot.pause()
    tree.move_cursor(causes.children[2])


async def help_screen(app: TroubleshooterApp, pilot: Any) -> None:
    await at_symptoms(app, pilot)
    await pilot.press("question_mark")


async def train_check(app: TroubleshooterApp, pilot: Any) -> None:
    await at_drill(app, pilot)
    await pilot.press("down", "down", "enter")


async def train_debrief(app: TroubleshooterApp, pilot: Any) -> None:
    await train_check(app, pilot)
    await pilot.press("down", "down", "down", "down", "down", "enter")   # a detour: the socket length
    await name_causes(app, pilot, "not attached")


TRAIN = "train:"   # a scenario given as train:NAME is shot in training mode
FLEET = "fleet:"   # fleet:N is the fleet screen over a generated organization of N targets
SECRET_DSN = "twenty-crm-secret-dsn"


def plan(scenarios: list[str]) -> list[tuple[str, str | None, tuple[int, int], Drive]]:
    """(file stem, scenario or None for the picker, size, how to get there)."""
    shots: list[tuple[str, str | None, tuple[int, int], Drive]] = [
        ("00-scenarios-120x36", None, BIG, at_scenarios),
        ("00-scenarios-80x24", None, SMALL, at_scenarios),
    ]
    for name in scenarios:
        shots += [(f"{name}-1-symptoms", name, BIG, at_symptoms),
                  (f"{name}-2-walk", name, BIG, first_failed_check),
                  (f"{name}-3-causes", name, BIG, at_causes)]
    if FIXABLE in scenarios:
        shots += [(f"{FIXABLE}-2-walk-80x24", FIXABLE, SMALL, first_failed_check),
                  (f"{FIXABLE}-3-causes-80x24", FIXABLE, SMALL, at_causes),
                  (f"{FIXABLE}-4-confirm", FIXABLE, BIG, confirm),
                  (f"{FIXABLE}-4-confirm-80x24", FIXABLE, SMALL, confirm),
                  (f"{FIXABLE}-5-fixed", FIXABLE, BIG, fixed),
                  (f"{FIXABLE}-6-resolved", FIXABLE, BIG, fixed_causes),
                  ("learn-120x36", FIXABLE, BIG, learn),
                  ("learn-cause-120x36", FIXABLE, BIG, learn_cause),
                  ("help-120x36", FIXABLE, BIG, help_screen),
                  ("train-1-check-120x36", TRAIN + FIXABLE, BIG, train_check),
                  ("train-2-debrief-120x36", TRAIN + FIXABLE, BIG, train_debrief),
                  ("compare-120x36", FIXABLE, BIG, at_comparison)]
    if SECRET_DSN in scenarios:
        shots += [(f"{SECRET_DSN}-consent-120x36", SECRET_DSN, BIG, at_secrets_consent)]
    shots += [("fleet-120x36", FLEET + "12", BIG, at_fleet)]
    return shots


async def shoot(scenario: str | None, size: tuple[int, int], drive: Drive) -> str:
    if scenario and scenario.startswith(TRAIN):
        app = TroubleshooterApp(Launch(train=True, scenario=scenario.removeprefix(TRAIN)))
    elif scenario and scenario.startswith(FLEET):
        import json

        from troubleshooter.scenarios.fleet import ORGANIZATION, fleet_world

        data, _ = fleet_world(int(scenario.removeprefix(FLEET)))
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
            json.dump(data, fh)
        app = TroubleshooterApp(Launch(world=fh.name, scan=True, organization=ORGANIZATION))
    else:
        app = TroubleshooterApp(Launch(demo=True, scenario=scenario))
    async with app.run_test(size=size) as pilot:
        await drive(app, pilot)
        await settle(app, pilot)
        app.clear_notifications()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        return app.export_screenshot(title="troubleshooter")


# --------------------------------------------------------------------------- SVG -> PNG


def _monospace(svg: str) -> str:
    """Textual's SVG asks for Fira Code; point it at a monospace font that is installed."""
    return re.sub(r'"?Fira Code"?(, monospace)?', '"DejaVu Sans Mono", "Liberation Mono", monospace', svg)


def _cairosvg(svg: str, png: Path) -> None:
    import cairosvg

    cairosvg.svg2png(bytestring=svg.encode("utf-8"), write_to=str(png))


def _rsvg(svg: str, png: Path) -> None:
    exe = shutil.which("rsvg-convert")
    if exe is None:
        raise FileNotFoundError("rsvg-convert")
    subprocess.run([exe, "-o", str(png)], input=svg.encode("utf-8"), check=True)


def _chromium(svg: str, png: Path) -> None:
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if exe is None:
        raise FileNotFoundError("chromium")
    m = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    width, height = (int(float(m.group(1))), int(float(m.group(2)))) if m else (1500, 900)
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False, encoding="utf-8") as fh:
        fh.write(svg)
    subprocess.run([exe, "--headless", "--disable-gpu", "--no-sandbox", f"--screenshot={png}",
                    f"--window-size={width},{height}", f"file://{fh.name}"], check=True, capture_output=True)


def shrink(png: Path) -> None:
    """A terminal has few colours: a palette PNG is a third of the size (needs Pillow; skipped without)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                                              dither=Image.Dither.NONE)
    small.save(png, optimize=True)


CONVERTERS: list[tuple[str, Callable[[str, Path], None]]] = [
    ("cairosvg", _cairosvg), ("rsvg-convert", _rsvg), ("chromium", _chromium)]


def converter() -> tuple[str, Callable[[str, Path], None]] | None:
    """The first SVG->PNG converter that works here (tried on a tiny SVG)."""
    probe = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in CONVERTERS:
            try:
                fn(probe, Path(tmp) / "probe.png")
                return name, fn
            except Exception:
                continue
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "screenshots")
    parser.add_argument("--scenario", action="append", help="Only these scenarios (default: all).")
    parser.add_argument("--only", help="Only the shots whose file name starts with this.")
    args = parser.parse_args(argv)
    scenarios = args.scenario or scenario_names()
    args.out.mkdir(parents=True, exist_ok=True)
    found = converter()
    if found is None:
        print("no SVG->PNG converter: pip install cairosvg, or apt-get install librsvg2-bin or chromium; "
              "writing SVGs only", file=sys.stderr)
    else:
        print(f"PNG via {found[0]}")
    for stem, scenario, size, drive in plan(scenarios):
        if args.only and not stem.startswith(args.only):
            continue
        svg = asyncio.run(shoot(scenario, size, drive))
        (args.out / f"{stem}.svg").write_text(svg, encoding="utf-8")
        if found is not None:
            found[1](_monospace(svg), args.out / f"{stem}.png")
            shrink(args.out / f"{stem}.png")
        print(f"  {stem}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
