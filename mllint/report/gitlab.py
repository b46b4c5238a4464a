"""GitLab Code Quality JSON, shown in merge requests through ``artifacts:reports:codequality``.

The format is GitLab's subset of the Code Climate spec
(https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format): a list of issues with
``description``, ``check_name``, ``fingerprint``, ``severity`` and ``location.path``/``location.lines``.
GitLab tells issues apart by fingerprint across the whole report, so the path is part of it here.
"""

from __future__ import annotations

import hashlib
import json

from mllint.report.common import relative_uri
from mllint.rule import Severity

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def render(reports, rules, **_) -> str:
    issues = []
    for report in reports:
        path = relative_uri(report.path)
        for problem in report.problems:
            issues.append({
                "description": f"mllint could not lint this file: {problem}",
                "check_name": "mllint/input-problem",
                "fingerprint": _fingerprint(path, "input-problem", problem),
                "severity": "critical",
                "location": {"path": path, "lines": {"begin": 1, "end": 1}},
            })
        for f in report.findings:
            issues.append({
                "description": f"{f.message} ({f.rule_id} {f.rule_name})",
                "check_name": f.rule_id,
                # stable across line moves like the finding's own fingerprint, and unique per file
                "fingerprint": _fingerprint(path, f.fingerprint),
                "severity": SEVERITIES[f.severity],
                "location": {"path": path, "lines": {"begin": f.span.line, "end": f.span.end_line}},
            })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
