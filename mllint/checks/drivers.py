"""Host-side NVIDIA components (driver, container toolkit) installed into an image."""

from __future__ import annotations

import posixpath
import re
from collections import ChainMap
from collections.abc import Iterator
from fnmatch import fnmatchcase

from mllint import knowledge
from mllint.context import CheckContext
from mllint.dockerfile import SHELLS, Install, Instruction
from mllint.rule import Hit, Severity
from mllint.variables import expand

# An unknown variable inside a package name: matches a glob's `*` but no literal or [0-9].
_PLACEHOLDER = "\x00"
_VAR = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$\([^)]*\)|`[^`]*`")
# Options with which an installer runfile only unpacks or prints, installing nothing.
_NO_INSTALL_OPTIONS = {"--extract-only", "-x", "--help", "-h", "--version", "-v", "--info",
                       "--advanced-options", "-A", "--list", "--check"}


def _host_packages() -> dict:
    return knowledge.table("packages").get("nvidia_host_packages") or {}


def _name(text: str, install_env) -> str:
    """The package name after ARG/ENV expansion; unknown parts become a placeholder."""
    expanded = expand(text, install_env, quotes=False)
    return _VAR.sub(_PLACEHOLDER, expanded.text).lower()


def _manager_ok(row: dict, manager: str) -> bool:
    managers = set(row.get("managers") or ())
    if manager == "yum":  # installs.py files dnf/microdnf/tdnf under "yum"
        return bool(managers & {"yum", "dnf"})
    return manager in managers


def _matches(rows, install: Install) -> list[tuple[str, str, dict]]:
    """(written requirement, expanded name, knowledge row) per matching package."""
    found = []
    for requirement in install.requirements:
        raw = requirement.name
        if raw is None:  # a name with a variable in it: `nvidia-driver-${DRIVER_BRANCH}`
            raw = re.split(r"[=/]", requirement.raw, maxsplit=1)[0] if "$" in requirement.raw else ""
        if not raw or raw.startswith(("-", ".", "/")) or raw.endswith((".deb", ".rpm")):
            continue
        name = _name(raw, install.env)
        if name == _PLACEHOLDER or not name.strip(_PLACEHOLDER):
            continue
        for row in rows:
            if _manager_ok(row, install.manager) and fnmatchcase(name, str(row["glob"]).lower()):
                found.append((raw, name, row))
                break
    return found


def _command(install: Install, packages: list[str]) -> str:
    return f"`{posixpath.basename(install.tool)} {install.action} {' '.join(packages)}`"


def _meta_replacement(name: str) -> str:
    if name == "cuda":
        return "cuda-toolkit"
    if name.startswith("cuda-runtime-"):
        return "cuda-libraries-" + name[len("cuda-runtime-"):]
    return "cuda-toolkit-" + name[len("cuda-"):]


def _driver_hits(install: Install, policy_verified: bool) -> Iterator[Hit]:
    matches = _matches(_host_packages().get("driver") or (), install)
    if not matches:
        return
    metas = [m for m in matches if m[2].get("meta")]
    plain = [m for m in matches if not m[2].get("meta")]
    if metas:
        shown = [raw for raw, _, _ in metas]
        fixes = ", ".join(_meta_replacement(name) for _, name, _ in metas if _PLACEHOLDER not in name)
        verified = policy_verified and not any(knowledge.is_unverified(row) for _, _, row in metas)
        yield Hit(
            f"{_command(install, shown)} installs a CUDA meta-package that pulls NVIDIA's driver packages into "
            "the image, where they clash at run time with the host driver that the NVIDIA Container Toolkit "
            "mounts ('Failed to initialize NVML: Driver/library version mismatch'); install "
            f"{fixes or 'the matching cuda-toolkit-X-Y package'} instead (no driver).",
            install.instruction,
            line=install.line,
            column=install.column,
            severity=None if verified else Severity.INFO,
            fix=f"install {fixes or 'cuda-toolkit-X-Y'} instead",
        )
    if plain:
        shown = [raw for raw, _, _ in plain]
        verified = policy_verified and any(not knowledge.is_unverified(row) for _, _, row in plain)
        if verified:
            text = (f"{_command(install, shown)} puts NVIDIA driver components into the image, but at run time "
                    "the NVIDIA Container Toolkit mounts the host's driver, so on any host with another driver "
                    "version CUDA fails to initialise ('Failed to initialize NVML: Driver/library version "
                    f"mismatch'); remove {'them' if len(shown) > 1 else 'it'} and install the driver on the host "
                    "only.")
        else:
            text = (f"{_command(install, shown)} looks like a host NVIDIA driver package; the NVIDIA Container "
                    "Toolkit mounts the host's driver into the container at run time, so a driver inside the "
                    "image is likely to clash with it ('Driver/library version mismatch'); install the driver on "
                    "the host only.")
        yield Hit(text, install.instruction, line=install.line, column=install.column,
                  severity=None if verified else Severity.INFO,
                  fix="remove the driver packages; install the driver on the host")


def _toolkit_hits(install: Install) -> Iterator[Hit]:
    matches = _matches(_host_packages().get("container_toolkit") or (), install)
    if not matches:
        return
    shown = [raw for raw, _, _ in matches]
    yield Hit(
        f"{_command(install, shown)} installs the NVIDIA Container Toolkit, a host-side component that gives "
        "containers their GPUs, so inside an image it is most likely unused (only a Docker daemon running in "
        "the container would need it); install it on the host and remove it from the image.",
        install.instruction,
        line=install.line,
        column=install.column,
        severity=Severity.INFO,  # the "must not be in an image" conclusion is third-party (knowledge flag)
        fix="remove the container toolkit from the image",
    )


def _runfile(argv: tuple[str, ...], env) -> tuple[str, list[str], list[str]] | None:
    """(installer file name, its arguments, the words that run it) when the command executes a file."""
    if not argv:
        return None
    first = posixpath.basename(_name(argv[0], env))
    if first in SHELLS:
        index = 1
        while index < len(argv) and argv[index].startswith("-"):
            index += 1
        if index >= len(argv):
            return None
        return (posixpath.basename(expand(argv[index], env, quotes=False).text), list(argv[index + 1:]),
                [first, posixpath.basename(argv[index])])
    return posixpath.basename(expand(argv[0], env, quotes=False).text), list(argv[1:]), [posixpath.basename(argv[0])]


def _runfile_hits(instruction: Instruction, policy_verified: bool) -> Iterator[Hit]:
    installers = _host_packages().get("installers") or ()
    for placed in instruction.commands:
        command = placed.command
        env = ChainMap(dict(command.assignments), instruction.env)  # no copy: a RUN may have thousands
        found = _runfile(command.argv, env)
        if found is None:
            continue
        filename, args, runs = found
        name = _VAR.sub(_PLACEHOLDER, filename)
        options = {arg.split("=", 1)[0] for arg in args}
        if options & _NO_INSTALL_OPTIONS or any(o.startswith("--extract") for o in options):
            continue
        for row in installers:
            if not fnmatchcase(name, str(row["pattern"])):
                continue
            driver_option = row.get("driver_option")
            if driver_option and driver_option not in options:
                break  # e.g. the CUDA runfile with --toolkit only: no driver
            verified = policy_verified and not knowledge.is_unverified(row)
            shown = " ".join(runs + ([driver_option] if driver_option else []))
            if verified:
                text = (f"`{shown}` installs the NVIDIA driver into the image, but at run time the NVIDIA "
                        "Container Toolkit mounts the host's driver, so on any host with another driver version "
                        "CUDA fails to initialise ('Driver/library version mismatch'); "
                        + (f"drop {driver_option} (install only the toolkit)." if driver_option
                           else "install the driver on the host only."))
            else:
                text = (f"`{shown}` looks like the NVIDIA driver installer; the NVIDIA Container Toolkit mounts "
                        "the host's driver into the container at run time, so a driver inside the image is "
                        "likely to clash with it ('Driver/library version mismatch'); install the driver on the "
                        "host only.")
            yield Hit(text, instruction, line=placed.line, column=placed.column,
                      severity=None if verified else Severity.INFO,
                      fix="do not run the driver installer in the image")
            break


# Where driver packages and runfiles put the driver's libraries and tools.
_SYSTEM_PATHS = ("/usr/lib", "/usr/lib64", "/lib", "/usr/bin", "/usr/local/nvidia")


def nvidia_driver_in_image(ctx: CheckContext) -> Iterator[Hit]:
    """apt/yum/dnf NVIDIA driver or container-toolkit packages, and driver runfiles, in a RUN.

    Only in stages whose system directories reach the image (``mllint.shipping``): a driver in a
    builder stage never meets the host's driver.
    """
    policy = _host_packages().get("policy") or {}
    policy_verified = bool(policy.get("must_not_install_driver_in_image")) and not knowledge.is_unverified(
        policy, "must_not_install_driver_in_image")
    for stage in ctx.stages:
        if not any(stage.ships_path(path) for path in _SYSTEM_PATHS):
            continue
        for instruction in stage.instructions:
            if instruction.keyword != "RUN":
                continue
            for install in instruction.installs:
                if install.manager not in ("apt", "yum") or not install.installs_packages:
                    continue
                yield from _driver_hits(install, policy_verified)
                yield from _toolkit_hits(install)
            yield from _runfile_hits(instruction, policy_verified)


RULES = {"ML008": nvidia_driver_in_image}
