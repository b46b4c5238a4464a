"""mllint's private cache directory: the only place mllint writes on its own.

Two things are kept there, both answers a fresh computation would give byte for byte: the rule
tables compiled from ``rules/`` YAML when running from a source checkout (an installed wheel ships
them compiled) and the ``mllint`` entry points of the installed distributions. Each entry is stored
under the exact bytes of everything it was computed from (its *key*) and is used only when the key
matches byte for byte, so a stale entry is never used; nobody else can write the directory, so none
is forged. What this module guarantees (docs/performance.md, "What is cached"):

- the directory (``$MLLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/mllint``, else ``~/.cache/mllint``)
  is created 0700; a directory that is a symbolic link, is owned by another user or is writable by
  its group or by others is not used (one line on stderr, once), and neither is an entry that is not
  a regular file owned by the current user;
- every file is opened relative to the directory's descriptor without following links; entries are
  written to a temporary file with a random name, created exclusively with mode 0600, then renamed
  over the entry; a failed write removes its temporary file, and temporary files older than an hour
  (left by a killed process) are removed;
- a cache that cannot be used is no cache: never an error, never a different result.

Only built-in modules are imported: this runs on every start.
"""

from __future__ import annotations

import os
import stat
import sys

FORMAT = b"mllint-cache-1\n"
STALE_SECONDS = 3600
_TEMPORARY = ".tmp-"
_FLAGS = os.O_CLOEXEC if hasattr(os, "O_CLOEXEC") else 0
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)

_state: dict[str, object] = {}  # "fd": the open directory, or "refused": why it is not used


def cache_dir() -> str:
    """``MLLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/mllint`` (an absolute XDG path only), else ``~/.cache/mllint``."""
    explicit = os.environ.get("MLLINT_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mllint")


def _refuse(path: str, why: str, say: bool) -> None:
    _state["refused"] = why
    if say:
        sys.stderr.write(f"mllint: not using the cache directory {path}: {why}\n")


def _open_directory() -> int | None:
    """The cache directory's descriptor, created if missing; None when it must not or cannot be used."""
    if "fd" in _state or "refused" in _state:
        return _state.get("fd")  # type: ignore[return-value]
    path = cache_dir()
    if not (_NOFOLLOW and _DIRECTORY and os.open in os.supports_dir_fd):
        _refuse(path, "this platform cannot open files safely in it", False)
        return None
    try:
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, mode=0o700, exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        fd = os.open(path, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _FLAGS)
    except OSError as exc:
        if os.path.islink(path):
            _refuse(path, "it is a symbolic link", True)
        else:  # read-only home, a file in the way: no cache, and nothing to warn about
            _refuse(path, exc.strerror or str(exc), False)
        return None
    info = os.fstat(fd)
    why = ""
    if info.st_uid != os.geteuid():
        why = f"it is owned by user {info.st_uid}, not by you"
    elif info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        why = f"others can write it (mode {stat.S_IMODE(info.st_mode):o}; chmod 700 it to use it)"
    if why:
        os.close(fd)
        _refuse(path, why, True)
        return None
    _state["fd"] = fd
    return fd


def _private_file(fd: int) -> bool:
    info = os.fstat(fd)
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def frame(key: bytes, payload: bytes) -> bytes:
    """An entry: the format line, the lengths and a checksum of the payload, the key, the payload."""
    import zlib

    return FORMAT + b"%d %d %d\n" % (len(key), len(payload), zlib.crc32(payload)) + key + payload


def unframe(data: bytes, key: bytes) -> bytes | None:
    """The payload of an entry stored under exactly ``key`` (complete and undamaged), else None."""
    import zlib

    if not data.startswith(FORMAT):
        return None
    header, newline, rest = data[len(FORMAT):].partition(b"\n")
    try:
        key_length, length, checksum = (int(part) for part in header.split())
    except ValueError:
        return None
    if not newline or key_length != len(key) or len(rest) != key_length + length or rest[:key_length] != key:
        return None
    payload = rest[key_length:]
    return payload if zlib.crc32(payload) == checksum else None


def load(name: str, key: bytes) -> bytes | None:
    """The payload stored as ``name`` under exactly ``key``, or None."""
    directory = _open_directory()
    if directory is None:
        return None
    try:
        fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _FLAGS, dir_fd=directory)
    except OSError:
        return None
    try:
        if not _private_file(fd):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    finally:
        os.close(fd)
    return unframe(data, key)


def store(name: str, key: bytes, payload: bytes, keep: int = 8) -> None:
    """Store ``payload`` as ``name`` under ``key``; keep the ``keep`` newest entries sharing its prefix
    (the part before the last ``-``)."""
    directory = _open_directory()
    if directory is None:
        return
    temporary = f"{_TEMPORARY}{os.urandom(8).hex()}"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _FLAGS, 0o600,
                     dir_fd=directory)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(frame(key, payload))
        os.replace(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
    except OSError:
        try:
            os.unlink(temporary, dir_fd=directory)
        except OSError:
            pass
        return
    _prune(directory, name.rpartition("-")[0] + "-", keep)


def _prune(directory: int, prefix: str, keep: int) -> None:
    """Remove temporary files left by killed processes, and all but the ``keep`` newest ``prefix*`` entries."""
    import time

    try:
        entries = []
        with os.scandir(directory) as listing:
            for entry in listing:
                info = entry.stat(follow_symlinks=False)
                if entry.name.startswith(_TEMPORARY) and info.st_mtime < time.time() - STALE_SECONDS:
                    os.unlink(entry.name, dir_fd=directory)
                elif entry.name.startswith(prefix) and prefix != "-":
                    entries.append((info.st_mtime_ns, entry.name))
        for _, old in sorted(entries, reverse=True)[keep:]:
            os.unlink(old, dir_fd=directory)
    except OSError:
        pass
