#!/usr/bin/env python3
"""Re-derive mllint's package tables from the package indexes and print what changed.

For a maintainer, before a release or when PyTorch ships: it reads the public metadata of the
package indexes and compares it with ``rules/knowledge/``:

* ``companions.yaml`` ``requires_torch``: the Requires-Dist on torch of every torchvision,
  torchaudio and xformers release (PyPI JSON API, one request per release it does not know yet);
* ``frameworks.yaml`` ``torch.releases``: the CPython versions each torch minor has Linux x86_64
  wheels for (the wheel file names' ``cpXY`` tags), the CUDA its PyPI wheel depends on (the
  ``nvidia-cuda-runtime-cuNN`` / ``cuda-toolkit`` pin in Requires-Dist), and the CUDA variants on
  download.pytorch.org (``/whl/cuXYZ/torch/`` simple indexes).

It changes nothing: it prints each difference with the YAML a reviewer would write, and exits 1
when there is any (0 when the tables match, 2 on errors). ``--offline DIR`` reads recorded
responses instead of the network (``DIR/pypi/<name>.json``, ``DIR/pypi/<name>/<version>.json``,
``DIR/pytorch/<variant>/<name>.html``); the tests use that. Standard library plus ``packaging``
and ``ruamel.yaml`` (already mllint's dependencies).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PYPI = "https://pypi.org/pypi"
PYTORCH_INDEX = "https://download.pytorch.org/whl"
ROOT = Path(__file__).resolve().parent.parent
_WHEEL_PY = re.compile(r"-cp(\d)(\d+)-cp\d+t?-(?:manylinux[^-]*x86_64)\.whl$")
_CUDA_PIN = re.compile(r"^(?:nvidia-cuda-runtime-cu\d+|cuda-toolkit)$")
_INDEX_FILE = re.compile(r"(?P<name>[A-Za-z0-9_.]+)-(?P<version>\d+(?:\.\d+)*)(?:%2B|\+)(?P<local>cu\d+)-")


class FetchError(Exception):
    pass


class Source:
    """Where responses come from: the network, or a directory of recorded ones."""

    def __init__(self, offline: Path | None = None, timeout: float = 30.0) -> None:
        self.offline = offline
        self.timeout = timeout
        self.requests = 0

    def _get(self, url: str, recorded: Path) -> str | None:
        self.requests += 1
        if self.offline is not None:
            return recorded.read_text(encoding="utf-8") if recorded.is_file() else None
        request = urllib.request.Request(url, headers={"User-Agent": "mllint-refresh-knowledge"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (fixed hosts)
                return response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise FetchError(f"{url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError) as exc:
            raise FetchError(f"{url}: {exc}") from None

    def project(self, name: str) -> dict | None:
        base = self.offline or Path()
        text = self._get(f"{PYPI}/{name}/json", base / "pypi" / f"{name}.json")
        return json.loads(text) if text else None

    def release(self, name: str, version: str) -> dict | None:
        base = self.offline or Path()
        text = self._get(f"{PYPI}/{name}/{version}/json", base / "pypi" / name / f"{version}.json")
        return json.loads(text) if text else None

    def variant_index(self, variant: str, name: str) -> str | None:
        base = self.offline or Path()
        return self._get(f"{PYTORCH_INDEX}/{variant}/{name}/", base / "pytorch" / variant / f"{name}.html")


@dataclass(frozen=True)
class Change:
    where: str  # "companions.yaml requires_torch.torchvision.releases.\"0.30.0\""
    table: object  # what the table says (None: no row)
    index: object  # what the index says
    yaml: str = ""  # the line a reviewer would write

    def render(self) -> str:
        known = "no row" if self.table is None else json.dumps(self.table)
        line = f"{self.where}: table {known}, index {json.dumps(self.index)}"
        return line + (f"\n    {self.yaml}" if self.yaml else "")


def load_tables(knowledge_dir: Path) -> dict[str, dict]:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    return {p.stem: yaml.load(p.read_text(encoding="utf-8")) or {} for p in sorted(knowledge_dir.glob("*.yaml"))}


def _version(text: object) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _releases(project: dict) -> list[Version]:
    """Final releases that have at least one file."""
    out = []
    for text, files in (project.get("releases") or {}).items():
        version = _version(text)
        if version is not None and not version.is_prerelease and not version.is_devrelease and files:
            out.append(version)
    return sorted(out)


def _parsed(requires_dist: Iterable[str]) -> Iterable[Requirement]:
    for entry in requires_dist or ():
        try:
            yield Requirement(entry)
        except InvalidRequirement:
            continue


def torch_requirement(requires_dist: Iterable[str]) -> str | None:
    """The specifier of the ``torch`` entry of a Requires-Dist list (``"==2.8.0"``), None if absent."""
    for requirement in _parsed(requires_dist):
        if canonicalize_name(requirement.name) == "torch" and not requirement.extras:
            return str(requirement.specifier) or None
    return None


def bundled_cuda(requires_dist: Iterable[str]) -> str | None:
    """The CUDA major.minor a torch wheel depends on: ``nvidia-cuda-runtime-cu12==12.8.90`` -> ``12.8``."""
    for requirement in _parsed(requires_dist):
        if not _CUDA_PIN.match(canonicalize_name(requirement.name)):
            continue
        for clause in requirement.specifier:
            if clause.operator == "==":
                parts = clause.version.split(".")
                if len(parts) >= 2:
                    return f"{parts[0]}.{parts[1]}"
    return None


def python_tags(files: Iterable[dict]) -> list[str]:
    """CPython minors (``"3.12"``) with a Linux x86_64 wheel among a release's files (free-threaded excluded)."""
    found = set()
    for item in files or ():
        match = _WHEEL_PY.search(str(item.get("filename") or ""))
        if match and not re.search(r"-cp\d+t-", str(item.get("filename"))):
            found.add((int(match.group(1)), int(match.group(2))))
    return [f"{a}.{b}" for a, b in sorted(found)]


# --------------------------------------------------------------------------- companions.yaml


def check_companions(tables: dict, source: Source, every: bool = False) -> list[Change]:
    changes = []
    rows = (tables.get("companions") or {}).get("requires_torch") or {}
    for package, row in rows.items():
        known = {str(k): v for k, v in (row.get("releases") or {}).items()}
        oldest = min((v for v in map(_version, known) if v is not None), default=None)
        project = source.project(package)
        if project is None:
            changes.append(Change(f"companions.yaml requires_torch.{package}", "listed", "not on PyPI"))
            continue
        for version in _releases(project):
            if oldest is not None and version < oldest:
                continue
            text = str(version)
            if text in known and not every:
                continue
            release = source.release(package, text)
            if release is None:
                continue
            spec = torch_requirement((release.get("info") or {}).get("requires_dist") or ())
            if text in known and known[text] == spec:
                continue
            wheel = next((f.get("filename") for f in release.get("urls") or () if f.get("filename", "").endswith(".whl")),
                         "the wheel")
            value = f'"{spec}"' if spec else "null"
            changes.append(Change(f'companions.yaml requires_torch.{package}.releases."{text}"', known.get(text),
                                  spec, f'"{text}": {value}  # src: S_WHEEL_META ({wheel})'))
        newest = _releases(project)[-1:] if project else []
        if newest and str(newest[0]) != str(row.get("checked_through")):
            changes.append(Change(f"companions.yaml requires_torch.{package}.checked_through",
                                  row.get("checked_through"), str(newest[0]),
                                  f'checked_through: "{newest[0]}"  # src: S_WHEEL_META (newest release on PyPI when read)'))
    return changes


# --------------------------------------------------------------------------- frameworks.yaml torch


def _minor(version: Version) -> str:
    return f"{version.major}.{version.minor}"


def check_torch(tables: dict, source: Source, variants: Iterable[str] = ()) -> list[Change]:
    changes = []
    releases = (((tables.get("frameworks") or {}).get("torch") or {}).get("releases") or {})
    project = source.project("torch")
    if project is None:
        return [Change("frameworks.yaml torch", "listed", "not on PyPI")]
    by_minor: dict[str, list[Version]] = {}
    for version in _releases(project):
        by_minor.setdefault(_minor(version), []).append(version)
    oldest = min((v for v in map(_version, releases) if v is not None), default=Version("0"))
    for minor, versions in sorted(by_minor.items(), key=lambda kv: Version(kv[0])):
        if Version(minor) < oldest:
            continue
        row = releases.get(minor)
        where = f'frameworks.yaml torch.releases."{minor}"'
        if row is None:
            changes.append(Change(where, None, [str(v) for v in versions], f'"{minor}": (new torch minor: add a row)'))
            row = {}
        files = (project.get("releases") or {}).get(str(versions[-1])) or []
        tags = python_tags(files)
        python = row.get("python") or {}
        if tags and (python.get("min"), python.get("max")) != (tags[0], tags[-1]):
            changes.append(Change(f"{where}.python", {"min": python.get("min"), "max": python.get("max")},
                                  {"min": tags[0], "max": tags[-1]},
                                  f'python: {{min: "{tags[0]}", max: "{tags[-1]}"}}  # src: S_PYPI_INDEX '
                                  f"(cpXY wheel tags of torch {versions[-1]})"))
        first = source.release("torch", str(versions[0]))
        cuda = bundled_cuda(((first or {}).get("info") or {}).get("requires_dist") or ())
        if cuda and str(row.get("pypi_cuda")) != cuda:
            changes.append(Change(f"{where}.pypi_cuda", row.get("pypi_cuda"), cuda,
                                  f'pypi_cuda: "{cuda}"  # src: S_PYPI_META (torch {versions[0]} Requires-Dist)'))
    changes.extend(_check_variants(releases, source, variants))
    return changes


def _table_variants(releases: dict) -> list[str]:
    found = set()
    for row in releases.values():
        for cuda in (row or {}).get("index_cuda") or ():
            found.add("cu" + str(cuda).replace(".", ""))
    return sorted(found)


def _check_variants(releases: dict, source: Source, variants: Iterable[str]) -> list[Change]:
    changes = []
    listed: dict[str, set[str]] = {}
    for variant in list(variants) or _table_variants(releases):
        page = source.variant_index(variant, "torch")
        if page is None:
            continue
        cuda = f"{variant[2:-1]}.{variant[-1]}"
        for match in _INDEX_FILE.finditer(page):
            version = _version(match.group("version"))
            if version is not None and match.group("local") == variant and not version.is_prerelease:
                listed.setdefault(_minor(version), set()).add(cuda)
    for minor, cudas in sorted(listed.items(), key=lambda kv: Version(kv[0])):
        row = releases.get(minor)
        if row is None:
            continue
        table = sorted(str(c) for c in row.get("index_cuda") or ())
        missing = sorted(c for c in cudas if c not in table)
        if missing:
            want = sorted(set(table) | cudas, key=Version)
            changes.append(Change(f'frameworks.yaml torch.releases."{minor}".index_cuda', row.get("index_cuda"), want,
                                  "index_cuda: [" + ", ".join(f'"{c}"' for c in want) +
                                  "]  # src: download.pytorch.org/whl/cuXYZ/torch/ simple indexes"))
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--knowledge", type=Path, default=ROOT / "rules" / "knowledge", help="the tables to compare")
    parser.add_argument("--offline", type=Path, default=None, metavar="DIR", help="read recorded responses from DIR")
    parser.add_argument("--only", choices=("companions", "torch"), default=None, help="check one table only")
    parser.add_argument("--variant", action="append", default=[], metavar="cuXYZ",
                        help="download.pytorch.org variants to list (default: those the table names)")
    parser.add_argument("--all", action="store_true", help="re-read releases the table already has, too")
    args = parser.parse_args(argv)
    source = Source(args.offline)
    try:
        tables = load_tables(args.knowledge)
        changes: list[Change] = []
        if args.only in (None, "companions"):
            changes += check_companions(tables, source, every=args.all)
        if args.only in (None, "torch"):
            changes += check_torch(tables, source, args.variant)
    except (FetchError, OSError, ValueError) as exc:
        print(f"refresh_knowledge: {exc}", file=sys.stderr)
        return 2
    for change in changes:
        print(change.render())
    print(f"{len(changes)} difference(s) from {args.knowledge} ({source.requests} request(s)).")
    if changes:
        print("Review each line, edit the YAML (keep a # src: on every fact), bump currency.yaml `reviewed`, "
              "and run tests/test_knowledge_tables.py.")
    return 1 if changes else 0


if __name__ == "__main__":
    sys.exit(main())
