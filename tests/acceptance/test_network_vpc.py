"""Acceptance: the real google-cloud-compute and google-cloud-vpc-access clients against the sandbox,
and the VPC causes end to end (issue 12: admin-api-unreachable-from-vpc, vpc-subnet-wrong-region).

The Compute resources are gcpdiag's captured dumps (tests/data/gcpdiag/network, Apache-2.0, see
ORIGIN) served exactly as stored, so a capture of them round-trips.
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from cases import loopback_only, run_world, scenario_data
from troubleshooter.engine.tree import load_graph
from troubleshooter.failures import ApiFailure
from troubleshooter.gateway import Gateway
from troubleshooter.sandbox.core import Sandbox
from troubleshooter.world import world_from_data

DATA = Path(__file__).parent.parent / "data" / "gcpdiag" / "network"
GP = "gcpdiag-gke1-aaaa"
GR = "europe-west4"
SCENARIO = "connector-all-traffic-no-pga"
P, R = "acme-orders-prod", "europe-west1"
C = "https://www.googleapis.com/compute/v1/"


def _dump(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def gcpdiag_world() -> dict[str, Any]:
    w = copy.deepcopy(scenario_data("healthy-baseline"))
    w.pop("expect", None)
    w["target"] = {"project": GP, "region": GR, "service": "orders-api"}
    w["projects"][0]["projectId"] = GP
    w["projects"][0].pop("enabledServices", None)
    w["networks"] = [_dump("gke1-network-default.json")]
    w["subnetworks"] = _dump("gke1-subnetworks-europe-west4.json")["items"]
    w["routers"] = _dump("gke1-routers-europe-west4.json")["items"]
    w["firewalls"] = _dump("gce1-effective-firewalls-default.json")["firewalls"]
    w["vpcConnectors"] = [{"name": f"projects/{GP}/locations/{GR}/connectors/c1", "network": "default",
                           "ipCidrRange": "10.8.0.0/28", "state": "READY", "machineType": "e2-micro",
                           "minInstances": 2, "maxInstances": 10}]
    return w


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with loopback_only(), Sandbox(world_from_data(gcpdiag_world(), "<gcpdiag>")) as sb:
        yield sb


@pytest.fixture(scope="module")
def gw(sandbox: Sandbox) -> Iterator[Gateway]:
    env = dict(sandbox.env)
    # gcloud's own form of the compute override ends in /compute/v1/: accepted as is.
    env["CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE"] = sandbox.endpoints["compute"] + "/compute/v1/"
    g = Gateway.from_env(env, timeout=5, deadline=5)
    yield g
    g.close()


def test_compute_serves_the_world_exactly(gw: Gateway) -> None:
    net = gw.get_network(GP, "default")
    want = _dump("gke1-network-default.json")
    assert net["selfLink"] == want["selfLink"] and net["peerings"] == want["peerings"]
    assert net["subnetworks"] == want["subnetworks"]
    sub = gw.get_subnetwork(GP, GR, "default")
    assert sub == _dump("gke1-subnetworks-europe-west4.json")["items"][0]
    assert sub["privateIpGoogleAccess"] is True and sub["region"].endswith(f"/regions/{GR}")
    routers = gw.list_routers(GP, GR)
    assert routers == _dump("gke1-routers-europe-west4.json")["items"]
    assert routers[0]["nats"][0]["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    rules = gw.list_firewalls("gcpdiag-gce1-aaaa")  # the firewall dump names its own project
    assert {r["name"] for r in rules} == {r["name"] for r in _dump("gce1-effective-firewalls-default.json")["firewalls"]}
    assert gw.list_routers(GP, "us-east4") == []


def test_vpcaccess_connector(gw: Gateway) -> None:
    con = gw.get_connector(f"projects/{GP}/locations/{GR}/connectors/c1")
    assert con["state"] == "READY" and con["network"] == "default"
    with pytest.raises(ApiFailure) as info:
        gw.get_connector(f"projects/{GP}/locations/{GR}/connectors/gone")
    assert info.value.kind == "not-found"


def test_compute_404_is_computes_own_shape(sandbox: Sandbox, gw: Gateway) -> None:
    url = f"{sandbox.endpoints['compute']}/compute/v1/projects/{GP}/global/networks/nope"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=5)  # noqa: S310 - loopback sandbox
    body = json.loads(info.value.read())["error"]
    assert info.value.code == 404 and "status" not in body
    assert body["message"] == f"The resource 'projects/{GP}/global/networks/nope' was not found"
    assert body["errors"] == [{"message": body["message"], "domain": "global", "reason": "notFound"}]
    with pytest.raises(ApiFailure) as failure:
        gw.get_network(GP, "nope")
    assert failure.value.kind == "not-found"


def _faulty(fault: dict[str, Any]) -> Iterator[Gateway]:
    w = gcpdiag_world()
    w["faults"] = [fault]
    with loopback_only(), Sandbox(world_from_data(w, "<faulty>")) as sb:
        g = Gateway.from_env(sb.env, timeout=5, deadline=5)
        try:
            yield g
        finally:
            g.close()


def test_compute_403_names_the_permission() -> None:
    for g in _faulty({"api": "compute", "method": "Networks/Get", "code": 403}):
        with pytest.raises(ApiFailure) as info:
            g.get_network(GP, "default")
        f = info.value
        assert f.kind == "permission-denied" and f.permission == "compute.networks.get"
        assert "Required 'compute.networks.get' permission" in f.message


def test_compute_and_vpcaccess_disabled_name_the_api() -> None:
    w = gcpdiag_world()
    w["projects"][0]["enabledServices"] = ["run.googleapis.com", "sqladmin.googleapis.com"]
    with loopback_only(), Sandbox(world_from_data(w, "<off>")) as sb:
        g = Gateway.from_env(sb.env, timeout=5, deadline=5)
        try:
            with pytest.raises(ApiFailure) as info:
                g.get_subnetwork(GP, GR, "default")
            assert info.value.kind == "api-disabled" and info.value.service == "compute.googleapis.com"
            with pytest.raises(ApiFailure) as info:
                g.get_connector(f"projects/{GP}/locations/{GR}/connectors/c1")
            assert info.value.kind == "api-disabled" and info.value.service == "vpcaccess.googleapis.com"
        finally:
            g.close()


# --------------------------------------------------------------------------- the causes, end to end


@pytest.fixture(scope="module")
def graph() -> Any:
    return load_graph()


def _scenario() -> dict[str, Any]:
    w = copy.deepcopy(scenario_data(SCENARIO))
    w.pop("expect", None)
    return w


def _subnet(w: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in w["subnetworks"] if s["name"] == "run-egress-euw1")


def _diagnose(w: dict[str, Any], graph: Any) -> Any:
    with loopback_only():
        return run_world(w, graph).diagnosis


def _pga_on(w: dict[str, Any]) -> None:
    _subnet(w)["privateIpGoogleAccess"] = True


def _nat(w: dict[str, Any]) -> None:
    w["routers"][0]["nats"] = [{"name": "nat-all", "sourceSubnetworkIpRangesToNat": "ALL_SUBNETWORKS_ALL_IP_RANGES",
                                "natIpAllocateOption": "AUTO_ONLY"}]


def _private_ranges(w: dict[str, Any]) -> None:
    w["services"][0]["template"]["vpcAccess"]["egress"] = "PRIVATE_RANGES_ONLY"


def _deny_egress(w: dict[str, Any]) -> None:
    _pga_on(w)
    _nat(w)
    w["firewalls"].append({"name": "deny-all-egress", "network": f"{C}projects/{P}/global/networks/orders-vpc",
                           "direction": "EGRESS", "priority": 1000, "denied": [{"IPProtocol": "all"}],
                           "destinationRanges": ["0.0.0.0/0"]})


def _subnet_elsewhere(w: dict[str, Any]) -> None:
    _nat(w)
    sub = _subnet(w)
    sub["region"] = f"{C}projects/{P}/regions/europe-west4"
    sub["selfLink"] = f"{C}projects/{P}/regions/europe-west4/subnetworks/run-egress-euw1"
    w["networks"][0]["subnetworks"][0] = sub["selfLink"]


def _connector(region: str, state: str = "READY", *, nat: bool = True, subnet: bool = False) -> Any:
    def step(w: dict[str, Any]) -> None:
        if nat:
            _nat(w)
        name = f"projects/{P}/locations/{region}/connectors/run-conn"
        w["services"][0]["template"]["vpcAccess"] = {"connector": name, "egress": "ALL_TRAFFIC"}
        w["projects"][0]["enabledServices"].append("vpcaccess.googleapis.com")
        w["vpcConnectors"] = [{"name": name, "network": "orders-vpc", "ipCidrRange": "10.8.0.0/28",
                               "state": state, "machineType": "e2-micro"}]
        if subnet:  # a connector on a subnet of its own (the console's "custom subnet")
            del w["vpcConnectors"][0]["ipCidrRange"]
            w["vpcConnectors"][0]["subnet"] = {"name": "run-egress-euw1", "projectId": P}
    return step


CAUSES = {
    "the scenario": ([], ["all-traffic-egress-to-public-ip", "admin-api-unreachable-from-vpc"]),
    "Private Google Access on": ([_pga_on], ["all-traffic-egress-to-public-ip"]),
    "Cloud NAT present": ([_nat], []),
    "PRIVATE_RANGES_ONLY": ([_private_ranges], []),
    "egress firewall deny": ([_deny_egress], ["admin-api-unreachable-from-vpc"]),
    # The egress itself goes nowhere: the public-IP dial cannot be shown to leave either.
    "subnet in another region": ([_subnet_elsewhere], ["all-traffic-egress-to-public-ip", "vpc-subnet-wrong-region"]),
    "connector READY in region": ([_connector(R)], []),
    "connector on a subnet without PGA or NAT": ([_connector(R, nat=False, subnet=True)],
                                                 ["all-traffic-egress-to-public-ip", "admin-api-unreachable-from-vpc"]),
    "connector in another region": ([_connector("europe-west4")],
                                    ["all-traffic-egress-to-public-ip", "vpc-subnet-wrong-region"]),
}


@pytest.mark.parametrize("case", list(CAUSES))
def test_vpc_causes_and_near_misses(case: str, graph: Any) -> None:
    steps, want = CAUSES[case]
    w = _scenario()
    for step in steps:
        step(w)
    d = _diagnose(w, graph)
    assert d.cause_ids == want, [(c.id, c.summary) for c in d.causes]


def test_a_denied_subnet_read_is_doubt_naming_the_permission(graph: Any) -> None:
    w = _scenario()
    w["faults"] = [{"api": "compute", "method": "Subnetworks/Get", "code": 403}]
    d = _diagnose(w, graph)
    assert "admin-api-unreachable-from-vpc" not in d.cause_ids
    probe = d.probes["network"]
    assert probe.outcome.value == "uncertain" and "compute.subnetworks.get" in probe.summary
    doubts = " ".join(s.result.summary for s in d.uncertain if s.result is not None)
    assert "compute.subnetworks.get" in doubts


def test_compute_off_names_the_api(graph: Any) -> None:
    w = _scenario()
    w["projects"][0]["enabledServices"].remove("compute.googleapis.com")
    d = _diagnose(w, graph)
    assert "compute.googleapis.com" in d.probes["network"].summary


def test_connector_reads_stay_in_the_second_wave(graph: Any) -> None:
    """connectors.get and subnetworks.list go out together: no read waits for the connector."""
    w = _scenario()
    _connector(R, nat=False, subnet=True)(w)
    with loopback_only():
        run = run_world(w, graph)
    assert run.called("compute", "Subnetworks/List") and not run.called("compute", "Subnetworks/Get")
    assert len(run.called("vpcaccess", "GetConnector")) == 1
