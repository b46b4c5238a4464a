"""The plugin contract: pluggy hook specifications and the plugin manager.

Built-in rules are registered as a plugin through the very same hook a
third-party package uses (entry-point group ``mllint``), so nothing a plugin
author reads about is a back door reserved for us.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from mllint.rule import Rule

PROJECT = "mllint"
ENTRY_POINT_GROUP = "mllint"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class Specs:
    """Hooks a plugin may implement (decorate its functions with ``mllint.hookimpl``)."""

    @hookspec
    def mllint_rules(self) -> "list[Rule]":
        """Return the rules this plugin contributes: ``mllint.Rule(meta, check)`` objects."""

    @hookspec
    def mllint_configure(self, options: "dict[str, Any]") -> None:
        """Receive this plugin's options (the ``plugins:`` section of the configuration)."""


class PluginError(Exception):
    """A plugin broke the contract (duplicate rule id, bad return value, import failure, refused options)."""

    def __init__(self, message: str, plugin: str | None = None) -> None:
        super().__init__(message)
        self.plugin = plugin


def _entry_point_sources() -> bytes | None:
    """Everything ``importlib.metadata`` reads to list entry points: per ``sys.path`` entry, the
    distribution metadata directories it holds (in listing order) and each one's ``entry_points.txt``.
    None when something else could add distributions (a zip on ``sys.path``, another finder)."""
    import os
    import sys
    from importlib.machinery import PathFinder

    if any(getattr(finder, "find_distributions", None) and finder is not PathFinder for finder in sys.meta_path):
        return None
    parts = [sys.version.encode()]
    for entry in sys.path:
        if not isinstance(entry, str):
            return None
        try:
            names = os.listdir(entry or ".")
        except NotADirectoryError:
            return None  # a zip file: its members are not checked here
        except OSError:
            continue
        egg = os.path.basename(entry).lower().endswith(".egg")
        parts.append(b"\1" + os.fsencode(entry))
        for name in names:
            low = name.lower()
            if not (low.endswith((".dist-info", ".egg-info")) or egg and low == "egg-info"):
                continue
            try:
                with open(os.path.join(entry or ".", name, "entry_points.txt"), "rb") as handle:
                    text = handle.read()
            except OSError:
                text = b"-"
            parts.append(b"\2" + os.fsencode(name) + b"\3" + text)
    return b"".join(parts)


def installed_plugins() -> list[tuple[str, str]]:
    """``(name, "module:attr")`` of the ``mllint`` entry points.

    Importing importlib.metadata and scanning costs ~30 ms, a quarter of a small lint run, so the
    answer is kept in mllint's cache directory under the exact bytes it was computed from
    (``_entry_point_sources``; mllint.usercache): an entry is used only when they are unchanged.
    """
    import json
    import zlib

    from mllint import usercache

    key = _entry_point_sources()
    name = f"entry-points-{zlib.crc32(key):08x}{len(key):x}" if key is not None else ""
    cached = usercache.load(name, key) if key is not None else None
    if cached is not None:
        return [tuple(item) for item in json.loads(cached)]
    from importlib.metadata import entry_points

    found = sorted((ep.name, ep.value) for ep in entry_points(group=ENTRY_POINT_GROUP))
    if key is not None:
        usercache.store(name, key, json.dumps(found).encode())
    return found


def _load(value: str) -> Any:
    from importlib import import_module

    module_name, _, attribute = value.partition(":")
    obj = import_module(module_name.strip())
    for part in filter(None, attribute.strip().split(".")):
        obj = getattr(obj, part)
    return obj


def plugin_manager(*, entry_points: bool = True, extra: list[Any] | None = None) -> pluggy.PluginManager:
    """A manager with the built-in rules, installed plugins and any ``extra`` plugin objects."""
    from mllint.checks import builtin

    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(Specs)
    manager.register(builtin, name="mllint")
    if entry_points:
        for name, value in installed_plugins():
            if manager.get_plugin(name) is not None:
                continue
            try:
                manager.register(_load(value), name=name)
            except Exception as exc:  # a broken third-party package must not take the linter down
                raise PluginError(f"could not load the mllint plugin {name!r} ({value}): {exc}") from exc
    for plugin in extra or ():
        manager.register(plugin)
    return manager


def collect_rules(manager: pluggy.PluginManager) -> "list[Rule]":
    """All rules from all plugins, checked for clashing ids and names."""
    from mllint.rule import Rule

    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for impl in manager.hook.mllint_rules.get_hookimpls():
        plugin_name = manager.get_name(impl.plugin) or repr(impl.plugin)
        try:
            provided = impl.function()
        except Exception as exc:
            raise PluginError(f"plugin {plugin_name!r} failed to list its rules: {exc}") from exc
        for rule in provided or ():
            if not isinstance(rule, Rule):
                raise PluginError(f"plugin {plugin_name!r} returned {rule!r}, not an mllint.Rule")
            if rule.plugin == "mllint" and plugin_name != "mllint":
                rule = Rule(rule.meta, rule.check, plugin=plugin_name)
            for key in (rule.id.upper(), rule.name.lower()):
                if key in seen:
                    raise PluginError(
                        f"plugin {plugin_name!r} defines {key!r}, already defined by {seen[key]!r}"
                    )
                seen[key] = plugin_name
            rules.append(rule)
    rules.sort(key=lambda r: r.id)
    return rules


def configurable_plugins(manager: pluggy.PluginManager) -> list[str]:
    """Names a ``plugins:`` section may use: every registered plugin but the built-in rules."""
    return sorted(name for name, _ in manager.list_name_plugin() if name and name != PROJECT)


def configure(manager: pluggy.PluginManager, options: "dict[str, dict[str, Any]]") -> None:
    """Call each plugin's ``mllint_configure`` with its own ``plugins:`` sub-mapping ({} when absent).

    pluggy would pass every plugin the same arguments, so each implementation is called on its own.
    """
    for impl in manager.hook.mllint_configure.get_hookimpls():
        name = manager.get_name(impl.plugin) or repr(impl.plugin)
        kwargs = {"options": dict(options.get(name) or {})} if "options" in impl.argnames else {}
        try:
            impl.function(**kwargs)
        except Exception as exc:  # a plugin refusing its options is a configuration error, not a crash
            raise PluginError(f"plugin {name!r} rejected its options: {type(exc).__name__}: {exc}", name) from exc
