"""Option tables of pip, uv, conda, apt, yum and apk, and a getopt-like parser over them.

Knowing how many values each option takes is what keeps ``--index-url URL`` or ``-c constraints.txt``
from being read as package names; :mod:`mllint.installs` feeds every manager's arguments through here.
"""

from __future__ import annotations

from bisect import bisect_left

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
