"""Per-run counters: all that the summary line and the exit code need.

Kept instead of the reports, so that a run's memory does not grow with the number
of files it lints (the reports are written and dropped one file at a time).
"""

from __future__ import annotations

from mllint.rule import Severity


class Tally:
    __slots__ = ("files", "counts", "problem_files")

    def __init__(self) -> None:
        self.files = 0
        self.counts = {"error": 0, "warning": 0, "info": 0}  # findings per severity, most severe first
        self.problem_files = 0  # files with an input problem: each makes the exit code 2

    def add(self, report) -> None:
        self.files += 1
        if report.problems:
            self.problem_files += 1
        for finding in report.findings:
            self.counts[str(finding.severity)] += 1

    @property
    def findings(self) -> int:
        return sum(self.counts.values())

    def reaches(self, floor: Severity) -> bool:
        """Some finding has at least the severity ``floor``."""
        return any(count and Severity.parse(name) >= floor for name, count in self.counts.items())
