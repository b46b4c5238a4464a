"""Hostile input never crashes mllint: arbitrary text and bytes, mutated corpus files.

Every input ends in findings or in problems (exit 2), and every reporter turns the
result into well-formed output. A rule exception caught by the engine counts as a
crash here: it hides findings.
"""

from __future__ import annotations

import json
import sys

import pytest
from conftest import CORPUS, ROOT, TODAY, needs_shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(ROOT / "bench"))
import mutate  # noqa: E402

from mllint.engine import FileReport, Linter  # noqa: E402
from mllint.plugins import collect_rules, plugin_manager  # noqa: E402
from mllint.report import render  # noqa: E402
from mllint.sources import decode  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
LINTER = Linter(collect_rules(plugin_manager(entry_points=False)), today=TODAY)

# Pieces of Dockerfiles, so generated text reaches the parser's and the rules' deeper paths.
TOKENS = [
    "FROM ", "FROM python:3.11 AS a", "FROM a", "FROM nvidia/cuda:12.1.0-base-ubuntu22.04", "FROM ${IMG}",
    "RUN ", "RUN pip install torch==2.4.1", "RUN pip install -r requirements.txt", "RUN conda install -y x",
    "RUN apt-get install -y curl", "RUN uv pip install", "ARG ", "ARG A=1", "ENV ", "ENV X=${X:-y}",
    "COPY ", "ADD ", "ONBUILD ", "SHELL ", "CMD ", "LABEL a=b", "WORKDIR /x", "USER 0", "HEALTHCHECK ",
    "# escape=`", "# syntax=docker/dockerfile:1", "# check=skip=all", "# mllint: ignore=", "# mllint: ignore-file=",
    "<<EOF", "<<-EOT", "<<'Q'", "EOF", "\tEOT", "Q", "\\", "`", "\\\\", "'", '"', "$", "${", "}", ":-", ":+", ":?",
    "$(", ")", "[", "]", '["', '"]', ",", "=", "==", ">=", "~=", "@", "--mount=type=cache,target=/root/.cache/pip",
    "--index-url", "--extra-index-url http://x", "--no-cache-dir", "&&", "||", ";", "|", "&", ">", "<", "#",
    " ", "  ", "\t", "\n", "\n", "\n", "\r\n", "\x00", "\x1b[31m", "\u2028", "é", "torch", "tensorflow", "cu118",
    "+cu121", "--index-url https://download.pytorch.org/whl/cu118", "-e .", "git+https://x", "1.2.3",
]
dockerish = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


def _check_report(report: FileReport) -> None:
    assert not [p for p in report.problems if " crashed: " in p], report.problems
    assert report.findings or report.problems or not report.fatal
    for fmt in ("text", "github"):
        render(fmt, [report], LINTER.rules)
    for fmt in ("json", "sarif", "gitlab"):
        json.loads(render(fmt, [report], LINTER.rules, warn=lambda _m: None))


def _lint_bytes(data: bytes) -> FileReport:
    source = decode(data, "Dockerfile")
    if source.text is None:
        assert source.problem and "\n" not in source.problem
        return FileReport(source.path, problems=[source.problem], fatal=True)
    return LINTER.lint_text(source.text, source.path)


@SETTINGS
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text):
    _check_report(LINTER.lint_text(text, "Dockerfile"))


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data):
    _check_report(_lint_bytes(data))


@SETTINGS
@given(dockerish)
def test_dockerfile_like_text_never_crashes(text):
    _check_report(LINTER.lint_text(text, "Dockerfile"))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(dockerish)
def test_cli_ends_in_findings_or_one_line_per_problem(text):
    """Through the real command line (in-process): exit 0/1/2, no traceback, every stderr line ours."""
    from click.testing import CliRunner

    from mllint.cli import main

    result = CliRunner().invoke(main, ["--no-config", "--today", TODAY.isoformat(), "-f", "json", "-"],
                                input=text.encode("utf-8", "surrogatepass"))
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    stderr = result.stderr if hasattr(result, "stderr") else ""
    assert "Traceback" not in stderr
    assert all(line.startswith("mllint: ") for line in stderr.splitlines())
    json.loads(result.stdout)


@needs_shared
def test_mutated_corpus_never_crashes():
    """A bounded, seeded run of the mutation harness (bench/mutate.py runs the long one)."""
    files = mutate.corpus_inputs(CORPUS)
    if not files:
        pytest.skip("no corpus files under ../shared/corpus")
    result = mutate.run(files, mutants=400, seed=20260101, linter=LINTER)
    assert [(c["file"], c["mutations"], c["error"]) for c in result["crashes"]] == []
    assert len(result["mutations"]) == len(mutate.MUTATIONS)  # every kind of damage was tried
