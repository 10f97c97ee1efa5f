"""Resource names as users write them: cleaning connection names, short names, path projects."""

from __future__ import annotations

import re

# Whitespace, CR/LF and stray quotes are what copy-paste and `echo` leave around a name; the
# byte-exact original stays in InstanceRef.connection_name so checks can show it with repr().
JUNK = " \t\r\n\v\f\"'"


def clean(name: str) -> str:
    """A connection name as it was meant: stray whitespace, CR/LF and quotes removed."""
    return name.strip(JUNK)


def short(path: str | None) -> str:
    """Last segment of a resource path (`projects/P/global/networks/N` -> `N`)."""
    return (path or "").rstrip("/").rsplit("/", 1)[-1]


def path_project(path: str | None, default: str) -> str:
    """The project of `projects/P/...`, or `default` for a short name."""
    m = re.match(r"^(?:https://[^/]+/compute/v1/)?projects/([^/]+)/", path or "")
    return m.group(1) if m else default
