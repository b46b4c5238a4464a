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
