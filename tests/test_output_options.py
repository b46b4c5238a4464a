"""What a person sees: every format locates findings alike, unreadable inputs are named, --show-source,
--statistics, --quiet, --exit-zero, and `mllint` without paths."""

from __future__ import annotations

import json
import re

import pytest
from conftest import FIXTURES, run_cli, workspace_with
from test_integrations_formats import parse_command

from mllint.cli import FORMATS

BAD = "FROM tensorflow/tensorflow:latest-gpu\nRUN pip install keras==3.3.3\n"
CLEAN = "FROM python:3.13-slim\nRUN pip install --no-cache-dir numpy==2.1.3\n"
EXAMPLE = FIXTURES / "examples" / "python-slim"


def _locations(fmt: str, out: str) -> list[tuple[str, int]]:
    """(path, line) of each finding of the unpinned-ml-package rule, read the way each consumer reads it."""
    if fmt == "text":
        return [(m[1], int(m[2])) for m in re.finditer(r"^(\S+):(\d+):\d+: ML002 ", out, re.M)]
    if fmt == "json":
        return [(f["path"], f["line"]) for f in json.loads(out)["findings"] if f["rule_id"] == "ML002"]
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        return [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                 r["locations"][0]["physicalLocation"]["region"]["startLine"])
                for r in results if r["ruleId"] == "ML002"]
    if fmt == "github":
        commands = [parse_command(line) for line in out.splitlines()]
        return [(props["file"], int(props["line"])) for c in commands if c for _, props, _ in [c]
                if props.get("title", "").startswith("ML002 ")]
    assert fmt == "gitlab"
    return [(i["location"]["path"], i["location"]["lines"]["begin"]) for i in json.loads(out)
            if i["check_name"] == "ML002"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_locates_a_dependency_file_finding_in_that_file(fmt):
    result = run_cli("--format", fmt, "--no-show-source", "Dockerfile", cwd=EXAMPLE)
    assert result.returncode == 1, result.stderr
    # `torch>=2.0` is line 3 of requirements.txt; the Dockerfile's line 3 is blank
    assert ("requirements.txt", 3) in _locations(fmt, result.stdout.decode())
    assert all(path == "requirements.txt" for path, _ in _locations(fmt, result.stdout.decode()))
    assert (EXAMPLE / "requirements.txt").read_text().splitlines()[2] == "torch>=2.0"


def test_formats_cover_every_reporter():
    from mllint.report import FORMATS as REPORTERS

    assert set(FORMATS) == set(REPORTERS)


# --------------------------------------------------------------------------- inputs that cannot be read


def test_a_missing_input_is_named_not_counted_and_the_others_are_linted(tmp_path):
    workspace_with(tmp_path, {"Dockerfile": BAD})
    result = run_cli("--no-show-source", "Dockerfile.gpu", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode() == "mllint: cannot read Dockerfile.gpu: no such file\n"
    lines = result.stdout.decode().splitlines()
    assert lines[0].startswith("Dockerfile:1:1: ML001 ")
    assert lines[-1] == "2 findings (2 warnings): 1 file linted, 1 could not be read."


def test_only_missing_inputs(tmp_path):
    result = run_cli("Dockerfile.gpu", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout.decode() == "No findings: 0 files linted, 1 could not be read.\n"
    summary = json.loads(run_cli("--format", "json", "Dockerfile.gpu", cwd=tmp_path).stdout)["summary"]
    assert (summary["files"], summary["not_linted"]) == (0, 1)


def test_unparsable_and_unreadable_inputs_are_told_apart(tmp_path):
    workspace_with(tmp_path, {"empty/Dockerfile": "", "bin/Dockerfile": b"\x00\x01FROM x", "Dockerfile": CLEAN})
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 2
    assert "mllint: cannot read bin/Dockerfile: binary file" in result.stderr.decode()
    assert "mllint: empty/Dockerfile: no instructions" in result.stderr.decode()
    assert result.stdout.decode().splitlines()[-1] == ("No findings: 1 file linted, 1 could not be read, "
                                                       "1 could not be parsed.")


# --------------------------------------------------------------------------- no path


def test_no_path_lints_the_current_directory_recursively_and_says_how_many(tmp_path):
    workspace_with(tmp_path, {"Dockerfile": CLEAN, "docker/gpu.Dockerfile": BAD, "docker/README.md": "x",
                              ".venv/lib/Dockerfile": BAD, "legacy/Dockerfile": BAD,
                              ".mllint.yaml": "exclude: [legacy]\n"})
    result = run_cli("--no-show-source", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.decode() == ("mllint: no path given: linting the 2 Dockerfiles found below the current "
                                      "directory (1 more excluded by the configuration).\n")
    out = result.stdout.decode()
    assert "docker/gpu.Dockerfile:1:1: ML001" in out and out.splitlines()[-1].endswith("in 2 files.")
    assert run_cli("--quiet", cwd=tmp_path).stderr == b""


def test_no_path_and_no_dockerfile(tmp_path):
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 2
    assert "linting the 0 Dockerfiles" in result.stderr.decode()
    assert "mllint: .: no Dockerfiles found in this directory" in result.stderr.decode()


# --------------------------------------------------------------------------- --quiet, --exit-zero, --statistics


def test_quiet_prints_findings_only(tmp_path):
    workspace_with(tmp_path, {"Dockerfile": BAD})
    result = run_cli("--quiet", "--no-show-source", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 1 and len(result.stdout.decode().splitlines()) == 2
    assert not run_cli("-q", "Dockerfile", "--format", "github", cwd=tmp_path).stdout.decode().count("mllint:")
    clean = workspace_with(tmp_path / "clean", {"Dockerfile": CLEAN})
    assert run_cli("-q", "Dockerfile", cwd=clean).stdout == b""


def test_exit_zero_keeps_findings_but_not_input_problems(tmp_path):
    workspace_with(tmp_path, {"Dockerfile": BAD})
    result = run_cli("--exit-zero", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 0 and b"ML001" in result.stdout
    assert run_cli("--exit-zero", "Dockerfile", "missing", cwd=tmp_path).returncode == 2


def test_statistics_counts_per_rule(tmp_path):
    workspace_with(tmp_path, {"a/Dockerfile": BAD, "b/Dockerfile": BAD, "c/Dockerfile": CLEAN})
    result = run_cli("--statistics", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.decode() == ("2  ML001  floating-image-tag\n2  ML003  pip-cache-not-disabled\n"
                                      "4 findings (4 warnings) in 3 files.\n")
    refused = run_cli("--statistics", "--format", "json", ".", cwd=tmp_path)
    assert refused.returncode == 2 and "--statistics" in refused.stderr.decode()


# --------------------------------------------------------------------------- --show-source


def test_show_source_puts_the_message_first_and_underlines_the_span(tmp_path):
    workspace_with(tmp_path, {"Dockerfile": "FROM python:3.13-slim\nRUN pip install keras==3.3.3 \\\n"
                                            "    && echo done\n"})
    out = run_cli("--show-source", "Dockerfile", cwd=tmp_path).stdout.decode()
    block = out.split("\n\n")[0].splitlines()
    assert block[0].startswith("ML003 warning: `pip install` keeps a compressed copy of the keras wheels")
    assert all(len(line) <= 100 for line in block)  # wrapped: no run-on lines
    at = block.index(" --> Dockerfile:2:5")
    assert block[at + 2] == "2 | RUN pip install keras==3.3.3 \\"
    assert block[at + 3] == "  |     " + "^" * len("pip install keras==3.3.3")  # not the continuation mark
    assert "  = fix: " in out and "  = rule: pip-cache-not-disabled; `mllint explain ML003`" in out
    assert out.splitlines()[-1] == "1 finding (1 warning) in 1 file."


def test_show_source_marks_a_span_that_goes_on():
    from mllint.engine import FileReport
    from mllint.findings import Finding
    from mllint.report import render
    from mllint.report.text import Layout
    from mllint.rule import Severity, Span

    finding = Finding(path="Dockerfile", rule_id="ML001", rule_name="floating-image-tag", severity=Severity.ERROR,
                      message="m", span=Span(2, 1, 3, 9), help_uri="")
    report = FileReport("Dockerfile", findings=[finding], text="FROM a\nRUN x \\\n  && y\n")
    out = render("text", [report], [], layout=Layout(source=True, width=40))
    assert "2 | RUN x \\\n  | ^^^^^\n  | ... (to line 3)\n" in out


def test_show_source_quotes_the_dependency_file():
    out = run_cli("--show-source", "Dockerfile", cwd=EXAMPLE).stdout.decode()
    assert " --> requirements.txt:3:1\n  |\n3 | torch>=2.0\n  | ^^^^^^^^^^\n" in out


def test_piped_output_is_one_line_per_finding_by_default(tmp_path):
    workspace_with(tmp_path, {"Dockerfile": BAD})
    lines = run_cli("Dockerfile", cwd=tmp_path).stdout.decode().splitlines()
    assert len(lines) == 3 and lines[0].startswith("Dockerfile:1:1: ML001 warning ")


def test_show_source_is_the_default_on_a_terminal(tmp_path):
    """Run under a pseudo-terminal, as a person at a shell would."""
    import os
    import pty
    import subprocess
    import sys

    from conftest import SESSION_CACHE

    workspace_with(tmp_path, {"Dockerfile": BAD})
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLLINT_")}
    env.update({"NO_COLOR": "1", "XDG_CACHE_HOME": SESSION_CACHE, "COLUMNS": "60"})
    proc = subprocess.run([sys.executable, "-m", "mllint", "Dockerfile"], cwd=tmp_path, stdout=follower,
                          stderr=subprocess.PIPE, env=env, timeout=120)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    out = b"".join(chunks).decode().replace("\r\n", "\n")
    assert proc.returncode == 1
    assert out.startswith("ML001 warning: ") and " --> Dockerfile:1:1" in out
    assert max(len(line) for line in out.splitlines()) <= 60


# --------------------------------------------------------------------------- stdin and its build context


def test_stdin_reads_the_context_of_its_stdin_filename():
    text = (EXAMPLE / "Dockerfile").read_text()
    named = run_cli("--no-show-source", "--stdin-filename", str(EXAMPLE / "Dockerfile"), "-", input=text)
    assert f"{EXAMPLE / 'requirements.txt'}:3:1: ML002 " in named.stdout.decode()


def test_stdin_without_a_context_says_so_once():
    out = run_cli("--no-show-source", "--select", "ML014", "-", input=(EXAMPLE / "Dockerfile").read_text())
    out = out.stdout.decode()
    (line,) = [line for line in out.splitlines() if " ML014 " in line]
    assert line.count("--context") == 1, line


# --------------------------------------------------------------------------- dependency files as inputs


REQUIRING = ("FROM python:3.12-slim\nWORKDIR /srv\nCOPY requirements.txt .\n"
             "RUN pip install -r requirements.txt\n")  # ML003 on the RUN, which --fix can fix


def test_a_requirements_file_is_linted_through_the_dockerfiles_that_read_it(tmp_path):
    workspace_with(tmp_path, {".git/HEAD": "", "svc/Dockerfile": REQUIRING,
                              "svc/requirements.txt": "numpy==2.1.3\ntorch>=2.0\n",
                              "other/Dockerfile": CLEAN, "other/requirements.txt": "torch\n"})
    result = run_cli("--no-show-source", "requirements.txt", cwd=tmp_path / "svc")
    assert result.returncode == 1
    assert result.stdout.decode().splitlines() == [
        "requirements.txt:2:1: ML002 warning `torch` is installed without an exact version (`torch>=2.0`), so each "
        "build can resolve a newer release, which can bring a different CUDA build and a higher driver "
        "requirement; pin it, e.g. `torch==<version>`. [unpinned-ml-package]",
        "1 finding (1 warning) in 1 file."]  # the Dockerfile's own ML003 is not this file's
    unread = run_cli("--no-show-source", "other/requirements.txt", cwd=tmp_path)
    assert unread.returncode == 0
    assert unread.stderr.decode() == ("mllint: other/requirements.txt: no Dockerfile below . reads it (through COPY "
                                      "and an install); nothing to lint\n")


def test_fix_never_writes_a_dockerfile_that_was_not_given(tmp_path):
    workspace_with(tmp_path, {".git/HEAD": "", "Dockerfile": REQUIRING, "requirements.txt": "torch>=2.0\n"})
    result = run_cli("--fix", "requirements.txt", cwd=tmp_path)
    assert result.returncode == 1 and b"requirements.txt:1:1: ML002" in result.stdout
    assert (tmp_path / "Dockerfile").read_text() == REQUIRING


def test_gitlab_tells_apart_two_dockerfiles_reading_one_file(tmp_path):
    workspace_with(tmp_path, {"a.Dockerfile": REQUIRING.replace("RUN pip", "RUN pip"),
                              "b.Dockerfile": REQUIRING.replace("python:3.12-slim", "python:3.11-slim"),
                              "requirements.txt": "torch>=2.0\n"})
    issues = json.loads(run_cli("--format", "gitlab", "a.Dockerfile", "b.Dockerfile", cwd=tmp_path).stdout)
    torch = [i for i in issues if i["check_name"] == "ML002"]
    assert [i["location"]["path"] for i in torch] == ["requirements.txt", "requirements.txt"]
    assert len({i["fingerprint"] for i in issues}) == len(issues)
