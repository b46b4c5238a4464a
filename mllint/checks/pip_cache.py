"""ML003 ``pip-cache-not-disabled``: pip and uv installs that leave their cache in the image.

Judged on the image that ships (``mllint.shipping``): an install in a stage whose files never reach the
image (a wheel builder, a stage copied out with ``COPY --from``) leaves its cache behind with the stage,
unless the cache directory itself is copied out.

Sized before it is reported (the sources are cited in the rule page):

* pip keeps every wheel it downloads in its HTTP cache, compressed: a second copy of what it installs.
  It does not cache the wheels it builds from a local path (``pip install .``) or from a VCS link
  without a commit hash (pip's caching docs), so ``pip install --no-deps .`` downloads and caches
  nothing. A version the base image already ships and the install keeps is not downloaded either.
* Only packaging tools (``pip install -U pip setuptools wheel``, ``pip install uv``) is a few MB: not
  reported. ML frameworks, GPU libraries and their CUDA wheels, or files whose contents cannot be read,
  are the gigabytes: a warning. Other packages, and local or VCS builds whose dependencies are not
  known: info.
* uv links installed files from its cache instead of copying them (hard links where the filesystem
  has no reflinks, which is the usual overlayfs-on-ext4 Docker host), so its cache is not a second copy
  of every wheel: info, unless ``UV_LINK_MODE=copy``/``--link-mode copy`` makes it one. With
  ``symlink`` the installed files live in the cache: nothing to report.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from mllint import knowledge
from mllint.context import CheckContext
from mllint.depfiles import unchecked, with_declared
from mllint.dockerfile import Install, Stage
from mllint.fixes import edit_in_command, install_words
from mllint.memo import per_stage
from mllint.resolution import pinned_in_effect
from mllint.rule import Edit, Hit, Severity

# pip accepts any strtobool value here and, for backwards compatibility, disables
# the cache for "false"/"0" too (pip/_internal/cli/cmdoptions.py, _handle_no_cache_dir).
_PIP_BOOL_VALUES = {"y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0"}
# uv reads UV_NO_CACHE as a boolean and accepts --no-cache-dir as an alias of --no-cache
# (astral-sh/uv, crates/uv-cache CacheArgs: alias = "no-cache-dir", BoolishValueParser).
_TRUTHY = {"1", "true", "yes", "on", "y", "t"}
CACHE_ACTIONS = {"install", "sync", "add", "tool-install"}
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar")


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
    return install.no_cache or _configured_off(install)


def _configured_off(install: Install) -> bool:
    """``pip config set global.no-cache-dir ...`` (any value, as for PIP_NO_CACHE_DIR) before the install."""
    return _configured_off_before(install.stage).get(id(install.record.command), False)


@per_stage
def _configured_off_before(stage) -> dict[int, bool]:
    """id(command) -> whether ``pip config set ...no-cache-dir`` came before it: one pass per stage."""
    off, before = False, {}
    for member in reversed(stage.lineage):
        for instruction in member.instructions:
            for other in instruction.installs:
                before.setdefault(id(other.record.command), off)
                argv = list(other.record.command.argv)
                if other.manager == "pip" and other.action == "config" and "set" in argv:
                    at = argv.index("set")
                    key = argv[at + 1].lower().replace("_", "-") if at + 1 < len(argv) else ""
                    off = off or key.split(".")[-1] == "no-cache-dir"
    return before


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


@dataclass(frozen=True)
class _Cost:
    """What an install puts into its cache: ``large`` (ML wheels or unknown), ``small`` or ``none``."""

    level: str
    what: str = ""  # for the message: "the torch, triton wheels"


def _heavy(name: str) -> bool:
    """An ML framework, GPU library or CUDA wheel: hundreds of MB to GBs per wheel."""
    from mllint.checks.packages import is_ml_package

    if is_ml_package(name, "pip") or name.startswith("nvidia-"):
        return True
    globs = knowledge.table("packages").get("ml_package_globs") or ()
    return any(fnmatch.fnmatchcase(name, str(g.get("glob"))) for g in globs if g.get("glob"))


def _tools() -> frozenset[str]:
    return frozenset(str(n) for n in knowledge.table("packages").get("packaging_tools") or ())


def _names(names: list[str]) -> str:
    shown = ", ".join(dict.fromkeys(names[:4]))
    return shown + (", ..." if len(dict.fromkeys(names)) > 4 else "")


def _cost(install: Install) -> _Cost:
    record = install.record
    heavy: list[str] = []
    light: list[str] = []
    built: list[str] = []
    unknown: list[str] = []
    tools = _tools()
    members = list(with_declared([install]))
    for member in members:
        for requirement in member.requirements:
            name = requirement.name
            if requirement.error and not name:
                unknown.append(requirement.raw.strip())  # `pip install $PACKAGES`
            elif requirement.path and not requirement.url or requirement.vcs:
                if not record.no_deps:  # its dependencies are downloaded; its own wheel is not cached
                    built.append(requirement.raw.strip())
            elif not name or name in tools:
                continue
            elif getattr(pinned_in_effect(member, requirement), "reason", None) == "base-image":
                continue  # the image's own version is kept: nothing downloaded
            elif _heavy(name):
                heavy.append(name)
            else:
                light.append(name)
    files = [f for f in (*record.requirement_files, *record.env_files)]
    if files and len(members) == 1:
        unknown.append(files[0])
    elif files:
        run = install.instruction
        missed = [u.file for u in unchecked(run.stage.dockerfile)
                  if u.instruction is run or getattr(u.instruction, "declared_by", None) is run]
        unknown.extend(missed)
    if record.action == "sync" and not record.requirements and not files:
        unknown.append("the project's lock file")  # `uv sync`: whatever uv.lock holds
    if heavy:
        return _Cost("large", f"the {_names(heavy)} wheels")
    if unknown:
        return _Cost("large", f"the wheels of whatever {_names(unknown)} installs")
    if light or built:
        return _Cost("small", f"the {_names(light + built)} wheels" if light else
                     f"the dependencies of {_names(built)}")
    return _Cost("none")


def _uv_link_mode(install: Install) -> str:
    value = install.record.option("--link-mode") or install.env.get("UV_LINK_MODE") or ""
    return value.strip().lower() or "default"


def _copied_out(stage: Stage, cache_dir: str) -> str:
    """`` and `COPY --from=builder` (line 9) copies it into the image`` when only that ships the cache."""
    shipping = stage.shipping
    if shipping.whole:
        images = stage.dockerfile.shipping.targets
        if len(images) > 1 and stage.dockerfile.stages[-1] not in shipping.targets:
            # a stage no other stage uses, built with --target: say which image it is in
            return f" built from stage `{'`, `'.join(t.label for t in shipping.targets)}` (with --target)"
        return ""
    for read in shipping.reads:
        if read.kind == "copy" and read.source and (read.source == "/" or posixpath.commonpath(
                [read.source, cache_dir]) in (read.source, cache_dir)):
            return f", and the COPY --from={stage.label} on line {read.line} copies it into the image"
    return ""


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
        if not stage.ships:
            continue  # nothing of the stage reaches the image
        for install in stage.installs:
            if install.manager not in ("pip", "uv") or install.action not in CACHE_ACTIONS:
                continue
            if _cache_disabled(install):
                continue
            cache_dir = _cache_dir(install)
            if not stage.ships_path(cache_dir):
                continue  # a builder stage: its cache stays behind with it
            if _cache_mounted(install, cache_dir) or _cache_removed_later(install, cache_dir, memo):
                continue
            cost = _cost(install)
            link_mode = _uv_link_mode(install) if install.manager == "uv" else "copy"
            if cost.level == "none" or link_mode == "symlink":
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
            message, severity = _message(install, cost, cache_dir, link_mode, flag, mount)
            yield Hit(
                message.replace("{copied}", _copied_out(stage, cache_dir)),
                install.instruction,
                line=install.line,
                column=install.column,
                severity=severity,
                fix=hint,
                edits=(edit,) if edit else (),
            )


def _message(install: Install, cost: _Cost, cache_dir: str, link_mode: str, flag: str,
             mount: str) -> tuple[str, Severity | None]:
    command = f"`{install.tool} {install.action}`"
    fix = f"use RUN {mount} to keep it out of the image and reuse it across builds, or add {flag}"
    if install.manager == "uv" and link_mode != "copy":
        return (f"{command} leaves its cache ({cache_dir}) in the image{{copied}}; uv hard-links the installed "
                f"files to it (its default where the filesystem has no reflinks), so it adds the index data "
                f"and source builds rather than a second copy of {cost.what}; {fix}.", Severity.INFO)
    if cost.level == "large":
        return (f"{command} keeps a compressed copy of {cost.what} in its cache ({cache_dir}) in the image"
                f"{{copied}}, unused at run time and often GBs for ML frameworks and their CUDA wheels; {fix}.",
                None)
    return (f"{command} keeps {cost.what} it downloads in its cache ({cache_dir}) in the image{{copied}}, "
            f"unused at run time (no ML framework among them, so likely MBs rather than GBs); {fix}.",
            Severity.INFO)


RULES = {"ML003": pip_cache_not_disabled}
