"""What a fix is: its plan (commands, change, risk), how applying it ended, and why one is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from troubleshooter.redact import redact, redact_obj

Progress = Callable[[str], None]
ChangeRow = tuple[str, Any, Any]          # (field path, before, after), redacted

# A fix retries its read-modify-write this many times when someone else wrote in between.
MAX_ATTEMPTS = 3


def no_progress(_: str) -> None:
    pass


class Refused(Exception):
    """A fix the tool will not apply: unsafe, read-only, or not derivable from what was seen."""

    kind = "unsafe"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class CauseNotPresent(Exception):
    """The cause is a known id, but the diagnosis did not find it."""


@dataclass
class ApplyOutcome:
    """How applying a plan ended: what changed, after how many read-modify-write attempts."""

    changed: bool
    message: str
    attempts: int = 1
    resource: str = ""
    before: dict[str, Any] | None = field(default=None, repr=False)
    after: dict[str, Any] | None = field(default=None, repr=False)
    # Why the change may not be live although it was written (traffic pinned to an old revision).
    not_serving: str = ""


@dataclass
class FixPlan:
    """The exact commands, the resource change (before/after), the risk, and how to apply it."""

    cause: str
    fix_id: str
    title: str
    summary: str
    commands: list[str]
    change: list[ChangeRow]
    risk: str
    automatic: bool
    steps: list[str] = field(default_factory=list)
    resource: str = ""
    notes: list[str] = field(default_factory=list)
    applier: Callable[[Progress], ApplyOutcome] | None = field(default=None, repr=False)

    def apply(self, progress: Progress = no_progress) -> ApplyOutcome:
        """Apply through the gateway; refused (before any write) when manual. A read-only session
        never gets here: the engine's apply is the one gate (engine/troubleshooting.py)."""
        if not self.automatic or self.applier is None:
            raise Refused(f"{self.cause} has no automatic fix: follow the steps by hand")
        return self.applier(progress)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cause": self.cause,
            "fixId": self.fix_id,
            "automatic": self.automatic,
            "commands": self.commands,
            "steps": self.steps,
            "change": [{"field": f, "before": b, "after": a} for f, b, a in self.change],
            "risk": self.risk,
            "resource": self.resource,
            "notes": self.notes,
        }


# --------------------------------------------------------------------------- change rows

# Fields the server sets: never part of a change, never compared by tests.
SERVER_MANAGED = frozenset({
    "etag", "generation", "observedGeneration", "updateTime", "createTime", "uid", "creator",
    "lastModifier", "conditions", "terminalCondition", "latestReadyRevision",
    "latestCreatedRevision", "trafficStatuses", "reconciling", "uri", "urls",
    "latestCreatedExecution", "executionCount", "settingsVersion",
})


def _label(item: Any, index: int) -> str:
    """A list element's label: its `name` when it has one (env[DB_HOST]), else its index."""
    if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
        return f"[{item['name']}]"
    if isinstance(item, dict) and isinstance(item.get("role"), str):
        return f"[{item['role']}]"
    return f"[{index}]"


def diff(before: Any, after: Any, path: str = "", shown: tuple[Any, Any] | None = None) -> list[ChangeRow]:
    """Leaf-level differences between two JSON values; lists of another length differ whole.

    `shown` is the same pair redacted (same shape): rows then carry the redacted values.
    """
    sb, sa = shown if shown is not None else (before, after)
    if isinstance(before, dict) and isinstance(after, dict):
        rows: list[ChangeRow] = []
        for key in list(before) + [k for k in after if k not in before]:
            if key in SERVER_MANAGED and not path:
                continue
            sub = f"{path}.{key}" if path else str(key)
            pair = (_get(sb, key), _get(sa, key))
            rows.extend(diff(before.get(key), after.get(key), sub, pair))
        return rows
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        rows = []
        for i, (b, a) in enumerate(zip(before, after)):
            rows.extend(diff(b, a, path + _label(b, i), (_at(sb, i), _at(sa, i))))
        return rows
    if before == after:
        return []
    if sb == sa:
        # Both sides redact to the same text (a secret replaced by a secret): still a change.
        return [(path, sb, f"{show_value(sa)} (changed)")]
    return [(path, sb, sa)]


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _at(obj: Any, index: int) -> Any:
    return obj[index] if isinstance(obj, list) and index < len(obj) else None


def redacted_change(before: dict[str, Any], after: dict[str, Any]) -> list[ChangeRow]:
    """The change between two resources, with every value fit to show."""
    # Redact whole resources so env values are judged by their variable's name.
    return diff(before, after, shown=(redact_obj(before), redact_obj(after)))


def show_value(value: Any) -> str:
    """One value of a change row, for a terminal."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return repr(value) if any(c in value for c in "\r\n\t") or value == "" else value
    import json

    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def redact_command(command: str) -> str:
    return redact(command)
