"""No secret leaves in any output: the seeds' secret shapes in env values and log lines, through
`diagnose --format text|json|markdown` and the RCA report (before and after a fix)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cases import engine_for
from click.testing import CliRunner

from troubleshooter.cli import cli
from troubleshooter.engine.run import diagnose
from troubleshooter.engine.tree import load_graph
from troubleshooter.gateway import Gateway
from troubleshooter.model import Target
from troubleshooter.report import build_report
from troubleshooter.report_md import scrub, secret_fragments
from troubleshooter.sandbox import Sandbox
from troubleshooter.session import Session
from troubleshooter.world import load_world

PROJECT, REGION, SERVICE = "tracepoint-d4c9d", "us-east1", "top-backend"
CONNECTION = f"{PROJECT}:{REGION}:top-db"
REVISION = f"{SERVICE}-00035-xyz"

# The seeds' shapes (twenty-crm, saleor, survey-bot), with made-up values. Each must never
# appear in any output, whole or in part.
DB_PASSWORD = "tw3nty-Pr0d-pw-7Kq"
REDIS_TOKEN = "AYr9ASQgNzk0YjE2ZWQtNDg2Yy00"
REMOVE_BG_KEY = "rbg-9f8e7d6c5b4a3210ffee"
APP_SECRET = "c2VjcmV0LWFwcC1rZXktZm9yLXR3ZW50eS0xMjM0NTY3ODkw"
BEARER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0b3AtYmFja2VuZCJ9.Qm9ndXNTaWduYXR1cmU5OTk"
SALEOR_PASSWORD = "Sal30r-direct-IP-pw"
SECRETS = (DB_PASSWORD, REDIS_TOKEN, REMOVE_BG_KEY, APP_SECRET, BEARER, SALEOR_PASSWORD)

ENV = [
    {"name": "PG_DATABASE_URL", "value": f"postgres://postgres:{DB_PASSWORD}@localhost:5432/postgres"},
    {"name": "REDIS_URL", "value": f"redis://default:{REDIS_TOKEN}@glowing-gelding-30765.upstash.io:6379"},
    {"name": "REMOVE_BG_API_KEY", "value": REMOVE_BG_KEY},
    {"name": "APP_SECRET", "value": APP_SECRET},
    {"name": "UPSTREAM_AUTH_HEADER", "value": f"Bearer {BEARER}"},
    {"name": "LEGACY_DATABASE_URL", "value": f"postgresql://saleor:{SALEOR_PASSWORD}@34.41.195.120:5432/saleor"},
    {"name": "SERVER_URL", "value": "https://top.tracepointops.com"},
]

LOG_LINES = [
    f"Error: connect ECONNREFUSED 127.0.0.1:5432 (dsn postgres://postgres:{DB_PASSWORD}@localhost:5432/postgres)",
    f'connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused; '
    f"url=postgresql://postgres:{DB_PASSWORD}@localhost/postgres",
    f"[redis] reconnecting to redis://default:{REDIS_TOKEN}@glowing-gelding-30765.upstash.io:6379",
    f"booting with REMOVE_BG_API_KEY={REMOVE_BG_KEY} APP_SECRET={APP_SECRET}",
    f"upstream call failed: Authorization: Bearer {BEARER}",
    f"django.db.utils.OperationalError: connection timeout expired "
    f"(postgresql://saleor:{SALEOR_PASSWORD}@34.41.195.120:5432/saleor)",
]


def _world() -> dict:
    service_path = f"projects/{PROJECT}/locations/{REGION}/services/{SERVICE}"
    labels = {"service_name": SERVICE, "revision_name": REVISION, "location": REGION,
              "project_id": PROJECT, "configuration_name": SERVICE}
    return {
        "name": "secret-shapes",
        "title": "Secrets in env values and log lines",
        "description": "Test world: every secret shape of the seed incidents, in plain env values and logs.",
        "target": {"project": PROJECT, "region": REGION, "service": SERVICE},
        "projects": [{
            "projectId": PROJECT,
            "projectNumber": "684390112233",
            "enabledServices": ["run.googleapis.com", "sqladmin.googleapis.com", "logging.googleapis.com",
                                "cloudresourcemanager.googleapis.com", "iam.googleapis.com",
                                "secretmanager.googleapis.com", "serviceusage.googleapis.com"],
            "iamPolicy": {"version": 1, "etag": "BwX0", "bindings": [
                {"role": "roles/owner", "members": ["user:ops@tracepoint.example"]},
                {"role": "roles/cloudsql.client",
                 "members": ["serviceAccount:684390112233-compute@developer.gserviceaccount.com"]},
            ]},
        }],
        "services": [{
            "name": service_path,
            "uid": "4b2c4b1e-0000-4000-8000-00000000abcd",
            "generation": "35",
            "createTime": "-3d",
            "updateTime": "-1h",
            "ingress": "INGRESS_TRAFFIC_ALL",
            "launchStage": "GA",
            "template": {
                "serviceAccount": "684390112233-compute@developer.gserviceaccount.com",
                "scaling": {"maxInstanceCount": 3},
                "containers": [{
                    "image": "us-docker.pkg.dev/tracepoint-d4c9d/app/twenty:0.33",
                    "env": ENV,
                    "ports": [{"containerPort": 3000}],
                    "volumeMounts": [{"name": "cloudsql", "mountPath": "/cloudsql"}],
                }],
                "volumes": [{"name": "cloudsql", "cloudSqlInstance": {"instances": [CONNECTION]}}],
                "maxInstanceRequestConcurrency": 80,
                "timeout": "300s",
            },
            "traffic": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
            "observedGeneration": "35",
            "terminalCondition": {"type": "Ready", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": "-1h"},
            "latestReadyRevision": f"{service_path}/revisions/{REVISION}",
            "latestCreatedRevision": f"{service_path}/revisions/{REVISION}",
            "trafficStatuses": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
            "uri": "https://top-backend-abcdefghij-ue.a.run.app",
            "etag": '"CKa2w7AGEIi3q7sB"',
        }],
        "instances": [{
            "name": "top-db",
            "project": PROJECT,
            "region": REGION,
            "connectionName": CONNECTION,
            "databaseVersion": "POSTGRES_15",
            "state": "RUNNABLE",
            "ipAddresses": [{"type": "PRIMARY", "ipAddress": "34.41.195.120"}],
            "settings": {
                "tier": "db-custom-1-3840",
                "activationPolicy": "ALWAYS",
                "settingsVersion": "3",
                "ipConfiguration": {"ipv4Enabled": True, "authorizedNetworks": [],
                                    "sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"},
                "databaseFlags": [],
            },
        }],
        "databases": {f"{PROJECT}:top-db": [{"name": "postgres"}]},
        "users": {f"{PROJECT}:top-db": [{"name": "postgres", "type": "BUILT_IN"}]},
        "logEntries": [
            {"logName": f"projects/{PROJECT}/logs/run.googleapis.com%2Fstderr",
             "resource": {"type": "cloud_run_revision", "labels": labels},
             "textPayload": line, "severity": "DEFAULT", "insertId": f"s{i}",
             "timestamp": f"-{20 - i}m"}
            for i, line in enumerate(LOG_LINES)
        ],
    }


@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("world") / "secret-shapes.json"
    path.write_text(json.dumps(_world(), indent=2), encoding="utf-8")
    return path


def assert_no_secret(output: str, where: str) -> None:
    for secret in SECRETS:
        # The whole value, and any long piece of it (a token cut in two still leaks).
        for piece in {secret, secret[:12], secret[-12:]}:
            assert piece not in output, f"{where} leaks {piece!r}"


def test_the_world_is_valid_and_carries_the_secrets(world_file: Path) -> None:
    text = world_file.read_text(encoding="utf-8")
    assert all(secret in text for secret in SECRETS)
    load_world(world_file)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_diagnose_output_has_no_secret(world_file: Path, fmt: str) -> None:
    result = CliRunner().invoke(cli, ["diagnose", "--world", str(world_file), "--format", fmt])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1), result.output
    assert result.output.strip()
    assert_no_secret(result.output, f"diagnose --format {fmt}")
    if fmt == "markdown":
        assert result.output.startswith("# RCA: top-backend")
        assert "<redacted>" in result.output  # the values were there, and were masked


def test_diagnose_to_file_has_no_secret(world_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "rca.md"
    result = CliRunner().invoke(cli, ["diagnose", "--world", str(world_file), "--format", "markdown",
                                      "--output", str(out)])
    assert result.exit_code in (0, 1), result.output
    assert_no_secret(out.read_text(encoding="utf-8"), "diagnose --output")


def test_report_has_no_secret_before_and_after_fixes(world_file: Path) -> None:
    world = load_world(world_file)
    with Sandbox(world) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        try:
            graph = load_graph()
            target = Target(PROJECT, REGION, service=SERVICE)
            session = Session(target=target, graph=graph, sandboxed=True, scenario=world.name)
            session.add_diagnosis(diagnose(target, gateway, graph))
            session.answer("app-connection", "localhost-tcp")
            now = datetime(2025, 6, 28, 7, 32, tzinfo=timezone.utc)
            before = build_report(session, now=now)
            assert_no_secret(before, "report")
            assert "plaintext-secret-in-env" in before  # the finding names the variables, not values
            for cause in list(session.current.causes):
                if cause.automatic:
                    engine_for(session, gateway).apply(cause.id, confirm=lambda _plan: True)
            assert_no_secret(build_report(session, now=now), "report after fixes")
        finally:
            gateway.close()


def test_scrub_is_the_last_line_of_defence() -> None:
    """Even a secret that reached a summary unredacted is cut from the finished document."""
    leaked = (f"# RCA\n\nThe app uses `{REMOVE_BG_KEY}` and {APP_SECRET} | and tw {DB_PASSWORD}\n\n"
              f"```text\nkey {REMOVE_BG_KEY}\n```\n")
    fragments = secret_fragments(ENV)
    assert {REMOVE_BG_KEY, APP_SECRET, DB_PASSWORD} <= fragments
    cleaned = scrub(leaked, fragments)
    assert_no_secret(cleaned, "scrubbed document")
    assert "`<redacted>`" in cleaned and "\\<redacted\\>" in cleaned  # raw in code, escaped in prose
    assert "```text\nkey <redacted>\n```" in cleaned


def test_secret_fragments_spare_ordinary_values() -> None:
    fragments = secret_fragments([{"name": "SERVER_URL", "value": "https://top.tracepointops.com"},
                                  {"name": "DEBUG", "value": "true"},
                                  {"name": "DB_PASSWORD", "value": "ab"}])
    assert fragments == set()
