"""Corpus helpers for the benchmark: list the inputs, pick a small file, build scaled copies.

Standard library only. The corpus (``../shared/corpus`` next to the repository) is read in place;
scaled trees are written to a temporary directory, never into the repository.

Usable on its own to build a tree for manual profiling::

    python bench/corpus_tree.py --factor 10 /tmp/mllint-tree
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
SKIP_NAMES = {"MANIFEST.tsv", "README.md", "result"}


def corpus_inputs(corpus: Path) -> list[Path]:
    """Every regular file under ``real/`` plus ``parser-edge/*/Dockerfile``, sorted, absolute."""
    corpus = corpus.resolve()
    files: list[Path] = []
    real = corpus / "real"
    if real.is_dir():
        for root, dirs, names in os.walk(real):
            dirs.sort()
            for name in sorted(names):
                path = Path(root) / name
                if name in SKIP_NAMES or path.is_symlink() or not path.is_file():
                    continue
                files.append(path)
    edge = corpus / "parser-edge"
    if edge.is_dir():
        for case in sorted(edge.iterdir()):
            path = case / "Dockerfile"
            if case.is_dir() and path.is_file() and not path.is_symlink():
                files.append(path)
    return files


def categories(corpus: Path) -> dict[Path, str]:
    """``real/`` file -> category (ml-gpu, ml-cpu, non-ml) from MANIFEST.tsv; empty if absent."""
    manifest = corpus / "MANIFEST.tsv"
    result: dict[Path, str] = {}
    if not manifest.is_file():
        return result
    with manifest.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row.get("file") and row.get("category"):
                result[(corpus / row["file"]).resolve()] = row["category"]
    return result


def pick_single(corpus: Path, files: list[Path], min_bytes: int = 300) -> Path:
    """A small but non-trivial ML Dockerfile: the smallest ml-* file of at least ``min_bytes``
    that runs ``pip install`` (else the smallest ml-* file of at least ``min_bytes``)."""
    corpus = corpus.resolve()
    cats = categories(corpus)
    real = [f for f in files if corpus / "real" in f.resolve().parents]
    ml = [f for f in real if cats.get(f.resolve(), "").startswith("ml-")]
    pool = ml or real or files
    if not pool:
        raise FileNotFoundError(f"no input files in corpus {corpus}")
    sized = sorted(pool, key=lambda f: (f.stat().st_size, str(f)))
    big_enough = [f for f in sized if f.stat().st_size >= min_bytes] or sized[-1:]
    # Prefer a file that installs Python packages: that is what ML rules look at.
    for f in big_enough:
        if b"pip install" in f.read_bytes():
            return f
    return big_enough[0]


def build_tree(files: list[Path], factor: int, dest: Path) -> list[str]:
    """Copy ``files`` ``factor`` times into ``dest`` as ``x<k>/<i>/Dockerfile``.

    Every copy is named ``Dockerfile`` so that a directory walk by either tool finds all of
    them (corpus names such as ``repo__path__Dockerfile_gaudi`` would not match the usual
    Dockerfile name patterns). Returns the copies' paths relative to ``dest``, in order: short,
    so that a command line of 50x the corpus stays far below ARG_MAX.
    """
    dest.mkdir(parents=True, exist_ok=True)
    width = len(str(max(len(files) - 1, 0)))
    rel: list[str] = []
    for k in range(factor):
        for i, src in enumerate(files):
            sub = Path(f"x{k}") / f"{i:0{width}d}"
            (dest / sub).mkdir(parents=True, exist_ok=True)
            target = sub / "Dockerfile"
            shutil.copyfile(src, dest / target)
            rel.append(target.as_posix())
    return rel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="directory to create (must not exist or be empty)")
    parser.add_argument("--factor", type=int, default=1, help="copies of the corpus (default 1)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    dest = args.dest.resolve()
    if dest == REPO or REPO in dest.parents:
        parser.error("refusing to write a tree inside the repository")
    if dest.exists() and any(dest.iterdir()):
        parser.error(f"{dest} exists and is not empty")
    files = corpus_inputs(args.corpus)
    if not files:
        parser.error(f"no input files under {args.corpus}")
    rel = build_tree(files, args.factor, dest)
    print(f"{len(rel)} files written under {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
