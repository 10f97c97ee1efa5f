"""A scan: every Cloud Run service and job of a scope, each decided by the same engine as `diagnose`.

The scope is a project (one region, or all), a folder or an organization. Which projects and
regions hold services and jobs comes from Cloud Asset Inventory `searchAllResources`
(`run.googleapis.com/Service`, `run.googleapis.com/Job`, and `sqladmin.googleapis.com/Instance`,
whose projects get their instance list read up front); a project scope with one region skips it.

Reads are shared so that the number of calls per project does not grow with its services:

- per project and region: `services.list` and `jobs.list` (they return each resource whole,
  template included: no `services.get` per target), `revisions.list` of `services/-` and
  `executions.list` of `jobs/-` (the serving revisions and latest executions of all of them),
  one `entries.list` whose filter covers every service and job of the region (split per target
  afterwards, each kept to its own log window and to the newest 500 entries, as `diagnose` does);
- per project: `projects.get`, `getIamPolicy`, `instances.list` (an instance a target names is
  taken from it; only a name the list lacks is read with `instances.get`, once, and its 404 is
  the fact), Service Usage's state of `sqladmin.googleapis.com`;
- per instance: `databases.list` and `users.list`, once whatever the number of targets using it.

Each target runs the `diagnose` probes and walk (DiagnosisRun) with a `TargetFetcher`: the
probes ask for facts by FactKey exactly as they do alone, and get the shared read. A read that
fails fails every target that needed it the way it fails one run alone: the target is
`inconclusive`, the scan goes on.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Hashable, Iterable, Mapping, TypeVar

from troubleshooter.diagnosis import Diagnosis, default_log_window
from troubleshooter.dsn.connections import app_connections
from troubleshooter.engine.run import DiagnosisRun
from troubleshooter.errors import BadInput
from troubleshooter.facts.keys import FactKey
from troubleshooter.failures import ApiFailure
from troubleshooter.gateway import Gateway
from troubleshooter.graph import DecisionGraph
from troubleshooter.model import Target
from troubleshooter.probes.app_settings import instance_refs
from troubleshooter.probes.base import Fetcher
from troubleshooter.probes.common import attached_names, merged_env
from troubleshooter.probes.service_usage import SQLADMIN
from troubleshooter.target import defaults

T = TypeVar("T")

SERVICE_ASSET = "run.googleapis.com/Service"
JOB_ASSET = "run.googleapis.com/Job"
INSTANCE_ASSET = "sqladmin.googleapis.com/Instance"
ASSET_TYPES = (SERVICE_ASSET, JOB_ASSET, INSTANCE_ASSET)
VERDICTS = ("root-causes", "unexplained", "inconclusive", "healthy")   # worst first
_PER_TARGET_LOG_ENTRIES = 500          # what one `diagnose` reads (Gateway.list_log_entries)
_REGION_LOG_ENTRIES = 100_000          # pages of 1,000: calls grow with log volume, not targets
_TARGETS_AT_ONCE = 8
_PAGE = 1000                           # Run lists: a region's services in one page where the API allows
Progress = Callable[[int, int], None]


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """What a scan covers: `kind` project | folder | organization, its id, one region or all."""

    kind: str
    id: str
    region: str | None = None   # None: every region

    @property
    def name(self) -> str:
        """The Cloud Asset Inventory scope: `projects/P`, `folders/F`, `organizations/O`."""
        return {"project": "projects", "folder": "folders", "organization": "organizations"}[self.kind] + f"/{self.id}"

    def as_json(self, regions: Iterable[str]) -> dict[str, Any]:
        return {self.kind: self.id, "regions": sorted(set(regions))}


@dataclass(frozen=True)
class ReadError:
    """A read the scan could not make that hid targets (a region's list): said, never dropped."""

    project: str
    region: str
    failure: ApiFailure

    def as_json(self) -> dict[str, str]:
        return {"project": self.project, "region": self.region, "error": self.failure.explain()}


@dataclass
class Scan:
    """Every target's diagnosis, worst first, and what the scan cost."""

    scope: Scope
    regions: list[str]
    diagnoses: list[Diagnosis]
    errors: list[ReadError] = field(default_factory=list)
    api_calls: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, int]:
        counts = {v: 0 for v in ("root-causes", "healthy", "unexplained", "inconclusive")}
        for d in self.diagnoses:
            counts[d.verdict] += 1
        return counts

    @property
    def worst(self) -> str:
        """The worst verdict (a read error that hid targets counts as inconclusive)."""
        found = {d.verdict for d in self.diagnoses} | ({"inconclusive"} if self.errors else set())
        return next((v for v in VERDICTS if v in found), "healthy")

    def target_json(self, d: Diagnosis) -> dict[str, Any]:
        """cli.md: the diagnose object without `path` and `probes`."""
        out = d.to_json()
        for key in ("path", "probes"):
            out.pop(key, None)
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scope": self.scope.as_json(self.regions),
            "targets": [self.target_json(d) for d in self.diagnoses],
            "summary": self.summary,
            "apiCalls": self.api_calls,
        }
        if self.errors:  # an extension (the spec's objects accept more keys): what was not read
            out["errors"] = [e.as_json() for e in self.errors]
        return out


def worst_first(diagnoses: Iterable[Diagnosis]) -> list[Diagnosis]:
    """Root causes first (most causes first), then unexplained, inconclusive, healthy; then by name."""
    return sorted(diagnoses, key=lambda d: (VERDICTS.index(d.verdict), -len(d.causes),
                                            d.target.project, d.target.region, d.target.kind, d.target.name))


_NUMBER = re.compile(r"^(?:folders/|organizations/)?(\d{1,20})$")
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9.:-]{0,99}$")
_REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def resolve_scope(project: str | None, folder: str | None, organization: str | None, region: str | None,
                  all_regions: bool, *, fallback_project: str | None = None,
                  fallback_region: str | None = None) -> Scope:
    """The scope the flags name (BadInput, before any call, when they do not name one)."""
    given = [(k, v) for k, v in (("project", project), ("folder", folder), ("organization", organization)) if v]
    if len(given) > 1:
        raise BadInput(f"--{given[0][0]} and --{given[1][0]}: give one scope (--project, --folder or --organization)")
    if region and all_regions:
        raise BadInput("--region and --all-regions: give one")
    if region and not _REGION.match(region):
        raise BadInput(f"--region {region!r}: not a region name (e.g. europe-west1)")
    env = defaults()
    if given and given[0][0] != "project":
        kind, value = given[0]
        m = _NUMBER.match(value.strip())
        if m is None:
            raise BadInput(f"--{kind} {value!r}: expected the {kind}'s number (e.g. 123456789012)")
        return Scope(kind, m.group(1), region)
    pid = project or fallback_project or env.get("project")
    if not pid:
        raise BadInput("no scope: give --project, --folder or --organization (or set CLOUDSDK_CORE_PROJECT)")
    if not _PROJECT.match(pid):
        raise BadInput(f"--project {pid!r}: not a project id")
    if all_regions:
        return Scope("project", pid, None)
    where = region or fallback_region or env.get("region")
    if not where:
        raise BadInput("--region R or --all-regions: a project scan needs one (or set CLOUDSDK_RUN_REGION)")
    return Scope("project", pid, where)



# --------------------------------------------------------------------------- shared reads


def _resolved(value: Any) -> Future[Any]:
    fut: Future[Any] = Future()
    fut.set_result(value)
    return fut


def _failed(failure: BaseException) -> Future[Any]:
    fut: Future[Any] = Future()
    fut.set_exception(failure)
    return fut


def _copy_into(src: Future[Any], dst: Future[Any]) -> None:
    exc = src.exception()
    if exc is not None:
        dst.set_exception(exc)
    else:
        dst.set_result(src.result())


_MISSING = object()


class SharedReads:
    """One memo of API reads for a whole scan; every future is started at most once."""

    def __init__(self, gateway: Gateway, executor: ThreadPoolExecutor) -> None:
        self.gateway = gateway
        self.executor = executor
        self._futures: dict[Hashable, Future[Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, fn: Callable[[], T]) -> Future[T]:
        with self._lock:
            fut = self._futures.get(key)
            if fut is None:
                fut = self.executor.submit(fn)
                self._futures[key] = fut
            return fut

    def derived(self, key: Hashable, src: Future[Any], pick: Callable[[Any], Any],
                fallback: tuple[Hashable, Callable[[], Any]] | None = None) -> Future[Any]:
        """`pick(src's value)`, memoised under `key`, without blocking a thread. When `pick` finds
        nothing (`_MISSING`) or `src` failed, the `fallback` read is made (once) instead."""
        with self._lock:
            fut = self._futures.get(key)
            if fut is not None:
                return fut
            fut = Future()
            self._futures[key] = fut

        def done(s: Future[Any]) -> None:
            exc = s.exception()
            value = _MISSING
            if exc is None:
                try:
                    value = pick(s.result())
                except Exception as err:  # noqa: BLE001 - a bad resource costs its target, not the scan
                    fut.set_exception(err)
                    return
            if value is not _MISSING:
                fut.set_result(value)
            elif fallback is not None:
                self.get(*fallback).add_done_callback(lambda f: _copy_into(f, fut))
            else:
                fut.set_exception(exc or LookupError(key))

        src.add_done_callback(done)
        return fut

    # -- the per-project and per-region reads, keyed as the probes key them ------------

    def project_reads(self, project: str) -> None:
        gw = self.gateway
        self.get(FactKey.project(project), lambda: gw.get_project(project))
        self.get(FactKey.iam(project), lambda: gw.get_iam_policy(project))
        self.get(FactKey.listing(project), lambda: gw.list_instances(project))
        self.get(FactKey.usage(project, SQLADMIN), lambda: gw.get_service_state(project, SQLADMIN))

    def instance_details(self, project: str, instance: str) -> None:
        """Start `databases.list` and `users.list` of an instance some target names, as soon as its
        project's instance list shows it exists (a missing one is the probes' 404, never listed)."""
        gw = self.gateway
        listing = self.get(FactKey.listing(project), lambda: gw.list_instances(project))

        def listed(fut: Future[Any]) -> None:
            if fut.exception() is None and any(i.get("name") == instance for i in fut.result() or ()):
                self.get(FactKey.databases(project, instance), lambda: gw.list_databases(project, instance))
                self.get(FactKey.users(project, instance), lambda: gw.list_users(project, instance))
            else:  # not listed (or no list): its own read says why, a 404 being the fact
                self.get(FactKey.instance(project, instance), lambda: gw.get_instance(project, instance))

        listing.add_done_callback(listed)

    def services(self, project: str, region: str) -> Future[list[dict[str, Any]]]:
        return self.get(("services", project, region),
                        lambda: self.gateway.list_services(project, region, page_size=_PAGE))

    def jobs(self, project: str, region: str) -> Future[list[dict[str, Any]]]:
        return self.get(("jobs", project, region), lambda: self.gateway.list_jobs(project, region, page_size=_PAGE))

    def revisions(self, project: str, region: str) -> Future[dict[tuple[str, str], dict[str, Any]]]:
        parent = f"projects/{project}/locations/{region}/services/-"
        return self.get(("revisions", project, region),
                        lambda: _by_parent_and_name(self.gateway.list_revisions(parent)))

    def executions(self, project: str, region: str) -> Future[dict[tuple[str, str], dict[str, Any]]]:
        return self.get(("executions", project, region),
                        lambda: _by_parent_and_name(self.gateway.list_region_executions(project, region)))

    def logs(self, project: str, region: str, kinds: frozenset[str]) -> Future[list[dict[str, Any]]]:
        query = region_log_filter(region, kinds, datetime.now(timezone.utc))
        return self.get(("logs", project, region),
                        lambda: self.gateway.list_log_entries(project, query, max_results=_REGION_LOG_ENTRIES))


def _by_parent_and_name(items: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Revisions (executions) by (service, revision) short names: unique within a project and region,
    whether a name carries the project id or number."""
    out = {}
    for item in items:
        parts = str(item.get("name", "")).split("/")
        if len(parts) == 8:
            out[(parts[5], parts[7])] = item
    return out


def _window(kind: str) -> int:
    return default_log_window(Target("p", "r", job="j") if kind == "job" else Target("p", "r", service="s"))


def region_log_filter(region: str, kinds: Iterable[str], now: datetime) -> str:
    """One Logging query for every service and job of a region, each kind over its own window."""
    parts = []
    for kind in sorted(kinds):
        rtype = "cloud_run_job" if kind == "job" else "cloud_run_revision"
        since = (now - timedelta(minutes=_window(kind))).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts.append(f'(resource.type="{rtype}" AND timestamp>="{since}")')
    return f'({" OR ".join(parts)}) AND resource.labels.location="{region}"'


def _stamp(entry: Mapping[str, Any]) -> datetime | None:
    raw = str(entry.get("timestamp") or "")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def entries_of(target: Target, entries: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The region's entries that the target's own `diagnose` query would have returned (newest first)."""
    rtype, label = ("cloud_run_job", "job_name") if target.kind == "job" else ("cloud_run_revision", "service_name")
    since = now - timedelta(minutes=default_log_window(target))
    out = []
    for e in entries:
        res = e.get("resource") or {}
        if res.get("type") != rtype or (res.get("labels") or {}).get(label) != target.name:
            continue
        at = _stamp(e)
        if at is not None and at < since:
            continue
        out.append(e)
        if len(out) == _PER_TARGET_LOG_ENTRIES:
            break
    return out


class TargetFetcher(Fetcher):
    """One target's view of the shared reads: the probes ask by FactKey as they do alone."""

    def __init__(self, shared: SharedReads, target: Target, resource: Future[dict[str, Any]]) -> None:
        super().__init__(shared.executor)
        self.shared = shared
        self.target = target
        self.resource = resource

    def get(self, key: FactKey, fn: Callable[[], T]) -> Future[T]:
        t, s = self.target, self.shared
        if key.kind == "run":
            return self.resource
        if key.kind == "logs":
            now = datetime.now(timezone.utc)
            src = s.get(("logs", t.project, t.region), fn)   # registered at the scan's start
            return s.derived(("logs-of", t), src, lambda entries: entries_of(t, entries, now))
        if key.kind in ("revision", "execution"):
            parts = key.parts[0].split("/")
            if len(parts) == 8:
                listing = (s.revisions if key.kind == "revision" else s.executions)(parts[1], parts[3])
                return s.derived(("of", key), listing, lambda found: found.get((parts[5], parts[7]), _MISSING),
                                 fallback=(key, fn))
        if key.kind == "instance":
            project, name = key.parts
            listing = s.get(FactKey.listing(project), lambda: s.gateway.list_instances(project))
            return s.derived(("of", key), listing,
                             lambda items: next((i for i in items if i.get("name") == name), _MISSING),
                             fallback=(key, fn))
        return s.get(key, fn)


# --------------------------------------------------------------------------- the scan


def _inventory(gateway: Gateway, scope: Scope) -> tuple[dict[tuple[str, str], set[str]], set[str], dict[tuple[str, str], list[Target]]]:
    """(project, region) -> kinds there; projects holding instances; the targets Asset Inventory named."""
    if scope.kind == "project" and scope.region:
        return {(scope.id, scope.region): {"service", "job"}}, set(), {}
    query = f"location:{scope.region}" if scope.region else ""
    # One search per asset type, side by side: their pages (500 results each) follow one another
    # only within a type.
    with ThreadPoolExecutor(max_workers=len(ASSET_TYPES), thread_name_prefix="scan-asset") as pool:
        searches = [pool.submit(gateway.search_all_resources, scope.name, [t], query) for t in ASSET_TYPES]
        found = [r for s in searches for r in s.result()]   # raises ApiFailure
    where: dict[tuple[str, str], set[str]] = {}
    named: dict[tuple[str, str], list[Target]] = {}
    instance_projects: set[str] = set()
    for r in found:
        parts = str(r.get("name", "")).removeprefix("//").split("/")
        if r.get("assetType") == INSTANCE_ASSET and len(parts) >= 3:
            instance_projects.add(parts[2])
        elif r.get("assetType") in (SERVICE_ASSET, JOB_ASSET) and len(parts) == 7:
            project, region, name = parts[2], parts[4], parts[6]
            kind = "job" if r["assetType"] == JOB_ASSET else "service"
            where.setdefault((project, region), set()).add(kind)
            named.setdefault((project, region), []).append(
                Target(project, region, job=name) if kind == "job" else Target(project, region, service=name))
    return where, instance_projects, named


def _named_instances(targets: Iterable[tuple[Target, Future[dict[str, Any]]]]) -> set[tuple[str, str]]:
    """(project, instance) of every instance a listed template attaches or its env names, split
    as the `app-settings` probe splits them."""
    out: set[tuple[str, str]] = set()
    for target, fut in targets:
        if fut.exception() is not None:
            continue
        outer = fut.result().get("template") or {}
        template = (outer.get("template") or {}) if target.kind == "job" else outer
        app = app_connections(list(merged_env(template)))
        out.update((r.project, r.instance) for r in instance_refs(attached_names(template), app, target.project))
    return out


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def scan(
    scope: Scope,
    gateway: Gateway,
    graph: DecisionGraph,
    *,
    progress: Progress | None = None,
    api_calls: Callable[[], int] | None = None,
    read_secrets: bool = False,
) -> Scan:
    """Every service and job of `scope`, diagnosed; raises ApiFailure only when the scope itself
    cannot be listed (Asset Inventory refused), since then no target is known. Secret payloads
    are read only with `read_secrets` (the operator's consent), as for one target."""
    calls = api_calls or (lambda: gateway.stats.total)
    before = calls()
    clock, cpu = time.perf_counter(), time.process_time()
    timings: dict[str, float] = {}
    where, instance_projects, named = _inventory(gateway, scope)
    timings["inventoryS"] = time.perf_counter() - clock
    with ThreadPoolExecutor(max_workers=64, thread_name_prefix="scan-read") as pool:
        shared = SharedReads(gateway, pool)
        # Every shared read starts now, before any target is known: one round trip for all.
        for project in sorted({p for p, _ in where} | instance_projects):
            shared.project_reads(project)
        for (project, region), kinds in sorted(where.items()):
            if "service" in kinds:
                shared.services(project, region)
                shared.revisions(project, region)
            if "job" in kinds:
                shared.jobs(project, region)
                shared.executions(project, region)
            shared.logs(project, region, frozenset(kinds))

        targets: list[tuple[Target, Future[dict[str, Any]]]] = []
        errors: list[ReadError] = []
        for (project, region), kinds in sorted(where.items()):
            for kind in sorted(kinds):
                listing = (shared.services if kind == "service" else shared.jobs)(project, region)
                try:
                    items = listing.result()
                except ApiFailure as failure:
                    known = [t for t in named.get((project, region), []) if t.kind == kind]
                    if not known:
                        errors.append(ReadError(project, region, failure))
                    # Targets Asset Inventory named: each fails its own read, as alone it would.
                    targets += [(t, _failed(failure)) for t in known]
                    continue
                for item in items:
                    name = _short(str(item.get("name", "")))
                    t = Target(project, region, job=name) if kind == "job" else Target(project, region, service=name)
                    targets.append((t, _resolved(item)))
        timings["listedS"] = time.perf_counter() - clock
        # The instances the templates name: their databases and users are read now, all at once,
        # rather than when the first target naming each gets to them.
        for project, instance in sorted(_named_instances(targets)):
            shared.instance_details(project, instance)

        decide_wall, decide_cpu = time.perf_counter(), time.process_time()
        done_count = [0]
        lock = threading.Lock()

        def decide(item: tuple[Target, Future[dict[str, Any]]]) -> Diagnosis:
            target, resource = item
            run = DiagnosisRun.start(target, graph, read_secrets=read_secrets)
            run.execute(gateway, fetcher=TargetFetcher(shared, target, resource), sequential=True)
            found = run.conclude()
            if progress is not None:
                with lock:
                    done_count[0] += 1
                    progress(done_count[0], len(targets))
            return found

        if progress is not None:
            progress(0, len(targets))
        with ThreadPoolExecutor(max_workers=_TARGETS_AT_ONCE, thread_name_prefix="scan-target") as deciders:
            diagnoses = list(deciders.map(decide, targets))
        timings["decideS"] = time.perf_counter() - decide_wall
        timings["decideCpuS"] = time.process_time() - decide_cpu
    timings["wallS"] = time.perf_counter() - clock
    timings["cpuS"] = time.process_time() - cpu
    regions = {r for _, r in where} | ({scope.region} if scope.region else set())
    return Scan(scope, sorted(regions), worst_first(diagnoses), errors, calls() - before, timings)


def scan_workspace(workspace: Any, scope: Scope, *, progress: Progress | None = None,
                   read_secrets: bool = False) -> Scan:
    """`scan` on an open Workspace; `apiCalls` from the sandbox's call record when there is one
    (every call it served, each page included), else from the gateway's count."""
    sandbox = workspace.sandbox
    counter = (lambda: sandbox.call_count) if sandbox is not None else (lambda: workspace.gateway.stats.total)
    return scan(scope, workspace.gateway, workspace.graph, progress=progress, api_calls=counter,
                read_secrets=read_secrets)
