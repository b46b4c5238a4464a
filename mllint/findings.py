"""A finding: one rule hit, located in one file, ready for any reporter."""

from __future__ import annotations

from dataclasses import dataclass

from mllint.rule import Edit, Severity, Span


@dataclass(frozen=True)
class Finding:
    """One reported problem, located and self-contained, so reporters never reach back into the model."""

    path: str
    rule_id: str
    rule_name: str
    severity: Severity
    message: str
    span: Span
    help_uri: str
    fix: str | None = None
    anchor: str = ""  # normalised instruction text, for fingerprints that survive line moves
    occurrence: int = 0  # how many earlier findings share rule + anchor
    # other places that matter, as (path, span): the RUN that reads the dependency file a finding is in
    related: tuple[tuple[str, Span], ...] = ()
    edits: tuple[Edit, ...] = ()  # automatic fix (see mllint.fixes); empty when there is none
    safe_fix: bool = False  # the edits are safe: --fix applies them without --unsafe-fixes
    suppressed: str | None = None  # suppressed by a pragma: its reason ("" when it gives none)

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def fingerprint(self) -> str:
        """Stable across unrelated edits: rule + instruction text + occurrence, not the line."""
        import hashlib

        digest = hashlib.sha256(f"{self.rule_id}\0{self.anchor}\0{self.occurrence}".encode()).hexdigest()
        return digest[:32]
