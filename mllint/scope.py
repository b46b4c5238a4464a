"""Variables in force, with a cheap read-only snapshot per instruction.

Every instruction keeps the variables in force before it. Copying the whole
scope for each one makes a file of n ENV lines cost n² (20,000 ENV lines took
15 s); here a snapshot is a version number, and a lookup finds the value the
name had at that version.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping


class Scope:
    """A mutable name -> value map that remembers every assignment."""

    def __init__(self, initial: Mapping[str, str | None] | None = None) -> None:
        self._version = 0
        self._versions: dict[str, list[int]] = {}
        self._values: dict[str, list[str | None]] = {}
        self._order: list[str] = []  # names in order of first assignment
        self._snapshot: Snapshot | None = None
        for name, value in (initial or {}).items():
            self.set(name, value)

    def set(self, name: str, value: str | None) -> None:
        self._version += 1
        self._snapshot = None
        versions = self._versions.get(name)
        if versions is None:
            self._versions[name] = [self._version]
            self._values[name] = [value]
            self._order.append(name)
        else:
            versions.append(self._version)
            self._values[name].append(value)

    def __getitem__(self, name: str) -> str | None:
        return self._values[name][-1]

    def snapshot(self) -> "Snapshot":
        """The variables as they are now; later assignments do not show through."""
        if self._snapshot is None:
            self._snapshot = Snapshot(self, self._version)
        return self._snapshot


class Snapshot(Mapping):
    """Read-only view of a Scope at one version: O(log k) lookups, iteration materialised once."""

    __slots__ = ("_scope", "_version", "_items")

    def __init__(self, scope: Scope, version: int) -> None:
        self._scope = scope
        self._version = version
        self._items: dict[str, str | None] | None = None

    def __getitem__(self, name: str) -> str | None:
        versions = self._scope._versions.get(name)
        if versions is None or versions[0] > self._version:
            raise KeyError(name)
        if versions[-1] <= self._version:
            return self._scope._values[name][-1]
        return self._scope._values[name][bisect_right(versions, self._version) - 1]

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name) -> bool:
        versions = self._scope._versions.get(name)
        return versions is not None and versions[0] <= self._version

    def _dict(self) -> dict[str, str | None]:
        if self._items is None:
            self._items = {name: self[name] for name in self._scope._order if name in self}
        return self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._dict())

    def __repr__(self) -> str:
        return f"Snapshot({self._dict()!r})"
