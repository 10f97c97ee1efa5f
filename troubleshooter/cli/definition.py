"""Definition files `troubleshooter check` reads, as Run v2 edits of the live resource.

Three shapes:
- a Run v2 Service or Job (JSON or YAML, as the Admin API v2 and `gcloud run ... --format=json`
  under `beta`/v2 show it): its template replaces the live one;
- the v1 (Knative) YAML of `gcloud run services|jobs describe --format=export`: the Cloud SQL
  connection is the `run.googleapis.com/cloudsql-instances` annotation on `spec.template.metadata`,
  egress the `run.googleapis.com/vpc-access-*` and `network-interfaces` annotations, the account
  `serviceAccountName`, secrets `valueFrom.secretKeyRef` (v2: `valueSource.secretKeyRef`);
- a file holding a `gcloud run deploy | services update | jobs create | jobs update | jobs deploy`
  command line (a shell script, or a cloudbuild.yaml step: `args:` after `entrypoint: gcloud`, or a
  `bash -c` script): its flags change the live resource the way gcloud does (flags not given keep
  the live value; `--set-*` replaces, `--update-*`/`--add-*` merges, `--remove-*`/`--clear-*`).
  Cloud Build substitutions (`$PROJECT_ID`, `${_REGION}`, the file's `substitutions:`) are filled in.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from troubleshooter.engine.definition import Definition, Resource
from troubleshooter.errors import BadInput
from troubleshooter.facts.names import short
from troubleshooter.fixes.base import Refused
from troubleshooter.fixes.run_edit import CLOUDSQL_MOUNT, app_container, attach, template

_V1_API = ("serving.knative.dev/v1", "run.googleapis.com/v1")
_CLOUDSQL = "run.googleapis.com/cloudsql-instances"
_CONNECTOR = "run.googleapis.com/vpc-access-connector"
_EGRESS = "run.googleapis.com/vpc-access-egress"
_INTERFACES = "run.googleapis.com/network-interfaces"
_MAX_SCALE = "autoscaling.knative.dev/maxScale"
_LOCATION = "cloud.googleapis.com/location"
_EGRESS_V2 = {"all": "ALL_TRAFFIC", "all-traffic": "ALL_TRAFFIC", "private-ranges-only": "PRIVATE_RANGES_ONLY"}

# gcloud flags that take no value (any other --flag followed by a word takes it as its value).
_BOOLEAN = re.compile(r"^--(no-.*|clear-.*|allow-unauthenticated|async|quiet|execute-now|wait|"
                      r"cpu-boost|cpu-throttling|session-affinity|use-http2|default-url|"
                      r"invoker-iam-check|no-traffic|breakglass|help)$")
_SHELL_BREAK = {"&&", "||", ";", "|", "&"}
_VERBS = {("deploy",): "service", ("services", "update"): "service", ("services", "deploy"): "service",
          ("jobs", "create"): "job", ("jobs", "update"): "job", ("jobs", "deploy"): "job"}


@dataclass
class Command:
    """One `gcloud run` command line: the kind and verb, the NAME, its flags in order."""

    kind: str
    verb: str
    name: str
    flags: list[tuple[str, str | None]] = field(default_factory=list)

    def last(self, flag: str) -> str | None:
        values = [v for f, v in self.flags if f == flag]
        return values[-1] if values else None


def load(path: str, *, project: str | None, select: str | None = None) -> Definition:
    """The definition in `path` (BadInput with the file and what is wrong otherwise)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not a text file") from None
    doc: Any = None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        doc = None  # a shell script is not YAML: read it as command lines below
    subst: dict[str, str] = {}
    if project:
        subst["PROJECT_ID"] = project
    if isinstance(doc, Mapping):
        if str(doc.get("apiVersion", "")) in _V1_API:
            return _from_v1(path, doc)
        if "steps" in doc:
            subst.update({str(k): str(v) for k, v in (doc.get("substitutions") or {}).items()})
            return _from_commands(path, _cloudbuild_commands(doc), subst, select, project)
        if "template" in doc:
            return _from_v2(path, doc)
        raise BadInput(f"{path}: not a Cloud Run definition: expected a v2 Service/Job (with `template`), "
                       "a v1 export (`apiVersion: serving.knative.dev/v1`), or a cloudbuild.yaml")
    return _from_commands(path, _script_commands(text), subst, select, project)


# --------------------------------------------------------------------------- v2


def _from_v2(path: str, doc: Mapping[str, Any]) -> Definition:
    outer = doc.get("template") or {}
    kind = "job" if isinstance(outer.get("template"), Mapping) else "service"
    name = str(doc.get("name") or "")
    parts = name.split("/")
    project = parts[1] if len(parts) == 6 and parts[0] == "projects" else None
    region = parts[3] if len(parts) == 6 else None
    if not short(name):
        raise BadInput(f"{path}: the v2 definition has no `name`")
    declared = {k: copy.deepcopy(v) for k, v in doc.items() if k in ("template", "scaling", "launchStage")}

    def revise(live: Resource | None) -> Resource:
        out = copy.deepcopy(dict(live or {}))
        out.update(copy.deepcopy(declared))
        return out

    return Definition(kind, short(name), path, "v2", revise, project, region)


# --------------------------------------------------------------------------- v1 (Knative export)


def _from_v1(path: str, doc: Mapping[str, Any]) -> Definition:
    kind = "job" if doc.get("kind") == "Job" else "service"
    meta = doc.get("metadata") or {}
    name = str(meta.get("name") or "")
    if not name:
        raise BadInput(f"{path}: the v1 definition has no metadata.name")
    region = (meta.get("labels") or {}).get(_LOCATION)
    spec = doc.get("spec") or {}
    tmpl = spec.get("template") or {}
    annotations = (tmpl.get("metadata") or {}).get("annotations") or {}
    if kind == "job":
        execution = tmpl.get("spec") or {}
        task = (execution.get("template") or {}).get("spec") or {}
        revision = _v1_task(path, task, annotations)
        outer: Resource = {k: execution[k] for k in ("taskCount", "parallelism") if k in execution}
        outer["template"] = revision
    else:
        outer = _v1_task(path, tmpl.get("spec") or {}, annotations)
        if _MAX_SCALE in annotations:
            outer["scaling"] = {"maxInstanceCount": int(annotations[_MAX_SCALE])}

    def revise(live: Resource | None) -> Resource:
        out = copy.deepcopy(dict(live or {}))
        out["template"] = copy.deepcopy(outer)
        return out

    return Definition(kind, name, path, "v1-export", revise, None, str(region) if region else None)


def _v1_task(path: str, spec: Mapping[str, Any], annotations: Mapping[str, Any]) -> Resource:
    """A v1 RevisionSpec/TaskSpec (and its template annotations) as a v2 revision template."""
    out: Resource = {"containers": [_v1_container(c) for c in spec.get("containers") or []]}
    if spec.get("serviceAccountName"):
        out["serviceAccount"] = spec["serviceAccountName"]
    volumes = [_v1_volume(v) for v in spec.get("volumes") or []]
    if volumes:
        out["volumes"] = volumes
    vpc: Resource = {}
    if annotations.get(_CONNECTOR):
        vpc["connector"] = annotations[_CONNECTOR]
    if annotations.get(_EGRESS):
        vpc["egress"] = _EGRESS_V2.get(str(annotations[_EGRESS]), str(annotations[_EGRESS]))
    if annotations.get(_INTERFACES):
        try:
            vpc["networkInterfaces"] = json.loads(annotations[_INTERFACES])
        except (TypeError, ValueError):
            raise BadInput(f"{path}: annotation {_INTERFACES} is not JSON") from None
    if vpc:
        out["vpcAccess"] = vpc
    names = _split(str(annotations.get(_CLOUDSQL) or ""))
    if names:
        resource = {"template": out}
        for cn in names:
            _edit(path, attach("service", cn), resource)
    return out


def _v1_container(c: Mapping[str, Any]) -> Resource:
    out: Resource = {k: copy.deepcopy(c[k]) for k in ("name", "image", "command", "args") if k in c}
    if c.get("ports"):
        out["ports"] = [{k: p[k] for k in ("name", "containerPort") if k in p} for p in c["ports"]]
    env = []
    for e in c.get("env") or []:
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            env.append({"name": e.get("name"), "valueSource": {"secretKeyRef": {
                "secret": ref.get("name"), "version": str(ref.get("key") or "latest")}}})
        else:
            env.append({"name": e.get("name"), "value": str(e.get("value", ""))})
    if env:
        out["env"] = env
    if c.get("volumeMounts"):
        out["volumeMounts"] = [{"name": m.get("name"), "mountPath": m.get("mountPath")} for m in c["volumeMounts"]]
    return out


def _v1_volume(v: Mapping[str, Any]) -> Resource:
    secret = v.get("secret")
    if secret:
        items = [{"version": str(i.get("key") or "latest"), "path": i.get("path")} for i in secret.get("items") or []]
        return {"name": v.get("name"), "secret": {"secret": secret.get("secretName"), "items": items}}
    return {k: copy.deepcopy(val) for k, val in v.items()}


# --------------------------------------------------------------------------- command lines


def _cloudbuild_commands(doc: Mapping[str, Any]) -> list[list[str]]:
    """The gcloud command lines of a cloudbuild.yaml's steps (args lists and `bash -c` scripts)."""
    found: list[list[str]] = []
    for step in doc.get("steps") or []:
        if not isinstance(step, Mapping):
            continue
        args = [str(a) for a in step.get("args") or []]
        entry = str(step.get("entrypoint") or "")
        if entry.endswith("gcloud") or (not entry and str(step.get("name", "")).endswith(("cloud-sdk", "gcloud"))):
            found.append(["gcloud", *args])
        elif entry.endswith(("bash", "sh")) or (args and args[0] == "-c"):
            found.extend(_script_commands("\n".join(a for a in args if a != "-c")))
        if step.get("script"):
            found.extend(_script_commands(str(step["script"])))
    return found


def _script_commands(text: str) -> list[list[str]]:
    """The `gcloud ...` command lines of a shell script (continuations joined, comments dropped)."""
    joined = re.sub(r"\\\r?\n", " ", text)
    out: list[list[str]] = []
    for line in joined.splitlines():
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            continue  # an unbalanced quote: not a line we can read as a command
        start = None
        for i, tok in enumerate(tokens):
            if tok == "gcloud" or tok.endswith("/gcloud"):
                start = i
            elif tok in _SHELL_BREAK and start is not None:
                out.append(tokens[start:i])
                start = None
        if start is not None:
            out.append(tokens[start:])
    return out


def _parse_command(tokens: list[str]) -> Command | None:
    rest = tokens[1:]
    while rest and rest[0] in ("beta", "alpha"):
        rest = rest[1:]
    if not rest or rest[0] != "run":
        return None
    rest = rest[1:]
    for verb, kind in _VERBS.items():
        if tuple(rest[: len(verb)]) == verb:
            break
    else:
        return None
    args = rest[len(verb):]
    name = ""
    flags: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        tok = args[i]
        if tok.startswith("--"):
            if "=" in tok:
                flag, value = tok.split("=", 1)
                flags.append((flag, value))
            elif _BOOLEAN.match(tok) or i + 1 >= len(args) or args[i + 1].startswith("--"):
                flags.append((tok, None))
            else:
                flags.append((tok, args[i + 1]))
                i += 1
        elif tok.startswith("-") and len(tok) == 2:
            flags.append((tok, None))  # -q
        elif not name:
            name = tok
        i += 1
    return Command(kind, " ".join(verb), name, flags)


def _subst(value: str, subst: Mapping[str, str]) -> str:
    def fill(m: re.Match[str]) -> str:
        key = m.group(1) or m.group(2)
        return subst.get(key, m.group(0))

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", fill, value)


def _from_commands(path: str, lines: list[list[str]], subst: Mapping[str, str], select: str | None,
                   project: str | None) -> Definition:
    commands = []
    for tokens in lines:
        cmd = _parse_command([_subst(t, subst) for t in tokens])
        if cmd is not None:
            commands.append(cmd)
    if not commands:
        raise BadInput(f"{path}: no `gcloud run deploy|services update|jobs create|jobs update` command found")
    if select:
        commands = [c for c in commands if c.name == select] or commands
    names = sorted({c.name for c in commands})
    if len(names) > 1:
        raise BadInput(f"{path}: several commands ({', '.join(names)}); pick one with --service or --job")
    cmd = commands[-1]
    if not cmd.name or "$" in cmd.name:
        raise BadInput(f"{path}: `gcloud run {cmd.verb}` names no service or job we can read ({cmd.name or 'none'})")
    region = cmd.last("--region")
    cmd_project = cmd.last("--project")
    fresh = cmd.verb == "jobs create"

    def known(value: str | None) -> str | None:
        return value if value and "$" not in value else None

    def revise(live: Resource | None) -> Resource:
        resource = {} if live is None or fresh else copy.deepcopy(live)
        where = (known(cmd_project) or project or "PROJECT", known(region) or "REGION")
        return _apply_flags(path, cmd, resource, where)

    return Definition(cmd.kind, cmd.name, path, "command", revise, known(cmd_project), known(region))


def _apply_flags(path: str, cmd: Command, resource: Resource, where: tuple[str, str]) -> Resource:
    """The resource after the command's flags, in the order given (gcloud applies them so)."""
    project, region = where
    tmpl = template(resource, cmd.kind)
    containers = tmpl.setdefault("containers", [])
    if not containers:
        containers.append({})
    for flag, value in cmd.flags:
        v = value or ""
        app = app_container(tmpl)
        if flag == "--image":
            app["image"] = v
        elif flag == "--service-account":
            tmpl["serviceAccount"] = v
        elif flag in ("--add-cloudsql-instances", "--set-cloudsql-instances", "--remove-cloudsql-instances",
                      "--clear-cloudsql-instances"):
            _cloudsql(path, cmd.kind, resource, flag, [_instance(n, project, region) for n in _split(v)])
        elif flag in ("--set-env-vars", "--update-env-vars", "--remove-env-vars", "--clear-env-vars",
                      "--env-vars-file"):
            _env_vars(path, app, flag, v)
        elif flag in ("--set-secrets", "--update-secrets", "--remove-secrets", "--clear-secrets"):
            _secrets(tmpl, app, flag, v)
        elif flag == "--vpc-egress":
            tmpl.setdefault("vpcAccess", {})["egress"] = _EGRESS_V2.get(v, v.upper().replace("-", "_"))
        elif flag == "--vpc-connector":
            vpc = tmpl.setdefault("vpcAccess", {})
            vpc["connector"] = v if "/" in v else f"projects/{project}/locations/{region}/connectors/{v}"
            vpc.pop("networkInterfaces", None)
        elif flag == "--clear-vpc-connector":
            (tmpl.get("vpcAccess") or {}).pop("connector", None)
        elif flag in ("--network", "--subnet"):
            vpc = tmpl.setdefault("vpcAccess", {})
            nics = vpc.setdefault("networkInterfaces", [{}])
            nics[0]["network" if flag == "--network" else "subnetwork"] = v
            vpc.pop("connector", None)
        elif flag == "--clear-network":
            (tmpl.get("vpcAccess") or {}).pop("networkInterfaces", None)
        elif flag == "--max-instances" and cmd.kind == "service":
            tmpl.setdefault("scaling", {})["maxInstanceCount"] = int(v) if v.isdigit() else v
        elif flag in ("--tasks", "--parallelism") and cmd.kind == "job":
            resource["template"]["taskCount" if flag == "--tasks" else "parallelism"] = int(v) if v.isdigit() else v
    return resource


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def _instance(name: str, project: str, region: str) -> str:
    # gcloud expands a bare instance name with the deploy's project and region.
    return name if ":" in name else f"{project}:{region}:{name}"


def _edit(path: str, edit: Any, resource: Resource) -> None:
    try:
        edit(resource)
    except Refused as exc:
        raise BadInput(f"{path}: {exc}") from None


def _cloudsql(path: str, kind: str, resource: Resource, flag: str, names: list[str]) -> None:
    tmpl = template(resource, kind)
    volumes = tmpl.get("volumes") or []
    current = [n for vol in volumes for n in (vol.get("cloudSqlInstance") or {}).get("instances") or []]
    if flag == "--add-cloudsql-instances":
        wanted = current + [n for n in names if n not in current]
    elif flag == "--remove-cloudsql-instances":
        wanted = [n for n in current if n not in names]
    elif flag == "--set-cloudsql-instances":
        wanted = names
    else:
        wanted = []
    kept = [vol for vol in volumes if "cloudSqlInstance" not in vol]
    gone = {vol.get("name") for vol in volumes if "cloudSqlInstance" in vol}
    tmpl["volumes"] = kept
    for container in tmpl.get("containers") or []:
        if container.get("volumeMounts"):
            container["volumeMounts"] = [m for m in container["volumeMounts"]
                                         if m.get("name") not in gone or m.get("mountPath") != CLOUDSQL_MOUNT]
    for cn in wanted:
        _edit(path, attach(kind, cn), resource)
    if not tmpl["volumes"]:
        tmpl.pop("volumes")


def _pairs(value: str) -> list[tuple[str, str]]:
    """`K=V,K2=V2`, or gcloud's other-delimiter form `^DELIM^K=V DELIM K2=V2`."""
    delim = ","
    m = re.match(r"^\^(.+?)\^(.*)$", value, re.S)
    if m:
        delim, value = m.group(1), m.group(2)
    out = []
    for part in value.split(delim):
        if not part:
            continue
        key, _, val = part.partition("=")
        out.append((key.strip(), val))
    return out


def _env_vars(path: str, app: Resource, flag: str, value: str) -> None:
    env = app.setdefault("env", [])
    literal = [e for e in env if "valueSource" not in e]
    secret = [e for e in env if "valueSource" in e]
    if flag == "--env-vars-file":
        try:
            loaded = yaml.safe_load(Path(value).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise BadInput(f"{path}: --env-vars-file {value}: cannot read: {exc}") from None
        pairs = [(str(k), str(v)) for k, v in dict(loaded).items()]
        literal = []
    elif flag == "--remove-env-vars":
        gone = set(_split(value))
        literal = [e for e in literal if e.get("name") not in gone]
        pairs = []
    elif flag == "--clear-env-vars":
        literal, pairs = [], []
    else:
        pairs = _pairs(value)
        if flag == "--set-env-vars":
            literal = []  # gcloud: "all existing environment variables will be removed first"
    by_name = {e.get("name"): e for e in literal}
    for key, val in pairs:
        if key in by_name:
            by_name[key]["value"] = val
        else:
            entry = {"name": key, "value": val}
            literal.append(entry)
            by_name[key] = entry
    app["env"] = literal + [e for e in secret if e.get("name") not in by_name]


def _secret_ref(ref: str) -> tuple[str, str]:
    name, _, version = ref.partition(":")
    return name, version or "latest"


def _secrets(tmpl: Resource, app: Resource, flag: str, value: str) -> None:
    env = app.setdefault("env", [])
    volumes = tmpl.setdefault("volumes", [])
    mounts = app.setdefault("volumeMounts", [])
    secret_volumes = {v.get("name") for v in volumes if "secret" in v}
    if flag in ("--set-secrets", "--clear-secrets"):
        env[:] = [e for e in env if "valueSource" not in e]
        volumes[:] = [v for v in volumes if "secret" not in v]
        mounts[:] = [m for m in mounts if m.get("name") not in secret_volumes]
    if flag == "--remove-secrets":
        gone = set(_split(value))
        env[:] = [e for e in env if e.get("name") not in gone]
        mounts[:] = [m for m in mounts if m.get("mountPath") not in gone]
        return
    if flag == "--clear-secrets":
        return
    for key, ref in _pairs(value):
        secret, version = _secret_ref(ref)
        if key.startswith("/"):
            mount, _, file = key.rpartition("/")
            vol = f"secret-{len(volumes)}"
            volumes.append({"name": vol, "secret": {"secret": secret, "items": [{"version": version, "path": file}]}})
            mounts[:] = [m for m in mounts if m.get("mountPath") != (mount or "/")]
            mounts.append({"name": vol, "mountPath": mount or "/"})
            continue
        env[:] = [e for e in env if e.get("name") != key]
        env.append({"name": key, "valueSource": {"secretKeyRef": {"secret": secret, "version": version}}})
