"""IAM Conditions evaluated as CEL with cel-python: true, false, or unknown (never guessed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Mapping


@dataclass(frozen=True)
class Verdict:
    """Whether a condition holds for one request: True, False, or None with the reason it is unknown."""

    holds: bool | None
    why: str = ""


# Functions IAM adds to CEL that we can evaluate from the request alone. The others (matchTag,
# hasTagKey..., api.getAttribute) read attributes the tool cannot see: they stay undefined, so an
# expression using them is unknown.
_TEMPLATE_VAR = re.compile(r"\{(\w+)\}")


def _extract(text: Any, template: Any) -> Any:
    """IAM's `string.extract(template)`: the text that the template's first {var} stands for,
    up to the literal that follows it (to the end when none does); "" when the text does not fit."""
    from celpy import celtypes

    parts = _TEMPLATE_VAR.split(str(template))  # literal, var, literal, var, ...
    pattern = "".join(re.escape(p) if i % 2 == 0 else ("(.*?)" if parts[i + 1] else "(.*)")
                      for i, p in enumerate(parts))
    m = re.match(pattern, str(text))
    return celtypes.StringType(m.group(1) if m and m.groups() else "")


@lru_cache(maxsize=1)
def _environment() -> Any:
    import celpy  # loaded only when a policy has a condition: building the parser takes a moment

    return celpy.Environment()


@lru_cache(maxsize=256)
def _compiled(expression: str) -> Any:
    env = _environment()
    return env.program(env.compile(expression), functions={"extract": _extract})


def _activation(values: Mapping[str, Any]) -> dict[str, Any]:
    from celpy import celtypes

    def cel(value: Any) -> Any:
        if isinstance(value, datetime):
            return celtypes.TimestampType(value)
        if isinstance(value, Mapping):
            return celtypes.MapType({celtypes.StringType(k): cel(v) for k, v in value.items()})
        if isinstance(value, str):
            return celtypes.StringType(value)
        raise TypeError(f"no CEL value for {type(value).__name__}")

    return {k: cel(v) for k, v in values.items()}


def evaluate(expression: str, values: Mapping[str, Any]) -> Verdict:
    """The condition's outcome for these attributes; any parse or evaluation error is unknown."""
    import celpy
    from celpy import celtypes

    if not expression.strip():
        return Verdict(None, "the condition has no expression")
    try:
        result = _compiled(expression).evaluate(_activation(values))
    except celpy.CELParseError:
        return Verdict(None, "the condition does not parse as CEL")
    except celpy.CELEvalError as exc:
        return Verdict(None, f"the condition cannot be evaluated here ({_eval_reason(exc)})")
    if isinstance(result, celtypes.BoolType):
        return Verdict(bool(result))
    return Verdict(None, f"the condition does not give a boolean ({type(result).__name__})")


def _eval_reason(exc: Exception) -> str:
    text = str(exc.args[0] if exc.args else exc)
    m = re.search(r"undeclared reference to '([^']+)'", text)
    if m:
        return f"it uses {m.group(1)!r}, which only IAM can evaluate"
    return text.split(" (in activation", 1)[0][:160]
