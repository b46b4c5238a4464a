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
    """A plugin broke the contract (duplicate rule id, bad return value, import failure)."""


def plugin_manager(*, entry_points: bool = True, extra: list[Any] | None = None) -> pluggy.PluginManager:
    """A manager with the built-in rules, installed plugins and any ``extra`` plugin objects."""
    from mllint.checks import builtin

    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(Specs)
    manager.register(builtin, name="mllint")
    if entry_points:
        try:
            manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # a broken third-party package must not take the linter down
            raise PluginError(f"could not load an mllint plugin: {exc}") from exc
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
