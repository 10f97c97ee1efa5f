"""A comparison (`compare --format json`'s object) as rich text or markdown: differences first."""

from __future__ import annotations

import json
from typing import Any, Mapping

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from troubleshooter.redact import redact

_VERDICT_STYLE = {"healthy": "green", "root-causes": "red", "unexplained": "yellow", "inconclusive": "yellow"}


def value_text(value: Any, limit: int = 120) -> str:
    """One cell: lists joined, dicts as key=value, None as an em dash; redacted and cut."""
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list):
        text = ", ".join(value_text(v, limit) for v in value) if value else "(none)"
    elif isinstance(value, Mapping):
        text = " ".join(f"{k}={value_text(v, limit)}" for k, v in value.items()) or "(none)"
    else:
        text = str(value) if isinstance(value, (str, int, float)) else json.dumps(value)
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def target_label(t: Mapping[str, Any]) -> str:
    kind = "job" if t.get("job") else "service"
    return f"{kind} {t.get(kind)} ({t.get('project')}, {t.get('region')})"


def _side(doc: Mapping[str, Any], side: str) -> Text:
    verdict = (doc.get("verdicts") or {}).get(side, "")
    causes = (doc.get("rootCauses") or {}).get(side) or []
    return Text.assemble((f"{side.upper()}  ", "bold"), target_label(doc[side]), "  ",
                         (verdict, _VERDICT_STYLE.get(verdict, "")),
                         (f": {', '.join(causes)}" if causes else "", "dim"))


def list_delta(a: Any, b: Any) -> tuple[str, str] | None:
    """For two lists: what only A has and what only B has (a long list reads better so)."""
    if not (isinstance(a, list) and isinstance(b, list)) or not (a and b):
        return None
    only_a = [x for x in a if x not in b]
    only_b = [x for x in b if x not in a]
    return ("only A: " + value_text(only_a, 400) if only_a else "(nothing only A has)",
            "only B: " + value_text(only_b, 400) if only_b else "(nothing only B has)")


def render_comparison(doc: Mapping[str, Any], console: Console) -> None:
    """Both targets with their verdicts, each difference (A, B, why it matters), then what is the same."""
    console.print(comparison_renderable(doc))


def comparison_renderable(doc: Mapping[str, Any]) -> Group:
    """What render_comparison prints, as one rich renderable (the TUI's comparison screen shows it)."""
    parts: list[Any] = [_side(doc, "a"), _side(doc, "b"), Text("")]
    diffs = doc.get("differences") or []
    if diffs:
        parts.append(Text(f"{len(diffs)} difference{'s' if len(diffs) != 1 else ''}", style="bold"))
        for d in diffs:
            a, b = list_delta(d.get("a"), d.get("b")) or (value_text(d.get("a")), value_text(d.get("b")))
            table = Table.grid(padding=(0, 1))
            table.add_column(width=5)
            table.add_column(overflow="fold")
            table.add_row(Text("  A", style="bold"), Text(a))
            table.add_row(Text("  B", style="bold"), Text(b))
            table.add_row(Text("  why", style="dim"), Text(d.get("why") or "", style="dim"))
            parts += [Text.assemble(("≠ ", "yellow"), (d["field"], "bold")), table]
    else:
        parts.append(Text("No connection-relevant difference.", style="green"))
    same = doc.get("same") or []
    if same:
        parts += [Text(""), Text.assemble(("Same: ", "bold"), (", ".join(same), "dim"))]
    return Group(*parts)


def comparison_markdown(doc: Mapping[str, Any]) -> str:
    """The same as a markdown section, for a write-up ("Configuration comparison: A vs B")."""

    def cell(value: Any, limit: int = 400) -> str:
        text = value if isinstance(value, str) else value_text(value, limit)
        return text.replace("|", "\\|").replace("\n", " ")

    a, b = doc["a"], doc["b"]
    verdicts = doc.get("verdicts") or {}
    lines = [f"## Configuration comparison: {a.get('service') or a.get('job')} vs {b.get('service') or b.get('job')}",
             "",
             f"- **A**: {target_label(a)}: {verdicts.get('a', '')}",
             f"- **B**: {target_label(b)}: {verdicts.get('b', '')}",
             ""]
    diffs = doc.get("differences") or []
    if diffs:
        lines += ["| field | A | B | why it matters |", "|---|---|---|---|"]
        for d in diffs:
            a, b = list_delta(d.get("a"), d.get("b")) or (value_text(d.get("a"), 400), value_text(d.get("b"), 400))
            lines.append(f"| `{d['field']}` | {cell(a)} | {cell(b)} | {cell(redact(d.get('why') or ''))} |")
    else:
        lines.append("No connection-relevant difference.")
    same = doc.get("same") or []
    if same:
        lines += ["", "Same: " + ", ".join(f"`{s}`" for s in same)]
    return "\n".join(lines) + "\n"
