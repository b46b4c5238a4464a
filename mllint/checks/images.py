"""Rules about the base image a stage starts from."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator

from mllint import knowledge
from mllint.context import CheckContext
from mllint.dockerfile import Instruction
from mllint.images import ImageRef, parse_image
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


# Tags that name a moving line of builds by convention, whatever the repository: `nightly`, `dev`,
# `edge`, `main`, ... and branch-named tags built from them (`main-py3.11-cu124-2.6.0`, `nightly-gpu`).
_MOVING_WORDS = frozenset({"nightly", "dev", "edge", "main", "master", "develop", "unstable", "canary",
                           "latest"})
# ...unless another part of the tag pins the build: a date or a commit hash (`nightly-2024-05-01`,
# `main-20241201`, `main-3f2a9c1`).
_PINNING_PART = re.compile(r"^(?:\d{8}|\d{4}-\d{2}-\d{2}|\d{4}\.\d{2}\.\d{2}|(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40})$")
_DATE_IN_TAG = re.compile(r"(?:^|[-_.])(?:\d{4}-\d{2}-\d{2}|\d{8})(?:[-_.]|$)")


def _branch_named(tag: str) -> str | None:
    """The moving word a tag starts with (`main` for `main-base`), unless a date or commit pins it."""
    parts = re.split(r"[-_]", tag.lower())
    if parts[0] not in _MOVING_WORDS or tag == "latest":
        return None
    if _DATE_IN_TAG.search(tag.lower()) or any(_PINNING_PART.match(part) for part in parts[1:]):
        return None
    return parts[0]


def _judge(image: ImageRef, origin: str, instruction: Instruction, allowed, copied: bool = False) -> Hit | None:
    """The floating-tag finding for one image reference; ``origin`` says where it was written.

    ``copied``: the image only provides files (`COPY --from`), so the change is in what is copied."""
    if image.is_scratch or image.digest:
        return None
    shown = image.familiar
    where: dict = {}
    changes = ("rebuilds can silently copy in files from a different release" if copied else
               "rebuilds can silently change the framework, CUDA or Python version")
    if image.tag is None:
        if image.familiar in ("nvidia/cuda", "nvcr.io/nvidia/cuda"):
            return Hit(
                f"{origin} has no tag, and NVIDIA removed the `latest` tag of CUDA images, "
                "so the pull fails with 'manifest unknown'; pin a tag such as "
                f"{shown}:12.8.1-cudnn-runtime-ubuntu22.04.",
                instruction, severity=Severity.ERROR, fix="pin an explicit CUDA tag", **where,
            )
        if allowed and _allowed_to_float(image, allowed):
            return None
        return Hit(
            f"{origin} has no tag, so it means `:latest`, which moves: "
            + ("rebuilds can silently copy in files from a different release" if copied else
               "rebuilds can get a different OS, Python or framework")
            + "; pin a version tag or a digest "
            f"({shown}:<version> or {shown}@sha256:...).",
            instruction, fix="pin a version tag or digest", **where,
        )
    tag = image.tag
    if allowed and _allowed_to_float(image, allowed):
        return None
    if tag != "latest" and image.name == "docker.io/library/python" and _python_floats_minor(tag):
        return Hit(
            f"{origin} names no Python minor version, so the tag moves to each new CPython "
            "minor release: a rebuild can switch Python, and ML wheels such as torch or tensorflow exist "
            f"only for specific Python versions; pin a minor version ({shown}:3.<minor>"
            f"{'-slim' if 'slim' in tag else ''}) or a digest.",
            instruction, fix="pin a Python minor version tag or digest", **where,
        )
    if _jax_toolbox_nightly(image):
        return Hit(
            f"{origin} points to the latest nightly build (JAX-Toolbox tags without a "
            "-YYYY-MM-DD suffix move every night), so rebuilds get a different JAX, XLA and CUDA; pin a dated "
            f"tag ({shown}:{tag}-YYYY-MM-DD) or a digest.",
            instruction, fix="pin a dated tag or digest", **where,
        )
    known = _floating_tags(image.name)
    if tag == "latest" or tag in known:
        return Hit(
            f"{origin} uses the floating tag `{tag}`, which is re-pointed at new "
            f"releases: {changes}; pin a versioned tag or a digest ({shown}@sha256:...).",
            instruction,
            # a floating tag known only from unverified notes is reported as a note
            severity=Severity.INFO if tag != "latest" and known.get(tag) else None,
            fix="pin a versioned tag or digest", **where,
        )
    word = _branch_named(tag)
    if word:
        return Hit(
            f"{origin} uses `{tag}`, a tag named after the `{word}` build line rather than a release, "
            f"which is re-pushed as that line moves: {changes}; pin a release tag or a digest "
            f"({shown}@sha256:...).",
            instruction, fix="pin a release tag or digest", **where,
        )
    return None


def floating_image_tag(ctx: CheckContext) -> Iterator[Hit]:
    """FROM without a pinned tag: the build changes under you when the tag moves."""
    allowed = ctx.options.get("allowed-floating-tags") or ()
    for stage in ctx.stages:
        if stage.parent is None and stage.base.resolved and stage.image is not None:
            image = stage.image
            # An ARG-built reference is judged by its default, which is what a build without --build-arg uses.
            origin = (f"FROM {stage.base_text} (default: {image.reference})" if "$" in stage.base_text
                      else f"FROM {image.familiar if image.tag is None else image.reference}")
            hit = _judge(image, origin, stage.from_instruction, allowed)
            if hit is not None:
                yield hit
        yield from _copied_image_hits(ctx, stage, allowed)


def _stage_names(ctx: CheckContext) -> set[str]:
    return {stage.name.lower() for stage in ctx.stages if stage.name}


def _copied_image_hits(ctx: CheckContext, stage, allowed) -> Iterator[Hit]:
    """`COPY --from=<image>` and `RUN --mount=from=<image>`: an image pulled without a FROM."""
    names = _stage_names(ctx)
    for instruction in stage.instructions:
        if instruction.keyword in ("COPY", "ADD"):
            values = [(value, f"COPY --from={value}" if instruction.keyword == "COPY" else f"ADD --from={value}")
                      for value in instruction.flag("from")]
        elif instruction.keyword == "RUN":
            values = [(mount["from"], f"RUN --mount=from={mount['from']}")
                      for mount in instruction.mounts if mount.get("from")]
        else:
            continue
        for value, written in values:
            expanded = instruction.expand(value)
            text = expanded.value
            if text is None or text.lower() in names or text.isdigit():
                continue  # an earlier stage (by name or index), or a name we cannot resolve
            if "/" not in text and ":" not in text and "@" not in text:
                continue  # a bare word: a stage or a named build context (--build-context NAME=...)
            image = parse_image(text)
            if image is None:
                continue
            origin = f"{written} (default: {image.reference})" if "$" in value else written
            hit = _judge(image, origin, instruction, allowed, copied=True)
            if hit is not None:
                yield hit


RULES = {"ML001": floating_image_tag}
