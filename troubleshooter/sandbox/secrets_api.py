"""Secret Manager API v1 over REST: secrets, their versions (states, `latest`), payloads, IAM.

Served from the world's `secrets` list (REST JSON, each with `versions[]` and `iamPolicy`).
Names go out with the project NUMBER, as Google answers them (`projects/123456/secrets/S`),
whichever form the world or the caller used. Every `AccessSecretVersion` is recorded in the
call log like any call (the dispatcher records it), so tests can prove a run read none.
"""

from __future__ import annotations

import copy
from typing import Any

from troubleshooter.sandbox.errors import ApiError, not_found
from troubleshooter.sandbox.faults import Rpc
from troubleshooter.sandbox.paging import paginate
from troubleshooter.sandbox.rest import Request, Route, route
from troubleshooter.sandbox.state import WorldState

_SERVICE = "SecretManagerService"
_STATES = ("ENABLED", "DISABLED", "DESTROYED")


def _rpc(method: str, permission: str) -> Rpc:
    return Rpc("secretmanager", _SERVICE, method, permission)


class SecretManagerApi:
    """GetSecret, ListSecretVersions, GetSecretVersion, AccessSecretVersion, GetIamPolicy."""

    def __init__(self, state: WorldState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        secret = "/v1/projects/{project}/secrets/{secret}"
        version = secret + "/versions/{version}"
        return [
            route("GET", secret, _rpc("GetSecret", "secretmanager.secrets.get"), self.get_secret),
            route("GET", secret + ":getIamPolicy",
                  _rpc("GetIamPolicy", "secretmanager.secrets.getIamPolicy"), self.get_iam_policy),
            route("GET", secret + "/versions",
                  _rpc("ListSecretVersions", "secretmanager.versions.list"), self.list_versions),
            route("GET", version + ":access",
                  _rpc("AccessSecretVersion", "secretmanager.versions.access"), self.access),
            route("GET", version, _rpc("GetSecretVersion", "secretmanager.versions.get"), self.get_version),
        ]  # fmt: skip

    # -- lookups ----------------------------------------------------------------------

    def _number(self, req: Request) -> str:
        return self.state.project_number(req.params["project"])

    def _secret(self, req: Request) -> dict[str, Any]:
        name = f"projects/{req.params['project']}/secrets/{req.params['secret']}"
        found = self.state.find("secrets", name)
        if found is None:
            # Google's wording for GetSecret/AccessSecretVersion on a missing secret.
            raise not_found(
                f"Secret [projects/{self._number(req)}/secrets/{req.params['secret']}] not found or has no versions."
            )
        return found

    @staticmethod
    def _version_id(version: dict[str, Any]) -> str:
        return str(version.get("name", "")).rsplit("/", 1)[-1]

    def _versions(self, secret: dict[str, Any]) -> list[dict[str, Any]]:
        """Newest first, as ListSecretVersions returns them (by createTime, then number)."""
        def key(v: dict[str, Any]) -> tuple[str, int]:
            vid = self._version_id(v)
            return (str(v.get("createTime") or ""), int(vid) if vid.isdigit() else 0)

        return sorted(secret.get("versions") or [], key=key, reverse=True)

    def _version(self, req: Request, secret: dict[str, Any]) -> dict[str, Any]:
        wanted = req.params["version"]
        versions = self._versions(secret)
        if wanted == "latest":
            # `latest` is the most recently created version, whatever its state (Secret Manager
            # docs, "Access a secret version": "the latest version ... even if it is disabled").
            if versions:
                return versions[0]
        else:
            for v in versions:
                if self._version_id(v) == wanted:
                    return v
        raise not_found(
            f"Secret Version [projects/{self._number(req)}/secrets/{req.params['secret']}/versions/{wanted}] not found."
        )

    # -- shapes -----------------------------------------------------------------------

    def _secret_out(self, req: Request, secret: dict[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in secret.items() if k not in ("versions", "iamPolicy")}
        out["name"] = f"projects/{self._number(req)}/secrets/{req.params['secret']}"
        out.setdefault("replication", {"automatic": {}})
        return out

    def _version_out(self, req: Request, version: dict[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in version.items() if k != "payload"}  # never the payload
        out["name"] = (f"projects/{self._number(req)}/secrets/{req.params['secret']}"
                       f"/versions/{self._version_id(version)}")
        state = str(out.get("state") or "ENABLED").upper()
        out["state"] = state if state in _STATES else "ENABLED"
        return out

    # -- handlers ---------------------------------------------------------------------

    def get_secret(self, req: Request) -> dict[str, Any]:
        with self.state.lock:
            return self._secret_out(req, self._secret(req))

    def get_iam_policy(self, req: Request) -> dict[str, Any]:
        with self.state.lock:
            policy = copy.deepcopy(self._secret(req).get("iamPolicy") or {})
        policy.setdefault("version", 1)
        policy.setdefault("etag", "ACAB")  # an empty secret policy still has an etag
        return policy

    def list_versions(self, req: Request) -> dict[str, Any]:
        with self.state.lock:
            secret = self._secret(req)
            versions = [self._version_out(req, v) for v in self._versions(secret)]
        page, token = paginate(versions, req.q_int("pageSize"), req.q("pageToken"))
        out: dict[str, Any] = {"versions": page, "totalSize": len(versions)}
        if token:
            out["nextPageToken"] = token
        return out

    def get_version(self, req: Request) -> dict[str, Any]:
        with self.state.lock:
            return self._version_out(req, self._version(req, self._secret(req)))

    def access(self, req: Request) -> dict[str, Any]:
        with self.state.lock:
            version = self._version(req, self._secret(req))
            shown = self._version_out(req, version)
            payload = copy.deepcopy(version.get("payload") or {})
        if shown["state"] != "ENABLED":
            # A disabled or destroyed version's data cannot be accessed: Google answers 400
            # FAILED_PRECONDITION "Secret Version [projects/N/secrets/S/versions/4] is in
            # DESTROYED state." (quoted in google-github-actions/get-secretmanager-secrets#268,
            # where `latest` resolved to a destroyed version 4 while version 3 was enabled);
            # the DISABLED wording is the same (terraform-provider-google's secret_version
            # data source, magic-modules#3007, matches "is not in ENABLED state" on older APIs).
            raise ApiError("FAILED_PRECONDITION", f"Secret Version [{shown['name']}] is in {shown['state']} state.")
        return {"name": shown["name"], "payload": payload}
