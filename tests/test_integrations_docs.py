"""Every snippet in docs/integrations.md is exercised.

Each fenced block there is preceded by ``<!-- snippet: NAME -->``; EXERCISED says which test runs it.
The shell snippets and the GitLab job's script run here against a fixture; the GitHub workflows run in
test_action.py and the pre-commit configuration in test_precommit.py.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, workspace_with
from ruamel.yaml import YAML

from mllint import __version__
from mllint.rule import PROJECT_URL

DOC = ROOT / "docs" / "integrations.md"
_SNIPPET = re.compile(r"<!-- snippet: ([\w-]+) -->\n```(\w+)\n(.*?)^```$", re.S | re.M)
_PIP_INSTALL = re.compile(r'^pip install (--quiet )?"mllint-docker==([^"]+)"$')

EXERCISED = {
    "pre-commit-config": "test_precommit::test_docs_config_runs",
    "github-workflow-sarif": "test_action::test_docs_sarif_workflow_runs",
    "github-workflow-annotations": "test_action::test_docs_annotation_workflow_runs",
    "gitlab-ci": "test_integrations_docs::test_gitlab_job_runs",
    "plain-ci": "test_integrations_docs::test_plain_ci_runs",
    "exit-codes": "test_integrations_docs::test_exit_code_script_runs",
    "docker": "test_container::test_docs_docker_commands_run",
}

BAD = "FROM tensorflow/tensorflow:latest-gpu\nRUN pip install --no-cache-dir keras==3.3.3\n"
CLEAN = "FROM python:3.13-slim\nRUN pip install --no-cache-dir numpy==2.1.3\n"
SECRET = "FROM python:3.13-slim\nENV HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz123456\n"


def snippets() -> dict[str, tuple[str, str]]:
    """name -> (fence language, text)."""
    return {name: (lang, body) for name, lang, body in _SNIPPET.findall(DOC.read_text(encoding="utf-8"))}


def snippet(name: str) -> str:
    return snippets()[name][1]


def run_lines(lines: list[str], workspace: Path) -> subprocess.CompletedProcess:
    """Run shell lines as a CI job does (stop at the first failing command), with this checkout's mllint
    on PATH in place of the `pip install` line, whose package and version are checked instead."""
    kept = []
    for line in lines:
        match = _PIP_INSTALL.match(line)
        if match:
            assert match.group(2) == __version__, line
            continue
        assert not line.startswith("pip"), f"unexpected install line {line!r}"
        kept.append(line)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", "\n".join(kept)],
                          cwd=workspace, env=env, capture_output=True, text=True, timeout=120)


def test_every_snippet_is_marked_and_exercised():
    text = DOC.read_text(encoding="utf-8")
    found = snippets()
    assert len(re.findall(r"^```", text, re.M)) == 2 * len(found), "a fenced block without a snippet marker"
    assert set(found) == set(EXERCISED)
    for where in EXERCISED.values():
        module, test = where.split("::")
        assert callable(getattr(importlib.import_module(module), test)), where


def test_yaml_snippets_parse_and_name_this_release():
    for name, (lang, text) in snippets().items():
        if lang == "yaml":
            assert YAML(typ="safe").load(text), name
    config = YAML(typ="safe").load(snippet("pre-commit-config"))
    (repo,) = config["repos"]
    assert (repo["repo"], repo["rev"]) == (PROJECT_URL, f"v{__version__}")
    hooks = {hook["id"] for hook in YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert {hook["id"] for hook in repo["hooks"]} <= hooks


def test_gitlab_job_runs(tmp_path):
    (job,) = YAML(typ="safe").load(snippet("gitlab-ci")).values()
    report_name = job["artifacts"]["reports"]["codequality"]
    assert job["artifacts"]["when"] == "always"
    assert f"--format gitlab --output {report_name}" in job["script"][-1]
    workspace = workspace_with(tmp_path, {"docker/Dockerfile": BAD, "Dockerfile": CLEAN})
    result = run_lines(job["script"], workspace)
    assert result.returncode == 1, result.stderr  # the finding fails the job; the report is still written
    (issue,) = json.loads((workspace / report_name).read_text())
    assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert issue["location"] == {"path": "docker/Dockerfile", "lines": {"begin": 1, "end": 1}}
    assert (issue["check_name"], issue["severity"]) == ("ML001", "minor")


def test_plain_ci_runs(tmp_path):
    workspace = workspace_with(tmp_path, {"Dockerfile": BAD})
    result = run_lines(snippet("plain-ci").splitlines(), workspace)
    assert result.returncode == 1
    report = json.loads((workspace / "mllint.json").read_text())
    assert [f["rule_id"] for f in report["findings"]] == ["ML001"]


@pytest.mark.parametrize("files,status,said", [
    ({"Dockerfile": BAD}, 0, "mllint: no errors"),  # warnings only, below --failure-threshold error
    ({"Dockerfile": SECRET}, 1, "mllint: errors found"),
    ({"Dockerfile": CLEAN, "broken.Dockerfile": b"\x00\x01"}, 2, "mllint: usage error, or an input could not"),
], ids=["warnings", "errors", "unreadable"])
def test_exit_code_script_runs(tmp_path, files, status, said):
    result = run_lines(snippet("exit-codes").splitlines(), workspace_with(tmp_path, files))
    assert result.returncode == status, result.stderr
    assert said in result.stdout
