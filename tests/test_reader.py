"""The one file reader (mllint.reader): what the model follows is read through it, once, inside the context."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import TODAY
from mllint.config import discover, load
from mllint.engine import Linter
from mllint.plugins import collect_rules, plugin_manager
from mllint.reader import DIRECTORY, FILE, MISSING, ContextReader, DiskReader, MemoryReader

RULES = collect_rules(plugin_manager(entry_points=False))
THREE_RUNS = ("FROM python:3.11-slim\nCOPY . /app\nWORKDIR /app\n"
              + "RUN pip install --no-cache-dir -r requirements.txt\n" * 3
              + "RUN pip install --no-cache-dir .\n")


class Counting(MemoryReader):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reads: list[str] = []

    def read(self, path, limit):
        self.reads.append(self.real(path))
        return super().read(path, limit)


def lint_with(reader, text: str, path: str = "ctx/Dockerfile", select=("ML002", "ML014")):
    linter = Linter(RULES, select=list(select), today=TODAY, follow_files=True, reader=reader)
    return linter.lint_text(text, path)


def test_an_in_memory_reader_serves_the_dependency_files():
    reader = MemoryReader({"ctx/requirements.txt": "torch\n", "ctx/pyproject.toml":
                           '[project]\nname = "app"\ndependencies = ["transformers"]\n'})
    report = lint_with(reader, THREE_RUNS)
    located = {(f.path, f.span.line, f.rule_id) for f in report.findings}
    assert located == {("ctx/requirements.txt", 1, "ML002"), ("ctx/pyproject.toml", 3, "ML002")}


def test_each_file_is_read_once_per_lint():
    reader = Counting({"ctx/requirements.txt": "torch\n-r more.txt\n", "ctx/more.txt": "numpy\n",
                       "ctx/pyproject.toml": '[project]\nname = "app"\ndependencies = []\n'})
    lint_with(reader, THREE_RUNS)
    assert sorted(reader.reads) == ["/work/ctx/more.txt", "/work/ctx/pyproject.toml", "/work/ctx/requirements.txt"]
    lint_with(reader, THREE_RUNS)  # another lint reads again: an editor's buffer may have changed
    assert len(reader.reads) == 6


def test_nothing_outside_the_context_is_read(tmp_path):
    (tmp_path / "secret.txt").write_text("torch\n")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "link.txt").symlink_to(tmp_path / "secret.txt")
    (context / "inside.txt").write_text("numpy\n")
    (context / "alias.txt").symlink_to(context / "inside.txt")
    view = ContextReader(DiskReader(), str(context))
    assert view.read("../secret.txt") == (None, "../secret.txt is outside the build context")
    assert view.read("link.txt") == (None, "link.txt is outside the build context")
    assert view.read("alias.txt") == ("numpy\n", None)
    assert view.kind("link.txt") == MISSING and view.kind("inside.txt") == FILE and view.kind(".") == DIRECTORY


def test_reasons_name_the_file_as_reported():
    reader = MemoryReader({"ctx/dir/a.txt": "x", "ctx/bad.txt": b"\xff\xfe", "ctx/big.txt": b"x" * 5_000_001})
    view = ContextReader(reader, "ctx")
    assert view.read("dir") == (None, "ctx/dir is a directory")
    assert view.read("none.txt") == (None, "ctx/none.txt is not in the build context")
    assert view.read("bad.txt") == (None, "ctx/bad.txt is not UTF-8 text")
    assert view.read("big.txt") == (None, "ctx/big.txt is larger than 5 MB")
    assert view.listdir(".") == ["bad.txt", "big.txt", "dir"] and view.listdir("dir") == ["a.txt"]


def test_disk_reader_kinds_and_listing(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.txt").write_bytes(b"12345")
    reader = DiskReader()
    assert (reader.kind(str(tmp_path / "sub")), reader.kind(str(tmp_path / "b.txt")),
            reader.kind(str(tmp_path / "none")), reader.kind(str(tmp_path / "b.txt" / "x"))) == \
        (DIRECTORY, FILE, MISSING, MISSING)
    assert reader.listdir(str(tmp_path)) == ["b.txt", "sub"] and reader.listdir(str(tmp_path / "b.txt")) == []
    assert reader.read(str(tmp_path / "b.txt"), 2) == b"123"
    with pytest.raises(IsADirectoryError):
        reader.read(str(tmp_path / "sub"), 10)


def test_configuration_is_found_and_read_through_the_reader():
    reader = MemoryReader({"repo/.git/HEAD": "x", "repo/.mllint.yaml": "ignore: [ML003]\n", "repo/docker/x": ""})
    found = discover(Path("/work/repo/docker"), reader)
    assert found == Path("/work/repo/.mllint.yaml")
    assert load(found, reader=reader).ignore == ["ML003"]
    assert os.path.exists("/work/repo/.mllint.yaml") is False  # nothing came from the disk
