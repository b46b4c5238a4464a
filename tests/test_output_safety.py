"""User text in findings (messages, paths) cannot forge output structure in any format."""

from __future__ import annotations

import json
import os
import unicodedata

import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from mllint.engine import FileReport
from mllint.findings import Finding
from mllint.report import render
from mllint.report.common import one_line
from mllint.rule import Severity, Span

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HOSTILE = [
    "line one\nline two",
    "carriage\rreturn",
    "crlf\r\nnext",
    "::error file=x.py,line=1::forged",
    "%0A::error::forged",
    "\x1b[2J\x1b[31mred\x1b[0m",
    "bell\x07 nul\x00 del\x7f csi\x9b",
    "next line\x85 line sep\u2028 para sep\u2029",
    "bidi \u202eevil\u202c \u2066x\u2069",
    'quote " backslash \\ brace } <tag>',
]


def finding(message: str, path: str = "Dockerfile") -> Finding:
    return Finding(path=path, rule_id="ML001", rule_name="floating-image-tag", severity=Severity.WARNING,
                   message=message, span=Span(1, 1, 1, 5), help_uri="https://example.com/ML001")


def reports_for(text: str) -> list[FileReport]:
    return [FileReport(text, findings=[finding(text, text)], problems=[f"unknown instruction: {text}"])]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_format_one_line_per_finding_no_control_characters(text):
    out = render("text", reports_for(text), [])
    lines = out.splitlines()
    assert len(lines) == 2  # the finding and the summary
    assert lines[0].startswith(one_line(text) + ":1:1: ML001 warning ")
    assert not any(ch in out for ch in "\x1b\x00\x07\x7f\x9b\r\x85\u2028\u2029\u202e\u2066")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text())
def test_one_line_never_keeps_a_line_break_or_control(text):
    safe = one_line(text)
    assert len(safe.splitlines()) <= 1
    assert not any(unicodedata.category(ch) == "Cc" or ch in BIDI for ch in safe)


@pytest.mark.parametrize("text", HOSTILE)
def test_github_format_cannot_start_or_end_a_command(text):
    out = render("github", reports_for(text), [])
    lines = out.split("\n")[:-1]  # the runner splits on LF (and CR, which is escaped)
    assert len(lines) == 3  # input problem, finding, summary
    assert lines[0].startswith("::error file=") and lines[1].startswith("::warning file=")
    for line in lines[:2]:
        # properties end at the first "::"; the user's text cannot add one before it
        props, sep, message = line[2:].partition("::")
        assert sep and "::" not in props.split(" ", 1)[1]
    assert "\r" not in out


def test_github_escapes_newlines_and_colons_in_message_and_path():
    out = render("github", [FileReport("a::b\nc,d", findings=[finding("x\n::error::y", path="a::b\nc,d")])], [])
    line = out.splitlines()[0]
    assert line.startswith("::warning file=a%3A%3Ab%0Ac%2Cd,line=1,")
    assert line.endswith("::x%0A::error::y")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(), st.text())
def test_json_gitlab_and_sarif_stay_valid_json(message, path):
    reports = [FileReport(path or "p", findings=[finding(message, path or "p")], problems=[message])]
    for fmt in ("json", "gitlab", "sarif"):
        data = json.loads(render(fmt, reports, [], warn=lambda _m: None))
        assert data
    data = json.loads(render("json", reports, []))
    assert data["findings"][0]["message"] == message and data["errors"][0]["message"] == message


@pytest.mark.skipif(os.name == "nt", reason="file names with newlines")
def test_cli_quotes_hostile_file_names_and_instructions(tmp_path):
    """End to end: a file name with a newline and '::', an instruction with an escape sequence."""
    folder = tmp_path / "evil\n::error file=x::forged"
    folder.mkdir()
    path = folder / "Dockerfile"
    path.write_bytes(b"FROM tensorflow/tensorflow:latest-gpu\nFOO\x1b[2J bar\n")
    result = run_cli("--no-color", str(path))
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 2
    assert "\x1b" not in out + err
    assert len(err.splitlines()) == 1 and "unknown instruction: FOO\\x1b[2J" in err
    assert [line for line in out.splitlines() if line.startswith("::")] == []
    assert len(out.splitlines()) == 2 and "\\n::error file=x::forged/Dockerfile:1:1: ML001" in out
    github = run_cli("-f", "github", str(path)).stdout.decode().splitlines()
    assert len(github) == 3 and all(line.startswith(("::error ", "::warning ", "mllint: ")) for line in github)
