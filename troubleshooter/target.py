"""Resolve the target like gcloud does: flags, then environment, then the active gcloud configuration."""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path
from typing import Final, Mapping

from troubleshooter.errors import BadInput
from troubleshooter.model import Target


def gcloud_config(env: Mapping[str, str]) -> dict[str, str]:
    """core/project and run/region from the active gcloud configuration, if there is one."""
    base = Path(env.get("CLOUDSDK_CONFIG") or Path.home() / ".config" / "gcloud")
    name = env.get("CLOUDSDK_ACTIVE_CONFIG_NAME")
    if not name:
        try:
            name = (base / "active_config").read_text(encoding="utf-8").strip() or "default"
        except OSError:
            name = "default"
    parser = configparser.ConfigParser()
    try:
        parser.read(base / "configurations" / f"config_{name}", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return {}
    out = {}
    if parser.has_option("core", "project"):
        out["project"] = parser.get("core", "project").strip()
    if parser.has_option("run", "region"):
        out["region"] = parser.get("run", "region").strip()
    return out


def defaults(env: Mapping[str, str] | None = None) -> dict[str, str]:
    env = os.environ if env is None else env
    conf = gcloud_config(env)
    out = {}
    project = env.get("CLOUDSDK_CORE_PROJECT") or env.get("GOOGLE_CLOUD_PROJECT") or conf.get("project")
    region = env.get("CLOUDSDK_RUN_REGION") or conf.get("region")
    if project:
        out["project"] = project
    if region:
        out["region"] = region
    return out


# What Google accepts, loosely: one path segment of letters, digits and '-' (a project id may be
# domain-scoped, 'example.com:proj'). Anything with '/', '..', whitespace or control characters
# would change the resource path the APIs are asked about (`--service a/../x`), so it is bad input
# before any call. Lengths: project ids 6-30, Cloud Run names up to 63 (shared limits, kept loose).
_NAME_RULES: Final = {
    "--project": re.compile(r"[a-z0-9][a-z0-9.:-]{0,99}"),
    "--region": re.compile(r"[a-z0-9][a-z0-9-]{0,62}"),
    "--service": re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}"),
    "--job": re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}"),
}


def check_name(flag: str, value: str) -> str:
    """value when it can name a Google resource segment, else BadInput (shown escaped)."""
    rule = _NAME_RULES[flag]
    if not rule.fullmatch(value) or ".." in value:
        raise BadInput(f"{flag} {value!r}: not a valid name (letters, digits and '-'; no '/', spaces "
                       "or control characters)")
    return value


def resolve(
    project: str | None,
    region: str | None,
    service: str | None,
    job: str | None,
    *,
    fallback: Target | None = None,
    env: Mapping[str, str] | None = None,
) -> Target:
    """A complete target, or BadInput naming the missing flag (batch commands cannot ask)."""
    if service and job:
        raise BadInput("--service and --job are exclusive: troubleshoot one at a time")
    base = defaults(env)
    if fallback is not None:
        project = project or fallback.project
        region = region or fallback.region
        if not (service or job):
            service, job = fallback.service, fallback.job
    project = project or base.get("project")
    region = region or base.get("region")
    missing = [flag for flag, value in (("--project", project), ("--region", region)) if not value]
    if not (service or job):
        missing.append("--service or --job")
    if missing:
        raise BadInput(f"missing {', '.join(missing)} (no default in the environment or gcloud config)")
    for flag, value in (("--project", project), ("--region", region), ("--service", service), ("--job", job)):
        if value is not None:
            check_name(flag, value)
    return Target(project=project, region=region, service=service, job=job)  # type: ignore[arg-type]


def partial(project: str | None, region: str | None, service: str | None, job: str | None,
            env: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """What is known so far (the TUI's picker asks for the rest)."""
    base = defaults(env)
    return {"project": project or base.get("project"), "region": region or base.get("region"),
            "service": service, "job": job}


def complete(values: Mapping[str, str | None]) -> Target | None:
    """The target the picked values name, or None while one of them is still missing."""
    project, region = values.get("project"), values.get("region")
    service, job = values.get("service"), values.get("job")
    if project and region and (service or job):
        return Target(project=project, region=region, service=service, job=job)
    return None
