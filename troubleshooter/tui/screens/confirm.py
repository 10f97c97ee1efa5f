"""ConfirmFixModal: the exact command and the change a fix makes; nothing is written unless confirmed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from troubleshooter.redact import redact
from troubleshooter.tui.widgets.change_view import ChangeView

if TYPE_CHECKING:
    from troubleshooter.fixes.base import FixPlan


class ConfirmFixModal(ModalScreen[bool]):
    """Apply this fix? Focus starts on Cancel."""

    BINDINGS = [
        Binding("y", "answer(True)", "Apply", id="confirm-apply", tooltip="Apply the fix as shown"),
        Binding("n,escape", "answer(False)", "Cancel", id="confirm-cancel", tooltip="Change nothing"),
        Binding("left,right", "switch", "Move", id="confirm-move", show=False,
                tooltip="Move between Apply and Cancel"),
    ]

    def __init__(self, title: str, plan: "FixPlan") -> None:
        super().__init__()
        self.fix_title = title
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="confirm-body", classes="modal-body") as body:
            body.border_title = "Apply this fix?"
            with VerticalScroll(id="confirm-scroll"):
                yield Static(f"[b]{escape(self.fix_title)}[/b]", id="confirm-title")
                yield Static("[b]Command[/b] (what it amounts to)", classes="section")
                yield Static("\n".join(f"$ {escape(redact(c))}" for c in plan.commands), classes="command",
                             id="confirm-command")
                yield Static("[b]Change[/b] (before → after)" + (f" on {escape(plan.resource)}"
                                                                 if plan.resource else ""), classes="section")
                yield ChangeView(id="confirm-change")
                if plan.risk:
                    yield Static(f"[b]Risk[/b] {escape(plan.risk)}", id="confirm-risk")
            with Horizontal(id="confirm-buttons"):
                yield Button("Apply \\[y]", id="confirm-apply", variant="warning")
                yield Button("Cancel \\[n]", id="confirm-cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one(ChangeView).show(self.plan.change)
        self.query_one("#confirm-cancel", Button).focus()

    @on(Button.Pressed, "#confirm-apply")
    def applied(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-cancel")
    def cancelled(self) -> None:
        self.dismiss(False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_switch(self) -> None:
        self.focus_next(Button)
