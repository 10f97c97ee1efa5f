"""Service Usage API v1 over REST: which APIs a project has enabled, and enabling them."""

from __future__ import annotations

from typing import Any

from troubleshooter.sandbox.errors import (
    invalid,
    not_found,
    permission_denied,
    service_title,
)
from troubleshooter.sandbox.faults import Rpc
from troubleshooter.sandbox.paging import paginate
from troubleshooter.sandbox.rest import Request, Route, route
from troubleshooter.sandbox.state import API_SERVICES, PendingOperation, WorldState

_TYPES = "type.googleapis.com/google.api.serviceusage.v1."


def _rpc(service: str, method: str, permission: str) -> Rpc:
    return Rpc("serviceusage", service, method, permission)


class ServiceUsageApi:
    """Service state per project, from (and into) the world's `enabledServices`."""

    def __init__(self, state: WorldState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        base = "/v1/projects/{project}/services"
        return [
            route("GET", f"{base}:batchGet", _rpc("ServiceUsage", "BatchGetServices", "serviceusage.services.get"), self.batch_get),
            route("GET", base, _rpc("ServiceUsage", "ListServices", "serviceusage.services.list"), self.list),
            route("GET", f"{base}/{{service}}", _rpc("ServiceUsage", "GetService", "serviceusage.services.get"), self.get),
            route("POST", f"{base}/{{service}}:enable", _rpc("ServiceUsage", "EnableService", "serviceusage.services.enable"), self.enable),
            route("POST", f"{base}/{{service}}:disable", _rpc("ServiceUsage", "DisableService", "serviceusage.services.disable"), self.disable),
            route("GET", "/v1/operations/{operation}", _rpc("Operations", "GetOperation", "serviceusage.operations.get"), self.get_operation),
        ]  # fmt: skip

    def _number(self, req: Request, permission: str) -> str:
        ref = req.params["project"]
        spec = self.state.project(ref)
        if spec is None:
            raise permission_denied(permission, f"projects/{ref}")
        return spec["projectNumber"]

    def _service(self, number: str, service: str) -> dict[str, Any]:
        enabled = self.state.is_enabled(number, service)
        return {
            "name": f"projects/{number}/services/{service}",
            "parent": f"projects/{number}",
            "config": {"name": service, "title": service_title(service)},
            "state": "ENABLED" if enabled else "DISABLED",
        }

    def get(self, req: Request) -> dict[str, Any]:
        with self.state.lock:
            return self._service(self._number(req, "serviceusage.services.get"), req.params["service"])

    def batch_get(self, req: Request) -> dict[str, Any]:
        names = req.query.get("names", [])
        if not names:
            raise invalid("names must not be empty.")
        with self.state.lock:
            number = self._number(req, "serviceusage.services.get")
            return {"services": [self._service(number, n.rsplit("/", 1)[-1]) for n in names]}

    def list(self, req: Request) -> dict[str, Any]:
        wanted = (req.q("filter") or "").replace(" ", "").upper()
        with self.state.lock:
            number = self._number(req, "serviceusage.services.list")
            spec = self.state.project(number) or {}
            known = list(dict.fromkeys([*(spec.get("enabledServices") or []), *API_SERVICES.values()]))
            services = [self._service(number, s) for s in known]
        if wanted in ("STATE:ENABLED", "STATE:DISABLED"):
            services = [s for s in services if s["state"] == wanted.split(":")[1]]
        page, token = paginate(services, req.q_int("pageSize"), req.q("pageToken"))
        out: dict[str, Any] = {"services": page}
        if token:
            out["nextPageToken"] = token
        return out

    def _change(self, req: Request, enabled: bool, permission: str, response_type: str) -> dict[str, Any]:
        st = self.state
        service = req.params["service"]
        with st.lock:
            number = self._number(req, permission)
            st.set_enabled(number, service, enabled)
            op_id = f"acf.p2-{number}-{st.new_id()}"
            final = {
                "name": f"operations/{op_id}",
                "metadata": {
                    "@type": _TYPES + "OperationMetadata",
                    "resourceNames": [f"services/{service}/projectSettings/{number}"],
                },
                "done": True,
                "response": {"@type": _TYPES + response_type, "service": self._service(number, service)},
            }
            st.operations[op_id] = PendingOperation(final, final, polls=0)
            return final

    def enable(self, req: Request) -> dict[str, Any]:
        return self._change(req, True, "serviceusage.services.enable", "EnableServiceResponse")

    def disable(self, req: Request) -> dict[str, Any]:
        return self._change(req, False, "serviceusage.services.disable", "DisableServiceResponse")

    def get_operation(self, req: Request) -> dict[str, Any]:
        with self.state.lock:
            op = self.state.operations.get(req.params["operation"])
            if op is None:
                raise not_found(f"Operation 'operations/{req.params['operation']}' not found.")
            return op.poll()
