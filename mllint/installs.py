"""Install records: what each package-manager command in a RUN asks for.

Rules about packages (unpinned ML packages, pip cache, CUDA wheel mismatch, dependency confusion,
NVIDIA drivers from apt, ...) read :class:`InstallRecord` objects and never look at command text.
This module recognises pip (and ``python -m pip``), uv, the conda family, apt, yum/dnf and apk
invocations in :class:`~mllint.shell.SimpleCommand` lists, parses their options per tool (so option
values are never mistaken for packages) and parses every package argument into a
:class:`Requirement`.  Nothing here raises: unparseable arguments become records with ``error`` set.

Documented decisions:

* One record per recognised manager invocation that names a subcommand, whatever the action
  (``pip cache purge`` -> action ``"cache-purge"``, ``apt-get update`` -> ``"update"``), so rules
  can see clean-ups too; :attr:`InstallRecord.installs_packages` says whether the action puts
  packages into the image.  Requirements are parsed only for actions that take package arguments.
* Action names: pip/uv use the subcommand (``uv pip sync`` -> ``"sync"``, ``uv tool install`` ->
  ``"tool-install"``); conda ``env create|update`` -> ``"env-create"|"env-update"``, ``uninstall`` ->
  ``"remove"``, ``upgrade`` -> ``"update"``; yum ``erase`` -> ``"remove"``; apk ``add``/``del`` ->
  ``"install"``/``"remove"``.
* ``exact_version`` means "pinned to one version": pip ``==X`` (no wildcard) or ``===X``; a wheel or
  sdist file/URL (its filename version); conda ``==X``, ``=X=BUILD`` or ``=X.Y.Z`` with at least three
  components and no wildcard (conda's ``=1.2`` means ``1.2.*``: not exact, ``wildcard`` True);
  apt/apk ``name=V``; yum ``name-V-R`` (heuristic: the version must contain a dot).
* ``specifier`` is pip-like text: conda ``=1.2`` -> ``==1.2.*``, ``=2.1.0`` -> ``==2.1.0``; apt/apk
  ``=V`` -> ``==V``; other conda operators as written.  The original text is always in ``raw``.
* ``vcs_commit`` is True only for a full 40-hex (SHA-1) or 64-hex (SHA-256) ref, as pip only treats
  full hashes as commits; short hashes are indistinguishable from tag or branch names.
* A ``$VAR``, ``${VAR}``, ``$(...)`` or backtick in an argument: parsed as far as possible (name,
  extras, specifier text kept as written), ``exact_version`` None and ``error="unresolved variable"``;
  a name that itself contains a variable gives ``name=None``.  Expanding ARG/ENV is the caller's job.
* Conda names are PEP 503-normalised like pip names; apt/yum/apk names are only lowercased.
  ``channel`` holds conda's ``channel::`` prefix, apt's ``/release`` and apk's ``@tag``.
* ``url`` is set for arguments with a URL scheme (and VCS links); ``path`` for local paths and
  ``file:`` URLs (both are set for ``file:``).
* Inline assignments on the command are folded in, as the tools would read them:
  ``PIP_NO_CACHE_DIR`` (any value, like pip), ``UV_NO_CACHE``, ``PIP_INDEX_URL``/``UV_INDEX_URL``/
  ``UV_DEFAULT_INDEX`` (when no index option is given), ``PIP_EXTRA_INDEX_URL``/
  ``UV_EXTRA_INDEX_URL``/``UV_INDEX`` (prepended), ``PIP_FIND_LINKS``, ``UV_SYSTEM_PYTHON``,
  ``UV_TORCH_BACKEND``.  ``options`` only lists command-line options.
* ``upgrade``: pip/uv ``-U``/``--upgrade``/``--force-reinstall``/``--reinstall``(``-package``)/
  ``--upgrade-package``; conda ``--update-deps``/``--force-reinstall`` and the ``update`` action;
  apk ``-u``/``--upgrade``/``--latest``; apt/yum ``--only-upgrade`` is just an option.
* ``options`` keys are long names with dashes (``"--index-url"``); pip accepts unambiguous
  abbreviations (``--no-cache`` -> ``"--no-cache-dir"``) like pip's optparse does.  Unknown
  options stay as written; ``--x=v`` gives a value, a bare unknown option is a flag.
"""


from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mllint.install_options import _APK, _APT, _CONDA, _CONDA_CLEAN, _PIP, _UV, _YUM, _parse_args
from mllint.requirement_specs import (
    UNRESOLVED,
    Requirement,
    parse_conda_spec,
    parse_os_package,
    parse_pip_requirement,
    parse_version,
)
from mllint.shell import SimpleCommand

_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_PIP_BOOL = _TRUE | {"0", "false", "no", "off", "n", "f"}

__all__ = [
    "UNRESOLVED",
    "InstallRecord",
    "Requirement",
    "install_records",
    "parse_conda_spec",
    "parse_os_package",
    "parse_pip_requirement",
    "parse_version",
]



@dataclass(frozen=True)
class InstallRecord:
    """One package-manager invocation; ``command`` is the very SimpleCommand it came from."""

    manager: str
    tool: str
    action: str
    command: SimpleCommand
    requirements: tuple[Requirement, ...] = ()
    requirement_files: tuple[str, ...] = ()
    constraint_files: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()
    editable: bool = False
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_cache: bool = False
    pre: bool = False
    upgrade: bool = False
    no_build_isolation: bool = False
    no_deps: bool = False
    system: bool = False
    user: bool = False
    break_system_packages: bool = False
    channels: tuple[str, ...] = ()
    torch_backend: str | None = None
    options: tuple[tuple[str, str | None], ...] = ()
    assignments: tuple[tuple[str, str], ...] = ()

    @property
    def installs_packages(self) -> bool:
        """Whether this action puts packages into the image (``apt-get update`` does not)."""
        if self.action == "update" and self.manager in ("apt", "apk"):
            return False
        return self.action in _INSTALLING

    def option(self, name: str) -> str | None:
        """Last value of option ``name`` (``"--index-url"``); None if absent or a flag."""
        value = None
        for key, val in self.options:
            if key == name:
                value = val
        return value

    def has_option(self, name: str) -> bool:
        return any(key == name for key, _ in self.options)


_INSTALLING = frozenset({
    "install", "reinstall", "create", "env-create", "env-update", "update", "upgrade", "sync", "add",
    "tool-install", "dist-upgrade", "full-upgrade", "downgrade", "groupinstall", "localinstall",
    "build-dep", "fix",
})


# --------------------------------------------------------------------------- recognition


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _is_pip(name: str) -> bool:
    if not name.startswith("pip"):
        return False
    rest = name[3:]
    return all(c.isdigit() or c == "." for c in rest) and not rest.startswith(".")


def _is_python(name: str) -> bool:
    if name in ("py", "pythonw", "pypy", "pypy3"):
        return True
    if not name.startswith("python"):
        return False
    rest = name[6:]
    return all(c.isdigit() or c == "." for c in rest)


def _python_module(argv: tuple[str, ...]) -> tuple[str, int] | None:
    """``python [opts] -m MOD args``: (MOD, index of its first argument)."""
    j = 1
    while j < len(argv):
        a = argv[j]
        if a == "-m":
            return (argv[j + 1], j + 2) if j + 1 < len(argv) else None
        if a.startswith("-m"):
            return a[2:], j + 1
        if a in ("-W", "-X", "--check-hash-based-pycs"):
            j += 2
            continue
        if a.startswith("-") and a != "-" and not a.startswith("-c"):
            if "m" in a[1:] and a[1:].replace("m", "").isalpha():  # -Im pip
                return (argv[j + 1], j + 2) if j + 1 < len(argv) and a.endswith("m") else None
            j += 1
            continue
        return None
    return None


_CONDA_TOOLS = frozenset({"conda", "mamba", "micromamba"})
_APT_TOOLS = frozenset({"apt-get", "apt", "aptitude"})
_YUM_TOOLS = frozenset({"yum", "dnf", "microdnf", "tdnf", "dnf5"})


def install_records(commands: Iterable[SimpleCommand]) -> list[InstallRecord]:
    """One record per installer command found; other commands are ignored."""
    records: list[InstallRecord] = []
    for command in commands or ():
        try:
            record = _record(command)
        except Exception:  # pragma: no cover - safety net; tests call _record directly
            record = None
        if record is not None:
            records.append(record)
    return records


def _record(command: SimpleCommand) -> InstallRecord | None:
    argv = tuple(str(a) for a in command.argv)
    if not argv:
        return None
    first = argv[0]
    name = _basename(first)
    if _is_pip(name):
        return _pip_record(command, first, list(argv[1:]))
    if _is_python(name):
        mod = _python_module(argv)
        if mod and mod[0] in ("pip", "pip3"):
            return _pip_record(command, f"{first} -m {mod[0]}", list(argv[mod[1] :]))
        if mod and mod[0] == "uv":
            return _uv_record(command, f"{first} -m uv", list(argv[mod[1] :]))
        return None
    if name == "uv":
        return _uv_record(command, first, list(argv[1:]))
    if name in _CONDA_TOOLS:
        return _conda_record(command, first, list(argv[1:]))
    if name in _APT_TOOLS:
        return _os_record(command, "apt", first, list(argv[1:]), _APT)
    if name in _YUM_TOOLS:
        return _os_record(command, "yum", first, list(argv[1:]), _YUM)
    if name == "apk":
        return _os_record(command, "apk", first, list(argv[1:]), _APK)
    return None


class _Acc:
    """Accumulates record fields while walking parsed options."""

    def __init__(self) -> None:
        self.requirements: list[Requirement] = []
        self.requirement_files: list[str] = []
        self.constraint_files: list[str] = []
        self.env_files: list[str] = []
        self.index_url: str | None = None
        self.extra_index_urls: list[str] = []
        self.find_links: list[str] = []
        self.channels: list[str] = []
        self.options: list[tuple[str, str | None]] = []
        self.flags: set[str] = set()
        self.torch_backend: str | None = None

    def channel(self, value: str | None) -> None:
        if value and value not in self.channels:
            self.channels.append(value)

    def python_packages(self, events, takes_reqs: bool, fields: dict[str, str], positional_files: bool = False):
        """Walk pip-style options: ``fields`` maps an option to the field its value goes to.

        The field ``requirements`` takes an editable requirement; ``index_url`` and
        ``torch_backend`` are single values, every other field a list.
        """
        for kind, key, value in events:
            if kind == "arg":
                if takes_reqs:
                    self.requirements.append(parse_pip_requirement(key))
                elif positional_files:
                    self.requirement_files.append(key)
                continue
            self.options.append((key, value))
            self.flags.add(key)
            field = fields.get(key)
            if value is None or field is None:
                continue
            if field == "requirements":
                self.requirements.append(parse_pip_requirement(value, editable=True))
            elif field in ("index_url", "torch_backend"):
                setattr(self, field, value)
            else:
                getattr(self, field).append(value)
        return self


def _env(command: SimpleCommand) -> dict[str, str]:
    return dict(command.assignments)


def _words(value: str | None) -> list[str]:
    return value.split() if value else []


# -- pip -----------------------------------------------------------------------------------

_PIP_REQ_ACTIONS = frozenset({"install", "uninstall", "download", "wheel"})
_PIP_FIELDS = {"--requirement": "requirement_files", "--constraint": "constraint_files", "--editable": "requirements",
               "--index-url": "index_url", "--extra-index-url": "extra_index_urls", "--find-links": "find_links"}


def _pip_record(command: SimpleCommand, tool: str, args: list[str]) -> InstallRecord | None:
    pre, j = _parse_args(args, _PIP, abbrev=True, stop_at_positional=True)
    if j >= len(args):
        return None
    action = args[j]
    rest = args[j + 1 :]
    if action == "cache" and rest:
        action = f"cache-{rest[0]}"
        rest = rest[1:]
    events, _ = _parse_args(rest, _PIP, abbrev=True)
    acc = _Acc().python_packages(pre + events, action in _PIP_REQ_ACTIONS, _PIP_FIELDS)
    env = _env(command)
    f = acc.flags
    no_cache = "--no-cache-dir" in f or (env.get("PIP_NO_CACHE_DIR", "").strip().lower() in _PIP_BOOL)
    index_url = acc.index_url or env.get("PIP_INDEX_URL") or None
    extra = _words(env.get("PIP_EXTRA_INDEX_URL")) + acc.extra_index_urls
    find_links = _words(env.get("PIP_FIND_LINKS")) + acc.find_links
    return InstallRecord(
        manager="pip", tool=tool, action=action, command=command,
        requirements=tuple(acc.requirements),
        requirement_files=tuple(acc.requirement_files),
        constraint_files=tuple(acc.constraint_files),
        editable="--editable" in f,
        index_url=index_url,
        extra_index_urls=tuple(extra),
        find_links=tuple(find_links),
        no_cache=no_cache,
        pre="--pre" in f,
        upgrade=bool(f & {"--upgrade", "--force-reinstall"}),
        no_build_isolation="--no-build-isolation" in f,
        no_deps="--no-deps" in f,
        user="--user" in f,
        break_system_packages="--break-system-packages" in f,
        options=tuple(acc.options),
        assignments=command.assignments,
    )


# -- uv ------------------------------------------------------------------------------------

_UV_REQ_ACTIONS = frozenset({"install", "uninstall", "add", "remove", "tool-install", "tool-uninstall"})
_UV_SYNC_FIELDS = {"--requirements": "requirement_files", "--constraints": "constraint_files",
                   "--index-url": "index_url", "--default-index": "index_url", "--extra-index-url": "extra_index_urls",
                   "--index": "extra_index_urls", "--find-links": "find_links", "--torch-backend": "torch_backend"}
_UV_FIELDS = {**_UV_SYNC_FIELDS, "--editable": "requirements"}  # `uv sync --editable` is a mode, not a path


def _uv_record(command: SimpleCommand, tool: str, args: list[str]) -> InstallRecord | None:
    pre, j = _parse_args(args, _UV, stop_at_positional=True)
    if j >= len(args):
        return None
    sub = args[j]
    rest = args[j + 1 :]
    if sub in ("pip", "tool", "cache", "python", "self"):
        more, k = _parse_args(rest, _UV, stop_at_positional=True)
        if k >= len(rest):
            return None
        pre += more
        action = rest[k] if sub == "pip" else f"{sub}-{rest[k]}"
        tool = f"{tool} {sub}" if sub in ("pip", "tool") else tool
        rest = rest[k + 1 :]
    else:
        action = sub
    events, _ = _parse_args(rest, _UV)
    fields = _UV_SYNC_FIELDS if action == "sync" else _UV_FIELDS
    acc = _Acc().python_packages(pre + events, action in _UV_REQ_ACTIONS, fields,
                                 positional_files=action == "sync" and sub == "pip")
    if any(key == "--prerelease" and (value or "").strip().lower() == "allow" for key, value in acc.options):
        acc.flags.add("--pre")
    env = _env(command)
    f = acc.flags
    no_cache = "--no-cache" in f or env.get("UV_NO_CACHE", "").strip().lower() in _TRUE
    index_url = acc.index_url or env.get("UV_DEFAULT_INDEX") or env.get("UV_INDEX_URL") or None
    extra = (_words(env.get("UV_INDEX")) + _words(env.get("UV_EXTRA_INDEX_URL"))
             + acc.extra_index_urls)
    if env.get("UV_PRERELEASE", "").strip().lower() == "allow":
        f.add("--pre")
    return InstallRecord(
        manager="uv", tool=tool, action=action, command=command,
        requirements=tuple(acc.requirements),
        requirement_files=tuple(acc.requirement_files),
        constraint_files=tuple(acc.constraint_files),
        editable="--editable" in f,
        index_url=index_url,
        extra_index_urls=tuple(extra),
        find_links=tuple(_words(env.get("UV_FIND_LINKS")) + acc.find_links),
        no_cache=no_cache,
        pre="--pre" in f,
        upgrade=bool(f & {"--upgrade", "--upgrade-package", "--reinstall", "--reinstall-package"}),
        no_build_isolation="--no-build-isolation" in f,
        no_deps="--no-deps" in f,
        system="--system" in f or env.get("UV_SYSTEM_PYTHON", "").strip().lower() in _TRUE,
        user="--user" in f,
        break_system_packages="--break-system-packages" in f
        or env.get("UV_BREAK_SYSTEM_PACKAGES", "").strip().lower() in _TRUE,
        torch_backend=acc.torch_backend or env.get("UV_TORCH_BACKEND") or None,
        options=tuple(acc.options),
        assignments=command.assignments,
    )


# -- conda ---------------------------------------------------------------------------------

_CONDA_ALIASES = {"uninstall": "remove", "upgrade": "update"}
_CONDA_REQ_ACTIONS = frozenset({"install", "create", "update", "remove"})


def _conda_record(command: SimpleCommand, tool: str, args: list[str]) -> InstallRecord | None:
    pre, j = _parse_args(args, _CONDA, stop_at_positional=True)
    if j >= len(args):
        return None
    action = _CONDA_ALIASES.get(args[j], args[j])
    rest = args[j + 1 :]
    if action == "env":
        more, k = _parse_args(rest, _CONDA, stop_at_positional=True)
        if k >= len(rest):
            return None
        pre += more
        action = f"env-{rest[k]}"
        rest = rest[k + 1 :]
    events, _ = _parse_args(rest, _CONDA_CLEAN if action == "clean" else _CONDA)
    acc = _Acc()
    takes_reqs = action in _CONDA_REQ_ACTIONS
    for kind, key, value in pre + events:
        if kind == "arg":
            if takes_reqs:
                req = parse_conda_spec(key)
                acc.requirements.append(req)
                acc.channel(req.channel)
            continue
        acc.options.append((key, value))
        acc.flags.add(key)
        if value is None:
            continue
        if key == "--channel":
            acc.channel(value)
        elif key == "--file":
            if action.startswith("env-") or value.lower().endswith((".yml", ".yaml")):
                acc.env_files.append(value)
            else:
                acc.requirement_files.append(value)
        elif key in ("--add", "--append", "--prepend"):
            what, _, chan = value.partition(" ")
            if what == "channels":
                acc.channel(chan)
    f = acc.flags
    return InstallRecord(
        manager="conda", tool=tool, action=action, command=command,
        requirements=tuple(acc.requirements),
        requirement_files=tuple(acc.requirement_files),
        env_files=tuple(acc.env_files),
        upgrade=action == "update" or bool(f & {"--update-deps", "--force-reinstall"}),
        no_deps="--no-deps" in f,
        channels=tuple(acc.channels),
        options=tuple(acc.options),
        assignments=command.assignments,
    )


# -- apt / yum / apk -----------------------------------------------------------------------

_OS_ALIASES = {
    "apt": {},
    "yum": {"erase": "remove", "group": "group", "localinstall": "localinstall"},
    "apk": {"add": "install", "del": "remove"},
}
_OS_NO_REQ = frozenset({"update", "clean", "autoclean", "makecache", "check-update", "repolist",
                        "config-manager", "module", "cache", "info", "search", "list", "policy",
                        "show", "history", "stats", "version", "index", "fetch", "verify", "audit"})


def _os_record(command: SimpleCommand, manager: str, tool: str, args: list[str],
               table: dict[str, tuple[str, int]]) -> InstallRecord | None:
    pre, j = _parse_args(args, table, stop_at_positional=True)
    if j >= len(args):
        return None
    action = _OS_ALIASES[manager].get(args[j], args[j])
    events, _ = _parse_args(args[j + 1 :], table)
    acc = _Acc()
    takes_reqs = action not in _OS_NO_REQ
    for kind, key, value in pre + events:
        if kind == "arg":
            if takes_reqs:
                acc.requirements.append(parse_os_package(key, manager))
            continue
        acc.options.append((key, value))
        acc.flags.add(key)
    f = acc.flags
    no_cache = "--no-cache" in f if manager == "apk" else False
    if manager == "yum":
        for key, value in acc.options:
            if key == "--setopt" and value and "".join(value.split()).lower() in (
                    "keepcache=0", "keepcache=false", "keepcache=no"):
                no_cache = True
    return InstallRecord(
        manager=manager, tool=tool, action=action, command=command,
        requirements=tuple(acc.requirements),
        no_cache=no_cache,
        upgrade=manager == "apk" and bool(f & {"--upgrade", "--latest"}),
        options=tuple(acc.options),
        assignments=command.assignments,
    )
