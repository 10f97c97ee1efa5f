"""The gcloud commands a person would run for each fix: real names, correct flags, shell-quoted.

`commands_for` is the one author of a fix's command: diagnose, fix, the TUI and the report show it.
"""

from __future__ import annotations

import shlex
from typing import Iterable, Sequence

from troubleshooter.model import Target
from troubleshooter.redact import redact
from troubleshooter.remedies.contracts import (
    CLIENT_ROLE,
    SQLADMIN,
    AddVpcEgress,
    AttachInstance,
    EnableApi,
    EnableSecretVersion,
    FixInput,
    GrantRole,
    GrantSecretAccess,
    SetConnectionName,
    SetEgressPrivateRanges,
    SecretVersionFix,
    StartInstance,
)

__all__ = ["CLIENT_ROLE", "SQLADMIN", "commands_for"]

# gcloud splits list flags on commas; `^D^` switches the delimiter when a value holds one.
_DELIMITERS = ("@", "|", "#", ";", "~")


def shell(args: Sequence[str]) -> str:
    """One command line, each argument quoted only when the shell needs it; secrets masked."""
    return redact(shlex.join(args))


def _list_flag(flag: str, items: Iterable[str], sep: str = ",") -> str:
    values = list(items)
    joined = sep.join(values)
    if not any(sep in v for v in values):
        return f"{flag}={joined}"
    delim = next(d for d in _DELIMITERS if not any(d in v for v in values))
    return f"{flag}=^{delim}^" + delim.join(values)


def run_update(kind: str, name: str, region: str, project: str, *flags: str) -> str:
    """`gcloud run services|jobs update NAME --region=R --project=P FLAGS...`"""
    return shell(["gcloud", "run", f"{kind}s", "update", name, f"--region={region}",
                  f"--project={project}", *flags])


def attach_flags(kind: str, existing: Sequence[str], connection_name: str) -> list[str]:
    """Services add to the list; `gcloud run jobs update` only sets it, so carry the existing ones."""
    if kind == "service":
        return [f"--add-cloudsql-instances={connection_name}"]
    names = [n for n in existing if n != connection_name] + [connection_name]
    return [_list_flag("--set-cloudsql-instances", names)]


def set_attachment_flags(names: Sequence[str]) -> list[str]:
    """Replace the whole attachment (a bad name with \\r cannot be typed into --remove-...)."""
    return [_list_flag("--set-cloudsql-instances", names)]


def env_flags(pairs: Sequence[tuple[str, str]], container: str | None = None) -> list[str]:
    """`--update-env-vars=K=V,...` (for `container` when the template has several)."""
    flags = [f"--container={container}"] if container else []
    return flags + [_list_flag("--update-env-vars", [f"{k}={v}" for k, v in pairs])]


def vpc_flags(network: str | None, subnet: str | None, egress: str = "private-ranges-only") -> list[str]:
    flags = []
    if network:
        flags.append(f"--network={network}")
    if subnet:
        flags.append(f"--subnet={subnet}")
    return flags + [f"--vpc-egress={egress}"]


def enable_api(project: str, service: str = SQLADMIN) -> str:
    return shell(["gcloud", "services", "enable", service, f"--project={project}"])


def grant_role(project: str, member: str, role: str = CLIENT_ROLE) -> str:
    # --condition=None: an unconditional binding, and no prompt when the policy has conditions.
    return shell(["gcloud", "projects", "add-iam-policy-binding", project, f"--member={member}",
                  f"--role={role}", "--condition=None"])


def start_instance(instance: str, project: str) -> str:
    return shell(["gcloud", "sql", "instances", "patch", instance, f"--project={project}",
                  "--activation-policy=ALWAYS"])


def authorized_networks(instance: str, project: str, networks: Sequence[str]) -> str:
    """`--authorized-networks` REPLACES the list: the command carries every entry to keep."""
    return shell(["gcloud", "sql", "instances", "patch", instance, f"--project={project}",
                  _list_flag("--authorized-networks", networks)])


def network_ref(path: str | None, project: str) -> str | None:
    """gcloud takes the short name in the service's own project, else the full path."""
    if not path:
        return None
    if path.startswith("projects/") and path.split("/")[1] != project:
        return path
    return path.rstrip("/").rsplit("/", 1)[-1]


def _update(target: Target, *flags: str) -> str:
    return run_update(target.kind, target.name, target.region, target.project, *flags)


def commands_for(fix: FixInput) -> list[str]:
    """The command(s) a person would run to apply `fix`; empty when nothing can be run yet."""
    if isinstance(fix, EnableApi):
        return [enable_api(fix.project, fix.service)]
    if isinstance(fix, AttachInstance):
        if not fix.connection_name:
            return []
        return [_update(fix.target, *attach_flags(fix.target.kind, fix.attached, fix.connection_name))]
    if isinstance(fix, SetConnectionName):
        flags = set_attachment_flags(fix.attached_after) if fix.attachment else []
        per_container: dict[str | None, list[tuple[str, str]]] = {}
        for e in fix.env:
            per_container.setdefault(e.container, []).append((e.variable, e.value))
        for container, pairs in per_container.items():
            flags += env_flags(pairs, container)
        return [_update(fix.target, *flags)] if flags else []
    if isinstance(fix, GrantRole):
        return [grant_role(fix.project, fix.member, fix.role)]
    if isinstance(fix, StartInstance):
        return [start_instance(fix.instance, fix.project)]
    if isinstance(fix, AddVpcEgress):
        project = fix.target.project
        subnet = fix.subnet if fix.subnet is not None else fix.choice.placeholder  # type: ignore[union-attr]
        return [_update(fix.target, *vpc_flags(network_ref(fix.network, project), network_ref(subnet, project)))]
    if isinstance(fix, SetEgressPrivateRanges):
        return [_update(fix.target, "--vpc-egress=private-ranges-only")]
    if isinstance(fix, GrantSecretAccess):
        return [grant_secret_access(secret, project, fix.member) for project, secret in fix.secrets]
    if isinstance(fix, EnableSecretVersion):
        return [line for v in fix.versions for line in secret_version_commands(fix.target, v)]
    raise TypeError(f"no command for {type(fix).__name__}")


# ---- the VPC (issue 12): commands a person runs by hand (no API plan: they change the network)


def enable_private_google_access(subnet: str, region: str, project: str) -> str:
    """Private Google Access on the subnet: Google APIs from addresses without an external IP."""
    return shell(["gcloud", "compute", "networks", "subnets", "update", subnet, f"--region={region}",
                  f"--project={project}", "--enable-private-ip-google-access"])


def create_cloud_nat(network: str, region: str, project: str, router: str = "nat-router") -> list[str]:
    """A Cloud Router and a NAT gateway for every subnet range of `network` in `region`."""
    return [
        shell(["gcloud", "compute", "routers", "create", router, f"--network={network}",
               f"--region={region}", f"--project={project}"]),
        shell(["gcloud", "compute", "routers", "nats", "create", "nat-config", f"--router={router}",
               f"--region={region}", f"--project={project}", "--auto-allocate-nat-external-ips",
               "--nat-all-subnet-ip-ranges"]),
    ]


def egress_private_ranges(target: Target) -> str:
    return _update(target, "--vpc-egress=private-ranges-only")


def describe_subnets(network: str, project: str) -> str:
    return shell(["gcloud", "compute", "networks", "subnets", "list", f"--network={network}",
                  f"--project={project}", "--format=table(name,region,ipCidrRange)"])


def move_egress_subnet(target: Target, network: str | None, subnet: str) -> str:
    return _update(target, *vpc_flags(network, subnet, "private-ranges-only")[:-1])


def move_connector(target: Target, connector: str) -> str:
    return _update(target, f"--vpc-connector={connector}")


def list_connectors(project: str, region: str) -> str:
    return shell(["gcloud", "compute", "networks", "vpc-access", "connectors", "list", f"--region={region}",
                  f"--project={project}"])


def allow_google_apis_egress(network: str, project: str, priority: int) -> str:
    """An egress allow for tcp:443 to private.googleapis.com's range, above a deny (never 0.0.0.0/0)."""
    return shell(["gcloud", "compute", "firewall-rules", "create", "allow-google-apis-egress",
                  f"--network={network}", f"--project={project}", "--direction=EGRESS", "--action=ALLOW",
                  "--rules=tcp:443", "--destination-ranges=199.36.153.8/30", f"--priority={priority}"])
def grant_secret_access(secret: str, project: str, member: str) -> str:
    return shell(["gcloud", "secrets", "add-iam-policy-binding", secret, f"--project={project}",
                  f"--member={member}", "--role=roles/secretmanager.secretAccessor"])


def secret_version_commands(target: Target, v: "SecretVersionFix") -> list[str]:
    """DISABLED: enable it. DESTROYED (it cannot come back): pin the env at the newest enabled
    version, or add a new version (it becomes latest) when none is enabled or latest is wanted."""
    if v.state == "DISABLED":
        # The version's full resource name (gcloud's VERSION argument takes it): `--secret=S`
        # reads like a secret=value pair and every output would mask the name.
        return [shell(["gcloud", "secrets", "versions", "enable",
                       f"projects/{v.project}/secrets/{v.secret}/versions/{v.version}"])]
    if v.enabled and v.wanted != "latest" and v.variables:
        pairs = [f"{var}={v.secret}:{v.enabled}" for var in v.variables]
        return [_update(target, _list_flag("--update-secrets", pairs))]
    return ["printf '%s' \"$VALUE\" | " + shell(["gcloud", "secrets", "versions", "add", v.secret,
                                                    f"--project={v.project}", "--data-file=-"])]
