"""The ``mllint`` command's entry point: replay an unchanged run, else run the CLI and record it.

Kept apart from ``mllint.cli`` so that a replay never imports click, pluggy or the
linter (see ``mllint.runcache``).
"""

from __future__ import annotations

import sys

from mllint import runcache


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not runcache.enabled(args):
        _run_cli(args)
        return
    earlier = runcache.lookup(args)
    if earlier is not None:
        sys.exit(runcache.replay(earlier))
    recorder = runcache.Recorder(args)
    runcache.recording = recorder
    recorder.capture()
    code: object = None
    try:
        _run_cli(args)
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
        raise
    finally:
        runcache.recording = None
        out, err = recorder.release()
        recorder.store(out, err, code)


def _run_cli(args: list[str]) -> None:
    from mllint.cli import main as cli

    cli.main(args=args, prog_name="mllint")
