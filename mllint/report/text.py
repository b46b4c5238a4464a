"""``path:line:col: ID severity message [name]``: one finding per line, for people and editors."""

from __future__ import annotations

from mllint.report.common import one_line, summary_line
from mllint.report.stream import Reporter as _Reporter
from mllint.report.stream import renderer

_COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m"}
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"


class Reporter(_Reporter):
    def __init__(self, rules, *, color: bool = False, **_) -> None:
        super().__init__(rules)
        self.color = color

    def file(self, report):
        for f in report.findings:
            severity = str(f.severity)
            location = f"{one_line(f.path)}:{f.line}:{f.column}:"
            if self.color:
                location = f"{_BOLD}{location}{_RESET}"
                severity_text = f"{_COLOURS[severity]}{severity}{_RESET}"
            else:
                severity_text = severity
            yield f"{location} {f.rule_id} {severity_text} {one_line(f.message)} [{f.rule_name}]\n"

    def tail(self, tally):
        yield summary_line(tally) + "\n"


render = renderer(Reporter)
