"""Lines kept out of memory until a document can be written.

SARIF needs every result before its document ends (a run over GitHub's limit keeps only the
most severe), so its results wait here: in memory up to ``IN_MEMORY`` bytes, then in an
anonymous temporary file, which the system removes when it is closed. When no temporary file
can be made the lines stay in memory: more memory, never an error.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

IN_MEMORY = 1024 * 1024  # characters kept in memory before the lines move to a temporary file


class Spool:
    def __init__(self, limit: int | None = None) -> None:
        self.limit = IN_MEMORY if limit is None else limit
        self.count = 0
        self.size = 0  # characters added, line breaks included
        self._lines: list[str] = []
        self._size = 0
        self._file = None

    def add(self, line: str) -> None:
        """Keep ``line``: ASCII, without a line break."""
        self.count += 1
        self.size += len(line) + 1
        if self._file is not None:
            self._file.write(line + "\n")
            return
        self._lines.append(line)
        self._size += len(line) + 1
        if self._size > self.limit:
            self._spill()

    def lines(self) -> Iterator[str]:
        """The lines in the order they were added; may be read more than once."""
        if self._file is None:
            yield from self._lines
            return
        self._file.seek(0)
        for line in self._file:
            yield line[:-1]
        self._file.seek(0, 2)  # a later add() appends

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._lines = []

    def _spill(self) -> None:
        try:
            self._file = tempfile.TemporaryFile("w+", encoding="ascii", newline="\n")
        except OSError:
            self.limit = float("inf")  # type: ignore[assignment]  # no temporary directory: stay in memory
            return
        self._file.writelines(line + "\n" for line in self._lines)
        self._lines = []
        self._size = 0
