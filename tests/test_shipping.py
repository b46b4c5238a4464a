"""The shipping model (``mllint.shipping``): which stages reach the image, and what of them."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

from mllint.dockerfile import parse
from mllint.shipping import unknown_target


def kinds(text: str, target: str | None = None) -> dict[str, str]:
    model = parse(text, target=target)
    return {stage.label: stage.shipping.kind for stage in model.stages}


def test_single_stage_ships_whole():
    assert kinds("FROM python:3.11\nRUN pip install torch\n") == {"0": "whole"}


def test_builder_and_from_scratch_final():
    text = ("FROM ubuntu:24.04 AS builder\nRUN pip install grpcio\nRUN make\n"
            "FROM scratch\nCOPY --from=builder /backend/ /\n")
    model = parse(text)
    builder = model.stages[0]
    assert builder.shipping.kind == "paths"
    assert builder.shipping.paths == ["/backend"]
    assert builder.ships_path("/backend/venv/lib") and builder.ships_path("/")  # part of / ships
    assert not builder.ships_path("/root/.cache/pip")
    assert [s.label for s in model.shipping.targets] == ["1"]


def test_venv_copy_ships_the_venv_only():
    text = ("FROM python:3.11 AS build\nRUN python -m venv /opt/venv && /opt/venv/bin/pip install torch\n"
            "FROM python:3.11-slim\nCOPY --from=build /opt/venv /opt/venv\n")
    build = parse(text).stages[0]
    assert build.ships_path("/opt/venv/lib/python3.11/site-packages")
    assert not build.ships_path("/root/.cache/pip")


def test_copying_the_cache_ships_it():
    text = ("FROM python:3.11 AS build\nRUN pip install torch\n"
            "FROM python:3.11-slim\nCOPY --from=build /root/.cache/pip /root/.cache/pip\n")
    assert parse(text).stages[0].ships_path("/root/.cache/pip")


def test_from_builder_inherits_whole():
    text = "FROM python:3.11 AS base\nRUN pip install torch\nFROM base AS app\nRUN echo hi\n"
    assert kinds(text) == {"base": "whole", "app": "whole"}


def test_copy_from_a_partial_stage_follows_the_chain():
    text = ("FROM python:3.11 AS deps\nRUN pip install torch\n"
            "FROM deps AS build\nRUN make\n"
            "FROM alpine AS pack\nCOPY --from=build /opt/venv /pkg/venv\nCOPY --from=build /tmp /pkg/tmp\n"
            "FROM alpine\nCOPY --from=pack /pkg/venv /venv\n")
    model = parse(text)
    deps, build, pack = model.stages[:3]
    assert pack.shipping.paths == ["/pkg/venv"]
    assert build.shipping.paths == ["/opt/venv"]  # /tmp lands in a part of pack that does not ship
    assert deps.shipping.paths == ["/opt/venv"]  # the venv may come from the FROM ancestor
    assert not build.ships_path("/tmp")


def test_stage_referenced_by_index_and_mount_only():
    text = ("FROM python:3.11\nRUN pip install x\n"
            "FROM python:3.11 AS wheels\nRUN pip wheel x -w /dist\n"
            "FROM python:3.11-slim\nCOPY --from=0 /app /app\n"
            "RUN --mount=type=bind,from=wheels,source=/dist,target=/dist pip install /dist/*.whl\n")
    model = parse(text)
    assert model.stages[0].shipping.paths == ["/app"]
    wheels = model.stages[1].shipping
    assert wheels.kind == "nothing" and [r.kind for r in wheels.reads] == ["mount"]


def test_leaf_stages_are_images_of_their_own():
    text = ("FROM nvidia/cuda:12.4.0-devel-ubuntu22.04 AS build\nRUN make\n"
            "FROM nvidia/cuda:12.4.0-runtime-ubuntu22.04 AS base\nCOPY --from=build /app/lib /app\n"
            "FROM base AS full\nRUN pip install -r requirements.txt\n"
            "FROM base AS server\nCOPY --from=build /app/server /app\n")
    model = parse(text)
    assert [s.label for s in model.shipping.targets] == ["full", "server"]
    assert kinds(text)["full"] == "whole"
    assert kinds(text, target="server")["full"] == "nothing"
    assert kinds(text, target="server")["base"] == "whole"


def test_target_selects_the_image():
    text = "FROM python:3.11 AS dev\nRUN pip install torch\nFROM python:3.11-slim AS prod\nRUN echo\n"
    assert kinds(text) == {"dev": "whole", "prod": "whole"}  # dev is a leaf: an image of its own
    assert kinds(text, target="prod") == {"dev": "nothing", "prod": "whole"}
    assert kinds(text, target="DEV") == {"dev": "whole", "prod": "nothing"}  # stage names ignore case


def test_variables_in_copy_from_and_paths():
    text = ("ARG SRC=builder\nFROM python:3.11 AS builder\nARG OUT=/out\nRUN make\n"
            "FROM alpine\nARG SRC\nCOPY --from=${SRC} ${UNKNOWN} /x\nCOPY --from=$SRC /out /y\n")
    builder = parse(text).stages[0].shipping
    assert builder.paths == ["/out"] and builder.unknown_paths


def test_relative_destination_uses_workdir():
    text = ("FROM alpine AS a\nRUN make\nFROM alpine AS b\nWORKDIR /srv\nCOPY --from=a /dist app/\n"
            "FROM alpine\nCOPY --from=b /srv/app /app\n")
    model = parse(text)
    assert model.stages[1].shipping.paths == ["/srv/app"]
    assert model.stages[0].shipping.paths == ["/dist"]


def test_unknown_target_names_the_stages():
    model = parse("FROM a AS one\nFROM b AS two\n")
    assert unknown_target(model, "three") == \
        "--target 'three' is not a stage of this Dockerfile (stages: one, two)"
    assert unknown_target(model, "two") is None
    assert "has a name" in unknown_target(parse("FROM a\n"), "x")


@pytest.fixture
def two_targets(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM python:3.11 AS dev\nRUN pip install torch\n"
                    "FROM python:3.11-slim AS prod\nRUN pip install --no-cache-dir flask\n")
    return path


def test_cli_target(two_targets):
    everything = run_cli("--no-cache", "--select", "ML003", "--failure-threshold", "none", "-f", "json",
                         str(two_targets))
    assert [f["line"] for f in json.loads(everything.stdout)["findings"]] == [2]
    prod = run_cli("--no-cache", "--select", "ML003", "--target", "prod", "-f", "json", str(two_targets))
    assert prod.returncode == 0 and json.loads(prod.stdout)["findings"] == []
    wrong = run_cli("--no-cache", "--target", "nope", str(two_targets))
    assert wrong.returncode == 2
    assert "--target 'nope' is not a stage of this Dockerfile (stages: dev, prod)" in wrong.stderr.decode()


def test_config_target_and_cli_wins(two_targets, tmp_path):
    config = tmp_path / "conf.yaml"
    config.write_text("target: prod\n")
    result = run_cli("--no-cache", "--config", str(config), "--select", "ML003", "-f", "json", str(two_targets))
    assert json.loads(result.stdout)["findings"] == []
    result = run_cli("--no-cache", "--config", str(config), "--target", "dev", "--select", "ML003",
                     "--failure-threshold", "none", "-f", "json", str(two_targets))
    assert len(json.loads(result.stdout)["findings"]) == 1
    config.write_text("target: [prod]\n")
    result = run_cli("--no-cache", "--config", str(config), str(two_targets))
    assert result.returncode == 2 and "'target' is a list" in result.stderr.decode()


def test_parse_shows_the_shipping_model(two_targets):
    result = run_cli("parse", "--target", "prod", str(two_targets))
    data = json.loads(result.stdout)
    assert data["target"] == "prod" and data["images"] == ["prod"]
    assert [s["shipping"]["ships"] for s in data["stages"]] == ["nothing", "whole"]
    wrong = run_cli("parse", "--target", "nope", str(two_targets))
    assert wrong.returncode == 2 and "stages: dev, prod" in wrong.stderr.decode()
