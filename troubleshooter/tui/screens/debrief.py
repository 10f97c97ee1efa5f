"""DebriefScreen: what the learner named against what holds, their checks against the graph's walk,
what the detours cost in API calls and what the real incident cost; then the fix and the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, Static

from troubleshooter.redact import redact
from troubleshooter.tui import messages as m
from troubleshooter.tui.marks import glyph

if TYPE_CHECKING:
    from troubleshooter.training import Attempt, Debrief, Drill


class DebriefScreen(Screen[None]):
    """The debrief of one try: verdict, path, cost, the fix and its prevention, the resolution."""

    AUTO_FOCUS = "#debrief-body"
    BINDINGS = [
        Binding("r", "retry", "Retry", id="debrief-retry", tooltip="Try this incident again from the start"),
        Binding("escape", "back", "Scenarios", id="debrief-back", tooltip="Back to the list of incidents"),
    ]

    def __init__(self, drill: "Drill", attempt: "Attempt", result: "Debrief", progress: str = "") -> None:
        super().__init__()
        self.drill, self.attempt, self.result, self.progress = drill, attempt, result, progress

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.headline(), id="debrief-head", classes="screen-head")
        with VerticalScroll(id="debrief-body", classes="pane-right"):
            yield Static(self.verdict(), id="debrief-verdict")
            yield Static(self.paths(), id="debrief-path")
            yield Static(self.incident_cost(), id="debrief-cost")
            yield Static(self.fixes(), id="debrief-fix")
            yield Markdown(f"## What happened\n\n{self.drill.resolution}" if self.drill.resolution else "",
                           id="debrief-resolution")
        yield Footer(compact=True)

    def headline(self) -> str:
        verdict = "[$success][b]Solved[/b][/]" if self.result.solved else "[$error][b]Not yet[/b][/]"
        tail = f" · {escape(self.progress)}" if self.progress else ""
        return f"[b]Debrief[/b]: {escape(self.drill.title)} · {verdict}{tail}"

    def cause_title(self, cause: str) -> str:
        return dict(self.drill.catalog).get(cause, cause)

    def verdict(self) -> str:
        r = self.result
        lines = ["[b]Your answer against what holds[/b]"]
        lines += [f"  {glyph('ok')} {escape(self.cause_title(c))} [$text-muted]{c} · holds[/]" for c in r.right]
        lines += [f"  {glyph('failed')} {escape(self.cause_title(c))} [$text-muted]{c} · does not hold[/]" for c in r.wrong]
        lines += [f"  {glyph('cause')} {escape(self.cause_title(c))} [$text-muted]{c} · holds, not named[/]"
                  for c in r.missed]
        if not self.drill.holds:
            lines.append("  [$text-muted]Nothing holds here: every check passes. The answer was \"healthy\".[/]")
        return "\n".join(lines)

    def paths(self) -> str:
        r, drill = self.result, self.drill
        symptoms = ", ".join(drill.symptom_titles) or "the symptom"
        on_path = set(drill.path)
        mine = [f"  {i}. {glyph(drill.check(n).outcome)} {escape(drill.check(n).title)} "
                f"[$text-muted]{drill.check(n).calls} calls{'' if n in on_path else ' · off the graph’s path'}[/]"
                for i, n in enumerate(self.attempt.ran, 1)] or ["  [$text-muted](no check run)[/]"]
        graph = [f"  {i}. {glyph(drill.check(n).outcome)} {escape(drill.check(n).title)}"
                 f"{'' if n in self.attempt.ran else ' [$text-muted]· you did not run it[/]'}"
                 for i, n in enumerate(drill.path, 1)]
        extra = ", ".join(f"{escape(drill.check(n).title)} ({calls})" for n, calls in r.extra)
        cost = (f"[b]API calls[/b] you: {r.calls_spent} · the graph's walk: {r.calls_path}"
                + (f" · off the path: {r.calls_wasted} ({extra})" if r.extra else " · no check off the path")
                + "\n[$text-muted]Each check counted alone: the calls its probes make on the sandbox.[/]")
        why = ("[$text-muted]The graph runs upstream checks first: each one that passes rules a cause out "
               "before a later check could be misread.[/]")
        return "\n".join(["[b]Your checks[/b]", *mine, "",
                          f"[b]The graph's walk[/b] from {escape(symptoms)}, up to its last cause", *graph, why, "",
                          cost])

    def incident_cost(self) -> str:
        costs = self.drill.cost
        if not costs:
            return "[b]The real incident[/b]\n  [$text-muted]Made up for the sandbox: no write-up, no cost to quote.[/]"
        lines = ["[b]What the real incident cost[/b]"]
        for c in costs:
            lines.append(f"  • {escape(c.figure)}\n    [$text-muted]{escape(c.source)}: “{escape(c.quote)}”[/]")
        return "\n".join(lines)

    def fixes(self) -> str:
        lines: list[str] = []
        for item in self.drill.causes:
            lines.append(f"[b]Fix: {escape(item.title)}[/b] [$text-muted]{escape(item.id)}[/]")
            lines.append(f"  {escape(redact(item.summary))}")
            fix = item.commands or [f"{i}. {s}" for i, s in enumerate(item.steps, 1)]
            lines += [f"  [$accent]{escape(redact(c))}[/]" for c in fix]
            if item.prevention:
                lines.append("  [b]Prevention[/b]")
                lines += [f"  • {escape(p)}" for p in item.prevention]
            lines.append("")
        return "\n".join(lines).rstrip() or "[b]Fix[/b]\n  [$text-muted]Nothing to fix.[/]"

    def selected_command(self) -> str | None:
        """What the app's copy key copies here: the fix commands of the causes that hold."""
        commands = [c for item in self.drill.causes for c in item.commands]
        return "\n".join(commands) or None

    def action_retry(self) -> None:
        self.post_message(m.RetryWanted(self.drill))

    def action_back(self) -> None:
        self.post_message(m.ScenariosWanted())
