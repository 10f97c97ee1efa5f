"""Every message the TUI passes around: past-tense dataclasses, posted by workers and screens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from troubleshooter.diagnosis import Diagnosis
    from troubleshooter.engine.compare import Comparison
    from troubleshooter.engine.fleet import Scan
    from troubleshooter.engine.run import DiagnosisRun
    from troubleshooter.engine.workspace import Workspace
    from troubleshooter.fixes.base import FixPlan
    from troubleshooter.graph import DecisionGraph
    from troubleshooter.model import ProbeResult, Target
    from troubleshooter.scenarios import ScenarioInfo
    from troubleshooter.session import AppliedFix
    from troubleshooter.training import Attempt, Drill


# --------------------------------------------------------------------------- from workers


@dataclass
class GraphLoaded(Message):
    """The decision graph was read and validated."""

    graph: "DecisionGraph"


@dataclass
class ScenariosListed(Message):
    """The built-in scenarios, with each one's markdown description."""

    scenarios: list[tuple["ScenarioInfo", str]]
    resolutions: dict[str, str] | None = None    # scenario name -> its resolution (demo: on demand)


@dataclass
class WorkspaceOpened(Message):
    """The gateway and the graph (and the sandbox, in a demo) are ready for probes."""

    workspace: "Workspace"
    source: str | None = None      # the world or scenario it serves (None: Google Cloud)


@dataclass
class ChoicesListed(Message):
    """Options for one step of the target picker (projects, or services and jobs)."""

    step: str
    choices: list[tuple[str, str]]      # (value, label)
    error: str = ""


@dataclass
class ProbeStarted(Message):
    run: "DiagnosisRun"
    probe: str


@dataclass
class ProbeFinished(Message):
    run: "DiagnosisRun"
    result: "ProbeResult"


@dataclass
class DiagnosisFinished(Message):
    """Every probe of a run is done and the walk is concluded."""

    diagnosis: "Diagnosis"


@dataclass
class SiblingCompared(Message):
    """The search for a healthy sibling on the same instance is over: its comparison, or None."""

    comparison: "Comparison | None"


@dataclass
class FixPlanned(Message):
    """The plan for one cause's fix: its commands, the change it makes, its risk."""

    cause: str
    plan: "FixPlan"


@dataclass
class ChosenFixPlanned(Message):
    """The plan for a cause's fix with the value the operator chose (e.g. the subnet): to confirm."""

    cause: str
    plan: "FixPlan"


@dataclass
class FixProgressed(Message):
    """A line of progress from a fix being applied."""

    text: str


@dataclass
class FixApplied(Message):
    """A fix was applied (or failed) and the probes were re-run to verify it."""

    cause: str
    result: "AppliedFix"


@dataclass
class ScanProgressed(Message):
    """`done` of `total` targets of the scan are decided."""

    done: int
    total: int


@dataclass
class ScanFinished(Message):
    """Every target of the scan is decided (engine/fleet.py)."""

    scan: "Scan"


@dataclass
class DrillPrepared(Message):
    """A training scenario was diagnosed once on its sandbox: every check's answer is ready."""

    drill: "Drill"


# --------------------------------------------------------------------------- operator intents


@dataclass
class ScenarioChosen(Message):
    info: "ScenarioInfo"


@dataclass
class TargetChosen(Message):
    target: "Target"


@dataclass
class SymptomChosen(Message):
    symptoms: list[str]


@dataclass
class QuestionAnswered(Message):
    question: str        # the node's short id (the key in obs.answers)
    choice: str


# --------------------------------------------------------------------------- navigation intents
# Screens say what the operator wants next; the app (tui/navigation.py) decides which screen shows it.


@dataclass
class WalkWanted(Message):
    """Show the walk (after a symptom was chosen)."""


@dataclass
class FleetTargetWanted(Message):
    """Show the walk of one target of the scan (its diagnosis is already made)."""

    diagnosis: "Diagnosis"


@dataclass
class CausesWanted(Message):
    """Show the root causes and their fixes."""


@dataclass
class ComparisonWanted(Message):
    """Show the comparison with the working sibling."""


@dataclass
class FixChoiceWanted(Message):
    """The fix of `cause` needs a value only the operator can give (e.g. the subnet): ask for it."""

    cause: str
    key: str
    label: str
    placeholder: str


@dataclass
class SecretsConsentWanted(Message):
    """Ask whether the Secret Manager values the app's settings name may be read (names only)."""

    secrets: list[str]


@dataclass
class FixConfirmWanted(Message):
    """Ask the operator to confirm `plan` (the exact command and change), then apply it."""

    cause: str
    title: str
    plan: "FixPlan"


@dataclass
class TrainingWanted(Message):
    """Train on the scenario `name`: the incident without its resolution."""

    name: str


@dataclass
class NamingWanted(Message):
    """The learner is ready to name the root causes of the drill they are on."""

    drill: "Drill"
    attempt: "Attempt"


@dataclass
class DebriefWanted(Message):
    """The learner named their causes: show the debrief."""

    drill: "Drill"
    attempt: "Attempt"


@dataclass
class RetryWanted(Message):
    """Try the same drill again from the start."""

    drill: "Drill"


@dataclass
class ScenariosWanted(Message):
    """Back to the list of incidents (the scenario picker)."""
