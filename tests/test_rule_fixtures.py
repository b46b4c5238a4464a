"""Every rule against its fixtures: ``tests/fixtures/rules/<rule-name>/*.Dockerfile``.

Each fixture states what it expects in a comment: ``# expect: 3,7`` (the rule
fires on lines 3 and 7) or ``# expect: none``. Files named ``fire-*`` must
fire and ``pass-*`` must not, so a fixture cannot silently assert nothing.
"""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES

RULE_FIXTURES = FIXTURES / "rules"
_EXPECT = re.compile(r"^#\s*expect:\s*(.+)$", re.M)


def _cases():
    return sorted(RULE_FIXTURES.glob("*/*.Dockerfile"))


def _expected(text: str) -> list[int]:
    match = _EXPECT.search(text)
    assert match, "fixture lacks an '# expect:' line"
    value = match.group(1).strip()
    return [] if value == "none" else sorted(int(x) for x in value.split(","))


@pytest.mark.parametrize("path", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rule_fixture(path, lint):
    text = path.read_text(encoding="utf-8")
    expected = _expected(text)
    if path.name.startswith("fire-"):
        assert expected, "a fire- fixture must expect findings"
    elif path.name.startswith("pass-"):
        assert not expected, "a pass- fixture must expect none"
    report = lint(text, select=[path.parent.name])
    assert not report.problems, report.problems
    lines = sorted(f.line for f in report.findings)
    assert lines == expected, [f"{f.line}: {f.message}" for f in report.findings]
    for finding in report.findings:
        assert finding.rule_name == path.parent.name
        assert finding.message.endswith(".") and len(finding.message) < 400


def test_every_rule_has_firing_and_passing_fixtures(lint):
    from mllint.plugins import collect_rules, plugin_manager

    for rule in collect_rules(plugin_manager(entry_points=False)):
        directory = RULE_FIXTURES / rule.name
        assert list(directory.glob("fire-*.Dockerfile")), f"{rule.name} has no firing fixture"
        assert list(directory.glob("pass-*.Dockerfile")), f"{rule.name} has no passing fixture"
