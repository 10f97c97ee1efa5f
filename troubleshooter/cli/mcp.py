"""`troubleshooter mcp`: the engine as a Model Context Protocol server on stdio, for coding agents."""

from __future__ import annotations

import os

import click

from troubleshooter.errors import BadInput


@click.command("mcp")
@click.option("--world", metavar="FILE", help="Serve a sandbox on this world file (or built-in scenario) instead of Google Cloud.")
@click.option("--read-only", is_flag=True, help="Never change anything: apply_fix is always refused, plans carry no token.")
@click.option("--read-secrets", is_flag=True,
              help="Read the Secret Manager values the app's env names so the checks decide from them (never output).")
def mcp(world: str | None, read_only: bool, read_secrets: bool) -> None:
    """Serve the tools diagnose, explain, plan_fix, apply_fix and list_scenarios over stdio (MCP)."""
    try:
        from troubleshooter.mcp_server.server import serve  # the SDK loads only here
    except ImportError as exc:
        raise BadInput(f"the `mcp` package is not installed ({exc}); pip install 'mcp>=2.3'") from None
    serve(world, read_only=read_only, read_secrets=read_secrets, env=os.environ)
