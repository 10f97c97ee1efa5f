"""A service or job definition not yet deployed, judged as if it were the serving revision.

`troubleshooter check` (before a deploy) drives the same probes and the same walk as `diagnose`;
only what Cloud Run would return for the target differs. `DefinitionGateway` answers the target's
`services.get` / `jobs.get` with the live resource revised by the definition, and serves that
template as the one ready revision taking all the traffic. Everything else (the instance, IAM,
the APIs, the database users) is read live, as the new revision would meet it.

The running revision's logs are not evidence about a definition nobody has deployed: the logs
are not read (the `logs` probe is reported as skipped), so the walk starts from the `unknown`
symptom and checks everything, and the verdict is root causes, healthy or inconclusive, never
"unexplained". Whether the new revision will become ready is not known either; the deploy-state
cause is judged from the definition only.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from troubleshooter.diagnosis import Diagnosis
from troubleshooter.engine.run import DiagnosisRun
from troubleshooter.facts import sources
from troubleshooter.facts.names import short
from troubleshooter.failures import ApiFailure
from troubleshooter.gateway import Gateway
from troubleshooter.graph import DecisionGraph
from troubleshooter.model import Outcome, ProbeResult, Target

Resource = dict[str, Any]
# The live v2 resource (None when the service or job does not exist yet) -> the one to judge.
Revise = Callable[["Resource | None"], Resource]

SYMPTOM = "unknown"        # no logs: walk every check
SYMPTOM_SOURCE = "definition"
_READY = {"type": "Ready", "state": "CONDITION_SUCCEEDED"}
_COMPLETED = {"type": "Completed", "state": "CONDITION_SUCCEEDED"}
NOT_EVIDENCE = ("not read: the running revision's logs are not evidence about a definition "
                "that is not deployed")


@dataclass(frozen=True)
class Definition:
    """What a definition file says: which target, in which format, and how it changes the live one."""

    kind: str                      # service | job
    name: str                      # short name
    source: str                    # the file, as given
    format: str                    # v2 | v1-export | command
    revise: Revise = field(repr=False)
    project: str | None = None     # what the file names, if anything (flags win)
    region: str | None = None

    def as_json(self) -> dict[str, str]:
        return {"file": self.source, "format": self.format, "kind": self.kind}


class DefinitionGateway:
    """The Gateway, except that the target reads as the definition would deploy it."""

    def __init__(self, gateway: Gateway, target: Target, definition: Definition) -> None:
        self._gateway = gateway
        self._target = target
        self._definition = definition
        self._revision = f"{target.resource_name}/revisions/{target.name}-definition"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    def _judged(self, live: Resource | None) -> Resource:
        resource = self._definition.revise(copy.deepcopy(live) if live is not None else None)
        resource["name"] = self._target.resource_name
        if live is not None and live.get("etag"):
            resource["etag"] = live["etag"]
        for status in ("conditions", "terminalCondition", "latestCreatedExecution", "trafficStatuses",
                       "latestReadyRevision", "latestCreatedRevision", "reconciling"):
            resource.pop(status, None)
        if self._target.kind == "service":
            # As if it were the serving revision: ready, with all the traffic.
            resource.update(latestCreatedRevision=self._revision, latestReadyRevision=self._revision,
                            terminalCondition=dict(_READY),
                            trafficStatuses=[{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}])
        else:
            resource["terminalCondition"] = dict(_READY)
        return resource

    def _live(self, read: Callable[[], Resource]) -> Resource | None:
        try:
            return read()
        except ApiFailure as exc:
            if exc.kind == "not-found":
                return None  # a first deploy: the definition is the whole resource
            raise

    def _is_target(self, project: str, region: str, name: str) -> bool:
        t = self._target
        return (project, region, name) == (t.project, t.region, t.name)

    def get_service(self, project: str, region: str, service: str) -> Resource:
        read = lambda: self._gateway.get_service(project, region, service)  # noqa: E731
        if self._target.kind != "service" or not self._is_target(project, region, service):
            return read()
        return self._judged(self._live(read))

    def get_job(self, project: str, region: str, job: str) -> Resource:
        read = lambda: self._gateway.get_job(project, region, job)  # noqa: E731
        if self._target.kind != "job" or not self._is_target(project, region, job):
            return read()
        return self._judged(self._live(read))

    def get_revision(self, name: str) -> Resource:
        if name != self._revision:
            return self._gateway.get_revision(name)
        judged = self.get_service(self._target.project, self._target.region, self._target.name)
        template = dict(judged.get("template") or {})
        return {**template, "name": name, "service": short(self._target.resource_name),
                "conditions": [dict(_READY)]}

    def list_log_entries(self, project: str, filter_: str, **_: Any) -> list[dict[str, Any]]:
        return []  # never evidence here (see the module docstring); the probe is reported skipped


def judge_definition(target: Target, gateway: Gateway, graph: DecisionGraph, definition: Definition, *,
                     answers: Mapping[str, str] | None = None) -> Diagnosis:
    """One full run over the definition as the serving revision: every probe, then the walk."""
    run = DiagnosisRun.start(target, graph, answers=answers)
    run.execute(DefinitionGateway(gateway, target, definition))  # type: ignore[arg-type]
    skipped = ProbeResult(sources.LOGS, Outcome.SKIPPED, NOT_EVIDENCE)
    skipped.duration_ms = 0
    with run.obs.lock:
        run.obs.logs.clear()
        run.obs.log_entries_seen = 0
    run.results[sources.LOGS] = skipped
    run.status[sources.LOGS] = skipped.outcome.value
    return run.conclude([SYMPTOM], SYMPTOM_SOURCE)


__all__ = ["Definition", "DefinitionGateway", "judge_definition"]
