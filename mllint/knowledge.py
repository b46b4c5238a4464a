"""The data under ``rules/`` (rule catalogue and ML knowledge tables), loaded once.

The YAML is the source of truth, but parsing it costs more than the rest of a lint run
(~200 ms). So the tables are compiled to JSON, stored under the exact bytes of the YAML they
were compiled from (``mllint.usercache`` framing): the wheel ships one built at packaging time;
a source checkout compiles one on first use into mllint's private cache directory. A snapshot
whose YAML bytes differ from the YAML on disk is never used.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
SNAPSHOT_NAME = "_snapshot.bin"


def rules_dir() -> Path:
    """``mllint/rules`` inside an installed wheel, else ``rules/`` of the checkout."""
    for candidate in (PACKAGE_DIR / "rules", PACKAGE_DIR.parent / "rules"):
        if (candidate / "catalogue").is_dir():
            return candidate
    raise FileNotFoundError("mllint's rules/ directory is missing from this installation")


def _yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.yaml") if p.is_file())


def source_key(root: Path) -> bytes:
    """Every YAML file's path and bytes: a snapshot is valid for exactly these."""
    return b"".join(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0"
                    for path in _yaml_files(root))


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


def _encode(tables: dict[str, Any]) -> bytes:
    return json.dumps(tables, separators=(",", ":"), sort_keys=True).encode()


def write_snapshot(root: Path, target: Path) -> None:
    """Compile ``root`` into the snapshot file ``target`` (the wheel build's hook)."""
    from mllint.usercache import frame

    target.write_bytes(frame(source_key(root), _encode(compile_tables(root))))


def _cache_name(key: bytes) -> str:
    import zlib

    return f"snapshot-{zlib.crc32(key):08x}{len(key):x}"  # an address; the entry holds the whole key


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    from mllint import usercache

    root = rules_dir()
    key = source_key(root)
    try:
        payload = usercache.unframe((PACKAGE_DIR / SNAPSHOT_NAME).read_bytes(), key)
    except OSError:
        payload = None
    if payload is None:
        payload = usercache.load(_cache_name(key), key)
    if payload is not None:
        return json.loads(payload)
    tables = compile_tables(root)
    usercache.store(_cache_name(key), key, _encode(tables))
    return tables


def is_unverified(row: dict, field: str | None = None) -> bool:
    """The knowledge tables' convention: ``unverified: true`` (whole row) or a list of unverified fields."""
    flag = row.get("unverified")
    return flag is True or (field is not None and isinstance(flag, list) and field in flag)


def catalogue() -> dict[str, Any]:
    return load()["catalogue"]


def table(name: str) -> Any:
    """One knowledge table (``rules/knowledge/<name>.yaml``), or {} when absent."""
    return load()["knowledge"].get(name) or {}
