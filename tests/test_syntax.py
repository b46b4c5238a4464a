"""The syntax layer reads Dockerfiles exactly as BuildKit does."""

from __future__ import annotations

import pytest
from buildkit_result import parse_result_line
from conftest import CORPUS, needs_shared

from mllint.syntax import DockerfileSyntaxError, read


def keywords(text):
    return [i.keyword for i in read(text).instructions]


def test_continuation_joins_like_buildkit():
    tree = read("FROM a\nRUN echo hello \\\n  world\n")
    run = tree.instructions[1]
    assert run.value == "echo hello   world"
    assert (run.start_line, run.end_line) == (2, 3)


def test_comment_and_blank_lines_inside_continuation_are_skipped():
    tree = read("FROM a\nRUN pip install \\\n# a comment\n\n    torch\nRUN echo next\n")
    run, nxt = tree.instructions[1], tree.instructions[2]
    assert run.value == "pip install     torch"
    assert (run.start_line, run.end_line) == (2, 5)
    assert nxt.start_line == 6
    assert tree.empty_continuation_lines == [4]


def test_escape_directive_backtick_drives_continuation():
    tree = read("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\n")
    assert tree.escape == "`"
    assert tree.instructions[1].value == "dir   c:\\"


@pytest.mark.parametrize("order", [
    "# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\n",
    "# check=error=true\n# escape=`\n# syntax=docker/dockerfile:1\n",
    "#escape = `\n",
])
def test_directives_in_any_order(order):
    tree = read(order + "FROM a\nRUN echo `\n  b\n")
    assert tree.escape == "`"
    assert tree.instructions[1].value == "echo   b"


def test_directive_after_comment_or_blank_is_a_comment():
    assert read("# hello\n# escape=`\nFROM a\n").escape == "\\"
    assert read("\n# escape=`\nFROM a\n").escape == "\\"


def test_duplicate_and_invalid_directives_are_errors():
    with pytest.raises(DockerfileSyntaxError, match="only one escape"):
        read("# escape=`\n# escape=\\\nFROM a\n")
    with pytest.raises(DockerfileSyntaxError, match="invalid escape"):
        read("# escape=x\nFROM a\n")


def test_bom_crlf_lowercase_and_leading_whitespace():
    tree = read("\ufeffFROM a\r\n  run pip install \\\r\n   torch\r\n")
    assert keywords("\ufeffFROM a\r\n  run echo\r\n") == ["FROM", "RUN"]
    run = tree.instructions[1]
    assert run.written_keyword == "run"
    assert run.value == "pip install    torch"
    assert run.start_col == 3
    assert (run.start_line, run.end_line) == (2, 3)


def test_heredoc_basic_and_following_line_numbers():
    text = "FROM a\nRUN <<EOF\npip install torch\necho done\nEOF\nRUN echo after\n"
    tree = read(text)
    run = tree.instructions[1]
    assert run.heredocs[0].name == "EOF"
    assert run.heredocs[0].content == "pip install torch\necho done\n"
    assert (run.start_line, run.end_line) == (2, 5)
    assert run.heredocs[0].start_line == 3
    assert tree.instructions[2].start_line == 6


def test_heredoc_chomp_quoted_and_several():
    text = (
        "FROM a\n"
        "RUN <<-EOT bash && cat <<'EOF2' > /x\n"
        "\tpip install torch\n"
        "\tEOT\n"
        "literal $HOME\n"
        "EOF2\n"
        "COPY <<EOF /etc/pip.conf\n"
        "[global]\n"
        "EOF\n"
        "CMD [\"x\"]\n"
    )
    tree = read(text)
    run = tree.instructions[1]
    assert [(h.name, h.chomp, h.expand) for h in run.heredocs] == [("EOT", True, True), ("EOF2", False, False)]
    assert run.heredocs[0].text == "pip install torch\n"
    assert run.heredocs[1].content == "literal $HOME\n"
    assert run.end_line == 6
    copy = tree.instructions[2]
    assert copy.keyword == "COPY" and copy.heredocs[0].content == "[global]\n"
    assert tree.instructions[3].start_line == 10


def test_heredoc_not_recognised_in_exec_form_or_quotes():
    tree = read('FROM a\nRUN ["sh", "-c", "cat <<EOF"]\nRUN echo "<<EOF"\n')
    assert not tree.instructions[1].heredocs and not tree.instructions[2].heredocs


def test_unterminated_heredoc_is_an_error():
    with pytest.raises(DockerfileSyntaxError, match="unterminated heredoc") as err:
        read("FROM a\nRUN <<EOF\necho hi\n")
    assert err.value.line == 2


def test_exec_form_and_flags():
    tree = read('FROM a\nRUN --mount=type=cache,target=/root/.cache/pip --network=none ["pip", "install", "x"]\n'
                'COPY --from=build --chown=1000:1000 /a /b\n')
    run, copy = tree.instructions[1], tree.instructions[2]
    assert run.flags == ["--mount=type=cache,target=/root/.cache/pip", "--network=none"]
    assert run.json_args == ["pip", "install", "x"]
    assert copy.flags == ["--from=build", "--chown=1000:1000"]
    assert copy.value == "/a /b"


def test_nested_json_array_is_an_error():
    with pytest.raises(DockerfileSyntaxError):
        read('CMD [ "echo", [ "nested json" ] ]\n')


def test_positions_map_back_into_continuation_lines():
    tree = read("FROM a\nRUN apt-get update && \\\n    pip install torch\n")
    run = tree.instructions[1]
    offset = run.value.index("pip")
    assert run.value_position(offset) == (3, 5)


def test_comments_directly_above_are_attached():
    tree = read("FROM a\n# first\n# second\nRUN x\n\n# detached\n\nRUN y\n")
    assert [c for _, c in tree.instructions[1].comments] == ["first", "second"]
    assert tree.instructions[2].comments == []


def _edge_cases():
    root = CORPUS / "parser-edge"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


@needs_shared
@pytest.mark.parametrize("case", _edge_cases(), ids=lambda p: p.name)
def test_buildkit_parser_corpus(case):
    text = (case / "Dockerfile").read_bytes().decode("utf-8")
    result = case / "result"
    expected = [parse_result_line(line) for line in result.read_text().splitlines() if line.strip()] \
        if result.exists() else []
    if case.name.startswith("testfiles-negative"):
        from mllint.dockerfile import parse
        try:
            model = parse(text)
        except DockerfileSyntaxError as exc:
            assert exc.message
        else:
            assert not model.stages or not expected
        return
    tree = read(text)
    assert [i.keyword.lower() for i in tree.instructions] == [kw for kw, _, _ in expected]
    for instruction, (_, flags, args) in zip(tree.instructions, expected):
        if instruction.keyword == "RUN" and instruction.json_args is None:
            assert instruction.value == args[0]
            assert instruction.flags == flags
