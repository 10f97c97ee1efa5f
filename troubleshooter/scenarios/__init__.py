"""The built-in demo scenarios: world files shipped inside the package, listed by slug."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from troubleshooter.errors import BadInput

# Teaching order: the seed incidents from the simplest story to the subtlest, the made-up
# network case, and the healthy baseline last (what "nothing wrong" looks like).
# Files not named here are listed after these, alphabetically, before the baseline.
_ORDER = (
    "telepay-missing-attachment",
    "survey-bot-missing-role",
    "twenty-crm-localhost",
    "twenty-crm-url-validator",
    "saleor-job-open-network",
    "gchostpay3-revision-not-ready",
    "private-ip-no-egress",
)
_LAST = "healthy-baseline"
_SUFFIXES = (".yaml", ".yml", ".json")

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ScenarioInfo:
    """One built-in scenario: its slug, its headline, and the world file that holds it."""

    name: str
    title: str
    path: Path


def _package_dir() -> Path:
    # A normal (unzipped) install, wheel or editable, gives a real directory.
    return Path(str(resources.files(__name__)))


def _files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for entry in _package_dir().iterdir():
        if entry.suffix in _SUFFIXES and entry.is_file() and not entry.name.startswith("_"):
            found.setdefault(entry.stem, entry)
    return found


def _rank(name: str) -> tuple[int, int, str]:
    if name == _LAST:
        return (2, 0, name)
    if name in _ORDER:
        return (0, _ORDER.index(name), name)
    return (1, 0, name)


def scenario_names() -> list[str]:
    """Slugs of the built-in scenarios, in teaching order."""
    return sorted(_files(), key=_rank)


def scenario_path(name: str) -> Path:
    """The world file of the built-in scenario `name`; BadInput naming the valid ones if unknown."""
    files = _files()
    if name not in files:
        valid = ", ".join(sorted(files, key=_rank))
        raise BadInput(f"unknown scenario {name!r}; valid scenarios: {valid}")
    return files[name]


def list_scenarios() -> list[ScenarioInfo]:
    """Every built-in scenario with its title, in teaching order (healthy baseline last)."""
    infos = []
    files = _files()
    for name in sorted(files, key=_rank):
        path = files[name]
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_Loader) or {}
        infos.append(ScenarioInfo(name=name, title=str(data.get("title", name)), path=path))
    return infos


__all__ = ["ScenarioInfo", "list_scenarios", "scenario_names", "scenario_path"]


def scenario_description(path: Path) -> str:
    """The markdown `description` of a world file (the scenario picker shows it)."""
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_Loader) or {}
    return str(data.get("description", "")).strip()


def scenario_resolution(path: Path) -> str:
    """The markdown resolution of a world file: its causes and fix (after a debrief, or on demand)."""
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_Loader) or {}
    resolution = data.get("resolution")
    return str(resolution.get("text", "")).strip() if isinstance(resolution, dict) else ""
