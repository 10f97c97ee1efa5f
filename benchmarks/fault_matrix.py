"""Fault matrix (issue 15): every read method the probes call x 403, 404, 429, 500, 503, a stall and
API disabled, injected through the sandbox's faults, each run as the real console script
(`troubleshooter diagnose --world W --format json`) in its own process.

Counted per run:
- crash: a traceback on stderr, or an exit code outside 0-4;
- hang: the run took longer than HANG_SECONDS (the gateway's deadlines should cut any stall);
- false cause: a root cause or finding the world's `expect` does not list, except
  sqladmin-api-disabled when Cloud SQL Admin is made disabled, and instance-not-found when the
  instance read answers 404 (both are then what the API says);
- wrong exit: exit 2 (bad input: nothing was wrong with the input; but a 404 on the target's
  own read is "no such service", exit 2 by the spec), exit 1 on a world whose
  expect has no root cause, or exit 0 when a root cause was expected and hidden (a fault may
  hide it, but then the run must not say "healthy": 3, or 4 inconclusive, are right).
  Exit 0 with checks that could not decide is counted apart ("0 with unknowns"): the second
  edition's exit 4 (another branch) is the code for it.

Run: python benchmarks/fault_matrix.py [--worlds healthy-baseline,telepay-missing-attachment] [-j 3]
Prints one line per (world, method, fault) that is anything but clean, and the totals.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from troubleshooter.scenarios import scenario_path

HANG_SECONDS = 60.0

# Every read the probes make (sandbox calls of the scenarios: service and job targets).
READS: dict[str, list[tuple[str, str]]] = {
    "service": [("run", "GetService"), ("run", "GetRevision")],
    "job": [("run", "GetJob"), ("run", "GetExecution")],
    "common": [
        ("cloudresourcemanager", "GetProject"), ("cloudresourcemanager", "GetIamPolicy"),
        ("logging", "ListLogEntries"), ("serviceusage", "GetService"),
        ("sqladmin", "SqlInstancesService/Get"), ("sqladmin", "SqlInstancesService/List"),
        ("sqladmin", "SqlDatabasesService/List"), ("sqladmin", "SqlUsersService/List"),
    ],
}

FAULTS: dict[str, dict[str, Any]] = {
    "403": {"code": 403, "reason": "IAM_PERMISSION_DENIED"},
    "404": {"code": 404},
    "429": {"code": 429},
    "500": {"code": 500},
    "503": {"code": 503},
    "stall": {"delay": 40},
    "api-disabled": {"code": 403, "reason": "SERVICE_DISABLED"},
}


def _world(name: str, api: str, method: str, fault: dict[str, Any]) -> dict[str, Any]:
    data = yaml.safe_load(scenario_path(name).read_text(encoding="utf-8"))
    data["faults"] = [{"api": api, "method": method, **fault}]
    return data


def _run(name: str, api: str, method: str, label: str, tmp: Path) -> dict[str, Any]:
    data = _world(name, api, method, FAULTS[label])
    expect = data.get("expect") or {}
    path = tmp / f"{name}-{api}-{method.replace('/', '.')}-{label}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "troubleshooter", "diagnose", "--world", str(path),
                               "--format", "json"], capture_output=True, text=True, timeout=HANG_SECONDS * 2)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired:
        code, out, err = None, "", ""
    seconds = time.monotonic() - started
    result: dict[str, Any] = {"world": name, "api": api, "method": method, "fault": label, "exit": code,
                              "seconds": round(seconds, 1), "problems": []}
    if code is None or seconds > HANG_SECONDS:
        result["problems"].append("hang")
    if "Traceback" in err or (code is not None and code not in (0, 1, 2, 3, 4)):
        result["problems"].append("crash")
    found: list[str] = []
    unknowns = 0
    if out.strip():
        try:
            report = json.loads(out)
            found = [c["id"] for c in report.get("rootCauses", [])] + [f["id"] for f in report.get("findings", [])]
            unknowns = sum(1 for p in report.get("probes", []) if p.get("outcome") != "ok")
        except (json.JSONDecodeError, KeyError, TypeError):
            result["problems"].append("crash")
    allowed = set(expect.get("rootCauses", [])) | set(expect.get("findings", []))
    if api == "sqladmin" and label == "api-disabled":
        allowed.add("sqladmin-api-disabled")
    # A 404 is the API saying the thing does not exist: reading it so is true, not invented.
    target_read = method in ("GetService", "GetJob") and api == "run"
    if label == "404" and method == "SqlInstancesService/Get":
        allowed.add("instance-not-found")
    false = [c for c in found if c not in allowed]
    if false:
        result["problems"].append(f"false cause {','.join(false)}")
    expected_causes = bool(expect.get("rootCauses"))
    if (code == 2 and not (target_read and label == "404")) or (
            code == 1 and not expected_causes and not (set(found) & allowed)):
        result["problems"].append("wrong exit")
    if code == 0 and expected_causes:
        result["problems"].append("wrong exit")
    if code == 0 and unknowns:
        result["zero_with_unknowns"] = True
    result["err"] = err.strip().splitlines()[-1][:160] if err.strip() else ""
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worlds", default="healthy-baseline,telepay-missing-attachment,saleor-job-open-network")
    parser.add_argument("-j", type=int, default=3)
    args = parser.parse_args()
    jobs = []
    for name in args.worlds.split(","):
        data = yaml.safe_load(scenario_path(name).read_text(encoding="utf-8"))
        kind = "job" if data["target"].get("job") else "service"
        for api, method in READS[kind] + READS["common"]:
            for label in FAULTS:
                jobs.append((name, api, method, label))
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=args.j) as pool:
        results = list(pool.map(lambda j: _run(*j, Path(tmp)), jobs))
    totals = {"crash": 0, "hang": 0, "false cause": 0, "wrong exit": 0}
    for r in results:
        for p in r["problems"]:
            totals["false cause" if p.startswith("false cause") else p] += 1
        if r["problems"]:
            print(f"{r['world']:28} {r['api']}:{r['method']:28} {r['fault']:12} exit={r['exit']} "
                  f"{r['seconds']}s {'; '.join(r['problems'])} | {r['err']}")
    exits: dict[str, int] = {}
    for r in results:
        exits[str(r["exit"])] = exits.get(str(r["exit"]), 0) + 1
    zero_unknown = sum(1 for r in results if r.get("zero_with_unknowns"))
    slowest = max(results, key=lambda r: r["seconds"])
    print(f"runs {len(results)}; " + ", ".join(f"{k}s {v}" for k, v in totals.items()))
    print(f"exit codes: {dict(sorted(exits.items()))}; exit 0 with undecided probes: {zero_unknown}; "
          f"slowest {slowest['seconds']}s ({slowest['api']}:{slowest['method']} {slowest['fault']})")
    return 0 if not any(totals.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
