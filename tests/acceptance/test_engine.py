"""The engine without a front end: a live run whose probes finish one by one, the symptom choice,
answers, conclusions; the batch run; the one write path and its read-only gate."""

from __future__ import annotations

import fixes_worlds as fw
import pytest

from troubleshooter.engine.run import DiagnosisRun
from troubleshooter.engine.tree import load_graph
from troubleshooter.engine.troubleshooting import Troubleshooting
from troubleshooter.engine.workspace import Workspace
from troubleshooter.runner import ProbeEvent
from troubleshooter.world import world_from_data


@pytest.fixture(scope="module")
def graph():
    return load_graph()


def live(name: str, graph, answers: dict[str, str] | None = None):
    """A live run, probed to the end, whose events have not been handed to the engine yet."""
    with Workspace.open(name, graph=graph) as workspace:
        engine = Troubleshooting.begin(workspace, workspace.world_target, answers=answers)
        run = engine.start_run()
        events: list[ProbeEvent] = []
        run.execute(workspace.gateway, events.append)
    return engine, run, [e for e in events if e.result is not None]


def test_symptom_first_then_probes_conclude_once(graph):
    engine, run, finished = live("telepay-missing-attachment", graph)
    assert engine.choose(["socket-not-found"]) is None          # nothing finished yet: all pending
    checks = [s for s in engine.walk.steps if s.node.kind == "check" and s.node.probes]
    assert checks and all(s.pending for s in checks)
    concluded = [d for d in (engine.probe_event(run, e) for e in finished) if d is not None]
    assert len(concluded) == 1                                  # exactly one Diagnosis, at the last probe
    assert engine.session.diagnoses == concluded                # and the session keeps it
    assert engine.session.current.cause_ids == ["cloudsql-not-attached"]
    assert engine.suggested == (["socket-not-found"], "logs")
    assert engine.symptom_source == "operator"                  # chosen before the logs said anything


def test_answers_and_symptom_changes_refine_the_same_diagnosis(graph):
    engine, run, finished = live("survey-bot-missing-role", graph)
    for event in finished:
        engine.probe_event(run, event)
    assert engine.suggested is not None
    diagnosis = engine.choose(engine.suggested[0])
    assert diagnosis is not None and engine.symptom_source == "logs"
    assert engine.answer("app-connection", "unix-socket") is None
    assert len(engine.session.diagnoses) == 1
    assert engine.session.current.obs.answers == {"app-connection": "unix-socket"}
    assert engine.walk.step("question:app-connection").outcome == "unix-socket"
    engine.choose(["unknown"])
    assert engine.session.current.symptoms == ["unknown"] and len(engine.session.diagnoses) == 1
    assert [e.kind for e in engine.session.timeline][-2:] == ["answer", "symptom"]


def test_a_stale_run_is_ignored(graph):
    engine, old_run, finished = live("private-ip-no-egress", graph)
    engine.start_run()                                          # a re-run replaces it
    assert engine.probe_event(old_run, finished[0]) is None
    assert not engine.is_current(old_run)
    assert engine.run is not old_run and not engine.run.results


def test_the_live_run_concludes_as_the_batch_run_does(graph):
    """The TUI's incremental walk and `diagnose` are one engine: the same causes, path and probes."""
    engine, run, finished = live("saleor-job-open-network", graph)
    for event in finished:
        engine.probe_event(run, event)
    engine.choose(engine.suggested[0])
    live_diagnosis = engine.session.current
    with Workspace.open("saleor-job-open-network", graph=graph) as workspace:
        batch = Troubleshooting.begin(workspace, workspace.world_target).diagnose()
    assert live_diagnosis.cause_ids == batch.cause_ids
    assert live_diagnosis.finding_ids == batch.finding_ids
    assert live_diagnosis.walk.path == batch.walk.path
    assert set(live_diagnosis.probes) == set(batch.probes)


def test_a_run_rebuilt_from_a_diagnosis_is_done(graph):
    with Workspace.open("telepay-missing-attachment", graph=graph) as workspace:
        diagnosis = Troubleshooting.begin(workspace, workspace.world_target).diagnose()
    rebuilt = DiagnosisRun.of(diagnosis)
    assert rebuilt.done and rebuilt.conclude(diagnosis.symptoms, "logs").cause_ids == diagnosis.cause_ids


def test_read_only_is_refused_at_the_one_write_path_before_any_write(graph):
    world = world_from_data(fw.variant("service", fw.missing_role))
    with Workspace.serving(world, graph) as workspace:
        engine = Troubleshooting.begin(workspace, workspace.world_target, read_only=True)
        engine.diagnose()
        plan = engine.plan("missing-cloudsql-client-role")
        assert plan.automatic                                   # planning reads, and is allowed
        applied = engine.apply("missing-cloudsql-client-role", plan=plan, confirm=lambda _p: True)
        writes = [c for c in workspace.sandbox.calls if c.method in ("SetIamPolicy", "UpdateService", "Update")]
    assert applied.outcome == "refused" and "read-only" in (applied.error or "")
    assert writes == []
    assert engine.session.timeline[-1].kind == "fix"


def test_the_workspace_serves_a_scenario_by_name_and_closes_it(graph):
    workspace = Workspace.open("healthy-baseline", graph=graph)
    try:
        assert workspace.sandboxed and workspace.world_target is not None
        assert workspace.target().name == workspace.world_target.name  # the world fills in the flags
        assert workspace.gateway.list_services(workspace.world_target.project, workspace.world_target.region)
    finally:
        workspace.close()
    assert workspace.sandbox is not None
    with pytest.raises(RuntimeError, match="not running"):
        workspace.sandbox.endpoints  # stopped with the workspace
