"""The editor's unsaved buffers as a file reader: an open document is read as it is in the editor.

The model reads requirements files, ``pyproject.toml``, ``environment.yml`` and the configuration only
through a :class:`~mllint.reader.Reader`; this one answers from the open buffers first and falls back to
the disk, so a change to ``requirements.txt`` counts before it is saved.
"""

from __future__ import annotations

import os
import threading

from mllint.reader import DIRECTORY, FILE, MISSING, DiskReader


class BufferReader(DiskReader):
    def __init__(self) -> None:
        self._buffers: dict[str, bytes] = {}
        self._lock = threading.Lock()  # edits arrive on the event loop, lints run in a worker thread

    @staticmethod
    def _key(path: str) -> str:
        return os.path.normpath(os.path.abspath(path))

    def open(self, path: str, text: str) -> None:
        with self._lock:
            self._buffers[self._key(path)] = text.encode("utf-8", errors="surrogatepass")

    def close(self, path: str) -> None:
        with self._lock:
            self._buffers.pop(self._key(path), None)

    def buffer(self, path: str) -> bytes | None:
        with self._lock:
            return self._buffers.get(self._key(path))

    def read(self, path: str, limit: int) -> bytes:
        data = self.buffer(path)
        return data[: limit + 1] if data is not None else super().read(path, limit)

    def kind(self, path: str) -> str:
        if self.buffer(path) is not None:
            return FILE
        found = super().kind(path)
        if found == MISSING and self._holds_buffers(path):
            return DIRECTORY  # a new, unsaved file's directory
        return found

    def listdir(self, path: str) -> list[str]:
        names = set(super().listdir(path))
        prefix = self._key(path) + os.sep
        with self._lock:
            names |= {key[len(prefix):].split(os.sep)[0] for key in self._buffers if key.startswith(prefix)}
        return sorted(names)

    def _holds_buffers(self, path: str) -> bool:
        prefix = self._key(path) + os.sep
        with self._lock:
            return any(key.startswith(prefix) for key in self._buffers)
