"""``path:line:col: ID severity message [name]``: one finding per line, for people and editors."""

from __future__ import annotations

from mllint.report.common import one_line, summary_line

_COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m"}
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"


def render(reports, rules, *, color: bool = False, **_) -> str:
    lines = []
    for report in reports:
        for f in report.findings:
            severity = str(f.severity)
            location = f"{one_line(f.path)}:{f.line}:{f.column}:"
            if color:
                location = f"{_BOLD}{location}{_RESET}"
                severity_text = f"{_COLOURS[severity]}{severity}{_RESET}"
            else:
                severity_text = severity
            lines.append(f"{location} {f.rule_id} {severity_text} {one_line(f.message)} [{f.rule_name}]")
    lines.append(summary_line(reports))
    return "\n".join(lines) + "\n"
