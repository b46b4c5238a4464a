"""The built-in rule set, registered through the public plugin hook.

Each module listed in ``MODULES`` declares ``RULES = {"<id>": check_function}``;
the catalogue entry ``rules/catalogue/<id>.yaml`` supplies the metadata. Several modules
may extend one rule (``ML002`` is judged by ``packages`` and by ``source_builds``): their
checks run in ``MODULES`` order as one rule.
"""

from __future__ import annotations

from importlib import import_module

from mllint.plugins import hookimpl

# One module per theme; each declares RULES = {"<id>": check}. A test checks this list against the package.
MODULES = ("images", "pip_cache", "packages", "indexes", "cuda", "drivers", "credentials", "python_support",
           "end_of_life", "dependency_files", "companions", "cuda_arch", "source_builds", "deprecated_env",
           "framework_components", "cpu_builds", "suppressions",
           "downloads", "prebuilt")


def _chain(checks: list):
    """One check that yields what each of ``checks`` yields, in order."""
    if len(checks) == 1:
        return checks[0]

    def check(ctx):
        for one in checks:
            yield from one(ctx)

    check.__name__ = checks[0].__name__
    check.__doc__ = checks[0].__doc__
    return check


def _check_functions() -> dict:
    found: dict[str, list] = {}
    for name in MODULES:
        for rule_id, check in import_module(f"mllint.checks.{name}").RULES.items():
            found.setdefault(rule_id, []).append(check)
    return {rule_id: _chain(checks) for rule_id, checks in found.items()}


@hookimpl
def mllint_rules():
    from mllint import knowledge
    from mllint.rule import DOCS_BASE, Rule, RuleMeta

    catalogue = knowledge.catalogue()
    rules = []
    for rule_id, check in sorted(_check_functions().items()):
        entry = catalogue[rule_id]
        meta = RuleMeta.from_mapping(entry, help_uri=f"{DOCS_BASE}{rule_id}-{entry['name']}.md")
        rules.append(Rule(meta, check))
    return rules
