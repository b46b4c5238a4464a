"""Image and environment rules: what fixtures cannot pin down (dates, severities, wording, data flags).

ML001 floating-image-tag, ML008 nvidia-driver-in-image, ML010 ml-secret-in-image,
ML012 python-version-unsupported, ML013 eol-base-image.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from mllint import knowledge
from mllint.rule import Severity


def _one(report):
    assert not report.problems, report.problems
    assert len(report.findings) == 1, [f.message for f in report.findings]
    return report.findings[0]


# --------------------------------------------------------------------------- ML013 dates

@pytest.mark.parametrize("today,expected", [
    (dt.date(2026, 9, 30), None),  # still supported
    (dt.date(2026, 10, 1), Severity.INFO),  # month-only EOL "2026-10": last month, a note
    (dt.date(2026, 10, 31), Severity.INFO),
    (dt.date(2026, 11, 1), Severity.WARNING),  # EOL from the first day of the following month
    (dt.date(2030, 1, 1), Severity.WARNING),
])
def test_month_only_python_eol_follows_today(lint, today, expected):
    report = lint("FROM python:3.10-slim\n", select=["eol-base-image"], today=today)
    if expected is None:
        assert not report.findings, [f.message for f in report.findings]
        return
    finding = _one(report)
    assert finding.severity is expected
    assert "end of October 2026" in finding.message
    if expected is Severity.WARNING:
        assert "reached end of life" in finding.message
        # the advice is the oldest minor still supported on that day
        assert ("python:3.11-slim" if today.year == 2026 else "python:3.14-slim") in finding.message


@pytest.mark.parametrize("today,fires", [(dt.date(2024, 10, 6), False), (dt.date(2024, 10, 7), True)])
def test_day_precise_python_eol(lint, today, fires):
    report = lint("FROM python:3.8.18-bookworm\n", select=["ML013"], today=today)
    assert bool(report.findings) is fires
    if fires:
        assert "on 2024-10-07" in report.findings[0].message


def test_eol_advice_skips_versions_that_are_eol_too(lint):
    # On 2027-11-01 both 3.10 and 3.11 are EOL: the advice must name 3.12, not 3.11.
    finding = _one(lint("FROM python:3.9\n", select=["ML013"], today=dt.date(2027, 11, 1)))
    assert "python:3.12 or newer" in finding.message


def test_cuda_deleted_tag_is_an_error_scheduled_one_a_note(lint):
    deleted = _one(lint("FROM nvidia/cuda:11.4.0-base-ubuntu22.04\n", select=["ML013"]))
    assert deleted.severity is Severity.ERROR and "manifest unknown" in deleted.message
    # "11.4.0" covers only 11.4.0-* tags, not 11.4.3
    assert not lint("FROM nvidia/cuda:11.4.3-base-ubuntu22.04\n", select=["ML013"]).findings
    before = _one(lint("FROM nvidia/cuda:11.7.1-base-ubuntu20.04\n", select=["ML013"], today=dt.date(2023, 6, 1)))
    after = _one(lint("FROM nvidia/cuda:11.7.1-base-ubuntu20.04\n", select=["ML013"], today=dt.date(2024, 1, 1)))
    assert before.severity is after.severity is Severity.INFO
    assert "expected to fail" in after.message and "expected to fail" not in before.message


# --------------------------------------------------------------------------- ML001 python and JAX tags

def test_python_tags_without_minor_float_but_minor_tags_do_not(lint):
    text = "FROM python:3\nFROM python:3-slim-bookworm\nFROM python:3.12\nFROM python:3.12-slim-bookworm\n"
    report = lint(text, select=["ML001"])
    assert [f.line for f in report.findings] == [1, 2]
    assert all(f.severity is Severity.WARNING and "minor" in f.message for f in report.findings)


def test_jax_toolbox_nightly_only_for_undated_names(lint):
    text = "FROM ghcr.io/nvidia/jax:pax\nFROM ghcr.io/nvidia/jax:pax-2024-03-01\nFROM ghcr.io/nvidia/jax:0.4.26\n"
    report = lint(text, select=["ML001"])
    assert [f.line for f in report.findings] == [1]
    assert "nightly" in report.findings[0].message


# --------------------------------------------------------------------------- ML008 severities

def test_driver_severity_follows_the_knowledge(lint):
    sourced = _one(lint("FROM ubuntu:22.04\nRUN apt-get install -y libnvidia-compute-550\n", select=["ML008"]))
    third_party = _one(lint("FROM ubuntu:22.04\nRUN apt-get install -y nvidia-driver-550\n", select=["ML008"]))
    toolkit = _one(lint("FROM ubuntu:22.04\nRUN apt-get install -y nvidia-container-toolkit\n", select=["ML008"]))
    assert sourced.severity is Severity.WARNING and "Driver/library version mismatch" in sourced.message
    assert third_party.severity is Severity.INFO and "likely" in third_party.message
    assert toolkit.severity is Severity.INFO


def test_meta_package_message_names_the_driverless_replacement(lint):
    finding = _one(lint("FROM ubuntu:22.04\nRUN apt-get install -y cuda-12-4\n", select=["ML008"]))
    assert "cuda-toolkit-12-4" in finding.message


def _edit_table(monkeypatch, table: str, edit) -> None:
    """Serve a deep copy of one knowledge table with ``edit(data)`` applied, for this test only."""
    real = knowledge.table

    def patched(name):
        data = real(name)
        if name != table:
            return data
        data = copy.deepcopy(data)
        edit(data)
        return data

    monkeypatch.setattr(knowledge, "table", patched)


def test_unverified_policy_caps_driver_findings_at_info(lint, monkeypatch):
    _edit_table(monkeypatch, "packages", lambda data: data["nvidia_host_packages"]["policy"].update(
        unverified=["must_not_install_driver_in_image"]))
    finding = _one(lint("FROM ubuntu:22.04\nRUN apt-get install -y libnvidia-compute-550\n", select=["ML008"]))
    assert finding.severity is Severity.INFO


# --------------------------------------------------------------------------- ML010 wording

SECRET = "hf_Zq8KfakeTOKENvalue1234567890abcd"


def test_secret_values_are_never_repeated(lint):
    text = (f"FROM python:3.11-slim\nARG HF_TOKEN={SECRET}\nENV HUGGING_FACE_HUB_TOKEN={SECRET}\n"
            f"RUN HF_TOKEN={SECRET} python dl.py && huggingface-cli login --token {SECRET}\n")
    report = lint(text, select=["ML010"])
    assert [f.line for f in report.findings] == [2, 3, 4, 4]
    for finding in report.findings:
        assert SECRET not in finding.message and SECRET[:8] not in finding.message
        assert finding.severity is Severity.ERROR
        assert "--mount=type=secret" in finding.message


def test_third_party_secret_name_is_info_unless_used_as_a_login_token(lint):
    alone = _one(lint("FROM python:3.11-slim\nARG HUGGINGFACE_TOKEN\n", select=["ML010"]))
    used = lint("FROM python:3.11-slim\nARG HUGGINGFACE_TOKEN\n"
                "RUN huggingface-cli login --token ${HUGGINGFACE_TOKEN}\n", select=["ML010"])
    assert alone.severity is Severity.INFO
    assert _one(used).severity is Severity.ERROR


def test_env_secret_line_is_the_line_of_the_key(lint):
    text = "FROM python:3.11-slim\nENV A=1 \\\n    B=2 \\\n    WANDB_API_KEY=abc123def456\n"
    assert _one(lint(text, select=["ML010"])).line == 4


# --------------------------------------------------------------------------- ML012 data and severities

@pytest.mark.parametrize("python,fires", [("3.10", False), ("3.11", False), ("3.12", True)])
def test_torch_1_13_has_python_3_11_wheels(lint, python, fires):
    # PyPI has cp311 wheels for torch 1.13.x although its official matrix says 3.7-3.10.
    report = lint(f"FROM python:{python}-slim\nRUN pip install torch==1.13.1\n", select=["ML012"])
    assert bool(report.findings) is fires


def test_unverified_python_gives_info_and_hedged_wording(lint):
    finding = _one(lint("FROM nvcr.io/nvidia/pytorch:24.03-py3\nRUN pip install jax==0.11.0\n", select=["ML012"]))
    assert finding.severity is Severity.INFO
    assert "probably runs" in finding.message and "No matching distribution" not in finding.message


def test_verified_mismatch_quotes_pip_and_suggests_a_release(lint):
    text = "FROM ubuntu:20.04\nRUN apt-get install -y python3-pip && pip3 install torch==2.9.0\n"
    finding = _one(lint(text, select=["ML012"]))
    assert finding.severity is Severity.ERROR
    assert "'No matching distribution found for torch==2.9.0'" in finding.message
    assert "torch 2.4.x" in finding.message  # the newest release with Python 3.8 wheels


def test_advice_names_the_true_newest_release_for_that_python(lint):
    # torch 2.15 needs Python >= 3.11; 2.14 (3.10-3.14 on PyPI) is the newest with 3.10 wheels, not 2.13
    finding = _one(lint("FROM python:3.10-slim\nRUN pip install torch==2.15.0\n", select=["ML012"]))
    assert "pin torch 2.14.x (its newest release with Python 3.10 wheels)" in finding.message


def test_advice_is_left_out_when_a_release_of_unknown_range_could_be_the_answer(lint, monkeypatch):
    _edit_table(monkeypatch, "frameworks", lambda data: data["torch"]["releases"]["2.14"].update(
        python={"min": "3.10", "max": None}))
    finding = _one(lint("FROM python:3.10-slim\nRUN pip install torch==2.15.0\n", select=["ML012"]))
    assert "pin torch" not in finding.message  # 2.13 would be a wrong "newest"


@pytest.mark.parametrize("pin,fires", [("cupy-cuda12x==14.2.0", True), ("cupy-cuda12x==14.3.0", False)])
def test_cupy_python_range_stops_at_the_newest_checked_release(lint, pin, fires):
    # 14.0.0-14.2.0 have wheels for CPython 3.10-3.14 only; a newer 14.x is unknown, never judged
    report = lint(f"FROM python:3.15-slim\nRUN pip install {pin}\n", select=["ML012"])
    assert bool(report.findings) is fires


def test_interpreter_named_by_the_command_wins_over_the_image(lint):
    text = "FROM python:3.12-slim\nRUN python3.9 -m pip install torch==2.9.0 && pip install torch==2.9.0\n"
    finding = _one(lint(text, select=["ML012"]))
    assert "Python 3.9" in finding.message and "python3.9 -m pip" in finding.message


def test_python_switch_before_the_install_silences_the_default(lint):
    text = ("FROM python:3.8-slim\nRUN pip install uv && uv venv --python 3.12 /venv\n"
            "ENV VIRTUAL_ENV=/venv PATH=/venv/bin:$PATH\nRUN pip install torch==2.9.0\n")
    assert not lint(text, select=["ML012"]).findings
