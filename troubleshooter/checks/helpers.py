"""Shared pieces of the checks: evidence builders, instance and app look-ups, the IAM role test."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from troubleshooter.model import (
    CheckResult,
    Evidence,
    InstanceRef,
    LogMatch,
    Outcome,
    RunConfig,
)
from troubleshooter.observations import Observations

if TYPE_CHECKING:
    from troubleshooter.dsn import AppConnection
    from troubleshooter.fixes.contracts import FixInput

# Probe ids (as registered in troubleshooter.probes) and the API each fact came from.
P_RUN = "run-config"
P_SERVING = "serving-revision"
P_APP = "app-settings"
P_SQL = "sql-instances"
P_IAM = "iam"
P_USAGE = "service-usage"
P_DBUSERS = "databases-users"
P_LOGS = "logs"
RUN_API = "run.googleapis.com"
SQL_API = "sqladmin.googleapis.com"
CRM_API = "cloudresourcemanager.googleapis.com"
USAGE_API = "serviceusage.googleapis.com"
LOGGING_API = "logging.googleapis.com"

# Roles that carry cloudsql.instances.connect + get (the Cloud Run connection needs both).
CLIENT_ROLES = (
    "roles/cloudsql.client",
    "roles/cloudsql.editor",
    "roles/cloudsql.admin",
    "roles/editor",
    "roles/owner",
)
BROAD_ROLES = ("roles/editor", "roles/owner")

# What the operator may answer when the app's settings cannot be read (question "app-connection").
APP_ANSWER_KEY = "app-connection"


# --------------------------------------------------------------------------- small things


# What copy-paste and `echo` leave around a name (the probes clean with the same set).
_JUNK = " \t\r\n\v\f\"'"


def clean(name: str) -> str:
    """A connection name as it was meant: stray whitespace, CR/LF and quotes removed."""
    return name.strip(_JUNK)


def short(path: str | None) -> str:
    """Last segment of a resource path (`projects/P/global/networks/N` -> `N`)."""
    return (path or "").rstrip("/").rsplit("/", 1)[-1]


def path_project(path: str | None, default: str) -> str:
    """The project of `projects/P/...`, or `default` for a short name."""
    m = re.match(r"^(?:https://[^/]+/compute/v1/)?projects/([^/]+)/", path or "")
    return m.group(1) if m else default


def base_params(obs: Observations) -> dict[str, Any]:
    """Target fields every fix command needs."""
    t = obs.target
    out: dict[str, Any] = {"project": t.project, "region": t.region, "kind": t.kind, "name": t.name}
    out[t.kind] = t.name
    return out


def failed(
    summary: str,
    evidence: Iterable[Evidence],
    params: dict[str, Any],
    expected_actual: Iterable[tuple[str, str, str]] = (),
    fix: FixInput | None = None,
) -> CheckResult:
    return CheckResult(Outcome.FAILED, summary, tuple(evidence), params, tuple(expected_actual), fix)


def reason(obs: Observations, *keys: str) -> str:
    """Why a fact is unknown: the recorded failure's explanation, or that nothing was read."""
    f = obs.failure(*keys)
    return f.explain() if f else "it was not observed (its probe did not run or found nothing)"


def unknown(obs: Observations, what: str, *keys: str) -> CheckResult:
    return CheckResult.uncertain(f"Cannot tell {what}: {reason(obs, *keys)}.")


def combine(results: Sequence[CheckResult]) -> CheckResult:
    """Roll per-resource verdicts into one: the first failure wins, then doubt, then success."""
    for outcome in (Outcome.FAILED, Outcome.UNCERTAIN):
        hits = [r for r in results if r.outcome == outcome]
        if hits:
            first = hits[0]
            others = [r.summary for r in hits[1:]]
            summary = first.summary + (f" Also: {' '.join(others)}" if others else "")
            evidence = tuple(e for r in hits for e in r.evidence)
            return CheckResult(outcome, summary, evidence, first.params, first.expected_actual, first.fix)
    oks = [r for r in results if r.outcome == Outcome.OK]
    if oks:
        return CheckResult(
            Outcome.OK, " ".join(r.summary for r in oks), tuple(e for r in oks for e in r.evidence)
        )
    if results:
        return CheckResult.skipped(" ".join(r.summary for r in results))
    return CheckResult.skipped("Nothing to check.")


# --------------------------------------------------------------------------- Cloud Run


def run_ev(run: RunConfig, field: str, value: Any, note: str = "") -> Evidence:
    return Evidence(P_RUN, f"{run.template_path}.{field}", value, RUN_API, run.name, note)


def serving_attachment(obs: Observations) -> tuple[tuple[str, ...], Evidence] | None:
    """The Cloud SQL connections of what actually serves: the serving revision, else the template."""
    if obs.serving is not None:
        ev = Evidence(
            P_SERVING, "volumes[].cloudSqlInstance.instances", list(obs.serving.attached),
            RUN_API, obs.serving.name,
            "v1/gcloud form: annotation run.googleapis.com/cloudsql-instances",
        )
        return obs.serving.attached, ev
    if obs.run is not None:
        ev = run_ev(
            obs.run, "volumes[].cloudSqlInstance.instances", list(obs.run.attached),
            "v1/gcloud form: annotation run.googleapis.com/cloudsql-instances",
        )
        return obs.run.attached, ev
    return None


def all_attached(obs: Observations) -> list[tuple[str, str]]:
    """Every attached name byte-exact with where it was read (template and serving revision)."""
    seen: list[tuple[str, str]] = []
    sources: list[tuple[tuple[str, ...], str]] = []
    if obs.run is not None:
        sources.append((obs.run.attached, obs.run.name))
    if obs.serving is not None:
        sources.append((obs.serving.attached, obs.serving.name))
    for names, where in sources:
        for n in names:
            if n not in [s for s, _ in seen]:
                seen.append((n, where))
    return seen


def container_env(obs: Observations) -> list[dict[str, Any]]:
    """Env entries of the template and the serving revision (raw API JSON)."""
    out: list[dict[str, Any]] = []
    if obs.run is not None:
        out.extend(obs.run.env)
    if obs.serving is not None:
        for e in obs.serving.env:
            if e not in out:
                out.append(e)
    return out


# --------------------------------------------------------------------------- Cloud SQL


def inst_ev(inst: dict[str, Any], field: str, value: Any, note: str = "") -> Evidence:
    res = inst.get("connectionName") or f"{inst.get('project', '')}:{inst.get('name', '')}"
    return Evidence(P_SQL, field, value, SQL_API, res, note)


def ip_config(inst: dict[str, Any]) -> dict[str, Any]:
    return (inst.get("settings") or {}).get("ipConfiguration") or {}


def ips(inst: dict[str, Any], kind: str) -> list[str]:
    return [a.get("ipAddress", "") for a in inst.get("ipAddresses") or [] if a.get("type") == kind]


def has_public_ip(inst: dict[str, Any]) -> bool:
    """Cloud Run's built-in connection prefers this address when it exists."""
    if ip_config(inst).get("ipv4Enabled") is False:
        return False
    return bool(ips(inst, "PRIMARY"))


def has_private_ip(inst: dict[str, Any]) -> bool:
    return bool(ips(inst, "PRIVATE")) or bool(ip_config(inst).get("privateNetwork"))


def engine(inst: dict[str, Any] | None) -> str | None:
    """postgres | mysql | sqlserver from databaseVersion."""
    version = ((inst or {}).get("databaseVersion") or "").upper()
    for prefix, name in (("POSTGRES", "postgres"), ("MYSQL", "mysql"), ("SQLSERVER", "sqlserver")):
        if version.startswith(prefix):
            return name
    return None


def authorized_networks(inst: dict[str, Any]) -> list[dict[str, Any]]:
    return list(ip_config(inst).get("authorizedNetworks") or [])


def prefix_len(cidr: str) -> int | None:
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen
    except ValueError:
        return None


def is_open_network(cidr: str) -> bool:
    """/0../8: wide enough to hold Cloud Run's dynamic egress (and the rest of the internet)."""
    p = prefix_len(cidr)
    return p is not None and p <= 8


def database_flag(inst: dict[str, Any], name: str) -> str | None:
    for f in (inst.get("settings") or {}).get("databaseFlags") or []:
        if f.get("name") == name:
            return str(f.get("value"))
    return None


def known_instances(obs: Observations) -> list[dict[str, Any]]:
    """Every DatabaseInstance read (get or list), one per project:name."""
    out: dict[str, dict[str, Any]] = {}
    for listed in obs.project_instances.values():
        for inst in listed:
            out.setdefault(f"{inst.get('project')}:{inst.get('name')}", inst)
    for key, inst in obs.instances.items():
        out[key] = inst  # a get is as fresh as a list and has every field
    return list(out.values())


def instance_by_name(obs: Observations, name: str) -> dict[str, Any] | None:
    """The instance whose connectionName is `name` after cleaning."""
    want = clean(name)
    for inst in known_instances(obs):
        if inst.get("connectionName") == want:
            return inst
    return None


def ref_for(obs: Observations, name: str) -> InstanceRef | None:
    for ref in obs.instance_refs:
        if ref.connection_name == name:
            return ref
    for ref in obs.instance_refs:
        if clean(ref.connection_name) == clean(name):
            return ref
    return None


def instance_for_name(obs: Observations, name: str) -> dict[str, Any] | None:
    """The instance a (possibly dirty or mis-regioned) name points at, by ref, else by connectionName."""
    ref = ref_for(obs, name)
    if ref is not None and ref.key in obs.instances:
        return obs.instances[ref.key]
    return instance_by_name(obs, name)


def instance_by_ip(obs: Observations, ip: str) -> tuple[dict[str, Any], str] | None:
    """(instance, address type) owning `ip` among the instances read."""
    for inst in known_instances(obs):
        for a in inst.get("ipAddresses") or []:
            if a.get("ipAddress") == ip:
                return inst, a.get("type", "")
    return None


def unique_refs(obs: Observations) -> list[InstanceRef]:
    seen: dict[str, InstanceRef] = {}
    for ref in obs.instance_refs:
        if ref.instance and ref.project:  # an empty variable names nothing to look up
            seen.setdefault(ref.key, ref)
    return list(seen.values())


def instance_params(inst: dict[str, Any] | None, ref: InstanceRef | None = None) -> dict[str, Any]:
    if inst is not None:
        return {
            "instance": inst.get("name", ref.instance if ref else ""),
            "instance_project": inst.get("project", ref.project if ref else ""),
            "connection_name": inst.get("connectionName", ""),
        }
    if ref is not None:
        return {
            "instance": ref.instance,
            "instance_project": ref.project,
            "connection_name": clean(ref.connection_name),
        }
    return {}


def refs_unknown(obs: Observations) -> str | None:
    """Why the instances in play could not be known (so "none" would be a guess), or None."""
    if obs.run is None:
        return f"the {obs.target.kind}'s configuration could not be read ({reason(obs, 'run')})"
    dials_ip = any(
        c.dsn is not None and c.dsn.host_kind == "ip" for c in (obs.app or []) if c.kind != "secret"
    )
    list_key = f"list:{obs.target.project}"
    if dials_ip and obs.failure(list_key) is not None:
        return ("the app dials an IP address and the project's instances could not be listed to "
                f"match it ({reason(obs, list_key)})")
    return None


def per_instance(
    obs: Observations, judge: Callable[[InstanceRef, dict[str, Any]], CheckResult]
) -> CheckResult:
    """Judge every named instance; an unreadable one is uncertain, a missing one skipped."""
    refs = unique_refs(obs)
    if not refs:
        hidden = refs_unknown(obs)
        if hidden:
            return CheckResult.uncertain(f"Which instances are involved is unknown: {hidden}.")
        return CheckResult.skipped("No Cloud SQL instance is attached to or named by the app.")
    results = []
    for ref in refs:
        inst = obs.instances.get(ref.key)
        if inst is not None:
            results.append(judge(ref, inst))
            continue
        f = obs.failure(f"instance:{ref.key}")
        if f is not None and f.kind == "not-found":
            results.append(CheckResult.skipped(f"Instance {ref.key} does not exist (instance-not-found)."))
        else:
            results.append(CheckResult.uncertain(
                f"Cannot read instance {ref.key}: {reason(obs, f'instance:{ref.key}')}."
            ))
    return combine(results)


# --------------------------------------------------------------------------- the app


# Roles of settings that decide where the app connects (a user or password does not).
_ROUTE_ROLES = (None, "url", "host", "socket-path", "connection-name", "port")


@dataclass(frozen=True)
class AppView:
    """The app's database settings as far as they can be read."""

    readable: tuple["AppConnection", ...]   # plain env values, parsed
    secret: tuple["AppConnection", ...]     # Secret Manager-backed, not read
    answer: str | None                      # the operator's answer when nothing is readable

    @property
    def secret_vars(self) -> str:
        return ", ".join(v for c in self.secret for v in c.source) or "the database settings"

    @property
    def route_vars(self) -> str:
        """The Secret Manager-backed variables that would say where the app connects."""
        return ", ".join(v for c in self.secret if c.role in _ROUTE_ROLES for v in c.source) \
            or self.secret_vars

    @property
    def route_hidden(self) -> bool:
        """True when a setting that decides *where* the app connects is in Secret Manager
        (a password or user there hides nothing about the route)."""
        return any(c.role in _ROUTE_ROLES for c in self.secret)

    @property
    def route_known(self) -> bool:
        """True when a readable setting says how the app connects (socket, TCP host, connector).

        A plain connection-name variable counts: apps read it to build /cloudsql/NAME or to
        hand it to a connector, either way not a TCP host of their own.
        """
        return any(
            (c.dsn is not None and c.dsn.transport != "unknown")
            or (c.kind == "connection-name" and bool(c.instance))
            for c in self.readable
        )


def app_view(obs: Observations) -> AppView | None:
    if obs.app is None:
        return None
    readable = tuple(c for c in obs.app if c.kind != "secret")
    secret = tuple(c for c in obs.app if c.kind == "secret")
    answer = obs.answers.get(APP_ANSWER_KEY)
    # "unknown" is an answer that tells nothing: keep it as no answer at all.
    return AppView(readable, secret, None if answer in (None, "", "unknown") else answer)


def var(conn: "AppConnection") -> str:
    return "+".join(conn.source) or "?"


def app_ev(conn: "AppConnection", note: str = "") -> Evidence:
    """Evidence of an app setting: always the redacted display, never the raw value."""
    return Evidence(P_APP, f"env[{var(conn)}]", conn.display, RUN_API, "", note)


def answer_ev(answer: str) -> Evidence:
    return Evidence("operator", f"answers[{APP_ANSWER_KEY}]", answer, "operator",
                    note="the app's settings are in Secret Manager; the operator said how it connects")


def app_instance_name(conn: "AppConnection") -> str | None:
    """The connection name the app opens (variable or /cloudsql/ path), byte-exact.

    An empty name counts only from a connection-name variable (the app will open
    /cloudsql//.s.PGSQL.5432); a bare `/cloudsql/` socket directory is a base the app joins
    with another variable, not an empty name.
    """
    name = conn.instance if conn.instance is not None else (conn.dsn.instance if conn.dsn else None)
    if name == "" and conn.kind != "connection-name":
        return None
    return name


def app_names(obs: Observations) -> list[tuple[str, "AppConnection"]]:
    out: list[tuple[str, "AppConnection"]] = []
    for conn in obs.app or []:
        if conn.kind == "secret":
            continue
        name = app_instance_name(conn)
        if name is not None:
            out.append((name, conn))
    return out


def app_tcp(view: AppView, host_kind: str) -> list["AppConnection"]:
    """Readable connections dialling TCP to a host of `host_kind` (localhost | ip | hostname)."""
    return [
        c for c in view.readable
        if c.dsn is not None and c.dsn.host_kind == host_kind and c.dsn.transport == "tcp"
    ]


def app_ip_targets(obs: Observations, view: AppView) -> list[tuple["AppConnection", dict[str, Any], str]]:
    """(connection, instance, address type) for each app connection dialling a known instance IP."""
    out = []
    for conn in app_tcp(view, "ip"):
        hit = instance_by_ip(obs, conn.dsn.host or "")
        if hit is not None:
            out.append((conn, hit[0], hit[1]))
    return out


def instance_for_conn(obs: Observations, conn: "AppConnection") -> dict[str, Any] | None | str:
    """The instance an app connection talks to, or a string saying why it is unknown."""
    name = app_instance_name(conn)
    if name:
        inst = instance_for_name(obs, name)
        if inst is not None:
            return inst
        ref = ref_for(obs, name)
        if ref is not None:
            return f"instance {ref.key} could not be read: {reason(obs, f'instance:{ref.key}')}"
        return f"instance {clean(name)!r} was not read"
    dsn = conn.dsn
    if dsn is not None and dsn.host_kind == "ip" and dsn.host:
        hit = instance_by_ip(obs, dsn.host)
        if hit is not None:
            return hit[0]
        return f"no instance read has the IP {dsn.host}"
    # localhost or a socket without a name: the one attached (or only named) instance.
    refs = unique_refs(obs)
    if len(refs) == 1:
        inst = obs.instances.get(refs[0].key)
        if inst is not None:
            return inst
        return f"instance {refs[0].key} could not be read: {reason(obs, f'instance:{refs[0].key}')}"
    return "the app's settings do not say which instance it uses"


def suggested_connection_name(obs: Observations) -> str | None:
    """The instance a fix should point at: attached, else app-named existing, else the only one."""
    for name, _ in all_attached(obs):
        inst = instance_for_name(obs, name)
        if inst is not None:
            return inst.get("connectionName")
    for name, _ in app_names(obs):
        inst = instance_for_name(obs, name)
        if inst is not None:
            return inst.get("connectionName")
    listed = obs.project_instances.get(obs.target.project) or []
    if len(listed) == 1:
        return listed[0].get("connectionName")
    return None


# --------------------------------------------------------------------------- logs


def logs_read(obs: Observations) -> bool:
    return "logs" not in obs.failures


def log_hit(obs: Observations, symptom: str) -> LogMatch | None:
    m = obs.logs.get(symptom)
    return m if m is not None and m.count else None


def log_ev(m: LogMatch) -> Evidence:
    """Log lines are redacted by the logs probe; show a few as they were matched."""
    return Evidence(
        P_LOGS, f"logs[{m.symptom}]",
        {"count": m.count, "lastSeen": m.last_seen, "lines": list(m.lines[:3])},
        LOGGING_API, ", ".join(m.resources[:3]),
    )


_CLOUDSQL_IN_LOG = re.compile(
    r"""Cloud SQL instance "([^"]*)" is not reachable|/cloudsql/([^/"'\s]+)"""
)


def names_in_logs(m: LogMatch | None) -> list[str]:
    """Connection names the app opened, from socket-not-found lines (platform or driver)."""
    out: list[str] = []
    for line in (m.lines if m else ()):
        for a, b in _CLOUDSQL_IN_LOG.findall(line):
            n = a or b
            if n and n not in out:
                out.append(n)
    return out


# --------------------------------------------------------------------------- IAM


def sa_is_known(sa: str) -> bool:
    """False when the default SA could not be filled in (project number unreadable)."""
    return bool(sa) and "@" in sa and not sa.startswith(("-", "@")) and "PROJECT_NUMBER" not in sa


@dataclass(frozen=True)
class Grant:
    role: str
    condition: dict[str, Any] | None


def sa_grants(policy: dict[str, Any], sa: str, roles: Sequence[str]) -> list[Grant]:
    """Bindings of `roles` in `policy` that name `serviceAccount:sa` (deleted members excluded)."""
    member = f"serviceAccount:{sa}".lower()
    out = []
    for b in policy.get("bindings") or []:
        if b.get("role") in roles and member in [m.lower() for m in b.get("members") or []]:
            out.append(Grant(b["role"], b.get("condition") or None))
    return out


def condition_matches(condition: dict[str, Any] | None, instance: str | None) -> bool:
    """Unconditional grants count; a condition only if it plausibly names the instance."""
    if not condition:
        return True
    if not instance:
        return False
    expr = condition.get("expression") or ""
    return bool(re.search(rf"(?<![a-z0-9-]){re.escape(instance)}(?![a-z0-9-])", expr))


def connection_refs(obs: Observations) -> list[InstanceRef]:
    """Instances reached through the Cloud SQL connection or a connector (attached or named by
    name), not those the app only dials by IP: the IAM role matters only for the former."""
    names = {clean(n) for n, _ in all_attached(obs)} | {clean(n) for n, _ in app_names(obs)}
    names.discard("")
    out = []
    for ref in unique_refs(obs):
        if clean(ref.connection_name) in names:
            out.append(ref)
            continue
        inst = obs.instances.get(ref.key)
        if inst is not None and inst.get("connectionName") in names:
            out.append(ref)
    return out
