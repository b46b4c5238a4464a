"""A pinned framework release that has no build for the Python the install runs with."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from mllint import knowledge
from mllint.context import CheckContext
from mllint.depfiles import with_declared
from mllint.dockerfile import Install, Instruction, Stage
from mllint.environment import Fact, environment
from mllint.rule import Hit, Severity

_PY = re.compile(r"^(?:python|pip)?(3\.\d+)$")
_WILDCARD_PIN = re.compile(r"^==\s*(\d+(?:\.\d+)*)\.\*$")
_CUPY_BINARY = re.compile(r"^cupy-cuda\d+x$")


def _minor_tuple(text: str) -> tuple[int, int]:
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


@dataclass(frozen=True)
class _Support:
    """The CPython range a release publishes wheels for."""

    label: str  # "torch 2.9"
    lo: str | None = None  # lowest supported CPython minor
    hi: str | None = None  # highest (None: unknown or unbounded)
    also: tuple[str, ...] = ()  # extra minors outside lo..hi with wheels
    spec: SpecifierSet | None = None  # a Requires-Python range
    verified: bool = True
    certain: bool = True  # False: the failure mode itself is inferred ("is expected to")
    quote_pip: bool = True  # pip's error names this very pin (not so for jax: it names jaxlib)
    note: str = ""
    spec_text: str = ""

    def supports(self, python: str) -> bool:
        if python in self.also:
            return True
        value = _minor_tuple(python)
        if self.lo and value < _minor_tuple(self.lo):
            return False
        if self.hi and value > _minor_tuple(self.hi):
            return False
        if self.spec is not None:
            return any(self.spec.contains(f"{python}.{patch}", prereleases=True) for patch in (0, 99))
        return True

    def describe(self) -> str:
        if self.spec is not None:
            text = f"requires Python {self.spec_text or self.spec}"
        elif self.lo and self.hi:
            text = f"has wheels only for Python {self.lo}-{self.hi}"
        elif self.lo:
            text = f"requires Python {self.lo} or newer"
        else:
            text = f"has wheels only up to Python {self.hi}"
        return text + (f" ({self.note})" if self.note else "")


# --------------------------------------------------------------------------- framework ranges

def _frameworks() -> dict:
    return knowledge.table("frameworks")


def _python_row(row: dict) -> tuple[str | None, str | None, tuple[str, ...]]:
    python = row.get("python") or {}
    return python.get("min"), python.get("max"), tuple(python.get("experimental") or ())


def _torch(version: Version) -> _Support | None:
    releases = (_frameworks().get("torch") or {}).get("releases") or {}
    minor = f"{version.major}.{version.minor}"
    row = releases.get(minor)
    if not row or not row.get("python"):
        return None
    lo, hi, also = _python_row(row)
    return _Support(f"torch {minor}", lo, hi, also, verified=not knowledge.is_unverified(row, "python"))


def _tensorflow(version: Version) -> _Support | None:
    releases = (_frameworks().get("tensorflow") or {}).get("releases") or {}
    minor = f"{version.major}.{version.minor}"
    for key, row in releases.items():
        if ".".join(str(key).split(".")[:2]) == minor and row.get("python"):
            lo, hi, also = _python_row(row)
            return _Support(f"tensorflow {minor}", lo, hi, also, verified=not knowledge.is_unverified(row, "python"))
    return None


def _jax(version: Version) -> _Support | None:
    floor = None
    for row in (_frameworks().get("jax") or {}).get("python_floor") or ():
        try:
            since = Version(str(row["jax"]))
        except (InvalidVersion, KeyError):
            continue
        if since <= version and (floor is None or since >= floor[0]):
            floor = (since, row)
    if floor is None:
        return None
    since, row = floor
    # Floors only rise, so the last known floor at or below this version is a safe lower bound.
    return _Support(f"jax {version}", lo=str(row["min"]), verified=not knowledge.is_unverified(row, "min"),
                    quote_pip=False, note=f"jax and jaxlib since {since}")


def _cupy(name: str, version: Version) -> _Support | None:
    cupy = _frameworks().get("cupy") or {}
    requirements = cupy.get("v14_requirements") or {}
    if version.major != 14 or not requirements.get("python"):
        return None
    newest = cupy.get("v14_checked_through")
    if newest is None or version > Version(str(newest)):
        return None  # a release newer than the table was checked for: unknown, never judged
    if name != "cupy" and name not in (cupy.get("packages") or {}):
        return None
    lo, hi, _ = _python_row(requirements)
    # The plain `cupy` sdist can try a source build above the wheel range: only its floor is certain.
    hi = hi if _CUPY_BINARY.match(name) else None
    return _Support(f"{name} 14", lo, hi, verified=not knowledge.is_unverified(requirements, "python"))


def _vllm(version: Version) -> _Support | None:
    pins = (_frameworks().get("vllm") or {}).get("torch_pins") or {}
    row = pins.get(str(version))
    if not row or not row.get("requires_python"):
        return None
    try:
        spec = SpecifierSet(str(row["requires_python"]))
    except InvalidSpecifier:
        return None
    return _Support(f"vllm {version}", spec=spec, spec_text=str(row["requires_python"]),
                    verified=not knowledge.is_unverified(row, "requires_python"))


def _support(name: str, version: Version) -> _Support | None:
    if name == "torch":
        return _torch(version)
    if name == "tensorflow":
        return _tensorflow(version)
    if name == "jax":
        return _jax(version)
    if name == "cupy" or name.startswith("cupy-cuda"):
        return _cupy(name, version)
    if name == "vllm":
        return _vllm(version)
    # tensorrt is left out on purpose: its 11.x pip docs call Python 3.8/3.9 bindings "deprecated", and the
    # TensorRT 11.1 tarball still ships cp38/cp39 wheels, so "no build" cannot be concluded.
    return None


def _pinned_version(requirement) -> tuple[Version, str] | None:
    """The version an exact pin (``==2.9.0``, ``==2.9.0+cu126``, ``==2.9.*``) selects, and the pin as written."""
    text = requirement.exact_version
    if text is None:
        match = _WILDCARD_PIN.match((requirement.specifier or "").strip())
        if not match:
            return None
        text = match.group(1)
    try:
        shown = requirement.raw if " " not in requirement.raw and ";" not in requirement.raw \
            else f"{requirement.name}{requirement.specifier}"
        return Version(text), shown
    except InvalidVersion:
        return None


# --------------------------------------------------------------------------- the Python that runs the install

_PYTHON_CHANGERS = frozenset({"conda", "mamba", "micromamba", "pyenv", "virtualenv", "pipenv", "poetry", "pdm",
                              "hatch", "rye", "asdf"})
_OTHER_PYTHON_WORD = re.compile(r"(?i)(?:mini|ana)conda|miniforge|mambaforge|micromamba|deadsnakes|altinstall|"
                                r"^Python-\d")
_PATH_MARKERS = ("conda", "venv", "virtualenv", "pyenv", "mamba", "/env/", "/env:", "/opt/python")
_PYTHON_ENV_VARS = {"VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DIR", "PYENV_ROOT", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT"}
_APT_MINOR_PYTHON = re.compile(r"^python3\.\d+(?:-.*)?$")
_SWITCHING_SHELL = re.compile(r"conda|mamba|venv|activate|pyenv")
_VERSIONED_PYTHON = re.compile(r"python3\.\d+")


def explicit_python(install: Install) -> str | None:
    """``pip3.11``, ``python3.11 -m pip``, ``uv pip install --python 3.11``."""
    first = posixpath.basename(install.tool.split()[0])
    match = _PY.match(first)
    if match:
        return match.group(1)
    if install.manager == "uv":
        value = install.record.option("--python")
        if value:
            match = _PY.match(posixpath.basename(value.strip()))
            if match:
                return match.group(1)
    return None


def _default_python_tool(install: Install) -> bool:
    """pip/pip3/python/python3 (possibly by an absolute path outside any venv/conda prefix)."""
    first = install.tool.split()[0]
    if "/" in first and any(marker in first for marker in ("conda", "venv", "env/", "mamba", "pyenv", ".local")):
        return False
    name = posixpath.basename(first)
    if install.manager == "uv":
        system = install.system or (install.env.get("UV_SYSTEM_PYTHON") or "").strip().lower() in ("1", "true")
        return system and install.tool.endswith("uv pip") and name in ("uv", "python", "python3")
    return name in ("pip", "pip3", "python", "python3")


def _stage_changes_python(stage: Stage, install: Install) -> bool:
    """Whether anything before the install could make pip run another Python than the image's."""
    changes = _python_changes(stage)
    if changes.inherited:
        return True
    at = changes.positions.get(id(install.command))
    return changes.first is not None and (at is None or changes.first < at)


@dataclass
class _PythonChanges:
    """Per stage, from one pass: where the first thing that may change pip's Python is."""

    inherited: bool  # in a parent stage (so before every install of this one)
    first: tuple[int, int] | None  # (instruction, command) in this stage; command -1: the instruction itself
    positions: dict[int, tuple[int, int]]  # id(command) -> (instruction, command)


def _python_changes(stage: Stage) -> _PythonChanges:
    cache = stage.dockerfile.facts.setdefault("python_changes", {})
    pending, current = [], stage  # parents first, without recursion
    while current is not None and current.index not in cache and current not in pending:
        pending.append(current)
        current = current.parent
    for member in reversed(pending):
        parent = cache.get(member.parent.index) if member.parent is not None else None
        changes = _PythonChanges(bool(parent and (parent.inherited or parent.first is not None)), None, {})
        for i, instruction in enumerate(member.instructions):
            if changes.first is None and _instruction_changes_python(instruction):
                changes.first = (i, -1)
            records = {id(other.command): other for other in instruction.installs}
            for j, placed in enumerate(instruction.commands):
                changes.positions[id(placed.command)] = (i, j)
                if changes.first is None and _changes_python(placed.command.argv, records.get(id(placed.command))):
                    changes.first = (i, j)
        cache[member.index] = changes
    return cache[stage.index]


def _instruction_changes_python(instruction: Instruction) -> bool:
    if instruction.keyword == "SHELL" and _SWITCHING_SHELL.search(instruction.value):
        return True  # SHELL ["conda", "run", ...] or a shell that activates an environment
    if instruction.keyword in ("ENV", "ARG"):
        for key, value in instruction.assigned.items():
            if key in _PYTHON_ENV_VARS:
                return True
            # the written text as well as the expansion: `ENV PATH=${VENV}/bin:$PATH`
            text = f"{instruction.value} {value or ''}".lower()
            if key == "PATH" and any(m in text for m in _PATH_MARKERS):
                return True
    if instruction.keyword in ("COPY", "ADD") and instruction.flag("from"):
        # a Python (or a whole prefix) copied from another stage or image; a single tool such as
        # `COPY --from=ghcr.io/astral-sh/uv /uv /usr/local/bin/` does not count
        words = instruction.value.lower().split()
        if words and (words[-1].rstrip("/") in ("/usr/local", "/usr", "/opt")
                      or any(m in w for w in words for m in ("python", "conda", "venv", "site-packages"))):
            return True
    return False


def _changes_python(argv: tuple[str, ...], record) -> bool:
    if command_changes_python(argv):
        return True
    if record is None:
        return False
    if record.manager == "conda" or (record.manager == "uv" and record.action in ("venv", "python-install")):
        return True
    return record.manager in ("apt", "yum", "apk") and any(_APT_MINOR_PYTHON.match(r.name or "")
                                                           for r in record.requirements)


def command_changes_python(argv: tuple[str, ...]) -> bool:
    if not argv:
        return False
    name = posixpath.basename(argv[0])
    if name == "update-alternatives":
        return any("python" in a for a in argv[1:])
    if name in _PYTHON_CHANGERS:
        return True
    if name in ("source", ".") or (name == "ln" and any(_VERSIONED_PYTHON.search(a) for a in argv[1:])):
        return True
    if name.startswith("python") and "-m" in argv and any(a in ("venv", "virtualenv") for a in argv):
        return True
    if name == "uv" and len(argv) > 1 and argv[1] in ("venv", "python", "sync", "run"):
        return True
    return any(_OTHER_PYTHON_WORD.search(a) for a in argv)


def _install_python(install: Install) -> tuple[Fact, bool] | None:
    """(the Python fact, whether it is named by the command) for this install, or None if unknown."""
    explicit = explicit_python(install)
    if explicit:
        named = install.manager != "uv"  # uv: the Python is an option, say where it comes from
        return Fact(explicit, f"`--python {install.record.option('--python')}`"), named
    if not _default_python_tool(install):
        return None
    stage = install.stage
    if _stage_changes_python(stage, install):
        return None
    # Facts after this RUN: `apt-get install python3 && pip3 install ...` in one RUN counts.
    env = environment(stage, after=install.instruction)
    fact = env.python
    if fact is None or env.kind == "pytorch":  # the pytorch/pytorch Python is a build default, not per tag
        return None
    return fact, False


# --------------------------------------------------------------------------- messages

def _alternative(name: str, support: _Support, python: str) -> str:
    """' or pin torch 2.4.x (its newest release with Python 3.8 wheels)', when the data says.

    The claim must be true: a release whose Python range is unknown (no maximum, or unverified) between the
    pick and the pinned release could be the real newest (or first) one, and then no release is named.
    """
    if name not in ("torch", "tensorflow"):
        return ""
    value = _minor_tuple(python)
    supported, unknown = [], []
    for key, row in ((_frameworks().get(name) or {}).get("releases") or {}).items():
        release = _minor_tuple(str(key))
        lo, hi, also = _python_row(row)
        known = lo is not None and hi is not None and not knowledge.is_unverified(row, "python")
        if known and _minor_tuple(lo) <= value <= _minor_tuple(hi):
            supported.append(release)
        elif python in also or (not known and (lo is None or _minor_tuple(lo) <= value)):
            unknown.append(release)  # experimental, or a range the data does not know: may have wheels for it
    if not supported:
        return ""
    too_old = support.lo is not None and value < _minor_tuple(support.lo)
    pick = max(supported) if too_old else min(supported)
    if any(release > pick if too_old else release < pick for release in unknown):
        return ""
    which = "newest" if too_old else "first"
    return f", or pin {name} {'.'.join(map(str, pick))}.x (its {which} release with Python {python} wheels)"


def _tool(install: Install) -> str:
    words = install.tool.split()
    return " ".join([posixpath.basename(words[0]), *words[1:]])


def _message(install: Install, pin: str, name: str, support: _Support, python: Fact, named: bool) -> str:
    runs = ("runs" if python.verified else "probably runs") + f" with Python {python.value}"
    runs += "" if named else f" ({python.source})"
    if not (support.certain and python.verified):
        failure = "the install is expected to fail at build time"
    elif install.manager == "pip" and support.quote_pip:
        failure = f"pip fails at build time with 'No matching distribution found for {pin}'"
    elif install.manager == "pip":
        failure = f"pip finds no matching {name} build and fails at build time"
    else:
        failure = "the install fails at build time"
    return (f"`{_tool(install)} install {pin}` {runs}, but {support.label} {support.describe()}, so {failure}; "
            f"use a supported Python{_alternative(name, support, str(python.value))}.")


def _local_wheels(install: Install) -> bool:
    """--no-index or a local --find-links: the wheels may be private builds."""
    if install.record.has_option("--no-index"):
        return True
    return any("://" not in link for link in install.find_links)


def python_version_unsupported(ctx: CheckContext) -> Iterator[Hit]:
    """pip/uv installs an exact framework release that publishes nothing for the running Python."""
    for stage in ctx.stages:
        for install in with_declared(stage.installs):
            if install.manager not in ("pip", "uv") or install.action != "install":
                continue
            record = install.record
            if any(record.has_option(o) for o in ("--python-version", "--target", "--platform", "--prefix")):
                continue  # installing for another interpreter or platform
            if _local_wheels(install):
                continue
            checks = []
            for requirement in install.requirements:
                if not requirement.name or requirement.url or requirement.path:
                    continue
                pinned = _pinned_version(requirement)
                if pinned is None:
                    continue
                support = _support(requirement.name, pinned[0])
                if support is not None:
                    checks.append((requirement, pinned[1], support))
            if not checks:
                continue
            found = _install_python(install)
            if found is None:
                continue
            python, named = found
            version = str(python.value)
            if not re.match(r"^3\.\d+$", version):
                continue
            for requirement, pin, support in checks:
                if support.supports(version):
                    continue
                verified = python.verified and support.verified and support.certain
                yield Hit(
                    _message(install, pin, requirement.name, support, python, named),
                    install.instruction,
                    line=install.line,
                    column=install.column,
                    severity=None if verified else Severity.INFO,
                    fix=f"use a Python that {support.label} supports",
                )


RULES = {"ML012": python_version_unsupported}


def support_text(name: str, version: str) -> str | None:
    """What the knowledge base says about a release's Python support ("has wheels only for Python 3.9-3.12"),
    for hovers and `mllint stack`; None when it says nothing."""
    try:
        support = _support(name, Version(version))
    except InvalidVersion:
        return None
    if support is None:
        return None
    return f"{support.label} {support.describe()}" + ("" if support.verified else " (unverified)")
