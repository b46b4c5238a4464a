"""Inputs built to break mllint are reported like any other problem (issue 12 items 12-15)."""

from __future__ import annotations

from conftest import run_cli, workspace_with

COPY_ALL = "FROM python:3.11-slim\nCOPY . /app\nWORKDIR /app\n"
TORCH = "FROM python:3.11-slim\nRUN pip install torch\n"


def ml014(result) -> list[str]:
    return [line for line in result.stdout.decode().splitlines() if " ML014 " in line]


def test_a_deeply_nested_pyproject_is_ml014_and_the_other_files_are_linted(tmp_path):
    project = workspace_with(tmp_path, {
        "app/pyproject.toml": "a = " + "[" * 5000 + "\n",
        "app/Dockerfile": COPY_ALL + "RUN pip install --no-cache-dir .\n",
        "other/Dockerfile": TORCH,
    })
    result = run_cli("--select", "ML014,ML002", "app/Dockerfile", "other/Dockerfile", cwd=project)
    assert result.returncode == 1 and b"Traceback" not in result.stderr and result.stderr == b""
    assert ml014(result) == ["app/Dockerfile:4:5: ML014 info `.` was not checked for unpinned, deprecated or "
                             "mismatched packages because app/pyproject.toml is not valid TOML (nested too "
                             "deeply). [dependency-file-unchecked]"]
    assert b"other/Dockerfile:2:5: ML002" in result.stdout


def test_nested_or_tagged_environment_entries_are_ml014(tmp_path):
    conda = "FROM continuumio/miniconda3:24.1.2-0\nCOPY . /app\nWORKDIR /app\n"
    project = workspace_with(tmp_path, {
        "deep.yml": "name: x\ndependencies:\n  - " + "[" * 5000 + "]" * 5000 + "\n",
        "tagged.yml": "name: x\ndependencies:\n  - !pkg torch\n  - numpy=1.26\n",
        "listed.yml": "name: x\ndependencies:\n  - [[torch]]\n",
        "Dockerfile": conda + "".join(f"RUN conda env create -f {name}.yml\n" for name in ("deep", "tagged", "listed")),
    })
    result = run_cli("--select", "ML014", "Dockerfile", cwd=project)
    assert result.returncode == 0 and result.stderr == b""
    reasons = [line.split(" because ", 1)[1] for line in ml014(result)]
    assert reasons == [
        "deep.yml is not valid YAML (nested too deeply). [dependency-file-unchecked]",
        "tagged.yml: entry 1 of `dependencies` is a value tagged !pkg, not a package spec or a `pip:` list (the "
        "other entries were checked). [dependency-file-unchecked]",
        "listed.yml: entry 1 of `dependencies` is a list, not a package spec or a `pip:` list (the other entries "
        "were checked). [dependency-file-unchecked]",
    ]


def test_a_requirements_chain_deeper_than_the_limit_is_reported_where_it_is_cut(tmp_path):
    files = {f"r{i}.txt": f"-r r{i + 1}.txt\n" for i in range(12)}
    files["r12.txt"] = "torch\n"
    files["Dockerfile"] = COPY_ALL + "RUN pip install --no-cache-dir -r r0.txt\n"
    project = workspace_with(tmp_path, files)
    result = run_cli("--select", "ML014,ML002", "Dockerfile", cwd=project)
    assert ml014(result) == ["r10.txt:1:1: ML014 info `r11.txt` was not checked for unpinned, deprecated or "
                             "mismatched packages because it is included through more than 10 nested -r files, "
                             "as deep as mllint follows. [dependency-file-unchecked]"]
    files["r10.txt"] = "torch\n"  # within the limit: followed
    project = workspace_with(tmp_path / "ok", files)
    result = run_cli("--select", "ML014,ML002", "Dockerfile", cwd=project)
    assert ml014(result) == [] and b"r10.txt:1:1: ML002" in result.stdout


def test_more_requirements_than_the_limit_are_cut_and_said(tmp_path):
    project = workspace_with(tmp_path, {
        "requirements.txt": "".join(f"package-{i}==1.0\n" for i in range(10_000)) + "torch\n",
        "Dockerfile": COPY_ALL + "RUN pip install --no-cache-dir -r requirements.txt\n",
    })
    result = run_cli("--select", "ML014,ML002", "Dockerfile", cwd=project)
    assert ml014(result) == ["Dockerfile:4:5: ML014 info `requirements.txt` was not checked for unpinned, "
                             "deprecated or mismatched packages because with the files it includes it declares "
                             "more than 10,000 requirements, and mllint checks the first 10,000. "
                             "[dependency-file-unchecked]"]


def test_github_annotations_carry_no_terminal_or_bidi_controls(tmp_path):
    hostile = "req\x1b]0;owned\x07\u202egnp.txt"
    project = workspace_with(tmp_path, {"Dockerfile": f'FROM python:3.11-slim\nRUN pip install --no-cache-dir -r '
                                                      f'"{hostile}"\n'})
    result = run_cli("--format", "github", "--select", "ML014", "Dockerfile", cwd=project)
    out = result.stdout.decode()
    assert result.returncode == 0 and out.startswith("::notice file=Dockerfile,")
    assert not any(ch in out for ch in "\x1b\x07\u202e")
    assert "req\\x1b]0;owned\\x07\\u202egnp.txt" in out


def test_a_missing_build_context_is_one_line_and_exit_2(tmp_path):
    project = workspace_with(tmp_path, {"Dockerfile": TORCH, "file.txt": "x"})
    for context, why in (("missing", "no such directory"), ("file.txt", "not a directory")):
        result = run_cli("--context", context, "Dockerfile", cwd=project)
        assert result.returncode == 2
        assert result.stderr.decode().splitlines() == [f"mllint: --context {context}: {why}"]
        assert result.stdout == b""
