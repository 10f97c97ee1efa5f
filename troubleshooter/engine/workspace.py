"""Where a run looks: the one place that builds a Gateway and the decision graph, on Google Cloud or
on a sandbox serving a world file (the sandbox is imported only then, and only here)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from troubleshooter.errors import BadInput
from troubleshooter.model import Target
from troubleshooter.target import resolve

if TYPE_CHECKING:
    from troubleshooter.gateway import Gateway
    from troubleshooter.graph import DecisionGraph
    from troubleshooter.sandbox import Sandbox
    from troubleshooter.world import World


@dataclass
class Workspace:
    """An open Gateway and the decision graph; the sandbox and its world when there is one."""

    gateway: "Gateway" = field(repr=False)
    graph: "DecisionGraph" = field(repr=False)
    sandbox: "Sandbox | None" = field(default=None, repr=False)
    world: "World | None" = field(default=None, repr=False)

    @classmethod
    def open(cls, world: str | Path | None = None, *, env: Mapping[str, str] | None = None,
             latency: float = 0.0, graph: "DecisionGraph | None" = None,
             gateway_options: Mapping[str, float] | None = None) -> "Workspace":
        """Google Cloud (through `env`'s endpoint overrides), or a sandbox serving `world`.

        `world` is a world file's path, or a built-in scenario's name; the slow imports (Google's
        clients, the sandbox) happen here, not at start-up.
        """
        from troubleshooter.engine.tree import load_graph
        from troubleshooter.gateway import Gateway

        graph = graph if graph is not None else load_graph()
        options = dict(gateway_options or {})
        if world is None:
            return cls(Gateway.from_env(os.environ if env is None else env, **options), graph)
        from troubleshooter.world import load_world

        loaded = load_world(world if isinstance(world, Path) else world_path(world))
        return cls.serving(loaded, graph, latency=latency, gateway_options=options)

    @classmethod
    def serving(cls, world: "World", graph: "DecisionGraph", *, latency: float = 0.0,
                gateway_options: Mapping[str, float] | None = None) -> "Workspace":
        """A sandbox on an already validated world, and a Gateway pointed at it."""
        from troubleshooter.gateway import Gateway
        from troubleshooter.sandbox import Sandbox

        sandbox = Sandbox(world, latency).start()
        try:
            return cls(Gateway.from_env(sandbox.env, **dict(gateway_options or {})), graph, sandbox, world)
        except BaseException:
            sandbox.stop()
            raise

    @property
    def notes(self) -> list[str]:
        """What the loader did to the world file (a v1 service converted...): for the operator."""
        return list(self.world.notes) if self.world is not None else []

    @property
    def sandboxed(self) -> bool:
        return self.sandbox is not None

    @property
    def world_target(self) -> Target | None:
        """The target a world file names (it fills in the target flags)."""
        if self.world is None:
            return None
        t = self.world.target
        return Target(project=t.project, region=t.region, service=t.service, job=t.job)

    def target(self, project: str | None = None, region: str | None = None,
               service: str | None = None, job: str | None = None) -> Target:
        """The complete target from flags, then the world's, then gcloud's defaults (BadInput if not)."""
        return resolve(project, region, service, job, fallback=self.world_target)

    def close(self) -> None:
        from troubleshooter.redact import forget_known_secrets

        try:
            self.gateway.close()
        finally:
            forget_known_secrets(self.gateway)  # the Secret Manager values its runs read: not kept past it
            if self.sandbox is not None:
                self.sandbox.stop()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def world_path(world: str) -> Path:
    """A world file's path, or a built-in scenario's file when `world` is a bare name."""
    path = Path(world)
    if path.exists():
        return path
    if os.sep not in world and not path.suffix:
        from troubleshooter.scenarios import scenario_path

        return scenario_path(world)  # unknown names fail here, with the list of valid ones
    raise BadInput(f"{world}: no such world file")
