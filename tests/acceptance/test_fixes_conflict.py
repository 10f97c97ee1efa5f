"""Someone else writes between the fix's read and its write: the fix re-reads, re-applies, overwrites nothing."""

from __future__ import annotations

from typing import Any

import fixes_worlds as fw
from cases import engine_for

from troubleshooter.engine.tree import load_graph
from troubleshooter.gateway import Gateway
from troubleshooter.model import Target
from troubleshooter.sandbox import Sandbox
from troubleshooter.session import Session
from troubleshooter.world import world_from_data

GRAPH = load_graph()
AUDITOR = {"role": "roles/viewer", "members": ["user:auditor@acme.example"]}
SA_MEMBER = f"serviceAccount:{fw.SA}"


def _session(world: Any) -> Session:
    t = world.target
    return Session(target=Target(t.project, t.region, t.service, t.job), graph=GRAPH)


def _add_auditor(other: Gateway) -> None:
    policy = other.get_iam_policy(fw.P)
    policy["bindings"].append(dict(AUDITOR))
    other.set_iam_policy(fw.P, policy)


def test_iam_policy_changed_between_read_and_write() -> None:
    world = world_from_data(fw.variant("service", fw.missing_role))
    with Sandbox(world) as sandbox:
        gateway, other = Gateway.from_env(sandbox.env), Gateway.from_env(sandbox.env)
        events: list[str] = []

        def progress(message: str) -> None:
            events.append(message)
            if message.startswith("read policy etag") and "(attempt 1)" in message:
                _add_auditor(other)   # a concurrent writer, through its own gateway

        applied = engine_for(_session(world), gateway).apply("missing-cloudsql-client-role", progress)
        policy = other.get_iam_policy(fw.P)
        aborted = [c for c in sandbox.calls if c.method == "SetIamPolicy" and c.status != "OK"]
        gateway.close()
        other.close()

    assert applied.outcome == "applied" and applied.verified, applied.error or applied.verification
    assert any("changed since it was read" in e for e in events)
    assert any(e.startswith("read policy etag") and "(attempt 2)" in e for e in events)
    assert len(aborted) == 1, "the stale write was rejected, not forced"
    bindings = policy["bindings"]
    assert AUDITOR in bindings, "the concurrent change survived"
    assert {"role": "roles/cloudsql.client", "members": [SA_MEMBER]} in bindings, "and so did the fix"
    assert any(b.get("condition") for b in bindings) and policy["version"] == 3


def test_a_writer_that_never_stops_makes_the_fix_fail_without_overwriting() -> None:
    world = world_from_data(fw.variant("service", fw.missing_role))
    with Sandbox(world) as sandbox:
        gateway, other = Gateway.from_env(sandbox.env), Gateway.from_env(sandbox.env)
        writes = []

        def progress(message: str) -> None:
            if message.startswith("read policy etag"):
                policy = other.get_iam_policy(fw.P)
                policy["bindings"].append({"role": "roles/viewer", "members": [f"user:bot{len(writes)}@acme.example"]})
                writes.append(other.set_iam_policy(fw.P, policy))

        session = _session(world)
        applied = engine_for(session, gateway).apply("missing-cloudsql-client-role", progress)
        policy = other.get_iam_policy(fw.P)
        gateway.close()
        other.close()

    assert applied.outcome == "failed" and "concurrent change" in (applied.error or "")
    assert len(writes) == 3, "bounded retries"
    members = [m for b in policy["bindings"] for m in b["members"]]
    assert [f"user:bot{i}@acme.example" for i in range(3)] == [m for m in members if m.startswith("user:bot")]
    assert not [b for b in policy["bindings"] if b["role"] == "roles/cloudsql.client" and SA_MEMBER in b["members"]]
    assert session.timeline[-1].kind == "fix" and "failed" in session.timeline[-1].text


def test_service_changed_between_read_and_write() -> None:
    world = world_from_data(fw.variant("service", fw.not_attached))
    with Sandbox(world) as sandbox:
        gateway, other = Gateway.from_env(sandbox.env), Gateway.from_env(sandbox.env)
        events: list[str] = []

        def progress(message: str) -> None:
            events.append(message)
            if message.startswith(f"read service {fw.SERVICE} etag") and "(attempt 1)" in message:
                svc = other.get_service(fw.P, fw.R, fw.SERVICE)
                svc["labels"]["cost-center"] = "cc-42"
                svc["template"]["scaling"]["maxInstanceCount"] = 6
                other.update_service(svc)

        applied = engine_for(_session(world), gateway).apply("cloudsql-not-attached", progress)
        svc = other.get_service(fw.P, fw.R, fw.SERVICE)
        gateway.close()
        other.close()

    assert applied.outcome == "applied" and applied.verified, applied.error or applied.verification
    assert any("changed since it was read" in e for e in events)
    assert svc["labels"]["cost-center"] == "cc-42" and svc["template"]["scaling"]["maxInstanceCount"] == 6
    assert {"name": "cloudsql", "cloudSqlInstance": {"instances": [fw.CN]}} in svc["template"]["volumes"]
