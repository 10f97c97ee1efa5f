"""Fuzz the world loader and the command line (hypothesis, bounded so it runs in seconds): whatever
the input, the answer is a world, or one line and exit 2 (3 for the cloud), never a traceback
or exit 1 for bad input (issue 15)."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
import yaml
from cases import base
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from troubleshooter.errors import BadInput
from troubleshooter.world import load_world_text, world_from_data

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
    | st.text(max_size=20) | st.sampled_from(["-5m", "-99999999999999d", "INGRESS_BOGUS", "not-a-cidr",
                                              "0.0.0.0/0", "\r", "a/../x"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


BASE = base()
PATHS = [p for p in _paths(BASE) if p]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), json_values)
def test_a_world_with_any_field_replaced_loads_or_is_bad_input(path: tuple[Any, ...], value: Any) -> None:
    w = json.loads(json.dumps(BASE))
    node = w
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    try:
        world_from_data(w, "fuzz.json")
    except BadInput as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.json")


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
       st.sampled_from(["w.json", "w.yaml"]))
def test_any_text_loads_or_is_bad_input(text: str, name: str) -> None:
    try:
        load_world_text(text, name)
    except BadInput as exc:
        assert "\n" not in str(exc)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(st.integers(1, 8))
def test_yaml_that_dumps_the_baseline_with_anchors_loads(n: int) -> None:
    text = yaml.safe_dump(BASE) + "".join(f"x{i}: &a{i} [1, 2]\ny{i}: *a{i}\n" for i in range(n))
    assert load_world_text(text, "w.yaml").name == BASE["name"]


FLAGS = ["--service", "--job", "--region", "--project", "--answer", "--symptom", "--format", "--log-window", "-o"]
hostile = st.text(max_size=12) | st.sampled_from(["a/../x", "../../x", "x\r", "", "-", "=", "app-connection=",
                                                  "nope=x", "99999999999", "/nonexistent/x.md"])


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(FLAGS), hostile), min_size=1, max_size=3))
def test_cli_flags_never_trace_back(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                    tmp_path_factory: pytest.TempPathFactory, flags: list[tuple[str, str]]) -> None:
    from troubleshooter.cli import main

    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))  # -o writes here
    args = ["diagnose", "--world", "healthy-baseline", "--format", "json"]
    for flag, value in flags:
        args += [flag, value]
    monkeypatch.setattr(sys, "argv", ["troubleshooter", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "\r" not in err, err
    code = exit_.value.code
    if code in (0, 1):
        assert out.strip() or "-o" in args, args  # a real answer (on stdout, or in the -o file)
    else:
        assert code == 2, (code, err)
        assert err.strip(), args
        # click's own usage errors print a usage line and a hint; every other error is one line
        if not err.startswith("Usage:"):
            assert err.count("\n") == 1, err
