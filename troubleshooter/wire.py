"""REST JSON <-> Google's protobuf messages, and the check that a world's resources parse as the
APIs' messages (world validation and the sandbox share it; it needs nothing of the sandbox)."""

from __future__ import annotations

import re
import zlib
from typing import Any, Iterator

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

JsonPath = tuple[str | int, ...]


def to_pb(pb_class: type[Message], data: Any) -> Message:
    """REST JSON (camelCase, enum names or numbers) into a protobuf message; unknown fields ignored,
    enum values these protos do not know kept as numbers (see `unknown_enum_number`)."""
    msg = pb_class()
    json_format.ParseDict(_keep_unknown_enums(pb_class.DESCRIPTOR, data), msg, ignore_unknown_fields=True)
    return msg


def unknown_enum_number(enum: EnumDescriptor, name: str) -> int:
    """A stable number for an enum name the client's protos do not have.

    Google adds enum values (databaseVersion POSTGRES_18, new instance states...) before client
    libraries learn them. On the wire a proto3 enum is open: an older client keeps the number it
    does not know and prints it as a number. `ignore_unknown_fields` would instead drop the name
    silently, so the tool read "no databaseVersion". A number outside the enum's own range
    (1,000,000 up, from the name's CRC) is what such a client sees, and says "unknown" honestly.
    """
    del enum  # the number depends only on the name; the enum is named for the reader
    return 1_000_000 + zlib.crc32(name.encode("utf-8")) % 1_000_000


def _enum_value(enum: EnumDescriptor, value: Any) -> Any:
    if isinstance(value, str) and value not in enum.values_by_name:
        return unknown_enum_number(enum, value)
    return value


def _keep_unknown_enums(desc: Descriptor, data: Any) -> Any:
    """`data` with every enum string `desc` does not define replaced by its stable number."""
    if not isinstance(data, dict):
        return data
    fields = {f.json_name: f for f in desc.fields}
    fields.update({f.name: f for f in desc.fields})
    out: dict[str, Any] = {}
    for key, value in data.items():
        field = fields.get(key)
        out[key] = value if field is None else _keep_field(field, value)
    return out


def _keep_field(field: FieldDescriptor, value: Any) -> Any:
    many = field.is_repeated and isinstance(value, list)
    if field.enum_type is not None:
        return [_enum_value(field.enum_type, v) for v in value] if many else _enum_value(field.enum_type, value)
    sub = field.message_type
    if sub is None or sub.full_name.startswith("google.protobuf."):
        return value
    if sub.GetOptions().map_entry:
        val = sub.fields_by_name["value"]
        if isinstance(value, dict) and (val.enum_type is not None or val.message_type is not None):
            return {k: _keep_field(val, v) for k, v in value.items()}
        return value
    return [_keep_unknown_enums(sub, v) for v in value] if many else _keep_unknown_enums(sub, value)


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
    for key, cls in (("databases", sqladmin_v1.Database), ("users", sqladmin_v1.User),
                     ("sqlOperations", sqladmin_v1.Operation)):
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
