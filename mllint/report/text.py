"""The text report, for people and editors, in one of two layouts.

Concise (the default when the report does not go to a terminal): one finding per line,
``path:line:col: ID severity message [name]``, which editors, ``grep`` and pre-commit logs read.

Full (``--show-source``; the default on a terminal), as ruff's full output: the message first,
wrapped to the terminal's width, then the location, the offending line with the span underlined,
the fix when the rule gives one, and where the rule's explanation is (``mllint explain ID``).
"""

from __future__ import annotations

from dataclasses import dataclass

from mllint.report.common import one_line, summary_line, with_suppressed
from mllint.report.stream import Reporter as _Reporter
from mllint.report.stream import renderer

_COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m"}
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
WIDTH = 100  # the full layout's width when there is no terminal to measure
MIN_WIDTH = 40


@dataclass(frozen=True)
class Layout:
    """How the text report is laid out: one line per finding, or the full source view."""

    source: bool = False  # the full layout (--show-source)
    width: int = WIDTH
    statistics: bool = False  # counts per rule instead of findings

    @classmethod
    def choose(cls, show_source: bool | None, terminal: bool, statistics: bool = False) -> "Layout":
        """``show_source``: the flag or the configuration (None: full on a terminal, concise elsewhere)."""
        source = terminal if show_source is None else show_source
        width = WIDTH
        if source and terminal:
            import shutil  # the full layout only; a plain run does not pay for it

            width = max(MIN_WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns)
        return cls(source=source, width=width, statistics=statistics)


class Reporter(_Reporter):
    def __init__(self, rules, *, color: bool = False, quiet: bool = False, layout: Layout | None = None,
                 suppressed: bool = False, **_) -> None:
        super().__init__(rules)
        self.color = color
        self.quiet = quiet
        self.layout = layout or Layout()
        self.show_suppressed = suppressed
        self.summary_texts = {rule.id: rule.meta.summary_text for rule in rules or ()}

    def _paint(self, text: str, *codes: str) -> str:
        return f"{''.join(codes)}{text}{_RESET}" if self.color else text

    def file(self, report):
        if self.layout.statistics:
            return
        findings = with_suppressed(report) if self.show_suppressed else report.findings
        sources = _Sources(report)
        for f in findings:
            yield self._full(f, sources) if self.layout.source else self._concise(f)
        if not self.quiet:
            yield from summarised_lines(report, self.summary_texts)

    def _concise(self, f) -> str:
        severity = str(f.severity)
        location = f"{one_line(f.path)}:{f.line}:{f.column}:"
        note = "" if f.suppressed is None else f" (suppressed{': ' + one_line(f.suppressed) if f.suppressed else ''})"
        return (f"{self._paint(location, _BOLD)} {f.rule_id} {self._paint(severity, _COLOURS[severity])} "
                f"{one_line(f.message)} [{f.rule_name}]{note}\n")

    def _full(self, f, sources: "_Sources") -> str:
        import textwrap  # the full layout only
        severity = str(f.severity)
        width = self.layout.width
        head = f"{f.rule_id} {severity}{' (suppressed)' if f.suppressed is not None else ''}: "
        wrapped = textwrap.wrap(one_line(f.message), width=width, initial_indent=" " * len(head),
                                subsequent_indent="  ", break_on_hyphens=False, break_long_words=False)
        first = wrapped[0][len(head):] if wrapped else ""
        lines = [f"{self._paint(f.rule_id, _BOLD)} {self._paint(severity, _COLOURS[severity], _BOLD)}"
                 f"{' (suppressed)' if f.suppressed is not None else ''}: {first}", *wrapped[1:]]
        number = str(f.span.line)
        gutter = " " * len(number)
        lines.append(f"{gutter}{self._paint('-->', _DIM)} {one_line(f.path)}:{f.line}:{f.column}")
        text = sources.line(f.path, f.span.line)
        if text is not None:
            shown = one_line(text)
            start = max(1, f.span.column)
            visible = shown.rstrip()
            if visible.endswith(" \\"):  # a continuation mark is not part of what the finding is about
                visible = visible[:-1].rstrip()
            end = f.span.end_column if f.span.end_line == f.span.line else len(visible) + 1
            carets = "^" * max(1, min(end, len(visible) + 1) - start)
            lines += [f"{gutter} |", f"{number} | {shown}",
                      f"{gutter} | {' ' * (start - 1)}{self._paint(carets, _COLOURS[severity], _BOLD)}"]
            if f.span.end_line > f.span.line:
                lines.append(f"{gutter} | ... (to line {f.span.end_line})")
        notes = []
        if f.fix:
            notes.append(("fix", f.fix))
        if f.suppressed is not None:
            notes.append(("suppressed", f.suppressed or "(no reason given)"))
        notes.append(("rule", f"{f.rule_name}; `mllint explain {f.rule_id}` tells why and how to fix it"))
        for label, note in notes:
            lines += textwrap.wrap(one_line(note), width=width, initial_indent=f"{gutter} = {label}: ",
                                   subsequent_indent=f"{gutter}   ", break_on_hyphens=False,
                                   break_long_words=False)
        return "\n".join(lines) + "\n\n"

    def tail(self, tally):
        if self.layout.statistics:
            rows = sorted(tally.rules.items(), key=lambda item: (-item[1], item[0]))
            width = max((len(str(count)) for _, count in rows), default=1)
            for (rule_id, name), count in rows:
                yield f"{count:>{width}}  {rule_id}  {name}\n"
        if not self.quiet:
            yield summary_line(tally) + "\n"


class _Sources:
    """The lines a report's findings point at: the linted text, or a dependency file read from disk."""

    def __init__(self, report) -> None:
        self.path = report.path
        self.files: dict[str, list[str] | None] = {}
        if report.text is not None:
            self.files[report.path] = report.text.splitlines()

    def line(self, path: str, number: int) -> str | None:
        if path not in self.files:
            try:
                with open(path, encoding="utf-8-sig", errors="replace") as handle:
                    self.files[path] = handle.read().splitlines()
            except OSError:
                self.files[path] = None
        lines = self.files[path]
        if lines is None or not 0 < number <= len(lines):
            return None
        return lines[number - 1]


def summarised_lines(report, texts):
    """One line per ``output: summary`` rule: ``Dockerfile: 3 dependency files could not be followed: ...``."""
    by_rule: dict[str, list] = {}
    for finding in getattr(report, "summarised", ()):
        by_rule.setdefault(finding.rule_id, []).append(finding)
    for rule_id, findings in by_rule.items():
        subjects = list(dict.fromkeys(_subject(f.message) for f in findings))
        shown = ", ".join(subjects[:5]) + (f" and {len(subjects) - 5} more" if len(subjects) > 5 else "")
        what = (texts.get(rule_id) or "{count} finding{s} not listed").format(
            count=len(subjects), s="" if len(subjects) == 1 else "s")
        yield (f"{one_line(report.path)}: {what}: {one_line(shown)} (see {rule_id} "
               f"{findings[0].rule_name}; `--select {rule_id}` lists each with its reason)\n")


def _subject(message: str) -> str:
    start = message.find("`")
    end = message.find("`", start + 1)
    return message[start + 1:end] if 0 <= start < end else message.split(" ", 1)[0]


render = renderer(Reporter)
