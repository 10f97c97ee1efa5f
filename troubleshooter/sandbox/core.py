"""The Sandbox: a world served on loopback with Google's wire protocols, one server per API."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from troubleshooter.apis import APIS as API_KEYS
from troubleshooter.sandbox.asset_api import AssetApi
from troubleshooter.sandbox.calls import CallLog
from troubleshooter.sandbox.compute_api import ComputeApi, compute_error
from troubleshooter.sandbox.crm_api import ResourceManagerApi
from troubleshooter.sandbox.dispatch import Dispatcher
from troubleshooter.sandbox.faults import FaultBook
from troubleshooter.sandbox.logging_api import FilterCompiler, LoggingApi
from troubleshooter.sandbox.rest import RestServer
from troubleshooter.sandbox.run_api import RunApi
from troubleshooter.sandbox.secrets_api import SecretManagerApi
from troubleshooter.sandbox.sql_api import SqlAdminServer
from troubleshooter.sandbox.state import WorldState
from troubleshooter.sandbox.usage_api import ServiceUsageApi
from troubleshooter.sandbox.vpcaccess_api import VpcAccessApi
from troubleshooter.world import World

APIS = API_KEYS  # one server per API the tool calls (troubleshooter/apis.py)


class Sandbox:
    """Serves `world` until stopped; point clients at `endpoints` (or export `env`)."""

    def __init__(self, world: World, latency: float = 0.0, *, log_filter: FilterCompiler | None = None) -> None:
        self.calls = CallLog()
        self._stopping = threading.Event()
        self._state = WorldState(world)
        self._dispatcher = Dispatcher(self._state, FaultBook(world.faults), self.calls, latency, self._stopping)
        self._servers: dict[str, Any] = {}
        self._log_filter = log_filter
        self._started = False

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> "Sandbox":
        if self._started:
            return self
        st, d = self._state, self._dispatcher
        self._stopping.clear()
        try:
            self._servers = {
                "run": RestServer(RunApi(st).routes(), d),
                "sqladmin": SqlAdminServer(st, d),
                "cloudresourcemanager": RestServer(ResourceManagerApi(st).routes(), d),
                "logging": RestServer(LoggingApi(st, self._log_filter).routes(), d),
                "serviceusage": RestServer(ServiceUsageApi(st).routes(), d),
                "cloudasset": RestServer(AssetApi(st).routes(), d),
                "compute": RestServer(ComputeApi(st).routes(), d, compute_error),
                "vpcaccess": RestServer(VpcAccessApi(st).routes(), d),
                "secretmanager": RestServer(SecretManagerApi(st).routes(), d),
            }
            for server in self._servers.values():
                server.start()
        except BaseException:
            self._stop_servers()
            raise
        self._started = True
        return self

    def stop(self) -> None:
        """Stop every server, cut pending delays short, join the threads; safe to call twice."""
        self._stopping.set()
        self._stop_servers()
        self._started = False

    def _stop_servers(self) -> None:
        servers, self._servers = self._servers, {}
        # In parallel: each HTTP server takes up to one poll interval to notice its shutdown.
        stoppers = [threading.Thread(target=s.stop, name="sandbox-stop") for s in servers.values()]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what clients need ----------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds every call waits before it is answered (settable while running)."""
        return self._dispatcher.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._dispatcher.latency = seconds

    @property
    def endpoints(self) -> dict[str, str]:
        """`http://127.0.0.1:PORT` per API key (run, sqladmin, cloudresourcemanager, logging, serviceusage, compute, vpcaccess)."""
        if not self._started:
            raise RuntimeError("the sandbox is not running: call start() or use it as a context manager")
        return {api: self._servers[api].url for api in APIS}

    @property
    def env(self) -> dict[str, str]:
        """gcloud's endpoint override variables pointing at this sandbox."""
        return {f"CLOUDSDK_API_ENDPOINT_OVERRIDES_{api.upper()}": f"{url}/" for api, url in self.endpoints.items()}

    @property
    def call_count(self) -> int:
        return self.calls.call_count

    def snapshot(self) -> World:
        """The world as it is now, with every mutation served so far."""
        return self._state.snapshot()
