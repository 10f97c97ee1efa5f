"""Is the right instance attached, under a well-formed name, and does it exist?"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params
from troubleshooter.checks.verdicts import combine, failed, unknown
from troubleshooter.dsn.connections import AppConnection
from troubleshooter.dsn.names import connection_name_problem
from troubleshooter.dsn.roles import env_role
from troubleshooter.dsn.sockets import SOCKET_PATH_MAX, socket_path
from troubleshooter.facts.app import AppView, answer_ev, app_ev, var
from troubleshooter.facts.instance import is_open_network
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.logs import log_ev, names_in_logs
from troubleshooter.facts.method import connect_method, database_answered
from troubleshooter.facts.names import clean
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import (
    APP,
    LOGS,
    PROJECT,
    RUN_CONFIG,
    SERVING,
    SQL,
    SQL_API,
)
from troubleshooter.facts.workload import run_ev
from troubleshooter.model import CheckResult, Evidence, InstanceRef, LogMatch
from troubleshooter.remedies import commands as cmd
from troubleshooter.remedies.commands import commands_for
from troubleshooter.remedies.contracts import (
    AttachInstance,
    EnvCorrection,
    SetConnectionName,
    corrected_value,
)

# The platform names what the app opened under /cloudsql/: this means the variable was empty.
_EMPTY_NAME_IN_LOG = ".s.PGSQL.5432"
# Variables that may hold nothing but the connection name (or its socket), so an empty one is it.
_NAME_ROLES = ("connection-name", "socket-path", "host")
_ANNOTATION_NOTE = (
    "the Cloud SQL connection is `volumes[].cloudSqlInstance` in the v2 API and the "
    "`run.googleapis.com/cloudsql-instances` annotation in v1/gcloud terms"
)


def _pick_connection_name(obs: Facts, candidates: list[str]) -> tuple[str | None, bool]:
    """(name to attach, verified): an existing candidate, else the project's only instance."""
    for name in candidates:
        inst = obs.instance_for_name(name)
        if inst is not None and inst.connection_name:
            return inst.connection_name, True
    listed = obs.listed(obs.target.project) or []
    if len(listed) == 1 and listed[0].connection_name:
        return listed[0].connection_name, True
    for name in candidates:
        if clean(name) and connection_name_problem(clean(name)) is None:
            return clean(name), False
    return None, False


# --------------------------------------------------------------------------- not attached


@dataclass
class _Need:
    """Why the app needs the Cloud SQL connection it lacks, as far as the facts show."""

    why: str = ""
    consequence: str = ""
    candidates: list[str] = field(default_factory=list)   # names the fix could attach
    evidence: list[Evidence] = field(default_factory=list)


def _sidecar_verdict(obs: Facts, subject: str, att_ev: Evidence, view: AppView | None,
                     answer: str | None, named: bool) -> CheckResult | None:
    """A Cloud SQL Auth Proxy sidecar may stand in for the connection (None: it does not)."""
    run = obs.run
    dials_localhost = view is not None and bool(view.tcp("localhost"))
    if run is not None and (dials_localhost or answer == "localhost-tcp"):
        return CheckResult.ok(
            f"{subject} has no Cloud SQL connection, but a Cloud SQL Auth Proxy sidecar serves "
            "localhost, which is what the app dials.", att_ev,
            run_ev(run, "containers[].image", [c.get("image") for c in run.containers]),
        )
    if named or answer == "unix-socket":
        return CheckResult.uncertain(
            f"{subject} has no Cloud SQL connection but runs a Cloud SQL Auth Proxy sidecar; "
            "it may serve /cloudsql/ through a shared volume (not checked).", att_ev
        )
    return None


def _open_to_world(obs: Facts) -> bool:
    """A public-IP path that works only through a world-open authorized network (the Saleor
    shape): then the supported path, the attachment and the socket, is what is missing."""
    view = obs.app
    if view is None:
        return False
    return any(is_open_network(cidr) for _c, inst, kind in obs.ip_targets(view) if kind == "PRIMARY"
               for cidr in inst.authorized_values)


def _need(obs: Facts, view: AppView | None, named: list[tuple[str, AppConnection]],
          socket_log: LogMatch | None, answer: str | None) -> _Need:
    """What shows the app opens /cloudsql/ (or dials a public IP instead): env, logs, the answer."""
    need = _Need()
    if named:
        name, conn = named[0]
        need.evidence.extend(app_ev(c) for _, c in named)
        need.candidates.extend(n for n, _ in named)
        need.why = f"the app opens /cloudsql/{clean(name)} ({var(conn)})"
    if socket_log:
        need.evidence.append(log_ev(socket_log))
        need.candidates.extend(n for n in names_in_logs(socket_log) if n != _EMPTY_NAME_IN_LOG)
        need.why = need.why or "the logs show the app failing to find its /cloudsql/ socket"
    if answer == "unix-socket" and not need.why:
        need.evidence.append(answer_ev(answer))
        need.why = "you said the app connects through the /cloudsql/ Unix socket"
    if not need.why and view is not None:
        # The app dials an instance's public IP itself: a path that only works through
        # authorized networks (Saleor's 0.0.0.0/0); the supported path, the Cloud SQL
        # connection, is missing. A private IP over VPC egress is a sound design: not counted.
        public = [(c, inst) for c, inst, kind in obs.ip_targets(view) if kind == "PRIMARY"]
        if public:
            conn, inst = public[0]
            need.evidence.append(app_ev(conn))
            need.candidates.append(inst.connection_name or "")
            host = conn.dsn.host if conn.dsn else None
            need.why = (f"the app dials instance {inst.connection_name}'s public IP "
                        f"{host} directly ({var(conn)})")
            need.consequence = ("a path that works only through authorized networks (Cloud Run's "
                                "egress addresses are dynamic) and bypasses the IAM-checked, "
                                "encrypted connection; the app should use the socket once it is "
                                "attached")
    return need


def _no_need_verdict(obs: Facts, who: str, subject: str, att_ev: Evidence,
                     view: AppView | None, answer: str | None) -> CheckResult:
    """Nothing shows the app needs the connection: ok, or doubt when the proof is unreadable."""
    if view is None:
        return unknown(obs, f"whether the app of {who} needs a Cloud SQL connection",
                       FactKey.app(), FactKey.run())
    hidden = view.route_hidden and not view.route_known
    if hidden and answer is None:
        if not obs.logs_read:
            return CheckResult.uncertain(
                f"{subject} has no Cloud SQL connection; whether the app needs one is unknown: its "
                f"settings ({view.route_vars}) are in Secret Manager and weren't read, and "
                f"the logs could not be read ({obs.reason(FactKey.logs())}).", att_ev
            )
        return CheckResult.uncertain(
            f"{subject} has no Cloud SQL connection; its database settings ({view.route_vars}) are "
            "in Secret Manager and weren't read, and the logs show no socket error.", att_ev
        )
    if hidden and answer is not None:
        return CheckResult.ok(
            f"{subject} has no Cloud SQL connection, and you said the app connects by {answer}, "
            "not through the /cloudsql/ socket.", att_ev, answer_ev(answer),
        )
    if not view.readable and not obs.logs_read:
        return CheckResult.uncertain(
            f"{subject} has no Cloud SQL connection and its env names no instance; the logs that "
            f"would show a socket error could not be read ({obs.reason(FactKey.logs())}).", att_ev
        )
    hidden_refs = obs.refs_unknown()
    if hidden_refs:
        return CheckResult.uncertain(
            f"{subject} has no Cloud SQL connection; whether the app needs one is unknown: "
            f"{hidden_refs}.", att_ev
        )
    dialled = ", ".join(c.display for c in view.readable) or "nothing"
    return CheckResult.ok(
        f"{subject} has no Cloud SQL connection, but nothing shows the app needs one: it does not "
        f"open /cloudsql/ (its database settings: {dialled}) and the logs show no socket error.",
        att_ev, *(app_ev(c) for c in view.readable),
    )


def _not_attached(obs: Facts, who: str, att_ev: Evidence, need: _Need) -> CheckResult:
    """The cause holds: name the instance to attach and what the missing connection breaks."""
    run = obs.run
    evidence = [att_ev, *need.evidence]
    conn_name, verified = _pick_connection_name(obs, need.candidates)
    inst = obs.instance_for_name(conn_name) if conn_name else None
    serving = obs.serving
    rev = serving.name if serving is not None else (run.name if run else "")
    params: dict[str, Any] = {
        **base_params(obs),
        "connection_name": conn_name,
        "connection_name_verified": verified,
        "revision": rev,
    }
    if inst is not None:
        params.update(instance=inst.name, instance_project=inst.project)
    target_txt = conn_name or "the instance"
    consequence = need.consequence or (f"without the connection Cloud Run never creates "
                                       f"/cloudsql/{target_txt}, so every connect fails")
    what = "template" if obs.target.kind == "job" else "serving revision"
    return failed(
        f"The {what} of {who} has no Cloud SQL connection, but {need.why}: {consequence} "
        f"({_ANNOTATION_NOTE}).",
        evidence, params,
        [("Cloud SQL connection (cloudSqlInstance / cloudsql-instances annotation)",
          conn_name or "the instance the app uses", "none")],
        AttachInstance(obs.target, conn_name, verified, run.attached if run else ()),
    )


def cloudsql_not_attached(obs: Facts) -> CheckResult:
    att = obs.serving_attachment()
    if att is None:
        return unknown(obs, "whether a Cloud SQL connection is attached", FactKey.run())
    who = f"{obs.target.kind} {obs.target.name}"
    subject = who[:1].upper() + who[1:]  # at the start of a sentence
    if att.names:
        return CheckResult.ok(
            f"{subject} has a Cloud SQL connection to {', '.join(map(repr, att.names))}.", att.evidence
        )
    view = obs.app
    named = [(n, c) for n, c in obs.app_names() if clean(n)]
    socket_log = obs.log_hit("socket-not-found")
    # The operator's answer stands in only for what the env does not say.
    answer = view.answer if view is not None and not view.route_known else None
    run = obs.run
    # How the app connects decides whether it needs the attachment at all.
    method = connect_method(obs)
    if method.kind == "connector" and not socket_log:
        return CheckResult.skipped(
            f"{subject} has no Cloud SQL connection, and needs none: {method.why}, and a "
            f"connector library{f' ({method.connector})' if method.connector else ''} dials the "
            "instance itself through the Cloud SQL Admin API (it needs roles/cloudsql.client, "
            "not the attachment).", att.evidence, *method.evidence,
        )
    answered = database_answered(obs)
    if answered is not None and not socket_log:
        return CheckResult.skipped(
            f"{subject} has no Cloud SQL connection, but the logs show the database answering "
            f"({answered.symptom}: {answered.count} line{'s' if answered.count != 1 else ''}): the "
            "path to it works, so the attachment is not what fails.", att.evidence, log_ev(answered),
        )
    if method.kind in ("public-ip", "private-ip") and not socket_log and not _open_to_world(obs):
        return CheckResult.skipped(
            f"{subject} has no Cloud SQL connection; {method.why}: a direct TCP path that needs no "
            "attachment (its authorized networks, TLS and VPC egress are judged by the checks of "
            "that path).", att.evidence, *method.evidence,
        )
    if run is not None and run.has_proxy_sidecar and not socket_log:
        verdict = _sidecar_verdict(obs, subject, att.evidence, view, answer, bool(named))
        if verdict is not None:
            return verdict
    need = _need(obs, view, named, socket_log, answer)
    if not need.why:
        return _no_need_verdict(obs, who, subject, att.evidence, view, answer)
    return _not_attached(obs, who, att.evidence, need)


# --------------------------------------------------------------------------- malformed


def _names_to_check(obs: Facts) -> list[tuple[str, str, Evidence]]:
    """(byte-exact name, variable or "attachment", evidence) for every name the connection uses."""
    out: list[tuple[str, str, Evidence]] = []
    serving = obs.serving
    for name, where in obs.all_attached():
        probe = SERVING if serving is not None and where == serving.name else RUN_CONFIG
        out.append((name, "attachment", Evidence(
            probe, "volumes[].cloudSqlInstance.instances[]", repr(name), "run.googleapis.com", where,
            "shown with repr(): every byte counts",
        )))
    for name, conn in obs.app_names():
        out.append((name, var(conn), app_ev(conn, f"connection name {name!r}")))
    return out


def _exact_name(obs: Facts, name: str) -> str | None:
    """The instance's real connectionName for a bad name, when the instance can be found."""
    if not clean(name):
        # An empty variable names nothing: the attached (or the project's only) instance is meant.
        return obs.suggested_connection_name()
    inst = obs.instance_for_name(name)
    if inst is not None:
        return inst.connection_name
    ref = obs.ref_for(name)
    wanted = ref.instance if ref is not None else clean(name).rsplit(":", 1)[-1]
    for i in obs.all_listed():
        if i.name == wanted:
            return i.connection_name
    return None


def connection_name_malformed(obs: Facts) -> CheckResult:
    if obs.run is None:
        return unknown(obs, "whether the connection names are well formed", FactKey.run())
    names = _names_to_check(obs)
    bad = [(n, where, ev, p) for n, where, ev in names if (p := connection_name_problem(n))]
    socket_log = obs.log_hit("socket-not-found")
    if not bad and socket_log and _EMPTY_NAME_IN_LOG in names_in_logs(socket_log):
        # The platform says the app opened /cloudsql/.s.PGSQL.5432: its name variable is empty.
        exact, _ = _pick_connection_name(obs, [n for n, _w, _e in names])
        return failed(
            f"The app of {obs.target.kind} {obs.target.name} opened /cloudsql/.s.PGSQL.5432: "
            "the variable holding its instance connection name is empty, so it asks for a "
            "socket that cannot exist.",
            [log_ev(socket_log)],
            {**base_params(obs), "variable": None, "problem": "empty connection name",
             "connection_name": exact},
            [("instance connection name the app opens", exact or "project:region:instance", "''")],
            _connection_name_fix(obs, "", exact, "env"),
        )
    if bad:
        name, where, ev, problem = bad[0]
        exact = _exact_name(obs, name)
        in_env = where != "attachment"
        evidence = [e for _, _, e, _ in bad]
        inst = obs.instance_for_name(name)
        if inst is not None:
            evidence.append(inst.evidence("connectionName", inst.connection_name))
        place = f"variable {where}" if in_env else "the Cloud SQL connection (attachment)"
        return failed(
            f"The instance connection name in {place} of {obs.target.kind} {obs.target.name} is "
            f"{name!r}: {problem}; Cloud Run and the app need the exact `project:region:instance`"
            + (f" ({exact})." if exact else "."),
            evidence,
            {**base_params(obs), "variable": where if in_env else None,
             "problem": problem, "connection_name": exact,
             "all_problems": [{"where": w, "value_repr": repr(n), "problem": p}
                              for n, w, _, p in bad]},
            [(f"connection name in {where}", exact or "project:region:instance", repr(name))],
            _connection_name_fix(obs, name, exact, where if in_env else "attachment"),
        )
    view = obs.app
    if not names:
        if view is not None and view.route_hidden:
            return CheckResult.uncertain(
                "No connection name to check: nothing is attached and the app's settings "
                f"({view.route_vars}) are in Secret Manager and weren't read."
            )
        return CheckResult.skipped("No instance connection name is attached or named by the app.")
    note = (f" (the Secret Manager settings {view.route_vars} weren't read)"
            if view is not None and view.route_hidden else "")
    return CheckResult.ok(
        "Every connection name is well formed: "
        + ", ".join(f"{repr(n)} ({w})" for n, w, _ in names) + note + ".",
        *(e for _, _, e in names),
    )


def _connection_name_fix(obs: Facts, first_bad: str, exact: str | None,
                         where: str) -> SetConnectionName:
    """Every malformed name the tool can correct: in the attachment, and in plain variables,
    each with its whole corrected value (a DSN stays a DSN, only its name changes)."""
    run = obs.run
    assert run is not None  # the check returned early without it

    def exact_for(name: str) -> str | None:
        inst = obs.instance_for_name(name)
        if inst is not None and inst.connection_name:
            return inst.connection_name
        return exact if name == first_bad or clean(name) == clean(first_bad) else None

    attachment: dict[str, str] = {}
    for name in run.attached:
        fixed = exact_for(name) if connection_name_problem(name) else None
        if fixed and fixed != name:
            attachment[name] = fixed
    after = list(dict.fromkeys(attachment.get(n, n) for n in run.attached))
    renames: list[tuple[str, str, str]] = []
    for name, conn in obs.app_names():
        fixed = exact_for(name) if connection_name_problem(name) is not None else None
        for variable in conn.source if fixed else ():
            # An empty name shared by several variables is only in those meant to hold a name.
            if name == "" and len(conn.source) > 1 and env_role(variable) not in _NAME_ROLES:
                continue
            if (variable, name, fixed) not in renames:
                renames.append((variable, name, fixed))  # type: ignore[arg-type]
    env: list[EnvCorrection] = []
    unfixable: list[str] = []
    containers = run.containers
    for variable, bad, fixed in renames:
        for i, c in enumerate(containers):
            entry = next((e for e in c.get("env") or []
                          if e.get("name") == variable and "valueSource" not in e), None)
            if entry is None:
                continue
            value = corrected_value(entry.get("value", ""), bad, fixed)
            if value == entry.get("value", ""):
                unfixable.append(variable)
                continue
            # gcloud edits the first container unless told: name it when there are several.
            container = (c.get("name") or str(i)) if len(containers) > 1 else None
            env.append(EnvCorrection(variable, bad, fixed, value, container))
    return SetConnectionName(obs.target, exact, where, tuple(attachment.items()),
                             tuple(after) if attachment else (), tuple(env), tuple(unfixable))


# --------------------------------------------------------------------------- mismatch


def _exists_txt(obs: Facts, name: str) -> tuple[bool | None, str]:
    inst = obs.instance_for_name(name)
    if inst is not None:
        real = inst.connection_name
        if real == clean(name):
            return True, f"{clean(name)} exists"
        return False, f"{clean(name)} does not exist (the instance is {real})"
    ref = obs.ref_for(name)
    f = obs.failure(FactKey.instance(ref.project, ref.instance)) if ref is not None else None
    if f is not None and f.kind == "not-found":
        return False, f"{clean(name)} does not exist"
    if inst is None and obs.listed(name.split(":")[0]) is not None:
        return False, f"{clean(name)} does not exist"
    return None, f"whether {clean(name)} exists is unknown"


def connection_name_mismatch(obs: Facts) -> CheckResult:
    att = obs.serving_attachment()
    if att is None:
        return unknown(obs, "which instance is attached", FactKey.run())
    att_ev = att.evidence
    attached = {clean(n) for n in att.names if clean(n)}
    app = [(clean(n), c) for n, c in obs.app_names()
           if clean(n) and connection_name_problem(clean(n)) is None]
    socket_log = obs.log_hit("socket-not-found")
    from_logs = [clean(n) for n in names_in_logs(socket_log)
                 if n != _EMPTY_NAME_IN_LOG and connection_name_problem(clean(n)) is None]
    if not attached:
        return CheckResult.skipped("Nothing is attached, so there is nothing to mismatch.")
    if not app and not from_logs:
        view = obs.app
        if view is not None and view.route_hidden:
            return CheckResult.uncertain(
                f"The app's settings ({view.route_vars}) are in Secret Manager and weren't read, so "
                f"it is unknown whether it opens the attached {', '.join(sorted(attached))}.", att_ev
            )
        return CheckResult.skipped("The app names no instance to compare with the attachment.")

    off: list[tuple[str, str, Evidence]] = [(n, var(c), app_ev(c)) for n, c in app if n not in attached]
    if not app:
        off = [(n, "logs", log_ev(socket_log)) for n in from_logs if n not in attached]  # type: ignore[arg-type]
    if not off:
        return CheckResult.ok(
            f"The app opens {', '.join(sorted({n for n, _ in app} or set(from_logs)))}, which is "
            "attached.", att_ev, *(app_ev(c) for _, c in app)
        )
    app_name, where, ev = off[0]
    attached_name = sorted(attached)[0]
    app_exists, app_txt = _exists_txt(obs, app_name)
    att_exists, att_txt = _exists_txt(obs, attached_name)
    src = f"variable {where}" if where != "logs" else "its log lines"
    which = f"{app_txt[0].upper()}{app_txt[1:]}; {att_txt}."
    variable = where if where != "logs" else "INSTANCE_CONNECTION_NAME"
    # The variable keeps its whole value (a DSN stays a DSN): only the name in it changes.
    containers = obs.run.containers if obs.run is not None else ()
    current = next((e.get("value", "") for c in containers for e in c.get("env") or []
                    if e.get("name") == variable and "valueSource" not in e), app_name)
    attach_app = commands_for(AttachInstance(obs.target, app_name, bool(app_exists), tuple(att.names)))
    point_app = cmd.run_update(obs.target.kind, obs.target.name, obs.target.region, obs.target.project,
                               *cmd.env_flags([(variable, corrected_value(current, app_name, attached_name))]))
    return failed(
        f"{obs.target.kind.capitalize()} {obs.target.name} attaches {attached_name} but the app "
        f"opens {app_name} ({src}), whose socket Cloud Run does not create; {app_txt}, {att_txt}.",
        [att_ev, ev],
        {**base_params(obs), "app_connection_name": app_name, "attached_connection_name": attached_name,
         "variable": where if where != "logs" else None,
         "env_var": variable, "attach_app_command": attach_app[0], "point_app_command": point_app,
         "which_exists": which,
         "app_instance_exists": app_exists, "attached_instance_exists": att_exists,
         # Attach what the app uses when it exists, else point the app at the attached one.
         "connection_name": app_name if app_exists or not att_exists else attached_name,
         "options": ["attach-app-instance", "point-app-at-attached"]},
        [("instance the app opens", attached_name, app_name)],
    )


# --------------------------------------------------------------------------- not found


def _not_found_one(obs: Facts, ref: InstanceRef) -> CheckResult:
    inst = obs.instance(ref)
    listed = obs.listed(ref.project)
    existing = [i.connection_name for i in listed or []]
    params = {**base_params(obs), "instance": ref.instance, "instance_project": ref.project,
              "connection_name": clean(ref.connection_name), "existing_instances": existing,
              "existing": ", ".join(existing) if listed is not None and existing
              else "none" if listed is not None else "unknown (could not list)"}
    if inst is not None:
        real = inst.connection_name
        if ref.region is not None and real and real != clean(ref.connection_name):
            return failed(
                f"There is no instance {clean(ref.connection_name)}: instance {ref.instance} of "
                f"project {inst.project} is in region {inst.region}, its connection "
                f"name is {real}.",
                [inst.evidence("connectionName", real)],
                {**params, "suggested_connection_name": real},
                [("connection name", real, clean(ref.connection_name))],
            )
        return CheckResult.ok(f"Instance {real or ref.key} exists.",
                              inst.evidence("connectionName", real))
    key = FactKey.instance(ref.project, ref.instance)
    f = obs.failure(key)
    if f is None or f.kind != "not-found":
        return CheckResult.uncertain(
            f"Cannot tell whether instance {ref.key} exists: {obs.reason(key)}."
        )
    hint = ""
    suggestion = None
    if ref.project.isdigit():
        ids = [p for p, n in obs.project_numbers.items() if n == ref.project]
        hint = (f" {ref.project} is a project number; connection names use the project ID"
                + (f" ({ids[0]})" if ids else "") + ".")
        if ids:
            suggestion = f"{ids[0]}:{ref.region}:{ref.instance}" if ref.region else None
    same = [i for i in obs.all_listed() if i.name == ref.instance and i.project != ref.project]
    if same:
        suggestion = same[0].connection_name
        hint += f" An instance of that name exists in project {same[0].project}: {suggestion}."
    elif listed is not None and len(listed) == 1:
        suggestion = listed[0].connection_name
    if listed is None:
        there = (f" The instances of {ref.project} could not be listed "
                 f"({obs.reason(FactKey.listing(ref.project))}).")
    else:
        there = (f" Instances in {ref.project}: {', '.join(existing)}." if existing
                 else f" Project {ref.project} has no Cloud SQL instances.")
    return failed(
        f"Instance {ref.instance} does not exist in project {ref.project} (named as "
        f"{clean(ref.connection_name)!r}), so the connection has nothing to reach.{there}{hint}",
        [Evidence(SQL, "instances.get", "404 not found", SQL_API, ref.key),
         Evidence(SQL, "instances.list[].connectionName", existing, SQL_API,
                  f"projects/{ref.project}")],
        {**params, "suggested_connection_name": suggestion},
        [("instance", clean(ref.connection_name), "not found")],
    )


def instance_not_found(obs: Facts) -> CheckResult:
    refs = obs.refs
    if not refs:
        return CheckResult.skipped("No Cloud SQL instance is attached to or named by the app.")
    return combine([_not_found_one(obs, r) for r in refs])


# --------------------------------------------------------------------------- socket path


def socket_path_too_long(obs: Facts) -> CheckResult:
    names: dict[str, str] = {}
    for n, _w in obs.all_attached():
        names.setdefault(clean(n), "attachment")
    for n, c in obs.app_names():
        names.setdefault(clean(n), var(c))
    names.pop("", None)
    if not names:
        if obs.run is None:
            return unknown(obs, "the socket path length", FactKey.run())
        return CheckResult.skipped("No instance connection name is attached or named by the app.")
    results = []
    for name, where in names.items():
        inst = obs.instance_for_name(name)
        eng = inst.engine if inst is not None else None
        if eng == "sqlserver":
            # Cloud Run mounts no Unix socket for SQL Server: no path, so no length to judge.
            results.append(CheckResult.skipped(
                f"{name} runs SQL Server ({inst.database_version}): Cloud Run makes no Unix socket "
                "for it, so the app needs a Cloud SQL connector (language connector or Auth "
                "Proxy) or TCP to the instance's IP."
            ))
            continue
        path = socket_path(name, eng or "postgres")
        size = len(path.encode("utf-8"))
        ev = Evidence(APP if where != "attachment" else RUN_CONFIG, "socket path", path,
                      "run.googleapis.com", "", f"{size} bytes; the limit is {SOCKET_PATH_MAX}")
        if size <= SOCKET_PATH_MAX:
            results.append(CheckResult.ok(f"{path} is {size} bytes (limit {SOCKET_PATH_MAX}).", ev))
            continue
        if inst is None or eng is None:
            ref = obs.ref_for(name)
            why = (obs.reason(FactKey.instance(ref.project, ref.instance)) if ref is not None
                   else "it was not read")
            results.append(CheckResult.uncertain(
                f"{path} would be {size} bytes, over the {SOCKET_PATH_MAX}-byte limit, if the "
                f"instance runs Postgres; its engine is unknown ({why}).", ev,
            ))
            continue
        results.append(failed(
            f"The Unix socket path {path} is {size} bytes, over the {SOCKET_PATH_MAX}-byte limit "
            f"of a socket address, so the app cannot open it ({name}).",
            [ev, inst.evidence("databaseVersion", inst.database_version)],
            {**base_params(obs), "connection_name": name, "socket_path": path, "length": size,
             "limit": SOCKET_PATH_MAX, "engine": eng, "variable": where},
            [("socket path length", f"<= {SOCKET_PATH_MAX} bytes", f"{size} bytes")],
        ))
    return combine(results)


CHECKS = (
    Check.reporting("cloudsql-not-attached", probes=(RUN_CONFIG, SERVING, APP, SQL, LOGS),
                    judge=cloudsql_not_attached),
    Check.reporting("connection-name-malformed", probes=(RUN_CONFIG, SERVING, APP, SQL, LOGS),
                    judge=connection_name_malformed),
    Check.reporting("connection-name-mismatch", probes=(RUN_CONFIG, SERVING, APP, SQL, LOGS),
                    judge=connection_name_mismatch),
    Check.reporting("instance-not-found", probes=(RUN_CONFIG, PROJECT, APP, SQL),
                    judge=instance_not_found),
    Check.reporting("socket-path-too-long", probes=(RUN_CONFIG, SERVING, APP, SQL),
                    judge=socket_path_too_long),
)
