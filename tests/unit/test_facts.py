"""The typed read model: fact keys keep their legacy text, and the domain loads no Google client."""

from __future__ import annotations

import subprocess
import sys

import pytest

from troubleshooter.facts.keys import FactKey
from troubleshooter.model import Target
from troubleshooter.observations import Observations


def test_fact_keys_print_as_before_and_name_their_project() -> None:
    assert str(FactKey.instance("p", "db")) == "instance:p:db"
    assert str(FactKey.usage("p", "sqladmin.googleapis.com")) == "usage:p:sqladmin.googleapis.com"
    assert str(FactKey.run()) == "run"
    assert FactKey.listing("p").project_id == "p" and FactKey.run().project_id is None


def test_a_plain_string_key_is_refused_not_silently_missed() -> None:
    obs = Observations(Target("p", "r", service="s"))
    with pytest.raises(TypeError, match="FactKey"):
        obs.failure("run")  # type: ignore[arg-type]


def test_the_read_model_imports_no_google_or_grpc_module() -> None:
    code = ("import sys, troubleshooter.facts.read, troubleshooter.checks; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('google', 'grpc')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
