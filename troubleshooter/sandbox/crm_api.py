"""Cloud Resource Manager API v3 over REST: projects and their IAM policies."""

from __future__ import annotations

import copy
from typing import Any

from troubleshooter.sandbox.errors import aborted, invalid, permission_denied
from troubleshooter.sandbox.faults import Rpc
from troubleshooter.sandbox.paging import paginate
from troubleshooter.sandbox.rest import Request, Route, route
from troubleshooter.sandbox.state import WorldState
from troubleshooter.world import decode_etag

_CRM = "//cloudresourcemanager.googleapis.com/projects/"


def _rpc(method: str, permission: str) -> Rpc:
    return Rpc("cloudresourcemanager", "Projects", method, permission)


class ResourceManagerApi:
    """Projects (by id or number) and project IAM policies with etag concurrency control."""

    def __init__(self, state: WorldState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            route("GET", "/v3/projects:search", _rpc("SearchProjects", "resourcemanager.projects.get"), self.search),
            route("GET", "/v3/projects/{project}", _rpc("GetProject", "resourcemanager.projects.get"), self.get),
            route("POST", "/v3/projects/{project}:getIamPolicy",
                  _rpc("GetIamPolicy", "resourcemanager.projects.getIamPolicy"), self.get_iam_policy),
            route("POST", "/v3/projects/{project}:setIamPolicy",
                  _rpc("SetIamPolicy", "resourcemanager.projects.setIamPolicy"), self.set_iam_policy),
        ]  # fmt: skip

    def _project(self, req: Request, permission: str) -> dict[str, Any]:
        ref = req.params["project"]
        found = self.state.project(ref)
        if found is None:
            # Like Google: an unknown project is indistinguishable from one you may not see.
            raise permission_denied(permission, _CRM + ref)
        return found

    @staticmethod
    def _as_project(spec: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": f"projects/{spec['projectNumber']}",
            "projectId": spec["projectId"],
            "state": spec.get("state") or "ACTIVE",
            "displayName": spec.get("displayName") or spec["projectId"],
        }
        if spec.get("parent"):
            out["parent"] = spec["parent"]
        return out

    def get(self, req: Request) -> dict[str, Any]:
        with self.state.lock:
            return self._as_project(self._project(req, "resourcemanager.projects.get"))

    def search(self, req: Request) -> dict[str, Any]:
        query = (req.q("query") or "").strip()
        with self.state.lock:
            projects = [self._as_project(p) for p in self.state.data.get("projects", [])]
        projects = [p for p in projects if _matches(p, query)]
        page, token = paginate(projects, req.q_int("pageSize"), req.q("pageToken"))
        out: dict[str, Any] = {"projects": page}
        if token:
            out["nextPageToken"] = token
        return out

    def get_iam_policy(self, req: Request) -> dict[str, Any]:
        with self.state.lock:
            return copy.deepcopy(self._project(req, "resourcemanager.projects.getIamPolicy")["iamPolicy"])

    def set_iam_policy(self, req: Request) -> dict[str, Any]:
        policy = req.body.get("policy") if isinstance(req.body, dict) else None
        if not isinstance(policy, dict):
            raise invalid("Invalid JSON payload: 'policy' is required.")
        with self.state.lock:
            spec = self._project(req, "resourcemanager.projects.setIamPolicy")
            current = spec["iamPolicy"]
            sent = policy.get("etag")
            if sent and _etag_bytes(sent) != _etag_bytes(current.get("etag", "")):
                raise aborted(
                    "There were concurrent policy changes. Please retry the whole read-modify-write "
                    "with exponential backoff. The request's ETag '"
                    f"{sent}' did not match the current policy's ETag '{current.get('etag', '')}'."
                )
            # With an etag, IAM checks versions: a policy written at a lower version than the
            # stored one would drop its conditions. Google's 400 quoted in
            # hashicorp/vault-plugin-secrets-gcp#88 (and Policy.version's proto docs: "If no etag
            # is provided ... version compliance checks ... skipped").
            wanted, have = int(policy.get("version") or 1), int(current.get("version") or 1)
            if sent and wanted < have:
                raise invalid(
                    f"Specified policy version ({wanted}) cannot be less than the existing policy "
                    f"version ({have}). For more information, please refer to "
                    "https://cloud.google.com/iam/docs/policies#versions."
                )
            stored = {k: copy.deepcopy(v) for k, v in policy.items() if k != "etag"}
            stored.setdefault("version", 1)
            stored.setdefault("bindings", [])
            if "auditConfigs" not in policy and current.get("auditConfigs"):
                # Without an update mask, setIamPolicy replaces bindings and etag only.
                stored["auditConfigs"] = current["auditConfigs"]
            stored["etag"] = self.state.fresh_etag(stored)
            spec["iamPolicy"] = stored
            return copy.deepcopy(stored)


def _etag_bytes(etag: str) -> bytes | str:
    try:
        return decode_etag(etag)
    except ValueError:
        return etag


def _matches(project: dict[str, Any], query: str) -> bool:
    """The few `projects:search` query terms worth supporting: id:, projectId:, name:, displayName:."""
    for term in query.split():
        key, _, value = term.partition(":")
        value = value.strip("\"'")
        if key in ("id", "projectId") and project["projectId"] != value:
            return False
        if key in ("name", "displayName") and not _glob(project["displayName"], value):
            return False
    return True


def _glob(text: str, pattern: str) -> bool:
    from fnmatch import fnmatchcase

    return fnmatchcase(text.lower(), pattern.lower())
