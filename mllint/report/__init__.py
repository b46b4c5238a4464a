"""Reporters: they only format. Each is imported only when its format is asked for."""

from __future__ import annotations

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
