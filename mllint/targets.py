"""Which CUDA an installed package targets, and whether it brings its own CUDA libraries.

The answer comes from the install record (index URL, ``+cuXYZ`` local
version, package name, extras, uv's ``--torch-backend``, conda's
``pytorch-cuda``) and the knowledge base (the CUDA a pinned tensorflow or
onnxruntime-gpu release was built for, the CUDA bundled by torch's PyPI
wheel). Rules about CUDA mismatches, CPU-only wheels and missing CUDA
components all read this one answer.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from mllint import knowledge
from mllint.dockerfile import Install
from mllint.installs import (UNRESOLVED, Requirement, parse_conda_spec, parse_os_package, parse_pip_requirement,
                             parse_version)
from mllint.variables import expand

TORCH_FAMILY = frozenset({"torch", "torchvision", "torchaudio"})
_INDEX_CUDA = re.compile(r"download\.pytorch\.org/whl/(?:nightly/|test/)?(cu(\d+)|cpu|rocm[\d.]+)(?:/|$)")
_LOCAL_CUDA = re.compile(r"^cu(\d{2,3})$")


@dataclass(frozen=True)
class Target:
    """What one requirement means for CUDA."""

    requirement: Requirement
    package: str
    cuda: str | None  # "11.8", or a major alone ("12") when only that is known
    cpu_only: bool  # a CPU-only build
    bundles: bool | None  # brings its own CUDA libraries via wheels (None: unknown)
    needs: tuple[str, ...]  # components it needs from the image when it does not bundle them
    evidence: str  # for messages: "the index https://download.pytorch.org/whl/cu118"
    verified: bool = True
    cudnn: str | None = None  # cuDNN major/minor it was built with, when known

    @property
    def major(self) -> str | None:
        return self.cuda.split(".")[0] if self.cuda else None


def _cu(digits: str) -> str:
    """cu118 -> 11.8, cu121 -> 12.1, cu92 -> 9.2."""
    return f"{digits[:-1]}.{digits[-1]}"


def _minor(version: Version) -> str:
    return f"{version.major}.{version.minor}"


def _frameworks() -> dict:
    return knowledge.table("frameworks")


def _torch_target(install: Install, requirement: Requirement) -> Target | None:
    name = requirement.name or ""
    local = requirement.local_version or ""
    if local == "cpu":
        return Target(requirement, name, None, True, False, (), f"the local version +cpu of {requirement.raw}")
    if match := _LOCAL_CUDA.match(local):
        return Target(requirement, name, _cu(match.group(1)), False, True, (),
                      f"the local version +{local} of {requirement.raw}")
    if install.torch_backend:
        expansion = expand(install.torch_backend, install.env, quotes=False)
        backend = expansion.text if expansion.resolved else ""
        if backend == "cpu":
            return Target(requirement, name, None, True, False, (), "--torch-backend=cpu")
        if match := _LOCAL_CUDA.match(backend):
            return Target(requirement, name, _cu(match.group(1)), False, True, (), f"--torch-backend={backend}")
        return None  # uv picks the backend's index (auto, a variable without a value): not PyPI's default build
    urls = index_urls(install)
    for url in urls:
        match = _INDEX_CUDA.search(url or "")
        if not match:
            continue
        if match.group(1) == "cpu":
            return Target(requirement, name, None, True, False, (), f"the index {url}")
        if match.group(2):
            return Target(requirement, name, _cu(match.group(2)), False, True, (), f"the index {url}")
    if name != "torch" or install.manager != "pip" and install.manager != "uv":
        return None
    if any(not pypi_like(url) for url in urls):
        return None  # another index may serve its own torch build: the PyPI default is not known to apply
    version = parse_version(requirement.exact_version)
    if version is None:
        return None
    row = ((_frameworks().get("torch") or {}).get("releases") or {}).get(_minor(version)) or {}
    if not row.get("pypi_cuda"):
        return None
    return Target(requirement, name, str(row["pypi_cuda"]), False, True, (),
                  f"torch {version}'s default PyPI wheel", verified=not knowledge.is_unverified(row, "pypi_cuda"))


def _from_env(install: Install, *names: str) -> list[str]:
    """The URLs of the first of the PIP_*/UV_* variables set in the install's environment."""
    uv = install.manager == "uv"
    for name in names:
        value = install.env.get(name)
        if value:
            return [word.partition("=")[2] if uv and "=" in word and "://" not in word.partition("=")[0]
                    else word for word in value.split()]
    return []


def _index_url(install: Install) -> list[str]:
    """The main index of a pip/uv install (option, else PIP_INDEX_URL / UV_DEFAULT_INDEX / UV_INDEX_URL)."""
    if install.index_url:
        return [install.index_url]
    return _from_env(install, *(("UV_DEFAULT_INDEX", "UV_INDEX_URL") if install.manager == "uv"
                                else ("PIP_INDEX_URL",)))


def index_urls(install: Install) -> list[str]:
    """Index and find-links URLs of a pip/uv install, with PIP_*/UV_* from ENV where no option overrides them."""
    uv = install.manager == "uv"
    extra = list(install.extra_index_urls) or _from_env(
        install, *(("UV_INDEX", "UV_EXTRA_INDEX_URL") if uv else ("PIP_EXTRA_INDEX_URL",)))
    links = list(install.find_links) or _from_env(install, "UV_FIND_LINKS" if uv else "PIP_FIND_LINKS")
    return _index_url(install) + extra + links


def pypi_like(url: str) -> bool:
    text = (url or "").lower()
    return "pypi" in text or "pythonhosted.org" in text


def _tensorflow_target(requirement: Requirement) -> Target | None:
    name = requirement.name
    if name == "tensorflow-cpu":
        return Target(requirement, name, None, True, False, (), "the tensorflow-cpu package")
    version = parse_version(requirement.exact_version)
    if version is None:
        return None
    tf = _frameworks().get("tensorflow") or {}
    if "and-cuda" in requirement.extras:
        and_cuda = tf.get("and_cuda") or {}
        if _beyond(version, and_cuda.get("checked_through")):
            return None
        for row in and_cuda.get("cuda_major_by_version") or ():
            spec = str(row["tf"])
            spec = spec if spec[0] in "<>=!~" else f"=={spec}.*"
            try:
                if version in SpecifierSet(spec):
                    return Target(requirement, name, str(row["cuda_major"]), False, True, (),
                                  f"tensorflow[and-cuda]=={version}'s pip CUDA packages")
            except InvalidSpecifier:
                continue
        return None
    for key, row in (tf.get("releases") or {}).items():
        if ".".join(key.split(".")[:2]) == _minor(version):
            return Target(requirement, name, str(row["cuda"]), False, False, ("cudart", "cudnn"),
                          f"tensorflow {version}'s tested build configuration", cudnn=str(row.get("cudnn") or "") or None)
    return None


def _jax_target(requirement: Requirement) -> Target | None:
    extras = ((_frameworks().get("jax") or {}).get("extras")) or {}
    for extra in requirement.extras:
        row = extras.get(extra) or extras.get(extra.replace("_", "-"))
        if row and row.get("cuda_major"):
            bundles = bool(row.get("bundles_cuda"))
            needs = () if bundles else ("cudart", "cudnn", "nccl")
            return Target(requirement, "jax", str(row["cuda_major"]), False, bundles, needs,
                          f"the jax[{extra}] extra", verified=not knowledge.is_unverified(row, "cuda_major"))
    if requirement.name == "jax":
        return Target(requirement, "jax", None, True, False, (), "jax without a CUDA extra")
    return None


def _cupy_target(requirement: Requirement) -> Target | None:
    table = _frameworks().get("cupy") or {}
    name = requirement.name or ""
    row = (table.get("packages") or {}).get(name)
    if row and row.get("cuda_major"):
        bundles = "ctk" in requirement.extras and _ctk_bundles(table, name, requirement)
        return Target(requirement, name, str(row["cuda_major"]), False, bundles,
                      () if bundles else ("cudart", "math_libs"), f"the package name {name}")
    minor = ((table.get("per_minor_packages") or {}).get("known") or {}).get(name)
    if minor:
        return Target(requirement, name, str(minor), False, False, ("cudart", "math_libs"), f"the package name {name}")
    return None


def _ctk_bundles(table: dict, name: str, requirement: Requirement) -> bool:
    """``cupy-cuda12x[ctk]`` brings CUDA from PyPI only from CuPy v14; older releases ignore the extra."""
    ctk = table.get("ctk_extra") or {}
    if name not in (ctk.get("applies_to") or ()):
        return False
    since = Version(str(ctk.get("since") or "14.0.0"))
    version = parse_version(requirement.exact_version)
    if version is not None:
        return version >= since
    if requirement.specifier:
        try:
            return any(SpecifierSet(requirement.specifier).contains(v) for v in (str(since), "99"))
        except InvalidSpecifier:
            return True
    return True  # unpinned: the newest CuPy, which has the extra


def _onnxruntime_target(install: Install, requirement: Requirement) -> Target | None:
    table = _frameworks().get("onnxruntime_gpu") or {}
    feed = _onnxruntime_feed(install, requirement, table)
    if feed is not None:
        return None if feed is _FEED_UNDECIDED else feed
    return _onnxruntime_pypi(requirement, table)


def _onnxruntime_pypi(requirement: Requirement, table: dict) -> Target | None:
    """The CUDA of PyPI's onnxruntime-gpu build of an exact version (releases past ``checked_through``: unknown)."""
    version = parse_version(requirement.exact_version)
    if version is None or _beyond(version, table.get("checked_through")):
        return None
    for row in table.get("versions") or ():
        spec = str(row["versions"])
        if spec[0].isdigit():
            low, _, high = spec.partition("-")
            spec = f">={low},<{_next_minor(high or low)}"
        try:
            if version in SpecifierSet(spec):
                cuda = str(row["cuda"])
                cuda = row["cuda_major"] if cuda.endswith(".x") else cuda
                return Target(requirement, "onnxruntime-gpu", str(cuda), False, False, ("cudart", "math_libs", "cudnn"),
                              f"onnxruntime-gpu {version}'s PyPI build", cudnn=str(row.get("cudnn_major") or "") or None)
        except InvalidSpecifier:
            continue
    return None


_FEED_UNDECIDED = object()  # a feed that may lose to PyPI's build of another CUDA: judge nothing


def _onnxruntime_feed(install: Install, requirement: Requirement, table: dict) -> Target | object | None:
    """onnxruntime-gpu from one of Microsoft's CUDA feeds: built for the CUDA major the feed is named after.

    The feed decides when it is the index (``--index-url``), or any index of uv (uv takes a package from the
    first index that has it). As pip's ``--extra-index-url`` it may lose to PyPI's build of the same version:
    then the CUDA is known only where both builds agree, else nothing is judged (``_FEED_UNDECIDED``).
    """
    regex, rows = table.get("feed_regex"), {str(r.get("feed")): r for r in table.get("feeds") or ()}
    if not regex or not rows:
        return None
    primary = _index_url(install)
    for url in index_urls(install):
        match = re.search(regex, url or "")
        row = rows.get(match.group("feed")) if match else None
        if row is None:
            continue
        major = str(row["cuda_major"])
        if url not in primary and install.manager != "uv":
            pypi = _onnxruntime_pypi(requirement, table)
            if pypi is None or pypi.major != major:
                return _FEED_UNDECIDED
        return Target(requirement, "onnxruntime-gpu", major, False, False, ("cudart", "math_libs", "cudnn"),
                      f"Microsoft's {row['feed']} feed", verified=not knowledge.is_unverified(row))
    return None


def _beyond(version: Version, checked_through) -> bool:
    """A release newer than the newest one a table was checked for: unknown, never judged."""
    newest = parse_version(str(checked_through)) if checked_through else None
    return newest is not None and version > newest


def _next_minor(text: str) -> str:
    major, _, minor = text.partition(".")
    return f"{major}.{int(minor or 0) + 1}"


def _nvidia_pip_target(requirement: Requirement) -> Target | None:
    name = requirement.name or ""
    match = re.match(r"^nvidia-[a-z0-9-]+?-cu(1\d)$", name)
    if match:
        return Target(requirement, name, match.group(1), False, True, (), f"the package name {name}")
    match = re.match(r"^tensorrt-cu(1\d)$", name)
    if match:
        return Target(requirement, name, match.group(1), False, None, (), f"the package name {name}")
    match = re.match(r"^mxnet-cu(\d{2,3})(?:mkl)?$", name)
    if match:
        return Target(requirement, name, _cu(match.group(1)), False, False, ("cudart", "math_libs", "cudnn"),
                      f"the package name {name}", verified=False)
    return None


def _paddle_target(install: Install, requirement: Requirement) -> Target | None:
    regex = (_frameworks().get("paddlepaddle_gpu") or {}).get("index_cuda_regex")
    for url in ([install.index_url] if install.index_url else []) + list(install.extra_index_urls):
        match = re.search(regex, url or "") if regex else None
        if match:
            return Target(requirement, "paddlepaddle-gpu", f"{match.group('major')}.{match.group('minor')}", False,
                          False, ("cudart", "math_libs", "cudnn"), f"the index {url}", verified=False)
    return None


def _conda_target(requirement: Requirement) -> Target | None:
    if requirement.name == "cpuonly":  # the pytorch channel's metapackage that selects CPU-only builds
        return Target(requirement, "cpuonly", None, True, False, (), f"conda {requirement.raw}")
    if requirement.name in ("pytorch-cuda", "cudatoolkit", "cuda-version", "cuda-toolkit"):
        version = requirement.exact_version or (requirement.specifier or "").lstrip("=")
        if re.match(r"^\d+\.\d+", version or ""):
            cuda = ".".join(version.split(".")[:2])
            return Target(requirement, requirement.name, cuda, False, True, (), f"conda {requirement.raw}")
    return None


def target(install: Install, requirement: Requirement) -> Target | None:
    """The CUDA meaning of one requirement of an install, or None when it has none we know."""
    name = requirement.name or ""
    if install.manager == "conda":
        return _conda_target(requirement)
    if install.manager not in ("pip", "uv"):
        return None
    if name in TORCH_FAMILY:
        return _torch_target(install, requirement)
    if name in ("tensorflow", "tensorflow-cpu"):
        return _tensorflow_target(requirement)
    if name == "jax" or name.startswith("jax-cuda"):
        return _jax_target(requirement)
    if name.startswith("cupy"):
        return _cupy_target(requirement)
    if name == "onnxruntime-gpu":
        return _onnxruntime_target(install, requirement)
    if name == "paddlepaddle-gpu":
        return _paddle_target(install, requirement)
    return _nvidia_pip_target(requirement)


def resolve(install: Install, requirement: Requirement) -> Requirement:
    """The requirement with ``$VAR`` expanded from the ENV/ARG values in force (``torch==${TORCH}``);
    unchanged when a variable's value is unknown."""
    if requirement.error != UNRESOLVED:
        return requirement
    expansion = expand(requirement.raw, install.env, quotes=False)
    if not expansion.resolved or "$" in expansion.text:
        return requirement
    if install.manager == "conda":
        resolved = parse_conda_spec(expansion.text)
    elif install.manager in ("pip", "uv"):
        resolved = parse_pip_requirement(expansion.text, editable=requirement.editable)
    elif install.manager in ("apt", "yum", "apk"):
        resolved = parse_os_package(expansion.text, install.manager)  # apt-get install python${PYTHON_VERSION}
    else:
        return requirement
    return resolved if resolved.error is None else requirement


def targets(install: Install) -> list[Target]:
    """CUDA targets of an install's requirements (variables expanded where their values are known)."""
    return [t for r in install.requirements if (t := target(install, resolve(install, r))) is not None]


def matches_glob(name: str, globs) -> bool:
    return any(fnmatch.fnmatchcase(name, g) for g in globs)
