"""Image references, parsed and normalised the way Docker resolves them.

``python`` and ``docker.io/library/python`` are the same image, and
``localhost:5000/cuda:12`` has a registry with a port, not a tag ``5000``.
Rules compare normalised names so they are not fooled by spelling.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ImageRef", "parse_image"]

DEFAULT_REGISTRY = "docker.io"
_REGISTRY_ALIASES = {"index.docker.io": DEFAULT_REGISTRY, "registry-1.docker.io": DEFAULT_REGISTRY}


@dataclass(frozen=True)
class ImageRef:
    """An image reference normalised as Docker resolves it, so ``cuda`` and ``docker.io/library/cuda`` compare equal."""

    raw: str
    registry: str  # "docker.io", "nvcr.io", "localhost:5000"
    repository: str  # "library/python", "nvidia/cuda"
    tag: str | None
    digest: str | None  # "sha256:..."

    @property
    def name(self) -> str:
        """Fully qualified repository: ``docker.io/library/python``."""
        return f"{self.registry}/{self.repository}"

    @property
    def familiar(self) -> str:
        """The short form people write: ``python``, ``nvidia/cuda``, ``nvcr.io/nvidia/pytorch``."""
        if self.registry == DEFAULT_REGISTRY:
            if self.repository.startswith("library/"):
                return self.repository[len("library/") :]
            return self.repository
        return self.name

    @property
    def reference(self) -> str:
        text = self.familiar
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def is_scratch(self) -> bool:
        return self.registry == DEFAULT_REGISTRY and self.repository == "library/scratch" and not self.tag


def _looks_like_registry(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost" or component.lower() != component


def parse_image(text: str) -> ImageRef | None:
    """Parse ``[registry/]path[:tag][@digest]``; None when it is not an image name."""
    raw = text.strip()
    if not raw or any(c.isspace() for c in raw):
        return None
    rest, digest = raw, None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not digest:
            digest = None
    tag = None
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :] or None
    if not rest:
        return None
    first, sep, remainder = rest.partition("/")
    if sep and _looks_like_registry(first):
        registry, repository = first.lower(), remainder
    else:
        registry, repository = DEFAULT_REGISTRY, rest
    registry = _REGISTRY_ALIASES.get(registry, registry)
    if not repository:
        return None
    if registry == DEFAULT_REGISTRY and "/" not in repository:
        repository = f"library/{repository}"
    return ImageRef(raw=raw, registry=registry, repository=repository.lower(), tag=tag, digest=digest)
