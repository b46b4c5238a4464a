"""Writing a report while the files are linted, so that memory stays flat however many there are.

A reporter formats a document in three parts: its head, one part per file and its tail (the
summary; for SARIF, which needs every result first, the whole document). ``Stream`` writes each
part as soon as it exists; a file's findings are garbage once its part is written, and the run
keeps only a ``Tally`` of counters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mllint.report.tally import Tally


class Reporter:
    """A format's reporter. Each part is an iterable of text pieces (empty by default), consumed once and in
    full before the next part is asked for, so a part may be a generator that updates the reporter's state."""

    def __init__(self, rules, **options) -> None:
        self.rules = rules

    def head(self) -> Iterable[str]:
        return ()

    def file(self, report) -> Iterable[str]:
        return ()

    def tail(self, tally: Tally) -> Iterable[str]:
        return ()


class Stream:
    """Feeds a reporter one file at a time and hands each part to ``write`` at once."""

    def __init__(self, reporter: Reporter, write: Callable[[str], object]) -> None:
        self.reporter = reporter
        self.write = write
        self.tally = Tally()
        self._put("".join(reporter.head()))

    def add(self, report) -> None:
        self.tally.add(report)
        self._put("".join(self.reporter.file(report)))  # one write per file: output appears file by file

    def close(self) -> Tally:
        for piece in self.reporter.tail(self.tally):  # in pieces: SARIF's tail is the whole document
            self._put(piece)
        return self.tally

    def _put(self, text: str) -> None:
        if text:
            self.write(text)


def render_all(reporter: Reporter, reports: Iterable) -> str:
    """The whole document for finished reports, as one string (tests, tools)."""
    pieces: list[str] = []
    stream = Stream(reporter, pieces.append)
    for report in reports:
        stream.add(report)
    stream.close()
    return "".join(pieces)


def renderer(reporter_class: type[Reporter]) -> Callable[..., str]:
    """A format module's ``render(reports, rules, **options) -> str``."""
    def render(reports, rules, **options) -> str:
        return render_all(reporter_class(rules, **options), reports)

    return render


class OutputError(Exception):
    """The ``--output`` file could not be opened or written; the message says why."""


class FileOutput:
    """``--output FILE``, written as the report grows: any OSError becomes an ``OutputError``."""

    def __init__(self, path: str) -> None:
        try:
            self.handle = open(path, "w", encoding="utf-8")
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from None

    def write(self, text: str) -> None:
        try:
            self.handle.write(text)
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from None

    def close(self) -> None:
        try:
            self.handle.close()
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from None
