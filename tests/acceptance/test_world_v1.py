"""A v1 (Knative) service, as `gcloud run services describe --format=export` prints it, is
converted to v2 by the loader, which says so; the diagnosis over it matches the v2 world's."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from cases import CASE_BY_ID, base, loopback_only, run_world
from troubleshooter.engine.tree import load_graph
from troubleshooter.errors import BadInput
from troubleshooter.world import world_from_data

EXPORT = Path(__file__).parents[1] / "data" / "knative" / "orders-api.export.yaml"


@pytest.fixture(scope="module", autouse=True)
def _loopback() -> Iterator[None]:
    with loopback_only():
        yield


def _v1_world() -> dict[str, Any]:
    w = base()
    w["name"] = "v1-export"
    w["services"] = [yaml.safe_load(EXPORT.read_text(encoding="utf-8"))]
    return w


def test_the_v1_export_becomes_the_v2_service_and_the_loader_says_so() -> None:
    world = world_from_data(_v1_world(), "<v1>")
    [svc] = world.services
    assert svc["name"] == "projects/503183562094/locations/europe-west1/services/orders-api"
    t = svc["template"]
    assert t["volumes"] == [{"name": "cloudsql", "cloudSqlInstance": {"instances": ["acme-orders-prod:europe-west1:orders-db"]}}]
    assert {"name": "cloudsql", "mountPath": "/cloudsql"} in t["containers"][0]["volumeMounts"]
    assert t["scaling"] == {"maxInstanceCount": 10, "minInstanceCount": 1}
    assert t["serviceAccount"].startswith("orders-api@") and t["maxInstanceRequestConcurrency"] == 40
    assert t["executionEnvironment"] == "EXECUTION_ENVIRONMENT_GEN2"
    assert {"name": "DB_PASS", "valueSource": {"secretKeyRef": {"secret": "orders-db-password", "version": "3"}}} \
        in t["containers"][0]["env"]
    assert "annotations" not in t or not any(k.startswith("run.googleapis.com/") for k in t["annotations"])
    assert svc["terminalCondition"]["state"] == "CONDITION_SUCCEEDED"
    assert svc["latestReadyRevision"].endswith("/revisions/orders-api-00042-j8v")
    assert any("v1 (Knative)" in n and "converted" in n for n in world.notes)
    assert "notes" not in world.to_dict()


def test_the_v1_world_diagnoses_like_the_v2_one() -> None:
    graph = load_graph()
    v1 = run_world(_v1_world(), graph).diagnosis
    assert v1.cause_ids == [] and v1.status == run_world(base(), graph).diagnosis.status


def test_a_v1_world_with_the_attachment_missing_finds_the_cause() -> None:
    w = _v1_world()
    del w["services"][0]["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/cloudsql-instances"]
    d = run_world(w, load_graph()).diagnosis
    assert d.cause_ids == list(CASE_BY_ID["cloudsql-not-attached"].causes)


def test_a_v1_resource_that_cannot_be_converted_is_named_as_v1() -> None:
    w = base()
    w["jobs"] = [{"apiVersion": "run.googleapis.com/v1", "kind": "Job", "metadata": {"name": "migrate"}}]
    with pytest.raises(BadInput) as info:
        world_from_data(w, "<v1-job>")
    assert "v1 (Knative) shape" in str(info.value)
