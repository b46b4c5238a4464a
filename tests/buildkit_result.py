"""Read BuildKit's parser ``result`` dumps: ``(run ["--flag"] "echo hi")`` per line."""

from __future__ import annotations

import re

_GO_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"', "'": "'"}


def _go_unquote(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in _GO_ESCAPES:
            out.append(_GO_ESCAPES[nxt])
            i += 2
        elif nxt == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif nxt == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif nxt == "U":
            out.append(chr(int(body[i + 2 : i + 10], 16)))
            i += 10
        else:
            raise ValueError(f"unknown Go escape \\{nxt}")
    return "".join(out)


_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\[)|(\])|(\()|(\))')


def parse_result_line(line: str) -> tuple[str, list[str], list[str]]:
    """Return (keyword, flags, string arguments) of one top-level dump line."""
    match = re.match(r"\((\w+)", line)
    assert match, line
    keyword = match.group(1)
    rest = line[match.end():]
    flags: list[str] = []
    args: list[str] = []
    in_flags = False
    for token in _TOKEN.finditer(rest):
        quoted, open_b, close_b = token.group(1), token.group(2), token.group(3)
        if open_b:
            in_flags = True
        elif close_b:
            in_flags = False
        elif quoted is not None:
            (flags if in_flags else args).append(_go_unquote(quoted))
    return keyword, flags, args
