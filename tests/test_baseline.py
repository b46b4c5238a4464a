"""Baselines: record today's findings, then report only new ones, matched on stable fingerprints."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import run_cli

LEGACY = (
    "FROM python:latest\n"  # ML001
    "RUN pip install torch==2.4.1\n"  # ML003
    "RUN pip install torch==2.4.1\n"  # ML003 again: same text, the second occurrence
)


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text(LEGACY)
    return tmp_path


def findings(result):
    return [(f["path"], f["rule_id"], f["line"]) for f in json.loads(result.stdout)["findings"]]


def test_write_baseline_records_findings_instead_of_reporting(project):
    result = run_cli("--write-baseline", "mllint-baseline.json", "docker", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert result.stderr.decode() == "mllint: recorded 3 findings from 1 file in mllint-baseline.json.\n"
    data = json.loads((project / "mllint-baseline.json").read_text())
    assert (data["format"], data["version"]) == ("mllint-baseline", 1)
    assert [(e["path"], e["rule_id"], e["line"]) for e in data["findings"]] == [
        ("docker/Dockerfile", "ML001", 1), ("docker/Dockerfile", "ML003", 2), ("docker/Dockerfile", "ML003", 3)]
    assert len({e["fingerprint"] for e in data["findings"]}) == 3


def test_baseline_hides_recorded_findings_and_survives_unrelated_edits(project):
    run_cli("--write-baseline", "baseline.json", "docker", cwd=project)
    clean = run_cli("-f", "json", "--baseline", "baseline.json", "docker", cwd=project)
    assert clean.returncode == 0 and findings(clean) == []

    # Lines added above the findings move them; the fingerprints do not depend on lines.
    (project / "docker" / "Dockerfile").write_text(
        "# syntax=docker/dockerfile:1\n\n# a comment\nARG CUDA=12.1\n" + LEGACY + "RUN pip install torch==2.4.1\n"
    )
    moved = run_cli("-f", "json", "--baseline", "baseline.json", "docker", cwd=project)
    # only the third copy of the pip line is new (occurrence 2 was not recorded)
    assert findings(moved) == [("docker/Dockerfile", "ML003", 8)]
    assert moved.returncode == 1


def test_a_copy_in_another_file_is_new(project):
    run_cli("--write-baseline", "baseline.json", "docker", cwd=project)
    shutil.copy(project / "docker" / "Dockerfile", project / "docker" / "gpu.Dockerfile")
    result = run_cli("-f", "json", "--baseline", "baseline.json", "docker", cwd=project)
    assert {path for path, _, _ in findings(result)} == {"docker/gpu.Dockerfile"}
    assert len(findings(result)) == 3


def test_paths_match_whatever_the_working_directory(project):
    run_cli("--write-baseline", "baseline.json", "docker/Dockerfile", cwd=project)
    from_inside = run_cli("-f", "json", "--baseline", "../baseline.json", "Dockerfile", cwd=project / "docker")
    assert from_inside.returncode == 0 and findings(from_inside) == []
    absolute = run_cli("-f", "json", "--baseline", str(project / "baseline.json"), str(project / "docker"),
                       cwd=project.parent)
    assert findings(absolute) == []


def test_baseline_keeps_other_severities_and_formats(project):
    run_cli("--write-baseline", "baseline.json", "docker", cwd=project)
    (project / "docker" / "Dockerfile").write_text(LEGACY + "FROM nvidia/cuda\n")
    sarif = run_cli("-f", "sarif", "--baseline", "baseline.json", "docker", cwd=project)
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("ML001", "error")]


@pytest.mark.parametrize(("content", "expected"), [
    (None, "no such baseline file (create one with --write-baseline)"),
    ("{not json", "not valid JSON"),
    ('{"findings": []}', 'not an mllint baseline (expected a JSON object with "format": "mllint-baseline")'),
    ('{"format": "mllint-baseline", "version": 9, "findings": []}', "baseline version 9 is not supported"),
    ('{"format": "mllint-baseline", "version": 1, "findings": {}}', '"findings" is not a list'),
    ('{"format": "mllint-baseline", "version": 1, "findings": [{"path": "x"}]}',
     'finding 1 lacks a "path" or "fingerprint" string'),
])
def test_bad_baseline_is_one_line_and_exit_2(project, content, expected):
    if content is not None:
        (project / "baseline.json").write_text(content)
    result = run_cli("--baseline", "baseline.json", "docker", cwd=project)
    stderr = result.stderr.decode()
    assert result.returncode == 2 and result.stdout == b""
    assert stderr.count("\n") == 1 and stderr.startswith("mllint: baseline.json: ") and expected in stderr, stderr


def test_baseline_options_cannot_be_combined(project):
    result = run_cli("--baseline", "a.json", "--write-baseline", "b.json", "docker", cwd=project)
    assert result.returncode == 2
    assert "--baseline and --write-baseline cannot be combined" in result.stderr.decode()


def test_unwritable_baseline(project):
    result = run_cli("--write-baseline", str(project / "missing-dir" / "b.json"), "docker", cwd=project)
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"mllint: cannot write the baseline {project / 'missing-dir' / 'b.json'}: ")


def test_unreadable_input_still_writes_the_rest_and_exits_2(project):
    result = run_cli("--write-baseline", "b.json", "docker", "missing/Dockerfile", cwd=project)
    assert result.returncode == 2
    assert "mllint: cannot read missing/Dockerfile: no such file" in result.stderr.decode()
    assert len(json.loads((project / "b.json").read_text())["findings"]) == 3
