"""Version-node sets *derived* from a library's version number, for profiles that were not read from files.

Pure functions over static tables, no I/O. A built-in profile says "glibc 2.34" or "GCC 11.3"; the rules
need the node names the real ``libc.so.6`` or ``libstdc++.so.6`` of that release defines, for the target's
architecture (``GLIBC_2.16`` exists on x86_64 but not on aarch64, whose first node is ``GLIBC_2.17``).

* glibc: ``abigate._glibc_data`` (generated from glibc's ``*.abilist`` files by
  ``scripts/gen_glibc_versions.py``) for libc, libm, libpthread, libdl, librt, libutil, libresolv and the
  loader; ``abigate._glibc_libs`` (``scripts/gen_glibc_libs.py``, glibc's own abilists) for libmvec, libanl,
  libnsl, libBrokenLocale, libthread_db, libc_malloc_debug, the NSS modules and libcrypt, each only in the
  releases that build it; plus the ``GLIBC_ABI_DT_RELR`` marker of glibc >= 2.36 (docs/loader.md#marker-version-nodes-and-dt_relr) and the
  nodes measured on real files that the lists lack (``_EMPTY_NODES``, ``_MERGE_NODES``).
  ``GLIBC_PRIVATE`` is left out on purpose: its contents change with every build, so a derived profile cannot
  promise it (docs/loader.md#symbol-versions).
* libstdc++ / libgcc_s: GCC release → highest ``GLIBCXX``/``CXXABI``/``GCC`` node (docs/runtimes.md#gcc-runtime-versions).
* zlib: the ``ZLIB_*`` nodes by zlib release (read from Debian 12's ``libz.so.1`` 1.2.13).

Sets derived here are marked ``exact=False`` in the profile: rules may say "derived" in their findings.
"""

from __future__ import annotations

from abigate._glibc_data import LATEST_RELEASE, NODES
from abigate._glibc_libs import NODES as _MORE_NODES
from abigate.symver import parse_node, parse_version

__all__ = [
    "GLIBC_FAMILY",
    "cap_nodes",
    "gcc_libgcc_nodes",
    "gcc_libstdcxx_nodes",
    "glibc_has_library",
    "glibc_known_arches",
    "glibc_nodes",
    "glibc_sonames",
    "known_nodes",
    "zlib_nodes",
]

#: libraries that belong to glibc (besides the per-arch dynamic loader). The first seven are in
#: ``_glibc_data`` (Zig's tables); the rest in ``_glibc_libs`` (glibc's abilists, scripts/gen_glibc_libs.py).
GLIBC_FAMILY = (
    "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1", "libresolv.so.2",
    "libanl.so.1", "libnsl.so.1", "libBrokenLocale.so.1", "libthread_db.so.1", "libc_malloc_debug.so.0",
    "libmvec.so.1", "libcrypt.so.1", "libnss_files.so.2", "libnss_dns.so.2", "libnss_compat.so.2",
    "libnss_hesiod.so.2",
)

#: releases a library exists in, where that is not "always": glibc 2.34 split the malloc debugging hooks
#: into libc_malloc_debug (NEWS 2.34); 2.38 stopped building libcrypt by default and 2.39 deleted it
#: (docs/loader.md#c-fortran-and-openmp-runtimes). libmvec starts with its first node on each arch (x86_64 2.22, aarch64 2.38).
_SINCE: dict[str, tuple[int, int]] = {"libc_malloc_debug.so.0": (2, 34)}
_UNTIL: dict[str, tuple[int, int]] = {"libcrypt.so.1": (2, 38)}

#: nodes real files define that the generated tables miss, measured on Debian's libc6 2.31 / 2.36 / 2.41
#: (amd64, arm64) and checked against glibc 2.43's abilists: (soname or "ld", node, first release).
#: x86_64's ``GLIBC_2.4`` of ld.so and libm has no symbols (an empty node); glibc 2.34 moved
#: ``pthread_clockjoin_np@GLIBC_2.31`` from libpthread into libc and gave every loader the placeholder
#: ``__rtld_version_placeholder@GLIBC_2.34`` (only arches older than 2.34, i.e. with libpthread nodes).
_EMPTY_NODES: dict[str, tuple[tuple[str, str, tuple[int, int]], ...]] = {
    "x86_64": (("ld", "GLIBC_2.4", (2, 4)), ("libm.so.6", "GLIBC_2.4", (2, 4))),
}
_MERGE_NODES: tuple[tuple[str, str, tuple[int, int]], ...] = (
    ("libc.so.6", "GLIBC_2.31", (2, 34)), ("ld", "GLIBC_2.34", (2, 34)),
)


def _supplement(arch: str, soname: str, release: tuple[int, ...]) -> set[str]:
    """Nodes of *soname* in glibc *release* on *arch* that the abilist-derived tables lack."""
    arch_nodes = NODES.get(arch, {})
    key = "ld" if soname.startswith("ld") and soname in arch_nodes else soname
    rows = list(_EMPTY_NODES.get(arch, ()))
    if "GLIBC_2.31" in arch_nodes.get("libpthread.so.0", ()):
        rows += _MERGE_NODES
    return {node for name, node, since in rows if name == key and release >= since}

# GCC (major, minor) → (max GLIBCXX 3.4.x patch, max CXXABI 1.3.x patch); docs/runtimes.md#gcc-runtime-versions (abi.xml, measured).
_GCC_LIBSTDCXX: tuple[tuple[tuple[int, int], int, int], ...] = (
    ((4, 8), 18, 7), ((4, 9), 20, 8), ((5, 1), 21, 9), ((6, 1), 22, 10), ((7, 1), 23, 11), ((7, 2), 24, 11),
    ((8, 1), 25, 11), ((9, 1), 26, 12), ((9, 2), 27, 12), ((9, 3), 28, 12), ((10, 1), 28, 12), ((11, 1), 29, 13),
    ((12, 1), 30, 13), ((13, 1), 31, 14), ((13, 2), 32, 14), ((14, 1), 33, 15), ((15, 1), 34, 15), ((16, 1), 36, 17),
)
# CXXABI_1.3.16 was never defined on amd64 (GCC 16.2 measured, docs/runtimes.md#gcc-runtime-versions).
_CXXABI_SKIPPED = frozenset({16})

# libgcc_s nodes with the GCC major that introduced them; x86_64 measured on Debian 12 (GCC 12.2) plus
# GCC_13.0.0 / GCC_14.0.0 from GCC 14.2 (docs/runtimes.md#gcc-runtime-versions). aarch64: GCC_11.0 and GCC_14.0 measured by name only.
_LIBGCC_COMMON: tuple[tuple[str, int], ...] = (
    ("GCC_3.0", 3), ("GCC_3.3", 3), ("GCC_3.3.1", 3), ("GCC_3.4", 3), ("GCC_3.4.2", 3), ("GCC_3.4.4", 3),
    ("GCC_4.0.0", 4), ("GCC_4.2.0", 4), ("GCC_4.3.0", 4), ("GCC_4.7.0", 4), ("GCC_7.0.0", 7),
)
_LIBGCC_ARCH: dict[str, tuple[tuple[str, int], ...]] = {
    "x86_64": (("GCC_4.8.0", 4), ("GCC_12.0.0", 12), ("GCC_13.0.0", 13), ("GCC_14.0.0", 14)),
    "aarch64": (("GCC_11.0", 11), ("GCC_12.0.0", 12), ("GCC_13.0.0", 13), ("GCC_14.0.0", 14), ("GCC_14.0", 14)),
}

# zlib symbol-version nodes with the zlib release that introduced each (libz.so.1 1.2.13 on Debian 12).
_ZLIB = (
    "ZLIB_1.2.0", "ZLIB_1.2.0.2", "ZLIB_1.2.0.8", "ZLIB_1.2.2", "ZLIB_1.2.2.3", "ZLIB_1.2.2.4", "ZLIB_1.2.3.3",
    "ZLIB_1.2.3.4", "ZLIB_1.2.3.5", "ZLIB_1.2.5.1", "ZLIB_1.2.5.2", "ZLIB_1.2.7.1", "ZLIB_1.2.9", "ZLIB_1.2.12",
)


def glibc_known_arches() -> tuple[str, ...]:
    """Architectures the glibc tables cover."""
    return tuple(sorted(NODES))


def glibc_sonames(arch: str) -> tuple[str, ...]:
    """The glibc libraries of *arch* (``libc.so.6`` … and the dynamic loader), or ``()`` if unknown."""
    return tuple(sorted({*NODES.get(arch, {}), *_MORE_NODES.get(arch, {})}))


def _table(arch: str, soname: str) -> tuple[str, ...] | None:
    table = NODES.get(arch, {}).get(soname)
    return table if table is not None else _MORE_NODES.get(arch, {}).get(soname)


def glibc_has_library(arch: str, soname: str, version: tuple[int, ...]) -> bool:
    """True when glibc *version* builds *soname* on *arch* (``libmvec.so.1`` on aarch64 only from 2.38).

    >>> glibc_has_library("x86_64", "libmvec.so.1", (2, 31))
    True
    >>> glibc_has_library("aarch64", "libmvec.so.1", (2, 36))
    False
    """
    table = _table(arch, soname)
    if table is None:
        return False
    release = tuple(version[:2])
    if soname in _SINCE and release < _SINCE[soname]:
        return False
    if soname in _UNTIL and release > _UNTIL[soname]:
        return False
    if soname == "libmvec.so.1" and table and parse_node(table[0]).numbers[:2] > release:
        return False
    return True


def glibc_nodes(arch: str, soname: str, version: tuple[int, ...]) -> frozenset[str] | None:
    """The version nodes glibc *version* defines in *soname* on *arch*; ``None`` when the tables lack them.

    >>> "GLIBC_2.16" in glibc_nodes("x86_64", "libc.so.6", (2, 34))
    True
    >>> "GLIBC_2.16" in glibc_nodes("aarch64", "libc.so.6", (2, 34))
    False
    >>> max(glibc_nodes("x86_64", "libc.so.6", (2, 31)), key=lambda n: parse_node(n).numbers)
    'GLIBC_2.30'
    """
    table = _table(arch, soname)
    if table is None or not glibc_has_library(arch, soname, version):
        return None
    release = tuple(version[:2])
    out = {name for name in table if parse_node(name).numbers[:3] <= _pad(release)}
    out |= _supplement(arch, soname, release)
    if soname == "libc.so.6" and release >= (2, 36):
        out.add("GLIBC_ABI_DT_RELR")
    return frozenset(out)


def _pad(release: tuple[int, ...]) -> tuple[int, ...]:
    # GLIBC_2.2.5 must sort below release (2, 3): compare (2, 2, 5) with (2, 3, 99).
    return (*release, 99)


def glibc_release_known(version: tuple[int, ...]) -> bool:
    """True when *version* is not newer than the newest release in the tables."""
    return tuple(version[:2]) <= LATEST_RELEASE


def gcc_libstdcxx_nodes(gcc: tuple[int, ...], arch: str = "x86_64") -> frozenset[str] | None:
    """``GLIBCXX_*``/``CXXABI_*`` nodes of the ``libstdc++.so.6`` shipped with GCC *gcc*; ``None`` before 4.8.

    ``CXXABI_TM_1`` (GCC >= 4.7) is included; ``CXXABI_FLOAT128`` only on x86_64 (GCC >= 5).
    """
    key = tuple(gcc[:2]) if len(gcc) >= 2 else (gcc[0], 0)
    best: tuple[int, int] | None = None
    for release, glibcxx, cxxabi in _GCC_LIBSTDCXX:
        if release <= key:
            best = (glibcxx, cxxabi)
    if best is None:
        return None
    glibcxx, cxxabi = best
    out = {"GLIBCXX_3.4"} | {f"GLIBCXX_3.4.{n}" for n in range(1, glibcxx + 1)}
    out |= {"CXXABI_1.3"} | {f"CXXABI_1.3.{n}" for n in range(1, cxxabi + 1) if n not in _CXXABI_SKIPPED}
    out.add("CXXABI_TM_1")
    if arch == "x86_64" and key >= (5, 1):
        out.add("CXXABI_FLOAT128")
    return frozenset(out)


def gcc_libgcc_nodes(gcc: tuple[int, ...], arch: str = "x86_64") -> frozenset[str]:
    """``GCC_*`` nodes of ``libgcc_s.so.1`` from GCC *gcc* (major version decides)."""
    major = gcc[0]
    extra = _LIBGCC_ARCH.get(arch, ())
    return frozenset(name for name, since in (*_LIBGCC_COMMON, *extra) if since <= major)


def zlib_nodes(version: tuple[int, ...]) -> frozenset[str]:
    """``ZLIB_*`` nodes of ``libz.so.1`` for zlib *version* (e.g. ``(1, 2, 13)``)."""
    return frozenset(name for name in _ZLIB if parse_node(name).numbers <= tuple(version))


def known_nodes(soname: str, arch: str) -> frozenset[str]:
    """Every node abigate's tables know for *soname* on *arch* (used to expand ``max_versions`` ceilings)."""
    if _table(arch, soname) is not None:
        last = min(LATEST_RELEASE, _UNTIL.get(soname, LATEST_RELEASE))
        return glibc_nodes(arch, soname, last) or frozenset()
    if soname == "libstdc++.so.6":
        return gcc_libstdcxx_nodes((99, 0), arch) or frozenset()
    if soname == "libgcc_s.so.1":
        return gcc_libgcc_nodes((99,), arch)
    if soname == "libz.so.1":
        return frozenset(_ZLIB)
    return frozenset()


def cap_nodes(known: frozenset[str], ceilings: tuple[str, ...]) -> frozenset[str]:
    """The nodes of *known* at or below a ceiling of the same prefix, plus marker ceilings as given.

    ``cap_nodes(libstdc++ nodes, ("GLIBCXX_3.4.19", "CXXABI_1.3.7", "CXXABI_TM_1"))`` is what a policy
    that allows "up to GLIBCXX_3.4.19 and CXXABI_1.3.7" provides. A ceiling whose exact node is unknown
    still counts (the tables may be older than the ceiling).
    """
    caps = {}
    out: set[str] = set()
    for name in ceilings:
        node = parse_node(name)
        if node.is_marker:
            out.add(name)
        else:
            caps[node.prefix] = node.numbers
            out.add(name)
    for name in known:
        node = parse_node(name)
        if not node.is_marker and node.prefix in caps and node.numbers <= caps[node.prefix]:
            out.add(name)
    return frozenset(out)


def parse_gcc(text: str) -> tuple[int, ...]:
    """``"12.2.0"`` → ``(12, 2, 0)`` (a thin alias of :func:`abigate.symver.parse_version`)."""
    return parse_version(text)
