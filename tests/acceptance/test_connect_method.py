"""How the app connects is decided first, and checks apply only where the method needs them.

Each world is a false-cause shape of issue 10 ("Right about real incidents"): the tool named
`cloudsql-not-attached` (with a fix that would not help) for apps that use a Cloud SQL connector
library, dial the instance's IP directly, or whose logs show the database answering. Each must
NOT report it, and the attachment check must say why it was skipped.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from cases import (
    CN,
    PRIVATE_IP,
    PUBLIC_IP,
    VPC,
    _detach,
    _w,
    add_log,
    add_private_ip,
    del_env,
    ip_config,
    only_dsn,
    loopback_only,
    run_world,
    set_env,
    vpc_egress,
)

from troubleshooter.engine.tree import load_graph


@pytest.fixture(scope="module", autouse=True)
def _loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def graph(_loopback: None) -> Any:
    return load_graph()


def _python_connector(w: dict) -> None:
    """Google's connector sample env: INSTANCE_CONNECTION_NAME with IP_TYPE, no socket path."""
    del_env(w, "INSTANCE_UNIX_SOCKET")
    set_env(w, "IP_TYPE", "PUBLIC")


def _java_socket_factory(w: dict) -> None:
    only_dsn(w, f"jdbc:postgresql:///orders?cloudSqlInstance={CN}"
                "&socketFactory=com.google.cloud.sql.postgres.SocketFactory&user=orders_app",
             name="SPRING_DATASOURCE_URL")


def _connector_flag(w: dict) -> None:
    del_env(w, "INSTANCE_UNIX_SOCKET")
    set_env(w, "USE_CLOUD_SQL_CONNECTOR", "true")


def _go_connector_in_logs(w: dict) -> None:
    del_env(w, "INSTANCE_UNIX_SOCKET")
    add_log(w, "failed to connect: cloud.google.com/go/cloudsqlconn: dial error: connection "
               "refused by the database: FATAL:  password authentication failed for user "
               "\"orders_app\"", "-2m")


def _public_ip_office(w: dict) -> None:
    only_dsn(w, f"postgresql://orders_app@{PUBLIC_IP}:5432/orders?sslmode=require")
    ip_config(w)["authorizedNetworks"] = [{"kind": "sql#aclEntry", "name": "nat",
                                           "value": "203.0.113.7/32"}]


def _private_ip_direct(w: dict) -> None:
    add_private_ip(w)
    vpc_egress(w, VPC)
    only_dsn(w, f"postgresql://orders_app@{PRIVATE_IP}:5432/orders?sslmode=require")


def _database_answers(w: dict) -> None:
    for ago in ("-4m", "-2m"):
        add_log(w, 'FATAL:  password authentication failed for user "orders_app"', ago)


SHAPES: dict[str, tuple[Callable[[], dict], str]] = {
    "python-connector-env": (_w(_detach, _python_connector), "connector"),
    "java-socket-factory": (_w(_detach, _java_socket_factory), "connector"),
    "connector-flag": (_w(_detach, _connector_flag), "connector"),
    "go-connector-in-logs": (_w(_detach, _go_connector_in_logs), "connector"),
    "public-ip-authorized": (_w(_detach, _public_ip_office), "direct TCP"),
    "private-ip-direct": (_w(_detach, _private_ip_direct), "direct TCP"),
    "database-answers": (_w(_detach, _database_answers), "database answering"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_false_not_attached_shapes_are_not_reported(shape: str, graph: Any) -> None:
    build, why = SHAPES[shape]
    # --symptom unknown walks every check, the attachment included (auth-failed enters past it).
    d = run_world(build(), graph, symptom="unknown").diagnosis
    assert "cloudsql-not-attached" not in d.cause_ids, (shape, d.cause_ids)
    [step] = [s for s in d.walk.steps if s.node.id == "check:attachment"]
    assert step.outcome == "skipped", (shape, step.outcome, step.result.summary if step.result else "")
    assert why in step.result.summary, step.result.summary


def test_a_socket_app_without_attachment_is_still_reported(graph: Any) -> None:
    d = run_world(_w(_detach)(), graph).diagnosis
    assert "cloudsql-not-attached" in d.cause_ids


# --------------------------------------------------------------------------- fix defects


def _auth_failed(w: dict) -> None:
    for ago in ("-4m", "-2m"):
        add_log(w, 'FATAL:  password authentication failed for user "orders_app"', ago)


def test_no_set_password_for_a_plain_env_password(graph: Any) -> None:
    def plain_password(w: dict) -> None:
        set_env(w, "DB_PASS", "not-the-real-one")
    d = run_world(_w(plain_password, _auth_failed)(), graph).diagnosis
    [cause] = [c for c in d.causes if c.id == "password-authentication-failed"]
    text = " ".join(cause.steps)
    assert "set-password" not in text.split("only if")[0] and "DB_PASS" in text
    assert "not-the-real-one" not in text


def test_set_password_when_the_password_is_a_secret(graph: Any) -> None:
    d = run_world(_w(_auth_failed)(), graph).diagnosis
    [cause] = [c for c in d.causes if c.id == "password-authentication-failed"]
    assert cause.steps[0].startswith("gcloud sql users set-password orders_app --instance=orders-db")
    assert "gcloud secrets versions add" in cause.steps[1]


# --------------------------------------------------------------------------- the symptom orders the walk


def _checks(d: Any) -> list[str]:
    return [s.node.id for s in d.walk.steps if s.node.kind == "check"]


def test_refused_on_localhost_walks_how_the_app_connects_before_iam(graph: Any) -> None:
    """The seed Twenty CRM spent ten builds on IAM with ECONNREFUSED 127.0.0.1."""
    def refused(w: dict) -> None:
        add_log(w, "Error: connect ECONNREFUSED 127.0.0.1:5432", "-2m")
    d = run_world(_w(refused)(), graph).diagnosis
    order = _checks(d)
    assert d.symptoms == ["connection-refused"]
    assert order.index("check:app-localhost") < order.index("check:client-role")
    assert order.index("check:app-localhost") < order.index("check:attachment")
    # Every check still runs, once.
    full = _checks(run_world(_w(refused)(), graph, symptom="unknown").diagnosis)
    assert sorted(order) == sorted(full) and len(order) == len(set(order))


def test_graph_text_shows_the_order_per_symptom(graph: Any) -> None:
    from troubleshooter.graph import to_text

    text = to_text(graph)
    assert "first -> check:app-settings-readable, check:app-localhost" in text
