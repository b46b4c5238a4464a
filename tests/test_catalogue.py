"""The catalogue in rules/ and the code cannot drift apart."""

from __future__ import annotations

import pytest

from mllint import knowledge
from mllint.plugins import collect_rules, plugin_manager
from mllint.rule import Severity

RULES = collect_rules(plugin_manager(entry_points=False))


def _examples(kind):
    return [(rule.name, i, text) for rule in RULES for i, text in enumerate(getattr(rule.meta, kind))]


def _findings(lint, name: str, text: str) -> list:
    """The rule's findings on ``text``: the suppression rules judge pragmas against every other rule, so
    all rules run for them."""
    (rule,) = [r for r in RULES if r.name == name]
    report = lint(text, select=[] if "suppressions" in rule.meta.tags else [name])
    return [f for f in report.findings if f.rule_name == name]


@pytest.mark.parametrize("name,index,text", _examples("bad"), ids=lambda v: str(v)[:30])
def test_bad_examples_fire(name, index, text, lint):
    assert _findings(lint, name, text), f"bad example {index} of {name} does not fire"


@pytest.mark.parametrize("name,index,text", _examples("good"), ids=lambda v: str(v)[:30])
def test_good_examples_do_not_fire(name, index, text, lint):
    findings = _findings(lint, name, text)
    assert not findings, [f.message for f in findings]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_catalogue_entry_is_complete(rule):
    meta = rule.meta
    assert meta.id.startswith("ML") and len(meta.id) == 5
    assert meta.name == meta.name.lower() and " " not in meta.name
    assert isinstance(meta.severity, Severity)
    assert meta.summary and meta.rationale and meta.bad and meta.good and meta.references
    assert meta.help_uri.endswith(f"docs/rules/{meta.id}-{meta.name}.md")


def test_every_catalogue_file_is_a_registered_rule():
    assert set(knowledge.catalogue()) == {rule.id for rule in RULES}


def test_docs_page_for_every_rule():
    root = knowledge.rules_dir().parent / "docs" / "rules"
    if not root.is_dir():
        pytest.skip("docs are not part of an installed wheel")
    for rule in RULES:
        page = root / f"{rule.id}-{rule.name}.md"
        assert page.is_file(), f"missing {page}"
        assert rule.name in page.read_text()


def test_docs_pages_are_generated_from_the_catalogue():
    from mllint.docs_pages import pages

    root = knowledge.rules_dir().parent / "docs" / "rules"
    if not root.is_dir():
        pytest.skip("docs are not part of an installed wheel")
    for name, text in pages(RULES).items():
        assert (root / name).read_text(encoding="utf-8") == text, (
            f"docs/rules/{name} is stale: run `python -m mllint.docs_pages`")


def test_every_checks_module_is_registered():
    import pkgutil

    import mllint.checks
    from mllint.checks.builtin import MODULES

    from importlib import import_module

    names = {m.name for m in pkgutil.iter_modules(mllint.checks.__path__)} - {"builtin"}
    # shared helpers (mllint.checks.locations) declare no RULES; every module that does is registered
    found = {name for name in names if hasattr(import_module(f"mllint.checks.{name}"), "RULES")}
    assert set(MODULES) == found
