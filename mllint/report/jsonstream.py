"""A JSON document whose one long array is written item by item.

The text is byte for byte ``json.dumps(document, indent=2, ensure_ascii=False)``: the document
is rendered with a unique marker in place of the array, and each item is indented to the
marker's depth. So the array's items never need to be in memory together.
"""

from __future__ import annotations

import json
import os


def dumps(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


class Array:
    def __init__(self) -> None:
        # random, so that no text in the document (a message, a path) can be mistaken for it
        self.marker = f"mllint-array-{os.urandom(16).hex()}"
        self.level = 0  # nesting depth of the array in the document

    def around(self, document) -> tuple[str, str]:
        """The text of ``document`` (which holds ``marker`` in the array's place) before and after the array."""
        before, found, after = dumps(document).partition(json.dumps(self.marker))
        if not found:
            raise ValueError("the document does not hold the array's marker")
        line = before[before.rfind("\n") + 1:]
        self.level = (len(line) - len(line.lstrip(" "))) // 2
        return before, after

    def item(self, value, index: int) -> str:
        """Item ``index`` (0 opens the array) with the separator before it."""
        pad = "\n" + "  " * (self.level + 1)
        return ("," if index else "[") + pad + dumps(value).replace("\n", pad)  # JSON text has no raw newline

    def end(self, count: int) -> str:
        """What closes an array of ``count`` items."""
        return "\n" + "  " * self.level + "]" if count else "[]"
