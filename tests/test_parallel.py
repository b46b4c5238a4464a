"""--jobs: worker processes never change what is reported, or its order."""

from __future__ import annotations

import pytest
from conftest import run_cli

from mllint import parallel

FILES = {
    "floating": "FROM tensorflow/tensorflow:latest-gpu\nRUN pip install keras==3.3.3\n",
    "clean": "FROM python:3.11-slim\nRUN pip install --no-cache-dir numpy==1.26.4\n",
    "broken": "FROM a\nRUN <<EOF\necho\n",
    "unknown": "FROM python:3.11\nFOO bar\n",
}


def _square(n: int) -> int:
    return n * n


@pytest.mark.parametrize("jobs", [1, 2, None])
def test_results_come_back_in_input_order(jobs, monkeypatch):
    monkeypatch.setattr(parallel, "AUTO_AFTER", 5)
    items = list(range(300))
    assert list(parallel.lint_in_order(iter(items), _square, jobs)) == [(n, n * n) for n in items]


def test_empty_and_short_inputs():
    assert list(parallel.lint_in_order([], _square, 2)) == []
    assert list(parallel.lint_in_order([3], _square, None)) == [(3, 9)]


def test_cli_output_identical_with_and_without_workers(tmp_path):
    kinds = sorted(FILES)
    for i in range(3 * parallel.CHUNK + 5):  # several chunks, the last one partial
        path = tmp_path / f"d{i:03d}" / "Dockerfile"
        path.parent.mkdir()
        path.write_text(FILES[kinds[i % len(kinds)]])
    results = {jobs: run_cli("-f", "json", "--jobs", jobs, str(tmp_path)) for jobs in ("1", "2", "auto")}
    assert {r.returncode for r in results.values()} == {2}
    assert results["1"].stdout == results["2"].stdout == results["auto"].stdout
    assert results["1"].stderr == results["2"].stderr == results["auto"].stderr
    assert results["1"].stdout.count(b'"rule_id"') > 0


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_bad_jobs_value_is_a_usage_error(tmp_path, value):
    result = run_cli("--jobs", value, str(tmp_path))
    assert result.returncode == 2 and "--jobs" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
