"""ML014 ``dependency-file-unchecked``: a dependency file an install reads could not be followed.

The package rules judge what requirement files, ``pyproject.toml`` and conda environment files
declare (``mllint.depfiles`` reads them from the build context). When a file cannot be read, this
rule says so at info level, with the reason, so that a clean report never means "not looked at".
"""

from __future__ import annotations

from collections.abc import Iterator

from mllint.context import CheckContext
from mllint.depfiles import unchecked
from mllint.rule import Hit


def dependency_file_unchecked(ctx: CheckContext) -> Iterator[Hit]:
    for item in unchecked(ctx.dockerfile):
        hint = f"; {item.hint}" if item.hint else ""
        yield Hit(
            f"`{item.file}` was not checked for unpinned, deprecated or mismatched packages because "
            f"{item.reason}{hint}.",
            item.instruction, line=item.line, column=item.column,
        )


RULES = {"ML014": dependency_file_unchecked}
