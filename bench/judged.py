#!/usr/bin/env python3
"""Score mllint on the hand-judged real ML Dockerfiles (``../shared/corpus/judged/judged.tsv``).

usage: python bench/judged.py [--cmd MLLINT] [--before-cmd OLD_MLLINT] [--set DIR] [--verbose]

Each entry of the set folder is a case: a Dockerfile, or a folder with a ``Dockerfile`` and the build
context it reads (linted with ``--context FOLDER``); every case is linted as of ``--today 2026-12-03``,
without configuration or run cache. A finding is keyed ``(file, line, rule id)`` and looked up in
``judged.tsv`` (verdict TRUE, FALSE or DEBATABLE); several judged rows under one key are told apart by
the subject the message quotes first (`` `torchvision` ``), aligned in order (a longest common
subsequence of the subjects, findings by column, rows as judged.tsv lists them, which is the judged
run's order), so dropping two of five findings on a line does not shift the verdicts of the other
three. A finding with no row is NEW: judge it.

"Before" is the judged run itself (``judged.tsv`` lists every finding of the mllint that was judged), or
another mllint given with ``--before-cmd``. The table gives, per rule, the TRUE / FALSE / DEBATABLE
findings reported before and after, then the TRUE rows no longer reported, the FALSE rows still
reported, and the new findings. Precision is TRUE / (TRUE + FALSE) over judged findings.
Exit code 1 when a TRUE row is lost or a FALSE row is still reported (``--strict``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = ROOT.parent / "shared" / "corpus" / "judged"
TODAY = "2026-12-03"
SKIP = {"MANIFEST.tsv", "judged.tsv", "misses.tsv"}
VERDICTS = ("TRUE", "FALSE", "DEBATABLE")
_SUBJECT = re.compile(r"`([^`]+)`")


def cases(folder: Path):
    """(case name, Dockerfile, build context or None) per case of the set."""
    for path in sorted(folder.iterdir()):
        if path.name in SKIP or path.suffix == ".md":
            continue
        if path.is_dir():
            if (path / "Dockerfile").is_file():
                yield path.name, path / "Dockerfile", path
        else:
            yield path.name, path, None


def subject(message: str) -> str:
    match = _SUBJECT.search(message or "")
    return match.group(1) if match else ""


ENV = dict(os.environ)


def lint(cmd: list[str], name: str, dockerfile: Path, context: Path | None) -> list[dict]:
    """The findings of one case as dicts: key (file), line, rule, severity, message."""
    args = [*cmd, "--no-cache", "--no-config", "--format", "json", "--failure-threshold", "none", "--today", TODAY]
    if context is not None:
        args += ["--context", str(context.resolve())]
    # run outside any checkout, so that `python -m mllint` imports the mllint the command names
    done = subprocess.run([*args, str(dockerfile.resolve())], capture_output=True, text=True, timeout=300,
                          cwd=str(dockerfile.resolve().parent), env=ENV)
    if done.returncode != 0:
        raise RuntimeError(f"{name}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
    data = json.loads(done.stdout)
    found = []
    for item in data["findings"] if isinstance(data, dict) else data:
        path = Path(item.get("path") or str(dockerfile))
        key = name
        if context is not None:
            try:
                key = f"{name}/{path.resolve().relative_to(context.resolve())}"
            except ValueError:
                key = f"{name}/{path.name}"
        found.append({"file": key, "line": int(item.get("line") or 0), "column": int(item.get("column") or 0),
                      "rule_id": item.get("rule_id"), "severity": item.get("severity", ""),
                      "message": item.get("message", "")})
    return found


def read_judged(folder: Path) -> list[dict]:
    with open(folder / "judged.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for row in rows:
        row["line"] = int(row["line"])
        row["verdict"] = row["verdict"].strip().upper()
    return rows


def _align(findings: list[dict], rows: list[dict]) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence of the two lists' subjects."""
    a = [subject(f["message"]) for f in findings]
    b = [subject(r["message"]) for r in rows]
    best = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            best[i][j] = best[i + 1][j + 1] + 1 if a[i] == b[j] else max(best[i + 1][j], best[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def match(findings: list[dict], judged: list[dict]) -> tuple[list[tuple[dict, dict | None]], list[dict]]:
    """Pair each finding with a judged row (or None); return the pairs and the judged rows left over."""
    rows_by_key: dict[tuple, list[dict]] = defaultdict(list)
    for row in judged:
        rows_by_key[(row["file"], row["line"], row["rule_id"])].append(row)
    found_by_key: dict[tuple, list[dict]] = defaultdict(list)
    for finding in findings:
        found_by_key[(finding["file"], finding["line"], finding["rule_id"])].append(finding)
    pairs: list[tuple[dict, dict | None]] = []
    left: list[dict] = []
    for key, found in found_by_key.items():
        found.sort(key=lambda f: f.get("column", 0))
        rows = rows_by_key.pop(key, [])
        aligned = _align(found, rows)
        used_f, used_r = {i for i, _ in aligned}, {j for _, j in aligned}
        pairs += [(found[i], rows[j]) for i, j in aligned]
        spare = [r for j, r in enumerate(rows) if j not in used_r]
        for i, finding in enumerate(found):  # a changed message: the remaining rows, in order
            if i not in used_f:
                pairs.append((finding, spare.pop(0) if spare else None))
        left += spare
    for rows in rows_by_key.values():
        left += rows
    return pairs, left


def score(cmd: list[str] | None, folder: Path, judged: list[dict]) -> dict:
    """Per-rule verdict counts, lost TRUE rows, FALSE rows still reported and new findings of one mllint."""
    if cmd is None:  # the judged run itself
        findings = [dict(row) for row in judged]
    else:
        findings = []
        for name, dockerfile, context in cases(folder):
            findings += lint(cmd, name, dockerfile, context)
    pairs, left = match(findings, judged)
    counts: dict[str, Counter] = defaultdict(Counter)
    false, new = [], []
    for finding, row in pairs:
        if row is None:
            new.append(finding)
            counts[finding["rule_id"]]["NEW"] += 1
            continue
        counts[row["rule_id"]][row["verdict"]] += 1
        if row["verdict"] == "FALSE":
            false.append(row)
    lost = [row for row in left if row["verdict"] == "TRUE"]
    return {"counts": counts, "false": false, "lost": lost, "new": new}


def _cell(before: Counter, after: Counter, key: str) -> str:
    return f"{before[key]:>3} -> {after[key]:<3}"


def table(before: dict, after: dict, judged: list[dict]) -> str:
    rules = sorted(set(before["counts"]) | set(after["counts"]))
    lines = [f"{'rule':<7} {'TRUE':<11} {'FALSE':<11} {'DEBATABLE':<11} NEW (unjudged)"]
    total_b, total_a = Counter(), Counter()
    for rule in rules:
        b, a = before["counts"].get(rule, Counter()), after["counts"].get(rule, Counter())
        total_b.update(b)
        total_a.update(a)
        lines.append(f"{rule:<7} {_cell(b, a, 'TRUE')} {_cell(b, a, 'FALSE')} {_cell(b, a, 'DEBATABLE')} {a['NEW']}")
    lines.append(f"{'all':<7} {_cell(total_b, total_a, 'TRUE')} {_cell(total_b, total_a, 'FALSE')} "
                 f"{_cell(total_b, total_a, 'DEBATABLE')} {total_a['NEW']}")
    judged_true = sum(1 for row in judged if row["verdict"] == "TRUE")
    for label, counts in (("before", total_b), ("after", total_a)):
        t, f = counts["TRUE"], counts["FALSE"]
        precision = t / (t + f) if t + f else 1.0
        lines.append(f"{label}: precision {precision:.2f} ({t}/{t + f}), TRUE kept {t}/{judged_true}, "
                     f"debatable {counts['DEBATABLE']}, new {counts['NEW']}")
    return "\n".join(lines)


def _identity(finding: dict) -> tuple:
    return finding["file"], finding["line"], finding["rule_id"], subject(finding["message"])


def _command(text: str) -> list[str]:
    """A command line; a relative program path is made absolute (the cases run in their own folder)."""
    words = text.split()
    if words and os.sep in words[0] and not os.path.isabs(words[0]):
        words[0] = os.path.abspath(words[0])
    return words


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cmd", default=None, help="the mllint to score (default: this checkout's, via python -m mllint)")
    parser.add_argument("--before-cmd", default=None, help="an older mllint to compare with (default: the judged run)")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="the judged set folder")
    parser.add_argument("--verbose", action="store_true", help="also list every new finding with its message")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a TRUE row is lost or a FALSE row reported")
    args = parser.parse_args(argv)
    if not (args.set / "judged.tsv").is_file():
        print(f"judged.py: no judged.tsv in {args.set}", file=sys.stderr)
        return 2
    judged = read_judged(args.set)
    if args.cmd:
        after_cmd = _command(args.cmd)
    else:  # this checkout's mllint
        after_cmd = ["env", f"PYTHONPATH={ROOT}", sys.executable, "-m", "mllint"]
    try:
        before = score(_command(args.before_cmd) if args.before_cmd else None, args.set, judged)
        after = score(after_cmd, args.set, judged)
    except RuntimeError as exc:
        print(f"judged.py: {exc}", file=sys.stderr)
        return 2
    print(table(before, after, judged))
    for row in after["lost"]:
        print(f"LOST TRUE   {row['file']}:{row['line']} {row['rule_id']}  ({row['reason']})")
    for row in after["false"]:
        print(f"STILL FALSE {row['file']}:{row['line']} {row['rule_id']}  ({row['reason']})")
    # unjudged findings the "before" mllint reported too are not news of this change
    seen = Counter(_identity(f) for f in before["new"])
    introduced = []
    for finding in after["new"]:
        if seen[_identity(finding)]:
            seen[_identity(finding)] -= 1
        else:
            introduced.append(finding)
    if before["new"]:
        print(f"unjudged findings also reported before: {len(after['new']) - len(introduced)}; new with this "
              f"mllint: {len(introduced)}")
    for finding in introduced:
        text = f"  {finding['message']}" if args.verbose else ""
        print(f"NEW         {finding['file']}:{finding['line']} {finding['rule_id']} {finding['severity']}{text}")
    return 1 if args.strict and (after["lost"] or after["false"]) else 0


if __name__ == "__main__":
    sys.exit(main())
