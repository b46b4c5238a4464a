"""The one way the linter reads the files it follows: a reader the caller passes in.

The model reads requirement and constraint files, ``pyproject.toml``, conda environment and
``--file`` lists, and the configuration file only through a :class:`Reader`. The command line
passes a :class:`DiskReader`; tests pass a :class:`MemoryReader`; the language server passes one
that serves unsaved editor buffers (override ``read`` and ``kind``). Nothing else in the model
opens a file, so what was linted is exactly what was read.

A :class:`ContextReader` is one lint's view of one build context through a reader: paths relative
to the context root, nothing outside it (``..`` or a symbolic link leading out), and each file read
at most once, so every finding about a file is about the same bytes.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Mapping

FILE, DIRECTORY, MISSING, OTHER = "file", "dir", "missing", "other"
MAX_BYTES = 5_000_000  # a dependency file larger than this is not read


class Reader:
    """Files by path (absolute, or relative to the working directory). Errors are ``OSError``s:
    ``FileNotFoundError``, ``IsADirectoryError``, ``PermissionError``..."""

    def read(self, path: str, limit: int) -> bytes:
        """At most ``limit + 1`` bytes of the file (more than ``limit``: it is too large)."""
        raise NotImplementedError

    def kind(self, path: str) -> str:
        """FILE, DIRECTORY, MISSING or OTHER (a device, a socket, a path that cannot be examined)."""
        raise NotImplementedError

    def listdir(self, path: str) -> list[str]:
        """The names in a directory, sorted; [] when it is not one."""
        raise NotImplementedError

    def real(self, path: str) -> str:
        """Where ``path`` leads once symbolic links are followed (absolute)."""
        raise NotImplementedError

    def owner(self, path: str) -> tuple[int, int] | None:
        """(owner uid, mode) of ``path``, or None when unknown (files that are not on disk)."""
        return None


class DiskReader(Reader):
    """The file system, as the command line sees it."""

    def read(self, path: str, limit: int) -> bytes:
        with open(path, "rb") as handle:
            if stat.S_ISDIR(os.fstat(handle.fileno()).st_mode):
                raise IsADirectoryError(21, "Is a directory", path)
            return handle.read(limit + 1)

    def kind(self, path: str) -> str:
        try:
            mode = os.stat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return MISSING
        except (OSError, ValueError):
            return OTHER
        return FILE if stat.S_ISREG(mode) else DIRECTORY if stat.S_ISDIR(mode) else OTHER

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(path))
        except (OSError, ValueError):
            return []

    def real(self, path: str) -> str:
        return os.path.realpath(path)

    def owner(self, path: str) -> tuple[int, int] | None:
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            return None
        return info.st_uid, info.st_mode


class MemoryReader(Reader):
    """Files held in memory: ``{path: bytes}`` (``/``-separated, relative paths from ``cwd``)."""

    def __init__(self, files: Mapping[str, bytes | str], cwd: str = "/work") -> None:
        self.cwd = cwd
        self.files = {self.real(path): data.encode() if isinstance(data, str) else data
                      for path, data in files.items()}

    def real(self, path: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, path.replace(os.sep, "/")))

    def _is_dir(self, real: str) -> bool:
        prefix = real.rstrip("/") + "/"
        return real == "/" or any(name.startswith(prefix) for name in self.files)

    def read(self, path: str, limit: int) -> bytes:
        real = self.real(path)
        if real in self.files:
            return self.files[real][: limit + 1]
        if self._is_dir(real):
            raise IsADirectoryError(21, "Is a directory", path)
        raise FileNotFoundError(2, "No such file or directory", path)

    def kind(self, path: str) -> str:
        real = self.real(path)
        return FILE if real in self.files else DIRECTORY if self._is_dir(real) else MISSING

    def listdir(self, path: str) -> list[str]:
        prefix = self.real(path).rstrip("/") + "/"
        return sorted({name[len(prefix):].split("/")[0] for name in self.files if name.startswith(prefix)})


class ContextReader:
    """One lint's view of a build context: relative paths, nothing outside it, each file read once."""

    def __init__(self, reader: Reader, root: str | os.PathLike[str]) -> None:
        self.reader = reader
        self.shown = os.fspath(root)
        self.real_root = reader.real(self.shown)
        self._texts: dict[str, tuple[str | None, str | None]] = {}
        self._kinds: dict[str, str] = {}

    def display(self, rel: str) -> str:
        """``rel`` as reports show it: joined to the context directory as it was given."""
        shown = self.shown
        if shown in ("", "."):
            return rel
        return posixpath.join(shown.replace(os.sep, "/").rstrip("/"), rel)

    def _path(self, rel: str) -> str | None:
        """The path to hand the reader, or None when ``rel`` leads outside the context."""
        if rel == ".." or rel.startswith("../") or rel.startswith("/"):
            return None
        path = os.path.join(self.shown, rel) if self.shown else rel
        real, root = self.reader.real(path), self.real_root
        inside = root.rstrip("/" + os.sep)
        if real == root or real.startswith((inside + "/", inside + os.sep)):
            return path
        return None

    def kind(self, rel: str) -> str:
        if rel not in self._kinds:
            path = self._path(rel)
            self._kinds[rel] = MISSING if path is None else self.reader.kind(path)
        return self._kinds[rel]

    def is_dir(self, rel: str) -> bool:
        return self.kind(rel) == DIRECTORY

    def exists(self, rel: str) -> bool:
        return self.kind(rel) != MISSING

    def listdir(self, rel: str) -> list[str]:
        path = self._path(rel)
        return [] if path is None else self.reader.listdir(path)

    def read(self, rel: str) -> tuple[str | None, str | None]:
        """(text, None) or (None, why it cannot be read); the same answer every time in one lint."""
        if rel not in self._texts:
            self._texts[rel] = self._read(rel)
        return self._texts[rel]

    def _read(self, rel: str) -> tuple[str | None, str | None]:
        path = self._path(rel)
        shown = self.display(rel)
        if path is None:
            return None, f"{rel} is outside the build context"
        try:
            data = self.reader.read(path, MAX_BYTES)
        except IsADirectoryError:
            return None, f"{shown} is a directory"
        except (FileNotFoundError, NotADirectoryError):
            return None, f"{shown} is not in the build context"
        except (OSError, ValueError) as exc:
            return None, f"{shown} cannot be read ({getattr(exc, 'strerror', None) or exc})"
        if len(data) > MAX_BYTES:
            return None, f"{shown} is larger than {MAX_BYTES // 1_000_000} MB"
        try:
            return data.decode("utf-8-sig"), None
        except UnicodeDecodeError:
            return None, f"{shown} is not UTF-8 text"


def context_for(reader: Reader | None, dockerfile_path: str, build_context: str | None) -> ContextReader | None:
    """The build context of a Dockerfile: ``--context DIR``, else the Dockerfile's directory (none for stdin)."""
    if reader is None:
        return None
    if build_context:
        return ContextReader(reader, build_context)
    if dockerfile_path in ("-", ""):
        return None
    return ContextReader(reader, os.path.dirname(dockerfile_path) or ".")
