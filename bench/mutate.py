"""Mutation harness: damaged copies of real Dockerfiles must never crash mllint.

Each mutant is a corpus file with one to three seeded mutations (byte flips, line deletions,
duplicated and truncated lines, unterminated heredocs and quotes, stray continuation
characters...). It goes through the same steps as the command line: ``sources.decode``,
``Linter.lint_text`` and every reporter. A crash is an exception out of any step, or a rule
whose exception the engine caught (that hides findings). The test suite runs a few hundred
mutants (tests/test_robustness.py); a long run is::

    .venv/bin/python bench/mutate.py --mutants 20000 --seed 1
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_tree import DEFAULT_CORPUS, corpus_inputs  # noqa: E402

FORMATS = ("text", "json", "sarif", "github", "gitlab")
TODAY = _dt.date(2026, 11, 24)
NOISE = [b"\\", b"`", b"\\\n", b"`\n", b"<<EOF", b"<<-'X'", b"'", b'"', b"${", b"${A:-${B", b"$(", b"[",
         b'["', b"\t", b"\r", b"\x00", b"\xff", b"\xe2\x80", b"# escape=`\n", b"# syntax=x\n", b"--mount=",
         b" && ", b";", b"|", b"(", b")", b"{", b"}", b"=", b"==", b"pip install ", b"FROM ", b"ARG ", b"ENV "]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _byte_flip(rng, data):
    if not data:
        return bytes([rng.randrange(256)])
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(b))
        b[i] = rng.randrange(256) if rng.random() < 0.5 else b[i] ^ (1 << rng.randrange(8))
    return bytes(b)


def _delete_lines(rng, data):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    del lines[i:i + rng.randint(1, 3)]
    return b"\n".join(lines)


def _duplicate_line(rng, data):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i:i] = [lines[i]] * rng.randint(1, 3)
    return b"\n".join(lines)


def _truncate_line(rng, data):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i] = lines[i][: rng.randint(0, len(lines[i]))]
    return b"\n".join(lines)


def _truncate_file(rng, data):
    return data[: rng.randint(0, len(data))]


def _unterminated_heredoc(rng, data):
    lines = _lines(data)
    i = rng.randrange(len(lines) + 1)
    lines.insert(i, rng.choice([b"RUN <<EOF", b"RUN <<-EOT bash", b"COPY <<A <<B /x", b"RUN cat <<'E' && x"]))
    return b"\n".join(lines)


def _unterminated_quote(rng, data):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    j = rng.randint(0, len(lines[i]))
    lines[i] = lines[i][:j] + rng.choice([b"'", b'"', b"`", b"${", b"$(", b'["']) + lines[i][j:]
    return b"\n".join(lines)


def _continuation(rng, data):
    lines = _lines(data)
    for _ in range(rng.randint(1, 5)):
        i = rng.randrange(len(lines))
        lines[i] = lines[i] + rng.choice([b"\\", b"`", b" \\", b"\\ \t", b"\\\\"])
    return b"\n".join(lines)


def _insert_noise(rng, data):
    i = rng.randint(0, len(data))
    return data[:i] + rng.choice(NOISE) + data[i:]


def _swap_lines(rng, data):
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


MUTATIONS = {
    "byte-flip": _byte_flip,
    "delete-lines": _delete_lines,
    "duplicate-line": _duplicate_line,
    "truncate-line": _truncate_line,
    "truncate-file": _truncate_file,
    "unterminated-heredoc": _unterminated_heredoc,
    "unterminated-quote": _unterminated_quote,
    "continuation": _continuation,
    "noise": _insert_noise,
    "swap-lines": _swap_lines,
}


def mutate(rng: random.Random, data: bytes) -> tuple[bytes, list[str]]:
    """One mutant of ``data`` and the names of the mutations applied."""
    names = rng.sample(sorted(MUTATIONS), rng.randint(1, 3))
    for name in names:
        data = MUTATIONS[name](rng, data)
    return data, names


def make_linter():
    from mllint.engine import Linter
    from mllint.plugins import collect_rules, plugin_manager

    return Linter(collect_rules(plugin_manager(entry_points=False)), today=TODAY)


def check(linter, data: bytes, path: str = "Dockerfile") -> str | None:
    """Run ``data`` through decode, lint and every reporter; a description of the crash, or None."""
    from mllint.engine import FileReport
    from mllint.report import render
    from mllint.sources import decode

    try:
        source = decode(data, path)
        if source.text is None:
            report = FileReport(path, problems=[source.problem or "unreadable"], fatal=True)
        else:
            report = linter.lint_text(source.text, path)
        crashed = [p for p in report.problems if " crashed: " in p]
        if crashed:
            return crashed[0]
        for fmt in FORMATS:
            out = render(fmt, [report], linter.rules, warn=lambda _m: None)
            if fmt in ("json", "sarif", "gitlab"):
                json.loads(out)
    except Exception:  # noqa: BLE001 - that is what we are looking for
        return traceback.format_exc(limit=-3)
    return None


def run(files: list[Path], mutants: int, seed: int, linter=None, stop_after: int = 0) -> dict:
    """Lint ``mutants`` seeded mutants of ``files``; crashes are returned with the bytes that caused them."""
    rng = random.Random(seed)
    linter = linter or make_linter()
    originals = [f.read_bytes() for f in files]
    crashes = []
    counts: dict[str, int] = {}
    for n in range(mutants):
        k = rng.randrange(len(originals))
        data, names = mutate(rng, originals[k])
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        problem = check(linter, data)
        if problem:
            crashes.append({"index": n, "file": str(files[k]), "mutations": names, "data": data, "error": problem})
            if stop_after and len(crashes) >= stop_after:
                break
    return {"mutants": mutants, "seed": seed, "crashes": crashes, "mutations": counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--save", type=Path, help="write each crashing mutant into this directory")
    args = parser.parse_args(argv)
    files = corpus_inputs(args.corpus)
    if not files:
        parser.error(f"no input files under {args.corpus}")
    start = time.perf_counter()
    result = run(files, args.mutants, args.seed)
    elapsed = time.perf_counter() - start
    crashes = result["crashes"]
    print(f"{args.mutants} mutants of {len(files)} corpus files (seed {args.seed}) in {elapsed:.1f} s "
          f"({1000 * elapsed / args.mutants:.2f} ms each): {len(crashes)} crash(es)")
    print("mutations applied: " + ", ".join(f"{k} {v}" for k, v in sorted(result["mutations"].items())))
    for crash in crashes[:20]:
        print(f"\n#{crash['index']} {Path(crash['file']).name} {crash['mutations']}\n{crash['error']}")
    if args.save and crashes:
        args.save.mkdir(parents=True, exist_ok=True)
        for crash in crashes:
            (args.save / f"crash-{crash['index']}.Dockerfile").write_bytes(crash["data"])
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
