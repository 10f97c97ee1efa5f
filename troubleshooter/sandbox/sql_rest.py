"""Cloud SQL Admin over REST (v1 and v1beta4 paths), the shape gcloud and the Cloud SQL connectors call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from troubleshooter.sandbox.errors import invalid, not_found
from troubleshooter.sandbox.faults import Rpc
from troubleshooter.sandbox.rest import Request, Route, route
from troubleshooter.sandbox.sql_certs import CertificateAuthorities

if TYPE_CHECKING:  # sql_api builds this module's routes: no import back at run time
    from troubleshooter.sandbox.sql_api import SqlAdminApi

# v1 is served at /v1/projects/..., v1beta4 at /sql/v1beta4/projects/... (both discovery documents).
PREFIXES = ("/v1", "/sql/v1beta4")


def _instance_resource(req: Request) -> str:
    return f"projects/{req.params['project']}/instances/{req.params['instance']}"


class SqlRestApi:
    """The REST routes over the same handlers (and so the same answers) as the gRPC server."""

    def __init__(self, api: "SqlAdminApi", cas: CertificateAuthorities) -> None:
        self.api = api
        self.cas = cas

    def routes(self) -> list[Route]:
        out: list[Route] = []
        for prefix in PREFIXES:
            base = f"{prefix}/projects/{{project}}"
            inst = f"{base}/instances/{{instance}}"
            table: list[tuple[str, str, str, str, str, Callable[[Request], Any], Callable[[Request], str]]] = [
                ("GET", f"{base}/instances", "SqlInstancesService", "List", "cloudsql.instances.list",
                 self.list, lambda r: f"projects/{r.params['project']}"),
                ("GET", inst, "SqlInstancesService", "Get", "cloudsql.instances.get", self.get, _instance_resource),
                ("PATCH", inst, "SqlInstancesService", "Patch", "cloudsql.instances.update", self.patch,
                 _instance_resource),
                ("GET", f"{inst}/databases", "SqlDatabasesService", "List", "cloudsql.databases.list",
                 self.databases, _instance_resource),
                ("GET", f"{inst}/users", "SqlUsersService", "List", "cloudsql.users.list", self.users,
                 _instance_resource),
                # operations.list: the instance is a query parameter (v1beta4 reference page);
                # the same permission as operations.get (sql_api.SqlAdminServer).
                ("GET", f"{base}/operations", "SqlOperationsService", "List", "cloudsql.instances.get",
                 self.operations, lambda r: f"projects/{r.params['project']}/instances/{r.q('instance') or ''}"),
                ("GET", f"{base}/operations/{{operation}}", "SqlOperationsService", "Get", "cloudsql.instances.get",
                 self.operation, lambda r: f"projects/{r.params['project']}/operations/{r.params['operation']}"),
                ("GET", f"{inst}/connectSettings", "SqlConnectService", "GetConnectSettings",
                 "cloudsql.instances.get", self.connect_settings, _instance_resource),
                ("POST", f"{inst}:generateEphemeralCert", "SqlConnectService", "GenerateEphemeralCert",
                 "cloudsql.instances.connect", self.ephemeral_cert, _instance_resource),
            ]
            table.append(("GET", f"{prefix}/locations/{{location}}/dns/{{dns}}:resolveConnectSettings",
                          "SqlConnectService", "ResolveConnectSettings", "cloudsql.instances.get",
                          self.resolve, lambda r: f"locations/{r.params['location']}/dns/{r.params['dns']}"))
            out += [route(verb, path, Rpc("sqladmin", svc, method, perm), handler, resource)
                    for verb, path, svc, method, perm, handler, resource in table]
        return out

    def resolve(self, req: Request) -> dict[str, Any]:
        """A DNS name (dnsName, or dnsNames[].name) in a region to the instance's ConnectSettings
        with its connectionName, which is what the Python connector's resolver reads."""
        wanted = req.params["dns"].rstrip(".").lower()
        region = req.params["location"]
        with self.api.state.lock:
            instances = [dict(i) for i in self.api.state.data.get("instances", [])]
        for inst in instances:
            names = [inst.get("dnsName")] + [d.get("name") for d in inst.get("dnsNames") or []]
            if inst.get("region") == region and wanted in {str(n).rstrip(".").lower() for n in names if n}:
                settings = self.connect_settings(Request(
                    params={"project": str(inst["project"]), "instance": str(inst["name"])},
                    query={}, body={}, headers=req.headers))
                return {**settings, "connectionName": inst.get("connectionName")
                        or f"{inst['project']}:{region}:{inst['name']}"}
        # Google's answer for an unknown name is not documented; a 404 is the sandbox's choice.
        raise not_found(f"No Cloud SQL instance has the DNS name {req.params['dns']} in {region}.")

    def list(self, req: Request) -> dict[str, Any]:
        return self.api.list_json(req.params["project"], req.q_int("maxResults"), req.q("pageToken"))

    def get(self, req: Request) -> dict[str, Any]:
        return self.api.instance_json(req.params["project"], req.params["instance"])

    def patch(self, req: Request) -> dict[str, Any]:
        if not isinstance(req.body, dict):
            raise invalid("Invalid JSON payload received.")
        return self.api.patch_json(req.params["project"], req.params["instance"], req.body)

    def databases(self, req: Request) -> dict[str, Any]:
        return self.api.databases_json(req.params["project"], req.params["instance"])

    def users(self, req: Request) -> dict[str, Any]:
        return self.api.users_json(req.params["project"], req.params["instance"])

    def operations(self, req: Request) -> dict[str, Any]:
        return self.api.operations_list_json(req.params["project"], req.q("instance"), req.q_int("maxResults"),
                                             req.q("pageToken"))

    def operation(self, req: Request) -> dict[str, Any]:
        return self.api.operation_json(req.params["operation"])

    def connect_settings(self, req: Request) -> dict[str, Any]:
        """ConnectSettings: what a connector needs to dial the instance (sqladmin v1beta4 discovery)."""
        inst = self.api.instance_json(req.params["project"], req.params["instance"])
        ip = (inst.get("settings") or {}).get("ipConfiguration") or {}
        psc = ip.get("pscConfig") or {}
        out: dict[str, Any] = {
            "kind": "sql#connectSettings",
            "serverCaCert": inst.get("serverCaCert")
            or self.cas.server_ca_cert(str(inst["project"]), str(inst["name"])),
            "ipAddresses": inst.get("ipAddresses", []),
            "region": inst.get("region", ""),
            "databaseVersion": inst.get("databaseVersion", ""),
            "backendType": inst.get("backendType", "SECOND_GEN"),
            "pscEnabled": bool(psc.get("pscEnabled")),
        }
        if inst.get("dnsName"):
            out["dnsName"] = inst["dnsName"]
        return out

    def ephemeral_cert(self, req: Request) -> dict[str, Any]:
        body = req.body if isinstance(req.body, dict) else {}
        key = body.get("public_key") or body.get("publicKey")
        if not isinstance(key, str) or "BEGIN" not in key:
            raise invalid("Invalid request: public_key must be a PEM-encoded public key.")
        inst = self.api.instance_json(req.params["project"], req.params["instance"])
        try:
            cert = self.cas.ephemeral(str(inst["project"]), str(inst["name"]), key)
        except ValueError:
            raise invalid("Invalid request: public_key must be a PEM-encoded public key.") from None
        return {"ephemeralCert": cert}
