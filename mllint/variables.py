"""Variable expansion with BuildKit semantics, never guessing.

``$VAR``, ``${VAR}``, ``${VAR:-word}``, ``${VAR-word}``, ``${VAR:+word}``,
``${VAR+word}`` and ``${VAR:?msg}`` are expanded from what the Dockerfile
itself declares. A variable whose value is unknown (an ``ARG`` without a
default, or one never declared) is left in the text exactly as written and
reported, so a rule can see that it does not know the value instead of
judging an empty string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Expansion", "expand", "raw_words", "split_words"]

# Deeper nesting than this is not real-world; it is treated as unresolvable
# rather than recursed into, so hostile input cannot blow the stack.
MAX_DEPTH = 32
# split_words hands longer text to raw_words instead of dockerfile-parse (see there).
LONG_WORDS = 4096


@dataclass(frozen=True)
class Expansion:
    """Text after variable substitution, and the names it could not resolve (so rules can stay silent)."""

    text: str
    unresolved: frozenset[str]

    @property
    def resolved(self) -> bool:
        return not self.unresolved

    @property
    def value(self) -> str | None:
        """The expanded text, or None when a variable's value is unknown (rules must not guess)."""
        return None if self.unresolved else self.text


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_name_char(ch: str) -> bool:
    return _is_name_start(ch) or ("0" <= ch <= "9")


class _Expander:
    def __init__(self, text: str, env: Mapping[str, str | None], escape: str, quotes: bool) -> None:
        self.s = text
        self.n = len(text)
        self.env = env
        self.escape = escape
        self.quotes = quotes
        self.unresolved: set[str] = set()

    def lookup(self, name: str) -> str | None:
        return self.env.get(name)

    def run(self) -> str:
        out, _ = self.word(0, stop="", depth=0)
        return out

    def word(self, i: int, stop: str, depth: int) -> tuple[str, int]:
        """Expand from i until an unquoted ``stop`` char (or the end)."""
        s, n, out = self.s, self.n, []
        while i < n:
            ch = s[i]
            if stop and ch == stop:
                return "".join(out), i
            if ch == self.escape and i + 1 < n:
                out.append(s[i + 1])
                i += 2
            elif ch == "'" and self.quotes:
                end = s.find("'", i + 1)
                if end < 0:
                    out.append(s[i + 1 :])
                    return "".join(out), n
                out.append(s[i + 1 : end])
                i = end + 1
            elif ch == '"' and self.quotes:
                i = self.double_quoted(i + 1, out, depth)
            elif ch == "$":
                text, i = self.dollar(i, depth)
                out.append(text)
            else:
                out.append(ch)
                i += 1
        return "".join(out), i

    def double_quoted(self, i: int, out: list[str], depth: int) -> int:
        s, n = self.s, self.n
        while i < n:
            ch = s[i]
            if ch == '"':
                return i + 1
            if ch == self.escape and i + 1 < n and s[i + 1] in ('"', "$", self.escape):
                out.append(s[i + 1])
                i += 2
            elif ch == "$":
                text, i = self.dollar(i, depth)
                out.append(text)
            else:
                out.append(ch)
                i += 1
        return n

    def dollar(self, i: int, depth: int) -> tuple[str, int]:
        """Expand the reference starting at ``s[i] == '$'``; return (text, next index)."""
        s, n = self.s, self.n
        if i + 1 >= n:
            return "$", i + 1
        ch = s[i + 1]
        if ch == "{":
            return self.braced(i, depth)
        if _is_name_start(ch):
            j = i + 1
            while j < n and _is_name_char(s[j]):
                j += 1
            name = s[i + 1 : j]
            value = self.lookup(name)
            if value is None:
                self.unresolved.add(name)
                return s[i:j], j
            return value, j
        return "$", i + 1

    def braced(self, i: int, depth: int) -> tuple[str, int]:
        s, n = self.s, self.n
        j = i + 2
        while j < n and _is_name_char(s[j]):
            j += 1
        name = s[i + 2 : j]
        if j >= n:
            self.unresolved.add(name or "?")
            return s[i:], n
        if s[j] == "}":
            value = self.lookup(name) if name else None
            if value is None:
                self.unresolved.add(name or "?")
                return s[i : j + 1], j + 1
            return value, j + 1
        op = s[j]
        if op == ":" and j + 1 < n and s[j + 1] in "-+?":
            op, j = s[j : j + 2], j + 2
        elif op in "-+?":
            j += 1
        else:
            # ${VAR#pat}, ${VAR%pat}, ${VAR/a/b}...: not modelled, so not guessed.
            end = self.skip_braced(j)
            self.unresolved.add(name or "?")
            return s[i:end], end
        if depth >= MAX_DEPTH:
            end = self.skip_braced(j)
            self.unresolved.add(name or "?")
            return s[i:end], end
        before = set(self.unresolved)
        word, k = self.word(j, stop="}", depth=depth + 1)
        end = min(k + 1, n)
        word_unresolved = self.unresolved - before
        value = self.lookup(name)
        is_set = value is not None
        declared_unknown = name in self.env and value is None
        if op in (":-", "-"):
            if is_set and (value != "" or op == "-"):
                self.unresolved -= word_unresolved
                return value, end
            # Unset, or an ARG without default: without a build argument the
            # default applies, which is the file's own answer.
            return word, end
        if op in (":+", "+"):
            if is_set and (value != "" or op == "+"):
                return word, end
            self.unresolved -= word_unresolved
            if declared_unknown:
                self.unresolved.add(name)
                return s[i:end], end
            return "", end
        # ":?" / "?": an error at build time when unset; keep it visible.
        self.unresolved -= word_unresolved
        if is_set and (value != "" or op == "?"):
            return value, end
        self.unresolved.add(name)
        return s[i:end], end

    def skip_braced(self, j: int) -> int:
        """Index just past the ``}`` closing the reference that contains j."""
        s, n, level = self.s, self.n, 1
        while j < n:
            if s[j] == "{":
                level += 1
            elif s[j] == "}":
                level -= 1
                if level == 0:
                    return j + 1
            j += 1
        return n


def expand(
    text: str, env: Mapping[str, str | None], *, escape: str = "\\", quotes: bool = True
) -> Expansion:
    """Expand variables in ``text``.

    ``env`` maps names to values; ``None`` marks a declared variable whose value
    is unknown (an ``ARG`` with no default). With ``quotes`` the shell quotes
    are removed as BuildKit does for ENV, ARG and FROM values.
    """
    if "$" not in text and (not quotes or not any(c in text for c in "'\"")) and escape not in text:
        return Expansion(text, frozenset())
    expander = _Expander(text, env, escape, quotes)
    result = expander.run()
    return Expansion(result, frozenset(expander.unresolved))


def raw_words(text: str, escape: str = "\\") -> list[str]:
    """Split on unquoted whitespace, keeping quotes and escapes in the words (BuildKit's RawQuotes)."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quote:
            word.append(ch)
            if ch == quote:
                quote = ""
            elif ch == escape and quote == '"' and i + 1 < n:
                i += 1
                word.append(text[i])
        elif ch.isspace():
            if word:
                words.append("".join(word))
                word = []
        elif ch in "'\"":
            quote = ch
            word.append(ch)
        elif ch == escape and i + 1 < n:
            word.append(ch)
            i += 1
            word.append(text[i])
        else:
            word.append(ch)
        i += 1
    if word:
        words.append("".join(word))
    return words


def split_words(text: str, escape: str = "\\") -> list[str]:
    """Split ``KEY=value`` lists on unquoted whitespace, keeping quotes for ``expand``.

    dockerfile-parse's WordSplitter does exactly this for the default escape
    character; it only knows backslash, so backtick-escaped (Windows) files
    use ``raw_words``. WordSplitter grows each word by string concatenation,
    quadratic in a word's length, so text beyond ``LONG_WORDS`` characters
    (no real ENV line) also goes to ``raw_words``, which splits identically
    (a property test in tests/test_robustness.py holds the two together).
    """
    if escape == "\\" and len(text) <= LONG_WORDS:
        from dockerfile_parse.util import WordSplitter

        return list(WordSplitter(text).split(dequote=False))
    return raw_words(text, escape)
