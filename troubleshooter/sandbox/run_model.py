"""How Cloud Run v2 resources change: revisions from templates, and what an update does to a service or job."""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import uuid
from typing import Any

SERVICE_OUTPUT_ONLY = frozenset(
    "name uid generation createTime updateTime deleteTime expireTime creator lastModifier "
    "observedGeneration terminalCondition conditions latestReadyRevision latestCreatedRevision "
    "trafficStatuses uri urls reconciling etag satisfiesPzs".split()
)
JOB_OUTPUT_ONLY = frozenset(
    "name uid generation createTime updateTime deleteTime expireTime creator lastModifier "
    "observedGeneration terminalCondition conditions executionCount latestCreatedExecution "
    "reconciling etag satisfiesPzs".split()
)
# RevisionTemplate fields that a Revision does not carry.
_TEMPLATE_ONLY = frozenset({"revision", "healthCheckDisabled"})

LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
SUCCEEDED = "CONDITION_SUCCEEDED"


def short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def stable_uid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def serving_revisions(service: dict[str, Any]) -> list[str]:
    """Full names of the revisions a service's status points at (ready first), without duplicates."""
    names = [service.get("latestReadyRevision"), service.get("latestCreatedRevision")]
    out: list[str] = []
    for n in names:
        if n and n not in out:
            out.append(n if "/" in n else f"{service['name']}/revisions/{n}")
    return out


def _names_revision(condition: dict[str, Any], revision: str) -> bool:
    """Whether a service condition is about `revision` (Google quotes it: "Revision 'R' is not ready")."""
    return f"'{short(revision)}'" in str(condition.get("message") or "")


def revision_conditions(service: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The conditions of revision `name` as far as the service's status tells them, no further.

    A failing terminal condition that names the revision (or, unnamed, is about the newest one)
    is its Ready failure, kept whole (reason, revisionReason, severity), as the gcpdiag dump
    test-data/cloudrun2/json-dumps/cloudrun_services.json shows it: there the only revision is
    both latestCreated and latestReady and still "is not ready and cannot serve traffic". Ready
    succeeds only for the latest ready revision of a service that reports no failure about it.
    Nothing else is invented: the status says nothing of ContainerHealthy or ResourcesAvailable.
    """
    terminal = service.get("terminalCondition") or {}
    newest = short(service.get("latestCreatedRevision") or "")
    failing = terminal.get("state") == "CONDITION_FAILED"
    if failing and (_names_revision(terminal, name) or ("'" not in str(terminal.get("message") or "")
                                                        and short(name) == newest)):
        return [{**copy.deepcopy(terminal), "type": "Ready"}]
    if short(name) == short(service.get("latestReadyRevision") or ""):
        since = terminal.get("lastTransitionTime") or service.get("updateTime")
        return [{"type": "Ready", "state": SUCCEEDED, **({"lastTransitionTime": since} if since else {})}]
    return []


def revision_from_template(service: dict[str, Any], name: str, now: str) -> dict[str, Any]:
    """The Revision a service's template describes, named `name` (full resource name)."""
    template = service.get("template") or {}
    rev: dict[str, Any] = {k: copy.deepcopy(v) for k, v in template.items() if k not in _TEMPLATE_ONLY}
    project = name.split("/")[1]
    rev.update(
        name=name,
        uid=stable_uid(name),
        generation="1",
        service=short(service["name"]),
        createTime=service.get("updateTime") or now,
        updateTime=service.get("updateTime") or now,
        conditions=revision_conditions(service, name),
        observedGeneration="1",
        logUri=(
            f"https://console.cloud.google.com/logs/viewer?project={project}&resource=cloud_run_revision"
            f"/service_name/{short(service['name'])}/revision_name/{short(name)}"
        ),
        etag=f'"{hashlib.sha1(name.encode()).hexdigest()[:16]}"',
    )
    rev.setdefault("launchStage", service.get("launchStage", "GA"))
    return rev


# Namespaces the v2 API refuses in annotations (google.cloud.run_v2 Service.annotations docs:
# "Cloud Run API v2 does not support annotations with run.googleapis.com, cloud.googleapis.com,
# serving.knative.dev, or autoscaling.knative.dev namespaces, and they will be rejected in new
# resources"); the wording of the 400 is Google's, quoted in GoogleCloudPlatform/avocano#238.
SYSTEM_ANNOTATION_PREFIXES = ("run.googleapis.com/", "cloud.googleapis.com/", "serving.knative.dev/",
                              "autoscaling.knative.dev/")


def system_annotation_violation(
    kind: str, body: dict[str, Any], old: dict[str, Any] | None
) -> str | None:
    """The 400 message for a system annotation a v2 write adds or changes, else None.

    An annotation the stored resource already carries with the same value passes: resources
    deployed through v1 (gcloud) keep theirs, and a read-modify-write sends them back unchanged.
    """
    paths = (("annotations",), ("template", "annotations"))
    for path in paths:
        sent: Any = body
        kept: Any = old or {}
        for key in path:
            sent = sent.get(key) if isinstance(sent, dict) else None
            kept = kept.get(key) if isinstance(kept, dict) else None
        for name, value in (sent or {}).items():
            if not name.startswith(SYSTEM_ANNOTATION_PREFIXES):
                continue
            if isinstance(kept, dict) and kept.get(name) == value:
                continue
            field = ".".join(path)
            return (f"Violation in Update{kind.capitalize()}Request.{kind}.{field}[{name}]: system "
                    "annotations are not supported in Cloud Run API v2.")
    return None


def run_etag(name: str, when: str, bump: int = 0) -> str:
    """A v2 etag as Google mints them: quoted, a protobuf Timestamp (the update time) and the
    resource name, each URL-safe base64 without padding, joined by '/' (the captured services of
    gcpdiag's cloudrun1/cloudrun2 dumps carry exactly this shape: "CKL_2JcGEOCHhscC/cHJvamVjdHMv...")."""
    from google.protobuf import timestamp_pb2

    from troubleshooter.world import parse_rfc3339

    moment = parse_rfc3339(when)
    stamp = timestamp_pb2.Timestamp(seconds=int(moment.timestamp()), nanos=moment.microsecond * 1000 + bump)

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f'"{b64(stamp.SerializeToString())}/{b64(name.encode())}"'


def next_revision_name(service_id: str, generation: int, taken: set[str]) -> str:
    """`S-0000N-abc`, Cloud Run's naming, with a suffix that does not collide."""
    for salt in range(1000):
        digest = hashlib.sha1(f"{service_id}/{generation}/{salt}".encode()).digest()
        suffix = "".join(chr(ord("a") + b % 26) for b in digest[:3])
        candidate = f"{service_id}-{generation:05d}-{suffix}"
        if candidate not in taken:
            return candidate
    raise RuntimeError("no free revision name")  # pragma: no cover - 1000 collisions


def _camel(segment: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), segment)


def apply_mask(
    old: dict[str, Any], body: dict[str, Any], mask: str | None, output_only: frozenset[str]
) -> dict[str, Any]:
    """The resource after an update: the body replaces every settable field, or only the masked paths."""
    if not mask or mask.strip() == "*":
        new = {k: copy.deepcopy(v) for k, v in body.items() if k not in output_only}
        new.update({k: copy.deepcopy(v) for k, v in old.items() if k in output_only})
        return new
    new = copy.deepcopy(old)
    for path in (p.strip() for p in mask.split(",") if p.strip()):
        keys = [_camel(s) for s in path.split(".")]
        if keys[0] in output_only:
            continue
        src: Any = body
        dst = new
        for key in keys[:-1]:
            src = src.get(key, {}) if isinstance(src, dict) else {}
            dst = dst.setdefault(key, {})
        if isinstance(src, dict) and keys[-1] in src:
            dst[keys[-1]] = copy.deepcopy(src[keys[-1]])
        else:
            dst.pop(keys[-1], None)
    return new


def settle_service(service: dict[str, Any], revision: str, generation: int, etag: str, now: str) -> None:
    """Status of a service whose new revision `revision` (full name) is ready and takes all traffic."""
    service.update(
        generation=str(generation),
        observedGeneration=str(generation),
        updateTime=now,
        etag=etag,
        latestCreatedRevision=revision,
        latestReadyRevision=revision,
        traffic=[{"type": LATEST, "percent": 100}],
        trafficStatuses=[{"type": LATEST, "revision": short(revision), "percent": 100}],
        terminalCondition={"type": "Ready", "state": SUCCEEDED, "lastTransitionTime": now},
        conditions=[
            {"type": "RoutesReady", "state": SUCCEEDED, "lastTransitionTime": now},
            {"type": "ConfigurationsReady", "state": SUCCEEDED, "lastTransitionTime": now},
        ],
        reconciling=False,
    )
    service.setdefault("uid", stable_uid(service["name"]))
    service.setdefault("createTime", now)


def settle_job(job: dict[str, Any], generation: int, etag: str, now: str) -> None:
    """Status of a job after an accepted update."""
    job.update(
        generation=str(generation),
        observedGeneration=str(generation),
        updateTime=now,
        etag=etag,
        terminalCondition={"type": "Ready", "state": SUCCEEDED, "lastTransitionTime": now},
        reconciling=False,
    )
    job.setdefault("uid", stable_uid(job["name"]))
    job.setdefault("createTime", now)
