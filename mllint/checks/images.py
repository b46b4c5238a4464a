"""Rules about the base image a stage starts from."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator

from mllint import knowledge
from mllint.context import CheckContext
from mllint.rule import Hit, Severity


def _floating_tags(repository: str) -> dict[str, bool]:
    """Known floating tags of a repository -> whether that fact is unverified."""
    entry = (knowledge.table("images").get("floating_tags") or {}).get(repository) or {}
    tags = {}
    for item in entry.get("tags") or ():
        if isinstance(item, dict) and item.get("tag") and not item.get("example"):
            tags[str(item["tag"])] = bool(item.get("unverified"))
    return tags


_DATED_TAG = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def _python_floats_minor(tag: str) -> bool:
    """A python:<tag> that names no minor version (`3`, `slim`, `3-slim-bookworm`, `alpine`): it moves
    to each new CPython minor. `X.Y` tags (`3.11-slim`) only move across patch releases."""
    grammar = ((knowledge.table("images").get("python") or {}).get("tag_grammar") or {})
    match = re.match(grammar.get("regex", "$^"), tag)
    if not match or match.group("latest"):
        return False
    version = match.group("python")
    return version is None or "." not in version


def _jax_toolbox_nightly(image) -> bool:
    """ghcr.io/nvidia/jax:<name> without a -YYYY-MM-DD suffix is the latest nightly (JAX-Toolbox docs).
    Tags with other digits (versions) are left alone: their meaning is not documented."""
    entry = (knowledge.table("images").get("floating_tags") or {}).get(image.name) or {}
    if not entry.get("rule") or image.name != "ghcr.io/nvidia/jax" or not image.tag:
        return False
    return not _DATED_TAG.search(image.tag) and not any(c.isdigit() for c in image.tag)


def _allowed_to_float(image, patterns) -> bool:
    """The ``allowed-floating-tags`` option: globs over the short and the full reference (no tag = `:latest`);
    a pattern without a tag allows every tag of the repository."""
    tag = image.tag or "latest"
    names = (f"{image.familiar}:{tag}", f"{image.name}:{tag}")
    for pattern in patterns:
        if ":" not in pattern.rsplit("/", 1)[-1]:
            pattern += ":*"
        if any(fnmatch.fnmatchcase(name, pattern) for name in names):
            return True
    return False


def floating_image_tag(ctx: CheckContext) -> Iterator[Hit]:
    """FROM without a pinned tag: the build changes under you when the tag moves."""
    allowed = ctx.options.get("allowed-floating-tags") or ()
    for stage in ctx.stages:
        if stage.parent is not None or not stage.base.resolved or stage.image is None:
            continue
        image = stage.image
        if image.is_scratch or image.digest:
            continue
        instruction = stage.from_instruction
        shown = image.familiar
        # An ARG-built reference is judged by its default, which is what a build without --build-arg uses.
        origin = f"FROM {stage.base_text} (default: {image.reference})" if "$" in stage.base_text else None
        if image.tag is None:
            if image.familiar in ("nvidia/cuda", "nvcr.io/nvidia/cuda"):
                yield Hit(
                    f"{origin or 'FROM ' + shown} has no tag, and NVIDIA removed the `latest` tag of CUDA images, "
                    "so the pull fails with 'manifest unknown'; pin a tag such as "
                    f"{shown}:12.8.1-cudnn-runtime-ubuntu22.04.",
                    instruction,
                    severity=Severity.ERROR,
                    fix="pin an explicit CUDA tag",
                )
                continue
            if allowed and _allowed_to_float(image, allowed):
                continue
            yield Hit(
                f"{origin or 'FROM ' + shown} has no tag, so it means `:latest`, which moves: rebuilds can get a "
                "different OS, Python or framework; pin a version tag or a digest "
                f"({shown}:<version> or {shown}@sha256:...).",
                instruction,
                fix="pin a version tag or digest",
            )
            continue
        tag = image.tag
        if allowed and _allowed_to_float(image, allowed):
            continue
        if tag != "latest" and image.name == "docker.io/library/python" and _python_floats_minor(tag):
            yield Hit(
                f"{origin or 'FROM ' + image.reference} names no Python minor version, so the tag moves to each new CPython "
                "minor release: a rebuild can switch Python, and ML wheels such as torch or tensorflow exist "
                f"only for specific Python versions; pin a minor version ({shown}:3.<minor>"
                f"{'-slim' if 'slim' in tag else ''}) or a digest.",
                instruction,
                fix="pin a Python minor version tag or digest",
            )
            continue
        if _jax_toolbox_nightly(image):
            yield Hit(
                f"{origin or 'FROM ' + image.reference} points to the latest nightly build (JAX-Toolbox tags without a "
                "-YYYY-MM-DD suffix move every night), so rebuilds get a different JAX, XLA and CUDA; pin a dated "
                f"tag ({shown}:{tag}-YYYY-MM-DD) or a digest.",
                instruction,
                fix="pin a dated tag or digest",
            )
            continue
        known = _floating_tags(image.name)
        if tag == "latest" or tag in known:
            yield Hit(
                f"{origin or 'FROM ' + image.reference} uses the floating tag `{tag}`, which is re-pointed at new "
                "releases: rebuilds can silently change the framework, CUDA or Python version; pin a "
                f"versioned tag or a digest ({shown}@sha256:...).",
                instruction,
                # a floating tag known only from unverified notes is reported as a note
                severity=Severity.INFO if tag != "latest" and known.get(tag) else None,
                fix="pin a versioned tag or digest",
            )


RULES = {"ML001": floating_image_tag}
