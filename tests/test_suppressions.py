"""Inline suppressions: the syntax users of hadolint, tally and ruff write, reasons kept as justifications,
invalid-suppression (ML018), unused-suppression (ML019) and the inline-ignores policy."""

from __future__ import annotations

import json

import pytest
from conftest import SARIF_SCHEMA, needs_shared, run_cli, workspace_with

CACHE = "RUN pip install torch==2.5.1\n"  # only ML003 pip-cache-not-disabled
CLEAN = "RUN pip install --no-cache-dir torch==2.5.1\n"
FROM = "FROM python:3.12-slim\n"


def ids(report, rule=None):
    return [(f.rule_id, f.line) for f in report.findings if rule is None or f.rule_id == rule]


@pytest.mark.parametrize("pragma,reason", [
    ("# mllint: ignore=ML003", ""),
    ("# mllint: ignore=pip-cache-not-disabled", ""),
    ("# MLLINT: IGNORE=ml003", ""),
    ("# mllint: ignore=ML003 -- the cache is mounted", "the cache is mounted"),
    ("# mllint: ignore=ML003 reason: the cache is mounted", "the cache is mounted"),
    ("# mllint: ignore=ML003  # the cache is mounted", "the cache is mounted"),  # hadolint#1028's form
    ("# mllint: ignore=ML003;reason=the cache is mounted", "the cache is mounted"),  # tally's form
    ("# mllint: ignore=ML003 the cache is mounted", "the cache is mounted"),
    ("# mllint: ignore=unused-suppression , ML003 -- both", "both"),
    ("# mllint: ignore=all -- legacy image", "legacy image"),
])
def test_valid_pragmas_suppress_and_keep_the_reason(lint, pragma, reason):
    report = lint(FROM + pragma + "\n" + CACHE)
    assert ids(report) == []
    (suppressed,) = [f for f in report.suppressed if f.rule_id == "ML003"]
    assert suppressed.suppressed == reason and suppressed.line == 3


def test_pragma_in_a_comment_block_above_the_instruction(lint):
    report = lint(FROM + "# Install torch.\n# mllint: ignore=ML003 -- cache mount in CI\n# more prose\n" + CACHE)
    assert ids(report) == [] and [f.rule_id for f in report.suppressed] == ["ML003"]


def test_ignore_file_covers_every_instruction(lint):
    report = lint(FROM + CACHE + "# mllint: ignore-file=ML003 -- builder image only\n" + CACHE)
    assert ids(report) == [] and [f.suppressed for f in report.suppressed] == ["builder image only"] * 2


@pytest.mark.parametrize("pragma,words", [
    ("# mllint ignore=ML003", "followed by a colon"),
    ("# mllint: disable=ML003", "no `disable` pragma"),
    ("# mllint: noqa ML003", "no `noqa` pragma"),
    ("# mllint global ignore=ML003", "followed by a colon"),
    ("# mllint: ignore ML003", "needs `=`"),
    ("# mllint: ignore=", "names no rule"),
    ("# mllint: ignore=ML003.reason", "unexpected `.reason`"),
    ("# mllint: ignore=ML003 ML002", "separate rule names with commas (`ML003,ML002`)"),
    ("# see docs; mllint: ignore=ML003", "must start the comment"),
])
def test_near_misses_are_invalid_and_suppress_nothing(lint, pragma, words):
    report = lint(FROM + pragma + "\n" + CACHE)
    assert ("ML003", 3) in ids(report)  # not suppressed
    (invalid,) = [f for f in report.findings if f.rule_id == "ML018"]
    assert invalid.line == 2 and words in invalid.message, invalid.message
    assert invalid.rule_name == "invalid-suppression" and str(invalid.severity) == "warning"


def test_prose_that_mentions_mllint_is_not_a_pragma(lint):
    report = lint(FROM + "# mllint reports the cache below; see docs\n" + CLEAN)
    assert ids(report) == []


def test_unknown_rule_is_reported_and_known_ones_still_apply(lint):
    report = lint(FROM + "# mllint: ignore=ML999,ML003 -- typo\n" + CACHE)
    assert ids(report) == [("ML018", 2)]
    assert "`ML999` is no installed rule" in report.findings[0].message
    assert [f.rule_id for f in report.suppressed] == ["ML003"]


@pytest.mark.parametrize("text,words", [
    (FROM + "# mllint: ignore=ML003\n\n" + CACHE, "directly above an instruction"),
    (FROM + CACHE + "# mllint: ignore=ML003\n", "directly above an instruction"),
    (FROM + "RUN pip install \\\n# mllint: ignore=ML003\n    torch==2.5.1\n", "inside an instruction (line 2)"),
])
def test_a_pragma_that_covers_no_instruction_is_invalid(lint, text, words):
    report = lint(text)
    assert "ML003" in [f.rule_id for f in report.findings]
    (invalid,) = [f for f in report.findings if f.rule_id == "ML018"]
    assert words in invalid.message


def test_unused_pragma_is_reported(lint):
    report = lint(FROM + "# mllint: ignore=ML003 -- fixed long ago\n" + CLEAN)
    (unused,) = report.findings
    assert (unused.rule_id, unused.rule_name, unused.line) == ("ML019", "unused-suppression", 2)
    assert "no `ML003` finding on the instruction at line 3" in unused.message


def test_partly_unused_pragma_names_the_idle_rule(lint):
    report = lint(FROM + "# mllint: ignore=ML003,floating-image-tag\n" + CACHE)
    (unused,) = report.findings
    assert unused.rule_id == "ML019" and "`ML001`" in unused.message and "from it" in unused.message


def test_unused_file_pragma_and_all(lint):
    report = lint(FROM + "# mllint: ignore-file=ML009\n# mllint: ignore=all\n" + CLEAN)
    assert ids(report) == [("ML019", 2), ("ML019", 3)]


def test_pragmas_for_rules_that_did_not_run_are_not_judged(lint):
    # the rule is deselected, so the pragma may well be needed by a run that selects it
    assert ids(lint(FROM + "# mllint: ignore=ML003\n" + CLEAN, ignore=["ML003"])) == []


def test_the_suppression_rules_can_be_turned_off_like_any_rule(lint):
    text = FROM + "# mllint: disable=ML003\n# mllint: ignore=ML001\n" + CLEAN
    assert {f.rule_id for f in lint(text).findings} == {"ML018", "ML019"}
    assert ids(lint(text, ignore=["invalid-suppression", "unused-suppression"])) == []
    assert ids(lint("# mllint: ignore-file=ML018,ML019\n" + text)) == []


def test_suppressed_findings_do_not_renumber_the_others(lint):
    """Fingerprints (baselines) of the unsuppressed findings do not change when one is suppressed."""
    plain = lint(FROM + CACHE + CACHE)
    quiet = lint(FROM + CACHE + "# mllint: ignore=ML003\n" + CACHE)
    assert plain.findings[0].fingerprint == quiet.findings[0].fingerprint


# --------------------------------------------------------------------------- inline-ignores


def _linter(policy):
    from mllint.engine import Linter
    from mllint.plugins import collect_rules, plugin_manager

    return Linter(collect_rules(plugin_manager(entry_points=False)), inline_ignores=policy)


def test_require_reason():
    linter = _linter("require-reason")
    bare = linter.lint_text(FROM + "# mllint: ignore=ML003\n" + CACHE, "Dockerfile")
    assert sorted(ids(bare)) == [("ML003", 3), ("ML018", 2)]
    assert "require-reason" in [f for f in bare.findings if f.rule_id == "ML018"][0].message
    justified = linter.lint_text(FROM + "# mllint: ignore=ML003 -- mounted cache\n" + CACHE, "Dockerfile")
    assert ids(justified) == []


def test_forbid():
    report = _linter("forbid").lint_text(FROM + "# mllint: ignore=ML003 -- mounted cache\n" + CACHE, "Dockerfile")
    assert sorted(ids(report)) == [("ML003", 3), ("ML018", 2)] and not report.suppressed


def test_inline_ignores_from_the_configuration_and_the_flag(tmp_path):
    workspace_with(tmp_path, {"Dockerfile": FROM + "# mllint: ignore=ML003\n" + CACHE,
                              ".mllint.yaml": "inline-ignores: require-reason\n"})
    result = run_cli("--no-show-source", "Dockerfile", cwd=tmp_path)
    out = result.stdout.decode()
    assert result.returncode == 1 and "ML018" in out and "ML003" in out
    assert run_cli("--inline-ignores", "allow", "Dockerfile", cwd=tmp_path).returncode == 0
    (tmp_path / ".mllint.yaml").write_text("inline-ignores: sometimes\n")
    bad = run_cli("Dockerfile", cwd=tmp_path)
    assert bad.returncode == 2 and "expected allow, require-reason or forbid" in bad.stderr.decode()


# --------------------------------------------------------------------------- reports


def test_suppressed_findings_reach_text_json_and_sarif_only_when_asked(tmp_path):
    workspace_with(tmp_path, {"Dockerfile": FROM + "# mllint: ignore=ML003 -- cache mount in CI\n" + CACHE})
    plain = run_cli("--format", "json", "Dockerfile", cwd=tmp_path)
    assert plain.returncode == 0 and json.loads(plain.stdout)["findings"] == []
    shown = run_cli("--format", "json", "--show-suppressed", "Dockerfile", cwd=tmp_path)
    assert shown.returncode == 0  # suppressed findings never fail the run
    (finding,) = json.loads(shown.stdout)["findings"]
    assert finding["rule_id"] == "ML003"
    assert finding["suppression"] == {"kind": "inSource", "justification": "cache mount in CI"}
    text = run_cli("--no-show-source", "--show-suppressed", "Dockerfile", cwd=tmp_path).stdout.decode()
    assert text.splitlines()[0].endswith("[pip-cache-not-disabled] (suppressed: cache mount in CI)")
    assert text.splitlines()[-1] == "No findings in 1 file."


@needs_shared
def test_sarif_suppressions_validate_against_the_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    workspace_with(tmp_path, {"Dockerfile": FROM + "# mllint: ignore=ML003 -- cache mount in CI\n" + CACHE
                              + "# mllint: ignore=ML003\n" + CACHE})
    plain = json.loads(run_cli("--format", "sarif", "Dockerfile", cwd=tmp_path).stdout)
    assert plain["runs"][0]["results"] == []
    result = run_cli("--format", "sarif", "--show-suppressed", "Dockerfile", cwd=tmp_path)
    log = json.loads(result.stdout)
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    results = log["runs"][0]["results"]
    assert [r["suppressions"] for r in results] == [[{"kind": "inSource", "justification": "cache mount in CI"}],
                                                    [{"kind": "inSource"}]]
