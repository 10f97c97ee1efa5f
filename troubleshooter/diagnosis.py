"""What a diagnosis is: the symptoms, the walk over the observations, and the causes it reached."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

from troubleshooter.catalog import FINDING_SEVERITY, SYMPTOMS, cause_rank
from troubleshooter.checks import REGISTRY as CHECKS
from troubleshooter.checks.routing import ROUTE_CHECKS
from troubleshooter.graph import DecisionGraph, Node, Step, Walk, walk
from troubleshooter.model import CheckResult, Evidence, ProbeResult, Target
from troubleshooter.observations import Observations
from troubleshooter.remedies.commands import commands_for
from troubleshooter.remedies.contracts import FixInput


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
        if self.causes:
            return "root-cause-found"
        return "inconclusive" if self.uncertain else "no-cause-found"

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
            "status": self.status,
            "rootCauses": [c.as_cause_json() for c in self.causes],
            "findings": [f.as_finding_json() for f in self.findings],
            "path": self.walk.path,
            "uncertain": [
                {"check": s.node.id, "summary": s.result.summary if s.result else ""}
                for s in self.uncertain
            ],
            "probes": [p.as_dict() for p in self.probes.values()],
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
        contract = result.fix if result is not None and fix is not None and fix.automatic else None
        commands = commands_for(contract) if contract is not None else []
        item = Reported(
            id=node.short,
            kind=node.kind,
            title=node.title,
            summary=result.summary if result else node.title,
            why=fill(node.why, params),
            evidence=result.evidence if result else (),
            commands=commands,
            steps=[fill(s, params) for s in (fix.steps if fix else [])],
            # A contract can leave a choice to the operator (e.g. which subnet): then not automatic.
            automatic=bool(commands and contract is not None and contract.choice is None),
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


__all__ = ["Diagnosis", "Reported", "detect_symptoms", "evaluate_walk", "report", "fill"]
