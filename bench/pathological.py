"""Time for pathological inputs must grow linearly with their size.

Each generator builds a Dockerfile of size n (and the build-context files it reads, served from memory
through ``mllint.reader.MemoryReader``); it is linted in-process at n/4, n/2 and n, and the time ratios
are printed (linear: about 2 and 2; quadratic: about 4 and 4). tests/test_pathological.py checks every
shape at a smaller size: at most 2.5 per doubling, measured as a ratio within one run::

    .venv/bin/python bench/pathological.py [--runs 3] [--scale 1] [--only NAME]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __name__ == "__main__":  # run from anywhere: this checkout's mllint
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

Shape = Callable[[int], "str | tuple[str, dict[str, str]]"]


def _pyproject(n: int) -> tuple[str, dict[str, str]]:
    deps = "".join(f'  "package-{i}>={i % 7}.1",\n' for i in range(n))
    return ("FROM python:3.11-slim\nCOPY . /app\nRUN pip install --no-cache-dir /app\n",
            {"pyproject.toml": f'[project]\nname = "app"\nversion = "1"\ndependencies = [\n{deps}]\n'})


# name -> (the size n the benchmark uses, generator)
GENERATORS: dict[str, tuple[int, Shape]] = {
    "long line (chars)": (100_000, lambda n: "FROM python:3.11\nRUN pip install torch && echo " + "a" * n + "\n"),
    "continuation lines": (20_000, lambda n: "FROM python:3.11\nRUN pip install \\\n"
                           + "".join(f"  p{i}==1 \\\n" for i in range(n)) + "  x==1\n"),
    "&& commands in one RUN": (10_000, lambda n: "FROM python:3.11\nRUN true \\\n"
                               + "".join(f" && pip install p{i}==1 \\\n" for i in range(n)) + " && true\n"),
    "heredoc lines": (20_000, lambda n: "FROM python:3.11\nRUN <<EOF\n" + "pip install a==1\n" * n + "EOF\n"),
    "stages": (1_000, lambda n: "".join(f"FROM python:3.11 AS s{i}\nRUN pip install torch==2.4.1\n"
                                        for i in range(n))),
    "ENV lines": (20_000, lambda n: "FROM python:3.11\n" + "".join(f"ENV V{i}=${{V{i - 1}:-x}}\n" for i in range(n))
                  + "RUN pip install a==1\n"),
    "ARG+RUN pairs": (10_000, lambda n: "FROM python:3.11\n" + "".join(f"ARG A{i}=1\nRUN echo $A{i}\n"
                                                                      for i in range(n))),
    "nested ${V:-...} depth": (10_000, lambda n: "FROM python:3.11\nENV X=" + "${V:-" * n + "x" + "}" * n + "\n"),
    "unterminated quotes": (100_000, lambda n: "FROM python:3.11\nRUN echo '" + '"' * n + "\n"),
    "$ and { runs": (100_000, lambda n: "FROM python:3.11\nENV X=" + "$" * n + "{" * n + "\n"),
    # issue 12: every per-stage question answered in one pass
    "RUN pip install lines": (3_000, lambda n: "FROM python:3.11\n" + "RUN pip install torch==2.4.1 numpy\n" * n),
    "RUNs on a CUDA image": (2_000, lambda n: "FROM nvidia/cuda:12.1.1-devel-ubuntu22.04\n"
                             + "RUN apt-get install -y libcudnn8 && pip install flash-attn torch==2.4.1\n" * n),
    "RUN -r requirements.txt": (3_000, lambda n: ("FROM python:3.11\nCOPY requirements.txt .\n"
                                + "RUN pip install --no-cache-dir -r requirements.txt\n" * n,
                                {"requirements.txt": "torch==2.4.1\n"})),
    "pyproject dependencies": (8_000, _pyproject),
    "requirements.txt lines": (8_000, lambda n: ("FROM python:3.11\nCOPY requirements.txt .\n"
                               "RUN pip install --no-cache-dir -r requirements.txt\n",
                               {"requirements.txt": "".join(f"package-{i}=={i % 9}.0\n" for i in range(n))})),
    "environment.yml dependencies": (4_000, lambda n: ("FROM continuumio/miniconda3:24.1.2-0\n"
                                     "COPY environment.yml .\nRUN conda env create -f environment.yml\n",
                                     {"environment.yml": "name: app\ndependencies:\n"
                                      + "".join(f"  - package-{i}=1.{i % 9}\n" for i in range(n))})),
}
# single figures of the issue (not ratios): the largest inputs it names
FIGURES: dict[str, tuple[str, int]] = {
    "3,000 RUN pip install lines": ("RUN pip install lines", 3_000),
    "pyproject with 150,000 dependencies": ("pyproject dependencies", 150_000),
}


def built_in_rules():
    from mllint.plugins import collect_rules, plugin_manager

    return collect_rules(plugin_manager(entry_points=False))


def lint_seconds(rules, name: str, size: int) -> float:
    """CPU seconds of this process to lint shape ``name`` at ``size`` once (its files served from memory).

    CPU time, not wall time: on a shared machine the wall clock also counts the time other processes held
    the CPU, which is what made ratios of a linear shape look quadratic under load."""
    from mllint.engine import Linter
    from mllint.reader import MemoryReader

    made = GENERATORS[name][1](size)
    text, files = made if isinstance(made, tuple) else (made, {})
    reader = MemoryReader({f"ctx/{path}": data for path, data in files.items()}, cwd="/bench")
    linter = Linter(rules, today=_dt.date(2026, 11, 24), follow_files=True, reader=reader)
    start = time.process_time()
    linter.lint_text(text, "ctx/Dockerfile")
    return time.process_time() - start


def times(rules, name: str, n: int, runs: int, pick=statistics.median) -> list[float]:
    """t(n/4), t(n/2), t(n): ``pick`` of ``runs`` runs each, the sizes interleaved (load drifts evenly)."""
    sizes = (max(1, n // 4), max(2, n // 2), n)
    samples: list[list[float]] = [[] for _ in sizes]
    for _ in range(runs):
        for index, size in enumerate(sizes):
            samples[index].append(lint_seconds(rules, name, size))
    return [pick(s) for s in samples]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="median of this many runs per size (3)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the base sizes (1)")
    parser.add_argument("--only", action="append", metavar="NAME", help="only this shape (repeatable)")
    args = parser.parse_args(argv)
    rules = built_in_rules()
    print(f"{'input':30s} {'n':>8s} {'t(n/4)':>9s} {'t(n/2)':>9s} {'t(n)':>9s}  ratios (linear: 2, 2)")
    worst = 0.0
    for name, (base, _) in GENERATORS.items():
        if args.only and name not in args.only:
            continue
        n = max(4, int(base * args.scale))
        found = times(rules, name, n, args.runs)
        ratios = [b / a if a > 0 else float("nan") for a, b in zip(found, found[1:])]
        worst = max(worst, *ratios)
        print(f"{name:30s} {n:>8d} " + " ".join(f"{t:9.3f}" for t in found) + "  "
              + ", ".join(f"{r:.2f}" for r in ratios), flush=True)
    print(f"worst doubling ratio: {worst:.2f} (2 is linear, 4 is quadratic)")
    for label, (name, size) in FIGURES.items():
        if not args.only or name in args.only:
            seconds = statistics.median(lint_seconds(rules, name, size) for _ in range(args.runs))
            print(f"{label}: {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
