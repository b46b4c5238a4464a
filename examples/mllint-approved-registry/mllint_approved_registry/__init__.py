"""Example mllint plugin: every base image must come from an approved registry.

The approved registries come from the configuration, through the ``mllint_configure`` hook::

    plugins:
      approved-registry:
        registries: [registry.corp, ghcr.io/acme]

A registry entry approves every image whose registry is that host (``registry.corp``) or whose
repository starts with that path (``ghcr.io/acme``, ``docker.io/library`` for Docker Official Images).
With no registries configured the rule has nothing to compare against and reports nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import mllint

DOCS = "https://github.com/mllint-docker/mllint/blob/main/examples/mllint-approved-registry/docs/"

# The catalogue entry: the same shape as mllint's rules/catalogue/*.yaml, kept in Python so that
# loading the plugin parses no YAML. `mllint explain AR001` renders it, and docs/ holds the same page.
META = mllint.RuleMeta.from_mapping({
    "id": "AR001",
    "name": "unapproved-registry",
    "severity": "error",
    "summary": "A base image is pulled from a registry that is not on the approved list.",
    "rationale": (
        "Organisations mirror and scan the images they build on. A `FROM` that pulls straight from a public "
        "registry bypasses that: the image is not scanned, pulls can hit rate limits, and the build breaks "
        "when the upstream tag moves or disappears. The approved registries are listed under "
        "`plugins: approved-registry: registries:` in `.mllint.yaml`; an entry is a registry host "
        "(`registry.corp`) or a repository prefix (`ghcr.io/acme`, `docker.io/library`). Stages built "
        "`FROM` an earlier stage, `scratch`, and images named by a build argument without a default are "
        "not judged."
    ),
    "examples": {
        "bad": ["FROM python:3.11-slim\n"],
        "good": ["FROM registry.corp/python:3.11-slim\n"],
    },
    "references": ["https://docs.docker.com/docker-hub/image-library/mirror/"],
    "tags": ["security", "supply-chain"],
    "help_uri": f"{DOCS}AR001-unapproved-registry.md",
})


def _approved(image, entry: str) -> bool:
    return image.registry == entry or image.name == entry or image.name.startswith(entry + "/")


class ApprovedRegistry:
    """The plugin object the entry point names; it keeps its options between the two hooks."""

    def __init__(self) -> None:
        self.registries: tuple[str, ...] = ()

    @mllint.hookimpl
    def mllint_configure(self, options):
        """Validate and keep this plugin's options; raising makes mllint report them as a configuration error."""
        unknown = sorted(set(options) - {"registries"})
        if unknown:
            raise ValueError(f"unknown option {unknown[0]!r} (expected registries)")
        registries = options.get("registries", [])
        if not isinstance(registries, list) or not all(isinstance(r, str) and r.strip() for r in registries):
            raise ValueError("registries must be a list of registry hosts or repository prefixes, "
                             "e.g. [registry.corp, ghcr.io/acme]")
        self.registries = tuple(r.strip().rstrip("/") for r in registries)

    @mllint.hookimpl
    def mllint_rules(self):
        return [mllint.Rule(META, self.check)]

    def check(self, ctx) -> Iterator[mllint.Hit]:
        if not self.registries:
            return
        for stage in ctx.stages:
            image = stage.image
            if stage.parent is not None or image is None or image.is_scratch or not stage.base.resolved:
                continue
            if not any(_approved(image, entry) for entry in self.registries):
                yield mllint.Hit(
                    f"FROM {image.reference} is pulled from {image.registry}, which is not an approved registry "
                    f"({', '.join(self.registries)}); use the image's mirror in an approved registry.",
                    stage.from_instruction,
                )


plugin = ApprovedRegistry()
