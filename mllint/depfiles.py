"""Dependency files: what ``pip install -r``, ``pip install .`` and ``conda env create -f`` read.

A model step, run by the engine after parsing and before the rules. It follows each install's
files back through the stage's ``WORKDIR``, ``cd``, ``COPY``/``ADD`` and ``RUN --mount=type=bind``
to a file of the build context, reads it through a :class:`~mllint.reader.ContextReader` (the only
file access; each file is read once per lint), and turns every requirement the file declares into an
:class:`~mllint.dockerfile.Install` of its own.
Those derived installs carry the RUN's record (tool, options, index URLs, environment) with one
requirement, and a :class:`DeclaredAt` instruction whose ``origin`` says where the requirement is
written (file, line, column). Rules stay pure: they iterate :func:`with_declared` instead of
``stage.installs`` and build their hits as usual; the engine moves a hit whose instruction has an
``origin`` into the dependency file and keeps the RUN as a related location.

What cannot be followed (no COPY brings the file in, ``COPY --from``, a variable in the path, a file
missing from the context, unreadable or malformed) becomes a :class:`Unchecked` entry, reported by
``dependency-file-unchecked`` (ML014) at info level: never a crash, never silence.

Formats: pip requirement files (``-r``/``-c`` nested, ``--requirement=``, index options, per-line
``--hash`` options, comments, ``\\`` continuations), ``pyproject.toml`` ``[project]`` dependencies and
the optional dependencies of the extras asked for (``pip install .[gpu]``; via tomllib), conda
``--file`` spec lists and ``environment.yml`` (with its ``pip:`` section; via ruamel.yaml). tomllib and
ruamel.yaml are imported only when such a file is read.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase

from mllint.dockerfile import Dockerfile, Install, Instruction, Stage
from mllint.installs import InstallRecord, Requirement, parse_conda_spec, parse_pip_requirement
from mllint.memo import per_stage
from mllint.reader import ContextReader
from mllint.variables import split_words

KEY = "dependency_files"
MAX_DEPTH = 10  # -r includes followed this deep
MAX_DECLARED = 10_000  # requirements followed per install, over all its files (time stays bounded)


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Origin:
    """Where a declared requirement (or option) is written."""

    path: str  # as reported: the context directory joined with the file's path in it
    line: int
    column: int
    end_column: int
    text: str  # the line as written
    kind: str  # "requirement" or "option"


@dataclass(eq=False)
class DeclaredAt(Instruction):
    """The RUN instruction as seen from a line of a dependency file it reads."""

    origin: Origin | None = None
    declared_by: Instruction | None = None  # the RUN instruction itself


@dataclass(frozen=True)
class Unchecked:
    """A dependency file the check could not follow, and why."""

    instruction: Instruction  # the RUN, or a DeclaredAt for a file named inside another file
    line: int
    column: int
    file: str
    reason: str
    hint: str = ""  # what would let mllint check it


@dataclass
class Dependencies:
    """What the dependency files a Dockerfile installs declare, and the files that could not be checked."""

    declared: dict[int, list[Install]] = field(default_factory=dict)  # id(install.record) -> derived
    unchecked: list[Unchecked] = field(default_factory=list)
    unread_constraints: dict[int, list[str]] = field(default_factory=dict)  # id(command) -> constraints files not read


def with_declared(installs: Iterable[Install], kinds: tuple[str, ...] = ("requirement",)) -> Iterator[Install]:
    """Each install, followed by what its dependency files declare (``kinds``: requirement, option)."""
    for install in installs:
        yield install
        deps = install.stage.dockerfile.facts.get(KEY) if install.stage else None
        if not deps:
            continue
        for derived in deps.declared.get(id(install.record), ()):
            if derived.instruction.origin.kind in kinds:
                yield derived


def unchecked(dockerfile: Dockerfile) -> list[Unchecked]:
    deps = dockerfile.facts.get(KEY)
    return list(deps.unchecked) if deps else []


def read_files(dockerfile: Dockerfile) -> list[str]:
    """The dependency files whose declarations the model holds, as reported (``Origin.path``)."""
    deps = dockerfile.facts.get(KEY)
    if not deps:
        return []
    return sorted({derived.instruction.origin.path for found in deps.declared.values() for derived in found})


def unread_constraints(install: Install) -> list[str] | None:
    """Constraints files of the install's command that could not be read; None when files were not followed."""
    deps = install.stage.dockerfile.facts.get(KEY) if install.stage else None
    if deps is None:
        return None
    return list(deps.unread_constraints.get(id(install.record.command), ()))


def origin_of(instruction: Instruction) -> Origin | None:
    return getattr(instruction, "origin", None)


# --------------------------------------------------------------------------- the model step


def attach(dockerfile: Dockerfile, reader: ContextReader | None, dockerfile_path: str = "Dockerfile") -> None:
    """Follow every install's dependency files; ``reader`` None: no build context (stdin)."""
    deps = Dependencies()
    dockerfile.facts[KEY] = deps
    for stage in dockerfile.stages:
        for install in list(stage.installs):
            _Follower(deps, reader, stage, install, dockerfile_path).run()


@dataclass(frozen=True)
class _Found:
    """A container path traced to its source."""

    context_path: str | None = None  # path in the build context
    heredoc: object | None = None  # a `COPY <<EOF` body
    heredoc_line: int = 0
    reason: str | None = None  # why it cannot be read


_GLOB = re.compile(r"[*?\[]")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar", ".egg")


class _Follower:
    def __init__(self, deps: Dependencies, reader: ContextReader | None, stage: Stage, install: Install,
                 dockerfile_path: str) -> None:
        self.deps = deps
        self.reader = reader
        self.stage = stage
        self.install = install
        self.run_instruction = install.instruction
        self.dockerfile_path = dockerfile_path
        self.derived: list[Install] = []
        self.extra: dict[str, list] = {"index_url": [], "extra_index_urls": [], "find_links": [],
                                       "constraint_files": [], "pre": []}
        self.seen: set[str] = set()
        self.capped: str | None = None  # the file in which MAX_DECLARED was reached

    # -- entry -----------------------------------------------------------------
    def run(self) -> None:
        install = self.install
        record = install.record
        manager = install.manager
        cwd = self._cwd()
        base = self.run_instruction
        line, col = install.line, install.column
        if manager in ("pip", "uv") and record.installs_packages or (manager == "pip" and install.action == "install"):
            for name in record.requirement_files:
                self._requirements_file(name, cwd, base, line, col, depth=0, pip=True)
            for name in record.constraint_files:
                self._constraints_file(name, cwd, base, line, col)
            variable = "UV_CONSTRAINT" if manager == "uv" else "PIP_CONSTRAINT"
            for name in (install.env.get(variable) or "").split():  # a constraints file in force by ENV/ARG
                self._constraints_file(name, cwd, base, line, col)
            for requirement in record.requirements:
                if _is_project_dir(requirement):
                    self._project(requirement, cwd, base, line, col)
        elif manager == "conda" and record.installs_packages:
            for name in record.env_files:
                self._environment_file(name, cwd, base, line, col)
            for name in record.requirement_files:
                self._requirements_file(name, cwd, base, line, col, depth=0, pip=False)
        if self.capped:
            self._unchecked(base, line, col, self.capped, f"with the files it includes it declares more than "
                            f"{MAX_DECLARED:,} requirements, and mllint checks the first {MAX_DECLARED:,}")
        if not self.derived:
            return
        extra = self.extra
        merge = any(extra.values())
        derived = []
        for item in self.derived:
            rec = item.record
            if rec.manager in ("pip", "uv") and item.instruction.origin.kind == "requirement" \
                    and (merge or rec.action == "sync"):
                rec = replace(
                    rec,
                    index_url=rec.index_url or (extra["index_url"][-1] if extra["index_url"] else None),
                    extra_index_urls=tuple(dict.fromkeys([*rec.extra_index_urls, *extra["extra_index_urls"]])),
                    find_links=tuple(dict.fromkeys([*rec.find_links, *extra["find_links"]])),
                    constraint_files=tuple(dict.fromkeys([*rec.constraint_files, *extra["constraint_files"]])),
                    pre=rec.pre or bool(extra["pre"]),
                    action="install" if rec.action == "sync" else rec.action,  # `uv pip sync` installs the file
                )
                item = replace(item, record=rec)
            derived.append(item)
        self.deps.declared.setdefault(id(record), []).extend(derived)

    # -- where the RUN runs ------------------------------------------------------
    def _cwd(self) -> str | None:
        """The directory the install runs in: the WORKDIR, then the RUN's `cd`s before it."""
        wd = self._cwd_at(self.run_instruction)
        for target in _cds_before(self.run_instruction, self.install.record.command):
            wd = _join(wd, self.run_instruction.expand(target, self.install.env).value)
        return wd

    def _unchecked(self, at: Instruction, line: int, column: int, file: str, reason: str) -> None:
        hint = ""
        if "build context" in reason and "--context" not in reason:  # say it once
            hint = "pass --context DIR if the build context is not the Dockerfile's directory"
        elif "build argument" in reason:
            hint = "pass its value with --build-arg NAME=VALUE"
        self.deps.unchecked.append(Unchecked(at, line, column, file, reason, hint))

    # -- tracing a container path back to the build context ----------------------
    def _trace(self, container_path: str) -> _Found:
        run = self.run_instruction
        for mount in run.mounts:
            if mount.get("type") != "bind":
                continue
            target = mount.get("target") or mount.get("dst") or mount.get("destination")
            if not target:
                continue
            target_path = _join(self._cwd_at(run), run.expand(target).value)
            if target_path is None:
                continue
            rel = _under(container_path, target_path)
            if rel is None:
                continue
            if mount.get("from"):
                return _Found(reason=f"it is bind-mounted from `{mount['from']}`, not from the build context")
            source = _clean(run.expand(mount.get("source") or mount.get("src") or ".").value)
            if source is None:
                return _Found(reason="its bind mount's source uses a build argument without a known value")
            return _Found(context_path=_clean(posixpath.join(source, rel)))
        for instruction in _walk(self.stage).copies_before(run):
            found = self._match_copy(instruction, container_path)
            if found is not None:
                return found
        return _Found(reason=f"no COPY, ADD or bind mount before it brings {container_path} in from the "
                             "build context (it may come from the base image or an earlier RUN)")

    def _cwd_at(self, upto: Instruction) -> str | None:
        return _walk(self.stage).workdir_before(upto)

    def _match_copy(self, instruction: Instruction, path: str) -> _Found | None:
        if instruction.json_args is not None:
            words = list(instruction.json_args)
        else:
            escape = instruction.stage.dockerfile.escape if instruction.stage else "\\"
            words = [_unquote(w) for w in split_words(instruction.value, escape)]
        if len(words) < 2:
            return None
        *sources, dest_raw = words
        dest_text = instruction.expand(dest_raw).value
        if dest_text is None:
            return None
        dest = _join(self._cwd_at(instruction), dest_text)
        if dest is None:
            return None
        dir_dest = dest_text.endswith("/") or dest_text in (".", "./", "..") or len(sources) > 1
        origin_from = instruction.flag("from")
        for source_raw in sources:
            if source_raw.startswith("<<"):
                name = source_raw.lstrip("<-").strip("'\"")
                doc = next((d for d in instruction.heredocs if d.name == name), None)
                target = posixpath.join(dest, name) if dir_dest else dest
                if doc is not None and path == target:
                    return _Found(heredoc=doc, heredoc_line=doc.start_line)
                continue
            if instruction.keyword == "ADD" and re.match(r"^[a-z][a-z0-9+.-]*://", source_raw, re.I):
                if path in (dest, posixpath.join(dest, posixpath.basename(source_raw.split("?")[0]))):
                    return _Found(reason=f"ADD downloads it from {source_raw} at build time")
                continue
            source_text = instruction.expand(source_raw).value
            if source_text is None:
                continue
            source = _clean(source_text.lstrip("/")) or "."
            rel = None
            if _GLOB.search(source):
                inside = _under(path, dest)
                if inside and "/" not in inside and fnmatchcase(inside, posixpath.basename(source)):
                    rel = _clean(posixpath.join(posixpath.dirname(source), inside))
            elif not origin_from and self.reader is not None and (source == "." or self.reader.is_dir(source)):
                inside = _under(path, dest)
                if inside is not None:
                    rel = _clean(posixpath.join(source, inside))
            elif origin_from and (source == "." or source.endswith("/")):
                inside = _under(path, dest)
                if inside is not None:
                    rel = source
            else:
                base = posixpath.basename(source)
                inside = _under(path, dest)
                if (not dir_dest and path == dest) or path == posixpath.join(dest, base):
                    rel = source
                elif inside not in (None, ".") and (not dir_dest or len(sources) == 1):
                    # `COPY tests/ tests/` and the path is below the destination: the source is a directory
                    # (a file has nothing below it), whether or not the context at hand holds it
                    rel = _clean(posixpath.join(source, inside))
            if rel is None:
                continue
            if origin_from:
                return _Found(reason=f"it is copied from `{origin_from[0]}` (COPY --from), which is out of reach")
            if instruction.keyword == "ADD" and rel.endswith((".tar", ".tar.gz", ".tgz", ".tar.xz")):
                continue
            return _Found(context_path=rel)
        return None

    # -- reading ------------------------------------------------------------------
    def _open(self, name: str, cwd: str | None, at: Instruction, line: int, column: int,
              env=None) -> tuple[str, str, int, str] | None:
        """(text, reported path, line offset, container path) of a file named in the install, or None."""
        if re.match(r"^[a-z][a-z0-9+.-]*://", name, re.I):
            self._unchecked(at, line, column, name, "it is downloaded at build time")
            return None
        text = self.run_instruction.expand(name, env if env is not None else self.install.env).value
        if text is None:
            self._unchecked(at, line, column, name, self._variable_reason(name))
            return None
        container = _join(cwd, text)
        if container is None:
            self._unchecked(at, line, column, name, "the directory it is read from is not known (a variable)")
            return None
        if self.reader is None:
            self._unchecked(at, line, column, name, "there is no build context (input read from stdin; "
                                                    "use --context DIR)")
            return None
        found = self._trace(container)
        if found.heredoc is not None:
            return found.heredoc.text, self.dockerfile_path, found.heredoc_line - 1, container
        if found.context_path is None:
            self._unchecked(at, line, column, name, found.reason or "it is not in the build context")
            return None
        content, problem = self.reader.read(found.context_path)
        if content is None:
            self._unchecked(at, line, column, name, problem or "it cannot be read")
            return None
        return content, self.reader.display(found.context_path), 0, container

    def _variable_reason(self, text: str) -> str:
        """Why a path with an unknown variable cannot be read: a build argument without a value (which
        ``--build-arg`` can give), or a shell variable the RUN itself sets (which it cannot)."""
        names = re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text)
        assigned = _shell_assigned(self.run_instruction)
        shell = [n for n in names if n in assigned]
        if shell:
            return (f"its path uses ${shell[0]}, a shell variable the RUN itself sets, "
                    "so its value is known only while the image builds")
        undeclared = [n for n in names if n not in self.install.env]
        if undeclared:
            return (f"its path uses ${undeclared[0]}, which the Dockerfile does not declare with ARG or ENV "
                    "(the base image's environment or the shell set it)")
        return "its path uses a build argument without a known value"

    def _declared_at(self, origin: Origin) -> DeclaredAt:
        run = self.run_instruction
        return DeclaredAt(raw=run.raw, stage=run.stage, env=run.env, commands=run.commands, installs=[],
                          assigned={}, origin=origin, declared_by=run)

    def _add(self, record: InstallRecord, origin: Origin) -> DeclaredAt:
        at = self._declared_at(origin)
        install = self.install
        self.derived.append(Install(record, at, install.line, install.column, install.env))
        return at

    def _pip_record(self, requirement: Requirement | None, **changes) -> InstallRecord:
        record = self.install.record
        if record.manager not in ("pip", "uv"):  # the pip: section of an environment file
            record = InstallRecord(manager="pip", tool="pip", action="install", command=record.command,
                                   options=changes.pop("options", ()), assignments=record.assignments)
        return replace(record, requirements=(requirement,) if requirement else (), requirement_files=(),
                       env_files=(), **changes)

    # -- pip requirement files ------------------------------------------------------
    def _requirements_file(self, name: str, cwd: str | None, at: Instruction, line: int, column: int,
                           depth: int, pip: bool, pip_options: tuple = ()) -> None:
        if depth > MAX_DEPTH:
            self._unchecked(at, line, column, name, f"it is included through more than {MAX_DEPTH} nested "
                                                    "-r files, as deep as mllint follows")
            return
        opened = self._open(name, cwd, at, line, column)
        if opened is None:
            return
        text, shown, offset, container = opened
        if container in self.seen:
            return  # a cycle: already read
        self.seen.add(container)
        if posixpath.basename(container) == "pyproject.toml":
            self._pyproject_text(text, shown, offset, (), at, line, column, name)
            return
        folder = posixpath.dirname(container)
        if not pip:
            self._conda_specs(text, shown, offset)
            return
        self._pip_lines(_logical_lines(text), shown, offset, folder, depth, pip_options)

    def _constraints_file(self, name: str, cwd: str | None, at: Instruction, line: int, column: int,
                          depth: int = 0) -> None:
        """A constraints file bounds versions: nothing in it is installed or judged, but its exact pins fix
        what the install resolves (``mllint.resolution``), so its lines become ``kind="constraint"``
        installs. One that cannot be read is no ML014 note (it may still pin: resolution says so)."""
        self.extra["constraint_files"].append(name)
        before = len(self.deps.unchecked)
        opened = self._open(name, cwd, at, line, column)
        del self.deps.unchecked[before:]
        if opened is None:
            self.deps.unread_constraints.setdefault(id(self.install.record.command), []).append(name)
            return
        text, shown, offset, container = opened
        if container in self.seen or depth > MAX_DEPTH:
            return
        self.seen.add(container)
        for number, col, logical, written in _logical_lines(text):
            origin = Origin(shown, number + offset, col, col + len(written.rstrip()), written, "constraint")
            if logical.startswith("-"):
                words = logical.split(None, 1)
                option = _PIP_SHORT.get(words[0].split("=", 1)[0], words[0].split("=", 1)[0])
                value = words[0].split("=", 1)[1] if "=" in words[0] else (words[1] if len(words) > 1 else "")
                if option == "--constraint" and value.strip():
                    self._constraints_file(value.strip(), posixpath.dirname(container), at, line, column, depth + 1)
                continue
            requirement = parse_pip_requirement(_strip_line_options(logical))
            if requirement.name:
                self._add(self._pip_record(requirement), origin)

    def _room(self, shown: str) -> bool:
        """Whether another requirement may be followed (MAX_DECLARED)."""
        if len(self.derived) < MAX_DECLARED:
            return True
        self.capped = self.capped or shown
        return False

    def _pip_lines(self, lines: list[tuple[int, int, str, str]], shown: str, offset: int, folder: str,
                   depth: int, pip_options: tuple = ()) -> None:
        for number, column, logical, written in lines:
            if not self._room(shown):
                return
            line_no = number + offset
            end = column + len(written.rstrip())
            origin = Origin(shown, line_no, column, max(end, column + 1), written, "requirement")
            if logical.startswith("-"):
                self._pip_option(logical, origin, folder, depth)
                continue
            requirement_text = _strip_line_options(logical)
            requirement = parse_pip_requirement(requirement_text)
            if _is_project_dir(requirement):
                self._project(requirement, folder, self._declared_at(origin), line_no, column)
                continue
            self._add(self._pip_record(requirement, options=pip_options), origin)

    def _pip_option(self, logical: str, origin: Origin, folder: str, depth: int) -> None:
        try:
            words = shlex.split(logical, comments=False)
        except ValueError:
            words = logical.split()
        if not words:
            return
        option, value = words[0], (words[1] if len(words) > 1 else None)
        if "=" in option and option.startswith("--"):
            option, value = option.split("=", 1)
        elif len(option) > 2 and option[1] != "-":
            option, value = option[:2], option[2:]
        option = _PIP_SHORT.get(option, option)
        here = self._declared_at(replace(origin, kind="option"))
        if option in ("--requirement", "--constraint") and value:
            if option == "--constraint":
                self._constraints_file(value, folder, here, origin.line, origin.column, depth + 1)
                return
            self._requirements_file(value, folder, here, origin.line, origin.column, depth + 1, pip=True)
        elif option == "--editable" and value:
            requirement = parse_pip_requirement(value, editable=True)
            if _is_project_dir(requirement):
                self._project(requirement, folder, here, origin.line, origin.column)
            else:
                self._add(self._pip_record(requirement), origin)
        elif option == "--index-url" and value:
            self.extra["index_url"].append(value)
            self._add(self._pip_record(None, index_url=value, extra_index_urls=(),
                                       options=(("--index-url", value),)), replace(origin, kind="option"))
        elif option == "--extra-index-url" and value:
            self.extra["extra_index_urls"].append(value)
            record = self.install.record
            main = record.index_url or (self.extra["index_url"][-1] if self.extra["index_url"] else None)
            self._add(self._pip_record(None, index_url=main, extra_index_urls=(value,),
                                       options=(("--extra-index-url", value),)), replace(origin, kind="option"))
        elif option == "--find-links" and value:
            self.extra["find_links"].append(value)
        elif option == "--pre":
            self.extra["pre"].append(True)

    # -- conda -------------------------------------------------------------------------
    def _conda_specs(self, text: str, shown: str, offset: int) -> None:
        for number, column, logical, written in _logical_lines(text, continuations=False):
            if not self._room(shown):
                return
            if logical.startswith(("@", "http://", "https://", "file:")):
                continue
            origin = Origin(shown, number + offset, column, column + len(written.rstrip()), written, "requirement")
            record = replace(self.install.record, requirements=(parse_conda_spec(logical.split()[0]),),
                             requirement_files=(), env_files=())
            self._add(record, origin)

    def _environment_file(self, name: str, cwd: str | None, at: Instruction, line: int, column: int) -> None:
        opened = self._open(name, cwd, at, line, column)
        if opened is None:
            return
        text, shown, offset, container = opened
        data, problem = _load_yaml(text)
        if problem:
            self._unchecked(at, line, column, name, f"{shown} {problem}")
            return
        if not isinstance(data, dict):
            self._unchecked(at, line, column, name, f"{shown} is not a conda environment file (no mapping)")
            return
        dependencies = data.get("dependencies")
        if dependencies is None:
            return
        if not isinstance(dependencies, list):
            self._unchecked(at, line, column, name, f"{shown}: `dependencies` is not a list")
            return
        record = self.install.record
        action = "create" if self.install.action == "env-create" else "install"
        options = list(record.options)
        env_name = data.get("name")
        if env_name and action == "install" and not record.has_option("--name") and str(env_name) != "base":
            options.append(("--name", str(env_name)))
        channels = tuple(str(c) for c in data.get("channels") or () if isinstance(c, str))
        lines = text.splitlines()
        folder = posixpath.dirname(container)
        odd = _odd_entry(dependencies)
        if odd:
            self._unchecked(at, line, column, name, f"{shown}: {odd}")
        for index, item in enumerate(dependencies):
            if not self._room(shown):
                return
            where = _lc(dependencies, index)
            if isinstance(item, str):
                origin = _yaml_origin(shown, lines, where, offset, "requirement")
                conda = replace(record, action=action, requirements=(parse_conda_spec(item.strip()),),
                                requirement_files=(), env_files=(), channels=channels or record.channels,
                                options=tuple(options))
                self._add(conda, origin)
            elif isinstance(item, dict) and isinstance(item.get("pip"), list):
                pip_items = item["pip"]
                pip_lines = []
                for j, entry in enumerate(pip_items):
                    if not isinstance(entry, str):
                        continue
                    row, col = _lc(pip_items, j)
                    written = lines[row] if 0 <= row < len(lines) else entry
                    pip_lines.append((row + 1, col + 1, entry.strip(), written[col:] if col < len(written) else entry))
                pip_options = (("--prefix", str(env_name or "conda-env")),) if action == "create" else ()
                self._pip_lines(pip_lines, shown, offset, folder, 1, pip_options)

    # -- pyproject.toml ------------------------------------------------------------------
    def _project(self, requirement: Requirement, cwd: str | None, at: Instruction, line: int, column: int) -> None:
        if self.install.record.no_deps:
            return  # `pip install --no-deps .`: the project's dependencies are never installed
        path = requirement.path or "."
        if path.startswith("file:"):
            path = path[5:].lstrip("/") if not path.startswith("file:///") else path[7:]
        name = posixpath.join(path, "pyproject.toml")
        text = self.run_instruction.expand(path, self.install.env).value
        container = _join(cwd, text) if text is not None else None
        if container is None or self.reader is None:
            self._open(name, cwd, at, line, column)  # records why
            return
        found = self._trace(posixpath.join(container, "pyproject.toml"))
        if found.context_path is not None and not self.reader.exists(found.context_path):
            setup = self._trace(posixpath.join(container, "setup.py"))
            if setup.context_path is not None and self.reader.exists(setup.context_path):
                self._unchecked(at, line, column, requirement.raw,
                                f"{self.reader.display(setup.context_path)} declares the dependencies in code, "
                                "which mllint does not run")
                return
        opened = self._open(name, cwd, at, line, column)
        if opened is None:
            return
        content, shown, offset, _ = opened
        self._pyproject_text(content, shown, offset, requirement.extras, at, line, column, requirement.raw)

    def _pyproject_text(self, text: str, shown: str, offset: int, extras: tuple[str, ...], at: Instruction,
                        line: int, column: int, name: str) -> None:
        from mllint import toml  # tomllib, or tomli on Python 3.10

        try:
            data = toml.loads(text)
        except toml.TOMLDecodeError as exc:
            self._unchecked(at, line, column, name, f"{shown} is not valid TOML ({exc})")
            return
        except RecursionError:
            self._unchecked(at, line, column, name, f"{shown} is not valid TOML (nested too deeply)")
            return
        project = data.get("project")
        if not isinstance(project, dict):
            self._unchecked(at, line, column, name, f"{shown} has no [project] table (dependencies declared "
                                                    "another way, e.g. by Poetry, are not read)")
            return
        dynamic = project.get("dynamic") or []
        wanted: list[str] = []
        if "dependencies" in dynamic:
            self._unchecked(at, line, column, name, f"{shown} declares its dependencies as dynamic")
        else:
            wanted.extend(d for d in _list(project.get("dependencies")) if isinstance(d, str))
        optional = project.get("optional-dependencies")
        own = re.sub(r"[-_.]+", "-", str(project.get("name") or "")).lower()
        for extra in extras:
            for key, values in (optional.items() if isinstance(optional, dict) else ()):
                if re.sub(r"[-_.]+", "-", key).lower() == re.sub(r"[-_.]+", "-", extra).lower():
                    wanted.extend(v for v in _list(values) if isinstance(v, str))
        lines = text.splitlines()
        strings = _string_positions(lines)
        for entry in wanted:
            if not self._room(shown):
                return
            requirement = parse_pip_requirement(entry)
            if requirement.name and requirement.name == own:
                continue  # `pkg[gpu]` inside pkg's own extras
            row, col = strings.get(f'"{entry}"') or strings.get(f"'{entry}'") or (0, 0)
            written = lines[row] if row < len(lines) else entry
            origin = Origin(shown, row + 1 + offset, col + 1, col + 1 + len(entry) + 2, written, "requirement")
            self._add(self._pip_record(requirement), origin)


@dataclass
class _Walk:
    """A stage's WORKDIRs and COPY/ADD instructions, from one pass (its parents' from theirs)."""

    parent: "_Walk | None"
    workdirs: dict[int, str | None]  # id(instruction) -> the WORKDIR in force before it
    positions: dict[int, int]  # id(instruction) -> its position in the stage
    copies: list[tuple[int, Instruction]]  # (position, COPY or ADD) in order
    end: str | None  # the WORKDIR in force after the stage

    def workdir_before(self, instruction: Instruction) -> str | None:
        walk: _Walk | None = self
        while walk is not None:
            if id(instruction) in walk.workdirs:
                return walk.workdirs[id(instruction)]
            walk = walk.parent
        return self.end

    def copies_before(self, instruction: Instruction) -> Iterator[Instruction]:
        """The COPY and ADD instructions before ``instruction``, nearest first (parents' after the stage's)."""
        walk: _Walk | None = self
        while walk is not None:
            limit = walk.positions.get(id(instruction), len(walk.positions))
            for position, copy in reversed(walk.copies):
                if position < limit:
                    yield copy
            walk = walk.parent


def _cds_before(run: Instruction, command) -> list[str]:
    """The targets of the `cd` commands of ``run`` before ``command`` (one index per RUN)."""
    cds = run.stage.dockerfile.facts.setdefault("cd_commands", {}) if run.stage else {}
    if id(run) not in cds:
        targets: list[str] = []
        before: dict[int, int] = {}  # id(command) -> how many cds precede it
        for placed in run.commands:
            before[id(placed.command)] = len(targets)
            argv = placed.command.argv
            if argv and argv[0] == "cd":
                targets.append(argv[1] if len(argv) > 1 else "/root")
        cds[id(run)] = (targets, before)
    targets, before = cds[id(run)]
    return targets[: before.get(id(command), len(targets))]


@per_stage
def _walk(stage: Stage) -> _Walk:
    for ancestor in reversed(stage.lineage[1:]):  # from the top: each finds its parent's walk done
        _walk(ancestor)
    parent = _walk(stage.parent) if stage.parent is not None and stage.parent.index < stage.index else None
    wd = parent.end if parent is not None else "/"
    walk = _Walk(parent, {}, {}, [], wd)
    for position, instruction in enumerate(stage.instructions):
        walk.workdirs[id(instruction)] = wd
        walk.positions[id(instruction)] = position
        if instruction.keyword == "WORKDIR":
            wd = _join(wd, instruction.expand(instruction.value.strip()).value)
        elif instruction.keyword in ("COPY", "ADD"):
            walk.copies.append((position, instruction))
    walk.end = wd
    return walk


_PIP_SHORT = {"-r": "--requirement", "-c": "--constraint", "-e": "--editable", "-i": "--index-url",
              "-f": "--find-links"}


# --------------------------------------------------------------------------- helpers


def _shell_assigned(instruction: Instruction) -> set[str]:
    """Names a RUN's own shell commands assign: ``V=1;``, ``export V=1``, ``for V in``, ``read V``."""
    names: set[str] = set()
    for placed in instruction.commands:
        command = placed.command
        argv = list(command.argv)
        if not argv:
            names.update(name for name, _ in command.assignments)
            continue
        tool = argv[0]
        if tool in ("export", "declare", "local", "readonly", "typeset"):
            names.update(a.split("=", 1)[0] for a in argv[1:] if not a.startswith("-"))
        elif tool == "for" and len(argv) > 1:
            names.add(argv[1])
        elif tool == "read":
            names.update(a for a in argv[1:] if not a.startswith("-"))
    text = instruction.value
    names.update(re.findall(r"(?:^|[;&|(\s])(?:for\s+)?([A-Za-z_][A-Za-z0-9_]*)(?:=|\s+in\s)", text))
    return names


def _is_project_dir(requirement: Requirement) -> bool:
    if not requirement.path or requirement.name and not requirement.editable and requirement.url:
        return False
    if requirement.url and not requirement.url.startswith("file:"):
        return False
    path = requirement.path.split("#")[0]
    return not path.lower().endswith(_ARCHIVES)


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def _clean(path: str | None) -> str | None:
    if path is None:
        return None
    cleaned = posixpath.normpath(path.lstrip("/")) if path.strip("/") else "."
    return cleaned


def _join(base: str | None, path: str | None) -> str | None:
    if path is None:
        return None
    if path.startswith("/"):
        return posixpath.normpath(path)
    if base is None:
        return None
    return posixpath.normpath(posixpath.join(base, path))


def _under(path: str, folder: str) -> str | None:
    """``path`` relative to ``folder`` when inside it (``.`` for the folder itself)."""
    if path == folder:
        return "."
    prefix = folder.rstrip("/") + "/"
    return path[len(prefix):] if path.startswith(prefix) else None


_COMMENT = re.compile(r"(^|\s+)#.*$")


def _logical_lines(text: str, continuations: bool = True) -> list[tuple[int, int, str, str]]:
    """(first line number, column, text without comment, first physical line) per logical line."""
    result = []
    physical = text.splitlines()
    i = 0
    while i < len(physical):
        start = i
        line = physical[i]
        parts = [line]
        while continuations and parts[-1].endswith("\\") and i + 1 < len(physical):
            parts[-1] = parts[-1][:-1]
            i += 1
            parts.append(physical[i])
        i += 1
        joined = _COMMENT.sub("", "".join(parts)).strip()
        if not joined:
            continue
        column = len(line) - len(line.lstrip()) + 1
        result.append((start + 1, column, joined, line[column - 1:]))
    return result


def _strip_line_options(logical: str) -> str:
    """``torch==2.1 --hash=sha256:...``: the requirement without per-line options."""
    match = re.search(r"\s--?[a-zA-Z]", logical)
    text = logical[: match.start()] if match else logical
    return text.strip()


_TOML_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'')


def _string_positions(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Each quoted string of a TOML text (quotes included) -> (row, column) of its first occurrence: one pass."""
    found: dict[str, tuple[int, int]] = {}
    for row, line in enumerate(lines):
        for match in _TOML_STRING.finditer(line):
            found.setdefault(match.group(), (row, match.start()))
    return found


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _load_yaml(text: str):
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    try:
        return yaml.load(text), None
    except RecursionError:
        return None, "is not valid YAML (nested too deeply)"
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        return None, f"is not valid YAML ({problem}{where})"
    except Exception as exc:  # noqa: BLE001 - a broken file must not stop the linting
        return None, f"is not valid YAML ({type(exc).__name__})"


def _odd_entry(dependencies: list) -> str | None:
    """What an environment file's ``dependencies`` holds that is neither a spec nor a ``pip:`` list of specs."""
    for index, item in enumerate(dependencies):
        if isinstance(item, str):
            continue
        if isinstance(item, dict) and set(item) == {"pip"} and isinstance(item["pip"], list):
            bad = next((j for j, entry in enumerate(item["pip"]) if not isinstance(entry, str)), None)
            if bad is None:
                continue
            return (f"entry {bad + 1} of its `pip:` list is {_yaml_kind(item['pip'][bad])}, not a requirement "
                    "(the other entries were checked)")
        return (f"entry {index + 1} of `dependencies` is {_yaml_kind(item)}, not a package spec or a `pip:` list "
                "(the other entries were checked)")
    return None


def _yaml_kind(value) -> str:
    tag = getattr(getattr(value, "tag", None), "value", None)
    if tag:
        return f"a value tagged {tag}"
    if isinstance(value, dict):
        return "a mapping"
    return "a list" if isinstance(value, list) else f"a {type(value).__name__.lower()}"


def _lc(sequence, index: int) -> tuple[int, int]:
    try:
        row, col = sequence.lc.item(index)
        return int(row), int(col)
    except Exception:  # noqa: BLE001 - plain lists have no positions
        return 0, 0


def _yaml_origin(shown: str, lines: list[str], where: tuple[int, int], offset: int, kind: str) -> Origin:
    row, col = where
    written = lines[row] if 0 <= row < len(lines) else ""
    return Origin(shown, row + 1 + offset, col + 1, max(len(written) + 1, col + 2), written[col:], kind)
