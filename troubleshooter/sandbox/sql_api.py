"""Cloud SQL Admin API v1 over gRPC (and, through sql_rest, REST on the same port): instances,
databases, users, operations."""

from __future__ import annotations

import copy
import uuid
from concurrent import futures
from datetime import datetime, timezone
from typing import Any, Callable

import grpc
from grpc_status import rpc_status

from troubleshooter.sandbox.dispatch import Dispatcher
from troubleshooter.sandbox.errors import ApiError, sql_instance_not_running, sql_not_authorized
from troubleshooter.sandbox.faults import Rpc
from troubleshooter.sandbox.paging import paginate
from troubleshooter.sandbox.state import PendingOperation, WorldState
from troubleshooter.wire import to_json, to_pb
from troubleshooter.world import parse_rfc3339

_PACKAGE = "google.cloud.sql.v1"
_SQLADMIN = "https://sqladmin.googleapis.com/v1"
# Fields a patch may not change: identity and output-only status.
_IMMUTABLE = frozenset(
    "name project connectionName kind selfLink state region ipAddresses serverCaCert etag "
    "createTime gceZone dnsName pscServiceAttachmentLink".split()
)


def _rpc(service: str, method: str, permission: str) -> Rpc:
    return Rpc("sqladmin", service, method, permission)


def _instance_missing() -> ApiError:
    return ApiError(
        "NOT_FOUND", "The Cloud SQL instance does not exist.",
        reason="instanceDoesNotExist", domain="sqladmin.googleapis.com",
    )  # fmt: skip


def _merge(dst: dict[str, Any], src: dict[str, Any]) -> None:
    """Patch semantics: present fields replace, nested messages merge, a present list replaces the list."""
    for key, value in src.items():
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            _merge(dst[key], value)
        else:
            dst[key] = copy.deepcopy(value)


class SqlAdminApi:
    """The handlers, as plain functions of (request message, gRPC context)."""

    def __init__(self, state: WorldState) -> None:
        self.state = state

    def _visible(self, project: str) -> bool:
        """A project the world describes (a spec, or instances of it): the others the caller
        cannot see, or they do not exist, and Cloud SQL does not say which."""
        if self.state.project(project) is not None:
            return True
        with self.state.lock:
            return any(self.state.same_project(str(i.get("project", "")), project)
                       for i in self.state.data.get("instances", []))

    def _instance(self, project: str, instance: str) -> dict[str, Any]:
        with self.state.lock:
            for item in self.state.data.get("instances", []):
                if item.get("name") == instance and self.state.same_project(str(item.get("project", "")), project):
                    return item
        if not self._visible(project):
            raise sql_not_authorized()  # 403, not 404: see errors.sql_not_authorized
        raise _instance_missing()

    def _running(self, found: dict[str, Any]) -> None:
        """databases/users are read from the running database: a stopped (activationPolicy NEVER,
        state STOPPED) or PENDING_CREATE instance answers 400 (errors.sql_instance_not_running)."""
        policy = (found.get("settings") or {}).get("activationPolicy")
        if found.get("state") in ("STOPPED", "PENDING_CREATE") or policy == "NEVER":
            raise sql_instance_not_running()

    def _per_instance(self, collection: str, project: str, instance: str, kind: str) -> list[dict[str, Any]]:
        found = self._instance(project, instance)
        self._running(found)
        with self.state.lock:
            table = self.state.data.get(collection, {})
            items = next(
                (v for k, v in table.items() if self._same_key(k, found["project"], instance)), []
            )
            out = [copy.deepcopy(i) for i in items]
        for item in out:
            item.setdefault("kind", kind)
            item.setdefault("instance", instance)
            item.setdefault("project", found["project"])
        return out

    def _same_key(self, key: str, project: str, instance: str) -> bool:
        proj, _, inst = key.rpartition(":")
        return inst == instance and self.state.same_project(proj, project)

    # -- REST JSON, shared by the gRPC and the REST front ends ---------------------------

    def instance_json(self, project: str, instance: str) -> dict[str, Any]:
        found = self._instance(project, instance)
        with self.state.lock:
            return copy.deepcopy(found)

    def list_json(self, project: str, max_results: int | None, page_token: str | None) -> dict[str, Any]:
        if not self._visible(project):
            raise sql_not_authorized()
        with self.state.lock:
            items = [
                copy.deepcopy(i) for i in self.state.data.get("instances", [])
                if self.state.same_project(str(i.get("project", "")), project)
            ]  # fmt: skip
        page, token = paginate(items, max_results or None, page_token or None, default=500)
        out: dict[str, Any] = {"kind": "sql#instancesList", "items": page}
        if token:
            out["nextPageToken"] = token
        return out

    def patch_json(self, project: str, instance: str, body: dict[str, Any]) -> dict[str, Any]:
        change = {k: v for k, v in body.items() if k not in _IMMUTABLE}
        settings = change.get("settings")
        if isinstance(settings, dict):
            settings.pop("settingsVersion", None)  # the server counts versions, never the caller
        st = self.state
        with st.lock:
            found = self._instance(project, instance)
            _merge(found, change)
            settings_now = found.setdefault("settings", {})
            settings_now["settingsVersion"] = str(int(settings_now.get("settingsVersion") or 0) + 1)
            return self._operation(found, "UPDATE")

    def operation_json(self, operation: str) -> dict[str, Any]:
        with self.state.lock:
            op = self.state.operations.get(operation)
            if op is None:
                listed = self._world_operation(operation)
                if listed is not None:
                    return listed
                raise ApiError("NOT_FOUND", f"The Cloud SQL operation {operation} does not exist.",
                               reason="operationDoesNotExist", domain="sqladmin.googleapis.com")  # fmt: skip
            return copy.deepcopy(op.poll())

    # operations.list: "Lists all instance operations that have been performed on the given Cloud
    # SQL instance in the reverse chronological order of the start time" (sqladmin v1 protos,
    # SqlOperationsService.List; REST GET /v1/projects/{project}/operations?instance=I and
    # /sql/v1beta4/projects/{project}/operations, query maxResults and pageToken, answer
    # {"kind": "sql#operationsList", "items", "nextPageToken"}: the v1beta4 reference page
    # cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/operations/list). The default page
    # size is not documented: 500, as instances.list here. The world's `sqlOperations["P:I"]`
    # and the operations the sandbox made on writes are listed together. They are control-plane
    # records: a stopped instance still lists them (no _running check).
    def operations_list_json(
        self, project: str, instance: str | None, max_results: int | None, page_token: str | None
    ) -> dict[str, Any]:
        if not instance:  # Google's answer without `instance` is not documented: the sandbox's 400
            raise ApiError("INVALID_ARGUMENT", "Invalid request: the instance is required.",
                           reason="invalid", domain="global")  # fmt: skip
        found = self._instance(project, instance)
        items = self._operations_of(found)
        page, token = paginate(items, max_results or None, page_token or None, default=500)
        out: dict[str, Any] = {"kind": "sql#operationsList", "items": page}
        if token:
            out["nextPageToken"] = token
        return out

    def _operations_of(self, found: dict[str, Any]) -> list[dict[str, Any]]:
        project, name = str(found["project"]), str(found["name"])
        st = self.state
        with st.lock:
            table = st.data.get("sqlOperations", {})
            world_ops = [copy.deepcopy(o) for k, v in table.items() if self._same_key(k, project, name) for o in v]
            made = [copy.deepcopy(op.final if op.polls <= 0 else op.running) for op in st.operations.values()
                    if op.running.get("targetId") == name and st.same_project(str(op.running.get("targetProject")),
                                                                              project)]
        out = [self._operation_defaults(o, project, name, i) for i, o in enumerate(world_ops)] + made
        out.sort(key=_started, reverse=True)  # stable: equal times keep the world's order
        return out

    def _operation_defaults(self, op: dict[str, Any], project: str, instance: str, index: int) -> dict[str, Any]:
        """A world's operation as the API prints it: the identity fields Google always fills."""
        op.setdefault("kind", "sql#operation")
        # A world may leave the name out: a stable one (the same on every read).
        op.setdefault("name", str(uuid.uuid5(uuid.NAMESPACE_URL, f"{project}:{instance}:{index}")))
        op.setdefault("targetId", instance)
        op.setdefault("targetProject", project)
        op.setdefault("targetLink", f"{_SQLADMIN}/projects/{project}/instances/{instance}")
        op.setdefault("selfLink", f"{_SQLADMIN}/projects/{project}/operations/{op['name']}")
        op.setdefault("status", "DONE")
        return op

    def _world_operation(self, operation: str) -> dict[str, Any] | None:
        with self.state.lock:
            table = {k: list(v) for k, v in self.state.data.get("sqlOperations", {}).items()}
            instances = list(self.state.data.get("instances", []))
        for key, ops in table.items():
            proj, _, inst = key.rpartition(":")
            found = next((i for i in instances if i.get("name") == inst
                          and self.state.same_project(str(i.get("project", "")), proj)), None)
            project = str(found["project"]) if found else proj
            for i, op in enumerate(ops):
                full = self._operation_defaults(copy.deepcopy(op), project, inst, i)
                if full["name"] == operation:
                    return full
        return None

    def databases_json(self, project: str, instance: str) -> dict[str, Any]:
        items = self._per_instance("databases", project, instance, "sql#database")
        return {"kind": "sql#databasesList", "items": items}

    def users_json(self, project: str, instance: str) -> dict[str, Any]:
        items = self._per_instance("users", project, instance, "sql#user")
        return {"kind": "sql#usersList", "items": items}

    def _operation(self, instance: dict[str, Any], kind: str) -> dict[str, Any]:
        st = self.state
        op_id = st.new_id()
        project, name, now = instance["project"], instance["name"], st.now()
        running = {
            "kind": "sql#operation",
            "name": op_id,
            "status": "PENDING",
            "operationType": kind,
            "targetId": name,
            "targetProject": project,
            "targetLink": f"{_SQLADMIN}/projects/{project}/instances/{name}",
            "selfLink": f"{_SQLADMIN}/projects/{project}/operations/{op_id}",
            "insertTime": now,
            "user": "sandbox@troubleshooter.invalid",
        }
        final = {**running, "status": "DONE", "startTime": now, "endTime": st.now()}
        st.operations[op_id] = PendingOperation(running, final, polls=0)
        return running

    # -- gRPC: the same answers as protobuf messages ---------------------------------

    def get(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import DatabaseInstance

        return to_pb(DatabaseInstance.pb(), self.instance_json(req.project, req.instance))

    def list(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import InstancesListResponse

        return to_pb(InstancesListResponse.pb(), self.list_json(req.project, req.max_results, req.page_token))

    def patch(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import Operation

        return to_pb(Operation.pb(), self.patch_json(req.project, req.instance, to_json(req.body)))

    def get_operation(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import Operation

        return to_pb(Operation.pb(), self.operation_json(req.operation))

    def list_operations(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import OperationsListResponse

        return to_pb(OperationsListResponse.pb(),
                     self.operations_list_json(req.project, req.instance, req.max_results, req.page_token))

    def list_databases(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import DatabasesListResponse

        return to_pb(DatabasesListResponse.pb(), self.databases_json(req.project, req.instance))

    def list_users(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import UsersListResponse

        return to_pb(UsersListResponse.pb(), self.users_json(req.project, req.instance))


def _started(op: dict[str, Any]) -> datetime:
    """When an operation started (a PENDING one: when it was enqueued), for newest-first order."""
    for key in ("startTime", "insertTime", "endTime"):
        value = op.get(key)
        if isinstance(value, str) and value:
            try:
                return parse_rfc3339(value)
            except ValueError:
                continue
    return datetime.min.replace(tzinfo=timezone.utc)


class SqlAdminServer:
    """The gRPC server: one generic handler per Cloud SQL service, all through the dispatcher."""

    def __init__(self, state: WorldState, dispatcher: Dispatcher) -> None:
        from google.cloud import sqladmin_v1 as sql

        self._dispatcher = dispatcher
        api = SqlAdminApi(state)
        instance_res: Callable[[Any], str] = lambda r: f"projects/{r.project}/instances/{r.instance}"  # noqa: E731
        table = {
            "SqlInstancesService": {
                "Get": (sql.SqlInstancesGetRequest, "cloudsql.instances.get", api.get, instance_res),
                "List": (sql.SqlInstancesListRequest, "cloudsql.instances.list", api.list,
                         lambda r: f"projects/{r.project}"),
                "Patch": (sql.SqlInstancesPatchRequest, "cloudsql.instances.update", api.patch, instance_res),
            },
            "SqlOperationsService": {
                "Get": (sql.SqlOperationsGetRequest, "cloudsql.instances.get", api.get_operation,
                        lambda r: f"projects/{r.project}/operations/{r.operation}"),
                # operations.list needs cloudsql.instances.get, as operations.get does ("gcloud sql
                # operations list": cloudsql.instances.get, cloud.google.com/sql/docs/mysql/iam-permissions).
                "List": (sql.SqlOperationsListRequest, "cloudsql.instances.get", api.list_operations, instance_res),
            },
            "SqlDatabasesService": {
                "List": (sql.SqlDatabasesListRequest, "cloudsql.databases.list", api.list_databases, instance_res),
            },
            "SqlUsersService": {
                "List": (sql.SqlUsersListRequest, "cloudsql.users.list", api.list_users, instance_res),
            },
        }  # fmt: skip
        handlers = []
        for service, methods in table.items():
            rpcs = {
                method: grpc.unary_unary_rpc_method_handler(
                    self._wrap(_rpc(service, method, permission), handler, resource),
                    request_deserializer=request_cls.pb().FromString,
                    response_serializer=lambda msg: msg.SerializeToString(),
                )
                for method, (request_cls, permission, handler, resource) in methods.items()
            }
            handlers.append(grpc.method_handlers_generic_handler(f"{_PACKAGE}.{service}", rpcs))
        self._executor = futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="sandbox-sqladmin")
        self._server = grpc.server(self._executor, handlers=handlers, options=[("grpc.so_reuseport", 0)])
        self._grpc_port = self._server.add_insecure_port("127.0.0.1:0")
        # REST on the same endpoint: gcloud and the Cloud SQL connectors speak it (sandbox/mux.py).
        from troubleshooter.sandbox.mux import PortMux
        from troubleshooter.sandbox.rest import RestServer
        from troubleshooter.sandbox.sql_certs import CertificateAuthorities
        from troubleshooter.sandbox.sql_rest import SqlRestApi

        self._rest = RestServer(SqlRestApi(api, CertificateAuthorities()).routes(), dispatcher)
        self._mux = PortMux(self._grpc_port, int(self._rest.url.rsplit(":", 1)[1]))
        self.port = self._mux.port

    def _wrap(
        self, rpc: Rpc, handler: Callable[[Any], Any], resource: Callable[[Any], str]
    ) -> Callable[[Any, Any], Any]:
        def serve(request: Any, context: grpc.ServicerContext) -> Any:
            metadata = dict(context.invocation_metadata() or ())
            try:
                return self._dispatcher.serve(
                    rpc, resource(request), metadata.get("x-goog-user-project"), lambda: handler(request)
                )
            except ApiError as exc:
                context.abort_with_status(rpc_status.to_status(exc.to_grpc_status()))
            except Exception as exc:  # a sandbox bug must reach the client as INTERNAL, not a hang
                context.abort_with_status(
                    rpc_status.to_status(ApiError("INTERNAL", f"Sandbox error: {exc!r}").to_grpc_status())
                )
            return None  # unreachable: abort_with_status raises

        return serve

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server.start()
        self._rest.start()
        self._mux.start()

    def stop(self) -> None:
        self._mux.stop()
        self._rest.stop()
        self._server.stop(grace=None).wait(5.0)
        self._executor.shutdown(wait=True)
