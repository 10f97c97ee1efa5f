"""The blocking work the app runs in thread workers; each posts its results as messages.

What a job needs is imported when the job runs, in its worker: none of it is needed to paint."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable

from textual.message import Message

from troubleshooter.failures import ApiFailure
from troubleshooter.tui import messages as m

if TYPE_CHECKING:
    from troubleshooter.engine.workspace import Workspace
    from troubleshooter.tui.launch import Launch
    from troubleshooter.runner import ProbeEvent
    from troubleshooter.engine.run import DiagnosisRun
    from troubleshooter.engine.troubleshooting import Troubleshooting
    from troubleshooter.fixes.base import FixPlan
    from troubleshooter.graph import DecisionGraph
    from troubleshooter.diagnosis import Diagnosis

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
    from troubleshooter.engine.tree import load_graph as load

    post(m.GraphLoaded(load()))


def list_scenarios(post: Post) -> None:
    from troubleshooter.scenarios import list_scenarios as listed
    from troubleshooter.scenarios import scenario_description, scenario_resolution

    infos = listed()
    post(m.ScenariosListed([(info, scenario_description(info.path)) for info in infos],
                           {info.name: scenario_resolution(info.path) for info in infos}))


def prepare_drill(post: Post, name: str, graph: "DecisionGraph | None" = None) -> None:
    """Diagnose scenario `name` once on its own sandbox (closed after): the drill's answers."""
    from troubleshooter.training import prepare

    post(m.DrillPrepared(prepare(name, graph)))


def open_workspace(post: Post, world: str | None, latency: float = 0.0, graph: "DecisionGraph | None" = None) -> None:
    """The sandbox on `world` (a scenario name or file) or Google Cloud; the graph unless given."""
    from troubleshooter.engine.workspace import Workspace

    post(m.WorkspaceOpened(Workspace.open(world, env=os.environ, latency=latency, graph=graph), world))


def list_choices(post: Post, workspace: "Workspace", step: str, project: str | None, region: str | None) -> None:
    """Projects (from Resource Manager), regions, or the services and jobs of a project's region."""
    try:
        if step == "project":
            found = workspace.gateway.search_projects("")
            choices = sorted(
                ((p.get("projectId", ""), f"{p.get('projectId', '')}  {p.get('displayName', '')}".rstrip())
                 for p in found if p.get("projectId")),
            )
        elif step == "region":
            choices = [(r, r) for r in REGIONS]
        else:
            assert project and region
            services = workspace.gateway.list_services(project, region)
            jobs = workspace.gateway.list_jobs(project, region)
            choices = [(f"service:{_short(s['name'])}", f"service  {_short(s['name'])}") for s in services]
            choices += [(f"job:{_short(j['name'])}", f"job      {_short(j['name'])}") for j in jobs]
    except ApiFailure as failure:
        post(m.ChoicesListed(step, [], failure.explain()))
        return
    post(m.ChoicesListed(step, choices))


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def run_probes(post: Post, run: "DiagnosisRun", workspace: "Workspace") -> None:
    """Every probe at once; each start and finish is posted, and recorded on the event loop."""

    def listener(event: "ProbeEvent") -> None:
        if event.result is None:
            post(m.ProbeStarted(run, event.probe))
        else:
            post(m.ProbeFinished(run, event.result))

    run.execute(workspace.gateway, listener)


def plan_fix(post: Post, engine: "Troubleshooting", cause: str, options: dict[str, str] | None = None) -> None:
    """The plan shown for a cause; with `options` (a value the operator chose), the one to confirm."""
    planned = engine.plan(cause, options)
    post(m.ChosenFixPlanned(cause, planned) if options else m.FixPlanned(cause, planned))


def apply_fix(post: Post, engine: "Troubleshooting", cause: str, plan: "FixPlan") -> None:
    """Apply the plan confirmed in the modal, then re-run the probes; progress lines are posted."""
    result = engine.apply(cause, progress=lambda text: post(m.FixProgressed(text)), plan=plan)
    post(m.FixApplied(cause, result))


def run_scan(post: Post, workspace: "Workspace", launch: "Launch") -> None:
    """The scan the launch asks for (the world's project and region by default); progress is posted."""
    from troubleshooter.engine.fleet import resolve_scope, scan_workspace

    world = workspace.world_target
    scope = resolve_scope(launch.project, launch.folder, launch.organization, launch.region, launch.all_regions,
                          fallback_project=world.project if world else None,
                          fallback_region=world.region if world else None)
    post(m.ScanFinished(scan_workspace(workspace, scope, read_secrets=launch.read_secrets,
                                       progress=lambda done, total: post(m.ScanProgressed(done, total)))))


def find_working_sibling(post: Post, workspace: "Workspace", diagnosis: "Diagnosis") -> None:
    """Services and jobs of the region on the same instance (two list calls), decided by the
    engine; the first healthy one is compared with the target (no further reads)."""
    from troubleshooter.engine.compare import compare_diagnoses, working_sibling

    found = working_sibling(workspace.gateway, workspace.graph, diagnosis)
    post(m.SiblingCompared(compare_diagnoses(diagnosis, found[1]) if found else None))


def close_workspace(workspace: "Workspace") -> None:
    workspace.close()
