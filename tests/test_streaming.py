"""Reports are written file by file: the bytes are those of the whole-document rendering, and nothing is kept.

The reference renderers below are the ones mllint used before it streamed (every report in memory,
one string at the end); the streamed documents must match them byte for byte.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
import weakref

import pytest
from conftest import CORPUS, FIXTURES, SESSION_CACHE, TODAY, needs_shared, run_cli

from mllint import __version__
from mllint.engine import FileReport, Linter
from mllint.findings import Finding
from mllint.plugins import collect_rules, plugin_manager
from mllint.report import open_stream, render, sarif, spool
from mllint.report.common import one_line, relative_uri
from mllint.report.github import COMMANDS, command
from mllint.report.gitlab import SEVERITIES, _fingerprint
from mllint.report.json_format import finding_dict
from mllint.report.tally import Tally
from mllint.rule import Severity, Span

RULES = collect_rules(plugin_manager(entry_points=False))
BAD = "FROM tensorflow/tensorflow:latest-gpu\nRUN pip install keras==3.3.3\n"


# --------------------------------------------------------------------------- the renderers before streaming


def _summary(reports) -> str:
    counts = {"error": 0, "warning": 0, "info": 0}
    for report in reports:
        for f in report.findings:
            counts[str(f.severity)] += 1
    total = sum(counts.values())
    linted = sum(1 for r in reports if not r.fatal)
    unread = sum(1 for r in reports if r.unread)
    unparsed = sum(1 for r in reports if r.fatal and not r.unread)
    files = f"{linted} file{'s' if linted != 1 else ''}"
    detail = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in counts.items() if n)
    head = f"{total} finding{'s' if total != 1 else ''} ({detail})" if total else "No findings"
    if not unread + unparsed:
        return f"{head} in {files}."
    missed = [f"{n} could not be {what}" for n, what in ((unread, "read"), (unparsed, "parsed")) if n]
    return f"{head}: {files} linted, {', '.join(missed)}."


def old_text(reports, color=False) -> str:
    colours = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m"}
    lines = []
    for report in reports:
        for f in report.findings:
            severity = str(f.severity)
            location = f"{one_line(f.path)}:{f.line}:{f.column}:"
            if color:
                location = f"\x1b[1m{location}\x1b[0m"
                severity = f"{colours[severity]}{severity}\x1b[0m"
            lines.append(f"{location} {f.rule_id} {severity} {one_line(f.message)} [{f.rule_name}]")
        if report.summarised:  # ML014 (output: summary) when not selected by name: one line per file
            files = list(dict.fromkeys(f.message.split("`")[1] for f in report.summarised))
            shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
            lines.append(f"{one_line(report.path)}: {len(files)} dependency file{'s' if len(files) != 1 else ''} "
                         f"could not be followed: {one_line(shown)} (see ML014 dependency-file-unchecked; "
                         f"`--select ML014` lists each with its reason)")
    lines.append(_summary(reports))
    return "\n".join(lines) + "\n"


def old_json(reports) -> str:
    counts = {"error": 0, "warning": 0, "info": 0}
    for report in reports:
        for f in report.findings:
            counts[str(f.severity)] += 1
    data = {
        "schema_version": 1,
        "tool": {"name": "mllint", "version": __version__},
        "findings": [finding_dict(f) for r in reports for f in r.findings],
        "errors": [{"path": r.path, "message": p} for r in reports for p in r.problems],
        "summary": {"files": sum(1 for r in reports if not r.fatal), **counts},
    }
    if any(r.fatal for r in reports):
        data["summary"]["not_linted"] = sum(1 for r in reports if r.fatal)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def old_github(reports) -> str:
    lines = []
    for report in reports:
        path = relative_uri(report.path)
        for problem in report.problems:
            lines.append(command("error", f"mllint could not lint this file: {problem}", file=path,
                                 title="mllint: input problem"))
        for f in report.findings:
            span = f.span
            same = span.line == span.end_line
            lines.append(command(COMMANDS[f.severity], f.message, file=relative_uri(f.path), line=span.line,
                                 endLine=span.end_line,
                                 col=span.column if same else None, endColumn=span.end_column if same else None,
                                 title=f"{f.rule_id} {f.rule_name}"))
    lines.append(f"mllint: {_summary(reports)}")
    return "\n".join(lines) + "\n"


def old_gitlab(reports) -> str:
    issues = []
    for report in reports:
        path = relative_uri(report.path)
        for problem in report.problems:
            issues.append({"description": f"mllint could not lint this file: {problem}",
                           "check_name": "mllint/input-problem",
                           "fingerprint": _fingerprint(path, "input-problem", problem), "severity": "critical",
                           "location": {"path": path, "lines": {"begin": 1, "end": 1}}})
        for f in report.findings:
            where = relative_uri(f.path)
            fingerprint = _fingerprint(where, f.fingerprint) if where == path else _fingerprint(where, path,
                                                                                             f.fingerprint)
            issues.append({"description": f"{f.message} ({f.rule_id} {f.rule_name})", "check_name": f.rule_id,
                           "fingerprint": fingerprint, "severity": SEVERITIES[f.severity],
                           "location": {"path": where, "lines": {"begin": f.span.line, "end": f.span.end_line}}})
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


OLD = {"text": old_text, "json": old_json, "github": old_github, "gitlab": old_gitlab}


# --------------------------------------------------------------------------- inputs


def finding(message="m", path="Dockerfile", severity=Severity.WARNING, line=1) -> Finding:
    return Finding(path=path, rule_id="ML001", rule_name="floating-image-tag", severity=severity, message=message,
                   span=Span(line, 1, line, 5), help_uri="https://example.com/ML001", anchor=f"FROM {line}")


def corpus_reports() -> list[FileReport]:
    """The shared corpus linted in-process (some files have input problems), plus one unreadable input."""
    linter = Linter(RULES, today=TODAY, follow_files=True, build_context=str(FIXTURES / "contexts" / "empty"))
    skip = {"MANIFEST.tsv", "README.md", "result"}
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in skip)
    reports = [linter.lint_text(p.read_bytes().decode("utf-8", errors="replace"), str(p)) for p in files]
    return [*reports, FileReport("missing/Dockerfile", problems=["no such file"], fatal=True, unread=True)]


EDGE_CASES = {
    "no reports": [],
    "no findings": [FileReport("Dockerfile"), FileReport("other/Dockerfile")],
    "only a problem": [FileReport("broken", problems=["binary file"], fatal=True)],
    "hostile text": [FileReport("a::b\nc,d", findings=[finding("x\n::error::y \x1b[31m\u2028 \"q\""),
                                                       finding("é ü", severity=Severity.INFO, line=2)])],
}


# --------------------------------------------------------------------------- byte identity


@needs_shared
@pytest.mark.parametrize("fmt", sorted(OLD))
def test_streamed_output_for_the_corpus_equals_the_whole_document_rendering(fmt):
    reports = corpus_reports()
    assert len(reports) > 200 and sum(len(r.findings) for r in reports) > 300
    assert any(r.problems for r in reports)
    assert render(fmt, reports, RULES) == OLD[fmt](reports)
    if fmt == "text":
        assert render(fmt, reports, RULES, color=True) == old_text(reports, color=True)


@pytest.mark.parametrize("fmt", sorted(OLD))
@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_streamed_output_equals_the_whole_document_rendering_at_the_edges(fmt, case):
    assert render(fmt, EDGE_CASES[case], RULES) == OLD[fmt](EDGE_CASES[case])


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_sarif_is_laid_out_exactly_as_one_json_dumps_of_itself(case):
    text = render("sarif", EDGE_CASES[case], RULES, warn=lambda _m: None)
    log = json.loads(text)
    assert text == json.dumps(log, indent=2, ensure_ascii=False) + "\n"
    assert len(log["runs"][0]["results"]) == sum(len(r.findings) for r in EDGE_CASES[case])


def _many(count: int) -> list[FileReport]:
    """``count`` findings over files of 7, every tenth an error."""
    findings = [finding(f"finding {i}", severity=Severity.ERROR if i % 10 == 0 else Severity.WARNING, line=i + 1)
                for i in range(count)]
    return [FileReport("Dockerfile", findings=findings[i:i + 7]) for i in range(0, count, 7)]


def test_sarif_results_spooled_to_a_temporary_file_are_written_unchanged(monkeypatch):
    monkeypatch.setattr(sarif, "MAX_RESULTS", 50)  # a cut, so that the spool is read by severity
    in_memory = render("sarif", _many(80), RULES, warn=lambda _m: None)
    monkeypatch.setattr(spool, "IN_MEMORY", 200)
    spilled = render("sarif", _many(80), RULES, warn=lambda _m: None)
    assert spilled == in_memory
    results = json.loads(spilled)["runs"][0]["results"]
    assert len(results) == 50 and sum(r["level"] == "error" for r in results) == 8
    assert [int(r["message"]["text"].split()[1]) for r in results] == sorted(
        int(r["message"]["text"].split()[1]) for r in results)  # report order kept


def test_sarif_size_check_rereads_the_cut_results(monkeypatch):
    monkeypatch.setattr(sarif, "MAX_RESULTS", 5)
    monkeypatch.setattr(sarif, "MAX_GZIP_BYTES", 100)
    warnings: list[str] = []
    log = json.loads(render("sarif", _many(8), RULES, warn=warnings.append))
    assert len(log["runs"][0]["results"]) == 5
    assert "gzip-compressed" in warnings[-1] and len(warnings) == 2


def test_spool_reads_back_what_it_kept_in_order():
    kept = spool.Spool(limit=10)
    for i in range(100):
        kept.add(f"line {i}")
    assert kept.count == 100 and kept._file is not None  # spilled to a temporary file
    assert list(kept.lines()) == [f"line {i}" for i in range(100)] == list(kept.lines())
    kept.close()


# --------------------------------------------------------------------------- file by file


@pytest.mark.parametrize("fmt", ["text", "json", "github", "gitlab"])
def test_each_file_is_written_as_soon_as_it_is_added(fmt):
    writes: list[str] = []
    stream = open_stream(fmt, RULES, writes.append)
    head = len(writes)
    stream.add(FileReport("first/Dockerfile", findings=[finding("first finding", path="first/Dockerfile")]))
    assert len(writes) == head + 1 and "first finding" in writes[-1]
    stream.add(FileReport("second/Dockerfile", findings=[finding("second finding", path="second/Dockerfile")]))
    assert len(writes) == head + 2 and "second finding" in writes[-1] and "first finding" not in writes[-1]
    tally = stream.close()
    assert (tally.files, tally.findings) == (2, 2)


def test_tally_counts_what_the_exit_code_needs():
    tally = Tally()
    tally.add(FileReport("a", findings=[finding(severity=Severity.INFO)]))
    assert tally.reaches(Severity.INFO) and not tally.reaches(Severity.WARNING) and not tally.problem_files
    tally.add(FileReport("b", problems=["binary file"], fatal=True, unread=True))
    tally.add(FileReport("c", problems=["syntax error"], fatal=True))
    tally.add(FileReport("d", problems=["no Dockerfiles found"], fatal=True, unread=True, counted=False))
    assert (tally.files, tally.problem_files, tally.counts) == (1, 3, {"error": 0, "warning": 0, "info": 1})
    assert (tally.unread, tally.unparsed, tally.not_linted) == (1, 1, 2)


def test_cli_drops_each_report_once_it_is_written(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from mllint.cli import main
    from mllint.report.stream import Stream

    for i in range(6):
        (tmp_path / f"d{i}").mkdir()
        (tmp_path / f"d{i}" / "Dockerfile").write_text(BAD)
    seen: list[weakref.ref] = []
    alive: list[int] = []
    add = Stream.add

    def checked_add(self, report):
        add(self, report)
        gc.collect()
        alive.append(sum(ref() is not None for ref in seen))  # earlier files' reports
        seen.append(weakref.ref(report))

    monkeypatch.setattr(Stream, "add", checked_add)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--no-config", "-j", "1", "--today", TODAY.isoformat(), "."])
    assert result.exit_code == 1, result.output
    assert alive == [0] * 6
    assert result.stdout.endswith("in 6 files.\n")


def test_cli_prints_a_file_findings_before_the_run_ends(tmp_path):
    """The second input is standard input, held open: the first file's findings must already be out."""
    (tmp_path / "Dockerfile").write_text(BAD)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLLINT_")}
    proc = subprocess.Popen([sys.executable, "-m", "mllint", "--no-config", "-j", "1", "Dockerfile", "-"],
                            cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**env, "NO_COLOR": "1", "XDG_CACHE_HOME": SESSION_CACHE})
    first: list[bytes] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=120)  # a guard against hanging, not a measurement
    try:
        assert first and first[0].startswith(b"Dockerfile:"), first
        assert proc.poll() is None  # still waiting for standard input
    finally:
        out, _ = proc.communicate(b"FROM python:3.12-slim\n", timeout=120)
    assert out.endswith(b"in 2 files.\n")


def test_output_file_is_streamed_and_an_unwritable_one_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD)
    shown = run_cli("--no-config", "-f", "json", "Dockerfile", cwd=tmp_path)
    written = run_cli("--no-config", "-f", "json", "-o", "out.json", "Dockerfile", cwd=tmp_path)
    assert written.returncode == shown.returncode == 1 and written.stdout == b""
    assert (tmp_path / "out.json").read_bytes() == shown.stdout
    targets = ["missing/out.json"] + (["/dev/full"] if os.path.exists("/dev/full") else [])  # ENOSPC on write
    for target in targets:
        failed = run_cli("--no-config", "-o", target, "Dockerfile", cwd=tmp_path)
        assert failed.returncode == 2 and failed.stdout == b""
        assert failed.stderr.decode().startswith(f"mllint: cannot write {target}: ")
        assert failed.stderr.decode().count("\n") == 1
