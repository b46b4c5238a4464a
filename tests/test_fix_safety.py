"""--fix never destroys: permissions, links, owners and concurrent edits are kept, or the file is refused."""

from __future__ import annotations

import errno
import os
import stat
import tempfile

import pytest

from conftest import install_plugin, run_cli, workspace_with
from mllint import fixes
from mllint.fixes import FixNotWritten, write_fixed

CACHED = "FROM python:3.11-slim\nRUN pip install torch==2.4.1\n"  # one safe ML003 fix
FIXED = "FROM python:3.11-slim\nRUN pip install --no-cache-dir torch==2.4.1\n"


def fix(cwd, *paths: str, env=None):
    return run_cli("--fix", *paths, cwd=cwd, env=env)


def test_a_read_only_file_is_refused_and_left_alone(tmp_path):
    project = workspace_with(tmp_path, {"Dockerfile": CACHED})
    path = project / "Dockerfile"
    path.chmod(0o444)
    before = path.stat()
    result = fix(project, "Dockerfile")
    assert result.returncode == 2
    err = result.stderr.decode().splitlines()
    assert err == ["mllint: Dockerfile: not writable (mode 444); 1 fix not written",
                   "mllint: applied 0 fixes in 0 files; 1 fix in 1 file not written."]
    assert b"ML003" in result.stdout  # reported as the file still is
    after = path.stat()
    assert path.read_text() == CACHED and (after.st_ino, after.st_mode, after.st_mtime_ns) == \
        (before.st_ino, before.st_mode, before.st_mtime_ns)


def test_what_was_and_was_not_written_is_reported_exactly(tmp_path):
    project = workspace_with(tmp_path, {"a/Dockerfile": CACHED, "b/Dockerfile": CACHED})
    (project / "b" / "Dockerfile").chmod(0o444)
    result = fix(project, "a/Dockerfile", "b/Dockerfile")
    assert result.returncode == 2
    assert result.stderr.decode().splitlines()[-1] == \
        "mllint: applied 1 fix in 1 file; 1 fix in 1 file not written."
    assert (project / "a" / "Dockerfile").read_text() == FIXED
    assert (project / "b" / "Dockerfile").read_text() == CACHED
    out = result.stdout.decode()
    assert "b/Dockerfile:2:5: ML003" in out and "a/Dockerfile:2:5: ML003" not in out


def test_a_symbolic_link_is_kept_and_its_target_fixed(tmp_path):
    project = workspace_with(tmp_path, {"real/Dockerfile": CACHED})
    (project / "Dockerfile").symlink_to("real/Dockerfile")
    result = fix(project, "Dockerfile")
    assert result.returncode == 0, result.stderr
    assert (project / "Dockerfile").is_symlink() and os.readlink(project / "Dockerfile") == "real/Dockerfile"
    assert (project / "real" / "Dockerfile").read_text() == FIXED


def test_hard_links_stay_one_file(tmp_path):
    project = workspace_with(tmp_path, {"Dockerfile": CACHED})
    os.link(project / "Dockerfile", project / "other.Dockerfile")
    inode = (project / "Dockerfile").stat().st_ino
    result = fix(project, "Dockerfile")
    assert result.returncode == 0, result.stderr
    assert (project / "Dockerfile").stat().st_ino == inode and (project / "Dockerfile").stat().st_nlink == 2
    assert (project / "other.Dockerfile").read_text() == FIXED


def test_the_owner_is_kept_when_another_user_fixes_the_file(tmp_path):
    project = workspace_with(tmp_path, {"Dockerfile": CACHED})
    path = project / "Dockerfile"
    try:
        os.chown(path, 65534, 65534)
    except PermissionError:
        pytest.skip("only root can fix a file owned by another user here")
    path.chmod(0o664)
    result = fix(project, "Dockerfile")
    assert result.returncode == 0, result.stderr
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o664)
    assert path.read_text() == FIXED


APPENDER = '''\
import os

import mllint

META = mllint.RuleMeta.from_mapping(
    {"id": "ED001", "name": "edits-the-file", "severity": "info", "summary": "Appends a line while linting."})
MARK = "# appended while mllint was fixing\\n"


def check(ctx):
    with open(ctx.path, encoding="utf-8") as handle:
        done = handle.read().endswith(MARK)
    if not done:
        with open(ctx.path, "a", encoding="utf-8") as handle:
            handle.write(MARK)
    return []


@mllint.hookimpl
def mllint_rules():
    return [mllint.Rule(META, check)]
'''


def test_a_concurrent_edit_is_kept_and_the_file_refused(tmp_path):
    """Another writer appends a line while the fixes are computed (here: a plugin's check does it)."""
    site = install_plugin(tmp_path / "site", "appender", APPENDER)
    project = workspace_with(tmp_path / "p", {"Dockerfile": CACHED})
    result = fix(project, "Dockerfile", env={"PYTHONPATH": str(site)})
    assert result.returncode == 2
    assert "mllint: Dockerfile: changed while fixing; 1 fix not written" in result.stderr.decode()
    assert (project / "Dockerfile").read_text() == CACHED + "# appended while mllint was fixing\n"


# --------------------------------------------------------------------------- write_fixed itself


def test_a_failed_write_changes_nothing_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "Dockerfile"
    path.write_text(CACHED)

    def read_only_file_system(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(fixes.os, "replace", read_only_file_system)
    with pytest.raises(FixNotWritten, match=r"^cannot be written \(Read-only file system\)$"):
        write_fixed(str(path), CACHED, FIXED)
    assert path.read_text() == CACHED and sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]


def test_a_full_disk_in_place_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "Dockerfile"
    path.write_text(CACHED)
    os.link(path, tmp_path / "twin")  # hard links: written in place

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fixes.os, "posix_fallocate", disk_full, raising=False)
    with pytest.raises(FixNotWritten, match="No space left on device"):
        write_fixed(str(path), CACHED, FIXED)
    assert path.read_text() == CACHED


def test_a_directory_that_takes_no_new_file_gets_the_fix_in_place(tmp_path, monkeypatch):
    path = tmp_path / "Dockerfile"
    path.write_text(CACHED)
    inode = path.stat().st_ino

    def no_new_files(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", no_new_files)
    assert write_fixed(str(path), CACHED, FIXED) == "in place"
    assert path.read_text() == FIXED and path.stat().st_ino == inode


def test_a_bom_and_the_permission_bits_are_kept(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\xef\xbb\xbf" + CACHED.encode())
    path.chmod(0o640)
    assert write_fixed(str(path), CACHED, FIXED) == "replaced"
    assert path.read_bytes() == b"\xef\xbb\xbf" + FIXED.encode() and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_content_that_is_not_what_was_linted_is_refused(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(CACHED + "# edited\n")
    with pytest.raises(FixNotWritten, match="^changed while fixing$"):
        write_fixed(str(path), CACHED, FIXED)
    assert path.read_text() == CACHED + "# edited\n"
