"""`troubleshooter check FILE`: a definition judged as the serving revision, before the deploy.

The files are the seeds' own shapes: TelePay's `--format=export` YAML and deploy command that lost
the Cloud SQL connection, Saleor's cloudbuild.yaml step and the v1 export of its migrate job.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from troubleshooter.cli import cli, main
from troubleshooter.cli.check import github
from troubleshooter.cli.definition import load
from troubleshooter.scenarios import scenario_path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "check"
TELEPAY = "telepay-missing-attachment"
SALEOR = "saleor-job-open-network"
TELEPAY_CN = "telepay-459221:us-central1:telepaypsql"
SALEOR_CN = "melodic-now-463704-k1:us-central1:saleor-db-demo"


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["troubleshooter", *args])
    for key in ("CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_RUN_REGION"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", "/nonexistent-gcloud-config")
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def check_json(monkeypatch, capsys, file: Path, world: str, *extra: str) -> tuple[int, dict]:
    code, out, err = run(monkeypatch, capsys, "check", str(file), "--world", world, "--format", "json", *extra)
    assert code in (0, 1, 4), err
    return code, json.loads(out)


def edited(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert old in text
    out = tmp_path / name
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


def causes(doc: dict) -> list[str]:
    return [c["id"] for c in doc["rootCauses"]]


# --------------------------------------------------------------------------- the issue's "done when"


def test_v1_export_without_the_annotation_fails_and_with_it_passes(monkeypatch, capsys, tmp_path):
    code, doc = check_json(monkeypatch, capsys, FIXTURES / "telepay-export.yaml", TELEPAY)
    assert code == 1 and doc["verdict"] == "root-causes"
    assert causes(doc) == ["cloudsql-not-attached"]
    assert doc["definition"] == {"file": str(FIXTURES / "telepay-export.yaml"), "format": "v1-export",
                                 "kind": "service"}
    assert doc["target"] == {"project": "telepay-459221", "region": "us-central1", "service": "gcdonationhandler-10-26"}
    # The running revision's logs (full of socket errors in this world) are not read.
    logs = next(p for p in doc["probes"] if p["id"] == "logs")
    assert logs["outcome"] == "skipped"
    assert doc["symptoms"] == ["unknown"]

    fixed = edited(tmp_path, "telepay-export.yaml", "        autoscaling.knative.dev/maxScale",
                   f"        run.googleapis.com/cloudsql-instances: {TELEPAY_CN}\n        autoscaling.knative.dev/maxScale")
    code, doc = check_json(monkeypatch, capsys, fixed, TELEPAY)
    assert (code, doc["verdict"], causes(doc)) == (0, "healthy", [])


def test_a_command_line_file_works_the_same_way(monkeypatch, capsys, tmp_path):
    code, doc = check_json(monkeypatch, capsys, FIXTURES / "telepay-deploy.sh", TELEPAY)
    assert code == 1 and causes(doc) == ["cloudsql-not-attached"]
    assert doc["definition"]["format"] == "command"
    fixed = edited(tmp_path, "telepay-deploy.sh", "  --timeout 300 \\",
                   f"  --timeout 300 --add-cloudsql-instances={TELEPAY_CN} \\")
    code, doc = check_json(monkeypatch, capsys, fixed, TELEPAY)
    assert (code, causes(doc)) == (0, [])


def test_saleor_cloudbuild_step_as_github_annotations(monkeypatch, capsys, tmp_path):
    file = FIXTURES / "saleor-cloudbuild.yaml"
    code, out, err = run(monkeypatch, capsys, "check", str(file), "--world", SALEOR, "--format", "github")
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0].startswith(f"::error file={file},title=cloudsql-not-attached::job saleor-migrate: ")
    assert f"--set-cloudsql-instances={SALEOR_CN}" in lines[0]
    assert any(l.startswith("::warning") and "title=authorized-networks-open-to-world" in l for l in lines)
    assert "s4l30r-demo-pw" not in out  # the DSN's password, redacted like every output

    fixed = edited(tmp_path, "saleor-cloudbuild.yaml", "      - --args=migrate\n",
                   "      - --args=migrate\n      - --set-cloudsql-instances=$PROJECT_ID:${_REGION}:${_INSTANCE}\n")
    code, out, err = run(monkeypatch, capsys, "check", str(fixed), "--world", SALEOR, "--format", "github")
    assert code == 0, err
    assert not any(l.startswith("::error") for l in out.splitlines())
    assert out.splitlines()[-1].startswith("::notice ")


def test_v1_job_export_reads_the_execution_template_annotation(monkeypatch, capsys, tmp_path):
    code, doc = check_json(monkeypatch, capsys, FIXTURES / "saleor-job-export.yaml", SALEOR)
    assert code == 1 and causes(doc) == ["cloudsql-not-attached"] and doc["target"]["job"] == "saleor-migrate"
    fixed = edited(tmp_path, "saleor-job-export.yaml", "        run.googleapis.com/client-name: gcloud\n",
                   f"        run.googleapis.com/client-name: gcloud\n        run.googleapis.com/cloudsql-instances: {SALEOR_CN}\n")
    code, doc = check_json(monkeypatch, capsys, fixed, SALEOR)
    assert (code, causes(doc)) == (0, [])


def test_the_live_v2_resource_as_a_definition_finds_what_diagnose_finds(monkeypatch, capsys, tmp_path):
    world = yaml.safe_load(scenario_path(TELEPAY).read_text(encoding="utf-8"))
    service = next(s for s in world["services"] if s["name"].endswith("/gcdonationhandler-10-26"))
    file = tmp_path / "service.json"
    file.write_text(json.dumps(service), encoding="utf-8")
    code, doc = check_json(monkeypatch, capsys, file, TELEPAY)
    assert (code, causes(doc), doc["definition"]["format"]) == (1, ["cloudsql-not-attached"], "v2")


def test_settings_hidden_in_secrets_are_inconclusive_until_answered(monkeypatch, capsys, tmp_path):
    hidden = edited(tmp_path, "telepay-export.yaml",
                    "        - name: CLOUD_SQL_CONNECTION_NAME\n          value: telepay-459221:us-central1:telepaypsql\n",
                    "        - name: DATABASE_HOST_SECRET\n          valueFrom:\n            secretKeyRef:\n"
                    "              key: latest\n              name: DATABASE_HOST_SECRET\n")
    code, doc = check_json(monkeypatch, capsys, hidden, TELEPAY)
    assert (code, doc["verdict"], causes(doc)) == (4, "inconclusive", [])
    assert "check:attachment" in [u["check"] for u in doc["uncertain"]]
    code, doc = check_json(monkeypatch, capsys, hidden, TELEPAY, "--answer", "app-connection=unix-socket")
    assert (code, causes(doc)) == (1, ["cloudsql-not-attached"])


def test_a_first_deploy_is_judged_from_the_command_alone(monkeypatch, capsys, tmp_path):
    """No such service yet: the command is the whole definition; the project's IAM is still live."""
    file = tmp_path / "deploy.sh"
    command = ("gcloud run deploy brand-new-svc --image=gcr.io/telepay-459221/x:1 --region=us-central1 "
               "--add-cloudsql-instances=telepaypsql --set-env-vars=CLOUD_SQL_CONNECTION_NAME=" + TELEPAY_CN)
    file.write_text(command, encoding="utf-8")
    code, doc = check_json(monkeypatch, capsys, file, TELEPAY)
    assert (code, causes(doc), doc["target"]["service"]) == (0, [], "brand-new-svc")  # default SA holds the role
    file.write_text(command + " --service-account=donations@telepay-459221.iam.gserviceaccount.com", encoding="utf-8")
    code, doc = check_json(monkeypatch, capsys, file, TELEPAY)
    assert (code, causes(doc)) == (1, ["missing-cloudsql-client-role"])


def test_check_output_validates_against_the_schema(monkeypatch, capsys):
    schema = json.loads(CliRunner().invoke(cli, ["schema", "--output-of", "diagnose"]).output)
    _, doc = check_json(monkeypatch, capsys, FIXTURES / "telepay-export.yaml", TELEPAY)
    jsonschema.Draft202012Validator(schema).validate(doc)


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"),
    ("kind: ConfigMap\ndata: {}\n", "not a Cloud Run definition"),
    ("#!/bin/sh\necho deploying\n", "no `gcloud run deploy"),
    ("gcloud run deploy a --region=r\ngcloud run deploy b --region=r\n", "several commands (a, b)"),
])
def test_bad_definitions_are_one_line_errors(monkeypatch, capsys, tmp_path, content, message):
    file = tmp_path / "def.txt"
    if content is not None:
        file.write_text(content, encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "check", str(file), "--world", TELEPAY)
    assert code == 2 and err.count("\n") == 1 and message in err and str(file) in err, err


# --------------------------------------------------------------------------- gcloud's flag semantics


def _revised(tmp_path: Path, command: str, live: dict | None = None) -> dict:
    file = tmp_path / "deploy.sh"
    file.write_text(command, encoding="utf-8")
    definition = load(str(file), project="p")
    return definition.revise(live)


LIVE = {"template": {"serviceAccount": "old@p.iam.gserviceaccount.com", "containers": [
    {"image": "img:1", "ports": [{"containerPort": 8080}], "env": [
        {"name": "KEEP", "value": "1"},
        {"name": "PW", "valueSource": {"secretKeyRef": {"secret": "pw", "version": "latest"}}}]}]}}


def test_update_flags_keep_what_they_do_not_name(tmp_path):
    out = _revised(tmp_path, "gcloud run services update svc --region=r --update-env-vars=A=1 "
                             "--add-cloudsql-instances=inst --vpc-egress=all-traffic --network=n --subnet=s", LIVE)
    tmpl = out["template"]
    env = {e["name"]: e for e in tmpl["containers"][0]["env"]}
    assert set(env) == {"KEEP", "PW", "A"} and tmpl["serviceAccount"] == "old@p.iam.gserviceaccount.com"
    assert tmpl["volumes"] == [{"name": "cloudsql", "cloudSqlInstance": {"instances": ["p:r:inst"]}}]
    assert tmpl["containers"][0]["volumeMounts"] == [{"name": "cloudsql", "mountPath": "/cloudsql"}]
    assert tmpl["vpcAccess"] == {"egress": "ALL_TRAFFIC", "networkInterfaces": [{"network": "n", "subnetwork": "s"}]}
    assert "volumes" not in LIVE["template"] and len(LIVE["template"]["containers"][0]["env"]) == 2  # not mutated


def test_set_flags_replace(tmp_path):
    out = _revised(tmp_path, "gcloud beta run deploy svc --region r "
                             "--set-env-vars '^##^URL=postgres://h/db?a=1,b=2##B=2' --set-secrets=/etc/s/key=k:3 "
                             "--service-account=new@p.iam.gserviceaccount.com", LIVE)
    tmpl = out["template"]
    app = tmpl["containers"][0]
    assert [e["name"] for e in app["env"]] == ["URL", "B"]  # literals replaced, secret env dropped by --set-secrets
    assert app["env"][0]["value"] == "postgres://h/db?a=1,b=2"
    assert tmpl["volumes"] == [{"name": "secret-0", "secret": {"secret": "k", "items": [{"version": "3", "path": "key"}]}}]
    assert app["volumeMounts"] == [{"name": "secret-0", "mountPath": "/etc/s"}]
    assert tmpl["serviceAccount"] == "new@p.iam.gserviceaccount.com"


def test_clear_and_set_cloudsql(tmp_path):
    live = _revised(tmp_path, "gcloud run deploy svc --region=r --image=i --set-cloudsql-instances=p:r:a,p:r:b")
    assert live["template"]["volumes"][0]["cloudSqlInstance"]["instances"] == ["p:r:a", "p:r:b"]
    out = _revised(tmp_path, "gcloud run services update svc --region=r --clear-cloudsql-instances", live)
    assert "volumes" not in out["template"] and out["template"]["containers"][0]["volumeMounts"] == []


def test_github_annotations_escape_workflow_command_syntax():
    doc = {"definition": {"file": "a,b:c.yaml"}, "target": {"project": "p", "region": "r", "service": "s"},
           "verdict": "root-causes", "findings": [], "uncertain": [],
           "rootCauses": [{"id": "x", "summary": "100%\nnext", "fix": {"commands": []}}]}
    assert github(doc) == "::error file=a%2Cb%3Ac.yaml,title=x::service s: 100%25%0Anext\n"


def test_the_readme_cloud_build_example_is_read_as_documented(tmp_path):
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("Cloud Build, as the step")[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    file = tmp_path / "cloudbuild.yaml"
    file.write_text(block, encoding="utf-8")
    definition = load(str(file), project="p", select="my-service")
    assert (definition.kind, definition.name, definition.region) == ("service", "my-service", "us-central1")
    volumes = definition.revise(None)["template"]["volumes"]
    assert volumes == [{"name": "cloudsql", "cloudSqlInstance": {"instances": ["p:us-central1:db"]}}]
