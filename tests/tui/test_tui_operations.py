"""The TUI shows the Cloud SQL operation that closed the pool in the evidence of
stale-pooled-connections (the world of tests/sqlops_worlds.py, on the real sandbox)."""

from __future__ import annotations

from pathlib import Path

import yaml

from sqlops_worlds import pool_dies_at_maintenance
from troubleshooter.tui.app import TroubleshooterApp
from troubleshooter.tui.autopilot import at_causes
from troubleshooter.tui.launch import Launch
from troubleshooter.tui.widgets.evidence import EvidencePanel

from test_tui_app import text_of


async def test_the_maintenance_is_in_the_evidence_of_the_cause(tmp_path: Path) -> None:
    path = tmp_path / "pool.yaml"
    path.write_text(yaml.safe_dump(pool_dies_at_maintenance(), sort_keys=False), encoding="utf-8")
    app = TroubleshooterApp(Launch(demo=True, world=str(path)))
    async with app.run_test(size=(120, 40)) as pilot:
        await at_causes(app, pilot)
        assert app.state.session is not None
        assert app.state.session.current.cause_ids == ["stale-pooled-connections"]
        shown = text_of(app.screen.query_one("#cause-evidence", EvidencePanel))
        assert "operations[]" in shown and "MAINTENANCE" in shown
        assert "span" in shown and "cloud-sql-service" in shown  # when it ran, and who ran it
