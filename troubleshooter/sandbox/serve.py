"""Serve a world file until interrupted, printing the shell exports that point gcloud and us at it."""

from __future__ import annotations

import shlex
import threading
from typing import TextIO

from troubleshooter.sandbox.core import Sandbox
from troubleshooter.world import load_world


def export_lines(sandbox: Sandbox) -> list[str]:
    """`export NAME=value` lines: endpoint overrides, then the target's project and region."""
    target = sandbox.snapshot().target
    env = {**sandbox.env, "CLOUDSDK_CORE_PROJECT": target.project, "CLOUDSDK_RUN_REGION": target.region}
    return [f"export {name}={shlex.quote(value)}" for name, value in env.items()]


def serve_forever(world_path: str, latency: float, out: TextIO, *, stop: threading.Event | None = None) -> None:
    """Start the sandbox on `world_path`, print the exports, block until Ctrl-C (or `stop`), then stop."""
    world = load_world(world_path)
    done = stop or threading.Event()
    with Sandbox(world, latency=latency) as sandbox:
        for line in export_lines(sandbox):
            print(line, file=out)
        print(f"# sandbox serving world {world.name!r}; Ctrl-C to stop", file=out)
        out.flush()
        try:
            while not done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
