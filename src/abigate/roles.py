"""What each native file of an artifact is *for*: imported, loaded, run, or none of these. Pure, no I/O.

A rule must judge a file by how the target will use it, and the evidence for that is in the file and in
the artifact around it, never in the host:

``extension``
    CPython imports it: an extension-module suffix (``.cpython-312-x86_64-linux-gnu.so``, ``.abi3.so``, or a
    bare ``.so`` that exports an entry point) *and* evidence that it talks to CPython — it exports a
    ``PyInit_``/``PyModExport_`` function or imports C-API symbols (``Py*``, ``_Py*``). The ``__init__``
    file of a package (``apsw/__init__.cpython-311-….so``) is imported as the package itself.
``ctypes``
    named like an extension module but with neither export nor C-API import: pycryptodome's
    ``Crypto/Cipher/_raw_aes.abi3.so`` is loaded with ``ctypes``/cffi, and CPython's import rules (suffix,
    ``PyInit_``) do not apply to it.
``library``
    another native file of the artifact names it in ``DT_NEEDED`` (by file name or by ``DT_SONAME``): it is
    loaded as a dependency.
``program``
    an executable (``ET_EXEC``, or a position-independent executable) that is run, not loaded. Programs
    shipped in wheels (test binaries, command-line tools) are often started by a wrapper that sets
    ``LD_LIBRARY_PATH``, so their bundled-library search is not the whole story.
``plugin``
    any other shared object: nothing in the artifact names it, so it is loaded by path at run time (Qt
    plugins, ``ctypes.CDLL("libfoo.so")``).
``object``
    not loadable at all (a relocatable ``.o``, a core file): nothing loads or runs it.

Mach-O and PE files get no role: no Linux target loads them (the architecture rules say so).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Literal

from abigate.facts import ArtifactFacts, NativeFile

__all__ = [
    "ROLES", "Role", "assign_roles", "has_python_evidence", "init_name", "is_importable_extension",
]

Role = Literal["extension", "ctypes", "library", "program", "plugin", "object"]

#: every role, in the order reports list them.
ROLES: tuple[Role, ...] = ("extension", "ctypes", "library", "program", "plugin", "object")


def has_python_evidence(nf: NativeFile) -> bool:
    """Whether *nf* exports a module entry point or imports CPython's C API."""
    elf = nf.elf
    if elf is None:
        return False
    if elf.python_init_exports:
        return True
    return any(sym.startswith(("Py", "_Py")) for sym in elf.unversioned_imports)


def _extension_named(nf: NativeFile) -> bool:
    """Named like a module CPython could import, outside auditwheel's ``*.libs/`` folders."""
    ext = nf.extension
    if ext is None or ext.kind == "windows":
        return False
    return not any(part.endswith(".libs") for part in nf.member.split("/")[:-1])


def is_importable_extension(nf: NativeFile) -> bool:
    """Whether Python would import *nf* as an extension module.

    A versioned or abi3 suffix counts when the file shows it is written for CPython (an exported
    ``PyInit_``/``PyModExport_`` or a C-API import); a bare ``name.so`` counts only when it exports an entry
    point, because bundled libraries (``torch/lib/libtorch.so``) are bare ``.so`` files too. Nothing under a
    ``*.libs/`` folder (where auditwheel grafts libraries) is importable.
    """
    if not _extension_named(nf) or nf.elf is None:
        return False
    assert nf.extension is not None
    if nf.extension.kind == "bare":
        return bool(nf.elf.python_init_exports)
    return has_python_evidence(nf)


def init_name(nf: NativeFile) -> str | None:
    """The last part of the name CPython imports *nf* under, which its ``PyInit_<name>`` must match.

    ``pkg/_x.cpython-312-….so`` → ``_x``; a package's ``apsw/__init__.cpython-311-….so`` is the package
    ``apsw`` (``FileFinder`` looks for ``__init__`` with every loader's suffix, extension suffixes included).
    """
    ext = nf.extension
    if ext is None:
        return None
    if ext.module == "__init__":
        parent = posixpath.basename(posixpath.dirname(nf.member))
        return parent or None
    return ext.module


def assign_roles(artifact: ArtifactFacts) -> Mapping[str, Role]:
    """The role of every ELF file of *artifact* (not of its nested artifacts), by member path."""
    elves = [nf for nf in artifact.native_files if nf.elf is not None]
    wanted: set[str] = set()
    for nf in elves:
        assert nf.elf is not None
        wanted.update(nf.elf.needed)
    roles: dict[str, Role] = {}
    for nf in sorted(elves, key=lambda f: f.member):
        elf = nf.elf
        assert elf is not None
        role: Role
        if is_importable_extension(nf):
            role = "extension"
        elif posixpath.basename(nf.member) in wanted or (elf.soname is not None and elf.soname in wanted):
            role = "library"
        elif elf.type in ("executable", "pie"):
            role = "program"
        elif _extension_named(nf):
            role = "ctypes"
        elif elf.type == "shared":
            role = "plugin"
        else:
            role = "object"
        roles[nf.member] = role
    return roles
