"""Where the probes look: a Gateway on Google Cloud, or on a sandbox serving a world (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from troubleshooter.gateway import Gateway
    from troubleshooter.model import Target
    from troubleshooter.world import World


@dataclass
class Backend:
    """An open Gateway, and the sandbox and world behind it when there is one."""

    gateway: "Gateway" = field(repr=False)
    sandbox: Any = field(default=None, repr=False)
    world: "World | None" = field(default=None, repr=False)

    @property
    def world_target(self) -> "Target | None":
        from troubleshooter.model import Target

        if self.world is None:
            return None
        t = self.world.target
        return Target(project=t.project, region=t.region, service=t.service, job=t.job)

    def close(self) -> None:
        try:
            self.gateway.close()
        finally:
            if self.sandbox is not None:
                self.sandbox.stop()


def open_backend(world_path: Path | None, env: Mapping[str, str], latency: float = 0.0) -> Backend:
    """Start the sandbox on `world_path` (if any) and a Gateway pointed at it; slow imports live here."""
    from troubleshooter.gateway import Gateway

    if world_path is None:
        return Backend(Gateway.from_env(env))
    from troubleshooter.sandbox import Sandbox
    from troubleshooter.world import load_world

    world = load_world(world_path)
    sandbox = Sandbox(world, latency).start()
    try:
        return Backend(Gateway.from_env(sandbox.env), sandbox, world)
    except BaseException:
        sandbox.stop()
        raise


def world_path(world: str) -> Path:
    """A world file path, or a built-in scenario's file when `world` is a bare name."""
    import os

    path = Path(world)
    if path.exists() or os.sep in world or path.suffix:
        return path
    from troubleshooter.scenarios import scenario_path

    return scenario_path(world)


def scenario_description(path: Path) -> str:
    """The markdown `description` of a world file (the scenario picker shows it)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=loader) or {}
    return str(data.get("description", "")).strip()
