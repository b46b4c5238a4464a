"""Helpers shared by reporters: safe text and relative paths."""

from __future__ import annotations

import os
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def one_line(text: str) -> str:
    """Quote user text safely: no newlines or terminal control sequences."""
    text = text.replace("\r\n", "\n").replace("\n", "\\n").replace("\t", " ")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


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


def summary_counts(reports) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for report in reports:
        for finding in report.findings:
            counts[str(finding.severity)] += 1
    return counts


def summary_line(reports) -> str:
    """``3 findings (1 error, 2 warnings) in 2 files.`` or ``No findings in 1 file.``"""
    counts = summary_counts(reports)
    total = sum(counts.values())
    files = f"{len(reports)} file{'s' if len(reports) != 1 else ''}"
    if not total:
        return f"No findings in {files}."
    detail = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in counts.items() if n)
    return f"{total} finding{'s' if total != 1 else ''} ({detail}) in {files}."
