"""`mllint rules`, `mllint explain` and `mllint init`."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT, run_cli

from mllint import knowledge
from mllint.config import KEYS, load
from mllint.starter import defaults

CATALOGUE = knowledge.catalogue()


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".git").mkdir()
    return tmp_path


def rules_json(*args, cwd):
    result = run_cli("rules", "--format", "json", *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    return {entry["id"]: entry for entry in data["rules"]}


def test_rules_table_lists_every_builtin_rule(project):
    result = run_cli("rules", cwd=project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[0].split() == ["ID", "NAME", "DEFAULT", "ENABLED", "FIX", "PLUGIN", "SUMMARY"]
    rows = {line.split()[0]: line for line in lines[1:-1]}
    off = {rule_id for rule_id, entry in CATALOGUE.items() if entry.get("enabled_by_default") is False}
    assert off == {"ML020"}
    for rule_id, entry in CATALOGUE.items():
        enabled = r"no \(off by default\)" if rule_id in off else "yes"
        others = [s for s in entry.get("severities", [entry["severity"]]) if s != entry["severity"]]
        shown = entry["severity"] + (rf" \(or {', '.join(others)}\)" if others else "")
        assert re.match(rf"{rule_id}\s+{entry['name']}\s+{shown}\s+{enabled}\s+{entry.get('fix', 'none')}\s+mllint\s+",
                        rows[rule_id]), rows[rule_id]
        summary = " ".join(entry["summary"].split())
        if others:  # the summary then says when each other severity applies
            note = " ".join(entry["severity_note"].split())
            assert rows[rule_id].endswith(f"{summary} Severity: {entry['severity']}; {note}."), rows[rule_id]
        else:
            assert rows[rule_id].endswith(summary)
    counts = re.fullmatch(r"(\d+) rules, (\d+) enabled\.", lines[-1])
    assert counts and int(counts[2]) == int(counts[1]) - len(off)


def test_rules_json(project):
    rules = rules_json(cwd=project)
    assert set(CATALOGUE) <= set(rules)
    ml001 = rules["ML001"]
    assert ml001 == {
        "id": "ML001", "name": "floating-image-tag", "default_severity": "warning", "severity": "warning",
        "severities": ["warning", "error", "info"], "severity_note": " ".join(CATALOGUE["ML001"]["severity_note"].split()),
        "enabled": True, "plugin": "mllint", "summary": " ".join(CATALOGUE["ML001"]["summary"].split()),
        "tags": list(CATALOGUE["ML001"]["tags"]), "fix": "none", "enabled_by_default": True,
        "help_uri": "https://github.com/mllint-docker/mllint/blob/main/docs/rules/ML001-floating-image-tag.md",
    }


def test_rules_follow_the_configuration(project):
    (project / ".mllint.yaml").write_text("ignore: [pip-cache-not-disabled]\nseverity: {ML001: error}\n")
    rules = rules_json(cwd=project)
    assert rules["ML003"]["enabled"] is False
    assert (rules["ML001"]["enabled"], rules["ML001"]["severity"], rules["ML001"]["default_severity"]) == (
        True, "error", "warning")
    text = run_cli("rules", cwd=project).stdout.decode()
    assert re.search(r"^ML001\s+floating-image-tag\s+warning \(or error, info\)\s+yes, as error\s+none\s+mllint",
                     text, re.M)
    assert re.search(r"^ML003\s+pip-cache-not-disabled\s+warning \(or info\)\s+no\s+safe\s+mllint", text, re.M)
    assert rules_json("--no-config", cwd=project)["ML003"]["enabled"] is True
    selected = rules_json("--select", "ML003", cwd=project)
    assert [rule_id for rule_id, entry in selected.items() if entry["enabled"]] == ["ML003"]


def test_rules_with_a_bad_configuration_or_rule(project):
    (project / ".mllint.yaml").write_text("ignore: [nope]\n")
    result = run_cli("rules", cwd=project)
    assert result.returncode == 2
    assert result.stderr.decode() == ".mllint.yaml:1:10: unknown rule 'nope' (expected a rule id or name; see `mllint rules`)\n"
    unknown = run_cli("rules", "--no-config", "--select", "ML999", cwd=project)
    assert unknown.returncode == 2 and "unknown rule 'ML999'" in unknown.stderr.decode()


@pytest.mark.parametrize("key", ["ML001", "ml001", "floating-image-tag", "Floating-Image-Tag"])
def test_explain_prints_the_docs_page(key):
    result = run_cli("explain", key)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == (ROOT / "docs" / "rules" / "ML001-floating-image-tag.md").read_text()


def test_explain_every_builtin_rule_matches_its_committed_page():
    for rule_id, entry in CATALOGUE.items():
        page = ROOT / "docs" / "rules" / f"{rule_id}-{entry['name']}.md"
        assert run_cli("explain", rule_id).stdout.decode() == page.read_text(), rule_id


def test_explain_unknown_rule():
    result = run_cli("explain", "ML999")
    assert result.returncode == 2
    assert result.stderr.decode() == "mllint: unknown rule 'ML999' (expected a rule id or name; see `mllint rules`)\n"


def test_init_writes_every_key_commented_and_defaults(project):
    result = run_cli("init", cwd=project)
    assert result.returncode == 0, result.stderr
    text = (project / ".mllint.yaml").read_text()
    lines = text.splitlines()
    keys = [line.split(":")[0] for line in lines if line and not line.startswith(("#", " "))]
    assert keys == list(KEYS)
    for key in KEYS:
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
        assert lines[index - 1].startswith("# "), f"{key} has no comment above it"
    config = load(project / ".mllint.yaml")
    values = {key: getattr(config, key.replace("-", "_")) for key in KEYS}
    assert values == defaults()
    # the starter configuration changes nothing: same findings as without one
    (project / "Dockerfile").write_text("FROM python:latest\nRUN pip install torch==2.4.1\n")
    with_it = run_cli("-f", "json", "Dockerfile", cwd=project)
    without = run_cli("-f", "json", "--no-config", "Dockerfile", cwd=project)
    assert with_it.returncode == without.returncode == 1
    assert json.loads(with_it.stdout)["findings"] == json.loads(without.stdout)["findings"]


def test_init_refuses_to_overwrite_without_force(project):
    target = project / ".mllint.yaml"
    target.write_text("ignore: [ML003]\n")
    result = run_cli("init", cwd=project)
    assert result.returncode == 2
    assert result.stderr.decode() == "mllint: .mllint.yaml already exists; use --force to overwrite it\n"
    assert target.read_text() == "ignore: [ML003]\n"
    forced = run_cli("init", "--force", cwd=project)
    assert forced.returncode == 0 and "select: [all]" in target.read_text()


def test_init_refuses_when_the_other_spelling_exists(project):
    (project / ".mllint.yml").write_text("ignore: [ML003]\n")
    result = run_cli("init", cwd=project)
    assert result.returncode == 2 and "mllint: .mllint.yml already exists" in result.stderr.decode()
    assert not (project / ".mllint.yaml").exists()


def test_init_to_another_path(project):
    result = run_cli("init", "ci/mllint.yaml", cwd=project)
    assert result.returncode == 2 and result.stderr.decode().startswith("mllint: cannot write ci/mllint.yaml: ")
    (project / "ci").mkdir()
    assert run_cli("init", "ci/mllint.yaml", cwd=project).returncode == 0
    assert load(project / "ci" / "mllint.yaml").select == ["all"]
