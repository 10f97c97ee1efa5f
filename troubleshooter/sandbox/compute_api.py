"""Compute Engine API v1 over REST: the read-only subset the network probe needs.

networks.get, subnetworks.get/list, routers.list and firewalls.list per project (and region),
served from the world's `networks`, `subnetworks`, `routers`, `firewalls` exactly as stored
(a capture writes back what it reads): the sandbox only fills `kind` and `selfLink` when a
hand-written world left them out, as Google always sends them.

Compute is not an AIP-193 API: its errors are the legacy Google API shape, `code` and `message`
plus `errors[]` with `domain: global` and a `reason`, and no `status` string. Evidence:
- 404: `The resource 'projects/P/global/networks/N' was not found`, errors
  `[{'message': ..., 'domain': 'global', 'reason': 'notFound'}]` (HttpError quoted verbatim in
  skyplane-project/skyplane#683; `googleapi: Error 404: The resource 'projects/P' was not
  found, notFound` in mantl/mantl#1002).
- 403: `Google Compute Engine: Required 'compute.networks.get' permission for
  'projects/P/global/networks/default'.`, reason `forbidden` (the raw body in
  hashicorp/terraform-provider-google#8262; alexandarp/terraform-gke#2).
- API off: `Compute Engine API has not been used in project N before or it is disabled ...`,
  reason `accessNotConfigured` (midl-dev/tezos-on-gke#34), with the ErrorInfo SERVICE_DISABLED
  details every Google API now adds.
Shapes of the resources: gcpdiag's captured dumps (test-data/*/json-dumps/compute-network-*.json,
compute-subnetworks-*.json, compute-routers-*.json; copies in tests/data/gcpdiag/network/).
Lists are `{kind: compute#<x>List, id, items[], selfLink[, nextPageToken]}`, paged by
`maxResults` / `pageToken` (compute v1 discovery document).
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from troubleshooter.sandbox.errors import ApiError
from troubleshooter.sandbox.faults import Rpc
from troubleshooter.sandbox.paging import paginate
from troubleshooter.sandbox.rest import Request, Route, route
from troubleshooter.sandbox.state import WorldState

COMPUTE = "https://www.googleapis.com/compute/v1/"
_P = "/compute/v1/projects/{project}"


def _rpc(service: str, method: str, permission: str) -> Rpc:
    return Rpc("compute", service, method, permission)


def compute_error(err: ApiError) -> dict[str, Any]:
    """An ApiError (from a handler, a fault or the enablement gate) in Compute's legacy body."""
    reason = {
        "NOT_FOUND": "notFound",
        "PERMISSION_DENIED": "forbidden",
        "INVALID_ARGUMENT": "invalid",
        "RESOURCE_EXHAUSTED": "rateLimitExceeded",
        "UNAUTHENTICATED": "authError",
    }.get(err.status, "backendError")
    message, domain = err.message, "global"
    if err.reason == "SERVICE_DISABLED":
        reason, domain = "accessNotConfigured", "usageLimits"
    elif err.reason == "IAM_PERMISSION_DENIED" and err.metadata.get("permission"):
        # Compute words a missing permission its own way (see the module docstring).
        message = (f"Google Compute Engine: Required '{err.metadata['permission']}' permission for "
                   f"'{err.metadata.get('resource', '')}'.")
    body: dict[str, Any] = {
        "code": err.http,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    if err.reason == "SERVICE_DISABLED":
        body["details"] = err.to_rest()["error"]["details"]
    return {"error": body}


def not_found(resource: str) -> ApiError:
    return ApiError("NOT_FOUND", f"The resource '{resource}' was not found")


def project_of(item: dict[str, Any], default: str) -> str:
    """The project in a resource's selfLink (or network URL), else `default`."""
    for key in ("selfLink", "network"):
        link = str(item.get(key) or "")
        if "/projects/" in link:
            return link.split("/projects/", 1)[1].split("/", 1)[0]
    return default


def short(url: str | None) -> str:
    return str(url or "").rstrip("/").rsplit("/", 1)[-1]


class ComputeApi:
    """Read-only handlers over the world's Compute resources."""

    def __init__(self, state: WorldState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        net = f"{_P}/global/networks/{{network}}"
        subs = f"{_P}/regions/{{region}}/subnetworks"
        return [
            route("GET", net, _rpc("Networks", "Get", "compute.networks.get"), self.get_network,
                  _resource("global/networks/{network}")),
            route("GET", f"{subs}/{{subnetwork}}", _rpc("Subnetworks", "Get", "compute.subnetworks.get"),
                  self.get_subnetwork, _resource("regions/{region}/subnetworks/{subnetwork}")),
            route("GET", subs, _rpc("Subnetworks", "List", "compute.subnetworks.list"), self.list_subnetworks,
                  _resource("regions/{region}")),
            route("GET", f"{_P}/regions/{{region}}/routers", _rpc("Routers", "List", "compute.routers.list"),
                  self.list_routers, _resource("regions/{region}")),
            route("GET", f"{_P}/global/firewalls", _rpc("Firewalls", "List", "compute.firewalls.list"),
                  self.list_firewalls, _resource("")),
        ]  # fmt: skip

    # -- helpers --------------------------------------------------------------------

    def _items(self, collection: str, project: str, region: str | None = None) -> list[dict[str, Any]]:
        st = self.state
        out = []
        with st.lock:
            for item in st.data.get(collection, []):
                if not st.same_project(project_of(item, st.target_project), project):
                    continue
                if region is not None and short(item.get("region")) != region:
                    continue
                out.append(copy.deepcopy(item))
        return out

    def _served(self, item: dict[str, Any], kind: str, path: str) -> dict[str, Any]:
        item.setdefault("kind", f"compute#{kind}")
        item.setdefault("selfLink", COMPUTE + path)
        return item

    def _list(self, req: Request, kind: str, path: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        items = [self._served(i, kind, f"{path}/{i.get('name', '')}") for i in items]
        page, token = paginate(items, req.q_int("maxResults"), req.q("pageToken"), default=500)
        out: dict[str, Any] = {"kind": f"compute#{kind}List", "id": path, "items": page,
                               "selfLink": COMPUTE + path}
        if not page:
            del out["items"]  # Compute leaves `items` out of an empty list
        if token:
            out["nextPageToken"] = token
        return out

    # -- handlers -------------------------------------------------------------------

    def get_network(self, req: Request) -> dict[str, Any]:
        p = req.params
        path = f"projects/{p['project']}/global/networks/{p['network']}"
        for item in self._items("networks", p["project"]):
            if item.get("name") == p["network"]:
                return self._served(item, "network", path)
        raise not_found(path)

    def get_subnetwork(self, req: Request) -> dict[str, Any]:
        p = req.params
        path = f"projects/{p['project']}/regions/{p['region']}/subnetworks/{p['subnetwork']}"
        for item in self._items("subnetworks", p["project"], p["region"]):
            if item.get("name") == p["subnetwork"]:
                return self._served(item, "subnetwork", path)
        raise not_found(path)

    def list_subnetworks(self, req: Request) -> dict[str, Any]:
        p = req.params
        path = f"projects/{p['project']}/regions/{p['region']}/subnetworks"
        return self._list(req, "subnetwork", path, self._items("subnetworks", p["project"], p["region"]))

    def list_routers(self, req: Request) -> dict[str, Any]:
        p = req.params
        path = f"projects/{p['project']}/regions/{p['region']}/routers"
        return self._list(req, "router", path, self._items("routers", p["project"], p["region"]))

    def list_firewalls(self, req: Request) -> dict[str, Any]:
        p = req.params
        path = f"projects/{p['project']}/global/firewalls"
        return self._list(req, "firewall", path, self._items("firewalls", p["project"]))


def _resource(tail: str) -> Callable[[Request], str]:
    """The resource a permission is checked on: `projects/P/...` as Compute names it."""

    def resource(req: Request) -> str:
        base = f"projects/{req.params['project']}"
        return f"{base}/{tail.format(**req.params)}" if tail else base

    return resource
