"""Command line: wires options to the pipeline, nothing else."""

from __future__ import annotations

import datetime as _dt
import os
import sys

import click

from mllint import __version__

THRESHOLDS = ("error", "warning", "info", "none")
FORMATS = ("text", "json", "sarif")

LINT_EPILOG = """\b
Examples:
  mllint Dockerfile                      lint one file
  mllint .                               every Dockerfile below the current directory
  mllint --format sarif -o mllint.sarif  SARIF 2.1.0 for GitHub code scanning
  mllint --ignore pip-cache-not-disabled --select ML001 Dockerfile
  cat Dockerfile | mllint - --stdin-filename docker/Dockerfile
  mllint parse Dockerfile                print the parsed model as JSON

\b
Exit codes: 0 no finding at or above --failure-threshold; 1 some finding is;
2 usage error or an input that could not be read or parsed.
"""


class _DefaultToLint(click.Group):
    """``mllint PATH...`` means ``mllint lint PATH...``; subcommands keep their names."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["lint", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultToLint, context_settings={"help_option_names": ["-h", "--help"]}, epilog=LINT_EPILOG)
@click.version_option(__version__, "--version", prog_name="mllint", message="%(prog)s %(version)s")
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


@main.command("lint", epilog=LINT_EPILOG)
@click.argument("paths", nargs=-1, type=str)
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option("--select", multiple=True, metavar="RULES", help="Only these rules (ids or names, comma-separated).")
@click.option("--ignore", multiple=True, metavar="RULES", help="Skip these rules (ids or names, comma-separated).")
@click.option("--failure-threshold", type=click.Choice(THRESHOLDS), default="warning", show_default=True,
              help="Exit 1 when a finding has at least this severity (none: never).")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: only on a terminal; "
              "NO_COLOR disables it).")
@click.option("--stdin-filename", default="-", metavar="NAME", help="Name to report for input read from `-`.")
@click.option("--build-arg", "build_args", multiple=True, metavar="NAME=VALUE",
              help="Value of a build argument, as `docker build --build-arg` would pass it.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="Judge end-of-life dates as of this day (default: today).")
def lint_command(paths, fmt, output, select, ignore, failure_threshold, color, stdin_filename, build_args, today):
    """Lint Dockerfiles (files, directories searched recursively, or - for stdin)."""
    from mllint.engine import Linter, SelectionError
    from mllint.plugins import PluginError, collect_rules, plugin_manager
    from mllint.report import render
    from mllint.rule import Severity
    from mllint.sources import collect

    try:
        rules = collect_rules(plugin_manager())
        linter = Linter(
            rules,
            select=_split_names(select),
            ignore=_split_names(ignore),
            today=today.date() if today else _dt.date.today(),
            build_args=_parse_build_args(build_args),
        )
    except (SelectionError, PluginError) as exc:
        raise click.UsageError(str(exc)) from None

    from mllint.engine import FileReport

    reports = []
    for source in collect(list(paths), stdin_filename):
        if source.text is None:
            report = FileReport(source.path, problems=[source.problem or "unreadable"], fatal=True)
        else:
            report = linter.lint_text(source.text, source.path)
            if source.problem:
                report.problems.insert(0, source.problem)
        for problem in report.problems:
            click.echo(f"mllint: {source.path}: {problem}", err=True)
        reports.append(report)

    use_color = fmt == "text" and _use_color(color, output)
    text = render(fmt, reports, linter.all_rules if fmt == "sarif" else linter.rules, color=use_color)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            click.echo(f"mllint: cannot write {output}: {exc.strerror or exc}", err=True)
            sys.exit(2)
    else:
        click.echo(text, nl=False, color=use_color)

    if any(r.problems for r in reports):
        sys.exit(2)
    if failure_threshold != "none":
        floor = Severity.parse(failure_threshold)
        if any(f.severity >= floor for r in reports for f in r.findings):
            sys.exit(1)
    sys.exit(0)


@main.command("parse")
@click.argument("path", type=str)
@click.option("--build-arg", "build_args", multiple=True, metavar="NAME=VALUE",
              help="Value of a build argument, as `docker build --build-arg` would pass it.")
def parse_command(path: str, build_args) -> None:
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
        model = parse(source.text, _parse_build_args(build_args))
    except DockerfileSyntaxError as exc:
        click.echo(f"mllint: {path}: {exc.message} (line {exc.line})", err=True)
        sys.exit(2)
    click.echo(json.dumps(model_to_json(model), indent=2, ensure_ascii=False))
    if source.problem or model.problems:
        for problem in ([source.problem] if source.problem else []) + [
            f"{p.message} (line {p.line})" for p in model.problems
        ]:
            click.echo(f"mllint: {path}: {problem}", err=True)
        sys.exit(2)
