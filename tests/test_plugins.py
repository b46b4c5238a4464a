"""Third-party rules plug in through the public API, exactly like the built-in ones."""

from __future__ import annotations

import pytest
from conftest import TODAY

import mllint
from mllint.engine import Linter
from mllint.plugins import PluginError, collect_rules, plugin_manager


class ApprovedRegistry:
    """An example plugin: images must come from an approved registry."""

    @mllint.hookimpl
    def mllint_rules(self):
        meta = mllint.RuleMeta.from_mapping({
            "id": "XY001",
            "name": "unapproved-registry",
            "severity": "error",
            "summary": "Base images must come from the approved registry.",
            "examples": {"bad": ["FROM docker.io/library/python:3.11\n"], "good": ["FROM registry.corp/python:3.11\n"]},
        })

        def check(ctx):
            for stage in ctx.stages:
                if stage.image and stage.image.registry != "registry.corp":
                    yield mllint.Hit(f"{stage.image.registry} is not an approved registry.", stage.from_instruction)

        return [mllint.Rule(meta, check)]


class Crashing:
    @mllint.hookimpl
    def mllint_rules(self):
        meta = mllint.RuleMeta.from_mapping({"id": "XY002", "name": "crashes", "severity": "warning",
                                             "summary": "Always raises."})

        def check(ctx):
            raise RuntimeError("boom")

        return [mllint.Rule(meta, check)]


def test_plugin_rule_is_registered_and_runs():
    manager = plugin_manager(entry_points=False, extra=[ApprovedRegistry()])
    rules = collect_rules(manager)
    assert "XY001" in {r.id for r in rules} and "ML001" in {r.id for r in rules}
    plugin_rule = next(r for r in rules if r.id == "XY001")
    assert plugin_rule.plugin != "mllint"
    report = Linter(rules, today=TODAY).lint_text("FROM python:3.11\n", "Dockerfile")
    assert [f.rule_id for f in report.findings] == ["XY001"]
    assert report.findings[0].severity == mllint.Severity.ERROR


def test_plugin_rule_obeys_selection():
    rules = collect_rules(plugin_manager(entry_points=False, extra=[ApprovedRegistry()]))
    report = Linter(rules, ignore=["unapproved-registry"], today=TODAY).lint_text("FROM python:3.11\n", "D")
    assert not report.findings


def test_crashing_plugin_is_reported_without_losing_other_findings():
    rules = collect_rules(plugin_manager(entry_points=False, extra=[Crashing()]))
    report = Linter(rules, today=TODAY).lint_text("FROM python:latest\n", "Dockerfile")
    assert [f.rule_id for f in report.findings] == ["ML001"]
    assert len(report.problems) == 1
    assert "XY002" in report.problems[0] and "crashes" in report.problems[0] and "boom" in report.problems[0]


def test_duplicate_rule_ids_are_refused():
    class Clash:
        @mllint.hookimpl
        def mllint_rules(self):
            meta = mllint.RuleMeta.from_mapping({"id": "ML001", "name": "other", "severity": "info", "summary": "x"})
            return [mllint.Rule(meta, lambda ctx: [])]

    with pytest.raises(PluginError, match="ML001"):
        collect_rules(plugin_manager(entry_points=False, extra=[Clash()]))


def test_builtin_rules_come_through_the_public_hook():
    from mllint.checks import builtin

    manager = plugin_manager(entry_points=False)
    assert manager.get_plugin("mllint") is builtin
    assert [impl.plugin for impl in manager.hook.mllint_rules.get_hookimpls()] == [builtin]
