"""How checks word a verdict: failed, unknown, per-instance judging, and the worst-wins roll-up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from troubleshooter.facts.instance import Instance
from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.read import Facts
from troubleshooter.model import CheckResult, Evidence, InstanceRef, Outcome

if TYPE_CHECKING:
    from troubleshooter.remedies.contracts import FixInput


def failed(
    summary: str,
    evidence: Iterable[Evidence],
    params: dict[str, Any],
    expected_actual: Iterable[tuple[str, str, str]] = (),
    fix: FixInput | None = None,
) -> CheckResult:
    return CheckResult(Outcome.FAILED, summary, tuple(evidence), params, tuple(expected_actual), fix)


def unknown(obs: Facts, what: str, *keys: FactKey) -> CheckResult:
    return CheckResult.uncertain(f"Cannot tell {what}: {obs.reason(*keys)}.")


def combine(results: Sequence[CheckResult]) -> CheckResult:
    """Roll per-resource verdicts into one: the first failure wins, then doubt, then success."""
    for outcome in (Outcome.FAILED, Outcome.UNCERTAIN):
        hits = [r for r in results if r.outcome == outcome]
        if hits:
            first = hits[0]
            others = [r.summary for r in hits[1:]]
            summary = first.summary + (f" Also: {' '.join(others)}" if others else "")
            evidence = tuple(e for r in hits for e in r.evidence)
            return CheckResult(outcome, summary, evidence, first.params, first.expected_actual, first.fix)
    oks = [r for r in results if r.outcome == Outcome.OK]
    if oks:
        return CheckResult(
            Outcome.OK, " ".join(r.summary for r in oks), tuple(e for r in oks for e in r.evidence)
        )
    if results:
        return CheckResult.skipped(" ".join(r.summary for r in results))
    return CheckResult.skipped("Nothing to check.")


def per_instance(obs: Facts, judge: Callable[[InstanceRef, Instance], CheckResult]) -> CheckResult:
    """Judge every named instance; an unreadable one is uncertain, a missing one skipped."""
    refs = obs.refs
    if not refs:
        hidden = obs.refs_unknown()
        if hidden:
            return CheckResult.uncertain(f"Which instances are involved is unknown: {hidden}.")
        return CheckResult.skipped("No Cloud SQL instance is attached to or named by the app.")
    results = []
    for ref in refs:
        inst = obs.instance(ref)
        if inst is not None:
            results.append(judge(ref, inst))
            continue
        key = FactKey.instance(ref.project, ref.instance)
        f = obs.failure(key)
        if f is not None and f.kind == "not-found":
            results.append(CheckResult.skipped(f"Instance {ref.key} does not exist (instance-not-found)."))
        else:
            results.append(CheckResult.uncertain(f"Cannot read instance {ref.key}: {obs.reason(key)}."))
    return combine(results)
