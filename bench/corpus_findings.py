"""Findings per rule over the shared corpus, for reviewing what the rules say on real files.

    .venv/bin/python bench/corpus_findings.py [--corpus ../shared/corpus] [--rule ML004] [--show 20]

Prints a table of findings per rule (and per corpus category from MANIFEST.tsv),
then, with --show N, N findings per rule with the offending line, for reading.
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mllint.engine import Linter  # noqa: E402
from mllint.plugins import collect_rules, plugin_manager  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--rule", action="append", default=[], help="only these rules (id or name)")
    parser.add_argument("--show", type=int, default=0, help="print N findings per rule")
    parser.add_argument("--today", default="2026-11-24", help="date for end-of-life rules (YYYY-MM-DD)")
    args = parser.parse_args()

    real = args.corpus / "real"
    if not real.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    categories = {}
    manifest = args.corpus / "MANIFEST.tsv"
    if manifest.exists():
        with manifest.open() as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                categories[Path(row["file"]).name] = row["category"]

    rules = collect_rules(plugin_manager())
    linter = Linter(rules, select=args.rule, today=dt.date.fromisoformat(args.today))
    per_rule: dict[str, list] = collections.defaultdict(list)
    per_category: dict[tuple[str, str], int] = collections.Counter()
    files = sorted(p for p in real.iterdir() if p.is_file())
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        report = linter.lint_text(text, str(path))
        lines = text.splitlines()
        for finding in report.findings:
            per_rule[f"{finding.rule_id} {finding.rule_name}"].append((path, finding, lines))
            per_category[(finding.rule_id, categories.get(path.name, "?"))] += 1

    cats = sorted({c for _, c in per_category})
    print(f"{len(files)} files; findings per rule (by corpus category: {', '.join(cats)})")
    for rule in linter.rules:
        key = f"{rule.id} {rule.name}"
        found = per_rule.get(key, [])
        files_hit = len({p for p, _, _ in found})
        by_cat = " ".join(f"{c}={per_category[(rule.id, c)]}" for c in cats)
        severities = collections.Counter(str(f.severity) for _, f, _ in found)
        print(f"  {key:40s} {len(found):5d} in {files_hit:3d} files  [{by_cat}]  {dict(severities)}")
    if args.show:
        for key, found in sorted(per_rule.items()):
            print(f"\n== {key}")
            for path, finding, lines in found[: args.show]:
                source = lines[finding.line - 1].strip() if finding.line <= len(lines) else ""
                print(f"{path.name}:{finding.line}: {finding.severity}: {finding.message}\n    > {source[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
