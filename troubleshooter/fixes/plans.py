"""From a diagnosed cause to its fix plan: fresh reads through the gateway, exact commands, the change."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Callable, Mapping, TypeVar

from troubleshooter.catalog import FINDINGS, NETWORK_CAUSE, ROOT_CAUSES
from troubleshooter.diagnosis import Diagnosis, Reported, fill
from troubleshooter.dsn.names import connection_name_problem
from troubleshooter.errors import BadInput
from troubleshooter.facts.names import clean
from troubleshooter.failures import ApiFailure
from troubleshooter.fixes import iam, instance, run_edit
from troubleshooter.fixes.base import (
    ApplyOutcome,
    CauseNotPresent,
    FixPlan,
    Progress,
    Refused,
    redacted_change,
)
from troubleshooter.gateway import Gateway
from troubleshooter.model import Target
from troubleshooter.redact import REDACTED
from troubleshooter.remedies import commands as cmd
from troubleshooter.remedies.contracts import (
    AddVpcEgress,
    AttachInstance,
    EnableApi,
    FixInput,
    GrantRole,
    SetConnectionName,
    SetEgressPrivateRanges,
    StartInstance,
)

C = TypeVar("C", bound=FixInput)
NETWORK_FIX = "authorize-network"


@dataclass(frozen=True)
class FixContext:
    """What a planner needs: the diagnosis, the cause as reported, the gateway, the options."""

    diagnosis: Diagnosis
    reported: Reported
    fix_id: str
    gateway: Gateway
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> Target:
        return self.diagnosis.target

    @property
    def params(self) -> dict[str, Any]:
        return self.reported.params

    def plan(self, **kw: Any) -> FixPlan:
        r = self.reported
        kw.setdefault("title", r.title)
        kw.setdefault("summary", r.summary)
        kw.setdefault("risk", fill(r.risk, r.params))
        kw.setdefault("fix_id", self.fix_id)
        return FixPlan(cause=r.id, **kw)


Planner = Callable[[FixContext], FixPlan]


# --------------------------------------------------------------------------- entry point


def find_reported(diagnosis: Diagnosis, cause_id: str) -> Reported:
    """The cause (or finding) as the diagnosis reported it; BadInput for an id not in the catalog."""
    if cause_id not in ROOT_CAUSES and cause_id not in FINDINGS:
        raise BadInput(f"unknown cause {cause_id!r}; known: {', '.join(ROOT_CAUSES + FINDINGS)}")
    for item in diagnosis.causes + diagnosis.findings:
        if item.id == cause_id:
            return item
    raise CauseNotPresent(f"{cause_id} was not found in {diagnosis.target.describe()}")


def plan_fix(diagnosis: Diagnosis, cause_id: str, gateway: Gateway, *,
             options: Mapping[str, Any] | None = None) -> FixPlan:
    """The fix plan for one diagnosed cause: automatic when it can be applied safely, else manual steps."""
    if (options or {}).get("authorize_network") and cause_id != NETWORK_CAUSE:
        raise BadInput(f"an authorized network only addresses {NETWORK_CAUSE}, not {cause_id}")
    reported = find_reported(diagnosis, cause_id)
    node = diagnosis.graph.cause_node(cause_id)
    spec = node.spec.fix if node is not None else None
    fix_id = spec.id if spec is not None else f"{cause_id}-steps"
    ctx = FixContext(diagnosis, reported, fix_id, gateway, dict(options or {}))
    if ctx.options.get("authorize_network"):
        return plan_network(ctx)
    planner = PLANNERS.get(fix_id)
    if planner is None or not (spec is not None and spec.automatic):
        return manual(ctx)
    return planner(ctx)


def manual(ctx: FixContext, why: str = "", steps: list[str] | None = None,
           commands: list[str] | None = None) -> FixPlan:
    """Steps for a person, filled with the real names; nothing the tool applies itself."""
    r = ctx.reported
    notes = [f"not applied automatically: {why}"] if why else []
    if commands is None:
        commands = [] if steps else list(r.commands)
    return ctx.plan(commands=commands, change=[], automatic=False,
                    steps=steps or list(r.steps) or list(r.commands), notes=notes)


# --------------------------------------------------------------------------- Cloud Run edits


def _run_plan(ctx: FixContext, edit: run_edit.Edit, commands: list[str], current: dict[str, Any],
              notes: list[str] | None = None) -> FixPlan:
    target, gateway = ctx.target, ctx.gateway
    wanted = run_edit.edited(current, edit)
    notes = list(notes or [])
    if any(REDACTED in c for c in commands):
        notes.append(f"{REDACTED} in the command stands for a secret the tool will not print: the "
                     "API change keeps the real value (better still, move it to Secret Manager)")
    if wanted == current:
        notes.append(f"{target.kind} {target.name} already has this change: applying writes nothing")

    def apply(progress: Progress) -> ApplyOutcome:
        return run_edit.update(gateway, target, edit, progress)

    return ctx.plan(commands=commands, change=redacted_change(current, wanted), automatic=True,
                    resource=target.resource_name, notes=notes, applier=apply)


def _contract(ctx: FixContext, kind: type[C]) -> C | None:
    """The check's typed contract for this fix, when it is of the kind this planner takes."""
    fix = ctx.reported.fix
    return fix if isinstance(fix, kind) else None


def plan_attach(ctx: FixContext) -> FixPlan:
    c = _contract(ctx, AttachInstance)
    name = c.connection_name if c is not None else None
    if c is None or not name:
        return manual(ctx, "which instance to attach is unknown: none of the names the app uses "
                      "matches an instance that could be read")
    if connection_name_problem(name) is not None:
        return manual(ctx, f"the instance to attach, {name!r}, is not a valid connection name")
    kind = ctx.target.kind
    current = run_edit.read(ctx.gateway, ctx.target)
    # A job's command carries what is attached now: re-read, not what the diagnosis saw.
    c = replace(c, attached=tuple(run_edit.attached(run_edit.peek(current, kind))))
    edit = run_edit.chain(run_edit.clear_revision_name(kind), run_edit.attach(kind, name))
    notes = [] if c.verified else [f"{name} could not be confirmed to exist (its instance was not read)"]
    return _run_plan(ctx, edit, cmd.commands_for(c), current, notes)


def plan_connection_name(ctx: FixContext) -> FixPlan:
    c = _contract(ctx, SetConnectionName)
    if c is None or not c.editable:
        exact, where = (c.exact, c.where) if c is not None else (None, "the app's settings")
        steps = [f"Set the instance connection name in {where} to exactly {exact}"
                 if exact else "Find the instance's exact name: gcloud sql instances list "
                 f"--project={ctx.target.project} --format='value(connectionName)'",
                 "Store it without a trailing newline (printf '%s', not echo) and deploy again."]
        return manual(ctx, "the malformed name is not in a plain variable or the attachment that the tool can "
                      "edit (or its instance is unknown)", steps)
    kind = ctx.target.kind
    current = run_edit.read(ctx.gateway, ctx.target)
    edits: list[run_edit.Edit] = [run_edit.clear_revision_name(kind)]
    if c.attachment:
        edits.append(run_edit.replace_attached(kind, dict(c.attachment)))
    for variable, bad, exact in dict.fromkeys((e.variable, e.bad, e.exact) for e in c.env):
        edits.append(run_edit.replace_env(kind, variable, bad, exact))
    notes = [f"{v} could not be corrected automatically (its value does not hold the name as expected)"
             for v in dict.fromkeys(c.unfixable)]
    return _run_plan(ctx, run_edit.chain(*edits), cmd.commands_for(c), current, notes)


def _api_network(path: str | None) -> str | None:
    """The API takes a short name or `projects/P/...` (shared VPC); never a compute URL."""
    if path and path.startswith("https://"):
        return path.split("/compute/v1/", 1)[-1]
    return path


def plan_vpc_egress(ctx: FixContext) -> FixPlan:
    c = _contract(ctx, AddVpcEgress)
    if c is None:
        return manual(ctx, "the instance's private network is unknown")
    # Direct VPC egress needs a subnet with free addresses: only the operator knows which one,
    # unless the network is an auto-mode `default` (a `default` subnet in every region).
    if ctx.options.get("subnet"):
        c = replace(c, subnet=str(ctx.options["subnet"]))
    choice = c.choice
    if choice is not None:
        network = cmd.network_ref(c.network, ctx.target.project)
        return manual(ctx, f"the {choice.key} is yours to choose (pass --{choice.key})", [
            f"Pick a subnet of {c.network_name} in {ctx.target.region} with a free /26 "
            f"(gcloud compute networks subnets list --network={network} "
            f"--filter=region:{ctx.target.region}), then run the command above with it for {choice.placeholder}",
            f"or let this tool apply it: troubleshooter fix {ctx.reported.id} --{choice.key}=SUBNET_NAME --yes",
        ], commands=cmd.commands_for(c))
    kind = ctx.target.kind
    current = run_edit.read(ctx.gateway, ctx.target)
    edit = run_edit.chain(run_edit.clear_revision_name(kind), run_edit.set_vpc(
        kind, _api_network(c.network), _api_network(c.subnet), "PRIVATE_RANGES_ONLY"))
    return _run_plan(ctx, edit, cmd.commands_for(c), current)


def plan_egress_private(ctx: FixContext) -> FixPlan:
    c = _contract(ctx, SetEgressPrivateRanges) or SetEgressPrivateRanges(ctx.target)
    kind = ctx.target.kind
    current = run_edit.read(ctx.gateway, ctx.target)
    edit = run_edit.chain(run_edit.clear_revision_name(kind), run_edit.set_egress(kind, "PRIVATE_RANGES_ONLY"))
    return _run_plan(ctx, edit, cmd.commands_for(c), current)


# --------------------------------------------------------------------------- project and instance


def plan_enable_api(ctx: FixContext) -> FixPlan:
    c = _contract(ctx, EnableApi) or EnableApi(ctx.target.project)
    project, service = c.project, c.service
    gateway = ctx.gateway
    try:
        before = gateway.get_service_state(project, service).get("state") or "STATE_UNSPECIFIED"
    except ApiFailure as exc:
        before = "DISABLED" if exc.kind == "api-disabled" else f"unknown ({exc.explain()})"

    def apply(progress: Progress) -> ApplyOutcome:
        progress(f"enabling {service} in {project}")
        after = gateway.enable_service(project, service, progress)
        return ApplyOutcome(True, f"enabled {service} in {project} (state {after.get('state')})", 1,
                            f"projects/{project}/services/{service}", {"state": before}, after)

    return ctx.plan(commands=cmd.commands_for(c),
                    change=[(f"projects/{project}/services/{service}.state", before, "ENABLED")],
                    automatic=True, resource=f"projects/{project}/services/{service}", applier=apply)


def plan_grant(ctx: FixContext) -> FixPlan:
    c = _contract(ctx, GrantRole)
    if c is None:
        return manual(ctx, "the runtime service account is unknown")
    project, member, role = c.project, c.member, c.role
    iam.check_role(role)
    iam.check_member(member)
    gateway = ctx.gateway
    policy = gateway.get_iam_policy(project)
    wanted = iam.with_member(policy, role, member)
    change = [(f"projects/{project} bindings[{role}].members", iam.members_of(policy, role),
               iam.members_of(wanted, role))] if wanted != policy else []
    if wanted.get("version") != policy.get("version"):
        change.append((f"projects/{project} version", policy.get("version"), wanted.get("version")))
    notes = [] if change else [f"{member} already holds {role} unconditionally: applying writes nothing"]

    def apply(progress: Progress) -> ApplyOutcome:
        return iam.grant(gateway, project, member, role, progress)

    return ctx.plan(commands=cmd.commands_for(c), change=change, automatic=True,
                    resource=f"projects/{project}", notes=notes, applier=apply)


def _instance_ids(ctx: FixContext) -> tuple[str, str] | None:
    p = ctx.params
    name, project = p.get("instance"), p.get("instance_project")
    if (not name or not project) and p.get("connection_name"):
        parts = clean(p["connection_name"]).split(":")
        if len(parts) >= 3:
            project, name = ":".join(parts[:-2]), parts[-1]
    return (project, name) if name and project else None


def plan_start(ctx: FixContext) -> FixPlan:
    c = _contract(ctx, StartInstance)
    if c is None:
        return manual(ctx, "which instance is stopped is unknown")
    project, name = c.project, c.instance
    gateway = ctx.gateway
    current = gateway.get_instance(project, name)
    before = (current.get("settings") or {}).get("activationPolicy")

    def body_for(inst: dict[str, Any]) -> dict[str, Any] | None:
        policy = (inst.get("settings") or {}).get("activationPolicy")
        return None if policy == "ALWAYS" else instance.activation_body()

    def apply(progress: Progress) -> ApplyOutcome:
        return instance.patch(gateway, project, name, body_for, progress, "activationPolicy ALWAYS")

    change = [("settings.activationPolicy", before, "ALWAYS")] if before != "ALWAYS" else []
    return ctx.plan(commands=cmd.commands_for(c), change=change, automatic=True,
                    resource=f"{project}:{name}", applier=apply)


def plan_network(ctx: FixContext) -> FixPlan:
    """Add one authorized network the operator typed; refused when it is too wide."""
    ids = _instance_ids(ctx)
    if ids is None:
        raise Refused("which instance to authorize the network on is unknown")
    project, name = ids
    return plan_authorize_network(ctx, project, name, str(ctx.options["authorize_network"]),
                                  typed_by_user=bool(ctx.options.get("typed_by_user", False)))


def plan_authorize_network(ctx: FixContext, project: str, name: str, cidr: str, *,
                           typed_by_user: bool) -> FixPlan:
    network = instance.check_network(cidr, typed_by_user=typed_by_user)
    gateway = ctx.gateway
    current = gateway.get_instance(project, name)
    existing = instance.authorized(current)
    label = f"troubleshooter {ctx.target.name}"[:60]

    def body_for(inst: dict[str, Any]) -> dict[str, Any] | None:
        now = instance.authorized(inst)
        if any(e.get("value") == network for e in now):
            return None
        body = instance.networks_body(now, network, label)
        # The list is replaced whole: pass the settings version read so a concurrent change fails.
        version = (inst.get("settings") or {}).get("settingsVersion")
        if version:
            body["settings"]["settingsVersion"] = version
        return body

    def apply(progress: Progress) -> ApplyOutcome:
        return instance.patch(gateway, project, name, body_for, progress, f"authorized network {network} added")

    values = [e.get("value", "") for e in existing]
    after = values if network in values else [*values, network]
    return ctx.plan(
        fix_id=NETWORK_FIX, commands=[cmd.authorized_networks(name, project, after)],
        change=[("settings.ipConfiguration.authorizedNetworks", values, after)] if after != values else [],
        automatic=True, resource=f"{project}:{name}", applier=apply,
        risk="Clients from that network may reach the instance's public IP. Cloud Run's own egress "
             "IPs are dynamic: prefer the /cloudsql socket or a connector.",
        notes=[f"{network} was typed by you" if typed_by_user else f"{network} was derived"],
    )


PLANNERS: Mapping[str, Planner] = MappingProxyType({
    "enable-sqladmin-api": plan_enable_api,
    "attach-cloudsql-instance": plan_attach,
    "set-connection-name": plan_connection_name,
    "grant-cloudsql-client": plan_grant,
    "start-instance": plan_start,
    "add-vpc-egress": plan_vpc_egress,
    "set-vpc-egress-private-ranges": plan_egress_private,
})
