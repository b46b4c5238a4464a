"""The starter ``.mllint.yaml`` that ``mllint init`` writes: every key, its default, a comment saying what it does.

Built as a ruamel.yaml round-trip document (comments attached to keys), so the
file is valid YAML by construction and reads back to the defaults.
"""

from __future__ import annotations

import io

from mllint.config import KEYS

HEADER = """\
mllint configuration (https://github.com/mllint-docker/mllint/blob/main/docs/configuration.md).
Found from the current directory upwards to the repository root; options on
the command line win over this file. Rule lists take ids (ML001) or names."""

COMMENTS = {
    "select": "Rules to run; `all` runs every rule that is on by default, built-in and from plugins.",
    "ignore": "Rules to turn off, e.g. [ML003, pip-cache-not-disabled].",
    "severity": "Per-rule severity override (error, warning or info), e.g. {ML002: error}.",
    "failure-threshold": "Exit 1 when a finding reaches this severity: error, warning, info or none.",
    "exclude": "Path globs (relative to this file) never linted, e.g. [legacy, 'docker/*.old.Dockerfile'].",
    "per-file-ignores": "Path glob -> rules turned off for matching files, e.g. {'tests/*': [ML001]}.",
    "allowed-floating-tags": "Image references allowed to float (ML001), as globs, e.g. ['registry.corp/*:latest'].",
    "ml-packages": "Extra package names ML002 treats as ML frameworks, e.g. [acme-trainer].",
    "secret-names": "Extra credential variable names ML010 treats as secrets, e.g. [ACME_API_TOKEN].",
    "inline-ignores": "What `# mllint: ignore=` pragmas may do: allow, require-reason (each needs `-- why`) or forbid.",
    "target": "The stage `docker build --target` builds (null: the last stage and every stage no other stage\nuses); rules about what the image holds judge only what reaches it.",
    "extend-select": "Rules to run on top of `select`, e.g. [prebuilt-image-available] (off by default).",
    "plugins": "Options for each installed plugin, under its entry-point name, e.g. {approved-registry: {registries: [registry.corp]}}.",
}


def _flow(value):
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    node = CommentedSeq(value) if isinstance(value, list) else CommentedMap(value)
    node.fa.set_flow_style()
    return node


def defaults() -> dict:
    return {
        "select": ["all"],
        "ignore": [],
        "severity": {},
        "failure-threshold": "warning",
        "exclude": [],
        "per-file-ignores": {},
        "allowed-floating-tags": [],
        "ml-packages": [],
        "secret-names": [],
        "plugins": {},
        "inline-ignores": "allow",
        "target": None,
        "extend-select": [],
    }


def render(plugin_names: list[str] | None = None) -> str:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    document = CommentedMap()
    for key, value in defaults().items():
        document[key] = _flow(value) if isinstance(value, (list, dict)) else value
    document.yaml_set_start_comment(HEADER)
    for i, key in enumerate(KEYS):
        comment = COMMENTS[key]
        if key == "plugins" and plugin_names:
            comment += f"\nInstalled plugins: {', '.join(plugin_names)}."
        document.yaml_set_comment_before_after_key(key, before="\n" + comment)
    out = io.StringIO()
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.dump(document, out)
    return out.getvalue()
