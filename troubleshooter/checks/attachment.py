"""Is the right instance attached, under a well-formed name, and does it exist?"""

from __future__ import annotations

from typing import Any

from troubleshooter.checks.base import Check
from troubleshooter.checks.helpers import (
    P_APP,
    P_LOGS,
    P_RUN,
    P_SERVING,
    P_SQL,
    SQL_API,
    all_attached,
    answer_ev,
    app_ev,
    app_ip_targets,
    app_names,
    app_tcp,
    refs_unknown,
    app_view,
    base_params,
    clean,
    combine,
    engine,
    failed,
    inst_ev,
    instance_for_name,
    log_ev,
    log_hit,
    logs_read,
    names_in_logs,
    reason,
    ref_for,
    run_ev,
    serving_attachment,
    suggested_connection_name,
    unique_refs,
    unknown,
    var,
)
from troubleshooter.dsn import SOCKET_PATH_MAX, connection_name_problem, env_role, socket_path
from troubleshooter.fixes import commands as cmd
from troubleshooter.fixes.commands import commands_for
from troubleshooter.fixes.contracts import AttachInstance, EnvCorrection, SetConnectionName, corrected_value
from troubleshooter.model import CheckResult, Evidence, InstanceRef
from troubleshooter.observations import Observations

# The platform names what the app opened under /cloudsql/: this means the variable was empty.
_EMPTY_NAME_IN_LOG = ".s.PGSQL.5432"
# Variables that may hold nothing but the connection name (or its socket), so an empty one is it.
_NAME_ROLES = ("connection-name", "socket-path", "host")
_ANNOTATION_NOTE = (
    "the Cloud SQL connection is `volumes[].cloudSqlInstance` in the v2 API and the "
    "`run.googleapis.com/cloudsql-instances` annotation in v1/gcloud terms"
)


def _pick_connection_name(obs: Observations, candidates: list[str]) -> tuple[str | None, bool]:
    """(name to attach, verified): an existing candidate, else the project's only instance."""
    for name in candidates:
        inst = instance_for_name(obs, name)
        if inst is not None and inst.get("connectionName"):
            return inst["connectionName"], True
    listed = obs.project_instances.get(obs.target.project) or []
    if len(listed) == 1 and listed[0].get("connectionName"):
        return listed[0]["connectionName"], True
    for name in candidates:
        if clean(name) and connection_name_problem(clean(name)) is None:
            return clean(name), False
    return None, False


# --------------------------------------------------------------------------- not attached


def cloudsql_not_attached(obs: Observations) -> CheckResult:
    att = serving_attachment(obs)
    if att is None:
        return unknown(obs, "whether a Cloud SQL connection is attached", "run")
    attached, att_ev = att
    who = f"{obs.target.kind} {obs.target.name}"
    subject = who[:1].upper() + who[1:]  # at the start of a sentence
    if attached:
        return CheckResult.ok(
            f"{subject} has a Cloud SQL connection to {', '.join(map(repr, attached))}.", att_ev
        )
    run = obs.run
    sidecar = run is not None and run.has_proxy_sidecar
    view = app_view(obs)
    named = [(n, c) for n, c in app_names(obs) if clean(n)]
    socket_log = log_hit(obs, "socket-not-found")
    # The operator's answer stands in only for what the env does not say.
    answer = view.answer if view is not None and not view.route_known else None
    uses_socket_answer = answer == "unix-socket"

    if sidecar and not socket_log:
        dials_localhost = view is not None and bool(app_tcp(view, "localhost"))
        if run is not None and (dials_localhost or answer == "localhost-tcp"):
            return CheckResult.ok(
                f"{subject} has no Cloud SQL connection, but a Cloud SQL Auth Proxy sidecar serves "
                "localhost, which is what the app dials.", att_ev,
                run_ev(run, "containers[].image", [c.get("image") for c in run.containers]),
            )
        if named or uses_socket_answer:
            return CheckResult.uncertain(
                f"{subject} has no Cloud SQL connection but runs a Cloud SQL Auth Proxy sidecar; "
                "it may serve /cloudsql/ through a shared volume (not checked).", att_ev
            )

    evidence: list[Evidence] = [att_ev]
    why = ""
    consequence = ""
    candidates: list[str] = []
    if named:
        name, conn = named[0]
        evidence.extend(app_ev(c) for _, c in named)
        candidates.extend(n for n, _ in named)
        why = f"the app opens /cloudsql/{clean(name)} ({var(conn)})"
    if socket_log:
        evidence.append(log_ev(socket_log))
        log_names = [n for n in names_in_logs(socket_log) if n != _EMPTY_NAME_IN_LOG]
        candidates.extend(log_names)
        why = why or "the logs show the app failing to find its /cloudsql/ socket"
    if uses_socket_answer and not why:
        evidence.append(answer_ev(answer or ""))
        why = "you said the app connects through the /cloudsql/ Unix socket"
    if not why and view is not None:
        # The app dials an instance's public IP itself: a path that only works through
        # authorized networks (Saleor's 0.0.0.0/0); the supported path, the Cloud SQL
        # connection, is missing. A private IP over VPC egress is a sound design: not counted.
        public = [(c, inst) for c, inst, kind in app_ip_targets(obs, view) if kind == "PRIMARY"]
        if public:
            conn, inst = public[0]
            evidence.append(app_ev(conn))
            candidates.append(inst.get("connectionName") or "")
            why = (f"the app dials instance {inst.get('connectionName')}'s public IP "
                   f"{conn.dsn.host} directly ({var(conn)})")
            consequence = ("a path that works only through authorized networks (Cloud Run's egress "
                           "addresses are dynamic) and bypasses the IAM-checked, encrypted "
                           "connection; the app should use the socket once it is attached")

    if not why:
        if view is None:
            return unknown(obs, f"whether the app of {who} needs a Cloud SQL connection", "app", "run")
        hidden = view.route_hidden and not view.route_known
        if hidden and answer is None:
            if not logs_read(obs):
                return CheckResult.uncertain(
                    f"{subject} has no Cloud SQL connection; whether the app needs one is unknown: its "
                    f"settings ({view.route_vars}) are in Secret Manager and weren't read, and "
                    f"the logs could not be read ({reason(obs, 'logs')}).", att_ev
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
        if not view.readable and not logs_read(obs):
            return CheckResult.uncertain(
                f"{subject} has no Cloud SQL connection and its env names no instance; the logs that "
                f"would show a socket error could not be read ({reason(obs, 'logs')}).", att_ev
            )
        hidden_refs = refs_unknown(obs)
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

    conn_name, verified = _pick_connection_name(obs, candidates)
    inst = instance_for_name(obs, conn_name) if conn_name else None
    rev = obs.serving.name if obs.serving is not None else (run.name if run else "")
    params: dict[str, Any] = {
        **base_params(obs),
        "connection_name": conn_name,
        "connection_name_verified": verified,
        "revision": rev,
    }
    if inst is not None:
        params.update(instance=inst.get("name"), instance_project=inst.get("project"))
    target_txt = conn_name or "the instance"
    consequence = consequence or (f"without the connection Cloud Run never creates "
                                  f"/cloudsql/{target_txt}, so every connect fails")
    what = "template" if obs.target.kind == "job" else "serving revision"
    return failed(
        f"The {what} of {who} has no Cloud SQL connection, but {why}: {consequence} "
        f"({_ANNOTATION_NOTE}).",
        evidence, params,
        [("Cloud SQL connection (cloudSqlInstance / cloudsql-instances annotation)",
          conn_name or "the instance the app uses", "none")],
        AttachInstance(obs.target, conn_name, verified, run.attached if run else ()),
    )


# --------------------------------------------------------------------------- malformed


def _names_to_check(obs: Observations) -> list[tuple[str, str, Evidence]]:
    """(byte-exact name, variable or "attachment", evidence) for every name the connection uses."""
    out: list[tuple[str, str, Evidence]] = []
    for name, where in all_attached(obs):
        probe = P_SERVING if obs.serving is not None and where == obs.serving.name else P_RUN
        out.append((name, "attachment", Evidence(
            probe, "volumes[].cloudSqlInstance.instances[]", repr(name), "run.googleapis.com", where,
            "shown with repr(): every byte counts",
        )))
    for name, conn in app_names(obs):
        out.append((name, var(conn), app_ev(conn, f"connection name {name!r}")))
    return out


def _exact_name(obs: Observations, name: str) -> str | None:
    """The instance's real connectionName for a bad name, when the instance can be found."""
    if not clean(name):
        # An empty variable names nothing: the attached (or the project's only) instance is meant.
        return suggested_connection_name(obs)
    inst = instance_for_name(obs, name)
    if inst is not None:
        return inst.get("connectionName")
    ref = ref_for(obs, name)
    wanted = ref.instance if ref is not None else clean(name).rsplit(":", 1)[-1]
    for listed in obs.project_instances.values():
        for i in listed:
            if i.get("name") == wanted:
                return i.get("connectionName")
    return None


def connection_name_malformed(obs: Observations) -> CheckResult:
    if obs.run is None:
        return unknown(obs, "whether the connection names are well formed", "run")
    names = _names_to_check(obs)
    bad = [(n, where, ev, p) for n, where, ev in names if (p := connection_name_problem(n))]
    socket_log = log_hit(obs, "socket-not-found")
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
        inst = instance_for_name(obs, name)
        if inst is not None:
            evidence.append(inst_ev(inst, "connectionName", inst.get("connectionName")))
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
    view = app_view(obs)
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


def _connection_name_fix(obs: Observations, first_bad: str, exact: str | None,
                         where: str) -> SetConnectionName:
    """Every malformed name the tool can correct: in the attachment, and in plain variables,
    each with its whole corrected value (a DSN stays a DSN, only its name changes)."""
    run = obs.run
    assert run is not None  # the check returned early without it

    def exact_for(name: str) -> str | None:
        inst = instance_for_name(obs, name)
        if inst is not None and inst.get("connectionName"):
            return inst["connectionName"]
        return exact if name == first_bad or clean(name) == clean(first_bad) else None

    attachment: dict[str, str] = {}
    for name in run.attached:
        fixed = exact_for(name) if connection_name_problem(name) else None
        if fixed and fixed != name:
            attachment[name] = fixed
    after = list(dict.fromkeys(attachment.get(n, n) for n in run.attached))
    renames: list[tuple[str, str, str]] = []
    for name, conn in app_names(obs):
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


def _exists_txt(obs: Observations, name: str) -> tuple[bool | None, str]:
    inst = instance_for_name(obs, name)
    if inst is not None:
        real = inst.get("connectionName")
        if real == clean(name):
            return True, f"{clean(name)} exists"
        return False, f"{clean(name)} does not exist (the instance is {real})"
    ref = ref_for(obs, name)
    f = obs.failure(f"instance:{ref.key}") if ref is not None else None
    if f is not None and f.kind == "not-found":
        return False, f"{clean(name)} does not exist"
    if inst is None and obs.project_instances.get(name.split(":")[0]) is not None:
        return False, f"{clean(name)} does not exist"
    return None, f"whether {clean(name)} exists is unknown"


def connection_name_mismatch(obs: Observations) -> CheckResult:
    att = serving_attachment(obs)
    if att is None:
        return unknown(obs, "which instance is attached", "run")
    attached_raw, att_ev = att
    attached = {clean(n) for n in attached_raw if clean(n)}
    app = [(clean(n), c) for n, c in app_names(obs)
           if clean(n) and connection_name_problem(clean(n)) is None]
    socket_log = log_hit(obs, "socket-not-found")
    from_logs = [clean(n) for n in names_in_logs(socket_log)
                 if n != _EMPTY_NAME_IN_LOG and connection_name_problem(clean(n)) is None]
    if not attached:
        return CheckResult.skipped("Nothing is attached, so there is nothing to mismatch.")
    if not app and not from_logs:
        view = app_view(obs)
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
    attach_app = commands_for(AttachInstance(obs.target, app_name, bool(app_exists), tuple(attached_raw)))
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


def _not_found_one(obs: Observations, ref: InstanceRef) -> CheckResult:
    inst = obs.instances.get(ref.key)
    listed = obs.project_instances.get(ref.project)
    existing = [i.get("connectionName") for i in listed or []]
    params = {**base_params(obs), "instance": ref.instance, "instance_project": ref.project,
              "connection_name": clean(ref.connection_name), "existing_instances": existing,
              "existing": ", ".join(existing) if listed is not None and existing
              else "none" if listed is not None else "unknown (could not list)"}
    if inst is not None:
        real = inst.get("connectionName")
        if ref.region is not None and real and real != clean(ref.connection_name):
            return failed(
                f"There is no instance {clean(ref.connection_name)}: instance {ref.instance} of "
                f"project {inst.get('project')} is in region {inst.get('region')}, its connection "
                f"name is {real}.",
                [inst_ev(inst, "connectionName", real)],
                {**params, "suggested_connection_name": real},
                [("connection name", real, clean(ref.connection_name))],
            )
        return CheckResult.ok(f"Instance {real or ref.key} exists.",
                              inst_ev(inst, "connectionName", real))
    f = obs.failure(f"instance:{ref.key}")
    if f is None or f.kind != "not-found":
        return CheckResult.uncertain(
            f"Cannot tell whether instance {ref.key} exists: {reason(obs, f'instance:{ref.key}')}."
        )
    hint = ""
    suggestion = None
    if ref.project.isdigit():
        ids = [p for p, n in obs.project_numbers.items() if n == ref.project]
        hint = (f" {ref.project} is a project number; connection names use the project ID"
                + (f" ({ids[0]})" if ids else "") + ".")
        if ids:
            suggestion = f"{ids[0]}:{ref.region}:{ref.instance}" if ref.region else None
    same = [i for ls in obs.project_instances.values() for i in ls
            if i.get("name") == ref.instance and i.get("project") != ref.project]
    if same:
        suggestion = same[0].get("connectionName")
        hint += f" An instance of that name exists in project {same[0].get('project')}: {suggestion}."
    elif listed is not None and len(listed) == 1:
        suggestion = listed[0].get("connectionName")
    if listed is None:
        there = f" The instances of {ref.project} could not be listed ({reason(obs, f'list:{ref.project}')})."
    else:
        there = (f" Instances in {ref.project}: {', '.join(existing)}." if existing
                 else f" Project {ref.project} has no Cloud SQL instances.")
    return failed(
        f"Instance {ref.instance} does not exist in project {ref.project} (named as "
        f"{clean(ref.connection_name)!r}), so the connection has nothing to reach.{there}{hint}",
        [Evidence(P_SQL, "instances.get", "404 not found", SQL_API, ref.key),
         Evidence(P_SQL, "instances.list[].connectionName", existing, SQL_API,
                  f"projects/{ref.project}")],
        {**params, "suggested_connection_name": suggestion},
        [("instance", clean(ref.connection_name), "not found")],
    )


def instance_not_found(obs: Observations) -> CheckResult:
    refs = unique_refs(obs)
    if not refs:
        return CheckResult.skipped("No Cloud SQL instance is attached to or named by the app.")
    return combine([_not_found_one(obs, r) for r in refs])


# --------------------------------------------------------------------------- socket path


def socket_path_too_long(obs: Observations) -> CheckResult:
    names: dict[str, str] = {}
    for n, _w in all_attached(obs):
        names.setdefault(clean(n), "attachment")
    for n, c in app_names(obs):
        names.setdefault(clean(n), var(c))
    names.pop("", None)
    if not names:
        if obs.run is None:
            return unknown(obs, "the socket path length", "run")
        return CheckResult.skipped("No instance connection name is attached or named by the app.")
    results = []
    for name, where in names.items():
        inst = instance_for_name(obs, name)
        eng = engine(inst)
        path = socket_path(name, eng or "postgres")
        size = len(path.encode("utf-8"))
        ev = Evidence(P_APP if where != "attachment" else P_RUN, "socket path", path,
                      "run.googleapis.com", "", f"{size} bytes; the limit is {SOCKET_PATH_MAX}")
        if size <= SOCKET_PATH_MAX:
            results.append(CheckResult.ok(f"{path} is {size} bytes (limit {SOCKET_PATH_MAX}).", ev))
            continue
        if eng is None:
            ref = ref_for(obs, name)
            why = reason(obs, f"instance:{ref.key}") if ref is not None else "it was not read"
            results.append(CheckResult.uncertain(
                f"{path} would be {size} bytes, over the {SOCKET_PATH_MAX}-byte limit, if the "
                f"instance runs Postgres; its engine is unknown ({why}).", ev,
            ))
            continue
        results.append(failed(
            f"The Unix socket path {path} is {size} bytes, over the {SOCKET_PATH_MAX}-byte limit "
            f"of a socket address, so the app cannot open it ({name}).",
            [ev, inst_ev(inst, "databaseVersion", inst.get("databaseVersion"))],  # type: ignore[arg-type]
            {**base_params(obs), "connection_name": name, "socket_path": path, "length": size,
             "limit": SOCKET_PATH_MAX, "engine": eng, "variable": where},
            [("socket path length", f"<= {SOCKET_PATH_MAX} bytes", f"{size} bytes")],
        ))
    return combine(results)


CHECKS = (
    Check.reporting("cloudsql-not-attached", probes=(P_RUN, P_SERVING, P_APP, P_LOGS, P_SQL),
                    evaluate=cloudsql_not_attached),
    Check.reporting("connection-name-malformed", probes=(P_RUN, P_SERVING, P_APP, P_SQL, P_LOGS),
                    evaluate=connection_name_malformed),
    Check.reporting("connection-name-mismatch", probes=(P_RUN, P_SERVING, P_APP, P_SQL, P_LOGS),
                    evaluate=connection_name_mismatch),
    Check.reporting("instance-not-found", probes=(P_SQL, P_APP, P_RUN),
                    evaluate=instance_not_found),
    Check.reporting("socket-path-too-long", probes=(P_RUN, P_APP, P_SQL),
                    evaluate=socket_path_too_long),
)
