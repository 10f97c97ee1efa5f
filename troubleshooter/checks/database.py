"""Once connected: does the database and user exist, is the password right, is there room?"""

from __future__ import annotations

import re
from typing import Any, Callable

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params, instance_params
from troubleshooter.checks.verdicts import combine, failed, unknown
from troubleshooter.dsn.connections import AppConnection
from troubleshooter.facts.app import app_ev, var
from troubleshooter.facts.instance import Instance
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.logs import log_ev
from troubleshooter.facts.names import short
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import (
    APP,
    DBUSERS,
    LOGGING_API,
    LOGS,
    RUN_CONFIG,
    SQL,
    SQL_API,
)
from troubleshooter.facts.workload import run_ev
from troubleshooter.model import CheckResult, Evidence, LogMatch

_IAM_USER_TYPES = ("CLOUD_IAM_SERVICE_ACCOUNT", "CLOUD_IAM_USER", "CLOUD_IAM_GROUP_SERVICE_ACCOUNT",
                   "CLOUD_IAM_GROUP_USER")
_SA_SUFFIX = ".gserviceaccount.com"


def _per_app_setting(
    obs: Facts,
    what: str,
    field: Callable[[AppConnection], str | None],
    judge: Callable[[AppConnection, Instance, str], CheckResult],
) -> CheckResult:
    """Run `judge` for each readable app setting naming `field`, on the instance it talks to."""
    view = obs.app
    if view is None:
        return unknown(obs, what, FactKey.run())
    named = [c for c in view.readable if c.dsn is not None and field(c)]
    if not named:
        if view.secret:
            return CheckResult.skipped(
                f"The app's {what} is not in a plain env value ({view.secret_vars} are in Secret "
                "Manager and weren't read)."
            )
        return CheckResult.skipped(f"The app's env does not name its {what}.")
    results = []
    for conn in named:
        inst = obs.instance_for_conn(conn)
        if isinstance(inst, str):
            results.append(CheckResult.uncertain(f"Cannot tell which instance {var(conn)} uses: {inst}."))
            continue
        results.append(judge(conn, inst, field(conn) or ""))
    return combine(results)


# --------------------------------------------------------------------------- a stopped instance


def _not_running(inst: Instance) -> str | None:
    """Why Cloud SQL cannot list this instance's databases or users, if it is not running.

    databases.list / users.list answer 400 "Invalid request since instance is not running." for
    a stopped or PENDING_CREATE instance (sandbox/errors.sql_instance_not_running cites the
    threads): their absence then says nothing about the database or user.
    """
    if inst.activation_policy == "NEVER" or inst.state == "STOPPED":
        return f"instance {inst.connection_name or inst.key} is stopped (activationPolicy {inst.activation_policy}, state {inst.state})"
    if inst.state == "PENDING_CREATE":
        return f"instance {inst.connection_name or inst.key} is still being created (PENDING_CREATE)"
    return None


def _unlisted(what: str, inst: Instance, why: str, conn: AppConnection) -> CheckResult:
    stopped = _not_running(inst)
    if stopped is not None:
        return CheckResult.uncertain(
            f"Cannot tell whether the app's {what} exists: {stopped}, and Cloud SQL lists {what}s "
            "only on a running instance (instance-stopped explains why it is not running).",
            app_ev(conn), inst.evidence("settings.activationPolicy", inst.activation_policy),
        )
    return CheckResult.uncertain(f"Cannot list the {what}s of {inst.connection_name or inst.key}: {why}.",
                                 app_ev(conn))


# --------------------------------------------------------------------------- database


def database_not_found(obs: Facts) -> CheckResult:
    def judge(conn: AppConnection, inst: Instance, db: str) -> CheckResult:
        names = obs.databases(inst)
        name = inst.connection_name or inst.key
        if names is None:
            why = obs.reason(FactKey.databases(str(inst.project), str(inst.name)))
            return _unlisted("database", inst, why, conn)
        ev = [app_ev(conn), Evidence(DBUSERS, "databases[].name", names, SQL_API, name)]
        if db in names:
            return CheckResult.ok(f"Database {db!r} exists on {name}.", *ev)
        missing_log = obs.log_hit("database-missing")
        if missing_log:
            ev.append(log_ev(missing_log))
        return failed(
            f"The app ({var(conn)}) asks for database {db!r}, which does not exist on instance "
            f"{name} (it has {', '.join(names) or 'none'}), so the server refuses the session.",
            ev,
            {**base_params(obs), **instance_params(inst), "database": db, "existing_databases": names,
             "existing": ", ".join(names) or "none", "variable": var(conn)},
            [("database", db, f"absent; existing: {', '.join(names) or 'none'}")],
        )

    return _per_app_setting(obs, "database name", lambda c: c.dsn.database if c.dsn else None, judge)


# --------------------------------------------------------------------------- user


def _user_match(user: str, users: list[dict[str, Any]], eng: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """(user entry, hint): the entry the app's user name logs in as, or the IAM user it meant."""
    for u in users:
        if u.get("name") == user:
            return u, None
    if user.endswith(_SA_SUFFIX):
        # Cloud SQL stores IAM service-account users shortened: Postgres drops
        # ".gserviceaccount.com", MySQL keeps only the part before "@".
        short = user[: -len(_SA_SUFFIX)] if eng != "mysql" else user.split("@", 1)[0]
        for u in users:
            if u.get("name") == short and u.get("type") in _IAM_USER_TYPES:
                return None, short
    return None, None


def db_user_not_found(obs: Facts) -> CheckResult:
    def judge(conn: AppConnection, inst: Instance, user: str) -> CheckResult:
        users = obs.users(inst.key)
        name = inst.connection_name or inst.key
        if users is None:
            why = obs.reason(FactKey.users(str(inst.project), str(inst.name)))
            return _unlisted("user", inst, why, conn)
        listed = [str(u.get("name")) for u in users]
        ev = [app_ev(conn), Evidence(DBUSERS, "users[].name", listed, SQL_API, name)]
        found, hint = _user_match(user, users, inst.engine)
        if found is not None:
            return CheckResult.ok(f"User {user!r} exists on {name} ({found.get('type') or 'BUILT_IN'}).", *ev)
        params = {**base_params(obs), **instance_params(inst), "user": user,
                  "existing_users": listed, "variable": var(conn)}
        if hint is not None:
            return failed(
                f"The app ({var(conn)}) logs in as {user!r}, but Cloud SQL stores that IAM service "
                f"account user as {hint!r} on {name}, so no user of the app's name exists.",
                ev, {**params, "suggested_user": hint},
                [("database user name", hint, user)],
            )
        return failed(
            f"The app ({var(conn)}) logs in as user {user!r}, which does not exist on instance "
            f"{name} (users: {', '.join(listed) or 'none'}), so authentication fails.",
            ev, params, [("database user", user, f"absent; existing: {', '.join(listed) or 'none'}")],
        )

    return _per_app_setting(obs, "database user", lambda c: c.dsn.user if c.dsn else None, judge)


# --------------------------------------------------------------------------- password

_USER_IN_LOG = re.compile(
    r"""password authentication failed for user ["']([^"']+)["']|Access denied for user '([^']+)'"""
)


def _log_users(m: LogMatch) -> list[str]:
    out = []
    for line in m.lines:
        for a, b in _USER_IN_LOG.findall(line):
            if (a or b) and (a or b) not in out:
                out.append(a or b)
    return out


def _password_secret(obs: Facts) -> str | None:
    """The Secret Manager secret holding the password, if the app reads it from one."""
    view = obs.app
    for c in view.secret if view else ():
        if c.role in ("password", "url") and c.secret_ref:
            return short(c.secret_ref.split(":", 1)[0])
    return None


def _plain_password_var(obs: Facts) -> str | None:
    """The plain env variable carrying the password (a password var, or a URL with one)."""
    view = obs.app
    for c in view.readable if view else ():
        if c.role == "password" or (c.dsn is not None and c.dsn.has_password):
            return "+".join(c.source)
    return None


def password_authentication_failed(obs: Facts) -> CheckResult:
    if not obs.logs_read:
        return unknown(obs, "whether logins fail", FactKey.logs())
    hit = obs.log_hit("auth-failed")
    if hit is None:
        return CheckResult.ok("The logs show no failed database login.")
    view = obs.app
    app_users = [c.dsn.user for c in (view.readable if view else ()) if c.dsn and c.dsn.user]
    users_named = _log_users(hit) or app_users
    if not users_named:
        return CheckResult.uncertain(
            "The logs show failed logins, but neither they nor the app's env say which user.",
            log_ev(hit),
        )
    refs = obs.refs
    if not refs:
        return CheckResult.uncertain("The logs show failed logins, but no instance is named.", log_ev(hit))
    unreadable = []
    for ref in refs:
        users = obs.users(ref.key)
        if users is None:
            unreadable.append(f"{ref.key} ({obs.reason(FactKey.users(ref.project, ref.instance))})")
            continue
        inst = obs.instance(ref)
        for user in users_named:
            entry, _ = _user_match(user, users, inst.engine if inst else None)
            if entry is None:
                continue
            iam = entry.get("type") in _IAM_USER_TYPES
            where = inst.connection_name if inst else ref.key
            secret = _password_secret(obs)
            plain_var = _plain_password_var(obs)
            inst_name = (inst.name if inst else None) or ref.instance
            inst_project = (inst.project if inst else None) or ref.project
            if iam:
                steps = ("The login is an IAM token: check roles/cloudsql.instanceUser and the "
                         "instance's IAM authentication flag (a password does not apply).", "")
            elif plain_var and not secret:
                # The app's password is a plain env value: correct it there, do not reset the
                # database password (every other client of that user would break).
                steps = (f"The password comes from the plain env value {plain_var}: set it to "
                         f"{user}'s real password (gcloud run {obs.target.kind}s update "
                         f"{obs.target.name} --region={obs.target.region} --update-env-vars="
                         f"{plain_var}=...), better from Secret Manager (--set-secrets).",
                         "Reset the database password only if nobody knows it any more.")
            else:
                steps = (f"gcloud sql users set-password {user} --instance={inst_name} "
                         f"--project={inst_project} --prompt-for-password",
                         f"printf '%s' \"$NEW_PASSWORD\" | gcloud secrets versions add "
                         f"{secret or 'SECRET'} --data-file=- (printf adds no newline)")
            return failed(
                f"User {user!r} exists on {where} but its "
                + ("IAM login (token) " if iam else "password ")
                + "is rejected, as the logs show: "
                + ("the service account's IAM database login is refused." if iam else
                   "the app's password (often a stale secret version or a trailing newline in "
                   "the secret) does not match."),
                [log_ev(hit), Evidence(DBUSERS, "users[].name", [u.get("name") for u in users],
                                       SQL_API, where or ref.key)],
                {**base_params(obs), **instance_params(inst, ref), "user": user, "iam_user": iam,
                 "secret": secret, "password_variable": plain_var,
                 "password_step": steps[0], "password_step_2": steps[1]},
                [(f"password of {user}", "matches the instance", "rejected")],
            )
    if unreadable:
        return CheckResult.uncertain(
            f"The logs show failed logins for {', '.join(users_named)}, but the users of "
            f"{'; '.join(unreadable)} could not be listed.", log_ev(hit)
        )
    return CheckResult.ok(
        f"The logs show failed logins for {', '.join(users_named)}, a user that does not exist "
        "(that is db-user-not-found, not a wrong password).", log_ev(hit)
    )


# --------------------------------------------------------------------------- capacity


def too_many_connections(obs: Facts) -> CheckResult:
    if not obs.logs_read:
        return unknown(obs, "whether the instance runs out of connections", FactKey.logs())
    hit = obs.log_hit("too-many-connections")
    if hit is None:
        return CheckResult.ok("The logs show no connection-limit errors.")
    if all(_PER_INSTANCE.search(line) for line in hit.lines):
        # Cloud Run's own cap per container instance, not the database's max_connections: that is
        # run-instance-connection-limit, whose fix is the pool, never a bigger tier.
        return CheckResult.ok("The only connection-limit lines are Cloud Run's 100 connections per "
                              "instance (run-instance-connection-limit), not max_connections.", log_ev(hit))
    run = obs.run
    ev: list[Evidence] = [log_ev(hit)]
    params: dict[str, Any] = {**base_params(obs)}
    if run is not None:
        ev.append(run_ev(run, "scaling.maxInstanceCount", run.max_instances))
        params["max_instances"] = run.max_instances
    insts = [(r, i) for r in obs.refs if (i := obs.instance(r)) is not None]
    limit_txt = ""
    if insts:
        ref, inst = insts[0]
        flag = inst.database_flag("max_connections")
        tier = inst.tier
        ev += [inst.evidence("settings.databaseFlags[max_connections]", flag),
               inst.evidence("settings.tier", tier)]
        params.update(instance_params(inst, ref), max_connections=flag, tier=tier)
        limit_txt = (f" (max_connections {flag or 'the tier default'} on {tier}; "
                     f"max instances {run.max_instances if run else '?'})")
    return failed(
        f"Instance connections run out{limit_txt}: {hit.count} log lines say so, so new sessions "
        f"of {obs.target.kind} {obs.target.name} are refused. Each instance's pool times the "
        "instance count must stay under the limit.",
        ev, params,
        [("max instances x pool size", "< max_connections", "over the limit (per the logs)")],
    )


_PER_INSTANCE = re.compile(r"(?i)Exceeded maximum of \d+ connections per instance")
_QUOTA_RE = re.compile(r"rateLimitExceeded|Quota exceeded", re.IGNORECASE)


def admin_api_quota_exceeded(obs: Facts) -> CheckResult:
    if not obs.logs_read:
        return unknown(obs, "whether the Admin API quota is exhausted", FactKey.logs())
    hit = obs.log_hit("admin-api-quota-exceeded")
    lines: list[str] = list(hit.lines) if hit else []
    source = hit
    if hit is None:
        for m in obs.log_matches():
            found = [ln for ln in m.lines if _QUOTA_RE.search(ln) and ("sqladmin" in ln.lower()
                                                                        or "cloud sql" in ln.lower()
                                                                        or "rateLimitExceeded" in ln)]
            if found:
                lines, source = found, m
                break
    if not lines or source is None:
        return CheckResult.ok("No matched log line mentions rateLimitExceeded or an exhausted "
                              "Cloud SQL Admin API quota.")
    return failed(
        f"{obs.target.kind.capitalize()} {obs.target.name} hits the Cloud SQL Admin API rate limit "
        "(rateLimitExceeded) as it scales out: each new connector or proxy fetches instance "
        "metadata and certificates, and the refused calls fail the connections.",
        [Evidence(LOGS, f"logs[{source.symptom}]", {"lines": lines[:3]}, LOGGING_API,
                  ", ".join(source.resources[:3]))],
        {**base_params(obs), "max_instances": obs.run.max_instances if obs.run else None},
        [("Admin API calls", "within quota", "rateLimitExceeded")],
    )


CHECKS = (
    Check.reporting("database-not-found", probes=(RUN_CONFIG, APP, SQL, DBUSERS, LOGS),
                    judge=database_not_found),
    Check.reporting("db-user-not-found", probes=(RUN_CONFIG, APP, SQL, DBUSERS),
                    judge=db_user_not_found),
    Check.reporting("password-authentication-failed", probes=(APP, SQL, DBUSERS, LOGS),
                    judge=password_authentication_failed),
    Check.reporting("too-many-connections", probes=(RUN_CONFIG, APP, SQL, LOGS),
                    judge=too_many_connections),
    Check.reporting("admin-api-quota-exceeded", probes=(RUN_CONFIG, LOGS),
                    judge=admin_api_quota_exceeded),
)
