"""Package arguments as the tools read them: pip requirements, conda specs, apt/yum/apk names.

Every argument becomes a :class:`Requirement` (name, specifier, exact version, URL, VCS ref, path, ...);
nothing here raises. The conventions are documented in :mod:`mllint.installs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as _PkgRequirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

UNRESOLVED = "unresolved variable"


@dataclass(frozen=True)
class Requirement:
    """One package argument of an install command (see the module docstring for conventions)."""

    raw: str
    name: str | None = None
    extras: tuple[str, ...] = ()
    specifier: str = ""
    exact_version: str | None = None
    wildcard: bool = False
    local_version: str | None = None
    url: str | None = None
    vcs: str | None = None
    vcs_ref: str | None = None
    vcs_commit: bool = False
    path: str | None = None
    editable: bool = False
    marker: str | None = None
    channel: str | None = None
    error: str | None = None


# --------------------------------------------------------------------------- small helpers

_SDIST_EXTS = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz", ".txz", ".tar", ".zip")
_VCS = ("git", "hg", "svn", "bzr")
_URL_SCHEMES = ("http://", "https://", "ftp://", "file:")


def _has_var(text: str) -> bool:
    return "$" in text or "`" in text


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text)


def _short_error(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _norm(name: str) -> str | None:
    name = name.strip()
    if not name or _has_var(name):
        return None
    return canonicalize_name(name)


def parse_version(text: object) -> Version | None:
    """A PEP 440 version, or None for no text or text that is not one (``${TORCH}``, ``latest``)."""
    if not text:
        return None
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _version_local(version: str) -> str | None:
    try:
        return Version(version).local
    except InvalidVersion:
        if "+" in version:
            local = version.split("+", 1)[1]
            return local or None
        return None


def _vcs_scheme(text: str) -> str | None:
    low = text.lower()
    for vcs in _VCS:
        if low.startswith(vcs + "+"):
            return vcs
    return None


def _is_url(text: str) -> bool:
    return text.lower().startswith(_URL_SCHEMES)


def _split_extras(text: str) -> tuple[str, tuple[str, ...]]:
    """``./pkg[dev,test]`` -> (``./pkg``, ("dev", "test"))."""
    if text.endswith("]") and "[" in text:
        base, _, inner = text[:-1].rpartition("[")
        extras = tuple(sorted({e for e in (_norm(x) for x in inner.split(",")) if e}))
        return base, extras
    return text, ()


def _looks_like_path(text: str) -> bool:
    base, _ = _split_extras(text)
    if base in (".", "..") or base.startswith(("./", "../", "/", "~", ".\\", "..\\")):
        return True
    if "@" in base:  # "name @ url" direct reference
        return False
    low = base.lower()
    if low.endswith((".whl",) + _SDIST_EXTS):
        return True
    if "/" in base:
        head = base.split("/", 1)[0]
        return not any(c in head for c in "<>=!~;@ ()[],")
    return False


# --------------------------------------------------------------------------- file names


@dataclass
class _Dist:
    """Name and version read from a wheel or sdist file name."""

    name: str | None = None
    version: str | None = None
    local: str | None = None


def _dist_from_filename(filename: str) -> _Dist:
    """Name and version from a wheel or sdist file name (URL-decoded)."""
    filename = unquote(filename)
    low = filename.lower()
    if low.endswith(".whl"):
        try:
            name, version, _, _ = parse_wheel_filename(filename)
            return _Dist(str(name), str(version), version.local)
        except Exception:
            parts = filename[:-4].split("-")
            if len(parts) >= 2:
                return _Dist(_norm(parts[0].replace("_", "-")), parts[1] if not _has_var(parts[1]) else None)
            return _Dist()
    for ext in _SDIST_EXTS:
        if low.endswith(ext):
            stem = filename[: -len(ext)]
            name, sep, version = stem.rpartition("-")
            if sep and name:
                try:
                    parsed = Version(version)
                except InvalidVersion:
                    return _Dist()
                return _Dist(_norm(name), version, parsed.local)
            return _Dist()
    return _Dist()


# --------------------------------------------------------------------------- pip requirements


def _fragment_egg(fragment: str) -> str | None:
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "egg" and value:
            base, _ = _split_extras(value)
            return _norm(base)
    return None


def _url_fields(url: str) -> dict:
    """Fields of a direct reference (bare URL, VCS link, ``file:``)."""
    fields: dict = {"url": url}
    body, _, fragment = url.partition("#")
    egg = _fragment_egg(fragment)
    vcs = _vcs_scheme(body)
    if vcs:
        fields["vcs"] = vcs
        rest = body[len(vcs) + 1 :]
        if "://" in rest:
            path = urlsplit(rest).path
        else:  # scp-like git+git@github.com:org/repo.git@ref
            path = rest.split(":", 1)[1] if ":" in rest else rest
        ref = None
        if "@" in path:
            path, _, ref = path.rpartition("@")
        fields["vcs_ref"] = ref or None
        fields["vcs_commit"] = bool(ref) and len(ref) in (40, 64) and _is_hex(ref)
        repo = path.rstrip("/").rsplit("/", 1)[-1]
        if repo.endswith(".git"):
            repo = repo[:-4]
        fields["name"] = egg or _norm(repo)
        return fields
    if body.lower().startswith("file:"):
        fields["path"] = url
    try:
        filename = urlsplit(body).path.rsplit("/", 1)[-1]
    except ValueError:
        filename = body.rsplit("/", 1)[-1]
    dist = _dist_from_filename(filename)
    fields["name"] = egg or dist.name
    if dist.version:
        fields["exact_version"] = dist.version
        fields["local_version"] = dist.local
    return fields


def _spec_text(text: str) -> tuple[str, str, tuple[str, ...], str, str | None]:
    """Split ``name[extras] spec ; marker`` by hand: (name, rest-after-@ or "", extras, spec, marker)."""
    i, n = 0, len(text)
    while i < n and (text[i].isalnum() or text[i] in "._-"):
        i += 1
    name = text[:i]
    rest = text[i:].lstrip()
    extras: tuple[str, ...] = ()
    if rest.startswith("["):
        close = rest.find("]")
        inner = rest[1:close] if close >= 0 else rest[1:]
        extras = tuple(sorted({e for e in (_norm(x) for x in inner.split(",")) if e}))
        rest = rest[close + 1 :].lstrip() if close >= 0 else ""
    marker = None
    if rest.startswith("@"):
        url, _, marker_text = rest[1:].partition(" ;")  # PEP 508: a URL ends at whitespace
        return name, url.strip(), extras, "", marker_text.strip() or None
    spec, sep, marker_text = rest.partition(";")
    if sep:
        marker = marker_text.strip() or None
    spec = "".join(spec.split())
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1]
    return name, "", extras, spec, marker


def _pin(spec: str) -> tuple[str | None, bool, str | None]:
    """(exact_version, wildcard, local_version) of a pip specifier text."""
    exact, wildcard = None, False
    for part in spec.split(","):
        if part.startswith("==="):
            exact = part[3:]
        elif part.startswith("=="):
            version = part[2:]
            if version.endswith(".*"):
                wildcard = True
            else:
                exact = version
    if exact is not None and _has_var(exact):
        local = exact.split("+", 1)[1] if "+" in exact else None
        return None, wildcard, (local if local and not _has_var(local) else None)
    return exact, wildcard, (_version_local(exact) if exact else None)


def parse_pip_requirement(raw: str, *, editable: bool = False) -> Requirement:
    """Parse one pip/uv requirement argument (PEP 508, URL, VCS link or local path)."""
    try:
        return _parse_pip(raw, editable)
    except Exception as exc:  # pragma: no cover - safety net
        return Requirement(raw=raw, editable=editable, error=_short_error(exc))


def _parse_pip(raw: str, editable: bool) -> Requirement:
    text = raw.strip()
    if not text:
        return Requirement(raw=raw, editable=editable, error="empty requirement")
    error = UNRESOLVED if _has_var(text) else None
    if _vcs_scheme(text) or _is_url(text):
        fields = _url_fields(text)
        if error:
            fields["exact_version"] = None
        return Requirement(raw=raw, editable=editable, error=error, **fields)
    if _looks_like_path(text):
        base, extras = _split_extras(text)
        dist = _dist_from_filename(base.replace("\\", "/").rsplit("/", 1)[-1])
        return Requirement(raw=raw, name=dist.name, extras=extras, path=base, editable=editable,
                           exact_version=None if error else dist.version, local_version=dist.local,
                           error=error)
    if error:
        return _parse_pip_with_vars(raw, text, editable)
    try:
        req = _PkgRequirement(text)
    except InvalidRequirement as exc:
        return Requirement(raw=raw, editable=editable, error=_short_error(exc))
    name = canonicalize_name(req.name)
    extras = tuple(sorted(canonicalize_name(e) for e in req.extras))
    marker = str(req.marker) if req.marker else None
    if req.url:
        if _vcs_scheme(req.url) or _is_url(req.url):
            fields = _url_fields(req.url)
        else:  # name @ ./local/path
            dist = _dist_from_filename(req.url.rsplit("/", 1)[-1])
            fields = {"path": req.url, "exact_version": dist.version, "local_version": dist.local}
        fields["name"] = name
        return Requirement(raw=raw, extras=extras, editable=editable, marker=marker, **fields)
    _, _, _, spec, _ = _spec_text(text)
    exact, wildcard, local = _pin(spec)
    return Requirement(raw=raw, name=name, extras=extras, specifier=spec, exact_version=exact,
                       wildcard=wildcard, local_version=local, editable=editable, marker=marker)


def _parse_pip_with_vars(raw: str, text: str, editable: bool) -> Requirement:
    name, url, extras, spec, marker = _spec_text(text)
    after = text[len(name) : len(name) + 1]
    ok_name = bool(name) and after not in ("$", "`", "{")
    if url:
        fields = _url_fields(url)
        fields.pop("exact_version", None)
        fields["name"] = _norm(name) if ok_name else None
        return Requirement(raw=raw, extras=extras, editable=editable, marker=marker, error=UNRESOLVED,
                           **fields)
    _, wildcard, local = _pin(spec)
    if not name:
        spec, wildcard, local = "", False, None  # "$PKGS": nothing known
    return Requirement(raw=raw, name=_norm(name) if ok_name else None, extras=extras, specifier=spec,
                       wildcard=wildcard, local_version=local, editable=editable, marker=marker,
                       error=UNRESOLVED)


# --------------------------------------------------------------------------- conda specs


def parse_conda_spec(raw: str) -> Requirement:
    """Best-effort conda MatchSpec: ``chan::name=1.2.3=build``, ``name>=1,<2``, ``name[version='>=1']``."""
    try:
        return _parse_conda(raw)
    except Exception as exc:  # pragma: no cover - safety net
        return Requirement(raw=raw, error=_short_error(exc))


def _parse_conda(raw: str) -> Requirement:
    text = raw.strip()
    if not text:
        return Requirement(raw=raw, error="empty spec")
    error = UNRESOLVED if _has_var(text) else None
    channel = None
    if "::" in text:
        channel, _, text = text.rpartition("::")
        channel = channel or None
    if _is_url(text) or text.startswith(("./", "../", "/")) or text.endswith((".tar.bz2", ".conda")):
        return Requirement(raw=raw, url=text if _is_url(text) else None,
                           path=None if _is_url(text) else text, channel=channel, error=error)
    brackets = ""
    if text.endswith("]") and "[" in text:
        text, _, brackets = text[:-1].partition("[")
    i, n = 0, len(text)
    while i < n and text[i] not in "=<>!~ ":
        i += 1
    name, version = text[:i].strip(), text[i:].strip()
    build = ""
    if version and " " in version and version[0] not in "=<>!~":
        version, _, build = version.partition(" ")  # "numpy 1.11 py36_0" (one quoted word)
    for item in _bracket_items(brackets):
        key, value = item
        if key == "version" and not version:
            version = value if value[:1] in "=<>!~" else "==" + value if value.count(".") >= 2 else "=" + value
        elif key == "build" and not build:
            build = value
    bad_name = not name or any(c in name for c in "[]()*,;'\"") and not _has_var(name)
    if bad_name:
        return Requirement(raw=raw, name=None, channel=channel, error=error or "invalid conda spec")
    spec, exact, wildcard = _conda_version(version, build)
    if error:
        exact = None
    return Requirement(raw=raw, name=_norm(name), specifier=spec, exact_version=exact,
                       wildcard=wildcard, local_version=_version_local(exact) if exact else None,
                       channel=channel, error=error)


def _bracket_items(text: str) -> list[tuple[str, str]]:
    items = []
    for part in text.split(","):
        key, eq, value = part.partition("=")
        if eq:
            items.append((key.strip().lower(), value.strip().strip("'\"")))
    return items


def _conda_version(version: str, build: str) -> tuple[str, str | None, bool]:
    """(pip-like specifier, exact version, wildcard) of a conda version part."""
    version = version.strip()
    if not version:
        return "", None, False
    if version.startswith("==") and "," not in version and "|" not in version:
        v = version[2:]
        if "=" in v:
            v = v.split("=", 1)[0]
        if v.endswith("*"):
            return "==" + v.rstrip("*").rstrip(".") + ".*", None, True
        return "==" + v, v, False
    if version.startswith("=") and version[1:2] not in "=<>":
        v, _, build_part = version[1:].partition("=")
        if "," in v or "|" in v:
            return version, None, False
        if v.endswith("*"):
            return "==" + v.rstrip("*").rstrip(".") + ".*", None, True
        if build_part or build or v.count(".") >= 2:
            return "==" + v, v, False
        return "==" + v + ".*", None, True  # conda "=1.2" means 1.2.*
    if version[0] not in "=<>!~":  # bare "1.2.3" (from brackets or a space-separated spec)
        if version.endswith("*"):
            return "==" + version.rstrip("*").rstrip(".") + ".*", None, True
        if version.count(".") >= 2 or build:
            return "==" + version, version, False
        return "==" + version + ".*", None, True
    parts = [p.strip() for p in version.split(",")]
    if len(parts) == 1 and parts[0].startswith("==") and "|" not in parts[0]:
        return parts[0], parts[0][2:], False
    wildcard = any(p.startswith("==") and p.endswith("*") for p in parts)
    return ",".join(parts), None, wildcard


# --------------------------------------------------------------------------- OS packages

_RPM_ARCHES = (".x86_64", ".noarch", ".i686", ".i386", ".aarch64", ".ppc64le", ".s390x", ".armv7hl", ".src")


def parse_os_package(raw: str, manager: str) -> Requirement:
    """apt ``name[:arch][=version|/release]``, yum ``name[-version[-release]][.arch]``, apk ``name[=~<>]v``."""
    try:
        return _parse_os(raw, manager)
    except Exception as exc:  # pragma: no cover - safety net
        return Requirement(raw=raw, error=_short_error(exc))


def _parse_os(raw: str, manager: str) -> Requirement:
    text = raw.strip()
    if not text:
        return Requirement(raw=raw, error="empty package")
    error = UNRESOLVED if _has_var(text) else None
    low = text.lower()
    if _is_url(text) or "/" in text and low.endswith((".deb", ".rpm", ".apk")):
        filename = unquote(text.rsplit("/", 1)[-1])
        name, version = _package_file(filename)
        return Requirement(raw=raw, name=name, exact_version=None if error else version,
                           specifier="==" + version if version else "",
                           url=text if _is_url(text) else None,
                           path=text if not _is_url(text) or low.startswith("file:") else None,
                           error=error)
    channel, wildcard = None, False
    if manager == "apt":
        name, exact, channel = _apt_parts(text)
        wildcard = bool(exact) and "*" in exact
        spec = "==" + exact if exact else ""
        exact = None if wildcard else exact
    elif manager == "apk":
        name, spec, exact, wildcard, channel = _apk_parts(text)
    else:
        name, exact = _yum_parts(text)
        spec = "==" + exact if exact else ""
    if name is None or _has_var(name):
        return Requirement(raw=raw, name=None, specifier=spec, channel=channel, error=error)
    if error:
        exact = None
    return Requirement(raw=raw, name=name.lower(), specifier=spec, exact_version=exact,
                       wildcard=wildcard, channel=channel, error=error)


def _package_file(filename: str) -> tuple[str | None, str | None]:
    low = filename.lower()
    if low.endswith(".deb"):
        parts = filename[:-4].split("_")
        return (parts[0].lower() or None), (parts[1] if len(parts) > 1 else None)
    if low.endswith(".rpm"):
        stem = filename[:-4]
        for arch in _RPM_ARCHES:
            if stem.endswith(arch):
                stem = stem[: -len(arch)]
                break
        parts = stem.rsplit("-", 2)  # an rpm file name is always name-version-release
        if len(parts) == 3 and parts[0]:
            return parts[0].lower(), parts[1] + "-" + parts[2]
        return _yum_parts(stem)
    return None, None


def _apt_parts(text: str) -> tuple[str | None, str | None, str | None]:
    name, version, channel = text, None, None
    if "=" in name:
        name, _, version = name.partition("=")
    elif "/" in name:
        name, _, channel = name.partition("/")
    if ":" in name:
        name = name.split(":", 1)[0]
    return name or None, version or None, channel or None


def _apk_parts(text: str) -> tuple[str | None, str, str | None, bool, str | None]:
    i, n = 0, len(text)
    while i < n and text[i] not in "=<>~@":
        i += 1
    name, rest = text[:i], text[i:]
    channel = None
    if rest.startswith("@"):
        tag, op_i = rest[1:], 0
        while op_i < len(tag) and tag[op_i] not in "=<>~":
            op_i += 1
        channel, rest = tag[:op_i] or None, tag[op_i:]
    if not rest:
        return name or None, "", None, False, channel
    if rest.startswith("~"):
        version = rest.lstrip("~=")
        return name or None, "==" + version + ".*", None, True, channel
    if rest.startswith("=") and not rest.startswith("=="):
        version = rest[1:]
        return name or None, "==" + version, version, False, channel
    return name or None, rest, None, False, channel


def _yum_parts(text: str) -> tuple[str | None, str | None]:
    """Heuristic NVR split: a version part must start with a digit and contain a dot."""
    if text.startswith("@"):
        return text, None
    for arch in _RPM_ARCHES:
        if text.endswith(arch) and len(text) > len(arch):
            text = text[: -len(arch)]
            break

    def is_version(part: str) -> bool:
        return bool(part) and part[0].isdigit() and "." in part

    parts = text.rsplit("-", 2)
    if len(parts) == 3 and parts[0] and is_version(parts[1]) and parts[2][:1].isdigit():
        return parts[0], parts[1] + "-" + parts[2]
    name, sep, version = text.rpartition("-")
    if sep and name and is_version(version):
        return name, version
    return text, None
