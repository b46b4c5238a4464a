"""ML005's CPU/GPU build checks (mllint.checks.cpu_builds) and the onnxruntime-gpu targets they rely on:
severities, message wording and the edges fixtures cannot name (stdin, the declaring words)."""

from __future__ import annotations

import pytest

from mllint.checks.cpu_builds import _says_cpu
from mllint.dockerfile import parse
from mllint.rule import Severity
from mllint.targets import targets

FEED = "https://aiinfra.pkgs.visualstudio.com/PublicPackages/_packaging/{}/pypi/simple/"


def _ml005(lint, text, path="Dockerfile"):
    return lint(text, select=["ML005"], path=path).findings


def test_cpu_build_after_the_gpu_build_is_a_warning_naming_what_it_overwrites(lint):
    text = ("FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04\n"
            "RUN pip install onnxruntime-gpu==1.20.1\n"
            "RUN pip install rembg==2.0.59 onnxruntime==1.20.1\n")
    (finding,) = _ml005(lint, text)
    assert finding.line == 3 and finding.severity is Severity.WARNING
    assert "overwrites the `onnxruntime-gpu==1.20.1` of line 2" in finding.message
    assert "only the CPU execution provider is left" in finding.message


def test_gpu_build_after_the_cpu_build_is_a_note_unless_force_reinstalled(lint):
    base = "FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04\nRUN pip install paddlepaddle==2.6.2\n"
    (finding,) = _ml005(lint, base + "RUN pip install paddlepaddle-gpu==2.6.2\n")
    assert finding.severity is Severity.INFO and "the `paddle` package" in finding.message
    assert not _ml005(lint, base + "RUN pip install --force-reinstall paddlepaddle-gpu==2.6.2\n")


def test_cpu_build_over_the_ngc_paddle_image_is_a_note(lint):
    (finding,) = _ml005(lint, "FROM nvcr.io/nvidia/paddlepaddle:24.01-py3\nRUN pip install paddlepaddle==2.6.2\n")
    assert finding.severity is Severity.INFO and "the base image's paddlepaddle-gpu" in finding.message


def test_builds_in_different_environments_do_not_meet(lint):
    text = ("FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04\n"
            "RUN pip install onnxruntime-gpu==1.20.1\n"
            "RUN conda create -y -n tools python=3.11 && conda run -n tools pip install onnxruntime==1.20.1\n"
            "RUN pip3.11 install onnxruntime==1.20.1\n")
    assert not _ml005(lint, text)


@pytest.mark.parametrize("name,declares", [
    ("Dockerfile.cpu", True), ("cpu.Dockerfile", True), ("Dockerfile-cpu", True), ("diffusers-pytorch-cpu", True),
    ("runtime_cpu", True), ("Dockerfile", False), ("mycpu", False), ("cpu_offload", False), ("cpu-gpu", False),
    ("cuda-cpu", False), ("cpu-cu121", False), ("cpu-affinity", False),
])
def test_words_that_declare_a_cpu_image(name, declares):
    assert _says_cpu(name) is declares


@pytest.mark.parametrize("text,path,said", [
    ("FROM python:3.11-slim\nRUN pip install torch==2.5.1\n", "docker/Dockerfile.cpu",
     "its file name (Dockerfile.cpu)"),
    ("FROM python:3.11-slim\nRUN pip install torch==2.5.1\n", "docker/cpu/Dockerfile",
     "its file name (cpu/Dockerfile)"),
    ("FROM python:3.11-slim AS inference-cpu\nRUN pip install torch==2.5.1\n", "Dockerfile",
     "the stage name `inference-cpu`"),
    ("FROM rayproject/ray:2.9.0-py310-cpu\nRUN pip install torch==2.5.1\n", "Dockerfile",
     "the base image tag rayproject/ray:2.9.0-py310-cpu"),
    ("FROM python:3.11-slim\nRUN pip install torch==2.5.1 tensorflow-cpu==2.17.0\n", "Dockerfile",
     "`tensorflow-cpu` beside it"),
])
def test_cuda_torch_on_a_cpu_declared_image_names_the_declaration(lint, text, path, said):
    (finding,) = _ml005(lint, text, path)
    assert said in finding.message and "the CUDA 12.4 build" in finding.message
    assert finding.severity is Severity.WARNING and "--index-url https://download.pytorch.org/whl/cpu" in finding.message


def test_no_declaration_no_finding(lint):
    text = "FROM python:3.11-slim\nRUN pip install torch==2.5.1\n"
    assert not _ml005(lint, text, "Dockerfile")
    assert not _ml005(lint, text, "-")  # stdin: no file name to read


def test_a_cpu_stage_that_ships_nothing_is_left_alone(lint):
    text = ("FROM python:3.11-slim AS probe-cpu\nRUN pip install torch==2.5.1\n"
            "FROM python:3.11-slim\nRUN --mount=from=probe-cpu,target=/probe ls /probe\n")
    assert not _ml005(lint, text)


def _ort(line: str):
    install = next(parse(f"FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n{line}\n").installs)
    return [(t.cuda, t.verified, t.evidence) for t in targets(install)]


def test_onnxruntime_gpu_from_microsofts_feeds_targets_the_feeds_cuda():
    assert _ort(f"RUN pip install onnxruntime-gpu --index-url {FEED.format('onnxruntime-cuda-13')}") == [
        ("13", True, "Microsoft's onnxruntime-cuda-13 feed")]
    assert _ort(f"RUN uv pip install --system onnxruntime-gpu==1.17.1 --extra-index-url "
                f"{FEED.format('onnxruntime-cuda-12')}")[0][:2] == ("12", True)
    # as pip's extra index the feed may lose to PyPI's build of the same version (1.17.1: CUDA 11.8)
    assert _ort(f"RUN pip install onnxruntime-gpu==1.17.1 --extra-index-url {FEED.format('onnxruntime-cuda-12')}") == []
    # ... unless both agree
    assert _ort(f"RUN pip install onnxruntime-gpu==1.20.1 --extra-index-url {FEED.format('onnxruntime-cuda-12')}")[0][:2] \
        == ("12", True)
    # the CUDA 11 feed's name is not sourced: its target is unverified
    assert _ort(f"RUN pip install onnxruntime-gpu --index-url {FEED.format('onnxruntime-cuda-11')}")[0][:2] \
        == ("11", False)


@pytest.mark.parametrize("version,cuda", [("1.18.1", "11.8"), ("1.19.2", "12"), ("1.26.0", "12"), ("1.27.0", "13"),
                                          ("1.31.1", "13"), ("1.31.2", None), ("1.32.0", None)])
def test_onnxruntime_gpu_pypi_builds_stop_at_the_newest_checked_release(version, cuda):
    found = _ort(f"RUN pip install onnxruntime-gpu=={version}")
    assert [c for c, _, _ in found] == ([cuda] if cuda else [])
