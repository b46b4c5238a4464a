"""SARIF 2.1.0 for GitHub code scanning, built with the sarif-om object model.

GitHub reads a subset of SARIF and enforces limits of its own; what it reads and
the limits are from "SARIF support for code scanning"
(https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import attr
import sarif_om as om

from mllint import __version__
from mllint.report.common import relative_uri, with_suppressed
from mllint.report.jsonstream import Array
from mllint.report.spool import Spool
from mllint.report.stream import Reporter as _Reporter
from mllint.report.stream import renderer
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


def _artifact(path: str) -> om.ArtifactLocation:
    """A valid URI reference (RFC 3986, as the SARIF spec's artifactLocation.uri requires): relative to
    %SRCROOT% and percent-encoded inside the working directory, else an absolute ``file:`` URI."""
    rel = relative_uri(path)
    if os.path.isabs(rel):
        return om.ArtifactLocation(uri=Path(rel).as_uri())
    return om.ArtifactLocation(uri=quote(rel, safe="/"), uri_base_id="%SRCROOT%")


def _location(path: str, region: om.Region | None = None) -> om.Location:
    return om.Location(physical_location=om.PhysicalLocation(artifact_location=_artifact(path), region=region))


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
        locations=[_location(f.path, region)],
        partial_fingerprints={"primaryLocationLineHash": line_hash(f), "mllint/v1": f.fingerprint},
    )
    if getattr(f, "suppressed", None) is not None:  # --show-suppressed: a `# mllint: ignore=` pragma, its reason
        result.suppressions = [om.Suppression(kind="inSource", justification=f.suppressed or None)]
    related = []
    for number, (path, span) in enumerate(getattr(f, "related", ()) or ()):
        location = _location(path, om.Region(start_line=span.line, start_column=span.column,
                                             end_line=span.end_line, end_column=span.end_column))
        location.id = number
        location.message = om.Message(text="the install that reads this file")
        related.append(location)
    if related:
        result.related_locations = related
    return result


def _stderr(message: str) -> None:
    sys.stderr.write(f"mllint: warning: {message}\n")


class Reporter(_Reporter):
    """SARIF needs every result before the document can end: each file's results wait in a spool
    (compact JSON, one line each, in a temporary file once large) and the document is written last."""

    def __init__(self, rules, *, category: str | None = None, warn: Callable[[str], None] | None = None,
                 suppressed: bool = False, **_) -> None:
        super().__init__(rules)
        self.show_suppressed = suppressed
        self.category = category
        self.warn = warn or _stderr
        self.index = {rule.id: i for i, rule in enumerate(rules)}
        self.results = Spool()
        self.severities: dict[int, int] = {}  # results per severity, for the cut at MAX_RESULTS
        self.problems: list[tuple[str, str]] = []  # (uri, problem): tool execution notifications

    def file(self, report):
        uri = relative_uri(report.path)
        self.problems.extend((uri, problem) for problem in report.problems)
        for f in with_suppressed(report) if self.show_suppressed else report.findings:
            severity = int(f.severity)
            self.severities[severity] = self.severities.get(severity, 0) + 1
            # compact and ASCII: one line of the spool
            self.results.add(f"{severity}{json.dumps(_to_json(_result(f, self.index)), separators=(',', ':'))}")
        return ()

    def tail(self, tally):
        warn = self.warn
        count = self.results.count
        notifications = [
            om.Notification(message=om.Message(text=f"{uri}: {problem}"), level="error", locations=[_location(uri)])
            for uri, problem in self.problems
        ]
        quota = None
        if count > MAX_RESULTS:
            quota = _most_severe(self.severities, MAX_RESULTS)
            text = (f"{count:,} findings exceed GitHub code scanning's limit of {MAX_RESULTS:,} results per "
                    f"run (a larger run is rejected): the SARIF keeps the {MAX_RESULTS:,} most severe and leaves "
                    f"{count - MAX_RESULTS:,} out; lint fewer paths or narrow the rules with --select/--ignore")
            warn(text)
            notifications.append(om.Notification(message=om.Message(text=text), level="warning"))
            count = MAX_RESULTS
        if count > SHOWN_RESULTS:
            warn(f"{count:,} results: GitHub code scanning shows only the {SHOWN_RESULTS:,} most severe "
                 "results of a run")
        results = Array()
        run = om.Run(
            tool=om.Tool(
                driver=om.ToolComponent(
                    name="mllint",
                    version=__version__,
                    semantic_version=__version__,
                    information_uri=PROJECT_URL,
                    rules=[_descriptor(rule, warn) for rule in self.rules],
                )
            ),
            results=results.marker,
            automation_details=om.RunAutomationDetails(id=automation_id(self.category)) if self.category else None,
            invocations=[
                om.Invocation(
                    execution_successful=not self.problems,
                    tool_execution_notifications=notifications or None,
                )
            ],
            original_uri_base_ids={"%SRCROOT%": om.ArtifactLocation(uri=_srcroot())},
            column_kind="unicodeCodePoints",
        )
        log = om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])
        before, after = results.around(_to_json(log))
        # GitHub's upload limit is on the gzip size. When the compact results alone are over it, the text almost
        # surely is: compress while writing. Otherwise count, and compress a second reading only if it is.
        compress = quota is None and len(before) + self.results.size > MAX_GZIP_BYTES
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31) if compress else None  # as gzip.compress writes
        size = packed = 0
        for piece in self._document(before, results, quota, after):
            data = piece.encode("utf-8", "surrogatepass")
            size += len(data)
            if compressor is not None:
                packed += len(compressor.compress(data))
            yield piece
        if size > MAX_GZIP_BYTES:  # compressed JSON is smaller than the text: only large output is checked
            if compressor is None:
                compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
                packed = sum(len(compressor.compress(piece.encode("utf-8", "surrogatepass")))
                             for piece in self._document(before, results, quota, after))
            packed += len(compressor.flush())
            if packed > MAX_GZIP_BYTES:
                warn(f"the SARIF is {packed / 1e6:.1f} MB gzip-compressed; GitHub code scanning rejects uploads "
                     "over 10 MB: lint fewer paths or narrow the rules with --select/--ignore")
        self.results.close()

    def _document(self, before: str, results: Array, quota: dict[int, int] | None, after: str):
        """The document's text in pieces of about ``_PIECE`` characters; ``quota``: results kept per severity."""
        yield before
        left = dict(quota) if quota is not None else None  # read twice when the gzip size is checked
        batch: list[str] = []
        size = written = 0
        for line in self.results.lines():
            if left is not None:
                severity = int(line[0])
                if not left[severity]:
                    continue
                left[severity] -= 1
            batch.append(results.item(json.loads(line[1:]), written))
            written += 1
            size += len(batch[-1])
            if size >= _PIECE:
                yield "".join(batch)
                batch, size = [], 0
        yield "".join(batch) + results.end(written) + after + "\n"


_PIECE = 64 * 1024


def _most_severe(severities: dict[int, int], limit: int) -> dict[int, int]:
    """How many results of each severity the ``limit`` most severe hold (within one, the first in report order)."""
    quota = {}
    for severity in sorted(severities, reverse=True):
        quota[severity] = min(severities[severity], limit)
        limit -= quota[severity]
    return quota


render = renderer(Reporter)


def automation_id(category: str) -> str:
    """``runAutomationDetails.id``: GitHub takes everything before the last ``/`` as the category."""
    return category if category.endswith("/") else f"{category}/"


def _srcroot() -> str:
    return Path(os.getcwd()).resolve().as_uri() + "/"
