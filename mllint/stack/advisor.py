"""The prebuilt-image advisor: an official image that already ships what a stage builds with pip.

Forward: a stage on a plain Python, OS or CUDA base that installs an exactly pinned torch with a CUDA
build, or an exactly pinned TensorFlow on a matching CUDA base (or with ``[and-cuda]``), is shown the
``pytorch/pytorch`` or ``tensorflow/tensorflow`` tag that ships that stack. Reverse: a stage on a
prebuilt framework image that installs another release of the framework is shown the tag that already
has it. Only tags listed in ``images.yaml prebuilt_images`` (and NGC releases in ``ngc.pytorch``) are
ever named; a suggestion whose Python would differ from the stage's known Python is not made.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from mllint import knowledge
from mllint.environment import Environment, environment
from mllint.targets import resolve, target

if TYPE_CHECKING:
    from mllint.dockerfile import Install, Instruction, Stage
    from mllint.installs import Requirement

__all__ = ["Suggestion", "suggestions"]

_PLAIN_KINDS = ("python", "os", "cuda")
_TABLE = "images.yaml prebuilt_images"


@dataclass(frozen=True)
class Suggestion:
    image: str  # the full reference to use: "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"
    direction: str  # "prebuilt" (the stage builds what the image ships) | "replaces" (the image has it)
    what: str  # "torch 2.5.1 built for CUDA 12.4 (cuDNN 9)"
    replaced: str | None = None  # reverse: what the stage replaces ("torch 2.1.0 of pytorch/pytorch:...")
    install: "Instruction | None" = None  # the RUN that motivates it
    install_line: int = 0  # the RUN's line
    source: str = ""  # where the tag comes from
    verified: bool = True
    notes: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()  # other listed tags with the same stack (other flavour, NGC)
    where: str = ""  # where the pin is written: "line 9", "requirements.txt:3"

    def text(self) -> str:
        """One line for `mllint stack` and hovers."""
        where = self.where or f"line {self.install_line}"
        if self.direction == "prebuilt":
            text = f"{self.image} ships {self.what} ({where}; {self.source})"
        else:
            text = f"{self.image} already has {self.what}, which {where} installs over {self.replaced} ({self.source})"
        if self.alternatives:
            text += f"; also {', '.join(self.alternatives)}"
        if self.notes:
            text += "; " + "; ".join(self.notes)
        return text + ("" if self.verified else " (unverified)")

    def to_json(self) -> dict[str, Any]:
        return {"image": self.image, "direction": self.direction, "what": self.what, "replaces": self.replaced,
                "line": self.install_line,
                "where": self.where or f"line {self.install_line}",
                "source": self.source, "verified": self.verified, "notes": list(self.notes),
                "alternatives": list(self.alternatives)}


# --------------------------------------------------------------------------- the knowledge


def _prebuilt() -> dict:
    return knowledge.table("images").get("prebuilt_images") or {}


def _same(listed, version: str) -> bool:
    """``2.7`` and ``2.7.0`` are one release (PEP 440 pads with zeros)."""
    try:
        return Version(str(listed)) == Version(version)
    except InvalidVersion:
        return str(listed) == version


def _torch_release(version: str) -> dict | None:
    rows = (_prebuilt().get("pytorch_pytorch") or {}).get("releases") or ()
    return next((row for row in rows if _same(row.get("torch"), version)), None)


def _torch_tag(row: dict, cuda: str, flavour: str) -> str:
    repository = (_prebuilt().get("pytorch_pytorch") or {}).get("repository", "pytorch/pytorch")
    return f"{repository}:{row['torch']}-cuda{cuda}-cudnn{row['cudnn']}-{flavour}"


def _torch_python(row: dict, cuda: str) -> tuple[str | None, bool]:
    """The tag's Python as recorded for it, else the image build's default (both unverified today)."""
    python = (row.get("python") or {}).get(cuda)
    if python:
        return str(python), not knowledge.is_unverified(row, "python")
    table = knowledge.table("images").get("pytorch_pytorch") or {}
    default = table.get("python_in_image")
    return (str(default) if default else None), not knowledge.is_unverified(table, "python_in_image")


def _tf_release(version: str) -> dict | None:
    rows = (_prebuilt().get("tensorflow_tensorflow") or {}).get("releases") or ()
    return next((row for row in rows if _same(row.get("tensorflow"), version)), None)


def _tf_tag(row: dict) -> str:
    repository = (_prebuilt().get("tensorflow_tensorflow") or {}).get("repository", "tensorflow/tensorflow")
    return f"{repository}:{row['tensorflow']}-gpu"


def _tf_tested(version: str) -> dict | None:
    releases = (knowledge.table("frameworks").get("tensorflow") or {}).get("releases") or {}
    minor = ".".join(version.split(".")[:2])
    return next((row for key, row in releases.items() if ".".join(key.split(".")[:2]) == minor), None)


def _ngc_releases_with(version: str) -> list[tuple[str, str]]:
    """NGC PyTorch releases whose torch is a pre-release build of ``version``: (release, torch)."""
    ngc = (knowledge.table("images").get("ngc") or {}).get("pytorch") or {}
    found = []
    for release, row in (ngc.get("releases") or {}).items():
        try:
            if Version(str(row.get("pytorch"))).base_version == version:
                found.append((release, str(row["pytorch"])))
        except (InvalidVersion, KeyError):
            continue
    return found


# --------------------------------------------------------------------------- the stage


def _minor(text: str | None) -> str | None:
    return ".".join(str(text).split(".")[:2]) if text else None


def _pinned(install: "Install", requirement: "Requirement") -> tuple[str, Any] | None:
    """(exact version, CUDA target) of a pip/uv requirement pinned to one release."""
    resolved = resolve(install, requirement)
    version = resolved.exact_version
    if not version:
        return None
    try:
        public = Version(version).public
    except InvalidVersion:
        return None
    return public, target(install, resolved)


def _python_note(env: Environment, image_python: str | None, image_verified: bool) -> tuple[bool, tuple[str, ...]]:
    """(compatible, notes): a known, different Python means the image does not ship the stage's stack."""
    stage_python = _minor(env.python.value) if env.python and env.python.value else None
    if stage_python is None and env.pythons:  # a Python the stage installs itself (uv, pyenv, conda)
        stage_python = env.pythons[-1].version
    if image_python and stage_python and image_python != stage_python:
        return False, ()
    if image_python:
        return True, (f"its Python: {image_python}" + ("" if image_verified else " (unverified)"),)
    return True, ("its Python is not known to mllint",)


def _flavour(env: Environment) -> str:
    """devel when the stage builds on a toolchain image (nvcc), else runtime."""
    return "devel" if env.nvcc is not None and env.nvcc.value is True else "runtime"


def _needs_system_cuda(stage: "Stage", skip: str) -> bool:
    """Another package of the stage loads the system's CUDA (which a pytorch/pytorch runtime image lacks)."""
    from mllint.depfiles import with_declared

    for install in with_declared(stage.installs):
        if install.manager not in ("pip", "uv", "conda") or not install.record.installs_packages:
            continue
        for requirement in install.requirements:
            if requirement.name == skip or requirement.name in ("torchvision", "torchaudio"):
                continue
            found = target(install, resolve(install, requirement))
            if found is not None and found.bundles is False and not found.cpu_only:
                return True
    return False


def _installs_any(stage: "Stage", names: tuple[str, ...]) -> bool:
    """The stage also installs another framework: no single prebuilt image ships both."""
    from mllint.depfiles import with_declared

    return any(requirement.name in names for install in with_declared(stage.installs)
               if install.record.installs_packages for requirement in install.requirements)


def _forward_torch(stage: "Stage", install: "Install", version: str, found, env: Environment) -> Suggestion | None:
    if found is None or found.cpu_only or not found.cuda or "." not in found.cuda:
        return None
    row = _torch_release(version)
    if row is None or found.cuda not in (row.get("cuda") or ()):
        return None
    if _needs_system_cuda(stage, "torch"):
        return None
    flavour = _flavour(env)
    python, python_verified = _torch_python(row, found.cuda)
    compatible, notes = _python_note(env, python, python_verified)
    if not compatible:
        return None
    other = "runtime" if flavour == "devel" else "devel"
    return Suggestion(_torch_tag(row, found.cuda, flavour), "prebuilt",
                      f"torch {version} for CUDA {found.cuda} (cuDNN {row['cudnn']})",
                      source=f"{_TABLE}: the release's Docker matrix", verified=found.verified,
                      notes=("torchvision and torchaudio of that release included", *notes),
                      alternatives=(_torch_tag(row, found.cuda, other),))


def _forward_tensorflow(stage: "Stage", install: "Install", requirement, version: str,
                        env: Environment) -> Suggestion | None:
    row = _tf_release(version)
    tested = _tf_tested(version)
    if row is None or tested is None or _installs_any(stage, ("torch", "jax", "jaxlib")):
        return None
    and_cuda = "and-cuda" in requirement.extras
    if not and_cuda:
        # TensorFlow uses the system CUDA: the base must hold the CUDA (major.minor) and cuDNN it was built with.
        if env.cuda is None or _minor(env.cuda.value) != _minor(tested.get("cuda")):
            return None
        if env.cudnn is None or env.cudnn.value is False:
            return None
    compatible, notes = _python_note(env, row.get("python"), not knowledge.is_unverified(row, "python"))
    if not compatible:
        return None
    what = f"TensorFlow {version} with GPU support (tested with CUDA {tested.get('cuda')}, cuDNN {tested.get('cudnn')})"
    return Suggestion(_tf_tag(row), "prebuilt", what, source=f"{_TABLE}.tensorflow_tensorflow", notes=notes)


def _reverse(stage: "Stage", install: "Install", name: str, version: str, env: Environment) -> Suggestion | None:
    shipped = env.frameworks.get(name)
    if shipped is None or (shipped.value and _same_release(str(shipped.value), version)):
        return None
    if env.kind == "pytorch" and name == "torch" and env.cuda is not None:
        row = _torch_release(version)
        cuda = _minor(env.cuda.value)
        if row is None or cuda not in (row.get("cuda") or ()):
            return None
        return Suggestion(_torch_tag(row, cuda, env.flavour or "runtime"), "replaces",
                          f"torch {version} (CUDA {cuda}, cuDNN {row['cudnn']})", _shipped(shipped, name, env),
                          source=f"{_TABLE}: the release's Docker matrix")
    if env.kind == "tensorflow" and name == "tensorflow" and env.gpu:
        row = _tf_release(version)
        if row is None:
            return None
        return Suggestion(_tf_tag(row), "replaces", f"TensorFlow {version}", _shipped(shipped, name, env),
                          source=f"{_TABLE}.tensorflow_tensorflow")
    if env.kind == "ngc" and name == "torch":
        return _reverse_ngc(version, env, _shipped(shipped, name, env))
    return None


def _shipped(shipped, name: str, env: Environment) -> str:
    return f"{name} {shipped.value} of {env.describe_image()}" if shipped.value else f"the {name} of {env.describe_image()}"


def _reverse_ngc(version: str, env: Environment, replaced: str) -> Suggestion | None:
    row = _torch_release(version)
    major = (_minor(env.cuda.value) or "").split(".")[0] if env.cuda else ""
    cudas = [c for c in (row.get("cuda") or ()) if c.split(".")[0] == major] if row else []
    ngc = [f"nvcr.io/nvidia/pytorch:{release}-py3 ({torch}, NVIDIA's pre-release build of {version})"
           for release, torch in _ngc_releases_with(version)]
    if not cudas and not ngc:
        return None
    if cudas:
        image = _torch_tag(row, cudas[-1], "devel")
        return Suggestion(image, "replaces", f"torch {version} (CUDA {cudas[-1]}, PyPI's build)", replaced,
                          source=f"{_TABLE}: the release's Docker matrix", alternatives=tuple(ngc))
    first, *rest = ngc
    image = first.split(" ", 1)[0]
    return Suggestion(image, "replaces", first.split(" ", 1)[1].strip("()"), replaced,
                      source="images.yaml ngc.pytorch.releases", alternatives=tuple(rest))


def _where(install: "Install") -> str:
    origin = getattr(install.instruction, "origin", None)
    if origin is not None:
        return f"{origin.path.rsplit('/', 1)[-1]}:{origin.line}"
    return f"line {install.line}"


def _same_release(shipped: str, version: str) -> bool:
    try:
        return Version(shipped).base_version == Version(version).base_version
    except InvalidVersion:
        return shipped == version


def suggestions(stage: "Stage") -> list[Suggestion]:
    """What the advisor says about one stage (its own installs), in file order, one per image."""
    from mllint.depfiles import with_declared

    found: dict[str, Suggestion] = {}
    for install in with_declared(stage.installs):
        if install.manager not in ("pip", "uv") or not install.record.installs_packages:
            continue
        instruction = getattr(install.instruction, "declared_by", None) or install.instruction
        env = environment(stage, instruction)
        for requirement in install.requirements:
            if requirement.name not in ("torch", "tensorflow"):
                continue
            pinned = _pinned(install, requirement)
            if pinned is None:
                continue
            version, cuda_target = pinned
            suggestion = None
            if requirement.name in env.frameworks:
                suggestion = _reverse(stage, install, requirement.name, version, env)
            elif env.kind in _PLAIN_KINDS and requirement.name == "torch":
                suggestion = _forward_torch(stage, install, version, cuda_target, env)
            elif env.kind in _PLAIN_KINDS:
                suggestion = _forward_tensorflow(stage, install, requirement, version, env)
            if suggestion is not None and suggestion.image not in found:
                found[suggestion.image] = replace(suggestion, install=instruction, install_line=instruction.start_line,
                                                  where=_where(install))
    return list(found.values())
