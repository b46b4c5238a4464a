"""What a check receives: the parsed Dockerfile and the inputs it may depend on."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from mllint.dockerfile import Dockerfile


@dataclass(frozen=True)
class CheckContext:
    """What a check receives; everything a finding may depend on is in here, so checks stay pure."""

    dockerfile: Dockerfile
    path: str = "-"
    # "Today" is an input, so rules about end-of-life dates are testable and deterministic.
    today: _dt.date = field(default_factory=_dt.date.today)
    # Rule and plugin options from configuration (issue: configuration).
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def stages(self):
        return self.dockerfile.stages
