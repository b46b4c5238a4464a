"""Severity levels and wording of the package rules (ML002, ML006, ML007, ML009).

The fixtures under ``tests/fixtures/rules/`` say where each rule fires; these tests pin down what
fixtures cannot express: the severity of each case (notes vs warnings vs errors), the date input,
and that messages name the offending requirement and the fix.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import TODAY

from mllint import knowledge
from mllint.checks import indexes, packages
from mllint.engine import Linter
from mllint.rule import DOCS_BASE, Rule, RuleMeta, Severity


@pytest.fixture(scope="module")
def rules():
    # Only these modules' rules: the tests must not depend on unrelated rules.
    catalogue = knowledge.catalogue()
    checks = {**packages.RULES, **indexes.RULES}
    return [
        Rule(RuleMeta.from_mapping(catalogue[rid], help_uri=f"{DOCS_BASE}{rid}-{catalogue[rid]['name']}.md"), fn)
        for rid, fn in checks.items()
    ]


@pytest.fixture
def run(rules):
    def _run(text: str, rule: str, today: dt.date = TODAY):
        report = Linter(rules, select=[rule], today=today).lint_text(text, "Dockerfile")
        assert not report.problems, report.problems
        return [(f.line, f.severity, f.message) for f in report.findings]

    return _run


def _severities(found):
    return [severity for _, severity, _ in found]


# --------------------------------------------------------------------------- ML002


@pytest.mark.parametrize("requirement,severity", [
    ("torch", Severity.WARNING),
    ('"torch>=2.0"', Severity.WARNING),
    ('"torch<3"', Severity.WARNING),
    ('"torch==2.4.*"', Severity.INFO),
    ('"torch~=2.4.0"', Severity.INFO),
    ('"torch>=2.4.0,<2.5"', Severity.INFO),
    ("\"torch @ git+https://github.com/pytorch/pytorch@main\"", Severity.INFO),
])
def test_unpinned_severity(run, requirement, severity):
    found = run(f"FROM python:3.11-slim\nRUN pip install --no-cache-dir {requirement}\n", "ML002")
    assert _severities(found) == [severity]
    message = found[0][2]
    assert "torch" in message and message.endswith(".") and len(message) <= 350


def test_unpinned_message_names_requirement_and_fix(run):
    (_, _, message), = run('FROM python:3.11-slim\nRUN pip install --no-cache-dir "tensorflow>=2.15"\n', "ML002")
    assert "`tensorflow>=2.15`" in message and "`tensorflow==<version>`" in message
    assert "CUDA" in message
    (_, _, message), = run("FROM python:3.11-slim\nRUN pip install --no-cache-dir transformers\n", "ML002")
    assert "CUDA" not in message and "`transformers==<version>`" in message
    (_, _, message), = run("FROM continuumio/miniconda3:24.7.1-0\nRUN conda install -y pytorch\n", "ML002")
    assert "`pytorch=<version>`" in message


def test_domain_libraries_follow_an_exact_torch_pin(run):
    text = "FROM python:3.11-slim\nRUN pip install --no-cache-dir torch==2.3.1 torchvision torchaudio\n"
    assert run(text, "ML002") == []
    # outside the releases whose pairing the knowledge base verifies, torchaudio is judged on its own
    text = "FROM python:3.11-slim\nRUN pip install --no-cache-dir torch==2.14.0 torchaudio\n"
    assert _severities(run(text, "ML002")) == [Severity.WARNING]
    # without a torch pin they float
    text = "FROM python:3.11-slim\nRUN pip install --no-cache-dir torch torchvision\n"
    assert len(run(text, "ML002")) == 2


def test_domain_library_of_the_image_torch(run):
    # pytorch/pytorch 2.3.0 ships torchvision 0.18.0 beside its torch, and pip keeps it: pinned in effect
    text = "FROM pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime\nRUN pip install --no-cache-dir torchvision\n"
    assert run(text, "ML002") == []
    assert _severities(run(text.replace("--no-cache-dir", "--no-cache-dir -U"), "ML002")) == [Severity.INFO]
    # an image whose torch version is unknown: a note, as the image may ship it
    unknown = "FROM rocm/pytorch:latest\nRUN pip install --no-cache-dir torchvision\n"
    assert _severities(run(unknown, "ML002")) == [Severity.INFO]


def test_ngc_constraint_file_makes_notes_for_pip_only(run):
    text = ("FROM nvcr.io/nvidia/pytorch:25.03-py3\n"
            "RUN pip install --no-cache-dir transformers\n"
            "RUN uv pip install --system --no-cache transformers\n")
    found = run(text, "ML002")
    assert [(line, sev) for line, sev, _ in found] == [(2, Severity.INFO), (3, Severity.WARNING)]
    assert "/etc/pip/constraint.txt" in found[0][2]
    # before 25.03 there is no constraint file
    assert _severities(run(text.replace("25.03", "25.02"), "ML002")) == [Severity.WARNING, Severity.WARNING]


def test_variable_pins_and_generic_packages_are_silent(run):
    text = ("FROM python:3.11-slim\nARG V\n"
            "RUN pip install --no-cache-dir torch==${V} numpy scipy pandas scikit-image torchmetrics\n")
    assert run(text, "ML002") == []


# --------------------------------------------------------------------------- ML006

PT = "FROM pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime\n"


@pytest.mark.parametrize("command,expected", [
    ("pip install torch", []),
    ("pip install torch==2.3.0", []),
    ("pip install torch==2.3.0+cu121", []),
    ('pip install "torch>=2.0,<2.4"', []),
    ("pip install -U torch==2.3.0", []),
    ("pip install torch==2.3.0+cpu", [Severity.WARNING]),
    ('pip install "torch>=2.4"', [Severity.WARNING]),
    ("pip install -U torch", [Severity.WARNING]),
    ("pip install --force-reinstall torch==2.3.0", [Severity.WARNING]),
    ("uv pip install --system --reinstall-package torch torch", [Severity.WARNING]),
    ("pip install torch==${TORCH}", [Severity.INFO]),
    ("conda install -y pytorch", []),
    ("conda update -y pytorch", [Severity.WARNING]),
])
def test_reinstall_against_known_version(run, command, expected):
    found = run(PT + f"ARG TORCH\nRUN {command}\n", "ML006")
    assert _severities(found) == expected, found


def test_unknown_image_version(run):
    text = "FROM pytorch/pytorch:latest\nRUN pip install --no-cache-dir torch==2.5.1\n"
    found = run(text, "ML006")
    assert _severities(found) == [Severity.INFO]
    assert "can replace" in found[0][2]
    assert run("FROM pytorch/pytorch:latest\nRUN pip install --no-cache-dir torch\n", "ML006") == []
    assert _severities(run("FROM pytorch/pytorch:latest\nRUN pip install -U torch\n", "ML006")) == [Severity.WARNING]


def test_tensorflow_variants(run):
    found = run("FROM tensorflow/tensorflow:2.15.0-gpu\nRUN pip install tensorflow-cpu==2.15.0\n", "ML006")
    assert _severities(found) == [Severity.WARNING]
    # before 2.12 the image may have installed tensorflow-gpu itself: only a note
    found = run("FROM tensorflow/tensorflow:2.11.0-gpu\nRUN pip install tensorflow-gpu==2.11.0\n", "ML006")
    assert _severities(found) == [Severity.INFO]
    assert run("FROM tensorflow/tensorflow:2.15.0-gpu\nRUN pip install tensorflow==2.15.0\n", "ML006") == []


def test_ngc_messages(run):
    found = run("FROM nvcr.io/nvidia/pytorch:24.01-py3\nRUN pip install torch==2.2.0\n", "ML006")
    assert "2.2.0a0+81ea7a4" in found[0][2] and found[0][1] == Severity.WARNING
    found = run("FROM nvcr.io/nvidia/pytorch:25.03-py3\nRUN pip install torch==2.7.0\n", "ML006")
    assert "/etc/pip/constraint.txt" in found[0][2] and "fail" in found[0][2]
    # the Dockerfile empties the constraint file: then pip really replaces NGC's build
    text = ("FROM nvcr.io/nvidia/pytorch:25.03-py3\nRUN : > /etc/pip/constraint.txt\n"
            "RUN pip install torch==2.7.0\n")
    found = run(text, "ML006")
    assert "replaces NGC's own torch build" in found[0][2]
    assert run("FROM nvcr.io/nvidia/pytorch:25.03-py3\nRUN pip install -U torch\n", "ML006") == []


def test_reinstall_after_uninstall(run):
    found = run(PT + "RUN pip uninstall -y torch\nRUN pip install torch\n", "ML006")
    assert [(line, sev) for line, sev, _ in found] == [(3, Severity.WARNING)]


def test_unverified_framework_image_is_a_note(run):
    # framework_images marks nvcr.io/nvidia/paddlepaddle unverified; torch is not its framework anyway,
    # so take a verified row without a version: ghcr.io/nvidia/jax ships jax
    found = run("FROM ghcr.io/nvidia/jax:jax-2024-06-01\nRUN pip install -U jax jaxlib\n", "ML006")
    assert _severities(found) == [Severity.WARNING]
    assert "ghcr.io/nvidia/jax" in found[0][2]


# --------------------------------------------------------------------------- ML007


@pytest.mark.parametrize("requirement,severity", [
    ("tensorflow-gpu", Severity.ERROR),
    ('"tensorflow-gpu~=2.10"', Severity.ERROR),  # >=2.10,<3 admits the 2.12.0 stub
    ("tensorflow-gpu==2.12.0", Severity.ERROR),
    ("tensorflow-gpu==2.10.0", Severity.INFO),
    ('"tensorflow-gpu<2.11"', Severity.INFO),
    ("tf-nightly-gpu", Severity.ERROR),
    ("pytorch", Severity.ERROR),
    ("sklearn", Severity.ERROR),
    ("mxnet", Severity.WARNING),
    ("mxnet-cu112", Severity.WARNING),
    ("nvidia-nccl", Severity.WARNING),
    ('"jax[cuda12_pip]"', Severity.WARNING),
    ('"jax[cuda12_pip]==0.4.30"', Severity.INFO),
    ('"jax[cuda11_pip]"', Severity.INFO),  # the knowledge base marks the CUDA 11 extras unverified
])
def test_deprecated_severity(run, requirement, severity):
    found = run(f"FROM python:3.10-slim\nRUN pip install --no-cache-dir {requirement}\n", "ML007")
    assert _severities(found) == [severity], found
    assert found[0][2].endswith(".") and len(found[0][2]) <= 350


def test_deprecated_messages_name_the_replacement(run):
    (_, _, message), = run("FROM python:3.10-slim\nRUN pip install tensorflow-gpu\n", "ML007")
    assert "tensorflow-gpu" in message and "install tensorflow" in message and "fails" in message
    (_, _, message), = run("FROM python:3.10-slim\nRUN pip install sklearn\n", "ML007")
    assert "scikit-learn" in message
    (_, _, message), = run('FROM python:3.10-slim\nRUN pip install "jax[cuda12_pip]"\n', "ML007")
    assert "jax[cuda12]" in message and "0.6.0" in message


def test_sklearn_escape_hatch_and_brownout(run):
    base = "FROM python:3.11-slim\n"
    found = run(base + "ENV SKLEARN_ALLOW_DEPRECATED_SKLEARN_PACKAGE_INSTALL=True\nRUN pip install sklearn\n", "ML007")
    assert _severities(found) == [Severity.WARNING]
    found = run(base + "RUN SKLEARN_ALLOW_DEPRECATED_SKLEARN_PACKAGE_INSTALL=False pip install sklearn\n", "ML007")
    assert _severities(found) == [Severity.ERROR]
    # before 2023-12-01 the stub failed only in brownout windows: a warning, dated by ctx.today
    found = run(base + "RUN pip install sklearn\n", "ML007", today=dt.date(2023, 6, 1))
    assert _severities(found) == [Severity.WARNING]
    assert "2023-12-01" in found[0][2]


def test_managers_matter(run):
    # the conda package is named pytorch; tensorflow-gpu on conda is not the PyPI stub
    text = "FROM continuumio/miniconda3:24.7.1-0\nRUN conda install -y pytorch tensorflow-gpu cudatoolkit=11.8\n"
    assert run(text, "ML007") == []
    found = run("FROM continuumio/miniconda3:24.7.1-0\nRUN conda install -y cudatoolkit=12.1\n", "ML007")
    assert _severities(found) == [Severity.WARNING] and "cuda-version=12.1" in found[0][2]


# --------------------------------------------------------------------------- ML009


def test_extra_index_messages(run):
    (_, severity, message), = run(
        "FROM python:3.11-slim\nRUN pip install --extra-index-url https://download.pytorch.org/whl/cu121 torch==2.3.1\n",
        "ML009")
    assert severity == Severity.WARNING
    assert "torchtriton" in message and "--index-url" in message
    assert "https://download.pytorch.org/whl/cu121" in message and len(message) <= 350


def test_env_reported_once_and_unresolved_is_a_note(run):
    text = ("FROM python:3.11-slim\nENV PIP_EXTRA_INDEX_URL=https://pypi.example.com/simple\n"
            "RUN pip install a==1\nRUN pip install b==1\n")
    assert [line for line, _, _ in run(text, "ML009")] == [2]
    text = "FROM python:3.11-slim\nARG EXTRA\nENV PIP_EXTRA_INDEX_URL=${EXTRA}\nRUN pip install a==1\n"
    assert [(line, sev) for line, sev, _ in run(text, "ML009")] == [(3, Severity.INFO)]


def test_uv_strategies(run):
    base = "FROM python:3.11-slim\nRUN uv pip install --system --extra-index-url https://x.example/simple {} a==1\n"
    assert run(base.format(""), "ML009") == []
    assert run(base.format("--index-strategy first-index"), "ML009") == []
    assert _severities(run(base.format("--index-strategy unsafe-best-match"), "ML009")) == [Severity.WARNING]
    assert _severities(run(base.format("--index-strategy unsafe-first-match"), "ML009")) == [Severity.INFO]


def test_private_main_index_with_pypi_extra(run):
    (_, _, message), = run(
        "FROM python:3.11-slim\nRUN pip install -i https://pypi.example.com/simple "
        "--extra-index-url https://pypi.org/simple a==1\n", "ML009")
    assert "merge PyPI with `https://pypi.example.com/simple`" in message
