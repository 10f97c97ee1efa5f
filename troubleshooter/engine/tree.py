"""The built-in decision tree, validated against the checks, probes and fixes that exist (the
graph module itself knows none of them: they are handed to it here)."""

from __future__ import annotations

from pathlib import Path

from troubleshooter.checks import REGISTRY
from troubleshooter.checks.routing import ROUTE_CHECKS
from troubleshooter.errors import BadInput
from troubleshooter.fixes import FIX_IDS
from troubleshooter.graph import DecisionGraph, build_graph, parse_tree, trees_dir
from troubleshooter.probes import REGISTRY as PROBES


def load_graph(path: str | Path | None = None) -> DecisionGraph:
    """Load and validate a decision tree (the built-in one by default)."""
    path = Path(path) if path else trees_dir() / "cloudrun-cloudsql.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read decision tree: {exc.strerror or exc}") from None
    tree = parse_tree(text, str(path))
    checks = {**REGISTRY, **ROUTE_CHECKS}
    return build_graph(tree, str(path), known_checks=checks, known_probes=PROBES, known_fixes=FIX_IDS)
