"""Automatic fixes (--fix, --diff, --unsafe-fixes): exact bytes, idempotence, clean re-lint, CLI."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from conftest import CORPUS, EMPTY_CONTEXT, FIXTURES, TODAY, needs_shared, run_cli
from mllint.fixes import apply_edits, fix_text
from mllint.rule import Edit, RuleMeta

FIXES = FIXTURES / "fixes"
# fixture -> (rules whose fixes it exercises, needs --unsafe-fixes, findings of those rules left (line, rule))
CASES = {
    "cache": ({"ML003"}, False, {(15, "ML003")}),  # exec form: reported, not rewritten
    "backtick": ({"ML003"}, False, set()),
    "deprecated": ({"ML007"}, False, {(2, "ML007"), (2, "ML007")}),  # not drop-ins: 1.15.5, sklearn==0.0
    "index": ({"ML009"}, True, {(3, "ML009")}),  # has -i too: not rewritten
    "reinstall": ({"ML006"}, True, set()),
}


@pytest.fixture(scope="module")
def linter():
    from mllint.engine import Linter
    from mllint.plugins import collect_rules, plugin_manager

    rules = collect_rules(plugin_manager(entry_points=False))
    return Linter(rules, today=TODAY, follow_files=True, build_context=str(EMPTY_CONTEXT))


def _fix(linter, text: str, unsafe: bool = False, path: str = "Dockerfile"):
    return fix_text(text, lambda t: linter.lint_text(t, path), unsafe=unsafe)


def _variants(text: str) -> dict[str, str]:
    return {"lf": text, "crlf": text.replace("\n", "\r\n"), "bom": "\ufeff" + text}


def _patch(original: str, diff: str) -> str:
    """Apply a unified diff without difflib: hunks of ' ', '-', '+' lines, checked against the text."""
    source = original.splitlines(keepends=True)
    out: list[str] = []
    cursor = 0
    prev_removed = False
    lines = diff.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        match = re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", lines[i])
        i += 1
        if not match:
            continue
        start = int(match.group(1)) - (0 if match.group(2) == "0" else 1)
        out.extend(source[cursor:start])
        cursor = start
        while i < len(lines) and not lines[i].startswith("@@"):
            line = lines[i]
            i += 1
            if line.startswith("\\"):  # "\ No newline at end of file": the previous line has none
                out[-1] = out[-1].rstrip("\n") if not prev_removed else out[-1]
                continue
            tag, body = line[0], line[1:]
            prev_removed = tag == "-"
            if tag in " -":
                assert source[cursor].rstrip("\n") == body.rstrip("\n"), (source[cursor], body)
                if tag == " ":
                    out.append(source[cursor])
                cursor += 1
            elif tag == "+":
                out.append(body)
    out.extend(source[cursor:])
    return "".join(out)


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("variant", ["lf", "crlf", "bom"])
def test_fixture_is_fixed_byte_exactly(linter, name, variant):
    rules, unsafe, left = CASES[name]
    before = _variants((FIXES / f"{name}.Dockerfile").read_text(encoding="utf-8"))[variant]
    expected = _variants((FIXES / f"{name}.fixed.Dockerfile").read_text(encoding="utf-8"))[variant]
    result = _fix(linter, before, unsafe=unsafe)
    assert result.text == expected  # every byte outside the edits: comments, continuations, heredocs, CRLF
    assert set(result.applied) == rules
    remaining = {(f.line, f.rule_id) for f in result.report.findings if f.rule_id in rules}
    assert remaining == left
    # idempotent: a second pass changes nothing
    again = _fix(linter, result.text, unsafe=unsafe)
    assert again.text == result.text and again.count == 0


@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case[1]])
def test_unsafe_fixes_need_the_flag(linter, name):
    before = (FIXES / f"{name}.Dockerfile").read_text(encoding="utf-8")
    result = _fix(linter, before, unsafe=False)
    assert not set(result.applied) & CASES[name][0]


def test_safe_fixes_are_declared(linter):
    kinds = {rule.id: rule.meta.fix for rule in linter.all_rules}
    assert kinds["ML003"] == kinds["ML007"] == "safe"
    assert kinds["ML006"] == kinds["ML009"] == "unsafe"
    assert kinds["ML001"] == "none"


def test_buildkit_file_gets_the_cache_mount_hint_and_the_flag(linter):
    text = "# syntax=docker/dockerfile:1\nFROM python:3.11-slim\nRUN pip install torch==2.4.1\n"
    finding = next(f for f in linter.lint_text(text, "Dockerfile").findings if f.rule_id == "ML003")
    assert finding.fix.startswith("use RUN --mount=type=cache,target=/root/.cache/pip")
    assert _fix(linter, text).text.endswith("RUN pip install --no-cache-dir torch==2.4.1\n")


def test_no_fix_inside_sh_c_or_dependency_file(linter):
    text = "FROM python:3.11-slim\nRUN sh -c \"pip install torch==2.4.1\"\n"
    assert _fix(linter, text).text == text


# --------------------------------------------------------------------------- applying edits


def test_apply_edits_drops_overlaps_and_stale_edits():
    text = "RUN pip install a\r\n# keep\r\n"
    edits = [Edit(1, 9, 1, 16, "install --no-cache-dir", "install"),
             Edit(1, 12, 1, 17, "XXX", "tall "),  # overlaps the earlier edit: dropped
             Edit(2, 3, 2, 7, "gone", "nope"),  # the span does not hold the expected text: dropped
             Edit(1, 17, 1, 18, "b\nc", "a")]  # would add a line: dropped
    fixed, applied = apply_edits(text, edits)
    assert fixed == "RUN pip install --no-cache-dir a\r\n# keep\r\n"
    assert len(applied) == 1


def test_catalogue_fix_field_is_validated():
    base = {"id": "X1", "name": "x", "severity": "info", "summary": "s"}
    assert RuleMeta.from_mapping(base).fix == "none"
    assert RuleMeta.from_mapping({**base, "fix": "unsafe"}).fix == "unsafe"
    with pytest.raises(ValueError):
        RuleMeta.from_mapping({**base, "fix": "sometimes"})


# --------------------------------------------------------------------------- CLI


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / "Dockerfile"
    shutil.copyfile(FIXES / f"{name}.Dockerfile", target)
    return target


def test_cli_fix_writes_and_exit_code_follows_remaining_findings(tmp_path):
    target = _copy(tmp_path, "backtick")
    result = run_cli("--no-config", "--fix", "--select", "ML003", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == (FIXES / "backtick.fixed.Dockerfile").read_bytes()
    assert "applied 1 fix in 1 file" in result.stderr.decode()
    target = _copy(tmp_path, "cache")  # the exec-form install stays a warning
    result = run_cli("--no-config", "--fix", "--select", "ML003", str(target))
    assert result.returncode == 1
    assert target.read_bytes() == (FIXES / "cache.fixed.Dockerfile").read_bytes()


def test_cli_diff_writes_nothing_and_patches_to_the_fix(tmp_path):
    target = _copy(tmp_path, "index")
    before = target.read_text()
    result = run_cli("--no-config", "--diff", "--unsafe-fixes", str(target))
    assert result.returncode == 1
    assert target.read_text() == before
    diff = result.stdout.decode()
    assert diff.startswith(f"--- a/{target}\n+++ b/{target}\n@@ ")
    assert _patch(before, diff) == (FIXES / "index.fixed.Dockerfile").read_text()
    clean = run_cli("--no-config", "--diff", "--select", "ML003", str(target))
    assert clean.returncode == 0 and clean.stdout == b""


def test_cli_fix_keeps_crlf_and_bom(tmp_path):
    target = tmp_path / "Dockerfile"
    text = (FIXES / "cache.Dockerfile").read_text()
    target.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    target.chmod(0o640)
    run_cli("--no-config", "--fix", "--select", "ML003", str(target))
    expected = (FIXES / "cache.fixed.Dockerfile").read_text().replace("\n", "\r\n")
    assert target.read_bytes() == b"\xef\xbb\xbf" + expected.encode()
    assert target.stat().st_mode & 0o777 == 0o640


def test_cli_flag_combinations(tmp_path):
    target = _copy(tmp_path, "cache")
    assert run_cli("--unsafe-fixes", str(target)).returncode == 2
    assert run_cli("--fix", "--diff", str(target)).returncode == 2
    assert run_cli("--fix", "-", input="FROM python:3.11\n").returncode == 2
    assert target.read_bytes() == (FIXES / "cache.Dockerfile").read_bytes()


def test_rules_command_shows_fix_kind():
    import json

    table = run_cli("rules", "--no-config").stdout.decode()
    assert re.search(r"^ML003 +pip-cache-not-disabled +warning \(or info\) +yes +safe ", table, re.M)
    data = json.loads(run_cli("rules", "--no-config", "--format", "json").stdout)
    assert {r["id"]: r["fix"] for r in data["rules"]}["ML009"] == "unsafe"


# --------------------------------------------------------------------------- corpus


def _corpus_files():
    skip = {"MANIFEST.tsv", "README.md"}
    return sorted(p for p in (CORPUS / "real").iterdir() if p.is_file() and p.name not in skip)


@needs_shared
def test_corpus_fixes_are_exact_idempotent_and_clean(linter, tmp_path, capsys):
    files = _corpus_files()
    assert len(files) > 100
    fixed_files, per_rule = 0, Counter()
    for path in files:
        copy = tmp_path / path.name
        shutil.copyfile(path, copy)
        data = copy.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        before = linter.lint_text(text, str(copy))
        result = _fix(linter, text, unsafe=True, path=str(copy))
        if not result.count:
            assert result.text == text
            continue
        fixed_files += 1
        per_rule.update(result.applied)
        after = result.report
        assert not after.fatal and len(after.problems) <= len(before.problems), path
        old_lines, new_lines = text.split("\n"), result.text.split("\n")
        assert len(old_lines) == len(new_lines), path
        changed = {i + 1 for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b}
        assert changed <= result.lines, path  # nothing outside the edited lines moved
        for rule in result.applied:
            assert not [f for f in after.findings if f.rule_id == rule and f.edits], (path, rule)
            assert (sum(f.rule_id == rule for f in after.findings)
                    < sum(f.rule_id == rule for f in before.findings)), (path, rule)
        again = _fix(linter, result.text, unsafe=True, path=str(copy))
        assert again.count == 0 and again.text == result.text, path
    with capsys.disabled():
        print(f"\ncorpus fixes: {fixed_files} of {len(files)} files, edits per rule {dict(sorted(per_rule.items()))}")
    assert fixed_files > 0
