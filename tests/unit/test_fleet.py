"""The scan's pure parts: the one logs query of a region and its split per target, probe order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from troubleshooter.engine.fleet import VERDICTS, entries_of, region_log_filter
from troubleshooter.model import Target
from troubleshooter.probes import ALL_PROBES, REGISTRY
from troubleshooter.runner import run_probes
from troubleshooter.sandbox.logfilter import compile_filter

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)


def _entry(kind: str, name: str, ago: timedelta, region: str = "europe-west1") -> dict:
    rtype, label = ("cloud_run_job", "job_name") if kind == "job" else ("cloud_run_revision", "service_name")
    stamp = (NOW - ago).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"resource": {"type": rtype, "labels": {label: name, "location": region}}, "timestamp": stamp,
            "textPayload": f"{name} {ago}"}


def test_one_query_covers_every_kind_over_its_own_window() -> None:
    matches = compile_filter(region_log_filter("europe-west1", {"service", "job"}, NOW))
    assert matches(_entry("service", "a", timedelta(minutes=59)))
    assert not matches(_entry("service", "a", timedelta(minutes=61)))      # a service's hour
    assert matches(_entry("job", "j", timedelta(hours=23)))                 # a job's day
    assert not matches(_entry("job", "j", timedelta(hours=25)))
    assert not matches(_entry("service", "a", timedelta(minutes=1), region="us-central1"))


def test_the_split_keeps_each_targets_own_entries_newest_first_and_caps_them() -> None:
    entries = [_entry("service", "a", timedelta(seconds=i)) for i in range(600)]
    entries += [_entry("service", "b", timedelta(minutes=5)), _entry("job", "a", timedelta(hours=2))]
    mine = entries_of(Target("p", "europe-west1", service="a"), entries, NOW)
    assert len(mine) == 500 and mine[0] is entries[0]                      # what one diagnose reads
    assert [e["textPayload"] for e in entries_of(Target("p", "europe-west1", job="a"), entries, NOW)] == \
        ["a 2:00:00"]
    assert entries_of(Target("p", "europe-west1", service="c"), entries, NOW) == []


def test_sequential_probes_must_come_after_those_they_need() -> None:
    ids = [p.id for p in ALL_PROBES]
    assert all(ids.index(n) < ids.index(p.id) for p in ALL_PROBES for n in p.needs)
    with pytest.raises(ValueError, match="runs before run-config"):
        run_probes(Target("p", "r", service="s"), None, [REGISTRY["serving-revision"]], sequential=True)  # type: ignore[arg-type]


def test_verdicts_worst_first() -> None:
    assert VERDICTS == ("root-causes", "unexplained", "inconclusive", "healthy")
