"""What each automatic fix needs, typed: a failed check returns one, the planner and commands read it.

Pure data (no I/O, imports only the model), so checks can build them and every front end show
the one command `remedies.commands.commands_for` writes from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from troubleshooter.facts.names import clean
from troubleshooter.model import Target

SQLADMIN = "sqladmin.googleapis.com"
CLIENT_ROLE = "roles/cloudsql.client"
# Where an unknown subnet stands in the command, until the operator names one (--subnet).
SUBNET_PLACEHOLDER = "SUBNET"


@dataclass(frozen=True)
class Choice:
    """Something only the operator can decide before the fix applies (e.g. which subnet)."""

    key: str            # the `fix` option that answers it: subnet
    label: str          # what to ask, with the names that make it answerable
    placeholder: str    # what stands for it in the command meanwhile


@dataclass(frozen=True)
class FixInput:
    """Base of every fix contract: what the fix changes, and any choice left to the operator."""

    # A manual contract: the tool writes its commands (one author) but never applies them.
    manual: ClassVar[bool] = False

    @property
    def choice(self) -> Choice | None:
        return None


@dataclass(frozen=True)
class EnableApi(FixInput):
    project: str
    service: str = SQLADMIN


@dataclass(frozen=True)
class AttachInstance(FixInput):
    target: Target
    connection_name: str | None     # None: which instance is meant is unknown
    verified: bool                  # the instance was read under that name
    attached: tuple[str, ...] = ()  # already attached: `jobs update` only sets the whole list


@dataclass(frozen=True)
class EnvCorrection:
    """One plain env var whose connection name is corrected: its full new value, not just the name."""

    variable: str
    bad: str
    exact: str
    value: str = field(repr=False)  # the variable's whole corrected value (a DSN stays a DSN; may hold a secret)
    container: str | None = None    # named when the template has several containers


@dataclass(frozen=True)
class SetConnectionName(FixInput):
    target: Target
    exact: str | None                           # the instance's real connectionName, if known
    where: str                                  # the variable or "attachment" holding the bad name
    attachment: tuple[tuple[str, str], ...] = ()  # (byte-exact attached name, exact)
    attached_after: tuple[str, ...] = ()        # the whole attachment once corrected
    env: tuple[EnvCorrection, ...] = ()
    unfixable: tuple[str, ...] = ()             # variables whose value does not hold the name plainly

    @property
    def editable(self) -> bool:
        return bool(self.attachment or self.env)


@dataclass(frozen=True)
class GrantRole(FixInput):
    project: str                    # the instance's project: where the grant must be
    service_account: str
    role: str = CLIENT_ROLE

    @property
    def member(self) -> str:
        return f"serviceAccount:{self.service_account}"


@dataclass(frozen=True)
class StartInstance(FixInput):
    project: str
    instance: str


@dataclass(frozen=True)
class AddVpcEgress(FixInput):
    target: Target
    network: str                    # short name in the target's project, else projects/P/global/networks/N
    network_name: str               # its short name, for wording
    subnet: str | None              # None: the operator must choose one with free addresses

    @property
    def choice(self) -> Choice | None:
        if self.subnet is not None:
            return None
        return Choice("subnet", f"Subnet of network {self.network_name} in {self.target.region} "
                      "(must have free addresses)", SUBNET_PLACEHOLDER)


@dataclass(frozen=True)
class SetEgressPrivateRanges(FixInput):
    target: Target


def corrected_value(value: str, bad: str, exact: str) -> str:
    """What an env value becomes when its connection name `bad` is corrected to `exact`."""
    cleaned = clean(value)
    if value == bad or not cleaned or cleaned == clean(bad):
        return exact  # the variable holds the name itself
    if bad and f"/cloudsql/{bad}" in value:
        return value.replace(f"/cloudsql/{bad}", f"/cloudsql/{exact}")
    if bad and value.count(bad) == 1:
        return value.replace(bad, exact)
    return value  # cannot tell which part is the name: the fix falls back to manual steps



# --------------------------------------------------------------------------- Secret Manager

SECRET_ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"


@dataclass(frozen=True)
class GrantSecretAccess(FixInput):
    """roles/secretmanager.secretAccessor for the runtime SA on EVERY secret it cannot read: a
    grant on one of several leaves the revision failing on the next."""

    manual: ClassVar[bool] = True
    service_account: str
    secrets: tuple[tuple[str, str], ...]   # (project, secret id), each once

    @property
    def member(self) -> str:
        return f"serviceAccount:{self.service_account}"


@dataclass(frozen=True)
class SecretVersionFix:
    """One secret whose version in use is not ENABLED: what to do about it."""

    project: str
    secret: str
    version: str                    # the version the workload resolves to (a number)
    state: str                      # DISABLED | DESTROYED | "" (no version at all)
    wanted: str                     # as the workload names it: a number or latest
    variables: tuple[str, ...] = () # env vars pinning it (for --update-secrets)
    enabled: str | None = None      # the newest ENABLED version, when there is one


@dataclass(frozen=True)
class EnableSecretVersion(FixInput):
    """Re-enable a DISABLED version; a DESTROYED one is gone: point at an enabled version or add one."""

    manual: ClassVar[bool] = True
    target: Target
    versions: tuple[SecretVersionFix, ...]
