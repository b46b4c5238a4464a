"""SARIF 2.1.0 for GitHub code scanning, built with the sarif-om object model.

GitHub reads a subset of SARIF and enforces limits of its own; what it reads and
the limits are from "SARIF support for code scanning"
(https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import attr
import sarif_om as om

from mllint import __version__
from mllint.report.common import relative_uri
from mllint.rule import PROJECT_URL, Severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
# sarif-om defaults are omitted, except levels, which GitHub reads explicitly.
_ALWAYS_WRITTEN = {"level"}
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# properties.problem.severity, which GitHub reads for rules that are not security rules
PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}

# GitHub's limits, from "SARIF support for code scanning" (section "Validating your SARIF file") and
# "SARIF results exceed one or more limits"
# (https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit):
# a file with a run of more than 25,000 results or a rule with more than 20 tags is rejected; of a run's
# results only the top 5,000 by severity are shown; a file over 10 MB gzip-compressed is rejected; rule
# names are limited to 255 characters and shortDescription/fullDescription texts to 1024.
MAX_RESULTS = 25_000
SHOWN_RESULTS = 5_000
MAX_TAGS = 20
MAX_GZIP_BYTES = 10_000_000  # "10 MB"; counted in decimal megabytes so the warning comes early, not late
MAX_NAME = 255
MAX_DESCRIPTION = 1024


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


def fit(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """Shorten to ``limit`` characters at a sentence (or word) end; the full text stays in ``help``."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    end = cut.rfind(". ")
    if end >= limit // 2:
        return cut[: end + 1]
    return cut[: cut.rfind(" ")].rstrip(",;:") + "…"


def plain_text(markdown: str) -> str:
    """The docs page as plain text: no heading marks, emphasis or code fences."""
    lines = []
    for line in markdown.splitlines():
        if line.startswith("```"):
            continue
        if line.startswith("#"):
            line = line.lstrip("#").strip().replace("`", "")
        line = line.replace("**", "").rstrip()
        if line.startswith("- <") and line.endswith(">"):
            line = f"- {line[3:-1]}"
        lines.append(line)
    return "\n".join(lines).strip() + "\n"


def _descriptor(rule, warn: Callable[[str], None]) -> om.ReportingDescriptor:
    from mllint.docs_pages import page

    meta = rule.meta
    properties: dict = {}
    tags = list(meta.tags)
    if len(tags) > MAX_TAGS:
        warn(f"rule {meta.id} has {len(tags)} tags; GitHub code scanning rejects a SARIF file with a rule of more "
             f"than {MAX_TAGS}, so only its first {MAX_TAGS} are written")
        tags = tags[:MAX_TAGS]
    if tags:
        properties["tags"] = tags
    if meta.precision:
        properties["precision"] = meta.precision
    if meta.security_severity:
        properties["security-severity"] = meta.security_severity
    else:
        properties["problem.severity"] = PROBLEM_SEVERITY[meta.severity]
    markdown = page(meta)
    return om.ReportingDescriptor(
        id=meta.id,
        name=meta.name[:MAX_NAME],
        short_description=om.MultiformatMessageString(text=fit(meta.summary)),
        full_description=om.MultiformatMessageString(text=fit(meta.rationale or meta.summary)),
        help=om.MultiformatMessageString(text=plain_text(markdown), markdown=markdown),
        help_uri=meta.help_uri or None,
        default_configuration=om.ReportingConfiguration(level=LEVELS[meta.severity]),
        properties=properties,
    )


def line_hash(finding) -> str:
    """GitHub's ``primaryLocationLineHash``: rule + normalised instruction text, then the occurrence index.

    Built from the instruction, not its line number, so lines added above a finding do not change it.
    """
    digest = hashlib.sha256(f"{finding.rule_id}\0{finding.anchor}".encode()).hexdigest()[:16]
    return f"{digest}:{finding.occurrence + 1}"


def _location(uri: str, region: om.Region | None = None) -> om.Location:
    return om.Location(
        physical_location=om.PhysicalLocation(
            artifact_location=om.ArtifactLocation(uri=uri, uri_base_id="%SRCROOT%"), region=region
        )
    )


def _result(f, index: dict[str, int]) -> om.Result:
    region = om.Region(
        start_line=f.span.line,
        start_column=f.span.column,
        end_line=f.span.end_line,
        end_column=f.span.end_column,
    )
    result = om.Result(
        rule_id=f.rule_id,
        rule_index=index.get(f.rule_id, -1),
        level=LEVELS[f.severity],
        message=om.Message(text=f.message),
        locations=[_location(relative_uri(f.path), region)],
        partial_fingerprints={"primaryLocationLineHash": line_hash(f), "mllint/v1": f.fingerprint},
    )
    related = []
    for number, (path, span) in enumerate(getattr(f, "related", ()) or ()):
        location = _location(relative_uri(path), om.Region(start_line=span.line, start_column=span.column,
                                                           end_line=span.end_line, end_column=span.end_column))
        location.id = number
        location.message = om.Message(text="the install that reads this file")
        related.append(location)
    if related:
        result.related_locations = related
    return result


def _stderr(message: str) -> None:
    sys.stderr.write(f"mllint: warning: {message}\n")


def render(reports, rules, *, category: str | None = None, warn: Callable[[str], None] | None = None,
           **_) -> str:
    warn = warn or _stderr
    index = {rule.id: i for i, rule in enumerate(rules)}
    findings = [f for report in reports for f in report.findings]
    notifications = [
        om.Notification(message=om.Message(text=f"{relative_uri(r.path)}: {problem}"), level="error",
                        locations=[_location(relative_uri(r.path))])
        for r in reports
        for problem in r.problems
    ]
    if len(findings) > MAX_RESULTS:
        # most severe first; sorted() is stable, so each severity keeps the report order
        kept = sorted(findings, key=lambda f: -f.severity)[:MAX_RESULTS]
        text = (f"{len(findings):,} findings exceed GitHub code scanning's limit of {MAX_RESULTS:,} results per "
                f"run (a larger run is rejected): the SARIF keeps the {MAX_RESULTS:,} most severe and leaves "
                f"{len(findings) - MAX_RESULTS:,} out; lint fewer paths or narrow the rules with --select/--ignore")
        warn(text)
        notifications.append(om.Notification(message=om.Message(text=text), level="warning"))
        findings = _keep(findings, kept)
    if len(findings) > SHOWN_RESULTS:
        warn(f"{len(findings):,} results: GitHub code scanning shows only the {SHOWN_RESULTS:,} most severe "
             "results of a run")
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="mllint",
                version=__version__,
                semantic_version=__version__,
                information_uri=PROJECT_URL,
                rules=[_descriptor(rule, warn) for rule in rules],
            )
        ),
        results=[_result(f, index) for f in findings],
        automation_details=om.RunAutomationDetails(id=automation_id(category)) if category else None,
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
    text = json.dumps(_to_json(log), indent=2, ensure_ascii=False) + "\n"
    data = text.encode("utf-8")
    if len(data) > MAX_GZIP_BYTES:  # compressed JSON is smaller than the text: only large output is checked
        size = len(gzip.compress(data))
        if size > MAX_GZIP_BYTES:
            warn(f"the SARIF is {size / 1e6:.1f} MB gzip-compressed; GitHub code scanning rejects uploads over "
                 "10 MB: lint fewer paths or narrow the rules with --select/--ignore")
    return text


def _keep(findings: list, kept: list) -> list:
    """``findings`` in their report order, restricted to ``kept``."""
    chosen = {id(f) for f in kept}
    return [f for f in findings if id(f) in chosen]


def automation_id(category: str) -> str:
    """``runAutomationDetails.id``: GitHub takes everything before the last ``/`` as the category."""
    return category if category.endswith("/") else f"{category}/"


def _srcroot() -> str:
    return Path(os.getcwd()).resolve().as_uri() + "/"
