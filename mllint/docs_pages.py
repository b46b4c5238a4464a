"""Rule documentation pages, generated from the catalogue so the two cannot disagree.

``python -m mllint.docs_pages`` rewrites ``docs/rules/``; a test fails when the
committed pages differ from what the catalogue says.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mllint.rule import PROJECT_URL, RuleMeta, severity_range, severity_text


FIX_TEXT = {
    "safe": "safe: `mllint --fix` applies it (see [fixes](../fixes.md))",
    "unsafe": "unsafe: applied only with `mllint --fix --unsafe-fixes`, as it can change what the build "
              "installs (see [fixes](../fixes.md))",
    "none": "none",
}


def page(meta: RuleMeta) -> str:
    lines = [
        f"# {meta.id} `{meta.name}`",
        "",
        f"**Severity:** {severity_text(meta)}  ",
        f"**Tags:** {', '.join(meta.tags) if meta.tags else '-'}  ",
        f"**Automatic fix:** {FIX_TEXT.get(meta.fix, meta.fix)}",
        *([] if meta.enabled_by_default else [
            "",
            f"**Off by default:** turn it on with `extend-select: [{meta.name}]` in `.mllint.yaml` (or "
            f"`--extend-select {meta.id}`); `select: [all]` leaves it off."]),
        "",
        "## What it does",
        "",
        meta.summary,
        "",
        "## Why is this bad?",
        "",
        meta.rationale,
        "",
        "## Example",
        "",
    ]
    for text in meta.bad:
        lines += ["```dockerfile", text.rstrip("\n"), "```", ""]
    lines += ["## Use instead", ""]
    for text in meta.good:
        lines += ["```dockerfile", text.rstrip("\n"), "```", ""]
    lines += [
        "## Suppressing it",
        "",
        f"`# mllint: ignore={meta.name} -- reason` in the comment block directly above the instruction, "
        f"`# mllint: ignore-file={meta.name} -- reason` anywhere in the file, or `--ignore {meta.id}` "
        f"(see [suppression comments]({PROJECT_URL}/blob/main/docs/configuration.md#suppression-comments)).",
        "",
        "## References",
        "",
    ]
    lines += [f"- <{ref}>" for ref in meta.references]
    return "\n".join(lines).rstrip() + "\n"


def index(rules) -> str:
    lines = [
        "# Rules",
        "",
        "Generated from `rules/catalogue/` by `python -m mllint.docs_pages`; `mllint --select`/`--ignore` and",
        "`# mllint: ignore=` pragmas accept the id or the name.",
        "",
        "| id | name | severity | fix | summary |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in rules:
        meta = rule.meta
        severity = severity_range(meta) + ("" if meta.enabled_by_default else " (off by default)")
        lines.append(f"| {meta.id} | [{meta.name}]({meta.id}-{meta.name}.md) | {severity} | {meta.fix} "
                     f"| {meta.summary} |")
    return "\n".join(lines) + "\n"


def pages(rules) -> dict[str, str]:
    builtin = [rule for rule in rules if rule.plugin == "mllint"]
    result = {f"{rule.id}-{rule.name}.md": page(rule.meta) for rule in builtin}
    result["README.md"] = index(builtin)
    return result


def main(argv: list[str] | None = None) -> int:
    from mllint.plugins import collect_rules, plugin_manager

    target = Path(argv[0] if argv else "docs/rules")
    target.mkdir(parents=True, exist_ok=True)
    for name, text in pages(collect_rules(plugin_manager(entry_points=False))).items():
        (target / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
