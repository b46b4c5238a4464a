"""Variable expansion follows BuildKit and never guesses."""

from __future__ import annotations

import time

import pytest

from mllint.variables import expand

ENV = {"A": "1", "UNKNOWN": None, "EMPTY": ""}


@pytest.mark.parametrize("text,expected,unresolved", [
    ("x$A", "x1", set()),
    ("${A}", "1", set()),
    ("${UNKNOWN}", "${UNKNOWN}", {"UNKNOWN"}),
    ("$MISSING/x", "$MISSING/x", {"MISSING"}),
    ("${MISSING:-def}", "def", set()),
    ("${UNKNOWN:-def}", "def", set()),
    ("${EMPTY:-def}", "def", set()),
    ("${EMPTY-def}", "", set()),
    ("${A:+alt}", "alt", set()),
    ("${MISSING:+alt}", "", set()),
    ("${UNKNOWN:+alt}", "${UNKNOWN:+alt}", {"UNKNOWN"}),
    ("${MISSING:-${A}}", "1", set()),
    ("${MISSING:-${UNKNOWN}}", "${UNKNOWN}", {"UNKNOWN"}),
    ("${A:-${UNKNOWN}}", "1", set()),
    ("${MISSING:?must be set}", "${MISSING:?must be set}", {"MISSING"}),
    ("${A%%.*}", "${A%%.*}", {"A"}),
    ('"quoted $A"', "quoted 1", set()),
    ("'single $A'", "single $A", set()),
    ("\\$A", "$A", set()),
    ("$", "$", set()),
    ("${", "${", {"?"}),
])
def test_expand(text, expected, unresolved):
    result = expand(text, ENV)
    assert result.text == expected
    assert set(result.unresolved) == unresolved


def test_backtick_escape():
    assert expand("`$A", ENV, escape="`").text == "$A"


def test_deep_nesting_is_bounded_and_linear():
    text = "${X:-" * 20000 + "v" + "}" * 20000
    start = time.perf_counter()
    result = expand(text, {})
    assert not result.resolved
