"""The seed's three example images get exactly the findings a senior ML engineer would agree with.

- tensorflow-gpu: a pinned `tensorflow/tensorflow:2.12.0-gpu` with `pip install --no-cache-dir -r ...`:
  nothing is wrong; its requirements.txt (read from the example's directory, the build context) pins
  everything but keras-tuner, which is no ML framework.
- python-slim: `python:3.9-slim` runs CPython 3.9, end of life since 2025-10-31 (today is pinned); its
  requirements.txt asks for `torch>=2.0` (line 3) and an unpinned `transformers` (line 4).
- cuda-base: on `nvidia/cuda:11.8.0-base-ubuntu20.04`, unpinned torch/torchvision from a merged
  `--extra-index-url` (dependency confusion), pip caches left in two layers, and TensorFlow 2.13, which
  needs cuDNN from the system, on a `-base` image that has none: TensorFlow silently runs on the CPU.
  CUDA 11.8 matches TensorFlow 2.13's tested build, so there is no CUDA mismatch. Ubuntu 20.04 ended its
  free security support on 2025-05-31, and its python3 is CPython 3.8 (end of life 2024-10-07).
"""

from __future__ import annotations

from conftest import FIXTURES

EXPECTED = {
    "tensorflow-gpu": [],
    "python-slim": [
        (2, "ML013", "warning"),
        ("requirements.txt", 3, "ML002", "warning"),
        ("requirements.txt", 4, "ML002", "warning"),
    ],
    "cuda-base": [
        (2, "ML013", "warning"),
        (6, "ML013", "warning"),
        (9, "ML002", "warning"),
        (9, "ML002", "warning"),
        (9, "ML003", "warning"),
        (9, "ML009", "warning"),
        (11, "ML003", "warning"),
        (11, "ML011", "error"),
    ],
}


def test_seed_examples(lint):
    for name, expected in EXPECTED.items():
        folder = FIXTURES / "examples" / name
        text = (folder / "Dockerfile").read_text()
        report = lint(text, path=str(folder / "Dockerfile"), context=folder)
        assert not report.problems
        got = [(f.line, f.rule_id, str(f.severity)) if f.path == str(folder / "Dockerfile")
                     else (f.path[len(str(folder)) + 1:], f.line, f.rule_id, str(f.severity))
                     for f in report.findings]
        assert sorted(got, key=str) == sorted(expected, key=str), (
            name, [f"{f.path}:{f.line} {f.rule_id} {f.message}" for f in report.findings])


def test_dependency_finding_points_back_at_the_run(lint):
    folder = FIXTURES / "examples" / "python-slim"
    report = lint((folder / "Dockerfile").read_text(), path=str(folder / "Dockerfile"), context=folder)
    found = [f for f in report.findings if f.path.endswith("requirements.txt")]
    assert [f.span.column for f in found] == [1, 1]
    assert all(f.related and f.related[0][0] == str(folder / "Dockerfile") and f.related[0][1].line == 6
               for f in found)
