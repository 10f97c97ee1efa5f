"""ProbeBoard: every probe of the run with its live status (waiting, running, ok, failed, uncertain)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from troubleshooter.tui.marks import glyph

if TYPE_CHECKING:
    from troubleshooter.engine.run import DiagnosisRun


class ProbeBoard(Static):
    """One line per run: `✓ run-config  … logs  ? iam`, then a count."""

    def show(self, run: "DiagnosisRun | None") -> None:
        if run is None:
            self.update("[$text-muted]Probes start once the target is known.[/]")
            return
        parts = [f"{glyph(status)} {pid}" for pid, status in run.status.items()]
        done = len(run.results)
        head = ("[b]Probes[/b] " + (f"[$success]all {done} done[/]" if run.done
                                   else f"[$accent]{done}/{len(run.probe_ids)} done[/]"))
        self.update(head + "  " + "  ".join(parts))
