"""The built-in rule set, registered through the public plugin hook.

Each module listed in ``MODULES`` declares ``RULES = {"<id>": check_function}``;
the catalogue entry ``rules/catalogue/<id>.yaml`` supplies the metadata.
"""

from __future__ import annotations

from importlib import import_module

from mllint.plugins import hookimpl

# One module per theme; each declares RULES = {"<id>": check}. A test checks this list against the package.
MODULES = ("images", "pip_cache", "packages", "indexes", "cuda", "drivers", "credentials", "python_support",
           "end_of_life", "dependency_files", "companions", "cuda_arch")


def _check_functions() -> dict:
    found = {}
    for name in MODULES:
        found.update(import_module(f"mllint.checks.{name}").RULES)
    return found


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
