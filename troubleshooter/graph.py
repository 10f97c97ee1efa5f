"""The decision graph: loaded from decision_trees/*.yaml, validated, held as a networkx DiGraph, walked.

Nodes are symptoms (entry points), checks (a registered check decides an outcome), questions
(the operator chooses), causes, findings and `healthy` (the leaves). Edges carry the outcome
that takes them. A walk follows, from its symptoms, every edge whose outcome holds: a check
that finds a cause routes both to the cause and on to the next check, so one pass reaches
every root cause instead of stopping at the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Mapping, TypeVar

import networkx as nx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from troubleshooter.errors import BadInput
from troubleshooter.model import CheckResult, Outcome

CHECK_OUTCOMES = tuple(o.value for o in Outcome)
UNANSWERED = "unanswered"
NodeKind = Literal["symptom", "check", "question", "cause", "finding", "healthy"]
LEAF_KINDS = ("cause", "finding", "healthy")


# --------------------------------------------------------------------------- file format


class FixSpec(BaseModel):
    """How a cause is fixed: its wording, and whether the tool can apply it. An automatic fix's
    command comes from its check's typed contract (troubleshooter.remedies.commands), not from here."""

    model_config = ConfigDict(extra="forbid")
    id: str
    automatic: bool = False
    steps: list[str] = Field(default_factory=list)      # manual steps (templates: {project}, ...)
    risk: str = ""


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: NodeKind
    title: str
    why: str = ""
    # symptom
    examples: list[str] = Field(default_factory=list)
    signatures: list[str] = Field(default_factory=list)
    next: list[str] = Field(default_factory=list)
    # The checks likely for this symptom, walked first in this order (every check still runs).
    first: list[str] = Field(default_factory=list)
    # check
    check: str | None = None       # its probes are the check's own declaration (Check.probes)
    # question
    choices: dict[str, str] = Field(default_factory=dict)
    # check + question routing: outcome/choice -> successors
    routes: dict[str, list[str]] = Field(default_factory=dict)
    # cause / finding
    fix: FixSpec | None = None
    prevention: list[str] = Field(default_factory=list)
    severity: str | None = None

    @field_validator("signatures")
    @classmethod
    def _regexes_compile(cls, v: list[str]) -> list[str]:
        for pattern in v:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"signature {pattern!r} is not a valid regex: {exc}") from None
        return v


class TreeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    description: str = ""
    nodes: list[NodeSpec]


# --------------------------------------------------------------------------- the loaded graph


T = TypeVar("T")

@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    title: str
    why: str
    spec: NodeSpec
    order: int
    probes: tuple[str, ...] = ()   # a check node's: those of its check, filled in at load

    @property
    def short(self) -> str:
        """The id without its kind prefix (`cause:x` -> `x`)."""
        return self.id.split(":", 1)[1] if ":" in self.id else self.id


@dataclass
class DecisionGraph:
    """A validated decision graph. `g` is the networkx DiGraph (edge attr `outcomes`)."""

    id: str
    title: str
    nodes: dict[str, Node]
    g: nx.DiGraph
    source: str
    topo: list[str] = field(default_factory=list)
    # What depends only on the (never changed) graph and the entry symptoms, computed once: a
    # scan walks the same few entries for every target (engine/fleet.py).
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, key: Any, make: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def of_kind(self, kind: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == kind]

    def successors(self, node_id: str, outcome: str) -> list[str]:
        return list(self.nodes[node_id].spec.routes.get(outcome, [])) if self.nodes[node_id].kind in (
            "check", "question") else list(self.nodes[node_id].spec.next)

    def signatures(self) -> dict[str, tuple[re.Pattern[str], ...]]:
        """Symptom (or cause) id -> compiled log signatures (the logs probe matches these).

        Causes may carry signatures of their own for log lines that point at them but are no
        symptom an operator starts from (the Admin API's 429 rateLimitExceeded).
        """
        return dict(self.memo("signatures", self._signatures))

    def _signatures(self) -> dict[str, tuple[re.Pattern[str], ...]]:
        return {
            n.short: tuple(re.compile(s) for s in n.spec.signatures)
            for n in self.nodes.values()
            if n.kind in ("symptom", "cause") and n.spec.signatures
        }

    def cause_node(self, cause_id: str) -> Node | None:
        return self.nodes.get(f"cause:{cause_id}") or self.nodes.get(f"finding:{cause_id}")

    def check_nodes(self) -> list[Node]:
        return self.of_kind("check")


def _fail(source: str, node: str, reason: str) -> BadInput:
    where = f"{source}: node {node}" if node else source
    return BadInput(f"{where}: {reason}")


def _edges(spec: NodeSpec) -> Iterable[tuple[str, str]]:
    """(label, target) pairs leaving a node."""
    for target in spec.next:
        yield "next", target
    for label, targets in spec.routes.items():
        for target in targets:
            yield label, target


def build_graph(
    tree: TreeSpec,
    source: str,
    *,
    known_checks: Mapping[str, Any] | None = None,
    known_probes: Iterable[str] | None = None,
    known_fixes: Iterable[str] | None = None,
) -> DecisionGraph:
    """Validate a parsed tree and build its graph; any problem is one BadInput line."""
    nodes: dict[str, Node] = {}
    for i, spec in enumerate(tree.nodes):
        if spec.id in nodes:
            raise _fail(source, spec.id, "duplicate node id")
        expected_prefix = "healthy" if spec.kind == "healthy" else f"{spec.kind}:"
        if not spec.id.startswith(expected_prefix):
            raise _fail(source, spec.id, f"a {spec.kind} node's id must start with {expected_prefix!r}")
        # A check node waits for the probes its check declares it reads (declared once, there).
        check = (known_checks or {}).get(spec.check or "") if spec.kind == "check" else None
        probes = tuple(getattr(check, "probes", ()))
        nodes[spec.id] = Node(spec.id, spec.kind, spec.title, spec.why.strip(), spec, i, probes)

    g = nx.DiGraph()
    for node in nodes.values():
        g.add_node(node.id, kind=node.kind)
    for node in nodes.values():
        for label, target in _edges(node.spec):
            if target not in nodes:
                raise _fail(source, node.id, f"edge {label!r} goes to unknown node {target!r}")
            if g.has_edge(node.id, target):
                g.edges[node.id, target]["outcomes"].add(label)
            else:
                g.add_edge(node.id, target, outcomes={label})

    known_probes = set(known_probes) if known_probes is not None else None
    known_fixes = set(known_fixes) if known_fixes is not None else None
    for node in nodes.values():
        spec = node.spec
        if node.kind == "symptom":
            if not spec.next:
                raise _fail(source, node.id, "a symptom needs `next` (where the walk starts)")
            if spec.routes:
                raise _fail(source, node.id, "a symptom routes with `next`, not `routes`")
            for target in spec.first:
                if target not in nodes or nodes[target].kind != "check":
                    raise _fail(source, node.id, f"`first` names {target!r}, which is not a check")
        elif node.kind == "check":
            if not spec.check:
                raise _fail(source, node.id, "a check node must name its `check`")
            missing = [o for o in CHECK_OUTCOMES if o not in spec.routes]
            if missing:
                raise _fail(source, node.id, f"outcome(s) {', '.join(missing)} not routed")
            extra = [o for o in spec.routes if o not in CHECK_OUTCOMES]
            if extra:
                raise _fail(source, node.id, f"unknown outcome(s) {', '.join(extra)}")
            if known_checks is not None:
                check = known_checks.get(spec.check)
                if check is None:
                    raise _fail(source, node.id, f"unknown check {spec.check!r}")
                produces = getattr(check, "produces", None)
                leaf_targets = [t for t in spec.routes.get("failed", []) if nodes[t].kind in ("cause", "finding")]
                if produces and leaf_targets and all(nodes[t].short != produces for t in leaf_targets):
                    raise _fail(source, node.id, f"check {spec.check!r} reports {produces!r} but "
                                f"`failed` routes to {', '.join(leaf_targets)}")
            if known_probes is not None:
                for probe in node.probes:
                    if probe not in known_probes:
                        raise _fail(source, node.id, f"check {spec.check!r} reads unknown probe {probe!r}")
        elif node.kind == "question":
            if not spec.choices:
                raise _fail(source, node.id, "a question needs `choices`")
            for choice in list(spec.choices) + [UNANSWERED]:
                if choice not in spec.routes:
                    raise _fail(source, node.id, f"choice {choice!r} not routed")
        else:  # leaves
            if spec.next or spec.routes:
                raise _fail(source, node.id, f"a {node.kind} node is a leaf: it cannot have edges")
            if node.kind == "cause" and spec.fix is None:
                raise _fail(source, node.id, "a cause needs a `fix` (automatic or manual steps)")
            if spec.fix is not None and known_fixes is not None and spec.fix.automatic:
                if spec.fix.id not in known_fixes:
                    raise _fail(source, node.id, f"unknown fix {spec.fix.id!r}")
            if spec.fix is not None and not spec.fix.automatic and not spec.fix.steps:
                raise _fail(source, node.id, "a manual fix needs `steps`")

    if not nx.is_directed_acyclic_graph(g):
        cycle = nx.find_cycle(g)
        raise _fail(source, cycle[0][0], "cycle: " + " -> ".join([e[0] for e in cycle] + [cycle[0][0]]))
    symptoms = [n.id for n in nodes.values() if n.kind == "symptom"]
    if not symptoms:
        raise _fail(source, "", "no symptom nodes")
    reachable: set[str] = set(symptoms)
    for s in symptoms:
        reachable |= nx.descendants(g, s)
    for node in nodes.values():
        if node.id not in reachable:
            raise _fail(source, node.id, "not reachable from any symptom")
        if g.out_degree(node.id) == 0 and node.kind not in LEAF_KINDS:
            raise _fail(source, node.id, f"a {node.kind} node cannot be a leaf")

    topo = list(nx.lexicographical_topological_sort(g, key=lambda nid: nodes[nid].order))
    return DecisionGraph(tree.id, tree.title, nodes, g, source, topo)


def _yaml_line(text: str, index: int) -> int | None:
    """Line of the index-th entry of `nodes:` (for error messages)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return None
    for key, value in getattr(root, "value", []):
        if getattr(key, "value", None) == "nodes" and isinstance(value, yaml.SequenceNode):
            if 0 <= index < len(value.value):
                return value.value[index].start_mark.line + 1
    return None


def parse_tree(text: str, source: str) -> TreeSpec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise BadInput(f"{source}{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    try:
        return TreeSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        node = ""
        line = ""
        if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
            raw = (data.get("nodes") or [])[loc[1]]
            node = f" node {raw.get('id', '#' + str(loc[1]))}" if isinstance(raw, dict) else ""
            found = _yaml_line(text, loc[1])
            line = f":{found}" if found else ""
            loc = loc[2:]
        field_path = ".".join(str(p) for p in loc)
        raise BadInput(f"{source}{line}:{node} field {field_path or '(root)'}: {err['msg']}") from None


def trees_dir() -> Path:
    """decision_trees/ as installed (package data), or the repo's top-level folder in a checkout."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("troubleshooter.decision_trees")
    except ModuleNotFoundError:
        spec = None
    # A namespace package (the folder has no __init__.py): its search locations are the folders.
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location)
        if path.is_dir() and any(path.glob("*.yaml")):
            return path
    return Path(__file__).resolve().parent.parent / "decision_trees"


# --------------------------------------------------------------------------- the walk


@dataclass
class Step:
    """One visited node: what it concluded (checks), what was chosen (questions)."""

    node: Node
    outcome: str                       # check outcome, question choice, "entry", or "reached"
    result: CheckResult | None = None
    pending: bool = False              # its probes have not finished yet


@dataclass
class Walk:
    steps: list[Step]
    frontier_pending: bool = False     # the walk stopped at checks still waiting for probes

    @property
    def path(self) -> list[str]:
        return [s.node.id for s in self.steps]

    def reached(self, kind: str) -> list[Step]:
        return [s for s in self.steps if s.node.kind == kind]

    def step(self, node_id: str) -> Step | None:
        return next((s for s in self.steps if s.node.id == node_id), None)


def early_checks(graph: DecisionGraph, entries: Iterable[str]) -> list[str]:
    """The checks the entry symptoms' `first` names that lie downstream of them, in that order:
    the branches likely for that symptom (ECONNREFUSED 127.0.0.1: how the app connects, before
    IAM). They are walked first; every check still runs once."""
    key = tuple(entries)
    return list(graph.memo(("early", key), lambda: _early_checks(graph, key)))


def _early_checks(graph: DecisionGraph, entries: Iterable[str]) -> list[str]:
    entries = [e for e in entries if e in graph.nodes]
    reachable: set[str] = set()
    for e in entries:
        reachable |= nx.descendants(graph.g, e)
    early: list[str] = []
    for e in sorted(entries, key=graph.topo.index):
        for c in graph.nodes[e].spec.first:
            if c in reachable and c not in early:
                early.append(c)
    return early


def walk_order(graph: DecisionGraph, entries: Iterable[str]) -> list[str]:
    """Entry symptoms, then their early checks, then every other node in topological order."""
    key = tuple(entries)
    return list(graph.memo(("order", key), lambda: _walk_order(graph, list(key))))


def _walk_order(graph: DecisionGraph, entries: list[str]) -> list[str]:
    early = early_checks(graph, entries)
    head = [n for n in graph.topo if n in entries]
    return head + early + [n for n in graph.topo if n not in early and n not in head]


def walk(
    graph: DecisionGraph,
    symptoms: Iterable[str],
    evaluate: Callable[[Node, list[Step]], CheckResult],
    answer: Callable[[Node], str | None],
    *,
    pending_probes: set[str] | None = None,
) -> Walk:
    """Follow every edge whose outcome holds, from the given symptoms, in topological order.

    A check whose probes are still pending is recorded as pending and nothing is followed
    from it yet (the TUI re-walks as probes finish).
    """
    active = {f"symptom:{s}" for s in symptoms}
    unknown = [s for s in active if s not in graph.nodes]
    if unknown:
        raise BadInput(f"unknown symptom {unknown[0].split(':', 1)[1]!r}; known: "
                       + ", ".join(n.short for n in graph.of_kind("symptom")))
    pending_probes = pending_probes or set()
    steps: list[Step] = []
    stalled = False
    emitted: set[str] = set()

    def _follow(successors: list[str]) -> None:
        # Leaves (causes, findings, healthy) go on the path right after the node that reached
        # them, so the path reads check -> its cause -> next check.
        for succ in successors:
            active.add(succ)
            leaf = graph.nodes[succ]
            if leaf.kind in LEAF_KINDS and succ not in emitted:
                emitted.add(succ)
                steps.append(Step(leaf, "reached"))

    order = walk_order(graph, active)
    early = set(early_checks(graph, active))
    for nid in order:
        if nid in early and nid not in active:
            active.add(nid)  # walked early: the chain reaches it anyway (every route goes on)
        if nid not in active:
            continue
        node = graph.nodes[nid]
        if node.kind == "symptom":
            steps.append(Step(node, "entry"))
            active.update(node.spec.next)
        elif node.kind == "check":
            if pending_probes.intersection(node.probes):
                steps.append(Step(node, "pending", pending=True))
                stalled = True
                continue
            result = evaluate(node, steps)
            steps.append(Step(node, result.outcome.value, result))
            _follow(node.spec.routes[result.outcome.value])
        elif node.kind == "question":
            choice = answer(node)
            label = choice if choice in node.spec.choices else UNANSWERED
            steps.append(Step(node, label))
            _follow(node.spec.routes[label])
        elif nid not in emitted:
            steps.append(Step(node, "reached"))
    return Walk(steps, stalled)


# --------------------------------------------------------------------------- rendering


def to_mermaid(graph: DecisionGraph, highlight: Iterable[str] = (),
               taken: Mapping[str, str] | None = None) -> str:
    """The graph (or a walked path, via `highlight`) as a Mermaid flowchart.

    `taken` maps a walked node to the outcome it produced, so a path's edges say which
    outcome was followed rather than every outcome that could follow them.
    """
    marked = set(highlight)
    taken = taken or {}
    shapes = {
        "symptom": ("([", "])"), "check": ("{", "}"), "question": ("{{", "}}"),
        "cause": ("[/", "/]"), "finding": ("[\\", "\\]"), "healthy": ("((", "))"),
    }
    ids = {nid: f"n{i}" for i, nid in enumerate(graph.topo)}
    lines = ["flowchart TD"]
    for nid in graph.topo:
        node = graph.nodes[nid]
        if marked and nid not in marked:
            continue
        left, right = shapes[node.kind]
        label = node.title.replace('"', "'")
        lines.append(f'  {ids[nid]}{left}"{label}"{right}')
    for a, b, data in graph.g.edges(data=True):
        if marked and not (a in marked and b in marked):
            continue
        outcomes = data["outcomes"]
        label = taken[a] if taken.get(a) in outcomes else "/".join(sorted(outcomes))
        lines.append(f"  {ids[a]} -->|{label}| {ids[b]}")
    for kind, style in (("cause", "fill:#fdd"), ("finding", "fill:#ffd"), ("healthy", "fill:#dfd")):
        members = [ids[n] for n in graph.topo if graph.nodes[n].kind == kind and (not marked or n in marked)]
        if members:
            lines.append(f"  classDef {kind} {style}")
            lines.append(f"  class {','.join(members)} {kind}")
    for outcome, style in (("failed", "stroke:#c00,stroke-width:2px"), ("uncertain", "stroke:#c90,stroke-dasharray:4")):
        members = [ids[n] for n, o in taken.items() if o == outcome and n in ids and (not marked or n in marked)]
        if members:
            lines.append(f"  classDef {outcome} {style}")
            lines.append(f"  class {','.join(members)} {outcome}")
    return "\n".join(lines)


def to_dot(graph: DecisionGraph) -> str:
    shapes = {"symptom": "ellipse", "check": "diamond", "question": "hexagon",
              "cause": "box", "finding": "note", "healthy": "doublecircle"}
    lines = [f'digraph "{graph.id}" {{', "  rankdir=TB;"]
    for nid in graph.topo:
        node = graph.nodes[nid]
        label = node.title.replace('"', '\\"')
        lines.append(f'  "{nid}" [shape={shapes[node.kind]}, label="{label}"];')
    for a, b, data in graph.g.edges(data=True):
        lines.append(f'  "{a}" -> "{b}" [label="{"/".join(sorted(data["outcomes"]))}"];')
    lines.append("}")
    return "\n".join(lines)


def to_text(graph: DecisionGraph) -> str:
    lines = [f"{graph.title} ({graph.id})", ""]
    for nid in graph.topo:
        node = graph.nodes[nid]
        lines.append(f"{nid}: {node.title}")
        for label, targets in (node.spec.routes.items() if node.spec.routes else
                               ([("next", node.spec.next)] if node.spec.next else [])):
            lines.append(f"    {label:>10} -> {', '.join(targets)}")
        if node.spec.first:
            lines.append(f"    {'first':>10} -> {', '.join(node.spec.first)} (then every other check)")
    return "\n".join(lines)
