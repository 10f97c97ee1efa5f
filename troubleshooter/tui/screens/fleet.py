"""FleetScreen: every target of a scan in a sortable table (verdict, causes, target), worst first;
enter opens the highlighted target's walk, escape there comes back here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from rich.text import Text
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from troubleshooter.tui import messages as m
from troubleshooter.tui.screens.base import AppAccess

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Diagnosis

# Worst first, as `troubleshooter scan` prints it (engine/fleet.py VERDICTS).
_RANK = {"root-causes": 0, "unexplained": 1, "inconclusive": 2, "healthy": 3}
_STYLE = {"root-causes": "$error", "unexplained": "$warning", "inconclusive": "$warning", "healthy": "$success"}
# Table cells are Rich text, which knows no theme variables: ANSI names follow the terminal's palette.
_CELL_STYLE = {"root-causes": "bold red", "unexplained": "yellow", "inconclusive": "yellow", "healthy": "green"}
_COLUMNS = ("verdict", "causes", "target")


def causes_of(d: "Diagnosis") -> str:
    """The causes; or the signals no cause explains; or the checks that could not decide."""
    if d.causes:
        return ", ".join(d.cause_ids)
    if d.verdict == "unexplained":
        return "unexplained: " + ", ".join(s.symptom for s in d.signals)
    if d.verdict == "inconclusive":
        return "undecided: " + (", ".join(s.node.short for s in d.uncertain) or "logs unread")
    return ""


def target_label(d: "Diagnosis") -> str:
    t = d.target
    return f"{t.kind} {t.name} ({t.project}, {t.region})"


class FleetTable(DataTable[Any]):
    """The scan's targets, one row each; enter opens the highlighted one."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Walk", id="fleet-open",
                tooltip="Open the highlighted target's walk (escape comes back to the fleet)"),
    ]


class FleetScreen(AppAccess, Screen[None]):
    """Every service and job of the scope, one verdict each."""

    AUTO_FOCUS = "#fleet-table"
    BINDINGS = [
        Binding("s", "sort", "Sort", id="fleet-sort",
                tooltip="Sort by the next column: verdict (worst first), causes, target"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort_by = "verdict"
        self.shown: object = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="fleet-head", classes="screen-head")
        yield FleetTable(id="fleet-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "revision", self.show_state)

    def show_state(self) -> None:
        self.query_one("#fleet-head", Static).update(self.headline())
        scan = self.tapp.fleet
        if scan is None or scan is self.shown:
            return
        self.shown = scan
        table = self.query_one(FleetTable)
        table.clear(columns=True)
        rows = [(d, (d.verdict, causes_of(d), target_label(d))) for d in scan.diagnoses]
        # Widths known when the columns are made: DataTable would otherwise size them to the rows
        # on its next idle, and draw the header at the labels' width until then.
        for i, column in enumerate(_COLUMNS):
            table.add_column(column, key=column, width=max([len(column), *(len(cells[i]) for _, cells in rows)]))
        for d, (verdict, causes, label) in rows:
            key = f"{d.target.project}/{d.target.region}/{d.target.kind}/{d.target.name}"
            table.add_row(Text(verdict, style=_CELL_STYLE[verdict]), Text(causes), Text(label), key=key)
        self.rows = {f"{d.target.project}/{d.target.region}/{d.target.kind}/{d.target.name}": d for d in scan.diagnoses}
        self.by_label = {target_label(d): d for d in scan.diagnoses}
        self.sort()

    def headline(self) -> str:
        scan = self.tapp.fleet
        if scan is None:
            done, total = self.tapp.fleet_progress
            return f"[b]Fleet[/b] · [$accent]scanning… {done}/{total or '?'} targets decided[/] · {escape(self.tapp.status)}"
        counts = " · ".join(f"[{_STYLE[v]}]{n} {v}[/]" for v, n in scan.summary.items() if n) or "no target"
        return (f"[b]Fleet[/b] of {escape(scan.scope.name)} ({escape(', '.join(scan.regions))}): {counts} · "
                f"sorted by {self.sort_by} · enter opens a walk")

    def sort(self) -> None:
        """Order the rows by `sort_by`, by meaning rather than by the cells' markup: each row is
        found again from its target cell (unique per target)."""
        by_label = getattr(self, "by_label", None)
        if not by_label:
            return

        def rank(label: Text) -> tuple[Any, ...]:
            d = by_label[label.plain]
            if self.sort_by == "causes":
                return (causes_of(d) == "", causes_of(d), target_label(d))
            if self.sort_by == "target":
                return (target_label(d),)
            return (_RANK[d.verdict], -len(d.causes), d.target.project, d.target.region, d.target.kind, d.target.name)

        self.query_one(FleetTable).sort("target", key=rank)
        self.query_one("#fleet-head", Static).update(self.headline())

    def action_sort(self) -> None:
        self.sort_by = _COLUMNS[(_COLUMNS.index(self.sort_by) + 1) % len(_COLUMNS)]
        self.sort()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        self.sort_by = str(event.column_key.value)
        self.sort()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        d = getattr(self, "rows", {}).get(event.row_key.value)
        if d is not None:
            self.post_message(m.FleetTargetWanted(d))
