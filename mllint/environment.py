"""What a build stage contains: CUDA, its flavour, cuDNN, OS, Python, preinstalled frameworks.

Facts start from the base image reference (decoded with the knowledge base,
through ``FROM <earlier stage>`` chains) and are then updated by what the
stage's instructions do: ``ENV CUDA_VERSION``, ``apt-get install python3``,
``cuda-toolkit-*``, ``libcudnn*``. Every fact says where it came from and
whether the knowledge behind it is verified, so a rule can word its message
and cap its severity accordingly.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from typing import Any

from mllint import knowledge
from mllint.dockerfile import Instruction, Stage
from mllint.images import ImageRef

__all__ = ["Fact", "Environment", "PythonInstall", "environment", "image_environment"]


@dataclass(frozen=True)
class Fact:
    """A value with where it came from and whether its source is verified (unverified facts cap findings at info)."""

    value: Any
    source: str  # where it came from, for messages: "the tag 11.8.0-base-ubuntu20.04"
    verified: bool = True


@dataclass(frozen=True)
class PythonInstall:
    """A CPython the stage's instructions put into the image (apt, deadsnakes, conda, uv, pyenv)."""

    version: str  # the minor, "3.10"
    how: str  # apt | deadsnakes | conda | uv | pyenv
    source: str  # for messages: "`apt-get install python3.10`"
    instruction: Instruction = field(repr=False, compare=False)
    line: int
    column: int
    distro_default: bool = False  # the OS release's own python3 (its maintainers backport fixes)
    word: str = ""  # the package argument that brought it (`python3.10`), to point at its line


@dataclass
class Environment:
    """What a stage contains at one point: CUDA, flavour, cuDNN, OS, Python, preinstalled frameworks."""

    image: ImageRef | None = None
    kind: str = "unknown"  # cuda | pytorch | tensorflow | ngc | python | os | unknown
    cuda: Fact | None = None  # CUDA toolkit version in the image, "11.8.0" / "12.1"
    flavour: str | None = None  # base | runtime | devel (nvidia/cuda and pytorch/pytorch)
    cudnn: Fact | None = None  # True/False, or a major version string "8"
    math_libs: Fact | None = None
    nccl: Fact | None = None  # True/False: NCCL in the image (the nvidia/cuda flavour, an apt libnccl2)
    nvcc: Fact | None = None
    os: tuple[str, str] | None = None  # ("ubuntu", "20.04")
    os_source: str = ""  # where ``os`` comes from, for messages and `mllint stack`
    python: Fact | None = None  # the python3 the stage's pip runs with, "3.8"
    frameworks: dict[str, Fact] = field(default_factory=dict)  # preinstalled by the image: torch -> 2.5.1
    gpu: bool = False  # built for GPUs (CUDA image, -gpu tag, NGC)
    pythons: list[PythonInstall] = field(default_factory=list)  # every CPython the instructions install

    @property
    def cuda_major(self) -> str | None:
        return str(self.cuda.value).split(".")[0] if self.cuda else None

    def describe_image(self) -> str:
        return self.image.reference if self.image else "the base image"


# ---------------------------------------------------------------------------
# Decoding base images
# ---------------------------------------------------------------------------

def _images() -> dict:
    return knowledge.table("images")


def _os_python3(distro: str, version_or_codename: str) -> str | None:
    for row in _images().get("os_python3") or ():
        if row.get("distro") == distro and version_or_codename in (row.get("version"), row.get("codename")):
            return row.get("python3")
    return None


def _os_release(distro: str, version_or_codename: str) -> tuple[str, str] | None:
    for table in ("os_python3", "os_releases"):
        for row in _images().get(table) or ():
            if row.get("distro") == distro and version_or_codename in (row.get("version"), row.get("codename")):
                return distro, str(row["version"])
    return None


def _decode_nvidia_cuda(env: Environment, tag: str) -> None:
    table = _images().get("nvidia_cuda") or {}
    match = re.match(table["tag_grammar"]["regex"], tag)
    env.kind, env.gpu = "cuda", True
    if not match:
        return
    source = f"the tag {tag}"
    env.cuda = Fact(match.group("cuda"), source)
    env.flavour = match.group("flavour")
    parts = (table.get("flavours") or {}).get(env.flavour) or {}
    cudnn = match.group("cudnn")
    env.cudnn = Fact(cudnn[5:] or True, source) if cudnn else Fact(False, source)
    env.math_libs = Fact(bool(parts.get("math_libs")), f"the {env.flavour} flavour")
    env.nccl = Fact(bool(parts.get("nccl")), f"the {env.flavour} flavour")
    env.nvcc = Fact(bool(parts.get("nvcc")), f"the {env.flavour} flavour")
    os_match = re.match(r"([a-z]+)(\d+(?:\.\d+)?)$", match.group("os"))
    if os_match:
        env.os = (os_match.group(1), os_match.group(2))
        env.os_source = source


def _decode_pytorch(env: Environment, tag: str) -> None:
    table = _images().get("pytorch_pytorch") or {}
    grammar = table.get("tag_grammar") or {}
    env.kind = "pytorch"
    unverified = table.get("unverified") or []
    if table.get("python_in_image"):
        env.python = Fact(str(table["python_in_image"]), "the pytorch/pytorch image build default",
                          verified="python_in_image" not in unverified)
    match = re.match(grammar.get("gpu_regex", "$^"), tag)
    if match:
        source = f"the tag {tag}"
        env.gpu = True
        env.cuda = Fact(match.group("cuda"), source)
        env.cudnn = Fact(match.group("cudnn"), source)
        env.flavour = match.group("flavour")
        env.math_libs = Fact(True, source)
        env.nvcc = Fact(env.flavour == "devel", f"the {env.flavour} flavour",
                        verified="devel_has_nvcc" not in unverified)
        env.frameworks["torch"] = Fact(match.group("torch"), source)
        return
    match = re.match(grammar.get("cpu_regex", "$^"), tag)
    if match:
        env.frameworks["torch"] = Fact(match.group("torch"), f"the tag {tag}")
    else:
        env.frameworks["torch"] = Fact(None, f"the tag {tag}")


def _tf_release(version: str) -> dict | None:
    releases = (knowledge.table("frameworks").get("tensorflow") or {}).get("releases") or {}
    minor = ".".join(version.split(".")[:2])
    for key, row in releases.items():
        if ".".join(key.split(".")[:2]) == minor:
            return row
    return None


def _decode_tensorflow(env: Environment, tag: str) -> None:
    table = _images().get("tensorflow_tensorflow") or {}
    env.kind = "tensorflow"
    match = re.match((table.get("tag_grammar") or {}).get("regex", "$^"), tag)
    if not match:
        env.frameworks["tensorflow"] = Fact(None, f"the tag {tag}")
        return
    base = match.group("base")
    version = base if base[0].isdigit() else None
    env.frameworks["tensorflow"] = Fact(version, f"the tag {tag}")
    if match.group("gpu"):
        env.gpu = True
        env.cudnn = Fact(True, "the TensorFlow GPU image installs cuDNN")
        if version and (row := _tf_release(version)):
            # The tag does not name its CUDA; the tested build of that release is the expectation.
            env.cuda = Fact(str(row["cuda"]), f"TensorFlow {version}'s tested build", verified=False)


def _decode_ngc(env: Environment, image: ImageRef) -> None:
    ngc = _images().get("ngc") or {}
    env.kind, env.gpu = "ngc", True
    framework = None
    for row in ngc.get("framework_repositories") or ():
        if row.get("repository") == image.name:
            framework = row.get("framework")
    if not framework:
        return
    env.frameworks[framework] = Fact(None, f"the NGC image {image.reference}")
    if framework != "torch" or not image.tag:
        return
    table = ngc.get("pytorch") or {}
    match = re.match(table.get("tag_regex", "$^"), image.tag)
    row = ((table.get("releases") or {}).get(match.group("release")) if match else None) or {}
    source = f"NGC PyTorch {match.group('release')} release notes" if match else ""
    if row.get("pytorch"):
        env.frameworks["torch"] = Fact(row["pytorch"], source, not knowledge.is_unverified(row, "pytorch"))
    if row.get("cuda"):
        env.cuda = Fact(str(row["cuda"]), source, not knowledge.is_unverified(row, "cuda"))
    if row.get("python"):
        env.python = Fact(".".join(str(row["python"]).split(".")[:2]), source, not knowledge.is_unverified(row, "python"))


def _decode_python(env: Environment, tag: str | None) -> None:
    env.kind = "python"
    grammar = ((_images().get("python") or {}).get("tag_grammar") or {})
    match = re.match(grammar.get("regex", "$^"), tag or "latest")
    if not match:
        return
    version = match.group("python")
    if version and version.count(".") >= 1:
        env.python = Fact(".".join(version.split(".")[:2]), f"the tag python:{tag}")
    codename = match.group("os")
    if codename:
        env.os = _os_release("debian", codename) or env.os
        env.os_source = f"the tag python:{tag}" if env.os else ""


def image_environment(image: ImageRef | None) -> Environment:
    """Facts about a base image, from its reference alone."""
    env = Environment(image=image)
    if image is None:
        return env
    name, tag = image.name, image.tag or ""
    cuda_repos = (_images().get("nvidia_cuda") or {}).get("repositories") or ()
    if name in cuda_repos:
        _decode_nvidia_cuda(env, tag)
    elif name == (_images().get("pytorch_pytorch") or {}).get("repository"):
        _decode_pytorch(env, tag)
    elif name == (_images().get("tensorflow_tensorflow") or {}).get("repository"):
        _decode_tensorflow(env, tag)
    elif image.registry == "nvcr.io" and image.repository.startswith("nvidia/"):
        _decode_ngc(env, image)
    elif name == "docker.io/library/python":
        _decode_python(env, image.tag)
    elif name in ("docker.io/library/ubuntu", "docker.io/library/debian"):
        env.kind = "os"
        distro = image.repository.split("/")[-1]
        release = (tag or "").split("-")[0]
        env.os = _os_release(distro, release)
        env.os_source = f"the tag {image.reference}" if env.os else ""
    return env


# ---------------------------------------------------------------------------
# Updates from instructions
# ---------------------------------------------------------------------------

_APT_PYTHON = re.compile(r"^python(3(?:\.\d+)?)(?:-dev|-venv|-pip|-full|-minimal)?$")
_CUDA_TOOLKIT = re.compile(r"^cuda-(?:toolkit|nvcc|compiler)-(\d+)[-.](\d+)$")
_CUDA_LIBS = re.compile(r"^(?:cuda-libraries(?:-dev)?-\d+[-.]\d+|libcublas.*)$")
_NCCL = re.compile(r"^libnccl(?:2|-dev)$")
_CUDNN = re.compile(r"^(?:libcudnn(\d+)(?:-dev)?(?:-cuda-\d+)?|cudnn(\d*)(?:-cuda-\d+)?)$")


def _apply_instruction(env: Environment, instruction: Instruction, deadsnakes: bool) -> None:
    """``deadsnakes``: an earlier RUN of the stage (or its parents) added the deadsnakes PPA."""
    if instruction.keyword == "ENV":
        value = instruction.assigned.get("CUDA_VERSION")
        if value and env.cuda is None and re.match(r"^\d+\.\d+(\.\d+)?$", value):
            env.cuda = Fact(value, "ENV CUDA_VERSION")
            env.gpu = True
        return
    if instruction.keyword == "RUN":
        _record_pythons(env, instruction, deadsnakes)
    for install in instruction.installs:
        if install.manager not in ("apt", "yum") or install.action != "install":
            continue
        for requirement in install.requirements:
            name = (_resolved(install, requirement).name or "").lower()  # python${PYTHON_VERSION}
            python = _APT_PYTHON.match(name)
            if python:
                version = python.group(1)
                if version == "3" and env.os:
                    version = _os_python3(*env.os) or ""
                if version and "." in version and (env.python is None or env.kind != "python"):
                    source = f"`{install.tool} install {name}`" + (f" on {env.os[0]} {env.os[1]}" if env.os else "")
                    if env.python is None or python.group(1) == "3" and env.python.value != version:
                        env.python = Fact(version, source)
                continue
            toolkit = _CUDA_TOOLKIT.match(name)
            if toolkit:
                env.nvcc = Fact(True, f"`{install.tool} install {name}`")
                if env.cuda is None:
                    env.cuda = Fact(f"{toolkit.group(1)}.{toolkit.group(2)}", f"`{install.tool} install {name}`")
                env.math_libs = Fact(True, f"`{install.tool} install {name}`")
                env.gpu = True
            elif _CUDA_LIBS.match(name):
                env.math_libs = Fact(True, f"`{install.tool} install {name}`")
            elif cudnn := _CUDNN.match(name):
                env.cudnn = Fact(cudnn.group(1) or cudnn.group(2) or True, f"`{install.tool} install {name}`")
            elif _NCCL.match(name):
                env.nccl = Fact(True, f"`{install.tool} install {name}`")


# --------------------------------------------------------------------------- installed Pythons

_MINOR = re.compile(r"^(?:c?python-?)?(3\.\d+)(?:\.\d+)?$")
_SPEC_MINOR = re.compile(r"^(?:==|=)?\s*(3\.\d+)(?:\.[\d*]+)?$")


def _minor(text: str | None) -> str | None:
    match = _MINOR.match((text or "").strip().lower())
    return match.group(1) if match else None


def _record_pythons(env: Environment, instruction: Instruction, deadsnakes: bool) -> None:
    """The CPythons a RUN installs, in order (apt/deadsnakes, conda, `uv python install`/`uv venv`, pyenv)."""
    installs = {id(install.record.command): install for install in instruction.installs}
    for placed in instruction.commands:
        argv = placed.command.argv
        if "deadsnakes" in " ".join(argv):
            deadsnakes = True
        install = installs.get(id(placed.command))
        if install is not None:
            _python_from_install(env, instruction, install, deadsnakes)
            continue
        if argv and argv[0].rsplit("/", 1)[-1] == "pyenv" and len(argv) > 2 and argv[1] == "install":
            for word in argv[2:]:
                version = _minor(instruction.expand(word, install.env if install else None).value)
                if version:
                    _add_python(env, PythonInstall(version, "pyenv", f"`pyenv install {word}`", instruction,
                                                     placed.line, placed.column))


def _add_python(env: Environment, found: PythonInstall) -> None:
    if not any(p.version == found.version and p.instruction is found.instruction for p in env.pythons):
        env.pythons.append(found)


def _python_from_install(env: Environment, instruction: Instruction, install, deadsnakes: bool) -> None:
    record = install.record
    where = (instruction, install.line, install.column)
    if install.manager in ("apt", "yum") and install.action == "install":
        for requirement in record.requirements:
            requirement = _resolved(install, requirement)
            name = (requirement.name or "").lower()
            match = _APT_PYTHON.match(name)
            if not match:
                continue
            version = match.group(1)
            default = _os_python3(*env.os) if env.os else None
            if version == "3":
                version = default
                if not version:
                    continue
            how = "deadsnakes" if deadsnakes and version != default else "apt"
            source = f"`{install.tool} install {name}`" + (f" on {env.os[0]} {env.os[1]}" if env.os else "")
            source += " (deadsnakes PPA)" if how == "deadsnakes" else ""
            _add_python(env, PythonInstall(version, how, source, *where, distro_default=version == default,
                                           word=requirement.raw))
    elif install.manager == "conda" and install.action in ("install", "create"):
        for requirement in record.requirements:
            if requirement.name != "python":
                continue
            match = _SPEC_MINOR.match(requirement.exact_version or requirement.specifier or "")
            if match:
                _add_python(env, PythonInstall(match.group(1), "conda", f"`{install.tool} {install.action} "
                                                 f"{requirement.raw.strip()}`", *where))
    elif install.manager == "uv" and install.action in ("venv", "python-install"):
        if install.action == "venv":
            values = [record.option("--python")]
        else:
            argv = list(record.command.argv)
            values = argv[argv.index("install") + 1:] if "install" in argv else []
        for value in values:
            if not value or value.startswith("-"):
                continue
            expanded = instruction.expand(value, install.env).value
            version = _minor(expanded)
            if version:
                verb = "uv venv --python" if install.action == "venv" else "uv python install"
                _add_python(env, PythonInstall(version, "uv", f"`{verb} {expanded}`", *where))


def _resolved(install, requirement):
    """The requirement with ARG/ENV values substituted where they are known (mllint.targets.resolve)."""
    from mllint.targets import resolve

    return resolve(install, requirement)


@dataclass
class _Timeline:
    """A stage's environment through its instructions, computed in one pass: ``states[k]`` is in force
    from instruction ``starts[k]`` on (few instructions change it, so few states are kept)."""

    starts: list[int]
    states: list[Environment]
    index: dict[int, int]  # id(instruction) -> its position in the stage
    deadsnakes: bool  # some RUN of the stage or its parents adds the deadsnakes PPA


def _timeline(stage: Stage) -> _Timeline:
    cache = stage.dockerfile.facts.setdefault("environment", {})
    if stage.index in cache:
        return cache[stage.index]
    pending, current = [], stage  # parents first, without recursion (chains of FROM <stage> can be long)
    while current is not None and current.index not in cache and current not in pending:
        pending.append(current)
        current = current.parent
    for member in reversed(pending):
        parent = cache.get(member.parent.index) if member.parent is not None else None
        env = _copy(parent.states[-1]) if parent is not None else image_environment(member.image)
        deadsnakes = parent.deadsnakes if parent is not None else False
        timeline = _Timeline([0], [env], {}, deadsnakes)
        for position, instruction in enumerate(member.instructions):
            timeline.index[id(instruction)] = position
            changed = _copy(env)
            _apply_instruction(changed, instruction, timeline.deadsnakes)
            if instruction.keyword == "RUN" and "deadsnakes" in instruction.value:
                timeline.deadsnakes = True
            if changed != env:
                env = changed
                timeline.starts.append(position + 1)
                timeline.states.append(env)
        cache[member.index] = timeline
    return cache[stage.index]


def environment(stage: Stage, before: Instruction | None = None, after: Instruction | None = None) -> Environment:
    """The stage's environment after its instructions, or just before ``before``, or just after ``after``
    (a dependency file's line stands for its RUN). Shared between callers: do not modify it."""
    timeline = _timeline(stage)
    position = len(stage.instructions)
    for instruction, shift in ((before, 0), (after, 1)):
        instruction = getattr(instruction, "declared_by", None) or instruction
        if instruction is not None and id(instruction) in timeline.index:
            position = timeline.index[id(instruction)] + shift
    return timeline.states[bisect_right(timeline.starts, position) - 1]


def _copy(env: Environment) -> Environment:
    return replace(env, frameworks=dict(env.frameworks), pythons=list(env.pythons))
