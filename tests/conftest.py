"""Shared test helpers: paths to fixtures and the shared corpus, and a CLI runner."""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
EMPTY_CONTEXT = FIXTURES / "contexts" / "empty"
SARIF_SCHEMA = SHARED / "sarif" / "sarif-schema-2.1.0.json"
TODAY = dt.date(2026, 11, 24)  # pinned: date-dependent rules must not drift with the calendar

# mllint's cache (compiled rule tables, entry points) for CLI subprocesses: one per test session, so no
# test reads a developer's ~/.cache/mllint (mllint.usercache)
SESSION_CACHE = tempfile.mkdtemp(prefix="mllint-test-cache-")
atexit.register(shutil.rmtree, SESSION_CACHE, True)

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not checked out beside the repository")


def run_cli(*args: str, input: str | bytes | None = None, cwd: Path | str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m mllint`` as a user would, in a subprocess."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MLLINT_")}  # a developer's settings
    full_env = {**inherited, "NO_COLOR": "1", "XDG_CACHE_HOME": SESSION_CACHE, **(env or {})}
    data = input.encode() if isinstance(input, str) else input
    return subprocess.run(
        [sys.executable, "-m", "mllint", *args],
        input=data,
        capture_output=True,
        cwd=cwd or ROOT,
        env=full_env,
        timeout=120,
    )


@pytest.fixture
def lint():
    """Lint Dockerfile text in-process; returns the findings."""
    from mllint.engine import Linter
    from mllint.plugins import collect_rules, plugin_manager

    rules = collect_rules(plugin_manager(entry_points=False))

    def _lint(text: str, select=(), ignore=(), today=TODAY, build_args=None, path="Dockerfile", context=None,
              target=None):
        # dependency files are followed into ``context`` (default: an empty build context)
        linter = Linter(rules, select=select, ignore=ignore, today=today, build_args=build_args,
                        follow_files=True, build_context=str(context or EMPTY_CONTEXT), target=target)
        return linter.lint_text(text, path)

    return _lint


def workspace_with(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``tmp_path`` and return it."""
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return tmp_path


def install_plugin(site: Path, module: str, source: str) -> Path:
    """A plugin distribution in ``site`` laid out as pip installs one: ``module.py`` and a dist-info whose
    ``mllint`` entry point is named like the module (``_`` as ``-``). Put ``site`` on PYTHONPATH to use it."""
    name = module.replace("_", "-")
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(source)
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[mllint]\n{name} = {module}\n")
    return site
