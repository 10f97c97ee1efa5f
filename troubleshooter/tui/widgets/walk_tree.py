"""WalkTree: the path through the decision graph, one node per step, with its status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from troubleshooter.tui.marks import MARKS, rich_style, step_status

if TYPE_CHECKING:
    from troubleshooter.graph import Step, Walk

LEAVES = ("cause", "finding", "healthy")


def parents(walk: "Walk") -> dict[str, str]:
    """Leaf id -> the check that routed to it, so a cause hangs under the check that found it."""
    out: dict[str, str] = {}
    for step in walk.steps:
        if step.node.kind not in ("check", "question") or step.pending:
            continue
        for target in step.node.spec.routes.get(step.outcome, []):
            if target.startswith(("cause:", "finding:")) or target == "healthy":
                out.setdefault(target, step.node.id)
    return out


class WalkTree(Tree["Step"]):
    """Symptoms and checks in walk order; each cause or finding under the check that found it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Walk", id=id)
        self.show_root = False
        self.guide_depth = 2
        self._shown: tuple[tuple[str, str], ...] = ()

    def label(self, step: "Step") -> Text:
        status = step_status(step)
        style = rich_style(self.app, status)
        title = Text(step.node.title, style=style if step.node.kind in LEAVES else "")
        return Text.assemble((f"{MARKS.get(status, ('·', ''))[0]} ", style), title)

    def show(self, walk: "Walk | None") -> None:
        """Rebuild from a walk (only when it changed), keeping the cursor on the same graph node."""
        shown = tuple((s.node.id, step_status(s)) for s in walk.steps) if walk else ()
        if shown == self._shown:
            if walk is not None:  # same shape: refresh the steps the nodes point at
                for node, step in zip(self.lines(), self.in_display_order(walk)):
                    node.data = step
            return
        self._shown = shown
        current = self.cursor_node.data.node.id if self.cursor_node and self.cursor_node.data else None
        self.clear()
        if walk is None:
            return
        hang = parents(walk)
        nodes: dict[str, TreeNode["Step"]] = {}
        for step in walk.steps:
            parent = nodes.get(hang.get(step.node.id, ""), self.root)
            if step.node.kind in LEAVES:
                nodes[step.node.id] = parent.add_leaf(self.label(step), data=step)
            else:
                nodes[step.node.id] = parent.add(self.label(step), data=step, expand=True, allow_expand=False)
        order = [n.data.node.id for n in self.lines() if n.data is not None]
        self.cursor_line = order.index(current) if current in order else 0

    def in_display_order(self, walk: "Walk") -> list["Step"]:
        hang = parents(walk)
        children: dict[str, list["Step"]] = {}
        for step in walk.steps:
            children.setdefault(hang.get(step.node.id, ""), []).append(step)
        out: list["Step"] = []

        def visit(key: str) -> None:
            for step in children.get(key, []):
                out.append(step)
                visit(step.node.id)

        visit("")
        return out

    def lines(self) -> list[TreeNode["Step"]]:
        """Nodes in display order (everything is expanded, the root is hidden)."""
        out: list[TreeNode["Step"]] = []

        def visit(node: TreeNode["Step"]) -> None:
            for child in node.children:
                out.append(child)
                visit(child)

        visit(self.root)
        return out

    def select_step(self, node_id: str) -> None:
        order = [n.data.node.id for n in self.lines() if n.data is not None]
        if node_id in order:
            self.cursor_line = order.index(node_id)
            self.scroll_to_line(self.cursor_line)

    def step_by(self, delta: int) -> None:
        """Next (+1) or previous (-1) step in display order."""
        if self.last_line < 0:
            return
        self.cursor_line = max(0, min(self.last_line, self.cursor_line + delta))
        self.scroll_to_line(self.cursor_line)
