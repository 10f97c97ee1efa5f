"""CauseDetail: one root cause or finding: explanation, evidence, the exact fix, its change and risk."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Button, Static

from troubleshooter.redact import redact
from troubleshooter.tui.widgets.change_view import ChangeView
from troubleshooter.tui.widgets.evidence import EvidencePanel

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Reported
    from troubleshooter.fixes.base import FixPlan
    from troubleshooter.session import AppliedFix


class CauseDetail(VerticalScroll):
    """Everything needed to understand one cause and fix it."""

    def compose(self) -> ComposeResult:
        # The fix comes right after the summary: on a small terminal it is what must stay in view.
        yield Static(id="cause-title")
        yield Static(id="cause-verified")
        yield Static(id="cause-summary")
        yield Static(id="cause-fix-head", classes="section")
        yield Static(id="cause-command", classes="command")
        yield Static("[b]Change[/b] (before → after)", id="cause-change-head", classes="section")
        yield ChangeView(id="cause-change")
        yield Static(id="cause-risk")
        yield Button("Apply fix…", id="apply-fix", variant="warning",
                     tooltip="Shows the exact command and change, and asks before writing anything")
        yield Static(id="cause-why")
        yield Static("[b]Evidence[/b]", id="cause-evidence-head", classes="section")
        yield EvidencePanel(id="cause-evidence")

    def put(self, selector: str, text: str) -> None:
        """Fill a Static, hiding it when there is nothing to say (no blank gaps)."""
        widget = self.query_one(selector, Static)
        widget.update(text)
        widget.display = bool(text)

    def show(self, item: "Reported | None", plan: "FixPlan | None", read_only: bool, fixes: list["AppliedFix"],
             empty: str = "", plan_error: str = "", choice: str = "") -> None:
        """`choice`: what the operator must choose before the fix can be applied (e.g. "subnet")."""
        q = self.query_one
        if item is None:
            for widget in self.query(Static).results():
                widget.display = False
            self.put("#cause-title", empty or "[b]Nothing to fix[/b]")
            q("#apply-fix", Button).display = False
            return
        for widget in self.query(Static).results():
            widget.display = True
        kind = "Root cause" if item.kind == "cause" else f"Finding ({item.severity or 'warning'})"
        q("#cause-title", Static).update(f"[b]{escape(item.title)}[/b]\n[$text-muted]{kind} · {escape(item.id)}[/]")
        q("#cause-summary", Static).update(escape(redact(item.summary)))
        self.put("#cause-why", f"[b]Why[/b]\n{escape(item.why)}" if item.why else "")
        evidence = q("#cause-evidence", EvidencePanel)
        evidence.show(item.evidence, (), item.expected_actual)
        q("#cause-evidence-head", Static).display = evidence.display
        commands = list(getattr(plan, "commands", None) or item.commands)
        steps = list(getattr(plan, "steps", None) or item.steps)
        automatic = bool(getattr(plan, "automatic", item.automatic))
        head = q("#cause-fix-head", Static)
        command = q("#cause-command", Static)
        if commands:
            head.update("[b]Fix[/b] [$text-muted](c copies the command)[/]")
            command.update("\n".join(f"$ {escape(redact(c))}" for c in commands))
        elif steps:
            head.update("[b]Fix[/b] (manual steps)")
            command.update("\n".join(f"{i}. {escape(redact(s))}" for i, s in enumerate(steps, 1)))
        else:
            head.update("[b]Fix[/b]")
            command.update("[$text-muted]No fix is defined.[/]")
        change = q("#cause-change", ChangeView)
        change_head = q("#cause-change-head", Static)
        applied = next((f for f in reversed(fixes) if f.outcome == "applied"), None)
        change_head.update("[b]Change made[/b] (before → after)" if applied else "[b]Change[/b] (before → after)")
        if applied is not None:
            change.show(applied.change)
        elif plan is None and plan_error:
            change.update(f"[$warning]Could not work out the change: {escape(plan_error)}[/]")
        elif plan is None:
            change.update("[$text-muted]Reading the resource to work out the change…[/]")
        elif automatic:
            change.show(plan.change, getattr(plan, "resource", ""))
        change.display = change_head.display = plan is None or automatic or applied is not None
        notes = [escape(redact(n)) for n in getattr(plan, "notes", []) or []]
        risk = getattr(plan, "risk", None) or item.risk
        self.put("#cause-risk", "\n".join(([f"[b]Risk[/b] {escape(risk)}"] if risk else []) + notes))
        self.put("#cause-verified", verification(fixes))
        button = q("#apply-fix", Button)
        choosing = bool(choice) and not automatic
        button.label = f"Choose {choice} and apply fix…" if choosing else "Apply fix…"
        button.display = not read_only and ((automatic and plan is not None) or choosing)


def verification(fixes: list["AppliedFix"]) -> str:
    if not fixes:
        return ""
    last = fixes[-1]
    if last.outcome == "applied":
        mark = "[$success]✓" if last.verified else "[$error]✗"
        return f"{mark} Fix applied: {escape(redact(last.verification))}[/]"
    return f"[$warning]Fix {escape(last.outcome)}{': ' + escape(redact(last.error)) if last.error else ''}[/]"
