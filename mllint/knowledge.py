"""The data under ``rules/`` (rule catalogue and ML knowledge tables), loaded once.

The YAML is the source of truth, but parsing YAML costs more than the rest of a
lint run. So the tables are compiled to a JSON snapshot keyed by a digest of
the YAML bytes: the wheel ships one built at packaging time, a source checkout
builds one on first use in the user cache, and a stale snapshot is never used.
"""

from __future__ import annotations

import json
import os

from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
SNAPSHOT_NAME = "_snapshot.json"


def rules_dir() -> Path:
    """``mllint/rules`` inside an installed wheel, else ``rules/`` of the checkout."""
    for candidate in (PACKAGE_DIR / "rules", PACKAGE_DIR.parent / "rules"):
        if (candidate / "catalogue").is_dir():
            return candidate
    raise FileNotFoundError("mllint's rules/ directory is missing from this installation")


def _yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.yaml") if p.is_file())


def digest(root: Path) -> str:
    """A content checksum of the YAML (staleness detection, not security: crc32 is cheap to import)."""
    import zlib

    crc, size = 0, 0
    for path in _yaml_files(root):
        data = path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0"
        crc = zlib.crc32(data, crc)
        size += len(data)
    return f"{crc:08x}{size:x}"


def compile_tables(root: Path) -> dict[str, Any]:
    """Parse every YAML file: ``{"catalogue": {id: entry}, "knowledge": {stem: table}}``."""
    from ruamel.yaml import YAML  # only here: start-up must not pay for it

    yaml = YAML(typ="safe", pure=True)
    catalogue: dict[str, Any] = {}
    knowledge: dict[str, Any] = {}
    for path in _yaml_files(root):
        data = yaml.load(path.read_text(encoding="utf-8"))
        rel = path.relative_to(root)
        if rel.parts[0] == "catalogue":
            if not isinstance(data, dict) or "id" not in data:
                raise ValueError(f"{path}: a catalogue entry needs an id")
            catalogue[str(data["id"])] = data
        else:
            knowledge[path.stem] = data
    return {"catalogue": catalogue, "knowledge": knowledge}


def cache_dir() -> Path:
    from mllint.runcache import cache_dir as path

    return Path(path())


def _read_snapshot(path: Path, want: str) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("digest") != want:
        return None
    return data


def write_snapshot(root: Path, target: Path) -> dict[str, Any]:
    """Compile ``root`` and write the snapshot atomically to ``target``."""
    import tempfile

    data = {"digest": digest(root), **compile_tables(root)}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".snapshot-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, separators=(",", ":"), sort_keys=True)
    os.replace(tmp, target)
    return data


def _note_tables(root: Path) -> None:
    """A recorded run (mllint.runcache) depends on the tables it was judged by."""
    from mllint import runcache  # not at the top: the wheel build hook loads this file on its own

    if runcache.recording is None:
        return
    for path in _yaml_files(root):
        runcache.note_stat(str(path))
        runcache.note_stat(str(path.parent))  # a table added or removed


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    root = rules_dir()
    want = digest(root)
    _note_tables(root)
    for candidate in (PACKAGE_DIR / SNAPSHOT_NAME, cache_dir() / f"snapshot-{want[:16]}.json"):
        data = _read_snapshot(candidate, want)
        if data is not None:
            return data
    try:
        return write_snapshot(root, cache_dir() / f"snapshot-{want[:16]}.json")
    except OSError:
        return {"digest": want, **compile_tables(root)}


def is_unverified(row: dict, field: str | None = None) -> bool:
    """The knowledge tables' convention: ``unverified: true`` (whole row) or a list of unverified fields."""
    flag = row.get("unverified")
    return flag is True or (field is not None and isinstance(flag, list) and field in flag)


def catalogue() -> dict[str, Any]:
    return load()["catalogue"]


def table(name: str) -> Any:
    """One knowledge table (``rules/knowledge/<name>.yaml``), or {} when absent."""
    return load()["knowledge"].get(name) or {}
