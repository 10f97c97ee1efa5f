"""`compare`: a broken target beside its working sibling, read through the real clients on the
sandbox. The difference that is the root cause comes first with its why; the JSON matches the
published schema; no secret reaches any format."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any, Callable, Iterator

import jsonschema
import pytest
from click.testing import CliRunner

from cases import (
    CN,
    PASSWORD,
    P,
    R,
    base,
    container,
    loopback_only,
    only_dsn,
    service,
    template,
    vpc_egress,
)
from troubleshooter.cli import cli
from troubleshooter.engine.compare import compare, other_target, siblings, working_sibling
from troubleshooter.engine.run import diagnose
from troubleshooter.engine.tree import load_graph
from troubleshooter.engine.workspace import Workspace
from troubleshooter.errors import BadInput
from troubleshooter.model import Target
from troubleshooter.output import CompareOut, schema_for
from troubleshooter.world import world_from_data

GRAPH = load_graph()
A = Target(P, R, service="orders-api")
B = Target(P, R, service="orders-worker")


@pytest.fixture(scope="module", autouse=True)
def _loopback() -> Iterator[None]:
    with loopback_only():
        yield


def with_sibling(break_it: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """The baseline with `orders-api` broken by `break_it` and a healthy copy, `orders-worker`."""
    w = base()
    healthy = json.loads(json.dumps(service(base())).replace("services/orders-api", "services/orders-worker")
                         .replace("revisions/orders-api-", "revisions/orders-worker-"))
    break_it(w)
    w["services"].append(healthy)
    return w


def compared(w: dict[str, Any], a: Target = A, b: Target = B) -> dict[str, Any]:
    world = world_from_data(copy.deepcopy(w), "<pair>")
    with Workspace.serving(world, GRAPH) as ws:
        return compare(ws.gateway, GRAPH, a, b).to_json()


def _detach(w: dict[str, Any]) -> None:
    t = template(w)
    t.pop("volumes")
    container(w).pop("volumeMounts")


def _localhost(w: dict[str, Any]) -> None:
    only_dsn(w, "postgresql://orders_app@localhost:5432/orders")


def _own_account_without_role(w: dict[str, Any]) -> None:
    template(w)["serviceAccount"] = f"orders-new@{P}.iam.gserviceaccount.com"


def _private_only(w: dict[str, Any]) -> None:
    inst = w["instances"][0]
    inst["ipAddresses"] = [{"type": "PRIVATE", "ipAddress": "10.40.0.3"}]
    ip = inst["settings"]["ipConfiguration"]
    ip["ipv4Enabled"] = False
    ip["privateNetwork"] = f"projects/{P}/global/networks/orders-vpc"


PAIRS = [
    ("detached", _detach, "cloudSqlInstances", "cloudsql-not-attached"),
    ("localhost", _localhost, "env[DATABASE_URL]", "app-uses-localhost-tcp"),
    ("account", _own_account_without_role, "serviceAccount", "missing-cloudsql-client-role"),
]


@pytest.mark.parametrize("name,break_it,first,cause", PAIRS, ids=[p[0] for p in PAIRS])
def test_the_cause_shows_as_a_difference_with_its_why(name: str, break_it: Any, first: str, cause: str) -> None:
    doc = compared(with_sibling(break_it))
    assert doc["verdicts"] == {"a": "root-causes", "b": "healthy"}
    assert cause in doc["rootCauses"]["a"] and doc["rootCauses"]["b"] == []
    fields = [d["field"] for d in doc["differences"]]
    assert first in fields
    assert all(d["why"] for d in doc["differences"])
    assert "instance.state" in doc["same"] and "instance" in doc["same"]


def test_differences_come_in_order_of_relevance() -> None:
    doc = compared(with_sibling(lambda w: (_detach(w), _own_account_without_role(w))))
    fields = [d["field"] for d in doc["differences"]]
    assert fields.index("cloudSqlInstances") < fields.index("serviceAccount") < fields.index("roles")
    roles = next(d for d in doc["differences"] if d["field"] == "roles")
    assert "roles/cloudsql.client" in roles["b"] and "roles/cloudsql.client" not in (roles["a"] or [])


def test_a_condition_on_the_role_is_shown() -> None:
    def conditional(w: dict[str, Any]) -> None:
        _own_account_without_role(w)
        w["projects"][0]["iamPolicy"]["bindings"].append({
            "role": "roles/cloudsql.client", "members": [f"serviceAccount:orders-new@{P}.iam.gserviceaccount.com"],
            "condition": {"title": "until 2020", "expression": 'request.time < timestamp("2020-01-01T00:00:00Z")'}})
        w["projects"][0]["iamPolicy"]["version"] = 3

    doc = compared(with_sibling(conditional))
    roles = next(d for d in doc["differences"] if d["field"] == "roles")
    assert roles["a"] == ["roles/cloudsql.client if until 2020"]


def test_egress_and_instance_settings_are_compared() -> None:
    w = with_sibling(lambda w: vpc_egress(w, "orders-vpc"))
    doc = compared(w)
    egress = next(d for d in doc["differences"] if d["field"] == "vpcAccess")
    assert egress["a"]["network"] == "orders-vpc" and egress["b"] is None
    for f in ("instance.ipTypes", "instance.sslMode", "instance.iamAuthentication", "instance.databaseVersion"):
        assert f in doc["same"]


def test_json_is_valid_against_the_published_schema() -> None:
    doc = compared(with_sibling(_detach))
    jsonschema.validate(doc, schema_for("compare"))
    CompareOut.model_validate(doc)
    assert set(doc) >= {"a", "b", "differences", "same"}
    assert doc["a"] == {"project": P, "region": R, "service": "orders-api"}


def test_telepay_broken_against_its_working_sibling() -> None:
    """The seed's "Configuration Comparison: Working vs Broken", made by the tool."""
    world = world_from_data(_telepay(), "<telepay>")
    with Workspace.serving(world, GRAPH) as ws:
        a = ws.target()
        d = diagnose(a, ws.gateway, GRAPH)
        assert siblings(ws.gateway, a, [r.key for r in d.obs.instance_refs]) == [
            Target("telepay-459221", "us-central1", service="gcbotcommand-10-26")]
        found = working_sibling(ws.gateway, GRAPH, d)
        assert found is not None and found[1].verdict == "healthy"
        doc = compare(ws.gateway, GRAPH, a, found[0]).to_json()
    first = doc["differences"][0]
    assert first["field"] == "cloudSqlInstances"
    assert first["a"] == [] and first["b"] == ["telepay-459221:us-central1:telepaypsql"]
    assert "cloudsql-instances annotation" in first["why"]


def _telepay() -> dict[str, Any]:
    from troubleshooter.scenarios import scenario_path
    from troubleshooter.world import load_world

    return load_world(scenario_path("telepay-missing-attachment")).to_dict()


def test_no_sibling_without_a_shared_instance() -> None:
    w = base()
    world = world_from_data(w, "<alone>")
    with Workspace.serving(world, GRAPH) as ws:
        assert siblings(ws.gateway, A, [f"{P}:orders-db"]) == []
        assert siblings(ws.gateway, A, []) == []


# --------------------------------------------------------------------------- --with


def test_with_takes_names_prefixed_names_and_resource_names() -> None:
    world = world_from_data(with_sibling(lambda w: None), "<pair>")
    with Workspace.serving(world, GRAPH) as ws:
        gw = ws.gateway
        assert other_target(gw, A, "orders-worker") == B
        assert other_target(gw, A, "service:orders-worker") == B
        assert other_target(gw, A, f"projects/{P}/locations/{R}/services/orders-worker") == B
        assert other_target(gw, A, "job:migrate") == Target(P, R, job="migrate")
        for bad in ("orders-api", "nope", "a/b", ""):
            with pytest.raises(BadInput):
                other_target(gw, A, bad)


# --------------------------------------------------------------------------- secrets and the command


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "troubleshooter", *args], capture_output=True, text=True,
                          timeout=120)


def test_no_password_in_any_format(tmp_path: Any) -> None:
    def planted(w: dict[str, Any]) -> None:
        only_dsn(w, f"postgresql://orders_app:{PASSWORD}@10.40.0.3:5432/orders?sslmode=require")

    w = with_sibling(planted)
    only_dsn_sibling = f"postgresql://orders_app:{PASSWORD}@/orders?host=/cloudsql/{CN}"
    w["services"][1]["template"]["containers"][0]["env"].append({"name": "DATABASE_URL", "value": only_dsn_sibling})
    path = tmp_path / "pair.json"
    path.write_text(json.dumps(w), encoding="utf-8")
    outputs = {}
    for fmt in ("text", "json", "markdown"):
        result = CliRunner().invoke(cli, ["compare", "--world", str(path), "--with", "orders-worker", "--format", fmt])
        assert result.exit_code == 0, result.output
        assert PASSWORD not in result.output
        assert "DATABASE_URL" in result.output
        outputs[fmt] = result.output
    assert "| field | A | B | why it matters |" in outputs["markdown"]
    doc = json.loads(outputs["json"])
    url = next(d for d in doc["differences"] if d["field"] == "env[DATABASE_URL]")
    assert url["a"]["host"] == "ip" and url["a"]["port"] == 5432 and url["a"]["hasPassword"] is True
    assert url["b"]["host"] == "socket"


def test_bad_with_is_one_line_exit_2() -> None:
    proc = _cli("compare", "--world", "telepay-missing-attachment", "--with", "nope")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "nope" in proc.stderr and "Traceback" not in proc.stderr
    missing = _cli("compare", "--world", "telepay-missing-attachment")
    assert missing.returncode == 2 and "--with" in missing.stderr


def test_text_lists_differences_first_then_same() -> None:
    proc = _cli("compare", "--world", "telepay-missing-attachment", "--with", "gcbotcommand-10-26")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.index("cloudSqlInstances") < out.index("why") < out.index("Same:")
    assert "healthy" in out and "cloudsql-not-attached" in out


def test_every_field_compared_says_why_it_matters() -> None:
    from troubleshooter.engine.compare import profile, why

    def job_and_sidecar(w: dict[str, Any]) -> None:
        vpc_egress(w, "orders-vpc")
        template(w)["containers"].append({"name": "proxy", "image": "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1"})

    world = world_from_data(with_sibling(job_and_sidecar), "<pair>")
    with Workspace.serving(world, GRAPH) as ws:
        fields = profile(diagnose(A, ws.gateway, GRAPH))
    assert {"cloudSqlInstances", "serviceAccount", "roles", "vpcAccess", "secrets", "containers",
            "instance.sslMode", "instance.iamAuthentication", "serving.ready"} <= set(fields)
    assert [f for f in fields if not why(f)] == []
    assert "Cloud SQL Auth Proxy sidecar (cloud-sql-proxy:2.14.1)" in fields["containers"]


def test_schema_command_prints_the_compare_schema() -> None:
    result = CliRunner().invoke(cli, ["schema", "--output-of", "compare"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    doc = compared(with_sibling(_localhost))
    jsonschema.validate(doc, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"a": doc["a"], "b": doc["b"], "same": []}, schema)
