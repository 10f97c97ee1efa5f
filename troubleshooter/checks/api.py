"""Is the Cloud SQL Admin API enabled where the connection needs it?"""

from __future__ import annotations

import re

from troubleshooter.checks.base import Check
from troubleshooter.checks.params import base_params
from troubleshooter.checks.verdicts import failed
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import (
    APP,
    DBUSERS,
    PROJECT,
    RUN_CONFIG,
    SQL,
    SQL_API,
    USAGE,
    USAGE_API,
)
from troubleshooter.model import CheckResult, Evidence
from troubleshooter.remedies.contracts import EnableApi

_SERVICE = "sqladmin.googleapis.com"
# The keys of our own Cloud SQL Admin reads (the probes that call sqladmin record these).
_SQLADMIN_READS = ("instance", "list", "databases", "users")
_PROJECT_IN_MESSAGE = re.compile(r"in project (\S+?)[ .]")


def _projects(obs: Facts) -> list[str]:
    """The target's project first, then each instance's project (cross-project connections)."""
    out = [obs.target.project]
    for ref in obs.refs:
        if ref.project not in out:
            out.append(ref.project)
    return out


def _project_of_failure(obs: Facts, projects: list[str], key: FactKey, message: str) -> str | None:
    """The project a SERVICE_DISABLED answer is about, or None if it is not one we look at.

    Google names the *consumer* project by number: for our own reads that is the caller's quota
    project, which need not be the target's. Map the number back when we know it.
    """
    m = _PROJECT_IN_MESSAGE.search(message or "")
    if m:
        num = m.group(1)
        for pid, pnum in obs.project_numbers.items():
            if num in (pid, pnum):
                return pid
        if all(p in obs.project_numbers for p in projects):
            return None
    return key.project_id or obs.target.project


def _uses_no_cloudsql(obs: Facts) -> bool:
    """Nothing attached, no instance named, no database setting, no proxy sidecar: the workload
    does not use Cloud SQL, so whether the Admin API is on is none of its business (gcpdiag's
    captured cloudrun1 project has the API off and a hello-world service)."""
    run, app = obs.run, obs.app
    if run is None or app is None or run.attached or obs.refs or obs.refs_unknown() is not None:
        return False
    return not app.readable and not app.secret and app.answer is None and not run.has_proxy_sidecar


def evaluate(obs: Facts) -> CheckResult:
    if _uses_no_cloudsql(obs):
        return CheckResult.skipped(
            f"This {obs.target.kind} does not use Cloud SQL ({obs.target.name} attaches no instance, "
            "names none and sets no database variable), so the Cloud SQL Admin API does not matter to it."
        )
    projects = _projects(obs)
    unknown: list[str] = []
    evidence: list[Evidence] = []
    for p in projects:
        state = obs.service_enabled(p, _SERVICE)
        ev = Evidence(USAGE, "state", "ENABLED" if state else "DISABLED" if state is False else None,
                      USAGE_API, f"projects/{p}/services/{_SERVICE}")
        if state is False:
            return failed(
                f"The Cloud SQL Admin API is disabled in project {p}, so the Cloud SQL connection "
                f"of {obs.target.kind} {obs.target.name} cannot look the instance up or get "
                "certificates.",
                [ev], {**base_params(obs), "project": p, "service": _SERVICE},
                [(f"{_SERVICE} in {p}", "ENABLED", "DISABLED")], EnableApi(p, _SERVICE),
            )
        if state is None:
            f = obs.failure(FactKey.usage(p, _SERVICE))
            read_there = obs.read_in(p)
            if p != obs.target.project and (not read_there or (f is not None and f.kind == "not-found")):
                continue  # a project only named by a wrong connection name (instance-not-found)
            unknown.append(f"{p} ({f.explain() if f else 'not read'})")
        else:
            evidence.append(ev)

    # A SERVICE_DISABLED answer to one of our own sqladmin reads is the same fact, seen sideways.
    stray: list[str] = []
    for key, f in obs.failures_of(*_SQLADMIN_READS):
        about_sqladmin = f.service == _SERVICE or (f.service is None and f.api == "sqladmin")
        if f.kind != "api-disabled" or not about_sqladmin:
            continue
        p = _project_of_failure(obs, projects, key, f.message)
        ev = Evidence(SQL, "error", f.explain(), SQL_API, f.resource)
        if p is None:
            stray.append(f.explain())
            continue
        return failed(
            f"The Cloud SQL Admin API is disabled in project {p} (the API answered SERVICE_DISABLED), "
            f"so the Cloud SQL connection of {obs.target.kind} {obs.target.name} cannot work.",
            [ev], {**base_params(obs), "project": p, "service": _SERVICE},
            [(f"{_SERVICE} in {p}", "ENABLED", "DISABLED")], EnableApi(p, _SERVICE),
        )
    if stray:
        return CheckResult.uncertain(
            "The Cloud SQL Admin API is disabled in the project our own credentials bill to, not "
            f"necessarily in {', '.join(projects)}: {stray[0]}."
        )
    if unknown:
        return CheckResult.uncertain(
            f"Cannot tell whether {_SERVICE} is enabled in {'; '.join(unknown)}.", *evidence
        )
    return CheckResult.ok(f"{_SERVICE} is enabled in {', '.join(projects)}.", *evidence)


CHECKS = (
    Check.reporting("sqladmin-api-disabled", probes=(RUN_CONFIG, PROJECT, APP, SQL, USAGE, DBUSERS),
                    judge=evaluate),
)
