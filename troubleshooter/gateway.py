"""The one place that talks to Google Cloud: builds the clients, calls them, types their errors.

Every read and write of the tool goes through :class:`Gateway`. It returns plain dicts in the
APIs' REST JSON shape (camelCase, as `gcloud --format=json` prints them), so probes, fixes and
world files all speak one dialect. Endpoints come from gcloud's own override variables
(`CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN`, ...): an `http://` override means a plaintext loopback
endpoint with anonymous credentials (the sandbox); anything else uses Application Default
Credentials. The Google client libraries are imported lazily, off the start-up path.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import urlparse

from troubleshooter.apis import APIS, DEFAULT_HOSTS
from troubleshooter.errors import BadInput
from troubleshooter.failures import ApiFailure

if TYPE_CHECKING:  # the client libraries load lazily; their types are for readers and checkers
    import proto
    from google.api_core.operation import Operation
    from google.api_core.retry import Retry
    from google.auth.credentials import Credentials
    from google.cloud.sqladmin_v1 import Operation as SqlOperation
    from google.protobuf.message import Message as ProtoMessage

Progress = Callable[[str], None]

# gRPC's core logs connection events such as "Received a GOAWAY with error code ..." to stderr on
# its own; they are not errors of the tool (the client reconnects) and broke the one-line
# contract of stderr. Read before grpc loads, so it must be set first; an operator's own
# GRPC_VERBOSITY (debugging) is kept.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")


def _no_progress(_: str) -> None:
    pass


# --------------------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class Endpoint:
    """Where one API lives: host[:port], and whether it is a plaintext loopback (sandbox)."""

    host: str
    plaintext: bool

    @property
    def url(self) -> str:
        return f"{'http' if self.plaintext else 'https'}://{self.host}"


@dataclass(frozen=True)
class Endpoints:
    """The endpoint of each API, from gcloud's override variables or Google's defaults."""

    by_api: Mapping[str, Endpoint]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Endpoints":
        resolved: dict[str, Endpoint] = {}
        for api in APIS:
            raw = env.get(f"CLOUDSDK_API_ENDPOINT_OVERRIDES_{api.upper()}", "").strip()
            if not raw:
                resolved[api] = Endpoint(DEFAULT_HOSTS[api], plaintext=False)
                continue
            try:
                parsed = urlparse(raw if "://" in raw else f"https://{raw}")
                _ = parsed.port  # raises on a port that is not a number in range
                bad = not parsed.netloc or parsed.scheme not in ("http", "https")
            except ValueError:  # 'http://[::1' (an unclosed IPv6 bracket), 'http://h:99999'
                bad = True
            if bad:
                raise BadInput(
                    f"CLOUDSDK_API_ENDPOINT_OVERRIDES_{api.upper()}={raw!r}: not a URL "
                    "(expected e.g. http://127.0.0.1:8080/)"
                )
            resolved[api] = Endpoint(parsed.netloc, plaintext=parsed.scheme == "http")
        return cls(resolved)

    @property
    def sandboxed(self) -> bool:
        return all(e.plaintext for e in self.by_api.values())

    def __getitem__(self, api: str) -> Endpoint:
        return self.by_api[api]


# Methods that change something: never retried on a 500/503 (the change may have been made).
_WRITE_PREFIXES = ("Update", "Patch", "Set", "Enable", "Disable", "Create", "Delete", "Insert", "Restart")

# --------------------------------------------------------------------------- typed failures

_PERMISSION_RE = re.compile(r"[Pp]ermission '?([a-z][a-zA-Z]*\.[a-zA-Z]+\.[a-zA-Z]+)'? denied")
_NOT_AUTHORIZED_RE = re.compile(r"\b(cloudsql\.[a-z]+\.[a-zA-Z]+)\b")
# Compute's own wording: "Required 'compute.networks.get' permission for 'projects/P/...'"
# (hashicorp/terraform-provider-google#8262), with no ErrorInfo naming the permission.
_REQUIRED_RE = re.compile(r"Required '([a-z][a-zA-Z]*\.[a-zA-Z]+\.[a-zA-Z]+)' permission")


def _as_failure(exc: BaseException, api: str, method: str, resource: str) -> ApiFailure:
    """Map anything a client library raises into an ApiFailure."""
    from google.api_core import exceptions as gexc

    msg = str(getattr(exc, "message", "") or exc)
    common = {"api": api, "method": method, "resource": resource, "message": msg}
    if isinstance(exc, gexc.RetryError):
        cause = exc.cause
        if cause is not None:
            return _as_failure(cause, api, method, resource)
        return ApiFailure("timeout", **common)
    if isinstance(exc, gexc.GoogleAPICallError):
        reason = exc.reason or ""
        meta = dict(exc.metadata or {})
        code = exc.code
        if reason == "SERVICE_DISABLED" or "accessNotConfigured" in msg or (
            "has not been used in project" in msg
        ):
            service = meta.get("service") or DEFAULT_HOSTS.get(api)
            return ApiFailure("api-disabled", service=service, code=code, **common)
        if isinstance(exc, (gexc.PermissionDenied, gexc.Forbidden)):
            perm = meta.get("permission")
            if not perm:
                m = _PERMISSION_RE.search(msg) or _REQUIRED_RE.search(msg) or _NOT_AUTHORIZED_RE.search(msg)
                perm = m.group(1) if m else None
            return ApiFailure("permission-denied", permission=perm, code=code, **common)
        if isinstance(exc, (gexc.Unauthenticated, gexc.Unauthorized)):
            return ApiFailure("unauthenticated", code=code, **common)
        if isinstance(exc, gexc.NotFound):
            return ApiFailure("not-found", code=code, **common)
        if isinstance(exc, (gexc.Aborted, gexc.Conflict, gexc.PreconditionFailed)):
            return ApiFailure("conflict", code=code, **common)
        if isinstance(exc, (gexc.TooManyRequests, gexc.ResourceExhausted)):
            return ApiFailure("quota", code=code, **common)
        if isinstance(exc, (gexc.DeadlineExceeded, gexc.GatewayTimeout)):
            return ApiFailure("timeout", code=code, **common)
        if isinstance(exc, gexc.ServiceUnavailable) and (
            "connect" in msg.lower() or "unavailable" in msg.lower()
        ):
            return ApiFailure("unreachable", code=code, **common)
        if isinstance(exc, (gexc.BadRequest, gexc.InvalidArgument)):
            return ApiFailure("invalid", code=code, **common)
        return ApiFailure("error", code=code, **common)
    # Transport-level failures below the client library (REST goes through requests).
    name = type(exc).__name__
    if "Timeout" in name or isinstance(exc, TimeoutError):
        return ApiFailure("timeout", **common)
    if "ConnectionError" in name or isinstance(exc, ConnectionError):
        return ApiFailure("unreachable", **common)
    try:
        from google.auth import exceptions as auth_exc

        if isinstance(exc, auth_exc.GoogleAuthError):
            return ApiFailure("unauthenticated", **common)
    except ImportError:  # pragma: no cover - google-auth is a hard dependency
        pass
    return ApiFailure("error", **common)


def _started_before(op: Mapping[str, Any], since: datetime) -> bool:
    """Whether an operation (REST JSON) started, or was enqueued, before `since`."""
    stamp = str(op.get("startTime") or op.get("insertTime") or "")
    m = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$", stamp)
    if not m:
        return False  # no readable time: keep it, the caller decides
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(f"{m.group(1)}.{frac}{zone}") < since.astimezone(timezone.utc)


# --------------------------------------------------------------------------- JSON <-> messages


def keep_unknown_fields(read: ProtoMessage, write: ProtoMessage) -> None:
    """Copy into `write` the fields `read` carried that this client library does not know.

    A read-modify-write goes through REST JSON, which drops fields the library's protos lack
    (a field Google added after this version); writing the whole resource back would then
    clear them. Unknown fields are kept per message, recursing into singular sub-messages and
    into repeated ones paired by `name` (containers, volumes, env) or else by position.
    """
    from google.protobuf.descriptor import FieldDescriptor

    only_unknown = type(read)()
    only_unknown.CopyFrom(read)
    for f in only_unknown.DESCRIPTOR.fields:
        only_unknown.ClearField(f.name)
    extra = only_unknown.SerializeToString()
    if extra:
        write.MergeFromString(extra)  # bytes of fields `write` does not know: kept as unknown
    for f in read.DESCRIPTOR.fields:
        if f.type != FieldDescriptor.TYPE_MESSAGE or (f.message_type.GetOptions().map_entry):
            continue
        if f.is_repeated:
            old, new = getattr(read, f.name), getattr(write, f.name)
            by_name = {getattr(m, "name", None): m for m in old} if "name" in f.message_type.fields_by_name else {}
            for i, item in enumerate(new):
                twin = by_name.get(item.name) if by_name else (old[i] if i < len(old) else None)
                if twin is not None:
                    keep_unknown_fields(twin, item)
        elif read.HasField(f.name) and write.HasField(f.name):
            keep_unknown_fields(getattr(read, f.name), getattr(write, f.name))


def message_to_dict(msg: proto.Message | ProtoMessage) -> dict[str, Any]:
    """A proto-plus or protobuf message as REST JSON (camelCase, enum names)."""
    from google.protobuf import json_format

    pb = type(msg).pb(msg) if hasattr(type(msg), "pb") else msg
    return json_format.MessageToDict(pb, preserving_proto_field_name=False)


def dict_to_message(cls: type[proto.Message] | type[ProtoMessage], data: Mapping[str, Any]) -> Any:
    """REST JSON into a proto-plus (or plain protobuf) message of class `cls`."""
    from google.protobuf import json_format

    if hasattr(cls, "pb"):
        pb = cls.pb(cls())
        json_format.ParseDict(dict(data), pb, ignore_unknown_fields=True)
        return cls.wrap(pb)
    pb = cls()
    json_format.ParseDict(dict(data), pb, ignore_unknown_fields=True)
    return pb


# --------------------------------------------------------------------------- the gateway


@dataclass
class CallStats:
    """How many calls the gateway made, per API and method (benchmarks, tests)."""

    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, api: str, method: str) -> None:
        with self.lock:
            key = f"{api}.{method}"
            self.counts[key] = self.counts.get(key, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Gateway:
    """Builds Google's clients once, on first use, and runs every call with timeout and retry."""

    def __init__(
        self,
        endpoints: Endpoints | None = None,
        *,
        timeout: float = 15.0,
        deadline: float = 20.0,
        credentials: Credentials | None = None,
    ) -> None:
        self.endpoints = endpoints or Endpoints.from_env({})
        self.timeout = timeout
        self.deadline = deadline
        self._credentials = credentials
        self._clients: dict[str, Any] = {}
        # Reentrant: building a Cloud SQL client takes the lock again for the shared channel.
        self._lock = threading.RLock()
        self._grpc_channel: Any = None
        self._read_messages: dict[str, Any] = {}
        self.stats = CallStats()

    @classmethod
    def from_env(cls, env: Mapping[str, str], **kwargs: Any) -> "Gateway":
        return cls(Endpoints.from_env(env), **kwargs)

    # -- construction ---------------------------------------------------------------

    def _creds(self, api: str) -> Any:
        if self.endpoints[api].plaintext:
            from google.auth.credentials import AnonymousCredentials

            return AnonymousCredentials()
        if self._credentials is None:
            import google.auth

            try:
                self._credentials, _ = google.auth.default(
                    scopes=["https://www.googleapis.com/auth/cloud-platform"]
                )
            except Exception as exc:  # DefaultCredentialsError and friends
                raise ApiFailure(
                    "unauthenticated", api=api, method="credentials", message=str(exc)
                ) from None
        return self._credentials

    def _client(self, key: str, factory: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._clients:
                self._clients[key] = factory()
            return self._clients[key]

    def _rest_client(self, api: str, cls: Any) -> Any:
        from google.api_core.client_options import ClientOptions

        ep = self.endpoints[api]
        return cls(
            credentials=self._creds(api),
            transport="rest",
            client_options=ClientOptions(api_endpoint=ep.url),
        )

    def _sql_client(self, name: str) -> Any:
        from google.cloud import sqladmin_v1

        client_cls = getattr(sqladmin_v1, name)
        ep = self.endpoints["sqladmin"]
        if ep.plaintext:
            import grpc

            with self._lock:
                if self._grpc_channel is None:
                    self._grpc_channel = grpc.insecure_channel(ep.host)
                channel = self._grpc_channel
            transport_cls = client_cls.get_transport_class("grpc")
            return client_cls(transport=transport_cls(channel=channel))
        from google.api_core.client_options import ClientOptions

        return client_cls(
            credentials=self._creds("sqladmin"), client_options=ClientOptions(api_endpoint=ep.host)
        )

    def _run(self, kind: str) -> Any:
        def make() -> Any:
            from google.cloud import run_v2

            cls = {
                "services": run_v2.ServicesClient,
                "jobs": run_v2.JobsClient,
                "revisions": run_v2.RevisionsClient,
                "executions": run_v2.ExecutionsClient,
            }[kind]
            return self._rest_client("run", cls)

        return self._client(f"run.{kind}", make)

    def _projects(self) -> Any:
        def make() -> Any:
            from google.cloud import resourcemanager_v3

            return self._rest_client("cloudresourcemanager", resourcemanager_v3.ProjectsClient)

        return self._client("crm.projects", make)

    def _usage(self) -> Any:
        def make() -> Any:
            from google.cloud import service_usage_v1

            return self._rest_client("serviceusage", service_usage_v1.ServiceUsageClient)

        return self._client("serviceusage", make)

    def _sql(self, name: str) -> Any:
        return self._client(f"sql.{name}", lambda: self._sql_client(name))

    def _logging(self, project: str) -> Any:
        def make() -> Any:
            from google.cloud import logging as gcl

            ep = self.endpoints["logging"]
            return gcl.Client(
                project=project,
                credentials=self._creds("logging"),
                _use_grpc=False,
                client_options={"api_endpoint": ep.url},
            )

        return self._client(f"logging.{project}", make)

    def close(self) -> None:
        with self._lock:
            if self._grpc_channel is not None:
                self._grpc_channel.close()
                self._grpc_channel = None
            self._clients.clear()

    # -- calling ----------------------------------------------------------------------

    # Reads are retried on 500 and 503 a few times with backoff (Google's guidance for both:
    # https://cloud.google.com/apis/design/errors#error_retries "INTERNAL ... retry with
    # exponential backoff", "UNAVAILABLE ... retry with exponential backoff"); a write is not
    # retried on them (it may have gone through), only on 429, which means "not done".
    READ_RETRIES = 3

    def _retry(self, method: str = "") -> Any:
        from google.api_core import exceptions as gexc
        from google.api_core import retry as gretry

        write = method.split("/")[-1].startswith(_WRITE_PREFIXES)
        left = [self.READ_RETRIES]

        def transient(exc: BaseException) -> bool:
            # 429 passes with time; so do 500 and 503 on a read, a few times. A refused
            # connection (nothing listening) does not.
            if isinstance(exc, gexc.TooManyRequests):
                return True
            if write or left[0] <= 0:
                return False
            if isinstance(exc, gexc.ServiceUnavailable):
                text = str(exc).lower()
                if any(m in text for m in ("failed to connect", "connection refused", "name resolution")):
                    return False
            elif not isinstance(exc, gexc.InternalServerError):
                return False
            left[0] -= 1
            return True

        return gretry.Retry(
            predicate=transient,
            initial=0.2,
            maximum=2.0,
            multiplier=2.0,
            timeout=self.deadline,
        )

    def call(self, api: str, method: str, resource: str, fn: Callable[..., Any], **kw: Any) -> Any:
        """Run one client call with this gateway's timeout and retry; raise ApiFailure on error."""
        self.stats.add(api, method)
        try:
            return fn(**kw, retry=self._retry(method), timeout=self.timeout)
        except ApiFailure:
            raise
        except Exception as exc:  # every client error becomes a typed, explained outcome
            raise _as_failure(exc, api, method, resource) from None

    def _listed(
        self, api: str, method: str, resource: str, fn: Callable[..., Any], **kw: Any
    ) -> list[dict[str, Any]]:
        """Every item of a paged list call, as REST JSON (later pages are fetched while iterating)."""
        pager = self.call(api, method, resource, fn, **kw)
        return self._guard(api, method, resource, lambda: [message_to_dict(item) for item in pager])

    def _guard(self, api: str, method: str, resource: str, fn: Callable[[], Any]) -> Any:
        """For calls whose client API takes no retry/timeout (logging, operation polling)."""
        self.stats.add(api, method)
        try:
            return fn()
        except ApiFailure:
            raise
        except Exception as exc:
            raise _as_failure(exc, api, method, resource) from None

    # -- Cloud Run Admin v2 ---------------------------------------------------------

    def _remember(self, name: str, msg: Any) -> Any:
        """Keep the message last read for `name`: its write keeps the fields JSON dropped."""
        with self._lock:
            self._read_messages[name] = type(msg).pb(msg)
        return msg

    def _with_unknown_fields(self, name: str, msg: Any) -> Any:
        with self._lock:
            read = self._read_messages.get(name)
        if read is not None:
            try:
                keep_unknown_fields(read, type(msg).pb(msg))
            except Exception:  # noqa: BLE001 - never let keeping extras stop the write itself
                pass
        return msg

    def get_service(self, project: str, region: str, service: str) -> dict[str, Any]:
        name = f"projects/{project}/locations/{region}/services/{service}"
        c = self._run("services")
        return message_to_dict(self._remember(name, self.call("run", "GetService", name, c.get_service, name=name)))

    def list_services(self, project: str, region: str, *, page_size: int = 0) -> list[dict[str, Any]]:
        parent = f"projects/{project}/locations/{region}"
        c = self._run("services")
        return self._listed("run", "ListServices", parent, c.list_services,
                            request={"parent": parent, "page_size": page_size})

    def get_job(self, project: str, region: str, job: str) -> dict[str, Any]:
        name = f"projects/{project}/locations/{region}/jobs/{job}"
        c = self._run("jobs")
        return message_to_dict(self._remember(name, self.call("run", "GetJob", name, c.get_job, name=name)))

    def list_jobs(self, project: str, region: str, *, page_size: int = 0) -> list[dict[str, Any]]:
        parent = f"projects/{project}/locations/{region}"
        c = self._run("jobs")
        return self._listed("run", "ListJobs", parent, c.list_jobs, request={"parent": parent, "page_size": page_size})

    def get_revision(self, name: str) -> dict[str, Any]:
        c = self._run("revisions")
        return message_to_dict(self.call("run", "GetRevision", name, c.get_revision, name=name))

    def get_execution(self, name: str) -> dict[str, Any]:
        c = self._run("executions")
        return message_to_dict(self.call("run", "GetExecution", name, c.get_execution, name=name))

    def list_executions(self, job_name: str) -> list[dict[str, Any]]:
        c = self._run("executions")
        return self._listed("run", "ListExecutions", job_name, c.list_executions, parent=job_name)

    def update_service(self, service: Mapping[str, Any], progress: Progress = _no_progress) -> dict[str, Any]:
        """Write a whole Service (read-modify-write: `service` carries the etag it was read with)."""
        from google.cloud import run_v2

        name = service["name"]
        msg = self._with_unknown_fields(name, dict_to_message(run_v2.Service, service))
        c = self._run("services")
        op = self.call("run", "UpdateService", name, c.update_service, service=msg)
        done = self._wait_lro("run", "UpdateService", name, op, progress)
        if done is None:  # the write was accepted; only following it failed: read what is there
            return message_to_dict(self.call("run", "GetService", name, c.get_service, name=name))
        return message_to_dict(done)

    def update_job(self, job: Mapping[str, Any], progress: Progress = _no_progress) -> dict[str, Any]:
        from google.cloud import run_v2

        name = job["name"]
        msg = self._with_unknown_fields(name, dict_to_message(run_v2.Job, job))
        c = self._run("jobs")
        op = self.call("run", "UpdateJob", name, c.update_job, job=msg)
        done = self._wait_lro("run", "UpdateJob", name, op, progress)
        if done is None:
            return message_to_dict(self.call("run", "GetJob", name, c.get_job, name=name))
        return message_to_dict(done)

    def _wait_lro(self, api: str, method: str, resource: str, op: Operation, progress: Progress) -> Any:
        """Follow a long-running operation to its end, reporting each poll. None when a poll
        failed (403, 409, 500...): the write itself was accepted, so the caller re-reads the
        resource and verification judges it, instead of calling a made change a failure."""
        deadline = time.monotonic() + max(self.deadline, 60.0)
        polls = 0
        while True:
            try:
                done = self._guard(api, "GetOperation", resource, op.done)
            except ApiFailure as exc:
                if exc.kind == "timeout" and "did not finish" in exc.message:
                    raise
                progress(f"{method} on {resource} was accepted (the change was made), but following "
                         f"its operation failed: {exc.explain()}; re-reading {resource}")
                return None
            if done:
                break
            polls += 1
            progress(f"waiting for {method} on {resource} (poll {polls})")
            if time.monotonic() > deadline:
                raise ApiFailure("timeout", api=api, method=method, resource=resource,
                                 message="operation did not finish in time")
            time.sleep(min(0.05 * polls, 1.0))
        progress(f"{method} finished")
        return self._guard(api, method, resource, lambda: op.result(timeout=self.timeout))


    # -- Resource Manager v3 --------------------------------------------------------

    def get_project(self, project: str) -> dict[str, Any]:
        name = project if project.startswith("projects/") else f"projects/{project}"
        c = self._projects()
        return message_to_dict(
            self.call("cloudresourcemanager", "GetProject", name, c.get_project, name=name)
        )

    def search_projects(self, query: str = "") -> list[dict[str, Any]]:
        c = self._projects()
        return self._listed("cloudresourcemanager", "SearchProjects", "projects", c.search_projects, query=query)

    def get_iam_policy(self, project: str) -> dict[str, Any]:
        resource = f"projects/{project}"
        c = self._projects()
        policy = self.call(
            "cloudresourcemanager", "GetIamPolicy", resource, c.get_iam_policy,
            request={"resource": resource, "options": {"requested_policy_version": 3}},
        )
        return message_to_dict(policy)

    def set_iam_policy(self, project: str, policy: Mapping[str, Any]) -> dict[str, Any]:
        """Write a policy; its etag must be the one read, or the API answers ABORTED (conflict)."""
        from google.iam.v1 import policy_pb2

        resource = f"projects/{project}"
        c = self._projects()
        pb = dict_to_message(policy_pb2.Policy, policy)
        out = self.call(
            "cloudresourcemanager", "SetIamPolicy", resource, c.set_iam_policy,
            request={"resource": resource, "policy": pb},
        )
        return message_to_dict(out)

    # -- Service Usage v1 -----------------------------------------------------------

    def get_service_state(self, project: str, service: str) -> dict[str, Any]:
        name = f"projects/{project}/services/{service}"
        c = self._usage()
        return message_to_dict(
            self.call("serviceusage", "GetService", name, c.get_service, request={"name": name})
        )

    def enable_service(self, project: str, service: str, progress: Progress = _no_progress) -> dict[str, Any]:
        name = f"projects/{project}/services/{service}"
        c = self._usage()
        op = self.call("serviceusage", "EnableService", name, c.enable_service, request={"name": name})
        self._wait_lro("serviceusage", "EnableService", name, op, progress)
        return self.get_service_state(project, service)

    # -- Cloud SQL Admin v1 ---------------------------------------------------------

    def get_instance(self, project: str, instance: str) -> dict[str, Any]:
        from google.cloud import sqladmin_v1

        c = self._sql("SqlInstancesServiceClient")
        req = sqladmin_v1.SqlInstancesGetRequest(project=project, instance=instance)
        return message_to_dict(
            self.call("sqladmin", "Get", f"{project}:{instance}", c.get, request=req)
        )

    def list_instances(self, project: str) -> list[dict[str, Any]]:
        from google.cloud import sqladmin_v1

        c = self._sql("SqlInstancesServiceClient")
        # instances.list is not an AIP pager in the GAPIC client: the response carries
        # nextPageToken and the caller asks again (sqladmin v1 discovery: InstancesListResponse).
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            req = sqladmin_v1.SqlInstancesListRequest(project=project, page_token=token)
            resp = self.call("sqladmin", "List", project, c.list, request=req)
            items.extend(message_to_dict(i) for i in resp.items)
            token = resp.next_page_token
            if not token:
                return items

    def patch_instance(
        self, project: str, instance: str, body: Mapping[str, Any], progress: Progress = _no_progress
    ) -> dict[str, Any]:
        """Patch only the fields in `body`; follow the operation; return the instance after."""
        from google.cloud import sqladmin_v1

        c = self._sql("SqlInstancesServiceClient")
        req = sqladmin_v1.SqlInstancesPatchRequest(
            project=project, instance=instance, body=dict_to_message(sqladmin_v1.DatabaseInstance, body)
        )
        op = self.call("sqladmin", "Patch", f"{project}:{instance}", c.patch, request=req)
        try:
            self._wait_sql_operation(project, op, progress)
        except ApiFailure as exc:
            if exc.method != "SqlOperationsService/Get":
                raise  # the operation ran and reported an error: the change was not made
            progress(f"Patch on {project}:{instance} was accepted (the change was made), but following "
                     f"its operation failed: {exc.explain()}; re-reading the instance")
        return self.get_instance(project, instance)

    def _wait_sql_operation(self, project: str, op: SqlOperation, progress: Progress) -> None:
        from google.cloud import sqladmin_v1

        ops = self._sql("SqlOperationsServiceClient")
        deadline = time.monotonic() + max(self.deadline, 60.0)
        polls = 0
        while op.status != sqladmin_v1.Operation.SqlOperationStatus.DONE:
            polls += 1
            progress(f"Cloud SQL operation {op.name}: {op.status.name} (poll {polls})")
            if time.monotonic() > deadline:
                raise ApiFailure("timeout", api="sqladmin", method="Operations.Get",
                                 resource=op.name, message="operation did not finish in time")
            time.sleep(min(0.05 * polls, 1.0))
            req = sqladmin_v1.SqlOperationsGetRequest(project=project, operation=op.name)
            op = self.call("sqladmin", "SqlOperationsService/Get", op.name, ops.get, request=req)
        if op.error and op.error.errors:
            first = op.error.errors[0]
            raise ApiFailure("error", api="sqladmin", method="Patch", resource=op.target_id,
                             message=f"{first.code}: {first.message}")
        progress(f"Cloud SQL operation {op.name}: DONE")

    def list_databases(self, project: str, instance: str) -> list[dict[str, Any]]:
        from google.cloud import sqladmin_v1

        c = self._sql("SqlDatabasesServiceClient")
        req = sqladmin_v1.SqlDatabasesListRequest(project=project, instance=instance)
        resp = self.call("sqladmin", "SqlDatabasesService/List", f"{project}:{instance}", c.list, request=req)
        return [message_to_dict(d) for d in resp.items]

    def list_users(self, project: str, instance: str) -> list[dict[str, Any]]:
        from google.cloud import sqladmin_v1

        c = self._sql("SqlUsersServiceClient")
        # users.list takes no page token (its nextPageToken is documented "Unused") and
        # databases.list has none: one call each returns every item.
        req = sqladmin_v1.SqlUsersListRequest(project=project, instance=instance)
        resp = self.call("sqladmin", "SqlUsersService/List", f"{project}:{instance}", c.list, request=req)
        return [message_to_dict(u) for u in resp.items]

    # ---- Cloud SQL operations (operations.list) ----------------------------------

    def list_operations(
        self, project: str, instance: str, *, since: datetime | None = None, page_size: int = 100
    ) -> list[dict[str, Any]]:
        """The instance's operations as REST JSON, newest first (the API's order: reverse start
        time); with `since`, paging stops at the first one that started before it, which is dropped."""
        from google.cloud import sqladmin_v1

        c = self._sql("SqlOperationsServiceClient")
        resource = f"{project}:{instance}"
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            req = sqladmin_v1.SqlOperationsListRequest(
                project=project, instance=instance, max_results=page_size, page_token=token)
            resp = self.call("sqladmin", "SqlOperationsService/List", resource, c.list, request=req)
            for op in resp.items:
                item = message_to_dict(op)
                if since is not None and _started_before(item, since):
                    return items
                items.append(item)
            token = resp.next_page_token
            if not token:
                return items

    # -- Cloud Logging v2 -----------------------------------------------------------

    def list_log_entries(self, project: str, filter_: str, *, max_results: int = 500) -> list[dict[str, Any]]:
        """Newest first; every entry as LogEntry REST JSON.

        Goes through the logging client's own authenticated connection rather than
        `Client.list_entries`: that one builds a Logger per log name, and each Logger asks the
        GCE metadata server for its default resource (a 5 s off-box wait outside Google Cloud).
        """
        client = self._logging(project)
        connection = client._connection
        resource = f"projects/{project}"
        entries: list[dict[str, Any]] = []
        token: str | None = None
        while len(entries) < max_results:
            body: dict[str, Any] = {
                "resourceNames": [resource],
                "filter": filter_,
                "orderBy": "timestamp desc",
                "pageSize": min(max_results - len(entries), 1000),
            }
            if token:
                body["pageToken"] = token

            def page(body: dict[str, Any] = body, retry: Retry | None = None, timeout: float | None = None) -> Any:
                def request() -> Any:
                    return connection.api_request(method="POST", path="/entries:list", data=body,
                                                  timeout=timeout)

                return retry(request)() if retry else request()

            reply = self.call("logging", "ListLogEntries", resource, page)
            entries.extend(reply.get("entries", []))
            token = reply.get("nextPageToken")
            if not token:
                break
        return entries[:max_results]

    # ---- Cloud Asset Inventory v1 (scan: folder and organization scope) ---------------

    def search_all_resources(self, scope: str, asset_types: list[str], query: str = "") -> list[dict[str, Any]]:
        """`searchAllResources` under `scope` (`organizations/N`, `folders/N`, `projects/P`): every
        ResourceSearchResult of `asset_types`, every page (500 a page, the API's cap).
        Permission: `cloudasset.assets.searchAllResources` on the scope."""

        def make() -> Any:
            from google.cloud import asset_v1

            return self._rest_client("cloudasset", asset_v1.AssetServiceClient)

        c = self._client("cloudasset", make)
        return self._listed("cloudasset", "SearchAllResources", scope, c.search_all_resources,
                            request={"scope": scope, "asset_types": list(asset_types), "query": query,
                                     "page_size": 500})

    # ---- Cloud Run Admin v2: region-wide lists (scan) ---------------------------------

    def list_revisions(self, parent: str) -> list[dict[str, Any]]:
        """Revisions under `parent`; `projects/P/locations/R/services/-` lists those of every
        service in the region (run_v2 ListRevisionsRequest: 'To list all Revisions across
        Services, use "-" instead of Service name')."""
        c = self._run("revisions")
        return self._listed("run", "ListRevisions", parent, c.list_revisions,
                            request={"parent": parent, "page_size": 1000})

    def list_region_executions(self, project: str, region: str) -> list[dict[str, Any]]:
        """Executions of every job in the region (run_v2 ListExecutionsRequest: 'To list all
        Executions across Jobs, use "-" instead of Job name')."""
        parent = f"projects/{project}/locations/{region}/jobs/-"
        c = self._run("executions")
        return self._listed("run", "ListExecutions", parent, c.list_executions,
                            request={"parent": parent, "page_size": 1000})
    # ---- Compute Engine v1 and Serverless VPC Access v1 (issue 12: the VPC egress path)
    # google-cloud-compute is REST-only; its transport adds /compute/v1/ to the endpoint itself,
    # so an override with gcloud's /compute/v1/ suffix works too (Endpoints keeps scheme + host).

    def _compute(self, kind: str) -> Any:
        def make() -> Any:
            from google.cloud import compute_v1

            cls = {
                "networks": compute_v1.NetworksClient,
                "subnetworks": compute_v1.SubnetworksClient,
                "routers": compute_v1.RoutersClient,
                "firewalls": compute_v1.FirewallsClient,
            }[kind]
            return self._rest_client("compute", cls)

        return self._client(f"compute.{kind}", make)

    def _vpcaccess(self) -> Any:
        def make() -> Any:
            from google.cloud import vpcaccess_v1

            return self._rest_client("vpcaccess", vpcaccess_v1.VpcAccessServiceClient)

        return self._client("vpcaccess", make)

    def get_network(self, project: str, network: str) -> dict[str, Any]:
        resource = f"projects/{project}/global/networks/{network}"
        c = self._compute("networks")
        return message_to_dict(self.call("compute", "Networks/Get", resource, c.get,
                                         project=project, network=network))

    def get_subnetwork(self, project: str, region: str, subnetwork: str) -> dict[str, Any]:
        resource = f"projects/{project}/regions/{region}/subnetworks/{subnetwork}"
        c = self._compute("subnetworks")
        return message_to_dict(self.call("compute", "Subnetworks/Get", resource, c.get,
                                         project=project, region=region, subnetwork=subnetwork))

    def list_subnetworks(self, project: str, region: str) -> list[dict[str, Any]]:
        resource = f"projects/{project}/regions/{region}/subnetworks"
        c = self._compute("subnetworks")
        return self._listed("compute", "Subnetworks/List", resource, c.list, project=project, region=region)

    def list_routers(self, project: str, region: str) -> list[dict[str, Any]]:
        resource = f"projects/{project}/regions/{region}/routers"
        c = self._compute("routers")
        return self._listed("compute", "Routers/List", resource, c.list, project=project, region=region)

    def list_firewalls(self, project: str) -> list[dict[str, Any]]:
        resource = f"projects/{project}/global/firewalls"
        c = self._compute("firewalls")
        return self._listed("compute", "Firewalls/List", resource, c.list, project=project)

    def get_connector(self, name: str) -> dict[str, Any]:
        c = self._vpcaccess()
        return message_to_dict(self.call("vpcaccess", "GetConnector", name, c.get_connector, name=name))
    # ---- Secret Manager v1 ----------------------------------------------------------

    def _secrets(self) -> Any:
        def make() -> Any:
            from google.cloud import secretmanager_v1

            return self._rest_client("secretmanager", secretmanager_v1.SecretManagerServiceClient)

        return self._client("secretmanager", make)

    def get_secret(self, name: str) -> dict[str, Any]:
        """A secret's metadata (`projects/P/secrets/S`; the answer names the project by number)."""
        c = self._secrets()
        return message_to_dict(self.call("secretmanager", "GetSecret", name, c.get_secret, name=name))

    def list_secret_versions(self, secret: str) -> list[dict[str, Any]]:
        """Every version of `secret`, newest first, with its state (never a payload)."""
        c = self._secrets()
        pager = self.call("secretmanager", "ListSecretVersions", secret, c.list_secret_versions, parent=secret)
        try:  # later pages are fetched while iterating; counted once, as one call to the method
            return [message_to_dict(v) for v in pager]
        except Exception as exc:
            raise _as_failure(exc, "secretmanager", "ListSecretVersions", secret) from None

    def get_secret_version(self, name: str) -> dict[str, Any]:
        """One version (`.../versions/N` or `.../versions/latest`): its state, never its payload."""
        c = self._secrets()
        return message_to_dict(self.call("secretmanager", "GetSecretVersion", name, c.get_secret_version, name=name))

    def get_secret_iam_policy(self, secret: str) -> dict[str, Any]:
        c = self._secrets()
        policy = self.call(
            "secretmanager", "GetIamPolicy", secret, c.get_iam_policy,
            request={"resource": secret, "options": {"requested_policy_version": 3}},
        )
        return message_to_dict(policy)

    def access_secret_version(self, name: str) -> tuple[str, str]:
        """(the version's resource name, its payload as text). Only with the operator's consent;
        the caller hands the text to the parser and drops it: it is never logged or returned
        in REST JSON (no dict, so no generic path can print it)."""
        c = self._secrets()
        resp = self.call("secretmanager", "AccessSecretVersion", name, c.access_secret_version, name=name)
        return resp.name, resp.payload.data.decode("utf-8", errors="replace")
    # ---- capture (troubleshooter/engine/capture.py)

    def list_enabled_services(self, project: str) -> list[str]:
        """The names of the services enabled in `project` (Service Usage `services.list`, state:ENABLED)."""
        parent = f"projects/{project}"
        c = self._usage()
        listed = self._listed("serviceusage", "ListServices", parent, c.list_services,
                              request={"parent": parent, "filter": "state:ENABLED"})
        return [str((s.get("config") or {}).get("name") or s.get("name", "").rsplit("/", 1)[-1]) for s in listed]
