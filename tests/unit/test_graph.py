"""The decision graph: the built-in tree is complete and valid; broken trees are rejected in one line."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from troubleshooter.catalog import FINDINGS, ROOT_CAUSES, SYMPTOMS
from troubleshooter.engine.tree import load_graph
from troubleshooter.errors import BadInput
from troubleshooter.graph import build_graph, parse_tree, to_dot, to_mermaid, trees_dir

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "root-causes.md"
TREE = trees_dir() / "cloudrun-cloudsql.yaml"


@pytest.fixture(scope="module")
def graph():
    return load_graph()


def test_every_catalog_id_is_in_the_graph(graph):
    for s in SYMPTOMS:
        assert f"symptom:{s}" in graph.nodes
    for c in ROOT_CAUSES:
        assert f"cause:{c}" in graph.nodes
    for f in FINDINGS:
        assert f"finding:{f}" in graph.nodes


@pytest.mark.skipif(not SPEC.exists(), reason="shared/spec is not beside the checkout")
def test_catalog_matches_the_shared_spec():
    text = SPEC.read_text(encoding="utf-8")
    section = lambda title: text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]  # noqa: E731
    ids = lambda body: re.findall(r"^\| `([a-z0-9-]+)` \|", body, flags=re.M)  # noqa: E731
    assert tuple(ids(section("Symptoms"))) == SYMPTOMS
    # The first catalog in its order, then the added causes in theirs (each branch adds its own);
    # findings that the graph documents may follow the spec's (test_every_catalog_id_is_in_the_graph).
    first, added = ids(section("Root causes")), ids(section("Added causes"))
    assert ROOT_CAUSES[: len(first)] == tuple(first)
    rest = list(ROOT_CAUSES[len(first):])
    assert rest == [c for c in added if c in rest] and rest
    findings = tuple(ids(section("Findings")))
    assert FINDINGS[: len(findings)] == findings


def test_every_node_explains_itself(graph):
    for node in graph.nodes.values():
        assert node.title, node.id
        if node.kind in ("check", "cause", "symptom", "question"):
            assert len(node.why) > 40, f"{node.id} needs a real explanation"
    for node in graph.of_kind("symptom"):
        if node.short != "unknown":
            assert node.spec.examples and node.spec.signatures, node.id


def test_symptom_examples_match_their_own_signatures(graph):
    sigs = graph.signatures()
    for node in graph.of_kind("symptom"):
        for example in node.spec.examples:
            if node.short in ("unknown", "deploy-not-ready") or "..." in example and node.short == "not-authorized":
                continue
            matched = [s for s, pats in sigs.items() if any(p.search(example) for p in pats)]
            assert node.short in matched or not sigs.get(node.short), (node.id, example, matched)


def test_renderings(graph):
    mermaid = to_mermaid(graph)
    assert mermaid.startswith("flowchart TD")
    assert "-->|failed|" in mermaid
    assert to_dot(graph).startswith('digraph "cloudrun-cloudsql"')


def _tree(**changes):
    data = yaml.safe_load(TREE.read_text(encoding="utf-8"))
    for node in data["nodes"]:
        if node["id"] in changes:
            change = changes[node["id"]]
            if change is None:
                data["nodes"].remove(node)
            else:
                node.update(change)
    return data


def _build(data, **known):
    text = yaml.safe_dump(data, sort_keys=False)
    return build_graph(parse_tree(text, "broken.yaml"), "broken.yaml", **known)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"check:attachment": {"routes": {"ok": ["check:connection-name"], "failed": ["cause:cloudsql-not-attached"],
                                      "uncertain": ["check:connection-name"]}}},
         "broken.yaml: node check:attachment: outcome(s) skipped not routed"),
        ({"check:connection-name": {"routes": {o: ["check:attachment"] for o in ("ok", "failed", "uncertain", "skipped")}}},
         "broken.yaml: node check:attachment: cycle: check:attachment -> check:connection-name -> check:attachment"),
        ({"symptom:unknown": {"next": ["check:nope"]}},
         "broken.yaml: node symptom:unknown: edge 'next' goes to unknown node 'check:nope'"),
        ({"cause:instance-stopped": {"fix": None}},
         "broken.yaml: node cause:instance-stopped: a cause needs a `fix` (automatic or manual steps)"),
        ({"question:app-connection": {"routes": {"unix-socket": ["check:app-localhost"]}}},
         "broken.yaml: node question:app-connection: choice 'localhost-tcp' not routed"),
    ],
)
def test_broken_trees_are_rejected_with_file_node_and_reason(changes, message):
    with pytest.raises(BadInput) as err:
        _build(_tree(**changes))
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_unreachable_node_is_rejected():
    data = _tree()
    data["nodes"].append({"id": "cause:orphan", "kind": "cause", "title": "Orphan",
                          "fix": {"id": "x", "steps": ["none"]}})
    with pytest.raises(BadInput, match=r"node cause:orphan: not reachable from any symptom"):
        _build(data)


def test_unknown_check_probe_and_fix_are_rejected():
    from troubleshooter.checks import REGISTRY
    from troubleshooter.checks.routing import ROUTE_CHECKS
    from troubleshooter.fixes import FIX_IDS
    from troubleshooter.probes import REGISTRY as PROBES

    known = {"known_checks": {**REGISTRY, **ROUTE_CHECKS}, "known_probes": PROBES, "known_fixes": FIX_IDS}
    with pytest.raises(BadInput, match=r"node check:attachment: unknown check 'nope'"):
        _build(_tree(**{"check:attachment": {"check": "nope"}}), **known)
    psychic = dataclasses.replace(REGISTRY["cloudsql-not-attached"], probes=("run-config", "telepathy"))
    with pytest.raises(BadInput, match=r"node check:attachment: check 'cloudsql-not-attached' reads "
                                       r"unknown probe 'telepathy'"):
        _build(_tree(), **{**known, "known_checks": {**known["known_checks"], "cloudsql-not-attached": psychic}})
    with pytest.raises(BadInput, match=r"node check:attachment field probes: Extra inputs"):
        _build(_tree(**{"check:attachment": {"probes": ["run-config"]}}), **known)  # the check declares them
    with pytest.raises(BadInput, match=r"node cause:instance-stopped: unknown fix 'magic'"):
        _build(_tree(**{"cause:instance-stopped": {"fix": {"id": "magic", "automatic": True}}}), **known)


def test_schema_errors_name_the_line_node_and_field(tmp_path):
    bad = TREE.read_text(encoding="utf-8").replace("    kind: check\n    check: instance-stopped",
                                                   "    kind: chek\n    check: instance-stopped", 1)
    path = tmp_path / "tree.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(BadInput) as err:
        load_graph(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:") and "node check:instance-stopped" in msg and "field kind" in msg


def test_invalid_yaml_and_missing_file(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("nodes: [\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"t.yaml:\d+: invalid YAML"):
        load_graph(path)
    with pytest.raises(BadInput, match="cannot read decision tree"):
        load_graph(tmp_path / "missing.yaml")
