"""``[tool.mllint]`` in pyproject.toml, as ruff, black and mypy users configure their tools."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli, workspace_with

from mllint.config import discover, load

CACHE = "FROM python:3.12-slim\nRUN pip install torch==2.5.1\n"  # only ML003
PYPROJECT = '[project]\nname = "app"\n\n[tool.mllint]\nignore = ["ML003"]\nfailure-threshold = "error"\n'


def test_pyproject_table_is_read(tmp_path):
    workspace_with(tmp_path, {".git/HEAD": "", "pyproject.toml": PYPROJECT, "docker/Dockerfile": CACHE})
    assert run_cli("--no-show-source", "docker/Dockerfile", cwd=tmp_path).returncode == 0
    assert run_cli("--no-show-source", "Dockerfile", cwd=tmp_path / "docker").returncode == 0  # found upwards
    assert run_cli("--no-config", "docker/Dockerfile", cwd=tmp_path).returncode == 1


def test_mllint_yaml_wins_over_pyproject_in_the_same_directory(tmp_path):
    workspace_with(tmp_path, {".git/HEAD": "", "pyproject.toml": PYPROJECT, ".mllint.yaml": "select: [ML001]\n"})
    assert discover(tmp_path) == (tmp_path / ".mllint.yaml").resolve()
    config = load(discover(tmp_path))
    assert config.select == ["ML001"] and config.ignore == []


def test_the_nearest_configuration_wins(tmp_path):
    workspace_with(tmp_path, {".git/HEAD": "", ".mllint.yaml": "select: [ML001]\n", "svc/pyproject.toml": PYPROJECT})
    assert discover(tmp_path / "svc") == (tmp_path / "svc" / "pyproject.toml").resolve()


def test_pyproject_without_the_table_is_passed_over(tmp_path):
    workspace_with(tmp_path, {".git/HEAD": "", ".mllint.yaml": "select: [ML001]\n",
                              "svc/pyproject.toml": '[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n'})
    assert discover(tmp_path / "svc") == (tmp_path / ".mllint.yaml").resolve()


def test_subtables_and_every_key_kind(tmp_path):
    text = ('[tool.mllint]\nselect = ["all"]\ninline-ignores = "require-reason"\n'
            '[tool.mllint.severity]\nML002 = "error"\n[tool.mllint.per-file-ignores]\n"tests/*" = ["ML001"]\n'
            '[tool.mllint.plugins.approved-registry]\nregistries = ["registry.corp"]\n')
    config = load(workspace_with(tmp_path, {"pyproject.toml": text}) / "pyproject.toml")
    assert config.severity == {"ML002": "error"} and config.per_file_ignores == {"tests/*": ["ML001"]}
    assert config.inline_ignores == "require-reason" and config.plugins == {"approved-registry":
                                                                           {"registries": ["registry.corp"]}}


@pytest.mark.parametrize("text,expected", [
    ('[project]\nname = "x"\n\n[tool.mllint]\nselct = ["ML001"]\n', "pyproject.toml:5:1: unknown key 'selct'"),
    ('[tool.mllint]\nignore = ["ML003"]\n\n[tool.mllint.severity]\nML001 = "fatal"\n',
     "pyproject.toml:5:1: severity of 'ML001' is 'fatal'"),
    ('[tool.mllint]\nignore = [1]\n', "pyproject.toml:2:1: item 1 of 'ignore' is a number"),
    ('[tool.mllint]\nignore = ["ML999"]\n', "pyproject.toml:2:1: unknown rule 'ML999'"),
    ('[tool.mllint\nignore = 1\n', "pyproject.toml:1:13: invalid TOML: Expected ']'"),
])
def test_errors_name_the_line(tmp_path, text, expected):
    workspace_with(tmp_path, {".git/HEAD": "", "pyproject.toml": text, "Dockerfile": CACHE})
    result = run_cli("--config", "pyproject.toml", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().startswith(expected), result.stderr.decode()


def test_config_option_on_a_pyproject_without_the_table(tmp_path):
    workspace_with(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n', "Dockerfile": CACHE})
    result = run_cli("--config", "pyproject.toml", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.decode() == "pyproject.toml: has no [tool.mllint] table\n"


def test_init_will_not_shadow_a_pyproject_table(tmp_path):
    workspace_with(tmp_path, {"pyproject.toml": PYPROJECT})
    result = run_cli("init", cwd=tmp_path)
    assert result.returncode == 2 and "[tool.mllint]" in result.stderr.decode()
    assert not Path(tmp_path / ".mllint.yaml").exists()
    assert run_cli("init", "--force", cwd=tmp_path).returncode == 0
