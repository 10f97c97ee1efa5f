"""What every served call goes through: latency, injected faults, API enablement, the call record."""

from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

from troubleshooter.sandbox.calls import Call, CallLog
from troubleshooter.sandbox.errors import ApiError, fault_error, service_disabled
from troubleshooter.sandbox.faults import FaultBook, Rpc
from troubleshooter.sandbox.state import API_SERVICES, WorldState

T = TypeVar("T")

SERVICE_OF_API = {**API_SERVICES, "serviceusage": "serviceusage.googleapis.com"}


class Dispatcher:
    """Runs one call's handler the way Google's front end would, and records it."""

    def __init__(
        self, state: WorldState, faults: FaultBook, calls: CallLog, latency: float, stopping: threading.Event
    ) -> None:
        self.state = state
        self.faults = faults
        self.calls = calls
        self.latency = latency
        self.stopping = stopping

    def pause(self, seconds: float) -> None:
        # An Event wait rather than sleep, so that stop() cuts every pending delay short.
        if seconds > 0:
            self.stopping.wait(seconds)

    def serve(self, rpc: Rpc, resource: str, consumer_hint: str | None, handler: Callable[[], T]) -> T:
        started, clock = time.time(), time.monotonic()
        status = "OK"
        try:
            self.pause(self.latency)
            consumer = self.state.consumer(consumer_hint)
            fault = self.faults.take(rpc, resource)
            if fault is not None:
                self.pause(fault.delay or 0.0)
                if fault.code is not None or fault.status is not None:
                    raise fault_error(
                        code=fault.code,
                        status=fault.status,
                        message=fault.message,
                        reason=fault.reason,
                        metadata=fault.metadata,
                        permission=rpc.permission,
                        resource=resource,
                        service=SERVICE_OF_API[rpc.api],
                        project_number=self.state.project_number(consumer),
                    )
            service = API_SERVICES.get(rpc.api)
            if service is not None and not self.state.is_enabled(consumer, service):
                raise service_disabled(service, self.state.project_number(consumer))
            return handler()
        except ApiError as exc:
            status = exc.status
            raise
        except Exception:
            status = "INTERNAL"
            raise
        finally:
            self.calls.record(
                Call(rpc.api, rpc.service, rpc.method, resource, started, status, time.monotonic() - clock)
            )
