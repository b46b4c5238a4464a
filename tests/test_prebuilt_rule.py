"""ML020 prebuilt-image-available: off by default, one line of configuration turns it on, and it names only
tags the knowledge base lists."""

from __future__ import annotations

import json
import re

import pytest
from conftest import CORPUS, FIXTURES, needs_shared, run_cli

from mllint import knowledge

FIRING = FIXTURES / "rules" / "prebuilt-image-available" / "fire-torch-on-python-base.Dockerfile"


def _ids(result) -> list[str]:
    return [f["rule_id"] for f in json.loads(result.stdout)["findings"]]


def _run(project, *args):
    return run_cli("--format", "json", "--no-show-source", *args, str(project / "Dockerfile"), cwd=project)


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(FIRING.read_text())
    return tmp_path


def test_off_by_default_and_not_turned_on_by_all(project):
    assert "ML020" not in _ids(_run(project))
    (project / ".mllint.yaml").write_text("select: [all]\n")
    assert "ML020" not in _ids(_run(project))


@pytest.mark.parametrize("config,name", [
    ("extend-select: [prebuilt-image-available]\n", ".mllint.yaml"),
    ("[tool.mllint]\nextend-select = [\"ML020\"]\n", "pyproject.toml"),
    ("select: [all, ML020]\n", ".mllint.yaml"),
])
def test_one_line_of_configuration_turns_it_on(project, config, name):
    (project / name).write_text(config)
    assert _ids(_run(project)).count("ML020") == 1


def test_command_line_selection(project):
    assert _ids(_run(project, "--extend-select", "prebuilt-image-available")).count("ML020") == 1
    assert _ids(_run(project, "--select", "ML020")) == ["ML020"]
    (project / ".mllint.yaml").write_text("extend-select: [ML020]\n")
    assert "ML020" not in _ids(_run(project, "--select", "ML001"))  # --select replaces the file's selection
    assert "ML020" not in _ids(_run(project, "--ignore", "ML020"))


def test_unknown_rule_in_extend_select_is_a_located_error(project):
    (project / ".mllint.yaml").write_text("extend-select:\n  - prebuilt-image\n")
    result = _run(project)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == (".mllint.yaml:2:5: unknown rule 'prebuilt-image' (expected a rule id "
                                              "or name; see `mllint rules`)")


def test_rules_command_shows_it_off_by_default(project):
    result = run_cli("rules", "--format", "json", cwd=project)
    rule = next(r for r in json.loads(result.stdout)["rules"] if r["id"] == "ML020")
    assert (rule["enabled"], rule["enabled_by_default"], rule["default_severity"]) == (False, False, "info")
    result = run_cli("rules", "--format", "json", "--extend-select", "ML020", cwd=project)
    assert next(r for r in json.loads(result.stdout)["rules"] if r["id"] == "ML020")["enabled"] is True


def _listed_tags() -> set[str]:
    images = knowledge.table("images")
    prebuilt = images["prebuilt_images"]
    tags = {f"pytorch/pytorch:{row['torch']}-cuda{cuda}-cudnn{row['cudnn']}-{flavour}"
            for row in prebuilt["pytorch_pytorch"]["releases"] for cuda in row["cuda"]
            for flavour in prebuilt["pytorch_pytorch"]["flavours"]}
    tags |= {f"tensorflow/tensorflow:{row['tensorflow']}-gpu" for row in prebuilt["tensorflow_tensorflow"]["releases"]}
    tags |= {f"nvcr.io/nvidia/pytorch:{release}-py3" for release in images["ngc"]["pytorch"]["releases"]}
    return tags


def test_every_listed_pytorch_release_exists_with_those_cuda_builds():
    """The tags follow the release's build matrix in frameworks.yaml and a torch release companions.yaml knows."""
    frameworks = knowledge.table("frameworks")["torch"]["releases"]
    torchvision = knowledge.table("companions")["requires_torch"]["torchvision"]["releases"].values()
    releases = {spec[2:] for spec in torchvision if spec and spec.startswith("==")}
    for row in knowledge.table("images")["prebuilt_images"]["pytorch_pytorch"]["releases"]:
        minor = ".".join(row["torch"].split(".")[:2])
        assert row["torch"] in releases, row
        assert row["cuda"] == frameworks[minor]["index_cuda"], row
        assert row["cudnn"] == frameworks[minor]["cudnn_major"], row


@needs_shared
def test_every_suggestion_on_the_corpus_names_a_listed_tag(lint):
    tags = _listed_tags()
    files = sorted(p for p in (CORPUS / "real").iterdir() if p.is_file())
    judged = sorted(p for p in (CORPUS / "judged").iterdir() if not p.name.endswith((".tsv", "_ctx", "__ctx")))
    seen = 0
    for path in files + judged:
        target = path / "Dockerfile" if path.is_dir() else path
        if not target.is_file():
            continue
        text = target.read_bytes().decode("utf-8", errors="replace")
        report = lint(text, select=["ML020"], path=str(target), context=path if path.is_dir() else path.parent)
        assert not [p for p in report.problems if "crashed" in p], (path, report.problems)
        for finding in report.findings:
            seen += 1
            named = set(re.findall(r"(?:pytorch/pytorch|tensorflow/tensorflow|nvcr\.io/nvidia/pytorch):[\w.-]+",
                                   finding.message))
            assert named and named <= tags, (path, finding.message)
    assert seen >= 1
