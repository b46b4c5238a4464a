"""ML017 ``unverified-ml-download``: model weights or wheels fetched at build time, unchecked.

``ADD <url>`` of a model or wheel file without ``--checksum``, and ``curl``/``wget`` of ``*.whl``,
``*.pt``, ``*.pth``, ``*.safetensors``, ``*.onnx``, ``*.gguf``, ``*.bin`` (and ``*.ckpt``) with no
checksum verification (``sha256sum -c`` and its siblings, ``gpg --verify``, ``pip --require-hashes``)
in the same RUN or a later one of the stage. Purely syntactic: reads the command model, no knowledge.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from mllint.context import CheckContext
from mllint.dockerfile import Instruction, Stage
from mllint.rule import Hit

ARTIFACT_SUFFIXES = {
    ".whl": "a wheel", ".pt": "model weights", ".pth": "model weights", ".safetensors": "model weights",
    ".onnx": "an ONNX model", ".gguf": "a GGUF model", ".bin": "model weights", ".ckpt": "a model checkpoint",
}
_DOWNLOADERS = ("curl", "wget")
_HASH_TOOLS = ("sha256sum", "sha512sum", "sha384sum", "sha224sum", "sha1sum", "md5sum", "b2sum", "shasum")


def _artifact(word: str) -> str | None:
    """What a URL word fetches (``"model weights"``), by the file name's suffix; None if not an ML artifact."""
    if "://" not in word:
        return None
    try:
        path = urlsplit(word.strip("\"'")).path
    except ValueError:
        return None
    name = posixpath.basename(unquote(path)).lower()
    for suffix, what in ARTIFACT_SUFFIXES.items():
        if name.endswith(suffix) and len(name) > len(suffix):
            return what
    return None


def _verifies(argv: tuple[str, ...]) -> bool:
    """A command that checks a downloaded file's integrity."""
    if not argv:
        return False
    tool = posixpath.basename(argv[0])
    rest = argv[1:]
    if tool in _HASH_TOOLS and any(a in ("-c", "--check") or (a.startswith("-") and not a.startswith("--")
                                                             and "c" in a[1:]) for a in rest):
        return True
    if tool in ("gpg", "gpgv") and ("--verify" in rest or tool == "gpgv"):
        return True
    if tool == "cosign" and rest[:1] and rest[0].startswith("verify"):
        return True
    return "--require-hashes" in argv or any(a.startswith("--hash=sha256:") for a in argv)


def _verified_from(stage: Stage, instruction: Instruction) -> bool:
    """This RUN, or a later RUN of the stage, verifies a checksum or signature."""
    started = False
    for other in stage.instructions:
        started = started or other is instruction
        if started and other.keyword == "RUN" and any(_verifies(p.command.argv) for p in other.commands):
            return True
    return False


def _download_hits(stage: Stage, instruction: Instruction) -> Iterator[Hit]:
    for placed in instruction.commands:
        argv = placed.command.argv
        if not argv or posixpath.basename(argv[0]) not in _DOWNLOADERS:
            continue
        for word in argv[1:]:
            expanded = instruction.expand(word)
            what = _artifact(expanded.text if expanded.resolved else word)
            if what is None:
                continue
            if _verified_from(stage, instruction):
                return
            tool = posixpath.basename(argv[0])
            fix = ('verify it in the same RUN, e.g. `echo "<sha256>  <file>" | sha256sum -c -`, or use '
                   "`ADD --checksum=sha256:<hash> <url> <dest>`")
            message = (f"`{tool}` downloads {what} ({_short(word)}) at build time with no checksum check: "
                       f"whatever the server returns then (a moved branch, a replaced or tampered file) goes "
                       f"into the image unnoticed; {fix}.")
            yield Hit(message, instruction, line=placed.line, column=placed.column, fix=fix)
            return  # one finding per RUN


def _short(word: str) -> str:
    return f"`{word if len(word) <= 70 else word[:40] + '...' + word[-27:]}`"


def _add_hit(instruction: Instruction) -> Hit | None:
    if instruction.flag("checksum"):
        return None
    sources = list(instruction.json_args or instruction.value.split())[:-1]
    for word in sources:
        expanded = instruction.expand(word)
        word = expanded.text if expanded.resolved else word
        what = _artifact(word)
        if what is None:
            continue
        fix = "add `--checksum=sha256:<hash>` (Dockerfile syntax 1.6 or newer)"
        message = (f"`ADD {_short(word)[1:-1]}` fetches {what} at build time without `--checksum`: whatever the "
                   f"URL serves then (a moved branch, a replaced or tampered file) goes into the image "
                   f"unnoticed; {fix}.")
        return Hit(message, instruction, fix=fix)
    return None


def unverified_ml_download(ctx: CheckContext) -> Iterator[Hit]:
    for stage in ctx.stages:
        for instruction in stage.instructions:
            if instruction.keyword == "ADD":
                hit = _add_hit(instruction)
                if hit is not None:
                    yield hit
            elif instruction.keyword == "RUN":
                yield from _download_hits(stage, instruction)


RULES = {"ML017": unverified_ml_download}
