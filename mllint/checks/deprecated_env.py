"""deprecated-ml-package (ML007), environment half: ``ENV`` of an ML variable its library deprecated.

``ENV TRANSFORMERS_CACHE=/models`` keeps working only while transformers still reads the old name;
``ENV HF_HUB_ENABLE_HF_TRANSFER=1`` does nothing with huggingface_hub 1.0. The variables and their
replacements are data (``packages.yaml deprecated_env``), each with its upstream notice.
"""

from __future__ import annotations

from collections.abc import Iterator

from mllint import knowledge
from mllint.checks.locations import key_line
from mllint.context import CheckContext
from mllint.rule import Hit, Severity

_EFFECT = {
    "removal-announced": "{library} deprecated it and announced its removal in {removal}, after which the "
                         "setting is silently ignored and the cache or endpoint falls back to the default",
    "still-honoured": "{library} still reads it, but it no longer takes precedence over {replacement}",
    "no-effect": "{library} {since} and later ignore it",
}


def _table() -> dict[str, dict]:
    rows = knowledge.table("packages").get("deprecated_env") or ()
    return {str(row["name"]): row for row in rows if row.get("name")}


def _message(name: str, row: dict) -> str:
    replacement = str(row.get("replacement") or "the current variable")
    effect = _EFFECT.get(str(row.get("effect")), "{library} deprecated it").format(
        library=row.get("library") or "its library", removal=row.get("removal") or "a future release",
        replacement=replacement.split(" ")[0], since=row.get("since") or "")
    return f"`ENV {name}` sets a deprecated variable: {effect}; set {replacement} instead."


def deprecated_ml_env(ctx: CheckContext) -> Iterator[Hit]:
    table = _table()
    if not table:
        return
    for stage in ctx.stages:
        for instruction in stage.instructions:
            if instruction.keyword != "ENV":
                continue
            for name in instruction.assigned:
                row = table.get(name)
                if row is None:
                    continue
                severity = Severity.parse(str(row.get("severity") or "warning"))
                if knowledge.is_unverified(row):
                    severity = Severity.INFO
                yield Hit(_message(name, row), instruction, line=key_line(instruction, name), column=1,
                          severity=severity, fix=f"set {str(row.get('replacement') or '').split(' ')[0]} instead")


RULES = {"ML007": deprecated_ml_env}
