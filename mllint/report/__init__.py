"""Reporters: they only format. Each is imported only when its format is asked for.

A run writes its report file by file through ``open_stream`` (see mllint.report.stream: memory stays
flat however many files are linted); ``render`` formats finished reports into one string.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

FORMATS = {
    "text": "mllint.report.text",
    "json": "mllint.report.json_format",
    "sarif": "mllint.report.sarif",
    "github": "mllint.report.github",
    "gitlab": "mllint.report.gitlab",
}


def render(fmt: str, reports, rules, **options) -> str:
    return import_module(FORMATS[fmt]).render(reports, rules, **options)


def open_stream(fmt: str, rules, write: Callable[[str], object], **options):
    """A ``Stream`` that writes the ``fmt`` report to ``write`` as files are added; its head is written now."""
    from mllint.report.stream import Stream

    return Stream(import_module(FORMATS[fmt]).Reporter(rules, **options), write)
