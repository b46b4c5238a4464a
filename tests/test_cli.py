"""The command line as a user meets it: formats, exit codes, discovery and bad input."""

from __future__ import annotations

import json
import os
import sys

import pytest
from conftest import FIXTURES, run_cli

FLOATING = "FROM tensorflow/tensorflow:latest-gpu\nRUN pip install --no-cache-dir keras==3.3.3\n"
CLEAN = "FROM python:3.11-slim\nRUN pip install --no-cache-dir numpy==1.26.4\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_text_format_one_line_per_finding_and_summary(tmp_path):
    path = write(tmp_path, "Dockerfile", FLOATING)
    result = run_cli(str(path))
    out = result.stdout.decode().splitlines()
    assert result.returncode == 1
    assert out[0] == (
        f"{path}:1:1: ML001 warning FROM tensorflow/tensorflow:latest-gpu uses the floating tag `latest-gpu`, "
        "which is re-pointed at new releases: rebuilds can silently change the framework, CUDA or Python "
        "version; pin a versioned tag or a digest (tensorflow/tensorflow@sha256:...). [floating-image-tag]"
    )
    assert out[-1] == "1 finding (1 warning) in 1 file."


def test_clean_file_exits_zero(tmp_path):
    result = run_cli(str(write(tmp_path, "Dockerfile", CLEAN)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == "No findings in 1 file."


def test_python_dash_m_and_console_script_agree(tmp_path):
    path = write(tmp_path, "Dockerfile", FLOATING)
    script = os.path.join(os.path.dirname(sys.executable), "mllint")
    if not os.path.exists(script):
        pytest.skip("console script not installed in this environment")
    import subprocess
    via_script = subprocess.run([script, "--no-color", str(path)], capture_output=True)
    assert via_script.stdout == run_cli(str(path)).stdout


def test_json_format_schema(tmp_path):
    path = write(tmp_path, "Dockerfile", FLOATING)
    result = run_cli("--format", "json", str(path))
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    (finding,) = data["findings"]
    assert set(finding) == {"path", "line", "column", "end_line", "end_column", "rule_id", "rule_name",
                            "severity", "message", "help_url", "fix", "fingerprint"}
    assert (finding["rule_id"], finding["rule_name"], finding["severity"]) == ("ML001", "floating-image-tag", "warning")
    assert finding["help_url"].endswith("ML001-floating-image-tag.md")
    assert data["summary"] == {"files": 1, "error": 0, "warning": 1, "info": 0}


def test_failure_threshold(tmp_path):
    path = str(write(tmp_path, "Dockerfile", FLOATING))
    assert run_cli("--failure-threshold", "error", path).returncode == 0
    assert run_cli("--failure-threshold", "info", path).returncode == 1
    assert run_cli("--failure-threshold", "none", path).returncode == 0


def test_select_and_ignore_by_id_or_name(tmp_path):
    path = str(write(tmp_path, "Dockerfile", "FROM python\nRUN pip install torch==2.4.1\n"))
    ids = lambda r: {f["rule_id"] for f in json.loads(r.stdout)["findings"]}  # noqa: E731
    assert ids(run_cli("-f", "json", path)) == {"ML001", "ML003"}
    assert ids(run_cli("-f", "json", "--ignore", "floating-image-tag", path)) == {"ML003"}
    assert ids(run_cli("-f", "json", "--select", "ML001", path)) == {"ML001"}
    assert ids(run_cli("-f", "json", "--select", "ml001,pip-cache-not-disabled", "--ignore", "ML003", path)) == {"ML001"}


def test_unknown_rule_is_a_usage_error(tmp_path):
    result = run_cli("--select", "no-such-rule", str(write(tmp_path, "Dockerfile", CLEAN)))
    assert result.returncode == 2
    assert "unknown rule 'no-such-rule'" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_output_file(tmp_path):
    path = write(tmp_path, "Dockerfile", FLOATING)
    out = tmp_path / "report.json"
    result = run_cli("-f", "json", "-o", str(out), str(path))
    assert result.returncode == 1 and result.stdout == b""
    assert json.loads(out.read_text())["findings"][0]["rule_id"] == "ML001"


def test_stdin_with_filename():
    result = run_cli("-", "--stdin-filename", "docker/Dockerfile.gpu", input=FLOATING)
    assert result.stdout.decode().startswith("docker/Dockerfile.gpu:1:1: ML001 ")


def test_directory_discovery(tmp_path):
    for name in ["Dockerfile", "Containerfile", "svc.Dockerfile", "x.dockerfile", "Dockerfile.gpu",
                 "Containerfile.dev", "sub/Dockerfile", "Dockerfile-triton"]:
        write(tmp_path, name, FLOATING)
    for skipped in [".git/Dockerfile", "node_modules/a/Dockerfile", "venv/Dockerfile", "env/pyvenv.cfg",
                    "env/Dockerfile", "Dockerfile.dockerignore", "README.md"]:
        write(tmp_path, skipped, FLOATING)
    result = run_cli("-f", "json", str(tmp_path))
    paths = {os.path.relpath(f["path"], tmp_path) for f in json.loads(result.stdout)["findings"]}
    assert paths == {"Dockerfile", "Containerfile", "svc.Dockerfile", "x.dockerfile", "Dockerfile.gpu",
                     "Containerfile.dev", os.path.join("sub", "Dockerfile"), "Dockerfile-triton"}


def test_no_path_means_current_directory(tmp_path):
    write(tmp_path, "Dockerfile", FLOATING)
    result = run_cli(cwd=tmp_path)
    assert result.stdout.decode().startswith("Dockerfile:1:1: ML001")


def test_colour_only_when_asked_or_on_a_terminal(tmp_path):
    path = str(write(tmp_path, "Dockerfile", FLOATING))
    assert b"\x1b[" not in run_cli(path).stdout
    assert b"\x1b[" in run_cli("--color", path).stdout
    assert b"\x1b[" in run_cli("--color", path, env={"NO_COLOR": "1"}).stdout  # an explicit flag wins
    assert b"\x1b[" not in run_cli("--no-color", path).stdout


def test_version_and_help():
    assert run_cli("--version").stdout.decode().startswith("mllint ")
    help_text = run_cli("--help").stdout.decode()
    assert "Examples:" in help_text and "Exit codes" in help_text
    assert "--failure-threshold" in run_cli("lint", "--help").stdout.decode()


BAD_INPUTS = {
    "binary": (b"\x7fELF\x00\x00\x01binary", "binary file"),
    "latin1": (b"FROM python:3.11\n# caf\xe9\n", "not valid UTF-8"),
    "empty": (b"", "no instructions"),
    "heredoc": (b"FROM a\nRUN <<EOF\necho\n", "unterminated heredoc"),
    "unknown": (b"FROM python:3.11\nFOO bar\n", "unknown instruction: FOO"),
    "huge": (b"# " + b"x" * (10 * 1024 * 1024) + b"\nFROM a\n", "file too large"),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_one_clear_line_and_exit_2(tmp_path, kind):
    data, expected = BAD_INPUTS[kind]
    bad = tmp_path / f"{kind}.Dockerfile"
    bad.write_bytes(data)
    good = write(tmp_path, "good/Dockerfile", FLOATING)
    result = run_cli(str(bad), str(good))
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line]
    assert len(lines) == 1 and str(bad) in lines[0] and expected in lines[0], stderr
    assert "ML001" in result.stdout.decode()  # the good file was still linted


def test_missing_path_and_directory_without_dockerfiles(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli(str(tmp_path / "nope"), str(tmp_path / "empty"))
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert "mllint: cannot read" in stderr and "nope: no such file\n" in stderr and "no Dockerfiles found" in stderr
    assert "Traceback" not in stderr


def test_permission_denied(tmp_path, monkeypatch):
    """In-process, because the test suite may run as root, who can read anything."""
    from click.testing import CliRunner

    from mllint import sources
    from mllint.cli import main

    def deny(*_a, **_k):
        raise PermissionError(13, "Permission denied")

    locked = write(tmp_path, "locked/Dockerfile", CLEAN)
    good = write(tmp_path, "good/Dockerfile", FLOATING)
    real_open = open
    monkeypatch.setattr(sources, "open", lambda p, *a, **k: deny() if str(p) == str(locked) else real_open(p, *a, **k),
                        raising=False)
    result = CliRunner().invoke(main, [str(locked), str(good)])
    assert result.exit_code == 2
    assert f"mllint: cannot read {locked}: permission denied" in result.output
    assert "ML001" in result.output


def test_parse_command_prints_the_model(tmp_path):
    path = write(tmp_path, "Dockerfile", "ARG V=3.11\nFROM python:${V}-slim AS base\nRUN --mount=type=cache,target=/root/.cache/pip \\\n    pip install torch==2.4.1\nFROM base AS app\n")
    result = run_cli("parse", str(path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["name"] for s in data["stages"]] == ["base", "app"]
    assert data["stages"][0]["resolved"] == "python:3.11-slim"
    assert data["stages"][1]["parent"] == 0
    run = data["instructions"][2]
    assert run["instruction"] == "RUN" and (run["start_line"], run["end_line"]) == (3, 4)
    assert run["flags"] == ["--mount=type=cache,target=/root/.cache/pip"]
    assert run["value"] == "pip install torch==2.4.1"
    assert run["installs"][0]["requirements"][0]["name"] == "torch"


def test_parse_command_reports_syntax_errors(tmp_path):
    result = run_cli("parse", str(write(tmp_path, "Dockerfile", "FROM a\nRUN <<EOF\n")))
    assert result.returncode == 2 and "unterminated heredoc" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_example_fixtures_exist():
    assert (FIXTURES / "examples" / "cuda-base" / "Dockerfile").is_file()
