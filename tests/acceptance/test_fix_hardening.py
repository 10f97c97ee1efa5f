"""Fixes under faults and at the edges (issue 15): a failed operation poll after an accepted write is
no failure (re-read, say so, verify); the network width rule holds over IPv4, IPv6 and IPv4 inside
IPv6."""

from __future__ import annotations

from typing import Any

import fixes_worlds as fw
import pytest
from cases import engine_for, target_of

from troubleshooter.engine.tree import load_graph
from troubleshooter.fixes.base import Refused
from troubleshooter.fixes.instance import check_network
from troubleshooter.gateway import Gateway
from troubleshooter.sandbox import Sandbox
from troubleshooter.session import Session
from troubleshooter.world import world_from_data

GRAPH = load_graph()


def _apply_with_faults(breaker: Any, cause: str, faults: list[dict[str, Any]], kind: str = "service") -> tuple[Any, list[str], list[Any]]:
    data = fw.variant(kind, breaker)
    data["faults"] = faults
    world = world_from_data(data)
    with Sandbox(world) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        try:
            session = Session(target=target_of(world), graph=GRAPH, sandboxed=True)
            engine = engine_for(session, gateway)
            engine.diagnose()
            assert cause in session.current.cause_ids
            events: list[str] = []
            applied = engine.apply(cause, events.append)
            return applied, events, list(sandbox.calls)
        finally:
            gateway.close()


@pytest.mark.parametrize("code", [403, 409, 500])
def test_a_failed_run_operation_poll_rereads_and_verifies(code: int) -> None:
    applied, events, calls = _apply_with_faults(
        fw.not_attached, "cloudsql-not-attached",
        [{"api": "run", "method": "GetOperation", "code": code, "times": 1}])
    polls = [c for c in calls if c.method == "GetOperation"]
    assert polls and polls[0].status != "OK", "the fault hit the poll"
    assert applied.outcome == "applied" and applied.verified is True, (applied.error, applied.verification)
    assert any("was accepted (the change was made)" in e for e in events), events


@pytest.mark.parametrize("code", [403, 409, 500])
def test_a_failed_sql_operation_poll_rereads_and_verifies(code: int) -> None:
    applied, events, calls = _apply_with_faults(
        fw.stopped, "instance-stopped",
        [{"api": "sqladmin", "method": "SqlOperationsService/Get", "code": code}])
    assert applied.outcome == "applied" and applied.verified is True, (applied.error, applied.verification)
    polled = [c for c in calls if c.service == "SqlOperationsService"]
    if polled:  # the sandbox may finish the operation at once; then there is nothing to poll
        assert any("was accepted (the change was made)" in e for e in events), events


@pytest.mark.parametrize("cidr", ["::ffff:0:0/96", "2001:db8::/16", "::/0", "0.0.0.0/0", "10.0.0.0/8",
                                  "::ffff:10.0.0.0/104", "2002::/16", "64:ff9b::/96"])
def test_open_to_the_world_is_refused_even_when_typed(cidr: str) -> None:
    with pytest.raises(Refused, match="opens the database to the internet"):
        check_network(cidr, typed_by_user=True)


@pytest.mark.parametrize(("cidr", "typed"), [("2001:db8::/48", False), ("::ffff:203.0.113.0/112", False),
                                              ("203.0.113.0/20", False)])
def test_wide_ranges_need_typing(cidr: str, typed: bool) -> None:
    with pytest.raises(Refused, match="wider than"):
        check_network(cidr, typed_by_user=typed)
    assert check_network(cidr, typed_by_user=True)


@pytest.mark.parametrize("cidr", ["203.0.113.7/32", "2001:db8::1/128", "2001:db8:1:2::/64", "::ffff:203.0.113.7/128"])
def test_narrow_ranges_pass(cidr: str) -> None:
    assert check_network(cidr, typed_by_user=False)


def test_traffic_pinned_to_an_old_revision_is_not_verified() -> None:
    """The fix writes a new revision; with traffic pinned to the old one, the serving revision
    does not carry the change, so the fix is applied but not verified, and says why."""

    def pinned(w: dict[str, Any]) -> None:
        fw.not_attached(w)
        fw.workload(w)["traffic"] = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                                      "revision": fw.REV.rsplit("/", 1)[-1], "percent": 100}]

    applied, events, calls = _apply_with_faults(pinned, "cloudsql-not-attached", [])
    assert applied.outcome == "applied" and applied.verified is False, applied.verification
    assert "traffic is pinned to revision" in applied.verification
    assert "update-traffic orders-api --to-latest" in applied.verification


def test_a_write_keeps_fields_the_client_library_does_not_know() -> None:
    """A field Google added after this library (unknown to its protos) survives read-modify-write:
    the JSON the fix edits drops it, the message written carries it again."""
    from google.cloud import run_v2

    from troubleshooter.gateway import dict_to_message, keep_unknown_fields, message_to_dict

    svc = run_v2.Service(name=fw.SVC_NAME, template=run_v2.RevisionTemplate(
        containers=[run_v2.Container(name="app", image="i")]))
    read = run_v2.Service.pb(run_v2.Service())
    read.ParseFromString(run_v2.Service.pb(svc).SerializeToString() + b"\xb8\x3e\x07")  # field 999 = 7
    read.template.containers[0].MergeFromString(b"\xb0\x3e\x05")  # field 998 = 5, inside the container
    edited = message_to_dict(read)
    assert "999" not in str(edited)  # JSON lost it
    edited["template"]["containers"][0]["env"] = [{"name": "A", "value": "b"}]
    written = run_v2.Service.pb(dict_to_message(run_v2.Service, edited))
    keep_unknown_fields(read, written)
    raw = written.SerializeToString()
    assert b"\xb8\x3e\x07" in raw and b"\xb0\x3e\x05" in raw
    assert written.template.containers[0].env[0].name == "A"
