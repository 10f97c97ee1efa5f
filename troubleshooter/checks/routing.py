"""Checks that route the walk rather than report a cause: they read the walk itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from troubleshooter.model import CheckResult, Evidence, Outcome
from troubleshooter.observations import Observations


@dataclass(frozen=True)
class RouteCheck:
    """Like Check, but decided from the observations and the outcomes reached so far."""

    id: str
    title: str
    produces: None
    probes: tuple[str, ...]
    evaluate: Callable[[Observations, Sequence[tuple[str, str]]], CheckResult]


def _settings_readable(obs: Observations, _steps: Sequence[tuple[str, str]]) -> CheckResult:
    if obs.app is None:
        failure = obs.failure("run")
        return CheckResult.uncertain(
            f"the app's settings are unknown: {failure.explain()}" if failure
            else "the app's settings are unknown"
        )
    readable = [c for c in obs.app if c.kind != "secret"]
    secret = [c for c in obs.app if c.kind == "secret"]
    if not obs.app:
        return CheckResult.skipped("the app sets no database connection variables")
    if readable:
        return CheckResult.ok(
            "the app's connection settings are in plain environment values",
            *(Evidence("app-settings", "env", c.display, "run.googleapis.com") for c in readable),
        )
    names = ", ".join(n for c in secret for n in c.source)
    return CheckResult(
        Outcome.FAILED,
        f"the connection settings ({names}) come from Secret Manager and were not read",
        tuple(Evidence("app-settings", "env", c.display, "run.googleapis.com") for c in secret),
    )


def _conclusion(_obs: Observations, steps: Sequence[tuple[str, str]]) -> CheckResult:
    """steps: (node id, outcome) pairs walked so far."""
    causes = [nid for nid, _ in steps if nid.startswith("cause:")]
    if causes:
        return CheckResult(Outcome.FAILED, f"{len(causes)} root cause(s) found")
    doubtful = [nid for nid, outcome in steps if nid.startswith("check:") and outcome == "uncertain"]
    if doubtful:
        return CheckResult.uncertain(
            f"no root cause found, but {len(doubtful)} check(s) could not decide: "
            + ", ".join(d.split(":", 1)[1] for d in doubtful)
        )
    return CheckResult.ok("every check passed")


ROUTE_CHECKS: dict[str, RouteCheck] = {
    c.id: c
    for c in (
        RouteCheck("app-settings-readable", "Can we see how the app connects?", None,
                   ("app-settings",), _settings_readable),
        RouteCheck("any-root-cause", "Was any root cause found?", None, (), _conclusion),
    )
}
