"""Automatic fixes: locate edits for checks, and apply the edits findings carry.

A fix is data: a check attaches ``Edit`` spans (1-based file coordinates, see ``mllint.rule.Edit``)
to its ``Hit``; nothing here knows any rule. ``fix_text`` lints, applies every edit that does not
overlap an earlier one, lints again, and repeats until nothing applies (at most ``MAX_PASSES``).
Everything outside the edited spans is kept byte for byte: comments, continuations, heredocs,
CRLF line ends and a UTF-8 BOM. An edit whose span no longer holds its ``expected`` text is
dropped, and so is a pass after which the file no longer parses or has more input problems.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections import Counter
from contextlib import contextmanager
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mllint.rule import Edit

if TYPE_CHECKING:
    from mllint.dockerfile import Install
    from mllint.engine import FileReport

MAX_PASSES = 10
BOM = "\ufeff"


# --------------------------------------------------------------------------- locating (for checks)


def _placed(install: "Install"):
    """The install's command as placed in its RUN (one index per RUN: a heredoc may hold thousands)."""
    from mllint.memo import command_index

    position = command_index(install.instruction).get(id(install.record.command))
    return install.instruction.commands[position] if position is not None else None


def install_words(install: "Install") -> list[tuple[str, int]]:
    """The whitespace-separated words of the install's command text with their offsets in it."""
    command = install.record.command
    return [(m.group(), m.start()) for m in re.finditer(r"\S+", command.text)]


def unquoted(word: str, offset: int) -> tuple[str, int]:
    """``'sklearn'`` -> (``sklearn``, offset + 1): a word wholly in one pair of quotes."""
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1], offset + 1
    return word, offset


def edit_in_command(install: "Install", start: int, end: int, replacement: str) -> Edit | None:
    """An edit replacing ``command.text[start:end]`` of an install, or None when it cannot be placed.

    Only spans on one physical line of the Dockerfile itself: not in a dependency file, not in
    exec form, not inside ``sh -c`` strings, not in ``<<-`` heredocs (their tabs were stripped).
    """
    instruction = install.instruction
    command = install.record.command
    if getattr(instruction, "origin", None) is not None or instruction.raw.json_args is not None:
        return None
    if command.via or not 0 <= start < end <= len(command.text):
        return None
    expected = command.text[start:end]
    if "\n" in expected or "\\" in expected or "`" in expected:
        return None
    placed = _placed(install)
    if placed is None:
        return None
    raw = instruction.raw
    if not placed.in_heredoc:
        if raw.value[command.offset : command.offset + len(command.text)] != command.text:
            return None
        line, column = raw.value_position(command.offset + start)
        last_line, last_column = raw.value_position(command.offset + end - 1)
    else:
        if any(doc.chomp for doc in raw.heredocs):
            return None
        before = command.text[:start]
        line = placed.line + before.count("\n")
        column = (placed.column + start) if "\n" not in before else start - before.rfind("\n")
        last_line, last_column = line, column + (end - start) - 1
    if last_line != line or last_column != column + (end - start) - 1:
        return None  # the span crosses a line continuation
    return Edit(line, column, line, column + (end - start), replacement, expected)


# --------------------------------------------------------------------------- applying


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())
    return starts


def _offset(starts: list[int], text: str, line: int, column: int) -> int | None:
    if not 1 <= line <= len(starts):
        return None
    offset = starts[line - 1] + column - 1
    line_end = starts[line] - 1 if line < len(starts) else len(text)
    if text[starts[line - 1] : line_end].endswith("\r"):
        line_end -= 1
    return offset if starts[line - 1] <= offset <= line_end else None


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, list[Edit]]:
    """``text`` with the edits applied, and the edits that were; overlapping ones are dropped."""
    bom = BOM if text.startswith(BOM) else ""
    body = text[len(bom):]
    starts = _line_starts(body)
    spans = []
    for edit in edits:
        start = _offset(starts, body, edit.line, edit.column)
        end = _offset(starts, body, edit.end_line, edit.end_column)
        if start is None or end is None or end < start or "\n" in edit.replacement or "\r" in edit.replacement:
            continue  # out of the file, or would add a line: edits keep the line structure
        if edit.expected and body[start:end] != edit.expected:
            continue
        spans.append((start, end, edit))
    spans.sort(key=lambda s: (s[0], s[1]))
    chosen: list[tuple[int, int, Edit]] = []
    for start, end, edit in spans:
        if chosen:
            prev_start, prev_end, prev = chosen[-1]
            if start < prev_end or (start == prev_start and end == prev_end) or (start == end == prev_end):
                continue  # overlaps (or repeats) an edit already taken
        chosen.append((start, end, edit))
    out = []
    cursor = 0
    for start, end, edit in chosen:
        out.append(body[cursor:start])
        out.append(edit.replacement)
        cursor = end
    out.append(body[cursor:])
    return bom + "".join(out), [edit for _, _, edit in chosen]


@dataclass
class FixResult:
    """The fixed text, what was applied, and the lints before and after (to report what was not written)."""

    text: str  # the fixed text (== the input when nothing applied)
    applied: Counter = field(default_factory=Counter)  # rule id -> edits applied
    report: "FileReport | None" = None  # the lint of the final text
    original: "FileReport | None" = None  # the lint of the input text (what stands if the fix is not written)
    lines: set = field(default_factory=set)  # lines that edits changed (edits never add or remove lines)

    @property
    def count(self) -> int:
        return sum(self.applied.values())


def _wanted(finding, unsafe: bool) -> bool:
    return bool(finding.edits) and (finding.safe_fix or unsafe)


def fix_text(text: str, lint: Callable[[str], "FileReport"], unsafe: bool = False) -> FixResult:
    """Lint, apply the fixes, lint again until no edit applies; ``lint`` maps text to a FileReport."""
    report = lint(text)
    result = FixResult(text, Counter(), report, report)
    if report.fatal:
        return result
    for _ in range(MAX_PASSES):
        edits, owner = [], {}
        for finding in report.findings:
            if _wanted(finding, unsafe):
                for edit in finding.edits:
                    edits.append(edit)
                    owner[id(edit)] = finding.rule_id
        if not edits:
            break
        new_text, applied = apply_edits(result.text, edits)
        if not applied or new_text == result.text:
            break
        new_report = lint(new_text)
        if new_report.fatal or len(new_report.problems) > len(report.problems):
            break  # the edit broke the file: keep the last good text
        for edit in applied:
            result.applied[owner[id(edit)]] += 1
            result.lines.add(edit.line)
        result.text, report = new_text, new_report
        result.report = report
    return result


def unified_diff(path: str, before: str, after: str) -> str:
    """``diff -u`` of one file (``a/PATH`` / ``b/PATH``); line ends are kept as they are."""
    import difflib  # only for --diff

    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 f"a/{path}", f"b/{path}")
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


class FixNotWritten(Exception):
    """A fixed file was left as it was; the message (one line) says why."""


def _open(real: str, flags: int, doing: str) -> int:
    try:
        return os.open(real, flags | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise FixNotWritten(f"cannot be {doing} ({exc.strerror or exc})") from None


def _content_of(real: str) -> tuple[bytes, os.stat_result]:
    fd = _open(real, os.O_RDONLY, "read again")
    try:
        return _content_now(fd)
    finally:
        os.close(fd)


def _content_now(fd: int) -> tuple[bytes, os.stat_result]:
    info = os.fstat(fd)
    chunks, offset = [], 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks), info


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns)


def write_fixed(path: str, linted: str, fixed: str) -> str:
    """Replace the file's content ``linted`` by ``fixed`` (UTF-8, keeping a BOM the file has), or raise
    FixNotWritten and leave the file as it is. Returns how it was written: "replaced" or "in place".

    - A symbolic link is followed: its target is fixed, the link stays.
    - A file without write permission (for anyone: root too) is not written: "not writable".
    - The file is written in place, keeping its inode, owner, hard links and extended attributes, when a
      new file renamed over it would lose any of them (or its directory cannot take a new file); else a
      temporary file with the same permission bits is renamed over it, atomically.
    - Just before replacing it, the file must still hold exactly the bytes that were linted (same size,
      modification time and content): else "changed while fixing".
    """
    real = os.path.realpath(path)
    current, info = _content_of(real)
    if not stat.S_ISREG(info.st_mode):
        raise FixNotWritten("not a regular file")
    if not info.st_mode & 0o222 or not os.access(real, os.W_OK):
        raise FixNotWritten(f"not writable (mode {stat.S_IMODE(info.st_mode):o})")
    linted_bytes = linted.encode("utf-8")
    bom = BOM.encode() if current == BOM.encode() + linted_bytes else b""  # the linted text has none
    if current != bom + linted_bytes:
        raise FixNotWritten("changed while fixing")
    new = bom + fixed.encode("utf-8")
    if _keep_in_place(real, info):
        _write_in_place(real, info, current, new)
        return "in place"
    try:
        _replace(real, info, current, new)
    except _InPlaceInstead:
        _write_in_place(real, info, current, new)
        return "in place"
    return "replaced"


class _InPlaceInstead(Exception):
    """A new file cannot carry the old one's identity: write in place."""


def _keep_in_place(real: str, info: os.stat_result) -> bool:
    if info.st_nlink > 1:
        return True  # a rename would split the hard links
    directory = os.path.dirname(real)
    if not os.access(directory, os.W_OK | os.X_OK):
        return True
    try:
        return bool(os.listxattr(real))  # ACLs, SELinux labels: a new file would not have them
    except (AttributeError, OSError):
        return False


def _unchanged(real: str, info: os.stat_result, current: bytes) -> bool:
    """The file still is the one read, with the same size, modification time and content."""
    try:
        now, now_info = _content_of(real)
    except FixNotWritten:
        return False
    return now == current and _same_file(now_info, info)


def _replace(real: str, info: os.stat_result, current: bytes, new: bytes) -> None:
    import tempfile  # only for --fix

    try:
        fd, temporary = tempfile.mkstemp(prefix=".mllint-fix-", dir=os.path.dirname(real))
    except OSError:
        raise _InPlaceInstead() from None  # the directory takes no new file
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(new)
            handle.flush()
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
            made = os.fstat(handle.fileno())
            if (made.st_uid, made.st_gid) != (info.st_uid, info.st_gid):
                try:
                    os.fchown(handle.fileno(), info.st_uid, info.st_gid)
                except OSError:
                    raise _InPlaceInstead() from None  # the owner would change
                os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))  # chown clears set-id bits
            os.fsync(handle.fileno())
        if not _unchanged(real, info, current):
            raise FixNotWritten("changed while fixing")
        os.replace(temporary, real)
    except OSError as exc:
        _remove(temporary)
        raise FixNotWritten(f"cannot be written ({exc.strerror or exc})") from None
    except BaseException:
        _remove(temporary)
        raise


@contextmanager
def _uninterrupted():
    """SIGINT and SIGTERM held back (delivered right after) around a write that must not stop halfway."""
    import signal

    held = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _write_in_place(real: str, info: os.stat_result, current: bytes, new: bytes) -> None:
    fd = _open(real, os.O_RDWR, "written")
    try:
        now, now_info = _content_now(fd)
        if now != current or not _same_file(now_info, info):
            raise FixNotWritten("changed while fixing")
        if len(new) > len(current) and hasattr(os, "posix_fallocate"):
            try:  # a full disk fails here, before a byte of the file has changed
                os.posix_fallocate(fd, 0, len(new))
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                    raise
        with _uninterrupted():  # never half old, half new: Ctrl-C waits for these three calls
            os.pwrite(fd, new, 0)
            os.ftruncate(fd, len(new))
            os.fsync(fd)
    except OSError as exc:
        raise FixNotWritten(f"cannot be written ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
