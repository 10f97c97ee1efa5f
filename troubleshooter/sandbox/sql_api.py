"""Cloud SQL Admin API v1 over gRPC: instances (get, list, patch), databases, users, operations."""

from __future__ import annotations

import copy
from concurrent import futures
from typing import Any, Callable

import grpc
from grpc_status import rpc_status

from troubleshooter.sandbox.dispatch import Dispatcher
from troubleshooter.sandbox.errors import ApiError, sql_instance_not_running, sql_not_authorized
from troubleshooter.sandbox.faults import Rpc
from troubleshooter.sandbox.paging import paginate
from troubleshooter.sandbox.state import PendingOperation, WorldState
from troubleshooter.wire import to_json, to_pb

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

    # -- instances ------------------------------------------------------------------

    def get(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import DatabaseInstance

        found = self._instance(req.project, req.instance)
        with self.state.lock:
            return to_pb(DatabaseInstance.pb(), found)

    def list(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import InstancesListResponse

        if not self._visible(req.project):
            raise sql_not_authorized()
        with self.state.lock:
            items = [
                copy.deepcopy(i) for i in self.state.data.get("instances", [])
                if self.state.same_project(str(i.get("project", "")), req.project)
            ]  # fmt: skip
        page, token = paginate(items, req.max_results or None, req.page_token or None, default=500)
        return to_pb(InstancesListResponse.pb(), {"kind": "sql#instancesList", "items": page, "nextPageToken": token})

    def patch(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import Operation

        change = {k: v for k, v in to_json(req.body).items() if k not in _IMMUTABLE}
        settings = change.get("settings")
        if isinstance(settings, dict):
            settings.pop("settingsVersion", None)  # the server counts versions, never the caller
        st = self.state
        with st.lock:
            found = self._instance(req.project, req.instance)
            _merge(found, change)
            settings_now = found.setdefault("settings", {})
            settings_now["settingsVersion"] = str(int(settings_now.get("settingsVersion") or 0) + 1)
            return to_pb(Operation.pb(), self._operation(found, "UPDATE"))

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

    # -- operations, databases, users ----------------------------------------------

    def get_operation(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import Operation

        with self.state.lock:
            op = self.state.operations.get(req.operation)
            if op is None:
                raise ApiError("NOT_FOUND", f"The Cloud SQL operation {req.operation} does not exist.",
                               reason="operationDoesNotExist", domain="sqladmin.googleapis.com")  # fmt: skip
            return to_pb(Operation.pb(), op.poll())

    def list_databases(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import DatabasesListResponse

        items = self._per_instance("databases", req.project, req.instance, "sql#database")
        return to_pb(DatabasesListResponse.pb(), {"kind": "sql#databasesList", "items": items})

    def list_users(self, req: Any) -> Any:
        from google.cloud.sqladmin_v1 import UsersListResponse

        items = self._per_instance("users", req.project, req.instance, "sql#user")
        return to_pb(UsersListResponse.pb(), {"kind": "sql#usersList", "items": items})


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
        self.port = self._server.add_insecure_port("127.0.0.1:0")

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

    def stop(self) -> None:
        self._server.stop(grace=None).wait(5.0)
        self._executor.shutdown(wait=True)
