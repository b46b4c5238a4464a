"""GitLab Code Quality JSON, shown in merge requests through ``artifacts:reports:codequality``.

The format is GitLab's subset of the Code Climate spec
(https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format): a list of issues with
``description``, ``check_name``, ``fingerprint``, ``severity`` and ``location.path``/``location.lines``.
GitLab tells issues apart by fingerprint across the whole report, so the path is part of it here.
"""

from __future__ import annotations

import hashlib

from mllint.report.common import relative_uri
from mllint.report.jsonstream import Array
from mllint.report.stream import Reporter as _Reporter
from mllint.report.stream import renderer
from mllint.rule import Severity

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


class Reporter(_Reporter):
    """The report is one JSON list: each file's issues are written as soon as it is linted."""

    def __init__(self, rules, **_) -> None:
        super().__init__(rules)
        self.issues = Array()
        self.count = 0

    def head(self):
        yield self.issues.around(self.issues.marker)[0]

    def file(self, report):
        path = relative_uri(report.path)
        for problem in report.problems:
            yield self._issue({
                "description": f"mllint could not lint this file: {problem}",
                "check_name": "mllint/input-problem",
                "fingerprint": _fingerprint(path, "input-problem", problem),
                "severity": "critical",
                "location": {"path": path, "lines": {"begin": 1, "end": 1}},
            })
        for f in report.findings:
            where = relative_uri(f.path)  # a dependency file's finding is in that file, not the Dockerfile
            yield self._issue({
                "description": f"{f.message} ({f.rule_id} {f.rule_name})",
                "check_name": f.rule_id,
                # stable across line moves like the finding's own fingerprint, and unique per file
                # two Dockerfiles reading one requirements file: two issues at one place
                "fingerprint": _fingerprint(where, f.fingerprint) if where == path
                else _fingerprint(where, path, f.fingerprint),
                "severity": SEVERITIES[f.severity],
                "location": {"path": where, "lines": {"begin": f.span.line, "end": f.span.end_line}},
            })

    def _issue(self, issue: dict) -> str:
        self.count += 1
        return self.issues.item(issue, self.count - 1)

    def tail(self, tally):
        yield self.issues.end(self.count) + self.issues.around(self.issues.marker)[1] + "\n"


render = renderer(Reporter)
