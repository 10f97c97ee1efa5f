"""`troubleshooter fix`: plan, dry run, consent, refusals, exit codes, --save-world."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import fixes_worlds as fw
import pytest
from cases import engine_for
from click.testing import CliRunner

from troubleshooter.cli import cli
from troubleshooter.engine.run import diagnose
from troubleshooter.engine.tree import load_graph
from troubleshooter.errors import BadInput
from troubleshooter.fixes import iam
from troubleshooter.fixes.base import Refused
from troubleshooter.fixes.instance import check_network
from troubleshooter.gateway import Gateway
from troubleshooter.model import Target
from troubleshooter.sandbox import Sandbox
from troubleshooter.session import Session
from troubleshooter.world import load_world, world_from_data

GRAPH = load_graph()
WRITES = ("UpdateService", "UpdateJob", "SetIamPolicy", "Patch", "EnableService")


def run(*args: str) -> tuple[int, str, str]:
    """The command in-process, with main()'s mapping of BadInput to exit 2."""
    result = CliRunner().invoke(cli, list(args), standalone_mode=False)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        if isinstance(exc, BadInput):
            return 2, result.stdout, result.stderr + str(exc)
        raise exc
    return result.exit_code, result.stdout, result.stderr


def world_file(tmp_path: Path, data: dict[str, Any], name: str = "world.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def public_ip_app(w: dict[str, Any]) -> None:
    app = fw.app(w)
    app["env"] = [e for e in app["env"] if e["name"] != "INSTANCE_CONNECTION_NAME"]
    app["env"][:0] = [{"name": "DB_HOST", "value": "34.41.7.9"}, {"name": "DB_PORT", "value": "5432"}]


def _networks(path: str) -> list[str]:
    world = load_world(path)
    return [n["value"] for n in world.instances[0]["settings"]["ipConfiguration"]["authorizedNetworks"]]


def _volumes(path: str) -> list[dict[str, Any]]:
    return load_world(path).services[0]["template"].get("volumes", [])


# --------------------------------------------------------------------------- the command


def test_dry_run_shows_the_plan_and_changes_nothing(tmp_path: Path) -> None:
    src = world_file(tmp_path, fw.variant("service", fw.not_attached))
    out = str(tmp_path / "after.json")
    code, stdout, _ = run("fix", "cloudsql-not-attached", "--world", src, "--dry-run", "--save-world", out)
    assert code == 1
    assert (f"gcloud run services update {fw.SERVICE} --region={fw.R} --project={fw.P} "
            f"--add-cloudsql-instances={fw.CN}") in stdout
    assert "template.volumes" in stdout and "before:" in stdout and "after:" in stdout
    assert "Dry run: nothing was changed." in stdout
    assert _volumes(out) == _volumes(src)


def test_yes_applies_verifies_and_saves_the_world(tmp_path: Path) -> None:
    src = world_file(tmp_path, fw.variant("service", fw.not_attached))
    out = str(tmp_path / "after.yaml")
    code, stdout, stderr = run("fix", "cloudsql-not-attached", "--world", src, "--yes", "--save-world", out)
    assert code == 0, stdout + stderr
    assert "Verified: cloudsql-not-attached is gone" in stdout
    assert "UpdateService finished" in stderr
    assert {"name": "cloudsql", "cloudSqlInstance": {"instances": [fw.CN]}} in _volumes(out)
    code, stdout, _ = run("diagnose", "--world", out, "--format", "json")
    assert code == 0 and json.loads(stdout)["rootCauses"] == []


def test_without_a_terminal_it_refuses_to_ask(tmp_path: Path) -> None:
    src = world_file(tmp_path, fw.variant("service", fw.not_attached))
    code, _, stderr = run("fix", "cloudsql-not-attached", "--world", src)
    assert code == 2
    assert "--yes" in stderr and "--dry-run" in stderr


def test_the_real_entry_point_exits_2_without_a_terminal(tmp_path: Path) -> None:
    src = world_file(tmp_path, fw.variant("service", fw.not_attached))
    proc = subprocess.run([sys.executable, "-m", "troubleshooter", "fix", "cloudsql-not-attached", "--world", src],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "pass --yes" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [
    ("fix", "no-such-cause", "--world", "WORLD"),
    ("fix", "cloudsql-not-attached", "--world", "WORLD", "--yes", "--dry-run"),
    ("fix", "cloudsql-not-attached", "--project", "p", "--region", "r", "--service", "s", "--save-world", "x.json"),
    ("fix", "cloudsql-not-attached", "--world", "WORLD", "--symptom", "no-such-symptom"),
    ("fix", "cloudsql-not-attached", "--world", "WORLD", "--authorize-network", "198.51.100.7/32"),
])
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    src = world_file(tmp_path, fw.healthy())
    code, _, _ = run(*[src if a == "WORLD" else a for a in args])
    assert code == 2


def test_a_cause_that_is_not_there_is_nothing_to_fix(tmp_path: Path) -> None:
    src = world_file(tmp_path, fw.variant("service", fw.not_attached))
    code, stdout, _ = run("fix", "instance-stopped", "--world", src, "--yes")
    assert code == 0
    assert "instance-stopped is not present" in stdout and "cloudsql-not-attached" in stdout


def test_a_manual_cause_prints_its_steps_and_exits_1() -> None:
    code, stdout, _ = run("fix", "app-uses-localhost-tcp", "--world", "twenty-crm-localhost", "--yes")
    assert code == 1
    assert "Steps:" in stdout and "/cloudsql/tracepoint-d4c9d:us-east1:tracepoint-top-db" in stdout
    assert "tw3nty-demo-pw" not in stdout, "the DSN's password is never shown"


def test_read_only_shows_the_plan_and_writes_nothing(tmp_path: Path) -> None:
    src = world_file(tmp_path, fw.variant("service", fw.not_attached))
    out = str(tmp_path / "after.json")
    code, stdout, stderr = run("fix", "cloudsql-not-attached", "--world", src, "--yes", "--read-only",
                               "--save-world", out)
    assert code == 1
    assert "--add-cloudsql-instances" in stdout and "Read-only" in stderr
    assert _volumes(out) == _volumes(src)


# --------------------------------------------------------------------------- authorized networks


def test_open_to_the_world_is_refused_even_when_typed(tmp_path: Path) -> None:
    src = world_file(tmp_path, fw.variant("service", public_ip_app))
    out = str(tmp_path / "after.json")
    code, _, stderr = run("fix", "app-uses-public-ip-unauthorized", "--world", src, "--yes",
                          "--authorize-network", "0.0.0.0/0", "--save-world", out)
    assert code == 2
    assert "refusing to authorize 0.0.0.0/0" in stderr
    assert _networks(out) == ["203.0.113.0/28"]


def test_a_typed_network_is_added_keeping_the_others(tmp_path: Path) -> None:
    src = world_file(tmp_path, fw.variant("service", public_ip_app))
    out = str(tmp_path / "after.json")
    code, stdout, _ = run("fix", "app-uses-public-ip-unauthorized", "--world", src, "--yes",
                          "--authorize-network", "198.51.100.7", "--save-world", out)
    assert code in (0, 1)
    # --authorized-networks replaces the list: the command carries the existing entry too.
    assert (f"gcloud sql instances patch {fw.I} --project={fw.P} "
            "--authorized-networks=203.0.113.0/28,198.51.100.7/32") in stdout
    assert _networks(out) == ["203.0.113.0/28", "198.51.100.7/32"]
    after = load_world(out).instances[0]["settings"]
    assert after["databaseFlags"] == [{"name": "max_connections", "value": "200"}]
    assert after["ipConfiguration"]["sslMode"] == "ENCRYPTED_ONLY"


@pytest.mark.parametrize("cidr,typed,ok", [
    ("0.0.0.0/0", True, False),
    ("10.0.0.0/8", True, False),
    ("10.20.0.0/16", False, False),
    ("10.20.0.0/16", True, True),
    ("198.51.100.0/24", False, True),
    ("198.51.100.7", False, True),
    ("not-a-network", True, False),
])
def test_network_width_rules(cidr: str, typed: bool, ok: bool) -> None:
    if ok:
        assert check_network(cidr, typed_by_user=typed)
    else:
        with pytest.raises(Refused):
            check_network(cidr, typed_by_user=typed)


# --------------------------------------------------------------------------- roles, read-only, consent


@pytest.mark.parametrize("role", ["roles/editor", "roles/owner", "roles/cloudsql.admin", "roles/cloudsql.editor"])
def test_broad_roles_are_refused_before_any_call(role: str) -> None:
    world = world_from_data(fw.variant("service", fw.missing_role))
    with Sandbox(world) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        with pytest.raises(Refused, match="only roles/cloudsql.client"):
            iam.grant(gateway, fw.P, f"serviceAccount:{fw.SA}", role, lambda _: None)
        assert sandbox.calls.count("cloudresourcemanager") == 0

        # A diagnosis that (wrongly) asked for more is refused and recorded, not applied.
        t = world.target
        session = Session(target=Target(t.project, t.region, t.service, t.job), graph=GRAPH)
        session.add_diagnosis(diagnose(session.target, gateway, GRAPH))
        cause = session.current.causes[0]
        cause.fix = dataclasses.replace(cause.fix, role=role)
        applied = engine_for(session, gateway).apply("missing-cloudsql-client-role")
        assert sandbox.calls.count("cloudresourcemanager", "SetIamPolicy") == 0
        gateway.close()
    assert applied.outcome == "refused" and role in (applied.error or "")
    assert session.timeline[-1].kind == "fix" and "refused" in session.timeline[-1].text


def test_read_only_session_refuses_before_any_write() -> None:
    world = world_from_data(fw.variant("service", fw.missing_role))
    with Sandbox(world) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        t = world.target
        session = Session(target=Target(t.project, t.region, t.service, t.job), graph=GRAPH, read_only=True)
        applied = engine_for(session, gateway).apply("missing-cloudsql-client-role")
        writes = [c for c in sandbox.calls if c.method in WRITES]
        gateway.close()
    assert applied.outcome == "refused" and "read-only" in (applied.error or "")
    assert writes == []


def test_a_declined_confirmation_changes_nothing() -> None:
    world = world_from_data(fw.variant("service", fw.stopped))
    with Sandbox(world) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        t = world.target
        session = Session(target=Target(t.project, t.region, t.service, t.job), graph=GRAPH)
        shown = []
        applied = engine_for(session, gateway).apply("instance-stopped", confirm=lambda plan: shown.append(plan) or False)
        writes = [c for c in sandbox.calls if c.method in WRITES]
        gateway.close()
    assert applied.outcome == "cancelled" and writes == []
    assert shown and shown[0].commands == [f"gcloud sql instances patch {fw.I} --project={fw.P} --activation-policy=ALWAYS"]
