"""The sandbox's live world: file-format data behind one lock, plus pending long-running operations."""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import threading
import uuid
from datetime import datetime, timezone
from typing import Any

from troubleshooter.world import World, format_rfc3339

# The APIs whose enablement the sandbox enforces (Service Usage itself is always reachable).
API_SERVICES = {
    "run": "run.googleapis.com",
    "sqladmin": "sqladmin.googleapis.com",
    "logging": "logging.googleapis.com",
    "cloudresourcemanager": "cloudresourcemanager.googleapis.com",
    "compute": "compute.googleapis.com",
    "vpcaccess": "vpcaccess.googleapis.com",
    "secretmanager": "secretmanager.googleapis.com",
}


class PendingOperation:
    """A long-running operation that reports not-done for `polls` reads, then its final form."""

    def __init__(self, running: dict[str, Any], final: dict[str, Any], polls: int) -> None:
        self.running = running
        self.final = final
        self.polls = polls

    def poll(self) -> dict[str, Any]:
        if self.polls > 0:
            self.polls -= 1
            return copy.deepcopy(self.running)
        return copy.deepcopy(self.final)


class WorldState:
    """Mutable world data (file format, camelCase) shared by all servers; hold `lock` to touch it."""

    def __init__(self, world: World) -> None:
        self.lock = threading.RLock()
        self.data: dict[str, Any] = world.to_dict()
        self.operations: dict[str, PendingOperation] = {}
        self._counter = itertools.count(1)
        for project in self.data.get("projects", []):
            policy = project.setdefault("iamPolicy", {})
            policy.setdefault("version", 1)
            policy.setdefault("etag", self.fresh_etag(policy))

    def snapshot(self) -> World:
        with self.lock:
            return World.model_validate(copy.deepcopy(self.data))

    # -- helpers --------------------------------------------------------------------

    @staticmethod
    def now() -> str:
        return format_rfc3339(datetime.now(timezone.utc))

    def fresh_etag(self, content: Any) -> str:
        """A new base64 etag, different on every write even for identical content."""
        digest = hashlib.sha256(
            json.dumps(content, sort_keys=True).encode() + str(next(self._counter)).encode()
        ).digest()
        # Google's IAM etags start with bytes 07 06 ("BwY..." in base64); keep the family likeness.
        return base64.b64encode(b"\x07\x06" + digest[:6]).decode()

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    @property
    def target_project(self) -> str:
        return str(self.data["target"]["project"])

    # -- projects -------------------------------------------------------------------

    def project(self, ref: str) -> dict[str, Any] | None:
        """The project spec whose id or number is `ref` (with or without `projects/`)."""
        ref = ref.removeprefix("projects/")
        with self.lock:
            for p in self.data.get("projects", []):
                if ref in (p["projectId"], p["projectNumber"]):
                    return p
        return None

    def project_id(self, ref: str) -> str:
        p = self.project(ref)
        return p["projectId"] if p else ref.removeprefix("projects/")

    def project_number(self, ref: str) -> str:
        p = self.project(ref)
        return p["projectNumber"] if p else ref.removeprefix("projects/")

    def same_project(self, a: str, b: str) -> bool:
        return a == b or self.project_id(a) == self.project_id(b)

    def consumer(self, hint: str | None) -> str:
        """The project a call is billed to: `x-goog-user-project` if it names a known one, else the target."""
        if hint and self.project(hint) is not None:
            return hint
        return self.target_project

    def is_enabled(self, project_ref: str, service: str) -> bool:
        p = self.project(project_ref)
        if p is None or p.get("enabledServices") is None:
            return True
        return service in p["enabledServices"]

    def set_enabled(self, project_ref: str, service: str, enabled: bool) -> None:
        with self.lock:
            p = self.project(project_ref)
            if p is None or p.get("enabledServices") is None:
                if p is not None and not enabled:
                    # Describing one disabled API means describing them all: start from the enforced set.
                    p["enabledServices"] = [s for s in API_SERVICES.values() if s != service]
                return
            services: list[str] = p["enabledServices"]
            if enabled and service not in services:
                services.append(service)
            elif not enabled and service in services:
                services.remove(service)

    # -- names ----------------------------------------------------------------------

    def same_name(self, a: str, b: str) -> bool:
        """Resource names equal up to project id vs number (`projects/P/...`)."""
        pa, pb = a.split("/"), b.split("/")
        if len(pa) != len(pb):
            return False
        if len(pa) >= 2 and pa[0] == "projects":
            return pa[2:] == pb[2:] and pb[0] == "projects" and self.same_project(pa[1], pb[1])
        return pa == pb

    def find(self, collection: str, name: str) -> dict[str, Any] | None:
        """The resource named `name` in a list collection (services, jobs, ...), live (not a copy)."""
        with self.lock:
            for item in self.data.get(collection, []):
                if self.same_name(item.get("name", ""), name):
                    return item
        return None
