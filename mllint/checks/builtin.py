"""The built-in rule set, registered through the public plugin hook."""

from __future__ import annotations

from importlib import import_module

from mllint.plugins import hookimpl

# rule id -> "module:function"; modules are imported only when the rules are listed.
CHECKS = {
    "ML001": "mllint.checks.images:floating_image_tag",
    "ML003": "mllint.checks.pip_cache:pip_cache_not_disabled",
}


@hookimpl
def mllint_rules():
    from mllint import knowledge
    from mllint.rule import DOCS_BASE, Rule, RuleMeta

    catalogue = knowledge.catalogue()
    rules = []
    for rule_id, target in CHECKS.items():
        module_name, _, func = target.partition(":")
        entry = catalogue[rule_id]
        meta = RuleMeta.from_mapping(entry, help_uri=f"{DOCS_BASE}{rule_id}-{entry['name']}.md")
        rules.append(Rule(meta, getattr(import_module(module_name), func)))
    return rules
