"""Probe `app-settings`: how the app itself will connect, read from the container env.

No API call: it interprets `run-config`'s `containers[].env` with `dsn.app_connections`
(`INSTANCE_CONNECTION_NAME`, `CLOUD_SQL_CONNECTION_NAME`, `DATABASE_URL`, `*_DATABASE_URL`,
`DB_HOST`/`DB_NAME`/`DB_USER`, `DB_SOCKET_PATH`, `INSTANCE_UNIX_SOCKET`, ...) into `obs.app`.
Values from Secret Manager (`valueSource.secretKeyRef`) are noted as unreadable and never read:
that would need the operator's consent, and guessing them would mislead.

It then lists every instance the run will need, into `obs.instance_refs`: the attached names
(`volumes[].cloudSqlInstance.instances[]`) and the names the app uses, each byte-exact and
split into project/region/instance (stripped of whitespace and CR/LF when needed, flagged as
`cleaned`), once per `project:instance`. A name that cannot be split (empty, or a bare
`bot-db`) is looked for in the target's project. The other probes look these up.

Evidence values are redacted (`display` of each connection); DSN passwords never leave here.
"""

from __future__ import annotations

from typing import Sequence

from troubleshooter.dsn.connections import AppConnection, app_connections
from troubleshooter.facts import sources
from troubleshooter.model import Evidence, InstanceRef, Outcome, ProbeResult, RunConfig
from troubleshooter.probes.base import Probe, ProbeContext
from troubleshooter.probes.common import split_connection_name
from troubleshooter.redact import redact

ID = sources.APP


def run(ctx: ProbeContext) -> ProbeResult:
    cfg = ctx.obs.run
    if cfg is None:
        return ProbeResult(ID, Outcome.SKIPPED, "the Cloud Run configuration could not be read")
    app = app_connections(list(cfg.env))
    refs = instance_refs(cfg.attached, app, ctx.target.project)
    with ctx.obs.lock:
        ctx.obs.app = app
        ctx.obs.instance_refs = refs

    evidence = [_evidence(cfg, conn) for conn in app]
    named = sum(1 for c in app if c.instance is not None)
    secret = sum(1 for c in app if not c.readable)
    summary = (
        f"{len(app)} database setting(s) in env ({named} naming an instance, "
        f"{secret} from Secret Manager, not read); {len(refs)} instance(s) referenced"
        if app
        else f"no database setting found in env; {len(refs)} instance(s) referenced"
    )
    return ProbeResult(ID, Outcome.OK, summary, evidence)


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
    if not conn.readable:
        notes.append(f"from Secret Manager ({conn.secret_ref}): not read")
    if conn.problem:
        notes.append(redact(conn.problem))
    # `display` is redacted by dsn; redact again so no future display form can leak.
    return Evidence(
        ID, _env_field(cfg, conn.source), redact(conn.display), sources.RUN_API, cfg.name, "; ".join(notes)
    )


PROBE = Probe(id=ID, title="App database settings", needs=("run-config",), run=run)
