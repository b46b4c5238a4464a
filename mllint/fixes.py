"""Automatic fixes: locate edits for checks, and apply the edits findings carry.

A fix is data: a check attaches ``Edit`` spans (1-based file coordinates, see ``mllint.rule.Edit``)
to its ``Hit``; nothing here knows any rule. ``fix_text`` lints, applies every edit that does not
overlap an earlier one, lints again, and repeats until nothing applies (at most ``MAX_PASSES``).
Everything outside the edited spans is kept byte for byte: comments, continuations, heredocs,
CRLF line ends and a UTF-8 BOM. An edit whose span no longer holds its ``expected`` text is
dropped, and so is a pass after which the file no longer parses or has more input problems.
"""

from __future__ import annotations

import os
import re
from collections import Counter
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
    for placed in install.instruction.commands:
        if placed.command is install.record.command:
            return placed
    return None


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
    text: str  # the fixed text (== the input when nothing applied)
    applied: Counter = field(default_factory=Counter)  # rule id -> edits applied
    report: "FileReport | None" = None  # the lint of the final text
    lines: set = field(default_factory=set)  # lines that edits changed (edits never add or remove lines)

    @property
    def count(self) -> int:
        return sum(self.applied.values())


def _wanted(finding, unsafe: bool) -> bool:
    return bool(finding.edits) and (finding.safe_fix or unsafe)


def fix_text(text: str, lint: Callable[[str], "FileReport"], unsafe: bool = False) -> FixResult:
    """Lint, apply the fixes, lint again until no edit applies; ``lint`` maps text to a FileReport."""
    report = lint(text)
    result = FixResult(text, Counter(), report)
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


def write_atomically(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8, line ends untouched), keeping its permission bits."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o7777
    import tempfile  # only for --fix

    fd, temporary = tempfile.mkstemp(prefix=".mllint-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
