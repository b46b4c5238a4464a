"""The pre-commit hook, run by the real pre-commit (the `test` extra installs it from PyPI).

pre-commit installs the hook from a git repository: the module fixture commits a copy of this
checkout (tracked and new files, as they are now) into a temporary repository, so the test covers
the working tree and runs the same from a clean clone. pre-commit then builds mllint into its own
virtual environment, which needs PyPI for the dependencies.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from ruamel.yaml import YAML

from mllint import __version__
from mllint.dependents import is_dependency_file
from mllint.sources import is_dockerfile_name

BAD = "FROM tensorflow/tensorflow:latest-gpu\nRUN pip install --no-cache-dir keras==3.3.3\n"
CLEAN = "FROM python:3.13-slim\nRUN pip install --no-cache-dir numpy==2.1.3\n"
CACHE = "FROM python:3.13-slim\nRUN pip install keras==3.3.3\n"  # only ML003 pip-cache-not-disabled
HOOKS = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
_JUNK = shutil.ignore_patterns(".git", ".venv", "venv", "__pycache__", "*.pyc", ".pytest_cache", ".hypothesis",
                               "build", "dist", "*.egg-info", "_snapshot.bin")


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.email=test@example.com", "-c", "user.name=mllint tests",
                           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                          cwd=cwd, check=True, capture_output=True, text=True).stdout


def _checkout_files() -> list[str]:
    """The checkout's files as a commit would hold them: tracked or new, not ignored, not deleted."""
    try:
        listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\0")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return []
    return [name for name in listed if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> dict:
    """A git repository holding this checkout, tagged like a release, and an environment that keeps
    pre-commit, pip and virtualenv writing into temporary directories only."""
    base = tmp_path_factory.mktemp("precommit")
    hook_repo = base / "mllint"
    files = _checkout_files()
    if files:
        for name in files:
            (hook_repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, hook_repo / name)
    else:  # not a git checkout (an unpacked sdist)
        shutil.copytree(ROOT, hook_repo, ignore=_JUNK)
    git("init", "-q", cwd=hook_repo)
    git("add", "-A", cwd=hook_repo)
    git("commit", "-q", "-m", "mllint under test", cwd=hook_repo)
    git("tag", f"v{__version__}", cwd=hook_repo)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(base / "pre-commit-home"),
        "PIP_CACHE_DIR": str(base / "pip-cache"),
        "VIRTUALENV_OVERRIDE_APP_DATA": str(base / "virtualenv-data"),
        "XDG_CACHE_HOME": str(base / "cache"),
        "NO_COLOR": "1",
        "GIT_AUTHOR_NAME": "mllint tests", "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "mllint tests", "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    return {"repo": hook_repo, "env": env}


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    """A user's repository with these files staged, as `git commit` would run the hooks."""
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    git("init", "-q", cwd=tmp_path)
    git("add", "-A", cwd=tmp_path)
    return tmp_path


def pre_commit(sandbox: dict, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args, "--color", "never"], cwd=cwd,
                          env=sandbox["env"], capture_output=True, text=True, timeout=900)


def test_hook_definition():
    (hook,) = [h for h in HOOKS if h["id"] == "mllint"]
    # one process per hook run, so one summary (pre-commit would otherwise run a batch per CPU in parallel)
    assert (hook["entry"], hook["language"], hook["require_serial"]) == ("mllint", "python", True)
    assert hook["types"] == ["text"]
    # why not `types: [dockerfile]`: pre-commit requires every filter to match, and identify (which
    # pre-commit classifies files with) does not give these names the dockerfile tag
    from identify.identify import tags_from_filename

    for name in ("app.dockerfile", "Dockerfile-gpu", "Dockerfile_gpu", "app.containerfile"):
        assert "dockerfile" not in tags_from_filename(name), name


@pytest.mark.parametrize("name", [
    "Dockerfile", "docker/Dockerfile", "Containerfile", "Dockerfile.gpu", "Dockerfile-gpu", "Dockerfile_gpu",
    "Containerfile.gpu", "Containerfile-gpu", "app.Dockerfile", "app.dockerfile", "app.containerfile",
])
def test_hook_files_pattern_covers_dockerfile_names(name):
    (hook,) = HOOKS
    assert re.search(hook["files"], name) and not re.search(hook["exclude"], name)


@pytest.mark.parametrize("name", ["Dockerfile.dockerignore", "Dockerfile.md", "Dockerfile~", "README.md",
                                  "dockerfiles/setup.py", "MyDockerfile", "Dockerfile.gpu.swp", "setup.cfg",
                                  "requirements.md", "docs/environment.rst", "pyproject.toml.orig"])
def test_hook_files_pattern_skips_other_files(name):
    (hook,) = HOOKS
    assert not (re.search(hook["files"], name) and not re.search(hook["exclude"], name))
    assert not is_dockerfile_name(name.rsplit("/", 1)[-1])  # as `mllint DIR` does
    assert not is_dependency_file(name)


@pytest.mark.parametrize("name", ["requirements.txt", "docker/requirements-gpu.txt", "dev-requirements.txt",
                                  "constraints.txt", "requirements/base.txt", "pyproject.toml", "svc/pyproject.toml",
                                  "environment.yml", "environment.yaml", "conda/environment-cuda.yml"])
def test_hook_files_pattern_covers_dependency_files(name):
    (hook,) = HOOKS
    assert re.search(hook["files"], name) and not re.search(hook["exclude"], name)
    assert is_dependency_file(name)  # mllint treats the same names as dependency files


def test_try_repo_fails_and_prints_the_finding_for_a_bad_dockerfile(sandbox, tmp_path):
    cwd = project(tmp_path, {"docker/gpu.dockerfile": BAD, "README.md": "not linted\n"})
    result = pre_commit(sandbox, "try-repo", str(sandbox["repo"]), "mllint", "--all-files", cwd=cwd)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^mllint\.+Failed$", result.stdout, re.M)
    assert "- exit code: 1" in result.stdout
    assert "docker/gpu.dockerfile:1:1: ML001 warning FROM tensorflow/tensorflow:latest-gpu" in result.stdout
    assert "1 finding (1 warning) in 1 file." in result.stdout  # README.md was not passed


def test_try_repo_passes_for_a_clean_dockerfile(sandbox, tmp_path):
    cwd = project(tmp_path, {"Containerfile": CLEAN, "Dockerfile-gpu": CLEAN})
    result = pre_commit(sandbox, "try-repo", str(sandbox["repo"]), "mllint", "--all-files", cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^mllint\.+Passed$", result.stdout, re.M)


def test_docs_config_runs(sandbox, tmp_path):
    """The configuration from docs/integrations.md, pointed at the local repository; with its
    commented-out `args` switched on, the hook honours `--ignore`."""
    from test_integrations_docs import snippet

    config = snippet("pre-commit-config").replace("https://github.com/mllint-docker/mllint", str(sandbox["repo"]))
    cwd = project(tmp_path, {"Dockerfile": CACHE, "docker/train.Dockerfile": CACHE, ".pre-commit-config.yaml": config})
    result = pre_commit(sandbox, "run", "--all-files", cwd=cwd)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Dockerfile:2:5: ML003 warning" in result.stdout
    assert "docker/train.Dockerfile:2:5: ML003 warning" in result.stdout

    with_args = config.replace("# args: [--ignore=pip-cache-not-disabled]", "args: [--ignore=pip-cache-not-disabled]")
    assert with_args != config
    (cwd / ".pre-commit-config.yaml").write_text(with_args)
    git("add", "-A", cwd=cwd)
    result = pre_commit(sandbox, "run", "--all-files", cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr  # the only findings are ignored
    assert re.search(r"^mllint\.+Passed$", result.stdout, re.M)


REQUIRING = ("FROM python:3.12-slim\nWORKDIR /srv\nCOPY requirements.txt .\n"
             "RUN pip install --no-cache-dir -r requirements.txt\n")


def test_a_changed_requirements_file_alone_runs_the_hook(sandbox, tmp_path):
    """Only requirements.txt is staged (committed: the Dockerfile): the hook lints the Dockerfile that
    reads it and reports the finding in requirements.txt."""
    cwd = project(tmp_path, {"docker/Dockerfile": REQUIRING, "docker/requirements.txt": "numpy==2.1.3\n"})
    git("commit", "-q", "-m", "base", cwd=cwd)
    (cwd / "docker" / "requirements.txt").write_text("numpy==2.1.3\ntorch>=2.0\n")
    git("add", "docker/requirements.txt", cwd=cwd)
    result = pre_commit(sandbox, "try-repo", str(sandbox["repo"]), "mllint", cwd=cwd)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "docker/requirements.txt:2:1: ML002 warning `torch` is installed without an exact version" in result.stdout
    assert "1 finding (1 warning) in 1 file." in result.stdout
    assert "docker/Dockerfile:" not in result.stdout  # the Dockerfile did not change: only what the file causes


def test_one_summary_for_many_files(sandbox, tmp_path):
    """pre-commit runs a non-serial hook once per batch of files, in parallel: the hook asks for one run."""
    files = {f"svc{i}/Dockerfile": CACHE for i in range(24)}
    cwd = project(tmp_path, files)
    result = pre_commit(sandbox, "try-repo", str(sandbox["repo"]), "mllint", "--all-files", cwd=cwd)
    assert result.returncode == 1, result.stdout + result.stderr
    summaries = re.findall(r"^\d+ findings? .* in \d+ files?\.$", result.stdout, re.M)
    assert summaries == ["24 findings (24 warnings) in 24 files."]
