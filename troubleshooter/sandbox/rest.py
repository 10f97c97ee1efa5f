"""A small threaded HTTP/JSON server with a route table, speaking Google's REST conventions."""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from troubleshooter.sandbox.dispatch import Dispatcher
from troubleshooter.sandbox.errors import ApiError, invalid, not_found
from troubleshooter.sandbox.faults import Rpc


@dataclass(frozen=True)
class Request:
    """One REST call, parsed: path variables, query parameters, JSON body and headers."""

    params: Mapping[str, str]
    query: Mapping[str, list[str]]
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def q_bool(self, name: str) -> bool:
        return (self.q(name) or "").lower() in ("true", "1")

    def q_int(self, name: str) -> int | None:
        raw = self.q(name)
        if raw in (None, ""):
            return None
        try:
            return int(raw)
        except ValueError:
            raise invalid(f"Invalid value for {name}: {raw!r}") from None


Handler = Callable[[Request], Any]


@dataclass(frozen=True)
class Route:
    """`verb template` → handler; `{var}` matches one path segment up to a `:custom` verb."""

    verb: str
    pattern: re.Pattern[str]
    rpc: Rpc
    handler: Handler
    resource: Callable[[Request], str]


def route(
    verb: str, template: str, rpc: Rpc, handler: Handler, resource: Callable[[Request], str] | None = None
) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/:]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
    if resource is None:
        # By default the resource is the path itself, minus version and custom verb.
        def resource(req: Request, _t: str = template) -> str:
            path = _t.split("/", 2)[2].split(":")[0]
            return path.format(**req.params)

    return Route(verb.upper(), re.compile(f"^{regex}$"), rpc, handler, resource)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Keep-alive replies go out as headers then body; with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms per call on loopback).
    disable_nagle_algorithm = True
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the call log is the record; stderr stays clean for the TUI

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, verb: str) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            status, body = 200, self._dispatch(verb, path, parts.query, raw)
        except ApiError as exc:
            status, body = exc.http, self.server.error_body(exc)
        except Exception as exc:  # a sandbox bug must reach the client as a 500, not a hang
            print(f"sandbox: {verb} {path}: {exc!r}", file=sys.stderr)
            status, body = 500, ApiError("INTERNAL", f"Sandbox error: {exc!r}").to_rest()
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _dispatch(self, verb: str, path: str, query: str, raw: bytes) -> Any:
        for r in self.server.routes:
            m = r.pattern.match(path)
            if m and r.verb == verb:
                break
        else:
            raise not_found(f"The requested URL {path} was not found on this server.")
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise invalid("Invalid JSON payload received.") from None
        req = Request(
            params=m.groupdict(),
            query=parse_qs(query, keep_blank_values=True),
            body=body,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        consumer = req.headers.get("x-goog-user-project")
        return self.server.dispatcher.serve(r.rpc, r.resource(req), consumer, lambda: r.handler(req))


class _Server(ThreadingHTTPServer):
    """Tracks its connections so that stop() can close keep-alive sockets and join every thread."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # probes open connections in bursts; the default backlog of 5 drops SYNs

    def __init__(
        self, routes: list[Route], dispatcher: Dispatcher,
        error_body: Callable[[ApiError], Any] | None = None,
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = routes
        self.dispatcher = dispatcher
        # Most APIs answer AIP-193 errors; Compute keeps its legacy body (compute_api.compute_error).
        self.error_body: Callable[[ApiError], Any] = error_body or ApiError.to_rest
        self._lock = threading.Lock()
        self._open: dict[threading.Thread, socket.socket] = {}

    def process_request(self, request: Any, client_address: Any) -> None:
        t = threading.Thread(
            target=self._serve_one, args=(request, client_address), name="sandbox-http", daemon=True
        )
        with self._lock:
            self._open[t] = request
        t.start()

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except (ConnectionError, OSError):
            pass  # the client went away, or stop() closed the socket
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._open.pop(threading.current_thread(), None)

    def close_connections(self, timeout: float) -> None:
        with self._lock:
            open_ = list(self._open.items())
        for _, sock in open_:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t, _ in open_:
            t.join(timeout)


class RestServer:
    """One REST API on 127.0.0.1, an ephemeral port."""

    def __init__(
        self, routes: list[Route], dispatcher: Dispatcher,
        error_body: Callable[[ApiError], Any] | None = None,
    ) -> None:
        self._server = _Server(routes, dispatcher, error_body)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-serve", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        self._server.close_connections(timeout=2.0)
