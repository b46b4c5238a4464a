"""framework-reinstalled (ML006), NGC half: what NGC PyTorch ships beside torch, and its pip constraint.

* A pinned, upgraded or forced install of a component NGC builds beside torch (apex, Transformer Engine,
  triton, ...) replaces NGC's build with a PyPI one built for another torch/CUDA.
* Since 25.03 NGC PyTorch pins every package it was built with in a pip constraint file; blanking
  ``PIP_CONSTRAINT`` (``ENV``/``ARG PIP_CONSTRAINT=``, ``PIP_CONSTRAINT= pip ...``, ``unset``) switches that
  protection off, and ``uv pip`` never reads it (uv reads ``UV_CONSTRAINT``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from packaging.utils import canonicalize_name

from mllint import knowledge
from mllint.checks.locations import key_line
from mllint.checks.packages import ngc_pytorch_constraint, ngc_pytorch_release, uninstalled_before
from mllint.context import CheckContext
from mllint.depfiles import with_declared
from mllint.dockerfile import Stage
from mllint.resolution import forced
from mllint.rule import Hit, Severity


def _ngc() -> dict:
    return ((knowledge.table("images").get("ngc") or {}).get("pytorch") or {})


def _components(release: str) -> dict[str, bool]:
    """Components NGC PyTorch ``release`` ships -> whether that fact is sourced."""
    found = {}
    for row in _ngc().get("bundled_components") or ():
        since = row.get("since")
        if since and release < str(since):
            continue
        found[canonicalize_name(str(row["package"]))] = not knowledge.is_unverified(row)
    return found


def _component_hits(stage: Stage, release: str) -> Iterator[Hit]:
    components = _components(release)
    for install in with_declared(stage.installs):
        if install.manager not in ("pip", "uv") or install.action != "install":
            continue
        if uninstalled_before(install, {"torch"}) or any(r.name == "torch" for r in install.requirements):
            continue  # NGC's torch itself is replaced here: framework-reinstalled reports that
        for requirement in install.requirements:
            name = requirement.name
            if not name or name not in components:
                continue
            replaced = forced(install, name) or uninstalled_before(install, {name})
            if not (replaced or install.upgrade or requirement.specifier or requirement.url or requirement.vcs):
                continue  # a bare name: pip keeps the image's build
            verb = "replaces" if replaced or requirement.url or requirement.vcs or install.upgrade else "can replace"
            yield Hit(
                f"`{install.tool} install {requirement.raw.strip()}` {verb} the {name} that NGC PyTorch {release} "
                f"builds and tests with its own torch, with a separately built one that may target another torch "
                f"or CUDA (undefined-symbol errors at import, or silent fallbacks); use the image's {name}, or an "
                "NGC release that ships the version you need.",
                install.instruction, line=install.line, column=install.column,
                severity=None if components[name] and verb == "replaces" else Severity.INFO,
                fix=f"remove `{name}` from this install and use the image's build",
            )
            break


def _blanked(value: str | None) -> bool:
    return value is not None and not value.strip().strip("'\"")


def _constraint_hits(stage: Stage, release: str) -> Iterator[Hit]:
    path, _ = ngc_pytorch_constraint()
    variable = str((_ngc().get("constraint_variable") or {}).get("name") or "PIP_CONSTRAINT")
    effect = (f"so later pip installs may replace NGC's torch, triton and the other packages {path} pins with "
              "PyPI builds for another CUDA")
    for instruction in stage.instructions:
        if instruction.keyword in ("ENV", "ARG") and variable in instruction.assigned:
            if _blanked(instruction.assigned[variable]):
                yield Hit(
                    f"`{instruction.keyword} {variable}=` blanks the pip constraint of NGC PyTorch {release} "
                    f"({path}), {effect}; leave it set and pin only what you need to change.",
                    instruction, line=key_line(instruction, variable), column=1, severity=Severity.INFO,
                    fix=f"do not blank {variable}",
                )
            continue
        if instruction.keyword != "RUN":
            continue
        for placed in instruction.commands:
            command = placed.command
            assigned = dict(command.assignments)
            unset = command.argv[:1] == ("unset",) and variable in command.argv[1:]
            if unset or (variable in assigned and _blanked(assigned[variable]) and command.argv):
                shown = f"unset {variable}" if unset else f"{variable}= {posixpath.basename(command.argv[0])} ..."
                yield Hit(
                    f"`{shown}` switches off the pip constraint of NGC PyTorch {release} ({path}), {effect}; "
                    "keep the constraint and pin only what you need to change.",
                    instruction, line=placed.line, column=placed.column, severity=Severity.INFO,
                    fix=f"do not blank {variable}",
                )
    for install in stage.installs:
        if install.manager != "uv" or install.action != "install" or not install.requirements:
            continue
        if install.constraint_files or (install.env.get("UV_CONSTRAINT") or "").strip():
            continue
        if not install.system and not (install.env.get("UV_SYSTEM_PYTHON") or "").strip():
            continue  # a separate virtual environment: NGC's packages are not in it
        if any(r.name == "torch" for r in install.requirements):
            continue  # replacing torch itself: the framework-reinstalled finding on torch says it
        yield Hit(  # the first unprotected uv install of the stage stands for the others
            f"`{install.tool} install` on NGC PyTorch {release} does not read {variable} (uv reads "
            f"UV_CONSTRAINT), so NGC's constraint file {path} does not protect torch and its companions here; "
            f"add `-c {path}` (or set UV_CONSTRAINT={path}).",
            install.instruction, line=install.line, column=install.column, severity=Severity.INFO,
            fix=f"pass -c {path} to uv pip install",
        )
        break


def ngc_components_and_constraint(ctx: CheckContext) -> Iterator[Hit]:
    for stage in ctx.stages:
        release = ngc_pytorch_release(stage)
        if release is None:
            continue
        yield from _component_hits(stage, release)
        _, since = ngc_pytorch_constraint()
        if release >= since:
            yield from _constraint_hits(stage, release)


RULES = {"ML006": ngc_components_and_constraint}
