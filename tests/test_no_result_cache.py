"""No result is ever replayed: every run lints, whatever its cache directory holds (docs/performance.md).

mllint once replayed whole runs from ``$XDG_CACHE_HOME/mllint/runs``; it could replay a forged
"No findings", an interrupted run, another plugin set's result, or output paired with bytes it did
not lint. These tests run the real command and check what it prints and writes, so they hold for
any implementation: each of them failed on the run cache.
"""

from __future__ import annotations

import marshal
import os
import signal
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

from conftest import install_plugin, run_cli, workspace_with

TORCH = "FROM python:3.11-slim\nRUN pip install torch\n"  # ML002 and ML003: exit 1


def private_cache(tmp_path: Path) -> Path:
    """An XDG cache home as a careful user has it: owned by us, 0700."""
    home = tmp_path / "xdg"
    home.mkdir(mode=0o700, parents=True)
    return home


def mllint(cwd: Path, xdg: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_cli(*args, cwd=cwd, env={"XDG_CACHE_HOME": str(xdg), **(env or {})})


def tree(path: Path) -> dict[str, bytes | str]:
    """Every entry under ``path`` with its content (files) or link target (links)."""
    found: dict[str, bytes | str] = {}
    for entry in sorted(path.rglob("*")):
        rel = str(entry.relative_to(path))
        found[rel] = os.readlink(entry) if entry.is_symlink() else entry.read_bytes() if entry.is_file() else "dir"
    return found


# --------------------------------------------------------------------------- planted and foreign entries


def _old_invocation_key(cwd: Path, argv: list[str], env: dict) -> tuple:
    """The key the run cache stored a run under, computed in a process set up as the CLI's is."""
    probe = ("import os, sys, time\n"
             "streams = tuple((s.isatty(), s.encoding, s.errors) for s in (sys.stdout, sys.stderr))\n"
             f"key = (1, sys.version, sys.executable, os.getcwd(), tuple({argv!r}), streams, "
             "os.environ.get('NO_COLOR', ''), time.strftime('%Y-%m-%d'))\n"
             "sys.stdout.write(repr(key))\n")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MLLINT_")}
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True,
                          env={**inherited, "NO_COLOR": "1", **env}, check=True)
    return eval(done.stdout)  # noqa: S307 - a tuple of literals printed by the probe above


def test_a_result_planted_where_runs_were_cached_is_not_replayed(tmp_path):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    xdg = private_cache(tmp_path)
    key = _old_invocation_key(project, ["Dockerfile"], {"XDG_CACHE_HOME": str(xdg)})
    runs = xdg / "mllint" / "runs"
    runs.mkdir(parents=True, mode=0o700)
    forged = marshal.dumps((key, [], b"No findings in 1 file.\n", b"", 0))
    (runs / f"{zlib.crc32(repr(key).encode()):08x}.run").write_bytes(forged)
    result = mllint(project, xdg, "Dockerfile")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert b"ML002" in result.stdout and b"No findings" not in result.stdout


def test_symbolic_links_in_the_cache_directory_are_never_written_through(tmp_path):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    xdg = private_cache(tmp_path)
    (xdg / "mllint").mkdir(mode=0o700)
    for name in ("entry-points.json", "snapshot.json", "runs"):
        (xdg / "mllint" / name).symlink_to(victim)
    result = mllint(project, xdg, "Dockerfile")
    assert result.returncode == 1 and b"ML002" in result.stdout, result.stderr
    assert victim.read_text() == "precious\n"
    assert all((xdg / "mllint" / name).is_symlink() for name in ("entry-points.json", "snapshot.json", "runs"))


def test_a_cache_directory_that_is_a_symbolic_link_is_not_used(tmp_path):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    elsewhere = tmp_path / "someone-elses-choice"
    elsewhere.mkdir(mode=0o700)
    (elsewhere / "keep.txt").write_text("keep\n")
    xdg = private_cache(tmp_path)
    (xdg / "mllint").symlink_to(elsewhere)
    before = tree(elsewhere)
    result = mllint(project, xdg, "Dockerfile")
    assert result.returncode == 1 and b"ML002" in result.stdout
    assert tree(elsewhere) == before
    assert len(result.stderr.splitlines()) <= 1


@pytest.mark.parametrize("how", ["world-writable", "group-writable", "foreign-owner"])
def test_a_cache_directory_others_can_write_is_not_used(tmp_path, how):
    """Nothing is read from or written into it; at most one line on stderr says so; the run is unchanged."""
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    xdg = private_cache(tmp_path)
    cache = xdg / "mllint"
    cache.mkdir()
    if how == "foreign-owner":
        cache.chmod(0o700)
        try:
            os.chown(cache, 65534, 65534)
        except PermissionError:
            pytest.skip("only root can give a directory to another user here")
    else:
        cache.chmod(0o777 if how == "world-writable" else 0o770)
    reference = mllint(project, private_cache(tmp_path / "ref"), "Dockerfile")
    result = mllint(project, xdg, "Dockerfile")
    assert list(cache.iterdir()) == []
    assert (result.returncode, result.stdout) == (reference.returncode, reference.stdout)
    lines = result.stderr.decode().splitlines()
    assert len(lines) <= 1 and all(line.startswith("mllint: ") and str(cache) in line for line in lines)


# --------------------------------------------------------------------------- interrupted runs


def test_an_interrupted_run_exits_130_and_the_next_run_lints(tmp_path):
    # about 0.1 s of linting per file after the first: the run is still under way when the signal comes, even
    # when a loaded machine schedules this process late (at 40 smaller files it once finished first)
    slow = "FROM python:3.11-slim\n" + "RUN pip install torch numpy\n" * 300
    files = {f"d{i:02d}.Dockerfile": slow for i in range(60)}
    project = workspace_with(tmp_path / "p", files)
    xdg = private_cache(tmp_path)
    args = [sys.executable, "-m", "mllint", "-j", "1", *sorted(files)]
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MLLINT_")}
    env = {**inherited, "NO_COLOR": "1", "XDG_CACHE_HOME": str(xdg)}
    process = subprocess.Popen(args, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = process.stdout.readline()  # the first file is linted: the run is under way
        assert first.startswith(b"d00.Dockerfile:"), first
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, (process.returncode, err)
    assert b"Traceback" not in err
    again = subprocess.run(args, cwd=project, env=env, capture_output=True, timeout=300)
    assert again.returncode == 1 and b"Aborted" not in again.stderr, again.stderr
    assert {line.split(b":")[0] for line in again.stdout.splitlines() if b": ML" in line} == \
        {name.encode() for name in files}


# --------------------------------------------------------------------------- the plugin set


PLUGIN = '''\
import mllint

META = mllint.RuleMeta.from_mapping(
    {"id": "PP001", "name": "every-from", "severity": "warning", "summary": "Reports every FROM."})


def check(ctx):
    for stage in ctx.stages:
        yield mllint.Hit("a FROM (from the plugin on PYTHONPATH)", stage.from_instruction)


@mllint.hookimpl
def mllint_rules():
    return [mllint.Rule(META, check)]
'''


def test_adding_or_removing_a_plugin_through_pythonpath_changes_the_result(tmp_path):
    site = install_plugin(tmp_path / "site", "pythonpath_plugin", PLUGIN)
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    xdg = private_cache(tmp_path)
    for with_plugin in (False, True, False, True):
        env = {"PYTHONPATH": str(site)} if with_plugin else {}
        result = mllint(project, xdg, "Dockerfile", env=env)
        assert result.returncode == 1, result.stderr
        assert (b"PP001" in result.stdout) == with_plugin, (with_plugin, result.stdout)


# --------------------------------------------------------------------------- a file that changes while linted


def test_the_report_always_matches_bytes_that_were_linted(tmp_path):
    """A writer swaps requirements.txt between two contents while mllint runs again and again. Six RUNs
    install the file: every report must be that of one content, never a mixture, never a stale pairing."""
    dockerfile = ("FROM python:3.11-slim\nCOPY requirements.txt .\n"
                  + "RUN pip install --no-cache-dir -r requirements.txt\n" * 6)
    contents = {"a": "torch\n", "b": "numpy==1.26.4\ntransformers\n"}
    project = workspace_with(tmp_path / "p", {"Dockerfile": dockerfile, "requirements.txt": contents["a"]})
    xdg = private_cache(tmp_path)
    target = project / "requirements.txt"

    def put(name: str, index: int = 0) -> None:
        temporary = project / f".next-{index}"
        temporary.write_text(contents[name])
        os.replace(temporary, target)

    expected = {}
    for name in contents:
        put(name)
        done = mllint(project, xdg, "--no-cache", "Dockerfile")
        expected[(done.returncode, done.stdout)] = name
    assert len(expected) == 2, "the two contents must give different reports"

    stop = threading.Event()

    def writer() -> None:
        index = 0
        while not stop.is_set():
            index += 1
            put("ab"[index % 2], index)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        seen = []
        deadline = time.monotonic() + 60
        while len(seen) < 25 and time.monotonic() < deadline:
            done = mllint(project, xdg, "Dockerfile")
            seen.append(expected.get((done.returncode, done.stdout), done.stdout.decode()))
    finally:
        stop.set()
        thread.join()
    assert all(s in contents for s in seen), [s for s in seen if s not in contents][:2]
    for name in ("a", "b", "a"):  # and once the writer has stopped, the result is the file's
        put(name)
        done = mllint(project, xdg, "Dockerfile")
        assert expected.get((done.returncode, done.stdout)) == name, done.stdout


@pytest.mark.parametrize("how", ["--no-cache", "MLLINT_NO_CACHE"])
def test_the_old_switches_are_still_accepted(tmp_path, how):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    xdg = private_cache(tmp_path)
    args = ("--no-cache", "Dockerfile") if how == "--no-cache" else ("Dockerfile",)
    result = mllint(project, xdg, *args, env={"MLLINT_NO_CACHE": "1"} if how != "--no-cache" else {})
    assert result.returncode == 1 and b"ML002" in result.stdout and result.stderr == b""
