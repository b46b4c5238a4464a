"""Pins in effect (``mllint.resolution``): why a requirement without an exact version resolves to one."""

from __future__ import annotations

import json

from conftest import run_cli

from mllint.dockerfile import parse
from mllint.resolution import companion_of, pinned_in_effect, shipped_frameworks
from mllint.installs import parse_version


def reasons(text: str) -> list[tuple[int, str, str | None, str | None]]:
    """(line, requirement, reason, version) for every named requirement without an exact version."""
    model = parse(text)
    out = []
    for install in model.installs:
        for requirement in install.requirements:
            if requirement.name and not requirement.exact_version and install.manager in ("pip", "uv", "conda"):
                found = pinned_in_effect(install, requirement)
                out.append((install.line, requirement.name, found.reason if found else None,
                            found.version if found else None))
    return out


def test_exact_elsewhere_in_the_same_install():
    assert reasons("FROM python:3.11\nRUN pip install 'transformers>=4' transformers==4.44.2\n") == [
        (2, "transformers", "exact-elsewhere", "4.44.2")]


def test_companions_of_an_exact_or_wildcard_torch_pin():
    text = ("FROM python:3.11\nRUN pip install torch==2.4.1 torchvision torchaudio\n"
            "RUN pip install 'torch==2.2.1.*' torchvision\n"
            "RUN conda install -y pytorch=2.1 torchvision\n"
            "RUN pip install torch==2.14.0 torchvision\n")
    assert reasons(text) == [
        (2, "torchvision", "companion", "0.19.1"), (2, "torchaudio", "companion", "2.4.1"),
        (3, "torch", None, None), (3, "torchvision", "companion", "0.17.1"),
        (4, "pytorch", None, None),
        (4, "torchvision", "companion", None),  # some 2.1.x: the matching release, version unknown
        (5, "torchvision", None, None),  # torchvision 0.29.x accepts torch >= 2.14: not fixed
    ]


def test_companion_beside_a_variable_and_not_beside_an_unpinned_torch():
    text = ("FROM python:3.11\nARG V\nRUN pip install $V torchvision\n"
            "RUN pip install torch torchvision\n")
    assert reasons(text) == [(3, "torchvision", "companion-variable", None),
                             (4, "torch", None, None), (4, "torchvision", None, None)]


def test_base_image_keeps_a_satisfying_version_unless_upgraded():
    image = "FROM pytorch/pytorch:2.4.1-cuda12.1-cudnn9-runtime\n"
    assert reasons(image + "RUN pip install 'torch>=2.1' 'torchvision>=0.18' torchaudio\n") == [
        (2, "torch", "base-image", "2.4.1"), (2, "torchvision", "base-image", "0.19.1"),
        (2, "torchaudio", "base-image", "2.4.1")]
    assert reasons(image + "RUN pip install -U 'torch>=2.1'\n") == [(2, "torch", None, None)]
    assert reasons(image + "RUN pip install 'torch>=2.5'\n") == [(2, "torch", None, None)]  # not satisfied
    assert reasons(image + "RUN uv pip install --system -P torchvision torchvision 'torch>=2'\n") == [
        (2, "torchvision", None, None), (2, "torch", "base-image", "2.4.1")]
    # a venv is another environment
    assert reasons(image + "ENV VIRTUAL_ENV=/venv\nRUN pip install 'torch>=2.1'\n") == [(3, "torch", None, None)]


def test_a_third_party_image_that_names_its_torch_in_the_tag():
    model = parse("FROM hiyouga/pytorch:th2.6.0-cu124-flashattn2.7.4-devel\n")
    torch = shipped_frameworks(model.stages[0])["torch"]
    assert (torch.version, torch.verified) == ("2.6.0", False)
    assert "torch" not in shipped_frameworks(parse("FROM acme/app:pt2.6.0\n").stages[0])  # repo is no torch image


def test_constraints_files_not_read_may_pin():
    text = "FROM python:3.11\nRUN pip install -c /c.txt transformers\nENV PIP_CONSTRAINT=/c.txt\nRUN pip install peft\n"
    assert [r[2] for r in reasons(text)] == ["constraint", "constraint"]


def test_companion_table():
    assert companion_of("torchvision", parse_version("2.6.0")) == ("0.21.0", True)
    assert companion_of("torchaudio", parse_version("2.11.0")) == (None, False)  # torchaudio 2.11.x: open range


def test_parse_shows_the_reasons(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM python:3.11\nRUN pip install torch==2.4.1 torchvision\n")
    data = json.loads(run_cli("parse", str(path)).stdout)
    install = next(i for i in data["instructions"] if i["instruction"] == "RUN")["installs"][0]
    assert install["in_effect"] == [{"requirement": "torchvision", "pinned_in_effect": {
        "reason": "companion", "detail": "`torch==2.4.1` in the same install fixes it to 0.19.1", "version": "0.19.1"}}]
