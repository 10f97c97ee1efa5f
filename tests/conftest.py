"""Shared fixtures: the fixture world, a running sandbox, and Google's own clients pointed at it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from cases import RunCache

from troubleshooter.world import World, load_world

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def runs() -> RunCache:
    """Worlds diagnosed once per test session (per xdist worker), shared by the modules that ask."""
    return RunCache()


@pytest.fixture
def fixture_world() -> World:
    return load_world(FIXTURES / "world.json")


class Clients:
    """Real client libraries on a sandbox's endpoints: REST with anonymous credentials, gRPC in plaintext."""

    def __init__(self, endpoints: dict[str, str]) -> None:
        import grpc

        self.endpoints = endpoints
        self.channel = grpc.insecure_channel(endpoints["sqladmin"].removeprefix("http://"))

    def rest(self, cls: Any, api: str) -> Any:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        return cls(
            credentials=AnonymousCredentials(),
            transport="rest",
            client_options=ClientOptions(api_endpoint=self.endpoints[api]),
        )

    def sql(self, name: str) -> Any:
        from google.cloud import sqladmin_v1

        cls = getattr(sqladmin_v1, name)
        return cls(transport=cls.get_transport_class("grpc")(channel=self.channel))

    def logging(self, project: str) -> Any:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import logging as gcl

        return gcl.Client(
            project=project,
            credentials=AnonymousCredentials(),
            _use_grpc=False,
            client_options={"api_endpoint": self.endpoints["logging"]},
        )


@pytest.fixture
def serve() -> Iterator[Any]:
    """`serve(world, latency=...)` starts a sandbox (stopped at teardown) and returns (sandbox, clients)."""
    from troubleshooter.sandbox import Sandbox

    running: list[tuple[Any, Clients]] = []

    def start(world: World, latency: float = 0.0) -> tuple[Any, Clients]:
        sandbox = Sandbox(world, latency=latency).start()
        clients = Clients(sandbox.endpoints)
        running.append((sandbox, clients))
        return sandbox, clients

    yield start
    for sandbox, clients in running:
        clients.channel.close()
        sandbox.stop()


@pytest.fixture
def sandbox_clients(serve: Any, fixture_world: World) -> tuple[Any, Clients]:
    return serve(fixture_world)


@pytest.fixture(autouse=True)
def _training_progress_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training progress never lands in the user's real data directory during tests."""
    monkeypatch.setenv("TROUBLESHOOTER_DATA_DIR", str(tmp_path_factory.mktemp("progress")))
