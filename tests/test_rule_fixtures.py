"""Every rule against its fixtures: ``tests/fixtures/rules/<rule-name>/*.Dockerfile``.

Each fixture states what it expects in a comment: ``# expect: 3,7`` (the rule
fires on lines 3 and 7), ``# expect: requirements.txt:2`` (line 2 of a file in the
fixture's build context, the directory ``<fixture>.context/`` beside it) or ``# expect: none``. Files named ``fire-*`` must
fire and ``pass-*`` must not, so a fixture cannot silently assert nothing. ``# target: NAME`` lints the fixture
as ``--target NAME``; ``# severity: 3=info,7=warning`` also checks the severity of the findings on those lines;
``# path: docker/cpu/Dockerfile`` lints it under that file name (rules that read the Dockerfile's own name).
"""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES

from mllint.plugins import collect_rules, plugin_manager

RULE_FIXTURES = FIXTURES / "rules"
RULES_BY_NAME = {rule.name: rule for rule in collect_rules(plugin_manager(entry_points=False))}
_EXPECT = re.compile(r"^#\s*expect:\s*(.+)$", re.M)
_TARGET = re.compile(r"^#\s*target:\s*(\S+)\s*$", re.M)
_SEVERITY = re.compile(r"^#\s*severity:\s*(.+)$", re.M)
_PATH = re.compile(r"^#\s*path:\s*(\S+)\s*$", re.M)


def _cases():
    return sorted(RULE_FIXTURES.glob("*/*.Dockerfile"))


def _expected(text: str) -> list[str]:
    """Lines of the Dockerfile (``7``) or of a file in the fixture's build context (``requirements.txt:3``)."""
    match = _EXPECT.search(text)
    assert match, "fixture lacks an '# expect:' line"
    value = match.group(1).strip()
    return [] if value == "none" else sorted(x.strip() for x in value.split(","))


def _where(finding, context, dockerfile="Dockerfile") -> str:
    """How an expect line names a finding's place: its line, prefixed by the file when not the Dockerfile."""
    if finding.path == dockerfile:
        return str(finding.line)
    prefix = str(context).replace("\\", "/").rstrip("/") + "/"
    name = finding.path[len(prefix):] if finding.path.startswith(prefix) else finding.path
    return f"{name}:{finding.line}"


@pytest.mark.parametrize("path", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rule_fixture(path, lint):
    text = path.read_text(encoding="utf-8")
    expected = _expected(text)
    if path.name.startswith("fire-"):
        assert expected, "a fire- fixture must expect findings"
    elif path.name.startswith("pass-"):
        assert not expected, "a pass- fixture must expect none"
    # a fixture's build context, if it needs one, is the directory beside it: fire-x.Dockerfile -> fire-x.context/
    context = path.with_suffix(".context")
    # the suppression rules judge pragmas against what the other rules find: every rule runs for them
    judged_after = path.parent.name in ("invalid-suppression", "unused-suppression")
    target = _TARGET.search(text)
    named = _PATH.search(text)
    dockerfile = named.group(1) if named else "Dockerfile"
    report = lint(text, select=[] if judged_after else [path.parent.name], path=dockerfile,
                  context=context if context.is_dir() else None, target=target.group(1) if target else None)
    assert not report.problems, report.problems
    findings = [f for f in report.findings if f.rule_name == path.parent.name or not judged_after]
    lines = sorted(_where(f, context, dockerfile) for f in findings)
    assert lines == expected, [f"{f.path}:{f.line}: {f.message}" for f in findings]
    severities = _SEVERITY.search(text)
    if severities:
        wanted = dict(item.strip().split("=") for item in severities.group(1).split(","))
        got = {_where(f, context, dockerfile): str(f.severity) for f in findings}
        assert {k: got.get(k) for k in wanted} == wanted, [f"{f.line}: {f.severity}" for f in findings]
    levels = {str(s) for s in RULES_BY_NAME[path.parent.name].meta.severities}
    for finding in findings:
        assert finding.rule_name == path.parent.name
        assert finding.message.endswith(".") and len(finding.message) < 400
        # the catalogue (and so `mllint rules`, `explain` and the docs) names every severity a finding shows
        assert str(finding.severity) in levels, (finding.line, str(finding.severity), levels)


def test_every_rule_has_firing_and_passing_fixtures(lint):
    for rule in collect_rules(plugin_manager(entry_points=False)):
        directory = RULE_FIXTURES / rule.name
        assert list(directory.glob("fire-*.Dockerfile")), f"{rule.name} has no firing fixture"
        assert list(directory.glob("pass-*.Dockerfile")), f"{rule.name} has no passing fixture"


@pytest.mark.parametrize("path", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_rule_crashes_on_any_fixture(path, lint):
    """All rules together, with and without the fixture's build context: none may raise."""
    text = path.read_text(encoding="utf-8")
    for context in (path.with_suffix(".context"), path.parent):
        report = lint(text, path=str(path), context=context if context.is_dir() else None)
        assert not [p for p in report.problems if "crashed" in p], report.problems
