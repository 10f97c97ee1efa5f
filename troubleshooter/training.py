"""Training: a built-in incident as the operator met it, the checks a learner runs, the debrief,
and the learner's progress on this machine (no Textual here; nothing is sent anywhere).

A drill runs the real engine once on the scenario's sandbox and keeps the finished diagnosis:
each check the learner runs reveals that diagnosis's result (checks the graph's walk did not
reach are evaluated over the same observations, so no extra API call is made). What a check
costs is measured on the sandbox: the calls its probes make when run alone (the sandbox's
CallLog), so an unnecessary check has a price in API calls.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from troubleshooter.checks import REGISTRY as CHECKS
from troubleshooter.checks.routing import ROUTE_CHECKS
from troubleshooter.errors import BadInput
from troubleshooter.model import CheckResult, Outcome
from troubleshooter.redact import redact

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Diagnosis, Reported
    from troubleshooter.graph import DecisionGraph
    from troubleshooter.world import IncidentCost

# Tests (and anyone who wants it elsewhere) point the progress file at another folder.
DATA_DIR_ENV = "TROUBLESHOOTER_DATA_DIR"


@dataclass(frozen=True)
class CheckReveal:
    """What running one check shows the learner: its question, why it matters, what it found."""

    node: str                     # the graph's node id (check:...)
    title: str
    why: str
    outcome: str                  # ok | failed | uncertain | skipped
    summary: str                  # redacted
    result: CheckResult = field(repr=False)
    calls: int                    # API calls its probes make, run alone on the sandbox
    probes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Drill:
    """One scenario ready to train on: the story without its resolution, and every check's answer."""

    name: str
    title: str
    story: str
    symptoms: tuple[str, ...]             # what the logs (or the deploy state) point at
    symptom_titles: tuple[str, ...]
    log_lines: tuple[str, ...]            # redacted lines that matched the symptoms
    checks: tuple[CheckReveal, ...]       # the graph's checks, in graph order
    path: tuple[str, ...]                 # the graph's walk for these symptoms, up to its last cause
    causes: tuple["Reported", ...]        # what holds (the engine's diagnosis)
    catalog: tuple[tuple[str, str], ...]  # (cause id, title) the learner names from
    resolution: str = ""
    cost: tuple["IncidentCost", ...] = ()

    def check(self, node: str) -> CheckReveal:
        return next(c for c in self.checks if c.node == node)

    @property
    def holds(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.causes)


@dataclass
class Attempt:
    """The learner's try: the checks they ran, in order, and the causes they named."""

    ran: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)

    def run(self, node: str) -> None:
        if node not in self.ran:
            self.ran.append(node)


@dataclass(frozen=True)
class Debrief:
    """The learner's answer against what holds, and their path against the graph's."""

    right: tuple[str, ...]          # named and holds
    wrong: tuple[str, ...]          # named, does not hold
    missed: tuple[str, ...]         # holds, not named
    extra: tuple[tuple[str, int], ...]   # checks run off the graph's path, with their calls
    skipped: tuple[str, ...]        # checks on the graph's path the learner did not run
    calls_spent: int                # calls of every check the learner ran
    calls_path: int                 # calls of the graph's path

    @property
    def solved(self) -> bool:
        return not self.wrong and not self.missed

    @property
    def calls_wasted(self) -> int:
        return sum(calls for _, calls in self.extra)


def debrief(drill: Drill, attempt: Attempt) -> Debrief:
    holds = drill.holds
    named = list(dict.fromkeys(attempt.named))
    on_path = set(drill.path)
    calls = {c.node: c.calls for c in drill.checks}
    return Debrief(
        right=tuple(c for c in named if c in holds),
        wrong=tuple(c for c in named if c not in holds),
        missed=tuple(c for c in holds if c not in named),
        extra=tuple((n, calls.get(n, 0)) for n in attempt.ran if n not in on_path),
        skipped=tuple(n for n in drill.path if n not in attempt.ran),
        calls_spent=sum(calls.get(n, 0) for n in attempt.ran),
        calls_path=sum(calls.get(n, 0) for n in drill.path),
    )


# --------------------------------------------------------------------------- preparing a drill


def trainable(graph: "DecisionGraph") -> list[Any]:
    """The checks a learner may run: every check node but the graph's own routing steps."""
    return [n for n in graph.check_nodes() if n.spec.check not in ROUTE_CHECKS]


def prepare(name: str, graph: "DecisionGraph | None" = None) -> Drill:
    """Run the real engine once on scenario `name`'s sandbox and keep every check's answer."""
    from troubleshooter.engine.run import diagnose
    from troubleshooter.engine.workspace import Workspace

    with Workspace.open(name, env={}, graph=graph) as workspace:
        world = workspace.world
        assert world is not None and workspace.world_target is not None
        diagnosis = diagnose(workspace.world_target, workspace.gateway, workspace.graph)
        costs = probe_costs(workspace, diagnosis, [n.probes for n in trainable(workspace.graph)])
    return drill_of(name, world.title or name, world.description, diagnosis, costs,
                    resolution=world.resolution.text.strip() if world.resolution else "",
                    cost=tuple(world.resolution.cost) if world.resolution else ())


def probe_costs(workspace: Any, diagnosis: "Diagnosis",
                probe_sets: Iterable[tuple[str, ...]]) -> dict[frozenset[str], int]:
    """API calls each set of probes makes when run alone (with the probes they wait for),
    counted from the sandbox's CallLog; a fresh run each time, so nothing is shared."""
    from troubleshooter.probes import REGISTRY as PROBES
    from troubleshooter.runner import run_probes

    calls = workspace.sandbox.calls
    out: dict[frozenset[str], int] = {}
    for ids in probe_sets:
        key = frozenset(ids)
        if key in out:
            continue
        needed: set[str] = set()
        todo = list(ids)
        while todo:
            pid = todo.pop()
            if pid not in needed:
                needed.add(pid)
                todo.extend(PROBES[pid].needs)
        probes = [p for pid, p in PROBES.items() if pid in needed]
        calls.clear()
        run_probes(diagnosis.target, workspace.gateway, probes, signatures=diagnosis.graph.signatures(),
                   log_window_minutes=60 if diagnosis.target.kind == "service" else 24 * 60)
        out[key] = len(calls)
    return out


def drill_of(name: str, title: str, story: str, diagnosis: "Diagnosis", costs: dict[frozenset[str], int],
             resolution: str = "", cost: tuple["IncidentCost", ...] = ()) -> Drill:
    graph = diagnosis.graph
    steps = {s.node.id: s for s in diagnosis.walk.steps if s.node.kind == "check" and s.result is not None}
    reveals = []
    for node in trainable(graph):
        step = steps.get(node.id)
        result = step.result if step is not None and step.result is not None else _evaluate(node, diagnosis)
        reveals.append(CheckReveal(node.id, node.title, node.why, result.outcome.value, redact(result.summary),
                                   result, costs.get(frozenset(node.probes), 0), node.probes))
    offered = {r.node for r in reveals}
    walked = [n for n in steps if n in offered]
    # The walk goes on past the last cause (it checks everything, to find every cause at once);
    # the graph's path for the debrief is the walk up to the check that reached the last cause.
    reaching = {n for n, s in steps.items() if s.outcome == "failed"
                and any(graph.nodes[t].kind == "cause" for t in s.node.spec.routes.get("failed", []))}
    last = max((i for i, n in enumerate(walked) if n in reaching), default=len(walked) - 1)
    path = tuple(walked[: last + 1])
    lines: list[str] = []
    for symptom in diagnosis.symptoms:
        match = diagnosis.obs.logs.get(symptom)
        lines += [redact(line) for line in (match.lines if match else ())]
    titles = tuple(graph.nodes[f"symptom:{s}"].title for s in diagnosis.symptoms if f"symptom:{s}" in graph.nodes)
    catalog = tuple((n.short, n.title) for n in graph.of_kind("cause"))
    return Drill(name, title, story.strip(), tuple(diagnosis.symptoms), titles, tuple(dict.fromkeys(lines)),
                 tuple(reveals), path, tuple(diagnosis.causes), catalog, resolution, cost)


def _evaluate(node: Any, diagnosis: "Diagnosis") -> CheckResult:
    """A check the walk did not reach, over the same observations (pure: no API call)."""
    try:
        return CHECKS[node.spec.check].evaluate(diagnosis.obs)
    except Exception as exc:  # a check bug must not end the lesson
        return CheckResult(Outcome.UNCERTAIN, f"could not decide: {type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- progress


@dataclass
class Record:
    """One scenario's history: tries, whether it was ever solved, whether the first try was."""

    tries: int = 0
    solved: bool = False
    first_try: bool | None = None


class Progress:
    """The learner's progress, a small JSON file in the platform's per-user data directory."""

    def __init__(self, folder: Path | None = None) -> None:
        self.path = (folder or data_dir()) / "training.json"
        self.records: dict[str, Record] = {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raw = {}
        except (OSError, ValueError):
            raw = {}  # an unreadable file starts afresh rather than ending the lesson
        scenarios = raw.get("scenarios", {}) if isinstance(raw, dict) else {}
        for key, value in (scenarios if isinstance(scenarios, dict) else {}).items():
            if isinstance(value, dict):
                tries, first = value.get("tries", 0), value.get("firstTry")
                self.records[str(key)] = Record(tries if isinstance(tries, int) else 0,
                                                value.get("solved") is True,
                                                first if isinstance(first, bool) else None)

    def mark(self, scenario: str) -> str:
        """A word for the scenario picker: solved first try, solved, tried, or nothing yet."""
        rec = self.records.get(scenario)
        if rec is None or not rec.tries:
            return ""
        return "solved first try" if rec.first_try else "solved" if rec.solved else "not solved yet"

    def record(self, scenario: str, solved: bool) -> Record:
        rec = self.records.setdefault(scenario, Record())
        rec.tries += 1
        rec.solved = rec.solved or solved
        if rec.first_try is None:
            rec.first_try = solved
        self.save()
        return rec

    def save(self) -> None:
        data = {"scenarios": {k: {"tries": r.tries, "solved": r.solved, "firstTry": r.first_try}
                              for k, r in sorted(self.records.items())}}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"{self.path}: cannot save training progress: {exc.strerror or exc}") from None

    @property
    def tried(self) -> int:
        return sum(1 for r in self.records.values() if r.tries)

    @property
    def solved(self) -> int:
        return sum(1 for r in self.records.values() if r.solved)

    @property
    def first_try_accuracy(self) -> float | None:
        firsts = [r.first_try for r in self.records.values() if r.first_try is not None]
        return sum(firsts) / len(firsts) if firsts else None

    def summary(self) -> str:
        accuracy = self.first_try_accuracy
        first = f"{accuracy:.0%} right on the first try" if accuracy is not None else "no first try yet"
        return f"{self.tried} tried · {self.solved} solved · {first}"


def data_dir() -> Path:
    """Where progress lives: $TROUBLESHOOTER_DATA_DIR, else the platform's user data directory."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("troubleshooter", appauthor=False))


__all__ = ["Attempt", "CheckReveal", "Debrief", "Drill", "Progress", "debrief", "prepare"]
