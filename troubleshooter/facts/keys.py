"""FactKey: the name a fact's fetch and its failure are recorded under (no more f-string keys)."""

from __future__ import annotations

from dataclasses import dataclass

from troubleshooter.facts import sources

# Which probe records the failures of each kind of key (project: both run-config and project read it).
_RECORDED_BY: dict[str, tuple[str, ...]] = {
    "run": (sources.RUN_CONFIG,),
    "serving": (sources.SERVING,),
    "latest": (sources.SERVING,),
    "revision": (sources.SERVING,),
    "execution": (sources.SERVING,),
    "app": (sources.APP,),
    "project": (sources.RUN_CONFIG, sources.PROJECT),
    "usage": (sources.USAGE,),
    "instance": (sources.SQL,),
    "list": (sources.SQL,),
    "iam": (sources.IAM,),
    "databases": (sources.DBUSERS,),
    "users": (sources.DBUSERS,),
    "operations": (sources.LOGS,),  # read by logs when its lines show dropped connections
    "logs": (sources.LOGS,),
    # The VPC (issue 12): Compute and Serverless VPC Access reads of the network probe.
    "network": (sources.NETWORK,),
    "subnetwork": (sources.NETWORK,),
    "subnetworks": (sources.NETWORK,),
    "routers": (sources.NETWORK,),
    "firewalls": (sources.NETWORK,),
    "connector": (sources.NETWORK,),
    "secret": (sources.SECRETS,),
    "secret-versions": (sources.SECRETS,),
    "secret-iam": (sources.SECRETS,),
    "secret-payload": (sources.SECRETS,),
}
# Kinds whose first part is the project the fact is about.
_PROJECT_SCOPED = frozenset({"project", "usage", "instance", "list", "iam", "databases", "users",
                             "network", "subnetwork", "subnetworks", "routers", "firewalls",
                             "secret", "secret-versions", "secret-iam", "secret-payload",
                             "operations"})


@dataclass(frozen=True)
class FactKey:
    """One fact of a run: its kind and what it is about. `str()` is the legacy `kind:a:b` form."""

    kind: str
    parts: tuple[str, ...] = ()

    def __str__(self) -> str:
        return ":".join((self.kind, *self.parts))

    @property
    def project_id(self) -> str | None:
        """The project the fact is about, for project-scoped kinds."""
        return self.parts[0] if self.kind in _PROJECT_SCOPED and self.parts else None

    @property
    def recorded_by(self) -> tuple[str, ...]:
        """The probes that record this key's failure."""
        return _RECORDED_BY[self.kind]

    # ---------------------------------------------------------------- the run's facts
    @classmethod
    def run(cls) -> "FactKey":
        return cls("run")

    @classmethod
    def serving(cls) -> "FactKey":
        return cls("serving")

    @classmethod
    def latest(cls) -> "FactKey":
        return cls("latest")

    @classmethod
    def revision(cls, name: str) -> "FactKey":
        return cls("revision", (name,))

    @classmethod
    def execution(cls, name: str) -> "FactKey":
        return cls("execution", (name,))

    @classmethod
    def app(cls) -> "FactKey":
        return cls("app")

    @classmethod
    def logs(cls) -> "FactKey":
        return cls("logs")

    @classmethod
    def project(cls, project: str) -> "FactKey":
        return cls("project", (project,))

    @classmethod
    def usage(cls, project: str, service: str) -> "FactKey":
        return cls("usage", (project, service))

    @classmethod
    def instance(cls, project: str, instance: str) -> "FactKey":
        return cls("instance", (project, instance))

    @classmethod
    def listing(cls, project: str) -> "FactKey":
        """instances.list of a project."""
        return cls("list", (project,))

    @classmethod
    def iam(cls, project: str) -> "FactKey":
        return cls("iam", (project,))

    @classmethod
    def databases(cls, project: str, instance: str) -> "FactKey":
        return cls("databases", (project, instance))

    @classmethod
    def users(cls, project: str, instance: str) -> "FactKey":
        return cls("users", (project, instance))

    # ---------------------------------------------------------------- the VPC (network probe)
    @classmethod
    def network(cls, project: str, network: str) -> "FactKey":
        return cls("network", (project, network))

    @classmethod
    def subnetwork(cls, project: str, region: str, subnetwork: str) -> "FactKey":
        return cls("subnetwork", (project, region, subnetwork))

    @classmethod
    def subnetworks(cls, project: str, region: str) -> "FactKey":
        """subnetworks.list of a region (a connector's subnet, read alongside the connector)."""
        return cls("subnetworks", (project, region))

    @classmethod
    def routers(cls, project: str, region: str) -> "FactKey":
        return cls("routers", (project, region))

    @classmethod
    def firewalls(cls, project: str) -> "FactKey":
        return cls("firewalls", (project,))

    @classmethod
    def connector(cls, name: str) -> "FactKey":
        """projects/P/locations/R/connectors/C"""
        return cls("connector", (name,))

    # ---------------------------------------------------------------- Secret Manager
    @classmethod
    def secret(cls, project: str, secret: str) -> "FactKey":
        return cls("secret", (project, secret))

    @classmethod
    def secret_versions(cls, project: str, secret: str) -> "FactKey":
        return cls("secret-versions", (project, secret))

    @classmethod
    def secret_iam(cls, project: str, secret: str) -> "FactKey":
        return cls("secret-iam", (project, secret))

    @classmethod
    def secret_payload(cls, project: str, secret: str, version: str) -> "FactKey":
        """AccessSecretVersion of one version (only with consent): its failure, never its data."""
        return cls("secret-payload", (project, secret, version))

    # ---------------------------------------------------------------- Cloud SQL operations
    @classmethod
    def operations(cls, project: str, instance: str) -> "FactKey":
        """operations.list of an instance (Cloud SQL's own history: maintenance, failover...)."""
        return cls("operations", (project, instance))
