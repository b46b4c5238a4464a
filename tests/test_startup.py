"""Start-up stays lean: a text-format run imports no SARIF or YAML machinery, no language server and no
stack view or advisor (ML020 is off by default, and its check imports the advisor only when it runs)."""

from __future__ import annotations

import subprocess
import sys

from conftest import FIXTURES, ROOT

PROBE = """
import sys
from mllint.cli import main
try:
    main([{path!r}, "--no-color"])
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sarif_om", "ruamel", "jsonschema", "attr", "pygls",
                                                             "lsprotocol", "cattrs")
               or m.startswith(("mllint.stack", "mllint.lsp")))
print("HEAVY:" + ",".join(heavy))
"""


def test_text_run_imports_no_sarif_or_yaml():
    fixture = FIXTURES / "examples" / "cuda-base" / "Dockerfile"
    # warm the compiled rule tables so this run measures the steady state
    subprocess.run([sys.executable, "-m", "mllint", str(fixture)], capture_output=True, cwd=ROOT)
    result = subprocess.run([sys.executable, "-c", PROBE.format(path=str(fixture))],
                            capture_output=True, text=True, cwd=ROOT)
    line = [l for l in result.stdout.splitlines() if l.startswith("HEAVY:")]
    assert line == ["HEAVY:"], result.stdout + result.stderr


def test_the_advisor_loads_only_when_its_rule_runs():
    """The probe sees the advisor when ML020 is turned on: the check above can fail."""
    fixture = FIXTURES / "examples" / "cuda-base" / "Dockerfile"
    probe = PROBE.replace("main([{path!r}, \"--no-color\"])", "main([{path!r}, \"--no-color\", \"--extend-select\", \"ML020\"])")
    result = subprocess.run([sys.executable, "-c", probe.format(path=str(fixture))],
                            capture_output=True, text=True, cwd=ROOT)
    line = [l for l in result.stdout.splitlines() if l.startswith("HEAVY:")]
    assert line and "mllint.stack.advisor" in line[0].split(":", 1)[1].split(","), result.stdout + result.stderr
