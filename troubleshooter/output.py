"""The JSON output of `diagnose`, `check` and `scan` as typed models: the published schema
(`troubleshooter schema`) and the MCP tools' structured results both come from these.

They mirror `Diagnosis.to_json()` (shared/spec/cli.md). Every object accepts extra keys: the
spec's contract is "extend, never break", so a consumer validating against the schema keeps
working when a later edition adds a field. The second-edition `verdict` and `unexplained` are
optional until every producer writes them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from troubleshooter.catalog import FINDINGS, ROOT_CAUSES, SYMPTOMS

Verdict = Literal["root-causes", "healthy", "unexplained", "inconclusive"]
ProbeOutcome = Literal["ok", "failed", "uncertain", "skipped"]

_ROOT_CAUSE_IDS = ", ".join(ROOT_CAUSES)
_FINDING_IDS = ", ".join(FINDINGS)


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Dumped as the commands write it: an optional field that is unset is absent, not null
        # (the MCP tools' structured content is then the very JSON `diagnose` prints).
        out = handler(self)
        for name, info in type(self).model_fields.items():
            key = info.serialization_alias or info.alias or name
            if not info.is_required() and info.default is None and out.get(key, 0) is None:
                del out[key]
        return out


class TargetOut(_Out):
    """One Cloud Run service or job: `service` or `job` is set, never both."""

    project: str
    region: str
    service: str | None = None
    job: str | None = None


class EvidenceOut(_Out):
    """One observed fact: the probe that saw it, the API field, its redacted value, the API."""

    probe: str
    field: str
    value: Any = None
    source: str
    resource: str | None = None
    note: str | None = None


class FixOut(_Out):
    commands: list[str] = Field(description="The exact gcloud commands (or manual steps) that fix the cause.")
    automatic: bool = Field(description="`troubleshooter fix` (or the MCP apply_fix) can apply it through the API.")


class RootCauseOut(_Out):
    id: str = Field(description=f"A root-cause id of the catalog (root-causes.md): {_ROOT_CAUSE_IDS}.")
    title: str
    summary: str
    evidence: list[EvidenceOut]
    fix: FixOut


class FindingOut(_Out):
    id: str = Field(description=f"A finding id of the catalog: {_FINDING_IDS}.")
    severity: str = Field(description="critical | warning | info")
    summary: str


class UncertainOut(_Out):
    check: str = Field(description="The decision-graph check that could not decide, e.g. check:role.")
    summary: str


class ProbeOut(_Out):
    id: str
    outcome: ProbeOutcome
    durationMs: int
    error: str | None


class SignalOut(_Out):
    """Database-connection errors in the logs that no known cause explains."""

    kind: str
    count: int
    first: str | None = None
    last: str | None = None
    example: str | None = Field(default=None, description="A redacted example line.")


class UnexplainedOut(_Out):
    signals: list[SignalOut]
    ruledOut: list[str] = Field(description="The check ids that held (each ruled its cause out).")
    next: list[str] = Field(description="What to look at next.")


class DefinitionOut(_Out):
    """`check` only: the definition file judged as if it were the serving revision."""

    file: str
    format: Literal["v2", "v1-export", "command"]
    kind: Literal["service", "job"]


class DiagnosisOut(_Out):
    """`troubleshooter diagnose --format json` (and `check`): one target's diagnosis."""

    target: TargetOut
    symptoms: list[str] = Field(description=f"Entry symptoms of the walk: {', '.join(SYMPTOMS)}.")
    status: str = Field(description="First-edition summary: root-cause-found | no-cause-found | inconclusive.")
    verdict: Verdict | None = Field(default=None, description="Second edition; exit 1 for root-causes, 0 healthy, 4 otherwise.")
    rootCauses: list[RootCauseOut]
    findings: list[FindingOut]
    path: list[str] = Field(description="The decision-graph nodes walked, in order.")
    uncertain: list[UncertainOut] = Field(default_factory=list)
    probes: list[ProbeOut]
    unexplained: UnexplainedOut | None = None
    definition: DefinitionOut | None = None


class ScanTargetOut(_Out):
    """One target of a scan: the diagnose object without `path` and `probes`."""

    target: TargetOut
    verdict: Verdict
    rootCauses: list[RootCauseOut]
    findings: list[FindingOut]
    uncertain: list[UncertainOut] = Field(default_factory=list)
    unexplained: UnexplainedOut | None = None


class ScanScopeOut(_Out):
    organization: str | None = None
    folder: str | None = None
    project: str | None = None
    regions: list[str]


class ScanSummaryOut(_Out):
    root_causes: int = Field(alias="root-causes")
    healthy: int
    unexplained: int
    inconclusive: int


class ScanOut(_Out):
    """`troubleshooter scan --format json`: every service and job in scope, one verdict each."""

    scope: ScanScopeOut
    targets: list[ScanTargetOut]
    summary: ScanSummaryOut
    apiCalls: int = Field(description="Google API calls the scan made.")



class DifferenceOut(_Out):
    """One connection-relevant field where the two targets differ."""

    field: str = Field(description="The field compared, e.g. cloudSqlInstances, roles, env[DATABASE_URL], instance.sslMode.")
    a: Any = Field(default=None, description="Target a's value (redacted; env values as their shape, never a password).")
    b: Any = Field(default=None, description="Target b's value.")
    why: str = Field(description="Why the field matters to the connection, in one sentence.")


class CompareSidesOut(_Out):
    a: str
    b: str


class CompareCausesOut(_Out):
    a: list[str]
    b: list[str]


class CompareOut(_Out):
    """`troubleshooter compare --format json`: two targets' connection-relevant configuration."""

    a: TargetOut
    b: TargetOut
    differences: list[DifferenceOut] = Field(description="Connection-relevant differences, most relevant first.")
    same: list[str] = Field(description="The fields compared that are the same on both.")
    verdicts: CompareSidesOut | None = Field(default=None, description="Each target's diagnosis verdict.")
    rootCauses: CompareCausesOut | None = Field(default=None, description="Each target's root-cause ids.")


def json_schema() -> dict[str, Any]:
    """One JSON Schema document: the diagnose object (the root) and the scan object under $defs."""
    diagnosis = DiagnosisOut.model_json_schema(ref_template="#/$defs/{model}", by_alias=True)
    scan = ScanOut.model_json_schema(ref_template="#/$defs/{model}", by_alias=True)
    defs = {**diagnosis.pop("$defs", {}), **scan.pop("$defs", {})}
    defs["DiagnosisOut"] = diagnosis
    defs["ScanOut"] = scan
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "troubleshooter output",
        "description": "The JSON of `troubleshooter diagnose|check --format json` (DiagnosisOut) "
                       "or `troubleshooter scan --format json` (ScanOut).",
        "anyOf": [{"$ref": "#/$defs/DiagnosisOut"}, {"$ref": "#/$defs/ScanOut"}],
        "$defs": defs,
    }


def schema_for(kind: Literal["diagnose", "scan", "compare"]) -> dict[str, Any]:
    """The schema of one command's output: the shared document rooted at that object."""
    if kind == "compare":
        doc = CompareOut.model_json_schema(ref_template="#/$defs/{model}", by_alias=True)
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", **doc}
    doc = json_schema()
    return {**{k: v for k, v in doc.items() if k != "anyOf"},
            "$ref": "#/$defs/" + ("ScanOut" if kind == "scan" else "DiagnosisOut")}


__all__ = ["CompareOut", "DiagnosisOut", "ScanOut", "ScanTargetOut", "Verdict", "json_schema", "schema_for"]
