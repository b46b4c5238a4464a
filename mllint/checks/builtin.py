"""The built-in rule set, registered through the public plugin hook.

Each module in ``mllint.checks`` declares ``RULES = {"<id>": check_function}``;
the catalogue entry ``rules/catalogue/<id>.yaml`` supplies the metadata.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

import mllint.checks as checks_package
from mllint.plugins import hookimpl


def _check_functions() -> dict:
    found = {}
    for info in pkgutil.iter_modules(checks_package.__path__):
        if info.name in ("builtin",) or info.name.startswith("_"):
            continue
        module = import_module(f"mllint.checks.{info.name}")
        found.update(getattr(module, "RULES", {}))
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
