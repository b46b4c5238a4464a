"""The Dockerfile model as plain JSON, for ``mllint parse``."""

from __future__ import annotations

import dataclasses
from typing import Any

from mllint.dockerfile import Dockerfile, Instruction


def _image(image) -> dict[str, Any] | None:
    if image is None:
        return None
    return {
        "registry": image.registry,
        "repository": image.repository,
        "tag": image.tag,
        "digest": image.digest,
        "familiar": image.familiar,
        "name": image.name,
    }


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _instruction(instruction: Instruction) -> dict[str, Any]:
    data: dict[str, Any] = {
        "instruction": instruction.keyword,
        "start_line": instruction.start_line,
        "end_line": instruction.end_line,
        "start_col": instruction.start_col,
        "end_col": instruction.end_col,
        "flags": list(instruction.flags),
        "value": instruction.value,
        "stage": instruction.stage.index if instruction.stage else None,
    }
    if instruction.json_args is not None:
        data["exec_form"] = list(instruction.json_args)
    if instruction.heredocs:
        data["heredocs"] = [
            {"name": h.name, "chomp": h.chomp, "expand": h.expand, "start_line": h.start_line,
             "end_line": h.end_line, "content": h.content}
            for h in instruction.heredocs
        ]
    if instruction.keyword == "RUN":
        data["commands"] = [
            {"line": c.line, "column": c.column, "argv": list(c.command.argv),
             "assignments": dict(c.command.assignments), "in_heredoc": c.in_heredoc}
            for c in instruction.commands
        ]
        data["installs"] = []
        for install in instruction.installs:
            record = _plain(install.record)
            record.pop("command", None)
            entry = {"line": install.line, "column": install.column, **record,
                     "in_effect": _in_effect(install, install.requirements)}
            declared = _declared(install)
            if declared:
                entry["declared"] = declared
            data["installs"].append(entry)
    return data


def _in_effect(install, requirements) -> list[dict[str, Any]]:
    """Per requirement without an exact version, what pins it in effect (``mllint.resolution``), if anything."""
    from mllint.resolution import pinned_in_effect

    out: list[dict[str, Any]] = []
    if install.manager not in ("pip", "uv", "conda") or not install.record.installs_packages:
        return out
    for requirement in requirements:
        if not requirement.name or requirement.exact_version:
            continue
        found = pinned_in_effect(install, requirement)
        out.append({"requirement": requirement.raw, "pinned_in_effect": _plain(found) if found else None})
    return out


def _declared(install) -> list[dict[str, Any]]:
    """What the install's dependency files declare (when they were followed, ``mllint parse --context``)."""
    from mllint.depfiles import with_declared

    out = []
    for derived in list(with_declared([install], kinds=("requirement", "constraint")))[1:]:
        origin = derived.instruction.origin
        for requirement in derived.requirements:
            entry = {"path": origin.path, "line": origin.line, "kind": origin.kind, "requirement": requirement.raw}
            if origin.kind == "requirement" and requirement.name and not requirement.exact_version:
                found = _in_effect(derived, [requirement])
                entry["pinned_in_effect"] = found[0]["pinned_in_effect"] if found else None
            out.append(entry)
    return out


def _shipping(stage) -> dict[str, Any]:
    """What of the stage reaches the image (``mllint.shipping``), for reading the rules' decisions."""
    shipping = stage.shipping
    return {
        "ships": shipping.kind,
        "paths": list(shipping.paths) + (["<unknown path>"] if shipping.unknown_paths else []),
        "reaches": [target.label for target in shipping.targets],
        "read_by": [
            {"stage": read.into.label, "line": read.line, "kind": read.kind, "source": read.source,
             "destination": read.destination}
            for read in shipping.reads
        ],
    }


def model_to_json(model: Dockerfile) -> dict[str, Any]:
    return {
        "target": model.target,
        "images": [stage.label for stage in model.shipping.targets],
        "directives": [{"name": d.name, "value": d.value, "line": d.line} for d in model.directives],
        "escape": model.escape,
        "global_args": model.global_args,
        "stages": [
            {
                "index": s.index,
                "name": s.name,
                "start_line": s.from_instruction.start_line,
                "base": s.base_text,
                "resolved": s.base.text,
                "unresolved": sorted(s.base.unresolved),
                "image": _image(s.image),
                "parent": s.parent.index if s.parent else None,
                "base_image": _image(s.base_image),
                "platform": s.platform,
                "env": s.env,
                "workdir": s.workdir,
                "shipping": _shipping(s),
            }
            for s in model.stages
        ],
        "instructions": [_instruction(i) for i in model.instructions],
        "problems": [{"line": p.line, "message": p.message} for p in model.problems],
    }
