"""The CI formats: GitHub Actions workflow commands (`--format github`) and GitLab Code Quality (`--format gitlab`)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import run_cli

from mllint.engine import FileReport
from mllint.findings import Finding
from mllint.report import github, gitlab
from mllint.rule import Severity, Span

BAD = "FROM tensorflow/tensorflow:latest-gpu\nRUN pip install keras==3.3.3\n"
SECRET = "FROM python:3.13-slim\nENV HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz123456\n"


def parse_command(line: str):
    """Read a line the way the Actions runner does (actions/runner, ActionCommand.TryParseV2):
    ``::name key=value,...::data``, then percent-unescape the values and the data."""
    if not line.lstrip().startswith("::"):
        return None
    line = line.lstrip()
    end = line.index("::", 2)
    info, data = line[2:end], line[end + 2:]
    name, _, props = info.partition(" ")

    def unescape(text, prop):
        text = text.replace("%0D", "\r").replace("%0A", "\n")
        if prop:
            text = text.replace("%3A", ":").replace("%2C", ",")
        return text.replace("%25", "%")

    properties = dict(p.split("=", 1) for p in props.split(",") if p)
    return name, {k: unescape(v, True) for k, v in properties.items()}, unescape(data, False)


def finding(message="m", path="Dockerfile", span=Span(1, 1, 1, 10), severity=Severity.WARNING, **extra):
    return Finding(path=path, rule_id="ML001", rule_name="floating-image-tag", severity=severity,
                   message=message, span=span, help_uri="", **extra)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


# --format github

def test_github_annotations_from_the_command_line(tmp_path):
    write(tmp_path, "docker/Dockerfile", BAD)
    write(tmp_path, "Dockerfile", SECRET)
    result = run_cli("--format", "github", ".", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.decode().splitlines()
    commands = [parse_command(line) for line in lines[:-1]]
    assert [(name, props["file"], props["line"], props["title"]) for name, props, _ in commands] == [
        ("error", "Dockerfile", "2", "ML010 ml-secret-in-image"),
        ("warning", "docker/Dockerfile", "1", "ML001 floating-image-tag"),
        ("warning", "docker/Dockerfile", "2", "ML003 pip-cache-not-disabled"),
    ]
    name, props, message = commands[1]
    assert props == {"file": "docker/Dockerfile", "line": "1", "endLine": "1", "col": "1", "endColumn": "38",
                     "title": "ML001 floating-image-tag"}
    assert message.startswith("FROM tensorflow/tensorflow:latest-gpu uses the floating tag `latest-gpu`")
    assert lines[-1] == "mllint: 3 findings (1 error, 2 warnings) in 2 files."


def test_github_info_findings_are_notices():
    out = github.render([FileReport("Dockerfile", findings=[finding(severity=Severity.INFO)])], [])
    assert out.startswith("::notice file=Dockerfile,")


def test_github_message_cannot_forge_a_second_command():
    message = "bad%0A\nnext line\r\n::error file=forged.txt,line=1::forged\n  ::warning::indented"
    out = github.render([FileReport("Dockerfile", findings=[finding(message)])], [])
    lines = out.splitlines()
    assert len(lines) == 2 and not lines[1].startswith("::")  # one command, then the summary
    name, props, data = parse_command(lines[0])
    assert (name, props["file"], data) == ("warning", "Dockerfile", message)  # the runner reads it back intact
    assert "%250A" in lines[0]  # a literal "%0A" in the text is not turned into a newline


def test_github_properties_escape_commas_colons_and_newlines(tmp_path):
    name = "we,ird:name%\n::error file=x::forged.Dockerfile"
    write(tmp_path, name, BAD)
    result = run_cli("--format", "github", "--select", "ML001", name, cwd=tmp_path)
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 2 and not lines[1].startswith("::")
    command, props, _ = parse_command(lines[0])
    assert command == "warning" and props["file"] == name and props["line"] == "1"
    assert "we%2Cird%3Aname%25%0A%3A%3Aerror file=x%3A%3Aforged.Dockerfile" in lines[0]


def test_github_multi_line_findings_have_no_columns():
    out = github.render([FileReport("Dockerfile", findings=[finding(span=Span(2, 1, 4, 12))])], [])
    _, props, _ = parse_command(out.splitlines()[0])
    assert props == {"file": "Dockerfile", "line": "2", "endLine": "4", "title": "ML001 floating-image-tag"}


def test_github_unreadable_input_is_an_error_annotation(tmp_path):
    write(tmp_path, "Dockerfile", b"\x00\x01")
    result = run_cli("--format", "github", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    name, props, message = parse_command(result.stdout.decode().splitlines()[0])
    assert (name, props["file"], props["title"]) == ("error", "Dockerfile", "mllint: input problem")
    assert message == "mllint could not lint this file: binary file (contains NUL bytes), not a Dockerfile"


def test_github_no_findings():
    assert github.render([FileReport("Dockerfile")], []) == "mllint: No findings in 1 file.\n"


# --format gitlab

def gitlab_for(tmp_path, *args):
    result = run_cli("--format", "gitlab", *args, cwd=tmp_path)
    return result, json.loads(result.stdout)


def test_gitlab_code_quality_issues(tmp_path):
    write(tmp_path, "docker/gpu/Dockerfile", BAD)
    write(tmp_path, "Dockerfile", SECRET)
    result, issues = gitlab_for(tmp_path, ".")
    assert result.returncode == 1
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("ML010", "major", {"path": "Dockerfile", "lines": {"begin": 2, "end": 2}}),
        ("ML001", "minor", {"path": "docker/gpu/Dockerfile", "lines": {"begin": 1, "end": 1}}),
        ("ML003", "minor", {"path": "docker/gpu/Dockerfile", "lines": {"begin": 2, "end": 2}}),
    ]
    assert issues[1]["description"].startswith("FROM tensorflow/tensorflow:latest-gpu uses the floating tag")
    assert issues[1]["description"].endswith("(ML001 floating-image-tag)")


def test_gitlab_severities():
    reports = [FileReport("Dockerfile", findings=[finding(severity=s, anchor=str(s)) for s in Severity])]
    assert [i["severity"] for i in json.loads(gitlab.render(reports, []))] == ["info", "minor", "major"]


def test_gitlab_fingerprints_unique_per_file_and_stable_across_line_moves(tmp_path):
    write(tmp_path, "a/Dockerfile", BAD)
    write(tmp_path, "b/Dockerfile", BAD)
    _, before = gitlab_for(tmp_path, ".")
    prints = [i["fingerprint"] for i in before]
    assert len(prints) == 4 and len(set(prints)) == 4  # same findings in two files: four distinct issues
    write(tmp_path, "a/Dockerfile", "# comment\n\n" + BAD)
    _, after = gitlab_for(tmp_path, ".")
    assert [i["fingerprint"] for i in after] == prints
    assert [i["location"]["lines"]["begin"] for i in after][:2] == [3, 4]


def test_gitlab_unreadable_input_is_reported(tmp_path):
    write(tmp_path, "Dockerfile", b"\x00\x01")
    result, (issue,) = gitlab_for(tmp_path, "Dockerfile")
    assert result.returncode == 2
    assert (issue["check_name"], issue["severity"]) == ("mllint/input-problem", "critical")
    assert issue["location"] == {"path": "Dockerfile", "lines": {"begin": 1, "end": 1}}


def test_gitlab_empty_report_is_an_empty_list(tmp_path):
    write(tmp_path, "Dockerfile", "FROM python:3.13-slim\n")
    result, issues = gitlab_for(tmp_path, "Dockerfile", "--today", "2026-11-24")
    assert (result.returncode, issues) == (0, [])


@pytest.mark.parametrize("fmt", ["github", "gitlab"])
def test_formats_are_listed_in_help(fmt):
    assert fmt in run_cli("lint", "--help").stdout.decode()
