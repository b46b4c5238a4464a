"""ML018 ``invalid-suppression`` and ML019 ``unused-suppression``.

Both judge the file's pragmas against what every other rule found, so the engine reports them
once all rules have run (``mllint.pragmas.pragma_problems``); their checks here find nothing
themselves and exist so that the rules are listed, selected and configured like any other.
"""

from __future__ import annotations

from collections.abc import Iterator

from mllint.context import CheckContext
from mllint.rule import Hit


def judged_by_the_engine(ctx: CheckContext) -> Iterator[Hit]:
    return iter(())


RULES = {"ML018": judged_by_the_engine, "ML019": judged_by_the_engine}
