"""Hover text from the stack view: a FROM line shows its stage's stack, an install its CUDA build and the
Python its release supports (in the Dockerfile, or on a requirements line that a Dockerfile installs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mllint.stack.model import Package, install_at, parse_with_files, stage_stack
from mllint.stack.render import stage_text

if TYPE_CHECKING:
    from mllint.dockerfile import Dockerfile


def model(text: str, path: str, reader, target: str | None) -> "Dockerfile | None":
    from mllint.dockerfile import DockerfileSyntaxError

    try:
        return parse_with_files(text, path, reader, target=target)
    except (DockerfileSyntaxError, ValueError):
        return None


def from_line(parsed: "Dockerfile", line: int) -> str | None:
    """The stack summary of the stage whose FROM covers ``line`` (as `mllint stack` prints it)."""
    from mllint.stack.advisor import suggestions

    for stage in parsed.stages:
        instruction = stage.from_instruction
        if instruction.start_line <= line <= instruction.end_line:
            view = stage_stack(stage)
            view.suggestions = suggestions(stage)
            return "**mllint stack**\n\n```text\n" + "\n".join(stage_text(view)) + "\n```"
    return None


def _python_of(parsed: "Dockerfile", package: Package) -> str | None:
    from mllint.environment import environment

    line = package.run_line or package.line
    for stage in parsed.stages:
        for instruction in stage.instructions:
            if instruction.start_line <= line <= instruction.end_line:
                env = environment(stage, instruction)
                if env.python is not None and env.python.value:
                    return f"{env.python.value} ({env.python.source})"
                if env.pythons:
                    return f"{env.pythons[-1].version} ({env.pythons[-1].source})"
                return None
    return None


def package_lines(parsed: "Dockerfile", packages: list[Package]) -> list[str]:
    from mllint.checks.python_support import support_text
    from mllint.stack.render import package_summary

    lines = []
    for package in packages:
        lines.append(f"- {package.manager}: {package_summary(package)}")
        version = package.version
        if version:
            support = support_text(package.name, version)
            if support:
                python = _python_of(parsed, package)
                lines.append(f"  - Python: {support}" + (f"; this stage runs Python {python}" if python else ""))
    return lines


def install_line(parsed: "Dockerfile", line: int) -> str | None:
    packages = install_at(parsed, line)
    if not packages:
        return None
    return "**What this install adds**\n\n" + "\n".join(package_lines(parsed, packages))


def declared_line(parsed: "Dockerfile", dependency_file: str, line: int) -> list[str]:
    """The packages a dependency file declares on ``line``, as the Dockerfile installs them."""
    import os

    from mllint.stack.model import stage_stack as view_of

    target = os.path.normpath(os.path.abspath(dependency_file))
    found = []
    for stage in parsed.stages:
        for package in view_of(stage).packages:
            if package.path and os.path.normpath(os.path.abspath(package.path)) == target and package.line == line:
                found.append(package)
    return package_lines(parsed, found)
