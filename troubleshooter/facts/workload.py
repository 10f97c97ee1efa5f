"""The Cloud Run side as the checks read it: evidence of the config, its Cloud SQL attachment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from troubleshooter.facts import sources
from troubleshooter.model import Evidence, RunConfig

ATTACHMENT_FIELD = "volumes[].cloudSqlInstance.instances"
ANNOTATION_NOTE = "v1/gcloud form: annotation run.googleapis.com/cloudsql-instances"


def run_ev(run: RunConfig, field: str, value: Any, note: str = "") -> Evidence:
    return Evidence(sources.RUN_CONFIG, f"{run.template_path}.{field}", value, sources.RUN_API,
                    run.name, note)


@dataclass(frozen=True)
class Attachment:
    """The Cloud SQL connections of what actually serves, and the evidence saying so."""

    names: tuple[str, ...]     # byte-exact
    evidence: Evidence
