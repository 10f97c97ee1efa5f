"""Does the app dial its database the way Cloud Run and the instance allow?"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Union

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params, instance_params
from troubleshooter.checks.verdicts import combine, failed, unknown
from troubleshooter.dsn.connections import AppConnection
from troubleshooter.dsn.kinds import normalize_engine
from troubleshooter.dsn.roles import env_role
from troubleshooter.dsn.verdicts import socket_path_problem
from troubleshooter.facts.app import APP_ANSWER_KEY, AppView, answer_ev, app_ev, var
from troubleshooter.facts.instance import Instance, is_open_network, prefix_len
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.logs import log_ev
from troubleshooter.facts.names import clean
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import APP, LOGS, RUN_CONFIG, SERVING, SQL
from troubleshooter.facts.workload import run_ev
from troubleshooter.model import CheckResult, Evidence

# (app connection or None when the operator answered, instance, address type PRIMARY|PRIVATE)
DirectTarget = tuple[Union[AppConnection, None], Instance, str]

_TLS_MODES = frozenset(
    {"require", "required", "verify-ca", "verify-full", "verify-identity", "true", "1", "on"}
)
_STRICT_SSL = ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")
_CLIENT_CERT_KEYS = ("sslcert", "ssl_cert", "sslkey", "ssl_key", "ssl-cert", "clientcert")


def _view(obs: Facts, what: str) -> AppView | CheckResult:
    view = obs.app
    return view if view is not None else unknown(obs, what, FactKey.run())


def _hidden(view: AppView) -> CheckResult:
    if view.answer is not None:
        # The operator told us the route; the exact string (path, sslmode) is still unread.
        return CheckResult.uncertain(
            f"You said the app connects by {view.answer}; deciding this needs the connection string "
            f"itself, which is in Secret Manager ({view.route_vars}) and was not read."
        )
    return CheckResult.uncertain(
        f"The app's database settings ({view.route_vars}) are in Secret Manager and weren't read; "
        "answer how the app connects to decide this."
    )


def _how(view: AppView) -> str:
    return "; ".join(c.display for c in view.readable) or "no database setting in env"


def _socket_suggestion(obs: Facts, conn: AppConnection | None, eng: str | None,
                       cn: str | None = None) -> dict[str, Any]:
    """What a socket-based DSN would look like for this app (placeholders, never the password)."""
    cn = cn or obs.suggested_connection_name() or "PROJECT:REGION:INSTANCE"
    dsn = conn.dsn if conn is not None else None
    if conn is not None and conn.read_from:
        # A value read from Secret Manager is never printed, not even in parts: its user and
        # database stay placeholders too (only its shape decided the check).
        dsn = replace(dsn, user=None, database=None) if dsn is not None else None
    user = (dsn.user if dsn else None) or "USER"
    db = (dsn.database if dsn else None) or "DB"
    out: dict[str, Any] = {"connection_name": cn, "socket_dir": f"/cloudsql/{cn}"}
    if (eng or (dsn.engine if dsn else None)) == "mysql":
        out["suggested_value"] = f"mysql://{user}:PASSWORD@localhost/{db}?unix_socket=/cloudsql/{cn}"
    elif conn is not None and conn.kind == "split":
        out["suggested_value"] = f"/cloudsql/{cn}"
    else:
        scheme = (dsn.scheme if dsn and dsn.scheme else None) or "postgresql"
        out["suggested_value"] = f"{scheme}://{user}:PASSWORD@localhost/{db}?host=/cloudsql/{cn}"
    out["socket_dsn_hint"] = _hint(obs, conn, cn, out["suggested_value"])
    return out


def _hint(obs: Facts, conn: AppConnection | None, cn: str, value: str) -> str:
    """One line a person can follow: which variable to set to what, and the attachment."""
    name = "DATABASE_URL"
    if conn is not None:
        hosts = [n for n in conn.source if env_role(n) == "host"]
        name = hosts[0] if conn.kind == "split" and hosts else conn.source[0]
    attached = {clean(n) for n, _ in obs.all_attached()}
    attach = "" if cn in attached else (
        f"; attach the instance: gcloud run {obs.target.kind}s update {obs.target.name} "
        f"--region={obs.target.region} --project={obs.target.project} "
        f"{'--add-cloudsql-instances' if obs.target.kind == 'service' else '--set-cloudsql-instances'}={cn}"
    )
    read = re.match(r"read from secret ([^,\s]+)", conn.read_from or "") if conn is not None else None
    if read is not None:
        # The value lives in Secret Manager (read with consent): the fix is a new version of it.
        return (f"add a new version of secret {read.group(1)} holding {value} (USER, DB and the "
                f"password stand for the real ones, which are not shown): printf '%s' \"$VALUE\" | gcloud secrets versions add {read.group(1)} "
                f"--project={obs.target.project} --data-file=-{attach}")
    return f"set {name}={value} (PASSWORD stands for the real one; keep it in Secret Manager){attach}"


# --------------------------------------------------------------------------- localhost


def app_uses_localhost_tcp(obs: Facts) -> CheckResult:
    view = _view(obs, "how the app connects")
    if isinstance(view, CheckResult):
        return view
    run = obs.run
    sidecar = run is not None and run.has_proxy_sidecar
    local = view.tcp("localhost")
    refused = obs.log_hit("connection-refused")
    if not local:
        if view.route_known or not view.route_hidden:
            if not view.readable:
                return CheckResult.skipped("The app's env holds no database connection setting.")
            return CheckResult.ok(f"The app does not dial localhost over TCP ({_how(view)}).",
                                  *(app_ev(c) for c in view.readable))
        if view.answer is None:
            return _hidden(view)
        if view.answer != "localhost-tcp":
            return CheckResult.ok(f"You said the app connects by {view.answer}, not localhost TCP.",
                                  answer_ev(view.answer))
    if sidecar:
        assert run is not None
        return CheckResult.ok(
            "The app dials localhost, and a Cloud SQL Auth Proxy sidecar container listens there.",
            run_ev(run, "containers[].image", [c.get("image") for c in run.containers]),
        )
    conn = local[0] if local else None
    evidence: list[Evidence] = [app_ev(c) for c in local] if local else [answer_ev(view.answer or "")]
    if refused:
        evidence.append(log_ev(refused))
    inst = obs.instance_for_conn(conn) if conn is not None else None
    eng = inst.engine if isinstance(inst, Instance) else None
    sugg = _socket_suggestion(obs, conn, eng)
    dialled = (f"{conn.dsn.host}:{conn.dsn.port or 'default port'}" if conn and conn.dsn
               else "localhost")
    where = f"({var(conn)}) " if conn else ""
    return failed(
        f"The app of {obs.target.kind} {obs.target.name} dials {dialled} over TCP {where}expecting a "
        "Cloud SQL proxy there, but Cloud Run runs none on localhost: its Cloud SQL connection is "
        f"the Unix socket {sugg['socket_dir']}, so nothing listens and the connect is refused.",
        evidence,
        {**base_params(obs), **sugg, "variable": var(conn) if conn else None,
         "engine": eng or (conn.dsn.engine if conn and conn.dsn else None),
         "database": conn.dsn.database if conn and conn.dsn else None,
         "user": conn.dsn.user if conn and conn.dsn else None},
        [("database address", f"{sugg['socket_dir']} (Unix socket) or a connector",
          f"{dialled} (TCP, no proxy)")],
    )


# --------------------------------------------------------------------------- direct IP


def _direct_targets(obs: Facts, what: str) -> list[DirectTarget] | CheckResult:
    """The instances the app dials by IP address, or why that is unknown / not the case."""
    view = _view(obs, what)
    if isinstance(view, CheckResult):
        return view
    dialled = view.tcp("ip")
    if dialled:
        out: list[DirectTarget] = list(obs.ip_targets(view))
        if out:
            return out
        hosts = ", ".join((c.dsn.host if c.dsn else None) or "" for c in dialled)
        key = FactKey.listing(obs.target.project)
        if obs.failure(key) is not None:
            return CheckResult.uncertain(
                f"The app dials {hosts}, but the instances could not be listed to match it "
                f"({obs.reason(key)})."
            )
        return CheckResult.skipped(f"The app dials {hosts}, which is no address of a Cloud SQL "
                                   "instance read.")
    if view.route_known or not view.route_hidden:
        return CheckResult.skipped(f"The app does not dial an IP address ({_how(view)}).")
    if view.answer is None:
        return _hidden(view)
    if view.answer not in ("public-ip", "private-ip"):
        return CheckResult.skipped(f"You said the app connects by {view.answer}, not an IP address.")
    insts = [i for i in map(obs.instance, obs.refs) if i is not None]
    if len(insts) != 1:
        return CheckResult.uncertain(
            f"You said the app dials the instance's {view.answer}, but which instance is unknown "
            f"({len(insts)} read)."
        )
    return [(None, insts[0], "PRIMARY" if view.answer == "public-ip" else "PRIVATE")]


def _target_ev(conn: AppConnection | None, obs: Facts) -> Evidence:
    return app_ev(conn) if conn is not None else answer_ev(obs.answers.get(APP_ANSWER_KEY, ""))


def _public_one(obs: Facts, conn: AppConnection | None, inst: Instance) -> CheckResult:
    nets = inst.authorized_networks
    values = inst.authorized_values
    ip = inst.ip_of("PRIMARY")
    name = inst.label
    ev = [_target_ev(conn, obs), inst.evidence("settings.ipConfiguration.authorizedNetworks", values)]
    open_nets = [v for v in values if is_open_network(v)]
    if open_nets:
        return CheckResult.ok(
            f"The app dials {name}'s public IP {ip}, and authorized network {open_nets[0]} lets any "
            "address in (that is its own finding: authorized-networks-open-to-world).", *ev
        )
    run = obs.run
    if run is not None and run.vpc.configured and (run.vpc.egress or "").upper().startswith("ALL"):
        return CheckResult.uncertain(
            f"The app dials {name}'s public IP {ip} with all egress through the VPC; it passes only "
            f"if the VPC's Cloud NAT address is among the authorized networks ({', '.join(values) or 'none'}).",
            *ev, run_ev(run, "vpcAccess", {"egress": run.vpc.egress}),
        )
    middling = [v for v in values if (p := prefix_len(v)) is not None and 9 <= p <= 23]
    if middling:
        return CheckResult.uncertain(
            f"The app dials {name}'s public IP {ip}; authorized network(s) {', '.join(middling)} may "
            "or may not hold Cloud Run's (dynamic) egress address.", *ev
        )
    timeout = obs.log_hit("connection-timeout")
    if timeout:
        ev.append(log_ev(timeout))
    sugg = _socket_suggestion(obs, conn, inst.engine, inst.connection_name)
    return failed(
        f"The app of {obs.target.kind} {obs.target.name} dials instance {name}'s public IP {ip} "
        "directly, and no authorized network admits Cloud Run's egress (it is dynamic; "
        f"authorized: {', '.join(values) or 'none'}), so the instance drops the connection.",
        ev,
        {**base_params(obs), **instance_params(inst), **sugg, "public_ip": ip,
         "variable": var(conn) if conn else None, "authorized_networks": nets},
        [("how the app reaches the instance", "Unix socket or connector (no allow-list needed)",
          f"{ip} over TCP, authorized: {', '.join(values) or 'none'}")],
    )


def app_uses_public_ip_unauthorized(obs: Facts) -> CheckResult:
    targets = _direct_targets(obs, "whether the app dials a public IP")
    if isinstance(targets, CheckResult):
        return targets
    public = [(c, i) for c, i, kind in targets if kind == "PRIMARY"]
    if not public:
        ips = ", ".join(i.ip_of(k) or "?" for _c, i, k in targets)
        return CheckResult.skipped(f"The app dials a private address ({ips}), not a public IP.")
    return combine([_public_one(obs, c, i) for c, i in public])


def _ssl_one(obs: Facts, conn: AppConnection | None, inst: Instance, kind: str) -> CheckResult:
    mode, require = inst.ssl_mode, inst.require_ssl
    name = inst.label
    ip = inst.ip_of(kind)
    ev = [inst.evidence("settings.ipConfiguration.sslMode", mode),
          inst.evidence("settings.ipConfiguration.requireSsl", require)]
    strict = mode in _STRICT_SSL or (not mode and require is True)
    if not strict:
        return CheckResult.ok(f"Instance {name} accepts unencrypted connections (sslMode {mode}, "
                              f"requireSsl {require}).", *ev)
    ev.append(_target_ev(conn, obs))
    if conn is None or conn.dsn is None:
        return CheckResult.uncertain(
            f"Instance {name} requires TLS ({mode or 'requireSsl'}) and the app dials its IP; whether "
            "its connection string asks for TLS is in Secret Manager and wasn't read.", *ev
        )
    sslmode = (conn.dsn.sslmode or "").strip().lower().replace("_", "-")
    needs_cert = mode == "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
    params_lower = {k.lower() for k in conn.dsn.params}
    has_cert = any(k in params_lower for k in _CLIENT_CERT_KEYS)
    if sslmode in _TLS_MODES and (not needs_cert or has_cert):
        return CheckResult.ok(f"The app asks for TLS (sslmode={conn.dsn.sslmode}) as instance {name} "
                              "requires.", *ev)
    if sslmode in _TLS_MODES:
        why = f"sslmode={conn.dsn.sslmode} but no client certificate, which {mode} also demands"
    elif sslmode:
        why = f"sslmode={conn.dsn.sslmode}, which does not insist on TLS"
    else:
        why = ("no sslmode (libpq's default `prefer` may still negotiate TLS; many drivers, e.g. "
               "node-postgres, do not)")
    return failed(
        f"Instance {name} requires encrypted connections ({mode or 'requireSsl=true'}) but the app "
        f"dials {ip} directly with {why} ({var(conn)}), so the server rejects it.",
        ev,
        {**base_params(obs), **instance_params(inst), **_socket_suggestion(obs, conn, inst.engine, inst.connection_name),
         "ssl_mode": mode, "require_ssl": require,
         "variable": var(conn), "ip": ip, "dsn_sslmode": conn.dsn.sslmode},
        [("TLS on the direct connection", "sslmode=require (or the socket / a connector)",
          f"sslmode={conn.dsn.sslmode or 'unset'}")],
    )


def ssl_required_for_direct_tcp(obs: Facts) -> CheckResult:
    targets = _direct_targets(obs, "whether the app's direct connection meets the TLS rule")
    if isinstance(targets, CheckResult):
        return targets
    return combine([_ssl_one(obs, c, i, k) for c, i, k in targets])


def _enforcement_one(obs: Facts, conn: AppConnection | None, inst: Instance,
                     kind: str) -> CheckResult:
    rule = inst.connector_enforcement
    name = inst.label
    ev = [inst.evidence("settings.connectorEnforcement", rule), _target_ev(conn, obs)]
    if rule != "REQUIRED":
        return CheckResult.ok(f"Instance {name} does not require connectors "
                              f"(connectorEnforcement {rule or 'unset'}).", *ev)
    ip = inst.ip_of(kind)
    return failed(
        f"Instance {name} only accepts Cloud SQL connectors and the Auth Proxy "
        f"(connectorEnforcement REQUIRED), but the app dials {ip} directly"
        + (f" ({var(conn)})" if conn else "") + ", so every connection is refused.",
        ev,
        {**base_params(obs), **instance_params(inst), **_socket_suggestion(obs, conn, inst.engine, inst.connection_name),
         "ip": ip,
         "variable": var(conn) if conn else None},
        [("how the app connects", "Unix socket or a connector", f"{ip} over TCP")],
    )


def connector_enforcement_blocks_direct(obs: Facts) -> CheckResult:
    targets = _direct_targets(obs, "whether the app connects around a required connector")
    if isinstance(targets, CheckResult):
        return targets
    return combine([_enforcement_one(obs, c, i, k) for c, i, k in targets])


# --------------------------------------------------------------------------- socket shape


def socket_path_wrong_for_engine(obs: Facts) -> CheckResult:
    view = _view(obs, "the app's socket path")
    if isinstance(view, CheckResult):
        return view
    socketed = [c for c in view.readable if c.dsn is not None and (
        c.dsn.socket_path is not None or (c.dsn.host or "").startswith("cloudsql/"))]
    if not socketed:
        if view.route_hidden and not view.route_known and view.answer in (None, "unix-socket"):
            return _hidden(view)
        return CheckResult.skipped(f"The app does not use a Unix socket ({_how(view)}).")
    results = []
    for conn in socketed:
        assert conn.dsn is not None
        inst = obs.instance_for_conn(conn)
        inst_engine = inst.engine if isinstance(inst, Instance) else None
        problem = socket_path_problem(conn.dsn, inst_engine)
        ev = [app_ev(conn)]
        if isinstance(inst, Instance):
            ev.append(inst.evidence("databaseVersion", inst.database_version))
        if problem is None:
            results.append(CheckResult.ok(
                f"The socket {conn.dsn.socket_path!r} fits the engine "
                f"({inst_engine or conn.dsn.engine or 'unknown'}).", *ev))
            continue
        if "points at the socket file" in problem and conn.dsn.socket_param not in ("host", "authority"):
            # Only libpq-style host= wants the directory; a socketPath/socket/unix_socket key of
            # another driver may well want the file itself (issue 10): do not assert it.
            results.append(CheckResult.uncertain(
                f"The socket in {var(conn)} ({conn.dsn.socket_param}=) names the Postgres socket "
                "file; libpq-style host= wants its directory, but whether this driver's "
                f"{conn.dsn.socket_param!r} wants the file or the directory is not known.", *ev))
            continue
        eng = inst_engine or normalize_engine(conn.dsn.engine) or None
        name = clean(conn.dsn.instance or "") or obs.suggested_connection_name() or "PROJECT:REGION:INSTANCE"
        right = f"/cloudsql/{name}" if eng != "postgres" or conn.dsn.socket_param not in (
            "unix_sock", "unixsocketpath") else f"/cloudsql/{name}/.s.PGSQL.5432"
        results.append(failed(
            f"The socket in {var(conn)} is wrong for this "
            f"{eng or 'database'}: {problem}.",
            ev,
            {**base_params(obs), **(instance_params(inst) if isinstance(inst, Instance) else {}),
             "variable": var(conn), "socket_path": conn.dsn.socket_path, "engine": eng,
             "connection_name": name, "suggested_socket_path": right, "problem": problem},
            [("socket path", right, repr(conn.dsn.socket_path or conn.dsn.host))],
        ))
    return combine(results)


# --------------------------------------------------------------------------- URL validators


def dsn_rejected_by_validator(obs: Facts) -> CheckResult:
    view = _view(obs, "the app's connection URL")
    if isinstance(view, CheckResult):
        return view
    rejected = obs.log_hit("config-rejected")
    empties = [c for c in view.readable if c.dsn is not None and c.dsn.form == "url"
               and c.dsn.empty_host and (c.dsn.socket_path or "").startswith("/cloudsql/")]
    if not empties:
        if rejected and any(c.role == "url" for c in view.secret):
            return CheckResult.uncertain(
                "The logs show the app rejecting its configuration, and its connection URL "
                f"({view.secret_vars}) is in Secret Manager, not read: an empty-host "
                "`@/db?host=/cloudsql/...` URL there would explain it.", log_ev(rejected)
            )
        return CheckResult.skipped("The app uses no empty-host socket URL (`...@/db?host=/cloudsql/...`).")
    conn = empties[0]
    assert conn.dsn is not None
    cn = clean(conn.dsn.instance or "") or obs.suggested_connection_name() or "PROJECT:REGION:INSTANCE"
    scheme = conn.dsn.scheme or "postgresql"
    value = (f"{scheme}://{conn.dsn.user or 'USER'}:PASSWORD@localhost/"
             f"{conn.dsn.database or 'DB'}?host=/cloudsql/{cn}")
    params = {**base_params(obs), "variable": var(conn), "connection_name": cn,
              "database": conn.dsn.database, "user": conn.dsn.user, "suggested_value": value,
              "socket_dsn_hint": _hint(obs, conn, cn, value)}
    if rejected:
        return failed(
            f"The app of {obs.target.kind} {obs.target.name} rejects its own {var(conn)}: the "
            "socket URL has an empty host (`@/db?host=/cloudsql/...`), which libpq accepts but "
            "URL validators (e.g. class-validator isUrl) refuse, so it never connects.",
            [app_ev(conn), log_ev(rejected)], params,
            [("host part of the URL", "localhost (dummy; the socket comes from ?host=)", "empty")],
        )
    if not obs.logs_read:
        return CheckResult.uncertain(
            f"{var(conn)} is an empty-host socket URL, which some URL validators reject; the logs "
            f"that would show it could not be read ({obs.reason(FactKey.logs())}).", app_ev(conn)
        )
    return CheckResult.ok(
        f"{var(conn)} is an empty-host socket URL (some URL validators reject those), but the logs "
        "show no configuration rejected.", app_ev(conn)
    )


CHECKS = (
    Check.reporting("app-uses-localhost-tcp", probes=(RUN_CONFIG, SERVING, APP, SQL, LOGS),
                    judge=app_uses_localhost_tcp),
    Check.reporting("app-uses-public-ip-unauthorized", probes=(RUN_CONFIG, SERVING, APP, SQL, LOGS),
                    judge=app_uses_public_ip_unauthorized),
    Check.reporting("ssl-required-for-direct-tcp", probes=(RUN_CONFIG, SERVING, APP, SQL),
                    judge=ssl_required_for_direct_tcp),
    Check.reporting("connector-enforcement-blocks-direct", probes=(RUN_CONFIG, SERVING, APP, SQL),
                    judge=connector_enforcement_blocks_direct),
    Check.reporting("socket-path-wrong-for-engine", probes=(RUN_CONFIG, APP, SQL),
                    judge=socket_path_wrong_for_engine),
    Check.reporting("dsn-rejected-by-validator", probes=(RUN_CONFIG, SERVING, APP, LOGS),
                    judge=dsn_rejected_by_validator),
)
