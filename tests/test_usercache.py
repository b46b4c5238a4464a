"""mllint's private cache directory (mllint.usercache): private, never followed through links, never stale."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from mllint import usercache

KEY = b"the exact inputs"


@pytest.fixture
def cache(tmp_path, monkeypatch, capsys):
    """A fresh cache directory for this process (the module keeps the open directory per process)."""
    path = tmp_path / "cache" / "mllint"
    monkeypatch.setenv("MLLINT_CACHE_DIR", str(path))
    monkeypatch.setattr(usercache, "_state", {})
    yield path
    fd = usercache._state.get("fd")
    if isinstance(fd, int):
        os.close(fd)


def test_created_private_and_entries_written_0600(cache):
    usercache.store("tables-1", KEY, b"payload")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE((cache / "tables-1").stat().st_mode) == 0o600
    assert usercache.load("tables-1", KEY) == b"payload"


def test_an_entry_is_used_only_under_exactly_its_key(cache):
    usercache.store("tables-1", KEY, b"payload")
    assert usercache.load("tables-1", KEY + b"!") is None
    assert usercache.load("tables-1", KEY[:-1]) is None
    assert usercache.load("other-1", KEY) is None


@pytest.mark.parametrize("damage", ["truncate", "flip", "append", "garbage"])
def test_a_damaged_entry_is_ignored(cache, damage):
    usercache.store("tables-1", KEY, b"payload bytes")
    path = cache / "tables-1"
    data = path.read_bytes()
    changed = {"truncate": data[:-3], "flip": data[:-1] + b"X", "append": data + b"more",
               "garbage": b"\x00not an entry"}[damage]
    path.write_bytes(changed)
    assert usercache.load("tables-1", KEY) is None


def test_an_entry_that_is_a_link_or_writable_by_others_is_ignored(cache, tmp_path):
    usercache.store("tables-1", KEY, b"payload")
    elsewhere = tmp_path / "planted"
    elsewhere.write_bytes((cache / "tables-1").read_bytes())
    (cache / "tables-2").symlink_to(elsewhere)
    assert usercache.load("tables-2", KEY) is None
    os.chmod(cache / "tables-1", 0o666)
    assert usercache.load("tables-1", KEY) is None


def test_a_store_replaces_a_planted_link_instead_of_writing_through_it(cache, tmp_path):
    usercache.store("tables-0", KEY, b"first")  # creates the directory
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (cache / "tables-1").symlink_to(victim)
    usercache.store("tables-1", KEY, b"payload")
    assert victim.read_text() == "precious"
    assert not (cache / "tables-1").is_symlink() and usercache.load("tables-1", KEY) == b"payload"


@pytest.mark.parametrize("how", ["symlink", "world-writable", "group-writable"])
def test_an_unsafe_directory_is_not_used_and_said_once(cache, tmp_path, capsys, how):
    if how == "symlink":
        real = tmp_path / "real"
        real.mkdir(mode=0o700)
        cache.parent.mkdir()
        cache.symlink_to(real)
    else:
        cache.mkdir(parents=True)
        cache.chmod(0o777 if how == "world-writable" else 0o770)
    usercache.store("tables-1", KEY, b"payload")
    assert usercache.load("tables-1", KEY) is None
    usercache.store("tables-2", KEY, b"payload")
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"mllint: not using the cache directory {cache}: ")
    assert not (tmp_path / "real" / "tables-1").exists() and not (cache / "tables-1").exists()


def test_a_directory_owned_by_another_user_is_not_used(cache, capsys):
    cache.mkdir(parents=True, mode=0o700)
    try:
        os.chown(cache, 65534, 65534)
    except PermissionError:
        pytest.skip("only root can give a directory to another user here")
    usercache.store("tables-1", KEY, b"payload")
    assert list(cache.iterdir()) == []
    assert "owned by user 65534" in capsys.readouterr().err


def test_an_unusable_directory_is_silently_no_cache(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("MLLINT_CACHE_DIR", str(blocker / "mllint"))
    monkeypatch.setattr(usercache, "_state", {})
    usercache.store("tables-1", KEY, b"payload")
    assert usercache.load("tables-1", KEY) is None and capsys.readouterr().err == ""


def test_a_failed_write_leaves_no_temporary_file(cache, monkeypatch):
    usercache.store("tables-0", KEY, b"first")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(usercache.os, "replace", disk_full)
    usercache.store("tables-1", KEY, b"payload")
    assert sorted(p.name for p in cache.iterdir()) == ["tables-0"]


def test_stale_temporary_files_and_old_entries_are_pruned(cache):
    usercache.store("tables-0", KEY, b"first")
    stale, fresh = cache / ".tmp-0123456789abcdef", cache / ".tmp-fedcba9876543210"
    stale.write_bytes(b"left by a killed process")
    fresh.write_bytes(b"being written right now")
    os.utime(stale, (0, 0))
    for index in range(1, 12):
        usercache.store(f"tables-{index}", KEY, b"x")
        os.utime(cache / f"tables-{index}", ns=(index * 10**9, index * 10**9))
    usercache.store("other-1", KEY, b"y")
    names = sorted(p.name for p in cache.iterdir())
    assert stale.name not in names and fresh.name in names and "other-1" in names
    assert len([n for n in names if n.startswith("tables-")]) == 8


def test_only_an_absolute_xdg_cache_home_counts(monkeypatch, tmp_path):
    monkeypatch.delenv("MLLINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert usercache.cache_dir() == str(tmp_path / ".cache" / "mllint")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert usercache.cache_dir() == str(tmp_path / "xdg" / "mllint")
