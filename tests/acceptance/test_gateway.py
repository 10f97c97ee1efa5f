"""The gateway turns every failing call into a typed, explained ApiFailure (REST and gRPC alike)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from troubleshooter.failures import ApiFailure
from troubleshooter.gateway import Endpoints, Gateway
from troubleshooter.sandbox import Sandbox
from troubleshooter.world import load_world

FIXTURE = Path(__file__).parents[1] / "fixtures" / "world.json"
P, R, S = "telepay-459221", "us-central1", "gcdonationhandler-10-26"


def _with_faults(world, faults):
    data = world.to_dict()
    data["faults"] = list(faults)
    return type(world).model_validate(data)


# (fault, call, expected kind, a word the explanation must contain)
CASES = [
    ({"api": "run", "method": "GetService", "code": 403, "reason": "IAM_PERMISSION_DENIED",
      "metadata": {"permission": "run.services.get"}},
     lambda g: g.get_service(P, R, S), "permission-denied", "run.services.get"),
    ({"api": "sqladmin", "method": "Get", "code": 403, "reason": "IAM_PERMISSION_DENIED",
      "metadata": {"permission": "cloudsql.instances.get"}},
     lambda g: g.get_instance(P, "telepay-pg"), "permission-denied", "cloudsql.instances.get"),
    ({"api": "sqladmin", "method": "List", "code": 403, "reason": "SERVICE_DISABLED",
      "metadata": {"service": "sqladmin.googleapis.com", "consumer": "projects/291176869049"}},
     lambda g: g.list_instances(P), "api-disabled", "Cloud SQL Admin API"),
    ({"api": "cloudresourcemanager", "method": "GetIamPolicy", "code": 404},
     lambda g: g.get_iam_policy(P), "not-found", "not found"),
    ({"api": "sqladmin", "method": "Get", "code": 404},
     lambda g: g.get_instance(P, "telepay-pg"), "not-found", "not found"),
    ({"api": "logging", "method": "ListLogEntries", "code": 429, "message": "Quota exceeded"},
     lambda g: g.list_log_entries(P, ""), "quota", "quota"),
    ({"api": "serviceusage", "method": "GetService", "delay": 2.0},
     lambda g: g.get_service_state(P, "sqladmin.googleapis.com"), "timeout", "timed out"),
    ({"api": "sqladmin", "method": "Get", "delay": 2.0},
     lambda g: g.get_instance(P, "telepay-pg"), "timeout", "timed out"),
    ({"api": "run", "method": "GetService", "code": 503, "message": "backend unavailable"},
     lambda g: g.get_service(P, R, S), None, ""),
]


@pytest.mark.parametrize("fault, call, kind, word", CASES, ids=[f"{c[0]['api']}-{c[0].get('code', 'delay')}-{c[2]}"
                                                               for c in CASES])
def test_each_failure_is_typed_and_explained(fault, call, kind, word):
    with Sandbox(_with_faults(load_world(FIXTURE), [fault])) as sandbox:
        gateway = Gateway.from_env(sandbox.env, timeout=0.5, deadline=1.0)
        try:
            with pytest.raises(ApiFailure) as err:
                call(gateway)
        finally:
            gateway.close()
    failure = err.value
    if kind is None:  # a persistent 503 is retried until the deadline, then reported as it is
        assert failure.kind in ("unreachable", "timeout", "error")
        return
    assert failure.kind == kind
    assert word.lower() in failure.explain().lower()
    assert "\n" not in failure.explain()


def test_a_transient_503_is_retried_and_succeeds():
    fault = {"api": "run", "method": "GetService", "code": 503, "times": 1}
    with Sandbox(_with_faults(load_world(FIXTURE), [fault])) as sandbox:
        gateway = Gateway.from_env(sandbox.env, timeout=2.0, deadline=5.0)
        try:
            assert gateway.get_service(P, R, S)["name"].endswith(S)
        finally:
            gateway.close()
        assert sandbox.calls.count(api="run", method="GetService") == 2


@pytest.mark.parametrize("api, call", [
    ("RUN", lambda g: g.get_service(P, R, S)),
    ("SQLADMIN", lambda g: g.get_instance(P, "telepay-pg")),
])
def test_nothing_listening_is_unreachable_at_once(api, call):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gateway = Gateway.from_env({f"CLOUDSDK_API_ENDPOINT_OVERRIDES_{api}": f"http://127.0.0.1:{port}/"},
                               timeout=2.0, deadline=5.0)
    try:
        with pytest.raises(ApiFailure) as err:
            call(gateway)
    finally:
        gateway.close()
    assert err.value.kind == "unreachable"


def test_endpoint_overrides_follow_gclouds_variables():
    eps = Endpoints.from_env({"CLOUDSDK_API_ENDPOINT_OVERRIDES_SQLADMIN": "http://127.0.0.1:9/",
                              "CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN": "https://europe-west1-run.googleapis.com/"})
    assert eps["sqladmin"].plaintext and eps["sqladmin"].host == "127.0.0.1:9"
    assert not eps["run"].plaintext and eps["run"].host == "europe-west1-run.googleapis.com"
    assert eps["logging"].host == "logging.googleapis.com" and not eps.sandboxed
