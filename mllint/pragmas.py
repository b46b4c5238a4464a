"""Inline suppressions: ``# mllint: ignore=<id-or-name>[,...]`` and ``ignore-file=``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mllint.dockerfile import Dockerfile

_PRAGMA = re.compile(r"mllint:\s*(ignore-file|ignore)\s*=\s*([A-Za-z0-9_,\- \t]+)")


def _tokens(text: str) -> set[str]:
    return {t.strip().lower() for t in text.replace("\t", " ").split(",") if t.strip()}


@dataclass
class Suppressions:
    whole_file: set[str] = field(default_factory=set)
    # (first line, last line) of an instruction -> rule ids/names ignored there
    ranges: list[tuple[int, int, set[str]]] = field(default_factory=list)

    def covers(self, rule_id: str, rule_name: str, line: int) -> bool:
        keys = {rule_id.lower(), rule_name.lower()}
        if keys & self.whole_file or "all" in self.whole_file:
            return True
        for first, last, names in self.ranges:
            if first <= line <= last and (keys & names or "all" in names):
                return True
        return False


def suppressions(dockerfile: Dockerfile) -> Suppressions:
    result = Suppressions()
    for _, text in dockerfile.tree.comment_lines:
        for kind, names in _PRAGMA.findall(text):
            if kind == "ignore-file":
                result.whole_file |= _tokens(names)
    for raw in dockerfile.tree.instructions:
        ignored: set[str] = set()
        for _, text in raw.comments:
            for kind, names in _PRAGMA.findall(text):
                if kind == "ignore":
                    ignored |= _tokens(names)
        if ignored:
            result.ranges.append((raw.start_line, raw.end_line, ignored))
    return result
