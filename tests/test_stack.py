"""`mllint stack`: every stage's facts with their sources, what its RUNs add, and the JSON schema of docs/stack.md."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from conftest import FIXTURES, ROOT, run_cli

from mllint.reader import MemoryReader
from mllint.stack.model import build, parse_with_files

EXAMPLES = FIXTURES / "examples"
SCHEMA_DOC = ROOT / "docs" / "stack.md"


def _schema() -> dict:
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    block = text.split("<!-- stack-schema -->", 1)[1]
    return json.loads(block.split("```json", 1)[1].split("```", 1)[0])


def _view(text: str, files: dict[str, str] | None = None, path: str = "/ctx/Dockerfile"):
    reader = MemoryReader({f"/ctx/{name}": body for name, body in (files or {}).items()}, cwd="/")
    return build(parse_with_files(text, path, reader), path)


def _facts(stage) -> dict[str, tuple]:
    return {item.name: (item.value, item.source, item.verified, item.line) for item in stage.facts}


def _stack_json(*paths, cwd=ROOT) -> dict:
    result = run_cli("stack", "--format", "json", *map(str, paths), cwd=cwd)
    data = json.loads(result.stdout)
    jsonschema.validate(data, _schema())
    return data


# --------------------------------------------------------------------------- the seed's three examples


def test_cuda_base_example_is_cuda_11_8_base_with_ubuntu_20_04_python_3_8():
    data = _stack_json(EXAMPLES / "cuda-base" / "Dockerfile")
    (stage,) = data["files"][0]["stages"]
    facts = {name: (fact["value"], fact["verified"]) for name, fact in stage["facts"].items()}
    assert facts == {"os": ("Ubuntu 20.04", True), "python": ("3.8", True), "cuda": ("11.8.0", True),
                     "flavour": ("base", True), "cudnn": ("none", True), "nccl": ("none", True),
                     "nvcc": ("none", True)}
    assert stage["facts"]["python"]["line"] == 5 and "apt-get install python3" in stage["facts"]["python"]["source"]
    assert stage["facts"]["cuda"]["source"] == "the tag 11.8.0-base-ubuntu20.04"
    packages = {(p["name"], p["version"], p["cuda"], p["bundles_cuda"]) for p in stage["packages"]}
    assert ("torch", None, "11.8", True) in packages
    assert ("tensorflow", "2.13.0", "11.8", False) in packages
    tensorflow = next(p for p in stage["packages"] if p["name"] == "tensorflow")
    assert tensorflow["needs"] == ["cudart", "cudnn"] and tensorflow["line"] == 11


def test_python_slim_example_is_python_3_9_without_cuda_and_follows_the_requirements():
    data = _stack_json(EXAMPLES / "python-slim" / "Dockerfile")
    (stage,) = data["files"][0]["stages"]
    facts = stage["facts"]
    assert facts["python"]["value"] == "3.9" and facts["python"]["source"] == "the tag python:3.9-slim"
    assert facts["os"]["value"] is None and "names no Debian release" in facts["os"]["source"]
    assert all(facts[name]["value"] == "none" for name in ("cuda", "flavour", "cudnn", "nccl", "nvcc"))
    declared = [(p["path"].rsplit("/", 1)[-1], p["line"], p["name"], p["version"], p["specifier"], p["run_line"])
                for p in stage["packages"]]
    assert declared == [
        ("requirements.txt", 1, "fastapi", "0.110.0", None, 6),
        ("requirements.txt", 2, "uvicorn", "0.29.0", None, 6),
        ("requirements.txt", 3, "torch", None, ">=2.0", 6),
        ("requirements.txt", 4, "transformers", None, None, 6),
        ("requirements.txt", 5, "scikit-learn", "1.3.2", None, 6),
    ]


def test_tensorflow_gpu_example_is_tf_2_12_with_its_cuda_cudnn_and_python():
    data = _stack_json(EXAMPLES / "tensorflow-gpu" / "Dockerfile")
    (stage,) = data["files"][0]["stages"]
    facts = stage["facts"]
    assert stage["frameworks"]["tensorflow"]["value"] == "2.12.0"
    assert (facts["cuda"]["value"], facts["cuda"]["verified"]) == ("11.8", False)
    assert (facts["cudnn"]["value"], facts["cudnn"]["verified"]) == ("8.6", False)
    assert (facts["python"]["value"], facts["python"]["verified"]) == ("3.8", False)
    assert (facts["os"]["value"], facts["os"]["verified"]) == ("Ubuntu 20.04", False)
    assert facts["nccl"]["value"] is None and facts["nvcc"]["value"] is None  # never a guess
    assert [p["name"] for p in stage["packages"]] == ["tensorflow-datasets", "pandas", "keras-tuner"]


def test_text_marks_unknown_and_unverified_facts():
    result = run_cli("stack", str(EXAMPLES / "tensorflow-gpu" / "Dockerfile"))
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert re.search(r"^    nccl +unknown +not known for tensorflow/tensorflow:2.12.0-gpu$", text, re.M)
    assert re.search(r"^    cuda +11\.8 +TensorFlow 2\.12\.0's tested build \(unverified\)$", text, re.M)
    assert re.search(r"^      requirements\.txt:3 +pip +keras-tuner \(any version\)$", text, re.M)


# --------------------------------------------------------------------------- the model


def test_multi_stage_inheritance_and_facts_set_by_the_stage():
    view = _view("ARG CUDA=12.4.1\n"
                 "FROM nvidia/cuda:${CUDA}-runtime-ubuntu22.04 AS base\n"
                 "RUN apt-get update && apt-get install -y python3 libcudnn9-cuda-12\n"
                 "FROM base AS app\n"
                 "RUN pip install torch==2.5.1\n")
    base, app = view.stages
    assert base.image == "nvidia/cuda:12.4.1-runtime-ubuntu22.04" and base.base == "nvidia/cuda:${CUDA}-runtime-ubuntu22.04"
    assert _facts(base)["cudnn"] == ("9", "`apt-get install libcudnn9-cuda-12`", True, 3)
    assert _facts(base)["nccl"] == ("yes", "the runtime flavour", True, None)
    assert app.parent == "base" and app.image is None
    assert _facts(app)["python"][:2] == ("3.10", "`apt-get install python3` on ubuntu 22.04")
    assert _facts(app)["python"][3] is None  # set in stage `base`, not by this stage
    (torch,) = app.packages
    assert (torch.version, torch.cuda, torch.bundles, torch.evidence) == (
        "2.5.1", "12.4", True, "torch 2.5.1's default PyPI wheel")


def test_unknown_base_image_and_replaced_framework():
    view = _view("ARG BASE\nFROM ${BASE}\nRUN pip install torch==2.1.0\n"
                 "FROM pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime\nRUN pip install torch==2.6.0 numpy\n")
    unknown, pytorch = view.stages
    assert unknown.image is None and unknown.base_note == "a variable in the image name has no value"
    assert all(item.value is None for item in unknown.facts)
    assert [(f.name, f.value) for f in pytorch.frameworks] == [("torch", "2.5.1")]
    replaced = [p.replaces for p in pytorch.packages]
    assert replaced == ["torch 2.5.1 of the base image", None]


def test_uv_installed_python_and_unread_requirements():
    view = _view("FROM nvidia/cuda:12.6.3-cudnn-devel-ubuntu22.04\n"
                 "RUN uv python install 3.11 && uv venv --python 3.11 /venv\n"
                 "COPY missing.txt /tmp/\n"
                 "RUN uv pip install -r /tmp/missing.txt\n")
    (stage,) = view.stages
    assert _facts(stage)["python"] == ("3.11", "`uv python install 3.11`", True, 2)
    assert [(line, name) for line, name, _ in stage.unfollowed] == [(4, "/tmp/missing.txt")]


def test_a_uv_torch_backend_variable_is_expanded_or_left_unknown():
    view = _view("FROM python:3.11-slim\nARG BACKEND=cu126\nARG OTHER\n"
                 "RUN UV_TORCH_BACKEND=$BACKEND uv pip install --system torch==2.6.0\n"
                 "RUN UV_TORCH_BACKEND=$OTHER uv pip install --system torch==2.6.0\n")
    first, second = view.stages[0].packages
    assert (first.cuda, first.evidence) == ("12.6", "--torch-backend=cu126")
    assert second.cuda is None  # not torch 2.6's PyPI default (12.4): uv uses the backend's own index


# --------------------------------------------------------------------------- the command


def test_unreadable_inputs_are_one_line_each_and_exit_2(tmp_path):
    (tmp_path / "bin.Dockerfile").write_bytes(b"FROM x\0\0\0")
    good = EXAMPLES / "python-slim" / "Dockerfile"
    result = run_cli("stack", str(tmp_path / "bin.Dockerfile"), str(tmp_path / "missing"), str(good))
    assert result.returncode == 2
    errors = result.stderr.decode().splitlines()
    assert errors == [f"mllint: cannot read {tmp_path / 'bin.Dockerfile'}: binary file (contains NUL bytes), not a "
                      "Dockerfile", f"mllint: cannot read {tmp_path / 'missing'}: no such file"]
    assert "Traceback" not in result.stderr.decode()
    assert "python:3.9-slim" in result.stdout.decode()


def test_syntax_errors_and_empty_inputs_do_not_crash(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM\n")
    (tmp_path / "empty.Dockerfile").write_text("")
    (tmp_path / "heredoc.Dockerfile").write_text("FROM python:3.11\nRUN <<EOF\npip install torch==2.5.1\n")
    result = run_cli("stack", "--format", "json", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr.decode()
    data = json.loads(result.stdout)
    jsonschema.validate(data, _schema())
    assert {p["path"].rsplit("/", 1)[-1] for p in data["problems"]} >= {"Dockerfile"}


def test_stdin(tmp_path):
    result = run_cli("stack", "-", input="FROM python:3.12-slim\nRUN pip install numpy==2.1.3\n")
    assert result.returncode == 0, result.stderr
    assert "numpy==2.1.3" in result.stdout.decode()


@pytest.mark.parametrize("name", ["cuda-base", "python-slim", "tensorflow-gpu"])
def test_doc_schema_holds_for_the_examples(name):
    _stack_json(EXAMPLES / name / "Dockerfile")


def test_which_stages_ship_with_and_without_a_target(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim AS build\nRUN pip install numpy==2.1.3\n"
                          "FROM python:3.11-slim AS run\nCOPY --from=build /usr/local/lib /usr/local/lib\n")
    stages = _stack_json(dockerfile)["files"][0]["stages"]
    assert [s["ships"] for s in stages] == [{"kind": "paths", "paths": ["/usr/local/lib"], "targets": ["run"]},
                                            {"kind": "whole", "paths": [], "targets": ["run"]}]
    result = run_cli("stack", "--format", "json", "--target", "build", str(dockerfile))
    data = json.loads(result.stdout)
    assert data["files"][0]["target"] == "build"
    assert [s["ships"]["kind"] for s in data["files"][0]["stages"]] == ["whole", "nothing"]
    result = run_cli("stack", "--target", "nope", str(dockerfile))
    assert result.returncode == 2 and "--target 'nope' is not a stage of this Dockerfile" in result.stderr.decode()


def test_the_documented_example_is_what_the_command_prints():
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    example = text.split("$ mllint stack tests/fixtures/examples/cuda-base/Dockerfile\n", 1)[1].split("```", 1)[0]
    result = run_cli("stack", "tests/fixtures/examples/cuda-base/Dockerfile")
    assert result.stdout.decode() == example


def test_python_built_from_a_variable_and_which_python_the_stage_runs():
    """deadsnakes' python${PYTHON_VERSION} is resolved, and it, not the OS's python3 pulled in by
    python3-pip, is the stage's Python; both are listed."""
    view = _view("FROM nvidia/cuda:12.8.0-devel-ubuntu22.04\nARG PYTHON_VERSION=3.12\n"
                 "RUN apt-get update && apt-get install -y python3-pip software-properties-common \\\n"
                 "    && add-apt-repository -y ppa:deadsnakes/ppa \\\n"
                 "    && apt-get install -y python${PYTHON_VERSION} python${PYTHON_VERSION}-venv python3-opencv\n")
    (stage,) = view.stages
    python = _facts(stage)["python"]
    assert python[0] == "3.12" and "(deadsnakes PPA)" in python[1]
    assert [(p["version"], p["how"]) for p in stage.pythons] == [("3.10", "apt"), ("3.12", "deadsnakes")]
    assert [p.name for p in stage.packages] == ["python3-pip", "python3.12", "python3.12-venv"]  # not python3-opencv


def test_local_projects_vcs_links_and_installs_whose_files_are_not_read():
    view = _view("FROM python:3.11-slim\n"
                 "RUN pip install -e ./detectron2_repo -e detectron2_repo 'git+https://github.com/facebookresearch/fvcore'\n"
                 "RUN uv sync --frozen --extra gpu\n")
    (stage,) = view.stages
    assert [(p.name, p.describe_version()) for p in stage.packages] == [
        ("detectron2-repo", " (from detectron2_repo)"),
        ("fvcore", " (from git+https://github.com/facebookresearch/fvcore)")]
    (project, sync) = stage.unfollowed
    assert project[:2] == (2, "./detectron2_repo/pyproject.toml") and project[2].startswith("not read: no COPY")
    assert sync == (3, "uv sync --frozen --extra ...", "installs packages that files mllint did not read declare")


def test_a_third_party_image_that_names_its_torch_in_the_tag():
    view = _view("FROM hiyouga/pytorch:th2.6.0-cu124-flashattn2.7.4-cxx11abi0-devel\nRUN pip install numpy==2.1.3\n")
    (torch,) = view.stages[0].frameworks
    assert (torch.name, torch.value, torch.verified) == ("torch", "2.6.0", False)


def test_the_advisor_reads_a_pin_without_patch_as_that_release():
    from mllint.stack.advisor import suggestions

    view = _view("FROM nvidia/cuda:12.4.1-devel-ubuntu22.04\nRUN uv venv --python 3.11 && uv pip install torch==2.7\n")
    (suggestion,) = suggestions(view.stages[0].stage)
    assert suggestion.image == "pytorch/pytorch:2.7.0-cuda12.6-cudnn9-devel"  # torch 2.7.0's PyPI wheel: CUDA 12.6
