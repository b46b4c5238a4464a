"""The companion table and its reader: which torch each torchvision/torchaudio/xformers release needs."""

from mllint import torch_companions as tc


def test_required_torch_from_wheel_metadata():
    assert str(tc.required_torch("torchvision", "0.16.0")) == "==2.1.0"
    assert str(tc.required_torch("torchvision", "0.16.0+cu118")) == "==2.1.0"  # local version ignored
    assert str(tc.required_torch("torchaudio", "2.0.2")) == "==2.0.1"  # 2.0.x is one ahead
    assert str(tc.required_torch("xformers", "0.0.29.post1")) == "==2.5.1"
    assert str(tc.required_torch("torchvision", "0.29.2")) == ">=2.14.0"


def test_unknown_or_undeclared_is_none():
    assert tc.required_torch("torchaudio", "2.11.0") is None  # the wheel declares no torch requirement
    assert tc.required_torch("torchvision", "0.99.0") is None  # not in the table: unknown
    assert tc.required_torch("numpy", "2.0.0") is None
    assert tc.required_torch("torchvision", "not-a-version") is None


def test_accepting_releases_says_when_a_pin_decides():
    assert tc.accepting_releases("torchvision", "2.1.0") == (["0.16.0"], False)
    assert tc.accepting_releases("torchvision", "2.1.0+cu121") == (["0.16.0"], False)
    assert tc.accepting_releases("torchaudio", "2.0.1") == (["2.0.2"], False)
    found, open_ended = tc.accepting_releases("torchvision", "2.14.0")
    assert found == ["0.29.0", "0.29.1", "0.29.2"] and open_ended  # >=2.14.0: later releases may match
    assert tc.accepting_releases("torchvision", "2.99.0") == (["0.29.1", "0.29.2"], True)  # open-ended
    assert tc.accepting_releases("torchaudio", "1.0.0") == ([], True)  # nothing known for it


def test_paired_release_only_when_the_pin_decides():
    assert tc.paired_release("torchvision", "2.8.0") == "0.23.0"
    assert tc.paired_release("torchaudio", "2.0.0") == "2.0.1"
    assert tc.paired_release("torchvision", "2.14.0") is None  # 0.29.1+ accept torch>=2.14.0
    assert tc.paired_release("torchaudio", "2.12.0") is None  # 2.11.0 declares nothing, 2.11.1 >=2.11
    assert tc.paired_release("torchvision", "1.10.0") is None  # older than the table


def test_same_minor_and_build_tags():
    assert "intel-extension-for-pytorch" in tc.same_minor_packages()
    tag = tc.build_tag_torch("torch_scatter", local_version="pt21cu118")
    assert tag is not None and tag.torch == (2, 1) and tag.evidence == "+pt21cu118"
    tag = tc.build_tag_torch("torch-sparse", find_links=("https://data.pyg.org/whl/torch-2.3.0+cpu.html",))
    assert tag is not None and tag.torch == (2, 3)
    url = ("https://github.com/Dao-AILab/flash-attention/releases/download/v2.5.8/"
           "flash_attn-2.5.8+cu122torch2.3cxx11abiFALSE-cp310-cp310-linux_x86_64.whl")
    tag = tc.build_tag_torch("flash-attn", url=url)
    assert tag is not None and tag.torch == (2, 3)
    assert tc.build_tag_torch("flash-attn") is None
    assert tc.build_tag_torch("torch-scatter", local_version="cu118") is None


def _ml015(lint, text):
    return [(f.line, str(f.severity)) for f in lint(text, select=["ML015"]).findings]


def test_severity_follows_what_breaks(lint):
    same = "FROM python:3.11-slim\nRUN pip install torch==2.1.0 torchvision==0.17.0\n"
    assert _ml015(lint, same) == [(2, "error")]  # the resolver stops the build
    later = "FROM python:3.11-slim\nRUN pip install torch==2.1.0\nRUN pip install torchvision==0.17.0\n"
    assert _ml015(lint, later) == [(3, "warning")]  # pip replaces torch
    no_deps = "FROM python:3.11-slim\nRUN pip install torch==2.1.0\nRUN pip install --no-deps torchvision==0.17.0\n"
    assert _ml015(lint, no_deps) == [(3, "warning")]


def test_the_resolver_replacing_torch_is_followed(lint):
    # after torchvision 0.17.0 pulled torch 2.2.0 in, a torchaudio for 2.2.0 is not reported against 2.1.0
    text = ("FROM python:3.11-slim\nRUN pip install torch==2.1.0\nRUN pip install torchvision==0.17.0\n"
            "RUN pip install torchaudio==2.2.0\n")
    assert _ml015(lint, text) == [(3, "warning")]


def test_only_the_stage_that_installs_is_reported(lint):
    text = ("FROM python:3.11-slim AS base\nRUN pip install torch==2.1.0\nRUN pip install torchvision==0.17.0\n"
            "FROM base AS app\nRUN pip install torchaudio==2.1.0\n")
    assert _ml015(lint, text) == [(3, "warning")]
