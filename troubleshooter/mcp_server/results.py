"""The structured results of the MCP tools besides `diagnose` (whose result is output.DiagnosisOut)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChangeRow(_Result):
    field: str
    before: Any = None
    after: Any = None


class PlanResult(_Result):
    """A fix plan: what would change, the exact commands, and the token `apply_fix` needs."""

    cause: str
    fixId: str
    title: str
    summary: str
    automatic: bool = Field(description="False: follow `steps` by hand; apply_fix refuses it.")
    commands: list[str]
    steps: list[str]
    change: list[ChangeRow]
    risk: str
    resource: str
    notes: list[str]
    token: str | None = Field(description="Pass to apply_fix to apply exactly this plan; null when the "
                                          "plan is manual or the server is --read-only.")
    readOnly: bool


class ApplyResult(_Result):
    """How an applied fix ended, judged by a fresh diagnosis."""

    cause: str
    outcome: Literal["applied", "refused", "failed", "manual", "cancelled"]
    verified: bool | None = Field(description="True: the re-diagnosis no longer finds the cause.")
    verification: str
    error: str | None = None
    rootCausesAfter: list[str]


class ProbeRead(_Result):
    id: str
    title: str


class FixInfo(_Result):
    id: str
    automatic: bool
    steps: list[str]
    risk: str


class ExplainResult(_Result):
    """A decision-tree node: why it matters, what it reads, how its cause is fixed and prevented."""

    id: str
    kind: Literal["symptom", "check", "question", "cause", "finding"]
    title: str
    why: str
    evidence: list[ProbeRead] = Field(description="The probes whose facts decide it (checks, or the "
                                                  "checks that report this cause).")
    decidedBy: list[str] = Field(description="Check nodes that report this cause or finding.")
    leadsTo: dict[str, list[str]] = Field(description="Outcome -> next nodes (checks, symptoms).")
    fix: FixInfo | None = None
    prevention: list[str]
    severity: str | None = None
    examples: list[str]


class ScenarioInfo(_Result):
    name: str
    title: str
    served: bool = Field(description="The world this server was started on (`--world`).")


class ScenarioList(_Result):
    scenarios: list[ScenarioInfo]
