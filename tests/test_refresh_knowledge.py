"""scripts/refresh_knowledge.py against recorded index responses (tests/fixtures/refresh): no network."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "tests" / "fixtures" / "refresh"


def _script():
    spec = importlib.util.spec_from_file_location("refresh_knowledge", ROOT / "scripts" / "refresh_knowledge.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


refresh = _script()


@pytest.fixture
def tables(tmp_path):
    """A copy of rules/knowledge/ (it agrees with the recordings); tests then change one fact."""
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "rules" / "knowledge", target)
    return target


def _run(capsys, knowledge: Path, *extra: str) -> tuple[int, str]:
    code = refresh.main(["--knowledge", str(knowledge), "--offline", str(RECORDED), *extra])
    return code, capsys.readouterr().out


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_matching_tables_report_no_difference(capsys, tables):
    code, out = _run(capsys, tables, "--all")
    assert code == 0, out
    assert out.splitlines()[-1].startswith("0 difference(s)")


def test_a_new_companion_release_is_reported_with_its_yaml(capsys, tables):
    _edit(tables / "companions.yaml", '      "0.29.2": ">=2.14.0"', "")
    code, out = _run(capsys, tables, "--only", "companions")
    assert code == 1
    assert 'requires_torch.torchvision.releases."0.29.2": table no row, index ">=2.14.0"' in out
    assert '"0.29.2": ">=2.14.0"  # src: S_WHEEL_META (torchvision-0.29.2-py3-none-manylinux_2_28_x86_64.whl)' in out
    assert 'torchaudio' not in out  # the torchaudio rows match: not even re-read without --all


def test_a_changed_requirement_and_a_stale_checked_through(capsys, tables):
    _edit(tables / "companions.yaml", '"0.0.34": "==2.10.0"', '"0.0.34": "==2.9.0"')
    _edit(tables / "companions.yaml", 'checked_through: "2.11.1"', 'checked_through: "2.11.0"')
    code, out = _run(capsys, tables, "--only", "companions", "--all")
    assert code == 1
    assert 'requires_torch.xformers.releases."0.0.34": table "==2.9.0", index "==2.10.0"' in out
    assert 'requires_torch.torchaudio.checked_through: table "2.11.0", index "2.11.1"' in out
    assert 'requires_torch.torchaudio.releases."2.11.0"' not in out  # null on both sides: no requirement


def test_torch_rows_python_cuda_and_index_variants(capsys, tables):
    _edit(tables / "frameworks.yaml", 'pypi_cuda: "13.2"', 'pypi_cuda: "13.0"')
    _edit(tables / "frameworks.yaml", 'python: {min: "3.11", max: "3.15"}', 'python: {min: "3.11", max: "3.13"}')
    _edit(tables / "frameworks.yaml", 'index_cuda: ["12.6", "13.0", "13.2"]  # src: S_TI_MATRIX\n',
          'index_cuda: ["13.0", "13.2"]  # src: S_TI_MATRIX\n')
    code, out = _run(capsys, tables, "--only", "torch")
    assert code == 1
    assert 'torch.releases."2.15".pypi_cuda: table "13.0", index "13.2"' in out
    assert 'torch.releases."2.15".python: table {"min": "3.11", "max": "3.13"}, index {"min": "3.11", "max": "3.15"}' in out
    assert re.search(r'torch\.releases\."2\.1[23]"\.index_cuda: table \["13\.0", "13\.2"\], index \["12\.6", "13\.0", "13\.2"\]', out)


def test_metadata_helpers():
    assert refresh.torch_requirement(["numpy", "torch (==2.8.0)"]) == "==2.8.0"
    assert refresh.torch_requirement(['torch==2.6.0; platform_system == "Linux"']) == "==2.6.0"
    assert refresh.torch_requirement(["torchvision==0.1", "torch-geometric"]) is None
    assert refresh.bundled_cuda(["nvidia-cuda-runtime-cu12==12.8.90; platform_system == 'Linux'"]) == "12.8"
    assert refresh.bundled_cuda(["cuda-toolkit[cublas,cudart]==13.0.3"]) == "13.0"
    assert refresh.python_tags([{"filename": "torch-2.6.0-cp313-cp313t-manylinux_2_28_x86_64.whl"},
                                {"filename": "torch-2.6.0-cp39-cp39-manylinux1_x86_64.whl"},
                                {"filename": "torch-2.6.0-cp312-none-macosx_11_0_arm64.whl"}]) == ["3.9"]


def test_offline_never_opens_the_network(monkeypatch, capsys, tables):
    def refuse(*args, **kwargs):
        raise AssertionError("network access in a test")

    monkeypatch.setattr(refresh.urllib.request, "urlopen", refuse)
    code, _ = _run(capsys, tables)
    assert code == 0
