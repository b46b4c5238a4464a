"""ML009 ``pip-extra-index-url``: package indexes that pip merges with PyPI (dependency confusion).

pip treats ``--extra-index-url`` as one more source of candidates and picks the best version of a
name from all indexes together, so a package published on PyPI under the same name as one on the
extra (private, PyTorch) index can be installed instead: the December 2022 ``torchtriton``
attack on PyTorch nightly. uv stops at the first index that has a name (``first-index``, its
default) precisely to prevent this, so uv is reported only with an ``unsafe-*`` index strategy.

Reported where the setting is made: an install command's option or inline variable, an
``ENV``/``ARG`` that sets ``PIP_EXTRA_INDEX_URL`` (once, not at every later install), and a
``pip.conf`` written in the image (heredoc, ``echo ... >> pip.conf``, ``pip config set``).

An extra index is no second source of names when it is the index itself (after normalising the URL:
scheme and host case, default port, trailing slash) or when both are PyPI or public mirrors of PyPI
(``pypi_mirrors`` in the knowledge base): then nothing is reported. The index in force is the
command's ``--index-url``, else ``PIP_INDEX_URL``, else the last ``pip config set global.index-url``
before the command (in the same RUN or an earlier one of the stage's lineage).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

from mllint import knowledge
from mllint.context import CheckContext
from mllint.depfiles import with_declared
from mllint.dockerfile import Install, Instruction
from mllint.memo import per_stage
from mllint.rule import Hit, Severity

_PIP_ACTIONS = {"install", "download", "wheel"}
_UV_ACTIONS = {"install", "sync", "compile", "add", "lock", "tool-install", "run"}
_UNSAFE = {"unsafe-best-match": Severity.WARNING, "unsafe-first-match": Severity.INFO}
_CONF_KEY = re.compile(r"(?<![\w.-])extra[-_]index[-_]url\s*[=:]\s*(?P<value>\S*)", re.I)
_CONF_INDEX = re.compile(r"(?<![\w.-])index[-_]url\s*[=:]\s*(?P<value>\S+)", re.I)
_CONF_NAMES = ("pip.conf", "pip.ini")

ATTACK = "the 2022 torchtriton attack"
PIP_FIX = "use `--index-url` for that index in its own command, or uv (first-index by default)"


def _meaningful(instruction: Instruction, values: list[str]) -> list[str]:
    """Values that are not empty after substitution (unknown ones are kept as written)."""
    kept = []
    for value in values:
        if not value or not value.strip():
            continue
        expanded = instruction.expand(value).value
        if expanded is not None and not expanded.strip():
            continue
        kept.append(expanded.strip() if expanded is not None else value)
    return kept


def _is_pypi(url: str | None) -> bool:
    return not url or "://pypi.org/" in url + "/" or "://pypi.python.org/" in url + "/"


def normalise_index(url: str) -> str:
    """``HTTPS://PyPI.org:443/simple/`` -> ``https://pypi.org/simple``: one spelling per index."""
    text = url.strip().strip("'\"")
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:
        return text.rstrip("/")
    if not parts.scheme or not host:
        return text.rstrip("/")
    scheme = parts.scheme.lower()
    default = {"https": 443, "http": 80}.get(scheme)
    netloc = host.lower() + (f":{port}" if port and port != default else "")
    path = re.sub(r"/+", "/", parts.path).rstrip("/")
    return f"{scheme}://{netloc}{path}"


def pypi_mirror(url: str | None) -> str | None:
    """``PyPI``, or the name of the public PyPI mirror ``url`` is (``TUNA``), else None."""
    if _is_pypi(url):
        return "PyPI"
    normal = normalise_index(url or "")
    for row in knowledge.table("packages").get("pypi_mirrors") or ():
        prefix = str(row.get("url") or "").rstrip("/")
        if prefix and (normal == prefix or normal.startswith(prefix + "/")):
            return str(row.get("name") or "a PyPI mirror")
    return None


def same_names(extra: str, main: str | None) -> bool:
    """Whether the extra index serves no names the main one does not: the same index, or PyPI twice."""
    if main is not None and normalise_index(extra) == normalise_index(main):
        return True
    return pypi_mirror(extra) is not None and pypi_mirror(main) is not None


def _main_index(url: str | None) -> str:
    if _is_pypi(url):
        return "PyPI"
    mirror = pypi_mirror(url)
    return f"PyPI (its {mirror} mirror)" if mirror else f"`{url}`"


def _configured_index(install: Install) -> str | None:
    """The last ``pip config set global.index-url`` (or ``install.index-url``) before this command."""
    key = id(install.record.command)
    before = _configured_before(install.stage)
    if key in before:
        return before[key]
    found = None  # a command of no instruction of the stage: what stands before its line
    for member in reversed(install.stage.lineage):
        for instruction in member.instructions:
            if instruction.start_line > install.instruction.start_line:
                return found
            for other in instruction.installs:
                found = _index_set(instruction, other) or found
    return found


@per_stage
def _configured_before(stage) -> dict[int, str | None]:
    """id(command) -> the index ``pip config set`` configured before it: one pass over the stage and parents."""
    found, before = None, {}
    for member in reversed(stage.lineage):
        for instruction in member.instructions:
            for other in instruction.installs:
                before.setdefault(id(other.record.command), found)
                found = _index_set(instruction, other) or found
    return before


def _index_set(instruction, install: Install) -> str | None:
    """The index URL a ``pip config set global.index-url URL`` (or ``install.index-url``) sets, else None."""
    argv = list(install.record.command.argv)
    if install.manager != "pip" or install.action != "config" or "set" not in argv:
        return None
    at = argv.index("set")
    if at + 2 < len(argv) and argv[at + 1].lower().replace("_", "-") in ("global.index-url", "install.index-url"):
        return instruction.expand(argv[at + 2], install.env).value or argv[at + 2]
    return None


def _index_in_force(install: Install) -> str | None:
    record = install.record
    return record.index_url or install.env.get("PIP_INDEX_URL") or _configured_index(install)


def _pip_message(where: str, url: str, main: str = "PyPI", every: bool = False) -> str:
    who = "later pip installs" if every else "pip"
    url_text = "PyPI" if _is_pypi(url) else f"`{url}`"
    other = "PyPI" if pypi_mirror(url) or main.startswith("PyPI") else "the other index"
    return (f"{where} makes {who} merge {url_text} with {main} and install the highest version found on "
            f"either, so a same-named {other} package can replace the intended one ({ATTACK}); {PIP_FIX}.")


def _words(value: str | None) -> list[str]:
    return value.split() if value else []


# --------------------------------------------------------------------------- installs


def _pip_install_hits(install: Install) -> Iterator[Hit]:
    record = install.record
    if install.action not in _PIP_ACTIONS or record.has_option("--no-index"):
        return
    main_url = _index_in_force(install)
    urls = [u for u in _meaningful(install.instruction, list(record.extra_index_urls)) if not same_names(u, main_url)]
    if not urls:
        return  # no extra index, or only the index itself / PyPI next to PyPI
    url = urls[0]
    if record.has_option("--extra-index-url"):
        where = f"`{install.tool} {install.action} --extra-index-url`"
    else:
        where = f"`PIP_EXTRA_INDEX_URL=... {install.tool} {install.action}`"
    main = _main_index(main_url)
    severity = None
    message = _pip_message(where, url, main)
    if pypi_mirror(main_url) is None and not any(pypi_mirror(u) for u in urls):
        # two non-PyPI indexes (e.g. the PyTorch index plus pypi.nvidia.com): the risk needs one of
        # them to accept public uploads or mirror PyPI, which the Dockerfile does not show
        severity = Severity.INFO
        message = (f"{where} makes pip merge `{url}` with {main} and install the highest version found on "
                   f"either; if either index mirrors PyPI, a same-named public package can replace the "
                   f"intended one ({ATTACK}); {PIP_FIX}.")
    edit = _index_edit(install) if record.has_option("--extra-index-url") else None
    yield Hit(
        message,
        install.instruction, line=install.line, column=install.column, severity=severity,
        fix="use --index-url for the packages of that index, in their own command",
        edits=(edit,) if edit else (), safe=False,
    )


def _index_edit(install: Install):
    """``--extra-index-url URL`` -> ``--index-url URL`` when it is the install's only index option.

    Unsafe: packages the other index does not have stop resolving from PyPI."""
    from mllint.fixes import edit_in_command, install_words

    record = install.record
    if (record.index_url or len(record.extra_index_urls) != 1 or record.has_option("--find-links")
            or install.env.get("PIP_INDEX_URL") or install.env.get("PIP_EXTRA_INDEX_URL")):
        return None
    found = [(w, o) for w, o in install_words(install)
             if w == "--extra-index-url" or w.startswith("--extra-index-url=")]
    if len(found) != 1 or any(w in ("-i", "--index-url") or w.startswith(("--index-url=", "-i"))
                              for w, _ in install_words(install)):
        return None
    offset = found[0][1]
    return edit_in_command(install, offset, offset + len("--extra-index-url"), "--index-url")



def _uv_strategy(install: Install) -> tuple[str | None, bool]:
    """(index strategy, whether it was set on the command itself)."""
    value = install.record.option("--index-strategy")
    if value:
        return value.strip().lower(), True
    inline = dict(install.record.assignments).get("UV_INDEX_STRATEGY")
    if inline:
        return inline.strip().lower(), True
    env = install.instruction.env.get("UV_INDEX_STRATEGY")
    return (env.strip().lower() if env else None), False


def _uv_install_hits(install: Install) -> Iterator[Hit]:
    if install.action not in _UV_ACTIONS or install.record.has_option("--no-index"):
        return
    strategy, strategy_here = _uv_strategy(install)
    if strategy not in _UNSAFE:
        return
    here = _meaningful(install.instruction, list(install.record.extra_index_urls))
    from_env = _meaningful(install.instruction, _words(install.instruction.env.get("UV_INDEX"))
                           + _words(install.instruction.env.get("UV_EXTRA_INDEX_URL")))
    if not here and not (from_env and strategy_here):
        return  # both from ENV: reported on the ENV instruction
    url = (here or from_env)[0]
    yield Hit(
        f"`{install.tool} {install.action}` with index strategy `{strategy}` takes packages from PyPI "
        f"as well as from `{url}`, so a same-named package on PyPI can replace the intended one ({ATTACK}); "
        f"keep uv's default first-index strategy, or pin those packages to their index in pyproject.toml.",
        install.instruction, line=install.line, column=install.column, severity=_UNSAFE[strategy],
        fix="remove --index-strategy unsafe-* (keep uv's first-index default)",
    )


def _pip_config_set_hits(install: Install) -> Iterator[Hit]:
    if install.manager != "pip" or install.action != "config":
        return
    argv = list(install.record.command.argv)
    for i, word in enumerate(argv):
        if word == "set" and i + 2 < len(argv):
            key = argv[i + 1].lower().replace("_", "-")
            if key.endswith(".extra-index-url"):
                main_url = install.env.get("PIP_INDEX_URL") or _configured_index(install)
                urls = [u for u in _meaningful(install.instruction, argv[i + 2 : i + 3])
                        if not same_names(u, main_url)]
                if urls:
                    yield Hit(
                        _pip_message(f"`pip config set {argv[i + 1]}`", urls[0], _main_index(main_url), every=True),
                        install.instruction, line=install.line, column=install.column,
                        fix="use --index-url for the packages of that index, in their own command",
                    )
            return


# --------------------------------------------------------------------------- ENV / ARG


def _variable_hits(instruction: Instruction) -> Iterator[Hit]:
    # ENV and stage ARGs reach RUN commands as environment variables; a global ARG does not.
    if instruction.keyword not in ("ENV", "ARG") or instruction.stage is None:
        return
    assigned: Mapping[str, str | None] = instruction.assigned
    if "PIP_EXTRA_INDEX_URL" in assigned:
        value = assigned["PIP_EXTRA_INDEX_URL"]
        where = f"{instruction.keyword} PIP_EXTRA_INDEX_URL"
        fix = "remove PIP_EXTRA_INDEX_URL; pass --index-url to the one install that needs that index"
        main_url = {**instruction.env, **assigned}.get("PIP_INDEX_URL")
        extra = [u for u in (value or "").split() if not same_names(u, main_url)]
        if extra:
            yield Hit(_pip_message(where, extra[0], _main_index(main_url), every=True), instruction, fix=fix)
        elif value is None and instruction.keyword == "ENV":
            yield Hit(
                f"{where} is set from a build argument: when it is given, every later pip install merges that "
                f"index with PyPI and installs the highest version found on either, so a same-named "
                f"package on PyPI can replace the intended one ({ATTACK}); {PIP_FIX}.",
                instruction, severity=Severity.INFO, fix=fix)
    if instruction.keyword != "ENV" or not {"UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_INDEX_STRATEGY"} & set(assigned):
        return
    after = {**instruction.env, **assigned}
    strategy = (after.get("UV_INDEX_STRATEGY") or "").strip().lower()
    urls = _words(after.get("UV_INDEX")) + _words(after.get("UV_EXTRA_INDEX_URL"))
    if strategy not in _UNSAFE or not urls:
        return
    before_strategy = (instruction.env.get("UV_INDEX_STRATEGY") or "").strip().lower()
    before_urls = _words(instruction.env.get("UV_INDEX")) + _words(instruction.env.get("UV_EXTRA_INDEX_URL"))
    if before_strategy in _UNSAFE and before_urls:
        return  # already reported where the pair was first complete
    yield Hit(
        f"ENV UV_INDEX_STRATEGY={strategy} with an extra uv index (`{urls[0]}`) makes every later uv install "
        f"take packages from PyPI as well, so a same-named package on PyPI can replace the intended one "
        f"({ATTACK}); keep uv's default first-index strategy.",
        instruction, severity=_UNSAFE[strategy],
        fix="remove UV_INDEX_STRATEGY (keep uv's first-index default)",
    )


# --------------------------------------------------------------------------- pip.conf written in the image


def _is_conf_path(word: str) -> bool:
    return posixpath.basename(word.strip("'\"").replace("\\", "/")).lower() in _CONF_NAMES


def _redirect_targets(text: str) -> list[str]:
    """Files a command's text writes with ``>``/``>>`` (and ``tee`` arguments)."""
    targets = re.findall(r"(?<![<0-9&])>{1,2}\|?\s*(\S+)", text)
    return [t for t in targets if not t.startswith("&")]


def _conf_line(content: str) -> tuple[int, str] | None:
    """(line index, URL) of an ``extra-index-url`` that adds names to the file's own ``index-url``."""
    lines = content.replace("\\n", "\n").splitlines()
    main = next((m.group("value") for line in lines for m in [_CONF_INDEX.search(line)] if m), None)
    for number, line in enumerate(lines):
        match = _CONF_KEY.search(line)
        if match and match.group("value") and not same_names(match.group("value"), main):
            return number, match.group("value")
    return None


def _conf_hits(instruction: Instruction) -> Iterator[Hit]:
    keyword = instruction.keyword
    if keyword in ("COPY", "ADD") and instruction.heredocs:
        words = instruction.value.split()
        dest = words[-1] if words else ""
        for doc in instruction.heredocs:
            target = dest if not dest.endswith("/") else dest + doc.name
            if not _is_conf_path(target):
                continue
            found = _conf_line(doc.text)
            if found:
                yield _conf_hit(instruction, target, found[1], doc.start_line + found[0])
        return
    if keyword != "RUN":
        return
    commands = instruction.commands
    conf_targets = []
    for placed in commands:
        text = placed.command.text
        argv = placed.command.argv
        targets = [t for t in _redirect_targets(text) if _is_conf_path(t)]
        if argv and posixpath.basename(argv[0]) == "tee":
            targets += [a for a in argv[1:] if not a.startswith("-") and _is_conf_path(a)]
        conf_targets += targets
    if not conf_targets:
        return
    target = conf_targets[0]
    reported = False
    for doc in instruction.heredocs:
        found = _conf_line(doc.text)
        if found and ("<<" in instruction.value):
            yield _conf_hit(instruction, target, found[1], doc.start_line + found[0])
            reported = True
    if reported:
        return
    for placed in commands:
        argv = placed.command.argv
        if not argv or posixpath.basename(argv[0]) not in ("echo", "printf"):
            continue
        for word in argv[1:]:
            if word.startswith("-"):
                continue
            found = _conf_line(word)
            if found:
                yield Hit(
                    _pip_message(f"Writing `extra-index-url` into {target}", found[1], every=True),
                    instruction, line=placed.line, column=placed.column,
                    fix="remove extra-index-url from pip.conf; pass --index-url to the one install that needs it",
                )
                return


def _conf_hit(instruction: Instruction, target: str, url: str, line: int) -> Hit:
    return Hit(
        _pip_message(f"`extra-index-url` in {target}", url, every=True),
        instruction, line=line, column=1,
        fix="remove extra-index-url from pip.conf; pass --index-url to the one install that needs it",
    )


# --------------------------------------------------------------------------- the rule


def pip_extra_index_url(ctx: CheckContext) -> Iterator[Hit]:
    for instruction in ctx.dockerfile.instructions:
        yield from _variable_hits(instruction)
        yield from _conf_hits(instruction)
        for install in with_declared(instruction.installs, kinds=("option",)):
            if install.manager == "pip":
                yield from _pip_install_hits(install)
                yield from _pip_config_set_hits(install)
            elif install.manager == "uv":
                yield from _uv_install_hits(install)


RULES = {"ML009": pip_extra_index_url}
