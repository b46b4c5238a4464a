"""The ``.mllint.yaml`` configuration file: where it is, what it may say, and what it means.

A configuration file is data. It is read with ruamel.yaml's round-trip loader,
which builds no Python object from a tag (every tag is refused), and which knows
the line and column of each value, so that every error names them. ruamel.yaml
is imported only when a file exists: start-up without one stays cheap.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Iterable, Mapping, Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mllint.reader import FILE, MISSING, DiskReader, Reader

NAMES = (".mllint.yaml", ".mllint.yml")
PYPROJECT = "pyproject.toml"  # its [tool.mllint] table, as ruff, black and mypy read theirs
_TOOL_HEADER = re.compile(r"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*(?:mllint|\"mllint\")[ \t]*[\].]", re.M)
KEYS = ("select", "ignore", "severity", "failure-threshold", "exclude", "per-file-ignores",
        "allowed-floating-tags", "ml-packages", "secret-names", "plugins", "inline-ignores", "target",
        "extend-select")
SEVERITIES = ("error", "warning", "info")
THRESHOLDS = ("error", "warning", "info", "none")
INLINE_IGNORES = ("allow", "require-reason", "forbid")
# The options rules read from ``CheckContext.options``.
RULE_OPTIONS = ("allowed-floating-tags", "ml-packages", "secret-names")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_BYTES = 1_000_000


class ConfigError(Exception):
    """A configuration problem, shown as one ``path:line:col: message`` line."""

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.path, self.line, self.column, self.message = path, line, column, message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class Config:
    """What a configuration file says; the empty default when there is none."""

    path: Path | None = None
    shown: str = ""  # the path as messages show it
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    failure_threshold: str | None = None
    exclude: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    allowed_floating_tags: list[str] = field(default_factory=list)
    ml_packages: list[str] = field(default_factory=list)
    secret_names: list[str] = field(default_factory=list)
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    inline_ignores: str | None = None  # allow, require-reason or forbid (mllint.pragmas)
    target: str | None = None  # the stage `docker build --target` builds (--target wins)
    extend_select: list[str] = field(default_factory=list)  # rules added to the selection (off-by-default ones)
    # (key, index or sub-key, ...) -> (line, column), 1-based, for errors found after loading
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """Globs are relative to the directory holding the file."""
        return self.path.parent if self.path else Path.cwd()

    def error(self, where: tuple, message: str) -> ConfigError:
        line, column = self.positions.get(where, (0, 0))
        return ConfigError(self.shown, line, column, message)

    def rule_options(self) -> dict[str, Any]:
        """``CheckContext.options``: the rule options under their configuration keys, and ``plugins``."""
        return {
            "allowed-floating-tags": list(self.allowed_floating_tags),
            "ml-packages": list(self.ml_packages),
            "secret-names": list(self.secret_names),
            "plugins": self.plugins,
        }

    def rule_references(self) -> Iterable[tuple[tuple, str]]:
        """Every rule id or name the file mentions, with where it is."""
        for i, name in enumerate(self.select or ()):
            yield ("select", i), name
        for i, name in enumerate(self.ignore):
            yield ("ignore", i), name
        for i, name in enumerate(self.extend_select):
            yield ("extend-select", i), name
        for name in self.severity:
            yield ("severity", name, "key"), name
        for pattern, names in self.per_file_ignores.items():
            for i, name in enumerate(names):
                yield ("per-file-ignores", pattern, i), name

    def check_rules(self, known: Iterable[str], plugin_names: Iterable[str]) -> None:
        """Refuse rules and plugins that are not installed (known: ids and names, any case)."""
        lowered = {name.lower() for name in known} | {"all"}
        for where, name in self.rule_references():
            if name.lower() not in lowered:
                raise self.error(where, f"unknown rule {name!r} (expected a rule id or name; see `mllint rules`)")
        plugins = sorted(plugin_names)
        for name in self.plugins:
            if name not in plugins:
                expected = f"one of: {', '.join(plugins)}" if plugins else "an installed plugin; none is installed"
                raise self.error(("plugins", name, "key"), f"unknown plugin {name!r} (expected {expected})")

    def relative(self, path: str) -> str:
        """``path`` relative to the configuration's directory, with ``/`` separators."""
        rel = os.path.relpath(os.path.abspath(path), self.root)
        return rel.replace(os.sep, "/")

    def excluded(self, path: str) -> bool:
        return any(matches(self.relative(path), pattern) for pattern in self.exclude)

    def ignored_for(self, path: str) -> list[str]:
        """The rules ``per-file-ignores`` turns off for ``path``."""
        rel = self.relative(path)
        return [name for pattern, names in self.per_file_ignores.items() if matches(rel, pattern) for name in names]


def matches(rel: str, pattern: str) -> bool:
    """Path globs as flake8 reads them: fnmatch, where ``*`` also crosses ``/``.

    A pattern without ``/`` matches any path component (``legacy``, ``*.gpu.Dockerfile``); one with
    ``/`` is anchored at the configuration's directory and matches the path or a parent directory
    (``docker/legacy``, ``docker/*/Dockerfile``); a leading ``**/`` lets it start at any depth.
    """
    pattern = pattern.strip()
    if pattern.startswith("./"):
        pattern = pattern[2:]
    pattern = pattern.rstrip("/")
    anywhere = False
    while pattern.startswith("**/"):
        pattern, anywhere = pattern[3:], True
    parts = rel.split("/")
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(part, pattern) for part in parts)
    starts = range(len(parts)) if anywhere else (0,)
    return any(fnmatch.fnmatchcase("/".join(parts[start:end]), pattern)
               for start in starts for end in range(start + 1, len(parts) + 1))


def discover(start: Path, reader: Reader | None = None) -> Path | None:
    """The nearest configuration from ``start`` up to the repository root (``.git``): in each directory
    ``.mllint.yaml``, ``.mllint.yml``, then a ``pyproject.toml`` with a ``[tool.mllint]`` table.

    The walk never reads a file another user could have put there: it stops at the first directory
    that everybody may write (``/tmp``) or that belongs to a user other than you, root and the
    owner of ``start`` (docs/configuration.md).
    """
    reader = reader or DiskReader()
    directory = start.resolve()
    owners = {os.geteuid() if hasattr(os, "geteuid") else 0, 0, (reader.owner(str(directory)) or (0, 0))[0]}
    while True:
        found = reader.owner(str(directory))
        if found is not None and (found[1] & stat.S_IWOTH or found[0] not in owners):
            return None
        for name in NAMES:
            candidate = directory / name
            if reader.kind(str(candidate)) == FILE:
                return candidate
        candidate = directory / PYPROJECT
        if reader.kind(str(candidate)) == FILE and has_tool_table(candidate, reader):
            return candidate
        if reader.kind(str(directory / ".git")) != MISSING or directory.parent == directory:
            return None
        directory = directory.parent


def shown_path(path: Path) -> str:
    rel = os.path.relpath(path)
    return path.as_posix() if rel.startswith("..") else rel


def load(path: Path, shown: str | None = None, reader: Reader | None = None) -> Config:
    """Read and validate a configuration file; ConfigError on any problem."""
    shown = shown or shown_path(path)
    try:
        data = (reader or DiskReader()).read(str(path), MAX_BYTES)
        if len(data) > MAX_BYTES:
            raise ConfigError(shown, 0, 0, f"larger than {MAX_BYTES // 1_000_000} MB, not a configuration file")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(shown, 0, 0, "no such configuration file") from None
    except IsADirectoryError:
        raise ConfigError(shown, 0, 0, "is a directory, not a configuration file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(shown, 0, 0, f"not valid UTF-8 (byte offset {exc.start})") from None
    except OSError as exc:
        raise ConfigError(shown, 0, 0, f"cannot read: {exc.strerror or exc}") from None

    if path.name == PYPROJECT:
        return _Reader(path, shown).read(_tool_table(text, shown))

    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return _Reader(path, shown).read(YAML(typ="rt").load(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = str(exc.problem or exc.context or "invalid YAML")
        if problem.startswith("but ") and exc.context:  # "but found another document"
            problem = f"{exc.context}, {problem}"
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise ConfigError(shown, line, column, f"invalid YAML: {' '.join(problem.split())}") from None
    except YAMLError as exc:
        raise ConfigError(shown, 0, 0, f"invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise ConfigError(shown, 0, 0, "invalid configuration: nested too deeply") from None


def has_tool_table(path: Path, reader: Reader | None = None) -> bool:
    """Whether a ``pyproject.toml`` configures mllint (a cheap look for the header; the loader parses it)."""
    try:
        data = (reader or DiskReader()).read(str(path), MAX_BYTES)
    except OSError:
        return False
    return bool(_TOOL_HEADER.search(data[:MAX_BYTES].decode("utf-8", errors="replace")))


def _tool_table(text: str, shown: str):
    """``[tool.mllint]`` as the YAML reader's mapping, each key and item placed at its line, for the errors."""
    from mllint import toml

    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as exc:  # "Expected ... (at line 1, column 13)": the place goes in front
        where = re.search(r" \(at line (\d+), column (\d+)\)$", str(exc))
        message = str(exc)[:where.start()] if where else str(exc)
        raise ConfigError(shown, int(where[1]) if where else 0, int(where[2]) if where else 0,
                          f"invalid TOML: {message}") from None
    tool = data.get("tool", {}).get("mllint") if isinstance(data.get("tool"), dict) else None
    if tool is None:
        raise ConfigError(shown, 0, 0, "has no [tool.mllint] table")
    if not isinstance(tool, dict):
        raise ConfigError(shown, 0, 0, f"tool.mllint is {_kind(tool)} (expected a table of settings)")
    lines = text.splitlines()
    header = _TOOL_HEADER.search(text)
    start = text.count("\n", 0, header.start()) if header else 0
    return _located(tool, lines, start)


def _located(value: Any, lines: list[str], after: int):
    """Plain TOML data -> ruamel's mappings and lists with ``lc`` positions (0-based), found by key name
    from line ``after`` on; a value's items share its line."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            line = _key_line(lines, str(key), after)
            out[key] = _located(item, lines, line)
            out.lc.add_kv_line_col(key, [line, 0, line, 0])
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_located(item, lines, after) for item in value)
        for i in range(len(value)):
            seq.lc.add_kv_line_col(i, [after, 0])
        return seq
    return value


def _key_line(lines: list[str], key: str, after: int) -> int:
    pattern = re.compile(rf"^[ \t]*(?:\[[^\]]*\.)?[\"']?{re.escape(key)}[\"']?[ \t]*(?:=|\])")
    for number in range(after, len(lines)):
        if pattern.match(lines[number]):
            return number
    return after


# --------------------------------------------------------------------------- validation


def _kind(value: Any) -> str:
    if _tag(value):
        return f"a value tagged {_tag(value).replace('tag:yaml.org,2002:', '!!')}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, AbstractSet):
        return "a set"
    return f"a {type(value).__name__.lower()}"


def _tag(value: Any) -> str | None:
    tag = getattr(value, "tag", None)
    return getattr(tag, "value", None) if tag is not None else None


class _Reader:
    """Turns the loaded YAML into a Config, raising on the first thing that is not allowed."""

    def __init__(self, path: Path, shown: str) -> None:
        self.config = Config(path=path, shown=shown)

    def fail(self, position: tuple[int, int], message: str) -> ConfigError:
        return ConfigError(self.config.shown, position[0] + 1, position[1] + 1, message)

    def read(self, data: Any) -> Config:
        if data is None:  # an empty file (or only comments): all defaults
            return self.config
        if not isinstance(data, Mapping) or _tag(data):
            raise ConfigError(self.config.shown, 1, 1, f"found {_kind(data)} (expected a mapping of settings)")
        readers = {
            "select": self._select,
            "ignore": lambda v, p, key: self._strings(v, p, key, "a list of rule ids or names"),
            "severity": self._severity,
            "failure-threshold": self._threshold,
            "exclude": lambda v, p, key: self._strings(v, p, key, "a list of path globs"),
            "per-file-ignores": self._per_file_ignores,
            "allowed-floating-tags": lambda v, p, key: self._strings(v, p, key, "a list of image reference globs"),
            "ml-packages": lambda v, p, key: self._strings(v, p, key, "a list of package names"),
            "secret-names": self._secret_names,
            "plugins": self._plugins,
            "inline-ignores": self._inline_ignores,
            "target": self._target,
            "extend-select": lambda v, p, key: self._strings(v, p, key, "a list of rule ids or names"),
        }
        for key in data:
            key_pos = data.lc.key(key)
            if not isinstance(key, str) or key not in readers:
                raise self.fail(key_pos, f"unknown key {key!r} (expected one of: {', '.join(KEYS)})")
            value = data[key]
            value_pos = key_pos if value is None else data.lc.value(key)
            self.config.positions[(key,)] = (value_pos[0] + 1, value_pos[1] + 1)
            result = readers[key](value, value_pos, key)
            setattr(self.config, key.replace("-", "_"), result)
        return self.config

    # each reader gets the value, its (0-based) position and the key path for positions

    def _wrong(self, value: Any, position: tuple[int, int], label: str, expected: str) -> ConfigError:
        return self.fail(position, f"{label} is {_kind(value)} (expected {expected})")

    def _strings(self, value: Any, position, key: str, expected: str, where: tuple = (), label: str = "") -> list[str]:
        where, label = where or (key,), label or repr(key)
        if not isinstance(value, list) or _tag(value):
            raise self._wrong(value, position, label, expected)
        items = []
        for i, item in enumerate(value):
            item_pos = value.lc.item(i)
            if not isinstance(item, str) or not item.strip():
                shown = "an empty string" if isinstance(item, str) else _kind(item)
                raise self.fail(item_pos, f"item {i + 1} of {label} is {shown} (expected {expected})")
            self.config.positions[(*where, i)] = (item_pos[0] + 1, item_pos[1] + 1)
            items.append(str(item).strip())
        return items

    def _select(self, value, position, key) -> list[str]:
        names = self._strings(value, position, key, "a list of rule ids or names")
        if not names:
            raise self.fail(position, "'select' is an empty list (expected at least one rule id or name; "
                                      "`all` selects every rule)")
        return names

    def _mapping(self, value, position, key: str, expected: str) -> Mapping:
        if not isinstance(value, Mapping) or _tag(value):
            raise self._wrong(value, position, repr(key), expected)
        for sub in value:
            if not isinstance(sub, str) or not sub.strip():
                raise self.fail(value.lc.key(sub), f"key {sub!r} in {key!r} is {_kind(sub)} (expected {expected})")
        return value

    def _severity(self, value, position, key) -> dict[str, str]:
        expected = "a mapping of rule id or name to error, warning or info"
        mapping = self._mapping(value, position, key, expected)
        result = {}
        for name, level in mapping.items():
            name_pos = mapping.lc.key(name)
            self.config.positions[(key, str(name), "key")] = (name_pos[0] + 1, name_pos[1] + 1)
            if not isinstance(level, str) or level.strip().lower() not in SEVERITIES:
                pos = name_pos if level is None else mapping.lc.value(name)
                shown = repr(str(level)) if isinstance(level, str) else _kind(level)
                raise self.fail(pos, f"severity of {name!r} is {shown} (expected error, warning or info)")
            result[str(name)] = level.strip().lower()
        return result

    def _threshold(self, value, position, key) -> str:
        if not isinstance(value, str) or value.strip().lower() not in THRESHOLDS:
            shown = repr(str(value)) if isinstance(value, str) else _kind(value)
            raise self.fail(position, f"'failure-threshold' is {shown} (expected error, warning, info or none)")
        return value.strip().lower()

    def _inline_ignores(self, value, position, key) -> str:
        if not isinstance(value, str) or value.strip().lower() not in INLINE_IGNORES:
            shown = repr(str(value)) if isinstance(value, str) else _kind(value)
            raise self.fail(position, f"'inline-ignores' is {shown} (expected allow, require-reason or forbid)")
        return value.strip().lower()

    def _target(self, value, position, key) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or _tag(value) or not value.strip() or len(value.split()) != 1:
            shown = repr(str(value)) if isinstance(value, str) else _kind(value)
            raise self.fail(position, f"'target' is {shown} (expected the name of a build stage, as "
                                      "`docker build --target` takes it, or null)")
        return value.strip()

    def _per_file_ignores(self, value, position, key) -> dict[str, list[str]]:
        expected = "a mapping of path glob to a list of rule ids or names"
        mapping = self._mapping(value, position, key, expected)
        result = {}
        for pattern, names in mapping.items():
            pattern_pos = mapping.lc.key(pattern)
            names_pos = pattern_pos if names is None else mapping.lc.value(pattern)
            result[str(pattern)] = self._strings(names, names_pos, key, "a list of rule ids or names",
                                                 where=(key, str(pattern)), label=f"{str(pattern)!r} in {key!r}")
        return result

    def _secret_names(self, value, position, key) -> list[str]:
        names = self._strings(value, position, key, "a list of environment variable names")
        for i, name in enumerate(names):
            if not _VARIABLE.match(name):
                line, column = self.config.positions[(key, i)]
                raise ConfigError(self.config.shown, line, column,
                                  f"{name!r} in 'secret-names' is not a variable name "
                                  "(expected letters, digits and _, not starting with a digit)")
        return names

    def _plugins(self, value, position, key) -> dict[str, dict[str, Any]]:
        expected = "a mapping of plugin name to a mapping of its options"
        mapping = self._mapping(value, position, key, expected)
        result = {}
        for name, options in mapping.items():
            name_pos = mapping.lc.key(name)
            self.config.positions[(key, str(name), "key")] = (name_pos[0] + 1, name_pos[1] + 1)
            if not isinstance(options, Mapping) or _tag(options):
                pos = name_pos if options is None else mapping.lc.value(name)
                raise self.fail(pos, f"options of plugin {name!r} are {_kind(options)} (expected a mapping; "
                                     "`{}` for none)")
            result[str(name)] = _plain(options, self, name_pos)
        return result


def _plain(value: Any, reader: _Reader, position: tuple[int, int], memo: dict | None = None) -> Any:
    """ruamel's round-trip types -> dict/list/str/int/float/bool/None for plugins (aliases shared, not copied)."""
    memo = {} if memo is None else memo
    if id(value) in memo:
        return memo[id(value)]
    if _tag(value):
        raise reader.fail(position, f"plugin options contain {_kind(value)} (expected plain YAML data, no tags)")
    if isinstance(value, Mapping):
        out: Any = {}
        memo[id(value)] = out
        for key, item in value.items():
            pos = value.lc.value(key) if hasattr(value, "lc") else position
            out[_plain(key, reader, position, memo)] = _plain(item, reader, pos, memo)
        return out
    if isinstance(value, list):
        out = []
        memo[id(value)] = out
        for i, item in enumerate(value):
            out.append(_plain(item, reader, value.lc.item(i) if hasattr(value, "lc") else position, memo))
        return out
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value  # dates and timestamps: plain Python values already
