"""`troubleshooter schema`: the published JSON Schema, and every built-in scenario's real JSON against it."""

from __future__ import annotations

import json
import sys

import jsonschema
import pytest
from click.testing import CliRunner

from troubleshooter.cli import cli, main
from troubleshooter.output import DiagnosisOut, ScanOut
from troubleshooter.scenarios import scenario_names


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["troubleshooter", *args])
    monkeypatch.setenv("CLOUDSDK_CONFIG", "/nonexistent-gcloud-config")
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture(scope="module")
def schema_doc() -> dict:
    """The command's own output, parsed: what a consumer would save and validate against."""
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def rooted(doc: dict, name: str) -> dict:
    """The same document with one object as its root."""
    return {**{k: v for k, v in doc.items() if k != "anyOf"}, "$ref": f"#/$defs/{name}"}


def test_schema_is_a_valid_2020_12_document(schema_doc):
    jsonschema.Draft202012Validator.check_schema(schema_doc)
    assert {"DiagnosisOut", "ScanOut"} <= set(schema_doc["$defs"])


@pytest.mark.parametrize("scenario", scenario_names())
def test_every_scenario_validates(monkeypatch, capsys, schema_doc, scenario):
    code, out, err = run(monkeypatch, capsys, "diagnose", "--world", scenario, "--format", "json")
    assert code in (0, 1, 4), err
    doc = json.loads(out)
    jsonschema.Draft202012Validator(schema_doc).validate(doc)
    jsonschema.Draft202012Validator(rooted(schema_doc, "DiagnosisOut")).validate(doc)
    # The model mirrors to_json: every key it writes is a field the model names (no silent drift).
    model = DiagnosisOut.model_validate(doc)
    assert not model.model_extra, f"to_json writes keys the output model does not name: {model.model_extra}"
    for cause in model.rootCauses:
        assert not cause.model_extra and not cause.fix.model_extra
    # ... and dumps it back byte for byte: what the MCP tools return is what `diagnose` prints.
    assert model.model_dump(mode="json", by_alias=True) == doc


def test_schema_rejects_what_the_contract_forbids(schema_doc):
    validator = jsonschema.Draft202012Validator(rooted(schema_doc, "DiagnosisOut"))
    bad = {"target": {"project": "p", "region": "r", "service": "s"}, "symptoms": [], "status": "x",
           "verdict": "fine", "rootCauses": [], "findings": [], "path": [], "probes": []}
    assert [list(e.path) for e in validator.iter_errors(bad)] == [["verdict"]]
    del bad["probes"]
    assert any("'probes' is a required property" in e.message for e in validator.iter_errors(bad))


def test_scan_shape_of_the_spec_validates(schema_doc):
    target = {"target": {"project": "p", "region": "r", "job": "j"}, "verdict": "healthy",
              "rootCauses": [], "findings": [], "uncertain": []}
    doc = {"scope": {"project": "p", "regions": ["r"]}, "targets": [target],
           "summary": {"root-causes": 0, "healthy": 1, "unexplained": 0, "inconclusive": 0}, "apiCalls": 7}
    jsonschema.Draft202012Validator(schema_doc).validate(doc)
    assert ScanOut.model_validate(doc).summary.root_causes == 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(rooted(schema_doc, "ScanOut")).validate(
            {**doc, "summary": {"healthy": 1}})
