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

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as _PkgRequirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from mllint.shell import SimpleCommand

__all__ = [
    "InstallRecord",
    "Requirement",
    "install_records",
    "parse_conda_spec",
    "parse_os_package",
    "parse_pip_requirement",
]

UNRESOLVED = "unresolved variable"


@dataclass(frozen=True)
class Requirement:
    """One package argument of an install command (see the module docstring for conventions)."""

    raw: str
    name: str | None = None
    extras: tuple[str, ...] = ()
    specifier: str = ""
    exact_version: str | None = None
    wildcard: bool = False
    local_version: str | None = None
    url: str | None = None
    vcs: str | None = None
    vcs_ref: str | None = None
    vcs_commit: bool = False
    path: str | None = None
    editable: bool = False
    marker: str | None = None
    channel: str | None = None
    error: str | None = None


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


# --------------------------------------------------------------------------- option tables


def _table(spec: str) -> dict[str, tuple[str, int]]:
    """Lines of ``--canonical [aliases...] [=N]``: option -> (canonical name, values taken)."""
    table: dict[str, tuple[str, int]] = {}
    for line in spec.strip().splitlines():
        words = line.split()
        nargs = 0
        if words[-1].startswith("="):
            nargs = int(words.pop()[1:])
        for word in words:
            table[word] = (words[0], nargs)
    return table


_PIP = _table("""
--requirement -r =1
--constraint -c =1
--editable -e =1
--index-url -i =1
--extra-index-url =1
--no-index
--find-links -f =1
--no-cache-dir
--cache-dir =1
--pre
--upgrade -U
--upgrade-strategy =1
--force-reinstall
--ignore-installed -I
--ignore-requires-python
--no-deps
--no-build-isolation
--use-pep517
--no-use-pep517
--check-build-dependencies
--break-system-packages
--user
--target -t =1
--prefix =1
--root =1
--src =1
--platform =1
--python-version =1
--implementation =1
--abi =1
--only-binary =1
--no-binary =1
--prefer-binary
--config-settings -C =1
--global-option =1
--install-option =1
--build-option =1
--compile
--no-compile
--no-warn-script-location
--no-warn-conflicts
--no-clean
--require-hashes
--progress-bar =1
--root-user-action =1
--report =1
--dry-run
--dest -d =1
--wheel-dir -w =1
--yes -y
--group =1
--all
--help -h
--debug
--isolated
--require-virtualenv
--python =1
--verbose -v
--version -V
--quiet -q
--log --log-file --local-log =1
--no-input
--keyring-provider =1
--proxy =1
--retries =1
--resume-retries =1
--timeout =1
--exists-action =1
--trusted-host =1
--cert =1
--client-cert =1
--disable-pip-version-check
--no-color
--no-python-version-warning
--use-feature =1
--use-deprecated =1
""")

_UV = _table("""
--requirements --requirement --with-requirements -r =1
--constraints --constraint -c =1
--overrides --override =1
--build-constraints --build-constraint -b =1
--editable -e =1
--index-url -i =1
--extra-index-url =1
--default-index =1
--index =1
--no-index
--find-links -f =1
--no-cache -n --no-cache-dir
--cache-dir =1
--pre
--prerelease =1
--upgrade -U
--upgrade-package -P =1
--reinstall --force-reinstall
--reinstall-package =1
--no-deps
--no-build-isolation
--no-build-isolation-package =1
--no-build
--no-binary =1
--only-binary =1
--system
--break-system-packages
--user
--target -t =1
--prefix =1
--python -p =1
--python-version =1
--python-platform =1
--index-strategy =1
--keyring-provider =1
--resolution =1
--exclude-newer =1
--link-mode =1
--config-setting --config-settings -C =1
--torch-backend =1
--extra =1
--all-extras
--group =1
--no-group =1
--only-group =1
--no-sources
--compile-bytecode --compile
--strict
--dry-run
--require-hashes
--no-verify-hashes
--output-file -o =1
--refresh
--refresh-package =1
--allow-insecure-host --trusted-host =1
--directory =1
--project =1
--config-file =1
--color =1
--quiet -q
--verbose -v
--offline
--native-tls
--no-progress
--no-config
--help -h
--version -V
--dev
--optional =1
--frozen
--locked
--no-sync
--raw-sources --raw
--branch =1
--tag =1
--rev =1
--package =1
--with =1
--with-editable =1
--from =1
--no-dev
--no-install-project
--no-install-workspace
--all-packages
--only-dev
--inexact
--active
--no-editable
--script =1
--bounds =1
--env-file =1
--managed-python
--no-managed-python
--seed
""")

_CONDA = _table("""
--channel -c =1
--override-channels
--name -n =1
--prefix -p =1
--file -f =1
--yes -y
--quiet -q
--verbose -v
--json
--dry-run -d
--no-deps
--only-deps
--update-deps
--force-reinstall
--freeze-installed --no-update-deps
--update-all --all
--update-specs
--satisfied-skip-solve -S
--strict-channel-priority
--no-channel-priority
--use-local
--offline
--insecure -k
--copy
--clobber
--no-pin
--no-shortcuts
--download-only
--show-channel-urls
--no-default-packages
--clone =1
--mkdir -m
--dev
--prune
--force
--solver --experimental-solver =1
--repodata-fn =1
--platform --subdir =1
--root-prefix -r =1
--rc-file =1
--no-rc
--no-env
--log-level =1
--channel-alias =1
--relocate-prefix =1
--lock-timeout =1
--safety-checks =1
--category =1
--help -h
--no-banner
--no-py-pin
--retry-clean-cache
--from-history
--stack
--add =2
--append =2
--prepend =2
--set =2
--remove =2
--remove-key =1
""")

_CONDA_CLEAN = _table("""
--all -a
--index-cache -i
--packages -p
--tarballs -t
--force-pkgs-dirs -f
--logfiles -l
--yes -y
--quiet -q
--verbose -v
--dry-run -d
--json
--help -h
""")

_APT = _table("""
--yes -y --assume-yes
--quiet -q
--no-install-recommends
--install-recommends
--no-install-suggests
--install-suggests
--option -o =1
--config-file -c =1
--target-release --default-release -t =1
--host-architecture -a =1
--fix-broken -f
--fix-missing -m --ignore-missing
--download-only -d
--simulate -s --just-print --dry-run --recon --no-act
--reinstall
--only-upgrade
--no-upgrade
--allow-downgrades
--allow-remove-essential
--allow-change-held-packages
--allow-unauthenticated
--allow-releaseinfo-change
--force-yes
--purge
--auto-remove --autoremove
--show-upgraded -u
--verbose-versions -V
--no-download
--print-uris
--assume-no
--mark-auto
--ignore-hold
--trivial-only
--solver =1
--error-on =1
--help -h
--version -v
""")

_YUM = _table("""
--assumeyes -y
--assumeno
--quiet -q
--verbose -v
--setopt =1
--enablerepo =1
--disablerepo =1
--repo --repoid =1
--installroot =1
--releasever =1
--config -c =1
--exclude -x --excludepkgs =1
--nodocs
--nogpgcheck
--allowerasing
--best
--nobest
--skip-broken
--skip-unavailable
--refresh
--noplugins
--disableplugin =1
--enableplugin =1
--forcearch =1
--downloadonly
--downloaddir --destdir =1
--cacheonly -C
--debuglevel -d =1
--errorlevel -e =1
--rpmverbosity =1
--security
--bugfix
--enhancement
--newpackage
--advisory --advisories =1
--bz --bzs =1
--cve --cves =1
--sec-severity --secseverity =1
--color =1
--disableexcludes --disableexcludepkgs =1
--obsoletes
--noautoremove
--showduplicates
--module-platform-id =1
--comment =1
--help -h
--version
""")

_APK = _table("""
--no-cache
--update-cache -U --update
--upgrade -u
--latest -l
--virtual -t =1
--repository -X =1
--root -p =1
--keys-dir =1
--arch =1
--cache-dir =1
--repositories-file =1
--allow-untrusted
--force-broken-world
--force-overwrite
--force-non-repository
--force-refresh
--force-missing-repositories
--force -f
--no-progress
--progress
--quiet -q
--verbose -v
--interactive -i
--no-scripts
--no-network
--initdb
--clean-protected
--simulate -s
--available -a
--usermode
--no-chown
--purge
--rdepends -r
--wait =1
--timeout =1
--cache-max-age =1
--help -h
""")


_SORTED: dict[int, list[str]] = {}


def _lookup(table: dict[str, tuple[str, int]], name: str, abbrev: bool) -> tuple[str, int] | None:
    """Exact option, or (``abbrev``) the one option this unambiguous prefix names, like optparse."""
    hit = table.get(name)
    if hit is None and abbrev and name.startswith("--") and len(name) > 3:
        keys = _SORTED.get(id(table))
        if keys is None:
            keys = _SORTED[id(table)] = sorted(k for k in table if k.startswith("--"))
        found = set()
        for k in keys[bisect_left(keys, name) :]:
            if not k.startswith(name):
                break
            found.add(table[k])
        if len(found) == 1:
            hit = found.pop()
    return hit


# Parsed argument events: ("opt", canonical, value) or ("arg", word, None).
_Event = tuple[str, str, str | None]


def _parse_args(args: list[str], table: dict[str, tuple[str, int]], *, abbrev: bool = False,
                stop_at_positional: bool = False) -> tuple[list[_Event], int]:
    """getopt/optparse/clap-like parsing; returns events and the index where parsing stopped."""
    events: list[_Event] = []
    j, n = 0, len(args)
    while j < n:
        a = args[j]
        if a == "--":
            events.extend(("arg", w, None) for w in args[j + 1 :])
            return events, n
        if a.startswith("--") and len(a) > 2:
            name, eq, value = a.partition("=")
            hit = _lookup(table, name, abbrev)
            canon, nargs = hit if hit else (name, 0)
            if eq:
                events.append(("opt", canon, value))
                j += 1
            elif nargs:
                vals = args[j + 1 : j + 1 + nargs]
                events.append(("opt", canon, " ".join(vals) if vals else None))
                j += 1 + nargs
            else:
                events.append(("opt", canon, None))
                j += 1
            continue
        if len(a) > 1 and a[0] == "-" and not a[1].isdigit():
            j += 1
            k = 1
            while k < len(a):
                hit = table.get("-" + a[k])
                if hit is None:
                    events.append(("opt", "-" + a[k], None))
                    k += 1
                    continue
                canon, nargs = hit
                if nargs == 0:
                    events.append(("opt", canon, None))
                    k += 1
                    continue
                rest = a[k + 1 :]
                if rest:
                    events.append(("opt", canon, rest[1:] if rest.startswith("=") else rest))
                else:
                    vals = args[j : j + nargs]
                    events.append(("opt", canon, " ".join(vals) if vals else None))
                    j += nargs
                break
            continue
        if stop_at_positional:
            return events, j
        events.append(("arg", a, None))
        j += 1
    return events, n


# --------------------------------------------------------------------------- small helpers

_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_PIP_BOOL = _TRUE | {"0", "false", "no", "off", "n", "f"}
_SDIST_EXTS = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz", ".txz", ".tar", ".zip")
_VCS = ("git", "hg", "svn", "bzr")
_URL_SCHEMES = ("http://", "https://", "ftp://", "file:")


def _has_var(text: str) -> bool:
    return "$" in text or "`" in text


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text)


def _short_error(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _norm(name: str) -> str | None:
    name = name.strip()
    if not name or _has_var(name):
        return None
    return canonicalize_name(name)


def parse_version(text: object) -> Version | None:
    """A PEP 440 version, or None for no text or text that is not one (``${TORCH}``, ``latest``)."""
    if not text:
        return None
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _version_local(version: str) -> str | None:
    try:
        return Version(version).local
    except InvalidVersion:
        if "+" in version:
            local = version.split("+", 1)[1]
            return local or None
        return None


def _vcs_scheme(text: str) -> str | None:
    low = text.lower()
    for vcs in _VCS:
        if low.startswith(vcs + "+"):
            return vcs
    return None


def _is_url(text: str) -> bool:
    return text.lower().startswith(_URL_SCHEMES)


def _split_extras(text: str) -> tuple[str, tuple[str, ...]]:
    """``./pkg[dev,test]`` -> (``./pkg``, ("dev", "test"))."""
    if text.endswith("]") and "[" in text:
        base, _, inner = text[:-1].rpartition("[")
        extras = tuple(sorted({e for e in (_norm(x) for x in inner.split(",")) if e}))
        return base, extras
    return text, ()


def _looks_like_path(text: str) -> bool:
    base, _ = _split_extras(text)
    if base in (".", "..") or base.startswith(("./", "../", "/", "~", ".\\", "..\\")):
        return True
    if "@" in base:  # "name @ url" direct reference
        return False
    low = base.lower()
    if low.endswith((".whl",) + _SDIST_EXTS):
        return True
    if "/" in base:
        head = base.split("/", 1)[0]
        return not any(c in head for c in "<>=!~;@ ()[],")
    return False


# --------------------------------------------------------------------------- file names


@dataclass
class _Dist:
    name: str | None = None
    version: str | None = None
    local: str | None = None


def _dist_from_filename(filename: str) -> _Dist:
    """Name and version from a wheel or sdist file name (URL-decoded)."""
    filename = unquote(filename)
    low = filename.lower()
    if low.endswith(".whl"):
        try:
            name, version, _, _ = parse_wheel_filename(filename)
            return _Dist(str(name), str(version), version.local)
        except Exception:
            parts = filename[:-4].split("-")
            if len(parts) >= 2:
                return _Dist(_norm(parts[0].replace("_", "-")), parts[1] if not _has_var(parts[1]) else None)
            return _Dist()
    for ext in _SDIST_EXTS:
        if low.endswith(ext):
            stem = filename[: -len(ext)]
            name, sep, version = stem.rpartition("-")
            if sep and name:
                try:
                    parsed = Version(version)
                except InvalidVersion:
                    return _Dist()
                return _Dist(_norm(name), version, parsed.local)
            return _Dist()
    return _Dist()


# --------------------------------------------------------------------------- pip requirements


def _fragment_egg(fragment: str) -> str | None:
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "egg" and value:
            base, _ = _split_extras(value)
            return _norm(base)
    return None


def _url_fields(url: str) -> dict:
    """Fields of a direct reference (bare URL, VCS link, ``file:``)."""
    fields: dict = {"url": url}
    body, _, fragment = url.partition("#")
    egg = _fragment_egg(fragment)
    vcs = _vcs_scheme(body)
    if vcs:
        fields["vcs"] = vcs
        rest = body[len(vcs) + 1 :]
        if "://" in rest:
            path = urlsplit(rest).path
        else:  # scp-like git+git@github.com:org/repo.git@ref
            path = rest.split(":", 1)[1] if ":" in rest else rest
        ref = None
        if "@" in path:
            path, _, ref = path.rpartition("@")
        fields["vcs_ref"] = ref or None
        fields["vcs_commit"] = bool(ref) and len(ref) in (40, 64) and _is_hex(ref)
        repo = path.rstrip("/").rsplit("/", 1)[-1]
        if repo.endswith(".git"):
            repo = repo[:-4]
        fields["name"] = egg or _norm(repo)
        return fields
    if body.lower().startswith("file:"):
        fields["path"] = url
    try:
        filename = urlsplit(body).path.rsplit("/", 1)[-1]
    except ValueError:
        filename = body.rsplit("/", 1)[-1]
    dist = _dist_from_filename(filename)
    fields["name"] = egg or dist.name
    if dist.version:
        fields["exact_version"] = dist.version
        fields["local_version"] = dist.local
    return fields


def _spec_text(text: str) -> tuple[str, str, tuple[str, ...], str, str | None]:
    """Split ``name[extras] spec ; marker`` by hand: (name, rest-after-@ or "", extras, spec, marker)."""
    i, n = 0, len(text)
    while i < n and (text[i].isalnum() or text[i] in "._-"):
        i += 1
    name = text[:i]
    rest = text[i:].lstrip()
    extras: tuple[str, ...] = ()
    if rest.startswith("["):
        close = rest.find("]")
        inner = rest[1:close] if close >= 0 else rest[1:]
        extras = tuple(sorted({e for e in (_norm(x) for x in inner.split(",")) if e}))
        rest = rest[close + 1 :].lstrip() if close >= 0 else ""
    marker = None
    if rest.startswith("@"):
        url, _, marker_text = rest[1:].partition(" ;")  # PEP 508: a URL ends at whitespace
        return name, url.strip(), extras, "", marker_text.strip() or None
    spec, sep, marker_text = rest.partition(";")
    if sep:
        marker = marker_text.strip() or None
    spec = "".join(spec.split())
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1]
    return name, "", extras, spec, marker


def _pin(spec: str) -> tuple[str | None, bool, str | None]:
    """(exact_version, wildcard, local_version) of a pip specifier text."""
    exact, wildcard = None, False
    for part in spec.split(","):
        if part.startswith("==="):
            exact = part[3:]
        elif part.startswith("=="):
            version = part[2:]
            if version.endswith(".*"):
                wildcard = True
            else:
                exact = version
    if exact is not None and _has_var(exact):
        local = exact.split("+", 1)[1] if "+" in exact else None
        return None, wildcard, (local if local and not _has_var(local) else None)
    return exact, wildcard, (_version_local(exact) if exact else None)


def parse_pip_requirement(raw: str, *, editable: bool = False) -> Requirement:
    """Parse one pip/uv requirement argument (PEP 508, URL, VCS link or local path)."""
    try:
        return _parse_pip(raw, editable)
    except Exception as exc:  # pragma: no cover - safety net
        return Requirement(raw=raw, editable=editable, error=_short_error(exc))


def _parse_pip(raw: str, editable: bool) -> Requirement:
    text = raw.strip()
    if not text:
        return Requirement(raw=raw, editable=editable, error="empty requirement")
    error = UNRESOLVED if _has_var(text) else None
    if _vcs_scheme(text) or _is_url(text):
        fields = _url_fields(text)
        if error:
            fields["exact_version"] = None
        return Requirement(raw=raw, editable=editable, error=error, **fields)
    if _looks_like_path(text):
        base, extras = _split_extras(text)
        dist = _dist_from_filename(base.replace("\\", "/").rsplit("/", 1)[-1])
        return Requirement(raw=raw, name=dist.name, extras=extras, path=base, editable=editable,
                           exact_version=None if error else dist.version, local_version=dist.local,
                           error=error)
    if error:
        return _parse_pip_with_vars(raw, text, editable)
    try:
        req = _PkgRequirement(text)
    except InvalidRequirement as exc:
        return Requirement(raw=raw, editable=editable, error=_short_error(exc))
    name = canonicalize_name(req.name)
    extras = tuple(sorted(canonicalize_name(e) for e in req.extras))
    marker = str(req.marker) if req.marker else None
    if req.url:
        if _vcs_scheme(req.url) or _is_url(req.url):
            fields = _url_fields(req.url)
        else:  # name @ ./local/path
            dist = _dist_from_filename(req.url.rsplit("/", 1)[-1])
            fields = {"path": req.url, "exact_version": dist.version, "local_version": dist.local}
        fields["name"] = name
        return Requirement(raw=raw, extras=extras, editable=editable, marker=marker, **fields)
    _, _, _, spec, _ = _spec_text(text)
    exact, wildcard, local = _pin(spec)
    return Requirement(raw=raw, name=name, extras=extras, specifier=spec, exact_version=exact,
                       wildcard=wildcard, local_version=local, editable=editable, marker=marker)


def _parse_pip_with_vars(raw: str, text: str, editable: bool) -> Requirement:
    name, url, extras, spec, marker = _spec_text(text)
    after = text[len(name) : len(name) + 1]
    ok_name = bool(name) and after not in ("$", "`", "{")
    if url:
        fields = _url_fields(url)
        fields.pop("exact_version", None)
        fields["name"] = _norm(name) if ok_name else None
        return Requirement(raw=raw, extras=extras, editable=editable, marker=marker, error=UNRESOLVED,
                           **fields)
    _, wildcard, local = _pin(spec)
    if not name:
        spec, wildcard, local = "", False, None  # "$PKGS": nothing known
    return Requirement(raw=raw, name=_norm(name) if ok_name else None, extras=extras, specifier=spec,
                       wildcard=wildcard, local_version=local, editable=editable, marker=marker,
                       error=UNRESOLVED)


# --------------------------------------------------------------------------- conda specs


def parse_conda_spec(raw: str) -> Requirement:
    """Best-effort conda MatchSpec: ``chan::name=1.2.3=build``, ``name>=1,<2``, ``name[version='>=1']``."""
    try:
        return _parse_conda(raw)
    except Exception as exc:  # pragma: no cover - safety net
        return Requirement(raw=raw, error=_short_error(exc))


def _parse_conda(raw: str) -> Requirement:
    text = raw.strip()
    if not text:
        return Requirement(raw=raw, error="empty spec")
    error = UNRESOLVED if _has_var(text) else None
    channel = None
    if "::" in text:
        channel, _, text = text.rpartition("::")
        channel = channel or None
    if _is_url(text) or text.startswith(("./", "../", "/")) or text.endswith((".tar.bz2", ".conda")):
        return Requirement(raw=raw, url=text if _is_url(text) else None,
                           path=None if _is_url(text) else text, channel=channel, error=error)
    brackets = ""
    if text.endswith("]") and "[" in text:
        text, _, brackets = text[:-1].partition("[")
    i, n = 0, len(text)
    while i < n and text[i] not in "=<>!~ ":
        i += 1
    name, version = text[:i].strip(), text[i:].strip()
    build = ""
    if version and " " in version and version[0] not in "=<>!~":
        version, _, build = version.partition(" ")  # "numpy 1.11 py36_0" (one quoted word)
    for item in _bracket_items(brackets):
        key, value = item
        if key == "version" and not version:
            version = value if value[:1] in "=<>!~" else "==" + value if value.count(".") >= 2 else "=" + value
        elif key == "build" and not build:
            build = value
    bad_name = not name or any(c in name for c in "[]()*,;'\"") and not _has_var(name)
    if bad_name:
        return Requirement(raw=raw, name=None, channel=channel, error=error or "invalid conda spec")
    spec, exact, wildcard = _conda_version(version, build)
    if error:
        exact = None
    return Requirement(raw=raw, name=_norm(name), specifier=spec, exact_version=exact,
                       wildcard=wildcard, local_version=_version_local(exact) if exact else None,
                       channel=channel, error=error)


def _bracket_items(text: str) -> list[tuple[str, str]]:
    items = []
    for part in text.split(","):
        key, eq, value = part.partition("=")
        if eq:
            items.append((key.strip().lower(), value.strip().strip("'\"")))
    return items


def _conda_version(version: str, build: str) -> tuple[str, str | None, bool]:
    """(pip-like specifier, exact version, wildcard) of a conda version part."""
    version = version.strip()
    if not version:
        return "", None, False
    if version.startswith("==") and "," not in version and "|" not in version:
        v = version[2:]
        if "=" in v:
            v = v.split("=", 1)[0]
        if v.endswith("*"):
            return "==" + v.rstrip("*").rstrip(".") + ".*", None, True
        return "==" + v, v, False
    if version.startswith("=") and version[1:2] not in "=<>":
        v, _, build_part = version[1:].partition("=")
        if "," in v or "|" in v:
            return version, None, False
        if v.endswith("*"):
            return "==" + v.rstrip("*").rstrip(".") + ".*", None, True
        if build_part or build or v.count(".") >= 2:
            return "==" + v, v, False
        return "==" + v + ".*", None, True  # conda "=1.2" means 1.2.*
    if version[0] not in "=<>!~":  # bare "1.2.3" (from brackets or a space-separated spec)
        if version.endswith("*"):
            return "==" + version.rstrip("*").rstrip(".") + ".*", None, True
        if version.count(".") >= 2 or build:
            return "==" + version, version, False
        return "==" + version + ".*", None, True
    parts = [p.strip() for p in version.split(",")]
    if len(parts) == 1 and parts[0].startswith("==") and "|" not in parts[0]:
        return parts[0], parts[0][2:], False
    wildcard = any(p.startswith("==") and p.endswith("*") for p in parts)
    return ",".join(parts), None, wildcard


# --------------------------------------------------------------------------- OS packages

_RPM_ARCHES = (".x86_64", ".noarch", ".i686", ".i386", ".aarch64", ".ppc64le", ".s390x", ".armv7hl", ".src")


def parse_os_package(raw: str, manager: str) -> Requirement:
    """apt ``name[:arch][=version|/release]``, yum ``name[-version[-release]][.arch]``, apk ``name[=~<>]v``."""
    try:
        return _parse_os(raw, manager)
    except Exception as exc:  # pragma: no cover - safety net
        return Requirement(raw=raw, error=_short_error(exc))


def _parse_os(raw: str, manager: str) -> Requirement:
    text = raw.strip()
    if not text:
        return Requirement(raw=raw, error="empty package")
    error = UNRESOLVED if _has_var(text) else None
    low = text.lower()
    if _is_url(text) or "/" in text and low.endswith((".deb", ".rpm", ".apk")):
        filename = unquote(text.rsplit("/", 1)[-1])
        name, version = _package_file(filename)
        return Requirement(raw=raw, name=name, exact_version=None if error else version,
                           specifier="==" + version if version else "",
                           url=text if _is_url(text) else None,
                           path=text if not _is_url(text) or low.startswith("file:") else None,
                           error=error)
    channel, wildcard = None, False
    if manager == "apt":
        name, exact, channel = _apt_parts(text)
        wildcard = bool(exact) and "*" in exact
        spec = "==" + exact if exact else ""
        exact = None if wildcard else exact
    elif manager == "apk":
        name, spec, exact, wildcard, channel = _apk_parts(text)
    else:
        name, exact = _yum_parts(text)
        spec = "==" + exact if exact else ""
    if name is None or _has_var(name):
        return Requirement(raw=raw, name=None, specifier=spec, channel=channel, error=error)
    if error:
        exact = None
    return Requirement(raw=raw, name=name.lower(), specifier=spec, exact_version=exact,
                       wildcard=wildcard, channel=channel, error=error)


def _package_file(filename: str) -> tuple[str | None, str | None]:
    low = filename.lower()
    if low.endswith(".deb"):
        parts = filename[:-4].split("_")
        return (parts[0].lower() or None), (parts[1] if len(parts) > 1 else None)
    if low.endswith(".rpm"):
        stem = filename[:-4]
        for arch in _RPM_ARCHES:
            if stem.endswith(arch):
                stem = stem[: -len(arch)]
                break
        parts = stem.rsplit("-", 2)  # an rpm file name is always name-version-release
        if len(parts) == 3 and parts[0]:
            return parts[0].lower(), parts[1] + "-" + parts[2]
        return _yum_parts(stem)
    return None, None


def _apt_parts(text: str) -> tuple[str | None, str | None, str | None]:
    name, version, channel = text, None, None
    if "=" in name:
        name, _, version = name.partition("=")
    elif "/" in name:
        name, _, channel = name.partition("/")
    if ":" in name:
        name = name.split(":", 1)[0]
    return name or None, version or None, channel or None


def _apk_parts(text: str) -> tuple[str | None, str, str | None, bool, str | None]:
    i, n = 0, len(text)
    while i < n and text[i] not in "=<>~@":
        i += 1
    name, rest = text[:i], text[i:]
    channel = None
    if rest.startswith("@"):
        tag, op_i = rest[1:], 0
        while op_i < len(tag) and tag[op_i] not in "=<>~":
            op_i += 1
        channel, rest = tag[:op_i] or None, tag[op_i:]
    if not rest:
        return name or None, "", None, False, channel
    if rest.startswith("~"):
        version = rest.lstrip("~=")
        return name or None, "==" + version + ".*", None, True, channel
    if rest.startswith("=") and not rest.startswith("=="):
        version = rest[1:]
        return name or None, "==" + version, version, False, channel
    return name or None, rest, None, False, channel


def _yum_parts(text: str) -> tuple[str | None, str | None]:
    """Heuristic NVR split: a version part must start with a digit and contain a dot."""
    if text.startswith("@"):
        return text, None
    for arch in _RPM_ARCHES:
        if text.endswith(arch) and len(text) > len(arch):
            text = text[: -len(arch)]
            break

    def is_version(part: str) -> bool:
        return bool(part) and part[0].isdigit() and "." in part

    parts = text.rsplit("-", 2)
    if len(parts) == 3 and parts[0] and is_version(parts[1]) and parts[2][:1].isdigit():
        return parts[0], parts[1] + "-" + parts[2]
    name, sep, version = text.rpartition("-")
    if sep and name and is_version(version):
        return name, version
    return text, None


# --------------------------------------------------------------------------- recognition


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
