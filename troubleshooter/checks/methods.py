"""The added causes of root-causes.md ("Added causes"): what public incident threads show, judged
only where the app's way of connecting (facts/method.py) makes them possible.

- driver-lacks-unix-socket: the driver takes /cloudsql/... for a host name (a DNS lookup of a
  path: `getaddrinfo ENOTFOUND /cloudsql/...`, Go's `lookup /cloudsql/...: no such host`).
- dsn-socket-param-ignored: the DSN names the socket, the logs show TCP to localhost.
- password-not-url-encoded: reserved characters unencoded in a DSN's password.
- sidecar-proxy-not-ready: the proxy sidecar starts after the app (no dependsOn, no startup probe).
- iam-db-user-missing / missing-cloudsql-instance-user-role / iam-authentication-flag-off: IAM
  database authentication without the user, the role or the instance flag.
- run-instance-connection-limit: Cloud Run's own 100 connections per instance and Cloud SQL
  instance ('Exceeded maximum of 100 connections per instance "P:R:I".', spellshift/realm#136).
- stale-pooled-connections: established connections die under the app and are reused; the
  instance's operations (operations.list) say whether maintenance, a failover or a restart
  closed them, or none did (an idle timeout), or that they could not be read.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params, instance_params
from troubleshooter.checks.verdicts import combine, failed, unknown
from troubleshooter.facts.app import app_ev
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.method import connect_method
from troubleshooter.facts.operations import DROPPED_CONNECTION, SqlOperation, drop_times, operations_near
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import APP, CRM_API, DBUSERS, IAM, LOGS, RUN_CONFIG, SQL, SQL_API
from troubleshooter.facts.workload import run_ev
from troubleshooter.model import CheckResult, Evidence, InstanceRef, LogMatch

# --------------------------------------------------------------------------- log helpers

# A DNS lookup of a socket path, or a driver that says it has no socket option.
_PATH_AS_HOST = re.compile(
    r"(?i)(ENOTFOUND|EAI_AGAIN|no such host|could not translate host name|UnknownHostException|"
    r"Name or service not known|invalid host|unix socket not supported|unsupported protocol scheme)"
    r".{0,100}/cloudsql/|/cloudsql/[^\s\"']*.{0,60}(no such host|ENOTFOUND|Name or service not known|"
    r"invalid host|not supported)"
)
# TCP attempts to the loopback (the socket parameter was dropped, or the proxy is not up yet).
_LOOPBACK_TCP = re.compile(
    r"(?i)(127\.0\.0\.1|localhost|::1|\[::1\])(\)|\"|')?[:, ]{1,3}(port )?(5432|3306|1433)|"
    r"ECONNREFUSED (127\.0\.0\.1|::1)"
)
_PER_INSTANCE = re.compile(r"(?i)Exceeded maximum of \d+ connections per instance")
_TERMINATED = DROPPED_CONNECTION


def _lines(obs: Facts, pattern: re.Pattern[str]) -> tuple[LogMatch | None, list[str]]:
    """The first log match holding lines that `pattern` finds, and those lines."""
    for m in obs.log_matches():
        if not m.count:
            continue
        found = [ln for ln in m.lines if pattern.search(ln)]
        if found:
            return m, found
    return None, []


def _of_template(obs: Facts, m: LogMatch) -> bool:
    """The lines come from the revision built from the template whose settings we read (or the
    logs do not say, or it is a job): lines of an older revision ran other settings."""
    run = obs.run
    if run is None or obs.target.kind == "job" or not m.resources or not run.latest_created_revision:
        return True
    return run.latest_created_revision.rsplit("/", 1)[-1] in m.resources


def _lines_ev(m: LogMatch, lines: list[str]) -> Evidence:
    return Evidence(LOGS, f"logs[{m.symptom}]", {"count": m.count, "lastSeen": m.last_seen,
                                                "lines": lines[:3]}, "logging.googleapis.com",
                    ", ".join(m.resources[:3]))


# --------------------------------------------------------------------------- driver & DSN


def driver_lacks_unix_socket(obs: Facts) -> CheckResult:
    if not obs.logs_read:
        return unknown(obs, "whether the driver can use a Unix socket", FactKey.logs())
    m, lines = _lines(obs, _PATH_AS_HOST)
    if m is None:
        return CheckResult.ok("No log line shows a /cloudsql/ path taken for a host name.")
    named = obs.app_names()
    return failed(
        f"The app's driver treats the socket path as a host name: the logs show a DNS lookup "
        f"of /cloudsql/... ({m.count} line{'s' if m.count != 1 else ''}), so its driver or "
        "framework cannot open a Unix socket given this way.",
        [_lines_ev(m, lines), *(app_ev(c) for _, c in named[:1])],
        {**base_params(obs), "connection_name": named[0][0] if named else None},
        [("how the driver opens /cloudsql/...", "as a Unix socket", "as a host name (DNS lookup)")],
    )


def _socket_dsns(obs: Facts) -> list[Any]:
    view = obs.app
    return [c for c in (view.readable if view is not None else ())
            if c.dsn is not None and c.dsn.transport == "unix-socket"
            and c.dsn.socket_param not in (None, "authority") and not str(c.dsn.socket_param).startswith("env:")]


def dsn_socket_param_ignored(obs: Facts) -> CheckResult:
    conns = _socket_dsns(obs)
    if not conns:
        return CheckResult.skipped("No DSN names the socket through a parameter.")
    if not obs.logs_read:
        return unknown(obs, "whether the app dials TCP despite its socket parameter", FactKey.logs())
    run = obs.run
    if run is not None and run.has_proxy_sidecar:
        return CheckResult.ok("A proxy sidecar listens on localhost, so TCP to it is expected.")
    m, lines = _lines(obs, _LOOPBACK_TCP)
    conn = conns[0]
    if m is not None and not _of_template(obs, m):
        return CheckResult.ok(
            f"{'+'.join(conn.source)} names the socket; the TCP attempts in the logs come from "
            f"{', '.join(m.resources[:3])}, an older revision that ran other settings.", app_ev(conn))
    if m is None:
        return CheckResult.ok(f"{'+'.join(conn.source)} names the socket ({conn.dsn.socket_param}=) and the "
                              "logs show no TCP attempt to localhost.", app_ev(conn))
    param = conn.dsn.socket_param
    return failed(
        f"{'+'.join(conn.source)} names the socket ({param}=/cloudsql/...), but the logs show the app "
        f"dialling TCP to localhost ({m.count} line{'s' if m.count != 1 else ''}): its config loader "
        f"or ORM drops the {param!r} parameter.",
        [app_ev(conn), _lines_ev(m, lines)],
        {**base_params(obs), "variable": "+".join(conn.source), "param": param},
        [(f"the {param} parameter", "used: Unix socket", "dropped: TCP to localhost")],
    )


# Reserved in a URL's userinfo unless percent-encoded (RFC 3986 gen-delims, and '%' itself).
_RESERVED = ("@", ":", "/", "?", "#", "[", "]", "%")
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.S)
_PCT = re.compile(r"%[0-9A-Fa-f]{2}")


def _unencoded(value: str) -> list[str]:
    """Reserved characters in the password of a URL DSN that are not percent-encoded."""
    m = _URL.match(value.strip())
    if not m:
        return []
    rest = m.group("rest")
    if "@" not in rest:
        return []
    userinfo = rest[: rest.rfind("@")]
    if ":" not in userinfo:
        return []
    password = userinfo.split(":", 1)[1]
    bad = [ch for ch in _RESERVED if ch != "%" and ch in password]
    if "%" in _PCT.sub("", password):
        bad.append("%")
    return bad


def password_not_url_encoded(obs: Facts) -> CheckResult:
    run = obs.run
    if run is None:
        return unknown(obs, "whether the DSN's password is encoded", FactKey.run())
    for entry in run.env:
        value = entry.get("value")
        if not isinstance(value, str):
            continue
        bad = _unencoded(value)
        if bad:
            name = str(entry.get("name"))
            shown = ", ".join(repr(c) for c in bad)
            return failed(
                f"The password in {name} holds the reserved character{'s' if len(bad) > 1 else ''} "
                f"{shown} without percent-encoding, so URL parsers split it differently (libpq stops "
                "the user at the first '@', WHATWG URL at the last): the login goes to a different "
                "user, host or port than meant. The password itself is not shown.",
                [run_ev(run, f"env[{name}]", f"password with unencoded {shown}")],
                {**base_params(obs), "variable": name, "characters": shown},
                [(f"password in {name}", "percent-encoded (%40 for @, %23 for #...)", f"raw {shown}")],
            )
    return CheckResult.ok("No plain DSN has a password with unencoded reserved characters.")


def sidecar_proxy_not_ready(obs: Facts) -> CheckResult:
    run = obs.run
    if run is None:
        return unknown(obs, "whether a proxy sidecar starts before the app", FactKey.run())
    if not run.has_proxy_sidecar or len(run.containers) < 2:
        return CheckResult.skipped("No Cloud SQL Auth Proxy sidecar.")
    proxies = [c for c in run.containers if any(m in (c.get("image") or "")
                                                for m in ("cloud-sql-proxy", "cloudsql-proxy", "gce-proxy"))]
    apps = [c for c in run.containers if c not in proxies]
    proxy_names = {str(c.get("name") or "") for c in proxies}
    annotation = ((run.raw.get("template") or {}).get("annotations") or {}).get(
        "run.googleapis.com/container-dependencies", "")
    waits = all(proxy_names & set(c.get("dependsOn") or []) for c in apps) or any(
        n and n in annotation for n in proxy_names)
    probed = all(c.get("startupProbe") for c in proxies)
    ev = run_ev(run, "containers[]", [{"name": c.get("name"), "image": c.get("image"),
                                       "dependsOn": c.get("dependsOn") or [],
                                       "startupProbe": bool(c.get("startupProbe"))} for c in run.containers])
    if waits and probed:
        return CheckResult.ok("The app container depends on the proxy, which has a startup probe.", ev)
    if not obs.logs_read:
        return unknown(obs, "whether the app dials the proxy before it listens", FactKey.logs())
    m, lines = _lines(obs, _LOOPBACK_TCP)
    if m is not None and not _of_template(obs, m):
        m = None
    if m is None:
        return CheckResult.ok("The proxy sidecar has no startup ordering, but the logs show no refused "
                              "localhost connection.", ev)
    missing = " and ".join(x for x, ok in (("no dependsOn on the proxy", waits),
                                           ("no startup probe on the proxy", probed)) if not ok)
    return failed(
        f"The Cloud SQL Auth Proxy sidecar ({', '.join(sorted(proxy_names))}) may start after the app: "
        f"{missing}, and the logs show refused localhost connections ({m.count} line"
        f"{'s' if m.count != 1 else ''}).",
        [ev, _lines_ev(m, lines)],
        {**base_params(obs), "proxy": sorted(proxy_names)[0], "app_container": str(apps[0].get("name") or "")},
        [("app start", "after the proxy listens", "not ordered")],
    )


# --------------------------------------------------------------------------- IAM database login

_SA_SUFFIX = ".gserviceaccount.com"
_IAM_TYPES = ("CLOUD_IAM_SERVICE_ACCOUNT", "CLOUD_IAM_GROUP_SERVICE_ACCOUNT")
INSTANCE_USER_ROLES = ("roles/cloudsql.instanceUser", "roles/cloudsql.admin", "roles/owner")


def _iam_skip(obs: Facts) -> tuple[Any, CheckResult | None]:
    method = connect_method(obs)
    if not method.iam_auth:
        return method, CheckResult.skipped("The app logs in with a password, not IAM database authentication.")
    return method, None


def _iam_user_name(sa: str, engine: str | None) -> str:
    return sa.split("@", 1)[0] if engine == "mysql" else sa.removesuffix(_SA_SUFFIX)


def _each_iam_login(obs: Facts, judge: Callable[[Any, str, InstanceRef], CheckResult]) -> CheckResult:
    """Judge each instance the app logs in to with IAM database authentication (skipped otherwise)."""
    method, skip = _iam_skip(obs)
    if skip is not None:
        return skip
    run = obs.run
    if run is None or not obs.refs:
        return CheckResult.skipped("No instance to log in to.")
    return combine([judge(method, run.service_account, ref) for ref in obs.refs])


def iam_db_user_missing(obs: Facts) -> CheckResult:
    def judge(method: Any, sa: str, ref: InstanceRef) -> CheckResult:
        users = obs.users(ref.key)
        inst = obs.instance(ref)
        if users is None:
            return CheckResult.uncertain(
                f"Cannot list the users of {ref.key}: {obs.reason(FactKey.users(ref.project, ref.instance))}.")
        want = _iam_user_name(sa, inst.engine if inst else None)
        names = [str(u.get("name")) for u in users]
        ev = Evidence(DBUSERS, "users[].name", names, SQL_API, ref.key)
        if any(u.get("name") == want and u.get("type") in _IAM_TYPES for u in users):
            return CheckResult.ok(f"{want} is an IAM service-account user of {ref.key}.", ev)
        return failed(
            f"The app logs in with IAM database authentication ({method.iam_why}), but {ref.key} has "
            f"no CLOUD_IAM_SERVICE_ACCOUNT user {want!r} for the runtime service account {sa}.",
            [ev], {**base_params(obs), **instance_params(inst, ref), "service_account": sa, "iam_user": want},
            [(f"IAM user {want}", "exists (type CLOUD_IAM_SERVICE_ACCOUNT)", "missing")],
        )

    return _each_iam_login(obs, judge)


def missing_cloudsql_instance_user_role(obs: Facts) -> CheckResult:
    def judge(method: Any, sa: str, ref: InstanceRef) -> CheckResult:
        policy = obs.policy(ref.project)
        if policy is None:
            return CheckResult.uncertain(
                f"Cannot tell whether {sa} may log in to {ref.key}: the IAM policy of {ref.project} could "
                f"not be read ({obs.reason(FactKey.iam(ref.project))}).")
        verdicts = [(g, g.applies(ref.project, ref.instance)) for g in policy.grants(sa, INSTANCE_USER_ROLES)]
        grants = [g for g, v in verdicts if v.holds]
        if grants:
            return CheckResult.ok(f"{sa} holds {grants[0].role} in {ref.project}.")
        unknown_grant = next(((g, v) for g, v in verdicts if v.holds is None), None)
        if unknown_grant is not None:  # a condition the tool cannot evaluate: say so, never guess
            g, v = unknown_grant
            return CheckResult.uncertain(
                f"{sa} holds {g.role} in {ref.project} only under the condition {g.expression!r}, and "
                f"{v.why}, so whether it may log in to {ref.key} is unknown.")
        return failed(
            f"The app logs in with IAM database authentication ({method.iam_why}), but {sa} has no "
            f"roles/cloudsql.instanceUser (cloudsql.instances.login) in project {ref.project}: not "
            "granted at project level; it may still come from a folder, organization or group.",
            [Evidence(IAM, "bindings[] naming the service account", policy.roles_of(sa), CRM_API,
                      policy.resource, f"member serviceAccount:{sa}")],
            {**base_params(obs), **instance_params(obs.instance(ref), ref), "service_account": sa,
             "role": "roles/cloudsql.instanceUser", "instance_project": ref.project},
            [(f"roles/cloudsql.instanceUser for {sa}", "granted", "not granted at project level")],
        )

    return _each_iam_login(obs, judge)


def _flag_name(engine: str | None) -> str:
    return "cloudsql_iam_authentication" if engine == "mysql" else "cloudsql.iam_authentication"


def iam_authentication_flag_off(obs: Facts) -> CheckResult:
    method, skip = _iam_skip(obs)
    if skip is not None:
        return skip
    results = []
    for ref in obs.refs:
        inst = obs.instance(ref)
        if inst is None:
            results.append(unknown(obs, f"the flags of {ref.key}", FactKey.instance(ref.project, ref.instance)))
            continue
        if inst.engine == "sqlserver":
            results.append(CheckResult.skipped("SQL Server has no IAM database authentication."))
            continue
        flag = _flag_name(inst.engine)
        value = inst.database_flag(flag)
        ev = inst.evidence(f"settings.databaseFlags[{flag}]", value)
        if (value or "").lower() == "on":
            results.append(CheckResult.ok(f"{flag} is on for {ref.key}.", ev))
            continue
        flags = [f"{f.get('name')}={f.get('value')}" for f in inst.settings.get("databaseFlags") or []
                 if f.get("name") != flag]
        results.append(failed(
            f"The app logs in with IAM database authentication ({method.iam_why}), but instance "
            f"{inst.connection_name or ref.key} has {flag} {value or 'unset'}, so IAM logins are refused.",
            [ev], {**base_params(obs), **instance_params(inst, ref), "flag": flag,
                   "database_flags": ",".join([*flags, f"{flag}=on"])},
            [(flag, "on", value or "unset")],
        ))
    return combine(results) if results else CheckResult.skipped("No instance to check.")


# --------------------------------------------------------------------------- pools


def run_instance_connection_limit(obs: Facts) -> CheckResult:
    if not obs.logs_read:
        return unknown(obs, "whether Cloud Run's per-instance connection limit is hit", FactKey.logs())
    m, lines = _lines(obs, _PER_INSTANCE)
    if m is None:
        return CheckResult.ok("The logs show no 'Exceeded maximum of 100 connections per instance'.")
    return failed(
        f"A Cloud Run instance of {obs.target.kind} {obs.target.name} opened more than Cloud Run's 100 "
        "connections to one Cloud SQL instance (the platform's limit, not the database's "
        f"max_connections): {m.count} line{'s' if m.count != 1 else ''} say so. A pool per request, "
        "or a pool larger than 100, does this; a bigger tier does not help.",
        [_lines_ev(m, lines)], {**base_params(obs)},
        [("connections per container instance", "<= 100", "over 100 (per the logs)")],
    )


def _closed_by(op: SqlOperation) -> str:
    """What closed the connections and what to change besides the pool (a fix step; no command)."""
    at = f" at {op.started:%H:%M} UTC" if op.started else ""
    if "MAINTENANCE" in op.type:
        return (f"Cloud SQL maintenance{at} (operations.list). Maintenance cannot be avoided: set the "
                "instance's maintenance window to a quiet day and hour (settings.maintenanceWindow), "
                "add a deny maintenance period over critical dates (settings.denyMaintenancePeriods), "
                "and keep the pool validating.")
    if op.type in ("FAILOVER", "SWITCHOVER", "SWITCHOVER_TO_REPLICA", "PROMOTE_REPLICA", "RECONFIGURE_OLD_PRIMARY"):
        return (f"a {op.type}{at} (operations.list): connections to the old primary die by design. No "
                "instance setting prevents it: validate on borrow and retry the connect once.")
    by = f" by {op.user}" if op.user else ""
    return (f"a {op.type}{by}{at} (operations.list), which restarted the instance: changes that restart "
            "Cloud SQL (tier, flags, network) belong in a change window the app's owners know of.")


def stale_pooled_connections(obs: Facts) -> CheckResult:
    if not obs.logs_read:
        return unknown(obs, "whether pooled connections die under the app", FactKey.logs())
    m, lines = _lines(obs, _TERMINATED)
    if m is None:
        return CheckResult.ok("The logs show no connection dying under the app.")
    head = (f"Established connections die under the app and are reused: {m.count} line"
            f"{'s' if m.count != 1 else ''} like {lines[0][:120]!r}.")
    pool = " A pool without validation hands them out dead."
    ev = [_lines_ev(m, lines)]
    drops = drop_times(obs.log_matches())
    # An instance that does not exist has no history (instance-not-found says so).
    refs = [r for r in obs.refs if getattr(obs.failure(FactKey.instance(r.project, r.instance)), "kind", "")
            != "not-found"]
    read: list[SqlOperation] = []
    unread: dict[str, str] = {}
    for ref in refs:
        ops = obs.operations(ref.key)
        if ops is None:
            unread[ref.key] = obs.reason(FactKey.operations(ref.project, ref.instance))
        else:
            read.extend(ops)
    near = operations_near(read, drops)
    ref0 = next((r for r in refs if near and r.key == near[0].instance_key), refs[0] if refs else None)
    params = {**base_params(obs), **(instance_params(obs.instance(ref0), ref0) if ref0 else {}),
              "closed_by": _closed_by(near[0]) if near else ""}
    expected = [("pooled connection on borrow", "validated (pre-ping) or recycled", "reused dead")]
    if near:
        said = "; ".join(op.describe() for op in near[:3])
        what = "Cloud SQL operation" + ("s" if len(near) > 1 else "")
        return failed(
            f"{head} They died at the instance's own {what}: {said}. Cloud SQL closes every "
            f"connection to the instance during such an operation.{pool}",
            [*ev, *(op.evidence() for op in near[:3])], params, expected)
    if not refs:
        params["closed_by"] = "unknown: which instance the app uses is not known, so its operations were not read."
        tail = (" Which instance the app uses is unknown, so its operations were not read: compare "
                "the times with `gcloud sql operations list`.")
        return failed(f"{head} Maintenance, failover, restarts and idle timeouts close pooled connections."
                      f"{pool}{tail}", ev, params, expected)
    said = ""
    read_keys = [r.key for r in refs if r.key not in unread]
    if read_keys:
        others = sorted({op.type for op in read if op.disruptive})
        params["closed_by"] = ("no Cloud SQL operation (operations.list shows none near the drops): most "
                               "likely an idle timeout on the path; recycle connections below it.")
        said = (f" No Cloud SQL operation explains the drops: {', '.join(read_keys)} had no maintenance, "
                "failover, restart or update near them"
                + (f" (its {', '.join(others)} came at other times)" if others else "")
                + ", so an idle timeout on the path (server, proxy or NAT) most likely closed them.")
    if unread:
        params["closed_by"] = ("unknown: the instance's operations could not be read; compare the error "
                               "times with its operations (next step).")
        said += (" Whether a Cloud SQL operation (maintenance, failover, restart) closed them is unknown: "
                 "the operations of " + "; ".join(f"{k} could not be read ({why})" for k, why in unread.items())
                 + ".")
    return failed(f"{head}{said}{pool}", ev, params, expected)


CHECKS = (
    Check.reporting("driver-lacks-unix-socket", probes=(APP, LOGS),
                    judge=driver_lacks_unix_socket),
    Check.reporting("dsn-socket-param-ignored", probes=(RUN_CONFIG, APP, LOGS),
                    judge=dsn_socket_param_ignored),
    Check.reporting("password-not-url-encoded", probes=(RUN_CONFIG,), judge=password_not_url_encoded),
    Check.reporting("sidecar-proxy-not-ready", probes=(RUN_CONFIG, LOGS), judge=sidecar_proxy_not_ready),
    Check.reporting("iam-db-user-missing", probes=(RUN_CONFIG, APP, SQL, DBUSERS, LOGS),
                    judge=iam_db_user_missing),
    Check.reporting("missing-cloudsql-instance-user-role", probes=(RUN_CONFIG, APP, SQL, IAM, LOGS),
                    judge=missing_cloudsql_instance_user_role),
    Check.reporting("iam-authentication-flag-off", probes=(RUN_CONFIG, APP, SQL, LOGS),
                    judge=iam_authentication_flag_off),
    Check.reporting("run-instance-connection-limit", probes=(LOGS,), judge=run_instance_connection_limit),
    Check.reporting("stale-pooled-connections", probes=(LOGS, APP, SQL),
                    judge=stale_pooled_connections),
)

__all__ = ["CHECKS", "INSTANCE_USER_ROLES"]
