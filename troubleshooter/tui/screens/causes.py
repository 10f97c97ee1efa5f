"""CausesScreen: every root cause and finding, each with its explanation, evidence and fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from troubleshooter.redact import redact
from troubleshooter.tui import messages as m
from troubleshooter.tui.marks import glyph
from troubleshooter.tui.screens.base import AppAccess
from troubleshooter.tui.widgets.cause_detail import CauseDetail

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Reported


def choice_needed(item: "Reported") -> tuple[str, str, str] | None:
    """What the operator must choose before the fix can be applied: (option key, label, placeholder)."""
    choice = item.fix.choice if item.fix is not None else None
    if choice is None:
        return None
    return choice.key, choice.label, f"{choice.key.upper()}_NAME"


class CausesScreen(AppAccess, Screen[None]):
    """Step 4: the result. Copy a fix command, or apply the fix through a confirmation."""

    BINDINGS = [
        Binding("a", "apply_fix", "Apply fix", id="apply-fix",
                tooltip="Apply the selected fix: shows the exact command and change, asks first, then verifies"),
        Binding("w", "compare_sibling", "Compare", id="compare-sibling",
                tooltip="Compare with a healthy service or job on the same instance: what differs, and why it matters"),
        Binding("escape", "back", "Walk", id="causes-back", tooltip="Back to the walk"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list["Reported"] = []
        self._shown: tuple[str, ...] | None = None
        self._keys: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="causes-head", classes="screen-head")
        with Horizontal(classes="panes"):
            yield OptionList(id="cause-list", classes="pane-left")
            yield CauseDetail(id="cause-detail", classes="pane-right")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.watch(self.app, "revision", self.show_state)

    def show_state(self) -> None:
        fixed = self.fixed()
        self.items = self.run_state.causes + self.run_state.findings + fixed
        ids = tuple(f"{r.id}:{r.summary}:{r in fixed}" for r in self.items)
        options = self.query_one(OptionList)
        if ids != self._shown:
            self._shown = ids
            keep = options.highlighted
            options.clear_options()
            options.add_options([self.option(r) for r in self.items])
            if self.items:
                options.highlighted = min(keep or 0, len(self.items) - 1)
        self.query_one("#causes-head", Static).update(self.headline())
        self.show_item()

    def fixed(self) -> list["Reported"]:
        """Causes the first run found that the latest run no longer finds (fixed in this session)."""
        session = self.run_state.session
        if len(session.diagnoses) < 2 or session.initial is None:
            return []
        now = {r.id for r in self.run_state.causes}
        return [r for r in session.initial.causes if r.id not in now]

    def option(self, item: "Reported") -> Option:
        if item in self.fixed():
            return Option(f"{glyph('ok')} [$text-muted][s]{escape(item.title)}[/s]\n  {escape(item.id)} · fixed[/]",
                          id=item.id)
        mark = glyph("cause" if item.kind == "cause" else "finding")
        return Option(f"{mark} {escape(item.title)}\n  [$text-muted]{escape(item.id)}[/]", id=item.id)

    def headline(self) -> str:
        state = self.run_state
        run = state.run
        causes, findings = len(state.causes), len(state.findings)
        waiting = " [$accent](probes still running)[/]" if run is not None and not run.done else ""
        if state.session.status == "resolved":
            return "[$success][b]Resolved[/b][/]: the root causes found at first are gone." + waiting
        if causes:
            many = "s" if causes != 1 else ""
            return (f"[$error][b]{causes} root cause{many}[/b][/]"
                    + (f" · {findings} finding{'s' if findings != 1 else ''}" if findings else "")
                    + " · c copies the command" + (" · a applies the fix"
                                                     if self.check_action("apply_fix", ()) is True else "")
                    + waiting)
        current = state.session.current
        if waiting or current is None:
            return "[$accent][b]No root cause yet[/b][/]" + waiting
        verdict = current.verdict
        if verdict == "unexplained":
            n = sum(m.count for m in current.signals)
            return (f"[$warning][b]Unexplained[/b][/]: {n} database error{'s' if n != 1 else ''} in the "
                    "logs, and no known cause explains them. Not healthy.")
        if verdict == "inconclusive":
            uncertain = current.uncertain
            if not uncertain:
                return "[$warning][b]No root cause found[/b][/], but the logs could not be read."
            return (f"[$warning][b]No root cause found[/b][/], but {len(uncertain)} check"
                    f"{'s' if len(uncertain) != 1 else ''} could not decide (see the walk).")
        # Only the `healthy` verdict may say so (root-causes.md, "Verdicts").
        return "[$success][b]No root cause found[/b][/]: the connection path looks healthy."

    def selected(self) -> "Reported | None":
        index = self.query_one(OptionList).highlighted
        return self.items[index] if index is not None and 0 <= index < len(self.items) else None

    def on_option_list_option_highlighted(self) -> None:
        self.show_item()

    def show_item(self) -> None:
        app = self.tapp
        item = self.selected()
        fixed = item is not None and item in self.fixed()
        if item is not None and not fixed:
            app.plan(item.id)
        state = self.run_state
        plan = state.plans.get(item.id) if item else None
        fixes = [f for f in state.session.fixes if item and f.cause == item.id]
        detail = self.query_one(CauseDetail)
        needed = self.choice(item) if item is not None and not fixed else None
        detail.show(item, plan, app.launch.read_only or fixed, fixes, empty=self.nothing_found(),
                    plan_error=state.plan_errors.get(item.id, "") if item else "", choice=needed[0] if needed else "")
        keys = (self.check_action("apply_fix", ()), self.selected_command() is not None,
                self.check_action("compare_sibling", ()))
        if keys != self._keys:  # the footer recomposes on refresh: only when a key turns on or off
            self._keys = keys
            self.refresh_bindings()

    def nothing_found(self) -> str:
        """What to say when there is no cause: healthy, or which checks could not decide and why."""
        current = self.run_state.session.current
        run = self.run_state.run
        if current is None or (run is not None and not run.done):
            return "[$accent]The probes are still running.[/]"
        if current.verdict == "unexplained":
            lines = ["[$warning][b]The logs show database errors no known cause explains[/b][/]:"]
            for sig in current.signals:
                example = escape(redact(sig.lines[0])) if sig.lines else ""
                lines.append(f"  ! {escape(sig.symptom)} × {sig.count}, {escape(sig.first_seen)} → "
                             f"{escape(sig.last_seen)}\n    [$text-muted]{example}[/]")
            ruled = [s.node.spec.check or s.node.short for s in current.ruled_out]
            if ruled:
                lines.append(f"[$text-muted]Ruled out: {escape(', '.join(ruled))}[/]")
            lines.append("[b]Look at next[/b]:")
            lines += [f"  → {escape(redact(n))}" for n in current.next_steps()]
            return "\n".join(lines)
        if current.verdict == "healthy":
            return ("[$success][b]The connection path looks healthy.[/b][/]\nEvery check that applies "
                    "passed and the logs show no database error. If the app still fails, look at its "
                    "own logs and the database's.")
        lines = ["[$warning][b]Some checks could not decide[/b][/]; what would settle them:"]
        if current.logs_unread:
            lines.append("  ? The logs could not be read, so errors there may go unseen.")
        for step in current.uncertain:
            summary = step.result.summary if step.result else ""
            lines.append(f"  ? {escape(step.node.title)}\n    [$text-muted]{escape(redact(summary))}[/]")
        return "\n".join(lines)

    def selected_command(self) -> str | None:
        item = self.selected()
        if item is None:
            return None
        plan = self.run_state.plans.get(item.id)
        commands = list(getattr(plan, "commands", None) or item.commands)
        return "\n".join(commands) or None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "compare_sibling":
            return self.run_state.sibling is not None   # offered only when a healthy sibling exists
        if action == "apply_fix":
            if self.tapp.launch.read_only:
                return False   # read-only: no apply action anywhere
            item = self.selected()
            if item is None or item in self.fixed():
                return None
            plan = self.run_state.plans.get(item.id)
            if plan is not None and plan.automatic:
                return True
            return True if self.choice(item) is not None else None
        return True

    def choice(self, item: "Reported") -> tuple[str, str, str] | None:
        return choice_needed(item)

    @on(Button.Pressed, "#apply-fix")
    def apply_pressed(self) -> None:
        self.action_apply_fix()

    def action_apply_fix(self) -> None:
        item = self.selected()
        plan = self.run_state.plans.get(item.id) if item else None
        if self.check_action("apply_fix", ()) is not True or item is None:
            return
        if plan is not None and plan.automatic:
            self.post_message(m.FixConfirmWanted(item.id, item.title, plan))
            return
        choice = self.choice(item)
        if choice is not None:
            self.post_message(m.FixChoiceWanted(item.id, *choice))

    def action_compare_sibling(self) -> None:
        if self.run_state.sibling is not None:
            self.post_message(m.ComparisonWanted())

    def action_back(self) -> None:
        self.app.pop_screen()
