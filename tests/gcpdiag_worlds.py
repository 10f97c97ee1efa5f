"""Worlds built from gcpdiag's captured API responses (tests/data/gcpdiag, see ORIGIN there).

gcpdiag keeps one directory of json-dumps per test project: `project.json` (Resource Manager
v3 Project), `services.json` (Service Usage v1 services.list), `iam-policy.json`
(getIamPolicy), `cloudrun_services.json` (Run Admin v2 services.list) and
`cloudsql-instances.json` (Cloud SQL Admin v1 instances.list). `world_from_dumps` turns the
ones a test names into a world file's data, unchanged apart from the world's own keys.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "gcpdiag"

World = dict[str, Any]


def dump(project_dir: str, name: str) -> Any:
    """One captured response, as parsed JSON (a fresh copy each time)."""
    with (DATA / project_dir / name).open(encoding="utf-8") as fh:
        return json.load(fh)


def _project(project_dir: str) -> dict[str, Any]:
    project = dump(project_dir, "project.json")
    spec: dict[str, Any] = {
        "projectId": project["projectId"],
        "projectNumber": project["name"].removeprefix("projects/"),
        "state": project.get("state"),
        "displayName": project.get("displayName"),
    }
    folder = DATA / project_dir
    if (folder / "services.json").exists():
        spec["enabledServices"] = [
            s["config"]["name"] for s in dump(project_dir, "services.json")["services"]
            if s.get("state") == "ENABLED"
        ]  # fmt: skip
    if (folder / "iam-policy.json").exists():
        spec["iamPolicy"] = dump(project_dir, "iam-policy.json")
    return spec


def world_from_dumps(*project_dirs: str, service: str | None = None, name: str = "gcpdiag") -> World:
    """A world of the dumps' projects, Run services and Cloud SQL instances; the target is
    `service` (the last path segment) or the first service found."""
    world: World = {"name": name, "projects": [], "services": [], "instances": []}
    for d in project_dirs:
        world["projects"].append(_project(d))
        folder = DATA / d
        if (folder / "cloudrun_services.json").exists():
            world["services"].extend(dump(d, "cloudrun_services.json").get("services", []))
        if (folder / "cloudsql-instances.json").exists():
            world["instances"].extend(dump(d, "cloudsql-instances.json").get("items", []))
    chosen = next(
        (s for s in world["services"] if service is None or s["name"].rsplit("/", 1)[-1] == service), None
    )
    if chosen is None:
        raise KeyError(f"no service {service!r} in {project_dirs}")
    _, project, _, region, _, short = chosen["name"].split("/")
    world["target"] = {"project": project, "region": region, "service": short}
    return world


def only(world: World, service: str) -> World:
    """The world with just one of its services, the target (the others' status is not under test)."""
    out = copy.deepcopy(world)
    out["services"] = [s for s in out["services"] if s["name"].rsplit("/", 1)[-1] == service]
    out["target"]["service"] = service
    return out
