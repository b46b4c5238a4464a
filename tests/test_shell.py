"""Behaviour of the RUN-body command splitter (mllint.shell)."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shlex

from mllint.shell import SimpleCommand, _cook, _split, _unquote, split_exec_form, split_script


def argvs(script: str, **kw) -> list[tuple[str, ...]]:
    return [c.argv for c in split_script(script, **kw)]


# --------------------------------------------------------------------------- separators


@pytest.mark.parametrize("sep", ["&&", "||", ";", "|", "&", "|&"])
def test_each_separator_splits(sep):
    assert argvs(f"apt-get update {sep} pip install x") == [("apt-get", "update"), ("pip", "install", "x")]


def test_separators_without_spaces():
    assert argvs("a&&b||c;d|e&f") == [("a",), ("b",), ("c",), ("d",), ("e",), ("f",)]


def test_newline_separates_in_heredoc_script():
    assert argvs("apt-get update\npip install x\n", heredoc=True) == [("apt-get", "update"), ("pip", "install", "x")]


def test_newline_separates_in_shell_form_too():
    assert argvs("a\nb") == [("a",), ("b",)]


def test_grouping_subshell_and_braces():
    assert argvs("(cd /src && pip install .) ; { pip install a; pip install b; }") == [
        ("cd", "/src"), ("pip", "install", "."), ("pip", "install", "a"), ("pip", "install", "b"),
    ]


def test_comments_are_ignored_but_hash_inside_word_is_kept():
    script = "pip install x # install x && rm -rf /\npip install 'git+https://h/r.git#egg=r'"
    assert argvs(script, heredoc=True) == [("pip", "install", "x"), ("pip", "install", "git+https://h/r.git#egg=r")]


def test_shell_form_comment_line_inside_joined_instruction_is_not_a_separator():
    # BuildKit drops comment lines from continued instructions, so `b` still belongs to the install.
    assert argvs("pip install a \\\n# a comment\n    b") == [("pip", "install", "a", "b")]


# --------------------------------------------------------------------------- quoting and words


def test_quote_removal():
    cmds = split_script("""pip install "torch==2.1.0" 'numpy<2' a\\ b "x"'y'z""")
    assert cmds[0].argv == ("pip", "install", "torch==2.1.0", "numpy<2", "a b", "xyz")


def test_quoted_separators_do_not_split():
    assert argvs("""echo "a && b" 'c; d' e\\;f""") == [("echo", "a && b", "c; d", "e;f")]


def test_command_substitution_and_backticks_stay_in_the_word():
    cmds = split_script('pip install "torch==$(cat v.txt; echo)" x==`echo 1 && echo 2` $(a | b) && echo ok')
    assert [c.argv[0] for c in cmds] == ["pip", "echo"]
    pip = cmds[0].argv
    assert pip[2] == "torch==$(cat v.txt; echo)"
    assert pip[3].startswith("x==`echo 1") and pip[3].endswith("`")
    assert pip[4].startswith("$(a") and len(pip) == 5


def test_parameter_expansion_with_spaces_is_one_word():
    assert argvs("pip install ${PKGS:-torch numpy} x")[0] == ("pip", "install", "${PKGS:-torch numpy}", "x")


def test_redirections_are_not_arguments():
    cmds = split_script("pip install x > /tmp/log 2>&1 numpy<2 &>/dev/null")
    # Unquoted `numpy<2` is a redirection from file "2" in real shells too.
    assert cmds[0].argv == ("pip", "install", "x", "numpy")


def test_continuation_lines_and_chain_offsets():
    script = "apt-get update \\\n    && pip install \\\n       torch \\\n    && echo done"
    cmds = split_script(script)
    assert [c.argv for c in cmds] == [("apt-get", "update"), ("pip", "install", "torch"), ("echo", "done")]
    for c in cmds:
        assert script[c.offset : c.offset + len(c.text)] == c.text
    assert cmds[1].text.startswith("pip install") and cmds[1].text.endswith("torch")


# --------------------------------------------------------------------------- heredoc scripts


HEREDOC_SCRIPT = """set -eux
apt-get update && \\
    apt-get install -y \\
        curl
cat <<EOF > /etc/pip.conf
[global]
pip install not-a-command
EOF
cat <<-'END' >> /tmp/x
\tapt-get install nope
\tEND
pip install --no-cache-dir \\
    torch==2.1.0
"""


def test_heredoc_script_continuations_and_inner_heredocs():
    cmds = split_script(HEREDOC_SCRIPT, heredoc=True)
    assert [c.argv for c in cmds] == [
        ("set", "-eux"),
        ("apt-get", "update"),
        ("apt-get", "install", "-y", "curl"),
        ("cat",),
        ("cat",),
        ("pip", "install", "--no-cache-dir", "torch==2.1.0"),
    ]
    for c in cmds:  # offsets point into the original (unjoined) script
        assert HEREDOC_SCRIPT[c.offset : c.offset + len(c.text)] == c.text
    pip = cmds[-1]
    assert HEREDOC_SCRIPT.count("\n", 0, pip.offset) == 11
    assert "\\\n" in pip.text


def test_heredoc_with_non_shell_shebang_is_not_split():
    assert split_script("#!/usr/bin/env python3\nimport os\nos.system('pip install x')\n", heredoc=True) == []
    assert argvs("#!/bin/bash\npip install x\n", heredoc=True) == [("pip", "install", "x")]


def test_unterminated_inner_heredoc_swallows_rest_without_error():
    assert argvs("cat <<EOF\npip install x\n", heredoc=True) == [("cat",)]


# --------------------------------------------------------------------------- keywords


def test_if_then_fi():
    assert argvs("if [ -f req.txt ]; then pip install -r req.txt; else pip install x; fi") == [
        ("[", "-f", "req.txt", "]"), ("pip", "install", "-r", "req.txt"), ("pip", "install", "x"),
    ]


def test_negation_while_until_elif():
    script = "if ! command -v pip; then echo no; elif true; then :; fi; while false; do pip install a; done; until x; do y; done"
    assert argvs(script) == [
        ("command", "-v", "pip"), ("echo", "no"), ("true",), (":",), ("false",), ("pip", "install", "a"), ("x",), ("y",),
    ]


def test_for_loop_header_is_not_a_command():
    assert argvs("for p in a b; do pip install $p; done") == [("pip", "install", "$p")]
    assert argvs("for p in a b\ndo\n  pip install $p\ndone", heredoc=True) == [("pip", "install", "$p")]
    assert argvs("for ((i=0; i<3; i++)); do echo $i; done") == [("echo", "$i")]


def test_case_esac():
    script = 'case "$(uname -m)" in\n  x86_64) pip install a ;;\n  aarch64|arm64) pip install b ;;\n  *) echo other\nesac\necho after'
    assert argvs(script, heredoc=True) == [("pip", "install", "a"), ("pip", "install", "b"), ("echo", "other"), ("echo", "after")]


def test_function_definition_body_is_split():
    assert argvs("install() { pip install \"$@\"; }; install x") == [("pip", "install", "$@"), ("install", "x")]
    assert argvs("function f { pip install y; }") == [("pip", "install", "y")]


# --------------------------------------------------------------------------- assignments and wrappers


def test_inline_assignments():
    (cmd,) = split_script('PIP_NO_CACHE_DIR=1 FOO="a b" pip install x')
    assert cmd.argv == ("pip", "install", "x")
    assert cmd.assignments == (("PIP_NO_CACHE_DIR", "1"), ("FOO", "a b"))
    assert cmd.offset == 0 and cmd.text.startswith("PIP_NO_CACHE_DIR=1")


def test_pure_assignment_is_kept_with_empty_argv():
    assert split_script("V=2.1.0") == [SimpleCommand((), (("V", "2.1.0"),), 0, "V=2.1.0")]


def test_quoted_name_is_not_an_assignment():
    assert argvs('"A=1" pip') == [("A=1", "pip")]


def test_env_wrapper_records_assignments():
    (cmd,) = split_script("env -u HOME PIP_NO_CACHE_DIR=1 pip install x")
    assert cmd.argv == ("pip", "install", "x")
    assert cmd.assignments == (("PIP_NO_CACHE_DIR", "1"),)


def test_env_split_string():
    assert argvs("/usr/bin/env -S 'pip install x'") == [("pip", "install", "x")]


@pytest.mark.parametrize(
    "script",
    [
        "sudo -H pip install x",
        "sudo -E -u app -H pip install x",
        "sudo -uapp pip install x",
        "exec pip install x",
        "command pip install x",
        "nohup pip install x",
        "time pip install x",
        "time -p pip install x",
        "nice -n 10 pip install x",
        "nice -5 pip install x",
        "stdbuf -oL -e L pip install x",
        "timeout 600 pip install x",
        "timeout -k 5 10m pip install x",
        "xargs -n1 -P 4 pip install x",
        "xargs -I{} pip install x",
        "conda run -n env --no-capture-output pip install x",
        "micromamba run -n base pip install x",
        "sudo -E nice -n 5 env A=1 timeout 10 pip install x",
    ],
)
def test_wrappers_are_stripped(script):
    (cmd,) = split_script(script)
    assert cmd.argv == ("pip", "install", "x")
    assert cmd.offset == 0 and cmd.text == script


def test_sudo_assignments_and_nested_wrappers_collect_assignments():
    (cmd,) = split_script("A=1 sudo B=2 env C=3 pip install x")
    assert cmd.assignments == (("A", "1"), ("B", "2"), ("C", "3"))


def test_wrapper_without_command_is_kept():
    assert argvs("command -v pip") == [("command", "-v", "pip")]
    assert argvs("env") == [("env",)]
    assert argvs("xargs") == [("xargs",)]


# --------------------------------------------------------------------------- sh -c


def test_sh_c_body_is_split_with_offsets():
    script = "sh -c 'pip install a && pip install b'"
    cmds = split_script(script)
    assert [c.argv for c in cmds] == [("pip", "install", "a"), ("pip", "install", "b")]
    assert all(c.via == "sh -c" for c in cmds)
    for c in cmds:
        assert script[c.offset : c.offset + len(c.text)] == c.text


@pytest.mark.parametrize(
    "script",
    [
        'bash -c "pip install x"',
        "/bin/bash -lc 'pip install x'",
        "bash -euxo pipefail -c 'pip install x'",
        "bash -o pipefail -c 'pip install x' arg0 arg1",
        "sudo -E bash -c 'pip install x'",
        "dash -ec 'pip install x'",
        "eval 'pip install x'",
    ],
)
def test_shell_bodies_recurse(script):
    (cmd,) = split_script(script)
    assert cmd.argv == ("pip", "install", "x")
    assert cmd.via in ("sh -c", "eval")


def test_sh_c_inherits_outer_assignments():
    (cmd,) = split_script("PIP_NO_CACHE_DIR=1 sh -c 'A=2 pip install x'")
    assert cmd.assignments == (("PIP_NO_CACHE_DIR", "1"), ("A", "2"))


def test_su_c_and_gosu():
    (cmd,) = split_script("su - app -c 'pip install --user x'")
    assert cmd.argv == ("pip", "install", "--user", "x") and cmd.via == "sh -c"
    assert argvs("gosu app pip install x") == [("pip", "install", "x")]


def test_process_substitution_is_one_word():
    assert argvs("pip install -r <(curl -s https://h/r.txt | grep -v torch) && echo ok") == [
        ("pip", "install", "-r", "<(curl -s https://h/r.txt | grep -v torch)"), ("echo", "ok"),
    ]


def test_shell_without_c_is_a_plain_command():
    assert argvs("bash install.sh") == [("bash", "install.sh")]


def test_escaped_sh_c_body_offset_falls_back_to_the_word():
    script = 'echo hi; sh -c "pip install \\"x\\""'
    (_, cmd) = split_script(script)
    assert cmd.argv == ("pip", "install", "x") and cmd.via == "sh -c"
    assert cmd.offset == script.index('"pip')


# --------------------------------------------------------------------------- exec form


def test_exec_form_without_shell():
    assert split_exec_form(["pip", "install", "torch==2.1.0"]) == [
        SimpleCommand(("pip", "install", "torch==2.1.0"), (), 0, "pip install torch==2.1.0")
    ]


def test_exec_form_has_no_quote_removal_or_assignments():
    (cmd,) = split_exec_form(["A=1", "pip", "install", "'x'"])
    assert cmd.argv == ("A=1", "pip", "install", "'x'") and cmd.assignments == ()


def test_exec_form_with_shell():
    cmds = split_exec_form(["/bin/bash", "-lc", "apt-get update && pip install x"])
    assert [c.argv for c in cmds] == [("apt-get", "update"), ("pip", "install", "x")]
    assert [c.offset for c in cmds] == [0, 18] and all(c.via == "sh -c" for c in cmds)
    assert [c.argv for c in split_exec_form(["sh", "-c", "a && b"])] == [("a",), ("b",)]


def test_exec_form_wrappers():
    (cmd,) = split_exec_form(["env", "PIP_NO_CACHE_DIR=1", "sh", "-c", "pip install x"])
    assert cmd.argv == ("pip", "install", "x") and cmd.assignments == (("PIP_NO_CACHE_DIR", "1"),)


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "script",
    [
        "pip install 'torch",
        'pip install "torch',
        "pip install $(echo",
        "pip install `echo",
        "pip install ${X",
        "echo \\",
        "(((((",
        ")))) ;; esac fi done }",
        "\x00\x01\xff\ufffd << >> <<<",
        "<<",
        "case",
        "for",
        "sh -c",
        "bash -c 'sh -c \"bash -c \\\"pip install x\\\"\"'",
    ],
)
def test_malformed_input_does_not_raise(script):
    for heredoc in (False, True):
        result = _split(script, heredoc=heredoc)
        assert all(isinstance(c, SimpleCommand) for c in result)
        assert split_script(script, heredoc=heredoc) == result


def test_unterminated_quote_only_affects_its_line():
    cmds = split_script("echo 'oops\npip install x\n", heredoc=True)
    assert cmds[-1].argv == ("pip", "install", "x")


def test_non_string_input_does_not_raise():
    assert split_script(b"pip install x") == split_script("pip install x")  # type: ignore[arg-type]
    assert split_script(None) == []  # type: ignore[arg-type]
    assert split_exec_form(None) == []  # type: ignore[arg-type]


_SHELLISH = st.lists(
    st.sampled_from(list("ab $()`'\"\\\n\t;&|<>{}#=-ce!")
                    + ["sh -c ", "<<E", "<<-'E'", "\nE\n", "if ", "then ", "case ", " in ", ")", ";;", "esac",
                       "for ", "do ", "done", "A=1 ", "sudo ", "env ", "xargs ", "pip install ", "\\\n"]),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SHELLISH | st.text(), st.booleans())
def test_fuzz_split_never_raises(text, heredoc):
    result = _split(text, heredoc=heredoc)
    for c in result:
        assert isinstance(c.argv, tuple) and all(isinstance(a, str) for a in c.argv)
        assert 0 <= c.offset <= len(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=20), max_size=8))
def test_fuzz_exec_form_never_raises(argv):
    for c in split_exec_form(argv):
        assert isinstance(c, SimpleCommand)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab'\"\\$`#x")), max_size=30))
def test_linear_unquote_agrees_with_shlex(word):
    try:
        expected = shlex.split(word, comments=False)
    except ValueError:
        return
    if len(expected) == 1:
        assert _unquote(word) == expected[0] == _cook(word)


def test_huge_quoted_word_uses_linear_unquote():
    word = '"' + "a b " * 50_000 + '"'
    (cmd,) = split_script("pip install " + word)
    assert cmd.argv[2] == "a b " * 50_000


# --------------------------------------------------------------------------- performance


def _timed(fn, *args, **kw):
    start = time.perf_counter()
    result = fn(*args, **kw)
    return result, time.perf_counter() - start


def test_large_script_is_linear():
    line = 'pip install --no-cache-dir "torch==2.1.0" numpy>=1 $(echo x) && echo ok # c\n'
    script = (line * (200_000 // len(line) + 1))[:200_000]
    cmds, elapsed = _timed(split_script, script, heredoc=True)
    assert len(cmds) > 4000


def test_long_command_chain_is_linear():
    script = " && ".join(f"pip install pkg{i}==1.{i}" for i in range(10_000))
    cmds, elapsed = _timed(split_script, script)
    assert len(cmds) == 10_000


@pytest.mark.parametrize(
    "script",
    [
        "echo $(\n" * 20_000,  # every line opens an unterminated substitution
        "'\n\"\n" * 20_000,  # unterminated quotes on alternate lines
        '"$(' * 60_000,  # deep nesting
        "a" * 200_000,  # one huge word
        "<<E " * 40_000 + "\n",  # many pending here-documents
        "(" * 100_000,
        'pip install "' + "x" * 1_000_000 + '"',  # shlex alone is quadratic here
        "pip install " + "\\x" * 300_000,
    ],
)
def test_pathological_inputs_are_linear(script):
    _, elapsed = _timed(split_script, script, heredoc=True)
