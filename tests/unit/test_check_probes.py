"""Each check's declared probes are the ones whose facts it reads (the live walk waits on them).

The read model notes, for every read, the probe that wrote the fact (`Facts.reads`). Every check
is run on every observation set of tests/unit/test_checks.py (each check's ok / failed / uncertain
worlds, so also the others'), and on what the real probes gathered from a few sandbox worlds: it
may read only what it declares, and everything it declares must be read somewhere.
"""

from __future__ import annotations

from functools import cache

import pytest
from test_checks import CASES, NUMBER, I, P, R, denied, make_obs, run_cfg

from troubleshooter.checks import ALL
from troubleshooter.checks.routing import ROUTE_CHECKS
from troubleshooter.engine.tree import load_graph
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.read import Facts
from troubleshooter.failures import ApiFailure
from troubleshooter.observations import Observations
from troubleshooter.probes import REGISTRY as PROBES


def _worlds() -> list[Observations]:
    worlds = [make() for by_outcome in CASES.values() for make in by_outcome.values()]
    # Paths the per-check cases do not take: the project's number is unknown or matters.
    worlds += [
        make_obs(run_cfg(sa="", default_sa=True), failures={
            FactKey.project(P): denied("cloudresourcemanager", "GetProject", P,
                                       "resourcemanager.projects.get")}),
        make_obs(run_cfg(attached=(f"{NUMBER}:{R}:{I}",), env=[])),
        make_obs(services={}, failures={FactKey.instance(P, I): ApiFailure(
            "api-disabled", api="sqladmin", method="Get", resource=f"{P}:{I}",
            service="sqladmin.googleapis.com",
            message=f"Cloud SQL Admin API has not been used in project {NUMBER} before.")}),
    ]
    return worlds


@cache
def _reads() -> dict[str, set[str]]:
    """check id -> the probes whose facts it read, over every world."""
    out: dict[str, set[str]] = {}
    for obs in _worlds():
        for check in ALL:
            facts = Facts(obs)
            check.judge(facts)
            out.setdefault(check.id, set()).update(facts.reads)
        for route in ROUTE_CHECKS.values():
            facts = Facts(obs)
            route.judge(facts, [])
            out.setdefault(route.id, set()).update(facts.reads)
    return out


CHECKS = {c.id: c for c in (*ALL, *ROUTE_CHECKS.values())}


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_a_check_reads_only_the_probes_it_declares(check_id: str) -> None:
    undeclared = _reads()[check_id] - set(CHECKS[check_id].probes)
    assert not undeclared, f"{check_id} reads {sorted(undeclared)} but does not declare it"


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_a_check_declares_no_probe_it_never_reads(check_id: str) -> None:
    unread = set(CHECKS[check_id].probes) - _reads()[check_id]
    assert not unread, f"{check_id} declares {sorted(unread)} but never reads it"


def test_declared_probes_exist_and_check_nodes_wait_for_them() -> None:
    graph = load_graph()
    for node in graph.of_kind("check"):
        check = CHECKS[node.spec.check or ""]
        assert node.probes == check.probes
        assert set(node.probes) <= set(PROBES)
