"""`mllint stack PATH...`: read each Dockerfile, build its stack view, print it (text or JSON)."""

from __future__ import annotations

from collections.abc import Callable


def run(paths: list[str], fmt: str, build_args: dict[str, str], build_context: str | None, stdin_name: str,
        echo: Callable[[str], None], warn: Callable[[str], None], target: str | None = None) -> int:
    """Print the stacks; returns the exit code (2 when an input could not be read or parsed)."""
    from mllint.dockerfile import DockerfileSyntaxError
    from mllint.reader import DiskReader
    from mllint.sources import collect
    from mllint.stack import advisor
    from mllint.stack.model import build, parse_with_files
    from mllint.stack.render import to_json, to_text

    reader = DiskReader()
    files, problems = [], []
    for source in collect(list(paths) or ["."], stdin_name):
        if source.text is None:
            problems.append({"path": source.path, "problem": source.problem or "unreadable", "unread": True})
            continue
        if source.problem:
            problems.append({"path": source.path, "problem": source.problem})
        try:
            parsed = parse_with_files(source.text, source.path, reader if source.path != "-" else None,
                                      build_context, build_args, target)
        except DockerfileSyntaxError as exc:
            problems.append({"path": source.path, "problem": f"{exc.message} (line {exc.line})"})
            continue
        problems.extend({"path": source.path, "problem": f"{p.message} (line {p.line})"} for p in parsed.problems)
        from mllint.shipping import unknown_target

        if unknown_target(parsed, target):
            problems.append({"path": source.path, "problem": unknown_target(parsed, target)})
            continue
        view = build(parsed, source.path)
        for stage in view.stages:
            stage.suggestions = advisor.suggestions(stage.stage)
        files.append(view)
    from mllint.report.common import one_line

    shown = [{"path": p["path"], "problem": p["problem"]} for p in problems]
    echo(to_json(files, shown) if fmt == "json" else to_text(files) if files else "")
    for problem in problems:  # the lint command's wording; paths and messages may hold hostile text
        verb = "cannot read " if problem.get("unread") else ""
        warn(f"mllint: {verb}{one_line(problem['path'])}: {one_line(problem['problem'])}")
    return 2 if problems else 0
