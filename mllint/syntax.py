"""Dockerfile text -> raw instructions, the way BuildKit's parser reads it.

dockerfile-parse splits instructions well for plain files but knows nothing of
heredocs, ``# check=`` directives, comment or blank lines inside a
continuation, or BuildKit's exact joining of continuation lines. Those decide
what a RUN line really says, so this module re-implements BuildKit's line
reader (moby/buildkit ``frontend/dockerfile/parser/parser.go``) and records
where every piece came from, so findings point at the right line and column.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from mllint.variables import raw_words

__all__ = [
    "DockerfileSyntaxError",
    "Directive",
    "Heredoc",
    "RawInstruction",
    "SyntaxTree",
    "read",
]

KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
KNOWN_KEYWORDS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM",
        "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL",
        "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }
)
EXEC_FORM_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL"})

_DIRECTIVE_RE = re.compile(r"#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*\Z")
_HEREDOC_WORD_RE = re.compile(r"(\d*)<<(-?)([^<]*)\Z")
_COMMAND_SPLIT_RE = re.compile(r"[\t\v\f\r ]+")


class DockerfileSyntaxError(ValueError):
    """A Dockerfile that BuildKit itself would refuse to parse."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class Directive:
    """A parser directive (``# syntax=``, ``# escape=``, ``# check=``) at the top of the file."""

    name: str
    value: str
    line: int


@dataclass
class Heredoc:
    """A here-document attached to an instruction, with the lines its body spans."""

    name: str
    chomp: bool
    expand: bool
    fd: int | None
    content: str
    start_line: int  # first body line (1-based); the terminator is at end_line
    end_line: int

    @property
    def text(self) -> str:
        """Body as the shell sees it: CRLF folded, tabs chomped for ``<<-``."""
        body = self.content.replace("\r\n", "\n")
        if self.chomp:
            body = re.sub(r"(?m)^\t+", "", body)
        return body


def _segment_offset(segment: tuple[int, int, int]) -> int:
    return segment[0]


@dataclass
class RawInstruction:
    """One instruction as BuildKit's line reader splits it, with positions for messages and fixes."""

    keyword: str  # upper-case, as BuildKit dispatches it
    written_keyword: str  # as written in the file
    flags: list[str]
    value: str  # arguments after the flags, joined as BuildKit joins them
    line_text: str  # the whole joined logical line
    start_line: int
    end_line: int
    start_col: int
    end_col: int  # 1-based column just past the last character of end_line
    value_offset: int  # offset of ``value`` inside ``line_text``
    # (offset in line_text, physical line, column of that offset): one per segment
    segments: list[tuple[int, int, int]]
    heredocs: list[Heredoc] = field(default_factory=list)
    json_args: list[str] | None = None  # exec (JSON) form
    comments: list[tuple[int, str]] = field(default_factory=list)  # contiguous comments above

    def position(self, offset: int) -> tuple[int, int]:
        """Map an offset in ``line_text`` back to a 1-based (line, column)."""
        # bisect, not a scan: a RUN of 20,000 continuation lines asks this for each of its commands
        index = bisect_right(self.segments, offset, key=_segment_offset) - 1
        if index < 0:
            return self.start_line, self.start_col + offset
        base, line, col = self.segments[index]
        return line, col + (offset - base)

    def value_position(self, offset: int) -> tuple[int, int]:
        return self.position(self.value_offset + offset)


@dataclass
class SyntaxTree:
    """Everything the line reader found: directives, instructions, the escape character and the lines."""

    directives: list[Directive]
    instructions: list[RawInstruction]
    escape: str
    lines: list[str]  # physical lines without line endings
    # Comment lines anywhere in the file (line number, text after '#'), for pragmas.
    comment_lines: list[tuple[int, str]] = field(default_factory=list)
    empty_continuation_lines: list[int] = field(default_factory=list)


def _split_physical_lines(text: str) -> list[str]:
    """Split on LF only (like bufio.Scanner); keep CR so heredocs stay byte-true."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return parts


class _DirectiveReader:
    """Parser directives are only honoured at the very top, each at most once."""

    def __init__(self) -> None:
        self.done = False
        self.seen: set[str] = set()

    def feed(self, line: str, lineno: int) -> Directive | None:
        if self.done:
            return None
        match = _DIRECTIVE_RE.match(line)
        if not match:
            self.done = True
            return None
        name = match.group(1).lower()
        if name not in KNOWN_DIRECTIVES:
            self.done = True
            return None
        if name in self.seen:
            raise DockerfileSyntaxError(f"only one {name} parser directive can be used", lineno)
        self.seen.add(name)
        return Directive(name, match.group(2), lineno)


def _continuation_re(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(rf"([^{e}]){e}[ \t]*\Z|\A{e}[ \t]*\Z")


def _is_comment(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith("#")


def read(text: str) -> SyntaxTree:
    """Read Dockerfile text into raw instructions, exactly as BuildKit splits it."""
    if text.startswith("\ufeff"):
        text = text[1:]
    physical = _split_physical_lines(text)
    lines = [p.rstrip("\r\n") for p in physical]
    directives: list[Directive] = []
    instructions: list[RawInstruction] = []
    comment_lines: list[tuple[int, str]] = []
    empty_continuations: list[int] = []
    reader = _DirectiveReader()
    escape = "\\"
    cont_re = _continuation_re(escape)
    pending_comments: list[tuple[int, str]] = []

    n = len(lines)
    i = 0  # index of the next physical line to read
    while i < n:
        raw = lines[i]
        lineno = i + 1
        i += 1
        stripped = raw.lstrip()
        directive = reader.feed(stripped, lineno)
        if directive is not None:
            directives.append(directive)
            if directive.name == "escape":
                if directive.value not in ("\\", "`"):
                    raise DockerfileSyntaxError(
                        f"invalid escape token '{directive.value}' does not match ` or \\", lineno
                    )
                escape = directive.value
                cont_re = _continuation_re(escape)
            continue
        if _is_comment(stripped):
            comment_lines.append((lineno, stripped[1:].strip()))
            pending_comments.append((lineno, stripped[1:].strip()))
            continue
        if not stripped.strip():
            pending_comments = []  # a blank line detaches comments from what follows
            continue

        start_line = lineno
        lead = len(raw) - len(stripped)
        segments = [(0, lineno, lead + 1)]
        buf = stripped
        match = cont_re.search(buf)
        at_end = match is None
        if match:
            buf = buf[: match.start()] + (match.group(1) or "")
        end_line = lineno
        while not at_end and i < n:
            raw = lines[i]
            lineno = i + 1
            i += 1
            end_line = lineno
            if _is_comment(raw):
                comment_lines.append((lineno, raw.lstrip()[1:].strip()))
                continue
            if not raw.strip():
                empty_continuations.append(lineno)
                continue
            segments.append((len(buf), lineno, 1))
            match = cont_re.search(raw)
            at_end = match is None
            if match:
                raw = raw[: match.start()] + (match.group(1) or "")
            buf += raw

        instruction = _instruction_from_line(buf, segments, start_line, end_line, escape)
        instruction.comments = pending_comments
        pending_comments = []
        if _may_hold_heredoc(instruction) and "<<" in buf:
            for doc in _heredoc_words(buf):
                name, chomp, expand, fd = doc
                body: list[str] = []
                body_start = i + 1
                terminated = False
                while i < n:
                    candidate = lines[i]
                    i += 1
                    end_line = i
                    check = candidate.lstrip("\t") if chomp else candidate
                    if check == name:
                        terminated = True
                        break
                    body.append(physical[i - 1] + "\n")
                if not terminated:
                    raise DockerfileSyntaxError(f"unterminated heredoc <<{name}", start_line)
                instruction.heredocs.append(
                    Heredoc(name, chomp, expand, fd, "".join(body), body_start, end_line)
                )
            instruction.end_line = end_line
        last = lines[instruction.end_line - 1]
        instruction.end_col = len(last) + 1
        instructions.append(instruction)

    return SyntaxTree(directives, instructions, escape, lines, comment_lines, empty_continuations)


def _may_hold_heredoc(instruction: RawInstruction) -> bool:
    """RUN/COPY/ADD in shell form, also behind ONBUILD (BuildKit's canContainHeredoc)."""
    if instruction.keyword == "ONBUILD":
        inner = instruction.value.split(None, 1)
        return bool(inner) and inner[0].upper() in HEREDOC_KEYWORDS and not (
            len(inner) > 1 and inner[1].lstrip().startswith("[")
        )
    return instruction.keyword in HEREDOC_KEYWORDS and instruction.json_args is None


def _instruction_from_line(
    line: str, segments: list[tuple[int, int, int]], start: int, end: int, escape: str
) -> RawInstruction:
    """BuildKit's splitCommand + extractBuilderFlags, keeping offsets."""
    lead = len(line) - len(line.lstrip())
    body = line.strip()
    parts = _COMMAND_SPLIT_RE.split(body, maxsplit=1)
    written = parts[0]
    rest = parts[1] if len(parts) > 1 else ""
    rest_offset = lead + (len(body) - len(rest)) if rest else len(line)
    flags, consumed = _extract_flags(rest)
    args_raw = rest[consumed:]
    value = args_raw.strip()
    value_offset = rest_offset + consumed + (len(args_raw) - len(args_raw.lstrip()))
    keyword = written.upper()
    json_args = None
    if keyword in EXEC_FORM_KEYWORDS:
        json_args = _parse_json_array(value, start)
    _, start_col = segments[0][1], segments[0][2]
    return RawInstruction(
        keyword=keyword,
        written_keyword=written,
        flags=flags,
        value=value,
        line_text=line,
        start_line=start,
        end_line=end,
        start_col=start_col,
        end_col=0,
        value_offset=value_offset,
        segments=segments,
        json_args=json_args,
    )


def _extract_flags(line: str) -> tuple[list[str], int]:
    """Leading ``--flag[=value]`` words; returns them and where the arguments start."""
    words: list[str] = []
    pos, n = 0, len(line)
    while True:
        while pos < n and line[pos].isspace():
            pos += 1
        if pos >= n or not line.startswith("--", pos):
            return words, pos
        word: list[str] = []
        quote = ""
        blank_ok = False
        while pos < n:
            ch = line[pos]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\" and pos + 1 < n:
                    pos += 1
                    word.append(line[pos])
                elif ch != "\\":
                    word.append(ch)
                pos += 1
                continue
            if ch.isspace():
                break
            if ch in "'\"":
                quote, blank_ok = ch, True
            elif ch == "\\":
                if pos + 1 < n:
                    pos += 1
                    word.append(line[pos])
            else:
                word.append(ch)
            pos += 1
        text = "".join(word)
        if text == "--":
            return words, pos
        if blank_ok or text:
            words.append(text)


def _parse_json_array(value: str, line: int) -> list[str] | None:
    """Exec form when the arguments are a JSON array of strings (BuildKit's parseJSON)."""
    import json  # only for exec-form instructions

    if not value.startswith("["):
        return None
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, list):
        return None
    if not all(isinstance(item, str) for item in data):
        raise DockerfileSyntaxError("JSON array of the exec form must contain only strings", line)
    return data


def _unquote(word: str) -> tuple[str, bool]:
    """Remove shell quotes; report whether any part was quoted."""
    out: list[str] = []
    quoted = False
    quote = ""
    i, n = 0, len(word)
    while i < n:
        ch = word[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < n and word[i + 1] in '"\\$`':
                i += 1
                out.append(word[i])
            else:
                out.append(ch)
        elif ch in "'\"":
            quote, quoted = ch, True
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(word[i])
        else:
            out.append(ch)
        i += 1
    return "".join(out), quoted


def _heredoc_words(line: str) -> list[tuple[str, bool, bool, int | None]]:
    docs = []
    for word in raw_words(line):
        match = _HEREDOC_WORD_RE.match(word)
        if not match or not match.group(3):
            continue
        name, quoted = _unquote(match.group(3))
        if not name or any(c.isspace() for c in name):
            continue
        fd = int(match.group(1)) if match.group(1) else None
        docs.append((name, match.group(2) == "-", not quoted, fd))
    return docs
