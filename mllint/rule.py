"""What a rule is: catalogue metadata plus a pure check function.

Built-in rules and third-party plugin rules are the same type, so the engine,
the reporters and ``mllint rules`` treat them alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mllint.context import CheckContext
    from mllint.dockerfile import Instruction

PROJECT_URL = "https://github.com/mllint-docker/mllint"
DOCS_BASE = f"{PROJECT_URL}/blob/main/docs/rules/"


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or info)") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class RuleMeta:
    """A rule's catalogue entry (``rules/catalogue/<ID>.yaml`` for built-ins)."""

    id: str
    name: str
    severity: Severity
    summary: str
    rationale: str = ""
    bad: tuple[str, ...] = ()
    good: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    help_uri: str = ""
    precision: str = ""  # how often a finding is right: GitHub code scanning's very-high/high/medium/low
    security_severity: str = ""  # "0.0".."10.0", for rules tagged security (GitHub's security-severity)
    fix: str = "none"  # automatic fix: "safe" (--fix), "unsafe" (only with --unsafe-fixes) or "none"
    # "findings" (each reported) or "summary": unless the rule is selected by its id or name, text output
    # shows one line per file ("3 dependency files could not be followed: ...") and machine formats omit them
    # every severity the rule can report (the default first) and when each other one applies, so that
    # `mllint rules`, `explain` and the docs say what the findings will show
    severities: tuple[Severity, ...] = ()
    severity_note: str = ""
    output: str = "findings"
    summary_text: str = ""  # for "summary": "{count} dependency file{s} could not be followed"
    enabled_by_default: bool = True  # False: runs only when named (select, extend-select), never through `all`

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], help_uri: str = "") -> "RuleMeta":
        """Build from the catalogue YAML shape; plugin authors may use it too."""
        missing = [k for k in ("id", "name", "severity", "summary") if not data.get(k)]
        if missing:
            raise ValueError(f"rule entry lacks {', '.join(missing)}")
        examples = data.get("examples") or {}
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            severity=Severity.parse(str(data["severity"])),
            summary=str(data["summary"]).strip(),
            rationale=str(data.get("rationale") or "").strip(),
            bad=tuple(str(x) for x in examples.get("bad") or ()),
            good=tuple(str(x) for x in examples.get("good") or ()),
            references=tuple(str(x) for x in data.get("references") or ()),
            tags=tuple(str(x) for x in data.get("tags") or ()),
            help_uri=str(data.get("help_uri") or help_uri),
            precision=_precision(data.get("precision")),
            security_severity=_security_severity(data.get("security_severity")),
            fix=_fix_kind(data.get("fix")),
            severities=_severities(data.get("severities"), Severity.parse(str(data["severity"]))),
            severity_note=" ".join(str(data.get("severity_note") or "").split()),
            output=_output(data.get("output")),
            summary_text=str(data.get("summary_text") or "").strip(),
            enabled_by_default=data.get("enabled_by_default", True) is not False,
        )


PRECISIONS = ("very-high", "high", "medium", "low")


def _precision(value: Any) -> str:
    text = str(value or "").strip()
    if text and text not in PRECISIONS:
        raise ValueError(f"precision {text!r} is not one of {', '.join(PRECISIONS)}")
    return text


def _severities(value: Any, default: Severity) -> tuple[Severity, ...]:
    levels = [Severity.parse(str(v)) for v in value or ()] or [default]
    if levels[0] != default or len(set(levels)) != len(levels):
        raise ValueError(f"severities {[str(s) for s in levels]} must start with the default severity "
                         f"{default} and name each level once")
    return tuple(levels)


OUTPUTS = ("findings", "summary")


def _output(value: Any) -> str:
    text = str(value or "findings").strip().lower()
    if text not in OUTPUTS:
        raise ValueError(f"output {text!r} is not one of {', '.join(OUTPUTS)}")
    return text


FIX_KINDS = ("safe", "unsafe", "none")


def _fix_kind(value: Any) -> str:
    text = str(value or "none").strip().lower()
    if text not in FIX_KINDS:
        raise ValueError(f"fix {text!r} is not one of {', '.join(FIX_KINDS)}")
    return text


def _security_severity(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        score = float(value)
    except (TypeError, ValueError):
        score = -1.0
    if not 0.0 <= score <= 10.0:
        raise ValueError(f"security_severity {value!r} is not a score from 0.0 to 10.0")
    return f"{score:.1f}"


def severity_range(meta: "RuleMeta") -> str:
    """``error (or warning, info)`` / ``warning``: the severities a rule reports, default first."""
    others = [str(s) for s in meta.severities[1:]]
    return f"{meta.severity} (or {', '.join(others)})" if others else str(meta.severity)


def severity_text(meta: "RuleMeta") -> str:
    """``error; warning when ...; info when ...``: the default and when the others apply."""
    return f"{meta.severity}; {meta.severity_note}" if meta.severity_note else str(meta.severity)


@dataclass(frozen=True)
class Span:
    """A 1-based region of a file, as SARIF and editors expect it."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def of(cls, instruction: "Instruction") -> "Span":
        return cls(instruction.start_line, instruction.start_col, instruction.end_line, instruction.end_col)


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, column) up to, not including, (end_line, end_column) of the file.

    1-based, columns counted in characters of the physical line (a BOM is not counted); an
    insertion has start == end. ``expected``: the text the span must hold, else the edit is dropped.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    replacement: str
    expected: str = ""


@dataclass(frozen=True)
class Hit:
    """What a check reports; the engine adds the rule, the path and the severity."""

    message: str
    instruction: "Instruction"
    line: int | None = None  # a line inside the instruction, when more precise
    column: int | None = None
    severity: Severity | None = None  # overrides the rule's default for this hit
    fix: str | None = None
    edits: tuple[Edit, ...] = ()  # the automatic fix, applied by mllint.fixes
    safe: bool = True  # whether the edits keep the build's behaviour (else only --unsafe-fixes)

    @property
    def span(self) -> Span:
        whole = Span.of(self.instruction)
        if self.line is None:
            return whole
        return Span(self.line, self.column or 1, self.line, self._line_end(self.line))

    def _line_end(self, line: int) -> int:
        stage = self.instruction.stage
        lines = stage.dockerfile.tree.lines if stage else None
        if lines and 0 < line <= len(lines):
            return len(lines[line - 1]) + 1
        return (self.column or 1) + 1


Check = Callable[["CheckContext"], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A rule: its catalogue metadata, its check, and the plugin that provided it."""

    meta: RuleMeta
    check: Check = field(compare=False)
    plugin: str = "mllint"

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def name(self) -> str:
        return self.meta.name
