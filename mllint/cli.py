"""Command line: wires options to the pipeline, nothing else."""

from __future__ import annotations

import datetime as _dt
import os
import sys

import click

from mllint import __version__
from mllint.config import INLINE_IGNORES

THRESHOLDS = ("error", "warning", "info", "none")
FORMATS = ("text", "json", "sarif", "github", "gitlab")

LINT_EPILOG = """\b
Examples:
  mllint Dockerfile                      lint one file
  mllint                                 every Dockerfile below the current directory
  mllint requirements.txt                its findings, through the Dockerfiles that install it
  mllint --show-source Dockerfile        each finding's line underlined (default on a terminal)
  mllint --statistics .                  how many findings each rule has
  mllint --format sarif -o mllint.sarif  SARIF 2.1.0 for GitHub code scanning
  mllint --ignore pip-cache-not-disabled --select ML001 Dockerfile
  cat Dockerfile | mllint - --stdin-filename docker/Dockerfile
  mllint parse Dockerfile                print the parsed model as JSON
  mllint stack Dockerfile                each stage's ML stack, and where each fact comes from
  mllint lsp                             the language server, for editors (docs/editors.md)
  mllint --baseline base.json .          only findings not recorded by --write-baseline
  mllint rules                           every rule, and whether the configuration enables it
  mllint explain ML001                   a rule's documentation page
  mllint init                            write a starter .mllint.yaml
  mllint --fix Dockerfile                apply the safe automatic fixes
  mllint --diff --unsafe-fixes .         show every automatic fix as a diff, write nothing

\b
Exit codes: 0 no finding at or above --failure-threshold; 1 some finding is;
2 usage or configuration error, or an input that could not be read or parsed.
"""


class _DefaultToLint(click.Group):
    """``mllint PATH...`` means ``mllint lint PATH...``; subcommands keep their names."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["lint", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        """Ctrl-C ends the run with exit code 130, as other command-line tools do (click's is 1)."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            sys.exit(130)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``mllint X.Y.Z`` and how current its knowledge base is (mllint.knowledge_currency)."""
    if not value or ctx.resilient_parsing:
        return
    from mllint.knowledge_currency import version_text

    click.echo(f"mllint {__version__}\n{version_text()}")
    ctx.exit()


@click.group(cls=_DefaultToLint, context_settings={"help_option_names": ["-h", "--help"]}, epilog=LINT_EPILOG)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and how current the knowledge base is, then exit.")
def main() -> None:
    """mllint: lint Dockerfiles that build machine-learning images.

    Run `mllint [OPTIONS] [PATH]...` (the `lint` command) to lint files or
    directories; see `mllint lint --help` for its options.
    """


def _split_names(values: tuple[str, ...]) -> list[str]:
    return [name for value in values for name in value.split(",") if name.strip()]


def _use_color(choice: bool | None, output: str | None) -> bool:
    if choice is not None:
        return choice
    if output or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _parse_build_args(values: tuple[str, ...]) -> dict[str, str]:
    result = {}
    for value in values:
        name, eq, val = value.partition("=")
        if not eq or not name:
            raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint="--build-arg")
        result[name] = val
    return result


def _parse_jobs(value: str) -> int | None:
    """``--jobs``: a positive number of processes, or None for automatic."""
    if value.strip().lower() == "auto":
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise click.BadParameter(f"{value!r} is not a positive number or 'auto'", param_hint="--jobs")
    return int(value)


def _fixes(count: int) -> str:
    return f"{count} fix{'es' if count != 1 else ''}"


def _files(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''}"


def _problem_line(path: str, problem: str, unread: bool = False) -> str:
    """One stderr line per problem: the path and the problem may quote hostile text."""
    from mllint.report.common import one_line

    if unread:
        return f"mllint: cannot read {one_line(path)}: {one_line(problem)}"
    return f"mllint: {one_line(path)}: {one_line(problem)}"


def _session(config_file: str | None, no_config: bool, reader=None):
    """Configuration and plugins, or one line on stderr and exit code 2."""
    from mllint.session import SetupError, read_config, start

    if config_file and no_config:
        raise click.UsageError("--config and --no-config cannot be combined")
    try:
        return start(read_config(config_file, no_config, reader))
    except SetupError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


def _read_baseline(path: str):
    from mllint.baseline import BaselineError, read

    try:
        return read(path)
    except BaselineError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


def _write_baseline(path: str, reports) -> None:
    """Record the findings instead of reporting them; exit 2 if some input could not be linted."""
    from mllint.baseline import BaselineError, write

    try:
        count = write(path, reports)
    except BaselineError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    files = sum(1 for r in reports if not r.fatal)
    click.echo(f"mllint: recorded {count} finding{'s' if count != 1 else ''} from {files} "
               f"file{'s' if files != 1 else ''} in {path}.", err=True)
    sys.exit(2 if any(r.problems for r in reports) else 0)


def _current_directory(exclude, quiet: bool) -> list[str]:
    """The Dockerfiles below ``.`` for ``mllint`` without paths; one line on stderr says how many."""
    from mllint.report.common import plural
    from mllint.sources import discover

    found = [os.path.normpath(path) for path in discover(".")]
    kept = [path for path in found if exclude is None or not exclude(path)]
    if not quiet:
        excluded = f" ({len(found) - len(kept)} more excluded by the configuration)" if len(kept) < len(found) else ""
        click.echo(f"mllint: no path given: linting the {plural(len(kept), 'Dockerfile')} found below the current "
                   f"directory{excluded}.", err=True)
    return kept or (["."] if not found else [])


def _cannot_write(output: str, exc: Exception):
    click.echo(f"mllint: cannot write {output}: {exc}", err=True)
    sys.exit(2)


@main.command("lint", epilog=LINT_EPILOG)
@click.argument("paths", nargs=-1, type=str)
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option("--select", multiple=True, metavar="RULES", help="Only these rules (ids or names, comma-separated); "
              "replaces the configuration's select and ignore.")
@click.option("--extend-select", multiple=True, metavar="RULES", help="Also run these rules (ids or names, "
              "comma-separated), on top of the selection: how rules that are off by default are turned on.")
@click.option("--ignore", multiple=True, metavar="RULES", help="Skip these rules (ids or names, comma-separated), "
              "on top of the configuration's ignore.")
@click.option("--failure-threshold", type=click.Choice(THRESHOLDS), default=None,
              help="Exit 1 when a finding has at least this severity (none: never). Default: the configuration's "
              "failure-threshold, else warning.")
@click.option("--config", "config_file", type=click.Path(), default=None, metavar="FILE",
              help="Read this configuration file instead of the nearest .mllint.yaml.")
@click.option("--no-config", is_flag=True, help="Read no configuration file.")
@click.option("--baseline", "baseline_file", type=click.Path(), default=None, metavar="FILE",
              help="Report only findings not recorded in this baseline.")
@click.option("--write-baseline", type=click.Path(), default=None, metavar="FILE",
              help="Record every finding in FILE (for --baseline) instead of reporting them.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: only on a terminal; "
              "NO_COLOR disables it).")
@click.option("--stdin-filename", default="-", metavar="NAME", help="Name to report for input read from `-`.")
@click.option("--build-arg", "build_args", multiple=True, metavar="NAME=VALUE",
              help="Value of a build argument, as `docker build --build-arg` would pass it.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="Judge end-of-life dates as of this day (default: today).")
@click.option("--target", default=None, metavar="STAGE", help="The stage the image is built from, as `docker build "
              "--target` takes it (default: the last stage and every stage no other stage uses); see docs/shipping.md.")
@click.option("--context", "build_context", type=click.Path(), default=None, metavar="DIR",
              help="Build context in which to read the requirements, pyproject and conda environment files "
              "that installs name (default: each Dockerfile's directory).")
@click.option("-j", "--jobs", default="auto", metavar="N|auto", show_default=True,
              help="Lint on N processes (1: none). auto: up to 4, started only after the first 100 files.")
@click.option("--sarif-category", default=None, metavar="NAME",
              help="GitHub code scanning category of the SARIF run (runAutomationDetails.id), to upload several "
              "analyses of one commit.")
@click.option("--fix", "fix", is_flag=True, help="Apply safe automatic fixes in place, then report what remains "
              "(see docs/fixes.md).")
@click.option("--diff", "diff", is_flag=True, help="Print the automatic fixes as a unified diff instead of writing "
              "them; exit 1 when there is one.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: also apply fixes that can change what the "
              "build installs.")
@click.option("--show-source/--no-show-source", default=None,
              help="Show each finding's line with the span underlined and the fix, message first (default: on "
              "when the text report goes to a terminal, else one line per finding).")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("-q", "--quiet", is_flag=True, help="Print the findings only: no summary line, no progress notes.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings reach the threshold (2 still means "
              "an input or usage problem).")
@click.option("--show-suppressed", is_flag=True, help="Also report findings suppressed by `# mllint: ignore=` "
              "pragmas, marked with their reason (text, JSON, SARIF); they never change the exit code.")
@click.option("--inline-ignores", type=click.Choice(INLINE_IGNORES), default=None,
              help="What `# mllint: ignore=` pragmas may do: allow (default), require-reason (a pragma without a "
              "reason suppresses nothing) or forbid (no pragma suppresses anything); reported as ML018.")
@click.option("--no-cache", is_flag=True, help="Accepted and ignored: mllint keeps no results between runs "
              "(nor does MLLINT_NO_CACHE; see docs/performance.md).")
def lint_command(paths, fmt, output, select, ignore, failure_threshold, color, stdin_filename, build_args, today,
                 sarif_category, config_file, no_config, baseline_file, write_baseline, build_context, jobs,
                 fix, diff, unsafe_fixes, no_cache, show_source, statistics, quiet, exit_zero, show_suppressed,
                 inline_ignores, target, extend_select):
    """Lint Dockerfiles (files, directories searched recursively, or - for stdin; no path: the current
    directory). A requirements, constraints, pyproject.toml or environment.yml file is linted through the
    repository's Dockerfiles that install it."""
    from mllint.engine import SelectionError
    from mllint.report import open_stream
    from mllint.report.stream import FileOutput, OutputError
    from mllint.report.tally import Tally
    from mllint.rule import Severity
    from mllint.sources import collect

    if baseline_file and write_baseline:
        raise click.UsageError("--baseline and --write-baseline cannot be combined")
    if unsafe_fixes and not (fix or diff):
        raise click.UsageError("--unsafe-fixes needs --fix or --diff")
    if fix and diff:
        raise click.UsageError("--fix and --diff cannot be combined (--diff never writes)")
    if fix and "-" in paths:
        raise click.UsageError("--fix cannot rewrite standard input; use --diff")
    if statistics and fmt != "text":
        raise click.UsageError("--statistics is a text report; use --format text (JSON has a summary)")
    from mllint.reader import DiskReader

    reader = DiskReader()  # every file the run follows is read through it (mllint.reader)
    if build_context and reader.kind(build_context) != "dir":
        missing = reader.kind(build_context) == "missing"
        click.echo(_problem_line(f"--context {build_context}", "no such directory" if missing else "not a directory"),
                   err=True)
        sys.exit(2)
    session = _session(config_file, no_config, reader)
    config = session.config
    try:
        linter = session.linter(
            _split_names(select),
            _split_names(ignore),
            today=today.date() if today else _dt.date.today(),
            build_args=_parse_build_args(build_args),
            follow_files=True,
            build_context=build_context,
            reader=reader,
            inline_ignores=inline_ignores or config.inline_ignores or "allow",
            target=target,
            extend_select=_split_names(extend_select),
        )
    except SelectionError as exc:
        raise click.UsageError(str(exc)) from None
    recorded = _read_baseline(baseline_file) if baseline_file else None

    from mllint.engine import FileReport

    from mllint.parallel import lint_in_order

    def lint_one(source):
        if source.text is None:
            from mllint.sources import NO_DOCKERFILES

            return FileReport(source.path, problems=[source.problem or "unreadable"], fatal=True,
                              unread=True, counted=source.problem != NO_DOCKERFILES)
        skip = session.skipped_rules(source.path)
        fixed = None
        if (fix or diff) and not source.problem:
            from mllint.fixes import fix_text

            fixed = fix_text(source.text, lambda text: linter.lint_text(text, source.path, skip=skip),
                             unsafe=unsafe_fixes)
            report = fixed.report
            if fix and fixed.count:
                from mllint.fixes import FixNotWritten, write_fixed

                try:
                    write_fixed(source.path, source.text, fixed.text)
                except FixNotWritten as exc:  # the file stands as it was: report it so
                    report = fixed.original
                    report.fixes_not_written = fixed.count
                    report.problems.insert(0, f"{exc}; {_fixes(fixed.count)} not written")
                    fixed = None
        else:
            report = linter.lint_text(source.text, source.path, skip=skip)
        if source.problem:
            report.problems.insert(0, source.problem)
        if layout is not None and layout.source:
            report.text = source.text  # the lines --show-source quotes
        if fixed is not None and fixed.count:
            report.fixes = (source.text, fixed.text, dict(fixed.applied))
        return report

    use_color = fmt == "text" and _use_color(color, output)
    layout = None
    stream = output_file = None  # --diff and --write-baseline print no report
    if not (diff or write_baseline):
        try:
            output_file = FileOutput(output) if output else None
            write = output_file.write if output_file else lambda text: click.echo(text, nl=False, color=use_color)
            from mllint.report.text import Layout

            layout = Layout.choose(show_source, fmt == "text" and not output and sys.stdout.isatty(), statistics=statistics)
            stream = open_stream(fmt, linter.all_rules if fmt == "sarif" else linter.rules, write, color=use_color,
                                 category=sarif_category, quiet=quiet, layout=layout, suppressed=show_suppressed)
        except OutputError as exc:
            _cannot_write(output, exc)
    tally = stream.tally if stream else Tally()
    if diff:
        from mllint.fixes import unified_diff
    if recorded is not None or write_baseline:
        from mllint import baseline
    kept = []  # --write-baseline: what the baseline records of each file
    fixed_files = fixed_edits = unwritten_files = unwritten_edits = 0
    exclude = config.excluded if config.exclude else None
    from mllint.dependents import split_inputs

    dependency_files, paths = split_inputs(paths)  # pre-commit passes a changed requirements.txt
    if not paths and not dependency_files:  # as ruff and tally do: the current directory, recursively
        paths = _current_directory(exclude, quiet)
    sources = collect(list(paths), stdin_filename, exclude=exclude) if paths else iter(())
    linted: set[str] = set()  # real paths of the Dockerfiles linted as inputs
    read: set[str] = set()  # real paths of the dependency files they read

    def linted_inputs():
        for source, report in lint_in_order(sources, lint_one, _parse_jobs(jobs)):
            if source.text is not None and source.path != "-":
                linted.add(os.path.realpath(source.path))
                read.update(os.path.realpath(path) for path in report.dependency_files)
            yield source, report
        if dependency_files:
            from mllint.dependents import reports as dependent_reports

            note = (lambda line: None) if quiet else (lambda line: click.echo(f"mllint: {line}", err=True))
            # those Dockerfiles are not inputs: linted as they are, never fixed (--fix writes only what it is given)
            yield from dependent_reports(dependency_files, linted, read,
                                         lambda source: linter.lint_text(source.text, source.path,
                                                                         skip=session.skipped_rules(source.path)),
                                         exclude, note)
    try:
        # each file is reported and dropped as soon as it is linted: memory stays flat (docs/performance.md)
        for source, report in linted_inputs():
            for problem in report.problems:
                click.echo(_problem_line(source.path, problem, report.unread and report.counted), err=True)
            if report.fixes_not_written:
                unwritten_files += 1
                unwritten_edits += report.fixes_not_written
            if report.fixes:
                fixed_files += 1
                fixed_edits += sum(report.fixes[2].values())
                if diff:
                    click.echo(unified_diff(report.path, report.fixes[0], report.fixes[1]), nl=False)
                report.fixes = None
            if stream is None:
                tally.add(report)
                if write_baseline:
                    kept.append(baseline.reduced(report))
                continue
            if recorded is not None:
                baseline.subtract(baseline_file, recorded, [report])
            stream.add(report)

        if fix or diff:
            plural = f"{_fixes(fixed_edits)} in {_files(fixed_files)}"
            if diff:
                if not quiet:
                    click.echo(f"mllint: {plural} would be applied by --fix"
                               f"{' --unsafe-fixes' if unsafe_fixes else ''}.", err=True)
                sys.exit(2 if tally.problem_files else 1 if fixed_files else 0)
            if not quiet:
                unwritten = f"; {_fixes(unwritten_edits)} in {_files(unwritten_files)} not written" \
                    if unwritten_files else ""
                click.echo(f"mllint: applied {plural}{unwritten}.", err=True)
        if write_baseline:
            _write_baseline(write_baseline, kept)
        stream.close()
        if output_file:
            output_file.close()
    except OutputError as exc:
        _cannot_write(output, exc)

    if tally.problem_files:
        sys.exit(2)
    failure_threshold = failure_threshold or config.failure_threshold or "warning"
    if failure_threshold != "none" and not exit_zero and tally.reaches(Severity.parse(failure_threshold)):
        sys.exit(1)
    sys.exit(0)


@main.command("parse")
@click.argument("path", type=str)
@click.option("--build-arg", "build_args", multiple=True, metavar="NAME=VALUE",
              help="Value of a build argument, as `docker build --build-arg` would pass it.")
@click.option("--target", default=None, metavar="STAGE", help="The stage the image is built from (as for linting).")
@click.option("--context", "build_context", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Follow the dependency files installs read in this build context (as for linting).")
def parse_command(path: str, build_args, target, build_context) -> None:
    """Print the parsed model of a Dockerfile as JSON (for debugging rules)."""
    import json

    from mllint.dockerfile import DockerfileSyntaxError, parse
    from mllint.model_json import model_to_json
    from mllint.sources import read_path, read_stdin

    source = read_stdin("-") if path == "-" else read_path(path)
    if source.text is None:
        click.echo(f"mllint: {path}: {source.problem}", err=True)
        sys.exit(2)
    try:
        model = parse(source.text, _parse_build_args(build_args), target)
    except DockerfileSyntaxError as exc:
        click.echo(f"mllint: {path}: {exc.message} (line {exc.line})", err=True)
        sys.exit(2)
    from mllint.shipping import unknown_target

    if unknown_target(model, target):
        raise click.UsageError(unknown_target(model, target))
    if build_context:
        from mllint.depfiles import attach
        from mllint.reader import DiskReader, context_for

        attach(model, context_for(DiskReader(), path, build_context), path)
    click.echo(json.dumps(model_to_json(model), indent=2, ensure_ascii=False))
    if source.problem or model.problems:
        for problem in ([source.problem] if source.problem else []) + [
            f"{p.message} (line {p.line})" for p in model.problems
        ]:
            click.echo(f"mllint: {path}: {problem}", err=True)
        sys.exit(2)


@main.command("stack")
@click.argument("paths", nargs=-1, type=str)
@click.option("-f", "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="Output format (JSON: docs/stack.md).")
@click.option("--build-arg", "build_args", multiple=True, metavar="NAME=VALUE",
              help="Value of a build argument, as `docker build --build-arg` would pass it.")
@click.option("--context", "build_context", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="The build context the dependency files are read from (default: each Dockerfile's directory).")
@click.option("--stdin-filename", default="-", metavar="NAME", help="Name to report for input read from `-`.")
@click.option("--target", default=None, metavar="STAGE", help="The stage the image is built from (as for linting).")
def stack_command(paths, fmt, build_args, build_context, stdin_filename, target) -> None:
    """Show each stage's ML stack (OS, Python, CUDA, cuDNN, NCCL, frameworks, installs) and where each fact
    comes from, with the prebuilt images that already ship it."""
    from mllint.stack.command import run

    sys.exit(run(list(paths), fmt, _parse_build_args(build_args), build_context, stdin_filename,
                 lambda text: click.echo(text, nl=False), lambda line: click.echo(line, err=True), target))


@main.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default; editors pass it).")
def lsp_command(stdio: bool) -> None:
    """Run the language server: diagnostics, fixes and the ML stack in the editor (docs/editors.md).

    Needs the lsp extra: pip install 'mllint-docker[lsp]'."""
    try:
        from mllint.lsp.server import serve
    except ImportError as exc:
        click.echo(f"mllint: the language server needs the lsp extra: pip install 'mllint-docker[lsp]' ({exc})",
                   err=True)
        sys.exit(2)
    serve()


@main.command("rules")
@click.option("-f", "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="Output format.")
@click.option("--select", multiple=True, metavar="RULES", help="As for linting: only these rules.")
@click.option("--extend-select", multiple=True, metavar="RULES", help="As for linting: also these rules.")
@click.option("--ignore", multiple=True, metavar="RULES", help="As for linting: skip these rules.")
@click.option("--config", "config_file", type=click.Path(), default=None, metavar="FILE",
              help="Read this configuration file instead of the nearest .mllint.yaml.")
@click.option("--no-config", is_flag=True, help="Read no configuration file.")
def rules_command(fmt, select, extend_select, ignore, config_file, no_config) -> None:
    """List every rule, built-in and from plugins, and whether the configuration enables it."""
    from mllint import rule_table
    from mllint.engine import SelectionError

    session = _session(config_file, no_config)
    try:
        linter = session.linter(_split_names(select), _split_names(ignore), extend_select=_split_names(extend_select))
    except SelectionError as exc:
        raise click.UsageError(str(exc)) from None
    entries = rule_table.rows(session.rules, linter)
    click.echo(rule_table.render_json(entries) if fmt == "json" else rule_table.render_text(entries), nl=False)


@main.command("explain")
@click.argument("rule")
def explain_command(rule: str) -> None:
    """Show a rule's documentation: what it checks, why it matters, examples, references."""
    from mllint.docs_pages import page
    from mllint.plugins import PluginError, collect_rules, plugin_manager

    try:
        rules = collect_rules(plugin_manager())
    except PluginError as exc:
        click.echo(f"mllint: {exc}", err=True)
        sys.exit(2)
    wanted = rule.strip().lower()
    found = next((r for r in rules if wanted in (r.id.lower(), r.name.lower())), None)
    if found is None:
        click.echo(f"mllint: unknown rule {rule!r} (expected a rule id or name; see `mllint rules`)", err=True)
        sys.exit(2)
    click.echo(page(found.meta), nl=False)


@main.command("init")
@click.argument("path", default=".mllint.yaml", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing configuration file.")
def init_command(path: str, force: bool) -> None:
    """Write a starter .mllint.yaml with every setting at its default, each explained by a comment."""
    from pathlib import Path

    from mllint.config import NAMES
    from mllint.plugins import PluginError, configurable_plugins, plugin_manager
    from mllint.starter import render

    target = Path(path)
    if not force:
        # the sibling spelling would be shadowed by (or shadow) the new file: refuse that too
        clash = [target] + ([target.with_name(n) for n in NAMES if n != target.name] if target.name in NAMES else [])
        existing = next((p for p in clash if p.exists()), None)
        if existing is not None:
            click.echo(f"mllint: {existing} already exists; use --force to overwrite it", err=True)
            sys.exit(2)
        from mllint.config import PYPROJECT, has_tool_table

        pyproject = target.with_name(PYPROJECT)
        if target.name in NAMES and pyproject.is_file() and has_tool_table(pyproject):
            click.echo(f"mllint: {pyproject} configures mllint already ([tool.mllint]), and a {target.name} beside "
                       "it would take its place; use --force to write it anyway", err=True)
            sys.exit(2)
    try:
        plugins = configurable_plugins(plugin_manager())
    except PluginError:
        plugins = []  # a broken plugin is reported when linting; the starter file is still useful
    try:
        target.write_text(render(plugins), encoding="utf-8")
    except OSError as exc:
        click.echo(f"mllint: cannot write {path}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    click.echo(f"Wrote {path}: every setting at its default; edit it to tune mllint.")
