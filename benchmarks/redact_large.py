"""Redaction time of a 250 KB log line and a 250 KB env value (issue 15: each must stay under 1 s).

Run: python benchmarks/redact_large.py. The inputs are the shapes that backtracked before
(long runs of letters and digits, scheme-like runs, secrets buried in them).
"""

from __future__ import annotations

import time

from troubleshooter.redact import redact, redact_env, secret_in_env

SIZE = 250_000


def _timed(fn, *args) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> int:
    inputs = {
        "letters": "a" * SIZE,
        "letters+digits": "a1" * (SIZE // 2),
        "scheme-like": "a://b:" * (SIZE // 6),
        "log line with a DSN": ("connecting " * (SIZE // 11 - 10)) + "postgresql://u:pw@h/db",
        "key=value pairs": "x=a " * (SIZE // 4),
    }
    worst = 0.0
    for label, text in inputs.items():
        log = _timed(redact, text)
        env = _timed(lambda v: (redact_env("APP_CONFIG", v), secret_in_env("APP_CONFIG", v)), text)
        worst = max(worst, log, env)
        print(f"{label:22} {len(text) / 1000:.0f} KB  log line {log * 1000:7.1f} ms  env value {env * 1000:7.1f} ms")
    print(f"worst {worst * 1000:.1f} ms ({'ok' if worst < 1 else 'TOO SLOW'}: limit 1000 ms)")
    return 0 if worst < 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
