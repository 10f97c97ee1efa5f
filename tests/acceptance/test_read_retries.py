"""Reads retried on 500 and 503 a bounded number of times with backoff (issue 15): one 500 on the
service read no longer ends the run with exit 3; a write is never retried on them."""

from __future__ import annotations

import time

import pytest
from cases import run_world, scenario_data

from troubleshooter.engine.tree import load_graph

GRAPH = load_graph()


@pytest.mark.parametrize("code", [500, 503])
def test_one_transient_error_on_the_service_read_is_retried(code: int) -> None:
    w = scenario_data("telepay-missing-attachment")
    w["faults"] = [{"api": "run", "method": "GetService", "code": code, "times": 1}]
    run = run_world(w, GRAPH)
    reads = run.called("run", "GetService")
    assert len(reads) >= 2 and reads[0].status != "OK" and reads[-1].status == "OK"
    assert run.diagnosis.cause_ids == ["cloudsql-not-attached"]


def test_a_persistent_500_is_given_up_after_a_few_retries() -> None:
    w = scenario_data("telepay-missing-attachment")
    w["faults"] = [{"api": "run", "method": "GetRevision", "code": 500}]
    started = time.monotonic()
    run = run_world(w, GRAPH)
    assert len(run.called("run", "GetRevision")) <= 4  # the first try and three retries
    assert time.monotonic() - started < 15


def test_writes_are_not_retried_on_500() -> None:
    from troubleshooter.gateway import _WRITE_PREFIXES, Gateway

    assert "UpdateService".startswith(_WRITE_PREFIXES) and "Patch".startswith(_WRITE_PREFIXES)
    assert not "GetService".startswith(_WRITE_PREFIXES)
    retry = Gateway()._retry("UpdateService")
    from google.api_core import exceptions as gexc

    assert not retry._predicate(gexc.InternalServerError("x"))
    assert Gateway()._retry("GetService")._predicate(gexc.InternalServerError("x"))
