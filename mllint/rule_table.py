"""``mllint rules``: every rule (built-in and from plugins) and what the configuration makes of it."""

from __future__ import annotations

import json
from typing import Any

from mllint.rule import severity_range, severity_text

SCHEMA_VERSION = 1


def rows(all_rules, linter) -> list[dict[str, Any]]:
    """One entry per rule: catalogue facts plus whether, and at which severity, it runs."""
    enabled = {rule.id for rule in linter.rules}
    out = []
    for rule in all_rules:
        meta = rule.meta
        severity = linter.severity.get(rule.id, meta.severity)
        out.append({
            "id": meta.id,
            "name": meta.name,
            "default_severity": str(meta.severity),
            "severity": str(severity),
            "severities": [str(s) for s in meta.severities or (meta.severity,)],
            "severity_note": meta.severity_note,
            "enabled": rule.id in enabled,
            "plugin": rule.plugin,
            "summary": " ".join(meta.summary.split()),
            "tags": list(meta.tags),
            "fix": meta.fix,
            "enabled_by_default": meta.enabled_by_default,
            "help_uri": meta.help_uri,
            "range": severity_range(meta),  # for the text table; dropped from JSON
            "severity_text": severity_text(meta),
        })
    return out


def render_json(entries: list[dict[str, Any]]) -> str:
    from mllint.knowledge_currency import currency

    plain = [{k: v for k, v in e.items() if k not in ("range", "severity_text")} for e in entries]
    data = {"schema_version": SCHEMA_VERSION, "knowledge": currency(), "rules": plain}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_text(entries: list[dict[str, Any]]) -> str:
    """A plain table; the ENABLED column shows a configured severity when it differs from the default.

    DEFAULT gives every severity the rule reports (``error (or warning, info)``); a rule that reports more
    than one says when under its summary, so the table never contradicts the findings or the docs."""
    def enabled(entry: dict[str, Any]) -> str:
        if not entry["enabled"]:
            return "no (off by default)" if entry.get("enabled_by_default") is False else "no"
        if entry["severity"] != entry["default_severity"]:
            return f"yes, as {entry['severity']}"
        return "yes"

    header = ("ID", "NAME", "DEFAULT", "ENABLED", "FIX", "PLUGIN", "SUMMARY")
    def summary(entry: dict[str, Any]) -> str:
        if not entry.get("severity_note"):
            return entry["summary"]
        return f"{entry['summary']} Severity: {entry['severity_text']}."

    table = [header] + [(e["id"], e["name"], e.get("range") or e["default_severity"], enabled(e),
                         e.get("fix") or "none", e["plugin"], summary(e)) for e in entries]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1] for row in table]
    count = sum(1 for e in entries if e["enabled"])
    lines.append(f"{len(entries)} rules, {count} enabled.")
    return "\n".join(line.rstrip() for line in lines) + "\n"
