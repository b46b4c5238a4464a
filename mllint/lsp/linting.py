"""Lint an editor's Dockerfile as the command line would, and remember which dependency files it read.

Each Dockerfile gets the configuration found from its own directory upwards (``.mllint.yaml`` or
``[tool.mllint]``, read through the buffer reader, so an unsaved configuration counts too), its build
context is its directory, and its dependency files are read through the same reader. The last result
per Dockerfile is kept: the language server maps its findings to diagnostics and code actions, and
asks which Dockerfiles read a ``requirements.txt`` the user is editing.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mllint.config import ConfigError, Config, discover, load
from mllint.sources import MAX_BYTES, discover as find_dockerfiles, is_dockerfile_name

if TYPE_CHECKING:
    from mllint.engine import FileReport
    from mllint.lsp.buffers import BufferReader
    from mllint.session import Session

_LINE = re.compile(r"\(line (\d+)\)$")
MAX_INDEXED = 2000  # Dockerfiles of a workspace linted to learn which dependency files they read


@dataclass
class Result:
    """The last lint of one Dockerfile."""

    path: str  # absolute
    text: str
    report: "FileReport | None" = None
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, or 0 for the file) -> message
    reads: set[str] = field(default_factory=set)  # absolute paths of the dependency files it read
    config: Config | None = None


def problem_line(message: str) -> int:
    """The line a problem such as ``unterminated heredoc (line 7)`` names, else 0."""
    match = _LINE.search(message)
    return int(match.group(1)) if match else 0


def absolute(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


class Linting:
    def __init__(self, reader: "BufferReader", today: _dt.date | None = None) -> None:
        self.reader = reader
        self.today = today
        self.results: dict[str, Result] = {}
        self._sessions: dict[tuple[str, bytes], "Session"] = {}
        self._lock = threading.Lock()

    # -- configuration -------------------------------------------------------------
    def _config(self, directory: str) -> Config:
        found = discover(Path(directory), self.reader)
        return load(found, str(found), self.reader) if found else Config()

    def _session(self, config: Config) -> "Session":
        from mllint.session import start

        key = (str(config.path or ""), self._config_bytes(config))
        with self._lock:
            session = self._sessions.get(key)
        if session is None:
            session = start(config)
            with self._lock:
                self._sessions[key] = session
        return session

    def _config_bytes(self, config: Config) -> bytes:
        if config.path is None:
            return b""
        try:
            return self.reader.read(str(config.path), 1_000_000)
        except OSError:
            return b""

    def forget_configuration(self) -> None:
        """A configuration file changed: load it again on the next lint."""
        with self._lock:
            self._sessions.clear()

    # -- linting -----------------------------------------------------------------------
    def lint(self, path: str, text: str) -> Result:
        """Lint ``text`` as the Dockerfile at ``path``; never raises."""
        path = absolute(path)
        result = Result(path, text)
        try:
            self._lint(result)
        except Exception as exc:  # noqa: BLE001 - a server must outlive any input; say what happened
            result.report = None
            result.problems = [(0, f"mllint could not lint this file: {type(exc).__name__}: {exc}")]
        with self._lock:
            self.results[path] = result
        return result

    def _lint(self, result: Result) -> None:
        from mllint.session import SetupError

        text = result.text
        if "\x00" in text[:8192]:
            result.problems.append((0, "binary file (contains NUL bytes), not a Dockerfile"))
            return
        if len(text.encode("utf-8", errors="surrogatepass")) > MAX_BYTES:
            result.problems.append((0, f"file too large (the limit is {MAX_BYTES // (1024 * 1024)} MiB); not linted"))
            return
        try:
            config = self._config(os.path.dirname(result.path))
            session = self._session(config)
        except (ConfigError, SetupError) as exc:
            result.problems.append((0, f"configuration: {exc}"))
            return
        result.config = config
        if config.path is not None and config.exclude and config.excluded(result.path):
            return
        linter = session.linter(today=self.today or _dt.date.today(), follow_files=True, reader=self.reader,
                                inline_ignores=config.inline_ignores or "allow", target=config.target)
        report = linter.lint_text(text, result.path, skip=session.skipped_rules(result.path))
        result.report = report
        result.problems.extend((problem_line(p), p) for p in report.problems)
        result.reads = {absolute(p) for p in report.dependency_files}

    # -- who reads what --------------------------------------------------------------------
    def readers_of(self, path: str) -> list[str]:
        """The Dockerfiles (linted so far) whose last lint read ``path``."""
        path = absolute(path)
        with self._lock:
            return sorted(p for p, result in self.results.items() if path in result.reads)

    def index(self, roots: list[str], read_text) -> None:
        """Lint the Dockerfiles below ``roots`` that were not linted yet (to learn what they read)."""
        count = 0
        for root in roots:
            for found in find_dockerfiles(root):
                count += 1
                if count > MAX_INDEXED:
                    return
                path = absolute(found)
                if path in self.results:
                    continue
                text = read_text(path)
                if text is not None:
                    self.lint(path, text)


def is_dockerfile(path: str, language_id: str | None = None) -> bool:
    return (language_id or "").lower() in ("dockerfile", "containerfile") or is_dockerfile_name(os.path.basename(path))
