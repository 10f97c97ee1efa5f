"""The wheel ships every package of the source tree (the list in pyproject.toml is explicit)."""

from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "troubleshooter").rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages"
