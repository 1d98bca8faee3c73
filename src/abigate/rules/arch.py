"""ABG1xx — is this a loadable Linux binary for this target: format, class, machine, ELF header, stack, ISA, pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from abigate.facts import ElfFacts, NativeFile
from abigate.profile import Profile
from abigate.roles import is_importable_extension
from abigate.rules._base import Context, Severity, Violation, rule

__all__ = [
    "exec_stack",
    "format_mismatch",
    "invalid_elf_ident",
    "load_alignment",
    "not_dlopenable",
    "not_elf",
    "static_tls",
    "target_format",
    "unsupported_osabi",
    "wrong_byte_order",
    "wrong_class",
    "wrong_machine",
    "x86_isa_level",
]

#: profile arch (``uname -m``) → (e_machine, ELF class, byte order); elf.h and
#: docs/loader.md#not-a-loadable-elf-file.
_TARGETS: dict[str, tuple[int, int, str]] = {
    "x86_64": (62, 64, "little"),
    "i686": (3, 32, "little"),
    "aarch64": (183, 64, "little"),
    "armv7l": (40, 32, "little"),
    "ppc64le": (21, 64, "little"),
    "ppc64": (21, 64, "big"),
    "s390x": (22, 64, "big"),
    "riscv64": (243, 64, "little"),
    "loongarch64": (258, 64, "little"),
}
_ALIASES = {"amd64": "x86_64", "i386": "i686", "x86": "i686", "arm64": "aarch64", "armhf": "armv7l"}

Mismatch = Literal["class", "machine", "byte-order"]

#: a shared-library file name: ``libfoo.so``, ``libfoo.so.1.2``, ``_x.cpython-312-x86_64-linux-gnu.so``.
_SHARED_NAME = re.compile(r"\.so(?:\.\d+)*$")


def target_format(profile: Profile) -> tuple[int, int, str] | None:
    """(e_machine, class, byte order) the target's loader accepts, or ``None`` for an unknown arch."""
    return _TARGETS.get(_ALIASES.get(profile.arch, profile.arch))


def format_mismatch(elf: ElfFacts, profile: Profile) -> Mismatch | None:
    """The first header field that makes *elf* unloadable on *profile*, in glibc's order of checks.

    Only one is reported: a 32-bit ARM file on x86-64 is "wrong class" (what glibc says), and the message
    names its architecture, rather than three findings for one cause.
    """
    fmt = target_format(profile)
    if fmt is None:
        return None if elf.arch == profile.arch else "machine"
    machine, elf_class, order = fmt
    if elf.elf_class != elf_class:
        return "class"
    if elf.machine != machine:
        return "machine"
    if elf.byte_order != order:
        return "byte-order"
    return None


def _target_text(profile: Profile) -> str:
    fmt = target_format(profile)
    bits = f"{fmt[1]}-bit " if fmt else ""
    return f"{profile.id} is {bits}{profile.arch}"


@rule("ABG101", "not-an-elf-file", severity=Severity.ERROR)
def not_elf(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A Mach-O (macOS) or PE (Windows) binary where Linux expects ELF.

    What it checks:
    Native files recognised by content as Mach-O or PE. It is an error when Linux would try to load the
    file (its name ends in ``.so`` or is a Python extension module name); a ``.dylib``, ``.dll``, ``.pyd``
    or ``.exe`` that Linux never opens by name is a warning.

    Why it matters:
    The loader checks the first four bytes: ``<file>: invalid ELF header``. Typical cause: a wheel or
    deploy zip built on macOS (``pip install --target`` on a Mac) and uploaded to Lambda.

    Example:
    ``function.zip!pydantic_core/_pydantic_core.cpython-312-darwin.so: ABG101 is a Mach-O arm64 binary``

    How to fix:
    Build or download Linux wheels for the target: ``pip install --platform manylinux2014_x86_64
    --only-binary=:all: --python-version 3.12 --target …``, or build in the target's container image.

    References:
    glibc ``elf/dl-load.c`` ``open_verify``; docs/loader.md#not-a-loadable-elf-file (Mach-O, PE headers too).
    """
    if nf.kind == "elf":
        return
    if nf.macho is not None:
        what = "a Mach-O " + ", ".join(a.arch for a in nf.macho.arches) + " binary (macOS)"
    elif nf.pe is not None:
        what = f"a PE {nf.pe.arch} binary (Windows)"
    else:
        what = f"a {nf.kind} binary"
    base = nf.member.rsplit("/", 1)[-1]
    loaded_by_linux = base.endswith(".so") or ".so." in base
    yield Violation(
        message=f"is {what}, not a Linux ELF file",
        hint="install or build the Linux build of this package for the target (pip --platform manylinux…)",
        severity=None if loaded_by_linux else Severity.WARNING,
        loader_message=f"{nf.member}: invalid ELF header" if loaded_by_linux else None,
    )


@rule("ABG102", "wrong-elf-class", severity=Severity.ERROR, needs=("elf",))
def wrong_class(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A 32-bit ELF file on a 64-bit target, or the reverse.

    What it checks:
    ``EI_CLASS`` (byte 4 of the header) against the target architecture's class.

    Why it matters:
    glibc skips such a file while searching and, if nothing else matches, fails with ``wrong ELF class:
    ELFCLASS32``; CPython reports it as ``ImportError``.

    Example:
    ``app.zip!bin/helper: ABG102 is a 32-bit ELF for i686; aws-lambda-python3.12 is 64-bit x86_64``

    How to fix:
    Rebuild for the target architecture; download the wheel for the right platform tag.

    References:
    glibc ``elf/dl-load.c`` ``open_verify``; docs/loader.md#not-a-loadable-elf-file.
    """
    assert nf.elf is not None
    if format_mismatch(nf.elf, ctx.profile) == "class":
        yield Violation(
            message=f"is a {nf.elf.elf_class}-bit ELF for {nf.elf.arch}; {_target_text(ctx.profile)}",
            hint=f"rebuild or download this file for {ctx.profile.arch}",
            loader_message=f"{nf.member}: wrong ELF class: ELFCLASS{nf.elf.elf_class}",
        )


@rule("ABG103", "wrong-machine", severity=Severity.ERROR, needs=("elf",))
def wrong_machine(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """An ELF file for another CPU architecture (x86-64 code on arm64, or the reverse).

    What it checks:
    ``e_machine`` against the target architecture (EM_X86_64 62, EM_AARCH64 183, …), when the class matches.

    Why it matters:
    glibc's message is misleading: the file is skipped as if absent, so the error reads
    ``<name>: cannot open shared object file: No such file or directory`` although the file is there.
    The usual cause is building on an x86-64 CI runner for an arm64 Lambda function (or on an Apple
    Silicon Mac in an arm64 container for x86-64).

    Example:
    ``function.zip!numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so: ABG103 is built for
    x86_64; aws-lambda-python3.12-arm64 is 64-bit aarch64``

    How to fix:
    Install for the function's architecture (``pip install --platform manylinux2014_aarch64 …``) or build
    in an image of that architecture; check the function's architecture setting.

    References:
    glibc ``elf/dl-load.c`` ``open_verify`` (``elf_machine_matches_host``);
    docs/loader.md#not-a-loadable-elf-file.
    """
    assert nf.elf is not None
    if format_mismatch(nf.elf, ctx.profile) == "machine":
        yield Violation(
            message=f"is built for {nf.elf.arch}; {_target_text(ctx.profile)}",
            hint=f"install or build this package for {ctx.profile.arch} (the function's architecture)",
            loader_message=f"{nf.member}: cannot open shared object file: No such file or directory",
        )


@rule("ABG104", "wrong-byte-order", severity=Severity.ERROR, needs=("elf",))
def wrong_byte_order(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A big-endian ELF file on a little-endian target, or the reverse.

    What it checks:
    ``EI_DATA`` (byte 5) against the target's byte order, when class and machine match.

    Why it matters:
    ``ELF file data encoding not little-endian`` (or ``not big-endian``).

    Example:
    ``pkg.whl!pkg/_x.so: ABG104 is big-endian; linux-ppc64le is little-endian``

    How to fix:
    Build for the target's byte order (``ppc64le``, not ``ppc64``).

    References:
    glibc ``elf/dl-load.c`` ``open_verify``; docs/loader.md#not-a-loadable-elf-file.
    """
    assert nf.elf is not None
    if format_mismatch(nf.elf, ctx.profile) == "byte-order":
        want = "little" if nf.elf.byte_order == "big" else "big"
        yield Violation(
            message=f"is {nf.elf.byte_order}-endian; {ctx.profile.id} is {want}-endian",
            hint=f"build for {ctx.profile.arch}",
            loader_message=f"{nf.member}: ELF file data encoding not {want}-endian",
        )


@rule("ABG105", "unsupported-osabi", severity=Severity.ERROR, needs=("elf", "target"))
def unsupported_osabi(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """An ELF OS ABI or ABI version the Linux loader refuses (FreeBSD, Solaris…).

    What it checks:
    ``EI_OSABI`` must be 0 (System V) or 3 (GNU/Linux); ``EI_ABIVERSION`` must be 0 with System V and
    below 4 with GNU (1 unique symbols, 2 IFUNC, 3 absolute symbols). musl checks neither, so on a musl
    target this is a warning.

    Why it matters:
    glibc: ``ELF file OS ABI invalid`` or ``ELF file ABI version invalid``. A FreeBSD build copied into a
    Linux artifact fails this way.

    Example:
    ``pkg.whl!pkg/_x.so: ABG105 EI_OSABI is 9 (FreeBSD); Linux accepts 0 (System V) or 3 (GNU)``

    How to fix:
    Rebuild on Linux for the target.

    References:
    glibc ``elf/dl-load.c`` ``open_verify``, ``VALID_ELF_OSABI``/``VALID_ELF_ABIVERSION``;
    docs/loader.md#not-a-loadable-elf-file.
    """
    elf = nf.elf
    assert elf is not None
    severity = Severity.WARNING if ctx.profile.libc == "musl" else None
    if elf.osabi not in (0, 3):
        yield Violation(
            message=f"EI_OSABI is {elf.osabi} ({_OSABI.get(elf.osabi, 'unknown')}); Linux accepts 0 (System V) or 3 (GNU)",
            hint="rebuild this file on Linux for the target",
            severity=severity,
            loader_message=f"{nf.member}: ELF file OS ABI invalid",
        )
    elif (elf.osabi == 0 and elf.abi_version != 0) or (elf.osabi == 3 and elf.abi_version >= 4):
        yield Violation(
            message=f"EI_ABIVERSION is {elf.abi_version} with EI_OSABI {elf.osabi}, which glibc does not accept",
            hint="rebuild this file with a standard Linux toolchain",
            severity=severity,
            loader_message=f"{nf.member}: ELF file ABI version invalid",
        )


_OSABI = {0: "System V", 1: "HP-UX", 2: "NetBSD", 3: "GNU", 6: "Solaris", 9: "FreeBSD", 12: "OpenBSD"}


@rule("ABG106", "invalid-elf-ident", severity=Severity.ERROR, needs=("elf", "target"))
def invalid_elf_ident(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """The ELF identification has a bad version or non-zero padding bytes.

    What it checks:
    ``EI_VERSION`` and ``e_version`` must be 1; bytes 9–15 of ``e_ident`` must be zero. A warning on musl,
    which does not check them.

    Why it matters:
    glibc refuses the file: ``ELF file version ident does not match current one``, ``ELF file version
    does not match current one`` or ``nonzero padding in e_ident``. Usually a sign of a damaged or
    hand-patched file.

    Example:
    ``pkg.whl!pkg/_x.so: ABG106 e_ident bytes 9–15 are not zero``

    How to fix:
    Rebuild the file; check tools that rewrite ELF headers (patchers, strippers, packers).

    References:
    glibc ``elf/dl-load.c`` ``open_verify``; docs/loader.md#not-a-loadable-elf-file.
    """
    elf = nf.elf
    assert elf is not None
    severity = Severity.WARNING if ctx.profile.libc == "musl" else None
    if elf.ident_version != 1:
        problem, msg = (
            f"EI_VERSION is {elf.ident_version}, not 1",
            "ELF file version ident does not match current one",
        )
    elif elf.version != 1:
        problem, msg = f"e_version is {elf.version}, not 1", "ELF file version does not match current one"
    elif elf.nonzero_padding:
        problem, msg = "e_ident bytes 9-15 are not zero", "nonzero padding in e_ident"
    else:
        return
    yield Violation(
        message=problem,
        hint="rebuild this file; something damaged its ELF header",
        severity=severity,
        loader_message=f"{nf.member}: {msg}",
    )


def is_dlopened(ctx: Context, nf: NativeFile) -> bool:
    """Whether *nf* reaches the target through ``dlopen``: an extension module, a library another file of
    the artifact loads, or a file named like a shared library (which nothing runs: it is loaded by name)."""
    return (
        is_importable_extension(nf)
        or nf.member in ctx.resolution.dependencies
        or _SHARED_NAME.search(nf.member.rsplit("/", 1)[-1]) is not None
    )


@rule("ABG107", "not-dlopenable", severity=Severity.ERROR, needs=("elf", "target"))
def not_dlopenable(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """An extension module or bundled library that is not a shared object.

    What it checks:
    For files Python imports (extension modules), files other files load (bundled libraries) and files
    named like a shared library (``*.so``, ``*.so.1.2``: ``ctypes.CDLL`` or ``dlopen`` is how such a file
    is used): ``e_type`` must be ``ET_DYN`` without ``DF_1_PIE``, and ``DF_1_NOOPEN`` must be clear.
    Executables elsewhere in the artifact are run, not loaded, and are not checked here.

    Why it matters:
    ``only ET_DYN and ET_EXEC can be loaded`` (a renamed ``.o``), ``cannot dynamically load executable``,
    ``cannot dynamically load position-independent executable`` (glibc ≥ 2.30) or ``shared object cannot
    be dlopen()ed``.

    Example:
    ``pkg.whl!pkg/_x.cpython-312-x86_64-linux-gnu.so: ABG107 is a position-independent executable``

    How to fix:
    Link the module with ``-shared`` (setuptools and meson do); do not rename object files or programs to
    ``.so``.

    References:
    glibc ``elf/dl-load.c``, ``elf/dl-open.c``; BZ #24323 (PIE, 2.30); docs/loader.md#not-a-loadable-elf-file.
    """
    elf = nf.elf
    assert elf is not None
    if not is_dlopened(ctx, nf):
        return
    if elf.type == "shared" and not elf.dt_flags_1 & 0x40:
        return
    if elf.type in ("relocatable", "core", "other"):
        what, msg = f"is not a shared object (e_type {elf.e_type})", "only ET_DYN and ET_EXEC can be loaded"
    elif elf.type == "executable":
        what, msg = "is an executable (ET_EXEC)", "cannot dynamically load executable"
    elif elf.type == "pie":
        what, msg = (
            "is a position-independent executable",
            "cannot dynamically load position-independent executable",
        )
    else:
        what, msg = "is marked DF_1_NOOPEN", "shared object cannot be dlopen()ed"
    yield Violation(
        message=what, hint="link it as a shared library (-shared)", loader_message=f"{nf.member}: {msg}"
    )


@rule("ABG110", "executable-stack", severity=Severity.ERROR, needs=("elf", "target"))
def exec_stack(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """The file needs an executable stack, which glibc ≥ 2.41 refuses for dlopen.

    What it checks:
    ``PT_GNU_STACK`` with ``PF_X``, or no ``PT_GNU_STACK`` on an architecture whose default is an
    executable stack (x86, 32-bit ARM, …). Error when the profile's loader refuses it (glibc ≥ 2.41
    without ``glibc.rtld.execstack=2``: Debian 13, Fedora 42+, Ubuntu 25.04+); warning on other glibc
    targets (it breaks on the next upgrade); information on musl, which ignores the flag.

    Why it matters:
    ``ImportError: <file>: cannot enable executable stack as shared object requires: Invalid argument``;
    the same for a library the module needs. Cause: an assembler object without ``.note.GNU-stack`` or a
    nested-function trampoline.

    Example:
    ``pkg.whl!pkg.libs/libfoo-1a2b3c4d.so.1: ABG110 needs an executable stack (PT_GNU_STACK has PF_X)``

    How to fix:
    Add ``.section .note.GNU-stack,"",@progbits`` to assembler sources or link with ``-Wl,-z,noexecstack``;
    as a stopgap ``patchelf --clear-execstack`` (or ``execstack -c``) on the file.

    References:
    glibc NEWS 2.41; commits ``0ca8785a28``, ``12a497c716`` (BZ #32653); auditwheel #634;
    docs/loader.md#executable-stack.
    """
    elf = nf.elf
    assert elf is not None
    # Only shared objects are dlopened; programs get their stack at start-up (allowed by default), and
    # object files have no program headers at all (which would read as "no PT_GNU_STACK").
    if elf.type != "shared" or not elf.exec_stack:
        return
    why = (
        "PT_GNU_STACK has PF_X"
        if elf.gnu_stack_flags is not None
        else f"no PT_GNU_STACK, and {elf.arch} defaults to an executable stack"
    )
    if ctx.profile.libc == "musl":
        severity: Severity | None = Severity.INFO
        tail = "musl ignores it, but glibc ≥ 2.41 refuses it"
    elif ctx.profile.refuses_exec_stack:
        severity, tail = None, f"{ctx.profile.id}'s loader refuses it"
    else:
        severity, tail = Severity.WARNING, "glibc ≥ 2.41 (Debian 13, Fedora 42) refuses it"
    yield Violation(
        message=f"needs an executable stack ({why}); {tail}",
        hint="link with -Wl,-z,noexecstack (or add .note.GNU-stack to assembler sources); "
        "stopgap: patchelf --clear-execstack",
        severity=severity,
        loader_message=(
            f"{nf.member}: cannot enable executable stack as shared object requires: Invalid argument"
            if severity is None
            else None
        ),
    )


@rule("ABG111", "x86-isa-level", severity=Severity.ERROR, needs=("elf", "target"))
def x86_isa_level(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """An x86-64 ISA level (v2/v3/v4) above what the target's CPUs guarantee.

    What it checks:
    ``GNU_PROPERTY_X86_ISA_1_NEEDED`` (0xc0008002) in ``.note.gnu.property``, highest bit, against the
    profile's x86-64 level. Skipped when the profile does not state a level.

    Why it matters:
    glibc ≥ 2.33 refuses the file: ``CPU ISA level is lower than required``. Older loaders and musl load it
    and the process dies with SIGILL on the first AVX2 instruction. Libraries grafted from RHEL 9 based
    images (built for x86-64-v2) are a common source.

    Example:
    ``pkg.whl!pkg.libs/libblas-0a1b2c3d.so: ABG111 needs x86-64-v3; generic-x86_64 guarantees x86-64-v1``

    How to fix:
    Build for the baseline (``-march=x86-64``) or ship per-level builds in ``glibc-hwcaps/x86-64-v3/``
    next to a baseline copy.

    References:
    glibc commit ``ecce11aa07`` (BZ #26717, 2.33), ``sysdeps/x86/dl-prop.h``; docs/loader.md#x86-64-isa-level.
    """
    elf = nf.elf
    assert elf is not None
    level, target = elf.x86_isa_level, ctx.profile.x86_isa_level
    if elf.type in ("relocatable", "core", "other") or level is None or target is None or level <= target:
        return
    glibc_checks = ctx.profile.libc == "glibc" and ctx.profile.libc_version >= (2, 33)
    yield Violation(
        message=f"needs x86-64-v{level}; {ctx.profile.id} guarantees x86-64-v{target}",
        hint=f"build for x86-64-v{target} (-march=x86-64{'' if target == 1 else f'-v{target}'}) or ship a "
        "baseline copy with this one under glibc-hwcaps/",
        loader_message=f"{nf.member}: CPU ISA level is lower than required" if glibc_checks else None,
    )


@rule("ABG112", "load-segment-alignment", severity=Severity.ERROR, needs=("elf", "target"))
def load_alignment(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A ``PT_LOAD`` segment is not aligned to the target's page size.

    What it checks:
    For every ``PT_LOAD``: ``(p_vaddr - p_offset) % page_size`` must be 0 (error on every glibc); ``p_align``
    must be a multiple of the page size — an error on glibc ≤ 2.34, a warning on newer glibc and musl,
    which dropped (or never had) that check.

    Why it matters:
    ``ELF load command address/offset not page-aligned``, or on glibc ≤ 2.34 ``ELF load command
    alignment not page-aligned``. Happens on aarch64 with 16K pages (Asahi, Raspberry Pi 5) or 64K
    pages (RHEL ``kernel-64k``, NVIDIA Grace) for files linked with ``-z max-page-size=4096`` or
    rewritten by patchelf < 0.12.

    Example:
    ``pkg.whl!pkg/_x.so: ABG112 PT_LOAD at offset 0x1000 is not aligned to the 65536-byte pages of rhel-9-64k``

    How to fix:
    Link with ``-Wl,-z,max-page-size=0x10000`` (safe everywhere); update patchelf to ≥ 0.12.

    References:
    glibc commit ``163f625cf9`` (BZ #28688, 2.35); NixOS/patchelf#492; docs/loader.md#page-alignment.
    """
    elf = nf.elf
    assert elf is not None
    page = ctx.profile.page_size
    if page <= 0:
        return
    for seg in elf.load_segments:
        if (seg.vaddr - seg.offset) % page:
            yield Violation(
                message=f"PT_LOAD at offset {seg.offset:#x} (vaddr {seg.vaddr:#x}) is not congruent modulo "
                f"the {page}-byte pages of {ctx.profile.id}",
                hint=f"relink with -Wl,-z,max-page-size={max(page, 0x10000):#x}",
                loader_message=f"{nf.member}: ELF load command address/offset not page-aligned",
            )
            return
    small = [seg for seg in elf.load_segments if seg.align % page]
    if small:
        old_glibc = ctx.profile.libc == "glibc" and ctx.profile.libc_version < (2, 35)
        yield Violation(
            message=f"PT_LOAD alignment {small[0].align:#x} is below the {page}-byte pages of {ctx.profile.id}"
            + ("" if old_glibc else " (tolerated by this loader, refused by glibc ≤ 2.34)"),
            hint=f"relink with -Wl,-z,max-page-size={max(page, 0x10000):#x}",
            severity=None if old_glibc else Severity.WARNING,
            loader_message=f"{nf.member}: ELF load command alignment not page-aligned" if old_glibc else None,
        )


#: glibc's default static TLS surplus for late (dlopen) loads: 1664 bytes (``elf/dl-tls.c``, tunables
#: ``glibc.rtld.nns`` and ``glibc.rtld.optional_static_tls`` at their defaults; docs/loader.md#static-tls).
STATIC_TLS_SURPLUS = 1664
#: above this a single file leaves little of the surplus to other dlopened users of static TLS.
STATIC_TLS_WARN = 1024


@rule("ABG113", "static-tls", severity=Severity.ERROR, needs=("elf", "target"))
def static_tls(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """Initial-exec TLS in a dlopened file, beyond the loader's static TLS reserve.

    What it checks:
    Files that are dlopened (extension modules, the libraries they load, files named ``*.so``) with
    ``DF_STATIC_TLS`` and a ``PT_TLS`` block. On glibc: an error when the block (``p_memsz``) exceeds the
    default surplus of 1664 bytes, a warning above 1024 bytes (other late loads share the surplus). On
    musl: an error for any such block, because musl cannot place a dlopened module's TLS in the static area.

    Why it matters:
    ``<file>: cannot allocate memory in static TLS block`` at import (glibc); on musl ``Error relocating
    <file>: <sym>: initial-exec TLS resolves to dynamic definition``. Seen with bundled OpenMP runtimes
    (``libgomp``) on aarch64.

    Example:
    ``pkg.whl!pkg.libs/libgomp-d22c30c5.so.1.0.0: ABG113 needs 4096 bytes of static TLS; the loader keeps
    1664 for dlopen``

    How to fix:
    Build with the global- or local-dynamic TLS model (the default for ``-fPIC``; drop
    ``-ftls-model=initial-exec``); as a stopgap raise ``GLIBC_TUNABLES=glibc.rtld.optional_static_tls=…``
    (glibc ≥ 2.32) or preload the library at startup (``LD_PRELOAD``).

    References:
    glibc ``elf/dl-tls.c``, ``manual/tunables.texi``; scikit-learn#17231; docs/loader.md#static-tls.
    """
    elf = nf.elf
    assert elf is not None
    size = elf.tls_size or 0
    if not elf.static_tls or size <= 0 or elf.type != "shared" or not is_dlopened(ctx, nf):
        return
    if ctx.profile.libc == "musl":
        yield Violation(
            message=f"uses initial-exec TLS ({size} bytes); musl cannot give a dlopened module static TLS",
            hint="build with the default (global-dynamic) TLS model for -fPIC code",
        )
        return
    if size <= STATIC_TLS_WARN:
        return
    fits = size <= STATIC_TLS_SURPLUS
    yield Violation(
        message=f"needs {size} bytes of static TLS; the loader keeps {STATIC_TLS_SURPLUS} for dlopen"
        + (", shared by every late-loaded library that needs it" if fits else ""),
        hint="build without -ftls-model=initial-exec; stopgap: GLIBC_TUNABLES=glibc.rtld.optional_static_tls="
        f"{max(8192, size * 2)}",
        severity=Severity.WARNING if fits else None,
        loader_message=None if fits else f"{nf.member}: cannot allocate memory in static TLS block",
    )
