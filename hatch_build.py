"""Compile rules/*.yaml into the wheel's JSON snapshot, so installed runs never parse YAML."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class SnapshotHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        spec = importlib.util.spec_from_file_location("_mllint_knowledge", root / "mllint" / "knowledge.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out_dir = Path(tempfile.mkdtemp(prefix="mllint-snapshot-"))
        target = out_dir / "_snapshot.json"
        module.write_snapshot(root / "rules", target)
        build_data["force_include"][os.fspath(target)] = "mllint/_snapshot.json"
