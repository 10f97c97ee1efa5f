"""What the command line asked the TUI for: `troubleshooter [TARGET]`, `troubleshooter demo [SCENARIO]`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Launch:
    """What the command line asked for; the app fills in the rest (picker, gcloud defaults)."""

    project: str | None = None
    region: str | None = None
    service: str | None = None
    job: str | None = None
    world: str | None = None          # world file or built-in scenario name
    read_only: bool = False
    read_secrets: bool = False        # consent given on the command line: the modal does not ask
    scenario: str | None = None
    demo: bool = False
    train: bool = False               # training: the incident without its answer, then a debrief
    use_world_target: bool = True     # tests turn this off to drive the picker against a sandbox
    use_gcloud_defaults: bool = True
    latency: float = 0.0              # seconds the sandbox adds to every call (tests of live progress)
    # The fleet screen: scan a project (region, or all), a folder or an organization first.
    scan: bool = False
    folder: str | None = None
    organization: str | None = None
    all_regions: bool = False

    @property
    def world_source(self) -> str | None:
        return self.scenario or self.world

    @property
    def needs_scenario(self) -> bool:
        return (self.demo or self.train) and not self.world_source
