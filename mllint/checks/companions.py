"""ML015 ``torch-companion-mismatch``: a package built for one torch next to another torch.

torchvision, torchaudio and xformers wheels declare the exact torch they were built for
(Requires-Dist); intel-extension-for-pytorch only runs on the torch of its own major.minor; PyG
extension wheels and flash-attn's prebuilt wheels name their torch release line in the version or
file name. The torch they are checked against is the one the same command pins, else the last
exact pin earlier in the stage (or a parent stage), else the one a ``pytorch/pytorch:<torch>-...``
base image ships. Facts come from ``mllint.torch_companions`` (``rules/knowledge/companions.yaml``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from mllint import torch_companions as tc
from mllint.resolution import creates_env, separate_environment
from mllint.context import CheckContext
from mllint.depfiles import with_declared
from mllint.dockerfile import Install, Stage
from mllint.environment import image_environment
from mllint.installs import Requirement
from mllint.memo import per_stage
from mllint.rule import Hit, Severity
from mllint.targets import resolve

_PIP = ("pip", "uv")
# Variables that move installs to another Python environment: a torch pinned before may not be there.
_ENV_SWITCHES = ("PATH", "VIRTUAL_ENV", "CONDA_DEFAULT_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONUSERBASE")


@dataclass(frozen=True)
class _Torch:
    """The torch a companion is checked against, and how to name it in a message."""

    version: Version
    where: str  # "`torch==2.1.0` on line 5", "the image pytorch/pytorch:2.1.0-... (its tag)"
    same_command: bool = False


def _exact(requirement: Requirement) -> Version | None:
    if not requirement.exact_version:
        return None
    try:
        return Version(requirement.exact_version)
    except InvalidVersion:
        return None


def _image_torch(stage: Stage) -> _Torch | None:
    image = stage.base_image
    env = image_environment(image)
    fact = env.frameworks.get("torch")
    if env.kind != "pytorch" or fact is None or not fact.value or not fact.verified:
        return None  # NGC and other framework images ship pre-release builds or say nothing exact
    try:
        return _Torch(Version(str(fact.value)), f"the base image {image.reference} ships torch {fact.value}")
    except InvalidVersion:
        return None


def _commands(installs) -> Iterator[list[Install]]:
    """Installs grouped by the command that runs them (a RUN's own and those its files declare)."""
    group: list[Install] = []
    for install in installs:
        if group and install.record.command is not group[0].record.command:
            yield group
            group = []
        group.append(install)
    if group:
        yield group


def _where(install: Install, requirement: Requirement, stage: Stage) -> str:
    origin = getattr(install.instruction, "origin", None)
    place = f"line {origin.line} of {origin.path}" if origin else f"line {install.line}"
    if install.stage is not stage:
        place += f" (stage {install.stage.label})"
    return f"`{requirement.raw.strip()}` on {place}"


def _environment_changes(stage: Stage, before_line: int, after_line: int) -> bool:
    """Between two lines the Dockerfile may have switched Python environments (venv, conda env, PATH)."""
    lines = _environment_switches(stage)
    first_after = bisect_right(lines, after_line)
    return first_after < len(lines) and lines[first_after] < before_line


@per_stage
def _environment_switches(stage: Stage) -> list[int]:
    """The start lines, sorted, of the instructions of the stage and its parents that may switch environments."""
    return sorted(instruction.start_line for st in stage.lineage for instruction in st.instructions
                  if (instruction.keyword == "ENV" and any(n in instruction.assigned for n in _ENV_SWITCHES))
                  or any(creates_env(placed.command.argv) for placed in instruction.commands))


class _Walker:
    """Follows the torch of one stage's default environment through its installs, in order."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.torch: _Torch | None = _image_torch(stage)
        self.torch_line = 0

    def hits(self) -> Iterator[Hit]:
        for st in reversed(self.stage.lineage):
            for group in _commands(with_declared(st.installs)):
                found = self._command(group, report=st is self.stage)
                yield from found

    def _command(self, group: list[Install], report: bool) -> Iterator[Hit]:
        first = group[0]
        if self.torch is not None and _environment_changes(self.stage, first.line, self.torch_line):
            self.torch = None
        if first.action in ("uninstall", "remove"):
            if any(r.name in ("torch", "pytorch") for i in group for r in i.requirements):
                self.torch = None
            return
        if not first.installs_packages:
            return
        pairs = [(i, resolve(i, r)) for i in group for r in i.requirements]
        pinned = None
        for install, requirement in pairs:
            if requirement.name in ("torch", "pytorch") and install.manager in (*_PIP, "conda"):
                version = _exact(requirement)
                pinned = _Torch(version, _where(install, requirement, self.stage), True) if version else None
                if version is None:
                    self.torch = None  # an unpinned or ranged torch: which one resolves is unknown
        elsewhere = separate_environment(first)  # a venv, --target, conda -n, uv without --system
        if first.manager in _PIP and first.action == "install" and report:
            against = pinned or (None if elsewhere else self.torch)
            if against is not None:
                for install, requirement in pairs:
                    hit = _check(install, requirement, against)
                    if hit is not None:
                        yield hit
        if elsewhere:
            return  # what it installs is not the torch of the stage's default environment
        if pinned is not None:
            self.torch, self.torch_line = replace(pinned, same_command=False), first.line
        elif first.manager in _PIP and self.torch is not None and not first.no_deps:
            self._follow_resolver(pairs, first.line)

    def _follow_resolver(self, pairs, line: int) -> None:
        """A companion pinned against another torch makes pip install the torch it requires."""
        for _, requirement in pairs:
            version = _exact(requirement)
            spec = tc.required_torch(requirement.name or "", str(version)) if version else None
            if spec is not None and not spec.contains(self.torch.version, prereleases=True):
                self.torch, self.torch_line = None, line


def _check(install: Install, requirement: Requirement, torch: _Torch) -> Hit | None:
    name = requirement.name or ""
    if name in ("torch", "pytorch"):
        return None
    version = _exact(requirement)
    if version is not None and name in tc.companions():
        spec = tc.required_torch(name, str(version))
        if spec is not None and not spec.contains(torch.version, prereleases=True):
            return _resolver_hit(install, requirement, spec, torch)
        return None
    if version is not None and name in tc.same_minor_packages():
        if (version.major, version.minor) != (torch.version.major, torch.version.minor):
            return _runtime_hit(install, requirement, f"{version.major}.{version.minor}", torch,
                                "at `import intel_extension_for_pytorch`, which exits with 'needs to work with "
                                f"PyTorch {version.major}.{version.minor}.*'", Severity.ERROR)
        return None
    tag = tc.build_tag_torch(name, local_version=requirement.local_version, url=requirement.url or requirement.path,
                             find_links=tuple(install.find_links))
    if tag is not None and tag.torch != (torch.version.major, torch.version.minor):
        line = f"{tag.torch[0]}.{tag.torch[1]}"
        named = "" if tag.evidence in requirement.raw else f" ({_short(tag.evidence)} names torch {line})"
        return _runtime_hit(install, requirement, line, torch, f"at import with an undefined symbol{named}",
                            Severity.WARNING)
    return None


def _short(text: str) -> str:
    return f"`{text if len(text) <= 60 else '...' + text[-57:]}`"


def _suggest(name: str, torch: Version) -> str:
    found, open_ended = tc.accepting_releases(name, str(torch))
    if found and not open_ended:
        return f"pin `{name}=={found[-1]}`, the release built for torch {torch.public}"
    return f"pin the {name} release built for torch {torch.public}"


def _resolver_hit(install: Install, requirement: Requirement, spec: SpecifierSet, torch: _Torch) -> Hit:
    name, shown = requirement.name or "", requirement.raw.strip()
    fix = f"{_suggest(name, torch.version)}, or change the torch pin to match"
    if torch.same_command and not install.no_deps:
        message = (f"`{shown}` requires `torch{spec}` (its wheel metadata) but the same command pins "
                   f"{torch.where}: {install.tool} cannot satisfy both and the build stops with a "
                   f"dependency conflict; {fix}.")
        severity = Severity.ERROR
    elif install.no_deps:
        message = (f"`{shown}` is built for `torch{spec}` but torch {torch.version} ({torch.where}) stays installed "
                   f"(--no-deps): {name} fails or loses its compiled operators at import at run time; {fix}.")
        severity = Severity.WARNING
    else:
        message = (f"`{shown}` requires `torch{spec}` (its wheel metadata) but the stage already has torch "
                   f"{torch.version} ({torch.where}): {install.tool} replaces it with a torch matching `{spec}` at "
                   f"build time, often a build for another CUDA; {fix}.")
        severity = Severity.WARNING
    return Hit(message, install.instruction, line=install.line, column=install.column, severity=severity,
               fix=fix)


def _runtime_hit(install: Install, requirement: Requirement, line: str, torch: _Torch, effect: str,
                 severity: Severity) -> Hit:
    fix = f"install the build for torch {torch.version.major}.{torch.version.minor}, or pin torch {line}.x"
    message = (f"{_short(requirement.raw.strip())} works only with torch {line}.x, but the torch here is "
               f"{torch.version} ({torch.where}); pip does not check this, so it fails at run time {effect}; "
               f"{fix}.")
    return Hit(message, install.instruction, line=install.line, column=install.column, severity=severity,
               fix=fix)


def torch_companion_mismatch(ctx: CheckContext) -> Iterator[Hit]:
    for stage in ctx.stages:
        yield from _Walker(stage).hits()


RULES = {"ML015": torch_companion_mismatch}
