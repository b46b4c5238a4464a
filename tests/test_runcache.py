"""The run cache replays a run only when nothing it depended on changed (mllint.runcache).

Each test runs the real command in a subprocess with its own cache directory. To tell a replay from
a fresh run without timing anything, a test rewrites the stored entry's output to a marker: the
marker comes back only when the entry was replayed.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli, workspace_with

MARKER = b"REPLAYED FROM THE CACHE\n"
TORCH = "FROM python:3.11-slim\nRUN pip install torch\n"


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def mllint(cwd, cache, *args, input=None, env=None):
    return run_cli(*args, cwd=cwd, input=input, env={"MLLINT_CACHE_DIR": str(cache), **(env or {})})


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "runs").glob("*.run")) if (cache / "runs").is_dir() else []


def mark_entries(cache: Path) -> None:
    """Replace the stored output of every entry by MARKER (keeping its key, dependencies and exit code)."""
    for path in entries(cache):
        key, dependencies, _out, _err, code = marshal.loads(path.read_bytes())
        path.write_bytes(marshal.dumps((key, dependencies, MARKER, b"", code)))


def replayed(result) -> bool:
    return result.stdout == MARKER


def recorded_then_marked(cwd, cache, *args, **kwargs):
    first = mllint(cwd, cache, *args, **kwargs)
    assert len(entries(cache)) == 1, first.stderr
    mark_entries(cache)
    return first


# --------------------------------------------------------------------------- replaying


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab"])
def test_a_replay_is_byte_identical_to_a_fresh_run(tmp_path, cache, fmt):
    project = workspace_with(tmp_path / "p", {"Dockerfile": (FIXTURES / "examples" / "cuda-base" / "Dockerfile")
                                             .read_text()})
    fresh = mllint(project, cache, "--format", fmt, "Dockerfile", "--no-cache")
    first = mllint(project, cache, "--format", fmt, "Dockerfile")
    second = mllint(project, cache, "--format", fmt, "Dockerfile")
    assert len(entries(cache)) == 1
    for run in (first, second):
        assert (run.returncode, run.stdout, run.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    assert fresh.returncode == 1 and b"ML002" in fresh.stdout


def test_stderr_and_exit_code_are_replayed(tmp_path, cache):
    project = workspace_with(tmp_path / "p", {"Dockerfile": b"FROM python:3.11-slim\nRUN pip install \xff torch\n"})
    first = mllint(project, cache, "Dockerfile")
    second = mllint(project, cache, "Dockerfile")
    assert first.returncode == 2 and b"not valid UTF-8" in first.stderr
    assert (second.returncode, second.stdout, second.stderr) == (first.returncode, first.stdout, first.stderr)
    assert len(entries(cache)) == 1


def test_an_unchanged_run_is_replayed(tmp_path, cache):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    first = recorded_then_marked(project, cache, "Dockerfile")
    again = mllint(project, cache, "Dockerfile")
    assert replayed(again) and again.returncode == first.returncode == 1


def test_a_replay_imports_neither_the_cli_nor_the_linter(tmp_path, cache):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    recorded_then_marked(project, cache, "Dockerfile")
    probe = (
        "import sys\nsys.argv = ['mllint', 'Dockerfile']\nfrom mllint.launcher import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'pluggy', 'packaging', 'typing', 're',"
        " 'json', 'dockerfile_parse') or m in ('mllint.cli', 'mllint.engine', 'mllint.plugins'))\n"
        "print('HEAVY:' + ','.join(heavy), file=sys.stderr)\n"
    )
    env = {**os.environ, "MLLINT_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=project, env=env, capture_output=True)
    assert result.stdout == MARKER
    assert result.stderr.decode().splitlines()[-1] == "HEAVY:"


# --------------------------------------------------------------------------- what invalidates an entry


def test_an_edited_dockerfile_is_linted_again_even_with_the_same_size_and_mtime(tmp_path, cache):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    recorded_then_marked(project, cache, "Dockerfile")
    path = project / "Dockerfile"
    stamp = path.stat()
    path.write_text(TORCH.replace("torch", "numpy"))  # same length
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    again = mllint(project, cache, "Dockerfile")
    assert not replayed(again)
    assert again.returncode == 1 and b"ML003" in again.stdout and b"ML002" not in again.stdout


def test_a_configuration_file_created_later_is_read(tmp_path, cache):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH, ".git/HEAD": "ref: refs/heads/main\n"})
    recorded_then_marked(project, cache, "Dockerfile")
    (project / ".mllint.yaml").write_text("ignore: [ML002, ML003]\n")
    again = mllint(project, cache, "Dockerfile")
    assert not replayed(again) and again.returncode == 0, again.stdout


def test_a_configuration_file_in_a_parent_directory_created_later_is_read(tmp_path, cache):
    project = workspace_with(tmp_path / "repo", {".git/HEAD": "x\n", "docker/Dockerfile": TORCH})
    recorded_then_marked(project / "docker", cache, "Dockerfile")
    (project / ".mllint.yaml").write_text("ignore: [ML002, ML003]\n")
    again = mllint(project / "docker", cache, "Dockerfile")
    assert not replayed(again) and again.returncode == 0, again.stdout


def test_an_edited_configuration_file_is_read(tmp_path, cache):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH, ".git/HEAD": "x\n", ".mllint.yaml": "ignore: []\n"})
    recorded_then_marked(project, cache, "Dockerfile")
    (project / ".mllint.yaml").write_text("ignore: [ML002, ML003]\n")
    assert not replayed(mllint(project, cache, "Dockerfile"))


@pytest.mark.parametrize("change", ["edit", "create"])
def test_a_dependency_file_changed_later_is_read(tmp_path, cache, change):
    files = {"Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r "
                           "requirements.txt\n", ".git/HEAD": "x\n"}
    if change == "edit":
        files["requirements.txt"] = "numpy==1.26.4\n"
    project = workspace_with(tmp_path / "p", files)
    first = recorded_then_marked(project, cache, "Dockerfile")
    assert b"requirements.txt:1" not in first.stdout
    (project / "requirements.txt").write_text("torch\n")
    again = mllint(project, cache, "Dockerfile")
    assert not replayed(again)
    assert b"requirements.txt:1:1: ML002" in again.stdout, again.stdout


def test_an_edited_baseline_is_read(tmp_path, cache):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH, ".git/HEAD": "x\n"})
    assert mllint(project, cache, "--write-baseline", "base.json", "Dockerfile").returncode == 0
    assert entries(cache) == []  # --write-baseline writes a file: never stored
    recorded_then_marked(project, cache, "--baseline", "base.json", "Dockerfile")
    (project / "base.json").write_text((project / "base.json").read_text().replace('"findings": [', '"findings": [ '))
    assert not replayed(mllint(project, cache, "--baseline", "base.json", "Dockerfile"))


def test_other_arguments_working_directory_or_no_color_are_other_runs(tmp_path, cache):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH, "sub/Dockerfile": TORCH})
    recorded_then_marked(project, cache, "Dockerfile")
    assert not replayed(mllint(project, cache, "--format", "json", "Dockerfile"))
    assert not replayed(mllint(project / "sub", cache, "Dockerfile"))
    assert not replayed(mllint(project, cache, "Dockerfile", env={"NO_COLOR": ""}))
    assert not replayed(mllint(project, cache, "Dockerfile", env={"PYTHONIOENCODING": "latin-1"}))
    assert replayed(mllint(project, cache, "Dockerfile"))


def test_the_date_is_part_of_the_key(monkeypatch):
    from mllint import runcache

    today = runcache.invocation_key(["Dockerfile"])
    monkeypatch.setattr(runcache.time, "strftime", lambda fmt: "2099-01-01")
    assert runcache.invocation_key(["Dockerfile"]) != today


def test_changed_code_or_an_installed_plugin_invalidates(tmp_path):
    """Every module outside the standard library, and every sys.path directory, is a dependency by stat."""
    from mllint import runcache

    recorder = runcache.Recorder(["Dockerfile"])
    recorder.code_dependencies()
    stats = {path for (kind, path) in recorder.dependencies if kind == "stat"}
    import mllint.runcache as module
    import pluggy

    assert module.__file__ in stats and pluggy.__file__ in stats
    assert not any(path == os.__file__ for path in stats)
    site = [p for p in sys.path if p.endswith("site-packages")]
    assert site and all(os.path.abspath(p) in stats for p in site)
    code = tmp_path / "module.py"
    code.write_text("x = 1\n")
    dependency = ("stat", str(code), runcache._stat(str(code)))
    assert runcache._holds(dependency)
    stamp = code.stat()
    os.utime(code, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000))
    assert not runcache._holds(dependency)


# --------------------------------------------------------------------------- what is never stored or replayed


@pytest.mark.parametrize("args", [
    ("--no-cache", "Dockerfile"),
    ("--diff", "Dockerfile"),
    ("--output", "out.txt", "Dockerfile"),
    (".",),
    ("-",),
    ("missing.Dockerfile",),
    ("--jobs", "2", "Dockerfile", "Dockerfile"),
])
def test_runs_with_side_effects_or_unrepeatable_input_are_not_stored(tmp_path, cache, args):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    result = mllint(project, cache, *args, input=TORCH)
    assert result.returncode in (1, 2), result.stderr
    assert entries(cache) == []


def test_fix_is_never_replayed(tmp_path, cache):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    mllint(project, cache, "--fix", "Dockerfile")
    assert entries(cache) == [] and "--no-cache-dir" in (project / "Dockerfile").read_text()


def test_mllint_no_cache_turns_it_off(tmp_path, cache):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    recorded_then_marked(project, cache, "Dockerfile")
    assert not replayed(mllint(project, cache, "Dockerfile", env={"MLLINT_NO_CACHE": "1"}))
    assert not replayed(mllint(project, cache, "--no-cache", "Dockerfile"))


@pytest.mark.parametrize("garbage", [b"", b"\x00\x01garbage", marshal.dumps((1, 2, 3)), marshal.dumps("x")[:-1]])
def test_a_corrupt_entry_means_a_fresh_run(tmp_path, cache, garbage):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    first = mllint(project, cache, "Dockerfile")
    for path in entries(cache):
        path.write_bytes(garbage)
    again = mllint(project, cache, "Dockerfile")
    assert (again.returncode, again.stdout, again.stderr) == (first.returncode, first.stdout, first.stderr)


def test_an_unusable_cache_directory_is_no_error(tmp_path):
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH, "not-a-dir": "x"})
    result = mllint(project, project / "not-a-dir", "Dockerfile")
    assert result.returncode == 1 and result.stderr == b"" and b"ML002" in result.stdout


def _entries_aged(runs: Path, sizes: list[int]) -> None:
    runs.mkdir()
    for index, size in enumerate(sizes):
        (runs / f"{index:08x}.run").write_bytes(b"x" * size)
        os.utime(runs / f"{index:08x}.run", ns=(index * 10**9, index * 10**9))


def test_old_entries_are_pruned_past_the_count_limit(tmp_path, monkeypatch):
    from mllint import runcache

    _entries_aged(tmp_path / "runs", [1] * 12)
    (tmp_path / "runs" / "stale.run.123.tmp").write_bytes(b"x")
    os.utime(tmp_path / "runs" / "stale.run.123.tmp", ns=(0, 0))
    monkeypatch.setattr(runcache, "MAX_ENTRIES", 10)
    runcache._prune(str(tmp_path / "runs"))
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [f"{i:08x}.run" for i in range(7, 12)]
    monkeypatch.setattr(runcache, "MAX_ENTRIES", 5)
    runcache._prune(str(tmp_path / "runs"))  # at the limit: nothing to do
    assert len(list((tmp_path / "runs").iterdir())) == 5


def test_old_entries_are_pruned_past_the_size_limit(tmp_path, monkeypatch):
    from mllint import runcache

    _entries_aged(tmp_path / "runs", [100, 100, 100, 100, 100])
    monkeypatch.setattr(runcache, "MAX_TOTAL_BYTES", 450)
    runcache._prune(str(tmp_path / "runs"))
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [f"{i:08x}.run" for i in (3, 4)]


def test_a_refused_recording_keeps_nothing(monkeypatch, tmp_path):
    """Past the input limit (or once refused for any reason) a recording drops what it held: memory stays flat."""
    from mllint import runcache

    recorder = runcache.Recorder(["Dockerfile"])
    monkeypatch.setattr(runcache, "recording", recorder)
    monkeypatch.setattr(runcache, "MAX_INPUT_BYTES", 10)
    runcache.note_data(str(tmp_path / "a"), b"12345")
    assert len(recorder.dependencies) == 1 and not recorder.refused
    runcache.note_data(str(tmp_path / "b"), b"123456")
    assert recorder.refused and recorder.dependencies == {}
    runcache.note_kind(str(tmp_path / "c"))
    assert recorder.dependencies == {}


def test_a_replay_into_a_closed_pipe_ends_quietly(tmp_path, cache):
    """As click does for a fresh run: exit 1, no traceback, when the reader of stdout has gone."""
    project = workspace_with(tmp_path / "p", {"Dockerfile": TORCH})
    env = {**os.environ, "MLLINT_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    read_end, write_end = os.pipe()
    try:
        def run():
            return subprocess.run([sys.executable, "-m", "mllint", "Dockerfile"], cwd=project, env=env,
                                  stdout=write_end, stderr=subprocess.PIPE, timeout=60)

        run()  # records (its own output went into the pipe)
        assert len(entries(cache)) == 1
        for path in entries(cache):  # exit code 0 recorded: a replay into a closed pipe must end with 1
            key, dependencies, out, err, _ = marshal.loads(path.read_bytes())
            path.write_bytes(marshal.dumps((key, dependencies, out, err, 0)))
        os.close(read_end)
        read_end = None
        result = run()
    finally:
        os.close(write_end)
        if read_end is not None:
            os.close(read_end)
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr and b"Exception ignored" not in result.stderr, result.stderr
