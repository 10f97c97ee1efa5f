"""RunState without Textual: probes finishing one by one, the symptom choice, answers, conclusions."""

from __future__ import annotations

import os

import pytest

from troubleshooter.graph import load_graph
from troubleshooter.probes import ALL_PROBES
from troubleshooter.runner import run_probes
from troubleshooter.scenarios import scenario_path
from troubleshooter.session import Session
from troubleshooter.tui.backend import open_backend
from troubleshooter.tui.state import RunState


@pytest.fixture(scope="module")
def graph():
    return load_graph()


def run(name: str, graph, answers: dict[str, str] | None = None):
    backend = open_backend(scenario_path(name), os.environ)
    try:
        target = backend.world_target
        state = RunState(Session(target=target, graph=graph))
        state.session.answers.update(answers or {})
        probe_run = state.start_probes()
        finished = []

        def listener(event):
            if event.result is not None:
                finished.append(event.result)

        run_probes(target, backend.gateway, ALL_PROBES, signatures=graph.signatures(), listener=listener,
                   obs=probe_run.obs)
        return state, probe_run, finished
    finally:
        backend.close()


def test_symptom_first_then_probes_conclude_once(graph):
    state, probe_run, finished = run("telepay-missing-attachment", graph)
    assert state.choose(["socket-not-found"]) is None          # nothing finished yet: all pending
    assert all(s.pending for s in state.walk.steps if s.node.kind == "check" and s.node.probes)
    concluded = [d for d in (state.probe_finished(probe_run, r) for r in finished) if d is not None]
    assert len(concluded) == 1                                 # exactly one Diagnosis, at the last probe
    state.add(concluded[0])
    assert state.session.current.cause_ids == ["cloudsql-not-attached"]
    assert state.suggested == (["socket-not-found"], "logs")
    assert state.symptom_source == "operator"                  # chosen before the logs said anything


def test_answers_and_symptom_changes_refine_the_same_diagnosis(graph):
    state, probe_run, finished = run("survey-bot-missing-role", graph)
    for result in finished:
        state.probe_finished(probe_run, result)
    assert state.suggested is not None
    diagnosis = state.choose(state.suggested[0])
    assert diagnosis is not None and state.symptom_source == "logs"
    state.add(diagnosis)
    assert state.answer("app-connection", "unix-socket") is None
    assert len(state.session.diagnoses) == 1
    assert state.session.current.obs.answers == {"app-connection": "unix-socket"}
    assert state.walk.step("question:app-connection").outcome == "unix-socket"
    state.choose(["unknown"])
    assert state.session.current.symptoms == ["unknown"] and len(state.session.diagnoses) == 1
    assert [e.kind for e in state.session.timeline][-2:] == ["answer", "symptom"]


def test_a_stale_run_is_ignored(graph):
    state, old_run, finished = run("private-ip-no-egress", graph)
    state.start_probes()                                        # a re-run replaces it
    assert state.probe_finished(old_run, finished[0]) is None
    assert not state.probe_started(old_run, "logs")
    assert state.probe_run is not old_run and not state.probe_run.results
