"""Consistency checks for the ML knowledge base in ``rules/knowledge/*.yaml``.

The checks (documented in rules/knowledge/README.md):

* every file loads with ``ruamel.yaml`` (safe loader) into a mapping that has a
  non-empty ``sources:`` mapping of ``S_*`` ids to citation strings;
* no value or key is a float or a date: versions and dates must be strings;
* every line outside the ``sources:`` block whose *value* contains a
  version-like number (``12.4``, ``2.5.1``) or a date (``2023-07``) carries a
  ``# src:``, ``# unverified`` or ``# derived`` comment, on the line itself or
  on its nearest enclosing key line (values of the prose keys ``prose`` and
  ``description`` are exempt);
* every ``S_*`` id mentioned in a comment is defined in that file's
  ``sources:``, and every defined id is used;
* every ``unverified`` entry is ``true`` or a list naming keys that exist in
  the same mapping.
"""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "rules" / "knowledge"
REQUIRED_FILES = ("images.yaml", "frameworks.yaml", "cuda_usage.yaml", "python.yaml", "packages.yaml")

VERSION_LIKE = re.compile(r"\d+\.\d+|\b\d{4}-\d{2}\b")
MARKER = re.compile(r"(?:\bsrc:|\bunverified\b|\bderived\b)")
SOURCE_ID = re.compile(r"\bS_[A-Z0-9_]+\b")
SOURCE_KEY = re.compile(r"^S_[A-Z0-9_]+$")
PLAIN_KEY = re.compile(r"^([^\s:#'\"\[\]{},][^:#]*?)\s*:(?:\s|$)")
PROSE_KEYS = {"prose", "description"}


# --------------------------------------------------------------------------- #
# line-level helpers
# --------------------------------------------------------------------------- #
def split_comment(line: str) -> tuple[str, str | None]:
    """Split a YAML line into (code, comment-text-or-None), honouring quotes."""
    quote: str | None = None
    i = 0
    prev_sig = ""  # previous non-space character outside quotes
    while i < len(line):
        ch = line[i]
        if quote == '"':
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                quote = None
        elif quote == "'":
            if ch == "'":
                if i + 1 < len(line) and line[i + 1] == "'":
                    i += 2
                    continue
                quote = None
        else:
            if ch in "\"'" and prev_sig in ("", ":", ",", "[", "{", "-"):
                quote = ch
            elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
                return line[:i], line[i + 1 :]
            if not ch.isspace():
                prev_sig = ch
        i += 1
    return line, None


def split_key_value(code: str) -> tuple[str | None, str]:
    """Return (key, value) for a mapping line, or (None, whole) for items."""
    text = code.strip()
    while text.startswith("- ") or text == "-":
        text = text[1:].strip()
    if not text:
        return None, ""
    if text[0] in "\"'":
        q = text[0]
        j = 1
        while j < len(text):
            if q == '"' and text[j] == "\\":
                j += 2
                continue
            if text[j] == q:
                if q == "'" and j + 1 < len(text) and text[j + 1] == "'":
                    j += 2
                    continue
                break
            j += 1
        rest = text[j + 1 :].lstrip()
        if rest.startswith(":") and (len(rest) == 1 or rest[1] in " \t"):
            return text[1:j], rest[1:].strip()
        return None, text
    if text[0] in "[{":
        return None, text
    m = PLAIN_KEY.match(text)
    if m:
        return m.group(1).strip(), text[m.end() :].strip()
    return None, text


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def line_checks(path: Path, lines: list[str], source_ids: set[str]) -> list[str]:
    errors: list[str] = []
    used_ids: set[str] = set()
    in_sources = False
    parsed: list[tuple[int, str, str | None, str | None, str]] = []  # (indent, code, comment, key, value)

    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n")
        stripped = line.strip()
        code, comment = split_comment(line)
        key, value = split_key_value(code) if code.strip() else (None, "")
        entry = (indent_of(line), code, comment, key, value)
        parsed.append(entry)
        if not stripped:
            continue
        # track the sources: block (column-0 key "sources")
        if indent_of(line) == 0 and code.strip():
            in_sources = key == "sources"
            if in_sources:
                continue
        if in_sources:
            continue
        if comment is not None:
            for sid in SOURCE_ID.findall(comment):
                used_ids.add(sid)
                if sid not in source_ids:
                    errors.append(f"{path.name}:{lineno}: source id {sid} is not defined in sources:")
        if not code.strip():
            continue  # comment-only line
        if key in PROSE_KEYS:
            continue
        if not VERSION_LIKE.search(value):
            continue
        if comment is not None and MARKER.search(comment):
            continue
        # nearest enclosing key line (smaller indentation, not blank/comment-only)
        my_indent = indent_of(line)
        enclosing = None
        for j in range(lineno - 2, -1, -1):
            ind, pcode, pcomment, pkey, _ = parsed[j]
            if not pcode.strip():
                continue
            if ind < my_indent:
                enclosing = (pcomment, pkey)
                break
        if enclosing is not None:
            pcomment, pkey = enclosing
            if pkey in PROSE_KEYS:
                continue
            if pcomment is not None and MARKER.search(pcomment):
                continue
        errors.append(
            f"{path.name}:{lineno}: version-like value without '# src:', '# unverified' or '# derived': {stripped[:80]}"
        )

    for sid in sorted(source_ids - used_ids):
        errors.append(f"{path.name}: source id {sid} is defined but never cited")
    return errors


# --------------------------------------------------------------------------- #
# data-level helpers
# --------------------------------------------------------------------------- #
def walk(node, trail: str, errors: list[str], name: str) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, (float, datetime.date)):
                errors.append(f"{name}: {trail}: key {k!r} is a {type(k).__name__}; quote versions/dates")
        if "unverified" in node:
            flag = node["unverified"]
            if flag is True:
                pass
            elif isinstance(flag, list) and flag:
                for field in flag:
                    if not isinstance(field, str) or field == "unverified" or field not in node:
                        errors.append(f"{name}: {trail}: unverified names missing field {field!r}")
            else:
                errors.append(f"{name}: {trail}: unverified must be true or a non-empty list, got {flag!r}")
        for k, v in node.items():
            walk(v, f"{trail}.{k}", errors, name)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, f"{trail}[{i}]", errors, name)
    elif isinstance(node, bool) or node is None or isinstance(node, (int, str)):
        return
    elif isinstance(node, (float, datetime.date)):
        errors.append(f"{name}: {trail}: value {node!r} is a {type(node).__name__}; quote versions/dates")
    else:
        errors.append(f"{name}: {trail}: unexpected type {type(node).__name__}")


def check_file(path: Path) -> list[str]:
    """All knowledge-base checks for one YAML file; returns error strings."""
    text = path.read_text(encoding="utf-8")
    try:
        data = YAML(typ="safe").load(text)
    except Exception as exc:  # pragma: no cover - reported as a failure
        return [f"{path.name}: does not load: {exc}"]
    if not isinstance(data, dict):
        return [f"{path.name}: top level is not a mapping"]
    errors: list[str] = []
    sources = data.get("sources")
    if not isinstance(sources, dict) or not sources:
        errors.append(f"{path.name}: missing or empty sources: mapping")
        sources = {}
    for sid, cite in sources.items():
        if not isinstance(sid, str) or not SOURCE_KEY.match(sid):
            errors.append(f"{path.name}: bad source id {sid!r}")
        if not isinstance(cite, str) or not cite.strip():
            errors.append(f"{path.name}: source {sid} has no citation text")
    walk(data, "$", errors, path.name)
    errors.extend(line_checks(path, text.splitlines(), {str(k) for k in sources}))
    return errors


# --------------------------------------------------------------------------- #
# tests
# --------------------------------------------------------------------------- #
def knowledge_files() -> list[Path]:
    return sorted(KNOWLEDGE_DIR.glob("*.yaml"))


def test_required_files_present():
    names = {p.name for p in knowledge_files()}
    missing = [n for n in REQUIRED_FILES if n not in names]
    assert not missing, f"missing knowledge files: {missing}"
    assert (KNOWLEDGE_DIR / "README.md").is_file()


@pytest.mark.parametrize("path", knowledge_files(), ids=lambda p: p.name)
def test_knowledge_file_is_consistent(path: Path):
    errors = check_file(path)
    assert not errors, "\n".join(errors)


def _write(tmp_path: Path, text: str, name: str = "broken.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_checker_accepts_a_minimal_good_file(tmp_path):
    p = _write(
        tmp_path,
        'sources:\n  S_A: "example.org/page, retrieved 2026-11-24"\n'
        "thing:\n"
        '  cuda: "12.4"  # src: S_A\n'
        "  list:  # src: S_A\n"
        '    - "11.8"\n'
        '  guess: "13.0"  # unverified\n'
        "  unverified: [guess]\n"
        '  description: "mentions 12.1 in prose"\n',
    )
    assert check_file(p) == []


@pytest.mark.parametrize(
    "body, expected",
    [
        ('thing:\n  cuda: "12.4"\n', "without '# src:'"),
        ('thing:\n  cuda: "12.4"  # src: S_NOPE\n', "S_NOPE is not defined"),
        ('thing:\n  cuda: 12.4  # src: S_A\n', "is a float"),
        ('thing:\n  "3.10": 2026-10-04  # src: S_A\n', "is a date"),
        ('thing:\n  cuda: "12.4"  # src: S_A\n  unverified: [python]\n', "unverified names missing field 'python'"),
        ('thing:\n  cuda: "12.4"  # src: S_A\n  unverified: false\n', "unverified must be true or a non-empty list"),
        ('thing:\n  cuda: "12.4"  # src: S_A\n  extra: "x"  # src: S_B\n', "source id S_B is not defined"),
    ],
)
def test_checker_rejects_broken_files(tmp_path, body, expected):
    p = _write(tmp_path, 'sources:\n  S_A: "example.org, retrieved 2026-11-24"\n' + body)
    errors = check_file(p)
    assert any(expected in e for e in errors), errors


def test_checker_rejects_missing_sources(tmp_path):
    p = _write(tmp_path, 'thing:\n  cuda: "12.4"  # src: S_A\n')
    errors = check_file(p)
    assert any("missing or empty sources" in e for e in errors), errors


def test_checker_rejects_unused_source(tmp_path):
    p = _write(tmp_path, 'sources:\n  S_A: "a"\n  S_B: "b"\nthing:\n  cuda: "12.4"  # src: S_A\n')
    errors = check_file(p)
    assert any("S_B is defined but never cited" in e for e in errors), errors


def test_checker_catches_damage_to_a_real_file(tmp_path):
    """Break a copy of images.yaml in three ways; each must be reported."""
    src = KNOWLEDGE_DIR / "images.yaml"
    copy = tmp_path / "images.yaml"
    shutil.copy(src, copy)
    text = copy.read_text(encoding="utf-8")

    # 1. strip the source comment from a version line whose parent has none
    target = '  "23.11": {pytorch: "2.2.0a0+6a974bec"'
    assert target in text
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith('      "23.11":'):
            lines[i] = line.split("  #", 1)[0]
    # 2. cite an undefined source
    lines.append('broken_extra: "9.9"  # src: S_DOES_NOT_EXIST')
    # 3. an unverified list naming a missing field
    lines.append("broken_flag: {cuda: null, unverified: [python]}")
    copy.write_text("\n".join(lines) + "\n", encoding="utf-8")

    errors = check_file(copy)
    joined = "\n".join(errors)
    assert "version-like value without" in joined and '"23.11"' in joined, joined
    assert "S_DOES_NOT_EXIST is not defined" in joined, joined
    assert "unverified names missing field 'python'" in joined, joined
