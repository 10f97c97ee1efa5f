"""Can the revision's egress reach the address the connection uses (public vs private IP, VPC)?"""

from __future__ import annotations

from typing import Any

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params, instance_params
from troubleshooter.checks.verdicts import failed, per_instance, unknown
from troubleshooter.facts.instance import Instance
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.names import path_project, short
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import APP, NETWORK, RUN_CONFIG, SQL
from troubleshooter.facts.workload import run_ev
from troubleshooter.model import CheckResult, InstanceRef, Outcome, RunConfig, VpcAccess
from troubleshooter.remedies.contracts import (
    SUBNET_PLACEHOLDER,
    AddVpcEgress,
    SetEgressPrivateRanges,
)


def _egress(vpc: VpcAccess) -> str:
    """ALL_TRAFFIC | PRIVATE_RANGES_ONLY, whatever spelling the API or gcloud used."""
    raw = (vpc.egress or "").upper().replace("-", "_")
    if raw in ("ALL_TRAFFIC", "ALL"):
        return "ALL_TRAFFIC"
    # Unset means private ranges only, the API's default for both egress kinds.
    return "PRIVATE_RANGES_ONLY"


def _vpc_value(vpc: VpcAccess) -> dict[str, Any]:
    return {k: v for k, v in (("network", vpc.network), ("subnetwork", vpc.subnetwork),
                              ("connector", vpc.connector), ("egress", vpc.egress)) if v}


def _dials_private(obs: Facts, inst: Instance) -> list[str]:
    """The instance's private IPs the app dials itself (a TCP DSN host)."""
    view = obs.app
    private = set(inst.ips("PRIVATE"))
    return [c.dsn.host for c in view.tcp("ip") if c.dsn and c.dsn.host in private] if view else []


def _uses_private_path(obs: Facts, inst: Instance) -> tuple[bool, str]:
    """Whether the connection goes to the private IP, and why (for the summary)."""
    if not inst.has_private_ip:
        return False, "has no private IP"
    dialled = _dials_private(obs, inst)
    if dialled:
        return True, f"the app dials its private IP {dialled[0]}"
    if not inst.has_public_ip:
        return True, "it has only a private IP, which Cloud Run's connection then uses"
    return False, "it has a public IP, which Cloud Run's connection uses"


def _network_params(obs: Facts, inst: Instance) -> dict[str, Any]:
    full = inst.private_network or ""
    net_project = path_project(full, inst.project or obs.target.project)
    name = short(full)
    shared = net_project != obs.target.project
    # An auto-mode `default` network has a subnet named `default` in every region; any other
    # network's subnet is the operator's choice (it needs a free /26 for direct VPC egress).
    subnet = "default" if name == "default" else SUBNET_PLACEHOLDER
    return {
        "network": full if shared else name,
        "network_full": full,
        "network_name": name,
        "network_project": net_project,
        "subnet": (f"projects/{net_project}/regions/{obs.target.region}/subnetworks/{subnet}"
                   if shared else subnet),
        "vpc_egress": "private-ranges-only",
    }


def _psa(obs: Facts, inst: Instance, name: str) -> CheckResult | None:
    """Private services access on the instance's network (the network probe's networks.get).

    A private IP is reached through the `servicenetworking-googleapis-com` peering; without it
    (deleted after the instance got its IP) egress into the right network still cannot reach it.
    None when the network was not read (a world or project without that data: the verdict stays
    what the Run configuration decides), a 404 included.
    """
    full = inst.private_network or ""
    if not full:
        return None
    project, net_name = path_project(full, inst.project or obs.target.project), short(full)
    net = obs.network(project, net_name)
    if net is None:
        f = obs.failure(FactKey.network(project, net_name))
        if f is None or f.kind == "not-found":
            return None
        return CheckResult.ok(f"(Private services access on {net_name} not confirmed: {f.explain()}.)")
    peering = net.psa_peering
    ev = net.evidence("peerings[]", [p.get("name") for p in net.raw.get("peerings") or ()])
    if net.has_private_services_access:
        return CheckResult.ok(f"Network {net_name} has private services access (peering "
                              "servicenetworking-googleapis-com ACTIVE).", ev)
    state = f"in state {peering.get('state')}" if peering is not None else "missing"
    return CheckResult.uncertain(
        f"Instance {name}'s private IP is on network {net_name}, but its private services access peering "
        f"(servicenetworking-googleapis-com) is {state}: the private IP is not routable from the VPC until "
        f"it is restored (`gcloud services vpc-peerings list --network={net_name} --project={project}`).", ev)


def _need_run(obs: Facts) -> RunConfig | CheckResult:
    run = obs.run
    return run if run is not None else unknown(obs, "the revision's VPC egress", FactKey.run())


# --------------------------------------------------------------------------- Private Service Connect


def _psc_only(obs: Facts, run: RunConfig, inst: Instance, name: str, *evidence: Any) -> CheckResult | None:
    """An instance with neither a public nor a private IP, only Private Service Connect.

    Only a client in a VPC network holding a PSC endpoint (a forwarding rule to the instance's
    pscServiceAttachmentLink, in an allowed consumer project) reaches it, by that endpoint's IP or
    the instance's dnsName. The tool reads no forwarding rules, so it never calls that path fine.
    """
    ip = inst.ip_configuration
    psc = ip.get("pscConfig") or {}
    if not psc.get("pscEnabled") or inst.has_public_ip or inst.has_private_ip:
        return None
    attachment = inst.raw.get("pscServiceAttachmentLink") or "its service attachment"
    dns = str(inst.raw.get("dnsName") or "").rstrip(".") or "its DNS name"
    consumers = ", ".join(psc.get("allowedConsumerProjects") or []) or "none listed"
    reach = (f"Instance {name} has no public or private IP, only Private Service Connect: it is reached "
             f"only from a VPC network with a PSC endpoint for {attachment} (allowed consumer projects: "
             f"{consumers}), at that endpoint's IP or {dns}, through a Cloud SQL connector or Auth Proxy "
             "with PSC, or TCP to the endpoint.")
    ev = (*evidence, inst.evidence("settings.ipConfiguration.pscConfig", psc))
    if not run.vpc.configured:
        return CheckResult.uncertain(
            f"{reach} {obs.target.kind.capitalize()} {obs.target.name} has no VPC egress, so nothing in "
            "it can reach the instance; add VPC egress into a network with such an endpoint.", *ev)
    return CheckResult.uncertain(
        f"{reach} {obs.target.kind.capitalize()} {obs.target.name} egresses into "
        f"{run.vpc.network or run.vpc.subnetwork or run.vpc.connector}; whether that network holds the "
        "endpoint is not read here (`gcloud compute forwarding-rules list --filter=target~serviceAttachments`).",
        *ev)


# --------------------------------------------------------------------------- private IP, no egress


def _private_no_egress(obs: Facts, run: RunConfig, ref: InstanceRef, inst: Instance) -> CheckResult:
    name = inst.connection_name or ref.key
    ip_ev = inst.evidence("ipAddresses[]", inst.ip_addresses, f"ipv4Enabled={inst.ipv4_enabled}")
    private, why = _uses_private_path(obs, inst)
    vpc_ev = run_ev(run, "vpcAccess", _vpc_value(run.vpc))
    psc = _psc_only(obs, run, inst, name, ip_ev, vpc_ev)
    if psc is not None:
        return psc
    if not private:
        return CheckResult.skipped(f"Instance {name}: {why}; VPC egress is not needed for it.")
    if run.vpc.configured:
        psa = _psa(obs, inst, name)
        if psa is not None and psa.outcome == Outcome.UNCERTAIN:
            return CheckResult.uncertain(psa.summary, ip_ev, vpc_ev, *psa.evidence)
        return CheckResult.ok(
            f"{obs.target.kind.capitalize()} {obs.target.name} has VPC egress "
            f"({run.vpc.network or run.vpc.subnetwork or run.vpc.connector}) to reach {name}'s "
            "private IP." + (f" {psa.summary}" if psa is not None else ""), ip_ev, vpc_ev,
            *(psa.evidence if psa is not None else ()),
        )
    params = {**base_params(obs), **instance_params(inst, ref), **_network_params(obs, inst),
              "private_ip": (inst.ips("PRIVATE") or [None])[0]}
    # Which subnet has free addresses is the operator's call: no automatic fix without it.
    chosen = short(params["subnet"]) != SUBNET_PLACEHOLDER
    subnet_txt = ("" if chosen else
                  " The subnet (SUBNET) must be chosen by the operator: a subnet of that network "
                  f"in {obs.target.region} with a free /26.")
    return failed(
        f"Instance {name} is reached on its private IP ({why}), but {obs.target.kind} "
        f"{obs.target.name} has no VPC egress, so the connection cannot leave Google's serverless "
        f"network towards VPC {params['network_name']}.{subnet_txt}",
        [ip_ev, inst.evidence("settings.ipConfiguration.privateNetwork", params["network_full"]),
         vpc_ev],
        params,
        [("VPC egress", f"network {params['network_name']}", "none"),
         ("instance public IP", "-", "none" if not inst.has_public_ip else "present")],
        AddVpcEgress(obs.target, params["network"], params["network_name"],
                     params["subnet"] if chosen else None),
    )


def private_ip_without_vpc_egress(obs: Facts) -> CheckResult:
    run = _need_run(obs)
    if isinstance(run, CheckResult):
        return run
    return per_instance(obs, lambda ref, inst: _private_no_egress(obs, run, ref, inst))


# --------------------------------------------------------------------------- wrong network


def _mismatch(obs: Facts, run: RunConfig, ref: InstanceRef, inst: Instance) -> CheckResult:
    name = inst.connection_name or ref.key
    private, why = _uses_private_path(obs, inst)
    if not private:
        return CheckResult.skipped(f"Instance {name}: {why}; the VPC network does not matter.")
    if not run.vpc.configured:
        return CheckResult.skipped(
            f"{obs.target.kind.capitalize()} {obs.target.name} has no VPC egress "
            "(private-ip-without-vpc-egress)."
        )
    want = inst.private_network or ""
    want_key = (path_project(want, inst.project or ""), short(want))
    vpc_ev = run_ev(run, "vpcAccess", _vpc_value(run.vpc))
    net_ev = inst.evidence("settings.ipConfiguration.privateNetwork", want)
    if not run.vpc.network:
        via = (f"connector {short(run.vpc.connector)}" if run.vpc.connector
               else f"subnet {run.vpc.subnetwork}")
        return CheckResult.uncertain(
            f"{obs.target.kind.capitalize()} {obs.target.name} egresses through {via}, whose network "
            f"was not read; instance {name} is on {want_key[1]} (project {want_key[0]}).",
            vpc_ev, net_ev,
        )
    have_key = (path_project(run.vpc.network, obs.target.project), short(run.vpc.network))
    if have_key == want_key:
        psa = _psa(obs, inst, name)
        if psa is not None and psa.outcome == Outcome.UNCERTAIN:
            return CheckResult.uncertain(psa.summary, vpc_ev, net_ev, *psa.evidence)
        return CheckResult.ok(
            f"VPC egress uses network {have_key[1]}, the private network of {name}."
            + (f" {psa.summary}" if psa is not None else ""), vpc_ev, net_ev
        )
    params = {**base_params(obs), **instance_params(inst, ref), **_network_params(obs, inst),
              "current_network": run.vpc.network, "current_subnet": run.vpc.subnetwork}
    return failed(
        f"{obs.target.kind.capitalize()} {obs.target.name} egresses into network {have_key[1]} "
        f"(project {have_key[0]}) but instance {name}'s private IP is on network {want_key[1]} "
        f"(project {want_key[0]}), so its private IP is not routable from there.",
        [vpc_ev, net_ev], params,
        [("VPC egress network", f"{want_key[0]}/{want_key[1]}", f"{have_key[0]}/{have_key[1]}")],
    )


def vpc_network_mismatch(obs: Facts) -> CheckResult:
    run = _need_run(obs)
    if isinstance(run, CheckResult):
        return run
    return per_instance(obs, lambda ref, inst: _mismatch(obs, run, ref, inst))


# --------------------------------------------------------------------------- all traffic


def _all_traffic(obs: Facts, run: RunConfig, ref: InstanceRef, inst: Instance) -> CheckResult:
    name = inst.connection_name or ref.key
    if not run.vpc.configured:
        return CheckResult.skipped(f"{obs.target.kind.capitalize()} {obs.target.name} has no VPC egress.")
    egress = _egress(run.vpc)
    vpc_ev = run_ev(run, "vpcAccess.egress", run.vpc.egress or "(unset: PRIVATE_RANGES_ONLY)")
    ip_ev = inst.evidence("ipAddresses[]", inst.ip_addresses)
    if egress != "ALL_TRAFFIC":
        return CheckResult.ok(f"VPC egress sends only private ranges into the VPC ({egress}).", vpc_ev)
    if not inst.has_public_ip and not inst.has_private_ip:
        return CheckResult.skipped(f"Instance {name} has neither a public nor a private IP.")
    if inst.has_private_ip:
        return CheckResult.ok(
            f"All traffic goes through the VPC, and instance {name} has a private IP it can use.",
            vpc_ev, ip_ev,
        )
    public = inst.ips("PRIMARY")[0]
    nat = _nat_for_egress(obs)
    if nat is not None:
        return CheckResult.ok(f"All traffic goes through the VPC, and {nat} takes it out to instance {name}'s "
                              f"public IP {public}.", vpc_ev, ip_ev)
    return failed(
        f"{obs.target.kind.capitalize()} {obs.target.name} sends all traffic into the VPC "
        f"(egress ALL_TRAFFIC) while instance {name} has only a public IP ({public}), so the "
        "connection leaves through the VPC and dies there unless that network has Cloud NAT "
        f"({_nat_note(obs)}).",
        [vpc_ev, ip_ev],
        {**base_params(obs), **instance_params(inst, ref), "vpc_egress": "private-ranges-only",
         "network": run.vpc.network, "subnet": run.vpc.subnetwork, "connector": run.vpc.connector,
         "public_ip": public},
        [("VPC egress", "PRIVATE_RANGES_ONLY (or a private IP on the instance)", "ALL_TRAFFIC")],
        SetEgressPrivateRanges(obs.target),
    )


def _egress_subnet(obs: Facts) -> Any:
    path = obs.egress_path()
    if path is None or path.kind != "direct":
        return None, path
    return obs.subnet(path.subnet_project, path.subnet_region, path.subnet or path.network), path


def _nat_for_egress(obs: Facts) -> str | None:
    """The Cloud NAT gateway serving the Direct VPC egress subnet, in words (None: none seen)."""
    sub, path = _egress_subnet(obs)
    if path is not None and path.kind == "connector":
        # A connector's instances sit in its own /28 (or named subnet): a NAT for every subnet covers it.
        con = obs.connector(path.connector)
        if con is None:
            return None
        for nat in obs.nats(con.subnet_project or path.network_project, con.region, con.network) or []:
            if str(nat.raw.get("sourceSubnetworkIpRangesToNat", "")).startswith("ALL_SUBNETWORKS"):
                return f"Cloud NAT {nat.name} (router {nat.router}) for every subnet of {con.network}"
        return None
    if sub is None:
        return None
    nats = obs.nats(sub.network_project, sub.region, sub.network) or []
    for nat in nats:
        if nat.covers(sub):
            return f"Cloud NAT {nat.name} (router {nat.router}) on subnet {sub.name}"
    return None


def _nat_note(obs: Facts) -> str:
    sub, path = _egress_subnet(obs)
    if sub is None:
        return "not checked: the egress subnet was not read"
    if obs.nats(sub.network_project, sub.region, sub.network) is None:
        return f"not known: {obs.reason(FactKey.routers(sub.network_project, sub.region))}"
    return f"subnet {sub.name} has none"


def all_traffic_egress_to_public_ip(obs: Facts) -> CheckResult:
    run = _need_run(obs)
    if isinstance(run, CheckResult):
        return run
    return per_instance(obs, lambda ref, inst: _all_traffic(obs, run, ref, inst))


CHECKS = (
    Check.reporting("private-ip-without-vpc-egress", probes=(RUN_CONFIG, APP, SQL, NETWORK),
                    judge=private_ip_without_vpc_egress),
    Check.reporting("vpc-network-mismatch", probes=(RUN_CONFIG, APP, SQL, NETWORK),
                    judge=vpc_network_mismatch),
    Check.reporting("all-traffic-egress-to-public-ip", probes=(RUN_CONFIG, APP, SQL, NETWORK),
                    judge=all_traffic_egress_to_public_ip),
)
