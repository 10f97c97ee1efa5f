"""Plain-terminal rendering of a diagnosis (rich), for `troubleshooter diagnose --format text`."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from troubleshooter.diagnosis import Diagnosis, Reported
from troubleshooter.redact import redact

OUTCOME_STYLE = {
    "ok": ("✓", "green"),
    "failed": ("✗", "red"),
    "uncertain": ("?", "yellow"),
    "skipped": ("–", "dim"),
    "pending": ("…", "cyan"),
    "entry": ("▶", "bold"),
    "reached": ("●", "bold"),
    "unanswered": ("?", "yellow"),
}


def _unread_secrets(d: Any) -> list[str]:
    """The secrets whose values would answer how the app connects, when consent was not given."""
    from troubleshooter.probes.secrets import payload_uses

    if d.obs.read_secrets:
        return []
    return list(dict.fromkeys(u.secret for u in payload_uses(d.obs.secret_uses)))


def _value(value: Any, limit: int = 140) -> str:
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, (list, dict)) else str(value)
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _path_tree(d: Diagnosis) -> Tree:
    tree = Tree(Text("Decision path", style="bold"))
    for step in d.walk.steps:
        mark, style = OUTCOME_STYLE.get(step.outcome, ("·", ""))
        label = Text.assemble((f"{mark} ", style), (step.node.title, style if step.node.kind in
                              ("cause", "finding") else ""), (f"  [{step.node.id}]", "dim"))
        tree.add(label)
    return tree


def _cause_panel(item: Reported, index: int) -> Panel:
    parts: list[Any] = [Text(redact(item.summary)), Text(""), Text(item.why, style="dim")]
    if item.evidence:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("evidence")
        table.add_column("value", overflow="fold")
        table.add_column("source", style="dim")
        for ev in item.evidence:
            table.add_row(escape(ev.field), escape(_value(ev.value)), escape(ev.resource or ev.source))
        parts += [Text(""), table]
    if item.expected_actual:
        table = Table("", "expected", "actual", box=None, header_style="bold")
        for what, expected, actual in item.expected_actual:
            table.add_row(escape(what), escape(redact(str(expected))), escape(redact(str(actual))))
        parts += [Text(""), table]
    if not item.commands and item.steps:
        parts += [Text(""), Text("Fix (manual)", style="bold")]
        parts += [Text(f"  • {redact(step)}", style="cyan") for step in item.steps]
    if item.risk:
        parts.append(Text(f"Risk: {item.risk}", style="dim"))
    title = f"{index}. {item.title}  [{item.id}]"
    return Panel(Group(*parts), title=escape(title), title_align="left", border_style="red")


def _commands(item: Reported, console: Console) -> None:
    """Fix commands below the panel, never wrapped, so they can be copied whole."""
    if not item.commands:
        return
    how = f"troubleshooter fix {item.id}" if item.automatic else "by hand"
    console.print(Text(f"  Fix ({how}):", style="bold"))
    for command in item.commands:
        console.print(Text(f"  $ {redact(command)}", style="cyan"), soft_wrap=True)


def _unexplained(d: Diagnosis, console: Console) -> None:
    """Verdict `unexplained`: what the logs show, what was ruled out, what to look at next."""
    console.print(Text("Unexplained: the logs show database-connection errors that no known cause "
                       "explains. This is not healthy.", style="bold yellow"))
    table = Table("signal", "count", "first", "last", "example (redacted)", box=None, header_style="bold")
    for m in d.signals:
        example = redact(m.lines[0]) if m.lines else ""
        table.add_row(escape(m.symptom), str(m.count), escape(m.first_seen), escape(m.last_seen),
                      escape(example if len(example) <= 90 else example[:89] + "…"))
    console.print(table)
    ruled = [s.node.spec.check or s.node.short for s in d.ruled_out]
    if ruled:
        console.print(Text(f"  Ruled out: {', '.join(ruled)}", style="dim"))
    console.print(Text("  Look at next:", style="bold"))
    for step in d.next_steps():
        console.print(Text(f"  → {redact(step)}", style="cyan"), soft_wrap=True)


def render_text(d: Diagnosis, console: Console) -> None:
    t = d.target
    console.print(Text.assemble(("Target  ", "bold"), t.describe()))
    console.print(Text.assemble(("Symptom ", "bold"), ", ".join(d.symptoms), (f"  (from {d.symptom_source})", "dim")))
    console.print()
    if d.causes:
        console.print(Text(f"{len(d.causes)} root cause(s) found", style="bold red"))
        for i, item in enumerate(d.causes, 1):
            console.print(_cause_panel(item, i))
            _commands(item, console)
    elif d.verdict == "unexplained":
        _unexplained(d, console)
    elif d.verdict == "inconclusive":
        console.print(Text("No root cause found, but some checks could not decide:", style="bold yellow"))
        if d.logs_unread:
            console.print(Text("  ? The logs could not be read, so errors there may go unseen.", style="yellow"))
    else:
        console.print(Text("No root cause found: the connection path looks healthy.", style="bold green"))
    doubts: dict[str, list[str]] = {}
    for step in d.uncertain:
        doubts.setdefault(step.result.summary if step.result else "", []).append(step.node.title)
    for summary, titles in doubts.items():
        if len(titles) > 1:
            console.print(Text(f"  ? {len(titles)} checks could not decide: {redact(summary)}", style="yellow"))
            for title in titles:
                console.print(Text(f"      {title}", style="yellow"))
        else:
            console.print(Text(f"  ? {titles[0]}: {redact(summary)}", style="yellow"))
    for step in d.walk.steps:
        if step.node.kind == "question" and step.outcome == "unanswered":
            choices = ", ".join(step.node.spec.choices)
            console.print(Text(f"  → {step.node.title} Answer with --answer {step.node.short}=CHOICE "
                               f"({choices}) to decide these.", style="bold yellow"))
            if step.node.short == "app-connection" and (hidden := _unread_secrets(d)):
                console.print(Text(f"  → Or let the tool read {', '.join(hidden)} from Secret Manager: "
                                   "--read-secrets (the values are never shown).", style="bold yellow"))
    if d.findings:
        console.print()
        console.print(Text("Findings (security and hygiene)", style="bold"))
        for f in d.findings:
            console.print(Text.assemble((f"  ! [{f.severity}] ", "magenta"), f.title, ": ", redact(f.summary)))
    console.print()
    console.print(_path_tree(d))
    console.print()
    table = Table("probe", "outcome", "ms", "note", title="Probes", title_justify="left", box=None)
    for p in d.probes.values():
        mark, style = OUTCOME_STYLE[p.outcome.value]
        table.add_row(p.probe, Text(f"{mark} {p.outcome.value}", style=style), str(p.duration_ms),
                      escape(redact(p.summary))[:100])
    console.print(table)
