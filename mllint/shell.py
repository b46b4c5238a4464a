"""Split Dockerfile RUN bodies into simple commands.

Rules never look at raw RUN text: they consume the :class:`SimpleCommand` list built here (and the
install records built from it in :mod:`mllint.installs`).  The splitter is a small single-pass lexer
that knows enough POSIX shell to find command boundaries (quotes, ``$(...)``, backticks, ``${...}``,
comments, redirections, here-documents, line continuations); quote removal inside a word is done by
:mod:`shlex`.  It never raises and stays linear in the input size: unterminated constructs fall back
to "ends at the end of the line", and anything unexpected falls back to a whitespace split.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

__all__ = ["SimpleCommand", "split_script", "split_exec_form"]


@dataclass(frozen=True)
class SimpleCommand:
    """One simple command, as the shell would execute it.

    ``argv`` is empty only for a pure assignment such as ``A=1`` (kept so rules can see shell
    variables); every other command has at least one word.  ``offset``/``text`` locate the command
    in the script given to :func:`split_script` (for ``via`` commands: see :func:`split_script`).
    """

    argv: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...]
    offset: int
    text: str
    via: str = ""


# --------------------------------------------------------------------------- lexer

_BLANKS = frozenset(" \t\r\f\v")
_META = frozenset(" \t\r\f\v\n;&|()<>")
_REDIR_OPS = ("<<<", "<<-", "&>>", "<<", "<&", "<>", ">>", ">&", ">|", "&>", "<", ">")
_MAX_DEPTH = 8  # nesting of sh -c / eval bodies; real Dockerfiles use 1-2

# Token kinds.
_WORD, _OP, _REDIR = 0, 1, 2


def _continuation(s: str, i: int) -> int:
    """Index after a backslash-newline at ``i`` (also ``\\\\\\r\\n``), or -1."""
    if s.startswith("\\\n", i):
        return i + 2
    if s.startswith("\\\r\n", i):
        return i + 3
    return -1


class _Lexer:
    """Turns shell text into word / operator / redirection tokens with source offsets."""

    def __init__(self, s: str, heredoc: bool) -> None:
        self.s = s
        self.n = len(s)
        self.heredoc = heredoc
        # After the first unterminated quote every later nested scan is limited to its own line;
        # without this, N unterminated openers would each scan to the end of the input (quadratic).
        self.poisoned = False
        self.pending: list[tuple[str, bool]] = []  # here-documents whose bodies start at next newline
        self.tokens: list[tuple[int, int, int, str]] = []  # (kind, start, end, raw text / operator)

    # -- scanning helpers -----------------------------------------------------------------

    def _line_end(self, i: int) -> int:
        j = self.s.find("\n", i)
        return self.n if j < 0 else j

    def _limit(self, i: int) -> int:
        return self._line_end(i) if self.poisoned else self.n

    def _unterminated(self, i: int) -> int:
        self.poisoned = True
        return self._line_end(i)

    def _single_quote(self, i: int) -> int:
        """``i`` is just after an opening ``'``; return the index after the closing one."""
        j = self.s.find("'", i, self._limit(i))
        return self._unterminated(i) if j < 0 else j + 1

    def _nested(self, i: int, ctx: str) -> int:
        """Skip a nested construct opened just before ``i``.

        ``ctx`` is ``"dq"`` (double quotes), ``"bt"`` (backticks), ``"paren"`` (``$(``/``((``) or
        ``"brace"`` (``${``).  Iterative with an explicit stack so deep nesting cannot overflow.
        """
        s = self.s
        limit = self._limit(i)
        stack = [ctx]
        while i < limit:
            c = s[i]
            top = stack[-1]
            if c == "\\":
                i += 2
                continue
            if top == "dq":
                if c == '"':
                    stack.pop()
                    i += 1
                    if not stack:
                        return i
                    continue
            elif top == "bt":
                if c == "`":
                    stack.pop()
                    i += 1
                    if not stack:
                        return i
                    continue
            else:
                if c == "'":
                    j = s.find("'", i + 1, limit)
                    if j < 0:
                        break
                    i = j + 1
                    continue
                if c == '"':
                    stack.append("dq")
                    i += 1
                    continue
                closer = ")" if top == "paren" else "}"
                if c == closer:
                    stack.pop()
                    i += 1
                    if not stack:
                        return i
                    continue
                if c == "(" and top == "paren":
                    stack.append("paren")
                    i += 1
                    continue
            if c == "$" and i + 1 < limit and s[i + 1] in "({":
                stack.append("paren" if s[i + 1] == "(" else "brace")
                i += 2
                continue
            if c == "`" and top != "bt":
                stack.append("bt")
                i += 1
                continue
            i += 1
        return self._unterminated(i if i < self.n else self.n)

    def scan_word(self, i: int) -> tuple[int, str]:
        """Scan one word starting at ``i``; return (end, raw text without line continuations)."""
        s, n = self.s, self.n
        parts: list[str] = []
        seg = i
        while i < n:
            c = s[i]
            if c == "\\":
                k = _continuation(s, i)
                if k >= 0:
                    parts.append(s[seg:i])
                    i = seg = k
                    continue
                i += 2
                continue
            if c in _META:
                break
            if c == "'":
                i = self._single_quote(i + 1)
            elif c == '"':
                i = self._nested(i + 1, "dq")
            elif c == "`":
                i = self._nested(i + 1, "bt")
            elif c == "$" and i + 1 < n and s[i + 1] in "({":
                i = self._nested(i + 2, "paren" if s[i + 1] == "(" else "brace")
            else:
                i += 1
        i = min(i, n)
        parts.append(s[seg:i])
        return i, "".join(parts)

    def _skip_blanks(self, i: int) -> int:
        s, n = self.s, self.n
        while i < n:
            if s[i] in _BLANKS:
                i += 1
                continue
            k = _continuation(s, i)
            if k < 0:
                break
            i = k
        return i

    def _redirect(self, start: int, i: int) -> int:
        """A redirection operator starts at ``i`` (``start`` includes an fd number, if any)."""
        s = self.s
        op = next(o for o in _REDIR_OPS if s.startswith(o, i))
        j = self._skip_blanks(i + len(op))
        end = i + len(op)
        if j < self.n and s[j] not in _META:
            end, raw = self.scan_word(j)
            if op in ("<<", "<<-"):
                delim = _cook(raw)
                if delim:
                    self.pending.append((delim, op == "<<-"))
        self.tokens.append((_REDIR, start, end, s[start:end]))
        return end

    def _skip_heredoc_bodies(self, i: int) -> int:
        """Skip the bodies of here-documents opened on the line that just ended."""
        s, n = self.s, self.n
        for delim, strip_tabs in self.pending:
            while i < n:
                e = self._line_end(i)
                line = s[i:e]
                if strip_tabs:
                    line = line.lstrip("\t")
                i = min(e + 1, n)
                if line == delim or line.rstrip("\r") == delim:
                    break
        self.pending.clear()
        return i

    # -- main loop --------------------------------------------------------------------------

    def run(self) -> list[tuple[int, int, int, str]]:
        s, n, toks = self.s, self.n, self.tokens
        i = 0
        line_blank = True  # nothing but blanks/continuations seen on the current line so far
        while i < n:
            c = s[i]
            if c in _BLANKS:
                i += 1
                continue
            if c == "\\":
                k = _continuation(s, i)
                if k >= 0:
                    i = k
                    line_blank = True
                    continue
            if c == "\n":
                # In shell-form RUN, Docker has already joined continuation lines and dropped
                # comment/blank lines inside them, so a newline ending such a line separates nothing.
                if self.heredoc or not line_blank:
                    toks.append((_OP, i, i + 1, "\n"))
                i += 1
                line_blank = True
                if self.pending:
                    i = self._skip_heredoc_bodies(i)
                continue
            if c == "#":
                i = self._line_end(i)
                continue
            line_blank = False
            nxt = s[i + 1] if i + 1 < n else ""
            if c in "<>" and nxt == "(":
                # Process substitution <(...) / >(...): one opaque word, e.g. `pip install -r <(...)`.
                end = self._nested(i + 2, "paren")
                toks.append((_WORD, i, end, s[i:end]))
                i = end
            elif c in "<>" or (c == "&" and nxt == ">"):
                i = self._redirect(i, i)
            elif c == "&":
                op = "&&" if nxt == "&" else "&"
                toks.append((_OP, i, i + len(op), op))
                i += len(op)
            elif c == "|":
                op = "||" if nxt == "|" else "|&" if nxt == "&" else "|"
                toks.append((_OP, i, i + len(op), op))
                i += len(op)
            elif c == ";":
                op = ";;&" if s.startswith(";;&", i) else ";;" if nxt == ";" else ";&" if nxt == "&" else ";"
                toks.append((_OP, i, i + len(op), op))
                i += len(op)
            elif c == "(" and nxt == "(":
                # Arithmetic command / for ((...)): one opaque word.
                end = self._nested(i + 1, "paren")
                toks.append((_WORD, i, end, s[i:end]))
                i = end
            elif c in "()":
                toks.append((_OP, i, i + 1, c))
                i += 1
            else:
                end, raw = self.scan_word(i)
                if end < n and s[end] in "<>" and raw.isdigit() and raw.isascii():
                    i = self._redirect(i, end)  # "2>&1", "2>/dev/null": fd number belongs to it
                else:
                    toks.append((_WORD, i, end, raw))
                    i = end
        return toks


# --------------------------------------------------------------------------- words


# shlex grows each token with `self.token += c`, which is quadratic for one huge word; above this
# size the equivalent linear `_unquote` is used instead.
_SHLEX_MAX = 8192


def _cook(raw: str) -> str:
    """Quote removal for one word (shlex POSIX rules); ``$(...)`` etc. stay as text."""
    if "'" not in raw and '"' not in raw and "\\" not in raw:
        return raw
    if len(raw) <= _SHLEX_MAX:
        try:
            lex = shlex.shlex(raw, posix=True)
            lex.whitespace_split = True
            lex.commenters = ""
            # Whitespace outside quotes only occurs inside $(...)/backticks: keep it one word.
            return " ".join(lex)
        except ValueError:  # unterminated quote or trailing backslash
            pass
    return _unquote(raw)


def _unquote(raw: str) -> str:
    """Linear, lenient twin of shlex's POSIX quote removal (tolerates unterminated quotes)."""
    out: list[str] = []
    quote = ""
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if quote == "'":
            if c == "'":
                quote = ""
            else:
                out.append(c)
        elif quote == '"':
            if c == '"':
                quote = ""
            elif c == "\\" and i + 1 < n and raw[i + 1] in '"\\':
                i += 1
                out.append(raw[i])
            else:
                out.append(c)
        elif c in "'\"":
            quote = c
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(raw[i])
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _is_name(text: str) -> bool:
    return bool(text) and text.isascii() and text.isidentifier()


def _assignment(word: str) -> tuple[str, str] | None:
    """``NAME=value`` (or ``NAME+=value``) -> (NAME, value); works on cooked or raw words."""
    eq = word.find("=")
    if eq <= 0:
        return None
    name = word[:eq]
    if name.endswith("+"):
        name = name[:-1]
    return (name, word[eq + 1 :]) if _is_name(name) else None


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


# --------------------------------------------------------------------------- wrappers
# Each wrapper handler gets argv (cooked words, argv[0] is the wrapper) and returns
# (words consumed, assignments, words to insert) or None when this use does not run a command.

_Wrap = tuple[int, list[tuple[str, str]], list[str]]


def _short_opts(argv: list[str], j: int, with_value: str, long_with_value: frozenset[str]) -> int:
    """Skip getopt-style options from argv[j]; return the index of the first operand."""
    while j < len(argv):
        a = argv[j]
        if a == "--":
            return j + 1
        if a.startswith("--"):
            j += 2 if ("=" not in a and a in long_with_value) else 1
            continue
        if len(a) > 1 and a[0] == "-":
            j += 1
            for k, ch in enumerate(a[1:], 1):
                if ch in with_value:
                    if k == len(a) - 1:
                        j += 1  # value is the next word
                    break
            continue
        break
    return j


def _wrap_sudo(argv: list[str]) -> _Wrap | None:
    j = _short_opts(
        argv, 1, "ugCDprtTRU",
        frozenset({"--user", "--group", "--close-from", "--chdir", "--prompt", "--role", "--type",
                   "--command-timeout", "--other-user", "--chroot", "--host"}),
    )
    assigns = []
    while j < len(argv) and (a := _assignment(argv[j])):
        assigns.append(a)
        j += 1
    return j, assigns, []


def _wrap_env(argv: list[str]) -> _Wrap | None:
    j, insert = 1, []
    while j < len(argv):
        a = argv[j]
        if a == "--":
            j += 1
            break
        if a in ("-u", "--unset", "-C", "--chdir"):
            j += 2
        elif a in ("-S", "--split-string") or a.startswith(("--split-string=", "-S")):
            if a in ("-S", "--split-string"):
                text = argv[j + 1] if j + 1 < len(argv) else ""
                j += 2
            else:
                text = a.split("=", 1)[1] if a.startswith("--") else a[2:]
                j += 1
            insert = _shlex_split(text)
            break
        elif a == "-" or (a.startswith("-") and len(a) > 1):
            j += 1
        else:
            break
    assigns = []
    if insert:
        return j, assigns, insert
    while j < len(argv) and (a := _assignment(argv[j])):
        assigns.append(a)
        j += 1
    return j, assigns, []


def _wrap_exec(argv: list[str]) -> _Wrap | None:
    return _short_opts(argv, 1, "a", frozenset()), [], []


def _wrap_command(argv: list[str]) -> _Wrap | None:
    j = 1
    while j < len(argv) and argv[j].startswith("-") and argv[j] != "--":
        if "v" in argv[j] or "V" in argv[j]:
            return None  # `command -v pip` only looks the command up
        j += 1
    if j < len(argv) and argv[j] == "--":
        j += 1
    return j, [], []


def _wrap_simple(argv: list[str]) -> _Wrap | None:
    return (2 if len(argv) > 1 and argv[1] == "--" else 1), [], []


def _wrap_user(argv: list[str]) -> _Wrap | None:
    """``gosu USER CMD`` / ``su-exec USER CMD``."""
    return (2, [], []) if len(argv) > 2 else None


def _wrap_time(argv: list[str]) -> _Wrap | None:
    return _short_opts(argv, 1, "of", frozenset({"--output", "--format"})), [], []


def _wrap_nice(argv: list[str]) -> _Wrap | None:
    j = 1
    while j < len(argv):
        a = argv[j]
        if a == "--":
            return j + 1, [], []
        if a in ("-n", "--adjustment"):
            j += 2
        elif a.startswith("-") and len(a) > 1:
            j += 1  # -n5, -10, --adjustment=5
        else:
            break
    return j, [], []


def _wrap_stdbuf(argv: list[str]) -> _Wrap | None:
    return _short_opts(argv, 1, "ioe", frozenset({"--input", "--output", "--error"})), [], []


def _wrap_timeout(argv: list[str]) -> _Wrap | None:
    j = _short_opts(argv, 1, "sk", frozenset({"--signal", "--kill-after"}))
    return (j + 1, [], []) if j + 1 < len(argv) else None  # skip DURATION


def _wrap_xargs(argv: list[str]) -> _Wrap | None:
    j = 1
    with_value = "adEILnPs"
    long_with_value = {"--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars",
                       "--process-slot-var"}
    while j < len(argv):
        a = argv[j]
        if a == "--":
            j += 1
            break
        if a.startswith("--"):
            j += 2 if ("=" not in a and a in long_with_value) else 1
        elif len(a) > 1 and a[0] == "-":
            j += 1
            for k, ch in enumerate(a[1:], 1):
                if ch in "eil":  # optional attached argument only
                    break
                if ch in with_value:
                    if k == len(a) - 1:
                        j += 1
                    break
        else:
            break
    return (j, [], []) if j < len(argv) else None


def _wrap_conda_run(argv: list[str]) -> _Wrap | None:
    """``conda run -n env CMD`` / ``micromamba run`` / ``mamba run``: the env's CMD runs."""
    if len(argv) < 2 or argv[1] != "run":
        return None
    j = _short_opts(argv, 2, "npa", frozenset({"--name", "--prefix", "--cwd", "--attach",
                                               "--root-prefix", "--rc-file", "--log-level"}))
    return (j, [], []) if j < len(argv) else None


_WRAPPERS = {
    "sudo": _wrap_sudo,
    "env": _wrap_env,
    "exec": _wrap_exec,
    "command": _wrap_command,
    "nohup": _wrap_simple,
    "time": _wrap_time,
    "nice": _wrap_nice,
    "xargs": _wrap_xargs,
    "stdbuf": _wrap_stdbuf,
    "timeout": _wrap_timeout,
    "gosu": _wrap_user,
    "su-exec": _wrap_user,
    "conda": _wrap_conda_run,
    "mamba": _wrap_conda_run,
    "micromamba": _wrap_conda_run,
}

_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "ksh", "mksh", "busybox-sh"})
_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"})


def _shlex_split(text: str) -> list[str]:
    if len(text) > _SHLEX_MAX:  # shlex is quadratic on huge tokens
        return text.split()
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _shell_body(argv: list[str]) -> int:
    """Index of the ``-c`` command string in a shell invocation, or -1 when there is none."""
    j, has_c = 1, False
    while j < len(argv):
        a = argv[j]
        if a == "--" or a == "-":
            j += 1
            break
        if a.startswith("--"):
            j += 2 if a in ("--rcfile", "--init-file") else 1
            continue
        if len(a) > 1 and a[0] in "-+":
            flags = a[1:]
            if a[0] == "-" and "c" in flags:
                has_c = True
            j += 1 + flags.count("o")  # -o pipefail / -euxo pipefail take a value
            continue
        break
    return j if has_c and j < len(argv) else -1


_SU = frozenset({"su", "runuser"})


def _su_body(argv: list[str]) -> int:
    """Index of the command string of ``su [-] [USER] -c CMD`` / ``runuser -u U -c CMD``, or -1."""
    for j in range(1, len(argv) - 1):
        if argv[j] in ("-c", "--command"):
            return j + 1
    return -1


# --------------------------------------------------------------------------- builder


class _Builder:
    """Turns grouped words into SimpleCommands (assignments, wrappers, sh -c recursion)."""

    def __init__(self, script: str, via: str, depth: int, inherited: tuple[tuple[str, str], ...]):
        self.script = script
        self.via = via
        self.depth = depth
        self.inherited = inherited
        self.out: list[SimpleCommand] = []

    def build(self, raws: list[str], cooked: list[str], starts: list[int], ends: list[int],
              start: int, end: int, *, shell_words: bool, text: str | None = None) -> None:
        assigns = list(self.inherited)
        i = 0
        if shell_words:
            while i < len(raws) and _assignment(raws[i]) is not None:
                a = _assignment(cooked[i])
                if a is None:  # quoting changed the name part: not really an assignment
                    break
                assigns.append(a)
                i += 1
        argv = cooked[i:]
        pos = list(zip(raws[i:], starts[i:], ends[i:]))
        # Wrappers: strip them unless that would leave nothing to run.
        w_argv, w_pos, w_assigns = argv, pos, []
        for _ in range(64):
            if not w_argv:
                break
            handler = _WRAPPERS.get(_basename(w_argv[0]))
            res = handler(w_argv) if handler else None
            if res is None:
                break
            k, extra, insert = res
            if k <= 0:
                break
            w_assigns.extend(extra)
            anchor = w_pos[min(k, len(w_pos)) - 1]
            w_argv = insert + w_argv[k:]
            w_pos = [anchor] * len(insert) + w_pos[k:]
        if w_argv:
            argv, pos = w_argv, w_pos
            assigns.extend(w_assigns)
        if text is None:
            text = self.script[start:end]
        if argv and self.depth < _MAX_DEPTH:
            name = _basename(argv[0])
            body_at = _shell_body(argv) if name in _SHELLS else _su_body(argv) if name in _SU else -1
            if body_at >= 0:
                self._recurse(argv[body_at], pos[body_at], start, "sh -c", assigns, shell_words)
                return
            if name == "eval" and len(argv) > 1:
                body_pos = pos[1] if len(argv) == 2 else (argv[1], start, start)
                self._recurse(" ".join(argv[1:]), body_pos, start, "eval", assigns, shell_words)
                return
        if not argv and not assigns:
            return
        self.out.append(SimpleCommand(tuple(argv), tuple(assigns), start, text, self.via))

    def _recurse(self, body: str, pos: tuple[str, int, int], start: int, via: str,
                 assigns: list[tuple[str, str]], shell_words: bool) -> None:
        _, wstart, wend = pos
        inner = _split(body, heredoc=True, via=self.via or via, depth=self.depth + 1,
                       inherited=tuple(assigns))
        # Map inner offsets back into our script when the body is the literal source text.
        base = None
        if not shell_words:
            base = 0  # exec form: offsets index into the -c string itself
        else:
            src = self.script[wstart:wend]
            if src == body:
                base = wstart
            elif len(src) >= 2 and src[0] == src[-1] and src[0] in "'\"" and src[1:-1] == body:
                base = wstart + 1
        for cmd in inner:
            off = cmd.offset + base if base is not None else (wstart if shell_words else start)
            self.out.append(SimpleCommand(cmd.argv, cmd.assignments, off, cmd.text, cmd.via))


def _group(tokens: list[tuple[int, int, int, str]]):
    """Yield (words, start, end) per simple command, skipping keywords and compound headers."""
    words: list[tuple[int, int, str]] = []
    start = end = -1
    mode = ""  # "hdr": for/select header; "case": case WORD; "pat": case pattern; "fname": function name
    case_depth = 0
    ntok = len(tokens)
    for t in range(ntok):
        kind, s, e, val = tokens[t]
        if kind == _WORD:
            if mode == "hdr":
                continue
            if mode == "case":
                if val == "in":
                    mode = "pat"
                continue
            if mode == "pat":
                if val == "esac":
                    case_depth -= 1
                    mode = ""
                continue
            if mode == "fname":
                mode = ""
                continue
            if not words:
                if val in _KEYWORDS:
                    continue
                if val in ("for", "select"):
                    mode = "hdr"
                    continue
                if val == "case":
                    mode = "case"
                    case_depth += 1
                    continue
                if val == "esac" and case_depth:
                    case_depth -= 1
                    continue
                if val == "function":
                    mode = "fname"
                    continue
                if start < 0:
                    start = s
            words.append((s, e, val))
            end = e
            continue
        if kind == _REDIR:
            if mode:
                continue
            if start < 0:
                start = s
            end = e
            continue
        # operator
        if mode == "pat":
            if val == ")":
                mode = ""
            continue
        if mode in ("hdr", "case", "fname"):
            if mode == "hdr" and val in (";", "\n", "&"):
                mode = ""
            elif mode == "fname":
                mode = ""
            continue
        if val == "(" and len(words) == 1 and t + 1 < ntok and tokens[t + 1][3] == ")" \
                and tokens[t + 1][0] == _OP:
            words = []  # function definition `name() { ... }`
            start = end = -1
            continue
        if words:
            yield words, start, end
        words = []
        start = end = -1
        if val in (";;", ";&", ";;&") and case_depth:
            mode = "pat"
    if words:
        yield words, start, end


def _non_shell_shebang(script: str) -> bool:
    if not script.startswith("#!"):
        return False
    parts = script[2 : script.find("\n") if "\n" in script else len(script)].split()
    if not parts:
        return False
    interp = _basename(parts[0])
    if interp == "env":
        rest = [p for p in parts[1:] if not p.startswith("-") and "=" not in p]
        interp = _basename(rest[0]) if rest else ""
    return interp not in _SHELLS


def _split(script: str, *, heredoc: bool, via: str = "", depth: int = 0,
           inherited: tuple[tuple[str, str], ...] = ()) -> list[SimpleCommand]:
    tokens = _Lexer(script, heredoc).run()
    builder = _Builder(script, via, depth, inherited)
    for words, start, end in _group(tokens):
        raws = [w[2] for w in words]
        builder.build(raws, [_cook(r) for r in raws], [w[0] for w in words], [w[1] for w in words],
                      start, end, shell_words=True)
    return builder.out


def _fallback_split(script: str) -> list[SimpleCommand]:
    out, pos = [], 0
    for line in script.split("\n"):
        if line.split():
            out.append(SimpleCommand(tuple(line.split()), (), pos, line))
        pos += len(line) + 1
    return out


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return "" if value is None else str(value)


def split_script(script: str, *, heredoc: bool = False) -> list[SimpleCommand]:
    """Split shell text into simple commands.

    ``heredoc=True`` is for ``RUN <<EOF`` bodies: newlines separate commands, and a ``#!`` line naming
    a non-shell interpreter (python, ...) means the body is not shell, so nothing is returned.  With
    ``heredoc=False`` (shell-form RUN) a newline separates commands too, except one ending a comment
    or blank line: Docker drops those lines from continued instructions.

    Commands found inside ``sh -c``/``bash -lc``/``su -c`` bodies carry ``via="sh -c"`` (``"eval"``
    for ``eval``),
    inherit the outer assignments, keep their own ``text``, and get offsets into ``script`` when the
    body word is plain or simply quoted (otherwise the offset of the body word).
    """
    text = _as_text(script)
    try:
        if heredoc and _non_shell_shebang(text):
            return []
        return _split(text, heredoc=heredoc)
    except Exception:  # pragma: no cover - safety net; tests exercise _split directly
        return _fallback_split(text)


def split_exec_form(argv: list[str]) -> list[SimpleCommand]:
    """Exec form: ``["pip","install","x"]`` is one command; ``["sh","-c","a && b"]`` recurses.

    There is no shell, so no quote removal and no leading ``VAR=value`` assignments.  ``offset`` is 0
    and ``text`` is the shlex-joined argv; commands from a ``-c`` body get offsets into that body.
    """
    try:
        words = [_as_text(a) for a in (argv or [])]
        text = shlex.join(words)
        builder = _Builder("", "", 0, ())
        zeros = [0] * len(words)
        builder.build(words, words, zeros, zeros, 0, 0, shell_words=False, text=text)
        return builder.out
    except Exception:  # pragma: no cover - safety net
        words = [str(a) for a in (argv or [])]
        return [SimpleCommand(tuple(words), (), 0, " ".join(words))] if words else []
