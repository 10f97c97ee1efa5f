"""LearnScreen: the whole decision graph to browse, node by node: the onboarding view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, Static, Tree

from troubleshooter.tui.screens.base import AppAccess

if TYPE_CHECKING:
    from troubleshooter.graph import DecisionGraph, Node

GROUPS = (("symptom", "Symptoms: where a walk starts"), ("check", "Checks: what the probes decide"),
          ("question", "Questions: what only you can answer"), ("cause", "Root causes"),
          ("finding", "Findings: not the outage, but worth fixing"))

ABOUT = """\
## The decision graph

Every run walks this graph. It starts at the **symptoms** you see, goes through **checks**
(each decided by probes that read the Cloud Run, Cloud SQL, IAM, Service Usage and Logging
APIs) and **questions** (what no API can tell), and ends in **root causes** and **findings**.

A check that finds its cause goes on to the next check too, so one walk reports every cause:
fixing one and meeting the next is how these incidents go.

Pick a node on the left to read what it asks, why it matters, and how its cause is fixed.
"""


def describe(graph: "DecisionGraph", node: "Node") -> str:
    """A node as markdown: title, why, examples, choices, fix, and where it leads."""
    spec = node.spec
    parts = [f"## {node.title}", f"`{node.id}`", ""]
    if node.why:
        parts += ["**Why it matters.** " + node.why, ""]
    if spec.examples:
        parts += ["**Error text that means this**", ""] + [f"- `{e}`" for e in spec.examples] + [""]
    if node.probes:
        parts += ["**Probes:** " + ", ".join(f"`{p}`" for p in node.probes), ""]
    if spec.choices:
        parts += ["**Choices**", ""] + [f"- `{k}`: {v}" for k, v in spec.choices.items()] + [""]
    if spec.fix is not None:
        fix = spec.fix
        parts += ["**Fix**" + (" (the tool can apply it)" if fix.automatic else " (by hand)"), ""]
        if fix.automatic:
            # The command names real resources: a diagnosis writes it (remedies.commands), not the tree.
            parts += [f"The exact command comes from the diagnosis: `troubleshooter fix {node.short}`.", ""]
        parts += [f"1. {s}" for s in fix.steps] + ([""] if fix.steps else [])
        if fix.risk:
            parts += [f"**Risk.** {fix.risk}", ""]
    if spec.prevention:
        parts += ["**Prevention**", ""] + [f"- {p}" for p in spec.prevention] + [""]
    if spec.first:
        parts += ["**Walked first for this symptom** (then every other check)", ""]
        parts += [f"{i}. {graph.nodes[c].title}" for i, c in enumerate(spec.first, 1)] + [""]
    routes = spec.routes.items() if spec.routes else ([("next", spec.next)] if spec.next else [])
    leads = [f"- {label} → " + ", ".join(graph.nodes[t].title for t in targets)
             for label, targets in routes if targets]
    if leads:
        parts += ["**Leads to**", ""] + leads
    return "\n".join(parts)


class LearnScreen(AppAccess, Screen[None]):
    """Browse the decision graph: a tree of nodes by kind, and the selected node explained."""

    BINDINGS = [Binding("escape", "close", "Back", id="learn-back", tooltip="Back to where you were")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("[b]Learn[/b]: every symptom, check, question and root cause the troubleshooter knows.",
                     classes="screen-head")
        with Horizontal(classes="panes"):
            yield Tree("Decision graph", id="graph-tree", classes="pane-left")
            with VerticalScroll(id="graph-detail", classes="pane-right"):
                yield Markdown(ABOUT, id="graph-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        graph = self.tapp.graph
        assert graph is not None
        tree: Tree["Node"] = self.query_one(Tree)
        tree.root.expand()
        for kind, label in GROUPS:
            nodes = graph.of_kind(kind)
            if not nodes:
                continue
            branch = tree.root.add(f"{label} ({len(nodes)})", expand=kind == "symptom")
            for node in nodes:
                branch.add_leaf(Text(node.title), data=node)
        tree.focus()

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted["Node"]) -> None:
        graph = self.tapp.graph
        node = event.node.data
        text = describe(graph, node) if graph is not None and node is not None else ABOUT
        self.query_one("#graph-text", Markdown).update(text)
        self.query_one("#graph-detail", VerticalScroll).scroll_home(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
