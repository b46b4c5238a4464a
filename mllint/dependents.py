"""Dependency files given as inputs: lint the Dockerfiles that read them, report what is found in them.

pre-commit passes the changed files. When only ``requirements.txt`` changed, the findings it can
cause are in that file, but they come from the Dockerfiles that install it (their base image, CUDA
flavour and index options judge each requirement). So a dependency file named on the command line
is linted through every Dockerfile of the repository (the directory holding ``.git``, else the
current one) that reads it, and the report for it holds the findings located in it.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from mllint.sources import Source, discover, is_dockerfile_name, read_path

# What pip, uv, conda and `pip install .` read (mllint.depfiles), by the names projects give them.
PATTERNS = ("*requirements*.txt", "*constraints*.txt", "requirements/*.txt", "pyproject.toml", "environment*.yml",
            "environment*.yaml")


def is_dependency_file(path: str) -> bool:
    name = os.path.basename(path)
    if is_dockerfile_name(name):
        return False
    parent = os.path.basename(os.path.dirname(os.path.normpath(path)))
    return any(fnmatch.fnmatchcase(f"{parent}/{name}" if "/" in pattern else name, pattern)
               for pattern in PATTERNS)


def split_inputs(paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """(dependency files, everything else): a dependency file is an existing file with such a name."""
    dependency, other = [], []
    for path in paths:
        (dependency if path != "-" and os.path.isfile(path) and is_dependency_file(path) else other).append(path)
    return dependency, other


def repository_root(start: str = ".") -> str:
    directory = os.path.abspath(start)
    while not os.path.exists(os.path.join(directory, ".git")):
        parent = os.path.dirname(directory)
        if parent == directory:
            return start
        directory = parent
    return os.path.relpath(directory) if directory != os.path.abspath(start) else start


def reports(dependency_files: list[str], linted: set[str], read: set[str], lint: Callable[[Source], object],
            exclude: Callable[[str], bool] | None, note: Callable[[str], None]) -> Iterator[tuple[Source, object]]:
    """``(source, report)`` per dependency file, from the repository's Dockerfiles that read it.

    ``linted``: real paths of the Dockerfiles given as inputs themselves; their reports already hold what
    they find in the dependency files, so they are not linted again; ``read``: real paths of the files
    those read. ``note`` gets one line for a file that no Dockerfile reads.
    """
    from mllint.engine import FileReport

    wanted = {os.path.realpath(path): path for path in dependency_files}
    found: dict[str, list] = {path: [] for path in dependency_files}
    covered = set(read)  # files already reported through a Dockerfile given as input
    for dockerfile in discover(repository_root()):
        dockerfile = os.path.relpath(os.path.abspath(dockerfile))  # as seen from here: `docker/Dockerfile`
        if os.path.realpath(dockerfile) in linted or (exclude is not None and exclude(dockerfile)):
            continue
        source = read_path(dockerfile)
        if source.text is None:
            continue
        report = lint(source)
        for path in getattr(report, "dependency_files", ()):
            read.add(os.path.realpath(path))
        for finding in report.findings:
            given = wanted.get(os.path.realpath(finding.path))
            if given is not None:  # shown as the user named it, not as seen from the repository root
                found[given].append(replace(finding, path=given))
    for path in dependency_files:
        real = os.path.realpath(path)
        if real in covered and not found[path]:
            continue  # read by an input Dockerfile, whose report holds its findings
        if real not in read and not found[path]:
            note(f"{path}: no Dockerfile below {repository_root()} reads it (through COPY and an install); "
                 "nothing to lint")
            continue
        unique = {(f.rule_id, f.span, f.message, f.related): f for f in found[path]}
        findings = sorted(unique.values(), key=lambda f: (f.span.line, f.span.column, f.rule_id))
        yield Source(path, None), FileReport(path, findings=findings)
