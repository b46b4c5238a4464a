"""The language server: pygls wiring of open/change/save/close, watched files, code actions and hovers.

Linting runs in one worker thread (lints never overlap; the editor stays responsive) and its results are
published from the event loop. Edits are debounced: a lint starts when typing pauses for ``DELAY``
seconds; opening and saving lint at once. A Dockerfile's findings in a dependency file it reads
(``requirements.txt``) are published for that file too, and an edit to such a file lints again every
Dockerfile known to read it.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
import os
from concurrent.futures import ThreadPoolExecutor

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from mllint import __version__
from mllint.lsp import features, hovers
from mllint.lsp.buffers import BufferReader
from mllint.lsp.linting import Linting, Result, absolute, is_dockerfile

DELAY = 0.3  # seconds of quiet after an edit before linting
CONFIG_NAMES = (".mllint.yaml", ".mllint.yml", "pyproject.toml")
WATCHED = ("**/.mllint.yaml", "**/.mllint.yml", "**/pyproject.toml", "**/*requirements*.txt",
           "**/*constraints*.txt", "**/requirements/*.txt", "**/environment*.yml", "**/environment*.yaml")
log = logging.getLogger("mllint.lsp")


class MllintServer(LanguageServer):
    def __init__(self, today: _dt.date | None = None) -> None:
        super().__init__("mllint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.buffers = BufferReader()
        self.linting = Linting(self.buffers, today)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mllint-lint")
        self.open: dict[str, str] = {}  # absolute path -> uri of the documents open in the editor
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.contributions: dict[str, dict[str, list[types.Diagnostic]]] = {}  # target -> dockerfile -> diags
        self.indexed = False

    # -- documents -----------------------------------------------------------------------
    def document(self, uri: str):
        return self.workspace.get_text_document(uri)

    def path_of(self, uri: str) -> str | None:
        path = to_fs_path(uri)
        return absolute(path) if path else None

    def uri_of(self, path: str) -> str:
        return self.open.get(path) or from_fs_path(path) or path

    def text_of(self, path: str) -> str | None:
        """The editor's text of ``path`` if it is open, else the file's (None: unreadable)."""
        data = self.buffers.buffer(path)
        if data is None:
            try:
                data = self.buffers.read(path, 5 * 1024 * 1024)
            except (OSError, ValueError):
                return None
        return data.decode("utf-8", errors="replace")

    def lines_of(self, path: str) -> list[str]:
        uri = self.open.get(path)
        if uri is not None:
            return list(self.document(uri).lines)
        text = self.text_of(path)
        return text.splitlines(keepends=True) if text is not None else []

    def roots(self) -> list[str]:
        folders = [to_fs_path(f.uri) for f in (self.workspace.folders or {}).values()] if self.workspace.folders \
            else []
        roots = [f for f in folders if f] or ([self.workspace.root_path] if self.workspace.root_path else [])
        return [r for r in roots if r and os.path.isdir(r)]

    # -- linting -------------------------------------------------------------------------------
    async def lint(self, path: str) -> Result | None:
        text = self.text_of(path)
        if text is None:
            return None
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self.executor, self.linting.lint, path, text)
        self.record(result)
        return result

    def record(self, result: Result) -> None:
        """Store a Dockerfile's diagnostics per file it concerns and publish the open ones."""
        touched = {target for target, by in self.contributions.items() if result.path in by}
        touched |= {result.path, *result.reads}
        if result.report is not None:
            touched |= {absolute(f.path) for f in result.report.findings}
        for target in touched:
            if target not in self.open:  # published when it is opened (opening lints its readers again)
                self.contributions.get(target, {}).pop(result.path, None)
                continue
            lines = self.lines_of(target)
            codec = self.workspace.position_codec
            found = features.diagnostics(result, target, lines, codec)
            by = self.contributions.setdefault(target, {})
            if found:
                by[result.path] = found
            else:
                by.pop(result.path, None)
            self.publish(target)

    def publish(self, target: str) -> None:
        uri = self.open.get(target)
        if uri is None:
            return
        diagnostics = [d for found in self.contributions.get(target, {}).values() for d in found]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    async def refresh(self, path: str) -> None:
        """Lint what an edit of ``path`` can change: the Dockerfile itself, or the Dockerfiles reading it."""
        self.pending.pop(path, None)
        if os.path.basename(path) in CONFIG_NAMES:
            self.linting.forget_configuration()
            await self.lint_all()
            if os.path.basename(path) != "pyproject.toml":
                return
        uri = self.open.get(path)
        language = self.document(uri).language_id if uri else None
        if is_dockerfile(path, language):
            await self.lint(path)
            return
        for dockerfile in await self.readers_of(path):
            await self.lint(dockerfile)

    async def readers_of(self, path: str) -> list[str]:
        readers = self.linting.readers_of(path)
        if not readers and not self.indexed:
            self.indexed = True
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self.executor, self.linting.index, self.roots(), self.text_of)
            for result in list(self.linting.results.values()):
                self.record(result)
            readers = self.linting.readers_of(path)
        return readers

    async def lint_all(self) -> None:
        """Every open Dockerfile and every Dockerfile linted so far (the configuration changed)."""
        for dockerfile in sorted(set(self.linting.results) | {p for p, u in self.open.items()
                                                              if is_dockerfile(p, self.document(u).language_id)}):
            await self.lint(dockerfile)

    def later(self, path: str) -> None:
        handle = self.pending.pop(path, None)
        if handle is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self.pending[path] = loop.call_later(DELAY, lambda: asyncio.ensure_future(self.refresh(path)))

    def now(self, path: str):
        handle = self.pending.pop(path, None)
        if handle is not None:
            handle.cancel()
        return self.refresh(path)


server = MllintServer()


@server.feature(types.INITIALIZED)
async def initialized(ls: MllintServer, params: types.InitializedParams) -> None:
    capabilities = ls.client_capabilities.workspace
    watched = capabilities.did_change_watched_files if capabilities else None
    if watched is not None and watched.dynamic_registration:
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED])
        registration = types.Registration(id="mllint-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                          register_options=options)
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except Exception as exc:  # noqa: BLE001 - a client may refuse; saving in the editor still works
            log.info("watched files not registered: %s", exc)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: MllintServer, params: types.DidOpenTextDocumentParams) -> None:
    path = ls.path_of(params.text_document.uri)
    if path is None:
        return
    ls.open[path] = params.text_document.uri
    ls.buffers.open(path, params.text_document.text)
    await ls.now(path)
    ls.publish(path)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: MllintServer, params: types.DidChangeTextDocumentParams) -> None:
    path = ls.path_of(params.text_document.uri)
    if path is None:
        return
    ls.buffers.open(path, ls.document(params.text_document.uri).source)
    ls.later(path)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: MllintServer, params: types.DidSaveTextDocumentParams) -> None:
    path = ls.path_of(params.text_document.uri)
    if path is not None:
        await ls.now(path)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
async def did_close(ls: MllintServer, params: types.DidCloseTextDocumentParams) -> None:
    path = ls.path_of(params.text_document.uri)
    if path is None:
        return
    handle = ls.pending.pop(path, None)
    if handle is not None:
        handle.cancel()
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))
    ls.open.pop(path, None)
    ls.buffers.close(path)
    if os.path.basename(path) in CONFIG_NAMES or not is_dockerfile(path):
        await ls.refresh(path)  # the file on disk counts again


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def did_change_watched_files(ls: MllintServer, params: types.DidChangeWatchedFilesParams) -> None:
    for change in params.changes:
        path = ls.path_of(change.uri)
        if path is not None and path not in ls.open:
            await ls.refresh(path)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: MllintServer, params: types.DidChangeConfigurationParams) -> None:
    ls.linting.forget_configuration()
    await ls.lint_all()


def _results_for(ls: MllintServer, path: str) -> list[Result]:
    own = ls.linting.results.get(path)
    if own is not None:
        return [own]
    return [ls.linting.results[p] for p in ls.linting.readers_of(path) if p in ls.linting.results]


def _instruction_line(text: str, line: int) -> int:
    """The first line of the instruction that covers ``line`` (where a suppression comment goes)."""
    from mllint.dockerfile import DockerfileSyntaxError, parse

    try:
        parsed = parse(text)
    except (DockerfileSyntaxError, ValueError):
        return line
    for instruction in parsed.instructions:
        if instruction.start_line <= line <= instruction.end_line:
            return instruction.start_line
    return line


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_action(ls: MllintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    path = ls.path_of(params.text_document.uri)
    if path is None:
        return []
    lines = list(ls.document(params.text_document.uri).lines)
    codec = ls.workspace.position_codec
    actions: list[types.CodeAction] = []
    seen: set[tuple] = set()
    first, last = params.range.start.line + 1, params.range.end.line + 1
    for result in _results_for(ls, path):
        for line in range(first, last + 1):
            for finding in features.findings_at(result, path, line):
                key = (finding.rule_id, finding.span, finding.message)
                if key in seen:
                    continue
                seen.add(key)

                def diagnostic_for(f, lines=lines):
                    return features.diagnostic(f, lines, codec)

                fix = features.fix_action(finding, params.text_document.uri, lines, codec, diagnostic_for)
                if fix is not None:
                    actions.append(fix)
                actions.append(_suppression(ls, result, finding, path, lines, diagnostic_for))
    return actions


def _suppression(ls: MllintServer, result: Result, finding, path: str, lines, diagnostic_for) -> types.CodeAction:
    codec = ls.workspace.position_codec
    if finding.related and absolute(finding.path) == path and path != result.path:
        # declared in a dependency file: the comment goes above the RUN that installs it, in the Dockerfile
        dockerfile, span = finding.related[0]
        dockerfile = absolute(dockerfile)
        docker_lines = ls.lines_of(dockerfile)
        line = _instruction_line("".join(docker_lines), span.line)
        return features.suppress_action(finding, line, ls.uri_of(dockerfile), docker_lines, codec, diagnostic_for)
    line = _instruction_line("".join(lines), finding.span.line)
    return features.suppress_action(finding, line, ls.uri_of(path), lines, codec, diagnostic_for)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: MllintServer, params: types.HoverParams) -> types.Hover | None:
    path = ls.path_of(params.text_document.uri)
    if path is None:
        return None
    document = ls.document(params.text_document.uri)
    line = params.position.line + 1
    sections: list[str] = []
    try:
        sections += _finding_sections(ls, path, line)
        sections += _stack_sections(ls, path, document, line)
    except Exception as exc:  # noqa: BLE001 - a hover must never take the server down
        log.warning("hover failed: %s", exc)
    if not sections:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(sections)))


def _finding_sections(ls: MllintServer, path: str, line: int) -> list[str]:
    from mllint.knowledge import catalogue

    sections, seen = [], set()
    for result in _results_for(ls, path):
        for finding in features.findings_at(result, path, line):
            key = (finding.rule_id, finding.message)
            if key in seen:
                continue
            seen.add(key)
            entry = catalogue().get(finding.rule_id) or {}
            sections.append(features.rule_hover(finding, " ".join(str(entry.get("summary", "")).split())))
    return sections


def _stack_sections(ls: MllintServer, path: str, document, line: int) -> list[str]:
    config = None
    if is_dockerfile(path, document.language_id):
        result = ls.linting.results.get(path)
        config = result.config if result else None
        parsed = hovers.model(document.source, path, ls.buffers, config.target if config else None)
        if parsed is None:
            return []
        text = hovers.from_line(parsed, line) or hovers.install_line(parsed, line)
        return [text] if text else []
    found: list[str] = []
    for dockerfile in ls.linting.readers_of(path):
        result = ls.linting.results.get(dockerfile)
        text = ls.text_of(dockerfile)
        if result is None or text is None:
            continue
        parsed = hovers.model(text, dockerfile, ls.buffers, result.config.target if result.config else None)
        if parsed is not None:
            lines = hovers.declared_line(parsed, path, line)
            if lines:
                found.append(f"**As {os.path.basename(dockerfile)} installs it**\n\n" + "\n".join(lines))
    return found


def serve() -> None:
    """Run the server over standard input and output until the client says exit."""
    logging.basicConfig(level=logging.WARNING, format="mllint lsp: %(message)s")
    server.start_io()
