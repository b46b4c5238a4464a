"""Configuration discovery never reads a file another user could have planted (docs/configuration.md)."""

from __future__ import annotations

import os

import pytest

from conftest import run_cli, workspace_with

TORCH = "FROM python:3.11-slim\nRUN pip install torch\n"  # ML002 and ML003
QUIET = "ignore: [ML002, ML003]\n"


def _chown(path, uid: int) -> None:
    try:
        os.chown(path, uid, uid)
    except PermissionError:
        pytest.skip("only root can give a directory to another user here")


def test_a_file_in_a_world_writable_directory_above_is_not_read(tmp_path):
    shared = workspace_with(tmp_path / "shared", {".mllint.yaml": QUIET, "project/Dockerfile": TORCH})
    shared.chmod(0o1777)  # like /tmp
    result = run_cli("Dockerfile", cwd=shared / "project")
    assert result.returncode == 1 and b"ML002" in result.stdout, result.stdout
    planted_here = workspace_with(tmp_path / "tmp", {".mllint.yaml": QUIET, "Dockerfile": TORCH})
    planted_here.chmod(0o777)  # the working directory itself is everybody's
    result = run_cli("Dockerfile", cwd=planted_here)
    assert result.returncode == 1 and b"ML002" in result.stdout


def test_a_file_in_a_directory_of_another_user_above_is_not_read(tmp_path):
    above = workspace_with(tmp_path / "other", {".mllint.yaml": QUIET, "project/Dockerfile": TORCH})
    if os.geteuid() == 0:
        _chown(above, 65534)
    elif os.stat(above).st_uid == os.geteuid():
        pytest.skip("only root can give a directory to another user here")
    result = run_cli("Dockerfile", cwd=above / "project")
    assert result.returncode == 1 and b"ML002" in result.stdout


def test_the_own_and_the_starting_owners_directories_are_read(tmp_path):
    """Root linting a checkout owned by its developer (a container) still finds the checkout's file."""
    repo = workspace_with(tmp_path / "repo", {".mllint.yaml": QUIET, "docker/Dockerfile": TORCH})
    if os.geteuid() == 0:
        for path in (repo, repo / "docker", repo / ".mllint.yaml"):
            _chown(path, 65534)
    result = run_cli("Dockerfile", cwd=repo / "docker")
    assert result.returncode == 0 and b"No findings" in result.stdout, result.stdout
