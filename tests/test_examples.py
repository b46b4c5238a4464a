"""The seed's three example images get exactly the findings a senior ML engineer would agree with.

- tensorflow-gpu: a pinned `tensorflow/tensorflow:2.12.0-gpu` with `pip install --no-cache-dir -r ...`:
  nothing in the Dockerfile itself is wrong (what requirements.txt holds is followed by a later feature).
- python-slim: `python:3.9-slim` runs CPython 3.9, end of life since 2025-10-31 (today is pinned).
- cuda-base: on `nvidia/cuda:11.8.0-base-ubuntu20.04`, unpinned torch/torchvision from a merged
  `--extra-index-url` (dependency confusion), pip caches left in two layers, and TensorFlow 2.13, which
  needs cuDNN from the system, on a `-base` image that has none: TensorFlow silently runs on the CPU.
  CUDA 11.8 matches TensorFlow 2.13's tested build, so there is no CUDA mismatch.
"""

from __future__ import annotations

from conftest import FIXTURES

EXPECTED = {
    "tensorflow-gpu": [],
    "python-slim": [(2, "ML013", "warning")],
    "cuda-base": [
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
        text = (FIXTURES / "examples" / name / "Dockerfile").read_text()
        report = lint(text)
        assert not report.problems
        got = sorted((f.line, f.rule_id, str(f.severity)) for f in report.findings)
        assert got == sorted(expected), (name, [f"{f.line} {f.rule_id} {f.message}" for f in report.findings])
