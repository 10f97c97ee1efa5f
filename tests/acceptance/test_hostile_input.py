"""Bad input of every kind the audit found (issue 15): one line naming what and where, exit 2,
before any call; no traceback, never exit 1. Each case runs the real console entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from cases import base, container, ip_config, service, template

from troubleshooter.errors import BadInput
from troubleshooter.world import load_world_text

World = dict[str, Any]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from troubleshooter.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


def _one_line_exit_2(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, err[-2000:])
    assert "\n" not in err and "Traceback" not in err and "\r" not in err, err[-2000:]
    for needle in needles:
        assert needle in err, err
    return err


BAD_WORLDS: dict[str, tuple[Callable[[World], Any], str]] = {
    "fault delay 1e12": (lambda w: w.__setitem__("faults", [{"api": "run", "delay": 1e12}]), "$.faults[0].delay"),
    "fault status EXPLODED": (lambda w: w.__setitem__("faults", [{"api": "run", "status": "EXPLODED"}]),
                              "$.faults[0].status"),
    "template []": (lambda w: service(w).__setitem__("template", []), "$.services[0].template"),
    "env entry a string": (lambda w: container(w).__setitem__("env", ["FOO=bar"]),
                           "$.services[0].template.containers[0].env[0]"),
    "maxInstanceCount -5": (lambda w: template(w).setdefault("scaling", {}).__setitem__("maxInstanceCount", -5),
                            "maxInstanceCount"),
    "authorized network not-a-cidr": (lambda w: ip_config(w).__setitem__("authorizedNetworks",
                                                                         [{"value": "not-a-cidr"}]),
                                      "authorizedNetworks[0].value"),
    # A well-formed unknown name is kept (Google adds values first; tests/acceptance/test_gcpdiag_data.py).
    "not an enum value": (lambda w: service(w).__setitem__("ingress", "internal only"), "$.services[0].ingress"),
    "timestamp overflow": (lambda w: service(w).__setitem__("updateTime", "-99999999999999d"),
                           "$.services[0].updateTime"),
}


@pytest.mark.parametrize("case", list(BAD_WORLDS))
def test_bad_world_field_is_one_line_with_file_and_path(case: str) -> None:
    mutate, where = BAD_WORLDS[case]
    w = base()
    mutate(w)
    with pytest.raises(BadInput) as err:
        load_world_text(json.dumps(w, indent=2), "bad.json")
    assert str(err.value).startswith("bad.json:") and where in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


def test_bad_world_through_the_cli(tmp_path: Path) -> None:
    w = base()
    w["faults"] = [{"api": "run", "delay": 1e12}]
    path = tmp_path / "delay.json"
    path.write_text(json.dumps(w), encoding="utf-8")
    _one_line_exit_2(_cli("diagnose", "--world", str(path)), str(path), "$.faults[0].delay")


@pytest.mark.parametrize(("suffix", "text"), [
    ("json", '{"name": "x", "a": ' + "[" * 50_000 + "]" * 50_000 + "}"),
    ("yaml", "name: x\na: " + "[" * 50_000 + "]" * 50_000 + "\n"),
])
def test_deep_nesting_is_refused(tmp_path: Path, suffix: str, text: str) -> None:
    with pytest.raises(BadInput, match="nested deeper"):
        load_world_text(text, f"deep.{suffix}")


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    import time

    bomb = "name: x\ntarget: {project: p, region: r, service: s}\nzz:\n  a: &a [" + ",".join(['"lol"'] * 9) + "]\n"
    for i in range(1, 10):
        bomb += f"  {chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]\n"
    assert len(bomb) < 5000
    start = time.perf_counter()
    with pytest.raises(BadInput, match="alias"):
        load_world_text(bomb, "bomb.yaml")
    assert time.perf_counter() - start < 2


def test_a_few_aliases_are_fine() -> None:
    w = "name: x\ntarget: {project: p, region: r, service: s}\nx-env: &env [{name: A, value: b}]\nextra: *env\n"
    assert load_world_text(w, "ok.yaml").name == "x"


@pytest.mark.parametrize(("args", "needle"), [
    (("--service", "a/../x"), "--service 'a/../x'"),
    (("--region", "../../x"), "--region '../../x'"),
    (("--service", "orders-api\r"), "--service 'orders-api\\r'"),
    (("--answer", "nope=x"), "--answer 'nope': unknown question"),
    (("--answer", "app-connection=bogus"), "unknown choice"),
    (("-o", "/nonexistent/dir/x.md"), "/nonexistent/dir"),
])
def test_bad_flags_are_one_line_exit_2(args: tuple[str, ...], needle: str) -> None:
    _one_line_exit_2(_cli("diagnose", "--world", "healthy-baseline", *args), needle)


def test_bad_endpoint_override_is_one_line_exit_2() -> None:
    proc = _cli("diagnose", "--project", "acme-prod", "--region", "europe-west1", "--service", "api",
                env={"CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN": "http://[::1"})
    _one_line_exit_2(proc, "CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN")


def test_unexpected_error_is_one_line_never_exit_1() -> None:
    from troubleshooter.cli import unexpected

    assert unexpected(RecursionError())[0] == 2
    code, line = unexpected(ValueError("bad\rvalue postgresql://u:pw@h/db"))
    assert code == 2 and "\r" not in line and ":pw@" not in line
    from google.api_core import exceptions as gexc

    assert unexpected(gexc.InternalServerError("boom"))[0] == 3
