"""Cloud SQL Admin over REST on the sandbox's one sqladmin endpoint, driven by clients nobody here
wrote: `requests` on the v1/v1beta4 paths, and the real cloud-sql-python-connector (a test extra).

The connector is driven through its Admin API half: `connectSettings` (metadata: IPs, server CA,
engine) and `generateEphemeralCert` (a client certificate for its own key pair). The database
handshake that would follow needs a Cloud SQL server-side proxy on port 3307, which the sandbox
does not run, so the test stops at the ConnectionInfo the connector builds from those two answers.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
import requests

from troubleshooter.world import World

P, R, I = "telepay-459221", "us-central1", "telepay-pg"


def _world(fixture_world: World, **change: Any) -> World:
    data = fixture_world.to_dict()
    data["instances"][0].update(change)
    return World.model_validate(data)


@pytest.mark.parametrize("prefix", ["/v1", "/sql/v1beta4"])
def test_instances_databases_users_over_rest(serve: Any, fixture_world: World, prefix: str) -> None:
    sandbox, _ = serve(_world(fixture_world, databaseVersion="POSTGRES_99"))
    base = sandbox.endpoints["sqladmin"] + prefix + f"/projects/{P}"
    inst = requests.get(f"{base}/instances/{I}", timeout=5).json()
    assert inst["name"] == I and inst["databaseVersion"] == "POSTGRES_99"  # REST keeps the name
    listed = requests.get(f"{base}/instances", timeout=5).json()
    assert [i["name"] for i in listed["items"]] == [I]
    assert requests.get(f"{base}/instances/{I}/databases", timeout=5).json()["kind"] == "sql#databasesList"
    assert requests.get(f"{base}/instances/{I}/users", timeout=5).json()["kind"] == "sql#usersList"
    op = requests.patch(f"{base}/instances/{I}", json={"settings": {"userLabels": {"team": "pay"}}}, timeout=5).json()
    assert op["kind"] == "sql#operation" and op["operationType"] == "UPDATE"
    assert requests.get(f"{base}/operations/{op['name']}", timeout=5).json()["status"] == "DONE"
    denied = requests.get(sandbox.endpoints["sqladmin"] + prefix + "/projects/not-visible-1/instances/x", timeout=5)
    assert denied.status_code == 403
    assert denied.json()["error"]["message"] == "The client is not authorized to make this request."


def test_grpc_and_rest_share_the_endpoint(serve: Any, fixture_world: World) -> None:
    sandbox, clients = serve(fixture_world)
    grpc_view = clients.sql("SqlInstancesServiceClient").get(request={"project": P, "instance": I})
    rest_view = requests.get(f"{sandbox.endpoints['sqladmin']}/v1/projects/{P}/instances/{I}", timeout=5).json()
    assert grpc_view.connection_name == rest_view["connectionName"]
    assert sandbox.env["CLOUDSDK_API_ENDPOINT_OVERRIDES_SQLADMIN"].startswith(sandbox.endpoints["sqladmin"])


def _connector_info(endpoint: str, project: str, region: str, instance: str) -> Any:
    from google.cloud.sql.connector.client import CloudSQLClient
    from google.cloud.sql.connector.connection_name import ConnectionName
    from google.cloud.sql.connector.utils import generate_keys
    from google.oauth2.credentials import Credentials

    credentials = Credentials(token="sandbox-token",
                              expiry=datetime.datetime.utcnow() + datetime.timedelta(hours=1))

    async def run() -> Any:
        client = CloudSQLClient(endpoint, None, credentials, driver="pg8000")
        try:
            keys = asyncio.ensure_future(generate_keys())
            return await client.get_connection_info(ConnectionName(project, region, instance), keys, False)
        finally:
            await client.close()

    return asyncio.run(run())


def test_the_cloud_sql_python_connector_gets_metadata_and_a_certificate(serve: Any, fixture_world: World) -> None:
    pytest.importorskip("google.cloud.sql.connector")
    from cryptography import x509

    sandbox, _ = serve(fixture_world)
    info = _connector_info(sandbox.endpoints["sqladmin"], P, R, I)
    inst = fixture_world.instances[0]
    assert info.database_version == inst["databaseVersion"]
    assert info.ip_addrs  # the instance's addresses, by type, as the connector keys them
    cert = x509.load_pem_x509_certificate(info.client_cert.encode())
    ca = x509.load_pem_x509_certificate(info.server_ca_cert.encode())
    cert.verify_directly_issued_by(ca)  # a real certificate, signed by the instance's own CA
    lifetime = cert.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(minutes=50) < lifetime <= datetime.timedelta(hours=1)
    assert info.expiration == cert.not_valid_after_utc
    calls = [(c.service, c.method) for c in sandbox.calls if c.api == "sqladmin"]
    assert ("SqlConnectService", "GetConnectSettings") in calls
    assert ("SqlConnectService", "GenerateEphemeralCert") in calls


def test_the_connector_hears_not_authorized_for_an_unseen_project(serve: Any, fixture_world: World) -> None:
    pytest.importorskip("google.cloud.sql.connector")
    import aiohttp

    sandbox, _ = serve(fixture_world)
    with pytest.raises(aiohttp.ClientResponseError) as info:
        _connector_info(sandbox.endpoints["sqladmin"], "not-visible-1", R, I)
    assert info.value.status == 403
    assert info.value.message == "The client is not authorized to make this request."


def test_the_connector_resolves_a_dns_name_to_the_instance(serve: Any, fixture_world: World) -> None:
    pytest.importorskip("google.cloud.sql.connector")
    from google.cloud.sql.connector.client import CloudSQLClient
    from google.oauth2.credentials import Credentials

    dns = "abc123.def456.us-central1.sql.goog."
    sandbox, _ = serve(_world(fixture_world, dnsName=dns))
    credentials = Credentials(token="sandbox-token",
                              expiry=datetime.datetime.utcnow() + datetime.timedelta(hours=1))

    async def run() -> Any:
        client = CloudSQLClient(sandbox.endpoints["sqladmin"], None, credentials)
        try:
            return await client.resolve_connect_settings(dns, R)
        finally:
            await client.close()

    assert asyncio.run(run())["connectionName"] == f"{P}:{R}:{I}"
