"""ABG2xx — libc flavour and symbol versions: what each file requires from each library, against who provides it.

The provider of a library is decided by ``abigate.resolve``: a file bundled in the artifact is judged by its
own ``.gnu.version_d``; a system library by the profile's version set. Semantics of a profile set ``S`` for
one library (``abigate.profile.Library``):

* a needed node ``N`` is there iff ``N ∈ S``;
* when ``S`` was *derived* from a version number (``exact=False``) and ``N`` is numbered with a prefix that
  ``S`` has, ``N`` is there iff it is not newer than the newest node of that prefix (the derivation may skip
  nodes that exist);
* when ``S`` has no node with ``N``'s prefix and was derived, nothing can be said: ABG206 reports that as
  information instead of claiming a failure.

Every missing node is reported (glibc names only the first one it meets in ``.gnu.version_r`` order), with
the symbols bound to it and the lowest target that would satisfy it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Literal, cast

from abigate.facts import NativeFile, VersionNeed
from abigate.profile import Library, Profile
from abigate.rules._base import Context, Severity, Violation, rule
from abigate.symver import format_version, max_node, node_key, parse_node

__all__ = [
    "bundled_version_missing",
    "glibc_private",
    "is_libc_name",
    "libc_mismatch",
    "missing_marker",
    "missing_version",
    "node_status",
    "unsupported_relr",
    "unverifiable_versions",
    "unversioned_provider",
    "weak_version_missing",
    "wrong_libc",
]

Status = Literal["ok", "missing", "unknown", "unversioned"]

#: libraries that glibc's libc provides and musl's single libc.so replaces (docs/loader.md#glibc-or-musl).
_LIBC_NAMES = re.compile(
    r"^(lib(c|pthread|rt|m|dl|util|xnet|resolv|anl|crypt)\.so(\.\d+)*|ld-linux[-\w.]*\.so\.\d+|ld64\.so\.\d+)$"
)
#: (prefix, highest node) → the GCC release that introduced it, for hints
#: (docs/runtimes.md#gcc-runtime-versions).
_GCC_FOR: dict[str, dict[tuple[int, ...], str]] = {
    "GLIBCXX": {
        (3, 4, 19): "4.8.3",
        (3, 4, 20): "4.9",
        (3, 4, 21): "5",
        (3, 4, 22): "6",
        (3, 4, 23): "7.1",
        (3, 4, 24): "7.2",
        (3, 4, 25): "8",
        (3, 4, 26): "9.1",
        (3, 4, 27): "9.2",
        (3, 4, 28): "9.3",
        (3, 4, 29): "11",
        (3, 4, 30): "12",
        (3, 4, 31): "13.1",
        (3, 4, 32): "13.2",
        (3, 4, 33): "14",
        (3, 4, 34): "15",
        (3, 4, 35): "16",
        (3, 4, 36): "16",
    },
    "CXXABI": {
        (1, 3, 8): "4.9",
        (1, 3, 9): "5",
        (1, 3, 10): "6",
        (1, 3, 11): "7",
        (1, 3, 12): "9",
        (1, 3, 13): "11",
        (1, 3, 14): "13",
        (1, 3, 15): "14",
        (1, 3, 16): "16",
        (1, 3, 17): "16",
    },
}
#: marker nodes whose presence depends on the distribution's patch level
#: (docs/loader.md#marker-version-nodes-and-dt_relr).
_PATCH_LEVEL_MARKERS = frozenset({"GLIBC_ABI_GNU2_TLS", "GLIBC_ABI_DT_X86_64_PLT", "GLIBC_ABI_GNU_TLS"})


def is_libc_name(name: str) -> bool:
    """True for ``libc.so.6``, ``libm.so.6``, ``libpthread.so.0``, ``ld-linux-x86-64.so.2`` and kin."""
    return bool(_LIBC_NAMES.match(name))


def libc_mismatch(nf: NativeFile, profile: Profile) -> bool:
    """True when *nf* is a glibc object on a musl target or a musl object on a glibc target."""
    return nf.elf is not None and nf.elf.libc in ("glibc", "musl") and nf.elf.libc != profile.libc


def node_status(lib: Library, node: str, profile: Profile) -> Status:
    """Whether the target's *lib* defines *node*: ``ok``, ``missing``, ``unknown`` or ``unversioned``."""
    if node in lib.versions:
        return "ok"
    parsed = parse_node(node)
    if parsed.is_marker:
        if lib.exact:
            return "missing" if lib.versions else "unversioned"
        if node == "GLIBC_ABI_DT_RELR" and profile.libc == "glibc":
            return "ok" if profile.libc_version >= (2, 36) else "missing"
        return "unknown"
    same = [p for p in map(parse_node, lib.versions) if p.prefix == parsed.prefix and not p.is_marker]
    if lib.exact:
        return "missing" if lib.versions else "unversioned"
    if not same:
        return "unknown"
    return "ok" if parsed.numbers <= max(p.numbers for p in same) else "missing"


class _Provider:
    """Who provides one library a file has version needs on (made per file and library: a plain class)."""

    __slots__ = ("bundled", "library", "needs", "system")

    def __init__(self, library: str, needs: tuple[VersionNeed, ...], system: Library | None,
                 bundled: NativeFile | None) -> None:
        self.library = library
        self.needs = needs
        #: the profile's library (system), or ``None``.
        self.system = system
        #: the bundled file, or ``None``.
        self.bundled = bundled


def _providers(ctx: Context, nf: NativeFile) -> tuple[_Provider, ...]:
    """Who provides each library *nf* has version needs on; worked out once per file (six rules ask)."""
    key = ("providers", nf.member)
    cached = ctx.memo.get(key)
    if cached is None:
        cached = ctx.memo[key] = tuple(_find_providers(ctx, nf))
    assert isinstance(cached, tuple)
    return cached


def _find_providers(ctx: Context, nf: NativeFile) -> Iterator[_Provider]:
    assert nf.elf is not None
    grouped: dict[str, list[VersionNeed]] = {}
    for need in nf.elf.version_needs:
        grouped.setdefault(need.library, []).append(need)
    for library, needs in grouped.items():
        res = ctx.resolution.get(nf.member, library)
        if res is not None and res.kind == "bundled" and res.member is not None:
            yield _Provider(library, tuple(needs), None, ctx.files.get(res.member))
        elif res is not None and res.kind == "system":
            yield _Provider(library, tuple(needs), res.library, None)
        elif res is None:
            # A version need on a library not in DT_NEEDED (ld-linux via PT_INTERP): ask the profile.
            lib = ctx.profile.library(library)
            if lib is not None:
                yield _Provider(library, tuple(needs), lib, None)
        # missing / unreachable / outside: the ABG4xx rules report the library itself.


def _system_needs(ctx: Context, nf: NativeFile) -> Iterator[tuple[_Provider, VersionNeed, Status]]:
    for prov in _providers(ctx, nf):
        if prov.system is None:
            continue
        if ctx.profile.libc == "musl" and is_libc_name(prov.library):
            continue  # musl ignores versions; a glibc object here is ABG210's business
        for need in prov.needs:
            # The same node of the same library is asked about for every file that needs it. The library is
            # the profile's own object, alive as long as the memo: keyed by identity, as hashing the record
            # (every field, each time) cost more than the answer.
            key = ("node", id(prov.system), need.version)
            status = ctx.memo.get(key)
            if status is None:
                status = ctx.memo[key] = node_status(prov.system, need.version, ctx.profile)
            yield prov, need, cast(Status, status)


def _symbols_line(need: VersionNeed, limit: int = 6) -> str:
    if not need.symbols:
        return f"{need.version}: no symbol (a marker node)"
    shown = ", ".join(need.symbols[:limit])
    more = len(need.symbols) - limit
    return f"{need.version}: {shown}" + (f", … (+{more} more)" if more > 0 else "")


def _all_symbols(needs: Sequence[VersionNeed]) -> tuple[str, ...]:
    return tuple(sorted({s for n in needs for s in n.symbols}))


def _glibc_loader(ctx: Context, nf: NativeFile, library: str, lib: Library | None, node: str) -> str:
    where = lib.path if lib is not None and lib.path else library
    return f"{where}: version `{node}' not found (required by {nf.member})"


def _musl_loader(nf: NativeFile, needs: Sequence[VersionNeed]) -> str | None:
    symbols = [s for n in needs for s in n.symbols]
    return f"Error relocating {nf.member}: {symbols[0]}: symbol not found" if symbols else None


def _lowest_target(ctx: Context, library: str, nodes: Sequence[str]) -> str:
    """ "needs glibc ≥ 2.34 (works on: a, b)" or "needs GLIBCXX_3.4.30 (GCC ≥ 12)"; profiles from alternatives.

    Worked out once per library and nodes for the artifact and profile (every alternative is asked).
    """
    key = ("lowest-target", library, tuple(nodes))
    cached = ctx.memo.get(key)
    if cached is None:
        cached = ctx.memo[key] = _work_out_lowest_target(ctx, library, nodes)
    assert isinstance(cached, str)
    return cached


def _work_out_lowest_target(ctx: Context, library: str, nodes: Sequence[str]) -> str:
    parts: list[str] = []
    glibc = max_node(nodes, prefix="GLIBC")
    if glibc is not None and is_libc_name(library):
        parts.append(f"needs glibc ≥ {format_version(parse_node(glibc).numbers)}")
    else:
        for prefix in sorted({parse_node(n).prefix for n in nodes if not parse_node(n).is_marker}):
            top = max_node(nodes, prefix=prefix)
            assert top is not None
            gcc = _GCC_FOR.get(prefix, {}).get(parse_node(top).numbers)
            parts.append(f"needs {top}" + (f" (GCC ≥ {gcc})" if gcc else ""))
    fits = []
    for alt in ctx.alternatives:
        if alt.arch != ctx.profile.arch or alt.libc != ctx.profile.libc or alt.id == ctx.profile.id:
            continue
        lib = alt.library(library)
        if lib is not None and all(node_status(lib, n, alt) == "ok" for n in nodes):
            fits.append(alt)
    # Name the current profile's own family first (aws-lambda-python…), then policies, then the rest.
    family = re.match(r"[a-z-]*", ctx.profile.id)
    prefix = family.group(0) if family else ""
    fits.sort(
        key=lambda p: (
            0 if prefix and p.id.startswith(prefix) else 1 if p.kind == "policy" else 2,
            p.libc_version,
            p.id,
        )
    )
    text = "; ".join(parts) if parts else f"needs {', '.join(nodes)}"
    if fits:
        names = ", ".join(p.id for p in fits[:4]) + (", …" if len(fits) > 4 else "")
        text += f" (satisfied by: {names})"
    return text


def _have_text(ctx: Context, library: str, lib: Library, nodes: Sequence[str]) -> str:
    prefixes = tuple(sorted({parse_node(n).prefix for n in nodes}))
    # The newest node of a prefix walks all the library's versions: once per library and prefixes.
    key = ("have", library, id(lib), prefixes)
    cached = ctx.memo.get(key)
    if cached is None:
        cached = ctx.memo[key] = _work_out_have_text(ctx, library, lib, prefixes)
    assert isinstance(cached, str)
    return cached


def _work_out_have_text(ctx: Context, library: str, lib: Library, prefixes: tuple[str, ...]) -> str:
    tops = [t for t in (max_node(lib.versions, prefix=p) for p in prefixes) if t]
    base = f"{ctx.profile.id}"
    if is_libc_name(library) and ctx.profile.libc == "glibc":
        base += f" has glibc {ctx.profile.libc_version_text}"
    else:
        base += f" provides {library}" + (f" {lib.version}" if lib.version else "")
    return base + (f" (newest: {', '.join(tops)})" if tops else "")


@rule("ABG201", "missing-symbol-version", severity=Severity.ERROR, needs=("elf", "target", "libc"))
def missing_version(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A required symbol version (GLIBC_2.34, GLIBCXX_3.4.30…) missing on the target.

    What it checks:
    Every ``Elf_Vernaux`` of ``.gnu.version_r`` whose library is provided by the target system (not bundled)
    against the profile's version set for that library: glibc (``libc.so.6``, ``libm.so.6``…), libstdc++,
    libgcc_s, libgfortran, libgomp, OpenSSL and any other library the profile lists versions for. All
    missing nodes of one library are reported together with the symbols bound to each, and the lowest
    target version (and built-in profiles) that would satisfy them. Weak nodes are ABG205, markers ABG203,
    ``GLIBC_PRIVATE`` ABG202.

    Why it matters:
    The loader checks versions before relocating and refuses the whole file:
    ``/lib64/libc.so.6: version `GLIBC_2.34' not found (required by ./_ext.so)``, naming only the first
    missing node. Typical causes: building on a newer distribution than the target (``ubuntu-latest`` CI
    for Lambda python3.11, glibc 2.26), ``pip`` picking a ``manylinux_2_34`` wheel on the build host, or
    GCC ≥ 11 headers pulling ``__libc_single_threaded@GLIBC_2.32``.

    Example:
    ``function.zip!pkg/_ext.cpython-311-x86_64-linux-gnu.so: ABG201 needs GLIBC_2.33, GLIBC_2.34 from
    libc.so.6; aws-lambda-python3.11 has glibc 2.26``

    How to fix:
    Build in an image with the target's (or an older) glibc, e.g. a ``manylinux2014`` or
    ``manylinux_2_26`` image; install wheels for the target (``pip install --platform manylinux2014_x86_64
    --only-binary=:all:``); or choose a runtime with a newer glibc (named in the hint). For libstdc++
    nodes, build with an older GCC or let ``auditwheel repair`` bundle the runtime.

    References:
    glibc ``elf/dl-version.c``; PEP 600; docs/loader.md#symbol-versions,
    docs/loader.md#c-fortran-and-openmp-runtimes; docs/runtimes.md#manylinux-and-musllinux-policies,
    docs/runtimes.md#gcc-runtime-versions.
    """
    assert nf.elf is not None
    by_lib: dict[str, tuple[_Provider, list[VersionNeed]]] = {}
    for prov, need, status in _system_needs(ctx, nf):
        if (
            status != "missing"
            or need.weak
            or need.version == "GLIBC_PRIVATE"
            or parse_node(need.version).is_marker
        ):
            continue
        by_lib.setdefault(prov.library, (prov, []))[1].append(need)
    for library, (prov, missing) in by_lib.items():
        assert prov.system is not None
        nodes = [n.version for n in missing]
        musl = ctx.profile.libc == "musl"
        yield Violation(
            message=f"needs {', '.join(nodes)} from {library}; {_have_text(ctx, library, prov.system, nodes)}",
            hint=_lowest_target(ctx, library, nodes) + "; build against an older base (manylinux image) or "
            "install wheels for the target",
            details=tuple(_symbols_line(n) for n in missing),
            library=library,
            versions=tuple(nodes),
            symbols=_all_symbols(missing),
            loader_message=_musl_loader(nf, missing)
            if musl
            else _glibc_loader(ctx, nf, library, prov.system, nodes[0]),
        )


@rule("ABG202", "glibc-private", severity=Severity.ERROR, needs=("elf", "target", "libc"))
def glibc_private(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """The file uses ``GLIBC_PRIVATE`` symbols, tied to one exact glibc build.

    What it checks:
    Any ``Elf_Vernaux`` named ``GLIBC_PRIVATE``, whatever the target.

    Why it matters:
    glibc's internal interface changes in every release (``__libc_dlopen_mode`` and ``_dl_sym`` left in
    2.34, ``_dl_catch_error`` in 2.41): ``undefined symbol: __libc_dlopen_mode, version GLIBC_PRIVATE``.
    It can only work on the very glibc build it came from, and never on musl.

    Example:
    ``pkg.whl!pkg/_x.so: ABG202 uses GLIBC_PRIVATE symbols of libc.so.6: __libc_dlopen_mode``

    How to fix:
    Use the public API (``dlopen``, ``dlsym``); do not bundle pieces of glibc (``libpthread``, ``ld.so``)
    taken from the build machine.

    References:
    glibc ``Versions`` files (``GLIBC_PRIVATE``); docs/loader.md#symbol-versions.
    """
    assert nf.elf is not None
    private = [n for n in nf.elf.version_needs if n.version == "GLIBC_PRIVATE"]
    for library in sorted({n.library for n in private}):
        needs = [n for n in private if n.library == library]
        symbols = _all_symbols(needs)
        yield Violation(
            message=f"uses GLIBC_PRIVATE symbols of {library}"
            + (f": {', '.join(symbols[:6])}" if symbols else ""),
            hint="use the public glibc API; do not bundle parts of glibc from the build machine",
            library=library,
            versions=("GLIBC_PRIVATE",),
            symbols=symbols,
            loader_message=(
                f"{nf.member}: undefined symbol: {symbols[0]}, version GLIBC_PRIVATE" if symbols else None
            ),
        )


@rule("ABG203", "missing-marker-version", severity=Severity.ERROR, needs=("elf", "target", "libc"))
def missing_marker(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A marker version node (GLIBC_ABI_DT_RELR…) that the target's library lacks.

    What it checks:
    Required nodes with no number (other than ``GLIBC_PRIVATE``): named features of the target's libc
    rather than releases. ``GLIBC_ABI_DT_RELR`` exists from glibc 2.36; ``GLIBC_ABI_GNU2_TLS``,
    ``GLIBC_ABI_DT_X86_64_PLT`` and ``GLIBC_ABI_GNU_TLS`` depend on the distribution's patch level (2025
    backports), so on a profile whose sets were derived from a version number this is a warning: only a
    capture of the real library can tell.

    Why it matters:
    ``libc.so.6: version `GLIBC_ABI_DT_RELR' not found (required by ./x.so)`` on glibc < 2.36. binutils
    ≥ 2.38 with ``-z pack-relative-relocs`` adds DT_RELR; binutils from Aug 2025 adds GNU2_TLS for
    ``-mtls-dialect=gnu2`` (Fedora 44 builds failing on Ubuntu 24.04).

    Example:
    ``pkg.whl!pkg/_x.so: ABG203 needs GLIBC_ABI_DT_RELR from libc.so.6; debian-11 has glibc 2.31``

    How to fix:
    Link without ``-z pack-relative-relocs`` (or with ``-z nopack-relative-relocs``) and without
    ``-mtls-dialect=gnu2`` for older targets; build in an image of the target's age.

    References:
    glibc BZ #33129, #33212, #33221; docs/loader.md#marker-version-nodes-and-dt_relr.
    """
    for prov, need, status in _system_needs(ctx, nf):
        node = need.version
        if node == "GLIBC_PRIVATE" or not parse_node(node).is_marker or status not in ("missing", "unknown"):
            continue
        assert prov.system is not None
        if status == "unknown" and node not in _PATCH_LEVEL_MARKERS and not node.startswith("GLIBC_"):
            continue  # other libraries' markers on a derived set: ABG206 says "cannot tell"
        yield Violation(
            message=f"needs {node} from {prov.library}; {_have_text(ctx, prov.library, prov.system, [node])}"
            + (" — presence depends on the distribution's patch level" if status == "unknown" else ""),
            hint="relink without the feature that adds this marker (-z pack-relative-relocs, -mtls-dialect=gnu2, "
            "-z mark-plt) or capture the target's real library into the profile",
            library=prov.library,
            versions=(node,),
            symbols=need.symbols,
            severity=Severity.WARNING if status == "unknown" else None,
            loader_message=None
            if status == "unknown"
            else _glibc_loader(ctx, nf, prov.library, prov.system, node),
        )


@rule("ABG204", "unsupported-dt-relr", severity=Severity.ERROR, needs=("elf", "target", "libc"))
def unsupported_relr(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """Packed relative relocations (DT_RELR) the target's loader does not accept.

    What it checks:
    ``DT_RELR`` present and: the target is musl < 1.2.4 (ignores DT_RELR); or glibc < 2.36 without a
    ``GLIBC_ABI_DT_RELR`` requirement (ABG203 covers it when the marker is there); or glibc ≥ 2.36 without
    the marker, which glibc refuses.

    Why it matters:
    musl 1.2.3 and old glibc skip the relocations and the process crashes (segfault) at first use of a
    pointer; glibc ≥ 2.36 says ``DT_RELR without GLIBC_ABI_DT_RELR dependency``.

    Example:
    ``pkg.whl!pkg/_x.so: ABG204 uses DT_RELR; musl 1.2.3 on alpine-3.17 ignores it and crashes``

    How to fix:
    Link without ``-z pack-relative-relocs`` for these targets (``-Wl,-z,nopack-relative-relocs``).

    References:
    musl commit ``d32dadd6`` (1.2.4); glibc 2.36 NEWS; docs/loader.md#marker-version-nodes-and-dt_relr.
    """
    elf = nf.elf
    assert elf is not None
    if not elf.has_relr:
        return
    has_marker = any(n.version == "GLIBC_ABI_DT_RELR" for n in elf.version_needs)
    p = ctx.profile
    hint = "relink with -Wl,-z,nopack-relative-relocs"
    if p.libc == "musl" and p.libc_version < (1, 2, 4):
        yield Violation(
            message=f"uses DT_RELR; musl {p.libc_version_text} on {p.id} ignores it and the process "
            "crashes (musl supports it from 1.2.4)",
            hint=hint,
        )
    elif p.libc == "glibc" and not has_marker:
        if p.libc_version >= (2, 36):
            yield Violation(
                message="uses DT_RELR without a GLIBC_ABI_DT_RELR version need, which glibc ≥ 2.36 refuses",
                hint=hint,
                loader_message=f"{nf.member}: DT_RELR without GLIBC_ABI_DT_RELR dependency",
            )
        else:
            yield Violation(
                message=f"uses DT_RELR; glibc {p.libc_version_text} on {p.id} does not apply it (from 2.36)",
                hint=hint,
            )


@rule("ABG205", "weak-version-missing", severity=Severity.WARNING, needs=("elf", "target", "libc"))
def weak_version_missing(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A *weak* version requirement the target does not satisfy.

    What it checks:
    ``Elf_Vernaux`` entries with ``VER_FLG_WEAK`` (0x2) whose node the target's library lacks. (A weakly
    bound *symbol* still creates a hard node; only the flag on the version entry makes it optional.)

    Why it matters:
    The loader accepts the file; symbols bound to the node resolve to null, and code that does not test
    for that crashes.

    Example:
    ``pkg.whl!pkg/_x.so: ABG205 weakly needs GLIBC_2.34 from libc.so.6; aws-lambda-python3.11 has glibc 2.26``

    How to fix:
    Make sure the code checks the weak symbols before use, or build against the target's glibc.

    References:
    glibc ``elf/dl-version.c`` (``VER_FLG_WEAK``); docs/loader.md#symbol-versions.
    """
    by_lib: dict[str, tuple[_Provider, list[VersionNeed]]] = {}
    for prov, need, status in _system_needs(ctx, nf):
        if need.weak and status == "missing":
            by_lib.setdefault(prov.library, (prov, []))[1].append(need)
    for library, (prov, missing) in by_lib.items():
        assert prov.system is not None
        nodes = [n.version for n in missing]
        yield Violation(
            message=f"weakly needs {', '.join(nodes)} from {library}; {_have_text(ctx, library, prov.system, nodes)}",
            hint="check that the code tests these symbols before use, or build against the target's library",
            details=tuple(_symbols_line(n) for n in missing),
            library=library,
            versions=tuple(nodes),
            symbols=_all_symbols(missing),
        )


@rule("ABG206", "unverifiable-versions", severity=Severity.INFO, needs=("elf", "target", "libc"))
def unverifiable_versions(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """The target has the library, but the profile does not know its versions.

    What it checks:
    Version requirements on a system library whose profile entry has no node with that prefix and was
    derived rather than read from the real file (e.g. ``OPENSSL_3.0.0`` when the profile only names
    ``libssl.so.3``). abigate does not claim a failure it cannot see.

    Why it matters:
    If the node is missing the loader fails as in ABG201; abigate just cannot tell from this profile.

    Example:
    ``function.zip!cryptography/hazmat/bindings/_rust.abi3.so: ABG206 cannot verify OPENSSL_3.0.0 from
    libssl.so.3: aws-lambda-python3.12 lists no OPENSSL versions``

    How to fix:
    Capture the real target into a profile (``abigate profile capture``) so its version sets are exact,
    or bundle the library.

    References:
    docs/loader.md#what-a-profile-must-record.
    """
    by_lib: dict[str, tuple[_Provider, list[VersionNeed]]] = {}
    for prov, need, status in _system_needs(ctx, nf):
        if status == "unknown" and not parse_node(need.version).is_marker:
            by_lib.setdefault(prov.library, (prov, []))[1].append(need)
    for library, (_prov, needs) in by_lib.items():
        nodes = [n.version for n in needs]
        prefixes = ", ".join(sorted({parse_node(n).prefix for n in nodes}))
        yield Violation(
            message=f"cannot verify {', '.join(nodes)} from {library}: {ctx.profile.id} lists no {prefixes} versions",
            hint="capture the real target into a profile so its version sets are exact",
            library=library,
            versions=tuple(nodes),
            symbols=_all_symbols(needs),
        )


@rule("ABG207", "unversioned-provider", severity=Severity.ERROR, needs=("elf", "target", "libc"))
def unversioned_provider(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """Versioned symbols from a library without version tables (glibc ≤ 2.40 aborts).

    What it checks:
    Symbols this file binds to a version of a library that has neither ``.gnu.version_d`` nor
    ``.gnu.version_r``. That is the only case glibc ≤ 2.40 refuses: ``_dl_check_map_versions`` accepts a
    provider without version definitions, and symbol lookup then asserts only when the provider has no
    version table at all; a library that merely defines no versions but needs some of its own (any library
    calling into libc) loads. Version nodes with no symbol, glibc ≥ 2.41 and musl never abort. For a system
    library the profile read as unversioned, whether it has version needs is not recorded: an info note.

    Why it matters:
    glibc ≤ 2.40 aborts the whole process: ``Inconsistency detected by ld.so: dl-lookup.c: 107:
    check_match: Assertion `version->filename == NULL || ! _dl_name_match_p (version->filename, map)'
    failed!`` — no Python exception, the interpreter dies.

    Example:
    ``pkg.whl!pkg/_x.so: ABG207 needs FOO_1.0 from libfoo.so.1, but pkg.libs/libfoo.so.1 defines no versions
    and needs none``

    How to fix:
    Rebuild the library with its version script, or relink the requester against the unversioned build.

    References:
    glibc ``elf/dl-version.c`` (``match_symbol``: no ``DT_VERDEF``, no error), ``elf/dl-lookup.c``
    (``check_match``: the assertion when ``l_versyms`` is unset), commit ``bdaf500353`` (2.41);
    docs/loader.md#unversioned-providers.
    """
    p = ctx.profile
    if p.libc != "glibc" or p.libc_version >= (2, 41):
        return
    for prov in _providers(ctx, nf):
        # Only symbols bound to a version make the loader look one up with that version; a node without a
        # symbol is checked by _dl_check_map_versions alone, which lets an unversioned provider pass.
        bound = tuple(n for n in prov.needs if n.symbols)
        if not bound:
            continue
        nodes = tuple(n.version for n in bound)
        if prov.bundled is not None and prov.bundled.elf is not None:
            provider = prov.bundled.elf
            # glibc sets l_versyms when the provider has any version definition or requirement: the
            # lookup then matches by version index and accepts an unversioned definition.
            if provider.version_defs or provider.version_needs:
                continue
            yield Violation(
                message=f"needs {', '.join(nodes)} from {prov.library}, but {prov.bundled.member} defines no "
                f"versions and needs none; glibc {p.libc_version_text} aborts the process",
                hint="rebuild the library with its version script, or relink this file against the "
                "unversioned build",
                library=prov.library,
                versions=nodes,
                symbols=_all_symbols(bound),
                loader_message="Inconsistency detected by ld.so: dl-lookup.c: 107: check_match: Assertion "
                "`version->filename == NULL || ! _dl_name_match_p (version->filename, map)' failed!",
            )
        elif prov.system is not None and prov.system.exact and not prov.system.versions:
            yield Violation(
                message=f"needs {', '.join(nodes)} from {prov.library}, but {p.id}'s {prov.library} defines "
                f"no versions; glibc {p.libc_version_text} loads it only if it has version needs of its own "
                "(it has if it calls into libc), which the profile does not record",
                hint="check the target's library with `readelf -V`: a .gnu.version_r section means it loads",
                library=prov.library,
                versions=nodes,
                symbols=_all_symbols(bound),
                severity=Severity.INFO,
            )


@rule("ABG208", "bundled-version-missing", severity=Severity.ERROR, needs=("elf", "target", "libc"))
def bundled_version_missing(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A bundled library lacks a version node that a file loading it requires.

    What it checks:
    Requirements on a library resolved *inside* the artifact, against that file's own ``.gnu.version_d``
    (not the profile). Happens when a bundled library was replaced by another build after the requester
    was linked.

    Why it matters:
    ``/…/pkg.libs/libfoo-9999.so.1: version `FOO_2.0' not found (required by ./pkg/_ext.so)``.

    Example:
    ``pkg.whl!pkg/_ext.so: ABG208 needs FOO_2.0 from libfoo.so.1; pkg.libs/libfoo.so.1 defines FOO_1.0``

    How to fix:
    Ship the library build the requester was linked against, or relink the requester.

    References:
    glibc ``elf/dl-version.c``; docs/loader.md#symbol-versions.
    """
    for prov in _providers(ctx, nf):
        if prov.bundled is None or prov.bundled.elf is None or not prov.bundled.elf.version_defs:
            continue
        defined = {d.name for d in prov.bundled.elf.version_defs}
        missing = [n for n in prov.needs if n.version not in defined]
        if not missing:
            continue
        nodes = [n.version for n in missing]
        own = sorted((d.name for d in prov.bundled.elf.version_defs if not d.is_base), key=node_key)
        hard = [n for n in missing if not n.weak]
        yield Violation(
            message=f"needs {', '.join(nodes)} from {prov.library}; the bundled {prov.bundled.member} defines "
            + (", ".join(own) if own else "only its base version"),
            hint="ship the library build this file was linked against, or relink this file",
            details=tuple(_symbols_line(n) for n in missing),
            library=prov.library,
            versions=tuple(nodes),
            symbols=_all_symbols(missing),
            severity=None if hard else Severity.WARNING,
            loader_message=(
                f"{prov.bundled.member}: version `{hard[0].version}' not found (required by {nf.member})"
                if hard and ctx.profile.libc == "glibc"
                else None
            ),
        )


@rule("ABG210", "wrong-libc", severity=Severity.ERROR, needs=("elf", "target"))
def wrong_libc(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A musl-linked file on a glibc target, or a glibc-linked file on musl.

    What it checks:
    The C library the file was linked against (from ``PT_INTERP``, ``DT_NEEDED`` such as
    ``libc.musl-x86_64.so.1`` or ``ld-linux-x86-64.so.2``, ``GLIBC_*`` version needs) against the profile's.

    Why it matters:
    On glibc a musl object fails with ``libc.musl-x86_64.so.1: cannot open shared object file`` or
    ``/lib/x86_64-linux-gnu/libc.so: invalid ELF header``. On musl a glibc object fails on the first glibc-only
    symbol: ``Error relocating ./x.so: __sprintf_chk: symbol not found``. Typical cause: a ``musllinux``
    wheel installed for a glibc runtime, or a ``manylinux`` wheel copied into an Alpine image.

    Example:
    ``function.zip!pkg/_x.cpython-312-x86_64-linux-musl.so: ABG210 is linked against musl; aws-lambda-python3.12
    uses glibc``

    How to fix:
    Install the wheel for the target's libc: ``manylinux_*`` for glibc, ``musllinux_*`` for musl
    (``pip install --platform …``), or build in an image with the target's libc.

    References:
    PEP 600, PEP 656; docs/loader.md#glibc-or-musl.
    """
    elf = nf.elf
    assert elf is not None
    if not libc_mismatch(nf, ctx.profile):
        return
    evidence = "; ".join(elf.libc_evidence[:2])
    loader = None
    if ctx.profile.libc == "glibc":
        musl_needed = next((n for n in elf.needed if n.startswith("libc.musl-") or n == "libc.so"), None)
        if musl_needed == "libc.so":
            loader = (
                "/lib/x86_64-linux-gnu/libc.so: invalid ELF header" if ctx.profile.arch == "x86_64" else None
            )
        elif musl_needed:
            loader = f"{musl_needed}: cannot open shared object file: No such file or directory"
    else:
        ldso = next((n for n in elf.needed if n.startswith("ld-linux")), None)
        if ldso:
            loader = f"Error loading shared library {ldso}: No such file or directory (needed by {nf.member})"
    yield Violation(
        message=f"is linked against {elf.libc}; {ctx.profile.id} uses {ctx.profile.libc}"
        + (f" ({evidence})" if evidence else ""),
        hint=f"install the {'manylinux' if ctx.profile.libc == 'glibc' else 'musllinux'} build of this package "
        f"for the target, or build in an image with {ctx.profile.libc}",
        loader_message=loader,
    )
