"""Probe `project`: the target project's number, from Resource Manager v3 `projects.get`.

The number (`name` is `projects/NUMBER`) names the default compute service account
(`NUMBER-compute@developer.gserviceaccount.com`), which runs every revision that sets no
`serviceAccount`; and API errors such as "Cloud SQL Admin API has not been used in project
NUMBER" quote the number, not the id. The read is shared with `run-config` (one call per run).

Permission: `resourcemanager.projects.get`.
"""

from __future__ import annotations

from troubleshooter.facts import sources
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.names import short
from troubleshooter.model import Evidence, Outcome, ProbeResult
from troubleshooter.probes.base import Probe, ProbeContext
from troubleshooter.probes.common import record, settle

ID = sources.PROJECT


def run(ctx: ProbeContext) -> ProbeResult:
    project = ctx.target.project
    key = FactKey.project(project)
    raw, failure = settle(ctx.fetch.get(key, lambda: ctx.gateway.get_project(project)))
    if failure is not None:
        record(ctx, key, failure)
        return ProbeResult(ID, Outcome.UNCERTAIN, failure.explain(), failures=[failure])
    assert raw is not None
    number = short(raw.get("name"))
    with ctx.obs.lock:
        ctx.obs.project_numbers[project] = number
    evidence = [Evidence(ID, "name", raw.get("name"), sources.CRM_API, f"projects/{project}")]
    return ProbeResult(ID, Outcome.OK, f"project {project} is number {number}", evidence)


PROBE = Probe(id=ID, title="Project", needs=(), run=run)
