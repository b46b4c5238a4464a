# syntax=docker/dockerfile:1
# mllint in a container, as hadolint offers it:
#   docker build -t mllint .
#   docker run --rm -i mllint < Dockerfile               (reads the Dockerfile from stdin)
#   docker run --rm -i mllint mllint - < Dockerfile      (the same, with the command spelt out)
#   docker run --rm -v "$PWD:/work" mllint mllint .       (a whole checkout, with its requirements files)
# The install is the GitHub Action's: exactly the versions and hashes of .github/action-requirements.lock.

FROM python:3.13-slim AS build
WORKDIR /src
COPY .github/action-requirements.lock /tmp/requirements.lock
RUN python -m venv /opt/mllint \
    && /opt/mllint/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes --no-deps \
        -r /tmp/requirements.lock
COPY pyproject.toml README.md LICENSE hatch_build.py ./
COPY mllint ./mllint
COPY rules ./rules
RUN /opt/mllint/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps --no-build-isolation .

FROM python:3.13-slim
COPY --from=build /opt/mllint /opt/mllint
ENV PATH=/opt/mllint/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1
RUN useradd --create-home --uid 10001 mllint
USER 10001
WORKDIR /work
CMD ["mllint", "-"]
