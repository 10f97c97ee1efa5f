"""Training: stories that never name their cause, resolutions that quote their write-ups, the
drill built from a real engine run on the sandbox, the debrief, and progress kept on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from cases import loopback_only

from troubleshooter.engine.tree import load_graph
from troubleshooter.scenarios import list_scenarios
from troubleshooter.training import Attempt, Progress, debrief, prepare
from troubleshooter.world import load_world

SCENARIOS = {info.name: load_world(info.path) for info in list_scenarios()}
SEEDS = Path("/work/shared/seeds")


@pytest.fixture(scope="module")
def graph():
    return load_graph()


@pytest.fixture(scope="module")
def telepay(graph):
    with loopback_only():
        return prepare("telepay-missing-attachment", graph)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_story_names_its_cause(name, graph):
    world = SCENARIOS[name]
    story = f"{world.title}\n{world.description}".lower()
    expected = world.expect.root_causes if world.expect else []
    for cause in expected:
        assert cause not in story, (name, cause)
        title = graph.cause_node(cause).title.lower()
        assert title not in story, (name, title)
    assert "should find" not in story and "should report" not in story


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_has_a_resolution_naming_its_causes(name):
    world = SCENARIOS[name]
    assert world.resolution is not None and world.resolution.text.strip()
    for cause in world.expect.root_causes:
        assert cause in world.resolution.text, (name, cause)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_costs_quote_their_write_up_verbatim(name):
    """Each figure says where it comes from: the seed file holds the quoted line as is."""
    world = SCENARIOS[name]
    for cost in world.resolution.cost:
        assert cost.figure and cost.source.startswith("incident-") and cost.quote
        path = SEEDS / cost.source
        if not SEEDS.is_dir():
            pytest.skip("the seed write-ups are not on this machine")
        assert cost.quote in path.read_text(encoding="utf-8"), (name, cost.quote)


def test_drill_reveals_the_engine_run_and_costs_calls(telepay):
    assert telepay.symptoms == ("socket-not-found",)
    assert telepay.holds == ("cloudsql-not-attached",)
    assert telepay.log_lines and all("No such file" in line or "not reachable" in line for line in telepay.log_lines)
    assert "check:attachment" in telepay.path
    assert telepay.path[-1] == "check:attachment"  # the graph stops counting at its last cause
    attachment = telepay.check("check:attachment")
    assert attachment.outcome == "failed" and attachment.calls > 0
    assert all(c.calls > 0 for c in telepay.checks), [c.node for c in telepay.checks if not c.calls]
    assert "cloudsql-not-attached" in {cid for cid, _ in telepay.catalog}
    assert "cloudsql-not-attached" not in telepay.story
    assert "cloudsql-not-attached" in telepay.resolution


def test_debrief_right_and_wrong(telepay):
    right = debrief(telepay, Attempt(ran=["check:attachment", "check:open-networks"],
                                     named=["cloudsql-not-attached"]))
    assert right.solved and right.right == ("cloudsql-not-attached",)
    assert [n for n, _ in right.extra] == ["check:open-networks"]
    assert right.calls_wasted == telepay.check("check:open-networks").calls
    assert "check:api-enabled" in right.skipped
    wrong = debrief(telepay, Attempt(ran=["check:client-role"], named=["missing-cloudsql-client-role"]))
    assert not wrong.solved
    assert wrong.wrong == ("missing-cloudsql-client-role",) and wrong.missed == ("cloudsql-not-attached",)


def test_progress_counts_tries_solved_and_first_try(tmp_path):
    progress = Progress(tmp_path)
    assert progress.summary() == "0 tried · 0 solved · no first try yet"
    progress.record("a", solved=False)
    progress.record("a", solved=True)
    progress.record("b", solved=True)
    again = Progress(tmp_path)
    assert again.records["a"].tries == 2 and again.records["a"].solved and again.records["a"].first_try is False
    assert again.tried == 2 and again.solved == 2 and again.first_try_accuracy == 0.5
    assert (tmp_path / "training.json").is_file()


def test_progress_defaults_to_the_platform_data_dir(monkeypatch, tmp_path):
    from troubleshooter import training

    monkeypatch.delenv(training.DATA_DIR_ENV, raising=False)
    assert "troubleshooter" in str(training.data_dir())
    monkeypatch.setenv(training.DATA_DIR_ENV, str(tmp_path))
    assert training.data_dir() == tmp_path
