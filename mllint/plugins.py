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


def _path_signature() -> str:
    """Installing or removing a distribution changes its site directory's mtime."""
    import os

    from mllint.runcache import distribution_dirs

    parts = []
    for entry in distribution_dirs():
        try:
            parts.append(f"{entry}={os.stat(entry).st_mtime_ns}")
        except OSError:
            continue
    return "|".join(parts)


def installed_plugins() -> list[tuple[str, str]]:
    """``(name, "module:attr")`` of the ``mllint`` entry points, cached between runs.

    Scanning installed distributions (importlib.metadata) costs more than the
    rest of a small lint run, so the answer is cached per ``sys.path`` state.
    """
    import json

    from mllint.knowledge import cache_dir

    path = cache_dir() / "entry-points.json"
    signature = _path_signature()
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cached = {}
    if not isinstance(cached, dict):
        cached = {}
    if isinstance(cached.get(signature), list):
        return [tuple(item) for item in cached[signature]]
    from importlib.metadata import entry_points

    found = sorted((ep.name, ep.value) for ep in entry_points(group=ENTRY_POINT_GROUP))
    # keep a few environments (several venvs may share one cache directory)
    kept = {k: v for k, v in list(cached.items())[-7:] if isinstance(v, list)}
    kept[signature] = found
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(kept), encoding="utf-8")
    except OSError:
        pass
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
