"""Machine-readable findings; the schema is documented in docs/json-format.md."""

from __future__ import annotations

from mllint import __version__
from mllint.report.common import with_suppressed
from mllint.report.jsonstream import Array
from mllint.report.stream import Reporter as _Reporter
from mllint.report.stream import renderer

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
    if getattr(f, "suppressed", None) is not None:  # --show-suppressed: the pragma's reason, as SARIF words it
        data["suppression"] = {"kind": "inSource", "justification": f.suppressed}
    return data


class Reporter(_Reporter):
    """Findings are written as their files are linted; input problems, listed after them, wait till the end."""

    def __init__(self, rules, *, suppressed: bool = False, **_) -> None:
        super().__init__(rules)
        self.show_suppressed = suppressed
        self.findings = Array()
        self.count = 0
        self.errors: list[dict] = []

    def _document(self, errors: list, summary: dict | None) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "mllint", "version": __version__},
            "findings": self.findings.marker,
            "errors": errors,
            "summary": summary,
        }

    def head(self):
        yield self.findings.around(self._document([], None))[0]

    def file(self, report):
        for f in with_suppressed(report) if self.show_suppressed else report.findings:
            yield self.findings.item(finding_dict(f), self.count)
            self.count += 1
        self.errors.extend({"path": report.path, "message": p} for p in report.problems)

    def tail(self, tally):
        summary = {"files": tally.files, **tally.counts}
        if tally.not_linted:
            summary["not_linted"] = tally.not_linted
        after = self.findings.around(self._document(self.errors, summary))[1]
        yield self.findings.end(self.count) + after + "\n"


render = renderer(Reporter)
