"""The Dockerfile model: stages, instructions, variables, image references, commands.

``syntax.read`` gives BuildKit's raw instructions; this module gives them
meaning once, so every rule reads the same answers: which stage an
instruction is in, what its variables resolve to, which image a stage starts
from (through ``FROM <earlier stage>``), and what each ``RUN`` executes and
installs.
"""

from __future__ import annotations

import posixpath
from bisect import bisect_right
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from mllint import syntax
from mllint.images import ImageRef, parse_image
from mllint.installs import InstallRecord, install_records
from mllint.scope import Scope
from mllint.shell import SimpleCommand, split_exec_form, split_script
from mllint.syntax import DockerfileSyntaxError, Heredoc, RawInstruction
from mllint.variables import Expansion, expand, split_words

if TYPE_CHECKING:
    from mllint.shipping import Shipping, StageShipping

__all__ = [
    "Dockerfile",
    "DockerfileSyntaxError",
    "Install",
    "Instruction",
    "Problem",
    "RunCommand",
    "Stage",
    "parse",
]

_EMPTY: Mapping[str, str | None] = MappingProxyType({})
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})


@dataclass(frozen=True)
class Problem:
    """Something wrong with the input that does not stop the rest being linted."""

    line: int
    message: str


@dataclass(frozen=True)
class RunCommand:
    """One simple command of a RUN, placed in the file."""

    command: SimpleCommand
    line: int
    column: int
    in_heredoc: bool


@dataclass(frozen=True)
class Install:
    """An install record in context: where it is and the environment in force."""

    record: InstallRecord
    instruction: "Instruction"
    line: int
    column: int
    env: Mapping[str, str | None]  # ENV and ARG in force plus the command's inline assignments

    def __getattr__(self, name: str):  # delegate record fields: install.requirements, ...
        return getattr(self.record, name)

    @property
    def stage(self) -> "Stage":
        return self.instruction.stage


@dataclass(eq=False)
class Instruction:
    """An instruction in its stage, with the variables in force and what a RUN executes and installs."""

    raw: RawInstruction
    stage: "Stage | None"  # None for global ARGs before the first FROM
    env: Mapping[str, str | None]  # variables in force *before* this instruction
    commands: list[RunCommand] = field(default_factory=list)
    installs: list[Install] = field(default_factory=list)
    assigned: dict[str, str | None] = field(default_factory=dict)  # what an ENV or ARG sets
    workdir: str | None = "/"  # the WORKDIR in force before it (None: a variable without a value)

    keyword = property(lambda self: self.raw.keyword)
    value = property(lambda self: self.raw.value)
    flags = property(lambda self: self.raw.flags)
    start_line = property(lambda self: self.raw.start_line)
    end_line = property(lambda self: self.raw.end_line)
    start_col = property(lambda self: self.raw.start_col)
    end_col = property(lambda self: self.raw.end_col)
    heredocs = property(lambda self: self.raw.heredocs)
    json_args = property(lambda self: self.raw.json_args)

    def flag(self, name: str) -> list[str]:
        """Values of ``--name=value`` flags (``--name`` alone gives ``""``)."""
        prefix = f"--{name}"
        values = []
        for item in self.raw.flags:
            if item == prefix:
                values.append("")
            elif item.startswith(prefix + "="):
                values.append(item[len(prefix) + 1 :])
        return values

    @property
    def mounts(self) -> list[dict[str, str]]:
        """``RUN --mount=type=cache,target=/root/.cache/pip`` as dicts."""
        result = []
        for spec in self.flag("mount"):
            fields: dict[str, str] = {}
            for part in spec.split(","):
                key, _, val = part.partition("=")
                fields[key.strip().lower()] = val.strip()
            fields.setdefault("type", "bind")
            result.append(fields)
        return result

    def expand(self, text: str, env: Mapping[str, str | None] | None = None) -> Expansion:
        """``text`` with the variables in force here (or in ``env``) substituted."""
        escape = self.stage.dockerfile.escape if self.stage else "\\"
        return expand(text, self.env if env is None else env, escape=escape)


@dataclass(eq=False)
class Stage:
    """A build stage: where it starts from (image or earlier stage) and its instructions."""

    dockerfile: "Dockerfile"
    index: int
    name: str | None
    from_instruction: Instruction
    base_text: str  # as written after FROM
    base: Expansion  # after ARG substitution
    image: ImageRef | None  # None for earlier-stage references and unresolved names
    parent: "Stage | None"
    platform: str | None
    instructions: list[Instruction] = field(default_factory=list)
    env: dict[str, str | None] = field(default_factory=dict)  # ENV at the end of the stage
    workdir: str | None = "/"  # the WORKDIR at the end of the stage ("/" unless set; base images may differ)

    @property
    def shipping(self) -> "StageShipping":
        """What of this stage reaches the image (``mllint.shipping``)."""
        return self.dockerfile.shipping.of(self)

    @property
    def ships(self) -> bool:
        """Whether anything of this stage reaches the image: the target, an ancestor, or copied from."""
        return self.shipping.ships

    def ships_path(self, path: str) -> bool:
        """Whether ``path`` of this stage (absolute) reaches the image, in whole or in part."""
        return self.shipping.ships_path(path)

    @property
    def root(self) -> "Stage":
        """The stage at the top of the ``FROM <stage>`` chain."""
        stage, seen = self, set()
        while stage.parent is not None and stage.index not in seen:
            seen.add(stage.index)
            stage = stage.parent
        return stage

    @property
    def base_image(self) -> ImageRef | None:
        """The image this stage really starts from, through parent stages."""
        return self.root.image

    @property
    def lineage(self) -> list["Stage"]:
        """This stage and its ancestors, nearest first."""
        chain, stage, seen = [], self, set()
        while stage is not None and stage.index not in seen:
            seen.add(stage.index)
            chain.append(stage)
            stage = stage.parent
        return chain

    @property
    def installs(self) -> Iterator[Install]:
        for instruction in self.instructions:
            yield from instruction.installs

    @property
    def label(self) -> str:
        return self.name or str(self.index)


@dataclass(eq=False)
class Dockerfile:
    """The whole model of one file; ``facts`` caches answers derived from it once per file."""

    text: str
    tree: syntax.SyntaxTree
    instructions: list[Instruction] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    global_args: dict[str, str | None] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    facts: dict = field(default_factory=dict)  # derived data cached per file (e.g. stage environments)
    target: str | None = None  # the stage `docker build --target` builds; None: the default targets

    @property
    def shipping(self) -> "Shipping":
        """Which stages reach the image, and what of them (``mllint.shipping``), for ``target``."""
        from mllint.shipping import shipping

        return shipping(self)

    @property
    def escape(self) -> str:
        return self.tree.escape

    @property
    def directives(self) -> list[syntax.Directive]:
        return self.tree.directives

    def stage_named(self, name: str) -> Stage | None:
        lowered = name.lower()
        for stage in self.stages:
            if stage.name == lowered:
                return stage
        return None

    @property
    def installs(self) -> Iterator[Install]:
        for stage in self.stages:
            yield from stage.installs


def parse(text: str, build_args: Mapping[str, str] | None = None, target: str | None = None) -> Dockerfile:
    """Build the model of a Dockerfile. Raises DockerfileSyntaxError like BuildKit would.

    ``target``: the stage ``docker build --target`` would build (``mllint.shipping.unknown_target``
    says when it names no stage)."""
    tree = syntax.read(text)
    model = _Builder(text, tree, dict(build_args or {})).build()
    model.target = target.lower() if target else None
    return model


class _Builder:
    def __init__(self, text: str, tree: syntax.SyntaxTree, build_args: dict[str, str]) -> None:
        self.df = Dockerfile(text=text, tree=tree)
        self.build_args = build_args
        self.stage: Stage | None = None
        self.scope = Scope()
        self.before_from_reported = False

    def build(self) -> Dockerfile:
        for raw in self.df.tree.instructions:
            self.add(raw)
        return self.df

    # -- scope ---------------------------------------------------------------
    def set_var(self, name: str, value: str | None) -> None:
        self.scope.set(name, value)

    @property
    def frozen(self) -> Mapping[str, str | None]:
        """The variables in force now, as a snapshot that later assignments do not change."""
        return self.scope.snapshot()

    def add(self, raw: RawInstruction) -> None:
        keyword = raw.keyword
        if keyword not in syntax.KNOWN_KEYWORDS:
            self.df.problems.append(Problem(raw.start_line, f"unknown instruction: {raw.written_keyword}"))
        if keyword == "FROM":
            self.start_stage(raw)
            return
        instruction = Instruction(raw=raw, stage=self.stage, env=self.frozen,
                                  workdir=self.stage.workdir if self.stage else "/")
        self.df.instructions.append(instruction)
        if self.stage is None:
            if keyword == "ARG":
                for name, value in self.arg_pairs(raw):
                    self.df.global_args[name] = value
                    self.set_var(name, value)
                    instruction.assigned[name] = value
            elif keyword in syntax.KNOWN_KEYWORDS and not self.before_from_reported:
                self.before_from_reported = True  # docker build stops at the first one
                self.df.problems.append(
                    Problem(raw.start_line, f"{keyword} before the first FROM (only ARG may come first)")
                )
            return
        self.stage.instructions.append(instruction)
        if keyword == "ARG":
            for name, value in self.arg_pairs(raw):
                if value is None and name in self.df.global_args:
                    value = self.df.global_args[name]
                self.set_var(name, value)
                instruction.assigned[name] = value
        elif keyword == "ENV":
            for name, value in self.key_values(raw, "ENV"):
                resolved = expand(value, self.frozen, escape=self.df.escape)
                self.set_var(name, resolved.text if resolved.resolved else None)
                self.stage.env[name] = self.scope[name]
                instruction.assigned[name] = self.scope[name]
        elif keyword == "LABEL":
            self.key_values(raw, "LABEL")
        elif keyword == "WORKDIR":
            path = expand(raw.value.strip(), self.frozen, escape=self.df.escape)
            self.stage.workdir = _join_path(self.stage.workdir, path.text if path.resolved else None)
        elif keyword == "RUN":
            self.model_run(instruction)

    def start_stage(self, raw: RawInstruction) -> None:
        words = raw.value.split()
        if not words:
            raise DockerfileSyntaxError("FROM requires at least one argument", raw.start_line)
        if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
            raise DockerfileSyntaxError("FROM requires either one or three arguments: FROM <image> [AS <name>]", raw.start_line)
        meta = dict(self.df.global_args)
        meta.update(self.build_args)
        base = expand(words[0], meta, escape=self.df.escape)
        name = words[2].lower() if len(words) == 3 else None
        parent = self.df.stage_named(base.text) if base.resolved else None
        image = None
        if parent is None and base.resolved:
            image = parse_image(base.text)
        index = len(self.df.stages)
        instruction = Instruction(raw=raw, stage=None, env=_EMPTY)
        stage = Stage(
            dockerfile=self.df,
            index=index,
            name=name,
            from_instruction=instruction,
            base_text=words[0],
            base=base,
            image=image,
            parent=parent,
            platform=(raw_flag(raw, "platform") or None),
        )
        instruction.stage = stage
        if parent is not None:
            stage.env.update(parent.env)
            stage.workdir = parent.workdir
        self.df.stages.append(stage)
        self.df.instructions.append(instruction)
        self.stage = stage
        self.scope = Scope(stage.env)

    # -- argument forms --------------------------------------------------------
    def arg_pairs(self, raw: RawInstruction) -> list[tuple[str, str | None]]:
        pairs = []
        for word in split_words(raw.value, self.df.escape):
            name, eq, default = word.partition("=")
            if name in self.build_args:
                pairs.append((name, self.build_args[name]))
            elif eq:
                resolved = expand(default, self.frozen, escape=self.df.escape)
                pairs.append((name, resolved.text if resolved.resolved else None))
            else:
                pairs.append((name, None))
        return pairs

    def key_values(self, raw: RawInstruction, keyword: str) -> list[tuple[str, str]]:
        """BuildKit's parseNameVal: ``KEY value`` (legacy) or ``KEY=value ...``."""
        words = split_words(raw.value, self.df.escape)
        if not words:
            raise DockerfileSyntaxError(f"{keyword} requires at least one argument", raw.start_line)
        if "=" not in words[0]:
            parts = raw.value.split(None, 1)
            if len(parts) < 2:
                raise DockerfileSyntaxError(f"{keyword} must have two arguments", raw.start_line)
            return [(parts[0], parts[1])]
        pairs = []
        for word in words:
            if "=" not in word:
                raise DockerfileSyntaxError(
                    f"syntax error - can't find = in {word!r}; must be of the form name=value", raw.start_line
                )
            key, _, value = word.partition("=")
            pairs.append((key, value))
        return pairs

    # -- RUN -------------------------------------------------------------------
    def model_run(self, instruction: Instruction) -> None:
        raw = instruction.raw
        commands: list[RunCommand] = []
        if raw.json_args is not None:
            line, col = raw.value_position(0)
            commands = [RunCommand(c, line, col, False) for c in split_exec_form(raw.json_args)]
        else:
            main = split_script(raw.value)
            for command in main:
                line, col = raw.value_position(command.offset)
                commands.append(RunCommand(command, line, col, False))
            for doc in raw.heredocs:
                body = doc.text  # computed once: a property, and heredocs can be long
                if _heredoc_is_script(doc, main, body):
                    starts = _line_starts(body)
                    for command in split_script(body, heredoc=True):
                        line, col = _heredoc_position(doc, command.offset, starts)
                        commands.append(RunCommand(command, line, col, True))
        instruction.commands = commands
        placed = {id(c.command): c for c in commands}
        for record in install_records(c.command for c in commands):
            where = placed.get(id(record.command))
            line, col = (where.line, where.column) if where else (raw.start_line, raw.start_col)
            env = instruction.env
            if record.assignments:
                env = MappingProxyType(ChainMap(dict(record.assignments), env))
            instruction.installs.append(Install(record, instruction, line, col, env))


def _join_path(base: str | None, path: str | None) -> str | None:
    """WORKDIR semantics: an absolute path replaces, a relative one extends (None: unknown)."""
    if path is None or not path.strip():
        return base if path is not None else None
    if path.startswith("/"):
        return posixpath.normpath(path)
    if base is None:
        return None
    return posixpath.normpath(posixpath.join(base, path))


def raw_flag(raw: RawInstruction, name: str) -> str:
    prefix = f"--{name}="
    for item in raw.flags:
        if item.startswith(prefix):
            return item[len(prefix) :]
    return ""


def _heredoc_is_script(doc: Heredoc, main: list[SimpleCommand], body: str | None = None) -> bool:
    """True when the heredoc body is run by a shell (``RUN <<EOF`` or ``RUN bash <<EOF``)."""
    first_line = (doc.text if body is None else body).split("\n", 1)[0]
    if first_line.startswith("#!"):
        interpreter = first_line[2:].strip().split()
        if interpreter and interpreter[0].rsplit("/", 1)[-1] == "env" and len(interpreter) > 1:
            interpreter = interpreter[1:]
        if not interpreter or interpreter[0].rsplit("/", 1)[-1] not in SHELLS:
            return False
    if not main:
        return True
    for command in main:
        argv = [a for a in command.argv if not a.lstrip("0123456789").startswith("<<")]
        if not argv:
            return True
        if argv[0].rsplit("/", 1)[-1] in SHELLS and not any(a == "-c" for a in argv[1:]):
            return True
    return False


def _line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def _heredoc_position(doc: Heredoc, offset: int, starts: list[int] | None = None) -> tuple[int, int]:
    """(line, column) of ``offset`` in the body; ``starts`` (its line starts) keeps long heredocs linear."""
    if starts is None:
        starts = _line_starts(doc.text)
    before = bisect_right(starts, offset) - 1
    return doc.start_line + before, offset - starts[before] + 1
