"""HelpScreen: how a troubleshooting run goes, and every key of every screen."""

from __future__ import annotations

from typing import Any, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

INTRO = """\
**troubleshooter** finds why a Cloud Run service or job cannot reach its Cloud SQL database.

1. **Target** — the service or job (flags, gcloud defaults, or the picker).
2. **Symptom** — what you see. The probes read the recent logs and tick the symptom they show.
3. **Walk** — the decision graph, step by step: each check's question, *why it matters*,
   and the evidence (API fields, log lines). Questions no probe can answer are asked of you.
4. **Root causes** — each with its evidence and its fix: the exact `gcloud` command (copy it),
   the change it makes, its risk. Applying asks first, then re-runs the probes to verify.
5. **Graph** — browse every symptom, check and cause the tool knows (press `g`).

`ctrl+p` opens the command palette: every action, searchable.
"""


def key_table(sections: Sequence[tuple[str, Sequence[Binding | Any]]]) -> str:
    """A markdown table of the keys each part of the app has (the app hands over the bindings)."""
    rows = ["| where | key | does |", "|---|---|---|"]
    for where, bindings in sections:
        for b in bindings:
            if isinstance(b, Binding) and b.description:
                keys = b.key_display or b.key.replace(",", " / ").replace("question_mark", "?")
                does = (b.tooltip or b.description).replace("<", "&lt;").replace(">", "&gt;")
                rows.append(f"| {where} | `{keys}` | {does} |")
    return "\n".join(rows)


class HelpScreen(ModalScreen[None]):
    """Keys and the flow; escape closes."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close", id="help-close",
                        tooltip="Close the help")]

    def __init__(self, sections: Sequence[tuple[str, Sequence[Binding | Any]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(id="help-body", classes="modal-body") as body:
            body.border_title = "Help"
            with VerticalScroll():
                yield Markdown(INTRO + "\n\n" + key_table(self.sections))

    def action_close(self) -> None:
        self.dismiss(None)
