"""The VPC itself (issue 12): can calls to Google APIs leave it, and is the egress subnet where it should be?

Both checks read the network probe's Compute / Serverless VPC Access facts (facts.network) and
stay out of the way for workloads without VPC egress. A fact that could not be read makes them
uncertain and names the permission or API; a resource Compute says does not exist is a fact.
"""

from __future__ import annotations

from typing import Any

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params
from troubleshooter.checks.verdicts import failed, unknown
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.method import connect_method
from troubleshooter.facts.network import EgressPath, Subnet, blocking_firewall
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import APP, LOGS, NETWORK, RUN_CONFIG, SERVING
from troubleshooter.facts.workload import run_ev
from troubleshooter.model import CheckResult, Evidence, RunConfig
from troubleshooter.remedies import commands as cmd

# Who calls sqladmin.googleapis.com:443 (instance metadata, ephemeral certificates) from inside
# the container, so through the revision's VPC egress: a connector library and an Auth Proxy
# sidecar do (both are the app's own processes). The built-in /cloudsql connection is made by
# Cloud Run itself: its data path uses the revision's VPC egress (a private-IP instance needs
# it: moonklabs/sprintable#3645, `--set-cloudsql-instances` alone timing out on dial tcp
# 10.x:3307), but where its Admin API calls go is not documented, so that stays uncertain.
_CALLS_FROM_CONTAINER = {"connector": "the Cloud SQL connector library", "localhost-proxy": "the Cloud SQL Auth Proxy sidecar"}
_MAYBE = {"unix-socket": "Cloud Run's built-in Cloud SQL connection", "unknown": "whatever connects the app"}


def _all_traffic(run: RunConfig) -> bool:
    return (run.vpc.egress or "").upper().replace("-", "_") in ("ALL_TRAFFIC", "ALL")


def _vpc_ev(run: RunConfig) -> Evidence:
    vpc = run.vpc
    value = {k: v for k, v in (("network", vpc.network), ("subnetwork", vpc.subnetwork),
                              ("connector", vpc.connector), ("egress", vpc.egress)) if v}
    return run_ev(run, "vpcAccess", value)


def _subnet_of(obs: Facts, path: EgressPath) -> tuple[str, str, str, str] | CheckResult:
    """(subnet project, region, subnet, network) the egress uses, or why it is not known."""
    if path.kind == "connector":
        con = obs.connector(path.connector)
        if con is None:
            f = obs.failure(FactKey.connector(path.connector))
            if f is not None and f.kind == "not-found":
                return CheckResult.skipped(f"Connector {path.connector} does not exist (vpc-subnet-wrong-region).")
            return unknown(obs, f"connector {path.connector}", FactKey.connector(path.connector))
        if not con.subnet:
            return CheckResult.uncertain(
                f"Connector {path.connector} uses its own IP range {con.raw.get('ipCidrRange', '?')} on network "
                f"{con.network}, not a subnet the tool can read: whether Private Google Access or Cloud NAT "
                "covers it is not known (`gcloud compute routers list`).", con.evidence("ipCidrRange", con.raw.get("ipCidrRange")))
        return con.subnet_project, con.region or path.subnet_region, con.subnet, con.network
    # Direct VPC egress with a network only uses the subnet of the same name (gcloud run deploy
    # --network: "If --subnet is not specified, the subnet with the same name as the network").
    subnet = path.subnet or path.network
    return path.subnet_project, path.subnet_region, subnet, path.network


# --------------------------------------------------------------------------- Admin API reachability


def _reach(obs: Facts, run: RunConfig, caller: str, sure: bool) -> CheckResult:
    path = obs.egress_path()
    assert path is not None
    where = _subnet_of(obs, path)
    if isinstance(where, CheckResult):
        return where
    sproject, region, subnet_name, network = where
    key = FactKey.subnetwork(sproject, region, subnet_name)
    sub = obs.subnet(sproject, region, subnet_name)
    if sub is None:
        f = obs.failure(key)
        if f is not None and f.kind == "not-found":
            return CheckResult.skipped(f"Subnet {subnet_name} does not exist in {region} (vpc-subnet-wrong-region).")
        return unknown(obs, f"whether subnet {subnet_name} lets {caller} reach sqladmin.googleapis.com", key,
                       FactKey.subnetworks(sproject, region))
    network = network or sub.network
    nproject = sub.network_project
    vpc_ev = _vpc_ev(run)
    pga_ev = sub.evidence("privateIpGoogleAccess", sub.private_google_access)
    params = _params(obs, sub, nproject)
    # An egress firewall deny wins whatever the route: check it first.
    rules = obs.firewalls(nproject)
    if rules is None:
        fw_doubt = obs.reason(FactKey.firewalls(nproject))
    else:
        deny, unclear = blocking_firewall(rules, network, path.tags)
        fw_doubt = ("a firewall rule targeting service accounts may apply" if unclear else "")
        if deny is not None:
            summary = (f"{obs.target.kind.capitalize()} {obs.target.name} sends all traffic into VPC {network} "
                       f"(egress ALL_TRAFFIC) and egress firewall rule {deny.name} (priority {deny.priority}) "
                       f"denies tcp:443 to Google's API addresses, so {caller}'s calls to "
                       "sqladmin.googleapis.com:443 are dropped.")
            if not sure:
                return CheckResult.uncertain(summary + f" Whether {caller} calls it through the VPC is not "
                                             "documented.", vpc_ev, deny.evidence())
            fw_params = {**params, "firewall": deny.name,
                         "step_1": (f"Allow tcp:443 to private.googleapis.com (199.36.153.8/30) above rule "
                                    f"{deny.name} (priority {deny.priority}) and resolve *.googleapis.com to it "
                                    "in a Cloud DNS private zone: " + cmd.allow_google_apis_egress(
                                        network, nproject, max(deny.priority - 1, 0))),
                         "step_2": params["step_3"], "step_3": ""}
            return failed(summary, [vpc_ev, deny.evidence()], fw_params,
                          [("egress tcp:443 to Google APIs", "allowed", f"denied by {deny.name}")])
    if sub.private_google_access:
        return CheckResult.ok(f"Subnet {sub.name} ({sub.region}) has Private Google Access: "
                              f"sqladmin.googleapis.com is reachable from the VPC"
                              + (f" ({fw_doubt})." if fw_doubt else "."), pga_ev)
    nats = obs.nats(nproject, sub.region, network)
    if nats is None:
        return unknown(obs, f"whether Cloud NAT serves subnet {sub.name}", FactKey.routers(nproject, sub.region))
    covering = [n for n in nats if n.covers(sub)]
    if covering:
        return CheckResult.ok(f"Cloud NAT {covering[0].name} on router {covering[0].router} serves subnet "
                              f"{sub.name}: sqladmin.googleapis.com is reachable from the VPC.", pga_ev)
    nat_ev = Evidence(NETWORK, "routers[].nats[]", [f"{n.router}/{n.name}" for n in nats], "compute.googleapis.com",
                      f"projects/{nproject}/regions/{sub.region}/routers",
                      "no NAT covers the subnet" if nats else "no Cloud NAT in the region")
    summary = (f"{obs.target.kind.capitalize()} {obs.target.name} sends all traffic into VPC {network} "
               f"(egress ALL_TRAFFIC) through subnet {sub.name} ({sub.region}), which has neither Private "
               f"Google Access nor Cloud NAT, so {caller}'s calls to sqladmin.googleapis.com:443 (instance "
               "metadata, ephemeral certificates) have no way out and time out.")
    if not sure:
        return CheckResult.uncertain(
            summary + f" {caller[0].upper() + caller[1:]} is made by Cloud Run itself; whether its Admin API "
            "calls go through the revision's VPC is not documented.", vpc_ev, pga_ev, nat_ev)
    return failed(summary, [vpc_ev, pga_ev, nat_ev], params,
                  [("Private Google Access on the subnet", "on (or Cloud NAT)", "off, no NAT"),
                   ("VPC egress", "PRIVATE_RANGES_ONLY (or a way out of the VPC)", "ALL_TRAFFIC")])


def _params(obs: Facts, sub: Subnet, nproject: str) -> dict[str, Any]:
    network = sub.network
    return {
        **base_params(obs),
        "subnet": sub.name, "subnet_region": sub.region, "subnet_project": sub.project,
        "network": network, "network_project": nproject,
        "step_1": "Enable Private Google Access on the subnet: "
                  + cmd.enable_private_google_access(sub.name, sub.region, sub.project),
        "step_2": "Or give the network a way out with Cloud NAT: "
                  + " && ".join(cmd.create_cloud_nat(network, sub.region, nproject)),
        "step_3": "Or send only private ranges into the VPC: " + cmd.egress_private_ranges(obs.target),
    }


def admin_api_unreachable_from_vpc(obs: Facts) -> CheckResult:
    run = obs.run
    if run is None:
        return unknown(obs, "the revision's VPC egress", FactKey.run())
    if obs.egress_path() is None:
        return CheckResult.skipped(f"{obs.target.kind.capitalize()} {obs.target.name} has no VPC egress.")
    if not _all_traffic(run):
        return CheckResult.ok("VPC egress sends only private ranges into the VPC: calls to "
                              "sqladmin.googleapis.com leave through Cloud Run's own egress.", _vpc_ev(run))
    method = connect_method(obs)
    if method.kind in _CALLS_FROM_CONTAINER:
        return _reach(obs, run, _CALLS_FROM_CONTAINER[method.kind], True)
    if method.kind in _MAYBE:
        return _reach(obs, run, _MAYBE[method.kind], False)
    return CheckResult.skipped(f"The app connects by {method.kind} ({method.why}): nothing in the container "
                               "calls the Cloud SQL Admin API.")


# --------------------------------------------------------------------------- subnet / connector region


def _wrong_region(obs: Facts, run: RunConfig, path: EgressPath) -> CheckResult:
    region = obs.target.region
    latest = obs.latest or obs.serving  # a subnet that is gone shows in a revision that failed
    vpc_ev = _vpc_ev(run)
    params = base_params(obs)
    if path.kind == "connector":
        con_region = path.subnet_region
        key = FactKey.connector(path.connector)
        con = obs.connector(path.connector)
        fix = {**params, "connector": path.connector,
               "list_command": cmd.list_connectors(path.network_project or obs.target.project, region),
               "move_command": cmd.move_connector(obs.target, f"projects/{path.network_project}/locations/{region}/connectors/CONNECTOR")}
        if con_region != region:
            return failed(f"{obs.target.kind.capitalize()} {obs.target.name} runs in {region} but its VPC "
                          f"connector {path.connector} is in {con_region}: a connector serves only its own region.",
                          [vpc_ev], fix, [("connector region", region, con_region)])
        if con is None:
            f = obs.failure(key)
            if f is not None and f.kind == "not-found":
                return failed(f"The VPC connector {path.connector} that {obs.target.kind} {obs.target.name} "
                              "egresses through does not exist, so its VPC egress goes nowhere.",
                              [vpc_ev], fix, [("connector", "exists, READY", "not found")])
            return unknown(obs, f"whether connector {path.connector} exists", key)
        state_ev = con.evidence("state", con.state)
        if con.state != "READY":
            return CheckResult.uncertain(f"Connector {path.connector} is in {region} but in state {con.state}, "
                                         "not READY: egress through it may fail.", vpc_ev, state_ev)
        return CheckResult.ok(f"Connector {short_name(path.connector)} is READY in {region}.", state_ev)
    subnet = path.subnet or path.network
    if not subnet:
        return CheckResult.skipped("The VPC egress names no subnet.")
    fix = {**params, "subnet": subnet, "network": path.network or "NETWORK",
           "list_command": cmd.describe_subnets(path.network or "NETWORK", path.network_project or obs.target.project),
           "move_command": cmd.move_egress_subnet(obs.target, path.network or None, "SUBNET")}
    if path.subnet_region != region:
        return failed(f"{obs.target.kind.capitalize()} {obs.target.name} runs in {region} but its Direct VPC "
                      f"egress names subnet {subnet} in {path.subnet_region}: the subnet must be in the "
                      "service's region.", [vpc_ev], fix, [("egress subnet region", region, path.subnet_region)])
    key = FactKey.subnetwork(path.subnet_project, region, subnet)
    sub = obs.subnet(path.subnet_project, region, subnet)
    if sub is not None:
        return CheckResult.ok(f"Egress subnet {subnet} is in {sub.region}, the {obs.target.kind}'s region.",
                              sub.evidence("region", sub.region))
    f = obs.failure(key)
    if f is None or f.kind != "not-found":
        return unknown(obs, f"whether subnet {subnet} is in {region}", key)
    net = obs.network(path.network_project, path.network) if path.network else None
    regions = net.subnet_regions(subnet) if net is not None else None
    if regions:
        return failed(f"{obs.target.kind.capitalize()} {obs.target.name} runs in {region}, but subnet {subnet} of "
                      f"network {path.network} exists only in {', '.join(regions)}: Direct VPC egress uses a "
                      "subnet of the service's own region.",
                      [vpc_ev, net.evidence("subnetworks[]", f"{subnet} in {', '.join(regions)}")],  # type: ignore[union-attr]
                      fix, [("egress subnet region", region, ", ".join(regions))])
    if net is not None and regions == []:
        return failed(f"Subnet {subnet} does not exist in network {path.network} (in no region), yet "
                      f"{obs.target.kind} {obs.target.name}'s Direct VPC egress names it.",
                      [vpc_ev, net.evidence("subnetworks[]", "(no such subnet)")], fix,
                      [("egress subnet", f"a subnet of {path.network} in {region}", "not found")])
    if latest is not None and latest.ready is False:
        return failed(f"Subnet {subnet} does not exist in {region} and the newest revision is not ready: "
                      "Cloud Run cannot place its egress.", [vpc_ev], fix,
                      [("egress subnet", f"a subnet in {region}", "not found")])
    return CheckResult.skipped(f"Compute has no subnet {subnet} in {region}, but the revision deployed (Cloud "
                               "Run checks the subnet at deploy) and its network was not read: not judged.")


def short_name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def vpc_subnet_wrong_region(obs: Facts) -> CheckResult:
    run = obs.run
    if run is None:
        return unknown(obs, "the revision's VPC egress", FactKey.run())
    path = obs.egress_path()
    if path is None:
        return CheckResult.skipped(f"{obs.target.kind.capitalize()} {obs.target.name} has no VPC egress.")
    return _wrong_region(obs, run, path)


CHECKS = (
    Check.reporting("admin-api-unreachable-from-vpc", probes=(RUN_CONFIG, APP, LOGS, NETWORK),
                    judge=admin_api_unreachable_from_vpc),
    Check.reporting("vpc-subnet-wrong-region", probes=(RUN_CONFIG, SERVING, NETWORK),
                    judge=vpc_subnet_wrong_region),
)
