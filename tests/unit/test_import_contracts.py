"""The layers hold: import-linter's contracts (pyproject.toml), and no import cycle among the
package's modules, function-level imports included (annotation-only imports never run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    # `lint-imports --no-cache`, with this interpreter (the console script may not be on PATH).
    code = "import sys; from importlinter.cli import lint_imports_command; sys.argv[1:] = ['--no-cache']; lint_imports_command()"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout and proc.stdout.count(" KEPT") >= 3


def test_no_import_cycle_among_the_modules():
    graph = grimp.build_graph("troubleshooter", exclude_type_checking_imports=True, cache_dir=None)
    edges = nx.DiGraph((m, i) for m in graph.modules for i in graph.find_modules_directly_imported_by(m))
    cycles = [sorted(c) for c in nx.strongly_connected_components(edges) if len(c) > 1]
    assert cycles == []
