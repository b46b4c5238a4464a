"""Machine-readable findings; the schema is documented in docs/json-format.md."""

from __future__ import annotations

import json

from mllint import __version__
from mllint.report.common import summary_counts

SCHEMA_VERSION = 1


def finding_dict(f) -> dict:
    data = {
        "path": f.path,
        "line": f.span.line,
        "column": f.span.column,
        "end_line": f.span.end_line,
        "end_column": f.span.end_column,
        "rule_id": f.rule_id,
        "rule_name": f.rule_name,
        "severity": str(f.severity),
        "message": f.message,
        "help_url": f.help_uri,
        "fix": f.fix,
        "fingerprint": f.fingerprint,
    }
    if getattr(f, "related", ()):  # a finding in a dependency file: the RUN that reads it
        data["related"] = [{"path": path, "line": span.line, "column": span.column} for path, span in f.related]
    return data


def render(reports, rules, **_) -> str:
    data = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mllint", "version": __version__},
        "findings": [finding_dict(f) for r in reports for f in r.findings],
        "errors": [{"path": r.path, "message": p} for r in reports for p in r.problems],
        "summary": {"files": len(reports), **summary_counts(reports)},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
