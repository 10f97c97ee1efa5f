"""Checks that route the walk rather than report a cause: they read the walk itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from troubleshooter.facts.keys import FactKey
from troubleshooter.facts.read import Facts
from troubleshooter.facts.sources import APP, RUN_API, RUN_CONFIG
from troubleshooter.model import CheckResult, Evidence, Outcome
from troubleshooter.observations import Observations


@dataclass(frozen=True)
class RouteCheck:
    """Like Check, but decided from the observations and the outcomes reached so far."""

    id: str
    produces: None
    probes: tuple[str, ...]
    judge: Callable[[Facts, Sequence[tuple[str, str]]], CheckResult]

    def evaluate(self, obs: Observations, steps: Sequence[tuple[str, str]]) -> CheckResult:
        return self.judge(Facts(obs), steps)


def _settings_readable(obs: Facts, _steps: Sequence[tuple[str, str]]) -> CheckResult:
    """Failed when a setting that decides where the app connects is unreadable (ask the operator)."""
    view = obs.app
    if view is None:
        return CheckResult.uncertain(
            f"the app's settings are unknown ({obs.reason(FactKey.app(), FactKey.run())})")
    if not view.readable and not view.secret:
        return CheckResult.skipped("the app sets no database connection variables")
    evidence = tuple(Evidence(APP, "env", c.display, RUN_API)
                     for c in (*view.readable, *view.secret))
    if view.route_hidden and not view.route_known:
        return CheckResult(
            Outcome.FAILED,
            f"where the app connects is set in Secret Manager ({view.route_vars}), which we do not read",
            evidence,
        )
    return CheckResult(Outcome.OK, "the app's connection route is in plain environment values", evidence)


def _conclusion(_obs: Facts, steps: Sequence[tuple[str, str]]) -> CheckResult:
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
        RouteCheck("app-settings-readable", None,
                   (RUN_CONFIG, APP), _settings_readable),
        RouteCheck("any-root-cause", None, (), _conclusion),
    )
}
