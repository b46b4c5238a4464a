"""Rules about the base image a stage starts from."""

from __future__ import annotations

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


def floating_image_tag(ctx: CheckContext) -> Iterator[Hit]:
    """FROM without a pinned tag: the build changes under you when the tag moves."""
    for stage in ctx.stages:
        if stage.parent is not None or not stage.base.resolved or stage.image is None:
            continue
        image = stage.image
        if image.is_scratch or image.digest:
            continue
        instruction = stage.from_instruction
        shown = image.familiar
        if image.tag is None:
            if image.familiar in ("nvidia/cuda", "nvcr.io/nvidia/cuda"):
                yield Hit(
                    f"FROM {shown} has no tag, and NVIDIA removed the `latest` tag of CUDA images, "
                    "so the pull fails with 'manifest unknown'; pin a tag such as "
                    f"{shown}:12.8.1-cudnn-runtime-ubuntu22.04.",
                    instruction,
                    severity=Severity.ERROR,
                    fix="pin an explicit CUDA tag",
                )
                continue
            yield Hit(
                f"FROM {shown} has no tag, so it pulls `latest`, which moves: rebuilds can get a "
                "different OS, Python or framework; pin a version tag or a digest "
                f"({shown}:<version> or {shown}@sha256:...).",
                instruction,
                fix="pin a version tag or digest",
            )
            continue
        tag = image.tag
        known = _floating_tags(image.name)
        if tag == "latest" or tag in known:
            yield Hit(
                f"FROM {image.reference} uses the floating tag `{tag}`, which is re-pointed at new "
                "releases: rebuilds can silently change the framework, CUDA or Python version; pin a "
                f"versioned tag or a digest ({shown}@sha256:...).",
                instruction,
                # a floating tag known only from unverified notes is reported as a note
                severity=Severity.INFO if tag != "latest" and known.get(tag) else None,
                fix="pin a versioned tag or digest",
            )


RULES = {"ML001": floating_image_tag}
