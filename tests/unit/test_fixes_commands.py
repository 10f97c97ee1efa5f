"""The gcloud forms and the pure edits behind the fixes: exact flags, quoting, what is kept."""

from __future__ import annotations

import copy

from troubleshooter.fixes import iam, run_edit
from troubleshooter.fixes.base import diff, redacted_change
from troubleshooter.remedies import commands as cmd
from troubleshooter.remedies.contracts import corrected_value

CN = "acme-prod:us-central1:orders-db"


def test_jobs_carry_their_existing_instances_because_gcloud_only_sets_the_list() -> None:
    assert cmd.attach_flags("service", ["a:b:c"], CN) == [f"--add-cloudsql-instances={CN}"]
    assert cmd.attach_flags("job", ["p:r:reports", CN], CN) == [f"--set-cloudsql-instances=p:r:reports,{CN}"]
    assert cmd.run_update("job", "migrate", "us-central1", "acme-prod", *cmd.attach_flags("job", ["p:r:x"], CN)) == (
        f"gcloud run jobs update migrate --region=us-central1 --project=acme-prod --set-cloudsql-instances=p:r:x,{CN}")


def test_values_with_commas_switch_the_list_delimiter_and_spaces_are_quoted() -> None:
    assert cmd.env_flags([("HOSTS", "a,b")]) == ["--update-env-vars=^@^HOSTS=a,b"]
    assert cmd.env_flags([("A", "1"), ("B", "2")], "app") == ["--container=app", "--update-env-vars=A=1,B=2"]
    line = cmd.run_update("service", "s", "r", "p", *cmd.env_flags([("GREETING", "hello world")]))
    assert line.endswith("'--update-env-vars=GREETING=hello world'")


def test_authorized_networks_command_carries_every_entry() -> None:
    assert cmd.authorized_networks("db", "p", ["203.0.113.0/28", "198.51.100.7/32"]) == (
        "gcloud sql instances patch db --project=p --authorized-networks=203.0.113.0/28,198.51.100.7/32")


def test_secrets_never_reach_a_command() -> None:
    line = cmd.run_update("service", "s", "r", "p", *cmd.env_flags(
        [("DATABASE_URL", "postgresql://app:hunter2-Secret@/db?host=/cloudsql/p:r:i")]))
    assert "hunter2" not in line and "<redacted>" in line


def test_attach_keeps_other_volumes_and_mounts_and_reuses_the_cloudsql_volume() -> None:
    service = {"template": {
        "containers": [{"name": "proxy", "image": "envoy"},
                       {"name": "app", "ports": [{"containerPort": 8080}],
                        "volumeMounts": [{"name": "cfg", "mountPath": "/etc/app"}]}],
        "volumes": [{"name": "cfg", "secret": {"secret": "cfg"}},
                    {"name": "sql", "cloudSqlInstance": {"instances": ["p:r:reports"]}}],
    }}
    after = run_edit.edited(service, run_edit.attach("service", CN))
    assert after["template"]["volumes"] == [{"name": "cfg", "secret": {"secret": "cfg"}},
                                            {"name": "sql", "cloudSqlInstance": {"instances": ["p:r:reports", CN]}}]
    assert after["template"]["containers"][0] == {"name": "proxy", "image": "envoy"}
    assert after["template"]["containers"][1]["volumeMounts"] == [
        {"name": "cfg", "mountPath": "/etc/app"}, {"name": "sql", "mountPath": "/cloudsql"}]
    assert run_edit.edited(after, run_edit.attach("service", CN)) == after


def test_corrected_value_corrects_only_the_name() -> None:
    assert corrected_value(CN + "\r", CN + "\r", CN) == CN
    assert corrected_value("", "", CN) == CN
    dsn = "host=/cloudsql/acme-prod:us-central1-a:orders-db dbname=orders-db"
    assert corrected_value(dsn, "acme-prod:us-central1-a:orders-db", CN) == (
        f"host=/cloudsql/{CN} dbname=orders-db")


def test_grant_keeps_conditions_and_other_bindings() -> None:
    policy = {"version": 1, "etag": "BwX=", "bindings": [
        {"role": "roles/viewer", "members": ["user:a@x.example"]},
        {"role": "roles/cloudsql.client", "members": ["user:b@x.example"],
         "condition": {"title": "t", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}},
    ]}
    original = copy.deepcopy(policy)
    out = iam.with_member(policy, "roles/cloudsql.client", "serviceAccount:sa@p.iam.gserviceaccount.com")
    assert policy == original, "pure: the policy read is not modified"
    assert out["version"] == 3 and out["etag"] == "BwX="
    assert out["bindings"][:2] == original["bindings"]
    assert out["bindings"][2] == {"role": "roles/cloudsql.client", "members": ["serviceAccount:sa@p.iam.gserviceaccount.com"]}
    assert iam.with_member(out, "roles/cloudsql.client", "serviceAccount:SA@p.iam.gserviceaccount.com") == out


def test_change_rows_name_list_items_and_redact_values() -> None:
    before = {"etag": "1", "template": {"containers": [{"name": "app", "env": [
        {"name": "DB_PASSWORD", "value": "hunter2-Secret"}, {"name": "INSTANCE", "value": CN + "\n"}]}]}}
    after = copy.deepcopy(before)
    after["etag"] = "2"
    after["template"]["containers"][0]["env"][1]["value"] = CN
    assert diff(before, after) == [("template.containers[app].env[INSTANCE].value", CN + "\n", CN)]
    rows = redacted_change(before, after)
    assert rows == [("template.containers[app].env[INSTANCE].value", CN + "\n", CN)]
    swapped = copy.deepcopy(after)
    swapped["template"]["containers"][0]["env"][0]["value"] = "other-Secret-9"
    rows = redacted_change(before, swapped)
    assert "hunter2" not in repr(rows) and "other-Secret" not in repr(rows)
    assert ("template.containers[app].env[DB_PASSWORD].value", "<redacted>", "<redacted> (changed)") in rows
