"""The seed scenarios, fixed one cause after another with `fix --yes`, end with no automatic cause left."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from troubleshooter.cli import cli
from troubleshooter.engine.tree import load_graph
from troubleshooter.scenarios import list_scenarios

GRAPH = load_graph()
# What an operator types when a fix needs a choice only they can make.
OPERATOR_INPUT = {"private-ip-no-egress": {"private-ip-without-vpc-egress": ["--subnet=prod-euw3"]}}
BROKEN = [s for s in list_scenarios() if (yaml.safe_load(s.path.read_text(encoding="utf-8")).get("expect") or {})
          .get("rootCauses")]
# Scenarios whose expectation needs the Secret Manager values: the operator gives consent.
CONSENT = {s.name: ["--read-secrets"] for s in BROKEN
           if (yaml.safe_load(s.path.read_text(encoding="utf-8")).get("expect") or {}).get("readSecrets")}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), standalone_mode=False)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout + result.stderr


def causes(world: str, *flags: str) -> list[str]:
    code, out = run("diagnose", "--world", world, "--format", "json", *flags)
    found = [c["id"] for c in json.loads(out[: out.rindex("}") + 1])["rootCauses"]]
    # No cause left: 0 (healthy) or 4 (unexplained: the window still holds the errors logged
    # before the fix, which a saved world keeps; cli.md second edition).
    assert code == 1 if found else code in (0, 4)
    return found


def automatic(cause: str) -> bool:
    fix = GRAPH.cause_node(cause).spec.fix
    return bool(fix and fix.automatic)


@pytest.mark.parametrize("scenario", [s.name for s in BROKEN])
def test_fix_yes_one_cause_after_another_ends_healthy(scenario: str, tmp_path: Path) -> None:
    world = scenario
    consent = CONSENT.get(scenario, [])
    left = causes(world, *consent)
    fixed: list[str] = []
    for step in range(6):
        todo = [c for c in left if automatic(c) and c not in fixed]
        if not todo:
            break
        cause = todo[0]
        extra = OPERATOR_INPUT.get(scenario, {}).get(cause, [])
        if extra:
            # Without the operator's choice the plan is steps to follow, not a guess.
            code, out = run("fix", cause, "--world", world, "--yes")
            assert code == 1 and "Steps:" in out and "--subnet=SUBNET_NAME" in out
        after = str(tmp_path / f"step{step}.yaml")
        code, out = run("fix", cause, "--world", world, "--yes", "--save-world", after, *extra)
        assert code == 0, out
        verified = re.search(rf"Verified: {cause} is gone; root causes left: (.*)\.", out)
        assert verified, out
        left = [] if verified.group(1) == "none" else verified.group(1).split(", ")
        fixed.append(cause)
        world = after
    assert causes(world, *consent) == left, "the verification saw what a fresh diagnosis sees"
    assert not [c for c in left if automatic(c)], left
    for cause in left:
        code, out = run("fix", cause, "--world", world, "--yes", *consent)
        assert code == 1 and "Steps:" in out and "No automatic fix" in out
    if not left:
        assert fixed or scenario == "saleor-job-open-network"
