"""The stack view: per stage, the facts of its environment with their sources, and what it installs.

Facts come from :func:`mllint.environment.environment` (base image decoded with the knowledge
base, then the stage's ENV and apt instructions) and never from guesses: a value the model does not
know is ``None`` (printed ``unknown``) with the reason it is not known. Packages come from the
install records (:mod:`mllint.installs`), with the requirements that dependency files declare
(:func:`mllint.depfiles.with_declared`) and their CUDA target (:func:`mllint.targets.target`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mllint import knowledge
from mllint.environment import Environment, Fact, environment
from mllint.targets import resolve, target

if TYPE_CHECKING:
    from mllint.dockerfile import Dockerfile, Install, Instruction, Stage

__all__ = ["Item", "Package", "StageStack", "FileStack", "build", "stage_stack"]

FACTS = ("os", "python", "cuda", "flavour", "cudnn", "nccl", "nvcc")
# OS packages that change the stack (the rest of an apt install is not shown)
_STACK_OS_PACKAGE = re.compile(r"^(?:python3(?:\.\d+)?(?:-(?:dev|venv|pip|full|minimal|distutils))?|cuda-[a-z0-9.-]+|libcudnn\d*(?:-[a-z0-9.-]+)?|"
                               r"cudnn\d*(?:-[a-z0-9.-]+)?|libnccl(?:2|-dev)|libcublas[a-z0-9.-]*|nvidia-[a-z0-9.-]+|"
                               r"tensorrt[a-z0-9.-]*|libnvinfer[a-z0-9.-]*)$")


@dataclass(frozen=True)
class Item:
    """One fact of a stage's stack; ``value`` None means unknown, and ``source`` then says why."""

    name: str  # os, python, cuda, flavour, cudnn, nccl, nvcc, or a framework's package name
    value: str | None
    source: str
    verified: bool = True
    line: int | None = None  # the instruction of this stage that set it (None: the base image)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "verified": self.verified, "line": self.line}


@dataclass(frozen=True)
class Package:
    """A package a RUN adds (or removes), with its CUDA target when it has one."""

    path: str  # the Dockerfile, or the dependency file that declares it
    line: int
    column: int
    manager: str  # pip, uv, conda, apt, yum, apk
    action: str  # install, uninstall, ...
    name: str
    version: str | None  # an exact pin
    specifier: str  # a range, as written ("" when none)
    raw: str  # the argument as written
    cuda: str | None = None  # the CUDA it targets ("11.8", or a major "12")
    cpu_only: bool = False
    bundles: bool | None = None  # brings its own CUDA libraries (None: unknown or not a CUDA package)
    needs: tuple[str, ...] = ()  # components it needs from the image when it does not bundle them
    evidence: str = ""  # where the CUDA target comes from
    verified: bool = True
    replaces: str | None = None  # "torch 2.1.0 of the base image"
    run_line: int | None = None  # for a declared requirement: the RUN that reads the file
    location: str | None = None  # a URL, VCS link or local path it is built from, instead of an index release

    def describe_version(self) -> str:
        if self.location:
            return f" (from {self.location})"
        if self.version:
            return f"=={self.version}" if self.manager in ("pip", "uv") else f"={self.version}"
        return self.specifier

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path or None, "line": self.line, "column": self.column, "manager": self.manager,
            "action": self.action, "name": self.name, "version": self.version, "specifier": self.specifier or None,
            "raw": self.raw, "cuda": self.cuda, "cpu_only": self.cpu_only, "bundles_cuda": self.bundles,
            "needs": list(self.needs), "evidence": self.evidence or None, "verified": self.verified,
            "replaces": self.replaces, "run_line": self.run_line, "location": self.location,
        }


@dataclass
class StageStack:
    stage: "Stage"
    index: int
    name: str | None
    line: int
    base: str  # FROM as written
    image: str | None  # the image it starts from, after ARG substitution (None: a stage, or unknown)
    parent: str | None  # the stage it starts from (FROM <stage>)
    base_note: str  # why the image is unknown, when it is
    facts: list[Item]
    frameworks: list[Item]
    packages: list[Package]
    unfollowed: list[tuple[int, str, str]]  # (line, file, reason) of dependency files not read
    ships: dict[str, Any] | None = None  # from the shipping model; None when not known
    suggestions: list = field(default_factory=list)  # mllint.stack.advisor.Suggestion (filled on request)
    pythons: list[dict[str, Any]] = field(default_factory=list)  # every CPython the instructions install
    environment: Environment | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return self.name or str(self.index)

    def fact(self, name: str) -> Item | None:
        return next((item for item in self.facts if item.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index, "name": self.name, "line": self.line,
            "from": {"text": self.base, "image": self.image, "stage": self.parent, "note": self.base_note or None},
            "facts": {item.name: item.to_json() for item in self.facts},
            "frameworks": {item.name: item.to_json() for item in self.frameworks},
            "packages": [package.to_json() for package in self.packages],
            "unfollowed": [{"line": line, "file": name, "reason": reason} for line, name, reason in self.unfollowed],
            "ships": self.ships,
            "suggestions": [s.to_json() for s in self.suggestions],
            "pythons": self.pythons,
        }


@dataclass
class FileStack:
    path: str
    stages: list[StageStack]
    target: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "target": self.target, "stages": [s.to_json() for s in self.stages]}


# --------------------------------------------------------------------------- facts


def _from_fact(name: str, fact: Fact | None, line: int | None, show=str) -> Item | None:
    if fact is None:
        return None
    value = fact.value
    return Item(name, None if value is None else show(value), fact.source, fact.verified, line)


def _present(value: Any, yes: str = "yes") -> str:
    """True/False facts read "yes"/"none"; a version is shown as is."""
    if value is True:
        return yes
    if value is False:
        return "none"
    return str(value)


def _cudnn(value: Any) -> str:
    return _present(value, "yes (version unknown)")


def _os(value: tuple[str, str]) -> str:
    distro, release = value
    return f"{distro.capitalize()} {release}"


def _images() -> dict:
    return knowledge.table("images")


def _unknown_reason(env: Environment, name: str) -> tuple[str | None, str]:
    """(value, source) for a fact the environment leaves empty: "none" where the image is known to lack
    it, else unknown with the reason."""
    kind = env.kind
    cuda_table = _images().get("nvidia_cuda") or {}
    if name == "python" and kind == "cuda" and cuda_table.get("ships_python") is False:
        return "none", "nvidia/cuda images ship no python3 (knowledge: nvidia_cuda.ships_python)"
    if name == "os" and kind == "python" and env.image is not None:
        return None, (f"the tag python:{env.image.tag or 'latest'} names no Debian release "
                      "(such tags move to the newest one)")
    if kind in ("python", "os") and name in ("cuda", "flavour", "cudnn", "nccl", "nvcc"):
        return "none", f"{env.describe_image()} is not a CUDA image"
    if env.image is None:
        return None, "the base image is not known"
    if name in ("flavour",) and kind in ("tensorflow", "ngc"):
        return None, "not named by the tag"
    return None, f"not known for {env.describe_image()}"


def _image_rows(env: Environment, raw: dict[str, Fact | None], changes: dict[str, int]) -> None:
    """Facts of a prebuilt framework image that the stage environment does not carry (they are unverified
    or per-tag, so rules never read them): TensorFlow images' Python, OS and cuDNN, a pytorch/pytorch
    tag's Python as recorded for that tag."""
    prebuilt = _images().get("prebuilt_images") or {}
    if env.kind == "tensorflow" and env.gpu:
        version = (env.frameworks.get("tensorflow") or Fact(None, "")).value
        row = next((r for r in (prebuilt.get("tensorflow_tensorflow") or {}).get("releases") or ()
                    if version and str(r.get("tensorflow")) == str(version)), None)
        source = _basis(row, f"tensorflow/tensorflow:{version}-gpu")
        if row and row.get("python") and raw["python"] is None:
            raw["python"] = Fact(str(row["python"]), source, not knowledge.is_unverified(row, "python"))
        if row and row.get("os") and raw["os"] is None and "os" not in changes:
            distro, _, release = str(row["os"]).partition(" ")
            raw["os"] = Fact((distro, release), source, not knowledge.is_unverified(row, "os"))
        tested = _tf_tested(str(version)) if version else None
        if tested and tested.get("cudnn") and raw["cudnn"] is not None and raw["cudnn"].value is True \
                and "cudnn" not in changes:
            raw["cudnn"] = Fact(str(tested["cudnn"]), f"TensorFlow {version}'s tested build; the image installs "
                                "cuDNN", verified=False)
    elif env.kind == "pytorch" and env.image is not None and env.cuda is not None and "python" not in changes:
        version = (env.frameworks.get("torch") or Fact(None, "")).value
        row = next((r for r in (prebuilt.get("pytorch_pytorch") or {}).get("releases") or ()
                    if version and str(r.get("torch")) == str(version)), None)
        python = ((row or {}).get("python") or {}).get(str(env.cuda.value))
        if python:
            raw["python"] = Fact(str(python), _basis(row, env.image.reference),
                                 not knowledge.is_unverified(row, "python"))


_BASIS = {"third-party": "a third-party record of {image}", "inferred": "inferred from how {image} is built"}


def _basis(row: dict | None, image: str) -> str:
    """The prose for a prebuilt image row's ``python_basis``."""
    basis = (row or {}).get("python_basis")
    return _BASIS.get(basis, "the knowledge base's row for {image}").format(image=image)


def _installed_python(env: Environment):
    """The CPython the stage is built to run: the last one its instructions install that is not the OS's own
    python3 (deadsnakes, uv, conda, pyenv: installed to be used, through a venv, PATH or
    update-alternatives), else the last one installed."""
    chosen = [p for p in env.pythons if not p.distro_default]
    return chosen[-1] if chosen else (env.pythons[-1] if env.pythons else None)



def _tf_tested(version: str) -> dict | None:
    releases = (knowledge.table("frameworks").get("tensorflow") or {}).get("releases") or {}
    minor = ".".join(version.split(".")[:2])
    return next((row for key, row in releases.items() if ".".join(key.split(".")[:2]) == minor), None)


def _facts(stage: "Stage", env: Environment, changes: dict[str, int]) -> list[Item]:
    items = []
    raw = {
        "os": Fact(env.os, env.os_source or "the tag") if env.os else None,
        "python": env.python,
        "cuda": env.cuda,
        "flavour": Fact(env.flavour, f"the tag {env.image.tag}" if env.image else "the tag") if env.flavour else None,
        "cudnn": env.cudnn,
        "nccl": env.nccl,
        "nvcc": env.nvcc,
    }
    _image_rows(env, raw, changes)
    installed = _installed_python(env)
    if installed is not None and (raw["python"] is None or raw["python"].value is None
                                  or not installed.distro_default):
        raw["python"] = Fact(installed.version, installed.source)
        changes = {**changes, "python": installed.line} if installed.instruction.stage is stage \
            else {k: v for k, v in changes.items() if k != "python"}
    if env.kind == "cuda" and raw["cudnn"] is not None and raw["cudnn"].value is False and "cudnn" not in changes:
        raw["cudnn"] = Fact(False, f"{raw['cudnn'].source} (no -cudnn part)")
    shows = {"os": _os, "cudnn": _cudnn, "nccl": _present, "nvcc": _present}
    for name in FACTS:
        item = _from_fact(name, raw[name], changes.get(name), shows.get(name, str))
        if item is None:
            value, source = _unknown_reason(env, name)
            item = Item(name, value, source)
        items.append(item)
    return items



def _frameworks(stage: "Stage", env: Environment, changes: dict[str, int]) -> list[Item]:
    """What the base image ships: the environment's frameworks, then what the shipping/pin model knows of the
    image (mllint.resolution: framework image rows, a third-party tag that names its torch, unverified)."""
    from mllint.resolution import shipped_frameworks

    items = []
    for name, fact in env.frameworks.items():
        source = fact.source if fact.value is not None else f"{fact.source} (the version is not in the tag)"
        items.append(Item(name, None if fact.value is None else str(fact.value), source, fact.verified,
                          changes.get(f"framework:{name}")))
    for name, shipped in shipped_frameworks(stage).items():
        if name not in env.frameworks:
            source = f"the image {shipped.source}" + ("" if shipped.version else " (the version is not known)")
            items.append(Item(name, shipped.version, source, shipped.verified))
    return items


def _snapshot(env: Environment) -> dict[str, Any]:
    return {"os": env.os, "python": env.python, "cuda": env.cuda, "flavour": env.flavour, "cudnn": env.cudnn,
            "nccl": env.nccl, "nvcc": env.nvcc,
            **{f"framework:{name}": fact for name, fact in env.frameworks.items()}}


def _changes(stage: "Stage") -> dict[str, int]:
    """Which fact each of the stage's own instructions last changed: name -> line."""
    changes: dict[str, int] = {}
    before = _snapshot(_start(stage))
    for instruction in stage.instructions:
        if instruction.keyword not in ("ENV", "RUN"):
            continue
        after = _snapshot(environment(stage, after=instruction))
        for name, value in after.items():
            if before.get(name) != value:
                changes[name] = instruction.start_line
        before = after
    return changes


def _start(stage: "Stage") -> Environment:
    """The environment the stage starts from (its parent stage's, or its base image's)."""
    if stage.instructions:
        return environment(stage, stage.instructions[0])
    return environment(stage)


# --------------------------------------------------------------------------- packages


def _replaces(frameworks: dict[str, Fact], name: str, version: str | None) -> str | None:
    fact = frameworks.get(name)
    if fact is None:
        return None
    shipped = f"{name} {fact.value}" if fact.value else name
    if version and fact.value and str(fact.value) == version:
        return None
    return f"{shipped} of the base image"


def _package(stage: "Stage", install: "Install", requirement, frameworks: dict[str, Fact]) -> Package | None:
    name = resolve(install, requirement).name  # python${PYTHON_VERSION} -> python3.10
    if not name:
        return None
    origin = getattr(install.instruction, "origin", None)
    path = origin.path if origin is not None else ""
    line, column = (origin.line, origin.column) if origin is not None else (install.line, install.column)
    run_line = install.instruction.declared_by.start_line if origin is not None else None
    resolved = resolve(install, requirement)
    found = target(install, resolved)
    version = resolved.exact_version
    location = resolved.url or resolved.path or (requirement.raw if requirement.editable else None)
    package = Package(path, line, column, install.manager, install.action, name, version,
                      resolved.specifier if not version else "", requirement.raw, run_line=run_line,
                      location=location)
    if found is not None:
        package = _with_target(package, found)
    if install.manager in ("pip", "uv", "conda") and install.action in ("install", "sync", "add", "create"):
        canonical = "torch" if name == "pytorch" and install.manager == "conda" else name
        package = _with_replaces(package, _replaces(frameworks, canonical, version))
    return package


def _with_target(package: Package, found) -> Package:
    from dataclasses import replace

    return replace(package, cuda=found.cuda, cpu_only=found.cpu_only, bundles=found.bundles, needs=found.needs,
                   evidence=found.evidence, verified=found.verified)


def _with_replaces(package: Package, replaces: str | None) -> Package:
    from dataclasses import replace

    return replace(package, replaces=replaces) if replaces else package


def _packages(stage: "Stage") -> tuple[list[Package], list[tuple[int, str, str]]]:
    from mllint.depfiles import unchecked, with_declared

    packages: list[Package] = []
    for install in with_declared(stage.installs):
        if install.manager in ("apt", "yum", "apk"):
            if not install.record.installs_packages and install.action != "remove":
                continue
            requirements = [r for r in install.requirements if _STACK_OS_PACKAGE.match(resolve(install, r).name or "")]
        elif install.record.installs_packages or install.action in ("uninstall", "remove"):
            requirements = list(install.requirements)
        else:
            continue
        if not requirements:
            continue
        instruction = getattr(install.instruction, "declared_by", None) or install.instruction
        frameworks = environment(stage, instruction).frameworks
        for requirement in requirements:
            if install.manager in ("pip", "uv") and requirement.path and not requirement.name:
                continue
            package = _package(stage, install, requirement, frameworks)
            if package is not None:
                packages.append(package)
    own = {id(instruction) for instruction in stage.instructions}
    unfollowed = [(entry.line, entry.file, f"not read: {entry.reason}") for entry in unchecked(stage.dockerfile)
                  if id(getattr(entry.instruction, "declared_by", None) or entry.instruction) in own]
    unfollowed += _unnamed_installs(stage, {line for line, _, _ in unfollowed})
    return packages, sorted(unfollowed)


def _unnamed_installs(stage: "Stage", reported: set[int]) -> list[tuple[int, str, str]]:
    """Installs that name no package and read no file mllint followed (`uv sync`, `pip install .` of a
    project outside the context, `conda env update`): what they add is not known."""
    from mllint.depfiles import KEY

    deps = stage.dockerfile.facts.get(KEY)
    followed = set(deps.declared) if deps else set()
    found = []
    for install in stage.installs:
        record = install.record
        if install.manager not in ("pip", "uv", "conda") or not record.installs_packages or record.requirements:
            continue
        if id(record) in followed or install.line in reported:
            continue
        words = " ".join(record.command.argv[:4]) + (" ..." if len(record.command.argv) > 4 else "")
        found.append((install.line, words, "installs packages that files mllint did not read declare"))
    return found


# --------------------------------------------------------------------------- shipping


def _ships(stage: "Stage") -> dict[str, Any] | None:
    """What of the stage reaches an image (the shipping model, when the Dockerfile model has one)."""
    shipping = getattr(stage, "shipping", None)
    if shipping is None:
        return None
    targets = [t.name or str(t.index) for t in getattr(shipping, "targets", ())]
    return {"kind": shipping.kind, "paths": list(getattr(shipping, "paths", ())), "targets": targets}


# --------------------------------------------------------------------------- the view


def stage_stack(stage: "Stage") -> StageStack:
    env = environment(stage)
    changes = _changes(stage)
    packages, unfollowed = _packages(stage)
    if stage.parent is not None and stage.parent is not stage:
        image, parent, note = None, stage.parent.name or str(stage.parent.index), ""
    elif stage.image is not None:
        image, parent, note = stage.image.reference, None, ""
    else:
        image, parent = None, None
        note = "a variable in the image name has no value" if not stage.base.resolved else "not an image name"
    return StageStack(stage, stage.index, stage.name, stage.from_instruction.start_line, stage.base_text, image,
                      parent, note, _facts(stage, env, changes), _frameworks(stage, env, changes), packages, unfollowed,
                      _ships(stage), environment=env,
                      pythons=[{"version": p.version, "how": p.how, "line": p.line, "source": p.source,
                                "distro_default": p.distro_default} for p in env.pythons])


def build(dockerfile: "Dockerfile", path: str) -> FileStack:
    """The stack view of every stage, in build order."""
    return FileStack(path, [stage_stack(stage) for stage in dockerfile.stages], getattr(dockerfile, "target", None))


def install_at(dockerfile: "Dockerfile", line: int) -> list[Package]:
    """The packages an instruction covering ``line`` installs (for the language server's hover)."""
    for stage in dockerfile.stages:
        for instruction in stage.instructions:
            if instruction.start_line <= line <= instruction.end_line and instruction.installs:
                packages, _ = _packages_of(stage, instruction)
                return packages
    return []


def _packages_of(stage: "Stage", instruction: "Instruction") -> tuple[list[Package], list]:
    packages, unfollowed = _packages(stage)
    lines = range(instruction.start_line, instruction.end_line + 1)
    return [p for p in packages if (p.run_line or p.line) in lines and (p.run_line or not p.path)], unfollowed


def parse_with_files(text: str, path: str, reader=None, build_context: str | None = None,
                     build_args: dict[str, str] | None = None, target: str | None = None) -> "Dockerfile":
    """The Dockerfile model with its dependency files attached, as the linter builds it.

    Raises ``DockerfileSyntaxError`` like :func:`mllint.dockerfile.parse`."""
    from mllint.depfiles import attach
    from mllint.dockerfile import parse
    from mllint.reader import context_for

    parsed = parse(text, build_args, target)
    if reader is not None:
        attach(parsed, context_for(reader, path, build_context), path)
    return parsed

