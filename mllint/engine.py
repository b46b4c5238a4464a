"""Run the rules over a Dockerfile and filter what they find.

text -> model -> rules -> pragmas/selection -> findings. Rules never see the
raw text and never print; a rule that raises is reported as an error of that
rule's plugin, and the other rules' findings are kept.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mllint import dockerfile as model
from mllint.context import CheckContext
from mllint.findings import Finding
from mllint.pragmas import INVALID_ID, UNUSED_ID, pragma_problems, suppressions
from mllint.rule import Rule, Severity, Span
from mllint.shipping import unknown_target

if TYPE_CHECKING:
    from mllint.reader import Reader


class SelectionError(ValueError):
    """A rule named in --select/--ignore/configuration does not exist."""


@dataclass
class FileReport:
    """What linting one file produced: findings, and input problems that make the exit code 2."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # input problems: each makes the exit code 2
    fatal: bool = False  # the file could not be linted at all
    fixes: tuple[str, str, dict[str, int]] | None = None  # --fix/--diff: (text before, after, edits per rule)
    unread: bool = False  # the input could not be read (missing, unreadable, binary, too large)
    counted: bool = True  # an input file (False: a directory without Dockerfiles)
    suppressed: list[Finding] = field(default_factory=list)  # findings a pragma suppressed (Finding.suppressed)
    text: str | None = None  # the linted text, for --show-source
    dependency_files: list[str] = field(default_factory=list)  # the requirements etc. files it read
    summarised: list[Finding] = field(default_factory=list)  # findings of "output: summary" rules not selected by name
    fixes_not_written: int = 0  # --fix: edits found but not written (the file is reported as it is)


def resolve_rules(rules: Iterable[Rule], names: Iterable[str], all_ids: set[str] | None = None) -> set[str]:
    """Map ids or names (any case) to rule ids; unknown names are an error. ``all`` means ``all_ids``
    when given (selection: the rules on by default), else every rule."""
    rules = list(rules)
    by_key: dict[str, str] = {}
    for rule in rules:
        by_key[rule.id.lower()] = rule.id
        by_key[rule.name.lower()] = rule.id
    ids = set()
    for name in names:
        key = name.strip().lower()
        if not key:
            continue
        if key == "all":
            ids |= set(by_key.values()) if all_ids is None else all_ids
        elif key in by_key:
            ids.add(by_key[key])
        else:
            raise SelectionError(f"unknown rule {name!r} (see `mllint rules`)")
    return ids


class Linter:
    def __init__(
        self,
        rules: list[Rule],
        *,
        select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        extend_select: Iterable[str] = (),
        severity: Mapping[str, str] | None = None,
        today: _dt.date | None = None,
        options: dict[str, Any] | None = None,
        build_args: Mapping[str, str] | None = None,
        follow_files: bool = False,
        build_context: str | None = None,
        reader: "Reader | None" = None,
        inline_ignores: str = "allow",
        target: str | None = None,
    ) -> None:
        self.all_rules = rules
        self.inline_ignores = inline_ignores  # allow, require-reason or forbid (mllint.config.INLINE_IGNORES)
        self._by_key = {key: rule.id for rule in rules for key in (rule.id.lower(), rule.name.lower())}
        self.known = set(self._by_key)
        # dependency files (mllint.depfiles): followed when asked, through ``reader`` (default: the
        # disk), in ``build_context`` or else the Dockerfile's directory
        if follow_files and reader is None:
            from mllint.reader import DiskReader

            reader = DiskReader()
        self.reader = reader if follow_files else None
        self.build_context = build_context
        select, extend_select = list(select), list(extend_select)
        on_by_default = {r.id for r in rules if r.meta.enabled_by_default}
        chosen = resolve_rules(rules, select, on_by_default) if select else set(on_by_default)
        chosen |= resolve_rules(rules, extend_select)  # rules off by default are turned on by name
        # rules named in --select/`select`/`extend-select` (not through `all`): their findings are listed even
        # when the catalogue asks for a summary (``output: summary``)
        self.named = resolve_rules(rules, [n for n in [*select, *extend_select] if n.strip().lower() != "all"])
        chosen -= resolve_rules(rules, ignore)
        self.rules = [r for r in rules if r.id in chosen]
        self.severity: dict[str, Severity] = {}
        for name, level in (severity or {}).items():
            for rule_id in resolve_rules(rules, [name]):
                self.severity[rule_id] = Severity.parse(level)
        self.today = today or _dt.date.today()
        self.options = options or {}
        self.build_args = dict(build_args or {})
        self.target = target  # the stage `docker build --target` builds (mllint.shipping)

    def lint_text(self, text: str, path: str, skip: Iterable[str] = ()) -> FileReport:
        """Lint one file; ``skip``: ids of rules not to run on it (per-file ignores)."""
        skipped = set(skip)
        report = FileReport(path)
        try:
            parsed = model.parse(text, self.build_args, self.target)
        except model.DockerfileSyntaxError as exc:
            report.problems.append(f"{exc.message} (line {exc.line})")
            report.fatal = True
            return report
        wrong_target = unknown_target(parsed, self.target)
        if wrong_target:
            report.problems.append(wrong_target)
            report.fatal = True
            return report
        if not parsed.tree.instructions:
            report.problems.append("no instructions (empty Dockerfile)")
            report.fatal = True
            return report
        for problem in parsed.problems:
            report.problems.append(f"{problem.message} (line {problem.line})")
        if self.reader is not None:
            from mllint.depfiles import attach, read_files
            from mllint.reader import context_for

            try:
                attach(parsed, context_for(self.reader, path, self.build_context), path)
            except Exception as exc:  # noqa: BLE001 - a file mllint cannot follow must not stop the linting
                report.problems.append(f"its dependency files could not be followed: {type(exc).__name__}")
            report.dependency_files = read_files(parsed)
        context = CheckContext(dockerfile=parsed, path=path, today=self.today, options=self.options)
        quiet = suppressions(parsed, self.known, self.inline_ignores)
        numbering = _Numbering()
        ran: set[str] = set()  # rules that ran to the end on this file: only their pragmas can be unused
        for rule in self.rules:
            if rule.id in skipped:
                continue
            try:
                hits = list(rule.check(context))
            except Exception as exc:  # noqa: BLE001 - a faulty rule must not hide the others
                detail = str(exc)
                if len(detail) > 200:  # exceptions may carry whole model objects in their text
                    detail = detail[:200] + "..."
                report.problems.append(
                    f"rule {rule.id} ({rule.name}) from plugin {rule.plugin!r} crashed: "
                    f"{type(exc).__name__}: {detail}"
                )
                continue
            ran.add(rule.id)
            for hit in hits:
                pragma = quiet.match(rule.id, rule.name, hit.span.line)
                self._add(report, rule, self._finding(rule, hit, path, numbering, pragma is not None), pragma)
        for rule in self.rules:  # invalid-suppression and unused-suppression: judged once every rule has run
            if rule.id in (INVALID_ID, UNUSED_ID) and rule.id not in skipped:
                for line, message, anchor in pragma_problems(rule.id, quiet, ran, self._by_key):
                    finding = self._pragma_finding(rule, parsed, path, line, message, anchor, numbering)
                    self._add(report, rule, finding, quiet.match(rule.id, rule.name, line))
        report.findings.sort(key=lambda f: (f.span.line, f.span.column, f.rule_id))
        return report

    def _add(self, report: FileReport, rule: Rule, finding: Finding, pragma) -> None:
        if pragma is None and rule.meta.output == "summary" and rule.id not in self.named:
            report.summarised.append(finding)  # a summary line in text, left out of machine formats
        elif pragma is None:
            report.findings.append(finding)
        else:  # kept for --show-suppressed, JSON and SARIF, with the pragma's reason as the justification
            report.suppressed.append(replace(finding, suppressed=pragma.reason))

    def _finding(self, rule: Rule, hit, path: str, numbering: "_Numbering", suppressed: bool) -> Finding:
        span = hit.span
        anchor = numbering.anchor(hit.instruction)
        where, related = path, ()
        edits = hit.edits if rule.meta.fix != "none" else ()
        origin = getattr(hit.instruction, "origin", None)
        if origin is not None:  # declared in a dependency file: located there, RUN related
            where, related = origin.path, ((path, span),)
            span = Span(origin.line, origin.column, origin.line, origin.end_column)
            anchor = f"{origin.path.rsplit('/', 1)[-1]}: {' '.join(origin.text.split())}"
            edits = ()  # edits are in Dockerfile coordinates
        return Finding(
            path=where,
            rule_id=rule.id,
            rule_name=rule.name,
            severity=self.severity.get(rule.id) or hit.severity or rule.meta.severity,
            message=hit.message,
            span=span,
            help_uri=rule.meta.help_uri,
            fix=hit.fix,
            anchor=anchor,
            occurrence=numbering.next(rule.id, anchor, suppressed),
            related=related,
            edits=edits,
            safe_fix=bool(edits) and hit.safe and rule.meta.fix == "safe",
        )

    def _pragma_finding(self, rule: Rule, parsed, path: str, line: int, message: str, anchor: str,
                        numbering: "_Numbering") -> Finding:
        text = parsed.tree.lines[line - 1] if 0 < line <= len(parsed.tree.lines) else ""
        column = len(text) - len(text.lstrip()) + 1
        return Finding(path=path, rule_id=rule.id, rule_name=rule.name,
                       severity=self.severity.get(rule.id) or rule.meta.severity, message=message,
                       span=Span(line, column, line, len(text) + 1), help_uri=rule.meta.help_uri, anchor=anchor,
                       occurrence=numbering.next(rule.id, anchor, False))


class _Numbering:
    """Fingerprint parts: each instruction's normalised text, and how many earlier findings share rule + text.

    Suppressed findings are numbered apart, so that suppressing one never renumbers (and so un-baselines)
    the others."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, bool], int] = {}
        self.anchors: dict[int, str] = {}  # per instruction: a long RUN can have thousands of hits

    def anchor(self, instruction) -> str:
        anchor = self.anchors.get(id(instruction))
        if anchor is None:
            anchor = self.anchors[id(instruction)] = " ".join(instruction.raw.line_text.split())
        return anchor

    def next(self, rule_id: str, anchor: str, suppressed: bool) -> int:
        key = (rule_id, anchor, suppressed)
        count = self.counts.get(key, 0)
        self.counts[key] = count + 1
        return count
