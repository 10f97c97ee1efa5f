"""Property: a secret of any shape planted anywhere a world can hold text (env values, DSNs, log
lines, conditions, labels) never reaches an output: diagnose text, JSON and markdown, the fix
plans' text and commands, and the TUI's screens, copied command and confirm dialog (issue 15).

Each example serves its world in the real sandbox and diagnoses it through the engine, so the
examples are few (a world run costs about a second); the shapes are drawn, not listed.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

from cases import add_log, base, container, only_dsn, service, set_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from troubleshooter.catalog import ROOT_CAUSES
from troubleshooter.cli.diagnose import render
from troubleshooter.cli.fix import render_plan
from troubleshooter.engine.tree import load_graph
from troubleshooter.engine.troubleshooting import Troubleshooting
from troubleshooter.engine.workspace import Workspace
from troubleshooter.world import world_from_data

ALNUM = string.ascii_letters + string.digits

# The part of every planted secret that must never be seen: distinctive enough that no
# ordinary output holds it by chance ("Zq" and at least 8 random characters).
cores = st.text(alphabet=ALNUM, min_size=8, max_size=14).map(lambda s: "Zq" + s)


@st.composite
def password(draw: st.DrawFn) -> tuple[str, str]:
    """(password, its core): digit-first before '#', '/' or '?', with a space, or plain."""
    core = draw(cores)
    shape = draw(st.sampled_from(["plain", "digits-sep", "space", "punct"]))
    if shape == "digits-sep":
        return f"{draw(st.integers(0, 99999))}{draw(st.sampled_from('#/?'))}{core}", core
    if shape == "space":
        return f"{core} {draw(cores)}", core
    if shape == "punct":
        return f"{core}{draw(st.sampled_from(['!', '%', '&', ':', '*', '$', '^']))}x", core
    return core, core


@st.composite
def planted_world(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """The healthy baseline with secrets planted in env, a DSN, logs, a condition and a label."""
    w = base()
    w["name"] = "planted-secrets"
    secrets: list[str] = []
    pw, core = draw(password())
    secrets.append(core)
    scheme = draw(st.sampled_from(["postgresql", "postgres", "mysql", "mysql+pymysql", "redis"]))
    # localhost: a root cause (app-localhost) whose fix rewrites this very DSN, so the fix
    # command and its before/after lines carry the password if anything does.
    host = draw(st.sampled_from(["localhost", "127.0.0.1", "localhost"]))
    dsn = f"{scheme}://orders_app:{pw}@{host}:5432/orders"
    only_dsn(w, dsn, draw(st.sampled_from(["DATABASE_URL", "DB_URL", "DATABASE_URL"])))
    for name in draw(st.lists(st.sampled_from(["DB_PW", "PGPASS", "MYSQL_ROOT_PW", "DB_PASSWORD",
                                               "API_TOKEN", "STRIPE_KEY"]), min_size=1, max_size=3,
                              unique=True)):
        value, c = draw(password())
        set_env(w, name, value)
        secrets.append(c)
    ora = draw(cores)
    set_env(w, "ORACLE_DSN", f"jdbc:oracle:thin:scott/{ora}@//db.example.com:1521/svc")
    secrets.append(ora)

    log_core = draw(cores)
    # A bare AWS secret access key: 40 distinct base64 characters in a drawn order (random-looking).
    aws = "".join(draw(st.permutations("ABCDEFGHJKLMNPQRabcdefghjkmnpqrs23456789/+")))[:40]
    lines = [
        f"mysql -uroot -p{log_core} -h 10.40.0.3 orders",
        f"sqlplus scott/{log_core}@orcl",
        f"socket mode xapp-1-A{log_core}-123456789012-abcdef",
        f"boto3 secret {aws} loaded",
        f"psycopg2.OperationalError: connection to {dsn} failed: password authentication failed",
        f"booting with DB_PW={log_core}",
    ]
    # Each line carries a connection error, so the logs probe keeps it as evidence.
    tail = draw(st.sampled_from([": connect ECONNREFUSED 127.0.0.1:5432",
                                 " (could not connect to server: Connection refused)"]))
    for i, line in enumerate(draw(st.permutations(lines))):
        add_log(w, line + tail, ago=f"-{i + 2}m")
    secrets += [log_core, aws[:20], aws[20:]]

    cond_core = draw(cores)
    service(w)["terminalCondition"]["message"] = f"probe used postgresql://u:{cond_core}@h/db"
    service(w).setdefault("labels", {})["note"] = "x"
    container(w)["args"] = [f"--db-password={cond_core}"]
    secrets.append(cond_core)
    return w, secrets


def _leaks(output: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in output]


def _outputs(data: dict[str, Any]) -> dict[str, str]:
    """Every text the CLI would print for this world: diagnose text/json/markdown and each
    root cause's fix plan (its text and commands)."""
    world = world_from_data(json.loads(json.dumps(data)), "<planted>")
    graph = load_graph()
    with Workspace.serving(world, graph) as workspace:
        t = world.target
        engine = Troubleshooting.begin(workspace, workspace.target(t.project, t.region, t.service, t.job))
        engine.diagnose()
        out = {fmt: render(engine.session, fmt) for fmt in ("text", "json", "markdown")}
        for cause in engine.session.current.causes if engine.session.current else ():
            try:
                plan = engine.plan(cause.id, {})
            except Exception as exc:  # noqa: BLE001 - a refusal's message is an output too
                out[f"plan {cause.id}"] = str(exc)
                continue
            out[f"plan {cause.id}"] = render_plan(plan) + "\n" + "\n".join(plan.commands)
    return out


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(planted_world())
def test_no_planted_secret_in_any_cli_output(planted: tuple[dict[str, Any], list[str]]) -> None:
    data, secrets = planted
    for where, text in _outputs(data).items():
        assert not _leaks(text, secrets), f"{where} leaks {_leaks(text, secrets)}"


# --------------------------------------------------------------------------- the TUI


def _screen_text(app: Any) -> str:
    """Everything the current screen (and the screens under it) shows, as plain text."""
    from rich.console import Console
    from textual.content import Content
    from textual.widgets import Static

    parts: list[str] = []
    console = Console(record=True, width=200, file=open("/dev/null", "w"))  # noqa: SIM115
    for screen in app.screen_stack:
        for widget in screen.query(Static):
            content = widget.content
            if isinstance(content, str):
                parts.append(Content.from_markup(content).plain)
            else:
                console.print(content)
        parts.append(console.export_text())
    return "\n".join(parts)


@settings(max_examples=2, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(planted_world())
async def test_no_planted_secret_in_the_tui(tmp_path: Path, planted: tuple[dict[str, Any], list[str]]) -> None:
    from textual.widgets import OptionList

    from troubleshooter.tui.app import TroubleshooterApp
    from troubleshooter.tui.autopilot import at_causes, at_symptoms, on, settle
    from troubleshooter.tui.launch import Launch

    data, secrets = planted
    path = tmp_path / "planted.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    app = TroubleshooterApp(Launch(world=str(path)))
    seen: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await at_symptoms(app, pilot)
        seen.append(_screen_text(app))
        await at_causes(app, pilot)
        options = app.screen.query_one("#cause-list", OptionList)
        for i in range(options.option_count):
            options.highlighted = i
            await pilot.pause()
            seen.append(_screen_text(app))
            cause = str(options.get_option_at_index(i).id)
            if cause in ROOT_CAUSES:
                await settle(app, pilot, lambda c=cause: c in app.state.plans)
                await pilot.press("c")
                seen.append(app.clipboard)
                await pilot.press("a")
                # The screen asks for the confirmation; the app shows it a message later.
                automatic = app.state.plans[cause].automatic and not app.launch.read_only
                await settle(app, pilot, lambda: on(app, "ConfirmFixModal") or not automatic)
                seen.append(_screen_text(app))
                if automatic:  # close the confirmation (escape cancels), back to the causes
                    await pilot.press("escape")
                    await settle(app, pilot, lambda: on(app, "CausesScreen"))
        seen.append(app.export_screenshot())
    for text in seen:
        assert not _leaks(text, secrets), f"the TUI leaks {_leaks(text, secrets)}"
