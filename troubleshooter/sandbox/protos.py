"""Request bodies made canonical for the sandbox's handlers (400 when they do not parse)."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from troubleshooter.sandbox.errors import invalid
from troubleshooter.wire import reason, to_json, to_pb


def normalize(pb_class: type[Message], data: Any) -> dict[str, Any]:
    """A request body made canonical (a client's numeric enums become names); 400 if it does not parse."""
    try:
        return to_json(to_pb(pb_class, data))
    except (json_format.ParseError, TypeError, ValueError, AttributeError) as exc:
        raise invalid(f"Invalid JSON payload received. {reason(exc)}") from None
