"""Replaying an unchanged run: ``mllint Dockerfile`` answers without importing the linter.

A cold Python process that imports click, pluggy and packaging spends several times
hadolint's whole run before it reads a line. So, like ruff's and ESLint's caches, a
lint run's output is kept with everything it depended on, and the next identical
command replays it when none of that changed. "Everything" is:

- the invocation: arguments, working directory, interpreter, whether the output is a
  terminal and its encoding, NO_COLOR and the date (end-of-life rules judge dates);
- every file the run read, by its exact bytes (the Dockerfiles, the configuration file,
  a baseline, the dependency files followed into the build context), and every path it
  probed and found missing or of another kind (a configuration file created since, a
  requirements file that appeared);
- the code and data that ran: every imported module outside the standard library (mllint,
  its dependencies, plugins) and the rule tables, by mtime and size, and the directories
  on ``sys.path`` (a plugin installed or removed changes them).

Runs with side effects or unrepeatable input are never stored: ``--fix``, ``--diff``,
``--output``, ``--write-baseline``, standard input, directory walks. This module is
imported on every start, so it uses nothing beyond built-in modules. ``--no-cache`` or
``MLLINT_NO_CACHE=1`` turns it off; ``MLLINT_CACHE_DIR`` moves mllint's cache directory.
"""

from __future__ import annotations

import io
import marshal
import os
import stat
import sys
import time

FORMAT = 1  # bump when the entry layout changes
MAX_OUTPUT_BYTES = 1024 * 1024  # runs with more output are not kept
MAX_INPUT_BYTES = 2 * 1024 * 1024  # nor runs that read more than this
MAX_ENTRIES = 2000  # past either limit the oldest entries are removed, down to half of it
MAX_TOTAL_BYTES = 64 * 1024 * 1024
NO_CACHE_FLAG = "--no-cache"


def cache_dir() -> str:
    """mllint's cache directory: ``MLLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/mllint`` (``~/.cache/mllint``)."""
    explicit = os.environ.get("MLLINT_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mllint")


def enabled(argv: list[str]) -> bool:
    return NO_CACHE_FLAG not in argv and not os.environ.get("MLLINT_NO_CACHE")


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def invocation_key(argv: list[str]) -> tuple:
    """Everything outside the files that can change a run's output."""
    streams = tuple((_isatty(s), getattr(s, "encoding", None), getattr(s, "errors", None))
                    for s in (sys.stdout, sys.stderr))
    return (FORMAT, sys.version, sys.executable, os.getcwd(), tuple(argv), streams,
            os.environ.get("NO_COLOR", ""), time.strftime("%Y-%m-%d"))


def _entry_path(key: tuple) -> str:
    import zlib  # built in; a name, not a check: the entry holds the whole key

    return os.path.join(cache_dir(), "runs", f"{zlib.crc32(repr(key).encode()):08x}.run")


# --------------------------------------------------------------------------- what a run depended on
# A dependency is (kind, path, expected). Kinds: "data" (exact bytes, None when not a readable
# file), "kind" ("file", "dir", "other", or "missing"), "stat" ((mtime_ns, size) or None) and
# "real" (os.path.realpath).


def _kind(path: str) -> str:
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return "missing"
    return "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else "other"


def _stat(path: str):
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mtime_ns, st.st_size)


def _data(path: str, limit: int):
    try:
        with open(path, "rb") as handle:
            return handle.read(limit + 1)
    except (OSError, ValueError):
        return None


def _holds(dependency) -> bool:
    kind, path, expected = dependency
    if kind == "data":
        return _data(path, len(expected) if expected is not None else 0) == expected if expected is not None \
            else _kind(path) != "file"
    if kind == "kind":
        return _kind(path) == expected
    if kind == "stat":
        return _stat(path) == expected
    if kind == "real":
        return os.path.realpath(path) == expected
    return False


# --------------------------------------------------------------------------- replaying


def lookup(argv: list[str]) -> tuple[bytes, bytes, int] | None:
    """(stdout, stderr, exit code) of an earlier identical run, or None."""
    key = invocation_key(argv)
    try:
        with open(_entry_path(key), "rb") as handle:
            entry = marshal.load(handle)
        stored_key, dependencies, out, err, code = entry
        if stored_key != key or not all(_holds(d) for d in dependencies):
            return None
        if not (isinstance(out, bytes) and isinstance(err, bytes) and isinstance(code, int)):
            return None
    except Exception:  # missing, unreadable, corrupt or foreign: an ordinary run answers instead
        return None
    return out, err, code


def replay(result: tuple[bytes, bytes, int]) -> int:
    """Write the recorded output; the exit code to end with (1, as click does, when the reader went away)."""
    out, err, code = result
    for stream, data in ((sys.stdout, out), (sys.stderr, err)):
        if data:
            try:
                stream.flush()
                stream.buffer.write(data)
                stream.buffer.flush()
            except BrokenPipeError:
                # `mllint FILE | head`: no traceback, and nothing more for the interpreter to flush at exit
                try:
                    os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
                except (OSError, ValueError):
                    pass
                return 1
    return code


# --------------------------------------------------------------------------- recording


class _Tee(io.RawIOBase):
    """A binary stream that writes through and keeps a copy (up to a limit)."""

    def __init__(self, target, recorder: "Recorder") -> None:
        super().__init__()
        self.target = target
        self.recorder = recorder
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return _isatty(self.target)

    def write(self, data) -> int:
        data = bytes(data)
        try:
            written = self.target.write(data)
        except BaseException:
            self.recorder.refuse("output could not be written")  # a closed pipe: the copy would be partial
            raise
        self.recorder.output_bytes += len(data)
        if self.recorder.output_bytes > MAX_OUTPUT_BYTES:
            self.recorder.refuse("output too large")
        if self.recorder.refused:
            self.chunks.clear()  # nothing will be stored: keep memory flat
        else:
            self.chunks.append(data)
        return len(data) if written is None else written

    def flush(self) -> None:
        try:
            self.target.flush()
        except BaseException:
            self.recorder.refuse("output could not be written")
            raise


class Recorder:
    """Collects one run's dependencies and output while it runs."""

    def __init__(self, argv: list[str]) -> None:
        self.key = invocation_key(argv)
        self.dependencies: dict[tuple[str, str], object] = {}
        self.storable = False  # set by a command whose output is a function of its inputs
        self.refused = ""
        self.output_bytes = 0
        self.input_bytes = 0
        self.streams: list[tuple[str, object, _Tee]] = []

    def refuse(self, why: str) -> None:
        self.refused = self.refused or why
        self.dependencies.clear()  # nothing will be stored: keep memory flat
        for _, _, tee in self.streams:
            tee.chunks.clear()

    def note(self, kind: str, path: str, expected) -> None:
        if not self.refused:
            self.dependencies.setdefault((kind, os.path.abspath(path)), expected)

    def capture(self) -> None:
        """Route sys.stdout and sys.stderr through tees (same encoding, same terminal answers)."""
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            buffer = getattr(stream, "buffer", None)
            if buffer is None:
                self.refuse(f"sys.{name} has no binary buffer")
                continue
            stream.flush()
            tee = _Tee(buffer, self)
            wrapper = io.TextIOWrapper(tee, encoding=stream.encoding, errors=stream.errors,
                                       line_buffering=stream.line_buffering, write_through=True)
            self.streams.append((name, stream, tee))
            setattr(sys, name, wrapper)

    def release(self) -> tuple[bytes, bytes]:
        captured = {}
        for name, original, tee in self.streams:
            try:
                getattr(sys, name).flush()
            except (OSError, ValueError):
                self.refuse(f"sys.{name} could not be flushed")
            setattr(sys, name, original)
            captured[name] = b"".join(tee.chunks)
        self.streams = []
        return captured.get("stdout", b""), captured.get("stderr", b"")

    def code_dependencies(self) -> None:
        """The modules that ran (outside the standard library) and the ``sys.path`` directories."""
        stdlib = os.path.dirname(os.__file__)
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if not isinstance(path, str):
                continue
            if path.startswith(stdlib) and "-packages" not in path:
                continue
            self.note("stat", path, _stat(path))
        for entry in distribution_dirs():
            self.note("stat", entry, _stat(entry))

    def store(self, out: bytes, err: bytes, code: object) -> None:
        if not self.storable or self.refused or not isinstance(code, int):
            return
        self.code_dependencies()
        dependencies = [(kind, path, expected) for (kind, path), expected in self.dependencies.items()]
        target = _entry_path(self.key)
        try:
            data = marshal.dumps((self.key, dependencies, out, err, code))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            temporary = f"{target}.{os.getpid()}.tmp"
            with open(temporary, "wb") as handle:
                handle.write(data)
            os.replace(temporary, target)
            _prune(os.path.dirname(target))
        except (OSError, ValueError):
            pass  # a cache that cannot be written is no cache, not an error


def distribution_dirs() -> list[str]:
    """The ``sys.path`` directories that can hold installed distributions (installing or removing one
    changes its directory's mtime): not the current or script directory, which change all the time,
    and not the standard library."""
    import sysconfig  # only when recording or loading plugins, never on a replay

    skip = {"", os.getcwd(), os.path.dirname(os.path.abspath(sys.argv[0] or "")),
            sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")}
    return [entry for entry in sys.path
            if entry not in skip and not entry.endswith(".zip") and not entry.endswith("lib-dynload")]


def _prune(directory: str) -> None:
    """Past either limit, remove the oldest entries until half of each is used (and stale temporaries)."""
    try:
        found = []
        for entry in os.scandir(directory):
            st = entry.stat()
            if entry.name.endswith(".run"):
                found.append((st.st_mtime_ns, st.st_size, entry.path))
            elif entry.name.endswith(".tmp") and st.st_mtime < time.time() - 3600:
                os.unlink(entry.path)  # left by a process killed while writing
        count, total = len(found), sum(size for _, size, _ in found)
        if count <= MAX_ENTRIES and total <= MAX_TOTAL_BYTES:
            return
        for _, size, path in sorted(found):
            if count <= MAX_ENTRIES // 2 and total <= MAX_TOTAL_BYTES // 2:
                break
            os.unlink(path)
            count, total = count - 1, total - size
    except OSError:
        pass


# The recorder of the run in progress, or None (imported use, tests, --no-cache): the
# note_* functions below cost one comparison when nobody records.
recording: Recorder | None = None


def allow_storing() -> None:
    """Called by a command whose output depends only on what the recorder sees."""
    if recording is not None:
        recording.storable = True


def refuse(why: str) -> None:
    """This run must not be stored (it read something the recorder cannot re-check)."""
    if recording is not None:
        recording.refuse(why)


def note_data(path: str, data: bytes | None) -> None:
    """The run read ``data`` from ``path`` (None: it found no readable file there)."""
    if recording is not None:
        recording.input_bytes += len(data or b"")
        if recording.input_bytes > MAX_INPUT_BYTES:
            recording.refuse("more input than is worth keeping")
        recording.note("data", path, data)


def note_file(path: str) -> None:
    """The run read the file at ``path`` by itself (None: there was none): its bytes are kept."""
    if recording is not None:
        note_data(path, _data(path, MAX_INPUT_BYTES))


def note_kind(path: str) -> None:
    """The run asked whether ``path`` exists, or is a file or a directory."""
    if recording is not None:
        recording.note("kind", path, _kind(path))


def note_stat(path: str) -> None:
    """The run depends on ``path`` not being modified (code, compiled tables)."""
    if recording is not None:
        recording.note("stat", path, _stat(path))


def note_real(path: str) -> None:
    """The run depends on where ``path`` leads (symbolic links)."""
    if recording is not None:
        recording.note("real", path, os.path.realpath(path))
