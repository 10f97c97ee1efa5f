"""Runs the probes concurrently: each starts at once and waits only for the facts it needs."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from troubleshooter.failures import ApiFailure
from troubleshooter.gateway import Gateway
from troubleshooter.model import Outcome, ProbeResult, Target
from troubleshooter.observations import Observations
from troubleshooter.probes.base import Fetcher, Probe, ProbeContext


@dataclass(frozen=True)
class ProbeEvent:
    """A probe started or finished (for live progress in the TUI)."""

    probe: str
    result: ProbeResult | None = None  # None while running


Listener = Callable[[ProbeEvent], None]


def run_probes(
    target: Target,
    gateway: Gateway,
    probes: Iterable[Probe],
    *,
    signatures: Mapping[str, tuple[re.Pattern[str], ...]] | None = None,
    log_window_minutes: int = 60,
    listener: Listener | None = None,
    obs: Observations | None = None,
    fetcher: Fetcher | None = None,
    sequential: bool = False,
) -> tuple[Observations, dict[str, ProbeResult]]:
    """Run every probe in its own thread; fetches go through one shared, memoised pool (or
    `fetcher`, when the reads are shared wider than this run: a scan's, engine/fleet.py).

    `sequential` runs them one after another in the calling thread, in the given order, which
    must then put every probe after those it waits for (ALL_PROBES does): for a scan, whose
    reads are shared and mostly made already, nine threads per target cost more than they save."""
    probes = list(probes)
    obs = obs or Observations(target)
    done = {p.id: threading.Event() for p in probes}
    results: dict[str, ProbeResult] = {}
    notify = listener or (lambda _e: None)
    with contextlib.ExitStack() as stack:
        if fetcher is None:
            fetch_pool = stack.enter_context(ThreadPoolExecutor(max_workers=32, thread_name_prefix="fetch"))
            fetcher = Fetcher(fetch_pool)
        ctx = ProbeContext(
            target=target,
            gateway=gateway,
            obs=obs,
            fetch=fetcher,
            signatures=signatures or {},
            log_window_minutes=log_window_minutes,
            done=done,
        )

        def run_one(probe: Probe) -> None:
            notify(ProbeEvent(probe.id))
            start = time.perf_counter()
            try:
                ctx.wait_for(*probe.needs)
                result = probe.run(ctx)
            except ApiFailure as failure:
                result = ProbeResult(probe.id, Outcome.UNCERTAIN, failure.explain(), failures=[failure])
            except Exception as exc:  # a probe bug must cost one probe, not the run
                failure = ApiFailure("error", api="troubleshooter", method=probe.id,
                                     message=f"internal error: {type(exc).__name__}: {exc}")
                result = ProbeResult(probe.id, Outcome.UNCERTAIN, failure.explain(), failures=[failure])
            result.duration_ms = int((time.perf_counter() - start) * 1000)
            results[probe.id] = result
            done[probe.id].set()
            notify(ProbeEvent(probe.id, result))

        if sequential:
            seen: set[str] = set()
            for probe in probes:
                missing = [n for n in probe.needs if n not in seen]
                if missing:
                    raise ValueError(f"probe {probe.id} runs before {', '.join(missing)}, which it needs")
                run_one(probe)
                seen.add(probe.id)
        else:
            with ThreadPoolExecutor(max_workers=max(1, len(probes)), thread_name_prefix="probe") as pool:
                list(pool.map(run_one, probes))
    ordered = {p.id: results[p.id] for p in probes}
    return obs, ordered
