"""What changes between two runtime profiles: libc, libraries gained and lost, version nodes, Python.

Pure: takes two resolved :class:`~abigate.profile.Profile` objects, returns plain data and text. Read it
as "moving a deployment from A to B": what B lacks that A had is what can break (listed first).
"""

from __future__ import annotations

import json
from typing import Any

from abigate.profile import Profile, PythonRuntime
from abigate.symver import max_node, node_key, parse_node

__all__ = ["diff_profiles", "render_diff_json", "render_diff_text"]


def _prefix_max(nodes: frozenset[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in nodes:
        node = parse_node(name)
        if not node.is_marker and node.prefix not in out:
            top = max_node(nodes, node.prefix)
            if top is not None:
                out[node.prefix] = top
    return out


def _python_summary(py: PythonRuntime | None) -> dict[str, Any] | None:
    if py is None:
        return None
    manylinux = next((t.rsplit("-", 1)[1] for t in py.tags if "-manylinux" in t or "-musllinux" in t), None)
    return {"version": py.version_text, "extension_suffixes": list(py.extension_suffixes),
            "shared_libpython": py.shared_libpython, "best_platform_tag": manylinux}


def diff_profiles(a: Profile, b: Profile) -> dict[str, Any]:
    """Differences from *a* to *b* as JSON-able data; empty sections are omitted.

    ``library_version_unknown`` names the libraries both profiles list whose version number only one of
    them records (``from``: unknown in *a*; ``to``: unknown in *b*); their ``version`` is not compared.
    """
    fields: dict[str, Any] = {}

    def scalar(name: str, old: Any, new: Any) -> None:
        if old != new:
            fields[name] = {"from": old, "to": new}

    scalar("arch", a.arch, b.arch)
    scalar("libc", f"{a.libc} {a.libc_version_text}", f"{b.libc} {b.libc_version_text}")
    scalar("os", " ".join(x for x in (a.os_id, a.os_version) if x) or None,
           " ".join(x for x in (b.os_id, b.os_version) if x) or None)
    scalar("page_size", a.page_size, b.page_size)
    scalar("x86_isa_level", a.x86_isa_level, b.x86_isa_level)
    scalar("refuses_exec_stack", a.refuses_exec_stack, b.refuses_exec_stack)
    scalar("policy_tag", a.policy_tag, b.policy_tag)
    scalar("max_unzipped_bytes", a.limits.max_unzipped_bytes, b.limits.max_unzipped_bytes)
    scalar("max_zipped_bytes", a.limits.max_zipped_bytes, b.limits.max_zipped_bytes)
    if a.library_paths != b.library_paths:
        fields["library_paths"] = {"from": list(a.library_paths), "to": list(b.library_paths)}
    if a.artifact_roots != b.artifact_roots:
        fields["artifact_roots"] = {"from": list(a.artifact_roots), "to": list(b.artifact_roots)}
    pa, pb = _python_summary(a.python), _python_summary(b.python)
    if pa != pb:
        fields["python"] = {"from": pa, "to": pb}

    lost = sorted(set(a.libraries) - set(b.libraries))
    gained = sorted(set(b.libraries) - set(a.libraries))
    changed: dict[str, Any] = {}
    # A library version one profile does not record (a capture reads no version numbers but glibc's) is
    # unknown, not different: "2.31 -> None" would read as a downgrade. Those are listed apart.
    unknown: dict[str, list[str]] = {"from": [], "to": []}
    for soname in sorted(set(a.libraries) & set(b.libraries)):
        la, lb = a.libraries[soname], b.libraries[soname]
        if (la.version is None) != (lb.version is None):
            unknown["from" if la.version is None else "to"].append(soname)
        entry: dict[str, Any] = {}
        if la.version is not None and lb.version is not None and la.version != lb.version:
            entry["version"] = {"from": la.version, "to": lb.version}
        if la.versions - lb.versions:
            entry["nodes_lost"] = sorted(la.versions - lb.versions, key=node_key)
        if lb.versions - la.versions:
            entry["nodes_gained"] = sorted(lb.versions - la.versions, key=node_key)
        # Other file names the loader finds the library under: a DT_NEEDED naming one of A's that B lacks
        # stops loading (a versioned real file such as libc-2.31.so, gone since glibc 2.34).
        if la.files - lb.files:
            entry["files_lost"] = sorted(la.files - lb.files)
        if lb.files - la.files:
            entry["files_gained"] = sorted(lb.files - la.files)
        ma, mb = _prefix_max(la.versions), _prefix_max(lb.versions)
        tops = {p: {"from": ma.get(p), "to": mb.get(p)} for p in sorted(set(ma) | set(mb)) if ma.get(p) != mb.get(p)}
        if tops:
            entry["max"] = tops
        if entry:
            changed[soname] = entry
    out: dict[str, Any] = {"from": a.id, "to": b.id}
    out["fields"] = fields
    out["libraries_lost"] = lost
    out["libraries_gained"] = gained
    out["libraries_changed"] = changed
    out["library_version_unknown"] = {side: names for side, names in unknown.items() if names}
    out["identical"] = not (fields or lost or gained or changed or unknown["from"] or unknown["to"])
    return out


def _nodes_text(nodes: list[str]) -> str:
    if len(nodes) <= 6:
        return ", ".join(nodes)
    return f"{', '.join(nodes[:3])} … {', '.join(nodes[-2:])} ({len(nodes)} nodes)"


#: fields whose ``None`` means "the profile does not say", not "there is none".
_UNRECORDED_WHEN_NONE = frozenset({"os", "x86_isa_level"})


def _word(value: Any, name: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(not recorded)" if name in _UNRECORDED_WHEN_NONE else "none"
    return str(value)


def render_diff_text(diff: dict[str, Any]) -> str:
    """Human-readable lines; what can break (lost, lowered) comes before what is gained."""
    lines = [f"{diff['from']} -> {diff['to']}"]
    if diff["identical"]:
        lines.append("  no differences")
        return "\n".join(lines) + "\n"
    fields = diff["fields"]
    for name in ("arch", "libc", "os", "page_size", "x86_isa_level", "refuses_exec_stack", "policy_tag",
                 "max_unzipped_bytes", "max_zipped_bytes"):
        if name in fields:
            old_word, new_word = _word(fields[name]["from"], name), _word(fields[name]["to"], name)
            lines.append(f"  {name}: {old_word} -> {new_word}")
    if "python" in fields:
        old, new = fields["python"]["from"], fields["python"]["to"]
        lines.append(f"  python: {old['version'] if old else 'none'} -> {new['version'] if new else 'none'}")
        if old and new:
            if old["extension_suffixes"][:1] != new["extension_suffixes"][:1]:
                lines.append(f"    extension suffix: {old['extension_suffixes'][0]} -> {new['extension_suffixes'][0]}")
            if old["best_platform_tag"] != new["best_platform_tag"]:
                lines.append(f"    best platform tag: {old['best_platform_tag']} -> {new['best_platform_tag']}")
            if old["shared_libpython"] != new["shared_libpython"]:
                lines.append(f"    shared libpython: {old['shared_libpython']} -> {new['shared_libpython']}")
    if "library_paths" in fields:
        lines.append(f"  library_paths: {':'.join(fields['library_paths']['from'])}")
        lines.append(f"              -> {':'.join(fields['library_paths']['to'])}")
    if "artifact_roots" in fields:
        lines.append(f"  artifact_roots: {', '.join(fields['artifact_roots']['from']) or 'none'} -> "
                     f"{', '.join(fields['artifact_roots']['to']) or 'none'}")
    if diff["libraries_lost"]:
        lines.append(f"  libraries lost ({len(diff['libraries_lost'])}): {', '.join(diff['libraries_lost'])}")
    if diff["libraries_gained"]:
        lines.append(f"  libraries gained ({len(diff['libraries_gained'])}): {', '.join(diff['libraries_gained'])}")
    libc = fields.get("libc")
    for soname, entry in diff["libraries_changed"].items():
        # glibc's own libraries carry the glibc version: where nothing but their version and file names
        # changed, the version repeats the libc line.
        repeats = (libc is not None and "version" in entry and f"glibc {entry['version']['to']}" == libc["to"]
                   and set(entry) <= {"version", "files_lost", "files_gained"})
        if repeats and set(entry) == {"version"}:
            continue
        parts = []
        if "version" in entry and not repeats:
            parts.append(f"version {entry['version']['from']} -> {entry['version']['to']}")
        for prefix, top in entry.get("max", {}).items():
            parts.append(f"max {top['from'] or prefix + ' (none)'} -> {top['to'] or prefix + ' (none)'}")
        details = [(label, entry[key]) for key, label in (("nodes_lost", "lost"), ("nodes_gained", "gained"),
                                                          ("files_lost", "files lost"),
                                                          ("files_gained", "files gained")) if key in entry]
        if not parts and "nodes_lost" not in entry and "nodes_gained" not in entry:
            # Only other file names changed: one line says it all.
            said = "; ".join(f"{label} {_nodes_text(names)}" for label, names in details)
            lines.append(f"  {soname}: {said}")
            continue
        lines.append(f"  {soname}: {'; '.join(parts) if parts else 'version nodes changed'}")
        lines += [f"    {label}: {_nodes_text(names)}" for label, names in details]
    for side, names in diff["library_version_unknown"].items():
        lines.append(f"  library version not recorded in {diff[side]} ({len(names)}): {', '.join(names)}")
    return "\n".join(lines) + "\n"


def render_diff_json(diff: dict[str, Any]) -> str:
    """The diff as indented JSON."""
    return json.dumps(diff, indent=2, ensure_ascii=False) + "\n"
