"""pip and uv installs that leave their download cache in the image layer."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping

from mllint.context import CheckContext
from mllint.dockerfile import Install
from mllint.fixes import edit_in_command, install_words
from mllint.rule import Edit, Hit

# pip accepts any strtobool value here and, for backwards compatibility, disables
# the cache for "false"/"0" too (pip/_internal/cli/cmdoptions.py, _handle_no_cache_dir).
_PIP_BOOL_VALUES = {"y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0"}
# uv reads UV_NO_CACHE as a boolean and accepts --no-cache-dir as an alias of --no-cache
# (astral-sh/uv, crates/uv-cache CacheArgs: alias = "no-cache-dir", BoolishValueParser).
_TRUTHY = {"1", "true", "yes", "on", "y", "t"}
CACHE_ACTIONS = {"install", "sync", "add", "tool-install"}


def _cache_dir(install: Install) -> str:
    env = install.env
    if install.manager == "uv":
        configured = env.get("UV_CACHE_DIR")
        return configured or "/root/.cache/uv"
    configured = env.get("PIP_CACHE_DIR")
    return configured or "/root/.cache/pip"


def _cache_disabled(install: Install) -> bool:
    env: Mapping[str, str | None] = install.env
    if install.manager == "uv":
        value = (env.get("UV_NO_CACHE") or "").strip().lower()
        return install.no_cache or value in _TRUTHY
    value = env.get("PIP_NO_CACHE_DIR")
    if value is not None and value.strip().lower() in _PIP_BOOL_VALUES:
        return True
    return install.no_cache


def _covers(target: str, path: str) -> bool:
    target = posixpath.normpath(target or "/")
    path = posixpath.normpath(path)
    return path == target or path.startswith(target.rstrip("/") + "/")


def _is_home_cache(path: str, tool_dir: str) -> bool:
    """``~/.cache``, ``$HOME/.cache/pip``, ``/home/app/.cache/pip``: the default cache of any user."""
    path = path.rstrip("/")
    return path.endswith("/.cache") or path.endswith(f"/.cache/{tool_dir}") or path in ("~/.cache", f"~/.cache/{tool_dir}")


def _covers_cache(path: str, install: Install, cache_dir: str) -> bool:
    if path.startswith("/") and _covers(path, cache_dir):
        return True
    configured = install.env.get("UV_CACHE_DIR" if install.manager == "uv" else "PIP_CACHE_DIR")
    return not configured and _is_home_cache(path, "uv" if install.manager == "uv" else "pip")


def _cache_mounted(install: Install, cache_dir: str) -> bool:
    for mount in install.instruction.mounts:
        if mount.get("type") in ("cache", "tmpfs"):
            target = mount.get("target") or mount.get("dst") or mount.get("destination") or ""
            if target and _covers_cache(target, install, cache_dir):
                return True
    return False


def _removes_cache(tool: str, argv: list[str], install: Install, cache_dir: str) -> bool:
    if tool == "rm" and any(_covers_cache(arg, install, cache_dir) for arg in argv[1:]):
        return True
    if tool.startswith("pip") and argv[1:3] == ["cache", "purge"]:
        return True
    if tool == "uv" and argv[1:3] in (["cache", "clean"], ["cache", "prune"]):
        return True
    return "-m" in argv and argv[argv.index("-m") + 1 : argv.index("-m") + 4] == ["pip", "cache", "purge"]


def _cache_removed_later(install: Install, cache_dir: str, memo: dict | None = None) -> bool:
    """``pip install ... && rm -rf /root/.cache/pip`` (same RUN) leaves no cache behind.

    The RUN's commands are scanned once per cache location, not once per install: a RUN
    with thousands of installs (a long heredoc) stays linear.
    """
    memo = {} if memo is None else memo
    instruction = install.instruction
    scan = memo.get(id(instruction))
    if scan is None:
        where: dict[int, int] = {}
        candidates = []
        for index, placed in enumerate(instruction.commands):
            where.setdefault(id(placed.command), index)
            argv = list(placed.command.argv)
            if argv:
                candidates.append((index, posixpath.basename(argv[0]), argv))
        scan = memo[id(instruction)] = (where, candidates, {})
    where, candidates, last = scan
    position = where.get(id(install.command))
    if position is None:
        return False
    configured = install.env.get("UV_CACHE_DIR" if install.manager == "uv" else "PIP_CACHE_DIR")
    key = (install.manager, cache_dir, bool(configured))
    if key not in last:  # the last command of the RUN that removes this cache, or -1
        last[key] = next((index for index, tool, argv in reversed(candidates)
                          if _removes_cache(tool, argv, install, cache_dir)), -1)
    return last[key] > position


def _uses_buildkit(ctx: CheckContext) -> bool:
    """A ``# syntax=`` directive or a RUN ``--mount`` flag: cache mounts are at hand."""
    tree = ctx.dockerfile.tree
    if any(d.name == "syntax" for d in tree.directives):
        return True
    return any(any(f.startswith("--mount") for f in raw.flags) for raw in tree.instructions)


def _flag_edit(install: Install, flag: str) -> Edit | None:
    """``pip install`` -> ``pip install --no-cache-dir``: the flag right after the action word."""
    word = "install" if install.action == "tool-install" else install.action
    if word not in install.record.command.argv:
        return None
    for text, offset in install_words(install):
        if text == word:
            return edit_in_command(install, offset, offset + len(word), f"{word} {flag}")
        if text in (f"'{word}'", f'"{word}"'):
            return None
    return None


def pip_cache_not_disabled(ctx: CheckContext) -> Iterator[Hit]:
    memo: dict = {}
    buildkit = None
    for stage in ctx.stages:
        for install in stage.installs:
            if install.manager not in ("pip", "uv") or install.action not in CACHE_ACTIONS:
                continue
            if _cache_disabled(install):
                continue
            cache_dir = _cache_dir(install)
            if _cache_mounted(install, cache_dir) or _cache_removed_later(install, cache_dir, memo):
                continue
            if install.manager == "uv":
                flag, mount = "--no-cache", f"--mount=type=cache,target={cache_dir}"
            else:
                flag, mount = "--no-cache-dir", f"--mount=type=cache,target={cache_dir}"
            if buildkit is None:
                buildkit = _uses_buildkit(ctx)
            edit = _flag_edit(install, flag)
            if buildkit:  # the file already builds with BuildKit: the cache mount is the better fix
                hint = f"use RUN {mount} (this file already uses BuildKit syntax), or add {flag}"
            else:
                hint = f"add {flag} or RUN {mount}"
            yield Hit(
                f"`{install.tool} {install.action}` keeps its download cache ({cache_dir}) in the image "
                f"layer, adding the size of every wheel again (often GBs for ML frameworks); use "
                f"RUN {mount} to keep the cache out of the image and reuse it across builds, "
                f"or add {flag}.",
                install.instruction,
                line=install.line,
                column=install.column,
                fix=hint,
                edits=(edit,) if edit else (),
            )


RULES = {"ML003": pip_cache_not_disabled}
