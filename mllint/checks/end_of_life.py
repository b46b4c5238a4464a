"""Base images that are end of life: an EOL CPython, or nvidia/cuda tags NVIDIA deleted."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from mllint import knowledge
from mllint.context import CheckContext
from mllint.dockerfile import Stage
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


# --------------------------------------------------------------------------- the rule

def eol_base_image(ctx: CheckContext) -> Iterator[Hit]:
    """A stage's base image is end of life as of ``ctx.today``."""
    for stage in ctx.stages:
        if stage.parent is not None or stage.image is None or not stage.base.resolved:
            continue  # `FROM base AS app` is judged once, at the FROM of `base`
        if stage.image.name == "docker.io/library/python":
            hit = _python_hit(stage, ctx.today)
        else:
            hit = _cuda_hit(stage, ctx.today)
        if hit is not None:
            yield hit


RULES = {"ML013": eol_base_image}
