"""End of life in a stage: an EOL CPython (from the base image or installed by the stage), an EOL
base OS release, or nvidia/cuda tags NVIDIA deleted."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from mllint import knowledge
from mllint.context import CheckContext
from mllint.checks.locations import word_line
from mllint.dockerfile import Stage
from mllint.environment import PythonInstall, environment, image_environment
from mllint.rule import Hit, Severity

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def _images() -> dict:
    return knowledge.table("images")


def _month_after(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1)


def _eol(text: str) -> tuple[dt.date, str, bool] | None:
    """(first day of end of life, how to say it, month-only) for "YYYY-MM-DD" or "YYYY-MM"."""
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text.strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if match.group(3):
        day = dt.date(year, month, int(match.group(3)))
        return day, f"on {day.isoformat()}", False
    # Month-only: supported through the end of that month, EOL from the 1st of the next (python.yaml).
    return _month_after(year, month), f"at the end of {_MONTHS[month - 1]} {year}", True


# --------------------------------------------------------------------------- CPython

def _python_minor(tag: str | None) -> tuple[str, bool] | None:
    """(CPython minor of a python:<tag>, slim variant)."""
    grammar = ((_images().get("python") or {}).get("tag_grammar") or {})
    match = re.match(grammar.get("regex", "$^"), tag or "latest")
    if not match or not match.group("python") or match.group("python").count(".") < 1:
        return None
    version = match.group("python")
    minor = ".".join(re.match(r"\d+\.\d+", version).group(0).split(".")[:2])
    return minor, bool(match.group("slim"))


def _supported_minor(today: dt.date, after: str) -> str | None:
    """The oldest CPython minor newer than ``after`` that is not EOL on ``today`` (sourced dates only)."""
    rows = (knowledge.table("python").get("cpython") or {})
    floor = tuple(int(p) for p in after.split("."))
    best = None
    for minor, row in rows.items():
        key = tuple(int(p) for p in str(minor).split("."))
        eol = _eol(str(row.get("end_of_life") or ""))
        if key <= floor or eol is None or knowledge.is_unverified(row, "end_of_life") or eol[0] <= today:
            continue
        if knowledge.is_unverified(row, "first_release") and row.get("first_release"):
            continue  # not released yet as far as the data knows
        if best is None or key < best:
            best = key
    return ".".join(map(str, best)) if best else None


def _python_hit(stage: Stage, today: dt.date) -> Hit | None:
    image = stage.image
    found = _python_minor(image.tag)
    if found is None:
        return None
    minor, slim = found
    row = (knowledge.table("python").get("cpython") or {}).get(minor)
    if not row or not row.get("end_of_life"):
        return None
    eol = _eol(str(row["end_of_life"]))
    if eol is None:
        return None
    start, when, month_only = eol
    verified = not knowledge.is_unverified(row, "end_of_life")
    newer = _supported_minor(today, minor)
    advice = f"move to python:{newer}{'-slim' if slim else ''} or newer" if newer else "move to a supported Python"
    advice += " and check that your pinned ML packages have wheels for it"
    if today >= start:
        return Hit(
            f"FROM {image.reference} runs Python {minor}, which reached end of life {when}: CPython publishes "
            f"no more security fixes for it; {advice}.",
            stage.from_instruction,
            severity=None if verified else Severity.INFO,
            fix=f"use Python {newer}" if newer else "use a supported Python",
        )
    if month_only and (today.year, today.month) == _last_month(start):
        return Hit(
            f"FROM {image.reference} runs Python {minor}, which reaches end of life {when} (no security fixes "
            f"after that); plan the move: {advice}.",
            stage.from_instruction,
            severity=Severity.INFO,
            fix=f"use Python {newer}" if newer else "use a supported Python",
        )
    return None


def _last_month(first_day_after: dt.date) -> tuple[int, int]:
    previous = first_day_after - dt.timedelta(days=1)
    return previous.year, previous.month


# --------------------------------------------------------------------------- nvidia/cuda

def _cuda_version(tag: str | None) -> str | None:
    table = _images().get("nvidia_cuda") or {}
    match = re.match((table.get("tag_grammar") or {}).get("regex", "$^"), tag or "")
    return match.group("cuda") if match else None


def _covers(entry: str, version: str) -> bool:
    """Component-prefix match: "10.2" covers 10.2 and 10.2.x; "11.7.0" covers only 11.7.0."""
    want = str(entry).split(".")
    return version.split(".")[: len(want)] == want


def _month_start(text: str) -> dt.date | None:
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", str(text).strip())
    if not match:
        return None
    return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))


def _cuda_hit(stage: Stage, today: dt.date) -> Hit | None:
    image = stage.image
    table = _images().get("nvidia_cuda") or {}
    if image.name not in (table.get("repositories") or ()):
        return None
    version = _cuda_version(image.tag)
    if version is None:
        return None
    deleted = table.get("deleted_tags") or {}
    for entry in deleted.get("cuda_versions") or ():
        if _covers(entry, version):
            scope = f"all CUDA {entry} tags" if str(entry).count(".") == 1 else f"the CUDA {entry} tags"
            return Hit(
                f"FROM {image.reference}: NVIDIA deleted {scope} of nvidia/cuda from Docker Hub and NGC after "
                f"their end of life (deletion list of {deleted.get('list_date')}), so the pull fails with "
                "'manifest unknown'; move to a currently supported CUDA version.",
                stage.from_instruction,
                severity=Severity.ERROR if not knowledge.is_unverified(deleted, "cuda_versions") else Severity.INFO,
                fix="use a supported nvidia/cuda tag",
            )
    for row in deleted.get("scheduled") or ():
        if not _covers(str(row.get("cuda")), version):
            continue
        start = _month_start(str(row.get("deletion_from") or ""))
        if start is None:
            continue
        month = f"{_MONTHS[start.month - 1]} {start.year}"
        if today >= start:
            text = (f"FROM {image.reference}: NVIDIA scheduled the CUDA {row['cuda']} tags of nvidia/cuda for "
                    f"deletion from {month} under its end-of-life policy, so the pull is expected to fail with "
                    "'manifest unknown'; move to a currently supported CUDA version.")
        else:
            text = (f"FROM {image.reference}: NVIDIA scheduled the CUDA {row['cuda']} tags of nvidia/cuda for "
                    f"deletion from {month} under its end-of-life policy; after that the pull fails, so move to "
                    "a currently supported CUDA version.")
        # An announced schedule, not an observed deletion: a note only.
        return Hit(text, stage.from_instruction, severity=Severity.INFO, fix="use a supported nvidia/cuda tag")
    return None


# --------------------------------------------------------------------------- base OS releases

def _os_row(os: tuple[str, str] | None) -> dict | None:
    if not os:
        return None
    for row in _images().get("os_releases") or ():
        if row.get("distro") == os[0] and str(row.get("version")) == os[1]:
            return row
    return None


def _os_hit(stage: Stage, today: dt.date) -> Hit | None:
    env = image_environment(stage.image)
    row = _os_row(env.os)
    if row is None:
        return None
    end = _month_start(str(row.get("security_support_end") or ""))
    if end is None or today <= end:
        return None
    name = f"{'Ubuntu' if env.os[0] == 'ubuntu' else 'Debian'} {env.os[1]} ({row.get('codename')})"
    paid = row.get("paid_support_end")
    extra = (f"; Ubuntu Pro's paid Expanded Security Maintenance runs to {paid}" if paid and env.os[0] == "ubuntu"
             else "")
    severity = Severity.INFO if knowledge.is_unverified(row, "security_support_end") else None
    return Hit(
        f"FROM {stage.image.reference} is based on {name}, whose free security support ended on "
        f"{end.isoformat()}{extra}: its packages (OpenSSL, glibc, the system Python) get no more fixes "
        "without a subscription; move to a base on a supported release.",
        stage.from_instruction, severity=severity, fix="use a base image on a supported OS release",
    )


# --------------------------------------------------------------------------- Pythons installed by the stage

def _eol_of(minor: str) -> tuple[tuple[dt.date, str, bool], bool] | None:
    row = (knowledge.table("python").get("cpython") or {}).get(minor)
    if not row or not row.get("end_of_life"):
        return None
    eol = _eol(str(row["end_of_life"]))
    return (eol, not knowledge.is_unverified(row, "end_of_life")) if eol else None


def _installed_python_hit(stage: Stage, found: PythonInstall, today: dt.date) -> Hit | None:
    known = _eol_of(found.version)
    if known is None:
        return None
    (start, when, _), verified = known
    if today < start:
        return None
    env = environment(stage)
    os_end = _month_start(str((_os_row(env.os) or {}).get("security_support_end") or ""))
    if found.distro_default and os_end is not None and today <= os_end:
        # The distribution's own python3 on a release that still gets security updates (Ubuntu: main, Debian:
        # the whole archive): the distribution backports the fixes, so nothing needs fixing yet. The base OS
        # itself is reported once its support ends.
        return None
    newer = _supported_minor(today, found.version)
    advice = f"install Python {newer} or newer" if newer else "install a supported Python"
    severity = None if verified else Severity.INFO
    text = (f"{found.source} installs Python {found.version}, which reached end of life {when}: it gets no "
            f"more security fixes and new framework releases publish no wheels for it; {advice}.")
    line, column = found.line, found.column
    if found.word:
        install = next((i for i in found.instruction.installs if i.line == found.line), None)
        if install is not None:
            line = word_line(install, found.word)
            column = found.column if line == found.line else 1
    return Hit(text, found.instruction, line=line, column=column, severity=severity,
               fix=f"use Python {newer}" if newer else "use a supported Python")


def _image_python_hit(stage: Stage, today: dt.date) -> Hit | None:
    """A framework image (NGC) whose knowledge-table row names its Python."""
    env = image_environment(stage.image)
    if env.kind != "ngc" or env.python is None:
        return None
    known = _eol_of(str(env.python.value))
    if known is None:
        return None
    (start, when, _), verified = known
    if today < start:
        return None
    newer = _supported_minor(today, str(env.python.value))
    return Hit(
        f"FROM {stage.image.reference} ships Python {env.python.value} ({env.python.source}), which reached "
        f"end of life {when}: no more security fixes, and new framework releases publish no wheels for it; "
        f"move to a newer release of the image{f' with Python {newer} or newer' if newer else ''}.",
        stage.from_instruction, severity=None if (verified and env.python.verified) else Severity.INFO,
        fix="use a newer image release",
    )


# --------------------------------------------------------------------------- the rule

def eol_base_image(ctx: CheckContext) -> Iterator[Hit]:
    """A stage's base image, base OS or installed Python is end of life as of ``ctx.today``."""
    for stage in ctx.stages:
        if stage.parent is None and stage.image is not None and stage.base.resolved:
            # `FROM base AS app` is judged once, at the FROM of `base`
            if stage.image.name == "docker.io/library/python":
                hits = [_python_hit(stage, ctx.today)]
            else:
                hits = [_cuda_hit(stage, ctx.today), _image_python_hit(stage, ctx.today)]
            hits.append(_os_hit(stage, ctx.today))
            yield from (hit for hit in hits if hit is not None)
        for found in environment(stage).pythons:
            if found.instruction.stage is stage:
                hit = _installed_python_hit(stage, found, ctx.today)
                if hit is not None:
                    yield hit


RULES = {"ML013": eol_base_image}
