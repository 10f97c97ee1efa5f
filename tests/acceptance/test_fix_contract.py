"""One command per cause: what `diagnose` shows is what `fix --dry-run` plans, and no output
anywhere keeps an unfilled {placeholder}. Over every built-in scenario and every test world,
each served by a real Sandbox and diagnosed through the real Gateway."""

from __future__ import annotations

import copy
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import fixes_worlds as fw
import pytest
from cases import CASES, Case, loopback_only, target_of
from click.testing import CliRunner
from rich.console import Console

from troubleshooter.cli import cli
from troubleshooter.cli.fix import render_plan
from troubleshooter.diagnosis import Diagnosis
from troubleshooter.engine.run import diagnose
from troubleshooter.engine.tree import load_graph
from troubleshooter.fixes.base import FixPlan
from troubleshooter.fixes.plans import plan_fix
from troubleshooter.gateway import Gateway
from troubleshooter.render import render_text
from troubleshooter.report import build_report
from troubleshooter.sandbox import Sandbox
from troubleshooter.scenarios import scenario_path
from troubleshooter.session import Session
from troubleshooter.world import World, load_world, world_from_data

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
SCENARIOS = sorted(p.stem for p in Path(scenario_path("healthy-baseline")).parent.glob("*.yaml"))
_FW_CAUSES = (fw.api_disabled, fw.not_attached, fw.malformed_env, fw.malformed_attachment,
              fw.missing_role, fw.stopped, fw.private_only, fw.all_traffic)


@dataclass(frozen=True)
class Outcome:
    """One world's diagnosis, each reported item's plan, and every text a front end shows."""

    diagnosis: Diagnosis
    plans: dict[str, FixPlan]
    texts: dict[str, str]


def _worlds() -> dict[str, tuple[Callable[[], World], Case | None]]:
    out: dict[str, tuple[Callable[[], World], Case | None]] = {}
    for name in SCENARIOS:
        out[f"scenario:{name}"] = (lambda n=name: load_world(str(scenario_path(n))), None)
    for case in CASES:
        out[f"case:{case.id}"] = (lambda c=case: world_from_data(copy.deepcopy(c.world()), c.id), case)
    for kind in ("service", "job"):
        for change in _FW_CAUSES:
            out[f"fix:{kind}:{change.__name__}"] = (
                lambda k=kind, f=change: world_from_data(fw.variant(k, f), f"fix-{k}"), None)
    return out


WORLDS = _worlds()


def _outcome(build: Callable[[], World], case: Case | None) -> Outcome:
    world = build()
    graph = load_graph()
    with Sandbox(world) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        try:
            target = target_of(world)
            d = diagnose(target, gateway, graph, symptom=case.symptom if case else None,
                         answers=case.answers if case else None)
            plans = {r.id: plan_fix(d, r.id, gateway) for r in d.causes + d.findings}
        finally:
            gateway.close()
    console = Console(record=True, width=200, color_system=None)
    render_text(d, console)
    session = Session(target=d.target, graph=graph)
    session.add_diagnosis(d)
    texts = {"text": console.export_text(), "json": json.dumps(d.to_json()),
             "markdown": build_report(session)}
    texts.update({f"plan:{cause}": render_plan(plan) for cause, plan in plans.items()})
    return Outcome(d, plans, texts)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    """Every world diagnosed and planned once; a few at a time, as each mostly waits on loopback."""
    with loopback_only(), ThreadPoolExecutor(4) as pool:
        futures = {key: pool.submit(_outcome, build, case) for key, (build, case) in WORLDS.items()}
        return {key: f.result() for key, f in futures.items()}


@pytest.mark.parametrize("key", list(WORLDS))
def test_diagnose_shows_the_command_fix_plans(outcomes: dict[str, Outcome], key: str) -> None:
    o = outcomes[key]
    for item in o.diagnosis.causes:
        plan = o.plans[item.id]
        assert item.commands == plan.commands, f"{key} {item.id}"
        if item.automatic:
            assert plan.automatic and plan.commands, f"{key} {item.id}"


@pytest.mark.parametrize("key", list(WORLDS))
def test_no_output_keeps_a_placeholder(outcomes: dict[str, Outcome], key: str) -> None:
    for what, text in outcomes[key].texts.items():
        found = PLACEHOLDER.findall(text)
        assert not found, f"{key} {what}: {found}"


def test_the_worlds_cover_every_automatic_fix(outcomes: dict[str, Outcome]) -> None:
    graph = load_graph()
    automatic = {n.short for n in graph.nodes.values()
                 if n.kind == "cause" and n.spec.fix is not None and n.spec.fix.automatic}
    planned = {c.id for o in outcomes.values() for c in o.diagnosis.causes if c.fix is not None}
    assert automatic <= planned


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), standalone_mode=False)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.stdout


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_cli_diagnose_and_fix_dry_run_agree(name: str) -> None:
    """The same, through the commands a person types: `diagnose --format json`, `fix --dry-run`."""
    with loopback_only():
        report = json.loads(_cli("diagnose", "--world", name, "--format", "json"))
        for cause in report["rootCauses"]:
            if not cause["fix"]["automatic"]:
                continue
            out = _cli("fix", cause["id"], "--world", name, "--dry-run")
            shown = [line.strip() for line in out.split("(what a person would run):", 1)[1].splitlines()[1:]]
            assert cause["fix"]["commands"] == shown[:len(cause["fix"]["commands"])], out
