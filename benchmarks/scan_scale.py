"""`scan` against N targets (an organization of two projects, three regions) with per-call latency L.

Prints, for each N: the API calls the scan made (the sandbox's call record), the wall time at
L and at L = 0, the sequential round trips (wall(L) - wall(0)) / L, i.e. how many L's the scan
waits one after another, and the CPU per target of the deciding part (time.process_time
around the phase where every target's probes and walk run, divided by N; the sandbox runs in
this process, so the few reads it serves in that phase, databases and users, count too).
Targets (issue 13): at most 6 sequential round trips whatever N; at most 5 ms CPU per target.
Usage: python benchmarks/scan_scale.py [L] [N ...]      (default: L = 0.2, N = 10 100 1000)
"""

from __future__ import annotations

import sys

from troubleshooter.engine.fleet import Scope, scan_workspace
from troubleshooter.engine.tree import load_graph
from troubleshooter.engine.workspace import Workspace
from troubleshooter.scenarios.fleet import ORGANIZATION, fleet_world
from troubleshooter.world import world_from_data


def measure(n: int, latency: float, graph) -> tuple[int, float, float, dict[str, float]]:
    data, _ = fleet_world(n)
    world = world_from_data(data, f"fleet-{n}")
    with Workspace.serving(world, graph) as ws:
        scope = Scope("organization", ORGANIZATION)
        scan_workspace(ws, scope)        # warm-up: clients, channels, imports
        ws.sandbox.latency = 0.0
        cold = scan_workspace(ws, scope)
        ws.sandbox.latency = latency
        result = scan_workspace(ws, scope)
    assert len(result.diagnoses) == n
    return result.api_calls, result.timings["wallS"], cold.timings["wallS"], cold.timings


def main() -> None:
    args = [float(a) for a in sys.argv[1:]]
    latency = args[0] if args else 0.2
    sizes = [int(a) for a in args[1:]] or [10, 100, 1000]
    graph = load_graph()
    print(f"L = {latency:.3f} s; organization of 2 projects x 3 regions")
    print(f"{'N':>6} {'API calls':>10} {'wall@L (s)':>11} {'wall@0 (s)':>11} {'round trips':>12} "
          f"{'CPU/target (ms)':>16} {'decide@0 (s)':>13}")
    for n in sizes:
        calls, wall, cold, t = measure(n, latency, graph)
        trips = (wall - cold) / latency
        cpu_ms = 1000 * t["decideCpuS"] / n
        print(f"{n:6d} {calls:10d} {wall:11.3f} {cold:11.3f} {trips:12.2f} {cpu_ms:16.2f} {t['decideS']:13.3f}")


if __name__ == "__main__":
    main()
