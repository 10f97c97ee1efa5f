"""WalkScreen: the path through the decision graph, live as probes finish, one step at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, Tree

from troubleshooter.tui import messages as m
from troubleshooter.tui.screens.base import AppAccess
from troubleshooter.tui.widgets.probe_board import ProbeBoard
from troubleshooter.tui.widgets.step_detail import StepDetail
from troubleshooter.tui.widgets.walk_tree import WalkTree

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Reported
    from troubleshooter.graph import Step


class WalkScreen(AppAccess, Screen[None]):
    """Step 3: each check's question, why it matters, and its evidence; questions for the operator."""

    BINDINGS = [
        Binding("n", "step(1)", "Next", id="walk-next", tooltip="Next step of the walk"),
        Binding("p", "step(-1)", "Prev", id="walk-prev", tooltip="Previous step of the walk"),
        Binding("e", "result", "Result", id="walk-result",
                tooltip="Jump to the result: every root cause found, with its fix"),
        Binding("escape", "back", "Back", id="walk-back", tooltip="Back to the symptoms, to change them"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="walk-head", classes="screen-head")
        with Horizontal(classes="panes"):
            yield WalkTree(id="walk-tree")
            yield StepDetail(id="step-detail", classes="pane-right")
        yield ProbeBoard(id="probe-board")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(WalkTree).focus()
        self.watch(self.app, "revision", self.show_state)

    def show_state(self) -> None:
        self.query_one(ProbeBoard).show(self.run_state.run)
        self.query_one("#walk-head", Static).update(self.headline())
        tree = self.query_one(WalkTree)
        tree.show(self.run_state.walk)
        self.show_step(tree.cursor_node.data if tree.cursor_node else None)

    def headline(self) -> str:
        symptoms = ", ".join(self.run_state.symptoms) or "?"
        run = self.run_state.run
        if run is not None and not run.done:
            progress = f"[$accent]probes running ({len(run.results)}/{len(run.probe_ids)})[/]"
        elif self.run_state.causes:
            many = "s" if len(self.run_state.causes) != 1 else ""
            progress = f"[$error]{len(self.run_state.causes)} root cause{many} found[/] · e shows the result"
        else:
            # Only the `healthy` verdict is green (root-causes.md, "Verdicts"): failures in the
            # logs no cause explains, or checks that could not decide, are no all-clear.
            current = self.run_state.session.current
            verdict = current.verdict if current is not None else "healthy"
            progress = {
                "unexplained": "[$warning]unexplained: errors in the logs, no known cause[/]",
                "inconclusive": "[$warning]no root cause found, but checks could not decide[/]",
            }.get(verdict, "[$success]no root cause found[/]") + " · e shows the result"
        return f"[b]Walk[/b] from {escape(symptoms)} · {progress}"

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted["Step"]) -> None:
        self.show_step(event.node.data)

    def on_tree_node_selected(self, event: Tree.NodeSelected["Step"]) -> None:
        """Enter on a question moves to its choices."""
        step = event.node.data
        if step is not None and step.node.kind == "question":
            # The answer is in Secret Manager: first ask whether the tool may read it (once a session).
            engine = self.run_state.engine
            if step.node.short == "app-connection" and not engine.secrets_asked and engine.secrets_to_ask():
                engine.secrets_asked = True
                self.post_message(m.SecretsConsentWanted(engine.secrets_to_ask()))
                return
            self.query_one("#step-choices").focus()

    def on_question_answered(self) -> None:
        # The app re-walks (the message bubbles on); the operator carries on from the tree.
        self.query_one(WalkTree).focus()

    def show_step(self, step: "Step | None") -> None:
        run = self.run_state.run
        self.query_one(StepDetail).show(step, run.obs if run else None, self.reported(step))

    def reported(self, step: "Step | None") -> "Reported | None":
        if step is None or step.node.kind not in ("cause", "finding"):
            return None
        return next((r for r in self.run_state.causes + self.run_state.findings if r.node == step.node.id), None)

    def selected_command(self) -> str | None:
        tree = self.query_one(WalkTree)
        reported = self.reported(tree.cursor_node.data if tree.cursor_node else None)
        return "\n".join(reported.commands) if reported and reported.commands else None

    def action_step(self, delta: int) -> None:
        tree = self.query_one(WalkTree)
        tree.step_by(delta)
        if not tree.has_focus:
            tree.focus()

    def action_result(self) -> None:
        self.post_message(m.CausesWanted())

    def action_back(self) -> None:
        self.app.pop_screen()
