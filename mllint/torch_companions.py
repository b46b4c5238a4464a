"""Packages built for one torch release, and which torch each release needs.

The answers come from ``rules/knowledge/companions.yaml``: the torch requirement
that torchvision, torchaudio and xformers wheels declare (Requires-Dist), the
packages that only work with torch's own major.minor (IPEX), and the builds that
name their torch in a local version, a find-links page or a wheel file name
(PyG, flash-attn). ``torch-companion-mismatch`` (ML015) reads them, and so can
any rule that asks whether a companion beside ``torch==X`` is pinned in effect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from mllint import knowledge

__all__ = ["BuildTag", "accepting_releases", "build_tag_torch", "companions", "paired_release", "required_torch",
           "same_minor_packages"]


def _table() -> dict:
    return knowledge.table("companions")


def _version(text: str | None) -> Version | None:
    try:
        return Version(str(text)) if text is not None else None
    except InvalidVersion:
        return None


def _public(version: Version) -> Version:
    return Version(version.public)


@lru_cache(maxsize=None)
def _releases(package: str) -> tuple[tuple[Version, SpecifierSet | None], ...]:
    row = (_table().get("requires_torch") or {}).get(package) or {}
    out = []
    for text, spec in (row.get("releases") or {}).items():
        version = _version(text)
        if version is None:
            continue
        try:
            out.append((version, SpecifierSet(spec) if spec else None))
        except InvalidSpecifier:
            continue
    return tuple(sorted(out, key=lambda item: item[0]))


def companions() -> frozenset[str]:
    """Packages whose releases declare the torch they need (torchvision, torchaudio, xformers)."""
    return frozenset(canonicalize_name(n) for n in (_table().get("requires_torch") or {}))


def checked_through(package: str) -> Version | None:
    row = (_table().get("requires_torch") or {}).get(canonicalize_name(package)) or {}
    return _version(row.get("checked_through"))


def required_torch(package: str, version: str) -> SpecifierSet | None:
    """The torch requirement of ``package==version``'s wheels, or None when unknown or undeclared."""
    wanted = _version(version)
    if wanted is None:
        return None
    wanted = _public(wanted)
    for release, spec in _releases(canonicalize_name(package)):
        if release == wanted:
            return spec
    return None


def accepting_releases(package: str, torch_version: str) -> tuple[list[str], bool]:
    """Known releases of ``package`` whose wheels accept ``torch_version``, oldest first, and whether
    a release the table does not list could accept it too (an open-ended requirement such as
    ``torch>=2.14.0`` among them, or a torch newer than anything the listed releases name).

    ``(["0.16.0"], False)`` for torchvision beside torch 2.1.0: pip resolves exactly that release.
    """
    torch = _version(torch_version)
    if torch is None:
        return [], True
    found, open_ended, newest_named = [], False, None
    for release, spec in _releases(canonicalize_name(package)):
        if spec is None:
            continue
        for clause in spec:
            named = _version(clause.version.rstrip(".*"))
            if named is not None and (newest_named is None or named > newest_named):
                newest_named = named
        if spec.contains(torch, prereleases=True):
            found.append(str(release))
            if not any(c.operator in ("==", "===", "<", "<=", "~=") for c in spec):
                open_ended = True
    if not found or newest_named is None or _public(torch) > newest_named:
        open_ended = True  # nothing listed accepts it (an unlisted release may), or newer than all
    return found, open_ended


def paired_release(package: str, torch_version: str) -> str | None:
    """The one release of ``package`` pip resolves beside ``torch==torch_version``, or None when the
    table does not decide it (unknown, or an open-ended requirement that a later release may share)."""
    found, open_ended = accepting_releases(package, torch_version)
    return found[-1] if found and not open_ended else None


def same_minor_packages() -> frozenset[str]:
    """Packages that only work with the torch of their own major.minor (intel-extension-for-pytorch)."""
    return frozenset(canonicalize_name(n) for n in (_table().get("same_minor") or {}))


def same_minor_effect(package: str) -> str:
    row = (_table().get("same_minor") or {}).get(canonicalize_name(package)) or {}
    return str(row.get("effect") or "")


@dataclass(frozen=True)
class BuildTag:
    """A build that names its torch release line: where the name is, and what a mismatch does."""

    id: str
    torch: tuple[int, int]
    evidence: str  # "+pt21cu118", "https://data.pyg.org/whl/torch-2.1.0+cu118.html", the file name
    effect: str


def build_tag_torch(package: str, *, local_version: str | None = None, url: str | None = None,
                    find_links: tuple[str, ...] = ()) -> BuildTag | None:
    """The torch release line a build of ``package`` is for, read from its local version, its wheel
    URL/file name or the find-links pages of its install, when the knowledge names one."""
    name = canonicalize_name(package)
    for row in _table().get("build_tags") or ():
        if name not in {canonicalize_name(p) for p in row.get("packages") or ()}:
            continue
        found = None
        if local_version and row.get("local_version_regex"):
            match = re.match(row["local_version_regex"], local_version)
            found = (match, f"+{local_version}") if match else None
        elif url and row.get("filename_regex"):
            filename = url.rsplit("/", 1)[-1].replace("%2B", "+").replace("%2b", "+")
            match = re.match(row["filename_regex"], filename)
            found = (match, filename) if match else None
        elif find_links and row.get("find_links_regex") and not local_version and not url:
            for page in find_links:
                match = re.search(row["find_links_regex"], page)
                if match:
                    found = (match, page)
                    break
        if found:
            match, evidence = found
            return BuildTag(str(row.get("id")), (int(match.group("major")), int(match.group("minor"))),
                            evidence, str(row.get("effect") or ""))
    return None
