"""Typed access to the app and its current run, shared by the screens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from troubleshooter.tui.app import TroubleshooterApp
    from troubleshooter.tui.state import RunState


class AppAccess:
    """Mixed into a Screen: `tapp` is the app, `run_state` the run it is showing."""

    app: Any  # provided by the Screen this is mixed into

    @property
    def tapp(self) -> "TroubleshooterApp":
        return cast("TroubleshooterApp", self.app)

    @property
    def run_state(self) -> "RunState":
        state = self.tapp.state
        assert state is not None, "this screen exists only during a run"
        return state
