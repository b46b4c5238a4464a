"""mllint runs over every file of the shared corpus without a crash."""

from __future__ import annotations

import json

from conftest import CORPUS, needs_shared, run_cli


def corpus_files():
    """Every Dockerfile of the corpus; a judged case folder's other files are its build context."""
    if not CORPUS.is_dir():
        return []
    skip = {"MANIFEST.tsv", "README.md", "result"}
    files = []
    for path in CORPUS.rglob("*"):
        if not path.is_file() or path.name in skip or path.suffix in (".tsv", ".md"):
            continue
        if path.parent.parent.name == "judged" and path.name != "Dockerfile":
            continue  # judged/<case>/requirements.txt and the like
        if "judged" in path.parts and len(path.relative_to(CORPUS).parts) > 3:
            continue  # judged/<case>/requirements/... nested context files
        files.append(path)
    return sorted(files)


@needs_shared
def test_whole_corpus_in_one_invocation():
    files = corpus_files()
    assert len(files) > 200
    result = run_cli("--format", "json", *map(str, files))
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr
    assert result.returncode in (0, 1, 2)
    data = json.loads(result.stdout)
    # parser test inputs that are no complete Dockerfile are not counted as linted
    assert data["summary"]["files"] + data["summary"].get("not_linted", 0) == len(files)
    # real-world files all parse; only BuildKit's parser test inputs may be incomplete Dockerfiles
    for error in data["errors"]:
        assert "/parser-edge/" in error["path"], error


@needs_shared
def test_each_corpus_file_in_process(lint):
    for path in corpus_files():
        text = path.read_bytes().decode("utf-8", errors="replace")
        report = lint(text)
        for problem in report.problems:
            assert "crashed" not in problem, (path, problem)
