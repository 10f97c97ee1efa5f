"""RCA report: golden files for every built-in scenario (before and after fixes), CommonMark and
mermaid structure. Regenerate the golden files with UPDATE_GOLDEN=1 pytest tests/acceptance/test_report.py."""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from markdown_it import MarkdownIt

from troubleshooter.engine.run import diagnose
from troubleshooter.engine.tree import load_graph
from troubleshooter.gateway import Gateway
from troubleshooter.model import Target
from troubleshooter.report import build_report
from troubleshooter.sandbox import Sandbox
from troubleshooter.scenarios import list_scenarios, scenario_path
from troubleshooter.session import Session
from troubleshooter.world import load_world

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2025, 11, 13, 21, 0, 0, tzinfo=timezone.utc)
SCENARIOS = [info.name for info in list_scenarios()]
SECTIONS = ["Summary", "Timeline (UTC)", "Evidence", "Root causes", "Unexplained errors", "Fix", "Findings", "Prevention",
            "Uncertain checks", "Decision path"]

from cases import engine_for


def _automatic_causes(name: str) -> list[str]:
    """Causes the scenario expects that have an automatic fix (read from data, not by running)."""
    expect = (yaml.safe_load(scenario_path(name).read_text(encoding="utf-8")) or {}).get("expect") or {}
    graph = load_graph()
    out = []
    for cause in expect.get("rootCauses") or []:
        node = graph.cause_node(cause)
        if node is not None and node.spec.fix is not None and node.spec.fix.automatic:
            out.append(cause)
    return out


FIXABLE = [name for name in SCENARIOS if _automatic_causes(name)]


OPERATOR_INPUT = {"private-ip-without-vpc-egress": {"subnet": "prod-euw3"}}


@contextlib.contextmanager
def scenario_session(name: str, *, fix: bool = False) -> Iterator[Session]:
    """A real session: the sandbox serves the scenario, `diagnose` runs, fixes are applied."""
    world = load_world(scenario_path(name))
    with Sandbox(world) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        try:
            graph = load_graph()
            t = world.target
            target = Target(project=t.project, region=t.region, service=t.service, job=t.job)
            session = Session(target=target, graph=graph, sandboxed=True, scenario=name)
            # A scenario whose expectation needs the Secret Manager values is run with that consent.
            consent = bool(world.expect and world.expect.read_secrets)
            session.add_diagnosis(diagnose(target, gateway, graph, read_secrets=consent))
            if fix:
                for cause in list(session.initial.causes):
                    # A fix that needs the operator's choice gets it, as `fix --subnet=...` would.
                    choice = OPERATOR_INPUT.get(cause.id)
                    if (cause.automatic or choice) and cause.id in session.current.cause_ids:
                        engine_for(session, gateway).apply(cause.id, confirm=lambda _plan: True, options=choice)
            yield session
        finally:
            gateway.close()


@pytest.fixture(scope="module")
def reports() -> dict[tuple[str, str], str]:
    """Reports built once per module: (scenario, before|after) -> markdown."""
    return {}


def report_for(reports: dict[tuple[str, str], str], name: str, phase: str) -> str:
    key = (name, phase)
    if key not in reports:
        with scenario_session(name, fix=phase == "after") as session:
            reports[key] = build_report(session, now=NOW)
    return reports[key]


# --------------------------------------------------------------------------- golden files

# What changes from run to run: wall-clock times (session, sandbox-relative log times) and
# probe durations. Everything else in the report must be byte-identical.
_VOLATILE = (
    # A time's date is printed only when it is not the report's day, which depends on when the
    # suite runs (just after midnight UTC the log window lies in yesterday): dates before a
    # time to the second go entirely
    # (the report's own "Date:" line, to the minute, keeps its date placeholder).
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[ T](?=\d{2}:\d{2}:\d{2})"), ""),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?=[ T]\d{2}:\d{2})"), "YYYY-MM-DD"),
    (re.compile(r"\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b"), "HH:MM:SS"),
    (re.compile(r"\b\d{2}:\d{2}(?= UTC)"), "HH:MM"),
    (re.compile(r"\[\d+ ms\]"), "[N ms]"),
)


def normalise(report: str) -> str:
    for pattern, replacement in _VOLATILE:
        report = pattern.sub(replacement, report)
    return report


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    actual = normalise(actual)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest {__file__}"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(), "golden", "actual", lineterm="", n=1)
        shown = "\n".join(list(diff)[:80])
        pytest.fail(f"{path.name} differs (review, then UPDATE_GOLDEN=1 pytest {__file__}):\n{shown}")


@pytest.mark.parametrize("name", SCENARIOS)
def test_golden_before_fixes(reports: dict, name: str) -> None:
    check_golden(f"report-{name}.md", report_for(reports, name, "before"))


@pytest.mark.parametrize("name", FIXABLE)
def test_golden_after_fixes(reports: dict, name: str) -> None:
    report = report_for(reports, name, "after")
    check_golden(f"report-{name}-fixed.md", report)
    assert "| `fix` |" in _section(report, "Timeline (UTC)")  # every attempt is on the timeline


def test_report_is_deterministic_given_session_and_now() -> None:
    with scenario_session("telepay-missing-attachment") as session:
        assert build_report(session, now=NOW) == build_report(session, now=NOW)


def test_normalise_hides_only_times() -> None:
    assert normalise("| 22:46:11 | `probe` | run-config: ok [172 ms] |") == \
        "| HH:MM:SS | `probe` | run-config: ok [N ms] |"
    assert normalise("- **Date:** 2026-11-22 22:46 UTC") == "- **Date:** YYYY-MM-DD HH:MM UTC"
    assert normalise("gcdonationhandler-10-26-00003-wbq port 5432") == "gcdonationhandler-10-26-00003-wbq port 5432"


# --------------------------------------------------------------------------- what it says


def test_telepay_report_reads_true(reports: dict) -> None:
    report = report_for(reports, "telepay-missing-attachment", "before")
    assert report.startswith("# RCA: gcdonationhandler-10-26 cannot reach Cloud SQL\n")
    assert "**Status:** **root cause found**" in report
    summary = _section(report, "Summary")
    assert summary.count(". ") + 1 <= 4, summary  # short: what broke, why, what to do
    assert "`cloudsql-not-attached`" in summary
    assert "--add-cloudsql-instances=telepay-459221:us-central1:telepaypsql" in summary
    assert "No such file or directory" in _section(report, "Evidence")
    assert "| Expected (working) | Actual (measured) |" in _section(report, "Root causes")
    assert "Findings" in report and _section(report, "Findings").strip() == "None."


def test_telepay_report_after_fix_is_resolved(reports: dict) -> None:
    report = report_for(reports, "telepay-missing-attachment", "after")
    assert report.startswith("# RCA: gcdonationhandler-10-26 could not reach Cloud SQL (resolved)\n")
    assert "**Status:** **resolved**" in report
    fix = _section(report, "Fix")
    assert "attach-cloudsql-instance" in fix and "verified: the cause is gone" in fix
    assert "re-diagnosis" in _section(report, "Timeline (UTC)")


def test_uncertain_checks_name_the_permission_that_would_settle_them(tmp_path: Path) -> None:
    world = yaml.safe_load(scenario_path("telepay-missing-attachment").read_text(encoding="utf-8"))
    world["faults"] = [{"api": "sqladmin", "method": "Get", "code": 403,
                        "message": "The client is not authorized to make this request."}]
    path = tmp_path / "denied.yaml"
    path.write_text(yaml.safe_dump(world), encoding="utf-8")
    with Sandbox(load_world(path)) as sandbox:
        gateway = Gateway.from_env(sandbox.env)
        try:
            graph = load_graph()
            session = Session(target=Target("telepay-459221", "us-central1", service="gcdonationhandler-10-26"),
                              graph=graph)
            session.add_diagnosis(diagnose(session.target, gateway, graph))
        finally:
            gateway.close()
    report = build_report(session, now=NOW)
    assert_commonmark(report)
    uncertain = _section(report, "Uncertain checks")
    assert "`check:instance-stopped`" in uncertain
    # Cloud SQL's 403 notAuthorized names no permission, so the report invents none; the
    # instance-not-accessible cause says what Google leaves open and how to tell.
    assert "(sqladmin Get on telepay-459221:telepaypsql)" in uncertain
    assert "cloudsql-not-attached" in _section(report, "Summary")  # the cause still stands
    assert "instance-not-accessible" in report


def test_a_session_not_yet_diagnosed_still_reports() -> None:
    """The TUI may export before the first run finishes."""
    session = Session(target=Target("p-1", "europe-west1", job="migrate"), graph=load_graph())
    report = build_report(session, now=NOW)
    assert report.startswith("# RCA: migrate: not diagnosed yet\n")
    assert "**Status:** **not diagnosed yet**" in report
    assert "No diagnosis has run yet." in report
    assert build_report(session, now=NOW) == report


def test_healthy_baseline_says_no_cause(reports: dict) -> None:
    report = report_for(reports, "healthy-baseline", "before")
    assert "no root cause found" in report.splitlines()[0]
    assert _section(report, "Root causes").strip() == "None found."


def test_every_status_reads_as_its_title(reports: dict) -> None:
    for name in SCENARIOS:
        report = report_for(reports, name, "before")
        title, status = report.splitlines()[0], re.search(r"\*\*Status:\*\* \*\*([^*]+)\*\*", report)
        assert status, name
        label = status.group(1)
        expected = {"root cause found": "cannot reach Cloud SQL", "no cause found": "no root cause found",
                    "inconclusive": "inconclusive", "resolved": "(resolved)",
                    "unexplained": "no known cause explains"}[label]
        assert expected in title, (name, title, label)


# --------------------------------------------------------------------------- CommonMark structure


def _md() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _section(report: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", report, re.S | re.M)
    assert m, f"no section {title!r}"
    return m.group(1)


def _cells(line: str) -> int:
    """Cells of a GFM table row: split on pipes not escaped with a backslash."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return len(re.split(r"(?<!\\)\|", body))


def assert_commonmark(report: str) -> None:
    tokens = _md().parse(report)
    headings = [(t.tag, tokens[i + 1].content) for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0][0] == "h1" and sum(1 for tag, _ in headings if tag == "h1") == 1
    h2 = [content for tag, content in headings if tag == "h2"]
    assert h2 == [s for s in SECTIONS if s in h2], h2
    assert {"Summary", "Timeline (UTC)", "Decision path"} <= set(h2)
    # Raw HTML would swallow text (the <redacted> marker itself is a valid tag).
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert not kinds & {"html_inline", "html_block"}, "raw HTML in the report"
    lines = report.splitlines()
    for t in tokens:
        if t.type == "table_open":
            start, end = t.map
            widths = {_cells(line) for line in lines[start:end]}
            assert len(widths) == 1, f"ragged table at line {start + 1}: {lines[start:end]}"
        if t.type == "fence":
            assert t.info in ("text", "sh", "mermaid"), t.info
            start, end = t.map
            assert lines[end - 1].startswith("```"), f"unclosed fence at line {start + 1}"
    assert sum(1 for t in tokens if t.type == "fence" and t.info == "mermaid") == 1


@pytest.mark.parametrize("name", SCENARIOS)
def test_report_is_commonmark(reports: dict, name: str) -> None:
    assert_commonmark(report_for(reports, name, "before"))


@pytest.mark.parametrize("name", FIXABLE)
def test_fixed_report_is_commonmark(reports: dict, name: str) -> None:
    assert_commonmark(report_for(reports, name, "after"))


# --------------------------------------------------------------------------- mermaid


def mermaid_blocks(report: str) -> list[str]:
    return [t.content for t in _md().parse(report) if t.type == "fence" and t.info == "mermaid"]


_SHAPES = {'(["': '"])', '{{"': '"}}', '{"': '"}', '[/"': '"/]', '[\\"': '"\\]', '(("': '"))'}
_NODE = re.compile(r'^  (n\d+)(\(\["|\{\{"|\{"|\[/"|\[\\"|\(\(")([^"\n]*)("\]\)|"\}\}|"\}|"/\]|"\\\]|"\)\))$')
_EDGE = re.compile(r"^  (n\d+) -->\|([a-z/-]+)\| (n\d+)$")
_CLASSDEF = re.compile(r"^  classDef [a-z]+ [a-z-]+:[#0-9a-z]+(,[a-z-]+:[#0-9a-z]+)*$")
_CLASS = re.compile(r"^  class (n\d+(?:,n\d+)*) [a-z]+$")


def validate_mermaid(source: str) -> list[str]:
    """Structural checks of the flowchart subset to_mermaid emits; returns the problems."""
    lines = source.rstrip("\n").split("\n")
    problems = [] if lines[0] == "flowchart TD" else [f"header is {lines[0]!r}"]
    declared: set[str] = set()
    for line in lines[1:]:
        if m := _NODE.match(line):
            if _SHAPES[m.group(2)] != m.group(4):
                problems.append(f"mismatched brackets: {line!r}")
            if m.group(1) in declared:
                problems.append(f"declared twice: {m.group(1)}")
            if not m.group(3).strip():
                problems.append(f"empty label: {line!r}")
            declared.add(m.group(1))
        elif m := _EDGE.match(line):
            for end in (m.group(1), m.group(3)):
                if end not in declared:
                    problems.append(f"edge to undeclared node {end}: {line!r}")
        elif m := _CLASS.match(line):
            problems += [f"class on undeclared {n}" for n in m.group(1).split(",") if n not in declared]
        elif not _CLASSDEF.match(line):
            problems.append(f"malformed line: {line!r}")
    return problems


def test_validator_catches_broken_mermaid() -> None:
    assert validate_mermaid('flowchart TD\n  n0(["a"])\n  n1{"b"}\n  n0 -->|next| n1') == []
    assert validate_mermaid('graph LR\n  n0(["a"])') == ["header is 'graph LR'"]
    assert validate_mermaid('flowchart TD\n  n0(["a"}\n') != []
    assert validate_mermaid('flowchart TD\n  n0(["a"])\n  n0 -->|next| n9') != []
    assert validate_mermaid('flowchart TD\n  n0([a])') != []


@pytest.mark.parametrize("name", SCENARIOS)
def test_mermaid_block_is_valid(reports: dict, name: str) -> None:
    report = report_for(reports, name, "before")
    (block,) = mermaid_blocks(report)
    assert validate_mermaid(block) == []
    # Every step of the walk is drawn.
    path_ids = re.findall(r"^\d+\. \S+ .*? \(`([a-z]+:[^`]+|healthy)`\)", _section(report, "Decision path"), re.M)
    assert len(path_ids) >= 2
    assert block.count("\n  n") >= len(path_ids)


# The real mermaid parser (npm `mermaid` + `jsdom`), when a developer has them: point
# MERMAID_NODE_DIR at a folder where `npm install mermaid jsdom` was run. Never needed by default.
_PARSE_JS = """
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";
const require = createRequire(process.env.MERMAID_NODE_DIR + "/package.json");
const { JSDOM } = require("jsdom");
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import(pathToFileURL(require.resolve("mermaid")).href);
mermaid.initialize({ startOnLoad: false });
try {
  await mermaid.parse(readFileSync(0, "utf8"));
  console.log("ok");
} catch (e) {
  console.log(String(e.message || e));
  process.exitCode = 1;
}
"""


@pytest.mark.skipif(not (shutil.which("node") and os.environ.get("MERMAID_NODE_DIR")),
                    reason="set MERMAID_NODE_DIR to a folder with `npm install mermaid jsdom` to use the real parser")
@pytest.mark.parametrize("name", SCENARIOS)
def test_mermaid_parses_with_mermaid_js(reports: dict, name: str, tmp_path: Path) -> None:
    script = tmp_path / "parse.mjs"
    script.write_text(_PARSE_JS, encoding="utf-8")
    (block,) = mermaid_blocks(report_for(reports, name, "before"))
    done = subprocess.run(["node", str(script)], input=block, capture_output=True, text=True, timeout=60,
                          env={**os.environ})
    assert done.returncode == 0, done.stdout + done.stderr
