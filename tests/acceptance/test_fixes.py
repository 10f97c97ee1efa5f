"""Every automatic fix, applied in the sandbox: the cause is gone and nothing else changed."""

from __future__ import annotations

import copy
from typing import Any, Callable

import fixes_worlds as fw
import pytest
from cases import engine_for

from troubleshooter.engine.run import diagnose
from troubleshooter.engine.tree import load_graph
from troubleshooter.fixes import FIX_IDS
from troubleshooter.fixes.plans import PLANNERS, plan_fix
from troubleshooter.gateway import Gateway
from troubleshooter.model import Target
from troubleshooter.sandbox import Sandbox
from troubleshooter.session import Session
from troubleshooter.world import world_from_data

GRAPH = load_graph()
SERVER_FIELDS = {
    "etag", "generation", "observedGeneration", "updateTime", "createTime", "uid", "creator",
    "lastModifier", "conditions", "terminalCondition", "latestReadyRevision",
    "latestCreatedRevision", "trafficStatuses", "reconciling", "uri", "urls",
    "latestCreatedExecution", "executionCount",
}
SA_MEMBER = f"serviceAccount:{fw.SA}"
UPDATE = {"service": f"gcloud run services update {fw.SERVICE} --region={fw.R} --project={fw.P}",
          "job": f"gcloud run jobs update {fw.JOB} --region={fw.R} --project={fw.P}"}


def stable(world: dict[str, Any]) -> dict[str, Any]:
    """The world without what the server manages (etags, generations, revisions, status)."""
    out = copy.deepcopy(world)
    out.pop("revisions", None)
    out.pop("executions", None)
    for key in ("services", "jobs"):
        for res in out.get(key) or []:
            for f in SERVER_FIELDS:
                res.pop(f, None)
            for t in res.get("trafficStatuses") or []:
                t.pop("revision", None)
    for p in out.get("projects") or []:
        p.get("iamPolicy", {}).pop("etag", None)
        if p.get("enabledServices") is not None:
            p["enabledServices"] = sorted(p["enabledServices"])
    for inst in out.get("instances") or []:
        inst.pop("etag", None)
        inst.get("settings", {}).pop("settingsVersion", None)
    return out


def _tmpl(world: dict[str, Any]) -> dict[str, Any]:
    return fw.tmpl(world)


# What each fix may change, written out by hand (not with the code under test).
def want_api(w: dict[str, Any]) -> None:
    w["projects"][0]["enabledServices"] = sorted(w["projects"][0]["enabledServices"] + ["sqladmin.googleapis.com"])


def want_attached(w: dict[str, Any]) -> None:
    _tmpl(w)["volumes"].append({"name": "cloudsql", "cloudSqlInstance": {"instances": [fw.CN]}})
    fw.app(w)["volumeMounts"].append({"name": "cloudsql", "mountPath": "/cloudsql"})


def want_env_name(w: dict[str, Any]) -> None:
    fw.env(w, "INSTANCE_CONNECTION_NAME")["value"] = fw.CN


def want_attachment_name(w: dict[str, Any]) -> None:
    _tmpl(w)["volumes"][0]["cloudSqlInstance"]["instances"] = [fw.CN]


def want_role(w: dict[str, Any]) -> None:
    w["projects"][0]["iamPolicy"]["bindings"].append({"role": "roles/cloudsql.client", "members": [SA_MEMBER]})


def want_started(w: dict[str, Any]) -> None:
    w["instances"][0]["settings"]["activationPolicy"] = "ALWAYS"


def want_vpc(w: dict[str, Any]) -> None:
    _tmpl(w)["vpcAccess"] = {"networkInterfaces": [{"network": "default", "subnetwork": "default"}],
                             "egress": "PRIVATE_RANGES_ONLY"}


def want_private_ranges(w: dict[str, Any]) -> None:
    _tmpl(w)["vpcAccess"]["egress"] = "PRIVATE_RANGES_ONLY"


Case = tuple[str, Callable[[dict[str, Any]], None], Callable[[dict[str, Any]], None], Callable[[str], str]]
CASES: dict[str, Case] = {
    "enable-api": ("sqladmin-api-disabled", fw.api_disabled, want_api,
                   lambda k: f"gcloud services enable sqladmin.googleapis.com --project={fw.P}"),
    "attach": ("cloudsql-not-attached", fw.not_attached, want_attached,
               lambda k: UPDATE[k] + (f" --add-cloudsql-instances={fw.CN}" if k == "service"
                                      else f" --set-cloudsql-instances={fw.CN}")),
    "name-in-env": ("connection-name-malformed", fw.malformed_env, want_env_name,
                    lambda k: UPDATE[k] + f" --container=app --update-env-vars=INSTANCE_CONNECTION_NAME={fw.CN}"),
    "name-in-attachment": ("connection-name-malformed", fw.malformed_attachment, want_attachment_name,
                           lambda k: UPDATE[k] + f" --set-cloudsql-instances={fw.CN}"),
    "grant": ("missing-cloudsql-client-role", fw.missing_role, want_role,
              lambda k: f"gcloud projects add-iam-policy-binding {fw.P} --member={SA_MEMBER} "
                        "--role=roles/cloudsql.client --condition=None"),
    "start": ("instance-stopped", fw.stopped, want_started,
              lambda k: f"gcloud sql instances patch {fw.I} --project={fw.P} --activation-policy=ALWAYS"),
    "vpc-egress": ("private-ip-without-vpc-egress", fw.private_only, want_vpc,
                   lambda k: UPDATE[k] + " --network=default --subnet=default --vpc-egress=private-ranges-only"),
    "private-ranges": ("all-traffic-egress-to-public-ip", fw.all_traffic, want_private_ranges,
                       lambda k: UPDATE[k] + " --vpc-egress=private-ranges-only"),
}


def target_of(world: Any) -> Target:
    t = world.target
    return Target(t.project, t.region, t.service, t.job)


def test_every_automatic_cause_in_the_graph_has_a_planner() -> None:
    automatic = {n.spec.fix.id for n in GRAPH.of_kind("cause") if n.spec.fix and n.spec.fix.automatic}
    assert automatic == set(PLANNERS) == set(FIX_IDS)


@pytest.mark.parametrize("kind", ["service", "job"])
@pytest.mark.parametrize("case", list(CASES))
def test_fix_removes_the_cause_and_keeps_everything_else(kind: str, case: str) -> None:
    cause, breaker, wanted, command = CASES[case]
    world = world_from_data(fw.variant(kind, breaker))
    with Sandbox(world) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        session = Session(target=target_of(world), graph=GRAPH, sandboxed=True)
        session.add_diagnosis(diagnose(session.target, gateway, GRAPH))
        assert session.current.cause_ids == [cause]
        before = sandbox.snapshot().to_dict()

        plan = plan_fix(session.current, cause, gateway)
        assert plan.automatic and plan.commands == [command(kind)]
        assert plan.change, "a plan shows what it changes"
        assert sandbox.snapshot().to_dict() == before, "planning writes nothing"

        events: list[str] = []
        applied = engine_for(session, gateway).apply(cause, events.append, plan=plan)
        after = sandbox.snapshot().to_dict()
        gateway.close()

    assert applied.outcome == "applied", applied.error
    assert applied.verified is True, applied.verification
    assert session.current.cause_ids == []
    expected = stable(before)
    wanted(expected)
    assert stable(after) == expected
    assert any("re-running the probes" in e for e in events)
    kinds = [e.kind for e in session.timeline]
    # The change is recorded when applied, then judged by the re-diagnosis.
    assert kinds.count("fix") == 2 and "verify" in kinds
    fix_at = [i for i, k in enumerate(kinds) if k == "fix"]
    assert fix_at[0] < kinds.index("verify") < fix_at[1]


def test_grant_joins_the_existing_unconditional_binding() -> None:
    def other_member(w: dict[str, Any]) -> None:
        fw.missing_role(w)
        w["projects"][0]["iamPolicy"]["bindings"].append(
            {"role": "roles/cloudsql.client", "members": ["user:dba@acme.example"]})

    world = world_from_data(fw.variant("service", other_member))
    with Sandbox(world) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        session = Session(target=target_of(world), graph=GRAPH)
        applied = engine_for(session, gateway).apply("missing-cloudsql-client-role")
        policy = gateway.get_iam_policy(fw.P)
        gateway.close()
    assert applied.verified
    client = [b for b in policy["bindings"] if b["role"] == "roles/cloudsql.client"]
    assert [b.get("members") for b in client if not b.get("condition")] == [["user:dba@acme.example", SA_MEMBER]]
    conditional = [b for b in client if b.get("condition")]
    assert conditional and conditional[0]["members"] == ["serviceAccount:reports@acme-prod.iam.gserviceaccount.com"]
    assert policy["version"] == 3


def test_malformed_name_inside_a_dsn_is_corrected_without_printing_the_password() -> None:
    password = "s3cr3t-Pw-9f2"
    dsn = f"postgresql://orders:{password}@/orders?host=/cloudsql/{fw.CN}"

    def dsn_world(w: dict[str, Any]) -> None:
        app = fw.app(w)
        app["env"] = [e for e in app["env"] if e["name"] != "INSTANCE_CONNECTION_NAME"]
        app["env"].insert(0, {"name": "DATABASE_URL", "value": dsn.replace(fw.CN, fw.CN.replace("us-central1", "us-central1-a"))})

    world = world_from_data(fw.variant("service", dsn_world))
    with Sandbox(world) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        session = Session(target=target_of(world), graph=GRAPH)
        session.add_diagnosis(diagnose(session.target, gateway, GRAPH))
        assert "connection-name-malformed" in session.current.cause_ids
        plan = plan_fix(session.current, "connection-name-malformed", gateway)
        shown = repr(plan.as_dict())
        applied = engine_for(session, gateway).apply("connection-name-malformed", plan=plan)
        service = gateway.get_service(fw.P, fw.R, fw.SERVICE)
        gateway.close()
    assert password not in shown
    assert plan.automatic and "--update-env-vars=DATABASE_URL=" in plan.commands[0]
    assert applied.verified, applied.verification
    assert password not in repr(applied) and password not in repr(session.timeline)
    value = next(e["value"] for e in service["template"]["containers"][0]["env"] if e["name"] == "DATABASE_URL")
    assert value == dsn


def test_a_change_already_in_place_writes_nothing() -> None:
    world = world_from_data(fw.variant("service", fw.not_attached))
    with Sandbox(world) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        session = Session(target=target_of(world), graph=GRAPH)
        session.add_diagnosis(diagnose(session.target, gateway, GRAPH))
        plan = plan_fix(session.current, "cloudsql-not-attached", gateway)
        first = plan.apply()
        second = plan.apply()
        gateway.close()
    assert first.changed and not second.changed
    assert sandbox.calls.count("run", "UpdateService") == 1
