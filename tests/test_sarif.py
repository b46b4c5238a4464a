"""SARIF output validates against the 2.1.0 schema and carries what GitHub code scanning reads."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import ROOT, SARIF_SCHEMA, needs_shared, run_cli

from mllint.engine import FileReport
from mllint.findings import Finding
from mllint.plugins import collect_rules, plugin_manager
from mllint.report import sarif
from mllint.rule import PRECISIONS, Rule, RuleMeta, Severity, Span

BAD = "FROM tensorflow/tensorflow:latest-gpu\nRUN pip install keras==3.3.3\n"
SECRET = "FROM python:3.11-slim\nENV HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz123456\n"
RULES = collect_rules(plugin_manager(entry_points=False))


def sarif_for(tmp_path, text, *extra):
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    result = run_cli("--format", "sarif", *extra, "Dockerfile", cwd=tmp_path)
    return result, json.loads(result.stdout)


def results(log):
    return log["runs"][0]["results"]


def fingerprints(log, key="primaryLocationLineHash"):
    return [r["partialFingerprints"][key] for r in results(log)]


@pytest.fixture(scope="module")
def validate():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA.read_text())
    return lambda log: jsonschema.validate(log, schema)


@needs_shared
def test_every_kind_of_sarif_validates_against_the_schema(tmp_path, validate, monkeypatch):
    validate(sarif_for(tmp_path, BAD)[1])
    validate(sarif_for(tmp_path, SECRET, "--sarif-category", "dockerfiles")[1])
    validate(sarif_for(tmp_path, "FROM python:3.11-slim\n")[1])  # no results
    (tmp_path / "broken").write_bytes(b"\x00\x01")
    result = run_cli("--format", "sarif", "Dockerfile", "broken", cwd=tmp_path)
    validate(json.loads(result.stdout))
    monkeypatch.setattr(sarif, "MAX_RESULTS", 5)  # a cut run, without validating 25,000 results
    cut = json.loads(sarif.render(*_many_findings(8), warn=lambda _: None))
    assert len(results(cut)) == 5
    validate(cut)


def test_driver_describes_the_tool(tmp_path):
    _, log = sarif_for(tmp_path, BAD)
    driver = log["runs"][0]["tool"]["driver"]
    from mllint import __version__

    assert (driver["name"], driver["version"], driver["semanticVersion"]) == ("mllint", __version__, __version__)
    assert driver["informationUri"] == "https://github.com/mllint-docker/mllint"


def test_rules_carry_github_metadata(tmp_path):
    _, log = sarif_for(tmp_path, BAD)
    by_id = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {r.id for r in RULES} <= set(by_id)  # every installed rule, selected or not
    for rule in RULES:
        meta, descriptor = rule.meta, by_id[rule.id]
        assert descriptor["name"] == meta.name
        assert descriptor["shortDescription"]["text"] == meta.summary
        full = descriptor["fullDescription"]["text"]
        assert 0 < len(full) <= 1024 and " ".join(meta.rationale.split()).startswith(full.rstrip("…"))
        assert descriptor["helpUri"] == meta.help_uri
        assert descriptor["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning",
                                                               "info": "note"}[str(meta.severity)]
        props = descriptor["properties"]
        assert props["tags"] == list(meta.tags) and ("ml" in props["tags"] or "suppressions" in props["tags"])
        assert props["precision"] in PRECISIONS


def test_help_is_the_rules_docs_page(tmp_path):
    _, log = sarif_for(tmp_path, BAD)
    builtin = {r.id for r in RULES}
    for descriptor in (d for d in log["runs"][0]["tool"]["driver"]["rules"] if d["id"] in builtin):
        page = ROOT / "docs" / "rules" / f"{descriptor['id']}-{descriptor['name']}.md"
        assert descriptor["help"]["markdown"] == page.read_text(encoding="utf-8")
        text = descriptor["help"]["text"]
        assert "```" not in text and "**" not in text and not text.lstrip().startswith("#")
        assert descriptor["shortDescription"]["text"] in text


def test_security_rules_have_security_severity_and_only_they():
    for rule in RULES:
        tagged = "security" in rule.meta.tags
        assert bool(rule.meta.security_severity) == tagged, rule.id
    security = {r.name: r for r in RULES if r.meta.security_severity}
    assert {"ml-secret-in-image", "pip-extra-index-url"} <= set(security)
    for rule in security.values():
        assert 0.0 < float(rule.meta.security_severity) <= 10.0


def test_security_severity_and_problem_severity_in_sarif(tmp_path):
    _, log = sarif_for(tmp_path, SECRET)
    by_id = {r["id"]: r["properties"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert by_id["ML010"]["security-severity"] == "7.5" and "problem.severity" not in by_id["ML010"]
    assert by_id["ML009"]["security-severity"] == "7.0"
    assert by_id["ML001"]["problem.severity"] == "warning" and "security-severity" not in by_id["ML001"]


def test_catalogue_rejects_bad_precision_and_security_severity():
    base = {"id": "X1", "name": "x", "severity": "warning", "summary": "s"}
    assert RuleMeta.from_mapping({**base, "security_severity": 9}).security_severity == "9.0"
    with pytest.raises(ValueError, match="precision 'certain'"):
        RuleMeta.from_mapping({**base, "precision": "certain"})
    with pytest.raises(ValueError, match="not a score from 0.0 to 10.0"):
        RuleMeta.from_mapping({**base, "security_severity": "11"})


def test_results_regions_and_relative_uris(tmp_path):
    result, log = sarif_for(tmp_path, BAD)
    assert result.returncode == 1
    run = log["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert [(r["ruleId"], r["level"]) for r in results(log)] == [("ML001", "warning"), ("ML003", "warning")]
    for r in results(log):
        assert ids[r["ruleIndex"]] == r["ruleId"]
        assert r["message"]["text"]
        location = r["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"}
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in results(log)]
    assert regions == [
        {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 38},
        {"startLine": 2, "startColumn": 5, "endLine": 2, "endColumn": 29},
    ]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    assert run["invocations"][0]["executionSuccessful"] is True
    assert "automationDetails" not in run


def test_nested_paths_are_relative_with_forward_slashes(tmp_path):
    (tmp_path / "docker" / "gpu").mkdir(parents=True)
    (tmp_path / "docker" / "gpu" / "Dockerfile").write_text(BAD)
    log = json.loads(run_cli("--format", "sarif", "docker", cwd=tmp_path).stdout)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results(log)}
    assert uris == {"docker/gpu/Dockerfile"}


def test_sarif_category_sets_automation_details(tmp_path):
    _, log = sarif_for(tmp_path, BAD, "--sarif-category", "dockerfiles")
    assert log["runs"][0]["automationDetails"] == {"id": "dockerfiles/"}  # all of it is the category
    _, log = sarif_for(tmp_path, BAD, "--sarif-category", "mllint/gpu/")
    assert log["runs"][0]["automationDetails"] == {"id": "mllint/gpu/"}


def test_unreadable_files_are_tool_notifications(tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD)
    (tmp_path / "broken").write_bytes(b"\x00\x01")
    result = run_cli("--format", "sarif", "Dockerfile", "broken", cwd=tmp_path)
    invocation = json.loads(result.stdout)["runs"][0]["invocations"][0]
    assert result.returncode == 2
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"].startswith("broken: ") and "binary" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken"


def test_fingerprints_survive_blank_lines_and_comments_above(tmp_path):
    _, before = sarif_for(tmp_path, BAD)
    _, after = sarif_for(tmp_path, "# syntax=docker/dockerfile:1\n\n\n# a comment\n\n" + BAD)
    lines = lambda log: [r["locations"][0]["physicalLocation"]["region"]["startLine"]  # noqa: E731
                         for r in results(log)]
    assert lines(before) == [1, 2] and lines(after) == [6, 7]
    for key in ("primaryLocationLineHash", "mllint/v1"):
        assert fingerprints(before, key) == fingerprints(after, key)


def test_fingerprints_tell_findings_apart(tmp_path):
    twice = "FROM python:3.11-slim\nRUN pip install keras==3.3.3\nRUN pip install keras==3.3.3\n"
    _, log = sarif_for(tmp_path, twice, "--select", "ML003")
    first, second = fingerprints(log)
    assert first.split(":")[0] == second.split(":")[0] and (first[-2:], second[-2:]) == (":1", ":2")
    _, changed = sarif_for(tmp_path, twice.replace("keras==3.3.3\n", "keras==3.3.2\n", 1), "--select", "ML003")
    assert fingerprints(changed)[0] != first


def _many_findings(count: int, rules=RULES):
    """``count`` synthetic findings, every tenth one an error, for the limit checks."""
    findings = [
        Finding(path="Dockerfile", rule_id="ML010" if i % 10 == 0 else "ML003",
                rule_name="ml-secret-in-image" if i % 10 == 0 else "pip-cache-not-disabled",
                severity=Severity.ERROR if i % 10 == 0 else Severity.WARNING,
                message=f"finding {i}", span=Span(i + 1, 1, i + 1, 10), help_uri="", anchor=f"RUN {i}")
        for i in range(count)
    ]
    return [FileReport("Dockerfile", findings=findings)], rules


def test_more_results_than_github_accepts_are_cut_with_a_warning():
    warnings: list[str] = []
    count = sarif.MAX_RESULTS + 7
    log = json.loads(sarif.render(*_many_findings(count), warn=warnings.append))
    run = log["runs"][0]
    kept = run["results"]
    assert len(kept) == sarif.MAX_RESULTS
    assert sum(r["level"] == "error" for r in kept) == (count + 9) // 10  # every error survives the cut
    messages = [int(r["message"]["text"].split()[1]) for r in kept]
    assert messages == sorted(messages)  # report order is kept
    assert any("25,007 findings exceed GitHub code scanning's limit of 25,000" in w and "leaves 7 out" in w
               for w in warnings)
    assert any("shows only the 5,000 most severe" in w for w in warnings)
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning" and "leaves 7 out" in note["message"]["text"]


def test_limits_warn_on_stderr_from_the_command_line(tmp_path):
    text = "FROM python:3.11-slim\n" + "RUN pip install keras==3.3.3\n" * (sarif.SHOWN_RESULTS + 1)
    result, log = sarif_for(tmp_path, text, "--select", "ML003")
    assert len(results(log)) == sarif.SHOWN_RESULTS + 1  # nothing is cut below the hard limit
    assert result.stderr.decode() == ("mllint: warning: 5,001 results: GitHub code scanning shows only the "
                                      "5,000 most severe results of a run\n")


def test_few_results_give_no_warning(tmp_path):
    result, _ = sarif_for(tmp_path, BAD)
    assert result.stderr == b""


def test_rule_with_too_many_tags_is_cut_with_a_warning():
    meta = RuleMeta(id="XX001", name="many-tags", severity=Severity.INFO, summary="s",
                    tags=tuple(f"t{i}" for i in range(23)))
    warnings: list[str] = []
    log = json.loads(sarif.render([], [Rule(meta, check=lambda ctx: [])], warn=warnings.append))
    assert log["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["tags"] == [f"t{i}" for i in range(20)]
    assert warnings == ["rule XX001 has 23 tags; GitHub code scanning rejects a SARIF file with a rule of more "
                        "than 20, so only its first 20 are written"]


def test_upload_size_limit_warns(monkeypatch):
    small = sarif.render(*_many_findings(2), warn=lambda _: None)
    monkeypatch.setattr(sarif, "MAX_GZIP_BYTES", len(gzip.compress(small.encode())))  # a 10 MB stand-in
    warnings: list[str] = []
    sarif.render(*_many_findings(2), warn=warnings.append)
    assert warnings == []
    sarif.render(*_many_findings(200), warn=warnings.append)
    assert len(warnings) == 1 and "gzip-compressed; GitHub code scanning rejects uploads over 10 MB" in warnings[0]


def test_fit_cuts_at_a_sentence_and_plain_text_drops_markup():
    first = " ".join(["word"] * 120) + "."
    assert sarif.fit(first + " " + "more " * 300) == first
    assert sarif.fit("Short. " + "word " * 300).endswith("word…")  # a sentence end too early is not used
    assert len(sarif.fit("x " * 1000)) <= 1024
    assert sarif.fit("short  text\nhere") == "short text here"
    assert sarif.plain_text("# T `x`\n\n**Tags:** a  \n```dockerfile\nFROM a\n```\n- <https://e.org>\n") == (
        "T x\n\nTags: a\nFROM a\n- https://e.org\n"
    )


def test_artifact_uris_are_percent_encoded_and_absolute_paths_are_file_uris(tmp_path, monkeypatch):
    """artifactLocation.uri must be a valid URI reference: spaces and '#' are encoded; outside the
    working directory the location is an absolute file: URI without a uriBaseId."""
    from mllint.report.sarif import _artifact

    monkeypatch.chdir(tmp_path)
    inside = _artifact(str(tmp_path / "docker dir" / "Dockerfile#1"))
    assert (inside.uri, inside.uri_base_id) == ("docker%20dir/Dockerfile%231", "%SRCROOT%")
    outside = _artifact("/opt/other place/Dockerfile")
    assert (outside.uri, outside.uri_base_id) == ("file:///opt/other%20place/Dockerfile", None)
