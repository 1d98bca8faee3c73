#!/usr/bin/env python3
"""Rebuild abigate's native test fixtures and their manifest.

Every other test in the project stands on these files: the ELF reader compares itself with
``readelf`` on them, and the gate's "agreement with the real loader" tests dlopen/import them on
the host.  This script is the single source of truth for how each file was made and what it is
known to need:

* ``python scripts/build_testdata.py`` rebuilds everything into ``testdata/elf/`` and writes
  ``testdata/MANIFEST.json``.
* ``python scripts/build_testdata.py --check`` rebuilds into a temporary directory and verifies
  that the facts recorded in the manifest still hold for the fresh build (not byte identity: a
  different gcc/zig may lay bytes out differently, but it must still produce the same needs).
* ``python scripts/build_testdata.py builtin <step> ...`` runs one of the small byte-patching
  steps (they are recorded in the manifest as such argv, so every ``command`` is replayable).

Facts come from three places, cross-checked against each other:

1. ``declared`` in the fixture table below: what the fixture was built to demonstrate.
2. ``readelf`` (binutils) output for the built file: the complete static facts.  A declared fact
   that readelf contradicts is a build error, so ``expect`` can never silently drift.
3. Measurement on this host: ``ctypes.CDLL`` in a fresh subprocess for every file, and a real
   ``import`` for Python extensions, each from a temporary copy of the fixture's directory layout.

Run it with the host CPython 3.11 (the Python fixtures are compiled against its headers); the
commands are executed with the repository root as working directory so recorded paths are
relative.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO / "testdata"
MANIFEST = TESTDATA / "MANIFEST.json"
SCHEMA_VERSION = 1

#: Placeholders in argv templates.  {O}: output root (testdata/elf), {S}: sources
#: (testdata/src), {B}: scratch dir for intermediates that are not fixtures (testdata/build,
#: git-ignored), {OUT}: this step's output.  Recorded commands use the repository-relative
#: values; --check substitutes a temporary directory for {O} and {B}.
REC_O, REC_S, REC_B = "testdata/elf", "testdata/src", "testdata/build"

#: How zig is invoked in recorded commands; executed with the running interpreter instead.
ZIG = ("python", "-m", "ziglang")
#: How builtin steps are recorded (and how they can be replayed by hand).
BUILTIN = ("python", "scripts/build_testdata.py", "builtin")

# Flags shared by every fixture of one toolchain.  --build-id=none and -g0 keep outputs free of
# hashes of the build environment; -z noseparate-code lets GNU ld pack the text and headers into
# one page so host-built objects stay around 6 KB instead of 14 KB (layout does not matter to
# any fixture here; the page-alignment rules are not what these files test).
GCC_SO = ("-O2", "-g0", "-fPIC", "-shared", "-s", "-Wl,--build-id=none", "-Wl,-z,noseparate-code")
GCC_EXE = ("-O2", "-g0", "-s", "-Wl,--build-id=none", "-Wl,-z,noseparate-code")
ZIG_SO = ("-shared", "-fPIC", "-O2", "-g0", "-s", "-Wl,--build-id=none")

PY_TAG = "311"  # fixture names are fixed; the build refuses other interpreters (see main()).
PY_MULTIARCH = "x86_64-linux-gnu"


# --------------------------------------------------------------------------------------------
# Fixture table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One build step: an argv template producing ``out``.

    ``out`` is a template too ("{O}/glibc/v2_38.so" for a fixture, "{B}/..." for an
    intermediate).  Only steps writing under {O} become manifest entries.  ``deps`` name the
    ``out`` templates that must exist first.  ``declared`` holds the facts the fixture exists
    to demonstrate (keys of ``expect``); readelf and host measurement must agree with them.
    """

    out: str
    argv: tuple[str, ...]
    description: str
    source: str | None = None
    inputs: tuple[str, ...] = ()
    deps: tuple[str, ...] = ()
    compiler: str = "gcc"
    declared: Mapping[str, Any] = field(default_factory=dict)
    layout: str | None = None  # name of the directory layout (testdata/elf/<layout>/...)
    python_module: str | None = None  # import this module name to measure importability

    @property
    def is_fixture(self) -> bool:
        """True when the step writes a committed file (under {O})."""
        return self.out.startswith("{O}/")

    @property
    def rel(self) -> str:
        """Output path relative to testdata/elf."""
        return self.out[len("{O}/") :]


def _zig(target: str, out: str, src: str, *extra: str, lang: str = "cc") -> tuple[str, ...]:
    """argv for a zig shared object for ``target``."""
    return (*ZIG, lang, "-target", target, *ZIG_SO, *extra, "-o", out, src)


def _gcc(out: str, src: str, *extra: str, cc: str = "gcc") -> tuple[str, ...]:
    """argv for a host gcc/g++ shared object."""
    # Extra flags go after the source: Debian's gcc links with --as-needed, so a -l placed
    # before the object that uses it would be dropped.
    return (cc, *GCC_SO, "-o", out, src, *extra)


def _glibc_ladder() -> list[Step]:
    """zig-built x86_64 objects, each needing exactly one newer glibc node."""
    rows = [
        # (name, zig glibc target, max node, libs, loads on a 2.36 host, what it calls)
        ("v2_17", "2.17", "GLIBC_2.17", (), True, "clock_gettime + secure_getenv"),
        ("v2_28", "2.28", "GLIBC_2.28", (), True, "fcntl64"),
        ("v2_33", "2.33", "GLIBC_2.33", (), True, "stat"),
        ("v2_34", "2.34", "GLIBC_2.34", (), True, "pthread_create + dlopen (2.34 libc merge)"),
        ("v2_36", "2.36", "GLIBC_2.36", (), True, "arc4random (the host's own newest node)"),
        ("v2_38", "2.38", "GLIBC_2.38", (), False, "strlcpy"),
        ("v2_39", "2.39", "GLIBC_2.39", (), False, "pidfd_getpid"),
        ("v2_41", "2.41", "GLIBC_2.41", (), False, "sched_getattr"),
        ("libm_2_29", "2.29", "GLIBC_2.29", ("-lm",), True, "exp2 + pow from libm.so.6"),
        ("multi", "2.33", "GLIBC_2.33", ("-lm",), True, "getrandom 2.25 + exp2 2.29 (libm) + stat 2.33"),
    ]
    steps = []
    for name, ver, node, libs, loads, what in rows:
        src = f"{{S}}/glibc/{name}.c"
        out = f"{{O}}/glibc/{name}.so"
        needed = ["libm.so.6"] if name == "libm_2_29" else ["libm.so.6", "libc.so.6"] if libs else ["libc.so.6"]
        declared: dict[str, Any] = {
            "arch": "x86_64",
            "class": 64,
            "libc": "glibc",
            "max_glibc": node,
            "needed": needed,
            "exec_stack": False,
            "loads_on_host": loads,
        }
        if name == "multi":
            declared["glibc_versions"] = ["GLIBC_2.25", "GLIBC_2.29", "GLIBC_2.33"]
        if not loads:
            declared["host_error_contains"] = f"version `{node}' not found"
        steps.append(
            Step(
                out=out,
                argv=_zig(f"x86_64-linux-gnu.{ver}", out, src, *libs),
                source=src,
                compiler="zig",
                description=f"x86_64 glibc ladder: {what}; zig target glibc {ver}, needs {node}.",
                declared=declared,
            )
        )
    # Weak reference to a 2.38 symbol: the Vernaux is still hard (flags 0).
    weak = "{O}/glibc/weak_2_38.so"
    steps.append(
        Step(
            out=weak,
            argv=_zig("x86_64-linux-gnu.2.38", weak, "{S}/glibc/weak.c"),
            source="{S}/glibc/weak.c",
            compiler="zig",
            description="Weak UND strlcpy@GLIBC_2.38 next to strong getenv: the linker still writes a hard "
            "(non-weak) GLIBC_2.38 Vernaux, so glibc 2.36 refuses it.",
            declared={
                "max_glibc": "GLIBC_2.38",
                "verneed": [
                    {"file": "libc.so.6", "version": "GLIBC_2.2.5", "weak": False},
                    {"file": "libc.so.6", "version": "GLIBC_2.38", "weak": False},
                ],
                "loads_on_host": False,
                "host_error_contains": "version `GLIBC_2.38' not found",
            },
        )
    )
    flagged = "{O}/glibc/weak_2_38_flagged.so"
    steps.append(
        Step(
            out=flagged,
            argv=(*BUILTIN, "weak-vernaux", weak, flagged, "GLIBC_2.38"),
            source="{S}/glibc/weak.c",
            deps=(weak,),
            compiler="builtin",
            description="Copy of weak_2_38.so with VER_FLG_WEAK (0x2) set on the GLIBC_2.38 Vernaux by a byte "
            "patch: the only form of weak version need glibc tolerates.",
            declared={
                "max_glibc": "GLIBC_2.38",
                "verneed": [
                    {"file": "libc.so.6", "version": "GLIBC_2.2.5", "weak": False},
                    {"file": "libc.so.6", "version": "GLIBC_2.38", "weak": True},
                ],
                "loads_on_host": True,
            },
        )
    )
    return steps


def _arches() -> list[Step]:
    """Other architectures and ELF classes, all from one probe source."""
    rows = [
        # (file stem, zig target, arch, class, endian, libc, max node, extra)
        ("aarch64-glibc2.17", "aarch64-linux-gnu.2.17", "aarch64", 64, "little", "glibc", "GLIBC_2.17", ()),
        ("aarch64-glibc2.28", "aarch64-linux-gnu.2.28", "aarch64", 64, "little", "glibc", "GLIBC_2.28", ("-DAG_FCNTL64",)),
        ("i386-glibc2.17", "x86-linux-gnu.2.17", "i386", 32, "little", "glibc", "GLIBC_2.0", ()),
        ("armhf-glibc2.17", "arm-linux-gnueabihf.2.17", "arm", 32, "little", "glibc", "GLIBC_2.4", ()),
        ("ppc64le-glibc2.19", "powerpc64le-linux-gnu.2.19", "ppc64le", 64, "little", "glibc", "GLIBC_2.17", ()),
        ("riscv64-glibc2.27", "riscv64-linux-gnu.2.27", "riscv64", 64, "little", "glibc", "GLIBC_2.27", ()),
        ("s390x-glibc2.17", "s390x-linux-gnu.2.17", "s390x", 64, "big", "glibc", "GLIBC_2.2", ()),
        ("aarch64-musl", "aarch64-linux-musl", "aarch64", 64, "little", "musl", None, ()),
        ("x86_64-musl", "x86_64-linux-musl", "x86_64", 64, "little", "musl", None, ()),
    ]
    steps = []
    for stem, target, arch, cls, endian, libc, node, extra in rows:
        out = f"{{O}}/arch/{stem}.so"
        declared: dict[str, Any] = {
            "arch": arch,
            "class": cls,
            "endian": endian,
            "libc": libc,
            "max_glibc": node,
            "needed": ["libc.so"] if libc == "musl" else ["libc.so.6"],
            "exec_stack": False,
        }
        if arch == "x86_64":  # musl object on glibc: DT_NEEDED libc.so finds the GNU ld script
            declared["loads_on_host"] = False
            declared["host_error_contains"] = "invalid ELF header"
        elif cls == 32:
            declared["loads_on_host"] = False
            declared["host_error_contains"] = "wrong ELF class: ELFCLASS32"
        else:
            declared["loads_on_host"] = False
        steps.append(
            Step(
                out=out,
                argv=_zig(target, out, "{S}/arch/probe.c", *extra),
                source="{S}/arch/probe.c",
                compiler="zig",
                description=f"{arch} ELFCLASS{cls} {endian}-endian {libc} shared object (zig -target {target}).",
                declared=declared,
            )
        )
    return steps


def _stack_and_isa(host_level: int) -> list[Step]:
    """Exec-stack and x86-64 ISA-level variants of one plain object (host gcc)."""
    plain = "{S}/plain/plain.c"
    steps = []
    noexec = "{O}/stack/noexecstack.so"
    steps.append(
        Step(
            out=noexec,
            argv=_gcc(noexec, plain, "-Wl,-z,noexecstack"),
            source=plain,
            description="Control: PT_GNU_STACK present without PF_X (RW).",
            declared={"gnu_stack": "RW", "exec_stack": False, "loads_on_host": True},
        )
    )
    execs = "{O}/stack/execstack.so"
    steps.append(
        Step(
            out=execs,
            argv=_gcc(execs, plain, "-Wl,-z,execstack"),
            source=plain,
            description="PT_GNU_STACK with PF_X (RWE) from -z execstack. glibc 2.36 still loads it (it makes the "
            "process stack executable); glibc >= 2.41 refuses it on dlopen.",
            declared={"gnu_stack": "RWE", "exec_stack": True, "loads_on_host": True},
        )
    )
    nostack = "{O}/stack/no_gnu_stack.so"
    steps.append(
        Step(
            out=nostack,
            argv=(*BUILTIN, "null-gnu-stack", noexec, nostack),
            source=plain,
            deps=(noexec,),
            compiler="builtin",
            description="Copy of noexecstack.so whose PT_GNU_STACK program header type is patched to PT_NULL: no "
            "PT_GNU_STACK at all, so x86_64 falls back to an executable stack.",
            declared={"gnu_stack": None, "exec_stack": True, "loads_on_host": True},
        )
    )
    for level in (2, 3, 4):
        out = f"{{O}}/isa/x86_64_v{level}.so"
        steps.append(
            Step(
                out=out,
                argv=_gcc(out, plain, f"-Wl,-z,x86-64-v{level}"),
                source=plain,
                description=f"GNU_PROPERTY_X86_ISA_1_NEEDED = x86-64-v{level} (-z x86-64-v{level}); loads only on "
                f"CPUs with level >= {level} (host level {host_level}).",
                declared={
                    "x86_isa_level": level,
                    "x86_isa_needed": 1 << (level - 1),
                    "loads_on_host": host_level >= level,
                    **({} if host_level >= level else {"host_error_contains": "CPU ISA level is lower than required"}),
                },
            )
        )
    unknown = "{O}/isa/x86_64_unknown_bit.so"
    steps.append(
        Step(
            out=unknown,
            argv=(*BUILTIN, "set-x86-isa-needed", "{O}/isa/x86_64_v2.so", unknown, "0x10"),
            source=plain,
            deps=("{O}/isa/x86_64_v2.so",),
            compiler="builtin",
            description="Copy of x86_64_v2.so with ISA_1_NEEDED patched to 0x10, a bit no glibc knows: refused on "
            "every CPU.",
            declared={
                "x86_isa_needed": 0x10,
                "x86_isa_level": 5,
                "loads_on_host": False,
                "host_error_contains": "CPU ISA level is lower than required",
            },
        )
    )
    return steps


def _bundles() -> list[Step]:
    """auditwheel-style bundled libraries resolved through $ORIGIN search paths."""
    steps: list[Step] = []
    origin = "-Wl,-rpath,$ORIGIN/../pkg.libs"
    rpath_tag, runpath_tag = "-Wl,--disable-new-dtags", "-Wl,--enable-new-dtags"

    # 1. ext -> libbundled, via DT_RPATH and via DT_RUNPATH.
    for name, tag, kind in (("rpath", rpath_tag, "DT_RPATH"), ("runpath", runpath_tag, "DT_RUNPATH")):
        root = f"bundle/{name}"
        lib = f"{{O}}/{root}/pkg.libs/libbundled-1a2b3c4d.so.1"
        ext = f"{{O}}/{root}/pkg/_ext.so"
        steps.append(
            Step(
                out=lib,
                argv=_gcc(lib, "{S}/bundle/bundled.c", "-Wl,-soname,libbundled-1a2b3c4d.so.1"),
                source="{S}/bundle/bundled.c",
                layout=root,
                description=f"Bundled library with an auditwheel-style hashed name ({name} layout).",
                declared={"soname": "libbundled-1a2b3c4d.so.1", "loads_on_host": True},
            )
        )
        steps.append(
            Step(
                out=ext,
                argv=_gcc(ext, "{S}/bundle/ext.c", f"-L{{O}}/{root}/pkg.libs", "-l:libbundled-1a2b3c4d.so.1", tag, origin),
                source="{S}/bundle/ext.c",
                deps=(lib,),
                layout=root,
                description=f"Extension needing libbundled-1a2b3c4d.so.1, found through {kind} $ORIGIN/../pkg.libs.",
                declared={
                    "needed": ["libbundled-1a2b3c4d.so.1"],
                    "rpath": "$ORIGIN/../pkg.libs" if kind == "DT_RPATH" else None,
                    "runpath": "$ORIGIN/../pkg.libs" if kind == "DT_RUNPATH" else None,
                    "loads_on_host": True,
                },
            )
        )

    # 2. Transitive: ext (search path) -> liba (none) -> libb.  DT_RUNPATH applies to the object's
    # own DT_NEEDED only; DT_RPATH is also searched for the dependencies' needs.
    for name, tag, kind, loads in (
        ("chain_runpath", runpath_tag, "DT_RUNPATH", False),
        ("chain_rpath", rpath_tag, "DT_RPATH", True),
    ):
        root = f"bundle/{name}"
        libs = f"{{O}}/{root}/pkg.libs"
        libb = f"{libs}/libb-1234abcd.so.1"
        liba = f"{libs}/liba-5e6f7a8b.so.1"
        ext = f"{{O}}/{root}/pkg/_ext.so"
        steps.append(
            Step(
                out=libb,
                argv=_gcc(libb, "{S}/bundle/libb.c", "-Wl,-soname,libb-1234abcd.so.1"),
                source="{S}/bundle/libb.c",
                layout=root,
                description="End of the transitive chain ext -> liba -> libb.",
                declared={"soname": "libb-1234abcd.so.1", "rpath": None, "runpath": None, "loads_on_host": True},
            )
        )
        steps.append(
            Step(
                out=liba,
                argv=_gcc(liba, "{S}/bundle/liba.c", "-Wl,-soname,liba-5e6f7a8b.so.1", f"-L{libs}", "-l:libb-1234abcd.so.1"),
                source="{S}/bundle/liba.c",
                deps=(libb,),
                layout=root,
                description="Middle of the chain: needs libb-1234abcd.so.1 but has no RPATH/RUNPATH of its own, so "
                "loaded alone it cannot find libb.",
                declared={
                    "needed": ["libb-1234abcd.so.1"],
                    "rpath": None,
                    "runpath": None,
                    "loads_on_host": False,
                    "host_error_contains": "libb-1234abcd.so.1: cannot open shared object file",
                },
            )
        )
        declared: dict[str, Any] = {
            "needed": ["liba-5e6f7a8b.so.1"],
            "rpath": "$ORIGIN/../pkg.libs" if kind == "DT_RPATH" else None,
            "runpath": "$ORIGIN/../pkg.libs" if kind == "DT_RUNPATH" else None,
            "loads_on_host": loads,
        }
        if not loads:
            declared["host_error_contains"] = "libb-1234abcd.so.1: cannot open shared object file"
        steps.append(
            Step(
                out=ext,
                argv=_gcc(
                    ext,
                    "{S}/bundle/ext_chain.c",
                    f"-L{libs}",
                    "-l:liba-5e6f7a8b.so.1",
                    f"-Wl,-rpath-link,{libs}",
                    tag,
                    origin,
                ),
                source="{S}/bundle/ext_chain.c",
                deps=(liba, libb),
                layout=root,
                description=f"Extension -> liba -> libb with {kind} $ORIGIN/../pkg.libs on the extension only: "
                + (
                    "glibc refuses, RUNPATH is not used for liba's own needs."
                    if not loads
                    else "loads, DT_RPATH of the loader chain is searched for liba's needs."
                ),
                declared=declared,
            )
        )

    # 3. Symbol versions defined by a bundled library.
    for name, script, nodes, loads in (
        ("version_ok", "foo_v2.map", ["FOO_1.0", "FOO_2.0"], True),
        ("version_missing", "foo_v1.map", ["FOO_1.0"], False),
    ):
        root = f"bundle/{name}"
        lib = f"{{O}}/{root}/pkg.libs/libfoo-9999abcd.so.1"
        ext = f"{{O}}/{root}/pkg/_ext.so"
        steps.append(
            Step(
                out=lib,
                argv=_gcc(
                    lib, "{S}/bundle/foo.c", "-Wl,-soname,libfoo-9999abcd.so.1", f"-Wl,--version-script,{{S}}/bundle/{script}"
                ),
                source="{S}/bundle/foo.c",
                inputs=(f"{{S}}/bundle/{script}",),
                layout=root,
                description=f"Bundled library whose version script defines {' and '.join(nodes)}.",
                declared={"verdef": nodes, "soname": "libfoo-9999abcd.so.1", "loads_on_host": True},
            )
        )
        declared = {
            "needed": ["libfoo-9999abcd.so.1"],
            "rpath": "$ORIGIN/../pkg.libs",
            "loads_on_host": loads,
        }
        if not loads:
            declared["host_error_contains"] = "version `FOO_2.0' not found"
        # Both extensions link against the two-node library; the failing layout ships the old one.
        good_libs = "{O}/bundle/version_ok/pkg.libs"
        steps.append(
            Step(
                out=ext,
                argv=_gcc(ext, "{S}/bundle/ext_foo.c", f"-L{good_libs}", "-l:libfoo-9999abcd.so.1", rpath_tag, origin),
                source="{S}/bundle/ext_foo.c",
                deps=(f"{good_libs}/libfoo-9999abcd.so.1",),
                layout=root,
                description="Extension binding foo_new@FOO_2.0 of the bundled libfoo (DT_RPATH $ORIGIN/../pkg.libs); "
                + ("the layout ships the two-node library." if loads else "the layout ships the FOO_1.0-only build."),
                declared=declared,
            )
        )
    return steps


def _python(py: PyInfo) -> list[Step]:
    """CPython extension modules compiled against the host's 3.11 headers."""
    inc = f"-I{py.include}"
    src = "{S}/python/mod.c"
    steps: list[Step] = []

    def ext(file: str, module: str, macro: str, desc: str, declared: dict[str, Any], *extra: str,
            deps: tuple[str, ...] = ()) -> None:
        out = f"{{O}}/python/{file}"
        steps.append(
            Step(
                out=out,
                argv=_gcc(out, src, inc, f"-DAG_MODULE={macro}", *extra),
                source=src,
                deps=deps,
                python_module=module,
                description=desc,
                declared=declared,
            )
        )

    suffix = f".cpython-{PY_TAG}-{PY_MULTIARCH}.so"
    ext(f"good{suffix}", "good", "good", "Version-specific CPython 3.11 extension exporting PyInit_good.",
        {"needed": ["libc.so.6"], "imports_on_host": True, "loads_on_host": True})
    ext("good.abi3.so", "good", "good", "Stable-ABI build (Py_LIMITED_API=0x03080000) of the same module.",
        {"imports_on_host": True}, "-DPy_LIMITED_API=0x03080000")
    ext(f"good.cpython-312-{PY_MULTIARCH}.so", "good", "good",
        "The cpython-311 build renamed for CPython 3.12: the 3.11 host does not even consider the file.",
        {"imports_on_host": False, "loads_on_host": True})
    ext(f"noinit{suffix}", "noinit", "good",
        "Named noinit but exporting PyInit_good only: dlopen works, import fails for lack of PyInit_noinit.",
        {"imports_on_host": False, "loads_on_host": True,
         "host_import_error_contains": "does not define module export function (PyInit_noinit)"})
    ext(f"ft.cpython-313t-{PY_MULTIARCH}.so", "ft", "ft",
        "Free-threaded-named module (cp313t) that also references _Py_MergeZeroLocalRefcount and "
        "_Py_DecRefShared, which only free-threaded builds export.",
        {"imports_on_host": False, "loads_on_host": False, "host_error_contains": "undefined symbol: _Py_"},
        "-DAG_FREE_THREADED")
    if py.shared:
        link = (f"-L{py.libdir}", f"-l:{py.ldlibrary}")
        deps: tuple[str, ...] = ()
        how = f"the host's shared {py.ldlibrary}"
    else:
        stub = "{B}/libpython/" + py.instsoname
        steps.append(
            Step(
                out=stub,
                argv=_gcc(stub, "{S}/python/libpython_stub.c", f"-Wl,-soname,{py.instsoname}"),
                source="{S}/python/libpython_stub.c",
                description="Stub libpython for hosts whose python is statically linked.",
            )
        )
        link = ("-L{B}/libpython", f"-l:{py.instsoname}")
        deps = (stub,)
        how = f"a stub {py.instsoname} (host Python is statically linked)"
    ext(f"linkslibpython{suffix}", "linkslibpython", "linkslibpython",
        f"Extension with DT_NEEDED {py.instsoname}, linked against {how}; the running interpreter already "
        "has that SONAME loaded, so it imports on this host.",
        {"needed": [py.instsoname, "libc.so.6"]}, *link, deps=deps)
    return steps


def _cxx() -> list[Step]:
    """C++ runtimes: libstdc++ version nodes, and zig's statically linked libc++."""
    cv = "{O}/cxx/glibcxx_3_4_30.so"
    zs = "{O}/cxx/zig_libcxx_glibc2.17.so"
    return [
        Step(
            out=cv,
            argv=_gcc(cv, "{S}/cxx/cv.cc", cc="g++"),
            source="{S}/cxx/cv.cc",
            compiler="g++",
            description="g++ 12: condition_variable::wait -> GLIBCXX_3.4.30, exception_ptr copy -> CXXABI_1.3.13.",
            declared={
                "needed": ["libstdc++.so.6", "libgcc_s.so.1", "libc.so.6"],
                "max_versions": {"CXXABI": "CXXABI_1.3.13", "GCC": "GCC_3.0", "GLIBC": "GLIBC_2.2.5",
                                 "GLIBCXX": "GLIBCXX_3.4.30"},
                "loads_on_host": True,
            },
        ),
        Step(
            out=zs,
            argv=_zig("x86_64-linux-gnu.2.17", zs, "{S}/cxx/zig_string.cc", lang="c++"),
            source="{S}/cxx/zig_string.cc",
            compiler="zig",
            description="zig c++ for glibc 2.17: libc++ linked statically (no libstdc++ NEEDED) but the runtime "
            "needs ld-linux-x86-64.so.2, libpthread.so.0 and libdl.so.2. About 200 KB: the static libc++ is the point.",
            declared={
                "needed": ["libc.so.6", "ld-linux-x86-64.so.2", "libpthread.so.0", "libdl.so.2"],
                "libc": "glibc",
                "max_glibc": "GLIBC_2.16",
                "loads_on_host": True,
            },
        ),
    ]


def _odd() -> list[Step]:
    """Unusual ELF kinds and flags."""
    s = "{S}/odd"
    steps = []

    def add(out: str, argv: tuple[str, ...], src: str, desc: str, declared: dict[str, Any], **kw: Any) -> None:
        steps.append(Step(out=out, argv=argv, source=src, description=desc, declared=declared, **kw))

    o = "{O}/odd/relr.so"
    add(o, _gcc(o, f"{s}/relr.c", "-Wl,-z,pack-relative-relocs"), f"{s}/relr.c",
        "DT_RELR relocations (-z pack-relative-relocs) with the GLIBC_ABI_DT_RELR marker Vernaux.",
        {"relr": True, "glibc_markers": ["GLIBC_ABI_DT_RELR"], "loads_on_host": True})
    o = "{O}/odd/exe_nonpie"
    add(o, ("gcc", *GCC_EXE, "-no-pie", "-o", o, f"{s}/exe.c"), f"{s}/exe.c",
        "Non-PIE executable (ET_EXEC): dlopen refuses it.",
        {"elf_type": "ET_EXEC", "pie": False, "interp": "/lib64/ld-linux-x86-64.so.2", "loads_on_host": False,
         "host_error_contains": "cannot dynamically load executable"})
    o = "{O}/odd/exe_pie"
    add(o, ("gcc", *GCC_EXE, "-pie", "-fPIE", "-o", o, f"{s}/exe.c"), f"{s}/exe.c",
        "PIE executable (ET_DYN with DF_1_PIE): dlopen refuses it since glibc 2.30.",
        {"elf_type": "ET_DYN", "pie": True, "interp": "/lib64/ld-linux-x86-64.so.2", "loads_on_host": False,
         "host_error_contains": "cannot dynamically load position-independent executable"})
    o = "{O}/odd/relocatable.so"
    add(o, ("gcc", "-O2", "-g0", "-fPIC", "-c", "-o", o, "{S}/plain/plain.c"), "{S}/plain/plain.c",
        "A relocatable object (gcc -c, ET_REL) renamed .so.",
        {"elf_type": "ET_REL", "needed": [], "loads_on_host": False,
         "host_error_contains": "only ET_DYN and ET_EXEC can be loaded"})
    o = "{O}/odd/static_tls_4096.so"
    add(o, _gcc(o, f"{s}/tls.c", "-DAG_TLS_SIZE=4096"), f"{s}/tls.c",
        "4096 bytes of initial-exec TLS (DF_STATIC_TLS): more than the static TLS surplus of a late dlopen.",
        {"static_tls": True, "tls_memsz": 4096, "loads_on_host": False,
         "host_error_contains": "cannot allocate memory in static TLS block"})
    o = "{O}/odd/static_tls_64.so"
    add(o, _gcc(o, f"{s}/tls.c", "-DAG_TLS_SIZE=64"), f"{s}/tls.c",
        "64 bytes of initial-exec TLS (DF_STATIC_TLS): fits the surplus, loads on glibc (musl refuses any).",
        {"static_tls": True, "tls_memsz": 64, "loads_on_host": True})
    o = "{O}/odd/glibc_private.so"
    add(o, _gcc(o, f"{s}/private.c"), f"{s}/private.c",
        "Binds __libc_fatal@GLIBC_PRIVATE: loads only on the exact glibc build it was linked against (here: the "
        "host's 2.36).",
        {"glibc_private": True, "max_glibc": "GLIBC_2.2.5", "loads_on_host": True})
    o = "{O}/odd/nodlopen.so"
    add(o, _gcc(o, "{S}/plain/plain.c", "-Wl,-z,nodlopen"), "{S}/plain/plain.c",
        "DF_1_NOOPEN (-z nodlopen): the loader refuses to dlopen it.",
        {"nodlopen": True, "loads_on_host": False, "host_error_contains": "shared object cannot be dlopen()ed"})
    full = "{O}/odd/attrib.so"
    # Unstripped: GCC_SO without "-s".
    add(full, ("gcc", *(a for a in GCC_SO if a != "-s"), "-o", full, f"{s}/attrib.c", "-lm"), f"{s}/attrib.c",
        "Unstripped (.symtab kept) object with six glibc nodes from libc and libm, for symbol attribution.",
        {"stripped": False, "max_glibc": "GLIBC_2.36", "needed": ["libm.so.6", "libc.so.6"],
         "glibc_versions": ["GLIBC_2.2.5", "GLIBC_2.14", "GLIBC_2.25", "GLIBC_2.29", "GLIBC_2.33", "GLIBC_2.34",
                            "GLIBC_2.36"],
         "loads_on_host": True})
    o = "{O}/odd/attrib.stripped.so"
    add(o, ("strip", "--strip-all", "-o", o, full), f"{s}/attrib.c",
        "attrib.so after strip --strip-all: same dynamic facts, no .symtab.",
        {"stripped": True, "max_glibc": "GLIBC_2.36", "loads_on_host": True}, deps=(full,), compiler="strip")
    return steps


def _nonelf() -> list[Step]:
    """Mach-O and PE files, which a checker must recognise by content and never dlopen."""
    steps = []
    dylibs = []
    # Deployment targets as typical wheels have them (macosx_10_13_x86_64, macosx_11_0_arm64);
    # zig's default would be its own newest macOS.
    for arch, target in (("x86_64", "x86_64-macos.10.13"), ("arm64", "aarch64-macos.11.0")):
        out = f"{{O}}/nonelf/probe.{arch}.dylib"
        dylibs.append(out)
        steps.append(
            Step(
                out=out,
                argv=(*ZIG, "cc", "-target", target, "-shared", "-O2", "-g0", "-s",
                      "-Wl,-install_name,@rpath/libprobe.dylib", "-o", out, "{S}/nonelf/probe.c"),
                source="{S}/nonelf/probe.c",
                compiler="zig",
                description=f"Mach-O MH_DYLIB for {arch} (zig -target {target}).",
                declared={"format": "macho", "arch": arch, "filetype": 6, "minos": target.split(".", 1)[1] + ".0",
                          "loads_on_host": False,
                          "host_error_contains": "invalid ELF header"},
            )
        )
    fat = "{O}/nonelf/_probe.cpython-312-darwin.so"
    steps.append(
        Step(
            out=fat,
            argv=(*BUILTIN, "fat-macho", fat, *dylibs),
            source="{S}/nonelf/probe.c",
            deps=tuple(dylibs),
            compiler="builtin",
            description="Universal (fat) Mach-O assembled by this script from the two dylibs (big-endian 0xcafebabe "
            "header, slices aligned to 2^14), named like a macOS CPython extension.",
            declared={"format": "macho-fat", "arches": ["x86_64", "arm64"], "loads_on_host": False,
                      "host_error_contains": "invalid ELF header"},
        )
    )
    implib = "{B}/python311.lib"
    steps.append(
        Step(
            out=implib,
            argv=(*ZIG, "dlltool", "-d", "{S}/nonelf/python311.def", "-l", implib, "-m", "i386:x86-64"),
            source="{S}/nonelf/python311.def",
            compiler="zig",
            description="Import library for python311.dll (intermediate).",
        )
    )
    pyd = "{O}/nonelf/_mod.cp311-win_amd64.pyd"
    steps.append(
        Step(
            out=pyd,
            argv=(*ZIG, "cc", "-target", "x86_64-windows-gnu", "-shared", "-O2", "-g0", "-s", "-nostdlib",
                  "-Wl,--entry=DllMainCRTStartup",
                  "-Wl,--out-implib,{B}/_mod.cp311-win_amd64.lib", "-o", pyd, "{S}/nonelf/pymod_win.c", implib),
            source="{S}/nonelf/pymod_win.c",
            inputs=("{S}/nonelf/python311.def",),
            deps=(implib,),
            compiler="zig",
            description="PE32+ DLL named as a CPython 3.11 win_amd64 extension: exports PyInit__mod, imports "
            "python311.dll.",
            declared={"format": "pe", "arch": "x86_64", "imports": ["python311.dll"], "exports": ["PyInit__mod"],
                      "loads_on_host": False, "host_error_contains": "invalid ELF header"},
        )
    )
    return steps


def _rootfs() -> list[Step]:
    """aarch64 system libraries that define version nodes, for `abigate profile from-rootfs` on another
    architecture (the other fixtures only *need* versions; a rootfs's libraries *define* them)."""
    rows = [
        ("libc.so.6", "{S}/rootfs/libc.map", ("-DAG_LIBC_BANNER",), ["GLIBC_2.17", "GLIBC_2.18", "GLIBC_2.28"]),
        ("libfoo.so.1.2", "{S}/rootfs/libfoo.map", (), ["FOO_1.0", "FOO_1.2"]),
    ]
    steps = []
    for name, script, extra, nodes in rows:
        out = f"{{O}}/rootfs/aarch64/{name}"
        soname = "libfoo.so.1" if name.startswith("libfoo") else name
        steps.append(
            Step(
                out=out,
                argv=_zig("aarch64-linux-gnu.2.17", out, "{S}/rootfs/provider.c", "-nostdlib",
                          f"-Wl,-soname,{soname}", f"-Wl,--version-script,{script}", *extra),
                source="{S}/rootfs/provider.c",
                inputs=(script,),
                compiler="zig",
                description=f"aarch64 {soname} defining {', '.join(nodes)} (a rootfs library; never loaded).",
                declared={"arch": "aarch64", "class": 64, "soname": soname, "verdef": nodes,
                          "loads_on_host": False},
            )
        )
    return steps


def all_steps(py: PyInfo, host_level: int) -> list[Step]:
    """The complete fixture table.  The C++ group comes first: on a cold zig cache its static libc++
    build is the longest single step, so it should start before everything else."""
    return [*_cxx(), *_glibc_ladder(), *_arches(), *_stack_and_isa(host_level), *_bundles(), *_python(py),
            *_odd(), *_nonelf(), *_rootfs()]


# --------------------------------------------------------------------------------------------
# Host facts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PyInfo:
    """What the Python fixtures need from the host interpreter."""

    include: str
    libdir: str
    ldlibrary: str
    instsoname: str
    shared: bool


def python_info() -> PyInfo:
    """Read the host interpreter's build configuration (headers, shared libpython)."""
    ver = sysconfig.get_config_var("LDVERSION") or f"{sys.version_info[0]}.{sys.version_info[1]}"
    return PyInfo(
        include=sysconfig.get_paths()["include"],
        libdir=str(sysconfig.get_config_var("LIBDIR") or ""),
        ldlibrary=str(sysconfig.get_config_var("LDLIBRARY") or f"libpython{ver}.so"),
        instsoname=str(sysconfig.get_config_var("INSTSONAME") or f"libpython{ver}.so.1.0"),
        shared=bool(sysconfig.get_config_var("Py_ENABLE_SHARED")),
    )


_ISA_FLAGS = {
    2: {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"},
    3: {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"},
    4: {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
}


def host_x86_level() -> int:
    """x86-64 micro-architecture level of this CPU from /proc/cpuinfo (0 when not x86_64)."""
    if os.uname().machine != "x86_64":
        return 0
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return 1
    m = re.search(r"^flags\s*:\s*(.*)$", text, re.M)
    flags = set(m.group(1).split()) if m else set()
    level = 1
    for n in (2, 3, 4):
        if not _ISA_FLAGS[n] <= flags:
            break
        level = n
    return level


def host_fingerprint() -> dict[str, Any]:
    """The host properties that the measured (loads/imports) facts depend on."""
    libc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    return {
        "machine": os.uname().machine,
        "libc": libc,
        "python": f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}",
        "x86_64_level": host_x86_level(),
    }


def tool_versions() -> dict[str, str]:
    """First version line of each toolchain, recorded per fixture as ``compiler``."""

    def first(argv: Sequence[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return "unavailable"
        return out.splitlines()[0].strip() if out else "unknown"

    zig = first([sys.executable, "-m", "ziglang", "version"])
    return {
        "gcc": first(["gcc", "--version"]),
        "g++": first(["g++", "--version"]),
        "zig": f"zig {zig}",
        "strip": first(["strip", "--version"]),
        "builtin": "scripts/build_testdata.py builtin step",
        "readelf": first(["readelf", "--version"]),
    }


# --------------------------------------------------------------------------------------------
# Builtin byte-patching steps (ELF64 little-endian only: that is all they are used on)
# --------------------------------------------------------------------------------------------

PT_NULL, PT_NOTE, PT_GNU_STACK, PT_GNU_PROPERTY = 0, 4, 0x6474E551, 0x6474E553
SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2
GNU_PROPERTY_X86_ISA_1_NEEDED = 0xC0008002


def _elf64le(data: bytes | bytearray) -> None:
    """Refuse anything the patchers were not written for."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit("builtin patch steps only handle ELF64 little-endian files")


def _phdrs(data: bytes | bytearray) -> list[tuple[int, int, int, int]]:
    """(offset of the phdr, p_type, p_offset, p_filesz) for each program header."""
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    out = []
    for i in range(phnum):
        at = phoff + i * phentsize
        p_type, = struct.unpack_from("<I", data, at)
        p_offset, = struct.unpack_from("<Q", data, at + 8)
        p_filesz, = struct.unpack_from("<Q", data, at + 32)
        out.append((at, p_type, p_offset, p_filesz))
    return out


def patch_null_gnu_stack(src: Path, dst: Path) -> None:
    """Turn PT_GNU_STACK into PT_NULL, so the object has no stack marking at all.

    This is what an object assembled from a ``.s`` without ``.note.GNU-stack`` looks like to the
    loader; patching a copy is simpler and more deterministic than provoking the old assembler
    behaviour.
    """
    data = bytearray(src.read_bytes())
    _elf64le(data)
    hits = [at for at, p_type, _, _ in _phdrs(data) if p_type == PT_GNU_STACK]
    if len(hits) != 1:
        raise SystemExit(f"{src}: expected one PT_GNU_STACK, found {len(hits)}")
    struct.pack_into("<I", data, hits[0], PT_NULL)
    dst.write_bytes(bytes(data))


def patch_weak_vernaux(src: Path, dst: Path, version: str) -> None:
    """Set VER_FLG_WEAK on the Vernaux named ``version`` (found via SHT_GNU_verneed)."""
    data = bytearray(src.read_bytes())
    _elf64le(data)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for i in range(shnum):
        at = shoff + i * shentsize
        sh_type, = struct.unpack_from("<I", data, at + 4)
        sh_offset, = struct.unpack_from("<Q", data, at + 24)
        sh_link, sh_info = struct.unpack_from("<II", data, at + 40)
        sections.append((sh_type, sh_offset, sh_link, sh_info))
    hits = 0
    for sh_type, off, link, count in sections:
        if sh_type != SHT_GNU_VERNEED:
            continue
        strtab = sections[link][1]
        at = off
        for _ in range(count):
            _, vn_cnt, _, vn_aux, vn_next = struct.unpack_from("<HHIII", data, at)
            aux = at + vn_aux
            for _ in range(vn_cnt):
                _, flags, _, name, nxt = struct.unpack_from("<IHHII", data, aux)
                end = data.index(b"\0", strtab + name)
                if data[strtab + name : end].decode() == version:
                    struct.pack_into("<H", data, aux + 4, flags | VER_FLG_WEAK)
                    hits += 1
                aux += nxt
            at += vn_next
    if hits != 1:
        raise SystemExit(f"{src}: expected one Vernaux {version}, found {hits}")
    dst.write_bytes(bytes(data))


def patch_x86_isa_needed(src: Path, dst: Path, value: int) -> None:
    """Rewrite the GNU_PROPERTY_X86_ISA_1_NEEDED word in the PT_GNU_PROPERTY note."""
    data = bytearray(src.read_bytes())
    _elf64le(data)
    hits = 0
    for _, p_type, p_offset, p_filesz in _phdrs(data):
        if p_type != PT_GNU_PROPERTY:
            continue
        at, end = p_offset, p_offset + p_filesz
        while at + 12 <= end:
            namesz, descsz, _ = struct.unpack_from("<III", data, at)
            desc = at + 12 + ((namesz + 3) & ~3)  # "GNU\0": the 8-aligned descriptor starts at +16
            d = desc
            while d + 8 <= desc + descsz:
                pr_type, pr_datasz = struct.unpack_from("<II", data, d)
                if pr_type == GNU_PROPERTY_X86_ISA_1_NEEDED and pr_datasz == 4:
                    struct.pack_into("<I", data, d + 8, value)
                    hits += 1
                d += 8 + ((pr_datasz + 7) & ~7)
            at = desc + ((descsz + 7) & ~7)
    if hits != 1:
        raise SystemExit(f"{src}: expected one X86_ISA_1_NEEDED property, found {hits}")
    dst.write_bytes(bytes(data))


MH_MAGIC_64 = 0xFEEDFACF
FAT_MAGIC = 0xCAFEBABE
FAT_ALIGN = 14  # 2^14 = 16 KiB, the arm64 page size, what lipo uses for arm64 slices


def build_fat_macho(dst: Path, slices: Sequence[Path]) -> None:
    """Write a universal Mach-O: ``fat_header`` then one ``fat_arch`` per slice, big-endian.

    fat_header = {u32 magic 0xcafebabe, u32 nfat_arch}; fat_arch = {i32 cputype, i32 cpusubtype,
    u32 offset, u32 size, u32 align (log2)}; each slice starts on a 2^align boundary, the gaps
    are zero.  cputype/cpusubtype are copied from each thin slice's own mach_header_64.
    """
    blobs = [p.read_bytes() for p in slices]
    header = struct.pack(">II", FAT_MAGIC, len(blobs))
    entries, body = [], b""
    offset = 1 << FAT_ALIGN  # the headers easily fit in the first 16 KiB
    for blob in blobs:
        magic, cputype, cpusubtype = struct.unpack_from("<III", blob, 0)
        if magic != MH_MAGIC_64:
            raise SystemExit("fat-macho: slices must be thin little-endian 64-bit Mach-O files")
        entries.append(struct.pack(">iiIII", cputype, cpusubtype, offset, len(blob), FAT_ALIGN))
        body += b"\0" * (offset - (1 << FAT_ALIGN) - len(body)) + blob
        offset += len(blob)
        offset = (offset + (1 << FAT_ALIGN) - 1) & ~((1 << FAT_ALIGN) - 1)
    head = header + b"".join(entries)
    dst.write_bytes(head + b"\0" * ((1 << FAT_ALIGN) - len(head)) + body)


def run_builtin(args: Sequence[str]) -> None:
    """Dispatch ``builtin <step> ...`` (also used in-process by the build)."""
    step, *rest = args
    if step == "null-gnu-stack":
        patch_null_gnu_stack(Path(rest[0]), Path(rest[1]))
    elif step == "weak-vernaux":
        patch_weak_vernaux(Path(rest[0]), Path(rest[1]), rest[2])
    elif step == "set-x86-isa-needed":
        patch_x86_isa_needed(Path(rest[0]), Path(rest[1]), int(rest[2], 0))
    elif step == "fat-macho":
        build_fat_macho(Path(rest[0]), [Path(p) for p in rest[1:]])
    else:
        raise SystemExit(f"unknown builtin step {step!r}")


# --------------------------------------------------------------------------------------------
# Static facts from readelf (ELF) and tiny parsers (Mach-O, PE)
# --------------------------------------------------------------------------------------------

#: readelf "Machine:" text -> (arch name used in manifests, e_machine)
_MACHINES = {
    "Advanced Micro Devices X86-64": ("x86_64", 62),
    "AArch64": ("aarch64", 183),
    "Intel 80386": ("i386", 3),
    "ARM": ("arm", 40),
    "PowerPC64": ("ppc64", 21),
    "RISC-V": ("riscv", 243),
    "IBM S/390": ("s390", 22),
}
#: No PT_GNU_STACK means an executable stack on these (glibc sysdeps/<arch>/stackinfo.h).
_EXEC_STACK_DEFAULT = {"x86_64", "i386", "arm", "s390x", "s390"}
_ISA_NAMES = {"x86-64-baseline": 1, "x86-64-v2": 2, "x86-64-v3": 4, "x86-64-v4": 8}


def _readelf(path: Path, *flags: str) -> str:
    """Run readelf with wide output and return stdout (errors are build errors)."""
    res = subprocess.run(["readelf", "-W", *flags, str(path)], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"readelf {' '.join(flags)} {path}: {res.stderr.strip()}")
    return res.stdout


def _version_key(name: str) -> tuple[int, ...]:
    """Numeric sort key of FAMILY_x.y.z (GLIBC_2.2.5 < GLIBC_2.14)."""
    return tuple(int(p) for p in name.rsplit("_", 1)[1].split("."))


def elf_facts(path: Path) -> dict[str, Any]:
    """All static facts of an ELF file, as readelf (binutils) reports them.

    Keys are documented in testdata/README.md; every ELF entry has all of them.
    """
    hdr = _readelf(path, "-h")

    def header(key: str) -> str:
        """Value of one 'Key: value' line of readelf -h."""
        hm = re.search(rf"^\s*{re.escape(key)}:\s*(.*)$", hdr, re.M)
        if hm is None:
            raise RuntimeError(f"{path}: readelf -h printed no {key!r}")
        return hm.group(1).strip()

    cls = 64 if "ELF64" in header("Class") else 32
    endian = "little" if "little" in header("Data") else "big"
    osabi_txt = header("OS/ABI")
    osabi = 3 if "GNU" in osabi_txt else 0 if "System V" in osabi_txt else -1
    etype = header("Type").split()[0]
    mach_txt = header("Machine")
    e_flags = int(header("Flags").split(",")[0], 16)
    arch, e_machine = _MACHINES.get(mach_txt, (mach_txt, -1))
    if arch == "ppc64" and endian == "little":
        arch = "ppc64le"
    elif arch == "riscv":
        arch = "riscv64" if cls == 64 else "riscv32"
    elif arch == "s390":
        arch = "s390x" if cls == 64 else "s390"

    phdr = _readelf(path, "-l")
    gnu_stack: str | None = None
    tls_memsz: int | None = None
    interp = None
    load_align = 0
    for m in re.finditer(
        r"^\s+(\S+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s(...)\s+(0x[0-9a-f]+|\d+)$",
        phdr,
        re.M,
    ):
        if m.group(1) == "LOAD":
            load_align = max(load_align, int(m.group(5), 0))
        elif m.group(1) == "GNU_STACK":
            gnu_stack = m.group(4).replace(" ", "")
        elif m.group(1) == "TLS":
            tls_memsz = int(m.group(3), 16)
    im = re.search(r"\[Requesting program interpreter: (.*)\]", phdr)
    if im:
        interp = im.group(1)

    dyn = _readelf(path, "-d")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", dyn)

    def one(rx: str) -> str | None:
        """First capture of ``rx`` in readelf -d, if any."""
        dm = re.search(rx, dyn)
        return dm.group(1) if dm else None

    soname = one(r"\(SONAME\)\s+Library soname: \[(.*)\]")
    rpath = one(r"\(RPATH\)\s+Library rpath: \[(.*)\]")
    runpath = one(r"\(RUNPATH\)\s+Library runpath: \[(.*)\]")
    flags = (one(r"\(FLAGS\)\s+(.*)") or "").split()
    flags_1 = (one(r"\(FLAGS_1\)\s+Flags:\s+(.*)") or "").split()
    relr = bool(re.search(r"\(RELR\)", dyn))

    ver = _readelf(path, "-V")
    verneed: list[dict[str, Any]] = []
    verdef: list[str] = []
    mode: str | None = None
    cur_file: str | None = None
    for line in ver.splitlines():
        if line.startswith("Version needs section"):
            mode = "need"
        elif line.startswith("Version definition section"):
            mode = "def"
        elif line.startswith("Version symbols section"):
            mode = None
        elif mode == "need":
            if fm := re.search(r"File: (\S+)\s+Cnt:", line):
                cur_file = fm.group(1)
            elif nm := re.search(r"Name: (\S+)\s+Flags: (.*?)\s+Version:", line):
                verneed.append({"file": cur_file, "version": nm.group(1), "weak": "WEAK" in nm.group(2)})
        elif mode == "def":
            if dm := re.search(r"Flags: (\S+)\s+Index: \d+\s+Cnt: \d+\s+Name: (\S+)", line):
                if dm.group(1) != "BASE":
                    verdef.append(dm.group(2))

    nodes = {v["version"] for v in verneed}
    glibc_versions = sorted((n for n in nodes if re.fullmatch(r"GLIBC_\d+(\.\d+)+", n)), key=_version_key)
    markers = sorted(n for n in nodes if n.startswith("GLIBC_ABI_"))
    # Highest node per family (GLIBC, GLIBCXX, CXXABI, GCC, FOO...): "<FAMILY>_<dotted number>".
    max_versions: dict[str, str] = {}
    for n in nodes:
        if fm := re.fullmatch(r"([A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)*)_(\d+(?:\.\d+)*)", n):
            fam = fm.group(1)
            if fam not in max_versions or _version_key(n) > _version_key(max_versions[fam]):
                max_versions[fam] = n

    notes = _readelf(path, "-n")
    isa_needed: int | None = None
    for m in re.finditer(r"x86 ISA needed: (.*)$", notes, re.M):
        isa_needed = isa_needed or 0
        for part in m.group(1).split(","):
            part = part.strip()
            if part in _ISA_NAMES:
                isa_needed |= _ISA_NAMES[part]
            elif u := re.fullmatch(r"<unknown: ([0-9a-fx]+)>", part):
                isa_needed |= int(u.group(1), 16)

    sections = _readelf(path, "-S")
    stripped = not re.search(r"\]\s+\.symtab\s", sections)

    syms = _readelf(path, "--dyn-syms")
    undefined, undefined_weak, exports = set(), set(), set()
    for m in re.finditer(
        r"^\s+\d+:\s+[0-9a-f]+\s+\d+\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+?)(?: \(\d+\))?$", syms, re.M
    ):
        stype, bind, vis, ndx, name = m.groups()
        if not name or bind == "LOCAL":
            continue
        if ndx == "UND":
            undefined.add(name)
            if bind == "WEAK":
                undefined_weak.add(name)
        elif bind in ("GLOBAL", "WEAK") and vis in ("DEFAULT", "PROTECTED") and stype != "SECTION":
            exports.add(name)

    needed_set = set(needed)
    if any(n == "libc.so" or n.startswith("libc.musl-") for n in needed_set) or (interp or "").startswith("/lib/ld-musl"):
        libc = "musl"
    elif "libc.so.6" in needed_set or glibc_versions or markers:
        libc = "glibc"
    else:
        libc = None

    return {
        "format": "elf",
        "arch": arch,
        "class": cls,
        "endian": endian,
        "e_machine": e_machine,
        "e_flags": e_flags,
        "osabi": osabi,
        "elf_type": f"ET_{etype}",
        "interp": interp,
        "soname": soname,
        "needed": needed,
        "rpath": rpath,
        "runpath": runpath,
        "libc": libc,
        "verneed": verneed,
        "verdef": verdef,
        "glibc_versions": glibc_versions,
        "max_glibc": glibc_versions[-1] if glibc_versions else None,
        "glibc_markers": markers,
        "max_versions": dict(sorted(max_versions.items())),
        "glibc_private": "GLIBC_PRIVATE" in nodes,
        "gnu_stack": gnu_stack,
        "exec_stack": gnu_stack == "RWE" if gnu_stack else (etype != "REL" and arch in _EXEC_STACK_DEFAULT),
        "x86_isa_needed": isa_needed,
        "x86_isa_level": isa_needed.bit_length() if isa_needed else None,
        "relr": relr,
        "static_tls": "STATIC_TLS" in flags,
        "tls_memsz": tls_memsz,
        "max_load_align": load_align or None,
        "pie": "PIE" in flags_1,
        "nodlopen": "NOOPEN" in flags_1,
        "stripped": stripped,
        "undefined": sorted(undefined),
        "undefined_weak": sorted(undefined_weak),
        "exports": sorted(exports),
    }


_MACHO_CPU = {0x01000007: "x86_64", 0x0100000C: "arm64"}


def macho_facts(path: Path) -> dict[str, Any]:
    """Header, install name, dependent dylibs and deployment target of a thin or fat Mach-O."""
    data = path.read_bytes()
    magic_be, = struct.unpack_from(">I", data, 0)
    if magic_be == FAT_MAGIC:
        n, = struct.unpack_from(">I", data, 4)
        slices = []
        for i in range(n):
            cputype, cpusub, off, size, align = struct.unpack_from(">iiIII", data, 8 + 20 * i)
            slices.append({"arch": _MACHO_CPU.get(cputype & 0xFFFFFFFF, hex(cputype)), "cputype": cputype,
                           "offset": off, "size": size, "align": align})
        # "arch" stays a key (None) so every format has the common keys; "arches" lists the slices.
        return {"format": "macho-fat", "arch": None, "arches": [s["arch"] for s in slices], "slices": slices}
    magic, cputype, _, filetype, ncmds, _, _ = struct.unpack_from("<IIIIIII", data, 0)
    if magic != MH_MAGIC_64:
        raise RuntimeError(f"{path}: not a 64-bit little-endian Mach-O")
    at, dylibs, install_name, minos, minos_cmd = 32, [], None, None, None
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, at)
        if cmd in (0xC, 0xD):  # LC_LOAD_DYLIB, LC_ID_DYLIB: struct dylib, name at offset 8
            name_off, = struct.unpack_from("<I", data, at + 8)
            name = data[at + name_off : at + size].split(b"\0", 1)[0].decode()
            if cmd == 0xC:
                dylibs.append(name)
            else:
                install_name = name
        elif cmd in (0x32, 0x24):
            # LC_BUILD_VERSION {platform, minos, ...} or LC_VERSION_MIN_MACOSX {version, sdk}
            # (older deployment targets); versions are X<<16 | Y<<8 | Z.
            mv, = struct.unpack_from("<I", data, at + (12 if cmd == 0x32 else 8))
            minos = f"{mv >> 16}.{(mv >> 8) & 0xFF}.{mv & 0xFF}"
            minos_cmd = "LC_BUILD_VERSION" if cmd == 0x32 else "LC_VERSION_MIN_MACOSX"
        at += size
    return {"format": "macho", "arch": _MACHO_CPU.get(cputype, hex(cputype)), "cputype": cputype,
            "filetype": filetype, "install_name": install_name, "dylibs": dylibs, "minos": minos,
            "minos_command": minos_cmd}


_PE_MACHINE = {0x8664: "x86_64", 0x14C: "i386", 0xAA64: "arm64"}


def pe_facts(path: Path) -> dict[str, Any]:
    """Machine, DLL flag, imported DLL names and exported names of a PE32+ file."""
    data = path.read_bytes()
    pe, = struct.unpack_from("<I", data, 0x3C)
    if data[pe : pe + 4] != b"PE\0\0":
        raise RuntimeError(f"{path}: no PE signature")
    machine, nsec, _, _, _, optsize, chars = struct.unpack_from("<HHIIIHH", data, pe + 4)
    opt = pe + 24
    omagic, = struct.unpack_from("<H", data, opt)
    dd = opt + (112 if omagic == 0x20B else 96)
    sects: list[tuple[int, int, int]] = []
    for i in range(nsec):
        s = opt + optsize + 40 * i
        vsize, va, rawsize, rawptr = (int(v) for v in struct.unpack_from("<IIII", data, s + 8))
        sects.append((va, max(vsize, rawsize), rawptr))

    def off(rva: int) -> int:
        for va, size, raw in sects:
            if va <= rva < va + size:
                return rva - va + raw
        raise RuntimeError(f"{path}: RVA {rva:#x} outside sections")

    def cstr(rva: int) -> str:
        o = off(rva)
        return data[o : data.index(b"\0", o)].decode()

    exp_rva, _ = struct.unpack_from("<II", data, dd)
    imp_rva, _ = struct.unpack_from("<II", data, dd + 8)
    exports, imports = [], []
    if exp_rva:
        e = off(exp_rva)
        nnames, _, names_rva = struct.unpack_from("<III", data, e + 24)
        for i in range(nnames):
            exports.append(cstr(struct.unpack_from("<I", data, off(names_rva) + 4 * i)[0]))
    if imp_rva:
        d = off(imp_rva)
        while True:
            name_rva, = struct.unpack_from("<I", data, d + 12)
            if not name_rva:
                break
            imports.append(cstr(name_rva))
            d += 20
    return {"format": "pe", "arch": _PE_MACHINE.get(machine, hex(machine)), "pe_machine": machine,
            "pe32_plus": omagic == 0x20B, "dll": bool(chars & 0x2000), "imports": imports, "exports": sorted(exports)}


def static_facts(path: Path) -> dict[str, Any]:
    """Dispatch on content (never on the file name)."""
    head = path.read_bytes()[:4]
    if head == b"\x7fELF":
        return elf_facts(path)
    if head in (b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe"):
        return macho_facts(path)
    if head[:2] == b"MZ":
        return pe_facts(path)
    raise RuntimeError(f"{path}: unknown format")


def python_facts(path: Path, module: str, exports: Sequence[str]) -> dict[str, Any]:
    """What a checker derives from an extension's file name plus its PyInit export."""
    name = path.name
    suffix = name[len(module) :]
    m = re.fullmatch(r"\.cpython-(\d)(\d+)([a-z]*)-(.+)\.so", suffix)
    init = f"PyInit_{module}"
    return {
        "module": module,
        "suffix": suffix,
        "abi3": suffix == ".abi3.so",
        "cpython": f"{m.group(1)}.{m.group(2)}" if m else None,
        "abiflags": m.group(3) if m else None,
        "free_threaded": bool(m and "t" in m.group(3)),
        "init_symbol": init if init in exports else None,
    }


# --------------------------------------------------------------------------------------------
# Host measurement
# --------------------------------------------------------------------------------------------

_CTYPES_PROBE = """
import ctypes, json, sys
try:
    ctypes.CDLL(sys.argv[1])
    print(json.dumps(None))
except BaseException as e:
    print(json.dumps(f"{type(e).__name__}: {e}"))
"""

_IMPORT_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
try:
    __import__(sys.argv[2])
    print(json.dumps(None))
except BaseException as e:
    print(json.dumps(f"{type(e).__name__}: {e}"))
"""


def _probe(code: str, args: Sequence[str], root: str) -> tuple[bool, str | None]:
    """Run one probe in a fresh interpreter; (ok, normalised error)."""
    res = subprocess.run([sys.executable, "-I", "-S", "-c", code, *args], capture_output=True, text=True,
                         timeout=60)
    if res.returncode != 0:
        tail = (res.stderr.strip().splitlines() or [""])[-1]
        err: str | None = f"process died (exit {res.returncode}): {tail}"
    else:
        err = json.loads(res.stdout.strip().splitlines()[-1])
    if err is not None:
        err = err.replace(root, "<dir>")
    return err is None, err


def measure(built: Path, step: Step) -> dict[str, Any]:
    """Load (and import) the fixture from a temporary copy of its directory layout."""
    src_root = built / step.layout if step.layout else built / step.rel
    relpath = Path(step.rel).relative_to(step.layout) if step.layout else Path(Path(step.rel).name)
    with tempfile.TemporaryDirectory(prefix="abigate-measure-") as tmp:
        root = os.path.realpath(tmp)
        if step.layout:
            shutil.copytree(src_root, root, dirs_exist_ok=True, symlinks=True)
        else:
            shutil.copy2(src_root, os.path.join(root, relpath))
        target = os.path.join(root, relpath)
        loads, error = _probe(_CTYPES_PROBE, [target], root)
        result: dict[str, Any] = {"loads_on_host": loads, "host_error": error}
        if step.python_module:
            ok, ierr = _probe(_IMPORT_PROBE, [os.path.dirname(target), step.python_module], root)
            result.update(imports_on_host=ok, host_import_error=ierr)
        else:
            result.update(imports_on_host=None, host_import_error=None)
    return result


# --------------------------------------------------------------------------------------------
# Build driver
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Context:
    """Where one build writes, and how to turn templates into paths."""

    out_root: Path  # absolute path substituted for {O}
    build_root: Path  # absolute path substituted for {B}

    def expand(self, template: str) -> str:
        """Executable form: {O}/{B} absolute (or repo-relative in a normal build)."""
        o = os.path.relpath(self.out_root, REPO) if self.out_root.is_relative_to(REPO) else str(self.out_root)
        b = os.path.relpath(self.build_root, REPO) if self.build_root.is_relative_to(REPO) else str(self.build_root)
        return template.replace("{O}", o).replace("{B}", b).replace("{S}", REC_S)


def recorded(template: str) -> str:
    """Manifest form of a template: repository-relative paths."""
    return template.replace("{O}", REC_O).replace("{B}", REC_B).replace("{S}", REC_S)


def execute(step: Step, ctx: Context) -> None:
    """Run one step (builtin steps in-process, everything else as a subprocess)."""
    argv = [ctx.expand(a) for a in step.argv]
    out = REPO / ctx.expand(step.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    if tuple(step.argv[: len(BUILTIN)]) == BUILTIN:
        run_builtin(argv[len(BUILTIN) :])
        return
    if tuple(step.argv[: len(ZIG)]) == ZIG:
        argv = [sys.executable, *argv[1:]]
    res = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    if res.returncode != 0 or not out.exists():
        raise RuntimeError(f"build of {step.out} failed ({res.returncode}):\n$ {' '.join(argv)}\n{res.stderr}")


def run_all(steps: Sequence[Step], ctx: Context, jobs: int) -> None:
    """Execute steps respecting ``deps``, ``jobs`` at a time."""
    pending = {s.out: s for s in steps}
    done: set[str] = set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        running: dict[concurrent.futures.Future[None], Step] = {}
        while pending or running:
            for out, s in list(pending.items()):
                if all(d in done for d in s.deps):
                    running[pool.submit(execute, s, ctx)] = s
                    del pending[out]
            if not running:
                raise RuntimeError(f"unsatisfiable deps: {sorted(pending)}")
            finished, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for fut in finished:
                s = running.pop(fut)
                try:
                    fut.result()
                except SystemExit as exc:  # a builtin step refused its input
                    raise RuntimeError(f"{s.out}: {exc}") from None
                done.add(s.out)


def sha256(path: Path) -> str:
    """Hex digest of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def collect(steps: Sequence[Step], ctx: Context, tools: Mapping[str, str], jobs: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Facts for every fixture; returns (manifest entries, problems with declared facts)."""
    fixtures = [s for s in steps if s.is_fixture]
    problems: list[str] = []

    def one(step: Step) -> dict[str, Any]:
        path = ctx.out_root / step.rel
        expect = static_facts(path)
        expect["python"] = (
            python_facts(path, step.python_module, expect.get("exports", [])) if step.python_module else None
        )
        expect.update(measure(ctx.out_root, step))
        for key in ("host_error_contains", "host_import_error_contains"):
            want = step.declared.get(key)
            expect[key] = want
            got = expect["host_error" if key == "host_error_contains" else "host_import_error"]
            if want is not None and (got is None or want not in got):
                problems.append(f"{step.rel}: {key} {want!r} not in measured {got!r}")
        for key, want in step.declared.items():
            if key.endswith("_contains"):
                continue
            if key not in expect:
                problems.append(f"{step.rel}: declared key {key!r} is not a known fact")
            elif expect[key] != want:
                problems.append(f"{step.rel}: declared {key}={want!r} but found {expect[key]!r}")
        entry: dict[str, Any] = {
            "path": f"elf/{step.rel}",
            "sha256": sha256(path),
            "size": path.stat().st_size,
            "source": recorded(step.source).removeprefix("testdata/") if step.source else None,
            "inputs": [recorded(i).removeprefix("testdata/") for i in step.inputs],
            "derived_from": [f"elf/{recorded(d).removeprefix(REC_O + '/')}" for d in step.deps if d.startswith("{O}/")]
            if step.compiler in ("builtin", "strip")
            else [],
            "command": [recorded(a) for a in step.argv],
            "compiler": tools[step.compiler],
            "description": step.description,
            "layout": None,
            "expect": expect,
        }
        if step.layout:
            entry["layout"] = {"name": step.layout, "root": f"elf/{step.layout}",
                               "relpath": str(Path(step.rel).relative_to(step.layout))}
        return entry

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        entries = list(pool.map(one, fixtures))
    return sorted(entries, key=lambda e: e["path"]), problems


def layouts_of(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Directory layouts (bundling scenarios) with their files, for assembling wheels in tests."""
    out: dict[str, Any] = {}
    for e in entries:
        lay = e["layout"]
        if not lay:
            continue
        item = out.setdefault(lay["name"], {"root": lay["root"], "files": [], "entry": None})
        item["files"].append(lay["relpath"])
        if lay["relpath"].startswith("pkg/"):
            item["entry"] = lay["relpath"]
            item["entry_loads_on_host"] = e["expect"]["loads_on_host"]
            item["entry_host_error"] = e["expect"]["host_error"]
    for item in out.values():
        item["files"].sort()
    return dict(sorted(out.items()))


HOST_KEYS = ("loads_on_host", "host_error", "imports_on_host", "host_import_error")


def check(recorded_manifest: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """Compare a fresh build's facts with the manifest (host facts only on a matching host)."""
    problems: list[str] = []
    same_host = recorded_manifest.get("host") == host_fingerprint()
    old = {e["path"]: e for e in recorded_manifest["files"]}
    new = {e["path"]: e for e in entries}
    for path in sorted(set(old) - set(new)):
        problems.append(f"{path}: in the manifest but not built")
    for path in sorted(set(new) - set(old)):
        problems.append(f"{path}: built but not in the manifest")
    identical = 0
    for path in sorted(set(old) & set(new)):
        a, b = old[path]["expect"], new[path]["expect"]
        identical += old[path]["sha256"] == new[path]["sha256"]
        committed = TESTDATA / path
        if not committed.exists() or sha256(committed) != old[path]["sha256"]:
            problems.append(f"{path}: committed file missing or its sha256 differs from the manifest")
        for key in sorted(set(a) | set(b)):
            if key in HOST_KEYS and not same_host:
                continue
            if a.get(key) != b.get(key):
                problems.append(f"{path}: {key} recorded {a.get(key)!r}, rebuilt {b.get(key)!r}")
    print(f"check: {len(new)} fixtures rebuilt, {identical} byte-identical to the committed files"
          + ("" if same_host else "; host differs from the recorded one, host-measured facts not compared"))
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["builtin"]:
        run_builtin(args[1:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="rebuild into a temp dir and verify the manifest's facts")
    ap.add_argument("--jobs", type=int, default=max(2, (os.cpu_count() or 2)), help="parallel build steps")
    opts = ap.parse_args(args)

    if sys.version_info[:2] != (3, 11) or os.uname().machine != "x86_64":
        print("build_testdata.py: the Python fixtures are compiled against CPython 3.11 headers on x86_64; "
              "run this script with an x86_64 CPython 3.11", file=sys.stderr)
        return 2
    for tool in ("gcc", "g++", "readelf", "strip"):
        if shutil.which(tool) is None:
            print(f"build_testdata.py: {tool} not found", file=sys.stderr)
            return 2

    os.chdir(REPO)  # every recorded path (and builtin step argument) is repository-relative
    started = time.monotonic()
    fingerprint = host_fingerprint()
    steps = all_steps(python_info(), fingerprint["x86_64_level"])
    tools = tool_versions()

    with tempfile.TemporaryDirectory(prefix="abigate-testdata-") as tmp:
        if opts.check:
            ctx = Context(out_root=Path(tmp) / "elf", build_root=Path(tmp) / "build")
        else:
            elf = TESTDATA / "elf"
            if elf.exists():
                shutil.rmtree(elf)  # stale fixtures must not survive a rename
            ctx = Context(out_root=elf, build_root=TESTDATA / "build")
        ctx.out_root.mkdir(parents=True, exist_ok=True)
        ctx.build_root.mkdir(parents=True, exist_ok=True)
        try:
            run_all(steps, ctx, opts.jobs)
        except RuntimeError as exc:
            print(f"build_testdata.py: {exc}", file=sys.stderr)
            return 1
        built = time.monotonic()
        entries, problems = collect(steps, ctx, tools, opts.jobs)

        if opts.check:
            try:
                old = json.loads(MANIFEST.read_text())
            except (OSError, ValueError) as exc:
                print(f"build_testdata.py: cannot read {MANIFEST}: {exc}", file=sys.stderr)
                return 1
            problems += check(old, entries)
        else:
            manifest = {
                "schema": SCHEMA_VERSION,
                "generator": "scripts/build_testdata.py",
                "host": fingerprint,
                "toolchains": {k: v for k, v in sorted(tools.items())},
                "layouts": layouts_of(entries),
                "files": entries,
            }
            MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=False) + "\n")

    for p in problems:
        print(f"PROBLEM: {p}", file=sys.stderr)
    print(f"{len(entries)} fixtures; build {built - started:.1f}s, facts {time.monotonic() - built:.1f}s; "
          f"{'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
