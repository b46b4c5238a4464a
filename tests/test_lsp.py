"""`mllint lsp` driven as an editor drives it: a JSON-RPC client over the server's stdio (pytest-lsp).

initialize, didOpen -> publishDiagnostics, didChange (debounced) and didSave, a requirements.txt edit that
re-lints the Dockerfile reading it, codeAction (a safe fix, an unsafe fix labelled so, a suppression with a
reason placeholder) applied to the text, hover (FROM: the stage's stack; an install: its CUDA build and
Python support; a finding: its rule), configuration reloaded, bad documents, shutdown/exit.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from conftest import SESSION_CACHE
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = pytest.mark.asyncio

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "mllint", "lsp", "--stdio"],
                            server_env={"XDG_CACHE_HOME": SESSION_CACHE, "NO_COLOR": "1"})
TIMEOUT = 30


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the configuration search stops here
    return tmp_path


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, workspace: Path):
    capabilities = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=False)),
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities()),
    )
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")]))
    yield
    await lsp_client.shutdown_session()


def _open(client: LanguageClient, path: Path, text: str, language: str = "dockerfile", write: bool = True) -> str:
    if write:
        path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
    return uri


async def _diagnostics(client: LanguageClient, uri: str, predicate=lambda d: True) -> list[types.Diagnostic]:
    """Wait until the diagnostics published for ``uri`` satisfy ``predicate``."""
    async def wait():
        while True:
            found = client.diagnostics.get(uri)
            if found is not None and predicate(found):
                return found
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return await asyncio.wait_for(wait(), TIMEOUT)


def _codes(diagnostics) -> list[tuple[int, str]]:
    return sorted((d.range.start.line, str(d.code)) for d in diagnostics)


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply TextEdits (positions in UTF-16 units; the test texts are ASCII) as an editor would."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: types.Position) -> int:
        return offsets[min(position.line, len(lines))] + position.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


CUDA_BASE = """\
FROM nvidia/cuda:12.1.0-runtime-ubuntu22.04
RUN apt-get update && apt-get install -y python3 python3-pip
RUN pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cu121
"""


async def test_diagnostics_on_open_change_and_save(client: LanguageClient, workspace: Path):
    path = workspace / "Dockerfile"
    uri = _open(client, path, "FROM python:3.11-slim\nRUN pip install torch\n")
    found = await _diagnostics(client, uri)
    assert (1, "ML002") in _codes(found) and (1, "ML003") in _codes(found)
    ml002 = next(d for d in found if d.code == "ML002")
    assert ml002.source == "mllint" and ml002.severity == types.DiagnosticSeverity.Warning
    assert ml002.code_description.href.endswith("docs/rules/ML002-unpinned-ml-package.md")

    # typing: several quick changes, one lint after the pause (debounced); the unsaved text counts
    for version, text in enumerate(["FROM python:3.11-slim\nRUN pip install --no-cache-dir torch\n",
                                    "FROM python:3.11-slim\nRUN pip install --no-cache-dir torch==2.5.1\n"], 2):
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    found = await _diagnostics(client, uri, lambda d: not any(x.code in ("ML002", "ML003") for x in d))
    assert not [d for d in found if d.code in ("ML002", "ML003")]

    path.write_text("FROM python:3.11-slim\nRUN pip install --no-cache-dir torch==2.5.1\nRUN pip install tensorflow\n")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=9),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=path.read_text())]))
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    found = await _diagnostics(client, uri, lambda d: any(x.code == "ML002" and x.range.start.line == 2 for x in d))
    assert (2, "ML002") in _codes(found)


async def _dockerfile_reading(client: LanguageClient, workspace: Path, requirements: str,
                              base: str = "python:3.11-slim") -> tuple[str, list[types.Diagnostic]]:
    """A Dockerfile that installs requirements.txt, both open; the requirements' uri and diagnostics."""
    (workspace / "requirements.txt").write_text(requirements)
    docker_uri = _open(client, workspace / "Dockerfile",
                       f"FROM {base}\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n")
    await _diagnostics(client, docker_uri)
    req_uri = _open(client, workspace / "requirements.txt", requirements, language="pip-requirements")
    return req_uri, await _diagnostics(client, req_uri)


async def test_requirements_edit_relints_the_dockerfile_that_reads_it(client: LanguageClient, workspace: Path):
    req_uri, found = await _dockerfile_reading(client, workspace, "numpy==2.1.3\n")
    assert not [d for d in found if d.code == "ML002"]
    client.text_document_did_change(types.DidChangeTextDocumentParams(   # unsaved: the buffer counts
        text_document=types.VersionedTextDocumentIdentifier(uri=req_uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="numpy==2.1.3\ntorch\n")]))
    found = await _diagnostics(client, req_uri, lambda d: any(x.code == "ML002" for x in d))
    assert _codes(found) == [(1, "ML002")]
    assert "torch" in found[0].message


async def test_code_actions_fix_and_suppress(client: LanguageClient, workspace: Path):
    text = ("FROM python:3.11-slim\nRUN pip install torch==2.5.1\n"
            "FROM pytorch/pytorch:2.1.0-cuda12.1-cudnn8-runtime\nRUN pip install --no-cache-dir torch==2.3.1\n")
    (workspace / ".mllint.yaml").write_text("extend-select: [prebuilt-image-available]\n")
    uri = _open(client, workspace / "Dockerfile", text)
    found = await _diagnostics(client, uri, lambda d: any(x.code == "ML020" for x in d))
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=4, character=0))
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=whole,
        context=types.CodeActionContext(diagnostics=found)))
    titles = [a.title for a in actions]
    safe = next(a for a in actions if a.is_preferred)  # ML003: --no-cache-dir, a safe fix
    assert safe.title.startswith("mllint: ") and "unsafe" not in safe.title
    assert _apply(text, safe.edit.changes[uri]).splitlines()[1] == "RUN pip install --no-cache-dir torch==2.5.1"
    unsafe = next(a for a in actions if "unsafe" in a.title and "2.3.1" in a.title)
    assert [str(d.code) for d in unsafe.diagnostics] == ["ML020"] and not unsafe.is_preferred
    assert unsafe.title == "mllint (unsafe: changes what the build installs): FROM pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"
    assert _apply(text, unsafe.edit.changes[uri]).splitlines()[2] == "FROM pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"
    suppress = next(a for a in actions if a.title.startswith("mllint: suppress ML003"))
    suppressed = _apply(text, suppress.edit.changes[uri])
    assert suppressed.splitlines()[1] == "# mllint: ignore=pip-cache-not-disabled -- <why this is fine here>"
    assert any("suppress ML020" in t for t in titles)

    # the suppressed text, as the editor would send it: ML003 is gone on that RUN
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=suppressed)]))
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    found = await _diagnostics(client, uri, lambda d: not any(x.code == "ML003" and x.range.start.line == 2 for x in d))
    assert (2, "ML003") not in _codes(found)


async def test_suppressing_a_requirements_finding_edits_the_dockerfile(client: LanguageClient, workspace: Path):
    (workspace / "requirements.txt").write_text("torch\n")
    dockerfile = "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install --no-cache-dir \\\n    -r requirements.txt\n"
    docker_uri = _open(client, workspace / "Dockerfile", dockerfile)
    await _diagnostics(client, docker_uri)
    req_uri = _open(client, workspace / "requirements.txt", "torch\n", language="pip-requirements")
    found = await _diagnostics(client, req_uri, lambda d: any(x.code == "ML002" for x in d))
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=req_uri), range=found[0].range,
        context=types.CodeActionContext(diagnostics=found)))
    (suppress,) = [a for a in actions if a.title.startswith("mllint: suppress ML002")]
    (edits,) = suppress.edit.changes.values()
    assert list(suppress.edit.changes) == [docker_uri]
    assert _apply(dockerfile, edits).splitlines()[2] == "# mllint: ignore=unpinned-ml-package -- <why this is fine here>"


async def test_hover_from_install_and_finding(client: LanguageClient, workspace: Path):
    uri = _open(client, workspace / "Dockerfile", CUDA_BASE)
    await _diagnostics(client, uri)

    async def hover(line: int, character: int = 2) -> str:
        result = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character)))
        assert result is not None
        return result.contents.value

    text = await hover(0)
    assert "FROM nvidia/cuda:12.1.0-runtime-ubuntu22.04" in text
    assert "cuda        12.1.0" in text and "nccl        yes" in text and "python      3.10" in text
    text = await hover(2)
    assert "torch==2.5.1  CUDA 12.1, bundles its CUDA libraries (the index https://download.pytorch.org/whl/cu121)" in text
    assert "torch 2.5 has wheels only for Python 3.9-3.12; this stage runs Python 3.10" in text
    assert "**ML003 `pip-cache-not-disabled`**" in text and "docs/rules/ML003-pip-cache-not-disabled.md" in text


async def test_configuration_reloaded_on_change(client: LanguageClient, workspace: Path):
    uri = _open(client, workspace / "Dockerfile", "FROM python:3.11-slim\nRUN pip install torch\n")
    await _diagnostics(client, uri, lambda d: any(x.code == "ML002" for x in d))
    config = workspace / ".mllint.yaml"
    config.write_text("ignore: [ML002]\n")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Created)]))
    found = await _diagnostics(client, uri, lambda d: not any(x.code == "ML002" for x in d))
    assert (1, "ML003") in _codes(found)
    # an unsaved edit of the configuration in the editor counts too
    config_uri = _open(client, config, "ignore: [ML002, ML003]\n", language="yaml", write=False)
    found = await _diagnostics(client, uri, lambda d: not any(x.code == "ML003" for x in d))
    assert not [d for d in found if d.code in ("ML002", "ML003")]
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=config_uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="ignore: [bogus-rule]\n")]))
    found = await _diagnostics(client, uri, lambda d: any("configuration" in x.message for x in d))
    assert "unknown rule 'bogus-rule'" in found[0].message


@pytest.mark.parametrize("name,text", [
    ("binary.Dockerfile", "FROM python\x00\x00\x01"),
    ("heredoc.Dockerfile", "FROM python:3.11-slim\nRUN <<EOF\npip install torch==2.5.1\n"),
    ("half.Dockerfile", "FROM python:3.11-slim\nRUN pip install \\\n"),
    ("empty.Dockerfile", ""),
    ("garbage.Dockerfile", "FROM\n\ufeff\u202e ARG ${{{{\nRUN <<\n" * 50),
    ("huge.Dockerfile", "FROM python:3.11-slim\n" + "RUN echo " + "x" * 6_000_000 + "\n"),
])
async def test_bad_documents_give_diagnostics_or_nothing(client: LanguageClient, workspace: Path, name, text):
    uri = _open(client, workspace / name, text, write=False)
    found = await _diagnostics(client, uri)
    messages = " | ".join(d.message for d in found)
    expected = {"binary.Dockerfile": "binary file (contains NUL bytes), not a Dockerfile",
                "huge.Dockerfile": "file too large", "empty.Dockerfile": None}
    if name in expected:
        assert (expected[name] in messages) if expected[name] else not found, messages
    assert all(d.range.start.line >= 0 for d in found)
    for line in (0, 1, 2):  # hovers and code actions on the same document do not crash the server either
        await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=1)))
    await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=3, character=0)),
        context=types.CodeActionContext(diagnostics=[])))
    # the server still serves a good document afterwards
    good = _open(client, workspace / "Dockerfile", "FROM python:3.11-slim\nRUN pip install torch\n")
    assert any(d.code == "ML002" for d in await _diagnostics(client, good, lambda d: len(d) > 0))


async def test_closing_clears_the_diagnostics(client: LanguageClient, workspace: Path):
    uri = _open(client, workspace / "Dockerfile", "FROM python:3.11-slim\nRUN pip install torch\n")
    await _diagnostics(client, uri, lambda d: len(d) > 0)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert list(await _diagnostics(client, uri, lambda d: len(d) == 0)) == []


async def test_hover_on_a_requirements_line(client: LanguageClient, workspace: Path):
    req_uri, _ = await _dockerfile_reading(client, workspace, "numpy==2.1.3\ntorch==2.5.1\n", base="python:3.12-slim")
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=req_uri), position=types.Position(line=1, character=3)))
    text = result.contents.value
    assert "**As Dockerfile installs it**" in text
    assert "torch==2.5.1  CUDA 12.4, bundles its CUDA libraries (torch 2.5.1's default PyPI wheel)" in text
    assert "torch 2.5 has wheels only for Python 3.9-3.12; this stage runs Python 3.12" in text


async def test_without_the_lsp_extra_one_line_and_exit_2():
    import subprocess

    probe = ("import sys\n"
             "class Block:\n"
             "    def find_spec(self, name, path=None, target=None):\n"
             "        if name.split('.')[0] in ('pygls', 'lsprotocol'):\n"
             "            raise ImportError(f'No module named {name!r}')\n"
             "sys.meta_path.insert(0, Block())\n"
             "from mllint.cli import main\n"
             "main(['lsp'])\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0].startswith(
        "mllint: the language server needs the lsp extra: pip install 'mllint-docker[lsp]'")
    assert "Traceback" not in result.stderr
