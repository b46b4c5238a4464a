"""mllint: a linter for Dockerfiles that build machine-learning images."""

from mllint.plugins import hookimpl
from mllint.rule import Hit, Rule, RuleMeta, Severity

__version__ = "0.1.0"

__all__ = ["Hit", "Rule", "RuleMeta", "Severity", "__version__", "hookimpl"]
