"""Turn a resolved :class:`Profile` back into data: a JSON-able mapping, or TOML in the input format.

The TOML written here is a *resolved* profile (no ``extends``, every version set spelled out, derived sets
marked ``exact = false``), so it validates and loads back to an equal profile. Pure: returns strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from abigate.profile import Library, Profile, PythonRuntime
from abigate.symver import node_key

__all__ = ["dumps_toml", "profile_to_json", "profile_to_mapping", "profile_to_toml", "text_of_name",
           "toml_comment"]


def _library_mapping(lib: Library) -> dict[str, Any]:
    out: dict[str, Any] = {"versions": sorted(lib.versions, key=node_key), "exact": lib.exact}
    if lib.version is not None:
        out["version"] = lib.version
    if lib.path is not None:
        out["path"] = lib.path
    if lib.files:
        out["files"] = sorted(lib.files)
    return out


def _python_mapping(py: PythonRuntime) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": f"{py.version[0]}.{py.version[1]}",
        "implementation": py.implementation,
        "free_threaded": py.free_threaded,
        "debug": py.debug,
        "shared_libpython": py.shared_libpython,
    }
    if py.executable is not None:
        out["executable"] = py.executable
    out["extension_suffixes"] = list(py.extension_suffixes)
    out["tags"] = list(py.tags)
    return out


def profile_to_mapping(profile: Profile) -> dict[str, Any]:
    """The resolved profile as plain data (the ``show --format json`` document)."""
    out: dict[str, Any] = {
        "id": profile.id,
        "title": profile.title,
        "kind": profile.kind,
        "arch": profile.arch,
        "page_size": profile.page_size,
    }
    if profile.x86_isa_level is not None:
        out["x86_isa_level"] = profile.x86_isa_level
    out["refuses_exec_stack"] = profile.refuses_exec_stack
    if profile.policy_tag is not None:
        out["policy_tag"] = profile.policy_tag
    if profile.extends:
        out["extends"] = list(profile.extends)
    out["library_paths"] = list(profile.library_paths)
    if profile.artifact_roots:
        out["artifact_roots"] = list(profile.artifact_roots)
    os_table = {k: v for k, v in (("id", profile.os_id), ("version", profile.os_version),
                                  ("name", profile.os_name)) if v is not None}
    if os_table:
        out["os"] = os_table
    out["libc"] = {"family": profile.libc, "version": profile.libc_version_text}
    limits = {k: v for k, v in (("max_unzipped_bytes", profile.limits.max_unzipped_bytes),
                                ("max_zipped_bytes", profile.limits.max_zipped_bytes)) if v is not None}
    if limits:
        out["limits"] = limits
    out["libraries"] = {name: _library_mapping(lib) for name, lib in sorted(profile.libraries.items())}
    out["python"] = [_python_mapping(py) for py in profile.pythons]
    out["sources"] = {s.id: ({"url": s.url, "title": s.title} if s.title else {"url": s.url})
                      for s in profile.sources}
    out["provenance"] = {
        key: {k: v for k, v in (("confidence", p.confidence), ("sources", list(p.sources)), ("note", p.note)) if v}
        for key, p in sorted(profile.provenance.items())
    }
    return out


def profile_to_json(profile: Profile) -> str:
    """Indented, key-stable JSON of :func:`profile_to_mapping`."""
    return json.dumps(profile_to_mapping(profile), indent=2, ensure_ascii=False) + "\n"


def profile_to_toml(profile: Profile) -> str:
    """The resolved profile as a TOML profile file (``extends`` dropped: everything is spelled out)."""
    data = profile_to_mapping(profile)
    data.pop("extends", None)
    head = f"Resolved profile {profile.id}"
    if profile.extends:
        head += f" (extends {', '.join(profile.extends)})"
    return f"# {toml_comment(head)}\nschema = 1\n" + dumps_toml(data)


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
#: characters a TOML basic string may not hold raw (C0 controls and DEL), plus the C1 controls, which it
#: may, but which no reader of the file wants to see raw.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def text_of_name(name: str) -> str:
    """*name* with the bytes that are not UTF-8 written as ``\\xNN`` (a backslash, ``x``, two hex digits).

    A file name read from a tree (``os.listdir`` keeps such bytes as lone surrogates) cannot be written to a
    UTF-8 file as is. The ``\\xNN`` form is how abigate's ELF reader names the same bytes in a
    ``DT_NEEDED`` entry, so a profile holding ``libfoo\\xff.so.1`` matches the binary that needs the file
    ``libfoo<0xff>.so.1`` (docs/runtimes.md#file-names-that-are-not-utf-8).
    """
    if _SURROGATE.search(name) is None:
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that does not stand for a byte: keep its code point visibly
        raw = name.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def _string(value: str) -> str:
    """A TOML basic string that every TOML reader accepts: every control character escaped (``\\u007f``)."""
    quoted = json.dumps(text_of_name(value), ensure_ascii=False)
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def toml_comment(text: str) -> str:
    """*text* made safe for one ``#`` comment line: a path holding a newline must not start a TOML line."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text_of_name(text))


def _key(name: str) -> str:
    return name if _BARE.match(name) else _string(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        items = [_value(v) for v in value]
        one_line = "[" + ", ".join(items) + "]"
        if len(one_line) <= 100:
            return one_line
        return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def dumps_toml(data: Mapping[str, Any]) -> str:
    """A small TOML writer for profile-shaped data: scalars first, then tables and arrays of tables.

    Tables of tables (``libraries``, ``sources``, ``provenance``) become ``[libraries."libc.so.6"]``
    sections, which is how people write them by hand.
    """
    lines: list[str] = []
    tables: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, Mapping) or (isinstance(value, list) and value and isinstance(value[0], Mapping)):
            tables.append((key, value))
        elif isinstance(value, list) and not value and key == "python":
            continue
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables:
        if isinstance(value, list):
            for item in value:
                lines += ["", f"[[{_key(key)}]]"]
                lines += [f"{_key(k)} = {_value(v)}" for k, v in item.items()]
        elif value and all(isinstance(v, Mapping) for v in value.values()) and key in (
                "libraries", "sources", "provenance"):
            if key in ("sources", "provenance"):
                lines += ["", f"[{_key(key)}]"]
                lines += [f"{_key(k)} = {_value(v)}" for k, v in value.items()]
            else:
                for name, item in value.items():
                    lines += ["", f"[{_key(key)}.{_key(name)}]"]
                    lines += [f"{_key(k)} = {_value(v)}" for k, v in item.items()]
        elif value or key in ("libraries",):
            lines += ["", f"[{_key(key)}]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"
