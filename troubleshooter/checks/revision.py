"""Did the last deploy take effect? (Whether it can read its secrets: checks/secrets.py.)"""

from __future__ import annotations

import re
from typing import Any

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params
from troubleshooter.checks.verdicts import failed, unknown
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.names import short
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import RUN_API, RUN_CONFIG, SERVING
from troubleshooter.model import CheckResult, Condition, Evidence, RunConfig
from troubleshooter.redact import redact

_FAILED = "CONDITION_FAILED"
_RECONCILING = ("CONDITION_RECONCILING", "CONDITION_PENDING")
# Revision condition types that mean "this revision cannot serve". `Active` is left out: an idle
# or retired revision reports it false, which is normal.
_REVISION_TYPES = ("Ready", "ContainerHealthy", "ContainerReady", "ResourcesAvailable")
# A job execution only counts when its container never started; a task exiting non-zero is the
# app's own business (and would drown the diagnosis in unrelated failures).
_JOB_START_TYPES = ("ResourcesAvailable", "Started", "ContainerReady")
_FAILED_TO_START = re.compile(
    r"failed to start|Container import failed|could not be started|Permission denied on secret|"
    r"image .{0,200}? not found|Revision .{0,100}? is not ready",
    re.IGNORECASE,
)


def _quote(message: str) -> str:
    """The first line of a condition message, redacted (the rest is a logs URL and advice)."""
    if not message.strip():
        return "(no message)"
    first = redact(message).strip().splitlines()[0]
    sentence = first.split(". ", 1)[0].rstrip(".") + "."
    return sentence if len(sentence) <= 300 else sentence[:297] + "..."


def _cond_ev(source_probe: str, resource: str, field: str, c: Condition) -> Evidence:
    value: dict[str, Any] = {"type": c.type, "state": c.state}
    if c.reason or c.revision_reason:
        value["reason"] = c.reason or c.revision_reason
    if c.revision_reason:
        value["revisionReason"] = c.revision_reason
    if c.severity:
        value["severity"] = c.severity
    if c.message:
        value["message"] = redact(c.message)
    return Evidence(source_probe, field, value, RUN_API, resource)


def _failing(conditions: tuple[Condition, ...], types: tuple[str, ...] | None) -> list[Condition]:
    return [c for c in conditions if c.state == _FAILED and (types is None or c.type in types)]


def _service(obs: Facts, run: RunConfig) -> CheckResult:
    params = {**base_params(obs), "latest_created_revision": run.latest_created_revision,
              "latest_revision": short(run.latest_created_revision),
              "latest_ready_revision": run.latest_ready_revision,
              "serving_revisions": list(run.serving_revisions)}
    evidence: list[Evidence] = []
    bad: list[tuple[Condition, Evidence]] = []
    latest = obs.latest
    if latest is not None:
        for c in _failing(latest.conditions, _REVISION_TYPES):
            bad.append((c, _cond_ev(SERVING, latest.name, "conditions[]", c)))
    if run.terminal_condition is not None and run.terminal_condition.state == _FAILED:
        bad.append((run.terminal_condition,
                    _cond_ev(RUN_CONFIG, run.name, "terminalCondition", run.terminal_condition)))
    for c in _failing(run.conditions, None):
        bad.append((c, _cond_ev(RUN_CONFIG, run.name, "conditions[]", c)))
    differs = bool(run.latest_created_revision) and (
        run.latest_created_revision != run.latest_ready_revision
    )
    rev_ev = Evidence(
        RUN_CONFIG, "latestCreatedRevision / latestReadyRevision",
        {"latestCreatedRevision": run.latest_created_revision,
         "latestReadyRevision": run.latest_ready_revision,
         "serving": list(run.serving_revisions)},
        RUN_API, run.name,
    )
    evidence.append(rev_ev)
    if bad:
        cond = bad[0][0]
        message = _quote(cond.message)
        rev = short(run.latest_created_revision or (latest.name if latest else run.name))
        serving = [s for s in run.serving_revisions if short(s) != rev]
        if not serving:
            # No older revision is ready to keep serving: either none ever was (no
            # latestReadyRevision) or the failed one is itself the "latest ready" one, as in
            # gcpdiag's captured cloudrun2 dump, where Google still says it "cannot serve traffic".
            summary = (
                f"The newest revision {rev} of service {obs.target.name} never became ready "
                f"({cond.type}: {message}), and no other revision is ready: no revision serves "
                "traffic, so the service answers no request."
            )
        else:
            summary = (
                f"The newest revision {rev} of service {obs.target.name} is not ready "
                f"({cond.type}: {message}); traffic stays on {', '.join(short(s) for s in serving)}, "
                "so the last deploy (and any fix in it) is not what runs."
            )
        return failed(
            summary,
            [e for _, e in bad] + evidence,
            {**params, "condition_type": cond.type, "condition_message": message,
             "condition_reason": cond.reason or cond.revision_reason},
            [("latest created revision", "Ready", f"{cond.type}={cond.state}"),
             ("latestReadyRevision", str(run.latest_created_revision),
              str(run.latest_ready_revision))],
        )
    if differs:
        tc = run.terminal_condition
        if tc is not None and tc.state in _RECONCILING:
            return CheckResult.uncertain(
                f"A deploy of service {obs.target.name} is still in progress: revision "
                f"{short(run.latest_created_revision)} is not ready yet ({tc.state}).", *evidence
            )
        return failed(
            f"The newest revision {short(run.latest_created_revision)} of service {obs.target.name} "
            f"never became ready; the latest ready one is {short(run.latest_ready_revision) or 'none'}, "
            "so the last deploy (and any fix in it) is not what runs.",
            evidence, params,
            [("latestReadyRevision", str(run.latest_created_revision),
              str(run.latest_ready_revision))],
        )
    return CheckResult.ok(
        f"The newest revision {short(run.latest_created_revision) or '(unknown)'} of service "
        f"{obs.target.name} is ready and is the latest ready one.", *evidence
    )


def _job(obs: Facts, run: RunConfig) -> CheckResult:
    params = base_params(obs)
    tc = run.terminal_condition
    if tc is not None and tc.state == _FAILED:
        message = _quote(tc.message)
        return failed(
            f"Job {obs.target.name} is not ready ({tc.type}: {message}), so its executions run "
            "an older configuration or none at all.",
            [_cond_ev(RUN_CONFIG, run.name, "terminalCondition", tc)],
            {**params, "condition_type": tc.type, "condition_message": message},
            [("job terminalCondition", "CONDITION_SUCCEEDED", tc.state)],
        )
    latest = obs.latest
    if latest is None:
        if obs.failure(FactKey.serving()):
            return unknown(obs, f"whether the latest execution of job {obs.target.name} started",
                           FactKey.serving())
        return CheckResult.ok(f"Job {obs.target.name} is ready; no execution to judge.")
    for c in _failing(latest.conditions, None):
        if c.type in _JOB_START_TYPES or _FAILED_TO_START.search(c.message or ""):
            message = _quote(c.message)
            return failed(
                f"The latest execution {short(latest.name)} of job {obs.target.name} failed to start "
                f"({c.type}: {message}), so the job never reached its database code.",
                [_cond_ev(SERVING, latest.name, "conditions[]", c)],
                {**params, "execution": latest.name, "latest_revision": short(latest.name),
                 "condition_type": c.type,
                 "condition_message": message},
                [("latest execution", "started", f"{c.type}={c.state}")],
            )
    return CheckResult.ok(
        f"Job {obs.target.name} is ready and its latest execution {short(latest.name)} started "
        "(a task's own exit code is not judged here).",
        Evidence(SERVING, "conditions[]", [c.type + "=" + c.state for c in latest.conditions],
                 RUN_API, latest.name),
    )


def latest_revision_not_ready(obs: Facts) -> CheckResult:
    run = obs.run
    if run is None:
        return unknown(obs, f"whether the latest revision of {obs.target.describe()} is ready",
                       FactKey.run())
    return _job(obs, run) if run.kind == "job" else _service(obs, run)


CHECKS = (
    Check.reporting("latest-revision-not-ready", probes=(RUN_CONFIG, SERVING),
                    judge=latest_revision_not_ready),
)
