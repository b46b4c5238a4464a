"""GitHub Actions workflow commands (``::warning file=...::message``): pull-request annotations without SARIF.

The runner reads any stdout line that starts with ``::`` as a command, so every value is escaped the way
GitHub's own toolkit does it (actions/toolkit, packages/core/src/command.ts): ``%``, CR and LF in the
message, and additionally ``:`` and ``,`` in properties. Text from a Dockerfile or a file name can then
never end a command early or start a second one. The log viewer is a terminal and the annotations are
read by people, so terminal control sequences (OSC, CSI), other control characters, line separators and
bidi controls are written visibly first (``\\x1b``, ``\\u202e``), as in the text format.
"""

from __future__ import annotations

from mllint.report.common import relative_uri, summary_line, visible
from mllint.report.stream import Reporter as _Reporter
from mllint.report.stream import renderer
from mllint.rule import Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return visible(text, keep="\r").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{name} {props}::{escape_data(message)}" if props else f"::{name}::{escape_data(message)}"


class Reporter(_Reporter):
    def file(self, report):
        path = relative_uri(report.path)
        for problem in report.problems:
            yield command("error", f"mllint could not lint this file: {problem}", file=path,
                          title="mllint: input problem") + "\n"
        for f in report.findings:
            span = f.span
            where = relative_uri(f.path)  # a dependency file's finding is in that file, not the Dockerfile
            same_line = span.line == span.end_line  # GitHub ignores columns on multi-line annotations
            yield command(
                COMMANDS[f.severity],
                f.message,
                file=where,
                line=span.line,
                endLine=span.end_line,
                col=span.column if same_line else None,
                endColumn=span.end_column if same_line else None,
                title=f"{f.rule_id} {f.rule_name}",
            ) + "\n"

    def __init__(self, rules, *, quiet: bool = False, **_) -> None:
        super().__init__(rules)
        self.quiet = quiet

    def tail(self, tally):
        if not self.quiet:
            yield f"mllint: {summary_line(tally)}\n"


render = renderer(Reporter)
