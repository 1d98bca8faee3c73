"""Read profile files, apply ``extends``, derive version sets and build the frozen :class:`Profile`.

I/O is limited to reading the TOML files themselves (built-ins come from package data). Every mistake is
collected and raised once as :class:`abigate.errors.ProfileError` with one line per problem.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from abigate import glibc_versions as gv
from abigate import pyabi
from abigate._records import Record, replace
from abigate.errors import ProfileError
from abigate.inputfile import (
    MAX_EXTENDS_DEPTH,
    MAX_EXTENDS_FILES,
    MAX_PROFILE_BYTES,
    InputRefused,
    bounded_lines,
    decode_utf8,
    read_regular,
)
from abigate.inputfile import parse_toml as _parse_toml
from abigate.profile import Library, Limits, Profile, Provenance, PythonRuntime, Source
from abigate.profiles._validate import Problem, find_line, format_path, loader_problems, validate_document
from abigate.symver import format_version, max_node, parse_version

__all__ = ["Document", "builtin_ids", "load_document", "parse_python", "resolve", "with_python"]

#: the folder of the built-in profiles (this package's).
_HERE = os.path.dirname(os.path.abspath(__file__))


class Document(Record, kw_only=False):
    """One profile file, decoded and structurally valid."""

    #: how it was named: a built-in id or a file path.
    key: str
    data: Mapping[str, Any]
    text: str
    #: ``builtin:<id>`` or the file path, for messages and ``Profile.origin``.
    origin: str
    #: directory for relative ``extends`` paths (``None`` for built-ins).
    base_dir: str | None


@functools.lru_cache(maxsize=1)
def builtin_ids() -> tuple[str, ...]:
    """Ids of the profiles shipped inside the package, sorted.

    Listed from the package folder with :func:`os.listdir`: ``importlib.resources`` would cost every run
    ~5 ms of imports (it pulls in ``tempfile``) for the same answer from an installed package.
    """
    return tuple(sorted(n[:-5] for n in os.listdir(_HERE) if n.endswith(".toml")))


def _builtin_text(profile_id: str) -> str | None:
    try:
        with open(os.path.join(_HERE, f"{profile_id}.toml"), encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def _alias(profile_id: str, known: tuple[str, ...]) -> str | None:
    """Accept guessable spellings: no arch (→ x86_64), ``aarch64`` for ``arm64``, ``manylinux_2_17``."""
    candidates = [profile_id, f"{profile_id}-x86_64", f"{profile_id}_x86_64"]
    candidates.append(profile_id.replace("-aarch64", "-arm64"))
    candidates.append(re.sub(r"^manylinux_2_17_", "manylinux2014_", profile_id))
    candidates.append(re.sub(r"^manylinux_2_17$", "manylinux2014_x86_64", profile_id))
    for name in candidates:
        if name in known:
            return name
    return None


def looks_like_path(name: str) -> bool:
    """True when *name* names a file rather than a built-in id."""
    return name.endswith(".toml") or os.sep in name or "/" in name or os.path.isfile(name)


def parse_toml(text: str, origin: str) -> dict[str, Any]:
    """Decode TOML (within the budgets of :mod:`abigate.inputfile`) or raise a one-line :class:`ProfileError`."""
    try:
        return _parse_toml(text, origin)
    except InputRefused as exc:
        raise ProfileError(exc.message) from None


def read_profile_text(path: str) -> str:
    """The text of the profile file *path*: a regular file of at most :data:`MAX_PROFILE_BYTES`, UTF-8.

    :raises ProfileError: one line naming *path* (missing, a FIFO or device, too large, not UTF-8…).
    """
    try:
        return decode_utf8(read_regular(path, cap=MAX_PROFILE_BYTES, what="profile"), path, "profile")
    except InputRefused as exc:
        raise ProfileError(exc.message) from None
    except FileNotFoundError:
        raise ProfileError(f"{path}: profile file not found") from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc.strerror or exc}") from None


def document_from_text(text: str, origin: str, *, key: str | None = None, base_dir: str | None = None) -> Document:
    """Decode and structurally validate one profile text; raises :class:`ProfileError` listing every problem."""
    data = parse_toml(text, origin)
    problems = validate_document(data, text)
    if problems:
        # `extends` is otherwise followed only once the file is valid; an unknown parent is a problem of
        # this file too, and `profile validate` promises every problem in one run.
        problems += _unknown_parents(data, text, base_dir)
        raise ProfileError(_summary(origin, len(problems)), bounded_lines([p.render() for p in problems]))
    return Document(key=key or origin, data=data, text=text, origin=origin, base_dir=base_dir)


def _parent_names(data: Mapping[str, Any]) -> list[str]:
    """The names ``extends`` lists, or none when the field itself is malformed (reported elsewhere)."""
    parents = data.get("extends", [])
    parents = [parents] if isinstance(parents, str) else parents
    return parents if isinstance(parents, list) and all(isinstance(n, str) for n in parents) else []


def _unknown_parents(data: Mapping[str, Any], text: str, base_dir: str | None) -> list[Problem]:
    """A problem for each ``extends`` name that is neither a built-in profile nor a valid profile file.

    A parent file is checked on its own (TOML and fields), not through its own ``extends``: following those
    here could recurse forever through two broken files that extend each other.
    """
    out: list[Problem] = []
    known = builtin_ids()
    for name in _parent_names(data):
        if looks_like_path(name):
            path = name if base_dir is None or os.path.isabs(name) else os.path.join(base_dir, name)
            if not os.path.isfile(path):
                message = f"{name!r}: profile file not found ({path})"
            else:
                try:
                    parent_text = read_profile_text(path)
                    count = len(validate_document(parse_toml(parent_text, path), parent_text))
                except ProfileError as exc:
                    message = f"{name!r}: {exc}"
                else:
                    if not count:
                        continue
                    message = (f"{name!r}: {_summary(path, count)}; "
                               f"`abigate profile validate {path}` lists each")
        elif _alias(name, known) is not None:
            continue
        else:
            try:
                load_document(name)  # raises for an unknown id, with the same suggestions as everywhere
                continue
            except ProfileError as exc:
                message = f"{name!r}: {exc}"
        out.append(Problem(("extends",), message, line=find_line(text, ("extends",))))
    return out


def load_document(name: str, *, relative_to: str | None = None) -> Document:
    """Read a profile by built-in id or file path (relative paths resolved against *relative_to*)."""
    if looks_like_path(name):
        path = name if relative_to is None or os.path.isabs(name) else os.path.join(relative_to, name)
        text = read_profile_text(path)
        return document_from_text(text, path, key=os.path.abspath(path),
                                  base_dir=os.path.dirname(os.path.abspath(path)))
    known = builtin_ids()
    real = _alias(name, known)
    if real is None:
        from abigate.profiles._suggest import suggest_profiles

        close = suggest_profiles(name, known)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `abigate profile list`"
        raise ProfileError(f"unknown profile {name!r}{hint}")
    text = _builtin_text(real)
    assert text is not None
    return document_from_text(text, f"builtin:{real}", key=real)


def _summary(origin: str, count: int) -> str:
    return f"{origin}: invalid profile ({count} problem{'s' if count != 1 else ''})"


# ---------------------------------------------------------------------------------------------------------
# extends


_MERGE_TABLES = ("os", "libc", "limits", "sources", "provenance")
_NOT_INHERITED = ("id", "title", "description", "extends", "remove_libraries", "schema", "generator")


def _merge(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Child over parent: scalars replace, small tables merge by key, libraries merge by soname."""
    out = {k: v for k, v in parent.items() if k not in _NOT_INHERITED}
    for key, value in child.items():
        if key in _MERGE_TABLES and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **value}
        elif key == "libraries" and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    for soname in child.get("remove_libraries", ()):
        if isinstance(out.get("libraries"), Mapping):
            out["libraries"] = {k: v for k, v in out["libraries"].items() if k != soname}
    return out


class _Flattener:
    """Applies ``extends`` for one :func:`resolve` call, each profile file read and merged once.

    Without the memo a diamond (two parents sharing a grandparent, stacked six deep) is read and merged 2**6
    times, and a chain of 1,500 files overflows Python's stack: both are bounded here, by
    :data:`MAX_EXTENDS_DEPTH` and :data:`MAX_EXTENDS_FILES`, with one line naming the file (exit 2).
    """

    def __init__(self, loader: Callable[[str, str | None], Document]) -> None:
        self.loader = loader
        self.documents: dict[tuple[str, str | None], Document | ProfileError] = {}
        self.flat: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {}

    def load(self, name: str, base_dir: str | None, origin: str) -> Document:
        key = (name, base_dir)
        if key not in self.documents:
            if len(self.documents) >= MAX_EXTENDS_FILES:
                raise ProfileError(f"{origin}: extends more than {MAX_EXTENDS_FILES} profiles in all")
            try:
                self.documents[key] = self.loader(name, base_dir)
            except ProfileError as exc:
                self.documents[key] = exc
        found = self.documents[key]
        if isinstance(found, ProfileError):
            raise found
        return found

    def flatten(self, doc: Document, stack: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
        """The merged mapping of *doc* and every profile it extends, plus the ids of those ancestors."""
        if doc.key in stack:
            chain = " -> ".join((*stack[stack.index(doc.key):], doc.key))
            raise ProfileError(f"{doc.origin}: cycle in extends: {chain}")
        if doc.key in self.flat:
            return self.flat[doc.key]
        if len(stack) >= MAX_EXTENDS_DEPTH:
            raise ProfileError(f"{doc.origin}: extends chain deeper than {MAX_EXTENDS_DEPTH} profiles "
                               f"(started at {stack[0]})")
        loaded: list[Document] = []
        failed: list[tuple[str, ProfileError]] = []
        for name in _parent_names(doc.data):
            try:
                loaded.append(self.load(name, doc.base_dir, doc.origin))
            except ProfileError as exc:
                failed.append((name, exc))
        if len(failed) == 1:
            name, error = failed[0]
            raise ProfileError(f"{doc.origin}: extends {name!r}: {error}", error.problems) from None
        if failed:
            # Every parent that cannot be read, not just the first.
            lines = [line for name, error in failed
                     for line in (f"extends {name!r}: {error}", *(f"  {p}" for p in error.problems))]
            raise ProfileError(_summary(doc.origin, len(failed)), bounded_lines(lines))
        merged: dict[str, Any] = {}
        ancestors: dict[str, None] = {}
        for parent in loaded:
            data, above = self.flatten(parent, (*stack, doc.key))
            merged = _merge(merged, data) if merged else data
            ancestors.update(dict.fromkeys((*above, parent.data.get("id", parent.key))))
        result = (_merge(merged, doc.data) if merged else dict(doc.data)), tuple(ancestors)
        self.flat[doc.key] = result
        return result


# ---------------------------------------------------------------------------------------------------------
# building the model


def resolve(doc: Document, *, loader: Callable[[str, str | None], Document] | None = None) -> Profile:
    """Apply ``extends`` and build the :class:`Profile`; raises :class:`ProfileError` with every problem."""
    load = loader or (lambda name, base: load_document(name, relative_to=base))
    data, ancestors = _Flattener(load).flatten(doc, ())
    problems: list[Problem] = []
    profile = _build(data, ancestors, doc, problems)
    if problems or profile is None:
        # Point at the line of the file being loaded when the field is written there.
        placed = [Problem(p.path, p.message, p.hint, find_line(doc.text, p.path) if _has_path(doc.data, p.path)
                          else None) for p in problems]
        raise ProfileError(_summary(doc.origin, len(placed)), bounded_lines([p.render() for p in placed]))
    return profile


def _has_path(data: Any, path: tuple[str | int, ...]) -> bool:
    """True when the first two levels of *path* exist in *data* (the field was written in this file)."""
    node = data
    for part in path[:2]:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return False
        elif not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _need(data: Mapping[str, Any], key: str, problems: list[Problem], hint: str) -> Any:
    if key not in data:
        problems.append(Problem((key,), "missing required field (not set here nor in an extended profile)", hint))
    return data.get(key)


def _build(data: Mapping[str, Any], ancestors: tuple[str, ...], doc: Document,
           problems: list[Problem]) -> Profile | None:
    profile_id = data.get("id") or (doc.key if not looks_like_path(doc.key) else None)
    if profile_id is None:
        problems.append(Problem(("id",), "missing required field", 'add e.g. id = "my-runtime"'))
    kind = _need(data, "kind", problems, 'add kind = "runtime", "os", "policy" or "captured"')
    arch = _need(data, "arch", problems, 'add arch = "x86_64" (or extend an OS profile)')
    libc = _need(data, "libc", problems, 'add [libc] family = "glibc", version = "2.36"')
    if not isinstance(libc, Mapping) or "family" not in libc or "version" not in libc:
        if isinstance(libc, Mapping):
            problems.append(Problem(("libc",), "needs both 'family' and 'version'"))
        return None
    if not isinstance(arch, str) or not isinstance(kind, str) or profile_id is None:
        return None
    family = libc["family"]
    libc_version = parse_version(libc["version"])
    sources = data.get("sources", {})
    provenance: dict[str, Provenance] = {}

    def add_provenance(key: str, entry: Mapping[str, Any], path: tuple[str | int, ...]) -> None:
        if "confidence" not in entry:
            return
        refs = tuple(entry.get("sources", ()))
        for ref in refs:
            if ref not in sources:
                import difflib  # only to suggest a name: kept off every run's start-up

                close = difflib.get_close_matches(ref, list(sources), n=1)
                problems.append(Problem((*path, "sources"), f"cites unknown source {ref!r}",
                                        f"did you mean {close[0]!r}?" if close else "add it under [sources]"))
        provenance[key] = Provenance(confidence=entry["confidence"], sources=refs, note=entry.get("note", ""))

    for key, entry in data.get("provenance", {}).items():
        add_provenance(key, entry, ("provenance", key))

    problems += loader_problems(data.get("libraries", {}), arch, family)
    libraries: dict[str, Library] = {}
    for soname, entry in data.get("libraries", {}).items():
        lib = _library(soname, entry, arch, family, libc_version, problems)
        if lib is not None:
            libraries[soname] = lib
        add_provenance(f"libraries.{soname}", entry, ("libraries", soname))

    pythons: list[PythonRuntime] = []
    for index, entry in enumerate(data.get("python", [])):
        py = _python(entry, arch, family, libc_version)
        pythons.append(py)
        add_provenance(f"python.{py.version_text}", entry, ("python", index))

    osinfo = data.get("os", {})
    limits = data.get("limits", {})
    refuses = data.get("refuses_exec_stack")
    if refuses is None:
        # glibc 2.41 stopped making the stack executable for dlopen (docs/loader.md#executable-stack).
        refuses = family == "glibc" and libc_version >= (2, 41)
    return Profile(
        id=profile_id,
        title=data.get("title", profile_id),
        kind=kind,  # type: ignore[arg-type]
        arch=arch,
        libc=family,
        libc_version=libc_version,
        page_size=data.get("page_size", 4096),
        x86_isa_level=data.get("x86_isa_level"),
        refuses_exec_stack=refuses,
        libraries=MappingProxyType(dict(sorted(libraries.items()))),
        library_paths=tuple(data.get("library_paths", ())),
        artifact_roots=tuple(data.get("artifact_roots", ())),
        pythons=tuple(pythons),
        limits=Limits(max_unzipped_bytes=limits.get("max_unzipped_bytes"),
                      max_zipped_bytes=limits.get("max_zipped_bytes")),
        os_id=osinfo.get("id"),
        os_version=osinfo.get("version"),
        os_name=osinfo.get("name"),
        extends=ancestors,
        sources=tuple(Source(id=k, url=v["url"], title=v.get("title", "")) for k, v in sorted(sources.items())),
        provenance=MappingProxyType(dict(sorted(provenance.items()))),
        policy_tag=data.get("policy_tag"),
        origin=doc.origin,
    )


def _library(soname: str, entry: Mapping[str, Any], arch: str, family: str, libc_version: tuple[int, ...],
             problems: list[Problem]) -> Library | None:
    path = ("libraries", soname)
    versions: set[str] = set(entry.get("versions", ()))
    version: str | None = entry.get("version")
    derive = entry.get("derive")
    if derive is not None:
        what, _, number = derive.strip().partition(" ")
        number = number.strip()
        if what == "glibc":
            if family != "glibc" and not number:
                problems.append(Problem((*path, "derive"), f"'glibc' needs a glibc profile (libc is {family})",
                                        'write derive = "glibc 2.34" or list the versions'))
                return None
            release = parse_version(number) if number else libc_version
            nodes = gv.glibc_nodes(arch, soname, release)
            if nodes is None and soname in gv.glibc_sonames(arch):
                problems.append(Problem((*path, "derive"), f"glibc {format_version(release)} has no {soname} on "
                                        f"{arch}", "libmvec is built on aarch64 from 2.38, libc_malloc_debug "
                                        "from 2.34, glibc's libcrypt until 2.38; remove the entry"))
                return None
            if nodes is None:
                known = gv.glibc_sonames(arch)
                hint = (f"glibc libraries on {arch}: {', '.join(known)}" if known
                        else f"no glibc tables for {arch}; list the versions instead")
                problems.append(Problem((*path, "derive"), f"{soname} is not a glibc library on {arch}", hint))
                return None
            versions |= nodes
            version = version or format_version(release)
        elif what == "gcc":
            gcc = parse_version(number)
            if soname.startswith("libstdc++.so"):
                nodes = gv.gcc_libstdcxx_nodes(gcc, arch)
                if nodes is None:
                    problems.append(Problem((*path, "derive"), f"no libstdc++ table for GCC {number}",
                                            "abigate knows GCC 4.8 and later; list the versions instead"))
                    return None
                versions |= nodes
                top = max_node(nodes, "GLIBCXX")
                version = version or (top.split("_", 1)[1] if top else None)
            elif soname.startswith("libgcc_s.so"):
                versions |= gv.gcc_libgcc_nodes(gcc, arch)
                version = version or number
            else:
                problems.append(Problem((*path, "derive"), f"'gcc' derives libstdc++.so.6 and libgcc_s.so.1, "
                                        f"not {soname}"))
                return None
        elif what == "zlib":
            versions |= gv.zlib_nodes(parse_version(number))
            version = version or number
    # Nodes a distribution's build adds on top of the derived set (backported markers such as
    # GLIBC_ABI_GNU2_TLS, measured on the real package).
    versions |= set(entry.get("extra_versions", ()))
    ceilings = tuple(entry.get("max_versions", ()))
    if ceilings:
        versions |= gv.cap_nodes(gv.known_nodes(soname, arch), ceilings)
    exact = bool(entry.get("exact", False)) and derive is None and not ceilings
    files = frozenset(entry.get("files", ())) - {soname}
    return Library(soname=soname, versions=frozenset(versions), exact=exact, path=entry.get("path"),
                   version=version, files=files)


#: CPython feature releases that exist: 3.6 … 3.14, and 3.15 in development. Older ones predate every
#: runtime abigate models (and the suffix rules ``pyabi`` implements); a newer number is a typo.
KNOWN_PYTHONS = tuple((3, minor) for minor in range(6, 16))
#: the first CPython with a free-threaded build (PEP 703): ``3.13t``.
FREE_THREADED_SINCE = (3, 13)


def parse_python(text: str, *, known: bool = False, what: str | None = None) -> tuple[tuple[int, int], bool]:
    """``"3.12"`` → ``((3, 12), False)``; ``"3.13t"``, ``"python3.13t"``, ``"cp313t"`` → free-threaded.

    :param known: also refuse a version CPython never released (:data:`KNOWN_PYTHONS`) and a free-threaded
        ``t`` before 3.13 — for a Python a person *chooses* (``--python``, ``python = …``); a profile file
        describes what it describes.
    :param what: where the value was written, for the message (default ``--python <text>``).
    :raises ProfileError: one line, for anything else.
    """
    what = what or f"--python {text if len(text) <= 20 else text[:20] + '…'}"
    raw = text.strip().lower()
    # At most three digits of minor: a longer number is no CPython, and would cost the tag computation
    # (one tag per earlier minor version) or int()'s digit limit.
    m = (re.fullmatch(r"(?:python|py|cpython-?)?(3)\.(\d{1,3})(t?)", raw)
         or re.fullmatch(r"cp(3)(\d{1,3})(t?)", raw))
    if m is None:
        raise ProfileError(f"{what}: expected a CPython version such as 3.12 or 3.13t")
    version, free_threaded = (int(m.group(1)), int(m.group(2))), bool(m.group(3))
    if known and version not in KNOWN_PYTHONS:
        (major, first), (_, last) = KNOWN_PYTHONS[0], KNOWN_PYTHONS[-1]
        known_text = f"{major}.{first} to {major}.{last - 1}, and {major}.{last} in development"
        if version < KNOWN_PYTHONS[0]:
            raise ProfileError(f"{what}: CPython {version[0]}.{version[1]} is older than every version abigate "
                               f"models ({known_text})")
        raise ProfileError(f"{what}: there is no CPython {version[0]}.{version[1]} (abigate knows {known_text})")
    if known and free_threaded and version < FREE_THREADED_SINCE:
        raise ProfileError(f"{what}: CPython has free-threaded builds only from "
                           f"{FREE_THREADED_SINCE[0]}.{FREE_THREADED_SINCE[1]}")
    return version, free_threaded


def make_python(version: tuple[int, int], *, free_threaded: bool, arch: str, libc: str,
                libc_version: tuple[int, ...], debug: bool = False, **extra: Any) -> PythonRuntime:
    """A :class:`PythonRuntime` whose suffixes and tags are computed for the *target* (never the host)."""
    suffixes = extra.pop("extension_suffixes", None) or pyabi.extension_suffixes(
        version, multiarch=pyabi.multiarch(arch, libc, version), free_threaded=free_threaded, debug=debug)
    tags = extra.pop("tags", None) or pyabi.python_tags(
        version, pyabi.platform_tags(arch, libc, libc_version), free_threaded=free_threaded, debug=debug)
    return PythonRuntime(version=version, free_threaded=free_threaded, debug=debug,
                         extension_suffixes=tuple(suffixes), tags=tuple(tags), **extra)


def _python(entry: Mapping[str, Any], arch: str, family: str, libc_version: tuple[int, ...]) -> PythonRuntime:
    version, ft = parse_python(entry["version"])
    return make_python(
        version, free_threaded=entry.get("free_threaded", ft), debug=entry.get("debug", False), arch=arch,
        libc=family, libc_version=libc_version, extension_suffixes=entry.get("extension_suffixes"),
        tags=entry.get("tags"), shared_libpython=entry.get("shared_libpython", False),
        executable=entry.get("executable"),
    )


def pins_python(profile: Profile) -> bool:
    """Whether *profile* is exactly the Pythons it lists, so ``--python`` may only select one of them.

    A runtime (Lambda, Azure Functions, a Google runtime) runs its own interpreter: another version there is
    another runtime. An OS or a captured tree lists the Pythons it ships, but another can be installed
    beside them (the ``python:3.12-bookworm`` image is Debian 12 with CPython 3.12), and a profile that lists
    none (a manylinux policy, Heroku) leaves the choice to the user.
    """
    return profile.kind == "runtime" and bool(profile.pythons)


def with_python(profile: Profile, python: str, *, what: str | None = None) -> Profile:
    """*profile* with *python* as its default interpreter.

    If the profile already lists that interpreter it moves to the front (captured suffixes kept). Otherwise,
    a profile that :func:`pins_python` refuses it (:class:`ProfileError`, one line naming the profile's
    Pythons and, when there is one, the built-in runtime that runs *python*); any other profile gets one
    computed for its architecture and libc as its only interpreter. *what* says where the value was written
    (default ``--python <python>``; ``check`` names the configuration file for ``python = …``).
    """
    what = what or f"--python {python}"
    version, free_threaded = parse_python(python, known=True, what=what)
    for py in profile.pythons:
        if py.version == version and py.free_threaded == free_threaded:
            rest = tuple(p for p in profile.pythons if p is not py)
            return replace(profile, pythons=(py, *rest))
    py = make_python(version, free_threaded=free_threaded, arch=profile.arch, libc=profile.libc,
                     libc_version=profile.libc_version)
    if pins_python(profile):
        runs = ", ".join(p.version_text for p in profile.pythons)
        only = " only" if len(profile.pythons) == 1 else ""
        raise ProfileError(f"{what} contradicts the profile: {profile.id} runs Python {runs}{only}"
                           f"{_runtime_for(profile, py)}")
    provenance = dict(profile.provenance)
    provenance[f"python.{py.version_text}"] = Provenance(
        confidence="unknown", note="chosen with --python; suffixes and tags computed for this target")
    return replace(profile, pythons=(py,), title=f"{profile.title} + Python {py.version_text}",
                   provenance=MappingProxyType(dict(sorted(provenance.items()))))


def _runtime_for(profile: Profile, py: PythonRuntime) -> str:
    """``" (for Python 3.11 use -p aws-lambda-python3.11-x86_64)"``: a built-in id differing only by version."""
    current = profile.python
    if current is None or current.version_text not in profile.id:
        return ""
    candidate = profile.id.replace(current.version_text, py.version_text, 1)
    if candidate != profile.id and candidate in builtin_ids():
        return f" (for Python {py.version_text} use -p {candidate})"
    return ""


def problem_path(problem: Problem) -> str:
    """The dotted field path of *problem* (for tests and JSON output)."""
    return format_path(problem.path)
