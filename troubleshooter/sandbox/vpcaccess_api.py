"""Serverless VPC Access API v1 over REST: connectors.get and connectors.list.

Served from the world's `vpcConnectors` exactly as stored. A connector is named
`projects/P/locations/R/connectors/C`; its `network` is the network's short name (`default`),
or it names a Shared VPC `subnet: {name, projectId}` instead; `state` READY | CREATING |
DELETING | ERROR | UPDATING (vpcaccess v1 Connector; a READY connector's listing with network
`default`, quoted in turbot/steampipe-plugin-gcp#647). Unlike Compute, this API answers
AIP-193 errors (`status: NOT_FOUND`...), like Cloud Run's v2.
"""

from __future__ import annotations

import copy
from typing import Any

from troubleshooter.sandbox.errors import not_found
from troubleshooter.sandbox.faults import Rpc
from troubleshooter.sandbox.paging import paginate
from troubleshooter.sandbox.rest import Request, Route, route
from troubleshooter.sandbox.state import WorldState

_LOC = "/v1/projects/{project}/locations/{location}"


def _rpc(method: str, permission: str) -> Rpc:
    return Rpc("vpcaccess", "VpcAccessService", method, permission)


class VpcAccessApi:
    def __init__(self, state: WorldState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            route("GET", f"{_LOC}/connectors/{{connector}}", _rpc("GetConnector", "vpcaccess.connectors.get"),
                  self.get_connector),
            route("GET", f"{_LOC}/connectors", _rpc("ListConnectors", "vpcaccess.connectors.list"),
                  self.list_connectors),
        ]  # fmt: skip

    def _in(self, parent: str) -> list[dict[str, Any]]:
        st = self.state
        with st.lock:
            return [copy.deepcopy(c) for c in st.data.get("vpcConnectors", [])
                    if st.same_name(str(c.get("name", "")).rsplit("/connectors/", 1)[0], parent)]

    def get_connector(self, req: Request) -> dict[str, Any]:
        p = req.params
        name = f"projects/{p['project']}/locations/{p['location']}/connectors/{p['connector']}"
        found = self.state.find("vpcConnectors", name)
        if found is None:
            raise not_found(f"Resource '{name}' was not found")
        with self.state.lock:
            return copy.deepcopy(found)

    def list_connectors(self, req: Request) -> dict[str, Any]:
        p = req.params
        items = self._in(f"projects/{p['project']}/locations/{p['location']}")
        page, token = paginate(items, req.q_int("pageSize"), req.q("pageToken"))
        out: dict[str, Any] = {"connectors": page}
        if token:
            out["nextPageToken"] = token
        return out
