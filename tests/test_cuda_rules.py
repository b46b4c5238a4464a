"""The CUDA rules (ML004 cuda-wheel-mismatch, ML005 cpu-wheel-on-gpu-image, ML011 missing-cuda-component):
severity levels, message wording and the seed's example images, which fixtures cannot express."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import FIXTURES

from mllint import knowledge
from mllint.checks import cuda
from mllint.dockerfile import parse
from mllint.engine import Linter
from mllint.rule import DOCS_BASE, Rule, RuleMeta, Severity
from mllint.targets import targets

CUDA_RULES = ("ML004", "ML005", "ML011")


def _rules():
    catalogue = knowledge.catalogue()
    return [
        Rule(RuleMeta.from_mapping(catalogue[i], help_uri=f"{DOCS_BASE}{i}-{catalogue[i]['name']}.md"), check)
        for i, check in cuda.RULES.items()
    ]


def lint(text: str, *rule_ids: str):
    """Only the CUDA rules, so the test does not depend on other modules' rules."""
    linter = Linter(_rules(), select=rule_ids or CUDA_RULES, today=dt.date(2026, 11, 24))
    report = linter.lint_text(text, "Dockerfile")
    assert not report.problems, report.problems
    return report.findings


def one(text: str, rule_id: str):
    findings = lint(text, rule_id)
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


# ---------------------------------------------------------------------------
# The seed's example images
# ---------------------------------------------------------------------------

# What a senior ML engineer would report for tests/fixtures/examples/*/Dockerfile:
#
# * cuda-base (nvidia/cuda:11.8.0-base-ubuntu20.04):
#   - torch/torchvision from the cu118 index on a CUDA 11.8 image: the CUDAs match (no ML004), and
#     torch brings its own CUDA libraries as wheels, so the -base flavour is enough for it (no ML011).
#   - tensorflow==2.13.0 was built and tested with CUDA 11.8: it matches the image (no ML004). But it
#     loads the *system's* cuDNN, and the -base flavour has only libcudart; TensorFlow < 2.14 has no
#     [and-cuda] extra and cannot use pip CUDA wheels, so at run time it silently runs on the CPU:
#     ML011, error, at the `pip3 install tensorflow==2.13.0` command (line 11).
#   - Nothing installs a CPU-only build (no ML005).
#   (The unpinned torch behind --extra-index-url may resolve to a newer PyPI torch than the cu118
#   index offers; the knowledge base marks that caveat unverified and it is an index-choice problem,
#   not a comparison of known CUDA versions, so these rules do not report it.)
# * python-slim (python:3.9-slim): not a GPU image and no CUDA in it: no CUDA findings; the torch in
#   requirements.txt is not visible to the rules (and would be the PyPI CUDA build, a size concern).
# * tensorflow-gpu (tensorflow/tensorflow:2.12.0-gpu): the image's CUDA is only an unverified
#   expectation, and requirements.txt holds no framework build: no CUDA findings.
EXPECTED_EXAMPLES = {
    "cuda-base": [("ML011", 11, Severity.ERROR)],
    "python-slim": [],
    "tensorflow-gpu": [],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_EXAMPLES))
def test_seed_examples(name):
    text = (FIXTURES / "examples" / name / "Dockerfile").read_text(encoding="utf-8")
    found = [(f.rule_id, f.span.line, f.severity) for f in lint(text)]
    assert found == EXPECTED_EXAMPLES[name]


def test_seed_example_message():
    text = (FIXTURES / "examples" / "cuda-base" / "Dockerfile").read_text(encoding="utf-8")
    (finding,) = lint(text)
    for part in ("`tensorflow==2.13.0`", "cuDNN", "nvidia/cuda:11.8.0-base-ubuntu20.04", "base flavour",
                 "silently runs on the CPU", "11.8.0-cudnn8-runtime-ubuntu20.04"):
        assert part in finding.message


# ---------------------------------------------------------------------------
# ML004 cuda-wheel-mismatch
# ---------------------------------------------------------------------------

def test_system_cuda_major_mismatch_is_an_error_with_both_sources():
    finding = one("FROM nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04\nRUN pip install tensorflow==2.13.0\n", "ML004")
    assert finding.severity is Severity.ERROR
    message = finding.message
    assert "CUDA 11.8" in message and "CUDA 12.1.0" in message
    assert "tested build configuration" in message and "(its tag)" in message
    assert "falls back to the CPU" in message


def test_bundled_major_mismatch_is_a_warning_with_the_matching_index():
    finding = one(
        "FROM nvidia/cuda:12.4.1-devel-ubuntu22.04\n"
        "RUN pip install torch==2.5.1 torchvision==0.20.1 torchaudio==2.5.1 \\\n"
        "    --index-url https://download.pytorch.org/whl/cu118\n",
        "ML004",
    )
    assert finding.severity is Severity.WARNING
    # one finding for the three packages of one index, naming them
    assert all(f"`{p}" in finding.message for p in ("torch==", "torchvision==", "torchaudio=="))
    assert "https://download.pytorch.org/whl/cu124" in finding.message  # the fix: the image's CUDA
    assert "nvcc" in finding.message  # a devel image: extension builds break on the major mismatch


def test_bundled_mismatch_on_runtime_image_does_not_talk_about_nvcc():
    finding = one(
        "FROM nvidia/cuda:11.8.0-runtime-ubuntu22.04\nRUN pip install torch==2.4.1\n", "ML004")
    assert finding.severity is Severity.WARNING
    assert "nvcc" not in finding.message
    assert "driver (>= 525)" in finding.message  # CUDA 12 wheels on a CUDA 11 image need a newer driver
    assert "whl/cu118" in finding.message


def test_unverified_image_cuda_caps_at_info():
    # NGC release CUDA versions are unverified in the knowledge base
    finding = one("FROM nvcr.io/nvidia/pytorch:24.07-py3\nRUN pip install tensorflow==2.13.0\n", "ML004")
    assert finding.severity is Severity.INFO
    assert "likely has CUDA" in finding.message


def test_env_cuda_version_on_unknown_image_is_info_and_on_cpu_image_silent():
    text = "FROM registry.example.com/base:1\nENV CUDA_VERSION=12.1.0\nRUN pip install cupy-cuda11x==12.3.0\n"
    assert one(text, "ML004").severity is Severity.INFO
    assert lint("FROM python:3.11\nENV CUDA_VERSION=12.1.0\nRUN pip install cupy-cuda11x==12.3.0\n", "ML004") == []


def test_tensorrt_variant_is_a_warning_on_major_mismatch_only():
    assert one("FROM nvidia/cuda:11.8.0-runtime-ubuntu22.04\nRUN pip install tensorrt-cu12==10.3.0\n",
               "ML004").severity is Severity.WARNING
    assert lint("FROM nvidia/cuda:12.1.0-runtime-ubuntu22.04\nRUN pip install tensorrt-cu12==10.3.0\n", "ML004") == []


def test_newer_minor_of_system_cuda_package_is_info_but_bundled_minor_is_silent():
    text = "FROM nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04\nRUN pip install tensorflow==2.15.0\n"
    assert one(text, "ML004").severity is Severity.INFO
    text = "FROM nvidia/cuda:12.1.0-cudnn8-runtime-ubuntu22.04\nRUN pip install torch==2.5.1\n"  # bundles 12.4
    assert lint(text, "ML004") == []


def test_tensorflow_next_to_pip_cuda_wheels_is_capped_at_info():
    # TF >= 2.14 can load CUDA 12 from the nvidia-*-cu12 wheels torch brings: not a certain failure.
    text = ("FROM nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04\n"
            "RUN pip install torch==2.4.1 tensorflow==2.15.0\n")
    findings = {f.message.split("`")[1]: f.severity for f in lint(text, "ML004")}
    assert findings["tensorflow==2.15.0"] is Severity.INFO
    assert findings["torch==2.4.1"] is Severity.WARNING


def test_one_finding_per_command_and_cuda():
    text = ("FROM nvidia/cuda:12.1.0-runtime-ubuntu22.04\n"
            "RUN pip install torch==2.0.1+cu117 torchvision==0.15.2+cu117 && pip install torchaudio==2.0.2+cu117\n")
    assert [f.span.line for f in lint(text, "ML004")] == [2, 2]


# ---------------------------------------------------------------------------
# ML005 cpu-wheel-on-gpu-image
# ---------------------------------------------------------------------------

def test_cpu_torch_on_pytorch_image_says_it_replaces_the_cuda_torch():
    finding = one("FROM pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime\n"
                  "RUN pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cpu\n", "ML005")
    assert finding.severity is Severity.WARNING
    assert "replacing its CUDA torch" in finding.message
    assert "https://download.pytorch.org/whl/cu121" in finding.message


def test_plain_jax_needs_a_cuda_image_and_no_cuda_jax_anywhere():
    # a TensorFlow GPU image has no known CUDA: plain jax there is not judged
    assert lint("FROM tensorflow/tensorflow:2.15.0-gpu\nRUN pip install jax==0.4.35\n", "ML005") == []
    # a CUDA jax installed in a later stage built on this one
    text = ("FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 AS a\nRUN pip install jax==0.4.35\n"
            "FROM a AS b\nRUN pip install jax-cuda12-plugin==0.4.35\n")
    assert lint(text, "ML005") == []


# ---------------------------------------------------------------------------
# ML011 missing-cuda-component
# ---------------------------------------------------------------------------

def test_tensorflow_and_cuda_on_base_image_is_fine_but_before_2_14_the_extra_does_not_exist():
    assert lint("FROM nvidia/cuda:12.4.1-base-ubuntu22.04\nRUN pip install 'tensorflow[and-cuda]==2.17.0'\n",
                "ML011") == []
    finding = one("FROM nvidia/cuda:11.8.0-base-ubuntu22.04\nRUN pip install 'tensorflow[and-cuda]==2.13.0'\n",
                  "ML011")
    assert finding.severity is Severity.ERROR


def test_pip_cuda_libraries_cap_missing_cudnn_at_info():
    text = "FROM nvidia/cuda:12.4.1-base-ubuntu22.04\nRUN pip install torch==2.5.1 onnxruntime-gpu==1.19.2\n"
    finding = one(text, "ML011")
    assert finding.severity is Severity.INFO
    assert "unless it finds the pip nvidia-* libraries" in finding.message


def test_unverified_needs_are_info():
    finding = one("FROM nvidia/cuda:11.2.2-base-ubuntu20.04\nRUN pip install paddlepaddle-gpu==2.5.2\n", "ML011")
    assert finding.severity is Severity.INFO


def test_compile_on_pytorch_runtime_image_is_info_because_nvcc_absence_is_unverified():
    text = ("FROM pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime\n"
            "RUN FLASH_ATTENTION_FORCE_BUILD=TRUE pip install --no-build-isolation flash-attn==2.6.3\n")
    finding = one(text, "ML011")
    assert finding.severity is Severity.INFO
    assert "likely has no nvcc" in finding.message
    assert "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-devel" in finding.message


@pytest.mark.parametrize("provider", [
    "apt-get install -y cuda-toolkit-12-4",
    "/opt/conda/bin/conda install -y -c nvidia cuda-nvcc",
])
def test_nvcc_installed_before_the_build_counts(provider):
    text = ("FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n"
            "ENV FLASH_ATTENTION_FORCE_BUILD=TRUE\n"
            f"RUN {provider} && pip install --no-build-isolation flash-attn==2.6.3\n")
    assert lint(text, "ML011") == []


def test_compile_message_names_what_is_missing_and_the_fix():
    finding = one("FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\nENV FLASH_ATTENTION_FORCE_BUILD=TRUE\n"
                  "RUN pip install flash-attn==2.6.3\n", "ML011")
    assert finding.severity is Severity.ERROR
    for part in ("no nvcc", "runtime flavour", "fails at the compile step", "nvidia/cuda:12.4.1-devel-ubuntu22.04"):
        assert part in finding.message


# ---------------------------------------------------------------------------
# targets.py additions
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("spec,bundles", [
    ("cupy-cuda12x[ctk]==13.3.0", False),
    ("cupy-cuda12x[ctk]==14.0.0", True),
    ("cupy-cuda12x[ctk]", True),
    ("cupy-cuda12x[ctk]<14", False),
    ("cupy-cuda11x[ctk]", False),
    ("cupy-cuda12x==14.0.0", False),
])
def test_cupy_ctk_bundles_only_from_v14(spec, bundles):
    install = next(parse(f"FROM python:3.11\nRUN pip install '{spec}'\n").installs)
    (target,) = targets(install)
    assert target.bundles is bundles


def test_conda_cpuonly_is_a_cpu_target():
    install = next(parse("FROM python:3.11\nRUN conda install -y pytorch cpuonly -c pytorch\n").installs)
    assert [(t.package, t.cpu_only) for t in targets(install)] == [("cpuonly", True)]


def test_variables_are_expanded_from_env_and_unknown_ones_are_left_alone():
    text = "FROM python:3.11\nENV V=2.4.1\nARG W\nRUN pip install torch==${V} torch==${W}\n"
    install = next(parse(text).installs)
    assert [(t.requirement.raw, t.cuda) for t in targets(install)] == [("torch==2.4.1", "12.1")]


@pytest.mark.parametrize("line,cuda", [
    ("ENV PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cu118", "11.8"),
    ("ENV PIP_INDEX_URL=https://pypi.tuna.tsinghua.edu.cn/simple", "12.1"),  # a PyPI mirror: the PyPI wheel
    ("ENV PIP_INDEX_URL=https://artifacts.example.com/api/pypi/ml/simple", "12.1"),
    ("ENV PIP_INDEX_URL=https://artifacts.example.com/torch-wheels", None),  # may host its own torch builds
])
def test_index_urls_from_env(line, cuda):
    install = next(parse(f"FROM python:3.11\n{line}\nRUN pip install torch==2.4.1\n").installs)
    assert [t.cuda for t in targets(install)] == ([cuda] if cuda else [])
