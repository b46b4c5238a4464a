"""SARIF 2.1.0 for GitHub code scanning, built with the sarif-om object model."""

from __future__ import annotations

import json

import attr
import sarif_om as om

from mllint import __version__
from mllint.report.common import relative_uri
from mllint.rule import PROJECT_URL, Severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
# sarif-om defaults are omitted, except levels, which GitHub reads explicitly.
_ALWAYS_WRITTEN = {"level"}
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _to_json(obj):
    """sarif-om objects -> plain JSON, using the schema's property names and omitting unset ones."""
    if attr.has(type(obj)):
        out = {}
        for field in attr.fields(type(obj)):
            value = getattr(obj, field.name)
            default = field.default
            if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if value is None or (value == default and field.name not in _ALWAYS_WRITTEN):
                continue
            out[field.metadata.get("schema_property_name", field.name)] = _to_json(value)
        return out
    if isinstance(obj, dict):
        return {k: _to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_json(v) for v in obj]
    return obj


def _descriptor(rule) -> om.ReportingDescriptor:
    meta = rule.meta
    return om.ReportingDescriptor(
        id=meta.id,
        name=meta.name,
        short_description=om.MultiformatMessageString(text=meta.summary),
        full_description=om.MultiformatMessageString(text=meta.rationale or meta.summary),
        help_uri=meta.help_uri or None,
        default_configuration=om.ReportingConfiguration(level=LEVELS[meta.severity]),
        properties={"tags": list(meta.tags)} if meta.tags else None,
    )


def render(reports, rules, **_) -> str:
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for report in reports:
        uri = relative_uri(report.path)
        for f in report.findings:
            region = om.Region(
                start_line=f.span.line,
                start_column=f.span.column,
                end_line=f.span.end_line,
                end_column=f.span.end_column,
            )
            results.append(
                om.Result(
                    rule_id=f.rule_id,
                    rule_index=index.get(f.rule_id, -1),
                    level=LEVELS[f.severity],
                    message=om.Message(text=f.message),
                    locations=[
                        om.Location(
                            physical_location=om.PhysicalLocation(
                                artifact_location=om.ArtifactLocation(uri=uri, uri_base_id="%SRCROOT%"),
                                region=region,
                            )
                        )
                    ],
                    partial_fingerprints={"mllint/v1": f.fingerprint},
                )
            )
    notifications = [
        om.Notification(
            message=om.Message(text=f"{relative_uri(r.path)}: {problem}"),
            level="error",
            locations=[
                om.Location(
                    physical_location=om.PhysicalLocation(
                        artifact_location=om.ArtifactLocation(uri=relative_uri(r.path), uri_base_id="%SRCROOT%")
                    )
                )
            ],
        )
        for r in reports
        for problem in r.problems
    ]
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="mllint",
                version=__version__,
                semantic_version=__version__,
                information_uri=PROJECT_URL,
                rules=[_descriptor(rule) for rule in rules],
            )
        ),
        results=results,
        invocations=[
            om.Invocation(
                execution_successful=not any(r.problems for r in reports),
                tool_execution_notifications=notifications or None,
            )
        ],
        original_uri_base_ids={"%SRCROOT%": om.ArtifactLocation(uri=_srcroot())},
        column_kind="unicodeCodePoints",
    )
    log = om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])
    return json.dumps(_to_json(log), indent=2, ensure_ascii=False) + "\n"


def _srcroot() -> str:
    import os
    from pathlib import Path

    return Path(os.getcwd()).resolve().as_uri() + "/"
