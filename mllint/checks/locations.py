"""Where in an instruction a finding belongs: the line of an ENV key, of a package argument."""

from __future__ import annotations

import re

from mllint.dockerfile import Install, Instruction


def _first_line(instruction: Instruction, pattern: re.Pattern, start: int) -> int | None:
    """The first physical line of ``instruction`` from ``start`` on that ``pattern`` matches, if any."""
    stage = instruction.stage
    lines = stage.dockerfile.tree.lines if stage else []
    for number in range(start, instruction.end_line + 1):
        if 0 < number <= len(lines) and pattern.search(lines[number - 1]):
            return number
    return None


def key_line(instruction: Instruction, name: str) -> int:
    """The physical line of ``NAME=`` (or ``NAME value``) in a multi-line ARG/ENV."""
    pattern = re.compile(rf"(?:^|[\s\"']){re.escape(name)}(?:=|\s|$)")
    return _first_line(instruction, pattern, instruction.start_line) or instruction.start_line


def word_line(install: Install, word: str) -> int:
    """The physical line of the first argument ``word`` of an install (its command line if not found).

    A package on its own continuation line of a long ``apt-get install`` is reported there.
    """
    instruction = install.instruction
    if getattr(instruction, "origin", None) is not None or install.record.command.via:
        return install.line
    pattern = re.compile(rf"(?:^|[\s\"'=]){re.escape(word)}(?:[\s\"';&|)\\]|$)")
    return _first_line(instruction, pattern, install.line) or install.line
