"""ML020 prebuilt-image-available: an official image already ships the stack a stage builds (off by default).

The advisor itself lives in :mod:`mllint.stack.advisor` and is imported only when the rule runs, so a
lint run that leaves the rule off (the default) never loads it.
"""

from __future__ import annotations

from collections.abc import Iterator

from mllint.context import CheckContext
from mllint.rule import Edit, Hit


def _from_edit(stage, image: str) -> tuple[Edit, ...]:
    """Replace the root stage's image in its FROM line, when it is written without variables."""
    root = stage.root
    raw = root.from_instruction.raw
    if root.image is None or "$" in root.base_text or raw.start_line != raw.end_line:
        return ()
    offset = raw.value.find(root.base_text)
    if offset < 0:
        return ()
    line, column = raw.value_position(offset)
    return (Edit(line, column, line, column + len(root.base_text), image, expected=root.base_text),)


def _message(stage, suggestion) -> str:
    base = stage.base_image.reference if stage.base_image else stage.base_text
    if suggestion.direction == "prebuilt":
        text = (f"This stage installs {suggestion.what} on {base} ({suggestion.where}), and "
                f"{suggestion.image} ships that stack preinstalled: FROM it to pin the framework, its CUDA build "
                "and its companions in one tag")
    else:
        text = (f"This stage replaces {suggestion.replaced} with {suggestion.what} ({suggestion.where}), and "
                f"{suggestion.image} already has it: FROM it instead of downloading a second framework build")
    if suggestion.alternatives:
        text += f" (also: {', '.join(suggestion.alternatives)})"
    if suggestion.notes:
        text += f"; {'; '.join(suggestion.notes)}"
    return text + "."


def prebuilt_image_available(ctx: CheckContext) -> Iterator[Hit]:
    """Suggest the prebuilt image (a listed, sourced tag) that ships what a stage builds."""
    from mllint.stack.advisor import suggestions

    for stage in ctx.stages:
        for suggestion in suggestions(stage):
            yield Hit(_message(stage, suggestion), suggestion.install,
                      fix=f"FROM {suggestion.image}", edits=_from_edit(stage, suggestion.image), safe=False)


RULES = {"ML020": prebuilt_image_available}
