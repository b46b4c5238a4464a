"""Baselines: record today's findings so that later runs report only new ones.

A finding matches a recorded one when both its file (relative to the baseline
file's directory) and its fingerprint agree. The fingerprint is the one SARIF
uses (rule + normalised instruction text + occurrence, not the line), so an
edit above a finding does not bring it back, while the same mistake copied into
another Dockerfile is still new.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from mllint import __version__

FORMAT = "mllint-baseline"
VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read or written; the message names the file."""


def _key_path(path: str, base: Path) -> str:
    if path == "-":
        return path
    return os.path.relpath(os.path.abspath(path), base.resolve()).replace(os.sep, "/")


class _Recorded:
    """A finding as a baseline records it: its key and what a reader sees, not the whole finding."""

    __slots__ = ("fingerprint", "rule_id", "line", "message")

    def __init__(self, finding) -> None:
        self.fingerprint, self.rule_id = finding.fingerprint, finding.rule_id
        self.line, self.message = finding.line, finding.message


def reduced(report):
    """``report`` with its findings cut to what ``write`` records: a run keeps every file's (the file is
    sorted) without keeping whole findings."""
    from mllint.engine import FileReport

    return FileReport(report.path, [_Recorded(f) for f in report.findings], report.problems, report.fatal)


def write(target: str, reports: Iterable) -> int:
    """Record every finding of ``reports`` in ``target``; returns how many."""
    base = Path(os.path.abspath(target)).parent
    entries = sorted(
        ({"path": _key_path(report.path, base), "fingerprint": f.fingerprint, "rule_id": f.rule_id,
          "line": f.line, "message": f.message}
         for report in reports for f in report.findings),
        key=lambda e: (e["path"], e["line"], e["rule_id"], e["fingerprint"]),
    )
    data = {"format": FORMAT, "version": VERSION, "tool": f"mllint {__version__}", "findings": entries}
    try:
        with open(target, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
    except OSError as exc:
        raise BaselineError(f"mllint: cannot write the baseline {target}: {exc.strerror or exc}") from None
    return len(entries)


def read(source: str) -> set[tuple[str, str]]:
    """The (path, fingerprint) pairs recorded in ``source``."""
    def bad(why: str) -> BaselineError:
        return BaselineError(f"mllint: {source}: {why}")

    try:
        with open(source, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise bad("no such baseline file (create one with --write-baseline)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise bad(f"cannot read the baseline: {getattr(exc, 'strerror', None) or exc}") from None
    except ValueError as exc:
        raise bad(f"not valid JSON ({exc}); expected a baseline written by --write-baseline") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise bad(f"not an mllint baseline (expected a JSON object with \"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise bad(f"baseline version {data.get('version')!r} is not supported (expected {VERSION})")
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise bad("\"findings\" is not a list (expected a list of recorded findings)")
    keys = set()
    for i, entry in enumerate(findings):
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str)
                and isinstance(entry.get("fingerprint"), str)):
            raise bad(f"finding {i + 1} lacks a \"path\" or \"fingerprint\" string")
        keys.add((entry["path"], entry["fingerprint"]))
    return keys


def subtract(source: str, recorded: set[tuple[str, str]], reports: Iterable) -> int:
    """Drop the findings recorded in the baseline ``source`` from ``reports``; returns how many."""
    base = Path(os.path.abspath(source)).parent
    dropped = 0
    for report in reports:
        path = _key_path(report.path, base)
        kept = [f for f in report.findings if (path, f.fingerprint) not in recorded]
        dropped += len(report.findings) - len(kept)
        report.findings = kept
    return dropped
