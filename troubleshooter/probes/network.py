"""Probe `network`: the VPC the workload egresses into, and the network of private-IP instances.

Runs only when the revision has VPC egress (`template.vpcAccess`: Direct VPC egress
`networkInterfaces[]` or a Serverless VPC Access `connector`) or an instance has a private IP;
otherwise SKIPPED without a call. Reads, all at once as soon as what they need is known:
- Serverless VPC Access v1 `connectors.get` (the connector's `network`, `subnet`, `state`,
  region in its name) into `obs.connectors`;                     permission vpcaccess.connectors.get
  with ALL_TRAFFIC, `subnetworks.list` of its region alongside (the connector's subnet,
  without waiting for the connector);                            permission compute.subnetworks.list
- Compute v1 `networks.get` (peerings: `servicenetworking-googleapis-com` is private services
  access; `subnetworks[]`) into `obs.networks["P/N"]`;           permission compute.networks.get
- `subnetworks.get` of the egress subnet (`region`, `privateIpGoogleAccess`) into
  `obs.subnetworks["P/R/S"]`;                                    permission compute.subnetworks.get
- with egress ALL_TRAFFIC only (otherwise traffic to Google APIs never enters the VPC):
  `routers.list` of the subnet's region (Cloud NAT, `nats[]`) into `obs.routers["P/R"]` and
  `firewalls.list` (EGRESS deny rules) into `obs.firewalls["P"]`;
                                          permissions compute.routers.list, compute.firewalls.list
A 404 is a fact (recorded as a not-found failure, the probe stays OK); any other failure makes
the probe UNCERTAIN and names the permission, or the API (compute.googleapis.com,
vpcaccess.googleapis.com) when it is off.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Callable

from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.network import EgressPath, egress_path, project_in, short
from troubleshooter.failures import ApiFailure
from troubleshooter.model import Evidence, Outcome, ProbeResult
from troubleshooter.probes.base import Probe, ProbeContext
from troubleshooter.probes.common import lookup_refs, projects_of, record, settle
from troubleshooter.probes.sql_instances import list_future

ID = sources.NETWORK


class _Reads:
    """The probe's fetches: started at once, settled at the end, each stored under its key."""

    def __init__(self, ctx: ProbeContext) -> None:
        self.ctx = ctx
        self.pending: list[tuple[FactKey, Future[Any], Callable[[Any], None]]] = []

    def start(self, key: FactKey, fn: Callable[[], Any], store: Callable[[Any], None]) -> Future[Any]:
        fut = self.ctx.fetch.get(key, fn)
        if all(k != key for k, _, _ in self.pending):
            self.pending.append((key, fut, store))
        return fut

    def network(self, project: str, name: str) -> None:
        gw, obs = self.ctx.gateway, self.ctx.obs
        self.start(FactKey.network(project, name), lambda: gw.get_network(project, name),
                   lambda v: obs.networks.__setitem__(f"{project}/{name}", v))

    def subnet(self, project: str, region: str, name: str) -> Future[Any]:
        gw, obs = self.ctx.gateway, self.ctx.obs
        return self.start(FactKey.subnetwork(project, region, name),
                          lambda: gw.get_subnetwork(project, region, name),
                          lambda v: obs.subnetworks.__setitem__(f"{project}/{region}/{name}", v))

    def all_traffic(self, project: str, region: str) -> None:
        gw, obs = self.ctx.gateway, self.ctx.obs
        self.start(FactKey.routers(project, region), lambda: gw.list_routers(project, region),
                   lambda v: obs.routers.__setitem__(f"{project}/{region}", v))
        self.start(FactKey.firewalls(project), lambda: gw.list_firewalls(project),
                   lambda v: obs.firewalls.__setitem__(project, v))

    def settle(self) -> tuple[list[ApiFailure], int]:
        failures: list[ApiFailure] = []
        read = 0
        i = 0
        while i < len(self.pending):  # a store may start more reads (a connector's network)
            key, fut, store = self.pending[i]
            i += 1
            value, failure = settle(fut)
            if failure is not None:
                record(self.ctx, key, failure)
                if failure.kind != "not-found":
                    failures.append(failure)
                continue
            with self.ctx.obs.lock:
                store(value)
            read += 1
        return failures, read


def _all_traffic(ctx: ProbeContext) -> bool:
    run = ctx.obs.run
    raw = (run.vpc.egress or "") if run is not None else ""
    return raw.upper().replace("-", "_") in ("ALL_TRAFFIC", "ALL")


def _egress_reads(ctx: ProbeContext, reads: _Reads, path: EgressPath) -> None:
    region = ctx.target.region
    everything = _all_traffic(ctx)
    if path.kind == "connector":
        gw, obs = ctx.gateway, ctx.obs

        def store(v: dict[str, Any]) -> None:
            obs.connectors[path.connector] = v
            # A Shared VPC connector's subnet lives in the host project: read it there.
            sub = v.get("subnet") or {}
            host = str(sub.get("projectId") or path.network_project)
            if everything and sub.get("name") and host != path.network_project:
                reads.subnet(host, path.subnet_region, str(sub["name"]))

        reads.start(FactKey.connector(path.connector), lambda: gw.get_connector(path.connector), store)
        if everything:
            # The connector's subnet (and NAT, firewalls) only matter when all traffic enters the
            # VPC; list the region's subnets now rather than get one after the connector answers,
            # so the reads stay in the second wave. Usually the connector's own project and region.
            project, region_ = path.network_project, path.subnet_region

            def store_all(items: list[dict[str, Any]]) -> None:
                for item in items:
                    obs.subnetworks.setdefault(f"{project}/{region_}/{item.get('name', '')}", item)

            reads.start(FactKey.subnetworks(project, region_), lambda: gw.list_subnetworks(project, region_),
                        store_all)
            reads.all_traffic(project, region_)
        return
    if path.network:
        reads.network(path.network_project, path.network)
    # Direct VPC egress naming only a network uses the subnet of the same name (gcloud run
    # deploy --network: "If --subnet is not specified, the subnet with the same name as the
    # network is used").
    subnet = path.subnet or path.network
    if subnet:
        reads.subnet(path.subnet_project, path.subnet_region, subnet)
        if everything:
            reads.all_traffic(path.network_project or path.subnet_project, path.subnet_region or region)


def _listed_instances(ctx: ProbeContext) -> list[dict[str, Any]]:
    """The named instances as instances.list (started at t=0 by sql-instances) shows them.

    Joining that fetch, not waiting for sql-instances' own instances.get, keeps the network
    read in the second wave: run-config + list (t=L), then networks.get (t=2L).
    """
    ctx.wait_for(sources.APP)
    refs = lookup_refs(ctx.obs.instance_refs)
    wanted = {(r.project, r.instance) for r in refs}
    out: list[dict[str, Any]] = []
    for project in projects_of(ctx.target.project, refs):
        listed, _ = settle(list_future(ctx, project))  # a failed list: sql-instances records it
        for inst in listed or ():
            if (project, inst.get("name")) in wanted or (inst.get("project"), inst.get("name")) in wanted:
                out.append(inst)
    return out


def _private_networks(ctx: ProbeContext, instances: list[dict[str, Any]] | None = None) -> list[tuple[str, str]]:
    out = []
    if instances is None:
        with ctx.obs.lock:
            instances = list(ctx.obs.instances.values())
    for inst in instances:
        ip = (inst.get("settings") or {}).get("ipConfiguration") or {}
        net = ip.get("privateNetwork")
        private = any(a.get("type") == "PRIVATE" for a in inst.get("ipAddresses") or ())
        if net and private:
            ref = (project_in(net, str(inst.get("project") or ctx.target.project)), short(net))
            if ref not in out:
                out.append(ref)
    return out


def run(ctx: ProbeContext) -> ProbeResult:
    ctx.wait_for(sources.RUN_CONFIG)
    reads = _Reads(ctx)
    run_cfg = ctx.obs.run
    path = egress_path(run_cfg.vpc if run_cfg else None, ctx.target.project, ctx.target.region)
    if path is not None:
        _egress_reads(ctx, reads, path)
    for project, name in _private_networks(ctx, _listed_instances(ctx)):
        reads.network(project, name)
    ctx.wait_for(sources.SQL)  # instances the list did not show (found by IP, or not listable)
    for project, name in _private_networks(ctx):
        reads.network(project, name)
    if not reads.pending:
        return ProbeResult(ID, Outcome.SKIPPED, "no VPC egress and no private-IP instance: no VPC to read")
    failures, read = reads.settle()
    evidence = _evidence(ctx)
    summary = f"{read} VPC resource(s) read" + (
        f" ({', '.join(_missing(ctx))} not found)" if _missing(ctx) else "")
    if failures:
        return ProbeResult(ID, Outcome.UNCERTAIN, summary + "; " + "; ".join(f.explain() for f in failures),
                           evidence, failures)
    return ProbeResult(ID, Outcome.OK, summary, evidence)


def _missing(ctx: ProbeContext) -> list[str]:
    return ["/".join(k.parts) for k, f in list(ctx.obs.failures.items())
            if k.kind in ("network", "subnetwork", "connector") and f.kind == "not-found"]


def _evidence(ctx: ProbeContext) -> list[Evidence]:
    obs = ctx.obs
    ev: list[Evidence] = []
    with obs.lock:
        for key, net in obs.networks.items():
            peer = [p.get("name") for p in net.get("peerings") or ()]
            ev.append(Evidence(ID, "peerings[].name", peer, sources.COMPUTE_API, key))
        for key, sub in obs.subnetworks.items():
            ev.append(Evidence(ID, "privateIpGoogleAccess", bool(sub.get("privateIpGoogleAccess")),
                               sources.COMPUTE_API, key, f"region {short(sub.get('region'))}"))
        for name, con in obs.connectors.items():
            ev.append(Evidence(ID, "state", con.get("state"), sources.VPCACCESS_API, name))
    return ev


# It waits for `run-config` (the egress) and `sql-instances` (private networks) itself.
PROBE = Probe(id=ID, title="VPC network", needs=(), run=run)
