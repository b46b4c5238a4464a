"""How current the knowledge base is: its snapshot date and the newest releases it knows.

Read from the compiled JSON snapshot of ``mllint.knowledge`` (no YAML is parsed here). The snapshot
date is the one fact kept for this purpose (``rules/knowledge/currency.yaml``: the day the tables
were last checked, kept at or after every retrieval date the sources cite); "newest torch" is the
highest torch release row, and so on for TensorFlow, JAX, CUDA and Python, so adding a row moves the
answer and nothing is written down twice. ``mllint --version`` and
``mllint rules --format json`` show it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from mllint import knowledge

_DATE = re.compile(r"\b(20\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")
_VERSION = re.compile(r"^\d+(?:\.\d+)+$")
_RETRIEVED = re.compile(r"\b(?:[Rr]etrieved|read)\s+(?:on\s+)?20\d\d-\d\d-\d\d")


def _newest(values: Iterable[Any]) -> str | None:
    """The highest of the plain dotted release numbers among ``values`` (``"2.15"``, ``"13.0"``)."""
    best: tuple[tuple[int, ...], str] | None = None
    for value in values:
        text = str(value).strip() if value is not None else ""
        if not _VERSION.match(text):
            continue  # "3.13t", "12.x", null: not a release number
        key = tuple(int(part) for part in text.split("."))
        if best is None or key > best[0]:
            best = (key, text)
    return best[1] if best else None


def _walk(node: Any, wanted) -> Iterator[Any]:
    """Values of the mapping keys for which ``wanted(key)`` holds, anywhere under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if wanted(str(key)) and not isinstance(value, (dict, list)):
                yield value
            yield from _walk(value, wanted)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, wanted)


def snapshot_date() -> str | None:
    """The day the tables were last checked against their sources."""
    value = knowledge.table("currency").get("reviewed")
    return str(value) if value else None


def retrieval_dates() -> list[str]:
    """Every ``Retrieved YYYY-MM-DD`` / ``read YYYY-MM-DD`` date the tables' sources cite."""
    dates = []
    for table in knowledge.load()["knowledge"].values():
        for citation in ((table or {}).get("sources") or {}).values():
            for match in _RETRIEVED.finditer(str(citation)):
                dates.append("-".join(_DATE.search(match.group(0)).groups()))
    return dates


def newest_known() -> dict[str, str | None]:
    frameworks = knowledge.table("frameworks")
    torch = frameworks.get("torch") or {}
    releases = torch.get("releases") or {}
    tensorflow = (frameworks.get("tensorflow") or {}).get("releases") or {}
    cuda = [c for row in releases.values() for c in (row or {}).get("index_cuda") or ()]
    cuda += [(row or {}).get("pypi_cuda") for row in releases.values()]
    cuda += [(row or {}).get("cuda") for row in tensorflow.values()]
    cuda.append(knowledge.table("cuda_archs").get("checked_through"))
    return {
        "torch": _newest(releases),
        "tensorflow": _newest(tensorflow),
        "jax": _newest(_walk(frameworks.get("jax") or {}, lambda key: "jax" in key)),
        "cuda": _newest(cuda),
        "python": _newest((knowledge.table("python").get("cpython") or {})),
    }


def currency() -> dict[str, Any]:
    """``{"snapshot_date": "2026-12-03", "newest": {"torch": "2.15", ...}}`` for JSON output."""
    return {"snapshot_date": snapshot_date(), "newest": newest_known()}


_NAMES = {"torch": "torch", "tensorflow": "TensorFlow", "jax": "JAX", "cuda": "CUDA", "python": "Python"}


def version_text() -> str:
    """One line for ``mllint --version``."""
    data = currency()
    known = ", ".join(f"{_NAMES[k]} {v}" for k, v in data["newest"].items() if v)
    return f"knowledge snapshot {data['snapshot_date'] or 'unknown'}; newest known: {known or 'none'}"
