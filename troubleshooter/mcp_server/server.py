"""The MCP tools, each a thin call into the engine: diagnose, scan, explain, plan_fix, apply_fix, list_scenarios.

One Workspace (Google Cloud, or the sandbox on `--world`) lives as long as the server; every tool
call opens its own Troubleshooting session on it, so calls share nothing but the workspace. Writes
go only through `Troubleshooting.apply` (the engine's one write path with its read-only gate and
the fix contracts' own refusals), one at a time, and only for a plan whose token matches a fresh
plan of the same change on the same resource version (tokens.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from troubleshooter.catalog import FINDINGS, ROOT_CAUSES
from troubleshooter.engine.troubleshooting import Troubleshooting
from troubleshooter.engine.workspace import Workspace
from troubleshooter.errors import BadInput, CloudUnreachable
from troubleshooter.failures import ApiFailure
from troubleshooter.fixes.base import CauseNotPresent, FixPlan, Refused, show_value
from troubleshooter.graph import DecisionGraph
from troubleshooter.mcp_server.results import (
    ApplyResult,
    ChangeRow,
    ExplainResult,
    FixInfo,
    PlanResult,
    ProbeRead,
    ScenarioInfo,
    ScenarioList,
)
from troubleshooter.mcp_server.tokens import PlanTokens, resource_version
from troubleshooter.model import Target
from troubleshooter.output import DiagnosisOut, ScanOut
from troubleshooter.probes import REGISTRY as PROBES
from troubleshooter.redact import redact, redact_obj

T = TypeVar("T")

INSTRUCTIONS = """\
Finds why a Cloud Run service or job cannot reach its Cloud SQL database, and fixes it.
Start with `diagnose` (target: project, region, and service or job; omitted parts default like
gcloud, or to the world the server serves). Each root cause has an id from the catalog; `explain`
tells what a cause or check means, what evidence decides it, how it is fixed and prevented.
To fix: `plan_fix` shows the exact gcloud commands and the resource change and returns a token;
show the plan to the user, and only with their consent call `apply_fix` with that token. A token
is valid only for that exact plan on the resource as it was: if anything changed, plan again.
To survey many at once, `scan` a project, folder or organization: one verdict per target.
No output contains secret values."""

Project = Annotated[str | None, Field(description="Project id (default: gcloud's, or the world's target).")]
Region = Annotated[str | None, Field(description="Region, e.g. us-central1 (default: gcloud's, or the world's).")]
Service = Annotated[str | None, Field(description="Cloud Run service name (or give `job`).")]
Job = Annotated[str | None, Field(description="Cloud Run job name (or give `service`).")]
CauseId = Annotated[str, Field(description="A root-cause or finding id from diagnose, e.g. cloudsql-not-attached.")]


@dataclass
class Server:
    """What the tools share: the workspace, the mode, the token key, the write lock."""

    workspace: Workspace
    read_only: bool = False
    world: str | None = None
    read_secrets: bool = False      # `mcp --read-secrets`: the operator's consent, for every call
    tokens: PlanTokens = field(default_factory=PlanTokens)
    _write: threading.Lock = field(default_factory=threading.Lock)

    @property
    def graph(self) -> DecisionGraph:
        return self.workspace.graph

    def target(self, project: str | None, region: str | None, service: str | None, job: str | None) -> Target:
        return self.workspace.target(project, region, service, job)

    def session(self, target: Target, answers: dict[str, str] | None = None) -> Troubleshooting:
        return Troubleshooting.begin(self.workspace, target, read_only=self.read_only, answers=answers,
                                     read_secrets=self.read_secrets)

    def diagnosed(self, target: Target, *, symptom: str | None = None,
                  answers: dict[str, str] | None = None) -> Troubleshooting:
        engine = self.session(target, answers)
        engine.diagnose(symptom=symptom)
        engine.require_readable()
        return engine

    # -- the tools --------------------------------------------------------------------

    def diagnose(self, project: Project = None, region: Region = None, service: Service = None,
                 job: Job = None,
                 symptom: Annotated[str | None, Field(description="Start from this symptom id instead of the one the logs point at.")] = None,
                 answers: Annotated[dict[str, str] | None, Field(description="Answers to questions no probe can decide, e.g. {\"app-connection\": \"unix-socket\"}.")] = None,
                 ) -> DiagnosisOut:
        """Run every probe and walk the decision graph: the root causes (with evidence and the exact
        fix commands), findings, the path walked and each probe's outcome. Same JSON as
        `troubleshooter diagnose --format json`."""
        engine = _tool(lambda: self.diagnosed(self.target(project, region, service, job),
                                              symptom=symptom, answers=answers))
        diagnosis = engine.session.current
        assert diagnosis is not None
        return DiagnosisOut.model_validate(redact_obj(diagnosis.to_json()))

    def scan(self, project: Annotated[str | None, Field(description="Scan this project (default: gcloud's, or the world's target).")] = None,
             folder: Annotated[str | None, Field(description="Scan every project under this folder (its number).")] = None,
             organization: Annotated[str | None, Field(description="Scan every project of this organization (its number).")] = None,
             region: Annotated[str | None, Field(description="Only this region (a project scan defaults to gcloud's, or the world's).")] = None,
             all_regions: Annotated[bool, Field(description="Every region (the default for a folder or organization).")] = False,
             ) -> ScanOut:
        """Every Cloud Run service and job in scope, one verdict each (root causes, findings,
        what stayed undecided), worst first, with the API calls the scan made. Same JSON as
        `troubleshooter scan --format json`; call `diagnose` on one target for its full walk."""
        from troubleshooter.engine.fleet import resolve_scope, scan_workspace

        def run() -> ScanOut:
            t = self.workspace.world_target
            scope = resolve_scope(project, folder, organization, region, all_regions,
                                  fallback_project=t.project if t else None,
                                  fallback_region=t.region if t else None)
            found = scan_workspace(self.workspace, scope, read_secrets=self.read_secrets)
            return ScanOut.model_validate(redact_obj(found.to_json()))

        return _tool(run)

    def explain(self, id: Annotated[str, Field(description="A cause, finding, check or symptom: "
                                                           "`cloudsql-not-attached`, `cause:...`, `check:attachment`, `symptom:...`.")]
                ) -> ExplainResult:
        """What a decision-tree node means: why it matters, which probes' evidence decides it, its
        fix and how to prevent it (from the decision tree; no target needed)."""
        return _tool(lambda: explain(self.graph, id))

    def plan_fix(self, cause: CauseId, project: Project = None, region: Region = None,
                 service: Service = None, job: Job = None,
                 subnet: Annotated[str | None, Field(description="private-ip-without-vpc-egress: the subnet for Direct VPC egress, when it cannot be derived.")] = None,
                 ) -> PlanResult:
        """Diagnose, then plan the fix of one root cause from fresh reads: the exact gcloud commands,
        the resource change (before/after), the risk, and the token apply_fix needs. Changes nothing."""
        def plan() -> PlanResult:
            target = self.target(project, region, service, job)
            engine = self.diagnosed(target)
            fix = _plan(engine, cause, subnet)
            token = None
            if fix.automatic and not self.read_only:
                token = self.tokens.mint(target, fix, resource_version(self.workspace.gateway, fix.resource))
            engine.record(fix, "dry-run")
            return plan_result(fix, token, self.read_only)

        return _tool(plan)

    def apply_fix(self, cause: CauseId,
                  token: Annotated[str, Field(description="The token plan_fix returned for this plan.")],
                  project: Project = None, region: Region = None, service: Service = None, job: Job = None,
                  subnet: Annotated[str | None, Field(description="The same subnet given to plan_fix, if any.")] = None,
                  ) -> ApplyResult:
        """Apply the plan plan_fix returned (only with its token, only with the user's consent), then
        re-run every probe and say whether the cause is gone. Refused in --read-only, for a manual
        plan, or when the resource changed since the plan (plan again)."""
        if self.read_only:
            raise ToolError("refused: the server runs --read-only; nothing is ever written")
        if not token:
            raise ToolError(f"refused: apply_fix needs the token plan_fix returned for {cause}; "
                            "call plan_fix and show the user the plan first")

        def apply() -> ApplyResult:
            target = self.target(project, region, service, job)
            with self._write:
                engine = self.diagnosed(target)
                fix = _plan(engine, cause, subnet)
                if not fix.automatic:
                    raise ToolError(f"refused: {cause} has no automatic fix; follow its steps by hand")
                version = resource_version(self.workspace.gateway, fix.resource)
                if not token or not self.tokens.verify(token, target, fix, version):
                    engine.refused(cause, "no valid plan token")
                    raise ToolError(f"refused: the token does not match the current plan for {cause} on "
                                    f"{target.describe()} (missing, from another plan, or {fix.resource} "
                                    "changed since plan_fix); call plan_fix again and show the user the plan")
                applied = engine.apply(cause, plan=fix)
            after = engine.session.current
            return ApplyResult(cause=cause, outcome=applied.outcome, verified=applied.verified,  # type: ignore[arg-type]
                               verification=redact(applied.verification),
                               error=redact(applied.error) if applied.error else None,
                               rootCausesAfter=list(after.cause_ids) if after is not None else [])

        return _tool(apply)

    def list_scenarios(self) -> ScenarioList:
        """The built-in sandbox worlds (`troubleshooter mcp --world NAME` serves one), and which is served."""
        from troubleshooter.scenarios import list_scenarios

        return ScenarioList(scenarios=[ScenarioInfo(name=s.name, title=s.title, served=s.name == self.world)
                                       for s in list_scenarios()])


def _plan(engine: Troubleshooting, cause: str, subnet: str | None) -> FixPlan:
    try:
        return engine.plan(cause, {"subnet": subnet} if subnet else None)
    except CauseNotPresent:
        found = ", ".join(engine.session.current.cause_ids) if engine.session.current else ""
        raise ToolError(f"{cause} is not present in {engine.target.describe()}: nothing to fix "
                        f"(root causes found: {found or 'none'})") from None
    except Refused as exc:
        engine.refused(cause, str(exc))
        raise ToolError(f"refused: {exc}") from None


def _tool(fn: Callable[[], T]) -> T:
    """Engine errors as tool errors (the model reads them), never a crashed server."""
    try:
        return fn()
    except (BadInput, CloudUnreachable) as exc:
        raise ToolError(redact(str(exc))) from None
    except ApiFailure as exc:
        raise ToolError(redact(exc.explain())) from None


def plan_result(plan: FixPlan, token: str | None, read_only: bool) -> PlanResult:
    return PlanResult(
        cause=plan.cause, fixId=plan.fix_id, title=plan.title, summary=redact(plan.summary),
        automatic=plan.automatic, commands=list(plan.commands), steps=[redact(s) for s in plan.steps],
        change=[ChangeRow(field=f, before=redact(show_value(b)), after=redact(show_value(a)))
                for f, b, a in plan.change],
        risk=plan.risk, resource=plan.resource, notes=[redact(n) for n in plan.notes],
        token=token, readOnly=read_only)


def explain(graph: DecisionGraph, ident: str) -> ExplainResult:
    """A node of the decision graph, found by its id with or without the kind prefix."""
    node = graph.nodes.get(ident)
    if node is None:
        for kind in ("cause", "finding", "check", "symptom", "question"):
            node = graph.nodes.get(f"{kind}:{ident}")
            if node is not None:
                break
    if node is None:
        raise BadInput(f"unknown id {ident!r}: a cause or finding ({', '.join(ROOT_CAUSES[:3])}, ... "
                       f"{', '.join(FINDINGS[:1])}, ...), a check (check:attachment) or a symptom")
    spec = node.spec
    deciders = [n for n in graph.check_nodes() if node.id in n.spec.routes.get("failed", [])]
    probe_ids: list[str] = []
    for n in ([node] if node.kind == "check" else deciders):
        probe_ids += [p for p in n.probes if p not in probe_ids]
    fix = None
    if spec.fix is not None:
        fix = FixInfo(id=spec.fix.id, automatic=spec.fix.automatic, steps=list(spec.fix.steps), risk=spec.fix.risk)
    leads: dict[str, list[str]] = dict(spec.routes) if spec.routes else ({"next": list(spec.next)} if spec.next else {})
    return ExplainResult(
        id=node.id, kind=node.kind, title=node.title, why=" ".join(node.why.split()),  # type: ignore[arg-type]
        evidence=[ProbeRead(id=p, title=PROBES[p].title if p in PROBES else p) for p in probe_ids],
        decidedBy=[n.id for n in deciders], leadsTo=leads, fix=fix, prevention=list(spec.prevention),
        severity=spec.severity, examples=list(spec.examples))


def build(server: Server) -> MCPServer[Any]:
    """The MCP server with the tools bound to `server`."""
    # Warnings only on stderr: an agent's client shows the server's stderr to the user.
    app: MCPServer[Any] = MCPServer("troubleshooter", instructions=INSTRUCTIONS, log_level="WARNING")
    reads = ToolAnnotations(read_only_hint=True, open_world_hint=True)
    app.add_tool(server.diagnose, name="diagnose", annotations=reads, structured_output=True)
    app.add_tool(server.scan, name="scan", annotations=reads, structured_output=True)
    app.add_tool(server.explain, name="explain", annotations=ToolAnnotations(read_only_hint=True),
                 structured_output=True)
    app.add_tool(server.plan_fix, name="plan_fix", annotations=reads, structured_output=True)
    app.add_tool(server.apply_fix, name="apply_fix",
                 annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=True),
                 structured_output=True)
    app.add_tool(server.list_scenarios, name="list_scenarios", annotations=ToolAnnotations(read_only_hint=True),
                 structured_output=True)
    return app


def serve(world: str | None, *, read_only: bool, env: Any, read_secrets: bool = False) -> None:
    """Serve on stdio until the client closes it; the workspace (and sandbox) closes with it."""
    with Workspace.open(world, env=env) as workspace:
        name = world if world and "/" not in world and not world.endswith((".yaml", ".yml", ".json")) else None
        build(Server(workspace, read_only=read_only, world=name, read_secrets=read_secrets)).run("stdio")
