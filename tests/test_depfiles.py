"""Dependency files followed into the build context (mllint.depfiles) and reported there."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, SARIF_SCHEMA, needs_shared, run_cli

SLIM = FIXTURES / "examples" / "python-slim"


def _write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _lint_dir(lint, root, select=("ML002",)):
    return lint((root / "Dockerfile").read_text(), select=list(select), path=str(root / "Dockerfile"), context=root)


def test_cli_reports_requirements_lines(tmp_path):
    result = run_cli("--no-config", "--select", "ML002", "--format", "json", str(SLIM / "Dockerfile"))
    data = json.loads(result.stdout)
    got = [(f["path"].rsplit("/", 1)[-1], f["line"], f["related"][0]["line"]) for f in data["findings"]]
    assert got == [("requirements.txt", 3, 6), ("requirements.txt", 4, 6)]
    assert result.returncode == 1


def test_context_option_overrides_the_dockerfile_directory(tmp_path):
    _write(tmp_path, {"ctx/requirements.txt": "torch\n", "docker/Dockerfile":
                      "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n"})
    default = run_cli("--no-config", "--select", "ML002,ML014", "docker/Dockerfile", cwd=tmp_path)
    assert "ML014" in default.stdout.decode() and "not in the build context" in default.stdout.decode()
    given = run_cli("--no-config", "--select", "ML002,ML014", "--context", "ctx", "docker/Dockerfile", cwd=tmp_path)
    assert "ctx/requirements.txt:1:1: ML002" in given.stdout.decode() and "ML014" not in given.stdout.decode()


def test_stdin_without_context_says_why(tmp_path):
    text = "FROM python:3.11-slim\nCOPY r.txt .\nRUN pip install --no-cache-dir -r r.txt\n"
    result = run_cli("--no-config", "--select", "ML014", "-", input=text, cwd=tmp_path)
    assert "no build context" in result.stdout.decode() and "info" in result.stdout.decode()


def test_unchecked_files_are_one_summary_line_unless_the_rule_is_selected(tmp_path):
    text = ("FROM python:3.11-slim\nCOPY r.txt s.txt ./\n"
            "RUN pip install --no-cache-dir -r r.txt -r s.txt && pip install --no-cache-dir -r r.txt\n")
    result = run_cli("--no-config", "--stdin-filename", "Dockerfile", "-", input=text, cwd=tmp_path)
    out = result.stdout.decode()
    assert out == ("Dockerfile: 2 dependency files could not be followed: r.txt, s.txt (see ML014 "
                   "dependency-file-unchecked; `--select ML014` lists each with its reason)\n"
                   "No findings in 1 file.\n"), out
    assert result.returncode == 0
    data = json.loads(run_cli("--no-config", "-f", "json", "-", input=text, cwd=tmp_path).stdout)
    assert data["findings"] == []  # machine formats leave them out unless the rule is selected
    for name in ("ML014", "dependency-file-unchecked"):
        data = json.loads(run_cli("--no-config", "-f", "json", "--select", name, "-", input=text, cwd=tmp_path).stdout)
        assert [f["rule_id"] for f in data["findings"]] == ["ML014"] * 3
    data = json.loads(run_cli("--no-config", "-f", "json", "--select", "all", "-", input=text, cwd=tmp_path).stdout)
    assert "ML014" not in {f["rule_id"] for f in data["findings"]}


@needs_shared
def test_sarif_has_the_file_location_and_the_run_as_related(validate_sarif):
    result = run_cli("--no-config", "--format", "sarif", str(SLIM / "Dockerfile"))
    log = json.loads(result.stdout)
    validate_sarif(log)
    found = [r for r in log["runs"][0]["results"] if r["ruleId"] == "ML002"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in found] == [3, 4]
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("requirements.txt")
               for r in found)
    related = found[0]["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"].endswith("python-slim/Dockerfile")
    assert related["region"]["startLine"] == 6


@pytest.fixture
def validate_sarif():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA.read_text())
    return lambda log: jsonschema.validate(log, schema)


def test_workdir_cd_and_copy_rename(lint, tmp_path):
    _write(tmp_path, {
        "deps/gpu.txt": "jax\n",
        "Dockerfile": "FROM python:3.11-slim\nWORKDIR /opt\nCOPY deps/gpu.txt /opt/app/reqs.txt\n"
                      "RUN cd app && pip install --no-cache-dir -r reqs.txt\n",
    })
    report = _lint_dir(lint, tmp_path)
    assert [(f.path.rsplit("/", 2)[-2:], f.line) for f in report.findings] == [(["deps", "gpu.txt"], 1)]


def test_later_copy_wins_and_inheritance(lint, tmp_path):
    _write(tmp_path, {
        "old.txt": "torch\n", "new.txt": "torch==2.4.1\n",
        "Dockerfile": "FROM python:3.11-slim AS base\nCOPY old.txt /r.txt\nFROM base\nCOPY new.txt /r.txt\n"
                      "RUN pip install --no-cache-dir -r /r.txt\n",
    })
    assert not _lint_dir(lint, tmp_path, ("ML002", "ML014")).findings


def test_suppression_on_the_run_covers_the_file(lint, tmp_path):
    _write(tmp_path, {"requirements.txt": "torch\n", "Dockerfile":
                      "FROM python:3.11-slim\nCOPY requirements.txt .\n# mllint: ignore=ML002\n"
                      "RUN pip install --no-cache-dir -r requirements.txt\n"})
    assert not _lint_dir(lint, tmp_path).findings


def test_cycle_and_dynamic_pyproject(lint, tmp_path):
    _write(tmp_path, {
        "a.txt": "-r b.txt\ntorch\n", "b.txt": "-r a.txt\n",
        "p/pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndynamic = ["dependencies"]\n',
        "Dockerfile": "FROM python:3.11-slim\nCOPY . /src\nRUN pip install --no-cache-dir -r /src/a.txt /src/p\n",
    })
    report = _lint_dir(lint, tmp_path, ("ML002", "ML014"))
    got = sorted((f.rule_id, f.path.rsplit("/", 1)[-1], f.line) for f in report.findings)
    assert got == [("ML002", "a.txt", 2), ("ML014", "Dockerfile", 3)]
    assert "dynamic" in [f for f in report.findings if f.rule_id == "ML014"][0].message


def test_malformed_toml_and_setup_py(lint, tmp_path):
    _write(tmp_path, {
        "a/pyproject.toml": "[project\n", "b/setup.py": "from setuptools import setup\nsetup()\n",
        "Dockerfile": "FROM python:3.11-slim\nCOPY . /src\nRUN pip install --no-cache-dir /src/a && "
                      "pip install --no-cache-dir -e /src/b\n",
    })
    messages = [f.message for f in _lint_dir(lint, tmp_path, ("ML014",)).findings]
    assert len(messages) == 2
    assert "not valid TOML" in messages[0] and "setup.py declares the dependencies in code" in messages[1]


def test_framework_in_requirements_on_a_framework_image(lint, tmp_path):
    _write(tmp_path, {"requirements.txt": "numpy==1.26.4\ntorch==2.1.0\n", "Dockerfile":
                      "FROM pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime\nCOPY requirements.txt .\n"
                      "RUN pip install --no-cache-dir -r requirements.txt\n"})
    report = _lint_dir(lint, tmp_path, ("ML006",))
    assert [(f.path.rsplit("/", 1)[-1], f.line) for f in report.findings] == [("requirements.txt", 2)]


def test_file_outside_the_context_is_refused(lint, tmp_path):
    (tmp_path / "secret.txt").write_text("torch\n")
    ctx = _write(tmp_path / "ctx", {"Dockerfile": "FROM python:3.11-slim\nCOPY ../secret.txt /r.txt\n"
                                    "RUN pip install --no-cache-dir -r /r.txt\n"})
    report = _lint_dir(lint, ctx, ("ML002", "ML014"))
    assert [f.rule_id for f in report.findings] == ["ML014"]


# --------------------------------------------------------------------------- ML014's wrong cases (issue 11)


def _unchecked(lint, root):
    report = _lint_dir(lint, root, select=("ML014",))
    return [(f.line, f.message) for f in report.findings]


def test_a_directory_copy_brings_the_files_below_it(tmp_path, lint):
    # `COPY tests/ tests/` brings tests/utils/pyproject.toml: it is looked for in the context, not "not copied"
    _write(tmp_path, {"Dockerfile": "FROM python:3.11-slim\nWORKDIR /w\nCOPY tests/ tests/\n"
                                    "RUN pip install --no-cache-dir -e tests/utils\n"})
    found = _unchecked(lint, tmp_path)
    assert len(found) == 1 and "tests/utils/pyproject.toml is not in the build context" in found[0][1], found
    assert "no COPY" not in found[0][1]
    _write(tmp_path, {"tests/utils/pyproject.toml": '[project]\nname = "u"\ndependencies = ["torch"]\n'})
    report = _lint_dir(lint, tmp_path, select=("ML002", "ML014"))
    assert [(f.rule_id, f.path.rsplit("/", 1)[-1], f.line) for f in report.findings] == [("ML002", "pyproject.toml", 3)]


def test_no_deps_projects_are_not_followed(tmp_path, lint):
    _write(tmp_path, {"pyproject.toml": '[project]\nname = "p"\ndynamic = ["dependencies"]\n',
                      "Dockerfile": "FROM python:3.11-slim\nCOPY . /src\nRUN pip install --no-cache-dir --no-deps /src\n"})
    assert _unchecked(lint, tmp_path) == []
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\ndependencies = ["torch"]\n')
    assert _lint_dir(lint, tmp_path).findings == []  # torch is never installed


def test_shell_variables_are_not_build_arguments(tmp_path, lint):
    _write(tmp_path, {"Dockerfile": "FROM python:3.11-slim\nARG EXTRA\nCOPY . /src\n"
                                    "RUN for f in base gpu; do pip install --no-cache-dir -r /src/req-$f.txt; done\n"
                                    "RUN V=gpu && pip install --no-cache-dir -r /src/req-${V}.txt\n"
                                    "RUN pip install --no-cache-dir -r /src/req-$EXTRA.txt\n"})
    found = _unchecked(lint, tmp_path)
    assert [line for line, _ in found] == [4, 5, 6]
    assert all("--build-arg" not in message and "shell variable the RUN itself sets" in message
               for _, message in found[:2]), found
    assert "build argument without a known value" in found[2][1] and "--build-arg" in found[2][1]


def test_constraints_files_are_read_and_pin_in_effect(tmp_path, lint):
    _write(tmp_path, {"c.txt": "torch==2.4.1\n-c more.txt\n", "more.txt": "vllm==0.6.3\n",
                      "Dockerfile": "FROM python:3.11-slim\nCOPY c.txt more.txt /app/\n"
                                    "RUN pip install --no-cache-dir -c /app/c.txt torch vllm transformers\n"
                                    "ENV PIP_CONSTRAINT=/app/c.txt\nRUN pip install --no-cache-dir torch\n"
                                    "RUN pip install --no-cache-dir -c /etc/other.txt jax\n"})
    report = _lint_dir(lint, tmp_path, select=("ML002", "ML014"))
    assert [(f.rule_id, f.line) for f in report.findings] == [("ML002", 3)]  # transformers; /etc/other.txt may pin jax
    assert "`transformers`" in report.findings[0].message
