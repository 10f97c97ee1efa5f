"""The VPC the workload egresses into, typed: networks, subnets, Cloud NAT, egress firewalls, connectors.

Each type wraps one Compute v1 / Serverless VPC Access v1 REST resource (as the `network` probe
read it) and answers the questions the checks ask, so that no check digs in raw dicts:
- Network: is private services access there? A `peerings[]` entry named
  `servicenetworking-googleapis-com` (the peering Service Networking creates; gcpdiag's
  test-data/gce3/json-dumps/compute-network-default.json has one, ACTIVE) is what a Cloud SQL
  private IP is reached through. `subnetworks[]` lists every subnet's URL (so, its region).
- Subnet: `region` (a URL), `privateIpGoogleAccess` (Google APIs without external IPs).
- Router NATs: `nats[].sourceSubnetworkIpRangesToNat` ALL_SUBNETWORKS_ALL_IP_RANGES |
  ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES | LIST_OF_SUBNETWORKS (then `subnetworks[].name` are
  subnet URLs; gcpdiag test-data/gke1/json-dumps/compute-routers-europe-west4.json).
- Firewall: direction EGRESS, `denied[]`/`allowed[]` (`IPProtocol`, `ports`), `destinationRanges`,
  `priority` (lower wins; at equal priority deny wins: Compute v1 Firewall.priority docs).
- Connector: `name` projects/P/locations/R/connectors/C, `network` (short name) or `subnet`,
  `state` READY | CREATING | DELETING | ERROR | UPDATING.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Mapping

from troubleshooter.model import Evidence

COMPUTE_API = "compute.googleapis.com"
VPCACCESS_API = "vpcaccess.googleapis.com"
PSA_PEERING = "servicenetworking-googleapis-com"
# Where Google APIs answer from inside a VPC: the default domains' public VIPs (any range a
# deny to 0.0.0.0/0 covers) and private.googleapis.com / restricted.googleapis.com
# (199.36.153.8/30, 199.36.153.4/30: "Configure Private Google Access", the domain options).
GOOGLE_API_RANGES = ("199.36.153.8/30", "199.36.153.4/30")
# A probe of the default domain: sqladmin.googleapis.com resolves into Google's public ranges;
# 142.250.0.0/15 is one of them (published in goog.json). A deny covering it blocks the call.
GOOGLE_API_SAMPLE = "142.250.0.0/15"


def short(url: str | None) -> str:
    """Last segment of a URL or path (`.../regions/europe-west1` -> `europe-west1`)."""
    return str(url or "").rstrip("/").rsplit("/", 1)[-1]


def path_of(url: str | None) -> str:
    """`projects/P/...` of a Compute URL (or the path itself)."""
    text = str(url or "")
    return "projects/" + text.split("projects/", 1)[1] if "projects/" in text else text


def project_in(url: str | None, default: str) -> str:
    text = str(url or "")
    return text.split("projects/", 1)[1].split("/", 1)[0] if "projects/" in text else default


def _ev(field_: str, value: Any, source: str, resource: str, note: str = "") -> Evidence:
    return Evidence("network", field_, value, source, resource, note)


@dataclass(frozen=True)
class Network:
    raw: Mapping[str, Any] = field(repr=False)
    project: str

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @property
    def path(self) -> str:
        return f"projects/{self.project}/global/networks/{self.name}"

    @property
    def psa_peering(self) -> Mapping[str, Any] | None:
        for p in self.raw.get("peerings") or ():
            if p.get("name") == PSA_PEERING:
                return p
        return None

    @property
    def has_private_services_access(self) -> bool:
        p = self.psa_peering
        return p is not None and str(p.get("state") or "ACTIVE") == "ACTIVE"

    def subnet_regions(self, subnet: str) -> list[str] | None:
        """Regions holding a subnet named `subnet`, from `subnetworks[]`; None when the list is absent."""
        links = self.raw.get("subnetworks")
        if links is None:
            return None
        out = []
        for link in links:
            parts = path_of(link).split("/")
            if len(parts) >= 6 and parts[-1] == subnet:
                out.append(parts[3])
        return out

    def evidence(self, field_: str, value: Any, note: str = "") -> Evidence:
        return _ev(field_, value, COMPUTE_API, self.path, note)


@dataclass(frozen=True)
class Subnet:
    raw: Mapping[str, Any] = field(repr=False)
    project: str

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @property
    def region(self) -> str:
        return short(self.raw.get("region"))

    @property
    def network(self) -> str:
        return short(self.raw.get("network"))

    @property
    def network_project(self) -> str:
        return project_in(self.raw.get("network"), self.project)

    @property
    def path(self) -> str:
        return f"projects/{self.project}/regions/{self.region}/subnetworks/{self.name}"

    @property
    def private_google_access(self) -> bool:
        return bool(self.raw.get("privateIpGoogleAccess"))

    @property
    def cidr(self) -> str:
        return str(self.raw.get("ipCidrRange") or "")

    def evidence(self, field_: str, value: Any, note: str = "") -> Evidence:
        return _ev(field_, value, COMPUTE_API, self.path, note)


@dataclass(frozen=True)
class Nat:
    router: str
    region: str
    network: str
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    def covers(self, subnet: Subnet) -> bool:
        mode = str(self.raw.get("sourceSubnetworkIpRangesToNat") or "")
        if mode in ("ALL_SUBNETWORKS_ALL_IP_RANGES", "ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES"):
            return True
        if mode == "LIST_OF_SUBNETWORKS":
            tail = f"regions/{subnet.region}/subnetworks/{subnet.name}"
            return any(str(s.get("name")) in (subnet.name, tail) or path_of(s.get("name")).endswith("/" + tail)
                       for s in self.raw.get("subnetworks") or ())
        return False


def nats_of(routers: list[Mapping[str, Any]], network: str) -> list[Nat]:
    """The Cloud NAT gateways of `network` among a region's routers."""
    return [Nat(str(r.get("name") or ""), short(r.get("region")), short(r.get("network")), n)
            for r in routers if short(r.get("network")) == network for n in r.get("nats") or ()]


def _covers_443(rules: list[Mapping[str, Any]]) -> bool:
    for rule in rules:
        proto = str(rule.get("IPProtocol") or rule.get("ipProtocol") or "").lower()
        if proto not in ("all", "tcp", "6"):
            continue
        ports = rule.get("ports") or []
        if not ports:
            return True
        for p in ports:
            lo, _, hi = str(p).partition("-")
            try:
                if int(lo) <= 443 <= int(hi or lo):
                    return True
            except ValueError:
                continue
    return False


def _ranges_hit(ranges: list[str]) -> list[str]:
    """Which of Google's API ranges these destination ranges cover."""
    out = []
    for wanted in (*GOOGLE_API_RANGES, GOOGLE_API_SAMPLE):
        w = ipaddress.ip_network(wanted)
        for r in ranges:
            try:
                net = ipaddress.ip_network(str(r).strip(), strict=False)
            except ValueError:
                continue
            if net.version == 4 and w.subnet_of(net):  # type: ignore[arg-type]
                out.append(wanted)
                break
    return out


@dataclass(frozen=True)
class Firewall:
    raw: Mapping[str, Any] = field(repr=False)
    project: str

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @property
    def network(self) -> str:
        return short(self.raw.get("network"))

    @property
    def priority(self) -> int:
        return int(self.raw.get("priority", 1000))

    @property
    def egress(self) -> bool:
        return str(self.raw.get("direction") or "INGRESS") == "EGRESS" and not self.raw.get("disabled")

    @property
    def targeted(self) -> bool:
        """Applies only to some VMs (tags or service accounts), not to every egress of the network."""
        return bool(self.raw.get("targetTags") or self.raw.get("targetServiceAccounts"))

    def applies_to(self, tags: tuple[str, ...]) -> bool | None:
        """True/False for the workload's network tags; None when it targets service accounts."""
        if self.raw.get("targetServiceAccounts"):
            return None
        want = self.raw.get("targetTags") or []
        return not want or bool(set(want) & set(tags))

    def google_443(self) -> list[str]:
        """The Google API ranges this rule matches on tcp:443 (empty: it does not)."""
        rules = self.raw.get("denied") or self.raw.get("allowed") or []
        if not self.egress or not _covers_443(list(rules)):
            return []
        return _ranges_hit(list(self.raw.get("destinationRanges") or ["0.0.0.0/0"]))

    @property
    def denies(self) -> bool:
        return bool(self.raw.get("denied"))

    def evidence(self) -> Evidence:
        value = {k: self.raw[k] for k in ("direction", "priority", "denied", "allowed", "destinationRanges",
                                          "targetTags") if k in self.raw}
        return _ev(f"firewalls[{self.name}]", value, COMPUTE_API,
                   f"projects/{self.project}/global/firewalls/{self.name}")


def blocking_firewall(rules: list[Firewall], network: str, tags: tuple[str, ...]) -> tuple[Firewall | None, bool]:
    """The egress deny that stops tcp:443 to Google APIs on `network`, and whether a rule's reach
    was unclear (a rule targeting service accounts). Per range, the lowest priority number
    decides; at equal priority a deny wins over an allow (Compute v1 Firewall.priority)."""
    unclear = False
    mine = []
    for fw in rules:
        if fw.network != network or not fw.google_443():
            continue
        applies = fw.applies_to(tags)
        if applies is None:
            unclear = True
            continue
        if applies:
            mine.append(fw)
    # sqladmin.googleapis.com resolves to Google's public VIPs unless DNS says otherwise (not read).
    hits = sorted((fw for fw in mine if GOOGLE_API_SAMPLE in fw.google_443()),
                  key=lambda f: (f.priority, 0 if f.denies else 1))
    if hits and hits[0].denies:
        return hits[0], unclear
    return None, unclear


@dataclass(frozen=True)
class Connector:
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @property
    def project(self) -> str:
        return project_in(self.name, "")

    @property
    def region(self) -> str:
        parts = self.name.split("/")
        return parts[3] if len(parts) >= 6 and parts[2] == "locations" else ""

    @property
    def state(self) -> str:
        return str(self.raw.get("state") or "STATE_UNSPECIFIED")

    @property
    def network(self) -> str:
        return short(self.raw.get("network"))

    @property
    def subnet(self) -> str:
        return str((self.raw.get("subnet") or {}).get("name") or "")

    @property
    def subnet_project(self) -> str:
        return str((self.raw.get("subnet") or {}).get("projectId") or self.project)

    def evidence(self, field_: str, value: Any, note: str = "") -> Evidence:
        return _ev(field_, value, VPCACCESS_API, self.name, note)


@dataclass(frozen=True)
class EgressPath:
    """Where the workload's egress goes, as named on the revision (resolved to project/region/name)."""

    kind: str                  # direct | connector
    network_project: str
    network: str               # short name ("" when only the subnet or connector says)
    subnet_project: str
    subnet: str                # short name ("" when not named)
    subnet_region: str         # the region the name says (a full path), else the service's
    connector: str = ""        # projects/P/locations/R/connectors/C
    tags: tuple[str, ...] = ()


def egress_path(vpc: Any, project: str, region: str) -> EgressPath | None:
    """Resolve the revision's vpcAccess (model.VpcAccess) into what the probe reads."""
    if vpc is None or not vpc.configured:
        return None
    if vpc.connector:
        name = vpc.connector if vpc.connector.startswith("projects/") else (
            f"projects/{project}/locations/{region}/connectors/{vpc.connector}")
        return EgressPath("connector", project_in(name, project), "", project_in(name, project), "",
                          name.split("/")[3] if len(name.split("/")) >= 6 else region, connector=name)
    net, sub = vpc.network or "", vpc.subnetwork or ""
    sub_parts = path_of(sub).split("/") if sub.startswith(("projects/", "https://")) else []
    sub_region = sub_parts[3] if len(sub_parts) >= 6 and sub_parts[2] == "regions" else region
    return EgressPath("direct", project_in(net, project_in(sub, project)), short(net),
                      project_in(sub, project_in(net, project)), short(sub), sub_region,
                      tags=tuple(getattr(vpc, "tags", ()) or ()))
