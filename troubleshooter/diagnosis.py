"""What a diagnosis is: the symptoms, the walk over the observations, and the causes it reached."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

from troubleshooter.catalog import FINDING_SEVERITY, SYMPTOMS, cause_rank
from troubleshooter.db_errors import PREFIX as DB_ERROR_PREFIX
from troubleshooter.facts.keys import FactKey
from troubleshooter.checks import REGISTRY as CHECKS
from troubleshooter.checks.routing import ROUTE_CHECKS
from troubleshooter.graph import DecisionGraph, Node, Step, Walk, walk
from troubleshooter.model import CheckResult, Evidence, LogMatch, ProbeResult, Target
from troubleshooter.observations import Observations
from troubleshooter.remedies.commands import commands_for
from troubleshooter.remedies.contracts import FixInput


VERDICTS: tuple[str, ...] = ("root-causes", "healthy", "unexplained", "inconclusive")

# Log matches that are not database-connection errors: a failed deploy has its own cause.
NOT_DB_ERRORS = frozenset({"deploy-not-ready"})

# What to look at next, per signal (a symptom id, or a kind of troubleshooter/db_errors.py).
NEXT_BY_SIGNAL: dict[str, str] = {
    "socket-not-found": "The app opens a /cloudsql/ socket that is not there: compare the path in "
                        "the lines with the attachment (gcloud run services describe) byte for byte.",
    "connection-refused": "Nothing listens where the app dials: read the host and port in the lines; "
                          "on Cloud Run only a proxy sidecar you run listens on localhost.",
    "refused": "Nothing listens where the app dials: read the host and port in the lines; "
               "on Cloud Run only a proxy sidecar you run listens on localhost.",
    "connection-timeout": "Connections time out: follow the address in the lines through the "
                          "egress path (VPC egress, authorized networks, firewall) and the pool's "
                          "connect and acquire timeouts.",
    "timeout": "Connections time out: follow the address in the lines through the egress path "
               "(VPC egress, authorized networks, firewall) and the pool's connect and acquire timeouts.",
    "unresolvable": "The database host does not resolve: if it is a /cloudsql/ path, the driver "
                    "takes it for a host name (use a Cloud SQL connector, or the Auth Proxy as a sidecar).",
    "terminated": "Established connections die under the app: look for Cloud SQL operations at "
                  "those times (gcloud sql operations list --instance=INSTANCE: MAINTENANCE, "
                  "FAILOVER, RESTART, UPDATE) and make the pool validate connections (pre-ping) "
                  "and recycle them below the idle timeout.",
    "unavailable": "The server was not accepting connections (starting up or shutting down): "
                   "look for a restart or maintenance at that time and retry connects with backoff.",
    "auth-failed": "The database answered and refused the login: compare the user and the secret "
                   "version the revision reads with the instance's users.",
    "auth": "The database answered and refused the login: compare the user and the secret "
            "version the revision reads with the instance's users.",
    "rejected": "The server or the driver rejected the connection itself (pg_hba, TLS, host "
                "form): read the lines for which.",
    "too-many-connections": "Connection limits are hit: count pools per process and max "
                            "instances against max_connections (and Cloud Run's 100 per instance).",
    "too-many": "Connection limits are hit: count pools per process and max instances against "
                "max_connections (and Cloud Run's 100 per instance).",
    "rate-limited": "The connectors hit the Cloud SQL Admin API quota: create one connector per "
                    "process, not one per request.",
    "connect-failed": "A driver failed to connect without saying why in the matched line: read "
                      "the lines after it (the cause is usually the next line of the trace).",
}


class _Blank(dict):
    """format_map helper: an unknown {name} becomes NAME, the shell's way to say "yours to fill"."""

    def __missing__(self, key: str) -> str:
        return key.upper()


def fill(template: str, params: Mapping[str, Any]) -> str:
    """Fill a why/step template from a check's params; an unknown {name} reads NAME, never {name}."""
    try:
        return string.Formatter().vformat(template, (), _Blank(params))
    except (ValueError, IndexError):
        return template


def fix_params(target: Target, result: CheckResult | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "project": target.project,
        "region": target.region,
        "kind": target.kind,
        "name": target.name,
        "instance_project": target.project,
    }
    if result is not None:
        params.update({k: v for k, v in result.params.items() if v is not None})
    return params


@dataclass
class Reported:
    """A root cause or finding as reported: what, why, evidence, and how to fix it."""

    id: str
    kind: str                      # cause | finding
    title: str
    summary: str
    why: str
    evidence: tuple[Evidence, ...]
    commands: list[str]
    steps: list[str]
    automatic: bool
    risk: str
    prevention: list[str]
    expected_actual: tuple[tuple[str, str, str], ...]
    params: dict[str, Any]
    severity: str | None = None
    node: str = ""
    fix: FixInput | None = None    # the check's typed contract: what `commands` and the fix plan come from

    def as_cause_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "evidence": [e.as_dict() for e in self.evidence],
            "fix": {"commands": self.commands or self.steps, "automatic": self.automatic},
        }

    def as_finding_json(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity or "warning", "summary": self.summary}


@dataclass
class Diagnosis:
    """One diagnosis run: its symptoms, the probes, the path walked, what it found."""

    target: Target
    symptoms: list[str]
    symptom_source: str            # flag | logs | config | default
    graph: DecisionGraph
    obs: Observations
    probes: dict[str, ProbeResult]
    walk: Walk
    started_at: datetime
    finished_at: datetime
    causes: list[Reported] = field(default_factory=list)
    findings: list[Reported] = field(default_factory=list)

    @property
    def uncertain(self) -> list[Step]:
        return [s for s in self.walk.steps if s.node.kind == "check" and s.outcome == "uncertain"]

    @property
    def status(self) -> str:
        """The first edition's word (kept for JSON compatibility); `verdict` is the spec's."""
        if self.causes:
            return "root-cause-found"
        return "inconclusive" if self.uncertain else "no-cause-found"

    @property
    def signals(self) -> list[LogMatch]:
        """Database-connection errors the log window holds (symptom signatures and the generic
        family of troubleshooter/db_errors.py), most frequent first."""
        live = self._live_revisions()
        found = [m for k, m in self.obs.logs.items() if m.count and k not in NOT_DB_ERRORS
                 and (live is None or not m.resources or any(r in live for r in m.resources))]
        return sorted(found, key=lambda m: -m.count)

    def _live_revisions(self) -> set[str] | None:
        """Revisions whose lines speak of the service as it is now (serving, latest created or
        ready): after a fix deploys a new revision, the old one's errors are history. None for
        jobs, or when the service's revisions are unknown (then every line counts)."""
        run = self.obs.run
        if self.target.kind == "job" or run is None:
            return None
        names = {*run.serving_revisions, run.latest_created_revision, run.latest_ready_revision}
        live = {n.rsplit("/", 1)[-1] for n in names if n}
        return live or None

    @property
    def logs_unread(self) -> bool:
        return FactKey.logs() in self.obs.failures

    @property
    def verdict(self) -> str:
        """root-causes | healthy | unexplained | inconclusive (root-causes.md, "Verdicts").

        Never `healthy` while the logs hold database-connection errors, nor when the logs could
        not be read (then nobody knows whether they do)."""
        if self.causes:
            return "root-causes"
        if self.signals:
            return "unexplained"
        if self.uncertain or self.logs_unread:
            return "inconclusive"
        return "healthy"

    @property
    def ruled_out(self) -> list[Step]:
        """Checks that looked for a root cause and cleared it."""
        return [s for s in self.walk.steps if s.node.kind == "check" and s.outcome == "ok"
                and any(t.startswith("cause:") for t in s.node.spec.routes.get("failed", []))]

    def next_steps(self) -> list[str]:
        """What to look at next when no cause explains what the logs show."""
        out: list[str] = []
        for m in self.signals:
            kind = m.symptom.removeprefix(DB_ERROR_PREFIX)
            advice = NEXT_BY_SIGNAL.get(kind)
            if advice and advice not in out:
                out.append(advice)
        for step in self.uncertain:
            out.append(f"Settle {step.node.title.rstrip('?').lower()}: "
                       f"{step.result.summary if step.result else 'no answer'}")
        if self.logs_unread:
            out.append("Read the logs: grant roles/logging.viewer (logging.logEntries.list) to "
                       "whoever runs the troubleshooter.")
        t = self.target
        resource = ("cloud_run_job" if t.kind == "job" else "cloud_run_revision")
        label = "job_name" if t.kind == "job" else "service_name"
        out.append(f"Read the failing lines in full: gcloud logging read 'resource.type=\"{resource}\" "
                   f"AND resource.labels.{label}=\"{t.name}\"' --project={t.project} --freshness=1h")
        return out

    def unexplained_json(self) -> dict[str, Any]:
        return {
            "signals": [
                {"kind": m.symptom, "count": m.count, "first": m.first_seen, "last": m.last_seen,
                 "example": m.lines[0] if m.lines else ""}
                for m in self.signals
            ],
            "ruledOut": [s.node.id for s in self.ruled_out],
            "next": self.next_steps(),
        }

    @property
    def cause_ids(self) -> list[str]:
        return [c.id for c in self.causes]

    @property
    def finding_ids(self) -> list[str]:
        return [f.id for f in self.findings]

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target.as_dict(),
            "symptoms": self.symptoms,
            "verdict": self.verdict,
            "status": self.status,
            "rootCauses": [c.as_cause_json() for c in self.causes],
            "findings": [f.as_finding_json() for f in self.findings],
            "path": self.walk.path,
            "uncertain": [
                {"check": s.node.id, "summary": s.result.summary if s.result else ""}
                for s in self.uncertain
            ],
            "probes": [p.as_dict() for p in self.probes.values()],
            **({"unexplained": self.unexplained_json()} if self.verdict == "unexplained" else {}),
        }


def default_log_window(target: Target) -> int:
    """Minutes of logs to read: an hour for services; a day for jobs, which run rarely."""
    return 24 * 60 if target.kind == "job" else 60


def detect_symptoms(obs: Observations) -> tuple[list[str], str]:
    """Symptoms from the logs (catalog order), else from the deploy state, else `unknown`."""
    from_logs = [s for s in SYMPTOMS if s in obs.logs and obs.logs[s].count]
    if from_logs:
        return from_logs, "logs"
    run = obs.run
    if run is not None and (
        (run.latest_created_revision and run.latest_created_revision != run.latest_ready_revision)
        or (run.terminal_condition is not None and run.terminal_condition.state == "CONDITION_FAILED")
    ):
        return ["deploy-not-ready"], "config"
    return ["unknown"], "default"


def evaluate_walk(
    graph: DecisionGraph,
    obs: Observations,
    symptoms: Iterable[str],
    *,
    pending_probes: set[str] | None = None,
) -> Walk:
    """Walk the graph over what has been observed (questions answered from obs.answers)."""

    def evaluate(node: Node, steps: list[Step]) -> CheckResult:
        check_id = node.spec.check or ""
        if check_id in ROUTE_CHECKS:
            return ROUTE_CHECKS[check_id].evaluate(obs, [(s.node.id, s.outcome) for s in steps])
        try:
            return CHECKS[check_id].evaluate(obs)
        except Exception as exc:  # a check bug must not become a diagnosis
            return CheckResult.uncertain(f"check {check_id} could not decide: {type(exc).__name__}: {exc}")

    def answer(node: Node) -> str | None:
        return obs.answers.get(node.short)

    return walk(graph, symptoms, evaluate, answer, pending_probes=pending_probes)


def report(graph: DecisionGraph, target: Target, w: Walk) -> tuple[list[Reported], list[Reported]]:
    """The causes and findings a walk reached, in catalog order, with filled-in fixes."""
    check_of: dict[str, Step] = {}
    for step in w.steps:
        if step.node.kind == "check" and step.result is not None and step.outcome == "failed":
            for target_id in step.node.spec.routes.get("failed", []):
                check_of.setdefault(target_id, step)
    causes: list[Reported] = []
    findings: list[Reported] = []
    for step in w.steps:
        if step.node.kind not in ("cause", "finding"):
            continue
        node = step.node
        check_step = check_of.get(node.id)
        result = check_step.result if check_step else None
        params = fix_params(target, result)
        spec = node.spec
        fix = spec.fix
        contract = (result.fix if result is not None and fix is not None
                    and (fix.automatic or (result.fix is not None and result.fix.manual)) else None)
        commands = commands_for(contract) if contract is not None else []
        item = Reported(
            id=node.short,
            kind=node.kind,
            title=node.title,
            summary=result.summary if result else node.title,
            why=fill(node.why, params),
            evidence=result.evidence if result else (),
            commands=commands,
            steps=[t for s in (fix.steps if fix else []) if (t := fill(s, params)).strip()],
            # A contract can leave a choice to the operator (e.g. which subnet): then not automatic.
            automatic=bool(commands and contract is not None and not contract.manual
                           and contract.choice is None),
            risk=fill(fix.risk, params) if fix else "",
            prevention=list(spec.prevention),
            expected_actual=result.expected_actual if result else (),
            params=params,
            severity=spec.severity or FINDING_SEVERITY.get(node.short),
            node=node.id,
            fix=contract,
        )
        (causes if node.kind == "cause" else findings).append(item)
    causes.sort(key=lambda r: cause_rank(r.id))
    return causes, findings


__all__ = ["VERDICTS", "Diagnosis", "Reported", "detect_symptoms", "evaluate_walk", "report", "fill"]
