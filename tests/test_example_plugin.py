"""The example plugin (examples/mllint-approved-registry), installed through its entry point.

The README's test command and .ci/run install it next to mllint; these tests use it as a user
would, through the command line, never by importing it into the test process.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

EXAMPLE = ROOT / "examples" / "mllint-approved-registry"
DOCKERFILE = (
    "FROM python:latest\n"  # ML001, and AR001 unless docker.io is approved
    "FROM registry.corp/ml/base:2.1 AS internal\n"
    "FROM ghcr.io/acme/trainer:1.0 AS trainer\n"
    "FROM internal\n"  # a stage: not judged
)
APPROVED = "plugins:\n  approved-registry:\n    registries: [registry.corp, ghcr.io/acme]\n"


@pytest.fixture(scope="session", autouse=True)
def installed():
    names = {ep.name: ep.value for ep in entry_points(group="mllint")}
    assert names.get("approved-registry") == "mllint_approved_registry:plugin", (
        "the example plugin is not installed: pip install -e examples/mllint-approved-registry "
        "(the README's test command does this)"
    )


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    return tmp_path


def configure(project: Path, text: str) -> None:
    (project / ".mllint.yaml").write_text(text)


def findings(result):
    assert result.returncode in (0, 1), result.stderr.decode()
    return [(f["rule_id"], f["line"], f["severity"]) for f in json.loads(result.stdout)["findings"]]


def test_plugin_rule_is_listed_by_mllint_rules(project):
    result = run_cli("rules", "--format", "json", cwd=project)
    entry = next(e for e in json.loads(result.stdout)["rules"] if e["id"] == "AR001")
    assert entry == {
        "id": "AR001", "name": "unapproved-registry", "default_severity": "error", "severity": "error",
        "severities": ["error"], "severity_note": "", "enabled": True, "plugin": "approved-registry",
        "summary": "A base image is pulled from a registry that is not on the approved list.",
        "tags": ["security", "supply-chain"],
        "fix": "none", "enabled_by_default": True,
        "help_uri": "https://github.com/mllint-docker/mllint/blob/main/examples/mllint-approved-registry/docs/"
                    "AR001-unapproved-registry.md",
    }
    table = run_cli("rules", cwd=project).stdout.decode()
    assert any(line.split()[:6] == ["AR001", "unapproved-registry", "error", "yes", "none", "approved-registry"]
               for line in table.splitlines())


def test_plugin_reads_its_options_from_the_configuration(project):
    assert findings(run_cli("-f", "json", "Dockerfile", cwd=project)) == [("ML001", 1, "warning")]  # no registries
    configure(project, APPROVED)
    result = run_cli("Dockerfile", cwd=project)
    assert result.stdout.decode().splitlines()[0] == (
        "Dockerfile:1:1: AR001 error FROM python:latest is pulled from docker.io, which is not an approved registry "
        "(registry.corp, ghcr.io/acme); use the image's mirror in an approved registry. [unapproved-registry]"
    )
    assert findings(run_cli("-f", "json", "Dockerfile", cwd=project)) == [("AR001", 1, "error"), ("ML001", 1, "warning")]
    configure(project, APPROVED.replace("ghcr.io/acme]", "ghcr.io/acme, docker.io/library]"))
    assert findings(run_cli("-f", "json", "Dockerfile", cwd=project)) == [("ML001", 1, "warning")]


def test_plugin_rule_obeys_select_ignore_and_severity(project):
    configure(project, APPROVED + "select: [unapproved-registry]\n")
    assert findings(run_cli("-f", "json", "Dockerfile", cwd=project)) == [("AR001", 1, "error")]
    configure(project, APPROVED + "ignore: [AR001]\n")
    assert findings(run_cli("-f", "json", "Dockerfile", cwd=project)) == [("ML001", 1, "warning")]
    configure(project, APPROVED + "severity: {unapproved-registry: info}\n")
    assert findings(run_cli("-f", "json", "Dockerfile", cwd=project)) == [("AR001", 1, "info"), ("ML001", 1, "warning")]
    configure(project, APPROVED)
    assert findings(run_cli("-f", "json", "--select", "AR001", "Dockerfile", cwd=project)) == [("AR001", 1, "error")]
    assert findings(run_cli("-f", "json", "--ignore", "unapproved-registry", "Dockerfile", cwd=project)) == [
        ("ML001", 1, "warning")]
    (project / "Dockerfile").write_text("# mllint: ignore=AR001\n" + DOCKERFILE)
    assert findings(run_cli("-f", "json", "Dockerfile", cwd=project)) == [("ML001", 2, "warning")]


def test_plugin_rule_is_in_sarif_rules(project):
    configure(project, APPROVED)
    result = run_cli("-f", "sarif", "Dockerfile", cwd=project)
    run = json.loads(result.stdout)["runs"][0]
    components = [run["tool"]["driver"], *run["tool"].get("extensions", [])]
    descriptors = {rule["id"]: rule for component in components for rule in component.get("rules", [])}
    assert descriptors["AR001"]["name"] == "unapproved-registry"
    assert descriptors["AR001"]["defaultConfiguration"]["level"] == "error"
    (result_ar,) = [r for r in run["results"] if r["ruleId"] == "AR001"]
    assert run["tool"]["driver"]["rules"][result_ar["ruleIndex"]]["id"] == "AR001"


def test_bad_plugin_options_are_a_located_configuration_error(project):
    configure(project, "select: [all]\nplugins:\n  approved-registry:\n    registries: registry.corp\n")
    result = run_cli("Dockerfile", cwd=project)
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode() == (
        ".mllint.yaml:3:3: plugin 'approved-registry' rejected its options: ValueError: registries must be a list "
        "of registry hosts or repository prefixes, e.g. [registry.corp, ghcr.io/acme]\n"
    )


def test_explain_plugin_rule_matches_its_shipped_docs():
    result = run_cli("explain", "unapproved-registry")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == (EXAMPLE / "docs" / "AR001-unapproved-registry.md").read_text()


# --------------------------------------------------------------------------- a plugin that raises

CRASHY = '''\
import mllint

META = mllint.RuleMeta.from_mapping(
    {"id": "CR001", "name": "always-crashes", "severity": "warning", "summary": "Raises inside its check."})


def check(ctx):
    raise RuntimeError("the check fell over")


@mllint.hookimpl
def mllint_rules():
    return [mllint.Rule(META, check)]
'''


def install_crashy(site: Path) -> None:
    """A distribution with an `mllint` entry point, laid out as pip installs one (module + dist-info)."""
    (site / "crashy_plugin.py").write_text(CRASHY)
    info = site / "crashy_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crashy-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[mllint]\ncrashy = crashy_plugin\n")


def test_crashing_plugin_is_reported_without_losing_other_findings(project, tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    install_crashy(site)
    configure(project, APPROVED)
    env = {"PYTHONPATH": str(site)}
    result = run_cli("-f", "json", "Dockerfile", cwd=project, env=env)
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "mllint: Dockerfile: rule CR001 (always-crashes) from plugin 'crashy' crashed: "
        "RuntimeError: the check fell over\n"
    )
    assert [(f["rule_id"], f["line"]) for f in json.loads(result.stdout)["findings"]] == [("AR001", 1), ("ML001", 1)]


def test_the_entry_point_cache_sees_every_change_to_the_installed_plugins(tmp_path_factory, project):
    """Installing a plugin, or editing a distribution's entry points in place (directory times kept), changes
    what is listed: the cache is keyed on the bytes importlib.metadata reads, not on modification times."""
    site = tmp_path_factory.mktemp("site")
    cache = tmp_path_factory.mktemp("cache")
    env = {"PYTHONPATH": str(site), "XDG_CACHE_HOME": str(cache)}

    def listed():
        result = run_cli("rules", "--format", "json", cwd=project, env=env)
        assert result.returncode == 0, result.stderr
        return {entry["id"] for entry in json.loads(result.stdout)["rules"]}

    assert "CR001" not in listed() and "AR001" in listed()
    install_crashy(site)
    assert "CR001" in listed()
    entry_points_txt = site / "crashy_plugin-0.1.dist-info" / "entry_points.txt"
    times = {path: path.stat() for path in (site, entry_points_txt.parent, entry_points_txt)}
    entry_points_txt.write_text("[console_scripts]\ncrashy = crashy_plugin:main\n")
    for path, stamp in times.items():
        os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert "CR001" not in listed()
    entries = list((cache / "mllint").iterdir())
    assert entries and (cache / "mllint").stat().st_mode & 0o777 == 0o700
    assert all(entry.stat().st_mode & 0o777 == 0o600 for entry in entries)
