"""Helpers shared by reporters: safe text, relative paths and the summary line."""

from __future__ import annotations

import os
import re

# C0/C1 controls, Unicode line and paragraph separators (editors break lines there) and bidi
# overrides/isolates (they reorder what a reader sees: "Trojan Source", CVE-2021-42574).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """Quote user text safely: no newlines or terminal control sequences."""
    return visible(text.replace("\r\n", "\n").replace("\n", "\\n").replace("\t", " "))


def visible(text: str, keep: str = "") -> str:
    """``text`` with control characters (but LF, tab and those in ``keep``), line separators and bidi
    controls written as ``\\xNN``/``\\uNNNN``: nothing in it can move a cursor or reorder what is shown."""
    return _CONTROL.sub(lambda match: match.group() if match.group() in keep else _escaped(match), text)


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def relative_uri(path: str, base: str | None = None) -> str:
    """A forward-slash path relative to ``base`` (the current directory) when inside it."""
    if path == "-":
        return "stdin"
    base = os.path.abspath(base or os.getcwd())
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, base)
    except ValueError:
        rel = absolute
    if rel.startswith(".."):
        rel = absolute
    return rel.replace(os.sep, "/")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def summary_line(tally) -> str:
    """``3 findings (1 error, 2 warnings) in 2 files.`` or ``No findings in 1 file.``; ``tally``: a Tally.

    Inputs that could not be linted are not counted as linted files:
    ``No findings: 0 files linted, 1 could not be read.``
    """
    total = tally.findings
    if total:
        detail = ", ".join(plural(n, k) for k, n in tally.counts.items() if n)
        head = f"{plural(total, 'finding')} ({detail})"
    else:
        head = "No findings"
    if not tally.not_linted:
        return f"{head} in {plural(tally.files, 'file')}."
    missed = [f"{count} could not be {what}" for count, what in ((tally.unread, "read"), (tally.unparsed, "parsed"))
              if count]
    return f"{head}: {plural(tally.files, 'file')} linted, {', '.join(missed)}."


def with_suppressed(report) -> list:
    """``--show-suppressed``: the findings and the suppressed ones (``Finding.suppressed``), in file order."""
    return sorted([*report.findings, *report.suppressed],
                  key=lambda f: (f.path != report.path, f.path, f.span.line, f.span.column, f.rule_id))
