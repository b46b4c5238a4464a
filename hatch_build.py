"""Compile rules/*.yaml into the wheel's snapshot, so installed runs never parse YAML (mllint.knowledge)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class SnapshotHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        sys.path.insert(0, str(root))  # this checkout's mllint, whatever else is installed
        try:
            from mllint.knowledge import SNAPSHOT_NAME, write_snapshot
        finally:
            sys.path.remove(str(root))
        target = Path(tempfile.mkdtemp(prefix="mllint-snapshot-")) / SNAPSHOT_NAME
        write_snapshot(root / "rules", target)
        build_data["force_include"][os.fspath(target)] = f"mllint/{SNAPSHOT_NAME}"
