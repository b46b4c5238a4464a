"""The GitHub Action (action.yml): its structure, and its shell step run the way the runner runs it.

The step installs mllint from the action's own directory (here the checkout) into a virtual
environment under RUNNER_TEMP; that install needs PyPI and is done once for the module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, workspace_with
from ruamel.yaml import YAML

from mllint.cli import FORMATS
from mllint.rule import PROJECT_URL

BAD = "FROM tensorflow/tensorflow:latest-gpu\nRUN pip install --no-cache-dir keras==3.3.3\n"
CLEAN = "FROM python:3.13-slim\nRUN pip install --no-cache-dir numpy==2.1.3\n"
_EXPRESSION = re.compile(r"\$\{\{ inputs\.([A-Za-z0-9_-]+) \}\}")


def load_yaml(text: str):
    return YAML(typ="safe").load(text)


ACTION = load_yaml((ROOT / "action.yml").read_text(encoding="utf-8"))
(STEP,) = ACTION["runs"]["steps"]


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory) -> Path:
    """RUNNER_TEMP for the whole module, so that mllint is installed once."""
    return tmp_path_factory.mktemp("runner-temp")


def run_action(inputs: dict, workspace: Path, runner_temp: Path) -> subprocess.CompletedProcess:
    """Run the action's step as GitHub does: inputs (defaults filled in) into the step's env, then
    ``bash --noprofile --norc -eo pipefail`` on the script, in the workspace."""
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    unknown = set(inputs) - set(values)
    assert not unknown, f"not inputs of the action: {unknown}"
    values.update({name: str(value) for name, value in inputs.items()})
    env = {name: _EXPRESSION.sub(lambda m: values[m.group(1)], expr) for name, expr in STEP["env"].items()}
    script = runner_temp / "step.sh"
    script.write_text(STEP["run"], encoding="utf-8")
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MLLINT_")},
        **env,
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_TEMP": str(runner_temp),
        "PIP_CACHE_DIR": str(runner_temp / "pip-cache"),
        "XDG_CACHE_HOME": str(runner_temp / "cache"),
        "NO_COLOR": "1",
    }
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                          env=full_env, capture_output=True, text=True, timeout=900)


def test_action_structure():
    assert ACTION["name"] == "mllint" and ACTION["description"] and ACTION["branding"]
    inputs = ACTION["inputs"]
    assert set(inputs) == {"paths", "format", "output", "failure-threshold", "config"}
    for spec in inputs.values():
        assert spec["description"] and spec["required"] is False and isinstance(spec["default"], str)
    assert inputs["paths"]["default"] == "." and inputs["format"]["default"] == "github"
    for fmt in FORMATS:
        assert fmt in inputs["format"]["description"]
    assert ACTION["runs"]["using"] == "composite"
    assert STEP["shell"] == "bash"
    # inputs reach the script through the environment only: an expression in `run` would be pasted
    # into the shell code (script injection)
    assert "${{" not in STEP["run"]
    assert STEP["env"] == {f"MLLINT_{name.upper().replace('-', '_')}": f"${{{{ inputs.{name} }}}}"
                           for name in inputs}
    assert '"$GITHUB_ACTION_PATH"' in STEP["run"]


def test_defaults_annotate_findings_and_fail(tmp_path, runner_temp):
    workspace = workspace_with(tmp_path, {"docker/Dockerfile": BAD, "clean/Dockerfile": CLEAN})
    result = run_action({}, workspace, runner_temp)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("::warning file=docker/Dockerfile,line=1,endLine=1,col=1,endColumn=38,"
                               "title=ML001 floating-image-tag::FROM tensorflow/tensorflow:latest-gpu uses")
    assert lines[-1] == "mllint: 1 finding (1 warning) in 2 files."
    (installed,) = runner_temp.glob("mllint-action-*/bin/mllint")
    assert installed.is_file()


def test_inputs_reach_mllint(tmp_path, runner_temp):
    workspace = workspace_with(tmp_path, {"docker/gpu.Dockerfile": BAD, "docker/clean/Dockerfile": CLEAN,
                                          "other/Dockerfile": BAD})
    inputs = {"paths": "docker/gpu.Dockerfile\ndocker/clean", "format": "json", "output": "report.json",
              "failure-threshold": "error"}
    result = run_action(inputs, workspace, runner_temp)
    assert result.returncode == 0, result.stderr  # only a warning, below the threshold
    assert result.stdout == ""
    report = json.loads((workspace / "report.json").read_text())
    assert report["summary"]["files"] == 2
    assert [(f["path"], f["rule_id"]) for f in report["findings"]] == [("docker/gpu.Dockerfile", "ML001")]


def test_config_is_passed_only_when_set(tmp_path, runner_temp):
    workspace = workspace_with(tmp_path, {"Dockerfile": BAD, "ci/mllint.yaml": "ignore: [floating-image-tag]\n"})
    assert run_action({"format": "text"}, workspace, runner_temp).returncode == 1
    result = run_action({"format": "text", "config": "ci/mllint.yaml"}, workspace, runner_temp)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "No findings in 1 file.\n"


def test_inputs_cannot_inject_shell_code(tmp_path, runner_temp):
    workspace = workspace_with(tmp_path, {"Dockerfile": CLEAN})
    result = run_action({"paths": "Dockerfile $(touch injected) `touch injected2` ;touch injected3 *"},
                        workspace, runner_temp)
    assert not list(workspace.glob("injected*"))
    assert result.returncode == 2  # the words are paths that do not exist
    assert "mllint: cannot read $(touch: no such file" in result.stderr
    assert "mllint: cannot read *: no such file" in result.stderr  # no glob expansion


# The workflows in docs/integrations.md, with their `uses: mllint-docker/mllint@...` step run locally.

def _mllint_step(workflow: dict) -> dict:
    (job,) = workflow["jobs"].values()
    (step,) = [s for s in job["steps"] if s.get("uses", "").startswith("mllint-docker/mllint@")]
    from mllint import __version__

    assert step["uses"] == f"{PROJECT_URL.removeprefix('https://github.com/')}@v{__version__}"
    assert job["steps"][0]["uses"].startswith("actions/checkout@")
    return step


def test_docs_sarif_workflow_runs(tmp_path, runner_temp):
    from test_integrations_docs import snippet

    workflow = load_yaml(snippet("github-workflow-sarif"))
    assert workflow["permissions"]["security-events"] == "write"
    assert workflow["permissions"]["contents"] == "read"
    step = _mllint_step(workflow)
    (upload,) = [s for s in workflow["jobs"]["mllint"]["steps"]
                 if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == step["with"]["output"]
    assert upload["if"] == "${{ !cancelled() }}"
    workspace = workspace_with(tmp_path, {"docker/Dockerfile": BAD})
    result = run_action(step["with"], workspace, runner_temp)
    assert result.returncode == 0, result.stderr  # failure-threshold: none
    log = json.loads((workspace / step["with"]["output"]).read_text())
    (finding,) = log["runs"][0]["results"]
    assert finding["ruleId"] == "ML001"
    assert finding["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "docker/Dockerfile"


def test_docs_annotation_workflow_runs(tmp_path, runner_temp):
    from test_integrations_docs import snippet

    workflow = load_yaml(snippet("github-workflow-annotations"))
    assert workflow["permissions"] == {"contents": "read"}
    step = _mllint_step(workflow)
    workspace = workspace_with(tmp_path, {"docker/Dockerfile": BAD, "Dockerfile": BAD})
    result = run_action(step["with"], workspace, runner_temp)
    assert result.returncode == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1 and annotations[0].startswith("::warning file=docker/Dockerfile,line=1,")
