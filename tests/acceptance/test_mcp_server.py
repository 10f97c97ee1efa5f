"""`troubleshooter mcp`: driven by the `mcp` SDK's own client over stdio, against the sandbox.

The server is the real console entry point in a subprocess (`python -m troubleshooter mcp
--world ...`), the client the SDK's `stdio_client` + `ClientSession`: what an agent runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import jsonschema
import pytest
from click.testing import CliRunner
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.server.mcpserver.exceptions import ToolError

from troubleshooter.cli import cli
from troubleshooter.engine.workspace import Workspace
from troubleshooter.mcp_server.server import Server
from troubleshooter.output import DiagnosisOut

TELEPAY = "telepay-missing-attachment"
CAUSE = "cloudsql-not-attached"
TOOLS = {"diagnose", "scan", "explain", "plan_fix", "apply_fix", "list_scenarios"}
ENV = {"CLOUDSDK_CONFIG": "/nonexistent-gcloud-config"}


@asynccontextmanager
async def client(*args: str) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "troubleshooter", "mcp", *args], env=ENV)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def refused(session: ClientSession, tool: str, **arguments: Any) -> str:
    result = await session.call_tool(tool, arguments)
    assert result.is_error and result.structured_content is None
    return result.content[0].text


def without_timings(doc: Any) -> Any:
    """Durations, and the log timestamps a world states relative to the sandbox's start, vary by run."""
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items() if k not in ("durationMs", "firstSeen", "lastSeen")}
    if isinstance(doc, list):
        return [without_timings(v) for v in doc]
    return doc


def published_schema() -> dict[str, Any]:
    return json.loads(CliRunner().invoke(cli, ["schema", "--output-of", "diagnose"]).output)


async def test_an_agent_diagnoses_plans_and_applies_with_the_token():
    async with client("--world", TELEPAY) as session:
        listed = await session.list_tools()
        tools = {t.name: t for t in listed.tools}
        assert set(tools) == TOOLS
        # The structured results' schemas are the output models' (the same as `troubleshooter schema`).
        assert set(tools["diagnose"].output_schema["properties"]) == set(DiagnosisOut.model_fields)
        assert tools["apply_fix"].annotations.destructive_hint is True
        assert tools["diagnose"].annotations.read_only_hint is True

        # A correct diagnosis of the sandbox world, as structured content.
        doc = await call(session, "diagnose")
        assert doc["target"]["service"] == "gcdonationhandler-10-26"
        assert [c["id"] for c in doc["rootCauses"]] == [CAUSE]
        assert "--add-cloudsql-instances=telepay-459221:us-central1:telepaypsql" in doc["rootCauses"][0]["fix"]["commands"][0]
        assert doc["path"][0] == "symptom:socket-not-found"
        jsonschema.Draft202012Validator(published_schema()).validate(doc)
        printed = CliRunner().invoke(cli, ["diagnose", "--world", TELEPAY, "--format", "json"])
        assert printed.exit_code == 1, printed.output
        assert without_timings(doc) == without_timings(json.loads(printed.output))  # the very same JSON

        # No token, a made-up token: refused, nothing written.
        assert "refused" in await refused(session, "apply_fix", cause=CAUSE, token="")
        assert "refused" in await refused(session, "apply_fix", cause=CAUSE, token="tsp1." + "0" * 64)
        assert [c["id"] for c in (await call(session, "diagnose"))["rootCauses"]] == [CAUSE]

        plan = await call(session, "plan_fix", cause=CAUSE)
        assert plan["automatic"] and plan["token"].startswith("tsp1.") and not plan["readOnly"]
        assert any(row["field"].endswith("volumes") for row in plan["change"])
        # A token binds to its target too: the same plan for another service is not this one.
        other = await refused(session, "apply_fix", cause=CAUSE, token=plan["token"], service="gcbotcommand-10-26")
        assert "not present" in other or "refused" in other

        applied = await call(session, "apply_fix", cause=CAUSE, token=plan["token"])
        assert applied["outcome"] == "applied" and applied["verified"] is True, applied
        after = await call(session, "diagnose", symptom="unknown")
        assert after["rootCauses"] == []
        # Spent: the cause is gone, so the same token has nothing left to apply.
        assert "not present" in await refused(session, "apply_fix", cause=CAUSE, token=plan["token"])

        # explain and list_scenarios read the decision tree and the package (no target).
        cause = await call(session, "explain", id=CAUSE)
        assert cause["id"] == f"cause:{CAUSE}" and cause["kind"] == "cause"
        assert cause["fix"]["automatic"] is True and cause["prevention"] and cause["why"]
        assert "check:attachment" in cause["decidedBy"]
        assert {"run-config", "app-settings"} <= {p["id"] for p in cause["evidence"]}
        check = await call(session, "explain", id="check:attachment")
        assert check["kind"] == "check" and f"cause:{CAUSE}" in check["leadsTo"]["failed"]
        assert "unknown id" in await refused(session, "explain", id="no-such-thing")
        scenarios = (await call(session, "list_scenarios"))["scenarios"]
        assert [s["name"] for s in scenarios if s["served"]] == [TELEPAY]
        # Bad target input is a tool error the model can read, not a dead server.
        assert "--service and --job" in await refused(session, "diagnose", service="a", job="b")
        assert (await call(session, "explain", id="symptom:unknown"))["kind"] == "symptom"


async def test_read_only_server_plans_without_a_token_and_refuses_every_apply():
    async with client("--world", TELEPAY, "--read-only") as session:
        plan = await call(session, "plan_fix", cause=CAUSE)
        assert plan["readOnly"] is True and plan["token"] is None and plan["commands"]
        assert "read-only" in await refused(session, "apply_fix", cause=CAUSE, token="tsp1.x")
        assert [c["id"] for c in (await call(session, "diagnose"))["rootCauses"]] == [CAUSE]


def test_a_stale_plan_is_refused():
    """The resource changed between plan_fix and apply_fix (another writer): plan again."""
    with Workspace.open(TELEPAY) as workspace:
        server = Server(workspace, world=TELEPAY)
        plan = server.plan_fix(CAUSE)
        target = workspace.world_target
        live = workspace.gateway.get_service(target.project, target.region, target.name)
        live["template"]["containers"][0]["env"].append({"name": "FEATURE_FLAG", "value": "on"})
        workspace.gateway.update_service(live)
        with pytest.raises(ToolError, match="changed since plan_fix"):
            server.apply_fix(CAUSE, token=plan.token or "")
        fresh = server.plan_fix(CAUSE)
        assert fresh.token != plan.token
        assert server.apply_fix(CAUSE, token=fresh.token or "").verified is True


def test_the_cli_start_path_does_not_load_the_sdk():
    probe = "import troubleshooter.cli, sys; print('mcp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr

