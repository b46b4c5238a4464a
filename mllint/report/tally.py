"""Per-run counters: all that the summary line and the exit code need.

Kept instead of the reports, so that a run's memory does not grow with the number
of files it lints (the reports are written and dropped one file at a time).
"""

from __future__ import annotations

from mllint.rule import Severity


class Tally:
    __slots__ = ("files", "counts", "problem_files", "unread", "unparsed", "rules")

    def __init__(self) -> None:
        self.files = 0  # files linted
        self.counts = {"error": 0, "warning": 0, "info": 0}  # findings per severity, most severe first
        self.problem_files = 0  # files with an input problem: each makes the exit code 2
        self.unread = 0  # inputs that could not be read: not linted
        self.unparsed = 0  # inputs read but not parsed (syntax error, empty): not linted
        self.rules: dict[tuple[str, str], int] = {}  # (rule id, name) -> findings, for --statistics

    def add(self, report) -> None:
        if not report.counted:
            pass
        elif report.unread:
            self.unread += 1
        elif report.fatal:
            self.unparsed += 1
        else:
            self.files += 1
        if report.problems:
            self.problem_files += 1
        for finding in report.findings:
            self.counts[str(finding.severity)] += 1
            key = (finding.rule_id, finding.rule_name)
            self.rules[key] = self.rules.get(key, 0) + 1

    @property
    def not_linted(self) -> int:
        return self.unread + self.unparsed

    @property
    def findings(self) -> int:
        return sum(self.counts.values())

    def reaches(self, floor: Severity) -> bool:
        """Some finding has at least the severity ``floor``."""
        return any(count and Severity.parse(name) >= floor for name, count in self.counts.items())
