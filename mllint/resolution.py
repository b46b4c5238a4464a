"""What an install really resolves a requirement to: the image's frameworks and pins in effect.

A requirement without an exact version is not floating when something else fixes the version pip
or uv ends up with. :func:`pinned_in_effect` names the first reason that holds:

* ``exact-elsewhere``: the same install pins the name exactly elsewhere (a requirements-file range
  next to ``transformers==4.44.2`` on the command line): one resolution, the exact pin wins.
* ``companion``: torchvision or torchaudio beside an exact (or ``==X.Y.Z.*``) torch pin in the same
  install. Their release wheels require one exact torch (``torch==<version>``, set from
  ``PYTORCH_VERSION`` in pytorch/vision and pytorch/audio ``setup.py``), so the resolver takes the
  release that matches the pin; the torch↔torchvision↔torchaudio table (``companions.yaml``, the wheels'
  own requirements) names it, and says where that stops holding (torchvision 0.29.x and torchaudio
  2.11.x accept open ranges of torch).
* ``companion-variable``: torchvision or torchaudio beside a requirement written as a variable
  (``pip install $TORCH_SPEC torchvision``) and no torch requirement: the variable holds the torch
  pin as far as the Dockerfile shows, and a wrong guess only costs a warning, never a false one.
* ``base-image``: the base image ships the package at a version the requirement admits, the install
  goes to the image's environment and does not upgrade or reinstall: pip and uv keep an installed
  version that satisfies a requirement unless ``-U``/``--upgrade``, ``--force-reinstall``,
  ``--ignore-installed`` (``--reinstall`` in uv) is given. The companions of an image's torch count:
  the official pytorch/pytorch image installs torch, torchvision and torchaudio in one command.
* ``constraint``: a constraints file (``-c``, ``PIP_CONSTRAINT``, ``UV_CONSTRAINT``) that cannot be
  read may pin it; one that is read pins it when it has an exact line for the name.

``--no-deps`` is handled where dependency files are followed (``mllint.depfiles``): a project's
dependencies are not installed, so they are not followed.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from mllint import knowledge
from mllint.dockerfile import Install, Instruction, Stage
from mllint.environment import Fact, environment
from mllint.installs import Requirement, parse_conda_spec, parse_pip_requirement, parse_version
from mllint.memo import command_index, per_stage

__all__ = [
    "COMPANIONS",
    "PinnedInEffect",
    "ShippedFramework",
    "companion_of",
    "creates_env",
    "forced",
    "keeps_installed",
    "pinned_in_effect",
    "same_resolution",
    "separate_environment",
    "shipped_frameworks",
    "upgraded",
]

COMPANIONS = ("torchvision", "torchaudio")
PY_MANAGERS = ("pip", "uv")


@dataclass(frozen=True)
class PinnedInEffect:
    """Why a requirement without an exact version resolves to one version all the same."""

    reason: str  # exact-elsewhere | companion | companion-variable | base-image | constraint
    detail: str  # for `mllint parse` and messages: "torch==2.2.1 in the same install fixes it to 0.17.1"
    version: str | None = None  # what it resolves to, when known


# --------------------------------------------------------------------------- what the image ships


@dataclass(frozen=True)
class ShippedFramework:
    """A framework the base image already ships, which an install may keep or replace."""

    name: str
    version: str | None  # the version the image ships, when known
    verified: bool  # the fact that the image ships it (and its version) is sourced
    source: str  # "pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime"
    companions: tuple[str, ...] = ()  # packages the image is known to ship with it (torchvision, torchaudio)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(<[^>]+>)", template)
    out = []
    for part in parts:
        if part.startswith("<") and part.endswith(">"):
            inner = part[1:-1]
            out.append("(?:" + "|".join(re.escape(x) for x in inner.split("|")) + ")" if "|" in inner else "[^/]+")
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "$")


def _tag_hint(image) -> dict[str, Fact]:
    """Frameworks a third-party image names in its tag (``hiyouga/pytorch:th2.6.0-cu124``): unverified."""
    found: dict[str, Fact] = {}
    if not image.tag:
        return found
    for hint in knowledge.table("images").get("framework_tag_hints") or ():
        repo_word = str(hint.get("repository_contains") or "")
        if repo_word and repo_word not in image.name.rsplit("/", 1)[-1]:
            continue
        match = re.search(str(hint.get("tag_regex") or "$^"), image.tag)
        if match:
            found[str(hint["framework"])] = Fact(match.group("version"), f"the tag {image.tag}", verified=False)
    return found


def shipped_frameworks(stage: Stage) -> dict[str, ShippedFramework]:
    """Frameworks the stage's base image ships (through ``FROM <stage>`` chains)."""
    cache = stage.dockerfile.facts.setdefault("shipped_frameworks", {})
    if stage.index in cache:
        return cache[stage.index]
    image = stage.base_image
    found: dict[str, ShippedFramework] = {}
    if image is not None:
        shown = image.reference
        env = environment(stage.root)
        facts: dict[str, Fact] = dict(env.frameworks)
        rows = []
        for row in knowledge.table("images").get("framework_images") or ():
            repo = str(row.get("repository") or "")
            if repo == image.name or ("<" in repo and _template_regex(repo).match(image.name)):
                rows.append(row)
        if not rows and not facts:
            facts = _tag_hint(image)
        companions = {name: tuple(str(c) for c in row.get("companions") or ())
                      for row in rows for name in row.get("frameworks") or ()}
        for name, fact in facts.items():
            found[name] = ShippedFramework(name, fact.value, fact.verified, shown, companions.get(name, ()))
        for row in rows:
            for name in row.get("frameworks") or ():
                if name not in found:
                    found[name] = ShippedFramework(name, None, not knowledge.is_unverified(row, "frameworks"), shown,
                                                   companions.get(name, ()))
    cache[stage.index] = found
    return found


# --------------------------------------------------------------------------- torch and its companions


def companion_of(name: str, torch: Version) -> tuple[str | None, bool]:
    """(the torchvision/torchaudio release that goes with ``torch``, whether an exact torch pin fixes it).

    From the wheels' own requirements on torch (``mllint.torch_companions``, companions.yaml): fixed when
    every known release that accepts this torch requires it within a closed range (the resolver then
    takes the newest of them); not fixed when no release is known for it or one accepts an open range
    (torchvision 0.29.x ``torch>=2.14.0``, torchaudio 2.11.x), as a newer release may be chosen.
    """
    from mllint.torch_companions import paired_release

    release = paired_release(name, str(torch))
    return release, release is not None


# --------------------------------------------------------------------------- where an install goes

_VENV_TOOLS = ("virtualenv",)
_STANDARD_BIN = ("/usr/bin/", "/usr/local/bin/", "/opt/conda/bin/", "/bin/")
_FORCE_OPTIONS = {"--force-reinstall", "--ignore-installed", "-I", "--reinstall"}


def creates_env(argv: tuple[str, ...]) -> bool:
    """``python -m venv``, ``virtualenv``, ``uv venv``, ``conda create``: a new environment."""
    if not argv:
        return False
    tool = posixpath.basename(argv[0])
    if tool in _VENV_TOOLS:
        return True
    if tool == "uv" and len(argv) > 1 and argv[1] == "venv":
        return True
    if tool in ("conda", "mamba", "micromamba") and ("create" in argv[1:3] or argv[1:3] == ("env", "create")):
        return True
    if tool.startswith("python") and "-m" in argv:
        i = argv.index("-m")
        return i + 1 < len(argv) and argv[i + 1] in ("venv", "virtualenv")
    return False


def separate_environment(install: Install) -> bool:
    """The install goes somewhere other than the image's framework environment (or may)."""
    record = install.record
    tool = record.command.argv[0] if record.command.argv else ""
    if tool.startswith("/") and not tool.startswith(_STANDARD_BIN):
        return True  # /opt/venv/bin/pip
    if install.env.get("VIRTUAL_ENV"):
        return True
    options = {key for key, _ in record.options}
    if install.manager == "pip" and options & {"--target", "--prefix", "--root", "--python"}:
        return True
    if install.manager == "uv":
        if not record.system or options & {"--target", "--prefix", "--python"}:
            return True
    if install.manager == "conda":
        if install.action != "install" and install.action != "update":
            return True
        if options & {"--name", "--prefix"}:
            return True
    run = getattr(install.instruction, "declared_by", None) or install.instruction
    for line, instruction, position in _environments_created(install.stage):
        if line > install.line:
            break
        if instruction is run and position >= command_index(run).get(id(record.command), len(run.commands)):
            continue  # later in the install's own RUN
        return True
    return False


def forced(install: Install, name: str) -> bool:
    """The install reinstalls whatever is installed (``--force-reinstall``, ``-I``, uv ``--reinstall[-package]``)."""
    for key, value in install.record.options:
        if key in _FORCE_OPTIONS:
            return True
        if key == "--reinstall-package" and value and canonicalize_name(value) == name:
            return True
    return False


def upgraded(install: Install, name: str) -> bool:
    """The install upgrades ``name`` (``-U``/``--upgrade``, uv ``-P name``; conda ``update``, ``--update-deps``)."""
    record = install.record
    if install.manager == "conda":
        return install.action == "update" or record.has_option("--update-deps")
    for key, value in record.options:
        if key == "--upgrade":
            return True
        if key == "--upgrade-package" and value and canonicalize_name(value.split("==")[0]) == name:
            return True
    return False


@per_stage
def _environments_created(stage: Stage) -> list[tuple[int, Instruction, int]]:
    """(line, instruction, command position) of every command that creates an environment in the stage and
    its parents, in order: one pass, asked per install."""
    return [(placed.line, instruction, position) for st in reversed(stage.lineage) for instruction in st.instructions
            for position, placed in enumerate(instruction.commands) if creates_env(placed.command.argv)]


def keeps_installed(install: Install, name: str) -> bool:
    """Whether pip/uv keep an installed ``name`` that satisfies the requirement (no upgrade, no reinstall)."""
    return not forced(install, name) and not upgraded(install, name)


# --------------------------------------------------------------------------- pins in effect


def same_resolution(install: Install) -> list[Install]:
    """Every install resolved together with ``install``: its command and the files that command reads."""
    from mllint.depfiles import with_declared

    dockerfile = install.stage.dockerfile
    groups = dockerfile.facts.get("resolution_groups")
    if groups is None:
        groups = {}
        for member in with_declared(dockerfile.installs, kinds=("requirement", "constraint")):
            groups.setdefault(id(member.record.command), []).append(member)
        dockerfile.facts["resolution_groups"] = groups
    return groups.get(id(install.record.command), [install])


def _exact(requirement: Requirement, install: Install) -> str | None:
    """The version an exact pin names (``==X``, ``==${V}`` with a known value; ``==X.Y.Z.*`` for torch)."""
    if requirement.exact_version:
        return requirement.exact_version
    if requirement.error:
        expanded = install.instruction.expand(requirement.raw, install.env)
        if expanded.resolved:
            parse = parse_conda_spec if install.manager == "conda" else parse_pip_requirement
            return parse(expanded.text).exact_version
    return None


def _pin_of(name: str, group: list[Install], wildcard: bool = False) -> tuple[str, bool, Install, Requirement] | None:
    """(version, whether it is a ``==X.Y.*`` wildcard, install, requirement) of a pin of ``name`` in ``group``."""
    for member in group:
        if _origin_kind(member) == "constraint":
            continue
        for requirement in member.requirements:
            if requirement.name != name:
                continue
            version = _exact(requirement, member)
            if version:
                return version, False, member, requirement
            if wildcard and requirement.wildcard and requirement.specifier.startswith("=="):
                return requirement.specifier[2:].removesuffix(".*"), True, member, requirement
    return None


def _origin_kind(install: Install) -> str | None:
    origin = getattr(install.instruction, "origin", None)
    return origin.kind if origin is not None else None


def _admits(requirement: Requirement, version: str) -> bool | None:
    try:
        spec = SpecifierSet(requirement.specifier or "")
    except InvalidSpecifier:
        return None
    parsed = parse_version(version)
    if parsed is None:
        return None
    return spec.contains(parsed, prereleases=True)


def pinned_in_effect(install: Install, requirement: Requirement) -> PinnedInEffect | None:
    """Why ``requirement`` (of ``install``) resolves to one version although it is not pinned, or None."""
    name = requirement.name
    if not name or requirement.exact_version or requirement.url or requirement.path or requirement.vcs:
        return None
    group = same_resolution(install)
    pinned = _pin_of(name, group)
    if pinned is not None:
        version, _, member, written = pinned
        if member is not install or written is not requirement:
            return PinnedInEffect("exact-elsewhere", f"`{written.raw.strip()}` in the same install pins it", version)
    if name in COMPANIONS:
        found = _companion_pin(name, group, "pytorch" if install.manager == "conda" else "torch")
        if found is not None:
            return found
    found = _base_image_pin(install, requirement)
    if found is not None:
        return found
    return _constraint_pin(install, requirement, group)


def _companion_pin(name: str, group: list[Install], torch_name: str) -> PinnedInEffect | None:
    torch = _pin_of(torch_name, group, wildcard=True)
    if torch is None:
        names = {r.name for member in group for r in member.requirements}
        opaque = next((r.raw.strip() for member in group for r in member.requirements
                       if r.error and r.name is None), None)
        if opaque and torch_name not in names:
            return PinnedInEffect("companion-variable", f"beside `{opaque}`, a variable that can hold the torch pin "
                                                        f"that fixes {name}")
        return None
    version, wildcard, _, written = torch
    parsed = parse_version(version)
    if parsed is None:
        return None
    companion, fixed = companion_of(name, parsed)
    if not fixed:
        return None
    if wildcard and len(parsed.release) < 3:
        companion = None  # `pytorch=2.1`: some 2.1.x, so some matching release
    what = f" to {companion}" if companion else " to the matching release"
    return PinnedInEffect("companion", f"`{written.raw.strip()}` in the same install fixes it{what}", companion)


def _base_image_pin(install: Install, requirement: Requirement) -> PinnedInEffect | None:
    name = requirement.name or ""
    if install.manager not in PY_MANAGERS or not keeps_installed(install, name):
        return None
    shipped = shipped_frameworks(install.stage)
    torch = shipped.get("torch")
    version: str | None = None
    source = ""
    if name in shipped and shipped[name].version:
        version, source = shipped[name].version, f"{shipped[name].source} ships {name} {shipped[name].version}"
    elif name in COMPANIONS and torch is not None and torch.version and not _pins_other_torch(install, torch.version):
        parsed = parse_version(torch.version)
        companion = companion_of(name, parsed)[0] if parsed is not None else None
        if companion:
            version = companion
            known = "with" if name in torch.companions else "usually with"  # the official image: sourced
            source = f"{torch.source} ships torch {torch.version}, {known} {name} {companion}"
    if version is None or separate_environment(install):
        return None
    if _admits(requirement, version) is not True:
        return None
    kept = "pip keeps it" if install.manager == "pip" else "uv keeps it"
    return PinnedInEffect("base-image", f"{source}, which `{requirement.raw.strip()}` admits, and {kept} "
                                        "(no --upgrade or reinstall)", version)


def _pins_other_torch(install: Install, shipped: str) -> bool:
    """The same install pins torch to another version than the image's: the image's companion no longer fits."""
    pinned = _pin_of("pytorch" if install.manager == "conda" else "torch", same_resolution(install), wildcard=True)
    if pinned is None:
        return False
    mine, theirs = parse_version(pinned[0]), parse_version(shipped)
    return mine is None or theirs is None or mine.release[: len(mine.release)] != theirs.release[: len(mine.release)]


def _constraint_pin(install: Install, requirement: Requirement, group: list[Install]) -> PinnedInEffect | None:
    if install.manager not in PY_MANAGERS:
        return None
    from mllint.depfiles import unread_constraints

    for member in group:
        if _origin_kind(member) != "constraint":
            continue
        for line in member.requirements:
            version = _exact(line, member) if line.name == requirement.name else None
            if version:
                return PinnedInEffect("constraint", f"the constraints file {member.instruction.origin.path} pins "
                                                    f"`{line.raw.strip()}`", version)
    unread = unread_constraints(install)
    if unread is None:  # files not followed: every constraints file may pin it
        variable = "UV_CONSTRAINT" if install.manager == "uv" else "PIP_CONSTRAINT"
        unread = [*install.record.constraint_files, *(install.env.get(variable) or "").split()]
    if unread:
        return PinnedInEffect("constraint", f"the constraints file {unread[0]} (not read) may pin it")
    return None  # every constraints file was read, and none pins it
