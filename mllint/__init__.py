"""mllint: a linter for Dockerfiles that build machine-learning images.

The public names are loaded on first use: every ``mllint`` command starts by
importing this package, and not every command needs pluggy.
"""

__version__ = "0.1.0"

__all__ = ["Hit", "Rule", "RuleMeta", "Severity", "__version__", "hookimpl"]


def __getattr__(name: str):
    if name == "hookimpl":
        from mllint.plugins import hookimpl

        return hookimpl
    if name in ("Hit", "Rule", "RuleMeta", "Severity"):
        from mllint import rule

        return getattr(rule, name)
    raise AttributeError(f"module 'mllint' has no attribute {name!r}")
