"""Cloud Run Admin API v2 over REST: services, revisions, jobs, executions, operations."""

from __future__ import annotations

import copy
from typing import Any

from troubleshooter.sandbox import run_model
from troubleshooter.sandbox.errors import aborted, invalid, not_found
from troubleshooter.sandbox.faults import Rpc
from troubleshooter.sandbox.paging import paginate
from troubleshooter.sandbox.protos import normalize
from troubleshooter.sandbox.rest import Request, Route, route
from troubleshooter.sandbox.state import PendingOperation, WorldState

_LOC = "/v2/projects/{project}/locations/{location}"
_SERVICE_TYPE = "type.googleapis.com/google.cloud.run.v2.Service"
_JOB_TYPE = "type.googleapis.com/google.cloud.run.v2.Job"


def _rpc(service: str, method: str, permission: str) -> Rpc:
    return Rpc("run", service, method, permission)


class RunApi:
    """Handlers over the shared world state; `routes()` is what the REST server serves."""

    def __init__(self, state: WorldState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        svc = f"{_LOC}/services/{{service}}"
        job = f"{_LOC}/jobs/{{job}}"
        return [
            route("GET", f"{_LOC}/services", _rpc("Services", "ListServices", "run.services.list"), self.list_services),
            route("GET", svc, _rpc("Services", "GetService", "run.services.get"), self.get_service),
            route("PATCH", svc, _rpc("Services", "UpdateService", "run.services.update"), self.update_service),
            route("GET", f"{svc}/revisions", _rpc("Revisions", "ListRevisions", "run.revisions.list"), self.list_revisions),
            route("GET", f"{svc}/revisions/{{revision}}", _rpc("Revisions", "GetRevision", "run.revisions.get"), self.get_revision),
            route("GET", f"{_LOC}/jobs", _rpc("Jobs", "ListJobs", "run.jobs.list"), self.list_jobs),
            route("GET", job, _rpc("Jobs", "GetJob", "run.jobs.get"), self.get_job),
            route("PATCH", job, _rpc("Jobs", "UpdateJob", "run.jobs.update"), self.update_job),
            route("GET", f"{job}/executions", _rpc("Executions", "ListExecutions", "run.executions.list"), self.list_executions),
            route("GET", f"{job}/executions/{{execution}}", _rpc("Executions", "GetExecution", "run.executions.get"), self.get_execution),
            route("GET", f"{_LOC}/operations/{{operation}}", _rpc("Operations", "GetOperation", "run.operations.get"), self.get_operation),
        ]  # fmt: skip

    # -- helpers --------------------------------------------------------------------

    @staticmethod
    def _name(req: Request, *kinds: str) -> str:
        p = req.params
        name = f"projects/{p['project']}/locations/{p['location']}"
        for kind in kinds:
            name += f"/{kind}/{p[kind.rstrip('s')]}"
        return name

    @staticmethod
    def _missing(req: Request, kind: str, key: str) -> Exception:
        p = req.params
        return not_found(
            f"Resource '{p[key]}' of kind '{kind}' in region '{p['location']}' "
            f"in project '{p['project']}' does not exist."
        )

    def _list(
        self, req: Request, collection: str, parent: str, key: str, items: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        st = self.state
        with st.lock:
            if items is None:
                items = [copy.deepcopy(i) for i in st.data.get(collection, []) if self._under(i["name"], parent)]
        page, token = paginate(items, req.q_int("pageSize"), req.q("pageToken"), default=100)
        out: dict[str, Any] = {key: page}
        if token:
            out["nextPageToken"] = token
        return out

    def _under(self, name: str, parent: str) -> bool:
        """Whether `name` is a direct child of `parent` (location `-` meaning every region; a
        service or job `-` every one of the region, as run_v2's ListRevisions/ListExecutions say)."""
        n, p = name.split("/"), parent.split("/")
        if len(n) != len(p) + 2 or not self.state.same_project(n[1], p[1]):
            return False
        return all(a == b or (i in (3, 5) and b == "-") for i, (a, b) in enumerate(zip(n, p)) if i != 1)

    def _operation(
        self, req: Request, type_url: str, resource: dict[str, Any], pb_class: Any, done_now: bool
    ) -> dict[str, Any]:
        op_id = self.state.new_id()
        name = f"projects/{req.params['project']}/locations/{req.params['location']}/operations/{op_id}"
        body = {"@type": type_url, **normalize(pb_class, resource)}
        running = {"name": name, "metadata": body, "done": False}
        final = {"name": name, "metadata": body, "done": True, "response": body}
        if done_now:
            return final
        with self.state.lock:
            # Not done on the first poll, done on the next: callers get to show progress.
            self.state.operations[op_id] = PendingOperation(running, final, polls=1)
        return running

    @staticmethod
    def _etag(old: dict[str, Any], name: str, now: str) -> str:
        """Google's etag shape, never the one just replaced (two writes in one microsecond)."""
        bump = 0
        etag = run_model.run_etag(name, now)
        while etag == old.get("etag"):
            bump += 1
            etag = run_model.run_etag(name, now, bump)
        return etag

    # -- services -------------------------------------------------------------------

    def list_services(self, req: Request) -> dict[str, Any]:
        return self._list(req, "services", self._name(req), "services")

    def get_service(self, req: Request) -> dict[str, Any]:
        found = self.state.find("services", self._name(req, "services"))
        if found is None:
            raise self._missing(req, "SERVICE", "service")
        with self.state.lock:
            return copy.deepcopy(found)

    def update_service(self, req: Request) -> dict[str, Any]:
        from google.cloud import run_v2

        def settle(old: dict[str, Any], new: dict[str, Any], generation: int) -> None:
            st = self.state
            self._materialize_revisions(old)
            revision = self._new_revision_name(new, generation)
            now = st.now()
            run_model.settle_service(new, revision, generation, self._etag(old, new["name"], now), now)
            st.data.setdefault("revisions", []).append(run_model.revision_from_template(new, revision, now))

        return self._update(req, "service", run_v2.Service, _SERVICE_TYPE, run_model.SERVICE_OUTPUT_ONLY, settle)

    def _update(self, req: Request, kind: str, message: Any, type_url: str, output_only: Any,
                settle: Any) -> dict[str, Any]:
        """PATCH of a service or job: etag check, update mask, then `settle` the new generation."""
        st = self.state
        collection = f"{kind}s"
        name = self._name(req, collection)
        body = normalize(message.pb(), req.body)
        with st.lock:
            old = st.find(collection, name)
            if old is None:
                if not req.q_bool("allowMissing"):
                    raise self._missing(req, kind.upper(), kind)
                old = {"name": name, "generation": "0"}
                if not req.q_bool("validateOnly"):
                    st.data.setdefault(collection, []).append(old)
            violation = run_model.system_annotation_violation(kind, body, None if old.get("generation") == "0" else old)
            if violation is not None:
                raise invalid(violation)
            if body.get("etag") and old.get("etag") and body["etag"] != old["etag"]:
                raise aborted(
                    f"Conflict for resource '{req.params[kind]}': version '{body['etag']}' "
                    f"was specified but current version is '{old['etag']}'."
                )
            new = run_model.apply_mask(old, body, req.q("updateMask"), output_only)
            new["name"] = old["name"]
            if req.q_bool("validateOnly"):
                return self._operation(req, type_url, new, message.pb(), done_now=True)
            settle(old, new, int(old.get("generation") or 0) + 1)
            old.clear()
            old.update(new)
            return self._operation(req, type_url, new, message.pb(), done_now=False)

    def _service_revisions(self, service: dict[str, Any]) -> list[dict[str, Any]]:
        prefix = service["name"].split("/")
        return [
            r for r in self.state.data.get("revisions", [])
            if self.state.same_name("/".join(r["name"].split("/")[:6]), "/".join(prefix))
        ]  # fmt: skip

    def _synthesized(self, service: dict[str, Any]) -> list[dict[str, Any]]:
        """When the world lists no revisions for a service, the ones its status names, from its template."""
        if self._service_revisions(service):
            return []
        now = self.state.now()
        return [run_model.revision_from_template(service, n, now) for n in run_model.serving_revisions(service)]

    def _materialize_revisions(self, service: dict[str, Any]) -> None:
        # The old template is about to be replaced: keep the revisions it described readable.
        synthesized = self._synthesized(service)
        if synthesized:
            self.state.data.setdefault("revisions", []).extend(synthesized)

    def _new_revision_name(self, service: dict[str, Any], generation: int) -> str:
        taken = {run_model.short(r["name"]) for r in self._service_revisions(service)}
        wanted = (service.get("template") or {}).get("revision")
        sid = run_model.short(service["name"])
        rev = wanted if wanted and wanted not in taken else run_model.next_revision_name(sid, generation, taken)
        return f"{service['name']}/revisions/{rev}"

    # -- revisions ------------------------------------------------------------------

    def _revisions_of(self, req: Request) -> list[dict[str, Any]]:
        if req.params["service"] == "-":  # every service of the region: the listed and the synthesized
            parent = self._name(req)
            with self.state.lock:
                services = [s for s in self.state.data.get("services", []) if self._under(s["name"], parent)]
                return [copy.deepcopy(r) for s in services for r in self._service_revisions(s) + self._synthesized(s)]
        service = self.state.find("services", self._name(req, "services"))
        with self.state.lock:
            if service is None:
                parent = self._name(req, "services")
                revisions = self.state.data.get("revisions", [])
                return [copy.deepcopy(r) for r in revisions if self._under(r["name"], parent)]
            return [copy.deepcopy(r) for r in self._service_revisions(service) + self._synthesized(service)]

    def list_revisions(self, req: Request) -> dict[str, Any]:
        return self._list(req, "revisions", "", "revisions", items=self._revisions_of(req))

    def get_revision(self, req: Request) -> dict[str, Any]:
        for rev in self._revisions_of(req):
            if run_model.short(rev["name"]) == req.params["revision"]:
                return rev
        raise self._missing(req, "REVISION", "revision")

    # -- jobs and executions --------------------------------------------------------

    def list_jobs(self, req: Request) -> dict[str, Any]:
        return self._list(req, "jobs", self._name(req), "jobs")

    def get_job(self, req: Request) -> dict[str, Any]:
        found = self.state.find("jobs", self._name(req, "jobs"))
        if found is None:
            raise self._missing(req, "JOB", "job")
        with self.state.lock:
            return copy.deepcopy(found)

    def update_job(self, req: Request) -> dict[str, Any]:
        from google.cloud import run_v2

        def settle(old: dict[str, Any], new: dict[str, Any], generation: int) -> None:
            now = self.state.now()
            run_model.settle_job(new, generation, self._etag(old, new["name"], now), now)

        return self._update(req, "job", run_v2.Job, _JOB_TYPE, run_model.JOB_OUTPUT_ONLY, settle)

    def list_executions(self, req: Request) -> dict[str, Any]:
        return self._list(req, "executions", self._name(req, "jobs"), "executions")

    def get_execution(self, req: Request) -> dict[str, Any]:
        found = self.state.find("executions", f"{self._name(req, 'jobs')}/executions/{req.params['execution']}")
        if found is None:
            raise self._missing(req, "EXECUTION", "execution")
        with self.state.lock:
            return copy.deepcopy(found)

    # -- operations -----------------------------------------------------------------

    def get_operation(self, req: Request) -> dict[str, Any]:
        with self.state.lock:
            op = self.state.operations.get(req.params["operation"])
            if op is None:
                raise not_found(f"Operation '{req.params['operation']}' not found.")
            return op.poll()
