"""One loopback port for two protocols: HTTP/2 (gRPC) and HTTP/1.1 (REST), told apart by the first bytes.

Google serves Cloud SQL Admin's gRPC and REST on one host; `CLOUDSDK_API_ENDPOINT_OVERRIDES_SQLADMIN`
names one endpoint, and the gRPC client (the tool) and REST clients (gcloud, the Cloud SQL
connectors) must both work against it unchanged. A connection that opens with the HTTP/2 client
preface ("PRI * HTTP/2.0", RFC 9113 section 3.4) goes to the gRPC server, any other to the REST one.
"""

from __future__ import annotations

import socket
import threading
from typing import Callable

_PREFACE = b"PRI "


class PortMux:
    """Accepts on 127.0.0.1:ephemeral and splices each connection to `grpc_port` or `http_port`."""

    def __init__(self, grpc_port: int, http_port: int) -> None:
        self._targets = {True: grpc_port, False: http_port}
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="sandbox-mux", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        try:
            # Wake the accept() with a connection of our own, then close the listener.
            socket.create_connection(("127.0.0.1", self.port), timeout=1.0).close()
        except OSError:
            pass
        self._thread.join(2.0)
        self._listener.close()
        with self._lock:
            open_, self._open = list(self._open), set()
        for s in open_:
            _close(s)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._stopping.is_set():
                client.close()
                return
            threading.Thread(target=self._route, args=(client,), name="sandbox-mux-conn", daemon=True).start()

    def _route(self, client: socket.socket) -> None:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head = b""
        try:
            client.settimeout(10.0)
            while len(head) < len(_PREFACE):
                head = client.recv(len(_PREFACE), socket.MSG_PEEK)
                if not head:
                    client.close()
                    return
                if len(head) < len(_PREFACE) and not _PREFACE.startswith(head):
                    break
            client.settimeout(None)
            backend = socket.create_connection(("127.0.0.1", self._targets[head.startswith(_PREFACE)]))
        except OSError:
            client.close()
            return
        backend.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._open.update((client, backend))
        left = [2]  # directions still open; the last one to end closes both sockets

        def finished() -> None:
            with self._lock:
                left[0] -= 1
                last = left[0] == 0
                if last:
                    self._open.difference_update((client, backend))
            if last:
                _close(client)
                _close(backend)

        threading.Thread(target=_pipe, args=(backend, client, finished), name="sandbox-mux-pipe",
                         daemon=True).start()
        _pipe(client, backend, finished)


def _pipe(src: socket.socket, dst: socket.socket, finished: Callable[[], None]) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finished()


def _close(s: socket.socket) -> None:
    try:
        s.close()
    except OSError:
        pass
