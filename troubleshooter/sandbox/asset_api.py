"""Cloud Asset Inventory v1 over REST: `searchAllResources`, the subset a scan uses.

Served over every project of the world under the scope: `organizations/N`, `folders/N` (a
project's `parent`, and folders nested through the world's optional `folders[]`, each a
Resource Manager v3 Folder `{"name": "folders/N", "parent": "organizations/M"}`) or
`projects/P`. Three asset types are known: `run.googleapis.com/Service`, `run.googleapis.com/Job`
and `sqladmin.googleapis.com/Instance`.

The shapes are those of google/cloud/asset/v1 (the `google-cloud-asset` client's
`asset_v1/types/assets.py` ResourceSearchResult and `asset_service.py` SearchAllResourcesRequest):
`GET /v1/{scope=*/*}:searchAllResources` with `query`, `assetTypes` (RE2, matched whole),
`pageSize` ("capped at 500 even if a larger value is given"), `pageToken`; each result has the
full resource name (`//run.googleapis.com/projects/P/locations/R/services/S`;
`//cloudsql.googleapis.com/projects/P/instances/I` for Cloud SQL, Asset Inventory's resource
name format), `assetType`, `project` as `projects/{PROJECT_NUMBER}`, `folders[]` as
`folders/{FOLDER_NUMBER}`, `organization` as `organizations/{NUMBER}`, `displayName`,
`location`, `parentFullResourceName`, `parentAssetType`, `state`, `labels`, `createTime`,
`updateTime` when the resource has them. Of the query language only `location:VALUE` terms
(a trailing `*` is a prefix, as in the docs' `location:us-west*`) are understood; anything else
is refused with INVALID_ARGUMENT rather than silently ignored. An unknown scope is refused the
way IAM refuses one the caller may not see: PERMISSION_DENIED on
`cloudasset.assets.searchAllResources`.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from troubleshooter.sandbox.errors import invalid, permission_denied
from troubleshooter.sandbox.faults import Rpc
from troubleshooter.sandbox.paging import paginate
from troubleshooter.sandbox.rest import Request, Route, route
from troubleshooter.sandbox.state import WorldState

PERMISSION = "cloudasset.assets.searchAllResources"
SERVICE = "run.googleapis.com/Service"
JOB = "run.googleapis.com/Job"
INSTANCE = "sqladmin.googleapis.com/Instance"
_CRM = "//cloudresourcemanager.googleapis.com/"
_LOCATION_TERM = re.compile(r"^location:(\S+)$")


class AssetApi:
    """`searchAllResources` over the world's projects, folders and organizations."""

    def __init__(self, state: WorldState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            route("GET", "/v1/{kind}/{id}:searchAllResources",
                  Rpc("cloudasset", "AssetService", "SearchAllResources", PERMISSION), self.search,
                  resource=lambda r: f"{r.params['kind']}/{r.params['id']}"),
        ]  # fmt: skip

    # -- the resource hierarchy -----------------------------------------------------

    def _ancestors(self, parent: str | None) -> list[str]:
        """`parent` and everything above it: folders first, the organization last."""
        folders = {f.get("name"): f.get("parent") for f in self.state.data.get("folders", [])}
        out: list[str] = []
        while parent and parent not in out:
            out.append(parent)
            parent = folders.get(parent)
        return out

    def _projects_in(self, scope: str) -> list[tuple[dict[str, Any], list[str]]] | None:
        """(project spec, its ancestors) of every project under `scope`; None if the scope is unknown."""
        projects = self.state.data.get("projects", [])
        if scope.startswith("projects/"):
            found = self.state.project(scope)
            return None if found is None else [(found, self._ancestors(found.get("parent")))]
        known = {f.get("name") for f in self.state.data.get("folders", [])}
        out = []
        for p in projects:
            chain = self._ancestors(p.get("parent"))
            known.update(chain)
            if scope in chain:
                out.append((p, chain))
        return out if (out or scope in known) else None

    # -- search ---------------------------------------------------------------------

    def search(self, req: Request) -> dict[str, Any]:
        scope = f"{req.params['kind']}/{req.params['id']}"
        if req.params["kind"] not in ("organizations", "folders", "projects"):
            raise invalid(f"Invalid scope: {scope!r} (expected projects/, folders/ or organizations/)")
        wanted = [re.compile(t) for t in req.query.get("assetTypes", []) if t]
        locations = _locations(req.q("query") or "")
        with self.state.lock:
            under = self._projects_in(scope)
            if under is None:
                raise permission_denied(PERMISSION, scope)
            results = [
                r for project, chain in under for r in self._resources(project, chain)
                if (not wanted or any(w.fullmatch(r["assetType"]) for w in wanted))
                and all(_located(r.get("location", ""), loc) for loc in locations)
            ]
        results.sort(key=lambda r: (r["assetType"], r["name"]))
        page, token = paginate(results, req.q_int("pageSize"), req.q("pageToken"), default=100, limit=500)
        out: dict[str, Any] = {"results": page}
        if token:
            out["nextPageToken"] = token
        return out

    def _resources(self, project: dict[str, Any], chain: list[str]) -> Iterator[dict[str, Any]]:
        st = self.state
        pid, number = project["projectId"], project["projectNumber"]
        common: dict[str, Any] = {"project": f"projects/{number}",
                                  "parentFullResourceName": f"{_CRM}projects/{pid}",
                                  "parentAssetType": "cloudresourcemanager.googleapis.com/Project"}
        folders = [c for c in chain if c.startswith("folders/")]
        if folders:
            common["folders"] = folders
        org = next((c for c in chain if c.startswith("organizations/")), None)
        if org:
            common["organization"] = org
        for collection, asset_type in (("services", SERVICE), ("jobs", JOB)):
            for item in st.data.get(collection, []):
                parts = str(item.get("name", "")).split("/")
                if len(parts) != 6 or not st.same_project(parts[1], pid):
                    continue
                yield {"name": f"//run.googleapis.com/projects/{pid}/locations/{parts[3]}/{parts[4]}/{parts[5]}",
                       "assetType": asset_type, "displayName": parts[5], "location": parts[3],
                       **common, **_times(item), **_labels(item)}
        for inst in st.data.get("instances", []):
            if not st.same_project(str(inst.get("project", "")), pid):
                continue
            out = {"name": f"//cloudsql.googleapis.com/projects/{pid}/instances/{inst.get('name')}",
                   "assetType": INSTANCE, "displayName": inst.get("name"),
                   "location": inst.get("region", ""), **common}
            if inst.get("state"):
                out["state"] = inst["state"]
            labels = (inst.get("settings") or {}).get("userLabels")
            if labels:
                out["labels"] = dict(labels)
            yield out


def _locations(query: str) -> list[str]:
    terms = query.split()
    out = []
    for term in terms:
        m = _LOCATION_TERM.match(term)
        if m is None:
            raise invalid(f"Unsupported query term {term!r}: the sandbox understands only location:VALUE")
        out.append(m.group(1))
    return out


def _located(location: str, wanted: str) -> bool:
    return location.startswith(wanted[:-1]) if wanted.endswith("*") else location == wanted


def _times(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("createTime", "updateTime") if item.get(k)}


def _labels(item: dict[str, Any]) -> dict[str, Any]:
    return {"labels": dict(item["labels"])} if item.get("labels") else {}
