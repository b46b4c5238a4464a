"""Findings as LSP diagnostics, fixes and suppressions as code actions, the stack and rules as hovers.

Positions: mllint counts lines and columns from 1, in characters, with exclusive ends; LSP counts from 0 in
the client's code units (UTF-16 by default); pygls' position codec converts characters to those units.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lsprotocol import types

from mllint.lsp.linting import Result, absolute
from mllint.rule import Severity

if TYPE_CHECKING:
    from mllint.findings import Finding

SOURCE = "mllint"
_SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
             Severity.INFO: types.DiagnosticSeverity.Information}
SILENT_PROBLEMS = ("no instructions (empty Dockerfile)",)  # a new, empty buffer is not a problem while typing


def to_range(lines: Sequence[str], line: int, column: int, end_line: int, end_column: int, codec) -> types.Range:
    """mllint's 1-based character span as an LSP range in the client's units, clamped to the document."""
    last = max(len(lines) - 1, 0)

    def position(row: int, col: int) -> types.Position:
        row = min(max(row - 1, 0), last)
        text = lines[row].rstrip("\r\n") if lines else ""
        character = min(max(col - 1, 0), len(text))
        return codec.position_to_client_units(lines, types.Position(line=row, character=character)) if lines \
            else types.Position(line=0, character=0)

    start = position(line, column)
    end = position(end_line, end_column)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start=start, end=end)


def _whole_line(lines: Sequence[str], line: int, codec) -> types.Range:
    text = lines[min(max(line - 1, 0), len(lines) - 1)] if lines else ""
    return to_range(lines, line, 1, line, len(text.rstrip("\r\n")) + 1, codec)


def finding_code(finding: "Finding") -> str:
    return finding.rule_id


def diagnostic(finding: "Finding", lines: Sequence[str], codec) -> types.Diagnostic:
    span = finding.span
    message = finding.message + (f"\nFix: {finding.fix}" if finding.fix and finding.fix not in finding.message else "")
    return types.Diagnostic(
        range=to_range(lines, span.line, span.column, span.end_line, span.end_column, codec),
        message=message,
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.rule_id,
        code_description=types.CodeDescription(href=finding.help_uri) if finding.help_uri else None,
        source=SOURCE,
        data={"rule": finding.rule_name},
    )


def diagnostics(result: Result, target: str, lines: Sequence[str], codec) -> list[types.Diagnostic]:
    """What ``result`` (a Dockerfile's lint) says about the file ``target`` (the Dockerfile or a file it reads)."""
    target = absolute(target)
    found: list[types.Diagnostic] = []
    if result.path == target:
        for line, problem in result.problems:
            if problem in SILENT_PROBLEMS:
                continue
            found.append(types.Diagnostic(range=_whole_line(lines, line or 1, codec), message=problem,
                                          severity=types.DiagnosticSeverity.Error, source=SOURCE))
    if result.report is not None:
        found.extend(diagnostic(f, lines, codec) for f in result.report.findings if absolute(f.path) == target)
    return found


def findings_at(result: Result, target: str, line: int) -> list["Finding"]:
    """The findings located in ``target`` whose span covers the 1-based ``line``."""
    if result.report is None:
        return []
    target = absolute(target)
    return [f for f in result.report.findings
            if absolute(f.path) == target and f.span.line <= line <= max(f.span.end_line, f.span.line)]


# --------------------------------------------------------------------------- code actions


def _text_edit(edit, lines: Sequence[str], codec) -> types.TextEdit | None:
    """An mllint Edit as a TextEdit, or None when the document no longer holds the text it expects."""
    if edit.expected:
        first = lines[edit.line - 1].rstrip("\r\n") if 0 < edit.line <= len(lines) else ""
        if edit.line == edit.end_line and first[edit.column - 1:edit.end_column - 1] != edit.expected:
            return None
    return types.TextEdit(range=to_range(lines, edit.line, edit.column, edit.end_line, edit.end_column, codec),
                          new_text=edit.replacement)


def fix_action(finding: "Finding", uri: str, lines: Sequence[str], codec,
               diagnostic_for: Callable[["Finding"], types.Diagnostic]) -> types.CodeAction | None:
    if not finding.edits:
        return None
    edits = [_text_edit(edit, lines, codec) for edit in finding.edits]
    if not edits or any(edit is None for edit in edits):
        return None
    what = finding.fix or f"apply the {finding.rule_name} fix"
    title = f"mllint: {what}" if finding.safe_fix else f"mllint (unsafe: changes what the build installs): {what}"
    return types.CodeAction(
        title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic_for(finding)],
        is_preferred=finding.safe_fix, edit=types.WorkspaceEdit(changes={uri: edits}),
    )


REASON_PLACEHOLDER = "<why this is fine here>"


def suppress_action(finding: "Finding", instruction_line: int, uri: str, lines: Sequence[str], codec,
                    diagnostic_for: Callable[["Finding"], types.Diagnostic]) -> types.CodeAction:
    """``# mllint: ignore=<rule> -- <reason>`` in the comment block above the instruction (docs: suppression)."""
    row = min(max(instruction_line, 1), max(len(lines), 1))
    current = lines[row - 1] if lines else ""
    indent = current[: len(current) - len(current.lstrip(" \t"))]
    text = f"{indent}# mllint: ignore={finding.rule_name} -- {REASON_PLACEHOLDER}\n"
    position = codec.position_to_client_units(lines, types.Position(line=row - 1, character=0)) if lines \
        else types.Position(line=0, character=0)
    edit = types.TextEdit(range=types.Range(start=position, end=position), new_text=text)
    return types.CodeAction(
        title=f"mllint: suppress {finding.rule_id} ({finding.rule_name}) on this instruction",
        kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic_for(finding)],
        edit=types.WorkspaceEdit(changes={uri: [edit]}),
    )


# --------------------------------------------------------------------------- hover


def rule_hover(finding: "Finding", summary: str) -> str:
    """A finding's rule: id, name, severity, the message, the fix, what the rule checks, its page."""
    lines = [f"**{finding.rule_id} `{finding.rule_name}`** ({finding.severity})", "", finding.message]
    if finding.fix and finding.fix not in finding.message:
        lines += ["", f"Fix: {finding.fix}"]
    if summary:
        lines += ["", f"What {finding.rule_name} checks: {summary}"]
    if finding.help_uri:
        lines += ["", f"[{finding.rule_id} documentation]({finding.help_uri})"]
    return "\n".join(lines)
