"""Two targets side by side: the connection-relevant configuration each diagnosis read, differences first.

`compare` runs the same probes `diagnose` runs on both targets (through the gateway), then reads
one *profile* per diagnosis: the Cloud SQL attachment, the runtime service account and its roles
on the instance's project (conditions included), VPC egress, the SHAPE of the database settings
in env (syntax, host kind, port; never a value that could be a password), the secrets named, the
instance's settings, the containers (a proxy sidecar?) and the serving revision's readiness.
Every value passes the redaction boundary (troubleshooter.redact) before it leaves here.

`siblings` finds, with two list calls, the other services and jobs of the region that name the
same instance; `working_sibling` decides them with the engine and returns the first healthy one:
what the TUI offers to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from troubleshooter.diagnosis import Diagnosis
from troubleshooter.dsn.connections import AppConnection, app_connections
from troubleshooter.errors import BadInput, CloudUnreachable
from troubleshooter.facts.app import instance_name
from troubleshooter.facts.instance import Instance
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.names import short
from troubleshooter.facts.policy import Policy
from troubleshooter.failures import ApiFailure
from troubleshooter.gateway import Gateway
from troubleshooter.graph import DecisionGraph
from troubleshooter.model import RunConfig, Target
from troubleshooter.probes.app_settings import instance_refs
from troubleshooter.probes.common import merged_env
from troubleshooter.redact import redact, redact_obj

# Field -> why it matters, in the order differences are listed (most connection-relevant first).
# A field id ending in "[" is a prefix: env[NAME], instance.* per instance.
WHY: dict[str, str] = {
    "cloudSqlInstances": "Cloud Run only opens the /cloudsql/ socket for instances named in the "
                         "revision's cloudSqlInstance volume (the run.googleapis.com/cloudsql-instances "
                         "annotation); without it the app's socket path does not exist.",
    "serving.cloudSqlInstances": "Traffic goes to the serving revision, so its attachment is the one in "
                                 "use; a template change only counts once a new revision is ready.",
    "serving.ready": "A revision that is not Ready takes no traffic: the configuration in the template "
                     "never ran, and an older revision keeps serving.",
    "serviceAccount": "The Cloud SQL connection runs as the revision's service account; an empty one "
                      "means the project's default compute account.",
    "roles": "The runtime service account needs cloudsql.instances.connect and get (roles/cloudsql.client) "
             "in the instance's project, unconditionally or under a condition that holds.",
    "sqladmin.enabled": "Cloud Run's connection and every connector call the Cloud SQL Admin API, "
                        "which must be enabled in the service's project.",
    "vpcAccess": "A private IP is only reachable with VPC egress (Direct VPC or a connector) into the "
                 "instance's network; ALL_TRAFFIC also routes the public IP through the VPC.",
    "env[": "This is how the app itself dials the database: the syntax, host kind and port decide "
            "socket versus TCP, and whether anything listens there on Cloud Run.",
    "secrets": "Values from Secret Manager are read at start-up by the runtime service account, which "
               "needs secretAccessor on each; a missing one stops the revision.",
    "containers": "A Cloud SQL Auth Proxy sidecar is the only thing that listens on localhost on "
                  "Cloud Run; without one, localhost:5432 is refused.",
    "instance": "Which instance the target reaches; two targets on different instances also differ "
                "in everything below.",
    "instance.state": "Only a RUNNABLE instance accepts connections; a suspended or failed one refuses all.",
    "instance.activationPolicy": "NEVER means the instance is stopped even though its state still "
                                 "reads RUNNABLE.",
    "instance.databaseVersion": "The engine and version decide the port, the socket file name and "
                                "which drivers and auth plugins work.",
    "instance.ipTypes": "A public IP is reached through the Cloud SQL connection or authorized "
                        "networks; a private-only instance needs VPC egress.",
    "instance.privateNetwork": "The VPC the private IP lives in: egress must go into that network.",
    "instance.authorizedNetworks": "Direct TCP to the public IP is only allowed from these ranges "
                                   "(the Cloud SQL connection does not need any).",
    "instance.sslMode": "What the server demands of direct connections: a client without TLS (or "
                        "without a client certificate) is refused; the connectors always use TLS.",
    "instance.connectorEnforcement": "REQUIRED refuses every connection that does not come through a "
                                     "Cloud SQL connector or the Auth Proxy.",
    "instance.iamAuthentication": "The cloudsql.iam_authentication flag must be on for IAM database "
                                  "logins (a service account as the database user).",
}

_ORDER = list(WHY)


def why(fieldname: str) -> str:
    """Why `fieldname` matters to a connection: its own sentence, or its prefix's."""
    if fieldname in WHY:
        return WHY[fieldname]
    for prefix in ("env[", "instance."):
        if fieldname.startswith(prefix) and prefix in WHY:
            return WHY[prefix]
    return ""


def _rank(fieldname: str) -> tuple[int, str]:
    key = "env[" if fieldname.startswith("env[") else fieldname
    return (_ORDER.index(key) if key in _ORDER else len(_ORDER), fieldname)


@dataclass(frozen=True)
class Difference:
    field: str
    a: Any
    b: Any
    why: str


@dataclass
class Comparison:
    """Two targets' profiles, compared field by field: differences (with why) first, then same."""

    a: Target
    b: Target
    verdicts: tuple[str, str]
    causes: tuple[list[str], list[str]]
    differences: list[Difference] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict, repr=False)   # field -> the (shared) value

    def to_json(self) -> dict[str, Any]:
        """The spec's shape (cli.md, compare), plus each side's verdict and root causes."""
        return redact_obj({
            "a": self.a.as_dict(),
            "b": self.b.as_dict(),
            "differences": [{"field": d.field, "a": d.a, "b": d.b, "why": d.why} for d in self.differences],
            "same": list(self.same),
            "verdicts": {"a": self.verdicts[0], "b": self.verdicts[1]},
            "rootCauses": {"a": self.causes[0], "b": self.causes[1]},
        })


# --------------------------------------------------------------------------- profiles


def profile(d: Diagnosis) -> dict[str, Any]:
    """The connection-relevant configuration a diagnosis read, field -> JSON value (redacted)."""
    obs = d.obs
    run = obs.run
    out: dict[str, Any] = {}
    if run is None:
        return out
    out["cloudSqlInstances"] = list(run.attached)
    if obs.serving is not None:
        out["serving.cloudSqlInstances"] = list(obs.serving.attached)
        out["serving.ready"] = obs.serving.ready
    elif obs.latest is not None:  # a job: its latest execution
        out["serving.ready"] = obs.latest.ready
    out["serviceAccount"] = _service_account(run)
    instances = _instances(d)
    project = instances[0][1].project if instances and instances[0][1].project else d.target.project
    policy = obs.iam.get(project)
    out["roles"] = _roles(Policy(project, policy), run.service_account, project) if policy is not None else None
    enabled = obs.services_enabled.get(f"{d.target.project}:sqladmin.googleapis.com")
    out["sqladmin.enabled"] = enabled
    vpc = run.vpc
    out["vpcAccess"] = (
        {k: v for k, v in (("egress", vpc.egress), ("network", short(vpc.network) if vpc.network else None),
                           ("subnetwork", short(vpc.subnetwork) if vpc.subnetwork else None),
                           ("connector", short(vpc.connector) if vpc.connector else None)) if v}
        if vpc.configured else None
    )
    for conn in obs.app or ():
        out[f"env[{'+'.join(conn.source)}]"] = env_shape(conn)
    out["secrets"] = sorted(_secrets(run))
    out["containers"] = [_container(c) for c in run.containers]
    if instances:
        label, inst = instances[0]
        out["instance"] = label
        out.update(_instance_settings(inst))
    return redact_obj(out)


def _service_account(run: RunConfig) -> str:
    return f"{run.service_account} (default compute account)" if run.service_account_is_default else run.service_account


def _roles(policy: Policy, sa: str, project: str) -> list[str]:
    """Roles bound to the account in `project`, each with its condition's title or expression."""
    out: list[str] = []
    for b in policy.raw.get("bindings") or []:
        if f"serviceAccount:{sa}".lower() not in [m.lower() for m in b.get("members") or []]:
            continue
        cond = b.get("condition") or {}
        text = cond.get("title") or cond.get("expression") or ""
        out.append(f"{b.get('role')} if {text}" if cond else str(b.get("role")))
    return sorted(set(out))


def env_shape(conn: AppConnection) -> dict[str, Any]:
    """How the app dials, without a value that could hold a secret: syntax, host kind, port."""
    if conn.kind == "secret":
        return {"from": "secret", "secret": conn.secret_ref, "role": conn.role}
    shape: dict[str, Any] = {"kind": conn.kind}
    dsn = conn.dsn
    if dsn is not None:
        shape.update({k: v for k, v in (
            ("syntax", dsn.form if dsn.scheme is None else f"{dsn.form} {dsn.scheme}"),
            ("engine", dsn.engine), ("host", dsn.host_kind), ("port", dsn.port),
            ("transport", dsn.transport), ("sslmode", dsn.sslmode),
            ("hasPassword", True if dsn.has_password else None),
        ) if v is not None})
    name = instance_name(conn)
    if name is not None:
        shape["instance"] = name
    if conn.problem:
        shape["problem"] = redact(conn.problem)
    return shape


def _secrets(run: RunConfig) -> Iterable[str]:
    for e in run.env:
        ref = ((e.get("valueSource") or {}).get("secretKeyRef") or {})
        if ref.get("secret"):
            yield f"{short(ref['secret'])}:{ref.get('version') or 'latest'} (env {e.get('name')})"
    template = run.raw.get("template") or {}
    if run.kind == "job":
        template = template.get("template") or {}
    for v in template.get("volumes") or ():
        secret = v.get("secret") or {}
        if secret.get("secret"):
            yield f"{short(secret['secret'])} (volume {v.get('name')})"


_PROXY_MARKS = ("cloud-sql-proxy", "cloudsql-proxy", "cloudsql-docker/gce-proxy")


def _container(c: Mapping[str, Any]) -> str:
    image = str(c.get("image") or "")
    if any(mark in image for mark in _PROXY_MARKS):
        return f"Cloud SQL Auth Proxy sidecar ({image.rsplit('/', 1)[-1]})"
    return "app container"


def _instances(d: Diagnosis) -> list[tuple[str, Instance]]:
    """The instances the target reaches, attached first, as (connection name, typed instance)."""
    out: list[tuple[str, Instance]] = []
    for ref in d.obs.instance_refs:
        raw = d.obs.instances.get(ref.key)
        if raw is not None and ref.key not in [i.key for _, i in out]:
            inst = Instance(raw)
            out.append((inst.connection_name or ref.key, inst))
    return out


def _instance_settings(inst: Instance) -> dict[str, Any]:
    ssl = inst.ssl_mode or ("TRUSTED_CLIENT_CERTIFICATE_REQUIRED" if inst.require_ssl else None)
    return {
        "instance.state": inst.state,
        "instance.activationPolicy": inst.activation_policy,
        "instance.databaseVersion": inst.database_version,
        "instance.ipTypes": sorted({str(a.get("type")) for a in inst.ip_addresses}),
        "instance.privateNetwork": short(inst.private_network) if inst.private_network else None,
        "instance.authorizedNetworks": sorted(inst.authorized_values),
        "instance.sslMode": ssl,
        "instance.connectorEnforcement": inst.connector_enforcement,
        # Postgres names the flag cloudsql.iam_authentication, MySQL cloudsql_iam_authentication.
        "instance.iamAuthentication": (inst.database_flag("cloudsql.iam_authentication")
                                       or inst.database_flag("cloudsql_iam_authentication")),
    }


# --------------------------------------------------------------------------- comparing


def compare_diagnoses(a: Diagnosis, b: Diagnosis) -> Comparison:
    """Field by field: a field either side has is compared; differences sorted by relevance."""
    pa, pb = profile(a), profile(b)
    fields = sorted(set(pa) | set(pb), key=_rank)
    out = Comparison(a.target, b.target, (a.verdict, b.verdict), (list(a.cause_ids), list(b.cause_ids)))
    for f in fields:
        va, vb = pa.get(f), pb.get(f)
        if va == vb:
            out.same.append(f)
            out.values[f] = va
        else:
            out.differences.append(Difference(f, va, vb, why(f)))
    return out


def compare(gateway: Gateway, graph: DecisionGraph, a: Target, b: Target,
            *, log_window_minutes: int | None = None) -> Comparison:
    """Diagnose both targets with the same probes (concurrently), then compare what they read."""
    from concurrent.futures import ThreadPoolExecutor

    from troubleshooter.engine.run import diagnose

    with ThreadPoolExecutor(2) as pool:
        fa = pool.submit(diagnose, a, gateway, graph, log_window_minutes=log_window_minutes)
        fb = pool.submit(diagnose, b, gateway, graph, log_window_minutes=log_window_minutes)
        da, db = fa.result(), fb.result()
    return compare_diagnoses(readable(da), readable(db))


def readable(d: Diagnosis) -> Diagnosis:
    """`d` when its target could be read; BadInput (not found) or CloudUnreachable otherwise."""
    failure = d.obs.failure(FactKey.run())
    if failure is None:
        return d
    if failure.kind == "not-found":
        raise BadInput(f"{d.target.describe()} not found")
    raise CloudUnreachable(f"cannot read {d.target.describe()}: {failure.explain()}")


# --------------------------------------------------------------------------- the other target


def other_target(gateway: Gateway, a: Target, name: str) -> Target:
    """`--with NAME`: a full resource name, `service:S`/`job:J`, or a bare name looked up in a's
    project and region (a service first, then a job). BadInput when it names nothing, or `a`."""
    text = name.strip()
    parts = text.split("/")
    if len(parts) == 6 and parts[0] == "projects" and parts[2] == "locations" and parts[4] in ("services", "jobs"):
        kind = parts[4][:-1]
        b = Target(parts[1], parts[3], **{kind: parts[5]})
    elif text.startswith(("service:", "job:")):
        kind, _, short_name = text.partition(":")
        b = Target(a.project, a.region, **{kind: short_name})
    elif text and "/" not in text and ":" not in text:
        b = _looked_up(gateway, a, text)
    else:
        raise BadInput(f"--with {name!r}: expected a service or job name, service:NAME, job:NAME "
                       "or projects/P/locations/R/services|jobs/NAME")
    if b == a:
        raise BadInput(f"--with {name!r}: that is the target itself; name another service or job")
    return b


def _looked_up(gateway: Gateway, a: Target, name: str) -> Target:
    for kind, read in (("service", gateway.get_service), ("job", gateway.get_job)):
        try:
            read(a.project, a.region, name)
        except ApiFailure as exc:
            if exc.kind == "not-found":
                continue
            raise
        return Target(a.project, a.region, **{kind: name})
    raise BadInput(f"--with {name!r}: no service or job of that name in {a.project}, {a.region}")


# --------------------------------------------------------------------------- siblings


def _template_of(resource: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    outer = resource.get("template") or {}
    return (outer.get("template") or {}) if kind == "job" else outer


def _keys(template: Mapping[str, Any], project: str) -> set[str]:
    """The `project:instance` keys a template names (attachment and env), as the probes read them."""
    from troubleshooter.probes.common import attached_names

    env = list(merged_env(template))
    return {r.key for r in instance_refs(attached_names(template), app_connections(env), project)}


def siblings(gateway: Gateway, target: Target, instance_keys: Iterable[str]) -> list[Target]:
    """Other services and jobs of the target's region that name one of `instance_keys`
    (`project:instance`): two list calls, whatever the number of services."""
    wanted = set(instance_keys)
    if not wanted:
        return []
    found: list[Target] = []
    listed = (("service", gateway.list_services), ("job", gateway.list_jobs))
    for kind, lister in listed:
        try:
            resources = lister(target.project, target.region)
        except ApiFailure:
            continue  # no siblings we can see: nothing to offer, not an error
        for r in resources:
            other = Target(target.project, target.region, **{kind: short(r.get("name"))})
            if other != target and _keys(_template_of(r, kind), target.project) & wanted:
                found.append(other)
    return found


def working_sibling(gateway: Gateway, graph: DecisionGraph, d: Diagnosis,
                    *, limit: int = 3) -> tuple[Target, Diagnosis] | None:
    """The first sibling on the same instance that the engine decides healthy (at most `limit` tried)."""
    from troubleshooter.engine.run import diagnose

    keys = [r.key for r in d.obs.instance_refs]
    for other in siblings(gateway, d.target, keys)[:limit]:
        decided = diagnose(other, gateway, graph)
        if decided.verdict == "healthy":
            return other, decided
    return None
