"""Time to first paint: the troubleshooter's app vs a bare Textual app, each started N times in fresh
interpreters (so imports count, as they do for a user).

Each child starts the app headless and exits on the first refresh after mount; the time is taken
from just before the child is spawned to that refresh (wall clock, so Python start-up is included).
The child also says whether any Google client or gRPC module was loaded by then (it must not be).

    python benchmarks/first_paint.py [-n 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CHILD = r"""
import sys, time
{setup}

class Timed(Base):
    def on_mount(self) -> None:
        self.call_after_refresh(self.painted)

    def painted(self) -> None:
        heavy = sorted(m for m in sys.modules if m.startswith(("google.cloud", "grpc")))
        print(time.time(), len(heavy))
        self.exit()

{make}.run(headless=True, size=(120, 36))
"""

BARE = CHILD.format(
    setup="""from textual.app import App
from textual.widgets import Footer, Header, Static

class Base(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()
""",
    make="Timed()",
)

OURS = CHILD.format(
    setup="""import troubleshooter.cli  # the console script's module, as `troubleshooter demo` imports it
from troubleshooter.tui.app import TroubleshooterApp as Base
from troubleshooter.tui.launch import Launch
""",
    make="Timed(Launch(demo=True))",
)


def once(code: str) -> tuple[float, int]:
    start = time.time()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    painted, heavy = out.stdout.split()[-2:]
    return float(painted) - start, int(heavy)


def main() -> None:
    parser = argparse.ArgumentParser(description="time to first paint, ours vs a bare Textual app")
    parser.add_argument("-n", type=int, default=10, help="runs of each (alternating)")
    args = parser.parse_args()
    bare: list[float] = []
    ours: list[float] = []
    heavy_seen = 0
    once(BARE), once(OURS)  # warm the OS file cache and the .pyc files
    for _ in range(args.n):
        bare.append(once(BARE)[0])
        took, heavy = once(OURS)
        ours.append(took)
        heavy_seen = max(heavy_seen, heavy)

    def show(name: str, xs: list[float]) -> str:
        return (f"{name:<16} median {statistics.median(xs) * 1000:6.0f} ms   "
                f"min {min(xs) * 1000:6.0f} ms   max {max(xs) * 1000:6.0f} ms")

    print(f"first paint, {args.n} runs each, fresh interpreters, headless 120x36")
    print(show("bare Textual", bare))
    print(show("troubleshooter", ours))
    diff = statistics.median(ours) - statistics.median(bare)
    print(f"{'difference':<16} median {diff * 1000:+6.0f} ms")
    print(f"Google client / gRPC modules loaded at first paint: {heavy_seen}")
    target = 0.5
    verdict = "within" if statistics.median(ours) < target else "OVER"
    print(f"target < {target * 1000:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
