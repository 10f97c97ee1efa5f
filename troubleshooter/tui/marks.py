"""How a status looks: one glyph and one theme variable per probe outcome or walk step."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

    from troubleshooter.graph import Step

MARKS: dict[str, tuple[str, str]] = {
    "ok": ("✓", "success"),
    "failed": ("✗", "error"),
    "uncertain": ("?", "warning"),
    "skipped": ("–", "text-muted"),
    "running": ("…", "accent"),
    "pending": ("…", "accent"),
    "waiting": ("·", "text-muted"),
    "entry": ("▶", "primary"),
    "answered": ("◆", "accent"),
    "unanswered": ("?", "warning"),
    "cause": ("●", "error"),
    "finding": ("!", "warning"),
    "healthy": ("✓", "success"),
}

WORDS = {
    "ok": "ok",
    "failed": "failed: the cause holds",
    "uncertain": "uncertain: could not decide",
    "skipped": "skipped: does not apply",
    "pending": "running: waiting for its probes",
    "entry": "where the walk starts",
    "answered": "answered",
    "unanswered": "waiting for your answer",
    "cause": "root cause",
    "finding": "finding",
    "healthy": "healthy",
}


def step_status(step: "Step") -> str:
    """running | ok | failed | uncertain | skipped, or what a symptom/question/leaf step is."""
    kind = step.node.kind
    if step.pending:
        return "pending"
    if kind == "question":
        return "unanswered" if step.outcome == "unanswered" else "answered"
    if kind in ("cause", "finding", "healthy"):
        return kind
    return step.outcome


def glyph(status: str) -> str:
    """Content markup for a status glyph, coloured by the theme."""
    mark, var = MARKS.get(status, ("·", "text-muted"))
    return f"[${var}]{mark}[/]"


def rich_style(app: "App[object]", status: str) -> str:
    """A Rich style for a status, from the theme's variables (Tree labels are Rich Text)."""
    var = MARKS.get(status, ("·", "text-muted"))[1]
    colour = app.theme_variables.get(var, "")
    return f"bold {colour}" if status in ("failed", "cause") else colour
