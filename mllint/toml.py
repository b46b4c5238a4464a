"""TOML reading on every supported Python: the standard library's tomllib (3.11+), else tomli, its backport
(the same code, a dependency only where tomllib is missing)."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from tomllib import TOMLDecodeError, loads
else:  # pragma: no cover - exercised by CI on Python 3.10
    from tomli import TOMLDecodeError, loads

__all__ = ["TOMLDecodeError", "loads"]
