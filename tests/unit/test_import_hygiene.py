"""The domain never imports Textual, and the app paints before Google's client libraries load.

Run in fresh interpreters: only `sys.modules` after a real import tells a deferred import from
an eager one.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import troubleshooter


def _modules() -> list[str]:
    names = ["troubleshooter"]
    for info in pkgutil.walk_packages(troubleshooter.__path__, "troubleshooter."):
        if not info.name.startswith("troubleshooter.tui") and not info.name.endswith("__main__"):
            names.append(info.name)
    return sorted(names)


DOMAIN = _modules()


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint('\\n'.join(sys.modules))\n"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def test_every_domain_module_is_listed():
    assert "troubleshooter.diagnosis" in DOMAIN and "troubleshooter.sandbox" in DOMAIN
    assert not any(name.startswith("troubleshooter.tui") for name in DOMAIN)


def test_the_domain_does_not_import_textual():
    """One interpreter imports every non-TUI module; Textual must not come with any of them."""
    loaded = _loaded_after("\n".join(f"import {name}" for name in DOMAIN))
    leaked = sorted(m for m in loaded if m == "textual" or m.startswith("textual."))
    assert not leaked, f"the domain imported {leaked[:5]}"


@pytest.mark.parametrize("name", ["troubleshooter.diagnosis", "troubleshooter.engine.troubleshooting",
                                  "troubleshooter.report", "troubleshooter.cli", "troubleshooter.sandbox"])
def test_each_entry_point_alone_stays_headless(name):
    loaded = _loaded_after(f"import {name}")
    assert "textual" not in loaded


def test_the_app_module_imports_no_google_client():
    """The first screen paints before the slow Google and gRPC libraries load (they load in workers)."""
    loaded = _loaded_after("import troubleshooter.tui.app, troubleshooter.tui.launch")
    heavy = sorted(m for m in loaded if m.startswith(("google.cloud", "grpc", "google.api_core")))
    assert not heavy, heavy


@pytest.mark.parametrize("name", ["troubleshooter.failures", "troubleshooter.model", "troubleshooter.observations",
                                  "troubleshooter.dsn.connections"])
def test_naming_a_failed_read_loads_no_google_client(name):
    """Checks, probes, the model and observations name an ApiFailure without the gateway's clients."""
    loaded = _loaded_after(f"import {name}")
    heavy = sorted(m for m in loaded if m.startswith(("google.cloud", "grpc", "google.api_core")))
    assert not heavy and "troubleshooter.gateway" not in loaded, heavy
