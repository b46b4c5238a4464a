"""Time for pathological inputs must grow linearly with their size.

Each generator builds a Dockerfile of size n; the file is linted in-process at n, 2n and 4n
and the time ratios are printed (linear: about 2 and 4; quadratic: about 4 and 16)::

    .venv/bin/python bench/pathological.py [--runs 3] [--scale 1]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import statistics
import sys
import time

GENERATORS = {
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
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="median of this many runs per size (3)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the base sizes (1)")
    args = parser.parse_args(argv)
    from mllint.engine import Linter
    from mllint.plugins import collect_rules, plugin_manager

    linter = Linter(collect_rules(plugin_manager(entry_points=False)), today=_dt.date(2026, 11, 24))
    print(f"{'input':26s} {'n':>8s} {'t(n/4)':>9s} {'t(n/2)':>9s} {'t(n)':>9s}  ratios (linear: 2, 2)")
    worst = 0.0
    for name, (base, make) in GENERATORS.items():
        n = max(4, int(base * args.scale))
        times = []
        for size in (n // 4, n // 2, n):
            text = make(size)
            samples = []
            for _ in range(args.runs):
                start = time.perf_counter()
                linter.lint_text(text, "Dockerfile")
                samples.append(time.perf_counter() - start)
            times.append(statistics.median(samples))
        ratios = [b / a if a > 0 else float("nan") for a, b in zip(times, times[1:])]
        worst = max(worst, *ratios)
        print(f"{name:26s} {n:>8d} " + " ".join(f"{t:9.3f}" for t in times) + "  "
              + ", ".join(f"{r:.2f}" for r in ratios))
    print(f"worst doubling ratio: {worst:.2f} (2 is linear, 4 is quadratic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
