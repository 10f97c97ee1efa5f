"""World files: a Google Cloud project as data (see shared/spec/world-format.md), loaded and checked."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Sequence

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from troubleshooter.errors import BadInput

API_KEYS = ("run", "sqladmin", "cloudresourcemanager", "logging", "serviceusage")

# gRPC status names a fault may use instead of an HTTP code.
GRPC_STATUS_NAMES = (
    "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
)  # fmt: skip

JsonPath = tuple[str | int, ...]


# --------------------------------------------------------------------------- time


_RELATIVE_RE = re.compile(r"^-((?:\d+(?:\.\d+)?[smhd])+)$")
_RELATIVE_PART_RE = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def format_rfc3339(moment: datetime) -> str:
    """UTC, microseconds, trailing Z: the shape Google's REST APIs print."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (any fraction length, Z or offset) to an aware datetime."""
    m = re.match(
        r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$", text
    )
    if not m:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    day, clock, frac, zone = m.groups()
    micros = (frac or "0")[:6].ljust(6, "0")
    offset = "+00:00" if zone in ("Z", "z") else zone
    return datetime.fromisoformat(f"{day}T{clock}.{micros}{offset}")


def relative_to(text: str, now: datetime) -> str | None:
    """`-5m`, `-2h`, `-1d`, `-1h30m` as an absolute timestamp before `now`; None if not relative."""
    m = _RELATIVE_RE.match(text.strip())
    if not m:
        return None
    seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _RELATIVE_PART_RE.findall(m.group(1)))
    try:
        return format_rfc3339(now - timedelta(seconds=seconds))
    except (OverflowError, ValueError):
        raise ValueError(f"relative time {text!r} reaches before year 1") from None


def _is_time_key(key: str) -> bool:
    return key in ("timestamp", "receiveTimestamp") or key.endswith(("Time", "Timestamp"))


class TimeFieldError(ValueError):
    """A relative time that cannot be made absolute, and where it is."""

    def __init__(self, path: JsonPath, message: str) -> None:
        super().__init__(message)
        self.path = path


def resolve_relative_times(value: Any, now: datetime, path: JsonPath = ()) -> Any:
    """A copy of `value` with every relative time field (`*Time`, `timestamp`...) made absolute."""
    if isinstance(value, list):
        return [resolve_relative_times(v, now, (*path, i)) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, str) and isinstance(key, str) and _is_time_key(key):
            try:
                out[key] = relative_to(item, now) or item
            except ValueError as exc:
                raise TimeFieldError((*path, key), str(exc)) from None
        else:
            out[key] = resolve_relative_times(item, now, (*path, key))
    return out


# --------------------------------------------------------------------------- element checks


def _invalid(field: str, message: str) -> PydanticCustomError:
    # The `field` context lets the error formatter extend the JSON path into the element.
    return PydanticCustomError("world", "{message}", {"field": field, "message": message})


def _name_checker(kind: str, pattern: str, example: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    rx = re.compile(pattern)

    def check(item: dict[str, Any]) -> dict[str, Any]:
        name = item.get("name")
        if not isinstance(name, str) or not rx.match(name):
            if "apiVersion" in item and "metadata" in item:
                raise _invalid("apiVersion", f"a {kind} in the v1 (Knative) shape ({item['apiVersion']} "
                               f"{item.get('kind')}) cannot be converted; give the v2 resource, named like {example!r}")
            raise _invalid("name", f"a {kind} needs a name like {example!r}, got {name!r}")
        return item

    return check


_SEG = r"[^/\s]+"
_check_service = _name_checker(
    "service", rf"^projects/{_SEG}/locations/{_SEG}/services/{_SEG}$", "projects/P/locations/R/services/S"
)
_check_revision = _name_checker(
    "revision",
    rf"^projects/{_SEG}/locations/{_SEG}/services/{_SEG}/revisions/{_SEG}$",
    "projects/P/locations/R/services/S/revisions/REV",
)
_check_job = _name_checker(
    "job", rf"^projects/{_SEG}/locations/{_SEG}/jobs/{_SEG}$", "projects/P/locations/R/jobs/J"
)
_check_execution = _name_checker(
    "execution",
    rf"^projects/{_SEG}/locations/{_SEG}/jobs/{_SEG}/executions/{_SEG}$",
    "projects/P/locations/R/jobs/J/executions/E",
)


def _check_instance(item: dict[str, Any]) -> dict[str, Any]:
    for key in ("name", "project"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise _invalid(key, f"a Cloud SQL instance needs a {key!r} string")
    return item


def _check_log_entry(item: dict[str, Any]) -> dict[str, Any]:
    log_name = item.get("logName")
    if not isinstance(log_name, str) or not re.match(rf"^projects/{_SEG}/logs/.+$", log_name):
        raise _invalid("logName", f"a log entry needs a logName like 'projects/P/logs/NAME', got {log_name!r}")
    stamp = item.get("timestamp")
    if stamp is not None:
        try:
            parse_rfc3339(str(stamp))
        except ValueError as exc:
            raise _invalid("timestamp", f"{exc} (use RFC 3339 or a relative time like '-5m')") from None
    resource = item.get("resource")
    if resource is not None and not isinstance(resource, dict):
        raise _invalid("resource", "resource must be a mapping with 'type' and 'labels'")
    return item


Resource = dict[str, Any]
ServiceDict = Annotated[Resource, AfterValidator(_check_service)]
RevisionDict = Annotated[Resource, AfterValidator(_check_revision)]
JobDict = Annotated[Resource, AfterValidator(_check_job)]
ExecutionDict = Annotated[Resource, AfterValidator(_check_execution)]
InstanceDict = Annotated[Resource, AfterValidator(_check_instance)]
LogEntryDict = Annotated[Resource, AfterValidator(_check_log_entry)]


def _check_instance_key(value: dict[str, list[Resource]]) -> dict[str, list[Resource]]:
    for key in value:
        if not re.match(r"^[^:\s]+(:[^:\s]+)?:[^:\s]+$", key):
            raise ValueError(f"key {key!r} must be 'PROJECT:INSTANCE'")
    return value


def _compute_named(*, regional: bool) -> Any:
    """Compute resources the sandbox finds by `name` (and, regional ones, by `region`)."""

    def check(value: list[Resource]) -> list[Resource]:
        for i, item in enumerate(value):
            if not isinstance(item.get("name"), str) or not item["name"]:
                raise ValueError(f"item {i} needs a 'name' (Compute v1 REST shape)")
            if regional and not isinstance(item.get("region"), str):
                raise ValueError(f"{item['name']!r} needs a 'region' (a URL or name, as Compute v1 returns it)")
        return value

    return AfterValidator(check)


_CONNECTOR = re.compile(r"^projects/[^/]+/locations/[^/]+/connectors/[^/]+$")


def _check_connectors(value: list[Resource]) -> list[Resource]:
    for i, item in enumerate(value):
        if not _CONNECTOR.match(str(item.get("name", ""))):
            raise ValueError(f"vpcConnectors item {i}: name must be projects/P/locations/R/connectors/C")
    return value


def _as_parent(value: Any) -> Any:
    if isinstance(value, dict):
        kind, ident = value.get("type"), _as_str(value.get("id"))
        if kind not in ("organization", "folder") or not isinstance(ident, str) or not ident.isdigit():
            raise ValueError("parent must be {'type': 'organization'|'folder', 'id': '<digits>'}")
        return f"{kind}s/{ident}"
    return value


def _as_str(value: Any) -> Any:
    # Project numbers are often written unquoted; the APIs always return them as strings.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# --------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="ignore", populate_by_name=True, alias_generator=to_camel, validate_assignment=False
    )


class Target(_Model):
    """What `demo`/`diagnose --world` troubleshoot by default: one service or one job."""

    project: str
    region: str
    service: str | None = None
    job: str | None = None

    @model_validator(mode="after")
    def _one_workload(self) -> "Target":
        if (self.service is None) == (self.job is None):
            raise ValueError("target needs exactly one of 'service' or 'job'")
        return self


class ProjectSpec(_Model):
    """One Google Cloud project: identity, enabled APIs and IAM policy."""

    project_id: str
    project_number: Annotated[str, BeforeValidator(_as_str)]
    # None means "not described": every API counts as enabled.
    enabled_services: list[str] | None = None
    iam_policy: dict[str, Any] = Field(default_factory=dict)
    display_name: str | None = None
    # "organizations/123" | "folders/456" as Resource Manager v3 prints it, or the spec's
    # {"type": "organization"|"folder", "id": "123"}: normalised to the v3 string.
    parent: Annotated[str | None, BeforeValidator(_as_parent)] = None
    state: str | None = None

    @field_validator("project_number")
    @classmethod
    def _digits(cls, value: str) -> str:
        if not value.isdigit():
            raise ValueError(f"projectNumber must be digits, got {value!r}")
        return value

    @field_validator("iam_policy")
    @classmethod
    def _etag_is_base64(cls, value: dict[str, Any]) -> dict[str, Any]:
        etag = value.get("etag")
        if etag is not None:
            try:
                decode_etag(str(etag))
            except ValueError:
                raise ValueError(f"iamPolicy.etag must be base64 (as the API prints it), got {etag!r}") from None
        return value


def decode_etag(etag: str) -> bytes:
    """An IAM etag's bytes; accepts standard and URL-safe base64, padded or not (like protobuf)."""
    raw = etag.strip().rstrip("=").replace("-", "+").replace("_", "/").encode()
    try:
        return base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(str(exc)) from None


class Fault(_Model):
    """An injected failure: calls matching api/method (and `match`) fail or stall, `times` times."""

    api: Literal["run", "sqladmin", "cloudresourcemanager", "logging", "serviceusage", "cloudasset", "compute",
                 "vpcaccess", "secretmanager"]
    method: str = "*"
    code: int | str | None = None
    message: str | None = None
    status: str | None = None
    reason: str | None = None
    metadata: dict[str, str] | None = None
    times: int | None = Field(default=None, ge=1)
    match: str | None = None
    # A stall longer than an hour tests nothing the gateway's deadlines do not cut far sooner.
    delay: float | None = Field(default=None, ge=0, le=3600, allow_inf_nan=False)

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in GRPC_STATUS_NAMES:
            raise ValueError(f"status must be a gRPC status name ({', '.join(GRPC_STATUS_NAMES)}), got {value!r}")
        return value.upper() if value is not None else None

    @field_validator("code")
    @classmethod
    def _known_code(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, str):
            if value.isdigit():
                value = int(value)
            elif value.upper() in GRPC_STATUS_NAMES:
                return value.upper()
            else:
                raise ValueError(f"code must be an HTTP code or a gRPC status name, got {value!r}")
        if isinstance(value, int) and not 400 <= value <= 599:
            raise ValueError(f"code must be an HTTP error code (4xx/5xx), got {value}")
        return value

    @model_validator(mode="after")
    def _does_something(self) -> "Fault":
        if self.code is None and self.status is None and self.delay is None:
            raise ValueError("a fault needs a 'code' (or 'status') or a 'delay'")
        return self


class Expect(_Model):
    """What a correct diagnosis of this world finds."""

    root_causes: list[str] = Field(default_factory=list)
    findings: list[str] = Field(default_factory=list)
    # The expectation holds when the operator lets the tool read Secret Manager values
    # (--read-secrets); without consent those checks stay undecided.
    read_secrets: bool = False


class IncidentCost(_Model):
    """One figure of what the real incident cost, with the write-up line it comes from."""

    figure: str                    # "35+ builds", "17.5 hours"
    source: str                    # the write-up's file name (shared/seeds/...)
    quote: str                     # the line of the write-up that says so, verbatim


class Resolution(_Model):
    """A scenario's answer, kept apart from its story: training shows it only after the debrief."""

    text: str = ""
    cost: list[IncidentCost] = Field(default_factory=list)


class World(_Model):
    """A world file: projects, Cloud Run and Cloud SQL resources, logs, faults, expectations."""

    name: str
    title: str = ""
    description: str = ""
    target: Target
    projects: list[ProjectSpec] = Field(default_factory=list)
    services: list[ServiceDict] = Field(default_factory=list)
    revisions: list[RevisionDict] = Field(default_factory=list)
    jobs: list[JobDict] = Field(default_factory=list)
    executions: list[ExecutionDict] = Field(default_factory=list)
    instances: list[InstanceDict] = Field(default_factory=list)
    databases: Annotated[dict[str, list[Resource]], AfterValidator(_check_instance_key)] = Field(
        default_factory=dict
    )
    users: Annotated[dict[str, list[Resource]], AfterValidator(_check_instance_key)] = Field(
        default_factory=dict
    )
    log_entries: list[LogEntryDict] = Field(default_factory=list)
    # More of a project (second edition), each in its API's REST JSON shape (world-format.md).
    secrets: list[Resource] = Field(default_factory=list)            # Secret Manager v1 (+ versions, iamPolicy)
    networks: Annotated[list[Resource], _compute_named(regional=False)] = Field(
        default_factory=list)                                        # Compute v1 Network
    subnetworks: Annotated[list[Resource], _compute_named(regional=True)] = Field(
        default_factory=list)                                        # Compute v1 Subnetwork
    routers: Annotated[list[Resource], _compute_named(regional=True)] = Field(
        default_factory=list)                                        # Compute v1 Router (nats[])
    firewalls: Annotated[list[Resource], _compute_named(regional=False)] = Field(
        default_factory=list)                                        # Compute v1 Firewall
    vpc_connectors: Annotated[list[Resource], AfterValidator(_check_connectors)] = Field(
        default_factory=list)                                        # Serverless VPC Access v1 Connector
    sql_operations: Annotated[dict[str, list[Resource]], AfterValidator(_check_instance_key)] = Field(
        default_factory=dict
    )                                                                # Cloud SQL Admin Operation per P:I
    # Resource Manager v3 Folders ({"name": "folders/N", "parent": "organizations/M" | "folders/K"}),
    # optional: they nest folders under an organization, so that Cloud Asset Inventory's
    # organization scope reaches projects whose parent is a folder (sandbox/asset_api.py).
    folders: list[Resource] = Field(default_factory=list)
    faults: list[Fault] = Field(default_factory=list)
    expect: Expect | None = None
    resolution: Resolution | None = None   # optional: what the story leaves out (the cause, the fix)
    # What the loader did to the file (a v1 service converted...): said, never written back.
    notes: list[str] = Field(default_factory=list, exclude=True)

    def to_dict(self) -> dict[str, Any]:
        """The world in file format (camelCase keys), ready for JSON or YAML."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def dump(self, path: str | Path) -> None:
        """Write the world as YAML (.yaml/.yml) or JSON (anything else)."""
        p = Path(path)
        text = self.to_yaml() if p.suffix.lower() in (".yaml", ".yml") else self.to_json() + "\n"
        try:
            p.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"{p}: cannot write world: {exc.strerror or exc}") from None

    def project(self, ref: str) -> ProjectSpec | None:
        """The project whose id or number is `ref` (a `projects/` prefix is fine)."""
        ref = ref.removeprefix("projects/")
        return next((p for p in self.projects if ref in (p.project_id, p.project_number)), None)


# --------------------------------------------------------------------------- loading


# Parse limits: a world is a few hundred KB at most; nothing Google returns nests 64 deep; and
# YAML aliases may not expand a file past a million nodes (a 5 KB "billion laughs" file did).
MAX_WORLD_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_YAML_NODES = 1_000_000


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps timestamps as strings (the APIs' JSON never has datetime values),
    refuses nesting deeper than MAX_DEPTH while composing (no RecursionError)."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.YAMLError(f"nested deeper than {MAX_DEPTH} levels (line {mark.line + 1})")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _expanded_nodes(root: yaml.Node) -> int:
    """How many nodes `root` stands for once aliases are expanded (memoized: linear in the file)."""
    weights: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in weights:
            continue
        if isinstance(node, yaml.MappingNode):
            kids = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            kids = list(node.value)
        else:
            kids = []
        if children_done:
            weights[id(node)] = min(1 + sum(weights[id(k)] for k in kids), MAX_YAML_NODES + 1)
            continue
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in weights)
    return weights[id(root)]


def _too_deep(data: Any) -> JsonPath | None:
    """The path of the first value nested deeper than MAX_DEPTH, or None (no recursion)."""
    stack: list[tuple[Any, JsonPath]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return path[:MAX_DEPTH]
        if isinstance(value, dict):
            stack.extend((v, (*path, str(k))) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    return None


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _format_path(path: Sequence[str | int]) -> str:
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _line_of(text: str, path: Sequence[str | int]) -> int | None:
    """Best-effort 1-based line of `path` in YAML or JSON text (JSON parses as YAML nodes)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            hit = next(((k, v) for k, v in node.value if k.value == part), None)
            if hit is None:
                break
            line, node = hit[0].start_mark.line + 1, hit[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _bad(source: str, text: str | None, path: Sequence[str | int], message: str) -> BadInput:
    line = _line_of(text, path) if text is not None else None
    where = f"{source}:{line}" if line else source
    message = " ".join(message.split())  # one line, whatever the library said
    return BadInput(f"{where}: {_format_path(path)}: {message}")


def _first_error(exc: ValidationError) -> tuple[JsonPath, str]:
    err = exc.errors(include_url=False)[0]
    loc: list[str | int] = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    ctx = err.get("ctx") or {}
    if err["type"] == "world" and ctx.get("field"):
        loc.append(ctx["field"])
    message = err["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return tuple(loc), message


def _parse(text: str, source: str) -> Any:
    if len(text) > MAX_WORLD_BYTES:
        raise BadInput(f"{source}: $: world file too large ({len(text)} characters; at most {MAX_WORLD_BYTES})")
    data = _parse_json(text, source) if _is_json(text, source) else _parse_yaml(text, source)
    deep = _too_deep(data)
    if deep is not None:
        raise BadInput(f"{source}: {_format_path(deep)}: nested deeper than {MAX_DEPTH} levels")
    return data


def _is_json(text: str, source: str) -> bool:
    suffix = source.lower().rsplit(".", 1)[-1]
    return suffix == "json" or (suffix not in ("yaml", "yml") and text.lstrip().startswith("{"))


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{source}:{exc.lineno}: $: invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise BadInput(f"{source}: $: invalid JSON: nested deeper than {MAX_DEPTH} levels") from None


def _parse_yaml(text: str, source: str) -> Any:
    try:
        loader = _Loader(text)  # reads the stream: refuses non-printable characters at once
    except yaml.YAMLError as exc:
        raise BadInput(f"{source}: $: invalid YAML: {' '.join(str(exc).split())}") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_nodes(node) > MAX_YAML_NODES:
            raise BadInput(f"{source}: $: invalid YAML: aliases expand past {MAX_YAML_NODES} nodes "
                           "(an alias bomb?)")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise BadInput(f"{where}: $: invalid YAML: {' '.join(str(problem).split())}") from None
    except RecursionError:
        raise BadInput(f"{source}: $: invalid YAML: nested deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()


def world_from_data(
    data: Any, source: str = "<world>", *, now: datetime | None = None, text: str | None = None
) -> World:
    """Validate parsed world data; relative times become absolute; errors raise one-line BadInput."""
    if not isinstance(data, dict):
        raise _bad(source, text, (), f"a world must be a mapping, got {type(data).__name__}")
    moment = now or datetime.now(timezone.utc)
    resolved = dict(data)
    notes = _convert_v1(resolved)
    for key in ("services", "revisions", "jobs", "executions", "instances", "logEntries", "secrets",
                "vpcConnectors", "sqlOperations"):
        if key in resolved:
            try:
                resolved[key] = resolve_relative_times(resolved[key], moment, (key,))
            except TimeFieldError as exc:
                raise _bad(source, text, exc.path, str(exc)) from None
    try:
        world = World.model_validate(resolved)
    except ValidationError as exc:
        path, message = _first_error(exc)
        raise _bad(source, text, path, message) from None
    problem = _wire_problem(world)
    if problem is not None:
        raise _bad(source, text, problem[0], problem[1])
    world.notes.extend(f"{source}: {n}" for n in notes)
    return world


def _convert_v1(data: dict[str, Any]) -> list[str]:
    """Services in the v1 (Knative) shape, converted to v2 in place; one note per conversion."""
    from troubleshooter.knative import is_v1_service, v2_service

    services = data.get("services")
    if not isinstance(services, list) or not any(is_v1_service(s) for s in services):
        return []
    target = data.get("target") if isinstance(data.get("target"), dict) else {}
    project, region = str(target.get("project") or ""), str(target.get("region") or "")
    notes = []
    converted = []
    for i, item in enumerate(services):
        if is_v1_service(item):
            item = v2_service(item, project, region)
            notes.append(f"$.services[{i}]: converted from the v1 (Knative) shape that `gcloud run services "
                         f"describe --format=export` prints to the v2 Service {item['name']}")
        converted.append(item)
    data["services"] = converted
    return notes


def _wire_problem(world: World) -> tuple[JsonPath, str] | None:
    # Lazy: the Google message classes are heavy and only needed once a file parsed.
    from troubleshooter.wire import _collections, find_wire_problem

    data = world.to_dict()
    found = find_wire_problem(data)
    if found is not None:
        return found
    # The protobuf JSON parser is lenient where the API is not: with unknown fields ignored it
    # also drops unknown enum values and takes a list for a message (`template: []`) or a string
    # for an env entry. The API answers those with 400 INVALID_ARGUMENT, so a world may not hold them.
    for path, pb_class, item in _collections(data):
        found = _strict_problem(pb_class.DESCRIPTOR, item, path)
        if found is not None:
            return found
    return None


# Ranges the APIs enforce on numbers the messages type only as int32 (Cloud Run Admin v2
# protos, google/cloud/run/v2/*.proto: "max_instance_request_concurrency ... maximum 1000",
# container_port "must be a valid port number, 0 < x < 65536", TrafficTarget.percent 0-100;
# scaling counts and task counts are never negative).
_INT_RANGES: dict[str, tuple[int, int | None]] = {
    "maxInstanceCount": (0, None), "minInstanceCount": (0, None), "maxInstanceRequestConcurrency": (0, 1000),
    "containerPort": (0, 65535), "percent": (0, 100), "taskCount": (0, None), "parallelism": (0, None),
    "maxRetries": (0, None), "manualInstanceCount": (0, None),
}
_WELL_KNOWN = "google.protobuf."


def _strict_problem(desc: Any, data: Any, path: JsonPath) -> tuple[JsonPath, str] | None:

    if not isinstance(data, dict):
        return path, f"expected a mapping ({desc.name}), got {type(data).__name__}"
    fields = {f.json_name: f for f in desc.fields}
    fields.update({f.name: f for f in desc.fields})
    for key, value in data.items():
        field = fields.get(key)
        if field is None or value is None:
            continue
        where = (*path, key)
        repeated = field.is_repeated
        is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
        if is_map:
            continue
        if repeated:
            if not isinstance(value, list):
                return where, f"expected a list, got {type(value).__name__}"
            items = list(enumerate(value))
        else:
            items = [(None, value)]
        for i, item in items:
            at = where if i is None else (*where, i)
            found = _strict_value(field, item, at)
            if found is not None:
                return found
    if desc.full_name == "google.cloud.sql.v1.AclEntry" and isinstance(data.get("value"), str):
        import ipaddress

        try:
            ipaddress.ip_network(data["value"], strict=False)
        except ValueError:
            return (*path, "value"), f"not an IP address or CIDR range: {data['value']!r}"
    return None


_ENUM_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")


def _strict_value(field: Any, item: Any, at: JsonPath) -> tuple[JsonPath, str] | None:
    from google.protobuf.descriptor import FieldDescriptor as F

    if field.message_type is not None:
        if field.message_type.full_name.startswith(_WELL_KNOWN):
            return None
        return _strict_problem(field.message_type, item, at)
    if field.type == F.TYPE_ENUM:
        names = [v.name for v in field.enum_type.values]
        # Google adds enum values before client libraries know them (a new databaseVersion, a new
        # state): a well-formed name is kept, as the API would send it (wire.to_pb keeps it too).
        # Anything else is not an enum value at all.
        if isinstance(item, str) and item not in names and not _ENUM_NAME.fullmatch(item):
            return at, f"{item!r} is not an enum value (known: {', '.join(names)})"
        return None
    if field.type in (F.TYPE_STRING, F.TYPE_BYTES) and not isinstance(item, str):
        return at, f"expected a string, got {type(item).__name__}"
    if field.type in (F.TYPE_INT32, F.TYPE_INT64, F.TYPE_UINT32, F.TYPE_UINT64, F.TYPE_SINT32, F.TYPE_SINT64):
        bounds = _INT_RANGES.get(field.json_name)
        try:
            number = int(item) if not isinstance(item, bool) else None
        except (TypeError, ValueError):
            number = None
        if bounds is not None and number is not None:
            low, high = bounds
            if number < low or (high is not None and number > high):
                top = f"..{high}" if high is not None else " or more"
                return at, f"must be {low}{top}, got {number}"
    return None


def load_world_text(text: str, source_name: str = "<world>", *, now: datetime | None = None) -> World:
    """Parse and validate world text (JSON or YAML, chosen by the source name's suffix)."""
    return world_from_data(_parse(text, source_name), source_name, now=now, text=text)


def load_world(path: str | Path, *, now: datetime | None = None) -> World:
    """Load a world file (.json, .yaml, .yml); any problem is a one-line BadInput naming file:line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise BadInput(f"{p}: cannot read world file: {reason}") from None
    return load_world_text(text, str(p), now=now)
