"""REST JSON <-> Google's protobuf messages, and the check that a world's resources parse as the
APIs' messages (world validation and the sandbox share it; it needs nothing of the sandbox)."""

from __future__ import annotations

import re
from typing import Any, Iterator

from google.protobuf import json_format
from google.protobuf.message import Message

JsonPath = tuple[str | int, ...]


def to_pb(pb_class: type[Message], data: Any) -> Message:
    """REST JSON (camelCase, enum names or numbers) into a protobuf message; unknown fields ignored."""
    msg = pb_class()
    json_format.ParseDict(data, msg, ignore_unknown_fields=True)
    return msg


def to_json(msg: Message) -> dict[str, Any]:
    """A protobuf message as REST JSON: camelCase, enum names, int64 as strings."""
    return json_format.MessageToDict(msg)


def _collections(data: dict[str, Any]) -> Iterator[tuple[JsonPath, type[Message], Any]]:
    from google.cloud import run_v2, sqladmin_v1
    from google.iam.v1 import policy_pb2

    lists = {
        "services": run_v2.Service,
        "revisions": run_v2.Revision,
        "jobs": run_v2.Job,
        "executions": run_v2.Execution,
        "instances": sqladmin_v1.DatabaseInstance,
    }
    for key, cls in lists.items():
        for i, item in enumerate(data.get(key) or []):
            yield (key, i), cls.pb(), item
    for key, cls in (("databases", sqladmin_v1.Database), ("users", sqladmin_v1.User)):
        for instance_key, items in (data.get(key) or {}).items():
            for i, item in enumerate(items):
                yield (key, instance_key, i), cls.pb(), item
    for i, project in enumerate(data.get("projects") or []):
        if project.get("iamPolicy"):
            yield ("projects", i, "iamPolicy"), policy_pb2.Policy, project["iamPolicy"]


def find_wire_problem(data: dict[str, Any]) -> tuple[JsonPath, str] | None:
    """The first resource of a world (in file format) that the client libraries could not parse."""
    for path, pb_class, item in _collections(data):
        found = _locate(pb_class, item, path)
        if found is not None:
            return found
    return None


def reason(exc: Exception) -> str:
    """A parse error in a line: the innermost failure, without the message path."""
    # json_format nests "Failed to parse X field: ..." per level; the innermost part is the news.
    text = str(exc)
    text = re.sub(r"(Failed to parse \w+ field: )+", "", text)
    text = re.sub(r"\s+at [\w.]+\.*$", "", text).rstrip(".")
    return text or "cannot be parsed"


def _parses(pb_class: type[Message], data: Any) -> Exception | None:
    try:
        to_pb(pb_class, data)
    except (json_format.ParseError, TypeError, ValueError, AttributeError) as exc:
        return exc
    return None


def _locate(pb_class: type[Message], data: Any, path: JsonPath) -> tuple[JsonPath, str] | None:
    """Narrow a parse failure down to the deepest field (and list index) that causes it."""
    from google.protobuf import message_factory

    error = _parses(pb_class, data)
    if error is None:
        return None
    if not isinstance(data, dict):
        return path, f"expected a mapping ({pb_class.DESCRIPTOR.name}), got {type(data).__name__}"
    fields = {f.json_name: f for f in pb_class.DESCRIPTOR.fields}
    fields.update({f.name: f for f in pb_class.DESCRIPTOR.fields})
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            continue
        field_error = _parses(pb_class, {key: value})
        if field_error is None:
            continue
        sub = field.message_type
        descend = (
            sub is not None
            and not sub.GetOptions().map_entry
            and not sub.full_name.startswith("google.protobuf.")
        )
        if descend:
            sub_class = message_factory.GetMessageClass(sub)
            if field.is_repeated and isinstance(value, list):
                for i, item in enumerate(value):
                    found = _locate(sub_class, item, (*path, key, i))
                    if found is not None:
                        return found
            elif not field.is_repeated:
                found = _locate(sub_class, value, (*path, key))
                if found is not None:
                    return found
        return (*path, key), reason(field_error)
    return path, reason(error)
