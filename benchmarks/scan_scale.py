"""`scan` against N targets (an organization of two projects, three regions) with per-call latency L.

Prints, for each N: the API calls the scan made (the sandbox's call record), the wall time at
L and at L = 0, the sequential round trips: the longest chain of calls in the call record each
of which started after the one before it had ended (an upper bound of the calls the scan waited
for one after another, whatever CPU time lies between them; (wall(L) - wall(0)) / L says the
same on an idle machine, but not on a loaded one where CPU time swamps L), and the CPU per
target of the deciding part (time.process_time
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


def round_trips(calls: list) -> int:
    """The longest chain of calls, each started after the previous one ended."""
    ends: list[tuple[float, int]] = []      # (end, chain length ending there), by end time
    best = 0
    for c in sorted(calls, key=lambda c: c.time):
        before = max((n for end, n in ends if end <= c.time), default=0)
        ends.append((c.time + c.duration, before + 1))
        best = max(best, before + 1)
    return best


def measure(n: int, latency: float, graph) -> tuple[int, float, float, dict[str, float], int]:
    data, _ = fleet_world(n)
    world = world_from_data(data, f"fleet-{n}")
    with Workspace.serving(world, graph) as ws:
        scope = Scope("organization", ORGANIZATION)
        scan_workspace(ws, scope)        # warm-up: clients, channels, imports
        ws.sandbox.latency = 0.0
        cold = scan_workspace(ws, scope)
        ws.sandbox.latency = latency
        ws.sandbox.calls.clear()
        result = scan_workspace(ws, scope)
        trips = round_trips(ws.sandbox.calls.entries())
    assert len(result.diagnoses) == n
    return result.api_calls, result.timings["wallS"], cold.timings["wallS"], cold.timings, trips


def main() -> None:
    args = [float(a) for a in sys.argv[1:]]
    latency = args[0] if args else 0.2
    sizes = [int(a) for a in args[1:]] or [10, 100, 1000]
    graph = load_graph()
    print(f"L = {latency:.3f} s; organization of 2 projects x 3 regions")
    print(f"{'N':>6} {'API calls':>10} {'wall@L (s)':>11} {'wall@0 (s)':>11} {'round trips':>12} "
          f"{'CPU/target (ms)':>16} {'decide@0 (s)':>13}")
    for n in sizes:
        calls, wall, cold, t, trips = measure(n, latency, graph)
        cpu_ms = 1000 * t["decideCpuS"] / n
        print(f"{n:6d} {calls:10d} {wall:11.3f} {cold:11.3f} {trips:12d} {cpu_ms:16.2f} {t['decideS']:13.3f}")


if __name__ == "__main__":
    main()
