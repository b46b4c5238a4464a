"""docs/editors.md: every editor snippet parses and starts `mllint lsp`; the README's JSON-RPC transcript is
what the server says."""

from __future__ import annotations

import json
import re

from conftest import ROOT, run_cli

from mllint.toml import loads as toml_loads

EDITORS = ROOT / "docs" / "editors.md"


def _snippets() -> dict[str, tuple[str, str]]:
    text = EDITORS.read_text(encoding="utf-8")
    found = re.findall(r"<!-- snippet: (\w+) -->\n```(\w+)\n(.*?)```", text, re.S)
    return {name: (language, body) for name, language, body in found}


def _balanced(lua: str) -> bool:
    """Brackets balance outside strings (a small check of the Lua snippets' shape)."""
    stack, pairs = [], {")": "(", "}": "{", "]": "["}
    for char in re.sub(r"'[^']*'", "''", lua):
        if char in "({[":
            stack.append(char)
        elif char in ")}]":
            if not stack or stack.pop() != pairs[char]:
                return False
    return not stack


def test_every_editor_has_a_snippet():
    assert set(_snippets()) == {"vscode", "neovim", "lspconfig", "helix", "zed"}


def test_vscode_snippet():
    language, body = _snippets()["vscode"]
    settings = json.loads(body)
    assert language == "json"
    assert [settings["glspc.server.command"], *settings["glspc.server.commandArguments"]] == ["mllint", "lsp"]
    assert "dockerfile" in settings["glspc.server.languageId"]


def test_neovim_snippets():
    for name in ("neovim", "lspconfig"):
        language, body = _snippets()[name]
        assert language == "lua" and _balanced(body), name
        assert "cmd = { 'mllint', 'lsp' }" in body
        assert re.search(r"filetypes = \{ 'dockerfile', 'requirements' \}", body)
    assert "vim.lsp.enable('mllint')" in _snippets()["neovim"][1]
    assert "require('lspconfig').mllint.setup({})" in _snippets()["lspconfig"][1]


def test_helix_snippet():
    language, body = _snippets()["helix"]
    config = toml_loads(body)
    assert language == "toml"
    assert [config["language-server"]["mllint"]["command"], *config["language-server"]["mllint"]["args"]] == [
        "mllint", "lsp"]
    (dockerfile,) = [entry for entry in config["language"] if entry["name"] == "dockerfile"]
    assert "mllint" in dockerfile["language-servers"]


def test_zed_snippet():
    language, body = _snippets()["zed"]
    settings = json.loads(body)
    binary = settings["lsp"]["dockerfile-language-server"]["binary"]
    assert language == "json" and binary["path"].endswith("/mllint") and binary["arguments"] == ["lsp"]
    assert settings["languages"]["Dockerfile"]["language_servers"] == ["dockerfile-language-server"]


def test_the_command_the_snippets_start_exists():
    result = run_cli("lsp", "--help")
    assert result.returncode == 0
    assert "--stdio" in result.stdout.decode()


def test_readme_transcript_is_the_servers_answer():
    """The README shows a diagnostic and a hover: the messages are the rule's own (checked by linting the file)."""
    from mllint.engine import Linter
    from mllint.plugins import collect_rules, plugin_manager

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## In the editor", 1)[1].split("\n## ", 1)[0]
    dockerfile = section.split("```dockerfile\n", 1)[1].split("```", 1)[0]
    linter = Linter(collect_rules(plugin_manager(entry_points=False)))
    (finding,) = linter.lint_text(dockerfile, "Dockerfile").findings
    published = json.loads(section.split("<!-- publishDiagnostics -->\n```json\n", 1)[1].split("```", 1)[0])
    diagnostic = published["params"]["diagnostics"][0]
    assert diagnostic["message"] == finding.message and diagnostic["code"] == finding.rule_id
    assert diagnostic["range"]["start"]["line"] == finding.line - 1
