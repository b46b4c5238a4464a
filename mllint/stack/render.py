"""`mllint stack` output: a compact tree per stage for people, JSON (docs/stack.md) for programs."""

from __future__ import annotations

import json
from typing import Any

from mllint.stack.model import FileStack, Item, Package, StageStack

SCHEMA_VERSION = 1
UNKNOWN = "unknown"
_WIDTH = 11  # the fact-name column


def _mark(verified: bool) -> str:
    return "" if verified else " (unverified)"


def _fact_line(item: Item) -> str:
    value = UNKNOWN if item.value is None else item.value
    where = f", line {item.line}" if item.line else ""
    return f"    {item.name:<{_WIDTH}} {value:<22} {item.source}{where}{_mark(item.verified)}"


def _cuda_text(package: Package) -> str:
    if package.cpu_only:
        return "CPU-only build"
    if not package.cuda:
        return ""
    text = f"CUDA {package.cuda}"
    if package.bundles is True:
        text += ", bundles its CUDA libraries"
    elif package.bundles is False and package.needs:
        text += f", needs {', '.join(package.needs)} from the image"
    return text


def package_summary(package: Package) -> str:
    """Name and version, CUDA target and its evidence, what it replaces."""
    verb = "" if package.action in ("install", "sync", "add", "create") else f"{package.action} "
    spec = package.describe_version() or ("" if package.manager in ("apt", "yum", "apk") else " (any version)")
    text = f"{verb}{package.name}{spec}"
    cuda = _cuda_text(package)
    if cuda:
        text += f"  {cuda} ({package.evidence}){_mark(package.verified)}"
    if package.replaces:
        text += f"  replaces {package.replaces}"
    return text


def package_line(package: Package) -> str:
    """One line per package: where, manager, then its summary."""
    where = f"{package.path.rsplit('/', 1)[-1]}:{package.line}" if package.path else f"line {package.line}"
    return f"      {where:<18} {package.manager:<5} {package_summary(package)}"


def _heading(stage: StageStack) -> str:
    name = f' "{stage.name}"' if stage.name else ""
    if stage.parent is not None:
        base = f"{stage.base} (stage {stage.parent})"
    elif stage.image is not None:
        base = stage.image if stage.image == stage.base else f"{stage.base} = {stage.image}"
    else:
        base = f"{stage.base} ({UNKNOWN}: {stage.base_note})"
    return f"  stage {stage.index}{name}, line {stage.line}: FROM {base}"


def _ships_line(ships: dict[str, Any] | None) -> str:
    if ships is None:
        return f"    {'ships':<{_WIDTH}} {UNKNOWN}"
    kind = ships["kind"]
    targets = ", ".join(ships.get("targets") or ())
    if kind == "whole":
        text = "whole" + (f" (image: {targets})" if targets else "")
    elif kind == "paths":
        text = "only " + ", ".join(ships.get("paths") or ["paths not known"]) + (f" (into {targets})" if targets else "")
    else:
        text = "nothing"
    return f"    {'ships':<{_WIDTH}} {text}"


def stage_text(stage: StageStack) -> list[str]:
    lines = [_heading(stage)]
    lines += [_fact_line(item) for item in stage.facts]
    versions = {p["version"]: p for p in stage.pythons}
    if len(versions) > 1:  # more than one CPython installed: say which
        listed = ", ".join(f"{v} ({p['how']}, line {p['line']})" for v, p in versions.items())
        lines.insert(3, f"    {'pythons':<{_WIDTH}} {listed}")
    if stage.frameworks:
        lines += [_fact_line(Item(f"{item.name}", item.value, item.source, item.verified, item.line))
                  for item in stage.frameworks]
    else:
        lines.append(f"    {'frameworks':<{_WIDTH}} none known in the base image")
    if stage.packages or stage.unfollowed:
        lines.append(f"    {'adds':<{_WIDTH}}")
        lines += [package_line(p) for p in stage.packages]
        lines += [f"      line {line:<13} {name}: {reason}" for line, name, reason in stage.unfollowed]
    else:
        lines.append(f"    {'adds':<{_WIDTH}} no packages")
    lines.append(_ships_line(stage.ships))
    for suggestion in stage.suggestions:
        lines.append(f"    {'prebuilt':<{_WIDTH}} {suggestion.text()}")
    return lines


def to_text(files: list[FileStack]) -> str:
    out = []
    for file in files:
        out.append(file.path + (f" (target {file.target})" if file.target else ""))
        for stage in file.stages:
            out.extend(stage_text(stage))
    return "\n".join(line.rstrip() for line in out) + "\n"


def to_json(files: list[FileStack], problems: list[dict[str, str]] | None = None) -> str:
    data = {"schema_version": SCHEMA_VERSION, "files": [f.to_json() for f in files], "problems": problems or []}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
