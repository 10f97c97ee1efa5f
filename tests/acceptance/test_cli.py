"""The command-line contract (shared/spec/cli.md): exit codes, one-line errors, JSON shape."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from troubleshooter.cli import main


def run(monkeypatch, capsys, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["troubleshooter", *args])
    for key in ("CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_RUN_REGION"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", "/nonexistent-gcloud-config")
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_diagnose_json_has_the_contract_shape(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "diagnose", "--world", "telepay-missing-attachment", "--format", "json")
    assert code == 1, err
    doc = json.loads(out)
    assert doc["target"] == {"project": "telepay-459221", "region": "us-central1", "service": "gcdonationhandler-10-26"}
    cause = doc["rootCauses"][0]
    assert cause["id"] == "cloudsql-not-attached"
    assert cause["title"] and cause["summary"]
    assert {"probe", "field", "value", "source"} <= set(cause["evidence"][0])
    assert cause["fix"]["automatic"] is True
    assert cause["fix"]["commands"][0].startswith("gcloud run services update gcdonationhandler-10-26 ")
    assert "--add-cloudsql-instances=telepay-459221:us-central1:telepaypsql" in cause["fix"]["commands"][0]
    assert doc["path"][:1] == ["symptom:socket-not-found"]
    assert doc["path"].index("check:attachment") + 1 == doc["path"].index("cause:cloudsql-not-attached")
    assert {p["id"] for p in doc["probes"]} >= {"run-config", "sql-instances", "iam", "logs"}
    for probe in doc["probes"]:
        assert set(probe) == {"id", "outcome", "durationMs", "error"}


def test_healthy_world_exits_zero_and_text_says_so(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "diagnose", "--world", "healthy-baseline")
    assert code == 0
    assert "No root cause found" in out


def test_symptom_flag_and_unknown_symptom(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "diagnose", "--world", "telepay-missing-attachment",
                       "--format", "json", "--symptom", "unknown")
    assert code == 1 and json.loads(out)["symptoms"] == ["unknown"]
    code, _, err = run(monkeypatch, capsys, "diagnose", "--world", "telepay-missing-attachment", "--symptom", "nope")
    assert code == 2 and err.count("\n") == 1 and "--symptom 'nope': unknown symptom" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["diagnose", "--service", "x"], "missing --project, --region"),
        (["diagnose", "--world", "no-such-scenario"], "no-such-scenario"),
        (["diagnose", "--world", "healthy-baseline", "--service", "ghost"], "not found"),
        (["diagnose", "--world", "healthy-baseline", "--format", "xml"], "Invalid value for '--format'"),
        (["demo", "no-such-scenario"], "no-such-scenario"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(monkeypatch, capsys, args, message):
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_malformed_world_file_is_one_line(monkeypatch, capsys, tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "target": {"project": "p"}}', encoding="utf-8")
    code, _, err = run(monkeypatch, capsys, "diagnose", "--world", str(bad))
    assert code == 2 and "Traceback" not in err
    line = err.strip()
    assert "\n" not in line and str(bad) in line and "target" in line


def test_unreachable_google_cloud_exits_3(monkeypatch, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {f"CLOUDSDK_API_ENDPOINT_OVERRIDES_{api}": f"http://127.0.0.1:{port}/"
           for api in ("RUN", "SQLADMIN", "CLOUDRESOURCEMANAGER", "LOGGING", "SERVICEUSAGE")}
    code, _, err = run(monkeypatch, capsys, "diagnose", "--project", "p", "--region", "r", "--service", "s", env=env)
    assert code == 3
    assert "could not reach the API" in err and "Traceback" not in err


def test_list_scenarios_and_graph(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "demo", "--list")
    assert code == 0 and "telepay-missing-attachment" in out and "healthy-baseline" in out
    code, out, _ = run(monkeypatch, capsys, "graph", "--format", "mermaid")
    assert code == 0 and out.startswith("flowchart TD")


def test_sandbox_command_prints_export_lines():
    proc = subprocess.Popen(
        [sys.executable, "-m", "troubleshooter", "sandbox", "--world", "telepay-missing-attachment"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(5)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert all(line.startswith("export CLOUDSDK_API_ENDPOINT_OVERRIDES_") for line in lines), lines
    assert any("_SQLADMIN=http://127.0.0.1:" in line for line in lines)
