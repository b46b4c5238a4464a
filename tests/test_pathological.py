"""Pathological but legal inputs are handled correctly, and in linear time (bench/pathological.py)."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import ROOT, TODAY, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from mllint.dockerfile import parse
from mllint.scope import Scope
from mllint.variables import LONG_WORDS, raw_words, split_words


def test_100k_character_line(lint):
    text = "FROM python:3.11\nRUN pip install torch==2.4.1 && echo " + "a" * 100_000 + "\n"
    model = parse(text)
    run = model.instructions[1]
    assert (run.start_line, run.end_line, run.end_col) == (2, 2, len(text.splitlines()[1]) + 1)
    assert "ML003" in {f.rule_id for f in lint(text).findings}


def test_20000_continuation_lines(lint):
    body = "".join(f"  pkg{i}==1.0 \\\n" for i in range(20_000))
    text = "FROM python:3.11\nRUN pip install --no-cache-dir \\\n" + body + "  last==1.0\n"
    model = parse(text)
    (run,) = [i for i in model.instructions if i.keyword == "RUN"]
    assert (run.start_line, run.end_line) == (2, 20_003)
    (install,) = run.installs
    assert len(install.requirements) == 20_001
    assert install.requirements[-1].name == "last"
    assert run.raw.value_position(run.value.index("pkg19999")) == (20_002, 3)
    report = lint(text, select=["ML003"])
    assert (report.findings, report.problems) == ([], [])


def test_1000_stages_each_from_the_previous():
    text = "FROM python:3.11 AS s0\nENV V0=0\n" + "".join(
        f"FROM s{i - 1} AS s{i}\nENV V{i}=${{V{i - 1}}}-{i}\n" for i in range(1, 1000))
    model = parse(text)
    assert len(model.stages) == 1000
    last = model.stages[-1]
    assert last.base_image is not None and last.base_image.repository.endswith("python")
    assert len(last.lineage) == 1000
    assert last.env["V999"].endswith("-998-999") and len(last.env) == 1000


def test_20000_env_lines_keep_per_instruction_snapshots():
    text = "FROM python:3.11\nENV V0=x\n" + "".join(f"ENV V{i}=${{V{i - 1}:-y}}\n" for i in range(1, 20_000))
    text += "RUN pip install a==1\n"
    model = parse(text)
    envs = [i for i in model.instructions if i.keyword == "ENV"]
    assert envs[0].env == {} and dict(envs[2].env) == {"V0": "x", "V1": "x"}
    assert "V19999" not in envs[-1].env and envs[-1].env["V19998"] == "x"
    (install,) = model.installs
    assert len(install.env) == 20_000 and install.env["V19999"] == "x"


@pytest.mark.parametrize("depth, expected", [(20, "x"), (10_000, None)])
def test_deeply_nested_defaults(depth, expected):
    """Up to MAX_DEPTH the default is taken; deeper, the value is unknown (never a guess, never a crash)."""
    text = "FROM python:3.11\nENV X=" + "${VAR:-" * depth + "x" + "}" * depth + "\nRUN echo $X\n"
    model = parse(text)
    assert model.stages[0].env["X"] == expected


def test_50_mb_file_is_refused_with_one_line(tmp_path):
    big = tmp_path / "Dockerfile"
    with big.open("wb") as handle:  # sparse: no 50 MB written to disk
        handle.write(b"FROM python:3.11\n")
        handle.truncate(50 * 1024 * 1024)
    result = run_cli("--today", TODAY.isoformat(), str(big))
    err = result.stderr.decode()
    assert result.returncode == 2
    assert err.splitlines() == [f"mllint: cannot read {big}: file too large (52.4 MB; the limit is 5 MiB)"]


def test_oversized_stdin_is_refused():
    result = run_cli("-", input=b"FROM a\n" + b"#" * (6 * 1024 * 1024))
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == ["mllint: cannot read -: input too large (more than 5 MiB)"]


def test_scope_snapshots_do_not_see_later_assignments():
    scope = Scope({"A": "1"})
    first = scope.snapshot()
    scope.set("A", "2")
    scope.set("B", None)
    second = scope.snapshot()
    scope.set("A", "3")
    assert dict(first) == {"A": "1"} and dict(second) == {"A": "2", "B": None}
    assert "B" not in first and "B" in second and second["B"] is None and first.get("B", "-") == "-"
    assert scope["A"] == "3" and scope.snapshot()["A"] == "3"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet="ab= \t\n\r\x0b\u00a0\\'\"$`{}", max_size=30))
def test_long_text_word_splitting_agrees_with_dockerfile_parse(text):
    """split_words switches to raw_words past LONG_WORDS characters: both must split alike."""
    assert len(text) <= LONG_WORDS
    assert split_words(text) == raw_words(text)


# --------------------------------------------------------------------------- linear time

_spec = importlib.util.spec_from_file_location("pathological", ROOT / "bench" / "pathological.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

# every bench shape at a size where t(n) is ~0.1-0.3 s on a shared 2-core machine
SUITE_SIZES = {
    "long line (chars)": 400_000, "continuation lines": 2_500, "&& commands in one RUN": 1_500,
    "heredoc lines": 1_500, "stages": 250, "ENV lines": 2_000, "ARG+RUN pairs": 1_500,
    "nested ${V:-...} depth": 40_000, "unterminated quotes": 400_000, "$ and { runs": 200_000,
    "RUN pip install lines": 400, "RUNs on a CUDA image": 300, "RUN -r requirements.txt": 500,
    "pyproject dependencies": 1_600, "requirements.txt lines": 2_000, "environment.yml dependencies": 1_000,
}


def test_every_bench_shape_has_a_suite_size():
    assert set(SUITE_SIZES) == set(bench.GENERATORS)


@pytest.fixture(scope="module")
def rules():
    return bench.built_in_rules()


@pytest.mark.parametrize("name", sorted(SUITE_SIZES))
def test_time_grows_linearly(rules, name):
    """At most 2.5 per doubling, measured over two doublings (n/4 to n) as a ratio within one run: fastest of
    three interleaved runs per size. A shared machine's load comes and goes, so a shape gets three tries;
    a quadratic one (4 per doubling) fails them all."""
    measured = []
    for _ in range(3):
        quarter, _half, full = bench.times(rules, name, SUITE_SIZES[name], runs=3, pick=min)
        per_doubling = (full / quarter) ** 0.5 if quarter > 0 else 0.0
        measured.append(round(per_doubling, 2))
        if per_doubling <= 2.5:
            return
    pytest.fail(f"{name}: {measured} per doubling (linear: 2, quadratic: 4)")
