"""Rules about which ML packages a Dockerfile installs and how it pins them.

* ML002 ``unpinned-ml-package``: an ML framework or GPU library installed without an exact version.
* ML006 ``framework-reinstalled``: a stage built on a framework image installs that framework again.
* ML007 ``deprecated-ml-package``: a removed, retired or stub package (or a removed extra).

All three read install records (``stage.installs``) and the knowledge tables; none looks at
command text. What requirement, pyproject and conda environment files declare comes in through
``with_declared`` (see ``mllint.depfiles``).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable, Iterator

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from mllint import knowledge
from mllint.context import CheckContext
from mllint.depfiles import with_declared
from mllint.dockerfile import Install, Stage
from mllint.environment import environment
from mllint.installs import Requirement, parse_version
from mllint.memo import per_stage
from mllint.resolution import ShippedFramework, pinned_in_effect, shipped_frameworks
from mllint.resolution import forced as _forced
from mllint.resolution import separate_environment as _separate_environment
from mllint.resolution import upgraded as _upgraded
from mllint.rule import Hit, Severity

PY_MANAGERS = ("pip", "uv")
# Actions that resolve the named requirements into the environment.
INSTALL_ACTIONS = {"pip": {"install"}, "uv": {"install"}, "conda": {"install", "create"}}


# --------------------------------------------------------------------------- small helpers


def _norm_extra(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _spec(text: str) -> SpecifierSet | None:
    try:
        return SpecifierSet(text or "")
    except InvalidSpecifier:
        return None


def _shown(requirement: Requirement) -> str:
    return requirement.raw.strip()


def _tool_cmd(install: Install) -> str:
    return f"{install.tool} {install.action}"


# --------------------------------------------------------------------------- ML images


def ngc_pytorch_constraint() -> tuple[str, str]:
    table = ((knowledge.table("images").get("ngc") or {}).get("pytorch") or {})
    info = table.get("pip_constraint_file") or {}
    return str(info.get("path") or "/etc/pip/constraint.txt"), str(info.get("since") or "99.99")


def ngc_pytorch_release(stage: Stage) -> str | None:
    image = stage.base_image
    ngc = (knowledge.table("images").get("ngc") or {}).get("pytorch") or {}
    if image is None or image.name != ngc.get("repository") or not image.tag:
        return None
    match = re.match(ngc.get("tag_regex", "$^"), image.tag)
    return match.group("release") if match else None


def _constraint_lifted(stage: Stage, before_line: int) -> bool:
    """The Dockerfile edits the NGC constraint file or sets PIP_CONSTRAINT itself (before that line)."""
    first = _constraint_first_lifted(stage)
    return first is not None and first < before_line


@per_stage
def _constraint_first_lifted(stage: Stage) -> int | None:
    path, _ = ngc_pytorch_constraint()
    for st in reversed(stage.lineage):
        for instruction in st.instructions:
            if "PIP_CONSTRAINT" in instruction.assigned or instruction.keyword == "RUN" and any(
                    path in placed.command.text or "pip/constraint.txt" in placed.command.text
                    for placed in instruction.commands):
                return instruction.start_line
    return None


def ngc_pip_constraint_active(install: Install) -> bool:
    """NGC PyTorch >= 25.03 ships a pip constraint file pinning every package it was built with."""
    if install.manager != "pip":
        return False
    release = ngc_pytorch_release(install.stage)
    _, since = ngc_pytorch_constraint()
    if release is None or release < since:
        return False
    if "PIP_CONSTRAINT" in dict(install.record.assignments):
        return False
    return not _constraint_lifted(install.stage, install.line)


# Framework (as named in the knowledge tables) -> package names that install it.
FRAMEWORK_PACKAGES = {
    "torch": {"pip": ("torch",), "conda": ("pytorch",)},
    "tensorflow": {"pip": ("tensorflow", "tensorflow-gpu", "tensorflow-cpu", "tf-nightly"),
                   "conda": ("tensorflow", "tensorflow-gpu")},
    "jax": {"pip": ("jax", "jaxlib"), "conda": ("jax", "jaxlib")},
}


def _framework_of(name: str | None, manager: str) -> str | None:
    if not name:
        return None
    kind = "conda" if manager == "conda" else "pip"
    for framework, names in FRAMEWORK_PACKAGES.items():
        if name in names[kind]:
            return framework
    return None


# --------------------------------------------------------------------------- ML002


def _ml_tables() -> tuple[set[str], list[tuple[str, str]], set[str]]:
    table = knowledge.table("packages")
    if _ML_TABLES.get("table") is not table:  # built once per loaded table, not per requirement
        names = {str(n) for n in table.get("ml_packages") or ()}
        globs = [(str(g["glob"]), str(g.get("kind"))) for g in table.get("ml_package_globs") or () if g.get("glob")]
        conda = {str(n) for n in table.get("ml_conda_packages") or ()}
        _ML_TABLES.update(table=table, built=(names, globs, conda))
    return _ML_TABLES["built"]


_ML_TABLES: dict = {}


def is_ml_package(name: str | None, manager: str, extra: frozenset[str] = frozenset()) -> bool:
    """An ML framework / GPU framework library (not a CUDA runtime library, not a generic package).

    ``extra``: the ``ml-packages`` option, names (PEP 503-normalised) a team treats as frameworks too."""
    if not name:
        return False
    if name in extra or canonicalize_name(name) in extra:
        return True
    names, globs, conda = _ml_tables()
    if manager == "conda":
        return name in conda
    if name in names:
        return True
    return any(kind == "framework" and fnmatch.fnmatchcase(name, glob) for glob, kind in globs)


# Packages whose new releases usually come with a different CUDA build or driver floor.
_GPU_FAMILIES = ("torch", "torchvision", "torchaudio", "pytorch", "triton", "xformers", "flash-attn",
                 "tensorflow", "tensorflow-cpu", "tf-nightly", "jax", "jaxlib", "vllm", "cupy",
                 "onnxruntime-gpu", "paddlepaddle-gpu", "bitsandbytes", "tensorrt")
_GPU_PREFIXES = ("cupy-", "tensorrt-", "jax-cuda", "mxnet-cu")
# conda CUDA meta-packages are versioned major.minor: `pytorch-cuda=12.1` is their pin.
_CONDA_MINOR_PINNED = {"pytorch-cuda", "cuda-version", "cudatoolkit", "cuda-toolkit"}


def _is_gpu_family(name: str) -> bool:
    return name in _GPU_FAMILIES or name.startswith(_GPU_PREFIXES)


def _patch_only(specifier: str) -> bool:
    """``~=2.1.0`` (or ``>=2.1.0,<2.2``) lets only patch releases through: like a wildcard."""
    parts = [p for p in specifier.split(",") if p]
    if len(parts) == 1 and parts[0].startswith("~=") and parts[0][2:].count(".") >= 2:
        return True
    lower = upper = None
    for part in parts:
        if part.startswith(">=") and not part.startswith(">=="):
            lower = parse_version(part[2:])
        elif part.startswith("<") and not part.startswith("<="):
            upper = parse_version(part[1:])
    if lower is None or upper is None or len(lower.release) < 2 or len(upper.release) < 2:
        return False
    return upper.release[:2] == (lower.release[0], lower.release[1] + 1) and not any(upper.release[2:])


def _floor_only(specifier: str) -> bool:
    """``>=${MIN}``: a variable in a lower bound does not pin anything."""
    parts = [p for p in specifier.split(",") if p]
    return bool(parts) and all(p.startswith(">") for p in parts)


def _pin_example(name: str, manager: str) -> str:
    return f"{name}=<version>" if manager == "conda" else f"{name}==<version>"


def unpinned_ml_package(ctx: CheckContext) -> Iterator[Hit]:
    extra = frozenset(canonicalize_name(n) for n in ctx.options.get("ml-packages") or ())
    for stage in ctx.stages:
        shipped = None
        for install in with_declared(stage.installs):
            manager = install.manager
            if install.action not in INSTALL_ACTIONS.get(manager, ()):
                continue
            ngc_constraint = ngc_pip_constraint_active(install)
            for requirement in install.requirements:
                name = requirement.name
                if not is_ml_package(name, manager, extra):
                    continue
                if requirement.error and not _floor_only(requirement.specifier):
                    continue  # `torch==${TORCH_VERSION}`: the build argument pins it
                if requirement.path and not requirement.url:
                    continue  # a local file or source tree: whatever the build context holds
                if requirement.exact_version or pinned_in_effect(install, requirement) is not None:
                    continue  # pinned, or pinned in effect (mllint.resolution says why)
                if shipped is None:
                    shipped = shipped_frameworks(stage)
                framework = _framework_of(name, manager)
                if framework and framework in shipped and not _separate_environment(install):
                    continue  # the image's own framework: framework-reinstalled judges it
                maybe_shipped = name in _DOMAIN_LIBS and "torch" in shipped and not _separate_environment(install)
                hit = _unpinned_hit(install, requirement, ngc_constraint, maybe_shipped)
                if hit is not None:
                    yield hit


_DOMAIN_LIBS = ("torchvision", "torchaudio")


def _unpinned_hit(install: Install, requirement: Requirement, ngc_constraint: bool,
                  maybe_shipped: bool = False) -> Hit | None:
    name = requirement.name or ""
    manager = install.manager
    shown = _shown(requirement)
    example = _pin_example(name, manager)
    severity: Severity | None = None
    if requirement.vcs:
        if requirement.vcs_commit:
            return None
        ref = requirement.vcs_ref
        what = (f"`{shown}` follows `@{ref}`, a branch or tag that can move" if ref
                else f"`{shown}` installs whatever the repository's default branch holds at build time")
        return Hit(
            f"{what}, so rebuilds can get different {name} code; pin a full 40-character commit "
            f"(`@<sha>`) or a released version ({example}).",
            install.instruction, line=install.line, column=install.column, severity=Severity.INFO,
            fix="pin a full commit hash or a released version",
        )
    if requirement.url:
        return None  # a direct archive URL without a version in its file name: not judged
    spec = requirement.specifier
    if manager == "conda" and requirement.wildcard and name in _CONDA_MINOR_PINNED:
        return None
    if requirement.wildcard or _patch_only(spec):
        severity = Severity.INFO
        detail = f"`{shown}` fixes only part of the version, so each build can pick up a new patch release"
    elif spec:
        detail = f"`{name}` is installed without an exact version (`{shown}`), so each build can resolve a newer release"
    else:
        detail = f"`{name}` is installed without a version, so each build resolves the newest release"
    if _is_gpu_family(name):
        effect = "which can bring a different CUDA build and a higher driver requirement"
    else:
        effect = "which can change behaviour or break against the other packages"
    suffix = ""
    if maybe_shipped:
        # torch images usually ship the matching torchvision/torchaudio, which pip then keeps
        severity = Severity.INFO
        suffix = " (unless the base image already ships it, which pip then keeps)"
    if ngc_constraint:
        severity = Severity.INFO
        path, _ = ngc_pytorch_constraint()
        suffix = f" (unless the NGC image's {path} pins it)"
    return Hit(
        f"{detail}, {effect}{suffix}; pin it, e.g. `{example}`.",
        install.instruction, line=install.line, column=install.column, severity=severity,
        fix=f"pin an exact version ({example})",
    )


# --------------------------------------------------------------------------- ML006

def uninstalled_before(install: Install, names: Iterable[str]) -> bool:
    """An earlier ``pip uninstall`` in the stage (or its ancestors) removes one of ``names``."""
    wanted = set(names)
    for line, own, removed in _uninstalls(install.stage):
        if own and line >= install.line:
            break
        if removed & wanted:
            return True
    return False


@per_stage
def _uninstalls(stage: Stage) -> list[tuple[int, bool, frozenset]]:
    """(line, in the stage itself, names) of the uninstalls of the stage and its parents, in order."""
    return [(other.line, st is stage, frozenset(r.name for r in other.requirements))
            for st in reversed(stage.lineage) for other in st.installs if other.action in ("uninstall", "remove")]


def _image_local(stage: Stage) -> str | None:
    """The local version label the image's torch carries (``cu121``), when the tag tells."""
    env = environment(stage.root)
    if env.kind == "pytorch" and env.cuda is not None:
        return "cu" + str(env.cuda.value).replace(".", "")
    return None


def _satisfied(requirement: Requirement, version: Version, stage: Stage) -> bool | None:
    """Whether the installed ``version`` satisfies the requirement (None: cannot tell)."""
    spec_text = requirement.specifier
    if requirement.exact_version and requirement.local_version:
        wanted = parse_version(requirement.exact_version)
        if wanted is None:
            return None
        if wanted.public != version.public:
            return False
        expected = version.local or _image_local(stage)
        if expected is None:
            return None
        return requirement.local_version.lower() == expected.lower()
    spec = _spec(spec_text)
    if spec is None:
        return None
    # pip accepts an installed pre-release (NGC's 2.6.0a0+...) when it matches the specifier
    return spec.contains(version, prereleases=True)


def framework_reinstalled(ctx: CheckContext) -> Iterator[Hit]:
    for stage in ctx.stages:
        shipped = None
        for install in with_declared(stage.installs):
            manager = install.manager
            if manager not in ("pip", "uv", "conda"):
                continue
            if install.action not in ("install", "update"):
                continue
            if manager in PY_MANAGERS and install.action != "install":
                continue
            if shipped is None:
                shipped = shipped_frameworks(stage)
            if not shipped:
                break
            for requirement in install.requirements:
                framework = _framework_of(requirement.name, manager)
                if framework is None or framework not in shipped:
                    continue
                if requirement.error and not requirement.name:
                    continue
                if _separate_environment(install):
                    break
                hit = _reinstall_hit(install, requirement, shipped[framework])
                if hit is not None:
                    edit = _pin_edit(install, requirement, shipped[framework])
                    yield dataclasses.replace(hit, edits=(edit,), safe=False) if edit else hit
                    break  # one finding per command


def _pin_edit(install: Install, requirement: Requirement, framework: ShippedFramework):
    """``pip install -U tensorflow`` on tensorflow/tensorflow:2.16.1 -> ``tensorflow==2.16.1``.

    Unsafe (the build no longer upgrades), and only when the image's version is a sourced, plain
    release of the framework's own PyPI name and the requirement is a bare name (extras allowed).
    """
    from mllint.fixes import edit_in_command, install_words, unquoted

    version = parse_version(framework.version)
    if (install.manager not in PY_MANAGERS or not framework.verified or version is None
            or version.local or version.is_prerelease or version.is_devrelease
            or ngc_pytorch_release(install.stage) is not None):
        return None
    if requirement.name != FRAMEWORK_PACKAGES[framework.name]["pip"][0]:
        return None
    if (requirement.specifier or requirement.url or requirement.path or requirement.vcs or requirement.error
            or requirement.marker):
        return None
    for word, offset in install_words(install):
        text, start = unquoted(word, offset)
        if text == requirement.raw.strip() and re.fullmatch(r"[A-Za-z0-9._-]+(\[[A-Za-z0-9._,-]*\])?", text):
            return edit_in_command(install, start, start + len(text), f"{text}=={framework.version}")
    return None


def _reinstall_hit(install: Install, requirement: Requirement, framework: ShippedFramework) -> Hit | None:
    name = requirement.name or ""
    stage = install.stage
    manager = install.manager
    image = framework.source
    shown = _shown(requirement)
    command = _tool_cmd(install)
    version = parse_version(framework.version)
    is_ngc = ngc_pytorch_release(stage) is not None and framework.name == "torch"
    severity: Severity | None = None if framework.verified else Severity.INFO
    primary = FRAMEWORK_PACKAGES[framework.name]["conda" if manager == "conda" else "pip"][0]

    fix = f"remove `{name}` from this install and use the image's build, or start from an image with the version you need"
    have = f" {framework.version}" if framework.version else ""
    if is_ngc and ngc_pip_constraint_active(install):
        return _constrained_ngc_hit(install, requirement, framework, version, fix)

    if requirement.error:
        # `torch==${TORCH_VERSION}`: a pinned version we cannot see
        replaced = "maybe"
    elif name != primary and framework.name == "tensorflow":
        # tensorflow-gpu / -cpu / tf-nightly are other distributions: pip installs them over the image's
        replaced = "yes"
        tf_dist_known = version is not None and version >= Version("2.12")
        if not tf_dist_known:
            severity = Severity.INFO
    elif _forced(install, name) or uninstalled_before(install, {name, primary}):
        replaced = "yes"
    elif version is None:
        if _upgraded(install, name):
            replaced = "yes"
        elif requirement.specifier or requirement.url or requirement.path or requirement.vcs:
            replaced = "maybe"
        else:
            return None  # already installed: pip/uv leave it alone
    else:
        if requirement.url or requirement.path or requirement.vcs:
            replaced = "yes"
        else:
            satisfied = _satisfied(requirement, version, stage)
            exact_same = satisfied and bool(requirement.exact_version)
            if satisfied is None:
                replaced = "maybe"
            elif not satisfied:
                replaced = "yes"
            elif _upgraded(install, name) and not exact_same:
                replaced = "yes"
            else:
                return None  # a no-op: the image's version already satisfies it
    if manager == "conda" and replaced == "yes" and not requirement.specifier and install.action != "update":
        replaced = "maybe"  # conda may keep an installed package that satisfies a bare name
    if replaced == "maybe":
        severity = Severity.INFO

    env = environment(stage.root)
    if is_ngc:
        what = f"NGC's own torch build{have}, compiled for the image's CUDA, cuDNN and NCCL,"
    elif framework.name == "torch" and env.kind == "pytorch" and env.cuda is not None:
        what = f"the torch{have} that {image} ships (built for its CUDA {env.cuda.value})"
    else:
        what = f"the {framework.name}{have} that {image} ships"
    verb = "replaces" if replaced == "yes" else "can replace"
    return Hit(
        f"`{command} {shown}` {verb} {what} with a separately downloaded build that may target another "
        f"CUDA and adds gigabytes; use the image's {framework.name}, or a base image with the version you need.",
        install.instruction, line=install.line, column=install.column, severity=severity, fix=fix,
    )


def _constrained_ngc_hit(install: Install, requirement: Requirement, framework: ShippedFramework,
                        version: Version | None, fix: str) -> Hit | None:
    """NGC PyTorch >= 25.03: pip keeps torch at the constraint file's version or fails to resolve."""
    name = requirement.name or ""
    path, _ = ngc_pytorch_constraint()
    severity: Severity | None = None if framework.verified else Severity.INFO
    if _forced(install, name) or requirement.url or requirement.path or requirement.vcs:
        fails = True  # a reinstall needs NGC's exact build from an index: not there
    elif requirement.error or (version is None and requirement.specifier):
        fails, severity = True, Severity.INFO
    elif version is None or not requirement.specifier:
        return None  # bare name or -U: the constraint keeps the installed build
    else:
        satisfied = _satisfied(requirement, version, install.stage)
        if satisfied:
            return None
        fails = True
        if satisfied is None:
            severity = Severity.INFO
    if not fails:
        return None
    have = f" ({framework.version})" if framework.version else ""
    return Hit(
        f"`{_tool_cmd(install)} {_shown(requirement)}` conflicts with the pip constraint file {path} of "
        f"{framework.source}, which pins torch to NGC's own build{have}, so pip is expected to fail to "
        f"resolve and the build stops; use the image's torch (or edit {path} first).",
        install.instruction, line=install.line, column=install.column, severity=severity, fix=fix,
    )


# --------------------------------------------------------------------------- ML007


def _deprecated_entries() -> list[dict]:
    return list(knowledge.table("packages").get("deprecated") or ())


def _entry_matches(entry: dict, requirement: Requirement, manager: str) -> bool:
    name = requirement.name
    if not name:
        return False
    wanted_manager = entry.get("manager") or "pip"
    actual = "conda" if manager == "conda" else "pip"
    if wanted_manager != actual:
        return False
    if entry.get("name_glob"):
        if not fnmatch.fnmatchcase(name, str(entry["name_glob"])):
            return False
    elif canonicalize_name(str(entry.get("name") or "")) != name:
        return False
    extra = entry.get("extra")
    if extra:
        if _norm_extra(str(extra)) not in {_norm_extra(e) for e in requirement.extras}:
            return False
        renamed_to = _replacement_extra(entry)
        if renamed_to and _norm_extra(renamed_to) == _norm_extra(str(extra)):
            # a rename that differs only in spelling: the new spelling is the fix, not the problem
            return renamed_to.lower() not in _raw_extras(requirement)
    return True


def _raw_extras(requirement: Requirement) -> set[str]:
    match = re.search(r"\[([^\]]*)\]", requirement.raw)
    return {e.strip().lower() for e in match.group(1).split(",")} if match else set()


def _replacement_extra(entry: dict) -> str | None:
    match = re.search(r"\[([^\]]+)\]", str(entry.get("replacement") or ""))
    return match.group(1).strip() if match else None


_KIND_SEVERITY = {
    "stub-fails-at-install": Severity.ERROR,
    "placeholder": Severity.WARNING,
    "removed": Severity.WARNING,
    "retired-unmaintained": Severity.WARNING,
}


def _spec_allows(requirement: Requirement, versions: Iterable[str]) -> bool | None:
    """Whether the requirement admits any of ``versions`` (None: cannot tell)."""
    if requirement.exact_version:
        pinned = parse_version(requirement.exact_version)
        return pinned is not None and any(parse_version(v) == pinned for v in versions)
    spec = _spec(requirement.specifier)
    if spec is None:
        return None
    return any(spec.contains(v, prereleases=True) for v in versions)


def _cuda_major_requested(requirement: Requirement) -> int | None:
    match = re.match(r"^(?:==|>=|>|~=)?\s*(\d+)", requirement.specifier or "")
    return int(match.group(1)) if match else None


def _entries_by_name(entries: list[dict]):
    """``name -> the entries that can match it``, in table order (named ones by their name, globs for all)."""
    named: dict[str, list[tuple[int, dict]]] = {}
    globbed: list[tuple[int, dict]] = []
    for index, entry in enumerate(entries):
        if entry.get("name_glob"):
            globbed.append((index, entry))
        else:
            named.setdefault(canonicalize_name(str(entry.get("name") or "")), []).append((index, entry))

    def candidates(name: str | None) -> list[dict]:
        return [entry for _, entry in sorted([*named.get(name or "", ()), *globbed], key=lambda pair: pair[0])]

    return candidates


def deprecated_ml_package(ctx: CheckContext) -> Iterator[Hit]:
    candidates = _entries_by_name(_deprecated_entries())  # not every entry against every requirement
    for stage in ctx.stages:
        for install in with_declared(stage.installs):
            manager = install.manager
            if manager not in ("pip", "uv", "conda"):
                continue
            actions = {"install", "add"} if manager in PY_MANAGERS else {"install", "create", "update"}
            if install.action not in actions:
                continue
            for requirement in install.requirements:
                if requirement.error and requirement.name is None:
                    continue
                for entry in candidates(requirement.name):
                    if _entry_matches(entry, requirement, manager):
                        hit = _deprecated_hit(ctx, install, requirement, entry)
                        if hit is not None:
                            edit = _rename_edit(install, requirement, entry)
                            yield dataclasses.replace(hit, edits=(edit,)) if edit else hit
                        break


def _drop_in(name: str, requirement: Requirement) -> bool:
    """Whether installing the replacement with the same specifier is the same install.

    tensorflow-gpu: "Other than the name, the two packages have been identical since TensorFlow 2.1"
    (knowledge: S_TF_GPU_STUB), so any specifier that rules out every version before 2.1.
    sklearn: its only release is the 0.0 stub (S_SKLEARN_PYPI), so only a bare name.
    """
    if requirement.url or requirement.path or requirement.vcs or requirement.error or requirement.marker:
        return False
    if name == "sklearn":
        return not requirement.specifier
    if name == "tensorflow-gpu":
        if not requirement.specifier:
            return True
        spec = _spec(requirement.specifier)
        if spec is None:
            return False
        floor = Version("2.1")
        for clause in spec:  # some clause must keep every version before 2.1 out
            version = parse_version(clause.version.removesuffix(".*"))
            if version is not None and clause.operator in (">=", "~=", "==", "===", ">") and version >= floor:
                return True
        return False
    return False


def _rename_edit(install: Install, requirement: Requirement, entry: dict):
    """``tensorflow-gpu==2.11.0`` -> ``tensorflow==2.11.0``: only the name, only for drop-ins."""
    from mllint.fixes import edit_in_command, install_words, unquoted

    name = str(entry.get("name") or "")
    replacement = str(entry.get("replacement") or "")
    if install.manager not in PY_MANAGERS or entry.get("extra") or not _drop_in(name, requirement):
        return None
    for word, offset in install_words(install):
        text, start = unquoted(word, offset)
        if text != requirement.raw.strip():
            continue
        written = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", text)
        if written is None or canonicalize_name(written.group()) != name:
            return None
        return edit_in_command(install, start, start + written.end(), replacement)
    return None


def _deprecated_hit(ctx: CheckContext, install: Install, requirement: Requirement, entry: dict) -> Hit | None:
    kind = str(entry.get("kind") or "removed")
    severity = _KIND_SEVERITY.get(kind, Severity.WARNING)
    if entry.get("severity"):  # a rename whose old name still installs the new package: a note
        severity = min(severity, Severity.parse(str(entry["severity"])))
    replacement = entry.get("replacement")
    shown = _shown(requirement)
    base = dict(instruction=install.instruction, line=install.line, column=install.column)
    fix = f"install {replacement} instead" if replacement else "remove it or migrate to a maintained framework"
    capped = knowledge.is_unverified(entry) or kind not in _KIND_SEVERITY

    if entry.get("applies_to_cuda"):  # conda cudatoolkit: only CUDA 12+ does not exist
        major = _cuda_major_requested(requirement)
        floor = parse_version(str(entry["applies_to_cuda"]).lstrip(">=").strip())
        if major is None or floor is None or major < floor.release[0]:
            return None
        version = requirement.exact_version or (
            requirement.specifier[2:].removesuffix(".*") if requirement.wildcard else None)
        pin = f"`cuda-version={version}`" if version else "`cuda-version`"
        return Hit(
            f"`{shown}` asks conda for a cudatoolkit that conda-forge does not have: from CUDA 12 on it "
            f"was replaced by split cuda-* packages, so the solve is expected to fail; pin {pin} and "
            f"install the cuda-* libraries you need (or the cuda-toolkit meta-package).",
            severity=Severity.INFO if capped else severity, fix=fix, **base,
        )

    if entry.get("extra"):
        return _removed_extra_hit(install, requirement, entry, capped, fix)

    if kind == "stub-fails-at-install":
        return _stub_hit(ctx, install, requirement, entry, capped, fix)

    if kind == "placeholder":
        stubs = [str(v) for v in entry.get("stub_versions") or ()]
        if stubs and requirement.exact_version and _spec_allows(requirement, stubs) is False:
            severity = Severity.INFO
        return Hit(
            f"`{shown}` is a placeholder package on PyPI, not the library it names "
            f"({_quote(entry.get('message'))}); install {replacement} instead.",
            severity=Severity.INFO if capped else severity, fix=fix, **base,
        )

    # retired-unmaintained / removed packages
    reason = _quote(entry.get("message"))
    tail = f" (last release {entry['last_version']})" if entry.get("last_version") else ""
    return Hit(
        f"`{shown}` installs a retired package{tail}: {reason}; "
        + (f"move to {replacement}." if replacement else "plan a migration to a maintained framework."),
        severity=Severity.INFO if capped else severity, fix=fix, **base,
    )


def _quote(text: object) -> str:
    return str(text or "").strip().strip("'\"").strip().rstrip(".")


def _removed_extra_hit(install: Install, requirement: Requirement, entry: dict, capped: bool, fix: str) -> Hit:
    extra = str(entry["extra"])
    since = str(entry.get("since") or "")
    replacement = entry.get("replacement")
    name = requirement.name or ""
    shown = _shown(requirement)
    severity = Severity.INFO if capped else Severity.WARNING
    since_v = parse_version(since)
    old_enough = None
    if requirement.error:
        old_enough = None  # `jax[cuda12_pip]==${JAX_VERSION}`: cannot tell
    elif since_v is not None:
        spec = _spec(requirement.specifier)
        if requirement.exact_version:
            pinned = parse_version(requirement.exact_version)
            old_enough = pinned is not None and pinned < since_v
        elif spec is not None and requirement.specifier:
            # a range that admits neither `since` nor anything later keeps the old extra
            old_enough = not spec.contains(since_v, prereleases=True) and not spec.contains(
                Version("9999"), prereleases=True)
    renamed_to = _replacement_extra(entry)
    if renamed_to and _norm_extra(renamed_to) == _norm_extra(extra):
        return Hit(
            f"`{shown}` spells the extra the old way: {name} {since} renamed `{extra}` to `{renamed_to}`, and "
            f"whether pip maps the old spelling to the new one is not established, so the CUDA packages may "
            f"be skipped; write {replacement}.",
            instruction=install.instruction, line=install.line, column=install.column,
            severity=Severity.INFO, fix=f"use {replacement}",
        )
    if requirement.error:
        return Hit(
            f"`{shown}` uses the `{extra}` extra, which {name} removed in {since}; if the version the "
            f"variable sets is {since} or newer, pip installs {name} without its CUDA packages; use "
            f"{replacement}.",
            instruction=install.instruction, line=install.line, column=install.column,
            severity=Severity.INFO, fix=f"use {replacement}",
        )
    if old_enough:
        return Hit(
            f"`{shown}` uses the `{extra}` extra, which {name} removed in {since}; it works only while "
            f"{name} stays below {since}, so any upgrade silently drops the CUDA packages; switch to "
            f"{replacement}.",
            instruction=install.instruction, line=install.line, column=install.column,
            severity=Severity.INFO, fix=f"use {replacement}",
        )
    if entry.get("unverified") is True:
        detail = _quote(entry.get("message"))
        return Hit(
            f"`{shown}` uses the `{extra}` extra, which current {name} releases are expected not to provide "
            f"({detail}), so pip would install {name} without its CUDA packages; use {replacement}.",
            instruction=install.instruction, line=install.line, column=install.column,
            severity=severity, fix=f"use {replacement}",
        )
    return Hit(
        f"`{shown}` uses the `{extra}` extra, which {name} removed in {since}: newer releases do not "
        f"provide it, so pip only warns and installs {name} without its CUDA packages (CPU only); "
        f"use {replacement}.",
        instruction=install.instruction, line=install.line, column=install.column,
        severity=severity, fix=f"use {replacement}",
    )


_TRUE_ESCAPE = "true"  # the sklearn stub's setup.py compares the lowercased value with "true"


def _stub_hit(ctx: CheckContext, install: Install, requirement: Requirement, entry: dict,
              capped: bool, fix: str) -> Hit:
    name = requirement.name or ""
    shown = _shown(requirement)
    replacement = entry.get("replacement")
    message = _quote(entry.get("message"))
    stubs = [str(v) for v in entry.get("stub_versions") or ()]
    base = dict(instruction=install.instruction, line=install.line, column=install.column)
    error_text = _quote(entry.get("error_text"))
    quoted = f" ('{_short(error_text)}')" if error_text else ""

    # Does the request reach the stub?  The stub is the name's newest release, so an unpinned
    # name or an open range gets it; a pin to another version is an old real release.
    admits_stub: bool | None
    if requirement.error:
        admits_stub = None
    elif stubs:
        admits_stub = _spec_allows(requirement, stubs)
    else:
        admits_stub = None if requirement.exact_version else True
    if admits_stub is not True:
        what = f"`{requirement.exact_version or requirement.specifier}`" if not requirement.error else "a version set by a variable"
        return Hit(
            f"`{shown}` pins the deprecated `{name}` package to {what}, which may be an old release that "
            f"still installs but gets no updates (newer versions are a stub that fails); {message}.",
            severity=Severity.INFO, fix=fix, **base,
        )

    escape = entry.get("escape_env")
    if escape and (install.env.get(str(escape)) or "").strip().lower() == _TRUE_ESCAPE:
        return Hit(
            f"`{shown}` installs the deprecated `{name}` package; {escape}=True only silences the "
            f"stub's install error, and the stub is not {replacement}; install {replacement} instead.",
            severity=Severity.INFO if capped else Severity.WARNING, fix=fix, **base,
        )

    severity = Severity.INFO if capped else Severity.ERROR
    when = "the build fails"
    since = str(entry.get("since") or "")
    brownout = entry.get("brownout") or {}
    if re.match(r"^\d{4}-\d{2}-\d{2}$", since) and ctx.today.isoformat() < since:
        severity = Severity.INFO if capped else Severity.WARNING
        when = f"builds fail in brownout windows (from {brownout.get('from')}) and always from {since}"
    return Hit(
        f"`{shown}` resolves to a stub on PyPI whose install raises an error{quoted}, so {when}: "
        f"{message}.",
        severity=severity, fix=fix, **base,
    )


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:!") + " ..."


RULES = {
    "ML002": unpinned_ml_package,
    "ML006": framework_reinstalled,
    "ML007": deprecated_ml_package,
}
