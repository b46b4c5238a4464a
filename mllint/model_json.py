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
            data["installs"].append({"line": install.line, "column": install.column, **record})
    return data


def model_to_json(model: Dockerfile) -> dict[str, Any]:
    return {
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
            }
            for s in model.stages
        ],
        "instructions": [_instruction(i) for i in model.instructions],
        "problems": [{"line": p.line, "message": p.message} for p in model.problems],
    }
