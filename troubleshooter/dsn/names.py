"""Cloud SQL connection names ('project:region:instance'): the pattern, and what is wrong with one."""

from __future__ import annotations

import functools
import re
from typing import Final

from troubleshooter.dsn.kinds import is_ip, show
from troubleshooter.dsn.sockets import PG_SOCKET_FILE

# The catalog's pattern, verbatim. Always apply it with fullmatch (or is_valid_connection_name):
# re.match with '$' accepts a trailing '\n', the very byte we must catch.
CONNECTION_NAME_PATTERN: Final = r"^[a-z][a-z0-9-]*(:[a-z0-9.-]+)?:[a-z0-9-]+:[a-z][a-z0-9-]*$"
CONNECTION_NAME_RE: Final = re.compile(CONNECTION_NAME_PATTERN)
# Legacy domain-scoped projects (example.com:project) give example.com:project:region:instance,
# which the catalog pattern rejects because of the dot in its first part.
_DOMAIN_SCOPED_RE: Final = re.compile(
    r"[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+:[a-z][a-z0-9-]*:[a-z0-9-]+:[a-z][a-z0-9-]*"
)
REGION_RE: Final = re.compile(r"[a-z]+-[a-z]+[0-9]+")
ZONE_RE: Final = re.compile(r"(?P<region>[a-z]+-[a-z]+[0-9]+)-[a-z]")


def is_valid_connection_name(name: str) -> bool:
    """Byte-exact check against the catalog pattern (domain-scoped projects accepted too)."""
    return bool(CONNECTION_NAME_RE.fullmatch(name) or _DOMAIN_SCOPED_RE.fullmatch(name))


def looks_like_project_number(name: str) -> bool:
    """True when the project part of P:R:I is all digits: a project number, not the id."""
    project = name.split(":", 1)[0]
    return ":" in name and project.isdigit()


_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")


def _whitespace_problem(name: str) -> str | None:
    words = {"\r": "a carriage return (\\r)", "\n": "a newline (\\n)", "\t": "a tab", " ": "a space"}
    if name != name.rstrip():
        last = name[len(name.rstrip()) :][-1]
        what = words.get(last, "whitespace")
        return f"ends with {what}: {show(name)}; the instance is {show(name.strip())}"
    if name != name.lstrip():
        return f"starts with whitespace: {show(name)}; the instance is {show(name.strip())}"
    if _SPACE_OR_CONTROL.search(name):
        return f"contains whitespace or control characters: {show(name)}"
    return None


@functools.lru_cache(maxsize=4096)
def connection_name_problem(name: str) -> str | None:
    """A specific human reason why name is not a usable 'project:region:instance', else None.
    Pure in `name`, so remembered: a scan asks it of the same few names for every target."""
    if name == "" or name == PG_SOCKET_FILE:
        return (
            f"empty ({show(name)}): the connection-name variable was empty, so the app opened "
            f"'/cloudsql//{PG_SOCKET_FILE}' and Cloud Run reports the instance as '{PG_SOCKET_FILE}'"
        )
    if (problem := _whitespace_problem(name)) is not None:
        return problem
    if name.startswith(("/cloudsql", "cloudsql/")):
        inner = name.split("cloudsql/", 1)[-1].split("/", 1)[0] if "cloudsql/" in name else ""
        return f"{show(name)} is a socket path, not a connection name; the name is {show(inner)}"
    if name != name.lower():
        return f"has uppercase letters: {show(name)}; connection names are lowercase ({show(name.lower())})"
    parts = name.split(":")
    if len(parts) == 1:
        return f"{show(name)} is a bare instance name; expected 'project:region:{name}'"
    if len(parts) == 2:
        if REGION_RE.fullmatch(parts[0]):
            return f"{show(name)} has no project; expected 'project:{name}'"
        return f"{show(name)} has two parts only; expected 'project:region:instance' (region missing?)"
    if len(parts) > 4:
        return f"{show(name)} has {len(parts)} parts; expected 'project:region:instance'"
    project, region, instance = ":".join(parts[:-2]), parts[-2], parts[-1]
    if project.isdigit():
        return f"{show(project)} is a project number, not the project id, in {show(name)}"
    if (zone := ZONE_RE.fullmatch(region)) is not None:
        return f"{show(region)} is a zone, not a region; use {show(zone.group('region'))} in {show(name)}"
    if REGION_RE.fullmatch(project) and not REGION_RE.fullmatch(region):
        return f"{show(name)} looks out of order; expected 'project:region:instance'"
    if not REGION_RE.fullmatch(region):
        return f"{show(region)} does not look like a region (e.g. 'us-central1') in {show(name)}"
    if not instance:
        return f"{show(name)} has an empty instance name"
    if not is_valid_connection_name(name):
        return f"{show(name)} does not match 'project:region:instance' (lowercase letters, digits, '-')"
    return None


def looks_like_connection_name(value: str) -> bool:
    """Shape only (two or more ':' and no '/'), so malformed names are still recognised."""
    return value.count(":") >= 2 and "/" not in value and not is_ip(value.strip("[] \r\n\t"))
