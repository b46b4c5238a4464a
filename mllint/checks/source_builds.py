"""unpinned-ml-package (ML002), source-build half: code that comes from a moving branch.

* ``pip install git+https://...`` of any package with no ``@<commit|tag>`` (or ``@main``), and a
  ``.../archive/master.zip`` URL: each build installs whatever the branch holds that day. (VCS
  installs of the ML packages themselves are judged in ``packages``.)
* ``git clone`` of a branch head (no ``--branch <tag>``, no later ``git checkout <tag|commit>``)
  followed by a build or an install of that checkout (``pip install .``, ``pip install -e dir``,
  ``pip install -r dir/requirements.txt``, ``python setup.py``, ``make``/``cmake`` in it).
* ``mim install`` (OpenMMLab's pip wrapper) of an ML package without an exact version.

All are notes (info): the source moves, but the Dockerfile may mean to follow it.
"""

from __future__ import annotations

import posixpath
import re
from collections import ChainMap
from collections.abc import Iterator
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from mllint.checks.packages import is_ml_package
from mllint.context import CheckContext
from mllint.depfiles import with_declared
from mllint.dockerfile import Instruction, Stage
from mllint.installs import parse_pip_requirement
from mllint.rule import Hit, Severity

# Branch names that are never release tags; other names stay unjudged (`@v1.2`, `@25.04`, `@release-x`).
_BRANCHES = frozenset({"main", "master", "develop", "development", "dev", "trunk", "head", "nightly"})
_VERSION_LIKE = re.compile(r"^[vV]?\d+(?:[._-]\d+)*(?:[._-]?(?:post|rc|a|b|alpha|beta|dev)\.?\d*)*$")
_COMMIT = re.compile(r"^[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?$")
_BRANCH_ARCHIVE = re.compile(
    r"^https?://(?:www\.)?(?:github\.com|gitlab\.com)/[^/]+/[^/]+/(?:-/)?(?:archive/(?:refs/heads/)?|zipball/|tarball/)"
    r"(?P<ref>[^/]+?)(?:\.zip|\.tar\.gz|\.tgz)?/?$")


def _ref_kind(ref: str | None) -> str:
    """``branch`` (moves), ``pinned`` (a commit or a version tag) or ``unknown``."""
    if ref is None:
        return "branch"  # no ref: the default branch
    if _COMMIT.match(ref):
        return "pinned"
    if ref.lower() in _BRANCHES:
        return "branch"
    if _VERSION_LIKE.match(ref):
        return "pinned"
    return "unknown"


def _ml_extra(ctx: CheckContext) -> frozenset[str]:
    return frozenset(canonicalize_name(n) for n in ctx.options.get("ml-packages") or ())


# --------------------------------------------------------------------------- VCS and archive URLs


def _moving_url_hits(ctx: CheckContext, stage: Stage) -> Iterator[Hit]:
    extra = _ml_extra(ctx)
    for install in with_declared(stage.installs):
        if install.manager not in ("pip", "uv") or install.action not in ("install", "add"):
            continue
        for requirement in install.requirements:
            name = requirement.name
            if requirement.vcs:
                if requirement.vcs_commit or (name and is_ml_package(name, install.manager, extra)):
                    continue  # ML packages: packages.unpinned_ml_package reports them
                ref = requirement.vcs_ref
                if _ref_kind(ref) != "branch":
                    continue
                what = (f"`{requirement.raw.strip()}` follows the branch `{ref}`" if ref else
                        f"`{requirement.raw.strip()}` installs whatever the repository's default branch holds")
            elif requirement.url and (archive := _BRANCH_ARCHIVE.match(requirement.url.split("#")[0])):
                if _ref_kind(archive.group("ref")) != "branch":
                    continue
                what = f"`{requirement.raw.strip()}` downloads the `{archive.group('ref')}` branch as an archive"
            else:
                continue
            yield Hit(
                f"{what} at build time, so rebuilds can get different code with no change to the Dockerfile; "
                "pin a full 40-character commit (`@<sha>`), a release tag, or a released version.",
                install.instruction, line=install.line, column=install.column, severity=Severity.INFO,
                fix="pin a full commit hash, a release tag or a released version",
            )


# --------------------------------------------------------------------------- git clone, then build


@dataclass
class _Clone:
    """A ``git clone`` in a stage: where it lands and what it is pinned to."""

    url: str
    path: str  # where the checkout lives (relative paths start from the unknown first WORKDIR "@")
    kind: str  # branch | pinned | unknown
    ref: str | None
    instruction: Instruction
    line: int
    column: int
    reported: bool = False


_GIT_VALUE_OPTIONS = frozenset({"-b", "--branch", "--depth", "-o", "--origin", "-c", "--config", "-j", "--jobs",
                                "--reference", "--separate-git-dir", "--shallow-since", "--shallow-exclude",
                                "-u", "--upload-pack", "--template", "--filter", "--bundle-uri"})
_BUILDERS = frozenset({"make", "cmake", "ninja", "meson"})


def _join(base: str, path: str) -> str:
    return posixpath.normpath(path if path.startswith("/") else posixpath.join(base, path))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _expand(instruction: Instruction, text: str, env) -> str | None:
    return instruction.expand(text, env).value


def _git_words(argv: tuple[str, ...]) -> tuple[str, list[str], dict[str, str]] | None:
    """``git [-C dir] <sub> args``: (sub, positional args, options) with ``-C`` kept as an option."""
    words = list(argv[1:])
    options: dict[str, str] = {}
    while words and words[0].startswith("-"):
        option = words.pop(0)
        if option in ("-C", "-c") and words:
            options[option] = words.pop(0)
    if not words:
        return None
    sub, rest = words[0], words[1:]
    positional: list[str] = []
    i = 0
    while i < len(rest):
        word = rest[i]
        if word.startswith("--") and "=" in word:
            key, value = word.split("=", 1)
            options[key] = value
        elif word in _GIT_VALUE_OPTIONS and i + 1 < len(rest):
            options[word] = rest[i + 1]
            i += 1
        elif word.startswith("-"):
            options[word] = ""
        else:
            positional.append(word)
        i += 1
    return sub, positional, options


def _clone_dir(url: str) -> str:
    name = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return name[:-4] if name.endswith(".git") else name


def _installed_paths(install, cwd: str, instruction: Instruction) -> list[str]:
    """Local paths an install reads: path requirements, editables and requirement files."""
    paths = []
    for requirement in install.requirements:
        if requirement.path and not requirement.url:
            text = _expand(instruction, requirement.path, install.env)
            if text:
                paths.append(_join(cwd, text))
    for file in install.requirement_files:
        text = _expand(instruction, file, install.env)
        if text:
            paths.append(_join(cwd, text))
    return paths


def _clone_hit(clone: _Clone, how: str) -> Hit:
    if clone.ref:
        what = f"`git clone` of {clone.url} checks out the branch `{clone.ref}`"
    else:
        what = f"`git clone` of {clone.url} checks out the default branch"
    return Hit(
        f"{what} and the Dockerfile then {how} from that checkout, so each build gets whatever the "
        "branch holds that day; check out a release tag or a full commit (`git checkout <sha>`) before "
        "building.",
        clone.instruction, line=clone.line, column=clone.column, severity=Severity.INFO,
        fix="check out a release tag or a full commit before building",
    )


def _clone_hits(stage: Stage) -> Iterator[Hit]:
    clones: list[_Clone] = []
    cwd = "@"
    for member in reversed(stage.lineage):
        own = member is stage
        for instruction in member.instructions:
            if instruction.keyword == "WORKDIR":
                target = _expand(instruction, instruction.value.strip(), None)
                cwd = _join(cwd, target) if target else "@unknown"
                continue
            if instruction.keyword != "RUN":
                continue
            here = cwd
            installs = {id(install.record.command): install for install in instruction.installs}
            for placed in instruction.commands:
                argv = placed.command.argv
                if not argv:
                    continue
                env = ChainMap(dict(placed.command.assignments), instruction.env)  # no copy of the scope
                tool = posixpath.basename(argv[0])
                if tool == "cd":
                    target = _expand(instruction, argv[1], env) if len(argv) > 1 else "/root"
                    here = _join(here, target) if target else "@unknown"
                    continue
                if tool == "git":
                    parsed = _git_words(argv)
                    if parsed is None:
                        continue
                    sub, positional, options = parsed
                    base = here
                    if "-C" in options:
                        target = _expand(instruction, options["-C"], env)
                        base = _join(here, target) if target else "@unknown"
                    if sub == "clone" and positional and own:
                        url = _expand(instruction, positional[0], env)
                        dest = _expand(instruction, positional[1], env) if len(positional) > 1 else None
                        if not url:
                            continue
                        ref = None
                        if "-b" in options or "--branch" in options:
                            ref = _expand(instruction, options.get("-b") or options.get("--branch") or "", env)
                            kind = _ref_kind(ref) if ref else "unknown"
                        else:
                            kind = "branch"
                        path = _join(base, dest or _clone_dir(url))
                        if any(clone.path == path for clone in clones):
                            continue  # `git clone -b X url dir || git clone url dir`: one checkout
                        clones.append(_Clone(url, path, kind, ref, instruction, placed.line, placed.column))
                    elif sub in ("checkout", "switch", "reset") and positional:
                        ref = _expand(instruction, positional[-1], env)
                        for clone in clones:
                            if _inside(base, clone.path):
                                clone.kind = _ref_kind(ref) if ref else "unknown"
                                clone.ref = ref
                    continue
                install = installs.get(id(placed.command))
                built = None
                if install is not None and install.manager in ("pip", "uv") and install.action == "install":
                    paths = _installed_paths(install, here, instruction)
                    built = ("installs", paths)
                elif tool.startswith("python") and "setup.py" in argv[1:3]:
                    built = ("builds", [here])
                elif tool in _BUILDERS:
                    built = ("builds", [here])
                if built is None:
                    continue
                how, paths = built
                for clone in clones:
                    if clone.reported or clone.kind != "branch" or "@unknown" in clone.path:
                        continue
                    if any(_inside(path, clone.path) for path in paths):
                        clone.reported = True
                        yield _clone_hit(clone, "installs" if how == "installs" else "builds")


# --------------------------------------------------------------------------- mim install

_MIM_VALUE_OPTIONS = frozenset({"-f", "--find-links", "-i", "--index-url", "--extra-index-url", "-r",
                                "--requirement", "-c", "--constraint", "-t", "--target", "--prefix"})


def _mim_hits(ctx: CheckContext, stage: Stage) -> Iterator[Hit]:
    extra = _ml_extra(ctx)
    for instruction in stage.instructions:
        if instruction.keyword != "RUN":
            continue
        for placed in instruction.commands:
            argv = placed.command.argv
            if len(argv) < 3 or posixpath.basename(argv[0]) != "mim" or argv[1] != "install":
                continue
            skip = False
            for word in argv[2:]:
                if skip:
                    skip = False
                    continue
                if word.startswith("-"):
                    skip = word in _MIM_VALUE_OPTIONS
                    continue
                requirement = parse_pip_requirement(word)
                name = requirement.name
                if not name or requirement.exact_version or requirement.error or requirement.path:
                    continue
                if not is_ml_package(name, "pip", extra):
                    continue
                shown = requirement.raw.strip()
                detail = "without a version" if not requirement.specifier else f"without an exact version (`{shown}`)"
                yield Hit(
                    f"`mim install {shown}` installs {name} {detail}, so each build takes the newest release "
                    "OpenMMLab publishes for the installed torch and CUDA, which can change behaviour or break "
                    f"against the other packages; pin it, e.g. `mim install {name}==<version>`.",
                    instruction, line=placed.line, column=placed.column,
                    fix=f"pin an exact version ({name}==<version>)",
                )


def unpinned_source_builds(ctx: CheckContext) -> Iterator[Hit]:
    for stage in ctx.stages:
        yield from _moving_url_hits(ctx, stage)
        yield from _clone_hits(stage)
        yield from _mim_hits(ctx, stage)


RULES = {"ML002": unpinned_source_builds}
