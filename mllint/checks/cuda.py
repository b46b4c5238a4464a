"""CUDA rules: wheels built for another CUDA than the image's, CPU-only builds on
GPU images, and image flavours that lack a CUDA component an install needs.

All three read the same two answers: ``environment(stage)`` (what CUDA, flavour,
cuDNN and nvcc the stage's image has, and where each fact comes from) and
``targets(install)`` (which CUDA each requirement targets and whether its wheels
bring their own CUDA libraries). Severity follows what really breaks and how
well the facts are sourced: a finding that rests on an unverified fact is info.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from packaging.version import Version

from mllint import knowledge
from mllint.context import CheckContext
from mllint.depfiles import with_declared
from mllint.dockerfile import Install, Stage
from mllint.environment import Environment, environment
from mllint.rule import Hit, Severity
from mllint.installs import parse_version
from mllint.memo import per_stage
from mllint.targets import TORCH_FAMILY, Target, resolve, targets

_PYTHON_MANAGERS = ("pip", "uv")
_TRUE = {"1", "true", "yes", "on"}


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------

def _installing(install: Install, managers: Iterable[str] = ("pip", "uv", "conda")) -> bool:
    return install.manager in managers and install.installs_packages


def _requirements(install: Install) -> list:
    """The install's requirements with ENV/ARG variables expanded where their values are known."""
    return [resolve(install, r) for r in install.requirements]


def _norm(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text.lower())


def _major_minor(cuda: str) -> tuple[int, int | None]:
    parts = str(cuda).split(".")
    return int(parts[0]), (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None)


def _mm(cuda: str) -> str:
    """12.4.1 -> 12.4."""
    return ".".join(str(cuda).split(".")[:2])


def _quote(requirements: Iterable[str], limit: int = 3) -> str:
    items = list(dict.fromkeys(requirements))
    shown = ", ".join(f"`{r if len(r) <= 48 else r[:45] + '...'}`" for r in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _image(env: Environment) -> str:
    return env.describe_image()


def _image_cuda(env: Environment) -> str:
    """``nvidia/cuda:12.4.1-devel-ubuntu22.04 has CUDA 12.4.1 (its tag)``: the image, its CUDA, the source."""
    source = env.cuda.source
    if env.image is not None and source.startswith("the tag ") and source[8:] == env.image.tag:
        source = "its tag"
    verb = "has" if env.cuda.verified else "likely has"
    return f"{_image(env)} {verb} CUDA {env.cuda.value} ({source})"


def family(stage: Stage) -> list[Stage]:
    """The stage, its ancestors (``FROM <stage>``) and every stage built on it."""
    return [*stage.lineage, *_descendants(stage)]


def _descendants(stage: Stage) -> list[Stage]:
    """The stages built on this one, in file order (from one index of the whole file, built once)."""
    index = stage.dockerfile.facts.get("descendants")
    if index is None:
        index = {}
        for other in stage.dockerfile.stages:
            for ancestor in other.lineage[1:]:
                index.setdefault(ancestor.index, []).append(other)
        stage.dockerfile.facts["descendants"] = index
    return index.get(stage.index, [])


def family_installs(stage: Stage) -> Iterator[Install]:
    for member in family(stage):
        yield from member.installs


@per_stage
def _pip_cuda_libs(stage: Stage, major: str | None) -> bool:
    """Whether the stage's family pip-installs CUDA libraries as wheels (nvidia-*, a CUDA torch/jax/TF).

    Newer TensorFlow, onnxruntime-gpu and CuPy releases can find CUDA libraries in
    these wheels, so a missing system library is then not a certain failure.
    """
    for install in family_installs(stage):
        if not _installing(install, _PYTHON_MANAGERS):
            continue
        found = {t.requirement.raw: t for t in targets(install)}
        for requirement in _requirements(install):
            name = requirement.name or ""
            target = found.get(requirement.raw)
            if name.startswith("nvidia-") or name == "cuda-toolkit":
                if major is None or target is None or target.major == major:
                    return True
            elif target is not None and target.bundles and not target.cpu_only:
                if major is None or target.major in (None, major):
                    return True
            elif name in TORCH_FAMILY and target is None:
                return True  # a PyPI torch whose CUDA we do not know brings nvidia-* wheels
    return False


@per_stage
def _conda_cuda_libs(stage: Stage) -> bool:
    names = {"cudnn", "cudatoolkit", "cuda-toolkit", "cuda-libraries", "cuda-runtime", "cuda-cudart", "libcublas",
             "nccl"}
    for install in family_installs(stage):
        if _installing(install, ("conda",)) and any((r.name or "") in names for r in _requirements(install)):
            return True
    return False


def _env_is_unknown_user_cuda(env: Environment) -> bool:
    """CUDA known only from the Dockerfile's own ``ENV CUDA_VERSION`` on an image we cannot read."""
    return env.cuda is not None and env.cuda.source.startswith("ENV")


# ---------------------------------------------------------------------------
# ML004 cuda-wheel-mismatch
# ---------------------------------------------------------------------------

_SYSTEM_EFFECT = {
    "tensorflow": "TensorFlow silently falls back to the CPU",
    "onnxruntime-gpu": "onnxruntime cannot create its CUDA execution provider",
    "jax": "JAX cannot initialise its CUDA backend",
    "cupy": "CuPy fails when it first loads a CUDA library",
}


def _effect(target: Target) -> str:
    key = "cupy" if target.package.startswith("cupy") else target.package
    return _SYSTEM_EFFECT.get(key, "it is expected to fail to load its GPU libraries")


def _torch_index(image_cuda: str, target: Target) -> str | None:
    """The download.pytorch.org index closest to the image's CUDA (same major, minor not above)."""
    torch = knowledge.table("frameworks").get("torch") or {}
    releases = torch.get("releases") or {}
    version = parse_version(target.requirement.exact_version)
    rows = []
    if version is not None and target.package == "torch":
        rows = [releases.get(f"{version.major}.{version.minor}") or {}]
    if not rows or not rows[0].get("index_cuda"):
        rows = list(releases.values())
    candidates = {str(c) for row in rows for c in (row.get("index_cuda") or ())}
    major, minor = _major_minor(image_cuda)
    same = sorted((_major_minor(c) for c in candidates if _major_minor(c)[0] == major), key=lambda mm: mm[1] or 0)
    if not same:
        return None
    below = [mm for mm in same if minor is None or (mm[1] or 0) <= minor]
    chosen = below[-1] if below else same[0]
    return f"https://download.pytorch.org/whl/cu{chosen[0]}{chosen[1]}"


def _bundled_fix(target: Target, install: Install, env: Environment) -> str:
    img = env.cuda.value
    img_major = env.cuda_major
    package = target.package
    if package in TORCH_FAMILY:
        index = _torch_index(img, target)
        version = parse_version(target.requirement.exact_version)
        if index is None and version is not None and package == "torch":
            return (f"torch {version.major}.{version.minor} has no CUDA {img_major} build: use a CUDA "
                    f"{target.cuda} base image or a newer torch")
        if index:
            if install.torch_backend:
                return f"use --torch-backend={index.rsplit('/', 1)[1]} or a CUDA {target.cuda} base image"
            return f"use --index-url {index} or a CUDA {target.cuda} base image"
    elif package in ("pytorch-cuda", "cudatoolkit", "cuda-version", "cuda-toolkit"):
        return f"pin {package}={_mm(img)} to match the image or use a CUDA {target.cuda} base image"
    elif package == "jax":
        extras = (knowledge.table("frameworks").get("jax") or {}).get("extras") or {}
        if f"cuda{img_major}" in extras:
            return f"use jax[cuda{img_major}] or a CUDA {target.cuda} base image"
    elif package.startswith("nvidia-") or package.startswith("tensorrt-"):
        return f"install the -cu{img_major} package or use a CUDA {target.cuda} base image"
    elif package.startswith("cupy-"):
        return f"install cupy-cuda{img_major}x or use a CUDA {target.cuda} base image"
    return f"use a build for CUDA {img_major} or a CUDA {target.cuda} base image"


def _system_fix(target: Target, env: Environment) -> str:
    img_major = env.cuda_major
    package = target.package
    if package == "onnxruntime-gpu":
        rows = (knowledge.table("frameworks").get("onnxruntime_gpu") or {}).get("versions") or ()
        ranges = [str(r["versions"]) for r in rows if str(r.get("cuda_major")) == img_major]
        if ranges:
            return f"use onnxruntime-gpu {ranges[0]} (built for CUDA {img_major}) or a CUDA {target.cuda} base image"
    elif package.startswith("cupy"):
        return f"install cupy-cuda{img_major}x or use a CUDA {target.cuda} base image"
    elif package == "jax":
        extras = (knowledge.table("frameworks").get("jax") or {}).get("extras") or {}
        row = extras.get(f"cuda{img_major}-local") or {}
        if row and row.get("unverified") is not True:
            return f"use jax[cuda{img_major}-local] or a CUDA {target.cuda} base image"
        return f"use a CUDA {target.cuda} base image or jax[cuda{target.major}], which bundles its CUDA"
    elif package == "tensorflow":
        return f"use a CUDA {target.cuda} base image or a TensorFlow release built for CUDA {img_major}"
    return f"use a CUDA {target.cuda} base image or a build for CUDA {img_major}"


def _driver_floor(major: str | None) -> str | None:
    row = ((knowledge.table("cuda_usage").get("driver_floor") or {}).get(str(major))) or {}
    return row.get("min_driver")


_APT_CUDA = re.compile(r"^cuda-(?:toolkit|libraries|runtime|cudart|nvcc|compiler)(?:-dev)?-(\d+)[-.](\d+)$")


@per_stage
def _apt_cuda_majors(stage: Stage) -> frozenset[str]:
    """CUDA majors the stage's family adds with apt/yum (``cuda-toolkit-11-8`` next to the image's CUDA 12)."""
    majors = set()
    for install in family_installs(stage):
        if install.manager in ("apt", "yum") and install.installs_packages:
            for requirement in install.requirements:
                if match := _APT_CUDA.match(requirement.name or ""):
                    majors.add(match.group(1))
    return frozenset(majors)


def cuda_wheel_mismatch(ctx: CheckContext) -> Iterator[Hit]:
    for stage in ctx.stages:
        for install in with_declared(stage.installs):
            if not _installing(install):
                continue
            found = [t for t in targets(install) if t.cuda and not t.cpu_only]
            if not found:
                continue
            env = environment(stage, before=install.instruction)
            if env.cuda is None or not env.cuda_major:
                continue
            if _env_is_unknown_user_cuda(env) and env.kind in ("python", "os"):
                continue  # a variable on a CPU image, not CUDA in the image
            extra_majors = _apt_cuda_majors(stage)
            groups: dict[tuple, list[Target]] = {}
            for target in found:
                if target.major in extra_majors and target.major != env.cuda_major:
                    continue  # the stage installs that CUDA itself
                groups.setdefault((target.cuda, target.bundles), []).append(target)
            for (cuda, bundles), group in groups.items():
                hit = _mismatch_hit(stage, install, env, group, bundles)
                if hit:
                    yield hit


def _mismatch_hit(stage: Stage, install: Install, env: Environment, group: list[Target], bundles) -> Hit | None:
    target = group[0]
    img = str(env.cuda.value)
    img_major, img_minor = _major_minor(img)
    tgt_major, tgt_minor = _major_minor(target.cuda)
    verified = env.cuda.verified and all(t.verified for t in group) and not _env_is_unknown_user_cuda(env)
    names = _quote(t.requirement.raw for t in group)
    plural = len({t.requirement.raw for t in group}) > 1
    likely = "" if all(t.verified for t in group) else "likely "
    image_cuda = _image_cuda(env)
    evidence = target.evidence.replace(f" of {target.requirement.raw}", "")
    if img_major != tgt_major:
        if bundles is False:
            # A system-CUDA consumer: its CUDA libraries are simply not in the image.
            caveat = ""
            reads_pip = target.package != "tensorflow" or _tf_reads_pip_libs(target)
            if reads_pip and _pip_cuda_libs(stage, str(tgt_major)):
                verified, caveat = False, f" unless it finds the CUDA {tgt_major} pip nvidia-* libraries"
            severity = Severity.ERROR if verified else Severity.INFO
            effect = _effect(target)
            if not verified and not effect.startswith("it is expected"):
                effect = "most likely " + effect
            message = (
                f"{names} {'are' if plural else 'is'} {likely}built for CUDA {target.cuda} ({evidence}) and "
                f"load{'' if plural else 's'} the system's CUDA, but {image_cuda}: "
                f"at run time {effect}{caveat}; {_system_fix(target, env)}."
            )
            return _hit(message, install, severity, _system_fix(target, env))
        severity = Severity.WARNING if verified else Severity.INFO
        if bundles is None:
            what = f"{names} {likely}{'target' if plural else 'targets'} CUDA {target.cuda} ({evidence})"
        else:
            what = f"{names} {likely}{'bring' if plural else 'brings'} CUDA {target.cuda} ({evidence})"
        breaks = "a second CUDA stack duplicates the image's (GBs)"
        if tgt_major > img_major and (floor := _driver_floor(str(tgt_major))):
            breaks += f", hosts need a CUDA {tgt_major} driver (>= {floor})"
        nvcc = env.nvcc is not None and env.nvcc.value
        if nvcc and (target.package in TORCH_FAMILY or target.package == "pytorch-cuda"):
            breaks += " and torch extension builds with the image's nvcc fail (major mismatch)"
        fix = _bundled_fix(target, install, env)
        message = f"{what} but {image_cuda}: {breaks}; {fix}."
        return _hit(message, install, severity, fix)
    if bundles is False and tgt_minor is not None and img_minor is not None and tgt_minor > img_minor:
        fix = f"prefer a CUDA {_mm(target.cuda)} or newer base image"
        message = (
            f"{names} {'were' if plural else 'was'} {likely}built with CUDA {target.cuda} ({evidence}) "
            f"but {image_cuda}: "
            f"minor-version compatibility is expected to let it run, but features that need CUDA "
            f"{_mm(target.cuda)} may fail at run time; {fix}."
        )
        return _hit(message, install, Severity.INFO, fix)
    return None


def _tf_reads_pip_libs(target: Target) -> bool:
    """TensorFlow >= 2.14 (the [and-cuda] era) can load CUDA from nvidia-* wheels; older releases cannot."""
    first = ((knowledge.table("frameworks").get("tensorflow") or {}).get("and_cuda") or {}).get("first_version")
    version = parse_version(target.requirement.exact_version)
    return version is None or first is None or version >= Version(str(first))


def _hit(message: str, install: Install, severity: Severity | None, fix: str | None) -> Hit:
    return Hit(message, install.instruction, line=install.line, column=install.column, severity=severity, fix=fix)


# ---------------------------------------------------------------------------
# ML005 cpu-wheel-on-gpu-image
# ---------------------------------------------------------------------------

@per_stage
def _jax_gpu_elsewhere(stage: Stage) -> bool:
    """A CUDA jax (extra, plugin, CUDA jaxlib) or unknown requirements anywhere in the stage's family."""
    for install in family_installs(stage):
        if not _installing(install, _PYTHON_MANAGERS + ("conda",)):
            continue
        if install.requirement_files or install.action in ("sync",):
            return True  # the file may hold jax[cuda12]
        for url in [*install.find_links, *install.extra_index_urls, install.index_url or ""]:
            if url and "jax_cuda_releases" in url:
                return True
        for requirement in _requirements(install):
            name = requirement.name or ""
            if name.startswith("jax-cuda") or name.startswith("jaxlib-cuda"):
                return True
            if name == "jaxlib" and "cuda" in (requirement.local_version or ""):
                return True
            if name == "jax" and any(e.startswith("cuda") for e in requirement.extras):
                return True
            if requirement.name is None and (requirement.url or requirement.path):
                return True
    return False


_GPU_FRAMEWORKS = re.compile(r"^(torch|torchvision|tensorflow|tensorflow-gpu|onnxruntime-gpu|cupy.*|paddlepaddle-gpu|"
                             r"mxnet-cu.*|tensorrt.*|pytorch|pytorch-cuda|triton)$")


@per_stage
def other_gpu_framework(stage: Stage) -> bool:
    """Another GPU framework in the stage's family: a plain jax next to it is likely a CPU-side helper."""
    for install in family_installs(stage):
        if install.installs_packages and any(_GPU_FRAMEWORKS.match(r.name or "") for r in _requirements(install)):
            return True
    return False


def cpu_wheel_on_gpu_image(ctx: CheckContext) -> Iterator[Hit]:
    for stage in ctx.stages:
        for install in with_declared(stage.installs):
            if not _installing(install):
                continue
            cpu = [t for t in targets(install) if t.cpu_only]
            if not cpu:
                continue
            env = environment(stage, before=install.instruction)
            if not env.gpu:
                continue
            torch = [t for t in cpu if t.package in TORCH_FAMILY or t.package == "cpuonly"]
            tensorflow = [t for t in cpu if t.package == "tensorflow-cpu"]
            jax = [t for t in cpu if t.package == "jax" and set(t.requirement.extras) <= {"cpu"}]
            if jax and (env.kind != "cuda" or env.cuda is None or "jax" in env.frameworks
                        or _jax_gpu_elsewhere(stage) or other_gpu_framework(stage)):
                jax = []  # plain jax is reported only where it is clearly the stage's GPU framework
            for group, fix in ((torch, _cpu_torch_fix(torch, install, env)),
                               (tensorflow, "install `tensorflow` (with [and-cuda] from 2.14, or on a cuDNN image) "
                                            "or use a CPU base image"),
                               (jax, _cpu_jax_fix(env))):
                if not group:
                    continue
                names = _quote(t.requirement.raw for t in group)
                evidence = group[0].evidence.replace(f" of {group[0].requirement.raw}", "")
                replaces = ""
                if group is torch and env.frameworks.get("torch") is not None:
                    replaces = ", replacing its CUDA torch"
                message = (
                    f"{names} {'install' if len(group) > 1 else 'installs'} a CPU-only build ({evidence}) on the GPU "
                    f"image {_image(env)}{replaces}: at run time nothing uses the GPU and the code silently runs on "
                    f"the CPU; {fix}."
                )
                yield _hit(message, install, None, fix)


def _cpu_torch_fix(group: list[Target], install: Install, env: Environment) -> str:
    if not group:
        return ""
    if group[0].package == "cpuonly":
        return "drop `cpuonly` and install pytorch-cuda matching the image, or use a CPU base image"
    index = _torch_index(str(env.cuda.value), group[0]) if env.cuda else None
    if index and install.torch_backend:
        return f"use --torch-backend={index.rsplit('/', 1)[1]} or a CPU base image"
    if index:
        return f"install from {index} (the image's CUDA) or use a CPU base image"
    return "install a CUDA build of torch (a download.pytorch.org/whl/cuXYZ index) or use a CPU base image"


def _cpu_jax_fix(env: Environment) -> str:
    major = env.cuda_major
    extras = (knowledge.table("frameworks").get("jax") or {}).get("extras") or {}
    if major and f"cuda{major}" in extras:
        return f"install jax[cuda{major}] (or jax[cuda{major}-local] to use the image's CUDA)"
    return "install jax with its CUDA extra or use a CPU base image"


# ---------------------------------------------------------------------------
# ML011 missing-cuda-component
# ---------------------------------------------------------------------------

_COMPONENT_NAMES = {
    "math_libs": "the CUDA math libraries (cuBLAS, cuFFT, ...)",
    "cudnn": "cuDNN",
    "nccl": "NCCL",
    "nvcc": "nvcc",
    "headers": "the CUDA headers",
}
_APT_NCCL = re.compile(r"^libnccl")


def _row_matches(match: dict, install: Install, requirement) -> bool:
    name = requirement.name or ""
    extras = {_norm(e) for e in requirement.extras}
    if "package" in match and name != match["package"]:
        return False
    if "package_regex" in match and not re.search(match["package_regex"], name):
        return False
    if "extras_absent" in match and extras & {_norm(e) for e in match["extras_absent"]}:
        return False
    if "extras_any" in match and not extras & {_norm(e) for e in match["extras_any"]}:
        return False
    return bool(name)


def _system_row(install: Install, requirement) -> dict | None:
    """The cuda_usage.system_cuda row a requirement falls under, after the version gates of the bundling extras."""
    name = requirement.name or ""
    extras = {_norm(e) for e in requirement.extras}
    version = parse_version(requirement.exact_version)
    if name == "tensorflow" and "and-cuda" in extras:
        first = ((knowledge.table("frameworks").get("tensorflow") or {}).get("and_cuda") or {}).get("first_version")
        if version is not None and first is not None and version < Version(str(first)):
            requirement = _without_extra(requirement, "and-cuda")  # no such extra before 2.14: system CUDA
    elif name.startswith("cupy") and "ctk" in extras:
        target = next((t for t in targets(install) if t.requirement.raw == requirement.raw), None)
        if target is not None and target.bundles is False:
            requirement = _without_extra(requirement, "ctk")  # [ctk] brings CUDA only from CuPy v14
    for row in knowledge.table("cuda_usage").get("system_cuda") or ():
        if _row_matches(row.get("match") or {}, install, requirement):
            return row
    return None


def _without_extra(requirement, extra: str):
    from dataclasses import replace

    return replace(requirement, extras=tuple(e for e in requirement.extras if _norm(e) != extra))


def _has_component(env: Environment, component: str, stage: Stage) -> bool | None:
    """True/False when the image (plus apt installs) is known to have/lack the component; None if unknown."""
    if env.kind != "cuda" or env.flavour is None:
        return None
    if component == "cudart":
        return True
    if component == "math_libs":
        return bool(env.math_libs.value) if env.math_libs else None
    if component == "cudnn":
        return bool(env.cudnn.value) if env.cudnn else None
    if component == "nccl":
        if env.flavour in ("runtime", "devel"):
            return True
        for member in stage.lineage:
            for install in member.installs:
                if install.manager in ("apt", "yum") and install.installs_packages and any(
                        _APT_NCCL.match(r.name or "") for r in install.requirements):
                    return True
        return False
    if component in ("nvcc", "headers"):
        return bool(env.nvcc.value) if env.nvcc else None
    return None


def _copied_into(stages: list[Stage]) -> list[Stage]:
    """Stages that ``COPY --from`` one of ``stages``: where a builder's packages may really run."""
    keys = {str(s.index) for s in stages} | {s.name for s in stages if s.name}
    found = []
    for other in stages[0].dockerfile.stages:
        if other in stages:
            continue
        for instruction in other.instructions:
            if instruction.keyword in ("COPY", "ADD") and any(v.lower() in keys for v in instruction.flag("from")):
                found.append(other)
                break
    return found


def _missing(stage: Stage, needs: Iterable[str]) -> list[str]:
    """Components missing in the stage's final image, in every stage built on it and in every stage
    that copies from them (a builder's packages may run there)."""
    built_on = [stage, *_descendants(stage)]
    copies = _copied_into(built_on)
    missing = []
    for component in needs:
        if component == "cudart":
            continue
        states = [_has_component(environment(s), component, s) for s in built_on]
        if states[0] is not False or any(states[1:]):
            continue
        if any(_has_component(environment(s), component, s) is not False for s in copies):
            continue  # the copying stage has it, or we cannot tell
        missing.append(component)
    return missing


def _cudnn_mismatch(env: Environment, target: Target | None) -> tuple[str, str] | None:
    """(image cuDNN major, needed major) when both are known and differ."""
    if target is None or not target.cudnn or env.cudnn is None or env.kind != "cuda":
        return None
    have = str(env.cudnn.value)
    if not have.isdigit():
        return None
    need = target.cudnn.split(".")[0]
    return (have, need) if need.isdigit() and need != have else None


def _cudnn_tag(env: Environment, cudnn_major: str | None) -> str | None:
    image = env.image
    if image is None or env.kind != "cuda" or env.cuda is None or not env.os:
        return None
    flavour = "devel" if env.flavour == "devel" else "runtime"
    old_cuda = (env.cuda_major or "").isdigit() and int(env.cuda_major) <= 11  # CUDA 11 tags name cuDNN 8
    part = "cudnn8" if cudnn_major == "8" or old_cuda else "cudnn"
    return f"{image.familiar}:{env.cuda.value}-{part}-{flavour}-{env.os[0]}{env.os[1]}"


_OUTCOME = {
    "tensorflow-system": "TensorFlow cannot load its GPU libraries and silently runs on the CPU",
    "onnxruntime-gpu": "onnxruntime cannot create its CUDA execution provider",
    "jax-local": "JAX cannot initialise its CUDA backend",
    "cupy-wheel-system": "CuPy fails when it loads the missing libraries",
}


def _system_component_hits(stage: Stage, install: Install) -> Iterator[Hit]:
    env = environment(stage)
    if env.kind != "cuda" or env.flavour is None:
        return
    by_requirement = {t.requirement.raw: t for t in targets(install)}
    for requirement in _requirements(install):
        row = _system_row(install, requirement)
        if row is None:
            continue
        target = by_requirement.get(requirement.raw)
        needs = [str(n) for n in row.get("needs") or ()]
        row_verified = row.get("unverified") is not True and "needs" not in (row.get("unverified") or ())
        missing = _missing(stage, needs)
        mismatch = _cudnn_mismatch(env, target) if "cudnn" in needs and "cudnn" not in missing else None
        if mismatch and any(_has_component(environment(s), "cudnn", s)
                            and str(environment(s).cudnn.value) != mismatch[0] for s in _descendants(stage)):
            mismatch = None  # a stage built on this one installs another cuDNN
        if not missing and not mismatch:
            continue
        verified = row_verified and all(
            f is None or f.verified for f in (env.cuda, env.cudnn, env.math_libs))
        caveat = ""
        reads_pip = row.get("id") != "tensorflow-system" or target is None or _tf_reads_pip_libs(target)
        if reads_pip and _pip_cuda_libs(stage, target.major if target else None):
            verified, caveat = False, " unless it finds the pip nvidia-* libraries"
        elif _conda_cuda_libs(stage):
            verified, caveat = False, " unless it finds the conda CUDA libraries"
        severity = Severity.ERROR if verified else Severity.INFO
        image = _image(env)
        cudnn_major = (target.cudnn or "").split(".")[0] if target and target.cudnn else None
        if mismatch:
            source = env.cudnn.source
            if env.image is not None and source == f"the tag {env.image.tag}":
                source = "its tag"
            what = (f"needs the system's cuDNN {mismatch[1]} ({target.evidence}) but {image} has cuDNN "
                    f"{mismatch[0]} ({source})")
            fix = f"use a base image with cuDNN {mismatch[1]} or a build of {target.package} for cuDNN {mismatch[0]}"
        else:
            flavour_note = ("the base flavour has only the CUDA runtime" if env.flavour == "base"
                            else "its tag has no -cudnn part")
            parts = " and ".join(_COMPONENT_NAMES.get(m, m) for m in missing)
            what = f"needs {parts} from the system, which {image} lacks ({flavour_note})"
            fix = _system_component_fix(env, missing, cudnn_major, row, requirement)
        outcome = _OUTCOME.get(str(row.get("id")), "it is expected to fail to load its GPU libraries")
        if not verified and not caveat and str(row.get("id")) in _OUTCOME:
            outcome = "most likely " + outcome
        message = f"`{_short(requirement.raw)}` {what}: at run time {outcome}{caveat}; {fix}."
        yield _hit(message, install, severity, fix)


def _short(text: str) -> str:
    return text if len(text) <= 48 else text[:45] + "..."


def _system_component_fix(env: Environment, missing: list[str], cudnn_major: str | None, row: dict,
                          requirement) -> str:
    options = []
    if "cudnn" in missing:
        tag = _cudnn_tag(env, cudnn_major)
        if tag:
            options.append(f"use a cuDNN tag such as {tag}")
        if cudnn_major == "8" and missing == ["cudnn"]:
            options.append("apt-get install libcudnn8")
    elif "math_libs" in missing or "nccl" in missing:
        if env.image is not None and env.cuda is not None and env.os:
            options.append(f"use {env.image.familiar}:{env.cuda.value}-runtime-{env.os[0]}{env.os[1]}")
    if str(row.get("id")) == "cupy-wheel-system" and "ctk" in requirement.extras:
        options.append(f"{requirement.name}[ctk]>=14 (the extra brings CUDA only from CuPy 14)")
    if row.get("id") == "tensorflow-system":
        version = parse_version(requirement.exact_version)
        first = ((knowledge.table("frameworks").get("tensorflow") or {}).get("and_cuda") or {}).get("first_version")
        if version is None or (first and version >= Version(str(first))):
            options.append("install tensorflow[and-cuda], which brings its own CUDA")
    if not options:
        wanted = " and ".join(_COMPONENT_NAMES.get(m, m) for m in missing or ["cudnn"])
        options.append(f"use a base image that provides {wanted}")
    return " or ".join(options[:2])


# -- CUDA source builds ------------------------------------------------------

_CUDA_EXT_FLAGS = ("--cuda_ext", "--cpp_ext")


def _option_values(install: Install, *names: str) -> list[str]:
    return [v or "" for k, v in install.options if k in names]


def _env_value(install: Install, name: str) -> str | None:
    value = install.env.get(name)
    return value.strip() if isinstance(value, str) else None


def _compile_reason(install: Install) -> tuple[str, bool | None] | None:
    """Why this install compiles CUDA code, and whether that is certain (sourced: True), a heuristic or
    derived (False) or rests on unverified knowledge (None)."""
    if install.manager not in _PYTHON_MANAGERS:
        return None
    # a built wheel (a file or URL ending in .whl) installs without compiling anything
    requirements = [r for r in _requirements(install) if not (r.url or r.path or "").lower().endswith(".whl")]
    vcs_or_path = [r for r in requirements if r.vcs or r.path or (r.url and not r.name)]
    flash = [r for r in requirements if r.name == "flash-attn" or "flash-attention" in (r.url or r.path or "")]
    if flash:
        force = _env_value(install, "FLASH_ATTENTION_FORCE_BUILD")
        skip = _env_value(install, "FLASH_ATTENTION_SKIP_CUDA_BUILD")
        if force == "TRUE" and skip != "TRUE":
            return f"`{_short(flash[0].raw)}` with FLASH_ATTENTION_FORCE_BUILD=TRUE compiles its CUDA kernels", True
    ext_values = _option_values(install, "--global-option", "--build-option", "--install-option", "--config-settings")
    apex = [r for r in requirements if re.search(r"(^|/)apex(\.git)?(@|$|/|#)", r.url or r.path or r.raw)]
    if (vcs_or_path or apex) and any(flag in value for value in ext_values for flag in _CUDA_EXT_FLAGS):
        flags = "/".join(f for f in _CUDA_EXT_FLAGS if any(f in v for v in ext_values))
        shown = _short((apex or vcs_or_path)[0].raw)
        return f"`{shown}` built with {flags} compiles Apex's CUDA extensions", True
    apex_env = [n for n in ("APEX_CPP_EXT", "APEX_CUDA_EXT") if _env_value(install, n) == "1"]
    if (apex or (vcs_or_path and install.no_build_isolation)) and apex_env:
        # the environment-variable form is seen in third-party Dockerfiles only (unverified): info
        shown = _short((apex or vcs_or_path)[0].raw)
        return f"`{shown}` with {'/'.join(apex_env)}=1 is expected to compile Apex's CUDA extensions", None
    cupy = [r for r in requirements if r.name == "cupy" and not r.url and not r.path]
    if cupy:
        return f"`{_short(cupy[0].raw)}` is a source distribution that compiles against the local CUDA toolkit", False
    if vcs_or_path and install.no_build_isolation:
        arch = _env_value(install, "TORCH_CUDA_ARCH_LIST")
        force_cuda = (_env_value(install, "FORCE_CUDA") or "").lower() in _TRUE
        if arch or force_cuda:
            signal = f"TORCH_CUDA_ARCH_LIST={arch}" if arch else "FORCE_CUDA=1"
            return (f"`{_short(vcs_or_path[0].raw)}` with --no-build-isolation and {signal} is expected to compile "
                    f"a CUDA extension"), False
    return None


_APT_NVCC = re.compile(r"^cuda-(?:toolkit|nvcc|compiler)(?:-\d+[-.]\d+)?$|^nvidia-cuda-toolkit$")


def _nvcc_installed_before(stage: Stage, before: Install) -> bool:
    """nvcc from apt (also earlier in the same RUN), conda or pip before the compiling command."""
    names = {"cuda-nvcc", "cuda-toolkit", "cudatoolkit-dev", "nvcc-linux-64", "nvidia-cuda-nvcc-cu11",
             "nvidia-cuda-nvcc-cu12", "nvidia-cuda-nvcc"}
    for member in reversed(stage.lineage):
        for install in member.installs:
            if install is before:
                return False
            if not install.installs_packages:
                continue
            if install.manager in ("apt", "yum"):
                if any(_APT_NVCC.match(r.name or "") for r in install.requirements):
                    return True
            elif any((r.name or "") in names for r in install.requirements):
                return True
    return False


def _compile_hits(stage: Stage, install: Install) -> Iterator[Hit]:
    reason = _compile_reason(install)
    if reason is None:
        return
    text, certain = reason
    env = environment(stage, before=install.instruction)
    if env.nvcc is None or env.nvcc.value or env.flavour is None:
        return
    if _nvcc_installed_before(stage, install):
        return
    verified = env.nvcc.verified
    if certain is None:  # the trigger itself rests on unverified knowledge
        severity = Severity.INFO
    elif certain and verified:
        severity = Severity.ERROR
    elif verified:
        severity = Severity.WARNING
    else:
        severity = Severity.INFO
    image = _image(env)
    devel = None
    if env.image is not None and env.kind == "cuda" and env.cuda is not None and env.os:
        devel = f"{env.image.familiar}:{env.cuda.value}-devel-{env.os[0]}{env.os[1]}"
    elif env.image is not None and env.kind == "pytorch" and env.image.tag:
        devel = f"{env.image.familiar}:{env.image.tag.replace('-runtime', '-devel')}"
    fix = f"compile in a -devel build stage ({devel}) and copy the result" if devel else \
        "compile in a -devel build stage and copy the result"
    outcome = "the build fails" if severity is Severity.ERROR else "the build is expected to fail"
    has = "has" if verified else "likely has"
    message = f"{text}, but {image} {has} no nvcc ({env.flavour} flavour): {outcome} at the compile step; {fix}."
    yield _hit(message, install, severity, fix)


def missing_cuda_component(ctx: CheckContext) -> Iterator[Hit]:
    for stage in ctx.stages:
        for install in stage.installs:
            if not _installing(install, _PYTHON_MANAGERS):
                continue
            yield from _system_component_hits(stage, install)
            yield from _compile_hits(stage, install)


RULES = {
    "ML004": cuda_wheel_mismatch,
    "ML005": cpu_wheel_on_gpu_image,
    "ML011": missing_cuda_component,
}
