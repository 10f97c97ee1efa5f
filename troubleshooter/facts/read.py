"""Facts: the typed read model the checks use over one run's Observations.

Every read goes through here and is noted under the probe that wrote it (`reads`), so a test
can hold each check's declared probes against what it really reads (the live walk keeps a
check pending until those probes finish).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from troubleshooter.dsn.connections import AppConnection
from troubleshooter.facts import sources
from troubleshooter.facts.app import APP_ANSWER_KEY, AppView, instance_name
from troubleshooter.facts.instance import Instance
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.names import clean
from troubleshooter.facts.network import (
    Connector,
    EgressPath,
    Firewall,
    Nat,
    Network,
    Subnet,
    egress_path,
    nats_of,
)
from troubleshooter.facts.operations import SqlOperation
from troubleshooter.facts.policy import Policy
from troubleshooter.facts.workload import (
    ANNOTATION_NOTE,
    ATTACHMENT_FIELD,
    Attachment,
    run_ev,
)
from troubleshooter.model import (
    Evidence,
    InstanceRef,
    LogMatch,
    RevisionInfo,
    RunConfig,
    Target,
)
from troubleshooter.observations import Observations

if TYPE_CHECKING:
    from troubleshooter.facts.secrets import SecretFacts, SecretUse
    from troubleshooter.failures import ApiFailure


class Facts:
    """What one run observed, typed. Checks name it `obs`: it is the observations, read."""

    def __init__(self, observations: Observations) -> None:
        self._obs = observations
        self.reads: set[str] = set()     # probe ids whose facts were read

    def _read(self, *probes: str) -> None:
        self.reads.update(probes)

    # ---------------------------------------------------------------- the run itself
    @property
    def target(self) -> Target:
        return self._obs.target

    @property
    def answers(self) -> dict[str, str]:
        return self._obs.answers

    @property
    def run(self) -> RunConfig | None:
        self._read(sources.RUN_CONFIG)
        return self._obs.run

    @property
    def serving(self) -> RevisionInfo | None:
        self._read(sources.SERVING)
        return self._obs.serving

    @property
    def latest(self) -> RevisionInfo | None:
        self._read(sources.SERVING)
        return self._obs.latest

    @property
    def project_numbers(self) -> dict[str, str]:
        self._read(sources.RUN_CONFIG, sources.PROJECT)
        return self._obs.project_numbers

    # ---------------------------------------------------------------- failures
    def failure(self, *keys: FactKey) -> "ApiFailure | None":
        """The first recorded failure among `keys` (the reason a fact is unknown)."""
        for k in keys:
            self._read(*k.recorded_by)
        return self._obs.failure(*keys)

    def reason(self, *keys: FactKey) -> str:
        """Why a fact is unknown: the recorded failure's explanation, or that nothing was read."""
        f = self.failure(*keys)
        return f.explain() if f else "it was not observed (its probe did not run or found nothing)"

    def failures_of(self, *kinds: str) -> Iterator[tuple[FactKey, "ApiFailure"]]:
        """Every recorded failure whose key is of one of `kinds`, in recording order."""
        for key, f in list(self._obs.failures.items()):
            if key.kind in kinds:
                self._read(*key.recorded_by)
                yield key, f

    # ---------------------------------------------------------------- Cloud Run
    def serving_attachment(self) -> Attachment | None:
        """The Cloud SQL connections of what actually serves: the serving revision, else the template."""
        serving = self.serving
        if serving is not None:
            ev = Evidence(sources.SERVING, ATTACHMENT_FIELD, list(serving.attached),
                          sources.RUN_API, serving.name, ANNOTATION_NOTE)
            return Attachment(serving.attached, ev)
        run = self.run
        if run is not None:
            return Attachment(run.attached, run_ev(run, ATTACHMENT_FIELD, list(run.attached),
                                                   ANNOTATION_NOTE))
        return None

    def all_attached(self) -> list[tuple[str, str]]:
        """Every attached name byte-exact with where it was read (template and serving revision)."""
        seen: list[tuple[str, str]] = []
        sources_: list[tuple[tuple[str, ...], str]] = []
        run, serving = self.run, self.serving
        if run is not None:
            sources_.append((run.attached, run.name))
        if serving is not None:
            sources_.append((serving.attached, serving.name))
        for names, where in sources_:
            for n in names:
                if n not in [s for s, _ in seen]:
                    seen.append((n, where))
        return seen

    def container_env(self) -> list[dict]:
        """Env entries of the template and the serving revision (raw API JSON)."""
        out: list[dict] = []
        run, serving = self.run, self.serving
        if run is not None:
            out.extend(run.env)
        if serving is not None:
            for e in serving.env:
                if e not in out:
                    out.append(e)
        return out

    # ---------------------------------------------------------------- Secret Manager
    @property
    def secret_uses(self) -> "list[SecretUse]":
        """Every secret the workload's env and volumes name (probe `secrets`)."""
        self._read(sources.SECRETS)
        return list(self._obs.secret_uses)

    def secret(self, key: str) -> "SecretFacts | None":
        """What was read about secret "P/S" (None when the probe did not get to it)."""
        self._read(sources.SECRETS)
        return self._obs.secrets.get(key)

    def project_policy(self, project: str) -> "dict | None":
        """The raw IAM policy of `project` (probe `iam`, or `secrets` for a secret's other project)."""
        self._read(sources.IAM)
        return self._obs.iam.get(project)

    # ---------------------------------------------------------------- the app
    @property
    def app(self) -> AppView | None:
        self._read(sources.APP)
        if self._obs.app is None:
            return None
        readable = tuple(c for c in self._obs.app if c.kind != "secret")
        secret = tuple(c for c in self._obs.app if c.kind == "secret")
        answer = self._obs.answers.get(APP_ANSWER_KEY)
        # "unknown" is an answer that tells nothing: keep it as no answer at all.
        return AppView(readable, secret, None if answer in (None, "", "unknown") else answer)

    def app_names(self) -> list[tuple[str, AppConnection]]:
        """(byte-exact connection name, setting) for each readable setting naming an instance."""
        self._read(sources.APP)
        out: list[tuple[str, AppConnection]] = []
        for conn in self._obs.app or []:
            if conn.kind == "secret":
                continue
            name = instance_name(conn)
            if name is not None:
                out.append((name, conn))
        return out

    def app_dials_ip(self) -> bool:
        self._read(sources.APP)
        return any(c.dsn is not None and c.dsn.host_kind == "ip"
                   for c in (self._obs.app or []) if c.kind != "secret")

    # ---------------------------------------------------------------- Cloud SQL
    @property
    def refs(self) -> list[InstanceRef]:
        """Every instance named (attachment, app, or matched by the IP it dials), once each."""
        self._read(sources.APP, sources.SQL)
        seen: dict[str, InstanceRef] = {}
        for ref in self._obs.instance_refs:
            if ref.instance and ref.project:  # an empty variable names nothing to look up
                seen.setdefault(ref.key, ref)
        return list(seen.values())

    def ref_for(self, name: str) -> InstanceRef | None:
        self._read(sources.APP, sources.SQL)
        for ref in self._obs.instance_refs:
            if ref.connection_name == name:
                return ref
        for ref in self._obs.instance_refs:
            if clean(ref.connection_name) == clean(name):
                return ref
        return None

    def instance(self, ref: InstanceRef) -> Instance | None:
        """The instance `ref` names, as read by `instances.get`."""
        self._read(sources.SQL)
        raw = self._obs.instances.get(ref.key)
        return Instance(raw) if raw is not None else None

    def listed(self, project: str) -> list[Instance] | None:
        """`instances.list` of `project`, or None when it was not (or could not be) listed."""
        self._read(sources.SQL)
        raw = self._obs.project_instances.get(project)
        return None if raw is None else [Instance(i) for i in raw]

    def all_listed(self) -> list[Instance]:
        self._read(sources.SQL)
        return [Instance(i) for ls in self._obs.project_instances.values() for i in ls]

    def read_in(self, project: str) -> bool:
        """Whether any instance of `project` was read."""
        self._read(sources.SQL)
        return any(k.split(":", 1)[0] == project for k in self._obs.instances)

    def known_instances(self) -> list[Instance]:
        """Every DatabaseInstance read (get or list), one per project:name."""
        self._read(sources.SQL)
        out: dict[str, dict] = {}
        for listed in self._obs.project_instances.values():
            for inst in listed:
                out.setdefault(f"{inst.get('project')}:{inst.get('name')}", inst)
        for key, inst in self._obs.instances.items():
            out[key] = inst  # a get is as fresh as a list and has every field
        return [Instance(i) for i in out.values()]

    def instance_by_name(self, name: str) -> Instance | None:
        """The instance whose connectionName is `name` after cleaning."""
        want = clean(name)
        for inst in self.known_instances():
            if inst.connection_name == want:
                return inst
        return None

    def instance_for_name(self, name: str) -> Instance | None:
        """The instance a (possibly dirty or mis-regioned) name points at, by ref, else by connectionName."""
        ref = self.ref_for(name)
        if ref is not None:
            inst = self.instance(ref)
            if inst is not None:
                return inst
        return self.instance_by_name(name)

    def instance_by_ip(self, ip: str) -> tuple[Instance, str] | None:
        """(instance, address type) owning `ip` among the instances read."""
        for inst in self.known_instances():
            kind = inst.address_type(ip)
            if kind is not None:
                return inst, kind
        return None

    def ip_targets(self, view: AppView) -> list[tuple[AppConnection, Instance, str]]:
        """(connection, instance, address type) for each app connection dialling a known instance IP."""
        out = []
        for conn in view.tcp("ip"):
            hit = self.instance_by_ip(conn.dsn.host or "") if conn.dsn else None
            if hit is not None:
                out.append((conn, hit[0], hit[1]))
        return out

    def refs_unknown(self) -> str | None:
        """Why the instances in play could not be known (so "none" would be a guess), or None."""
        if self.run is None:
            return (f"the {self.target.kind}'s configuration could not be read "
                    f"({self.reason(FactKey.run())})")
        list_key = FactKey.listing(self.target.project)
        if self.app_dials_ip() and self.failure(list_key) is not None:
            return ("the app dials an IP address and the project's instances could not be listed to "
                    f"match it ({self.reason(list_key)})")
        return None

    def instance_for_conn(self, conn: AppConnection) -> Instance | str:
        """The instance an app connection talks to, or a string saying why it is unknown."""
        name = instance_name(conn)
        if name:
            inst = self.instance_for_name(name)
            if inst is not None:
                return inst
            ref = self.ref_for(name)
            if ref is not None:
                why = self.reason(FactKey.instance(ref.project, ref.instance))
                return f"instance {ref.key} could not be read: {why}"
            return f"instance {clean(name)!r} was not read"
        dsn = conn.dsn
        if dsn is not None and dsn.host_kind == "ip" and dsn.host:
            hit = self.instance_by_ip(dsn.host)
            if hit is not None:
                return hit[0]
            return f"no instance read has the IP {dsn.host}"
        # localhost or a socket without a name: the one attached (or only named) instance.
        refs = self.refs
        if len(refs) == 1:
            inst = self.instance(refs[0])
            if inst is not None:
                return inst
            return (f"instance {refs[0].key} could not be read: "
                    f"{self.reason(FactKey.instance(refs[0].project, refs[0].instance))}")
        return "the app's settings do not say which instance it uses"

    def suggested_connection_name(self) -> str | None:
        """The instance a fix should point at: attached, else app-named existing, else the only one."""
        for name, _ in self.all_attached():
            inst = self.instance_for_name(name)
            if inst is not None:
                return inst.connection_name
        for name, _ in self.app_names():
            inst = self.instance_for_name(name)
            if inst is not None:
                return inst.connection_name
        listed = self.listed(self.target.project) or []
        if len(listed) == 1:
            return listed[0].connection_name
        return None

    def connection_refs(self) -> list[InstanceRef]:
        """Instances reached through the Cloud SQL connection or a connector (attached or named by
        name), not those the app only dials by IP: the IAM role matters only for the former."""
        names = {clean(n) for n, _ in self.all_attached()} | {clean(n) for n, _ in self.app_names()}
        names.discard("")
        out = []
        for ref in self.refs:
            if clean(ref.connection_name) in names:
                out.append(ref)
                continue
            inst = self.instance(ref)
            if inst is not None and inst.connection_name in names:
                out.append(ref)
        return out

    # ---------------------------------------------------------------- IAM, APIs, databases
    def policy(self, project: str) -> Policy | None:
        self._read(sources.IAM)
        raw = self._obs.iam.get(project)
        return Policy(project, raw) if raw is not None else None

    def service_enabled(self, project: str, service: str) -> bool | None:
        self._read(sources.USAGE)
        return self._obs.services_enabled.get(f"{project}:{service}")

    def databases(self, inst: Instance) -> list[str] | None:
        self._read(sources.DBUSERS)
        return self._obs.databases.get(inst.key)

    def users(self, key: str) -> list[dict] | None:
        """The users of instance `project:name`, as `users.list` returned them."""
        self._read(sources.DBUSERS)
        return self._obs.users.get(key)

    # ---------------------------------------------------------------- the VPC (network probe)
    def egress_path(self) -> EgressPath | None:
        """Where the revision's VPC egress goes (None: it has none, or the config is unread)."""
        run = self.run
        return egress_path(run.vpc if run else None, self.target.project, self.target.region)

    def network(self, project: str, name: str) -> Network | None:
        self._read(sources.NETWORK)
        raw = self._obs.networks.get(f"{project}/{name}")
        return Network(raw, project) if raw is not None else None

    def subnet(self, project: str, region: str, name: str) -> Subnet | None:
        self._read(sources.NETWORK)
        raw = self._obs.subnetworks.get(f"{project}/{region}/{name}")
        return Subnet(raw, project) if raw is not None else None

    def nats(self, project: str, region: str, network: str) -> list[Nat] | None:
        """The Cloud NAT gateways of `network` in `region` (None: routers.list was not read)."""
        self._read(sources.NETWORK)
        raw = self._obs.routers.get(f"{project}/{region}")
        return nats_of(raw, network) if raw is not None else None

    def firewalls(self, project: str) -> list[Firewall] | None:
        self._read(sources.NETWORK)
        raw = self._obs.firewalls.get(project)
        return [Firewall(f, project) for f in raw] if raw is not None else None

    def connector(self, name: str) -> Connector | None:
        self._read(sources.NETWORK)
        raw = self._obs.connectors.get(name)
        return Connector(raw) if raw is not None else None

    # ---------------------------------------------------------------- Cloud SQL operations
    def operations(self, key: str) -> "list[SqlOperation] | None":
        """operations.list of instance `project:name`, newest first; None when it was not read."""
        self._read(sources.LOGS)
        raw = self._obs.sql_operations.get(key)
        return None if raw is None else [SqlOperation(o) for o in raw]

    # ---------------------------------------------------------------- logs
    @property
    def logs_read(self) -> bool:
        self._read(sources.LOGS)
        return FactKey.logs() not in self._obs.failures

    def log_hit(self, symptom: str) -> LogMatch | None:
        self._read(sources.LOGS)
        m = self._obs.logs.get(symptom)
        return m if m is not None and m.count else None

    def log_matches(self) -> list[LogMatch]:
        self._read(sources.LOGS)
        return list(self._obs.logs.values())
