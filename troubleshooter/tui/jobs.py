"""The blocking work the app runs in thread workers; each posts its results as messages."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable

from textual.message import Message

from troubleshooter.tui import messages as m

if TYPE_CHECKING:
    from troubleshooter.model import Target
    from troubleshooter.session import Session
    from troubleshooter.tui.backend import Backend
    from troubleshooter.tui.run import ProbeRun

Post = Callable[[Message], object]

# Cloud Run regions (the picker's list; a region typed in the search box is taken as is).
REGIONS = (
    "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2",
    "us-west3", "us-west4", "northamerica-northeast1", "northamerica-northeast2",
    "northamerica-south1", "southamerica-east1", "southamerica-west1", "europe-west1",
    "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8",
    "europe-west9", "europe-west10", "europe-west12", "europe-north1", "europe-north2",
    "europe-central2", "europe-southwest1", "me-central1", "me-central2", "me-west1",
    "africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2",
    "asia-northeast3", "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2",
    "australia-southeast1", "australia-southeast2",
)  # fmt: skip


def load_graph(post: Post) -> None:
    from troubleshooter.graph import load_graph as load

    post(m.GraphLoaded(load()))


def list_scenarios(post: Post) -> None:
    from troubleshooter.scenarios import list_scenarios as listed
    from troubleshooter.tui.backend import scenario_description

    post(m.ScenariosListed([(info, scenario_description(info.path)) for info in listed()]))


def open_backend(post: Post, world: str | None, latency: float = 0.0) -> None:
    from troubleshooter.tui.backend import open_backend as opened, world_path

    post(m.BackendOpened(opened(world_path(world) if world else None, os.environ, latency), world))


def list_choices(post: Post, backend: "Backend", step: str, project: str | None, region: str | None) -> None:
    """Projects (from Resource Manager), regions, or the services and jobs of a project's region."""
    from troubleshooter.failures import ApiFailure

    try:
        if step == "project":
            found = backend.gateway.search_projects("")
            choices = sorted(
                ((p.get("projectId", ""), f"{p.get('projectId', '')}  {p.get('displayName', '')}".rstrip())
                 for p in found if p.get("projectId")),
            )
        elif step == "region":
            choices = [(r, r) for r in REGIONS]
        else:
            assert project and region
            services = backend.gateway.list_services(project, region)
            jobs = backend.gateway.list_jobs(project, region)
            choices = [(f"service:{_short(s['name'])}", f"service  {_short(s['name'])}") for s in services]
            choices += [(f"job:{_short(j['name'])}", f"job      {_short(j['name'])}") for j in jobs]
    except ApiFailure as failure:
        post(m.ChoicesListed(step, [], failure.explain()))
        return
    post(m.ChoicesListed(step, choices))


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def run_probes(post: Post, run: "ProbeRun", backend: "Backend") -> None:
    """Every probe at once; each start and finish is posted as it happens."""
    from troubleshooter.probes import ALL_PROBES
    from troubleshooter.runner import ProbeEvent, run_probes as run_all

    def listener(event: ProbeEvent) -> None:
        if event.result is None:
            post(m.ProbeStarted(run, event.probe))
        else:
            post(m.ProbeFinished(run, event.result))

    run_all(run.target, backend.gateway, ALL_PROBES, signatures=run.graph.signatures(),
            listener=listener, obs=run.obs)


def plan_fix(post: Post, session: "Session", cause: str, backend: "Backend",
             options: dict[str, str] | None = None) -> None:
    """The plan shown for a cause; with `options` (a value the operator chose), the one to confirm."""
    from troubleshooter.fixes.plans import plan_fix as plan

    assert session.current is not None
    planned = plan(session.current, cause, backend.gateway, read_only=session.read_only, options=options)
    post(m.ChosenFixPlanned(cause, planned) if options else m.FixPlanned(cause, planned))


def apply_fix(post: Post, session: "Session", cause: str, plan: object, backend: "Backend") -> None:
    """Apply the plan confirmed in the modal, then re-run the probes; progress lines are posted."""
    from troubleshooter.fixes.apply import apply_and_verify

    result = apply_and_verify(session, cause, backend.gateway,
                              progress=lambda text: post(m.FixProgressed(text)), plan=plan)  # type: ignore[arg-type]
    post(m.FixApplied(cause, result))


def close_backend(backend: "Backend") -> None:
    backend.close()


def target_of(values: dict[str, str | None]) -> "Target | None":
    from troubleshooter.model import Target

    if values.get("project") and values.get("region") and (values.get("service") or values.get("job")):
        return Target(project=values["project"], region=values["region"],  # type: ignore[arg-type]
                      service=values.get("service"), job=values.get("job"))
    return None
