"""Image references are normalised the way Docker resolves them."""

from __future__ import annotations

import pytest

from mllint.images import parse_image


@pytest.mark.parametrize("text,registry,repository,tag,digest,familiar", [
    ("python", "docker.io", "library/python", None, None, "python"),
    ("python:3.11-slim", "docker.io", "library/python", "3.11-slim", None, "python"),
    ("docker.io/library/python:3.11", "docker.io", "library/python", "3.11", None, "python"),
    ("index.docker.io/library/python", "docker.io", "library/python", None, None, "python"),
    ("nvidia/cuda:12.1.0-base-ubuntu22.04", "docker.io", "nvidia/cuda", "12.1.0-base-ubuntu22.04", None, "nvidia/cuda"),
    ("nvcr.io/nvidia/pytorch:24.01-py3", "nvcr.io", "nvidia/pytorch", "24.01-py3", None, "nvcr.io/nvidia/pytorch"),
    ("localhost:5000/cuda:12", "localhost:5000", "cuda", "12", None, "localhost:5000/cuda"),
    ("registry.example.com:443/team/img", "registry.example.com:443", "team/img", None, None,
     "registry.example.com:443/team/img"),
    ("python@sha256:abc", "docker.io", "library/python", None, "sha256:abc", "python"),
    ("python:3.11@sha256:abc", "docker.io", "library/python", "3.11", "sha256:abc", "python"),
])
def test_parse_image(text, registry, repository, tag, digest, familiar):
    image = parse_image(text)
    assert (image.registry, image.repository, image.tag, image.digest, image.familiar) == (
        registry, repository, tag, digest, familiar)


def test_same_image_spelled_differently():
    assert parse_image("python:3.11").name == parse_image("docker.io/library/python:3.11").name


@pytest.mark.parametrize("text", ["", "  ", "a b", ":tag"])
def test_not_an_image(text):
    assert parse_image(text) is None


def test_scratch():
    assert parse_image("scratch").is_scratch
    assert not parse_image("scratchy").is_scratch
