"""ML016 ``cuda-arch-unsupported``: CUDA architectures the stage's nvcc cannot compile for.

``TORCH_CUDA_ARCH_LIST`` / ``CUDA_ARCH_LIST`` (ARG, ENV, inline or ``export`` in a RUN) and nvcc's
``-gencode``/``-arch`` flags name compute capabilities. nvcc drops old ones (Kepler in CUDA 12.0;
Maxwell, Pascal and Volta in 13.0) and learns new ones in a given release; either way the extension
build stops with "nvcc fatal : Unsupported gpu architecture". The stage's nvcc version comes from
``environment()`` (the ``-devel`` image tag, ``cuda-toolkit-X-Y`` from apt). A second finding: with
``FORCE_CUDA=1`` and no architecture list, torch's extension builder asks the visible GPUs, and a
``docker build`` sees none. Facts: ``rules/knowledge/cuda_archs.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from packaging.version import InvalidVersion, Version

from mllint import knowledge
from mllint.context import CheckContext
from mllint.dockerfile import Instruction, Stage
from mllint.environment import Environment, environment
from mllint.rule import Hit, Severity

ARCH_VARIABLES = ("TORCH_CUDA_ARCH_LIST", "CUDA_ARCH_LIST")
_TRUE = {"1", "true", "yes", "on"}
_ITEM = re.compile(r"^(\d{1,2})\.(\d)[af]?(?:\+ptx)?$", re.I)
_GENCODE_FLAGS = ("-gencode", "--generate-code", "-arch", "--gpu-architecture")
_SM = re.compile(r"(?:compute|sm|lto)_(\d{1,2})(\d)[af]?\b")
_SETUP_ACTIONS = {"install", "develop", "build", "build_ext", "bdist_wheel"}


@dataclass(frozen=True)
class _Setting:
    """Where architectures are named: the variable or flag, its value, and the place."""

    what: str  # "TORCH_CUDA_ARCH_LIST" or "-gencode"
    value: str
    archs: tuple[str, ...]  # "3.5", "9.0"
    instruction: Instruction
    line: int
    column: int


def _table() -> dict:
    return knowledge.table("cuda_archs")


def _v(text: str) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


@lru_cache(maxsize=None)
def _named() -> dict[str, tuple[str, ...]]:
    return {k.lower(): tuple(v) for k, v in (_table().get("named_arches") or {}).items()}


def list_archs(value: str) -> tuple[str, ...]:
    """``"3.5;5.0 8.6+PTX"`` / ``"Kepler;Ampere"`` -> ("3.5", "5.0", "8.6") / ("3.5", "8.0", "8.6")."""
    out: list[str] = []
    for item in re.split(r"[;,\s]+", value.strip().strip("\"'")):
        if not item:
            continue
        named = _named().get(item.lower())
        if named:
            out.extend(named)
            continue
        match = _ITEM.match(item)
        if match:
            out.append(f"{int(match.group(1))}.{match.group(2)}")
    return tuple(dict.fromkeys(out))


def flag_archs(words: list[str]) -> tuple[str, ...]:
    """Compute capabilities of nvcc ``-gencode arch=compute_35,code=sm_35`` / ``-arch=sm_80`` words."""
    out: list[str] = []
    for i, word in enumerate(words):
        value = None
        if word in _GENCODE_FLAGS and i + 1 < len(words):
            value = words[i + 1]
        else:
            for flag in _GENCODE_FLAGS:
                if word.startswith(flag + "="):
                    value = word[len(flag) + 1:]
        if value:
            out.extend(f"{int(m.group(1))}.{m.group(2)}" for m in _SM.finditer(value))
    return tuple(dict.fromkeys(out))


def _assignments(command) -> list[tuple[str, str]]:
    """What a RUN command sets: ``X=1 cmd`` (inline) and ``export X=1``."""
    pairs = list(command.assignments)
    if command.argv and command.argv[0] == "export":
        pairs += [(w.split("=", 1)[0], w.split("=", 1)[1]) for w in command.argv[1:] if "=" in w]
    return pairs


def _settings(instruction: Instruction) -> Iterator[_Setting]:
    line, column = instruction.start_line, instruction.start_col
    if instruction.keyword in ("ARG", "ENV"):
        for name, value in instruction.assigned.items():
            if value:
                yield from _from_assignment(name, value, instruction, line, column)
        return
    for placed in instruction.commands:
        command = placed.command
        for name, raw in _assignments(command):
            expansion = instruction.expand(raw)
            if expansion.resolved and expansion.text:
                yield from _from_assignment(name, expansion.text, instruction, placed.line, placed.column)
        archs = flag_archs(list(command.argv))
        if archs:
            yield _Setting("-gencode", " ".join(command.argv), archs, instruction, placed.line, placed.column)


def _from_assignment(name: str, value: str, instruction: Instruction, line: int, column: int) -> Iterator[_Setting]:
    if name in ARCH_VARIABLES:
        archs = list_archs(value)
        if archs:
            yield _Setting(name, value, archs, instruction, line, column)
        return
    archs = flag_archs(value.split())
    if archs:
        yield _Setting(f"{name} (-gencode)", value, archs, instruction, line, column)


def _removed(arch: str) -> tuple[str, str] | None:
    """(CUDA release that dropped it, family) or None."""
    for row in _table().get("removed") or ():
        if arch in (row.get("archs") or ()):
            return str(row["cuda"]), str(row.get("family") or "")
    return None


def _introduced(arch: str) -> str | None:
    for row in _table().get("introduced") or ():
        if str(row.get("arch")) == arch:
            return str(row["cuda"])
    return None


def _nvcc(env: Environment) -> tuple[Version, str, bool] | None:
    """The stage's nvcc CUDA version, where it comes from and whether that is verified."""
    if env.cuda is None or env.nvcc is None or not env.nvcc.value:
        return None
    version = _v(".".join(str(env.cuda.value).split(".")[:2]))
    if version is None:
        return None
    return version, env.cuda.source, env.cuda.verified and env.nvcc.verified


def _problems(archs: tuple[str, ...], nvcc: Version) -> list[str]:
    found = []
    for arch in archs:
        removed = _removed(arch)
        if removed and nvcc >= Version(removed[0]):
            found.append(f"{arch} (dropped in CUDA {removed[0]} with {removed[1]})")
            continue
        first = _introduced(arch)
        if first and nvcc < Version(first):
            found.append(f"{arch} (first supported by CUDA {first})")
    return found


def _shown(setting: _Setting) -> str:
    value = setting.value if len(setting.value) <= 60 else setting.value[:57] + "..."
    return f"{setting.what}={value}" if setting.what in ARCH_VARIABLES else f"`{value}`"


def _arch_hits(stage: Stage) -> Iterator[Hit]:
    seen: set[tuple[str, ...]] = set()
    for instruction in stage.instructions:
        for setting in _settings(instruction):
            if setting.archs in seen:
                continue  # ARG X=... then ENV X=$X: one list, reported where it is written first
            seen.add(setting.archs)
            env = environment(stage, before=instruction)
            nvcc = _nvcc(env)
            if nvcc is None:
                hit = _unknown_cuda_hit(setting, env)
                if hit is not None:
                    yield hit
                continue
            version, source, verified = nvcc
            problems = _problems(setting.archs, version)
            if not problems:
                continue
            listed = ", ".join(problems)
            fix = "drop them, or build with a CUDA toolkit that supports them"
            message = (f"{_shown(setting)} names compute capability {listed}, which the stage's nvcc (CUDA "
                       f"{version}, from {source}) cannot compile for: the extension build stops with "
                       f"\"nvcc fatal : Unsupported gpu architecture\"; {fix}.")
            yield Hit(message, instruction, line=setting.line, column=setting.column,
                      severity=None if verified else Severity.INFO, fix=fix)


def _unknown_cuda_hit(setting: _Setting, env: Environment) -> Hit | None:
    """No CUDA version known for the stage: only archs no CUDA 12 or newer nvcc accepts (info)."""
    if env.cuda is not None:
        return None  # a CUDA runtime/base image without nvcc: nothing compiles here
    kepler = [a for a in setting.archs if (r := _removed(a)) and Version(r[0]) <= Version("12.0")]
    if not kepler:
        return None
    last = (((knowledge.table("frameworks").get("torch") or {}).get("cuda_index_last_release") or {})
            .get("11.8"))
    torch = f" and a torch built for CUDA 11 (torch {last} at the latest)" if last else ""
    fix = "drop them unless this image is built with a CUDA 11 toolkit"
    message = (f"{_shown(setting)} names compute capability {', '.join(kepler)}, which no CUDA 12 or newer nvcc "
               f"can compile for (\"Unsupported gpu architecture\"): the build works only with a CUDA 11.x "
               f"toolkit{torch}; {fix}.")
    return Hit(message, setting.instruction, line=setting.line, column=setting.column, severity=Severity.INFO,
               fix=fix)


# --------------------------------------------------------------------------- FORCE_CUDA=1, no list


def _compiles(instruction: Instruction, placed) -> bool:
    argv = placed.command.argv
    if any(w.endswith("setup.py") for w in argv) and _SETUP_ACTIONS & set(argv):
        return True
    for install in instruction.installs:
        if install.record.command is not placed.command or install.action != "install":
            continue
        if install.no_build_isolation or install.editable:
            return True
        if any((r.path and not r.url) or r.vcs for r in install.requirements):
            return True
    return False


def _force_cuda_hits(stage: Stage) -> Iterator[Hit]:
    env0 = environment(stage)
    if env0.kind not in ("cuda", "python", "os"):
        return  # framework images (NGC sets TORCH_CUDA_ARCH_LIST) and unknown bases: their presets are unknown
    for instruction in stage.instructions:
        if instruction.keyword != "RUN":
            continue
        inline: dict[str, str] = {}  # set by the RUN's commands so far (one pass: a RUN may have thousands)
        for placed in instruction.commands:
            inline.update(_assignments(placed.command))

            def value(name: str) -> str:
                return inline[name] if name in inline else (instruction.env.get(name) or "")

            if value("FORCE_CUDA").strip().lower() not in _TRUE:
                continue
            if any(value(n).strip() for n in ARCH_VARIABLES):
                continue
            if not _compiles(instruction, placed):
                continue
            nvcc = environment(stage, before=instruction).nvcc
            if nvcc is None or not nvcc.value:
                continue
            fix = 'set ENV TORCH_CUDA_ARCH_LIST to the GPUs you deploy on, e.g. "8.0;8.6;9.0+PTX"'
            message = ("FORCE_CUDA=1 builds CUDA extensions here but TORCH_CUDA_ARCH_LIST is not set: torch's "
                       "extension builder then takes the architectures of the visible GPUs, `docker build` sees "
                       "none, and the build stops with \"IndexError: list index out of range\" "
                       f"(arch_list[-1] += '+PTX'); {fix}.")
            yield Hit(message, instruction, line=placed.line, column=placed.column, severity=Severity.WARNING,
                      fix=fix)
            return


def cuda_arch_unsupported(ctx: CheckContext) -> Iterator[Hit]:
    for stage in ctx.stages:
        yield from _arch_hits(stage)
        yield from _force_cuda_hits(stage)


RULES = {"ML016": cuda_arch_unsupported}
