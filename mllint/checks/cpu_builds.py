"""ML005 beyond the CPU indexes: which build of a framework really ends up in the image.

* Frameworks published as a CPU and a GPU distribution that install one import package
  (``onnxruntime`` / ``onnxruntime-gpu``, ``paddlepaddle`` / ``paddlepaddle-gpu``): with both in one
  environment the one installed last overwrites the other's files, so a CPU build installed after the GPU
  build leaves nothing that uses the GPU.
* The CPU build alone, where it is plainly the only framework of a plain CUDA image.
* The reverse: a CUDA build of torch pulled into an image the Dockerfile itself declares CPU-only (its file
  name, a stage name, the base image's tag, or ``tensorflow-cpu`` beside it) -- never merely because the base
  is ``python:*``, as PyPI torch on a Python image is how GPU images are often built.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from mllint import knowledge
from mllint.checks.cuda import family, family_installs, other_gpu_framework
from mllint.checks.python_support import command_changes_python, explicit_python
from mllint.context import CheckContext
from mllint.depfiles import origin_of, with_declared
from mllint.dockerfile import Install, Instruction, Stage
from mllint.environment import environment, image_environment
from mllint.memo import per_stage
from mllint.resolution import forced, keeps_installed
from mllint.rule import Hit, Severity
from mllint.targets import TORCH_FAMILY, index_urls, pypi_like, resolve, target

# --------------------------------------------------------------------------- shared

_PYTHON_MANAGERS = ("pip", "uv")
# Variables that point pip/uv at another environment: after one is set, earlier installs may live elsewhere.
_ENV_SWITCH_VARS = frozenset({"PATH", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "PYTHONUSERBASE",
                              "UV_PROJECT_ENVIRONMENT", "UV_PYTHON", "PIP_TARGET", "PIP_PREFIX"})
_TARGET_OPTIONS = frozenset({"--target", "--prefix", "--root", "--python", "--user"})


def _pairs() -> list[dict]:
    return [row for row in knowledge.table("frameworks").get("cpu_gpu_packages") or () if row.get("cpu")]


def _names(install: Install) -> list[tuple[str, object]]:
    """(normalised name, requirement) of each package argument, variables expanded where known.

    A requirement with an environment marker is left out: ``onnxruntime; platform_machine == "aarch64"``
    beside ``onnxruntime-gpu; platform_machine == "x86_64"`` installs one of them, not both.
    """
    found = []
    for requirement in install.requirements:
        resolved = resolve(install, requirement)
        if resolved.name and not resolved.marker:
            found.append((resolved.name, resolved))
    return found


def _where(install: Install) -> tuple:
    """What tells two pip/uv installs apart as environments, as written (equal: same environment)."""
    record = install.record
    argv = record.command.argv
    tool = argv[0] if argv else ""
    directory = posixpath.dirname(tool) if tool.startswith("/") else ""
    options = tuple(sorted((key, value or "") for key, value in record.options if key in _TARGET_OPTIONS))
    uv_project = install.manager == "uv" and not (
        record.system or (install.env.get("UV_SYSTEM_PYTHON") or "").strip().lower() in ("1", "true"))
    return directory, explicit_python(install), options, install.env.get("VIRTUAL_ENV") or "", uv_project


_DEFAULT_ENVIRONMENT = ("", None, (), "", False)  # plain `pip install` / `uv pip install --system`


def _run_of(install: Install) -> Instruction:
    """The RUN an install belongs to (a dependency file's requirement: the RUN that reads the file)."""
    return getattr(install.instruction, "declared_by", None) or install.instruction


def _line_of(install: Install) -> int:
    run = _run_of(install)
    return install.line if run is install.instruction else run.start_line


def _events(stage: Stage, segment: int) -> Iterator[tuple[Install, int]]:
    """The stage's own pip/uv installs in build order (dependency files after their RUN), each with its
    segment: ``segment`` counts what may switch the Python environment (a venv, conda, ``ENV PATH=``...)."""
    for instruction in stage.instructions:
        if instruction.keyword == "SHELL" or (
                instruction.keyword in ("ENV", "ARG") and _ENV_SWITCH_VARS & set(instruction.assigned)):
            segment += 1
            continue
        if instruction.keyword != "RUN":
            continue
        records = {id(install.record.command): install for install in instruction.installs}
        for placed in instruction.commands:
            install = records.get(id(placed.command))
            if install is None:
                if command_changes_python(placed.command.argv):
                    segment += 1
            elif install.manager in _PYTHON_MANAGERS:
                yield from ((each, segment) for each in with_declared([install]))
            elif install.manager == "conda":
                segment += 1  # conda may create or fill another environment
    yield None, segment  # where the stage ends


# --------------------------------------------------------------------------- CPU and GPU builds together

@dataclass
class _Present:
    """A CPU or GPU build present in an environment, and where it came from."""

    install: Install | None  # None: the base image ships it
    requirement: object | None
    verified: bool = True


def _image_gpu_builds(stage: Stage) -> dict[str, _Present]:
    """GPU builds the base image ships: an NGC framework image of one of the pairs (its GPU build)."""
    image = stage.base_image
    env = image_environment(image)
    if env.kind != "ngc" or image is None:
        return {}
    rows = (knowledge.table("images").get("ngc") or {}).get("framework_repositories") or ()
    row = next((r for r in rows if r.get("repository") == image.name), {})
    return {str(pair["gpu"]): _Present(None, None, verified=not knowledge.is_unverified(row))
            for pair in _pairs() if str(pair["cpu"]) in env.frameworks}


@dataclass
class _Holdings:
    """After a stage: the segment reached and what each environment holds, keyed by (segment, where)."""

    segment: int
    present: dict[tuple, dict[str, _Present]]
    hits: list[Hit]


def _together(stage: Stage) -> list[Hit]:
    """The stage's hits; parents are folded first and once each (a chain of stages stays linear)."""
    cache = stage.dockerfile.facts.setdefault(f"{__name__}.together", {})
    pending, current = [], stage
    while current is not None and current.index not in cache and current not in pending:
        pending.append(current)
        current = current.parent
    for member in reversed(pending):
        parent = cache.get(member.parent.index) if member.parent is not None else None
        if parent is None:
            held = _Holdings(0, {(0, _DEFAULT_ENVIRONMENT): _image_gpu_builds(member)}, [])
        else:
            held = _Holdings(parent.segment, {key: dict(value) for key, value in parent.present.items()}, [])
        cache[member.index] = _fold(member, held)
    return cache[stage.index].hits


def _fold(stage: Stage, held: _Holdings) -> _Holdings:
    pairs = {}
    for pair in _pairs():
        pairs[str(pair["cpu"])] = (pair, str(pair["gpu"]))
        pairs[str(pair["gpu"])] = (pair, str(pair["cpu"]))
    for install, segment in _events(stage, held.segment):
        held.segment = segment
        if install is None or not pairs:
            continue
        here = held.present.setdefault((segment, _where(install)), {})
        names = _names(install)
        if install.action in ("uninstall", "remove"):
            for name, _ in names:
                here.pop(name, None)
            continue
        if install.action not in ("install", "sync") or not install.installs_packages:
            continue
        if install.action == "sync":
            here.clear()  # `uv pip sync` / `pip-sync` leave exactly what they install
        wanted = {name: requirement for name, requirement in names if name in pairs}
        for name, requirement in wanted.items():
            pair, other = pairs[name]
            if other in wanted:  # both in one command: which is written last is up to the installer
                if name == pair["gpu"]:
                    held.hits.append(_same_command_hit(install, pair, requirement, wanted[other]))
                continue
            earlier = here.get(other)
            cpu_last = name == pair["cpu"]
            if earlier is not None and (cpu_last or not forced(install, name)):
                # (a forced reinstall of the GPU build over the CPU one is the usual repair: left alone)
                held.hits.append(_over_hit(install, pair, requirement, earlier, cpu_last=cpu_last))
        for name, requirement in wanted.items():
            here[name] = _Present(install, requirement)
    return held


def _shown(requirement) -> str:
    raw = getattr(requirement, "raw", "") or ""
    return raw if len(raw) <= 48 else raw[:45] + "..."


def _over_hit(install: Install, pair: dict, requirement, earlier: _Present, cpu_last: bool) -> Hit:
    package = f"`{pair['import_package']}`"
    if cpu_last:
        where = (f"the base image's {pair['gpu']}" if earlier.install is None
                 else f"the `{_shown(earlier.requirement)}` of line {_line_of(earlier.install)}")
        text = (f"`{_shown(requirement)}` is {pair['framework']}'s CPU build and overwrites {where}: "
                f"both install the {package} package, so at run time {pair['cpu_effect']}; install only "
                f"{pair['gpu_alone']}.")
        severity = None if earlier.verified else Severity.INFO
        return Hit(text, install.instruction, line=install.line, column=install.column, severity=severity,
                   fix=f"install only {pair['gpu']}")
    text = (f"`{_shown(requirement)}` goes in beside the `{_shown(earlier.requirement)}` of line "
            f"{_line_of(earlier.install)}: both install the {package} package, so "
            f"the GPU build works only while its files are the last written, and reinstalling or uninstalling "
            f"either breaks it; uninstall {pair['cpu']} first or install only {pair['gpu']}.")
    return Hit(text, install.instruction, line=install.line, column=install.column, severity=Severity.INFO,
               fix=f"install only {pair['gpu']}")


def _same_command_hit(install: Install, pair: dict, gpu, cpu) -> Hit:
    text = (f"`{_shown(cpu)}` and `{_shown(gpu)}` are installed together: both install the "
            f"`{pair['import_package']}` package, so whichever the installer writes last wins, and with the CPU "
            f"build {pair['cpu_effect']}; install only {pair['gpu_alone']}.")
    return Hit(text, install.instruction, line=install.line, column=install.column, severity=Severity.INFO,
               fix=f"install only {pair['gpu']}")


# --------------------------------------------------------------------------- the CPU build alone on a CUDA image

# GPU users beyond the frameworks cuda.py knows: next to one of them a CPU onnxruntime/paddle is likely a helper.
_GPU_USERS = re.compile(r"^(jax|jaxlib|jax-cuda.*|flax|ctranslate2|faster-whisper|whisperx|llama-cpp-python|vllm|"
                        r"sglang|xformers|bitsandbytes|flash-attn|tensorrt-llm|nvidia-.*|cuda-python|cuda-toolkit|"
                        r"cuda-bindings|numba|pycuda|deepspeed|transformer-engine.*|apex|mmcv.*|detectron2|"
                        r"auto-gptq|autoawq|exllamav2|onnxruntime-training)$")
# Text that shows the stage builds or configures CUDA code itself.
_CUDA_WORK = re.compile(r"(?i)cuda|\bgpu\b|\bnvcc\b|cmake")


@per_stage
def _uncertain(stage: Stage, gpu: str) -> bool:
    """Anything in the stage's family that may use the GPU besides a CPU package (whose GPU build is ``gpu``),
    or installs unknown things."""
    if other_gpu_framework(stage):
        return True
    for install in family_installs(stage):
        if not install.installs_packages:
            continue
        if install.manager == "conda":
            return True
        if install.manager not in _PYTHON_MANAGERS:
            continue
        if install.requirement_files or install.action == "sync":
            return True
        for requirement in install.requirements:
            name = resolve(install, requirement).name
            if name is None or requirement.url or requirement.path or requirement.vcs or requirement.editable:
                return True
            if name == gpu or _GPU_USERS.match(name):
                return True
    for member in family(stage):
        for instruction in member.instructions:
            if instruction.keyword != "FROM" and _CUDA_WORK.search(instruction.value or ""):
                return True
    return False


def _alone(stage: Stage) -> Iterator[Hit]:
    for pair in _pairs():
        for install in with_declared(stage.installs):
            if install.manager not in _PYTHON_MANAGERS or install.action != "install":
                continue
            found = [requirement for name, requirement in _names(install) if name == pair["cpu"]]
            if not found:
                continue
            env = environment(stage, before=install.instruction)
            if env.kind != "cuda" or not env.gpu or _uncertain(stage, str(pair["gpu"])):
                continue
            text = (f"`{_shown(found[0])}` is {pair['framework']}'s CPU build and the only framework this stage "
                    f"installs on the CUDA image {env.describe_image()}: at run time {pair['cpu_effect']}, with the "
                    f"GPU idle; install {pair['gpu']} built for the image's CUDA, or use a CPU base image.")
            yield Hit(text, install.instruction, line=install.line, column=install.column,
                      fix=f"install {pair['gpu']}")


# --------------------------------------------------------------------------- CUDA torch on a CPU-declared image

_OTHER_DEVICES = re.compile(r"^(gpu|gpus|cuda|cu\d{2,3}|rocm.*|xpu|npu|hpu|tpu|neuron|mps|nvidia|trt|tensorrt)$")
# Words that make "cpu" describe a CPU feature of a GPU setup rather than the device the image targets.
_CPU_FEATURES = frozenset({"offload", "offloading", "affinity", "pin", "pinning", "threads", "bind", "binding",
                           "count", "usage", "limit", "limits", "quota", "shares", "set", "pool", "bound",
                           "intensive", "heavy", "fallback"})
_ARM = re.compile(r"arm64|aarch64")
_CPU_INDEX = re.compile(r"download\.pytorch\.org/whl/(?:nightly/|test/)?cpu(?:/|$)")


def _tokens(text: str) -> set[str]:
    return {word for word in re.split(r"[^a-z0-9]+", (text or "").lower()) if word}


def _says_cpu(text: str) -> bool:
    words = _tokens(text)
    return "cpu" in words and not words & _CPU_FEATURES and not any(_OTHER_DEVICES.match(word) for word in words)


def _cpu_declaration(ctx: CheckContext, stage: Stage) -> str | None:
    """How the Dockerfile itself declares this stage's image CPU-only, in words, or None."""
    if ctx.path not in ("-", "") and not _gpu_stage_named(ctx.dockerfile):
        parts = ctx.path.replace("\\", "/").rstrip("/").split("/")
        for part in reversed(parts[-2:]):
            if _says_cpu(part):
                return f"its file name ({'/'.join(parts[-2:]) if part != parts[-1] else part})"
    for member in stage.lineage:
        if member.name and _says_cpu(member.name):
            return f"the stage name `{member.name}`"
    image = stage.base_image
    if image is not None and image.tag and _says_cpu(image.tag):
        return f"the base image tag {image.reference}"
    for install in family_installs(stage):
        if install.manager in _PYTHON_MANAGERS and install.installs_packages and any(
                name == "tensorflow-cpu" for name, _ in _names(install)):
            return "`tensorflow-cpu` beside it"
    return None


def _gpu_stage_named(dockerfile) -> bool:
    """A stage of the file is named for a GPU (then the file's own name does not declare it CPU-only)."""
    if "gpu_stage_named" not in dockerfile.facts:
        dockerfile.facts["gpu_stage_named"] = any(_tokens(s.name or "") & {"gpu", "cuda"} for s in dockerfile.stages)
    return dockerfile.facts["gpu_stage_named"]


def _arm_only(stage: Stage) -> bool:
    """Built for arm64, where PyPI's torch is not (always) the CUDA build."""
    root = stage.root
    written = f"{root.platform or ''} {root.base.value or ''}".lower()
    return bool(_ARM.search(written)) or (root.image is not None and root.image.repository.startswith(
        ("arm64v8/", "aarch64/")))


def _cuda_torch(install: Install, requirement) -> str | None:
    """Why a torch-family requirement installs a CUDA build (in words), or None when it does not or may not."""
    if requirement.url or requirement.path or requirement.vcs:
        return None
    found = target(install, requirement)
    if found is not None:
        if found.cpu_only or not found.cuda:
            return None
        return f"the CUDA {found.cuda} build ({found.evidence.replace(f' of {requirement.raw}', '')})"
    backend = (install.torch_backend or "").lower()
    urls = index_urls(install)
    if backend or any(_CPU_INDEX.search(url or "") for url in urls) or any(not pypi_like(url) for url in urls):
        return None  # uv picks the backend (`auto` is the CPU build on a GPU-less builder), or another index
    return "the CUDA build of PyPI's Linux x86_64 torch"


def _cuda_on_cpu(ctx: CheckContext, stage: Stage) -> Iterator[Hit]:
    declared = None
    torch_before = False
    for install in with_declared(stage.installs):
        origin = origin_of(install.instruction)
        if origin is not None and not origin.path.lower().endswith(".txt"):
            continue  # pyproject.toml / environment.yml: the project may route torch through its own sources
        if install.manager not in _PYTHON_MANAGERS or install.action != "install":
            continue
        family = [(name, requirement) for name, requirement in _names(install) if name in TORCH_FAMILY]
        if not family:
            continue
        names = {name for name, _ in family}
        if (torch_before or _torch_earlier(stage)) and keeps_installed(install, "torch"):
            continue  # torch is installed already: pip keeps it (a CPU build, or one reported where it came in)
        torch_before = torch_before or "torch" in names
        reasons = [(requirement, why) for _, requirement in family if (why := _cuda_torch(install, requirement))]
        if not reasons:
            continue
        if declared is None:
            env = environment(stage)
            if env.gpu or _arm_only(stage):
                return
            declared = _cpu_declaration(ctx, stage) or ""
        if not declared:
            return
        shown = ", ".join(f"`{_shown(requirement)}`" for requirement, _ in reasons[:3])
        fix = "--torch-backend=cpu" if install.manager == "uv" else "--index-url https://download.pytorch.org/whl/cpu"
        text = (f"{shown} {'install' if len(reasons) > 1 else 'installs'} {reasons[0][1]}, which brings several "
                f"GB of CUDA libraries, but {declared} declares this image CPU-only: nothing uses them; install "
                f"the CPU build with `{fix}`.")
        yield Hit(text, install.instruction, line=install.line, column=install.column, fix=f"use {fix}")


@per_stage
def _torch_earlier(stage: Stage) -> bool:
    """An ancestor stage already installs torch (pip keeps it unless told to upgrade or reinstall)."""
    for member in stage.lineage[1:]:
        for install in member.installs:
            if install.manager in _PYTHON_MANAGERS and any(name == "torch" for name, _ in _names(install)):
                return True
    return False


# --------------------------------------------------------------------------- the rule

def cpu_and_gpu_builds(ctx: CheckContext) -> Iterator[Hit]:
    """CPU/GPU builds sharing one package, a CPU build alone on a CUDA image, CUDA torch on a CPU-declared image."""
    for stage in ctx.stages:
        if not stage.ships:
            continue  # what matters here is what the image runs and weighs
        yield from _together(stage)
        yield from _alone(stage)
        yield from _cuda_on_cpu(ctx, stage)


RULES = {"ML005": cpu_and_gpu_builds}
