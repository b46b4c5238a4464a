"""Finding Dockerfiles on disk and reading them without ever crashing.

Each input either yields text or one clear problem line; a bad file never
stops the others from being linted.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Larger inputs are refused: no real Dockerfile is this big, and a linter
# must not be made to chew on a multi-megabyte blob in a pre-commit hook.
MAX_BYTES = 5 * 1024 * 1024

DOCKERFILE_PATTERNS = (
    "Dockerfile",
    "Containerfile",
    "*.Dockerfile",
    "*.dockerfile",
    "*.containerfile",
    "Dockerfile.*",
    "Containerfile.*",
    "Dockerfile-*",
    "Dockerfile_*",
)
NOT_DOCKERFILES = ("*.dockerignore", "*.md", "*.orig", "*.rej", "*.swp", "*~")
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
             ".pytest_cache", ".ruff_cache", "venv", ".venv", "site-packages"}


NO_DOCKERFILES = "no Dockerfiles found in this directory"


@dataclass(frozen=True)
class Source:
    """An input's text, or why it could not be read, under the name reports show."""

    path: str  # as shown in reports
    text: str | None
    problem: str | None = None  # set when text could not be read cleanly
    fatal: bool = False


def is_dockerfile_name(name: str) -> bool:
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in NOT_DOCKERFILES):
        return False
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in DOCKERFILE_PATTERNS)


def discover(directory: str) -> Iterator[str]:
    """Dockerfiles under ``directory``, sorted, skipping VCS, caches and virtualenvs."""
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(
            d for d in dirs
            if d not in SKIP_DIRS and not os.path.exists(os.path.join(root, d, "pyvenv.cfg"))
        )
        for name in sorted(files):
            if is_dockerfile_name(name):
                yield os.path.join(root, name)


def decode(data: bytes, path: str) -> Source:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:8192]:
        return Source(path, None, "binary file (contains NUL bytes), not a Dockerfile", fatal=True)
    try:
        return Source(path, data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        # Docker accepts such files, so lint them anyway, but say so.
        text = data.decode("utf-8", errors="replace")
        return Source(path, text, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                      "invalid bytes were replaced")


def read_path(path: str) -> Source:
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            return Source(path, None, f"file too large ({size / 1e6:.1f} MB; the limit is "
                          f"{MAX_BYTES // (1024 * 1024)} MiB)", fatal=True)
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return Source(path, None, "no such file", fatal=True)
    except PermissionError:
        return Source(path, None, "permission denied", fatal=True)
    except IsADirectoryError:
        return Source(path, None, "is a directory", fatal=True)
    except OSError as exc:
        return Source(path, None, f"{exc.strerror or exc}", fatal=True)
    return decode(data, path)


def read_stdin(name: str) -> Source:
    data = sys.stdin.buffer.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return Source(name, None, f"input too large (more than {MAX_BYTES // (1024 * 1024)} MiB)", fatal=True)
    return decode(data, name)


def collect(paths: list[str], stdin_name: str = "-",
            exclude: Callable[[str], bool] | None = None) -> Iterator[Source]:
    """Sources for the command-line paths: files, directories (recursive) and ``-``.

    ``exclude`` (the configuration's globs) skips files, named or found; a directory
    whose Dockerfiles are all excluded is not an error.
    """
    for path in paths or ["."]:
        if path == "-":
            yield read_stdin(stdin_name)
        elif os.path.isdir(path):
            found = False
            for file_path in discover(path):
                found = True
                if exclude is None or not exclude(file_path):
                    yield read_path(os.path.normpath(file_path))
            if not found:
                yield Source(path, None, NO_DOCKERFILES, fatal=True)
        elif exclude is None or not exclude(path):
            yield read_path(path)
