"""The ``mllint`` command: the console script and ``python -m mllint`` both start here."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    from mllint.cli import main as cli

    cli.main(args=argv, prog_name="mllint")
