"""Inline suppressions: ``# mllint: ignore=<id-or-name>[,...] [-- reason]`` and ``ignore-file=``.

``ignore=`` goes in the comment block directly above an instruction and covers that instruction
(and what the files it installs from declare); ``ignore-file=`` goes anywhere and covers the file.
A reason may follow the rule list after whitespace, as hadolint (#1028), tally (``;reason=``) and
ruff users write it: ``-- why``, ``# why``, ``reason: why``, ``;reason=why`` or plain text. It is kept
as the suppression's justification (JSON, SARIF ``suppressions[].justification``).

A comment that starts with ``mllint`` but is not a valid pragma (``# mllint ignore=``, ``disable=``,
an unknown rule, a pragma that covers no instruction) suppresses nothing and is reported by
``invalid-suppression`` (ML018); a valid one that suppressed nothing by ``unused-suppression`` (ML019).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mllint.dockerfile import Dockerfile

INVALID_ID, UNUSED_ID = "ML018", "ML019"
SYNTAX = "`# mllint: ignore=ID[,ID...] [-- reason]` (or `ignore-file=`)"

_VALID = re.compile(r"mllint:[ \t]*(?P<kind>ignore-file|ignore)[ \t]*=[ \t]*(?P<rest>.*)$", re.I)
# what users of hadolint, ruff, shellcheck or pylint type by habit; anything else after `mllint` is prose
_NEAR_MISS = re.compile(r"mllint\b\W*(?:global\s+)?(?P<word>ignore-file|ignore|disable|enable|noqa|nolint|skip"
                        r"|suppress)\b", re.I)
_ELSEWHERE = re.compile(r"\bmllint:[ \t]*(?:ignore-file|ignore)[ \t]*=", re.I)
_LIST = re.compile(r"(?P<names>[A-Za-z0-9_-]+(?:[ \t]*,[ \t]*[A-Za-z0-9_-]+)*)(?P<tail>.*)$")
_REASON_MARK = re.compile(r"[ \t]*(?:--|[—–#;:-])?[ \t]*(?:reason[ \t]*[:=])?[ \t]*", re.I)


@dataclass
class Pragma:
    """A valid pragma: the rule names it lists, its reason and what it covers."""

    line: int
    text: str  # the comment, without its `#`
    whole_file: bool
    names: tuple[str, ...]  # lower-cased ids or names, as written; "all" for every rule
    reason: str  # "" when none was given
    first: int = 0  # the instruction it covers (ignore=)
    last: int = 0
    used: set[str] = field(default_factory=set)  # rule ids whose findings it suppressed

    def covers(self, keys: set[str], line: int) -> bool:
        return (self.whole_file or self.first <= line <= self.last) and (
            "all" in self.names or not keys.isdisjoint(self.names))


@dataclass(frozen=True)
class Invalid:
    """A comment meant as a pragma that suppresses nothing, and why (ML018's message)."""

    line: int
    text: str
    message: str


@dataclass
class Suppressions:
    """The file's ``# mllint: ignore`` comments and the malformed ones, for the engine and ML018/ML019."""

    pragmas: list[Pragma] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)

    def match(self, rule_id: str, rule_name: str, line: int) -> Pragma | None:
        """The pragma that suppresses this finding (every covering pragma is marked used), or None."""
        keys = {rule_id.lower(), rule_name.lower()}
        found = None
        for pragma in self.pragmas:
            if pragma.covers(keys, line):
                pragma.used.add(rule_id)
                found = found or pragma
        return found

    def covers(self, rule_id: str, rule_name: str, line: int) -> bool:
        return self.match(rule_id, rule_name, line) is not None


def suppressions(dockerfile: Dockerfile, known: set[str] | None = None, policy: str = "allow") -> Suppressions:
    """The pragmas of a file. ``known``: lower-cased ids and names of every installed rule (None: any name);
    ``policy``: the ``inline-ignores`` setting."""
    result = Suppressions()
    above: dict[int, tuple[int, int]] = {}  # comment line -> the instruction it sits directly above
    inside: dict[int, int] = {}  # comment line inside a continued instruction -> its first line
    for raw in dockerfile.tree.instructions:
        for line, _ in raw.comments:
            above[line] = (raw.start_line, raw.end_line)
        for line in range(raw.start_line + 1, raw.end_line + 1):
            inside[line] = raw.start_line
    for line, text in dockerfile.tree.comment_lines:
        parsed = _parse(text, known)
        if parsed is None:
            continue
        if isinstance(parsed, str):
            result.invalid.append(Invalid(line, text, parsed))
            continue
        whole_file, names, reason, unknown = parsed
        for name in unknown:
            result.invalid.append(Invalid(line, text, f"`{name}` is no installed rule (see `mllint rules`), so "
                                                      "this pragma does not suppress it"))
        if not names:
            continue
        problem = _policy_problem(policy, reason, names)
        if problem is None and not whole_file and line not in above:
            problem = (f"`ignore=` inside an instruction (line {inside[line]}) covers nothing; put it directly above "
                       "the instruction" if line in inside else
                       "`ignore=` covers nothing: it must be directly above an instruction, with no blank line "
                       "between (use `ignore-file=` for the whole file)")
        if problem is not None:
            result.invalid.append(Invalid(line, text, problem))
            continue
        first, last = (0, 0) if whole_file else above[line]
        result.pragmas.append(Pragma(line, text, whole_file, names, reason, first, last))
    return result


def _policy_problem(policy: str, reason: str, names: tuple[str, ...]) -> str | None:
    if policy == "forbid":
        return "inline suppressions are turned off here (`inline-ignores: forbid`); this pragma suppresses nothing"
    if policy == "require-reason" and not reason:
        return (f"this pragma gives no reason, which `inline-ignores: require-reason` requires, so it suppresses "
                f"nothing; write `ignore={','.join(names)} -- why`")
    return None


def _parse(text: str, known: set[str] | None):
    """None (not a pragma), a problem message (str), or (whole_file, names, reason, unknown names)."""
    text = text.strip()
    match = _VALID.match(text)
    if match is None:
        miss = _NEAR_MISS.match(text)
        if miss is None:
            if _ELSEWHERE.search(text):
                return f"a pragma must start the comment; write it on its own line as {SYNTAX}"
            return None
        word = miss.group("word").lower()
        if word in ("ignore", "ignore-file"):
            if not text.lower().startswith("mllint:"):
                return f"`mllint` must be followed by a colon: write {SYNTAX}"
            if "=" not in text:
                return f"the rule list needs `=`: write {SYNTAX}"
            return f"not a valid pragma: write {SYNTAX}"
        return f"mllint has no `{word}` pragma: write {SYNTAX}"
    whole_file = match.group("kind").lower() == "ignore-file"
    rest = match.group("rest")
    listed = _LIST.match(rest)
    if listed is None:
        return f"`{match.group('kind')}=` names no rule: write {SYNTAX}"
    tail = listed.group("tail")
    if tail and not tail[0] in " \t#;:":
        return f"unexpected `{tail.strip()[:20]}` after the rule list: separate the reason with ` -- `, as in {SYNTAX}"
    written = [name.strip() for name in listed.group("names").split(",")]
    names = tuple(name.lower() for name in written)
    reason = tail[_REASON_MARK.match(tail).end():].strip() if tail else ""
    first_word = tail.strip().split(" ")[0].strip(",").lower() if tail.strip() else ""
    if first_word and known is not None and first_word in known and tail[:1] in " \t":
        return (f"separate rule names with commas (`{written[-1]},{tail.split()[0].strip(',')}`): "
                "a space starts the reason")
    unknown = [name for name in written if known is not None and name.lower() != "all" and name.lower() not in known]
    return whole_file, tuple(name for name in names if name not in {u.lower() for u in unknown}), reason, unknown


def pragma_problems(rule_id: str, found: Suppressions, ran: set[str], by_key: dict[str, str]):
    """``(line, message, anchor)`` for ML018 (``rule_id == INVALID_ID``) or ML019, once every rule has run.

    A pragma is unused only for rules that ran on the file to the end: a rule turned off by the
    configuration, skipped by ``per-file-ignores`` or crashed could have needed it.
    """
    if rule_id == INVALID_ID:
        for item in found.invalid:
            yield item.line, item.message.rstrip(".") + ".", f"# {' '.join(item.text.split())}"
        return
    for pragma in found.pragmas:
        idle: list[str] = []
        for name in pragma.names:
            if name == "all":
                if not pragma.used and ran - {INVALID_ID, UNUSED_ID}:
                    idle.append(name)
                continue
            target = by_key.get(name)
            if target in ran and target not in (INVALID_ID, UNUSED_ID) and target not in pragma.used:
                idle.append(name)
        if idle:
            where = "in this file" if pragma.whole_file else f"on the instruction at line {pragma.first}"
            shown = [by_key.get(name, name.upper()) if name != "all" else "all" for name in idle]
            listed = ", ".join(f"`{name}`" for name in shown)
            remove = "the pragma" if len(idle) == len(pragma.names) else f"{listed} from it"
            message = (f"this pragma suppresses nothing: no {listed} finding {where}; remove {remove}, "
                       "so that it cannot hide a future finding.")
            yield pragma.line, message, f"# {' '.join(pragma.text.split())}"
