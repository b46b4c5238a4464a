""".mllint.yaml: discovery, strict validation with line and column, precedence, paths and rule options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli

import mllint
from mllint.config import Config, ConfigError, discover, load, matches
from mllint.plugins import configure, plugin_manager

FLOATING_UNCACHED = "FROM python:latest\nRUN pip install torch==2.4.1\n"  # ML001 (line 1), ML003 (line 2)


def repo(tmp_path: Path, config: str | None = None, name: str = ".mllint.yaml") -> Path:
    """A repository root (with .git, so discovery stops here) holding a Dockerfile and maybe a config."""
    (tmp_path / ".git").mkdir(parents=True, exist_ok=True)
    (tmp_path / "Dockerfile").write_text(FLOATING_UNCACHED)
    if config is not None:
        (tmp_path / name).write_text(config)
    return tmp_path


def found(result) -> set[tuple[str, int]]:
    assert result.returncode in (0, 1), result.stderr.decode()
    return {(f["rule_id"], f["line"]) for f in json.loads(result.stdout)["findings"]}


# --------------------------------------------------------------------------- discovery


def test_discovered_from_a_subdirectory_up_to_the_repository_root(tmp_path):
    root = repo(tmp_path, "ignore: [ML003]\n")
    sub = root / "docker" / "gpu"
    sub.mkdir(parents=True)
    assert found(run_cli("-f", "json", str(root / "Dockerfile"), cwd=sub)) == {("ML001", 1)}


def test_discovery_stops_at_the_repository_root(tmp_path):
    (tmp_path / ".mllint.yaml").write_text("ignore: [ML003]\n")  # outside the repository: not used
    root = repo(tmp_path / "project")
    assert discover(root) is None
    assert found(run_cli("-f", "json", "Dockerfile", cwd=root)) == {("ML001", 1), ("ML003", 2)}


def test_yml_spelling_and_yaml_preferred(tmp_path):
    root = repo(tmp_path, "ignore: [ML003]\n", name=".mllint.yml")
    assert discover(root) == (root / ".mllint.yml").resolve()
    assert found(run_cli("-f", "json", "Dockerfile", cwd=root)) == {("ML001", 1)}
    (root / ".mllint.yaml").write_text("ignore: [ML001]\n")
    assert discover(root) == (root / ".mllint.yaml").resolve()
    assert found(run_cli("-f", "json", "Dockerfile", cwd=root)) == {("ML003", 2)}


def test_config_option_and_no_config(tmp_path):
    root = repo(tmp_path, "ignore: [ML003]\n")
    other = tmp_path / "strict.yaml"
    other.write_text("ignore: [ML001]\n")
    assert found(run_cli("-f", "json", "--config", str(other), "Dockerfile", cwd=root)) == {("ML003", 2)}
    assert found(run_cli("-f", "json", "--no-config", "Dockerfile", cwd=root)) == {("ML001", 1), ("ML003", 2)}
    both = run_cli("--config", str(other), "--no-config", "Dockerfile", cwd=root)
    assert both.returncode == 2 and "cannot be combined" in both.stderr.decode()


def test_empty_file_means_defaults(tmp_path):
    root = repo(tmp_path, "# nothing configured yet\n")
    assert found(run_cli("-f", "json", "Dockerfile", cwd=root)) == {("ML001", 1), ("ML003", 2)}


# --------------------------------------------------------------------------- strict validation

BAD_CONFIGS = [
    ("selct: [ML001]\n", "1:1: unknown key 'selct' (expected one of: select, ignore, severity, failure-threshold, "
     "exclude, per-file-ignores, allowed-floating-tags, ml-packages, secret-names, plugins, inline-ignores, target, "
     "extend-select)"),
    ("select: ML001\n", "1:9: 'select' is a string (expected a list of rule ids or names)"),
    ("select:\n", "1:1: 'select' is null (expected a list of rule ids or names)"),
    ("select: []\n", "1:9: 'select' is an empty list (expected at least one rule id or name; `all` selects every rule)"),
    ("ignore:\n  - ML003\n  - 7\n", "3:5: item 2 of 'ignore' is a number (expected a list of rule ids or names)"),
    ("ignore: [ML003, no-such-rule]\n", "1:17: unknown rule 'no-such-rule' (expected a rule id or name; see `mllint rules`)"),
    ("severity:\n  ML001: fatal\n", "2:10: severity of 'ML001' is 'fatal' (expected error, warning or info)"),
    ("severity:\n  ML099: error\n", "2:3: unknown rule 'ML099' (expected a rule id or name; see `mllint rules`)"),
    ("severity: [ML001]\n", "1:11: 'severity' is a list (expected a mapping of rule id or name to error, warning or info)"),
    ("failure-threshold: high\n", "1:20: 'failure-threshold' is 'high' (expected error, warning, info or none)"),
    ("exclude: legacy\n", "1:10: 'exclude' is a string (expected a list of path globs)"),
    ("per-file-ignores:\n  'legacy/*': ML001\n", "2:15: 'legacy/*' in 'per-file-ignores' is a string "
     "(expected a list of rule ids or names)"),
    ("per-file-ignores:\n  'legacy/*': [ML001, nope]\n", "2:23: unknown rule 'nope' "
     "(expected a rule id or name; see `mllint rules`)"),
    ("allowed-floating-tags: {python: latest}\n", "1:24: 'allowed-floating-tags' is a mapping "
     "(expected a list of image reference globs)"),
    ("ml-packages: [true]\n", "1:15: item 1 of 'ml-packages' is a boolean (expected a list of package names)"),
    ("secret-names: [ACME_TOKEN, 2FA]\n", "1:28: '2FA' in 'secret-names' is not a variable name "
     "(expected letters, digits and _, not starting with a digit)"),
    ("plugins: [approved-registry]\n", "1:10: 'plugins' is a list "
     "(expected a mapping of plugin name to a mapping of its options)"),
    ("plugins:\n  no-such-plugin: {}\n", "2:3: unknown plugin 'no-such-plugin' (expected one of: "),
    ("- select\n", "1:1: found a list (expected a mapping of settings)"),
    ("select: [ML001\n", "2:1: invalid YAML: expected ',' or ']', but got '<stream end>'"),
    ("ignore: [ML001]\nignore: [ML003]\n", "2:1: invalid YAML: found duplicate key \"ignore\""),
    ("select: [ML001]\n---\nignore: [ML003]\n", "2:1: invalid YAML: expected a single document in the stream, "
     "but found another document"),
    ("select: " + "[" * 5000 + "]" * 5000 + "\n", " invalid configuration: nested too deeply"),
    ("ignore: !!set {ML001}\n", "1:9: 'ignore' is a set (expected a list of rule ids or names)"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS, ids=[t[:40] for t, _ in BAD_CONFIGS])
def test_bad_configuration_is_one_located_line_and_exit_2(tmp_path, text, expected):
    root = repo(tmp_path, text)
    result = run_cli("Dockerfile", cwd=root)
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith(f".mllint.yaml:{expected}"), stderr
    assert result.stdout == b""  # nothing is linted under a configuration that is not understood


def test_errors_name_the_file_as_given(tmp_path):
    config = tmp_path / "conf" / "mllint.yaml"
    config.parent.mkdir()
    config.write_text("select: [ML001]\nfailure-threshold: 3\n")
    result = run_cli("--config", str(config), "Dockerfile", cwd=repo(tmp_path / "r"))
    assert result.stderr.decode() == f"{config}:2:20: 'failure-threshold' is a number (expected error, warning, info or none)\n"


@pytest.mark.parametrize(("setup", "expected"), [
    (lambda p: None, "no such configuration file"),
    (lambda p: p.mkdir(), "is a directory, not a configuration file"),
    (lambda p: p.write_bytes(b"select: [caf\xe9]\n"), "not valid UTF-8 (byte offset 12)"),
])
def test_unreadable_configuration_file(tmp_path, setup, expected):
    config = tmp_path / "cfg.yaml"
    setup(config)
    result = run_cli("--config", str(config), "Dockerfile", cwd=repo(tmp_path / "r"))
    assert result.returncode == 2
    assert result.stderr.decode() == f"{config}: {expected}\n"


def test_loading_never_runs_code(tmp_path):
    marker = tmp_path / "pwned"
    root = repo(tmp_path / "r", f"ignore: !!python/object/apply:os.system ['touch {marker}']\n"
                                f"select: !!python/name:os.system\n")
    result = run_cli("Dockerfile", cwd=root)
    assert result.returncode == 2
    assert "is a value tagged !!python/object/apply:os.system" in result.stderr.decode()
    assert not marker.exists()


def test_tags_inside_plugin_options_are_refused(tmp_path):
    (tmp_path / "c.yaml").write_text("plugins:\n  p:\n    x: !!python/name:os.system\n")
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "c.yaml", "c.yaml")
    assert str(info.value) == "c.yaml:3:8: plugin options contain a value tagged !!python/name:os.system " \
                              "(expected plain YAML data, no tags)"


def test_plugin_options_are_plain_data_and_aliases_are_shared(tmp_path):
    (tmp_path / "c.yaml").write_text("plugins:\n  p:\n    base: &b [a, b]\n    more: {x: *b, n: 3, f: 1.5, on: true}\n")
    options = load(tmp_path / "c.yaml").plugins["p"]
    assert options == {"base": ["a", "b"], "more": {"x": ["a", "b"], "n": 3, "f": 1.5, "on": True}}
    assert type(options["base"]) is list and type(options["more"]) is dict and type(options["base"][0]) is str
    assert options["more"]["x"] is options["base"]  # an alias is not copied (no billion-laughs blow-up)


# --------------------------------------------------------------------------- precedence


def test_select_ignore_and_command_line_precedence(tmp_path):
    root = repo(tmp_path, "select: [ML001, ML003]\nignore: [ML003]\n")
    lint = lambda *args: found(run_cli("-f", "json", *args, "Dockerfile", cwd=root))  # noqa: E731
    assert lint() == {("ML001", 1)}
    assert lint("--select", "ML003") == {("ML003", 2)}  # --select replaces the file's select and ignore
    assert lint("--ignore", "ML001") == set()  # --ignore adds to the file's ignore


def test_command_line_select_wins_over_file_ignore(tmp_path):
    root = repo(tmp_path, "ignore: [floating-image-tag]\n")
    assert found(run_cli("-f", "json", "Dockerfile", cwd=root)) == {("ML003", 2)}
    assert found(run_cli("-f", "json", "--select", "ML001", "Dockerfile", cwd=root)) == {("ML001", 1)}


def test_severity_override_and_failure_threshold(tmp_path):
    root = repo(tmp_path, "severity:\n  floating-image-tag: error\n  ML003: info\nfailure-threshold: error\n")
    result = run_cli("-f", "json", "Dockerfile", cwd=root)
    severities = {f["rule_id"]: f["severity"] for f in json.loads(result.stdout)["findings"]}
    assert severities == {"ML001": "error", "ML003": "info"}
    assert result.returncode == 1  # an error reaches the file's threshold
    (root / ".mllint.yaml").write_text("failure-threshold: error\n")
    assert run_cli("Dockerfile", cwd=root).returncode == 0  # warnings only: below the file's threshold
    assert run_cli("--failure-threshold", "warning", "Dockerfile", cwd=root).returncode == 1  # the flag wins


# --------------------------------------------------------------------------- paths


def test_path_globs():
    assert matches("legacy/Dockerfile", "legacy")
    assert matches("a/legacy/Dockerfile", "legacy")  # no `/`: any path component
    assert matches("docker/x.gpu.Dockerfile", "*.gpu.Dockerfile")
    assert matches("docker/old/sub/Dockerfile", "docker/old")  # a parent directory
    assert matches("docker/old/Dockerfile", "./docker/old/")
    assert matches("docker/a/Dockerfile", "docker/*/Dockerfile")
    assert matches("Dockerfile.dev", "**/Dockerfile.dev") and matches("x/Dockerfile.dev", "**/Dockerfile.dev")
    assert not matches("docker/new/Dockerfile", "docker/old")
    assert not matches("legacy-tools/Dockerfile", "legacy")
    assert not matches("other/docker/old/Dockerfile", "docker/old")  # with a `/`: anchored at the config's directory
    assert matches("other/docker/old/Dockerfile", "**/docker/old")


def test_exclude_and_per_file_ignores(tmp_path):
    root = repo(tmp_path, "exclude: [legacy, 'docker/old']\nper-file-ignores:\n  'docker/*': [ML001]\n")
    for rel in ("legacy/Dockerfile", "docker/old/Dockerfile", "docker/gpu.Dockerfile", "svc/legacy/Dockerfile"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(FLOATING_UNCACHED)
    result = run_cli("-f", "json", ".", cwd=root)
    paths = {(f["path"], f["rule_id"]) for f in json.loads(result.stdout)["findings"]}
    assert paths == {("Dockerfile", "ML001"), ("Dockerfile", "ML003"), ("docker/gpu.Dockerfile", "ML003")}
    # a file named on the command line is excluded too (pre-commit passes file names); from another cwd as well
    named = run_cli("-f", "json", "legacy/Dockerfile", "docker/gpu.Dockerfile", cwd=root)
    assert {(f["path"], f["rule_id"]) for f in json.loads(named.stdout)["findings"]} == {
        ("docker/gpu.Dockerfile", "ML003")}
    elsewhere = run_cli("-f", "json", "--config", str(root / ".mllint.yaml"), str(root / "legacy"), cwd=tmp_path.parent)
    assert elsewhere.returncode == 0, elsewhere.stderr  # an all-excluded directory is not an error
    assert json.loads(elsewhere.stdout)["findings"] == []


def test_per_file_ignores_follow_stdin_filename(tmp_path):
    root = repo(tmp_path, "per-file-ignores:\n  'docker/*': [ML001, ML003]\n")
    result = run_cli("-f", "json", "-", "--stdin-filename", "docker/Dockerfile", input=FLOATING_UNCACHED, cwd=root)
    assert result.returncode == 0 and json.loads(result.stdout)["findings"] == []


# --------------------------------------------------------------------------- rule options


def test_rule_options_reach_the_rules():
    fixture = FIXTURES / "config" / "rule-options"
    args = ("-f", "json", "--select", "ML001,ML002,ML010", "Dockerfile")
    without = run_cli(*args, "--no-config", cwd=fixture)
    assert found(without) == {("ML001", 1), ("ML001", 2), ("ML001", 3), ("ML001", 4), ("ML001", 5)}
    result = run_cli(*args, cwd=fixture)
    findings = json.loads(result.stdout)["findings"]
    assert found(result) == {
        ("ML001", 3),  # tensorflow:latest is not in allowed-floating-tags (only :latest-gpu is)
        ("ML001", 5),  # an untagged nvidia/cuda fails to pull: allowing it to float does not change that
        ("ML002", 7),  # acme-trainer and acme.vision (normalised) are ML packages now; numpy is not
        ("ML010", 8), ("ML010", 9),
    }
    assert sorted(f["message"].split("`")[1] for f in findings if f["rule_id"] == "ML002") == ["acme-trainer",
                                                                                               "acme-vision"]
    secrets = [f for f in findings if f["rule_id"] == "ML010"]
    assert all(f["severity"] == "error" for f in secrets)  # named by the team: not a mere note
    assert secrets[0]["message"].startswith("`ENV ACME_API_TOKEN` stores a configured (`secret-names`) credential")


def test_options_are_in_the_check_context(lint):
    """The in-process API: Linter(options=...) is what CheckContext.options carries."""
    from mllint.engine import Linter
    from mllint.plugins import collect_rules

    rules = collect_rules(plugin_manager(entry_points=False))
    options = Config(allowed_floating_tags=["python"]).rule_options()
    report = Linter(rules, select=["ML001"], options=options).lint_text("FROM python:latest\n", "Dockerfile")
    assert report.findings == []
    assert lint("FROM python:latest\n", select=["ML001"]).findings  # without the option it fires


# --------------------------------------------------------------------------- plugins: options


def test_each_plugin_gets_its_own_options():
    seen = {}

    class First:
        @mllint.hookimpl
        def mllint_configure(self, options):
            seen["first"] = options

    class Second:
        @mllint.hookimpl
        def mllint_configure(self, options):
            seen["second"] = options

    class NoArguments:
        @mllint.hookimpl
        def mllint_configure(self):
            seen["none"] = True

    manager = plugin_manager(entry_points=False)
    for name, plugin in (("first", First()), ("second", Second()), ("none", NoArguments())):
        manager.register(plugin, name=name)
    configure(manager, {"first": {"registries": ["a"]}})
    assert seen == {"first": {"registries": ["a"]}, "second": {}, "none": True}


# --------------------------------------------------------------------------- start-up


def test_configuration_is_read_only_when_present(tmp_path):
    """ruamel.yaml is imported for a configuration file, and only then (tests/test_startup.py: none)."""
    import os
    import subprocess
    import sys

    root = repo(tmp_path, "ignore: [ML003]\n")
    probe = ("import sys\nfrom mllint.cli import main\ntry:\n    main(['Dockerfile'])\nexcept SystemExit as e:\n"
             "    print('EXIT', e.code)\nprint('RUAMEL', 'ruamel.yaml' in sys.modules)\n")
    # a private cache: in a checkout the compiled rule tables live there (the first run writes them), and a cache
    # that other test runs share and prune could be empty when the second run starts (then YAML is parsed)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    with_config = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root, env=env)
    assert "EXIT 1" in with_config.stdout and "RUAMEL True" in with_config.stdout, with_config.stderr
    (root / ".mllint.yaml").unlink()
    without = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root, env=env)
    assert "EXIT 1" in without.stdout and "RUAMEL False" in without.stdout, without.stderr


def test_documented_configurations_are_valid(tmp_path):
    """Every YAML example in docs/configuration.md loads and names only installed rules and plugins."""
    import re

    from conftest import ROOT

    from mllint.plugins import collect_rules, configurable_plugins

    manager = plugin_manager()
    known = [key for rule in collect_rules(manager) for key in (rule.id, rule.name)]
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "configuration.md").read_text(), re.S)
    assert len(blocks) >= 10
    for i, block in enumerate(blocks):
        path = tmp_path / f"{i}.yaml"
        path.write_text(block)
        load(path).check_rules(known, configurable_plugins(manager))
