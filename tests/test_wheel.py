"""The wheel carries rules/ and works from a fresh virtual environment, not from the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile

import pytest
from conftest import FIXTURES, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (path,) = out.glob("mllint_docker-*.whl")
    return path


def test_wheel_contains_rules_and_snapshot(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "mllint/rules/catalogue/ML001.yaml" in names
    assert any(n.startswith("mllint/rules/knowledge/") for n in names)
    assert "mllint/_snapshot.bin" in names
    snapshot = zipfile.ZipFile(wheel).read("mllint/_snapshot.bin")
    tables = json.loads(snapshot[snapshot.index(b'{"catalogue":'):])  # after the YAML it was compiled from
    assert "ML001" in tables["catalogue"]


def test_wheel_and_sdist_carry_the_licence(wheel, tmp_path):
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence  # the full text, not a pointer to it
    archive = zipfile.ZipFile(wheel)
    (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    assert archive.read(name).decode() == licence
    metadata = archive.read(name.replace("licenses/LICENSE", "METADATA")).decode()
    assert "License-Expression: Apache-2.0" in metadata and "License-File: LICENSE" in metadata
    out = tmp_path / "sdist"
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (sdist,) = out.glob("mllint_docker-*.tar.gz")
    import tarfile

    with tarfile.open(sdist) as tar:
        (member,) = [m for m in tar.getmembers() if m.name.endswith("/LICENSE")]
        assert tar.extractfile(member).read().decode() == licence


def test_installed_wheel_runs_in_a_fresh_venv(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   capture_output=True, timeout=600)
    fixture = FIXTURES / "examples" / "cuda-base" / "Dockerfile"
    # run from an unrelated directory, with an empty cache, so nothing comes from the checkout
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    result = subprocess.run([str(bindir / "mllint"), "--format", "json", str(fixture)], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "ML003" in {f["rule_id"] for f in json.loads(result.stdout)["findings"]}
    # `mllint explain` renders the page from the catalogue: the wheel has no docs/ and needs none
    explained = subprocess.run([str(bindir / "mllint"), "explain", "floating-image-tag"], capture_output=True,
                               text=True, cwd=tmp_path, env=env, timeout=120)
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout == (ROOT / "docs" / "rules" / "ML001-floating-image-tag.md").read_text()
    location = subprocess.run([str(bindir / "python"), "-c", "import mllint, mllint.knowledge as k; "
                               "print(mllint.__file__); print(k.rules_dir())"], capture_output=True, text=True,
                              cwd=tmp_path, env=env)
    module_file, rules_dir = location.stdout.split()
    assert str(env_dir) in module_file and str(env_dir) in rules_dir
    compiled = list((tmp_path / "cache").rglob("snapshot-*"))
    assert not compiled, "the wheel's own snapshot should have been used, not a YAML compile"
