"""The sandbox: serves a world over loopback with Google's real wire protocols (the demo runs on it)."""

from troubleshooter.sandbox.calls import Call, CallLog
from troubleshooter.sandbox.core import APIS, Sandbox
from troubleshooter.sandbox.serve import export_lines, serve_forever

__all__ = ["APIS", "Call", "CallLog", "Sandbox", "export_lines", "serve_forever"]
