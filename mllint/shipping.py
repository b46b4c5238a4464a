"""Which stages of a build reach the image, and what of them.

``docker build`` produces the image of one stage, the *target*: the last stage, or the stage named by
``--target``. That stage ships whole, and so do its ``FROM`` ancestors, whose files it starts from. A
stage that is only read by ``COPY --from=<stage>`` ships only the paths that are copied (and only if
they land somewhere that ships); a stage read only through ``RUN --mount=from=<stage>`` ships nothing of
itself, as a mount is gone when the RUN ends. Everything else ships nothing.

Without ``--target``, the candidates are the last stage and every *leaf*: a stage no other stage
builds on (``FROM``), copies from or mounts. A leaf that is not last is only ever built as a
``--target`` (BuildKit skips stages the target does not need), so it is an image of its own: the
``full``/``light``/``server`` stages of one Dockerfile are three images.

Rules whose harm is what the image holds or weighs (a package cache, a driver, a credential in the
image config) ask :meth:`StageShipping.ships_path` or :attr:`StageShipping.ships`; rules about what
the build does (pins, indexes, CUDA of what is compiled) judge every stage.

Paths are absolute container paths. A copied path that uses a variable without a known value is
recorded with ``source=None``; it reaches the image as an unknown path and is never taken to cover a
given path.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from mllint.variables import split_words

if TYPE_CHECKING:
    from mllint.dockerfile import Dockerfile, Instruction, Stage

__all__ = ["CopiedPath", "Shipping", "StageShipping", "shipping", "unknown_target"]

KEY = "shipping"
_GLOB_CHARS = "*?["


@dataclass(frozen=True)
class CopiedPath:
    """A path of one stage that another stage reads (``COPY --from`` or ``RUN --mount=from``)."""

    source: str | None  # absolute path (may hold a glob) in the stage read; None: a variable without a value
    into: "Stage"  # the stage whose instruction reads it
    instruction: "Instruction"
    destination: str | None  # where it lands in ``into``; None for a mount or an unknown destination
    kind: str  # "copy" or "mount"

    @property
    def line(self) -> int:
        return self.instruction.start_line


@dataclass
class StageShipping:
    """What of one stage reaches the image(s) of the build."""

    stage: "Stage"
    whole: bool = False  # a target or a FROM ancestor of one
    targets: list["Stage"] = field(default_factory=list)  # the target images this stage reaches
    reads: list[CopiedPath] = field(default_factory=list)  # every read of this stage by another
    paths: list[str] = field(default_factory=list)  # when not whole: paths (globs allowed) that ship
    unknown_paths: bool = False  # a copy that ships uses a path that is not known

    @property
    def ships(self) -> bool:
        """Whether anything of the stage reaches an image."""
        return self.whole or bool(self.paths) or self.unknown_paths

    @property
    def kind(self) -> str:
        """``whole``, ``paths`` or ``nothing``: for messages and ``mllint parse``."""
        return "whole" if self.whole else "paths" if (self.paths or self.unknown_paths) else "nothing"

    def ships_path(self, path: str) -> bool:
        """Whether ``path`` of this stage (a file or a directory) reaches an image, in whole or in part.

        True when the whole stage ships, when a copied path contains ``path``, or when a copied path
        lies inside ``path`` (copying ``/root/.cache/pip/http`` ships part of ``/root/.cache``).
        """
        if self.whole:
            return True
        path = posixpath.normpath(path)
        return any(_covers(shipped, path) or _covers(path, shipped) for shipped in self.paths)


@dataclass
class Shipping:
    """The shipping model of one Dockerfile for one choice of target."""

    targets: list["Stage"]
    target_name: str | None  # as given by --target / the configuration; None: the default
    stages: dict[int, StageShipping]  # by stage index

    def of(self, stage: "Stage") -> StageShipping:
        return self.stages[stage.index]


def unknown_target(dockerfile: "Dockerfile", target: str | None) -> str | None:
    """The problem with a ``--target`` that names no stage of ``dockerfile``, else None."""
    if not target or not dockerfile.stages or dockerfile.stage_named(target) is not None:
        return None
    named = [s.name for s in dockerfile.stages if s.name]
    stages = ", ".join(named) if named else "none of its stages has a name (FROM ... AS <name>)"
    return f"--target {target!r} is not a stage of this Dockerfile (stages: {stages})"


def shipping(dockerfile: "Dockerfile") -> Shipping:
    """The model for ``dockerfile.target`` (computed once per file, kept in ``dockerfile.facts``)."""
    cached = dockerfile.facts.get(KEY)
    if cached is not None:
        return cached
    model = _build(dockerfile, dockerfile.target)
    dockerfile.facts[KEY] = model
    return model


# --------------------------------------------------------------------------- building the model


def _build(dockerfile: "Dockerfile", target: str | None) -> Shipping:
    stages = dockerfile.stages
    result = {stage.index: StageShipping(stage) for stage in stages}
    reads = [read for stage in stages for read in _reads_of(stage)]
    for read, source_stage in reads:
        result[source_stage.index].reads.append(read)
    chosen = dockerfile.stage_named(target) if target else None
    if chosen is not None:
        targets = [chosen]
    else:
        used = {s.parent.index for s in stages if s.parent is not None}
        used |= {source.index for _, source in reads}
        targets = [s for s in stages if s.index not in used or s is stages[-1]] if stages else []
    for image in targets:
        for member in image.lineage:
            entry = result[member.index]
            entry.whole = True
            if image not in entry.targets:
                entry.targets.append(image)
    _propagate_paths(stages, result, reads)
    return Shipping(targets=targets, target_name=target, stages=result)


def _propagate_paths(stages, result: dict[int, StageShipping], reads) -> None:
    """Paths of stages that are only copied from: to a fixed point (copies of copies, FROM chains)."""
    by_reader: dict[int, list[tuple[CopiedPath, "Stage"]]] = {}
    for read, source_stage in reads:
        if read.kind == "copy":
            by_reader.setdefault(read.into.index, []).append((read, source_stage))
    for _ in range(len(stages) + 1):  # each round settles at least one more stage
        changed = False
        for stage in stages:
            here = result[stage.index]
            if not (here.whole or here.paths or here.unknown_paths):
                continue
            for read, source_stage in by_reader.get(stage.index, ()):
                for member in source_stage.lineage:  # a copied path may come from the source's ancestors
                    changed |= _ship_read(here, read, result[member.index])
        if not changed:
            return


def _ship_read(reader: StageShipping, read: CopiedPath, source: StageShipping) -> bool:
    """Record what of ``read.source`` reaches the image through ``reader``; True when that is news."""
    if source.whole:
        return _add_targets(source, reader)
    if read.source is None or read.destination is None:
        if reader.whole or _lands_in(reader, read.destination):
            changed = not source.unknown_paths
            source.unknown_paths = True
            return _add_targets(source, reader) or changed
        return False
    shipped: list[str] = []
    if reader.whole or any(_covers(p, read.destination) for p in reader.paths):
        shipped.append(read.source)
    else:
        for p in reader.paths:  # only part of the destination ships: the matching part of the source
            if _covers(read.destination, p):
                rest = posixpath.relpath(p, read.destination) if p != read.destination else ""
                shipped.append(posixpath.normpath(posixpath.join(read.source, rest)) if rest else read.source)
    changed = False
    for path in shipped:
        if path not in source.paths:
            source.paths.append(path)
            changed = True
    if shipped:
        changed |= _add_targets(source, reader)
    return changed


def _lands_in(reader: StageShipping, destination: str | None) -> bool:
    if destination is None:
        return bool(reader.paths or reader.unknown_paths)
    return any(_covers(p, destination) or _covers(destination, p) for p in reader.paths)


def _add_targets(source: StageShipping, reader: StageShipping) -> bool:
    changed = False
    for image in reader.targets:
        if image not in source.targets:
            source.targets.append(image)
            changed = True
    return changed


# --------------------------------------------------------------------------- reading COPY --from and mounts


def _stage_ref(dockerfile: "Dockerfile", instruction: "Instruction", reference: str):
    """The stage a ``--from`` value names (name or index), or None for an image."""
    expanded = instruction.expand(reference).value
    if expanded is None:
        return None
    if expanded.isdigit():
        index = int(expanded)
        return dockerfile.stages[index] if index < len(dockerfile.stages) else None
    return dockerfile.stage_named(expanded)


def _reads_of(stage: "Stage"):
    """(CopiedPath, stage read) for every ``COPY --from=<stage>`` and ``RUN --mount=from=<stage>`` of ``stage``."""
    dockerfile = stage.dockerfile
    for instruction in stage.instructions:
        if instruction.keyword == "COPY":
            sources = instruction.flag("from")
            if not sources:
                continue
            source_stage = _stage_ref(dockerfile, instruction, sources[-1])
            if source_stage is None:
                continue
            for source, destination in _copy_pairs(instruction):
                yield CopiedPath(source, stage, instruction, destination, "copy"), source_stage
        elif instruction.keyword == "RUN":
            for mount in instruction.mounts:
                reference = mount.get("from")
                if not reference:
                    continue
                source_stage = _stage_ref(dockerfile, instruction, reference)
                if source_stage is None:
                    continue
                source = instruction.expand(mount.get("source") or mount.get("src") or "/").value
                yield CopiedPath(_absolute("/", source), stage, instruction, None, "mount"), source_stage


def _copy_pairs(instruction: "Instruction") -> list[tuple[str | None, str | None]]:
    """(source path in the stage read, destination path here) per source of a ``COPY --from``."""
    if instruction.json_args is not None:
        words = list(instruction.json_args)
    else:
        words = [_unquote(w) for w in split_words(instruction.value, instruction.stage.dockerfile.escape)]
    if len(words) < 2:
        return []
    *sources, dest_word = words
    dest_text = instruction.expand(dest_word).value
    destination = _absolute(instruction.workdir, dest_text) if dest_text is not None else None
    # COPY --from sources are relative to the root of the stage read. A directory's contents land in the
    # destination itself, a file in it (`/dst/`) or as it (`/dst`): the destination contains all three.
    return [(_absolute("/", instruction.expand(word).value), destination) for word in sources]


# --------------------------------------------------------------------------- paths


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def _absolute(base: str | None, path: str | None) -> str | None:
    if path is None:
        return None
    if path.startswith("/"):
        return posixpath.normpath(path) if path != "/" else "/"
    if base is None:
        return None
    return posixpath.normpath(posixpath.join(base, path))


def _has_glob(path: str) -> bool:
    return any(c in path for c in _GLOB_CHARS)


def _covers(prefix: str, path: str) -> bool:
    """Whether ``path`` is ``prefix`` or lies inside it; ``prefix`` components may be globs."""
    if prefix == "/":
        return True
    want = prefix.strip("/").split("/")
    have = path.strip("/").split("/") if path != "/" else []
    if len(have) < len(want):
        return False
    return all(w == h or (_has_glob(w) and fnmatchcase(h, w)) for w, h in zip(want, have))
