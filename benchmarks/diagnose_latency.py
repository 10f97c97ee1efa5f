"""Wall time of one `diagnose` against the sandbox with a per-call latency L, as a multiple of L.

A sequential walk costs about one L per API call on the dependency chain (≈ 8-9 × L for one
service); the concurrent probes should need about 2 × L (service, then instance/IAM/...).
Usage: python benchmarks/diagnose_latency.py [SCENARIO | WORLD_FILE] [L ...] [--read-secrets]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from troubleshooter.engine.run import diagnose
from troubleshooter.engine.tree import load_graph
from troubleshooter.gateway import Gateway
from troubleshooter.model import Target
from troubleshooter.sandbox import Sandbox
from troubleshooter.scenarios import scenario_path
from troubleshooter.world import load_world


def measure(scenario: str, latency: float, graph, read_secrets: bool = False) -> tuple[float, int]:
    world = load_world(Path(scenario) if Path(scenario).is_file() else scenario_path(scenario))
    t = world.target
    target = Target(t.project, t.region, t.service, t.job)
    with Sandbox(world, latency=latency) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        diagnose(target, gateway, graph, read_secrets=read_secrets)  # warm-up: clients, channels
        before = sandbox.call_count
        start = time.perf_counter()
        diagnose(target, gateway, graph, read_secrets=read_secrets)
        elapsed = time.perf_counter() - start
        calls = sandbox.call_count - before
        gateway.close()
    return elapsed, calls


def main() -> None:
    consent = "--read-secrets" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--read-secrets"]
    scenario = args[0] if args and not args[0].replace(".", "").isdigit() else "telepay-missing-attachment"
    latencies = [float(a) for a in args if a.replace(".", "").isdigit()] or [0.1, 0.25, 0.5]
    graph = load_graph()
    print(f"scenario: {scenario}" + (" (--read-secrets)" if consent else ""))
    print(f"{'L (s)':>8} {'wall (s)':>9} {'× L':>6} {'API calls':>10}")
    for latency in latencies:
        elapsed, calls = measure(scenario, latency, graph, consent)
        print(f"{latency:8.2f} {elapsed:9.3f} {elapsed / latency:6.2f} {calls:10d}")


if __name__ == "__main__":
    main()
