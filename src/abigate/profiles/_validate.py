"""Structural validation of one profile file: every unknown key, wrong type or bad value, with its line.

Pure: works on the decoded TOML mapping plus the source text (only to find line numbers). Problems are
collected, never raised one by one, so ``abigate profile validate`` can list all of them at once.
Cross-file checks (``extends``, required fields after merging, source references) live in ``_resolve``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from abigate._records import Record
from abigate.limits import MAX_LISTED_PROBLEMS
from abigate.loaders import loader_soname
from abigate.symver import parse_version

__all__ = ["FieldPath", "Problem", "find_line", "format_path", "loader_problems", "validate_document"]

FieldPath = tuple["str | int", ...]

#: the format version this code reads; files may say ``schema = 1``.
SCHEMA_VERSION = 1

KINDS = ("runtime", "os", "policy", "captured")
CONFIDENCES = ("verified", "documented", "inferred", "unknown")
ARCHES = ("x86_64", "aarch64", "i686", "armv7l", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64")
LIBC_FAMILIES = ("glibc", "musl")


class Problem(Record, kw_only=False):
    """One mistake in a profile file."""

    path: FieldPath
    message: str
    hint: str = ""
    line: int | None = None

    def render(self) -> str:
        """``libraries."libc.so.6".versions (line 12): must be a list of strings; hint: …``."""
        where = format_path(self.path) or "(file)"
        if self.line is not None:
            where += f" (line {self.line})"
        text = f"{where}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text


def format_path(path: FieldPath) -> str:
    """``("libraries", "libc.so.6", "versions")`` → ``libraries."libc.so.6".versions``; list items as ``[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
        out += f".{text}" if out else text
    return out


# ---------------------------------------------------------------------------------------------------------
# Field specifications


Check = Callable[[Any], "str | None"]


def _is_str(v: Any) -> str | None:
    return None if isinstance(v, str) else "must be a string"


def _is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def _is_str_list(v: Any) -> str | None:
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return None
    return "must be a list of strings"


def _abs_path_list(v: Any) -> str | None:
    if isinstance(v, list) and all(isinstance(x, str) and x.startswith("/") for x in v):
        return None
    return 'must be a list of absolute paths such as ["/var/task", "/opt"]'


def _file_names(v: Any) -> str | None:
    if isinstance(v, list) and all(isinstance(x, str) and x and "/" not in x for x in v):
        return None
    return 'must be a list of file names (no directories) such as ["libc-2.31.so"]'


def _is_pos_int(v: Any) -> str | None:
    if isinstance(v, int) and not isinstance(v, bool) and v > 0:
        return None
    return "must be a positive integer"


def _one_of(*choices: str) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, str) and v in choices:
            return None
        return f"must be one of {', '.join(repr(c) for c in choices)}"

    return check


#: a version number's parts: "2.34", "12.2.0", "1.2.13" (each part at most four digits, at most four parts).
_VERSION_RE = re.compile(r"\d{1,4}(?:\.\d{1,4}){0,3}")


def _dotted(v: Any) -> str | None:
    if not isinstance(v, str):
        return "must be a string such as \"2.34\""
    shown = v if len(v) <= 40 else v[:40] + "…"
    try:
        parse_version(v) if len(v) <= 100 else None
    except ValueError:
        return f"{shown!r} is not a dotted version number such as \"2.34\""
    if _VERSION_RE.fullmatch(v.strip()) is None:
        return f"{shown!r} is not a version number abigate accepts (at most four parts of four digits)"
    return None


def _page_size(v: Any) -> str | None:
    if isinstance(v, int) and not isinstance(v, bool) and v >= 1024 and v & (v - 1) == 0:
        return None
    return "must be a power of two such as 4096, 16384 or 65536"


def _isa(v: Any) -> str | None:
    if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4:
        return None
    return "must be 1, 2, 3 or 4 (x86-64 baseline, v2, v3, v4)"


def _extends(v: Any) -> str | None:
    if isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(x, str) for x in v)):
        return None
    return "must be a profile id or path, or a list of them"


#: CPython 3.0 to 3.99: a longer minor is no CPython, and each minor below it costs a computed wheel tag.
_PY_VERSION_RE = re.compile(r"^3\.\d{1,2}t?$")


def _py_version(v: Any) -> str | None:
    if isinstance(v, str) and _PY_VERSION_RE.match(v):
        return None
    return "must be a string such as \"3.12\" (or \"3.13t\" for a free-threaded build)"


_DERIVE_RE = re.compile(r"^(glibc|gcc|zlib)(?:\s+(\d{1,4}(?:\.\d{1,4}){0,3}))?$")


def _derive(v: Any) -> str | None:
    if not isinstance(v, str):
        return "must be a string such as \"glibc\", \"glibc 2.34\", \"gcc 12.2\" or \"zlib 1.2.13\""
    m = _DERIVE_RE.match(v.strip())
    if m is None:
        shown = v if len(v) <= 40 else v[:40] + "…"
        return f"{shown!r} is not understood; use \"glibc\", \"glibc 2.34\", \"gcc 12.2\" or \"zlib 1.2.13\""
    if m.group(1) != "glibc" and m.group(2) is None:
        return f"{v!r} needs a version, e.g. \"{m.group(1)} {'12.2' if m.group(1) == 'gcc' else '1.2.13'}\""
    return None


#: a table spec maps key → a Check, a nested spec (dict), or a tuple marker for special containers.
_PROVENANCE_SPEC: dict[str, Any] = {
    "confidence": _one_of(*CONFIDENCES),
    "sources": _is_str_list,
    "note": _is_str,
}

_LIBRARY_SPEC: dict[str, Any] = {
    "versions": _is_str_list,
    "derive": _derive,
    "max_versions": _is_str_list,
    "exact": _is_bool,
    "path": _is_str,
    "version": _is_str,
    "files": _file_names,
    "extra_versions": _is_str_list,
    **_PROVENANCE_SPEC,
}

_PYTHON_SPEC: dict[str, Any] = {
    "version": _py_version,
    "implementation": _one_of("cpython"),
    "free_threaded": _is_bool,
    "debug": _is_bool,
    "extension_suffixes": _is_str_list,
    "tags": _is_str_list,
    "shared_libpython": _is_bool,
    "executable": _is_str,
    **_PROVENANCE_SPEC,
}

_SOURCE_SPEC: dict[str, Any] = {"url": _is_str, "title": _is_str}

TOP_SPEC: dict[str, Any] = {
    "schema": _is_pos_int,
    "id": _is_str,
    "title": _is_str,
    "description": _is_str,
    "kind": _one_of(*KINDS),
    "extends": _extends,
    "arch": _one_of(*ARCHES),
    "page_size": _page_size,
    "x86_isa_level": _isa,
    "refuses_exec_stack": _is_bool,
    "library_paths": _is_str_list,
    "artifact_roots": _abs_path_list,
    "remove_libraries": _is_str_list,
    "policy_tag": _is_str,
    "generator": _is_str,
    "os": {"id": _is_str, "version": _is_str, "name": _is_str},
    "libc": {"family": _one_of(*LIBC_FAMILIES), "version": _dotted},
    "limits": {"max_unzipped_bytes": _is_pos_int, "max_zipped_bytes": _is_pos_int},
    "libraries": ("map", _LIBRARY_SPEC),
    "python": ("list", _PYTHON_SPEC),
    "sources": ("map", _SOURCE_SPEC),
    "provenance": ("map", _PROVENANCE_SPEC),
}

#: the highest minor version of glibc 2.x or musl 1.x a profile may name (glibc 2.42 is from 2025).
_MAX_LIBC_MINOR = 99

#: keys each table must have (checked here, inside one file).
_REQUIRED = {"python": ("version",), "sources": ("url",), "provenance": ("confidence",)}


def validate_document(doc: Mapping[str, Any], text: str) -> list[Problem]:
    """Every structural problem of one decoded profile file, in file order."""
    problems: list[Problem] = []
    _check_table(doc, TOP_SPEC, (), problems)
    _check_semantics(doc, problems)
    lines = _KeyLines(text)
    placed = [Problem(p.path, p.message, p.hint, lines.find(p.path)) for p in problems]
    return sorted(placed, key=lambda p: (p.line or 0, format_path(p.path)))


def _check_table(table: Any, spec: Mapping[str, Any], path: FieldPath, problems: list[Problem]) -> None:
    if not isinstance(table, Mapping):
        problems.append(Problem(path, "must be a table"))
        return
    for key, value in table.items():
        sub = spec.get(key)
        here = (*path, key)
        if sub is None:
            import difflib  # only to suggest a name: kept off every run's start-up

            # Suggestions for the first few only: 30,000 stray keys must not cost 30,000 fuzzy matches
            # (only the first MAX_LISTED_PROBLEMS problems are printed anyway).
            close = (difflib.get_close_matches(key, list(spec), n=1, cutoff=0.6)
                     if len(problems) < MAX_LISTED_PROBLEMS else [])
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(spec))}"
            problems.append(Problem(here, "unknown field", hint))
        elif isinstance(sub, dict):
            _check_table(value, sub, here, problems)
        elif isinstance(sub, tuple):
            container, item_spec = sub
            required = _REQUIRED.get(key, ())
            if container == "map":
                if not isinstance(value, Mapping):
                    problems.append(Problem(here, "must be a table"))
                    continue
                for name, item in value.items():
                    _check_item(item, item_spec, (*here, name), required, problems)
            else:
                if not isinstance(value, list):
                    problems.append(Problem(here, "must be an array of tables ([[python]])"))
                    continue
                for index, item in enumerate(value):
                    _check_item(item, item_spec, (*here, index), required, problems)
        else:
            message = sub(value)
            if message is not None:
                problems.append(Problem(here, message))


def _check_item(item: Any, spec: Mapping[str, Any], path: FieldPath, required: Sequence[str],
                problems: list[Problem]) -> None:
    if not isinstance(item, Mapping):
        problems.append(Problem(path, "must be a table"))
        return
    _check_table(item, spec, path, problems)
    for key in required:
        if key not in item:
            problems.append(Problem(path, f"missing required field {key!r}"))


def _check_semantics(doc: Mapping[str, Any], problems: list[Problem]) -> None:
    """Checks that need more than one field of the same file."""
    schema = doc.get("schema")
    if isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA_VERSION:
        problems.append(Problem(("schema",), f"format version {schema} is newer than this abigate reads "
                                               f"({SCHEMA_VERSION})", "upgrade abigate"))
    libc = doc.get("libc")
    if isinstance(libc, Mapping):
        family, version = libc.get("family"), libc.get("version")
        if isinstance(version, str) and _dotted(version) is None and family in LIBC_FAMILIES:
            major = parse_version(version)[0]
            if family == "glibc" and major != 2:
                problems.append(Problem(("libc", "version"), f"glibc versions start with 2, not {version!r}"))
            if family == "musl" and major != 1:
                problems.append(Problem(("libc", "version"), f"musl versions start with 1, not {version!r}"))
            minor = parse_version(version)[1:2]
            if minor and minor[0] > _MAX_LIBC_MINOR:
                # A wheel tag is computed for every minor version up to the target's (manylinux_2_17 …).
                problems.append(Problem(("libc", "version"), f"{family} {version} does not exist: abigate "
                                        f"accepts minor versions up to {_MAX_LIBC_MINOR}"))
    libraries = doc.get("libraries")
    if isinstance(libraries, Mapping):
        for soname, lib in libraries.items():
            if not isinstance(lib, Mapping):
                continue
            if "versions" in lib and "derive" in lib:
                problems.append(Problem(("libraries", soname, "derive"), "give either 'versions' or 'derive', "
                                        "not both", "'versions' lists nodes read from the file; 'derive' "
                                        "computes them from a version number"))
            if lib.get("exact") is True and "versions" not in lib:
                problems.append(Problem(("libraries", soname, "exact"), "'exact = true' needs an explicit "
                                        "'versions' list"))
    # References to [sources] are checked after `extends` is merged: a child may cite its parent's sources.
    # So is the dynamic loader (loader_problems): a child usually inherits it from its parent.


def loader_problems(libraries: Mapping[str, Any], arch: str, family: str) -> list[Problem]:
    """A problem when the merged *libraries* table of a glibc/musl profile lacks the target's dynamic loader.

    The loader is always present on a real target and real wheels name it in DT_NEEDED, so a profile
    without it rejects them (ABG401): no hand-written or captured profile may forget it. It counts as
    present under its soname or as one of a library's ``files`` (the names the loader opens it by).
    """
    want = loader_soname(family, arch)
    if want is None or want in libraries:
        return []
    for entry in libraries.values():
        if isinstance(entry, Mapping) and want in (entry.get("files") or ()):
            return []
    if family == "glibc":
        hint = f'add [libraries."{want}"] with derive = "glibc" (or the versions read from the real file)'
    else:
        hint = f'add [libraries."{want}"] with versions = [] (musl\'s loader is its C library)'
    return [Problem(("libraries",), f"lacks the dynamic loader {want}: every {family} {arch} target has it "
                    "and wheels name it in DT_NEEDED", hint)]


# ---------------------------------------------------------------------------------------------------------
# Line numbers


_BARE = r"[A-Za-z0-9_-]+"
_KEY_PART = re.compile(rf"\s*(?:({_BARE})|\"((?:[^\"\\]|\\.)*)\"|'([^']*)')\s*")


def _split_key(text: str) -> list[str] | None:
    """Split a dotted TOML key (``libraries."libc.so.6"``) into its parts; ``None`` if it is not a key."""
    parts: list[str] = []
    pos = 0
    while True:
        m = _KEY_PART.match(text, pos)
        if m is None:
            return None
        parts.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
        if pos == len(text):
            return parts
        if text[pos] != ".":
            return None
        pos += 1


class _KeyLines:
    """Maps field paths to the line that defines them, by scanning table headers and ``key =`` lines."""

    def __init__(self, text: str) -> None:
        self.entries: list[tuple[tuple[str | int, ...], int]] = []
        header: tuple[str | int, ...] = ()
        counters: dict[tuple[str, ...], int] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[["):
                parts = _split_key(line[2:line.find("]]")]) if "]]" in line else None
                if parts:
                    key = tuple(parts)
                    index = counters.get(key, -1) + 1
                    counters[key] = index
                    header = (*parts, index)
                    self.entries.append((header, number))
                continue
            if line.startswith("["):
                parts = _split_key(line[1:line.find("]")]) if "]" in line else None
                if parts:
                    header = tuple(parts)
                    self.entries.append((header, number))
                continue
            key_text, eq, rest = line.partition("=")
            if not eq:
                continue
            parts = _split_key(key_text)
            if parts:
                path = (*header, *parts)
                self.entries.append((path, number))
                # Inline tables: `libc = { family = "glibc", version = "2.34" }`.
                for sub in re.finditer(rf"[{{,]\s*({_BARE}|\"[^\"]*\")\s*=", rest):
                    name = sub.group(1).strip('"')
                    self.entries.append(((*path, name), number))

        # First line of each path: a lookup per problem over every entry would be quadratic.
        self._first: dict[tuple[str | int, ...], int] = {}
        for entry, number in self.entries:
            self._first.setdefault(entry, number)

    def find(self, path: FieldPath) -> int | None:
        """The line of *path*, or of its longest prefix that appears in the file."""
        want = tuple(path)
        while want:
            number = self._first.get(want)
            if number is not None:
                return number
            want = want[:-1]
        return None


def find_line(text: str, path: FieldPath) -> int | None:
    """Line number of *path* in the TOML *text* (or of its closest enclosing table)."""
    return _KeyLines(text).find(path)
