"""SARIF output validates against the 2.1.0 schema and carries what GitHub reads."""

from __future__ import annotations

import json

import pytest
from conftest import SARIF_SCHEMA, needs_shared, run_cli

BAD = "FROM tensorflow/tensorflow:latest-gpu\nRUN pip install keras==3.3.3\n"


def sarif_for(tmp_path, text, *extra):
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    result = run_cli("--format", "sarif", *extra, "Dockerfile", cwd=tmp_path)
    return result, json.loads(result.stdout)


@needs_shared
def test_sarif_validates_against_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA.read_text())
    _, log = sarif_for(tmp_path, BAD)
    jsonschema.validate(log, schema)
    (tmp_path / "broken").write_bytes(b"\x00\x01")
    result = run_cli("--format", "sarif", "Dockerfile", "broken", cwd=tmp_path)
    jsonschema.validate(json.loads(result.stdout), schema)


def test_sarif_rules_results_and_regions(tmp_path):
    result, log = sarif_for(tmp_path, BAD)
    assert result.returncode == 1
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mllint" and driver["version"] and driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert {"ML001", "ML003"} <= set(ids)
    for rule in rules:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["helpUri"].startswith("https://")
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    results = run["results"]
    assert {r["ruleId"] for r in results} == {"ML001", "ML003"}
    for r in results:
        assert ids[r["ruleIndex"]] == r["ruleId"]
        assert r["level"] == "warning"
        location = r["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"}
        region = location["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert region["endLine"] >= region["startLine"] and "endColumn" in region
        assert r["partialFingerprints"]["mllint/v1"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_reports_unreadable_files_as_notifications(tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD)
    (tmp_path / "broken").write_bytes(b"\x00\x01")
    result = run_cli("--format", "sarif", "Dockerfile", "broken", cwd=tmp_path)
    invocation = json.loads(result.stdout)["runs"][0]["invocations"][0]
    assert result.returncode == 2
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert "broken" in note["message"]["text"] and "binary" in note["message"]["text"]


def test_fingerprints_survive_unrelated_lines_above(tmp_path):
    _, before = sarif_for(tmp_path, BAD)
    _, after = sarif_for(tmp_path, "# a comment\n\n\n" + BAD)
    fp = lambda log: sorted(r["partialFingerprints"]["mllint/v1"] for r in log["runs"][0]["results"])  # noqa: E731
    lines = lambda log: sorted(r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in log["runs"][0]["results"])  # noqa: E731
    assert fp(before) == fp(after)
    assert lines(before) != lines(after)
