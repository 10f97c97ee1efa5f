"""Secret Manager end to end: the sandbox, the real client, consent, the two causes, and no leak.

Every world here is the built-in `twenty-crm-secret-dsn` (Twenty CRM's first builds: the DSN kept
in Secret Manager) or a variant of it; every read goes through google-cloud-secret-manager (REST)
against the sandbox, and the sandbox's call log proves which payloads were read.
"""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cases import run_world, scenario_data
from click.testing import CliRunner

from troubleshooter.cli import cli
from troubleshooter.engine.tree import load_graph
from troubleshooter.failures import ApiFailure
from troubleshooter.gateway import Gateway
from troubleshooter.model import Outcome
from troubleshooter.redact import REDACTED, redact
from troubleshooter.sandbox import Sandbox
from troubleshooter.world import world_from_data

SCENARIO = "twenty-crm-secret-dsn"
PAYLOAD = "postgres://postgres:tw3nty-s3cret-demo-pw@localhost:5432/postgres"
PASSWORD = "tw3nty-s3cret-demo-pw"
P, NUMBER = "tracepoint-d4c9d", "347335323025"
SA = f"{NUMBER}-compute@developer.gserviceaccount.com"
SECRET = f"projects/{P}/secrets/pg-database-url"
GRAPH = load_graph()


def world(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(scenario_data(SCENARIO))
    data.pop("expect", None)
    data.update(changes)
    return data


def env_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["services"][0]["template"]["containers"][0]["env"]


def secret_ref(data: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in env_of(data) if e["name"] == "PG_DATABASE_URL")["valueSource"]["secretKeyRef"]


def versions(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["secrets"][0]["versions"]


def accesses(r: Any) -> list[Any]:
    return r.called("secretmanager", "AccessSecretVersion")


def cli_run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), standalone_mode=False)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout + result.stderr


# --------------------------------------------------------------------------- the sandbox, the client


def test_the_sandbox_speaks_secret_manager_v1_to_the_real_client() -> None:
    with Sandbox(world_from_data(world(), "<w>")) as sandbox:
        gw = Gateway.from_env(sandbox.env)
        try:
            # Names come back with the project NUMBER, whichever form was asked (as Google answers).
            assert gw.get_secret(SECRET)["name"] == f"projects/{NUMBER}/secrets/pg-database-url"
            assert gw.get_secret(f"projects/{NUMBER}/secrets/pg-database-url")["name"].startswith(f"projects/{NUMBER}/")
            listed = gw.list_secret_versions(SECRET)
            assert [(v["name"].rsplit("/", 1)[-1], v["state"]) for v in listed] == [("2", "ENABLED"), ("1", "DISABLED")]
            assert all("payload" not in v for v in listed)           # metadata never carries the value
            assert gw.get_secret_version(f"{SECRET}/versions/latest")["name"].endswith("/versions/2")
            assert gw.get_secret_iam_policy(SECRET)["etag"]
            assert sandbox.calls.count("secretmanager", "AccessSecretVersion") == 0
            name, text = gw.access_secret_version(f"{SECRET}/versions/latest")
            assert name == f"projects/{NUMBER}/secrets/pg-database-url/versions/2" and text == PAYLOAD
            # A disabled version cannot be accessed: 400 FAILED_PRECONDITION, as Google answers.
            with pytest.raises(ApiFailure) as err:
                gw.access_secret_version(f"{SECRET}/versions/1")
            assert "is in DISABLED state" in err.value.message
            with pytest.raises(ApiFailure) as missing:
                gw.get_secret(f"projects/{P}/secrets/nope")
            assert missing.value.kind == "not-found"
            assert sandbox.calls.count("secretmanager", "AccessSecretVersion") == 2  # every access recorded
        finally:
            gw.close()


def test_latest_is_the_newest_version_even_when_disabled() -> None:
    data = world()
    versions(data)[1]["state"] = "DISABLED"          # version 2, the newest
    versions(data)[0]["state"] = "ENABLED"
    with Sandbox(world_from_data(data, "<w>")) as sandbox:
        gw = Gateway.from_env(sandbox.env)
        try:
            latest = gw.get_secret_version(f"{SECRET}/versions/latest")
            assert latest["name"].endswith("/versions/2") and latest["state"] == "DISABLED"
            with pytest.raises(ApiFailure) as err:
                gw.access_secret_version(f"{SECRET}/versions/latest")
            assert err.value.kind == "invalid" and "versions/2] is in DISABLED state" in err.value.message
        finally:
            gw.close()


# --------------------------------------------------------------------------- consent


def test_without_consent_no_payload_is_read_and_the_check_asks() -> None:
    r = run_world(world(), GRAPH, read_secrets=False)
    d = r.diagnosis
    assert accesses(r) == []                                   # the call log proves it
    assert r.called("secretmanager", "GetSecret") and r.called("secretmanager", "ListSecretVersions")
    assert "app-uses-localhost-tcp" not in d.cause_ids
    unsure = {s.node.id: s.result.summary for s in d.uncertain if s.result}
    assert "check:app-localhost" in unsure and "Secret Manager" in unsure["check:app-localhost"]
    assert d.verdict != "healthy"


def test_with_consent_the_localhost_dsn_in_the_secret_is_diagnosed() -> None:
    r = run_world(world(), GRAPH, read_secrets=True)
    d = r.diagnosis
    assert [c.resource for c in accesses(r)] == [f"{SECRET}/versions/latest"]
    assert "app-uses-localhost-tcp" in d.cause_ids
    cause = next(c for c in d.causes if c.id == "app-uses-localhost-tcp")
    shown = json.dumps([e.as_dict() for e in cause.evidence])
    assert "read from secret pg-database-url, version 2" in shown
    assert PAYLOAD not in shown and PASSWORD not in shown
    assert d.obs.secret_payloads == {}                         # parsed, then dropped


def test_the_expectation_of_the_scenario_holds_with_consent_only() -> None:
    data = scenario_data(SCENARIO)
    assert data["expect"]["readSecrets"] is True
    r = run_world(data, GRAPH)                                 # run_world gives the consent expect asks for
    assert r.diagnosis.cause_ids == data["expect"]["rootCauses"]
    assert r.diagnosis.finding_ids == data["expect"]["findings"]


@pytest.mark.parametrize("form", ["pg-database-url", f"projects/{P}/secrets/pg-database-url",
                                  f"projects/{NUMBER}/secrets/pg-database-url"])
def test_every_form_of_the_secret_reference_is_matched(form: str) -> None:
    data = world()
    secret_ref(data)["secret"] = form
    r = run_world(data, GRAPH, read_secrets=True)
    assert "app-uses-localhost-tcp" in r.diagnosis.cause_ids
    assert len(r.called("secretmanager", "GetSecret")) == 1


def test_no_secret_named_means_no_secret_manager_call() -> None:
    data = world()
    e = next(e for e in env_of(data) if e["name"] == "PG_DATABASE_URL")
    e.pop("valueSource")
    e["value"] = "postgresql://postgres@/postgres?host=/cloudsql/x"
    r = run_world(data, GRAPH, read_secrets=True)
    assert not [c for c in r.calls if c.api == "secretmanager"]


def test_a_denied_access_makes_the_check_uncertain_naming_the_permission() -> None:
    data = world(faults=[{"api": "secretmanager", "method": "AccessSecretVersion", "code": 403}])
    r = run_world(data, GRAPH, read_secrets=True)
    unsure = {s.node.id: s.result.summary for s in r.diagnosis.uncertain if s.result}
    assert "secretmanager.versions.access" in unsure["check:app-localhost"]


def test_secret_manager_off_names_the_api() -> None:
    data = world()
    data["projects"][0]["enabledServices"].remove("secretmanager.googleapis.com")
    r = run_world(data, GRAPH, read_secrets=True)
    unsure = {s.node.id: s.result.summary for s in r.diagnosis.uncertain if s.result}
    assert any("secretmanager.googleapis.com" in s or "Secret Manager API" in s
               for k, s in unsure.items() if "secret" in k)


def test_a_payload_read_is_masked_by_redact_until_the_engine_closes() -> None:
    from troubleshooter.engine.troubleshooting import Troubleshooting
    from troubleshooter.engine.workspace import Workspace

    ws = Workspace.open(SCENARIO)
    try:
        Troubleshooting.begin(ws, ws.target(), read_secrets=True).diagnose()
        assert redact(f"oops: {PAYLOAD}") == f"oops: {REDACTED}"
        assert PASSWORD not in redact(f"pw is {PASSWORD}")
    finally:
        ws.close()
    assert redact("localhost:5432") == "localhost:5432"       # forgotten with the run


# --------------------------------------------------------------------------- the causes


def test_disabled_pinned_version_is_secret_version_not_enabled() -> None:
    data = world()
    secret_ref(data)["version"] = "1"                          # version 1 is DISABLED
    d = run_world(data, GRAPH).diagnosis
    assert "secret-version-not-enabled" in d.cause_ids
    cause = next(c for c in d.causes if c.id == "secret-version-not-enabled")
    assert cause.commands == [f"gcloud secrets versions enable projects/{P}/secrets/pg-database-url/versions/1"]
    assert not cause.automatic and cause.prevention


def test_destroyed_latest_is_secret_version_not_enabled() -> None:
    data = world()
    versions(data)[1]["state"] = "DESTROYED"
    versions(data)[0]["state"] = "ENABLED"
    d = run_world(data, GRAPH).diagnosis
    cause = next(c for c in d.causes if c.id == "secret-version-not-enabled")
    assert "version 2 (latest) is DESTROYED" in cause.summary
    assert "versions add pg-database-url" in cause.commands[0]


def test_no_enabled_version_is_secret_version_not_enabled() -> None:
    data = world()
    versions(data)[1]["state"] = "DESTROYED"
    d = run_world(data, GRAPH).diagnosis
    cause = next(c for c in d.causes if c.id == "secret-version-not-enabled")
    assert "no version of it is enabled" in cause.summary


def test_enabled_latest_is_not_the_cause() -> None:
    d = run_world(world(), GRAPH).diagnosis
    assert "secret-version-not-enabled" not in d.cause_ids
    assert d.walk.step("check:secret-version").outcome == "ok"


def _without_accessor(data: dict[str, Any]) -> dict[str, Any]:
    bindings = data["projects"][0]["iamPolicy"]["bindings"]
    data["projects"][0]["iamPolicy"]["bindings"] = [b for b in bindings if b["role"] != "roles/secretmanager.secretAccessor"]
    return data


def _three_secrets(data: dict[str, Any]) -> dict[str, Any]:
    """Two more secret env vars (a password, a token) whose secrets grant nothing either."""
    env_of(data).extend([
        {"name": "PG_PASSWORD", "valueSource": {"secretKeyRef": {"secret": "pg-password", "version": "latest"}}},
        {"name": "APP_SECRET", "valueSource": {"secretKeyRef": {"secret": f"projects/{NUMBER}/secrets/app-secret", "version": "3"}}},
    ])
    for name in ("pg-password", "app-secret"):
        data["secrets"].append({"name": f"projects/{P}/secrets/{name}", "replication": {"automatic": {}},
                                "versions": [{"name": f"projects/{P}/secrets/{name}/versions/{n}", "state": "ENABLED",
                                              "createTime": f"-{n}h", "payload": {"data": base64.b64encode(b"x" * 12).decode()}}
                                             for n in (3, 2, 1)]})
    return data


def test_secret_not_accessible_decided_from_iam_and_the_fix_grants_every_secret() -> None:
    data = _three_secrets(_without_accessor(world()))
    d = run_world(data, GRAPH).diagnosis                      # the revision is Ready: IAM tells it
    cause = next(c for c in d.causes if c.id == "secret-not-accessible")
    assert sorted(c.split()[3] for c in cause.commands) == ["app-secret", "pg-database-url", "pg-password"]
    assert all(f"--member=serviceAccount:{SA}" in c and "--role=roles/secretmanager.secretAccessor" in c
               and f"--project={P}" in c for c in cause.commands)
    code, out = cli_run("fix", "secret-not-accessible", "--world", _file(data), "--dry-run")
    assert out.count("gcloud secrets add-iam-policy-binding") == 3, out


def test_role_on_the_project_is_a_near_miss() -> None:
    d = run_world(world(), GRAPH).diagnosis                   # secretAccessor on the project
    assert "secret-not-accessible" not in d.cause_ids
    assert d.walk.step("check:secret-access").outcome == "ok"


def test_role_on_the_secret_under_a_condition_that_applies_is_a_near_miss() -> None:
    data = _without_accessor(world())
    data["secrets"][0]["iamPolicy"] = {"version": 3, "etag": "BwYk2d9aX1Q=", "bindings": [{
        "role": "roles/secretmanager.secretAccessor", "members": [f"serviceAccount:{SA}"],
        "condition": {"title": "pg secrets", "expression":
                      f'resource.name.startsWith("projects/{NUMBER}/secrets/pg-")'}}]}
    d = run_world(data, GRAPH).diagnosis
    assert "secret-not-accessible" not in d.cause_ids
    assert d.walk.step("check:secret-access").outcome == "ok"
    # The same binding with a condition that does not apply: the SA may not read it.
    data["secrets"][0]["iamPolicy"]["bindings"][0]["condition"]["expression"] = \
        f'resource.name.startsWith("projects/{NUMBER}/secrets/redis-")'
    assert "secret-not-accessible" in run_world(data, GRAPH).diagnosis.cause_ids


def test_a_denied_secret_policy_read_is_uncertain_naming_the_permission() -> None:
    data = _without_accessor(world(faults=[{"api": "secretmanager", "method": "GetIamPolicy", "code": 403}]))
    d = run_world(data, GRAPH).diagnosis
    assert "secret-not-accessible" not in d.cause_ids
    step = d.walk.step("check:secret-access")
    assert step.outcome == "uncertain" and "secretmanager.secrets.getIamPolicy" in step.result.summary


# --------------------------------------------------------------------------- no output leaks the payload


_TMP: list[Path] = []


def _file(data: dict[str, Any]) -> str:
    import tempfile

    fd, name = tempfile.mkstemp(suffix=".json")
    Path(name).write_text(json.dumps(data), encoding="utf-8")
    _TMP.append(Path(name))
    return name


def _clean(text: str) -> None:
    assert PAYLOAD not in text
    assert PASSWORD not in text
    assert base64.b64encode(PAYLOAD.encode()).decode() not in text


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_the_payload_is_in_no_diagnose_output(fmt: str) -> None:
    code, out = cli_run("diagnose", "--world", SCENARIO, "--read-secrets", "--format", fmt)
    assert code == 1 and "app-uses-localhost-tcp" in out
    _clean(out)


def test_the_payload_is_in_no_fix_output() -> None:
    code, out = cli_run("fix", "app-uses-localhost-tcp", "--world", SCENARIO, "--read-secrets", "--dry-run")
    assert "app-uses-localhost-tcp" in out or "localhost" in out
    _clean(out)


def test_the_payload_is_in_no_rca_file(tmp_path: Path) -> None:
    out_file = tmp_path / "rca.md"
    code, _ = cli_run("diagnose", "--world", SCENARIO, "--read-secrets", "--format", "markdown", "-o", str(out_file))
    text = out_file.read_text(encoding="utf-8")
    assert "read from secret pg-database-url, version 2" in text
    _clean(text)


async def at_question(app: Any, pilot: Any) -> None:
    """The walk, Enter on question:app-connection: the consent modal."""
    from troubleshooter.tui.autopilot import at_walk, on, settle
    from troubleshooter.tui.widgets.walk_tree import WalkTree

    await at_walk(app, pilot)
    tree = app.screen.query_one(WalkTree)

    def find(node: Any) -> Any:
        if node.data is not None and node.data.node.id == "question:app-connection":
            return node
        for child in node.children:
            if (hit := find(child)) is not None:
                return hit
        return None

    node = find(tree.root)
    assert node is not None
    tree.select_node(node)
    await settle(app, pilot, lambda: on(app, "SecretsConsentModal"))


async def test_the_payload_is_in_no_tui_screen_export_or_clipboard(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import OptionList

    from troubleshooter.tui.app import TroubleshooterApp
    from troubleshooter.tui.autopilot import on, settle
    from troubleshooter.tui.launch import Launch

    monkeypatch.chdir(tmp_path)
    app = TroubleshooterApp(Launch(demo=True, scenario=SCENARIO))
    seen: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        # The first run had no consent: Enter on the question the secret would answer asks,
        # naming the secret; nothing was read yet.
        await at_question(app, pilot)
        names = app.screen.query_one("#secrets-names").content
        assert "pg-database-url" in str(names)
        assert app.workspace.sandbox.calls.count("secretmanager", "AccessSecretVersion") == 0
        await pilot.press("y")                                  # yes, for this session: the probes re-run
        await settle(app, pilot, lambda: app.state.run is not None and app.state.run.done
                     and app.state.engine.read_secrets)
        assert app.workspace.sandbox.calls.count("secretmanager", "AccessSecretVersion") == 1
        await settle(app, pilot, lambda: on(app, "WalkScreen"))
        await pilot.press("e")
        await settle(app, pilot, lambda: on(app, "CausesScreen") and bool(app.state.causes)
                     and app.state.causes[0].id in app.state.plans)
        options = app.screen.query_one("#cause-list", OptionList)
        ids = [str(options.get_option_at_index(i).id) for i in range(options.option_count)]
        assert "app-uses-localhost-tcp" in ids
        for i in range(options.option_count):
            options.highlighted = i
            await pilot.pause()
            seen.append(app.export_screenshot())
            await pilot.press("c")
            seen.append(str(app.clipboard))
        await pilot.press("x")                                  # export the RCA
        await pilot.pause()
        seen.append(app.export_screenshot())
    exported = list(tmp_path.glob("rca-*.md"))
    assert exported
    seen.extend(p.read_text(encoding="utf-8") for p in exported)
    for text in seen:
        _clean(text)


async def test_the_tui_no_keeps_the_values_unread() -> None:
    from troubleshooter.tui.app import TroubleshooterApp
    from troubleshooter.tui.autopilot import on, settle
    from troubleshooter.tui.launch import Launch

    app = TroubleshooterApp(Launch(demo=True, scenario=SCENARIO))
    async with app.run_test(size=(120, 40)) as pilot:
        await at_question(app, pilot)
        await pilot.press("n")
        await settle(app, pilot, lambda: on(app, "WalkScreen"))
        assert not app.state.engine.read_secrets and app.state.engine.secrets_asked
        assert app.workspace.sandbox.calls.count("secretmanager", "AccessSecretVersion") == 0


async def test_mcp_read_secrets_diagnoses_and_never_returns_the_payload() -> None:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    async def diagnose(*flags: str) -> dict[str, Any]:
        params = StdioServerParameters(command=sys.executable, args=["-m", "troubleshooter", "mcp", "--world", SCENARIO, *flags],
                                       env={"CLOUDSDK_CONFIG": "/nonexistent-gcloud-config"})
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                doc = await session.call_tool("diagnose", {})
                assert not doc.is_error, doc.content
                plan = await session.call_tool("plan_fix", {"cause": "app-uses-localhost-tcp"})
                texts = [c.text for c in doc.content if hasattr(c, "text")] + \
                        [c.text for c in plan.content if hasattr(c, "text")]
                for t in texts + [json.dumps(doc.structured_content), json.dumps(plan.structured_content)]:
                    _clean(t)
                return doc.structured_content or {}

    with_consent = await diagnose("--read-secrets")
    assert [c["id"] for c in with_consent["rootCauses"]] == ["app-uses-localhost-tcp"]
    without = await diagnose()
    assert "app-uses-localhost-tcp" not in [c["id"] for c in without["rootCauses"]]


def test_mcp_read_secrets_is_accepted() -> None:
    # It used to exit 2 ("cannot read Secret Manager yet"); now it serves (stdin closed: it ends).
    result = subprocess.run([sys.executable, "-m", "troubleshooter", "mcp", "--world", SCENARIO, "--read-secrets"],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode != 2, result.stderr
    assert "--read-secrets" not in result.stderr


def test_probe_result_and_rca_say_where_the_value_came_from() -> None:
    d = run_world(world(), GRAPH, read_secrets=True).diagnosis
    probe = d.probes["secrets"]
    assert probe.outcome == Outcome.OK and "read from secret pg-database-url, version 2" in probe.summary
    from troubleshooter.report import build_report
    from troubleshooter.session import Session

    s = Session(target=d.target, graph=d.graph, read_only=True, sandboxed=True)
    s.add_diagnosis(d)
    text = build_report(s)
    assert "read from secret pg-database-url, version 2" in text
    _clean(text)


def test_a_secret_volume_pinning_a_disabled_version_is_found_without_reading_it() -> None:
    data = world()
    t = data["services"][0]["template"]
    t["volumes"].append({"name": "pg-cert", "secret": {"secret": "pg-database-url",
                                                     "items": [{"path": "url", "version": "1"}]}})
    t["containers"][0]["volumeMounts"].append({"name": "pg-cert", "mountPath": "/secrets/pg"})
    r = run_world(data, GRAPH, read_secrets=True)
    cause = next(c for c in r.diagnosis.causes if c.id == "secret-version-not-enabled")
    assert "version 1 is DISABLED" in cause.summary
    assert any("volume pg-cert (/secrets/pg) wants 1" in e.note for e in cause.evidence)
    # Only the env's URL was read; a volume's file is never read.
    assert [c.resource for c in accesses(r)] == [f"{SECRET}/versions/latest"]
