"""Where dockerfile-parse disagrees with BuildKit, and mllint agrees with BuildKit.

These pin down why mllint reads lines itself (docs/design.md). If a future
dockerfile-parse fixes one, its assertion here fails and the workaround can go.
"""

from __future__ import annotations

import io

import pytest
from dockerfile_parse import DockerfileParser

from mllint.syntax import read

CASES = {
    "heredoc": ("FROM a\nRUN <<EOF\npip install x\nEOF\n", ["FROM", "RUN"]),
    "blank line in continuation": ("FROM a\nRUN echo a \\\n\n  b\n", ["FROM", "RUN"]),
    "escape after check directive": ("# check=skip=all\n# escape=`\nFROM a\nRUN echo `\n  b\n", ["FROM", "RUN"]),
    "escaped escape at line end": ("FROM a\nENV C trailing\\\\\nENV D x\n", ["FROM", "ENV", "ENV"]),
}


def _dockerfile_parse_keywords(text):
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()))
    return [item["instruction"] for item in parser.structure if item["instruction"] != "COMMENT"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_mllint_agrees_with_buildkit_where_dockerfile_parse_does_not(name):
    text, buildkit = CASES[name]
    assert [i.keyword for i in read(text).instructions] == buildkit
    assert _dockerfile_parse_keywords(text) != buildkit


def test_lines_are_one_based_with_columns():
    text = "FROM a\n  RUN echo hi\n"
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()))
    assert parser.structure[1]["startline"] == 1  # dockerfile-parse: 0-based, no column
    run = read(text).instructions[1]
    assert (run.start_line, run.start_col) == (2, 3)
