"""Every rule, fired and silent: facts and profiles built in the test, no files (facts in → findings out).

``CASES`` holds, per rule code, at least one artifact that fires it and one good artifact that leaves it silent;
``test_rule_catalog.py`` checks that no rule is missing from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from abigate._records import replace
from abigate.evaluate import Selection, evaluate
from abigate.facts import (
    ArtifactFacts,
    CondaInfo,
    Distribution,
    GnuProperty,
    LoadSegment,
    MachOArch,
    MachOFacts,
    NativeFile,
    Problem,
    WheelInfo,
)
from abigate.findings import Finding
from abigate.profile import Library, Limits, Profile
from abigate.rules import Severity
from abigate.rules.testing import artifact, elf, glibc_profile, musl_profile, native, need, vdef

EXT = "pkg/_x.cpython-311-x86_64-linux-gnu.so"
WHEEL = "dist/pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
#: the default target: glibc 2.26, x86-64, CPython 3.11 (like AWS Lambda python3.11).
P = glibc_profile("glibc-2.26", version=(2, 26))


def ext(**overrides: object) -> NativeFile:
    """A clean extension module: needs GLIBC_2.17 from libc, exports PyInit__x."""
    fields: dict[str, object] = {
        "needed": ("libc.so.6",),
        "version_needs": (
            need("libc.so.6", "GLIBC_2.17", "memcpy"),
            need("libc.so.6", "GLIBC_2.2.5", "free"),
        ),
        "python_init_exports": ("PyInit__x",),
    }
    fields.update(overrides)
    name = str(fields.pop("member", EXT))
    return native(name, elf(**fields))  # type: ignore[arg-type]


def wheel(
    *files: NativeFile, path: str = WHEEL, tags: tuple[str, ...] | None = None, **kw: object
) -> ArtifactFacts:
    """A wheel artifact holding *files*; tags default to the file name's."""
    filename_tags = tags or ("cp311-cp311-manylinux_2_17_x86_64",)
    info = WheelInfo(name="pkg", version="1.0", build=None, filename_tags=filename_tags)
    return artifact(path, files, wheel=info, **kw)  # type: ignore[arg-type]


def run(facts: ArtifactFacts, profile: Profile = P, code: str = "ABG") -> list[Finding]:
    return evaluate(facts, profile, Selection(select=(code,)))


def _conda(subdir: str = "linux-64", depends: tuple[str, ...] = ()) -> ArtifactFacts:
    """A legacy conda package holding a clean library, whose index.json says *subdir* and *depends*."""
    info = CondaInfo(name="pkg", version="1.0", build="h0_0", subdir=subdir, depends=depends)
    return artifact("pkg-1.0-h0_0.tar.bz2", [ext(member="lib/libpkg.so")], kind="conda", conda=info)


@dataclass(frozen=True)
class Case:
    """One rule application: what to build, which profile, and whether the rule must fire."""

    code: str
    id: str
    facts: Callable[[], ArtifactFacts]
    fires: bool
    profile: Profile = P
    #: when firing: expected severity, and a substring of the message.
    severity: Severity | None = None
    text: str = ""


# Bundled-library layouts for the resolution rules.
def _runpath_chain(kind: str) -> ArtifactFacts:
    """ext → pkg.libs/liba → pkg.libs/libb, the ext carrying *kind* (rpath or runpath) ``$ORIGIN/../pkg.libs``."""
    paths = {kind: ("$ORIGIN/../pkg.libs",)}
    e = ext(needed=("liba.so.1", "libc.so.6"), **paths)
    liba = native("pkg.libs/liba.so.1", elf(needed=("libb.so.1",), soname="liba.so.1"))
    libb = native("pkg.libs/libb.so.1", elf(soname="libb.so.1"))
    return wheel(e, liba, libb)


def _bundled_versions(defs: tuple[str, ...], needed_node: str) -> ArtifactFacts:
    e = ext(
        needed=("libfoo.so.1", "libc.so.6"),
        rpath=("$ORIGIN/../pkg.libs",),
        version_needs=(
            need("libfoo.so.1", needed_node, "foo_open"),
            need("libc.so.6", "GLIBC_2.2.5", "free"),
        ),
    )
    foo = native(
        "pkg.libs/libfoo.so.1",
        elf(soname="libfoo.so.1", version_defs=tuple(vdef(d, i + 2) for i, d in enumerate(defs))),
    )
    return wheel(e, foo)


_MACHO = MachOFacts(
    fat=False, arches=(MachOArch(arch="arm64", cputype=0x0100000C, cpusubtype=0, filetype=8),)
)
_ISA = 0xC0008002
_AARCH64_64K = glibc_profile("rhel-9-64k", version=(2, 34), arch="aarch64", page_size=65536)
_LIMITED = replace(P, limits=Limits(max_unzipped_bytes=10_000))
_UPLOAD_LIMITED = replace(P, limits=Limits(max_zipped_bytes=52_428_800))
_SSL = glibc_profile("with-ssl", extra={"libssl.so.3": Library(soname="libssl.so.3")})
_SSL_VERSIONED = glibc_profile(
    "with-ssl-versions",
    extra={"libssl.so.3": Library(soname="libssl.so.3", versions=frozenset({"OPENSSL_3.0.0"}))},
)
_PY313 = glibc_profile("glibc-2.34-py313", version=(2, 34), python=(3, 13))
_PY313T = glibc_profile("glibc-2.34-py313t", version=(2, 34), python=(3, 13), free_threaded=True)
_MUSL = musl_profile("alpine-3.17", version=(1, 2, 3), python=(3, 11))
_GLIBC_236 = glibc_profile("glibc-2.36", version=(2, 36))
_GLIBC_241 = glibc_profile("glibc-2.41", version=(2, 41))

CASES: list[Case] = [
    # -- ABG0xx artifact
    Case(
        "ABG001",
        "encrypted-member",
        lambda: wheel(
            ext(),
            problems=(
                Problem(path=f"{WHEEL}!pkg/data.bin", kind="encrypted", message="member is encrypted"),
            ),
        ),
        True,
        text="encrypted",
    ),
    Case("ABG001", "clean", lambda: wheel(ext()), False),
    Case(
        "ABG002",
        "truncated",
        lambda: wheel(native(EXT, None, kind="elf", elf=None, error="truncated program headers")),
        True,
        text="truncated",
    ),
    Case("ABG002", "clean", lambda: wheel(ext()), False),
    Case(
        "ABG003",
        "path-traversal",
        lambda: wheel(
            ext(),
            problems=(
                Problem(
                    path=f"{WHEEL}!../evil", kind="path-traversal", message="member path leaves the archive"
                ),
            ),
        ),
        True,
    ),
    Case("ABG003", "clean", lambda: wheel(ext()), False),
    Case(
        "ABG004",
        "layer-digest-mismatch",
        lambda: artifact(
            "app.tar",
            (ext(),),
            kind="image",
            problems=(
                Problem(
                    path="app.tar!blobs/sha256/63db",
                    kind="digest-mismatch",
                    message="layer 2 hashes to sha256:3a74, the manifest names it sha256:63db",
                ),
            ),
        ),
        True,
        text="digest-mismatch",
    ),
    Case(
        "ABG004",
        "other-problems-are-abg001",
        lambda: artifact(
            "app.tar",
            (ext(),),
            kind="image",
            problems=(Problem(path="app.tar!blobs/sha256/63db", kind="truncated", message="layer 2 is cut short"),),
        ),
        False,
    ),
    Case("ABG004", "clean", lambda: artifact("app.tar", (ext(),), kind="image"), False),
    Case(
        "ABG005",
        "string-budget",
        lambda: wheel(native(EXT, None, kind="elf", elf=None, error="budget exceeded: too many strings",
                             budget="the file names more than 1048576 strings")),
        True,
        text="more than 1048576 strings",
    ),
    Case(
        "ABG005",
        "inflate-budget",
        lambda: wheel(
            ext(),
            problems=(
                Problem(path=f"{WHEEL}!pkg/big.bin", kind="budget-exceeded",
                        message="more than 17179869184 bytes inflated for this artifact"),
            ),
        ),
        True,
        text="bytes inflated",
    ),
    Case("ABG005", "clean", lambda: wheel(ext()), False),
    Case(
        "ABG002",
        "a-budget-is-abg005",
        lambda: wheel(native(EXT, None, kind="elf", elf=None, error="budget exceeded: too many strings",
                             budget="the file names more than 1048576 strings")),
        False,
    ),
    Case(
        "ABG001",
        "a-budget-is-abg005",
        lambda: wheel(
            ext(),
            problems=(Problem(path=f"{WHEEL}!pkg/big.bin", kind="budget-exceeded", message="too much"),),
        ),
        False,
    ),
    # -- ABG1xx binary format and loader requirements
    Case(
        "ABG101",
        "macho-extension",
        lambda: wheel(native(EXT, None, kind="macho", elf=None, macho=_MACHO)),
        True,
        severity=Severity.ERROR,
        text="Mach-O arm64",
    ),
    Case(
        "ABG101",
        "macho-dylib-warning",
        lambda: wheel(native("pkg/libx.dylib", None, kind="macho", elf=None, macho=_MACHO)),
        True,
        severity=Severity.WARNING,
    ),
    Case("ABG101", "elf", lambda: wheel(ext()), False),
    Case(
        "ABG102", "i686-on-x86_64", lambda: wheel(native(EXT, elf("i686"))), True, text="32-bit ELF for i686"
    ),
    Case("ABG102", "x86_64", lambda: wheel(ext()), False),
    Case(
        "ABG103",
        "aarch64-on-x86_64",
        lambda: wheel(native(EXT, elf("aarch64"))),
        True,
        text="built for aarch64",
    ),
    Case("ABG103", "x86_64", lambda: wheel(ext()), False),
    Case("ABG104", "big-endian", lambda: wheel(native(EXT, elf(byte_order="big"))), True, text="big-endian"),
    Case("ABG104", "little-endian", lambda: wheel(ext()), False),
    Case("ABG105", "freebsd", lambda: wheel(ext(osabi=9)), True, text="FreeBSD"),
    Case(
        "ABG105",
        "freebsd-on-musl-warns",
        lambda: wheel(ext(osabi=9, libc="none")),
        True,
        profile=_MUSL,
        severity=Severity.WARNING,
    ),
    Case("ABG105", "gnu-osabi", lambda: wheel(ext(osabi=3, abi_version=2)), False),
    Case("ABG106", "padding", lambda: wheel(ext(nonzero_padding=True)), True, text="not zero"),
    Case("ABG106", "clean", lambda: wheel(ext()), False),
    Case("ABG107", "pie-extension", lambda: wheel(ext(type="pie")), True, text="position-independent"),
    Case(
        "ABG107",
        "executable-elsewhere",
        lambda: wheel(native("pkg/bin/tool", elf(type="executable", e_type=2))),
        False,
    ),
    Case("ABG107", "shared", lambda: wheel(ext()), False),
    # Loader agreement: a file named like a library is dlopened by name (ctypes.CDLL), even if nothing in the
    # artifact loads it, so a renamed object file or a DF_1_NOOPEN library there fails.
    Case(
        "ABG107",
        "object-file-named-so",
        lambda: wheel(native("pkg/libhelper.so", elf(type="relocatable", e_type=1, gnu_stack_flags=None))),
        True,
        text="not a shared object",
    ),
    Case(
        "ABG107",
        "nodlopen-library-named-so",
        lambda: wheel(native("pkg/libhelper.so.1", elf(dt_flags_1=0x40))),
        True,
        text="DF_1_NOOPEN",
    ),
    Case(
        "ABG107",
        "object-file-named-o",
        lambda: wheel(native("pkg/helper.o", elf(type="relocatable", e_type=1, gnu_stack_flags=None))),
        False,
    ),
    Case(
        "ABG110",
        "execstack-refused",
        lambda: wheel(ext(gnu_stack_flags=7)),
        True,
        profile=_GLIBC_241,
        severity=Severity.ERROR,
        text="refuses it",
    ),
    Case(
        "ABG110", "execstack-warning", lambda: wheel(ext(gnu_stack_flags=7)), True, severity=Severity.WARNING
    ),
    Case(
        "ABG110",
        "no-gnu-stack-x86",
        lambda: wheel(ext(gnu_stack_flags=None)),
        True,
        profile=_GLIBC_241,
        text="defaults to an executable stack",
    ),
    Case("ABG110", "noexec", lambda: wheel(ext()), False, profile=_GLIBC_241),
    Case(
        "ABG110",
        "object-file-has-no-phdrs",
        lambda: wheel(native("pkg/x.o", elf(type="relocatable", e_type=1, gnu_stack_flags=None))),
        False,
        profile=_GLIBC_241,
    ),
    Case(
        "ABG110",
        "program-runs-not-dlopened",
        lambda: wheel(native("bin/tool", elf(type="pie", gnu_stack_flags=7))),
        False,
        profile=_GLIBC_241,
    ),
    Case(
        "ABG111",
        "x86-64-v3",
        lambda: wheel(ext(gnu_properties=(GnuProperty(type=_ISA, value=0x7),))),
        True,
        text="x86-64-v3",
    ),
    Case(
        "ABG111", "baseline", lambda: wheel(ext(gnu_properties=(GnuProperty(type=_ISA, value=0x1),))), False
    ),
    Case(
        "ABG113",
        "static-tls-over-surplus",
        lambda: wheel(ext(dt_flags=0x10, tls_size=4096)),
        True,
        severity=Severity.ERROR,
        text="4096 bytes of static TLS",
    ),
    Case(
        "ABG113",
        "static-tls-library-named-so",
        lambda: wheel(native("pkg/libtls.so", elf(dt_flags=0x10, tls_size=2048))),
        True,
        severity=Severity.ERROR,
    ),
    Case(
        "ABG113",
        "static-tls-large-share",
        lambda: wheel(ext(dt_flags=0x10, tls_size=1500)),
        True,
        severity=Severity.WARNING,
    ),
    Case("ABG113", "static-tls-small", lambda: wheel(ext(dt_flags=0x10, tls_size=64)), False),
    Case("ABG113", "dynamic-tls-model", lambda: wheel(ext(tls_size=4096)), False),
    Case(
        "ABG113",
        "static-tls-program-not-dlopened",
        lambda: wheel(native("bin/tool", elf(type="pie", dt_flags=0x10, tls_size=4096))),
        False,
    ),
    Case(
        "ABG113",
        "static-tls-on-musl",
        lambda: wheel(ext(dt_flags=0x10, tls_size=64, libc="none", version_needs=(), needed=())),
        True,
        profile=_MUSL,
        severity=Severity.ERROR,
        text="musl",
    ),
    Case(
        "ABG112",
        "4k-layout-on-64k",
        lambda: wheel(
            native(
                EXT.replace("x86_64", "aarch64"),
                elf(
                    "aarch64",
                    load_segments=(
                        LoadSegment(offset=0x1000, vaddr=0x2000, filesz=1, memsz=1, align=0x1000, flags=5),
                    ),
                ),
            )
        ),
        True,
        profile=_AARCH64_64K,
        text="not congruent",
    ),
    Case(
        "ABG112",
        "64k-layout",
        lambda: wheel(native(EXT.replace("x86_64", "aarch64"), elf("aarch64"))),
        False,
        profile=_AARCH64_64K,
    ),
    # -- ABG2xx libc and versions
    Case(
        "ABG201",
        "glibc-2.34-on-2.26",
        lambda: wheel(
            ext(
                version_needs=(
                    need("libc.so.6", "GLIBC_2.34", "pthread_create", "dlopen"),
                    need("libc.so.6", "GLIBC_2.33", "stat64"),
                )
            )
        ),
        True,
        text="needs GLIBC_2.34, GLIBC_2.33 from libc.so.6",
    ),
    Case(
        "ABG201",
        "glibcxx-3.4.30",
        lambda: wheel(
            ext(
                needed=("libstdc++.so.6", "libc.so.6"),
                version_needs=(need("libstdc++.so.6", "GLIBCXX_3.4.30", "_ZNSt3condition_variable4waitE"),),
            )
        ),
        True,
        text="GLIBCXX_3.4.30",
    ),
    Case("ABG201", "glibc-2.17", lambda: wheel(ext()), False),
    Case(
        "ABG202",
        "glibc-private",
        lambda: wheel(ext(version_needs=(need("libc.so.6", "GLIBC_PRIVATE", "__libc_dlopen_mode"),))),
        True,
        text="__libc_dlopen_mode",
    ),
    Case("ABG202", "public", lambda: wheel(ext()), False),
    Case(
        "ABG203",
        "relr-marker-on-2.26",
        lambda: wheel(ext(has_relr=True, version_needs=(need("libc.so.6", "GLIBC_ABI_DT_RELR"),))),
        True,
        text="GLIBC_ABI_DT_RELR",
    ),
    Case(
        "ABG203",
        "gnu2-tls-derived-warns",
        lambda: wheel(ext(version_needs=(need("libc.so.6", "GLIBC_ABI_GNU2_TLS"),))),
        True,
        severity=Severity.WARNING,
        text="patch level",
    ),
    Case(
        "ABG203",
        "relr-marker-on-2.36",
        lambda: wheel(ext(has_relr=True, version_needs=(need("libc.so.6", "GLIBC_ABI_DT_RELR"),))),
        False,
        profile=_GLIBC_236,
    ),
    Case(
        "ABG204",
        "relr-without-marker",
        lambda: wheel(ext(has_relr=True)),
        True,
        profile=_GLIBC_236,
        text="without a GLIBC_ABI_DT_RELR",
    ),
    Case(
        "ABG204",
        "relr-on-musl-1.2.3",
        lambda: wheel(
            ext(
                has_relr=True, libc="musl", version_needs=(), member="pkg/_x.cpython-311-x86_64-linux-musl.so"
            )
        ),
        True,
        profile=_MUSL,
        text="musl 1.2.3",
    ),
    Case(
        "ABG204",
        "relr-with-marker",
        lambda: wheel(ext(has_relr=True, version_needs=(need("libc.so.6", "GLIBC_ABI_DT_RELR"),))),
        False,
        profile=_GLIBC_236,
    ),
    Case(
        "ABG205",
        "weak-2.34",
        lambda: wheel(ext(version_needs=(need("libc.so.6", "GLIBC_2.34", "gettid", weak=True),))),
        True,
        text="weakly needs GLIBC_2.34",
    ),
    Case(
        "ABG205",
        "weak-2.17",
        lambda: wheel(ext(version_needs=(need("libc.so.6", "GLIBC_2.17", "x", weak=True),))),
        False,
    ),
    Case(
        "ABG206",
        "openssl-unknown",
        lambda: wheel(
            ext(needed=("libssl.so.3",), version_needs=(need("libssl.so.3", "OPENSSL_3.0.0", "SSL_new"),))
        ),
        True,
        profile=_SSL,
        text="lists no OPENSSL",
    ),
    Case(
        "ABG206",
        "openssl-known",
        lambda: wheel(
            ext(needed=("libssl.so.3",), version_needs=(need("libssl.so.3", "OPENSSL_3.0.0", "SSL_new"),))
        ),
        False,
        profile=_SSL_VERSIONED,
    ),
    Case(
        "ABG207",
        "unversioned-sibling-2.36",
        lambda: _bundled_versions((), "FOO_1.0"),
        True,
        profile=_GLIBC_236,
        text="defines no versions",
    ),
    Case(
        "ABG207",
        "unversioned-sibling-2.41",
        lambda: _bundled_versions((), "FOO_1.0"),
        False,
        profile=_GLIBC_241,
    ),
    Case(
        "ABG208",
        "sibling-lacks-node",
        lambda: _bundled_versions(("libfoo.so.1", "FOO_1.0"), "FOO_2.0"),
        True,
        text="needs FOO_2.0 from libfoo.so.1",
    ),
    Case(
        "ABG208", "sibling-has-node", lambda: _bundled_versions(("libfoo.so.1", "FOO_1.0"), "FOO_1.0"), False
    ),
    Case(
        "ABG210",
        "musl-on-glibc",
        lambda: wheel(
            ext(
                libc="musl",
                needed=("libc.musl-x86_64.so.1",),
                version_needs=(),
                libc_evidence=("PT_INTERP /lib/ld-musl-x86_64.so.1",),
            )
        ),
        True,
        text="linked against musl",
    ),
    Case("ABG210", "glibc-on-musl", lambda: wheel(ext()), True, profile=_MUSL, text="linked against glibc"),
    Case("ABG210", "glibc-on-glibc", lambda: wheel(ext()), False),
    # -- ABG3xx Python
    Case(
        "ABG301",
        "cpython-312-on-3.11",
        lambda: wheel(ext(member="pkg/_x.cpython-312-x86_64-linux-gnu.so")),
        True,
        text="CPython 3.12",
    ),
    Case(
        "ABG301",
        "musl-suffix-on-glibc",
        lambda: wheel(ext(member="pkg/_x.cpython-311-x86_64-linux-musl.so")),
        True,
        text="x86_64-linux-musl",
    ),
    Case("ABG301", "cpython-311", lambda: wheel(ext()), False),
    Case("ABG301", "bare-so", lambda: wheel(ext(member="pkg/_x.so")), False),
    Case(
        "ABG302",
        "manylinux_2_34-on-2.26",
        lambda: wheel(ext(), tags=("cp311-cp311-manylinux_2_34_x86_64",)),
        True,
        text="no tag of wheel",
    ),
    Case(
        "ABG302",
        "deploy-zip-dist",
        lambda: artifact(
            "fn.zip",
            [ext()],
            kind="zip",
            distributions=(
                Distribution(
                    name="pkg",
                    version="1.0",
                    dist_info="pkg-1.0.dist-info",
                    root="",
                    wheel_tags=("cp312-cp312-manylinux_2_17_x86_64",),
                ),
            ),
        ),
        True,
        text="pkg 1.0",
    ),
    Case(
        "ABG302",
        "manylinux2014",
        lambda: wheel(ext(), tags=("cp311-cp311-manylinux2014_x86_64", "cp311-cp311-manylinux_2_17_x86_64")),
        False,
    ),
    Case(
        "ABG302",
        "abi3-too-new-is-abg303",
        lambda: wheel(ext(), tags=("cp312-abi3-manylinux_2_17_x86_64",)),
        False,
    ),
    Case(
        "ABG303",
        "abi3-cp312-on-3.11",
        lambda: wheel(ext(), tags=("cp312-abi3-manylinux_2_17_x86_64",)),
        True,
        text="Python ≥ 3.12",
    ),
    Case("ABG303", "abi3-cp39", lambda: wheel(ext(), tags=("cp39-abi3-manylinux_2_17_x86_64",)), False),
    Case(
        "ABG304",
        "t-on-gil",
        lambda: wheel(ext(member="pkg/_x.cpython-313t-x86_64-linux-gnu.so")),
        True,
        profile=_PY313,
        text="free-threaded",
    ),
    Case(
        "ABG304",
        "gil-on-t",
        lambda: wheel(ext(member="pkg/_x.cpython-313-x86_64-linux-gnu.so")),
        True,
        profile=_PY313T,
        text="GIL build",
    ),
    Case(
        "ABG304",
        "abi3-on-313t",
        lambda: wheel(ext(member="pkg/_x.abi3.so")),
        True,
        profile=_PY313T,
        text="abi3",
    ),
    Case(
        "ABG304",
        "matching",
        lambda: wheel(ext(member="pkg/_x.cpython-313-x86_64-linux-gnu.so")),
        False,
        profile=_PY313,
    ),
    Case(
        "ABG305",
        "libpython",
        lambda: wheel(ext(needed=("libpython3.11.so.1.0", "libc.so.6"))),
        True,
        severity=Severity.ERROR,
        text="libpython3.11.so.1.0",
    ),
    Case("ABG305", "no-libpython", lambda: wheel(ext()), False),
    Case(
        "ABG306",
        "renamed-module",
        lambda: wheel(ext(python_init_exports=("PyInit_y",))),
        True,
        text="does not export PyInit__x (exports PyInit_y)",
    ),
    Case("ABG306", "bundled-lib-not-a-module", lambda: wheel(native("torch/lib/libtorch.so", elf())), False),
    Case("ABG306", "exports-init", lambda: wheel(ext()), False),
    Case(
        "ABG306",
        "hidden-init-uses-c-api",
        lambda: wheel(ext(python_init_exports=(), unversioned_imports=("PyModule_Create2",))),
        True,
        text="does not export PyInit__x",
    ),
    # pycryptodome: Crypto/Cipher/_raw_aes.abi3.so has no PyInit_ and no C-API import: loaded with ctypes.
    Case(
        "ABG306",
        "ctypes-library",
        lambda: wheel(ext(member="Crypto/Cipher/_raw_aes.abi3.so", python_init_exports=())),
        False,
    ),
    # apsw/__init__.cpython-311-….so is the package apsw: CPython calls PyInit_apsw.
    Case(
        "ABG306",
        "package-init-extension",
        lambda: wheel(ext(member="apsw/__init__.cpython-311-x86_64-linux-gnu.so", python_init_exports=("PyInit_apsw",))),
        False,
    ),
    Case(
        "ABG306",
        "package-init-extension-wrong-name",
        lambda: wheel(
            ext(member="apsw/__init__.cpython-311-x86_64-linux-gnu.so", python_init_exports=("PyInit___init__",))
        ),
        True,
        text="does not export PyInit_apsw",
    ),
    Case("ABG307", "conda-osx-arm64", lambda: _conda("osx-arm64"), True, text="osx-arm64 (macOS)"),
    Case("ABG307", "conda-linux-aarch64-on-x86_64", lambda: _conda("linux-aarch64"), True, text="(aarch64)"),
    Case("ABG307", "conda-glibc-2.28-on-2.26", lambda: _conda(depends=("__glibc >=2.28,<3.0.a0",)), True,
         text="the target has glibc 2.26"),
    Case("ABG307", "conda-glibc-on-musl", lambda: _conda(depends=("__glibc >=2.17",)), True,
         profile=musl_profile(), text="musl"),
    Case("ABG307", "conda-linux-64-glibc-2.17", lambda: _conda(depends=("__glibc >=2.17,<3.0.a0",)), False),
    Case("ABG307", "conda-noarch", lambda: _conda("noarch", depends=("python >=3.9",)), False),
    Case("ABG307", "not-conda", lambda: wheel(ext()), False),
    # -- ABG4xx libraries
    Case(
        "ABG401",
        "libssl-missing",
        lambda: wheel(ext(needed=("libssl.so.3", "libc.so.6"))),
        True,
        text="needs libssl.so.3",
    ),
    Case("ABG401", "libz-provided", lambda: wheel(ext(needed=("libz.so.1", "libc.so.6"))), False),
    Case(
        "ABG402",
        "runpath-not-inherited",
        lambda: _runpath_chain("runpath"),
        True,
        text="pkg.libs/libb.so.1 is in the artifact",
    ),
    Case("ABG402", "rpath-inherited", lambda: _runpath_chain("rpath"), False),
    # torch/bin/test_shim, cmeel tools: a program whose bundled library only a wrapper's LD_LIBRARY_PATH reaches.
    Case(
        "ABG402",
        "program-needs-wrapper",
        lambda: wheel(
            native("torch/bin/test_shim", elf(needed=("libtorch.so",), type="pie", interpreter="/lib64/ld-linux-x86-64.so.2")),
            native("torch/lib/libtorch.so", elf()),
        ),
        True,
        severity=Severity.WARNING,
        text="torch/lib/libtorch.so is in the artifact",
    ),
    Case(
        "ABG401",
        "leaked-absolute-runpath",
        lambda: wheel(native("gmsh/lib/libgmsh.so", elf(needed=("libGLU.so.1",), runpath=("/builds/gmsh/lib",)))),
        True,
        severity=Severity.ERROR,
        text="needs libGLU.so.1",
    ),
    Case(
        "ABG403",
        "leaked-absolute-runpath-is-not-outside",
        lambda: wheel(native("gmsh/lib/libgmsh.so", elf(needed=("libGLU.so.1",), runpath=("/builds/gmsh/lib",)))),
        False,
    ),
    Case(
        "ABG403",
        "nvidia-sibling-wheel",
        lambda: wheel(
            ext(needed=("libcublas.so.12", "libc.so.6"), rpath=("$ORIGIN/../../nvidia/cublas/lib",))
        ),
        True,
        text="expected outside the artifact",
    ),
    Case("ABG403", "bundled", lambda: _runpath_chain("rpath"), False),
    Case(
        "ABG404",
        "text-stub",
        lambda: wheel(
            ext(needed=("libfoo.so.1", "libc.so.6"), runpath=("$ORIGIN",)), members=("pkg/libfoo.so.1",)
        ),
        True,
        text="not an ELF file",
    ),
    Case(
        "ABG404",
        "real-elf",
        lambda: wheel(
            ext(needed=("libfoo.so.1", "libc.so.6"), runpath=("$ORIGIN",)), native("pkg/libfoo.so.1", elf())
        ),
        False,
    ),
    # -- ABG5xx limits
    Case(
        "ABG501",
        "too-big",
        lambda: replace(wheel(ext()), total_size=20_000),
        True,
        profile=_LIMITED,
        text="unpacks to",
    ),
    Case("ABG501", "small", lambda: wheel(ext()), False, profile=_LIMITED),
    Case(
        "ABG502",
        "zip-over-upload-limit",
        lambda: artifact("function.zip", (ext(),), kind="zip", zipped_size=61_345_678),
        True,
        profile=_UPLOAD_LIMITED,
        severity=Severity.WARNING,
        text="is 58.5 MiB zipped (61345678 bytes)",
    ),
    Case(
        "ABG502",
        "zip-under-upload-limit",
        lambda: artifact("function.zip", (ext(),), kind="zip", zipped_size=52_428_800),
        False,
        profile=_UPLOAD_LIMITED,
    ),
    # A folder has no zipped size: nothing to compare however large it is unpacked.
    Case("ABG502", "folder", lambda: artifact("build/", (ext(),), kind="directory"), False,
         profile=_UPLOAD_LIMITED),
    # A profile without an upload limit never fires.
    Case("ABG502", "no-limit", lambda: artifact("function.zip", (ext(),), kind="zip", zipped_size=10**9), False),
    # A container image or a tar is not a zip package: the zip limits do not apply to it.
    Case("ABG502", "image-is-not-a-zip-package",
         lambda: artifact("app.tar", (ext(),), kind="image", zipped_size=61_345_678), False,
         profile=_UPLOAD_LIMITED),
    Case("ABG501", "image-is-not-a-zip-package",
         lambda: replace(artifact("app.tar", (ext(),), kind="image"), total_size=20_000), False,
         profile=_LIMITED),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.code}-{c.id}" for c in CASES])
def test_rule_case(case: Case) -> None:
    findings = run(case.facts(), case.profile, case.code)
    codes = [f.code for f in findings]
    if not case.fires:
        assert codes == [], [f.message for f in findings]
        return
    assert codes and set(codes) == {case.code}, [(f.code, f.message) for f in findings]
    if case.severity is not None:
        assert findings[0].severity is case.severity
    assert case.text in findings[0].message, findings[0].message
    for f in findings:
        assert f.hint and f.message and f.profile == case.profile.id


def test_clean_extension_has_no_finding_under_any_rule() -> None:
    assert run(wheel(ext())) == []
