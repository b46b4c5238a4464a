"""Per-stage answers computed once per parse.

Rules ask questions about a whole stage (its family's apt CUDA packages, whether any install pulls CUDA
wheels...) once for each install; asked N times over N instructions that is quadratic. ``per_stage``
keeps each answer in the parsed Dockerfile's ``facts``, so it lives exactly as long as the model it
describes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def per_stage(question: Callable[..., T]) -> Callable[..., T]:
    """``question(stage, *args)`` (hashable args), answered once per stage and arguments."""
    name = f"{question.__module__}.{question.__qualname__}"

    @functools.wraps(question)
    def answer(stage, *args):
        answers = stage.dockerfile.facts.setdefault(name, {})
        key = (stage.index, *args)
        if key not in answers:
            answers[key] = question(stage, *args)
        return answers[key]

    return answer


def command_index(instruction) -> dict[int, int]:
    """``id(command) -> its position`` among the instruction's commands, built once per instruction."""
    if instruction.stage is None:
        return {id(placed.command): i for i, placed in enumerate(instruction.commands)}
    index = instruction.stage.dockerfile.facts.setdefault("command_index", {})
    if id(instruction) not in index:
        index[id(instruction)] = {id(placed.command): i for i, placed in enumerate(instruction.commands)}
    return index[id(instruction)]
