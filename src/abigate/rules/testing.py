"""Builders for facts and profiles in tests: rules are tested with facts in, findings out, no files.

Used by abigate's own tests and usable by anyone writing a rule::

    from abigate.rules.testing import artifact, elf, glibc_profile, native, need
    facts = artifact("fn.zip", [native("pkg/_x.cpython-311-x86_64-linux-gnu.so",
                                       elf(needed=("libc.so.6",), version_needs=(need("libc.so.6", "GLIBC_2.34", "dlopen"),)))])
    findings = evaluate(facts, glibc_profile(version=(2, 26)))

Defaults describe a well-formed x86-64 glibc shared object, so each test states only what it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from abigate._records import replace
from abigate.facts import (
    ArtifactFacts,
    ArtifactKind,
    Distribution,
    ElfFacts,
    LoadSegment,
    NativeFile,
    Problem,
    VersionDef,
    VersionNeed,
    WheelInfo,
)
from abigate.profile import Library, Limits, Profile, PythonRuntime
from abigate.pyabi import extension_suffixes, multiarch, parse_extension_name, platform_tags, python_tags

__all__ = [
    "artifact",
    "elf",
    "glibc_nodes",
    "glibc_profile",
    "musl_profile",
    "native",
    "need",
    "python_runtime",
    "vdef",
]

_ARCH = {"x86_64": (62, 64), "aarch64": (183, 64), "i686": (3, 32), "armv7l": (40, 32)}
_LDSO = {"x86_64": "ld-linux-x86-64.so.2", "aarch64": "ld-linux-aarch64.so.1", "i686": "ld-linux.so.2"}


def need(library: str, version: str, *symbols: str, weak: bool = False, index: int = 2) -> VersionNeed:
    """A ``VersionNeed`` of *library* for *version*, bound to *symbols*."""
    return VersionNeed(
        library=library, version=version, hash=0, weak=weak, index=index, symbols=tuple(sorted(symbols))
    )


def vdef(name: str, index: int = 2, *, base: bool = False) -> VersionDef:
    """A ``VersionDef`` named *name* (``base=True`` for the soname entry)."""
    return VersionDef(name=name, index=index, flags=1 if base else 0, hash=0)


def elf(arch: str = "x86_64", **overrides: Any) -> ElfFacts:
    """An ``ElfFacts`` for a clean shared object of *arch*; keyword arguments replace fields."""
    machine, bits = _ARCH.get(arch, (0, 64))
    fields: dict[str, Any] = {
        "elf_class": bits,
        "byte_order": "little",
        "machine": machine,
        "arch": arch,
        "flags": 0,
        "osabi": 0,
        "abi_version": 0,
        "ident_version": 1,
        "version": 1,
        "nonzero_padding": False,
        "type": "shared",
        "e_type": 3,
        "has_dynamic": True,
        "libc": "glibc",
        "gnu_stack_flags": 6,
        "load_segments": (
            LoadSegment(offset=0, vaddr=0, filesz=0x1000, memsz=0x1000, align=0x10000, flags=5),
            LoadSegment(offset=0x1000, vaddr=0x11000, filesz=0x100, memsz=0x200, align=0x10000, flags=6),
        ),
    }
    fields.update(overrides)
    # Keep version_needs consistent with needed unless the test says otherwise.
    if "needed" not in overrides and fields.get("version_needs"):
        fields["needed"] = tuple(
            dict.fromkeys(n.library for n in fields["version_needs"] if not n.library.startswith("ld-"))
        )
    return ElfFacts(**fields)


def native(
    member: str, facts: ElfFacts | None = None, *, artifact: str = "dist/demo.whl", **overrides: Any
) -> NativeFile:
    """A ``NativeFile`` at *member* of *artifact*; ELF facts default to :func:`elf`."""
    fields: dict[str, Any] = {
        "path": f"{artifact}!{member}",
        "member": member,
        "size": 4096,
        "kind": "elf",
        "elf": facts if facts is not None or overrides.get("kind", "elf") != "elf" else elf(),
        "extension": parse_extension_name(member),
    }
    fields.update(overrides)
    return NativeFile(**fields)


def artifact(
    path: str,
    files: Sequence[NativeFile] = (),
    *,
    kind: ArtifactKind = "wheel",
    members: Iterable[str] = (),
    problems: Sequence[Problem] = (),
    distributions: Sequence[Distribution] = (),
    wheel: WheelInfo | None = None,
    **overrides: Any,
) -> ArtifactFacts:
    """An ``ArtifactFacts`` holding *files* (their paths are re-rooted under *path*)."""
    rooted = tuple(replace(nf, path=f"{path}!{nf.member}") for nf in files)
    all_members = tuple(sorted(set(members) | {nf.member for nf in rooted}))
    return ArtifactFacts(
        path=path,
        kind=kind,
        native_files=rooted,
        members=all_members,
        problems=tuple(problems),
        distributions=tuple(distributions),
        wheel=wheel,
        member_count=len(all_members),
        total_size=sum(nf.size for nf in rooted),
        **overrides,
    )


def glibc_nodes(minor: int, arch: str = "x86_64") -> frozenset[str]:
    """``GLIBC_`` nodes of glibc 2.*minor* (as a derived set: the baseline node and each release to *minor*)."""
    if arch == "x86_64":
        nodes = {"GLIBC_2.2.5"} | {f"GLIBC_2.{m}" for m in range(3, minor + 1)}
    elif arch == "i686":
        nodes = {f"GLIBC_2.{m}" for m in range(0, minor + 1)}
    else:
        nodes = {f"GLIBC_2.{m}" for m in range(17, minor + 1)}
    if minor >= 36:
        nodes.add("GLIBC_ABI_DT_RELR")
    return frozenset(nodes)


def python_runtime(
    version: tuple[int, int],
    arch: str,
    libc: str,
    libc_version: tuple[int, ...],
    *,
    free_threaded: bool = False,
) -> PythonRuntime:
    """A target interpreter with suffixes and tags computed for the target (never the host)."""
    return PythonRuntime(
        version=version,
        free_threaded=free_threaded,
        extension_suffixes=extension_suffixes(
            version, multiarch=multiarch(arch, libc, version), free_threaded=free_threaded
        ),
        tags=python_tags(version, platform_tags(arch, libc, libc_version), free_threaded=free_threaded),
    )


def glibc_profile(
    id: str = "test-glibc",
    *,
    version: tuple[int, int] = (2, 26),
    arch: str = "x86_64",
    python: tuple[int, int] | None = (3, 11),
    free_threaded: bool = False,
    glibcxx: int = 24,
    extra: Mapping[str, Library] | None = None,
    exact: bool = False,
    **overrides: Any,
) -> Profile:
    """A glibc target with derived version sets: libc, libm, libdl, libpthread, librt, ld.so, libgcc_s, libstdc++, libz."""
    glibc = glibc_nodes(version[1], arch)
    libs = {
        name: Library(soname=name, versions=glibc, exact=exact, version=f"{version[0]}.{version[1]}")
        for name in (
            "libc.so.6",
            "libm.so.6",
            "libdl.so.2",
            "libpthread.so.0",
            "librt.so.1",
            _LDSO.get(arch, "ld-linux.so.2"),
        )
    }
    libs["libgcc_s.so.1"] = Library(
        soname="libgcc_s.so.1", versions=frozenset({"GCC_3.0", "GCC_4.2.0", "GCC_7.0.0"})
    )
    libs["libstdc++.so.6"] = Library(
        soname="libstdc++.so.6",
        versions=frozenset(
            {f"GLIBCXX_3.4.{n}" for n in range(glibcxx + 1)} | {"GLIBCXX_3.4", "CXXABI_1.3", "CXXABI_1.3.11"}
        ),
        version=f"6.0.{glibcxx}",
    )
    libs["libz.so.1"] = Library(soname="libz.so.1")
    libs.update(extra or {})
    fields: dict[str, Any] = {
        "id": id,
        "title": f"test glibc {version[0]}.{version[1]} {arch}",
        "kind": "os",
        "arch": arch,
        "libc": "glibc",
        "libc_version": version,
        "libraries": MappingProxyType(libs),
        "pythons": (python_runtime(python, arch, "glibc", version, free_threaded=free_threaded),)
        if python
        else (),
        "x86_isa_level": 1 if arch == "x86_64" else None,
        "refuses_exec_stack": version >= (2, 41),
        "limits": Limits(),
    }
    fields.update(overrides)
    return Profile(**fields)


def musl_profile(
    id: str = "test-musl",
    *,
    version: tuple[int, ...] = (1, 2, 3),
    arch: str = "x86_64",
    python: tuple[int, int] | None = (3, 12),
    **overrides: Any,
) -> Profile:
    """A musl target (Alpine-like): one ``libc.so`` (plus the loader name), unversioned libraries."""
    loader = f"libc.musl-{arch}.so.1"
    libs = {n: Library(soname=n) for n in ("libc.so", loader, "libz.so.1")}
    fields: dict[str, Any] = {
        "id": id,
        "title": f"test musl {'.'.join(map(str, version))} {arch}",
        "kind": "os",
        "arch": arch,
        "libc": "musl",
        "libc_version": version,
        "libraries": MappingProxyType(libs),
        "pythons": (python_runtime(python, arch, "musl", version),) if python else (),
    }
    fields.update(overrides)
    return Profile(**fields)
