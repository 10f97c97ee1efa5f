"""Probe `app-settings`: how the app itself will connect, read from the container env.

No API call: it interprets `run-config`'s `containers[].env` with `dsn.app_connections`
(`INSTANCE_CONNECTION_NAME`, `CLOUD_SQL_CONNECTION_NAME`, `DATABASE_URL`, `*_DATABASE_URL`,
`DB_HOST`/`DB_NAME`/`DB_USER`, `DB_SOCKET_PATH`, `INSTANCE_UNIX_SOCKET`, ...) into `obs.app`.
Values from Secret Manager (`valueSource.secretKeyRef`) are noted as unreadable and never
guessed. With the operator's consent (`obs.read_secrets`) the `secrets` probe has read them: then
this probe waits for it, parses each value like a plain one, shows it only as "read from secret
S, version N" and drops the text (`obs.secret_payloads` is emptied here).

It then lists every instance the run will need, into `obs.instance_refs`: the attached names
(`volumes[].cloudSqlInstance.instances[]`) and the names the app uses, each byte-exact and
split into project/region/instance (stripped of whitespace and CR/LF when needed, flagged as
`cleaned`), once per `project:instance`. A name that cannot be split (empty, or a bare
`bot-db`) is looked for in the target's project. The other probes look these up.

Evidence values are redacted (`display` of each connection); DSN passwords never leave here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from troubleshooter.dsn.connections import AppConnection, app_connections
from troubleshooter.dsn.kinds import show
from troubleshooter.probes.secrets import waits_for_secrets
from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
from troubleshooter.model import Evidence, InstanceRef, Outcome, ProbeResult, RunConfig
from troubleshooter.probes.base import Probe, ProbeContext
from troubleshooter.probes.common import split_connection_name
from troubleshooter.redact import redact, redact_env

ID = sources.APP


def run(ctx: ProbeContext) -> ProbeResult:
    cfg = ctx.obs.run
    if cfg is None:
        return ProbeResult(ID, Outcome.SKIPPED, "the Cloud Run configuration could not be read")
    if waits_for_secrets(ctx):
        ctx.wait_for(sources.SECRETS)  # the values the operator let us read
    app = _with_secrets(list(cfg.env), ctx)
    refs = instance_refs(cfg.attached, app, ctx.target.project)
    with ctx.obs.lock:
        ctx.obs.app = app
        ctx.obs.instance_refs = refs

    evidence = [_evidence(cfg, conn) for conn in app]
    named = sum(1 for c in app if c.instance is not None)
    secret = sum(1 for c in app if not c.readable)
    read = sum(1 for c in app if c.read_from)
    summary = (
        f"{len(app)} database setting(s) in env ({named} naming an instance, "
        f"{secret} from Secret Manager, not read"
        + (f"; {read} read from Secret Manager with consent" if read else "")
        + f"); {len(refs)} instance(s) referenced"
        if app
        else f"no database setting found in env; {len(refs)} instance(s) referenced"
    )
    return ProbeResult(ID, Outcome.OK, summary, evidence)


def _with_secrets(env: list[dict[str, Any]], ctx: ProbeContext) -> list[AppConnection]:
    """The app's connections, each secret value read with consent parsed as if it were plain.

    The texts are popped from the observations as they are used: after this nothing holds them
    but the parsed pieces (a ParsedDsn never keeps a password). What the app sees of a read
    variable is shown as `VAR=<read from secret S, version N>`, never the value.
    """
    with ctx.obs.lock:
        payloads = dict(ctx.obs.secret_payloads)
        ctx.obs.secret_payloads.clear()
        notes = dict(ctx.obs.secret_reads)
        unread: dict[str, str] = {}
        for u in ctx.obs.secret_uses:
            f = ctx.obs.failures.get(FactKey.secret_payload(u.project, u.secret, u.version))
            if f is not None and u.variable:
                unread[u.variable] = f"reading secret {u.secret} failed: {f.explain()}"
    if not payloads:
        return [replace(c, unread_why="; ".join(unread[v] for v in c.source if v in unread))
                if c.kind == "secret" and any(v in unread for v in c.source) else c
                for c in app_connections(env)]
    plain: dict[str, str] = {}
    resolved = []
    for e in env:
        name = e.get("name")
        if isinstance(name, str) and name in payloads:
            resolved.append({"name": name, "value": payloads[name]})
        else:
            resolved.append(e)
            if isinstance(name, str) and isinstance(e.get("value"), str):
                plain[name] = e["value"]
    payloads.clear()
    out = []
    for conn in app_connections(resolved):
        read = [v for v in conn.source if v in notes]
        if not read:
            out.append(conn)
            continue
        display = " ".join(f"{v}=<{notes[v]}>" if v in notes else f"{v}={show(redact_env(v, plain.get(v, '')))}"
                           for v in conn.source)
        dsn = replace(conn.dsn, redacted=display) if conn.dsn is not None else None
        out.append(replace(conn, dsn=dsn, display=display, read_from="; ".join(notes[v] for v in read),
                           secret_ref=", ".join(notes[v].removeprefix("read from ") for v in read)))
    return out


def instance_refs(
    attached: Sequence[str], app: Sequence[AppConnection], default_project: str
) -> list[InstanceRef]:
    """Attached names first, then the app's, one ref per `project:instance`."""
    names = list(attached) + [c.instance for c in app if c.instance is not None]
    refs: dict[str, InstanceRef] = {}
    for name in names:
        ref = split_connection_name(name, default_project)
        refs.setdefault(ref.key, ref)
    return list(refs.values())


def _env_field(cfg: RunConfig, names: Sequence[str]) -> str:
    """The API path of the env var(s), e.g. `template.containers[0].env[DB_HOST]`."""
    index = next(
        (
            i
            for i, c in enumerate(cfg.containers)
            if any(e.get("name") in names for e in c.get("env") or ())
        ),
        0,
    )
    return f"{cfg.template_path}.containers[{index}].env[{', '.join(names)}]"


def _evidence(cfg: RunConfig, conn: AppConnection) -> Evidence:
    notes = []
    if conn.read_from:
        notes.append(f"{conn.read_from} (with the operator's consent; the value is never shown)")
    if not conn.readable:
        notes.append(f"from Secret Manager ({conn.secret_ref}): not read"
                     + (f" ({conn.unread_why})" if conn.unread_why else ""))
    if conn.problem:
        notes.append(redact(conn.problem))
    # `display` is redacted by dsn; redact again so no future display form can leak.
    return Evidence(
        ID, _env_field(cfg, conn.source), redact(conn.display), sources.RUN_API, cfg.name, "; ".join(notes)
    )


PROBE = Probe(id=ID, title="App database settings", needs=("run-config",), run=run)
