"""Domain types shared by probes, checks, the walk, fixes and the report (no I/O, no Textual)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from troubleshooter.failures import ApiFailure

if TYPE_CHECKING:
    from troubleshooter.remedies.contracts import FixInput


class Outcome(str, enum.Enum):
    """What a probe or a check concluded. For checks, FAILED means "the cause holds"."""

    OK = "ok"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


# Worst wins when outcomes roll up (gcpdiag's rule): a failure beats doubt beats success.
_SEVERITY = {Outcome.SKIPPED: 0, Outcome.OK: 1, Outcome.UNCERTAIN: 2, Outcome.FAILED: 3}


def worst(outcomes: list[Outcome]) -> Outcome:
    return max(outcomes, key=_SEVERITY.__getitem__, default=Outcome.SKIPPED)


@dataclass(frozen=True)
class Target:
    """What is being troubleshot: one Cloud Run service or job."""

    project: str
    region: str
    service: str | None = None
    job: str | None = None

    @property
    def kind(self) -> str:
        return "job" if self.job else "service"

    @property
    def name(self) -> str:
        return self.job or self.service or ""

    @property
    def resource_name(self) -> str:
        return f"projects/{self.project}/locations/{self.region}/{self.kind}s/{self.name}"

    def describe(self) -> str:
        return f"Cloud Run {self.kind} {self.name} ({self.project}, {self.region})"

    def as_dict(self) -> dict[str, str]:
        out = {"project": self.project, "region": self.region}
        out[self.kind] = self.name
        return out


@dataclass(frozen=True)
class Evidence:
    """One observed fact: which probe saw it, the API field, its (redacted) value, and where."""

    probe: str
    field: str
    value: Any
    source: str
    resource: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        out = {"probe": self.probe, "field": self.field, "value": self.value, "source": self.source}
        if self.resource:
            out["resource"] = self.resource
        if self.note:
            out["note"] = self.note
        return out


# --------------------------------------------------------------------------- observed facts
# What the probes learn, typed, so that checks are small pure functions over them.


@dataclass(frozen=True)
class VpcAccess:
    """Direct VPC egress or a Serverless VPC Access connector on the revision."""

    network: str | None = None      # projects/P/global/networks/N or short name
    subnetwork: str | None = None
    connector: str | None = None    # projects/P/locations/R/connectors/C
    egress: str | None = None       # ALL_TRAFFIC | PRIVATE_RANGES_ONLY

    @property
    def configured(self) -> bool:
        return bool(self.network or self.subnetwork or self.connector)


@dataclass(frozen=True)
class Condition:
    type: str
    state: str
    message: str = ""
    reason: str = ""
    revision_reason: str = ""
    severity: str = ""                  # ERROR | WARNING | INFO, as Run v2 reports it


_PROXY_IMAGES = ("cloud-sql-proxy", "cloudsql-proxy", "cloudsql-docker/gce-proxy")


@dataclass(frozen=True)
class RunConfig:
    """The runtime configuration of the target, from the v2 service/job (and serving revision)."""

    kind: str                                  # service | job
    name: str                                  # full resource name
    template_path: str                         # "template" (service) or "template.template" (job)
    service_account: str                       # effective SA (default compute SA filled in)
    service_account_is_default: bool
    attached: tuple[str, ...]                  # cloudSqlInstance.instances[] byte-exact
    cloudsql_volume_names: tuple[str, ...]
    cloudsql_mount_paths: tuple[str, ...]      # volumeMounts of the cloudsql volumes
    env: tuple[dict[str, Any], ...]            # containers[*].env merged, raw API JSON
    containers: tuple[dict[str, Any], ...]     # raw containers (images, names)
    vpc: VpcAccess
    max_instances: int | None
    conditions: tuple[Condition, ...]
    terminal_condition: Condition | None
    latest_created_revision: str | None
    latest_ready_revision: str | None
    serving_revisions: tuple[str, ...]         # revisions with traffic > 0
    etag: str | None
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def has_proxy_sidecar(self) -> bool:
        """A Cloud SQL Auth Proxy container beside the app makes localhost:5432 a valid address."""
        return any(
            any(mark in (c.get("image") or "") for mark in _PROXY_IMAGES) for c in self.containers
        )


@dataclass(frozen=True)
class RevisionInfo:
    """A revision that is (or should be) serving: its readiness and its own attachment."""

    name: str
    ready: bool | None
    conditions: tuple[Condition, ...]
    attached: tuple[str, ...]
    env: tuple[dict[str, Any], ...]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class InstanceRef:
    """An instance named somewhere (attachment or app), split from its connection name."""

    connection_name: str     # byte-exact as written
    project: str
    region: str | None
    instance: str
    cleaned: bool            # True when stripped of whitespace/CR to look it up

    @property
    def key(self) -> str:
        return f"{self.project}:{self.instance}"


@dataclass(frozen=True)
class LogMatch:
    """Log lines that matched one symptom signature."""

    symptom: str
    count: int
    first_seen: str
    last_seen: str
    lines: tuple[str, ...]          # a few redacted example lines, newest first
    log_names: tuple[str, ...]
    resources: tuple[str, ...]      # revision / execution names the lines came from
    # (timestamp, redacted text) of every matched entry, newest first: when the errors came.
    stamped: tuple[tuple[str, str], ...] = ()


# --------------------------------------------------------------------------- probe & check results


@dataclass
class ProbeResult:
    """What one probe did: its outcome, evidence, and the failure that made it uncertain, if any."""

    probe: str
    outcome: Outcome
    summary: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    failures: list[ApiFailure] = field(default_factory=list)
    duration_ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.probe,
            "outcome": self.outcome.value,
            "durationMs": self.duration_ms,
            "error": "; ".join(f.explain() for f in self.failures) or None,
        }


@dataclass(frozen=True)
class CheckResult:
    """A check's verdict on one cause or finding, with the evidence and what its fix needs."""

    outcome: Outcome
    summary: str
    evidence: tuple[Evidence, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)   # fills the decision tree's wording (why, steps)
    expected_actual: tuple[tuple[str, str, str], ...] = ()  # (what, expected, actual)
    fix: "FixInput | None" = None                          # what the automatic fix needs, typed

    @staticmethod
    def ok(summary: str, *evidence: Evidence) -> "CheckResult":
        return CheckResult(Outcome.OK, summary, tuple(evidence))

    @staticmethod
    def skipped(summary: str, *evidence: Evidence) -> "CheckResult":
        """Not applicable here; the evidence says why (e.g. how the app connects)."""
        return CheckResult(Outcome.SKIPPED, summary, tuple(evidence))

    @staticmethod
    def uncertain(summary: str, *evidence: Evidence) -> "CheckResult":
        return CheckResult(Outcome.UNCERTAIN, summary, tuple(evidence))
