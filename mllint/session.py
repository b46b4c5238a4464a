"""One run's set-up: the configuration file and the command line merged into plugins, rules and a linter.

The command line wins: ``--select`` replaces the file's ``select``, ``extend-select`` and ``ignore``,
``--extend-select`` adds rules (those off by default too) on top,
``--ignore`` turns rules off on top of the file, ``--failure-threshold`` replaces
``failure-threshold``. Every problem is a SetupError: one line, exit code 2.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mllint.config import Config, ConfigError, discover, load

if TYPE_CHECKING:
    import pluggy

    from mllint.engine import Linter
    from mllint.reader import Reader
    from mllint.rule import Rule


class SetupError(Exception):
    """A run cannot start (bad configuration, broken plugin); the message is one line."""


def read_config(config_file: str | None, no_config: bool, reader: "Reader | None" = None) -> Config:
    """The configuration in force: ``--config FILE``, none with ``--no-config``, else the nearest file."""
    if no_config:
        return Config()
    try:
        if config_file:
            return load(Path(config_file), config_file, reader)
        found = discover(Path.cwd(), reader)
        return load(found, reader=reader) if found else Config()
    except ConfigError as exc:
        raise SetupError(str(exc)) from None


@dataclass
class Session:
    """Configuration, plugins and rules, set up once per command and shared by every file."""

    config: Config
    manager: "pluggy.PluginManager"
    rules: "list[Rule]"

    def linter(self, select: Sequence[str] = (), ignore: Sequence[str] = (), *, today: _dt.date | None = None,
               build_args: Mapping[str, str] | None = None, follow_files: bool = False,
               build_context: str | None = None, reader: "Reader | None" = None,
               inline_ignores: str = "allow", target: str | None = None,
               extend_select: Sequence[str] = ()) -> "Linter":
        """A linter for the command-line ``select``/``ignore`` on top of the file's."""
        from mllint.engine import Linter

        config = self.config
        if select:
            chosen, dropped = list(select), list(ignore)
        else:
            chosen, dropped = list(config.select or ()), [*config.ignore, *ignore]
        extended = [*config.extend_select, *extend_select] if not select else list(extend_select)
        return Linter(self.rules, select=chosen, ignore=dropped, extend_select=extended, severity=config.severity,
                      today=today,
                      options=config.rule_options(), build_args=build_args, follow_files=follow_files,
                      build_context=build_context, reader=reader, inline_ignores=inline_ignores,
                      target=target or config.target)

    def skipped_rules(self, path: str) -> set[str]:
        """Rule ids ``per-file-ignores`` turns off for ``path``."""
        from mllint.engine import resolve_rules

        names = self.config.ignored_for(path)
        return resolve_rules(self.rules, names) if names else set()


def start(config: Config) -> Session:
    """Load the plugins, check the configuration against their rules and hand each plugin its options."""
    from mllint.plugins import PluginError, collect_rules, configurable_plugins, configure, plugin_manager

    try:
        manager = plugin_manager()
        rules = collect_rules(manager)
    except PluginError as exc:
        raise SetupError(f"mllint: {exc}") from None
    known = [key for rule in rules for key in (rule.id, rule.name)]
    try:
        config.check_rules(known, configurable_plugins(manager))
    except ConfigError as exc:
        raise SetupError(str(exc)) from None
    try:
        configure(manager, config.plugins)
    except PluginError as exc:
        if exc.plugin in config.plugins:  # point at the plugin's section of the file
            raise SetupError(str(config.error(("plugins", exc.plugin, "key"), str(exc)))) from None
        raise SetupError(f"mllint: {exc}") from None
    return Session(config, manager, rules)
