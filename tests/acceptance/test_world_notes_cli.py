"""What the loader did to a --world file (World.notes: a v1 service converted to v2...) is said on
stderr, one line each, by every command that opens the world; stdout stays the report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from cases import base, loopback_only
from troubleshooter.cli import main

EXPORT = Path(__file__).parents[1] / "data" / "knative" / "orders-api.export.yaml"
CHECK_FILE = Path(__file__).parents[1] / "fixtures" / "check" / "telepay-export.yaml"


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["troubleshooter", *args])
    for key in ("CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_RUN_REGION"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", "/nonexistent-gcloud-config")
    with loopback_only(), pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture
def v1_world(tmp_path: Path) -> Path:
    w = base()
    w["name"] = "v1-export"
    w["services"] = [yaml.safe_load(EXPORT.read_text(encoding="utf-8"))]
    path = tmp_path / "v1.yaml"
    path.write_text(yaml.safe_dump(w, sort_keys=False), encoding="utf-8")
    return path


def _notes(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.startswith("troubleshooter: note: ")]


def test_diagnose_says_the_loader_notes_on_stderr(monkeypatch, capsys, v1_world: Path) -> None:
    code, out, err = run(monkeypatch, capsys, "diagnose", "--world", str(v1_world), "--format", "json")
    assert code == 0, err
    json.loads(out)  # stdout is still exactly the report
    notes = _notes(err)
    assert len(notes) == 1 and "v1 (Knative)" in notes[0] and "converted" in notes[0]
    assert str(v1_world) in notes[0]  # where: the file the note is about


def test_check_says_them_too(monkeypatch, capsys, v1_world: Path) -> None:
    code, _out, err = run(monkeypatch, capsys, "check", str(CHECK_FILE), "--world", str(v1_world),
                          "--format", "json")
    assert code in (0, 1, 4), err
    assert len(_notes(err)) == 1


def test_a_world_without_notes_says_nothing(monkeypatch, capsys) -> None:
    code, _out, err = run(monkeypatch, capsys, "diagnose", "--world", "healthy-baseline", "--format", "json")
    assert code == 0 and _notes(err) == []
