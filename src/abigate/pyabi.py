"""Python ABI names: extension-module suffixes and wheel tags, always for an *explicit* target.

Pure functions. Nothing here asks the running interpreter or the host: ``packaging.tags`` generators
fall back to the host when ``abis``/``platforms`` are omitted, so every call below passes them.

>>> parse_extension_name("_rust.abi3.so").kind
'abi3'
>>> s = parse_extension_name("_speedups.cpython-312-x86_64-linux-gnu.so")
>>> (s.module, s.python_version, s.platform)
('_speedups', (3, 12), 'x86_64-linux-gnu')
>>> extension_suffixes((3, 11), multiarch="x86_64-linux-gnu")
('.cpython-311-x86_64-linux-gnu.so', '.abi3.so', '.so')
>>> platform_tags("x86_64", "glibc", (2, 17))[:3]
('manylinux_2_17_x86_64', 'manylinux2014_x86_64', 'manylinux_2_16_x86_64')
"""

from __future__ import annotations

import re

from packaging.tags import Tag, compatible_tags, cpython_tags

from abigate.facts import ExtensionSuffix

__all__ = [
    "extension_suffixes",
    "multiarch",
    "parse_extension_name",
    "platform_tags",
    "python_tags",
    "wheel_arch",
]

# CPython's versioned suffix (Python/dynload_shlib.c, configure's SOABI): .cpython-<XY><flags>-<multiarch>.so
_CPYTHON_RE = re.compile(r"^\.cpython-(?P<ver>\d)(?P<minor>\d+)(?P<flags>[tdmu]*)(?:-(?P<plat>[A-Za-z0-9_.-]+?))?\.so$")
_PYPY_RE = re.compile(r"^\.pypy(?P<ver>\d+)-pp(?P<pp>\d+)(?:-(?P<plat>[A-Za-z0-9_.-]+?))?\.so$")
_ABI3_RE = re.compile(r"^\.(?P<kind>abi3t?)(?:-(?P<plat>[A-Za-z0-9_.-]+?))?\.so$")
_PYD_RE = re.compile(r"^\.cp(?P<ver>\d)(?P<minor>\d+)(?P<flags>t?)-(?P<plat>[A-Za-z0-9_]+)\.pyd$")

#: (ELF arch name, libc) → CPython multiarch triplet (``sys.implementation._multiarch``).
_MULTIARCH = {
    ("x86_64", "glibc"): "x86_64-linux-gnu",
    ("aarch64", "glibc"): "aarch64-linux-gnu",
    ("i686", "glibc"): "i386-linux-gnu",
    ("armv7l", "glibc"): "arm-linux-gnueabihf",
    ("ppc64le", "glibc"): "powerpc64le-linux-gnu",
    ("ppc64", "glibc"): "powerpc64-linux-gnu",
    ("s390x", "glibc"): "s390x-linux-gnu",
    ("riscv64", "glibc"): "riscv64-linux-gnu",
    ("loongarch64", "glibc"): "loongarch64-linux-gnu",
    ("x86_64", "musl"): "x86_64-linux-musl",
    ("aarch64", "musl"): "aarch64-linux-musl",
    ("i686", "musl"): "i386-linux-musl",
    ("armv7l", "musl"): "arm-linux-musleabihf",
    ("ppc64le", "musl"): "powerpc64le-linux-musl",
    ("s390x", "musl"): "s390x-linux-musl",
    ("riscv64", "musl"): "riscv64-linux-musl",
}

#: the oldest manylinux glibc minor per architecture (PEP 600: 2_5 on x86, 2_17 elsewhere).
_MANYLINUX_FLOOR = {"x86_64": 5, "i686": 5}
#: PEP 571/599/2014 legacy aliases.
_LEGACY = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
_LEGACY_ARCHES = {
    17: {"x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x"},
    12: {"x86_64", "i686"},
    5: {"x86_64", "i686"},
}


def parse_extension_name(filename: str) -> ExtensionSuffix | None:
    """Parse the base name of a file as a Python extension module name.

    Returns ``None`` when the name cannot be an extension module at all (no ``.so``/``.pyd`` ending,
    or a versioned library name such as ``libfoo.so.1``).
    """
    base = filename.rsplit("/", 1)[-1]
    if not (base.endswith(".so") or base.endswith(".pyd")):
        return None
    module, dot, _ = base.partition(".")
    if not module or not dot:
        return None
    suffix = base[len(module):]
    m = _CPYTHON_RE.match(suffix)
    if m:
        return ExtensionSuffix(
            module=module, suffix=suffix, kind="cpython",
            python_version=(int(m.group("ver")), int(m.group("minor"))),
            abi_flags=m.group("flags"), platform=m.group("plat"),
        )
    m = _ABI3_RE.match(suffix)
    if m:
        kind = "abi3t" if m.group("kind") == "abi3t" else "abi3"
        return ExtensionSuffix(module=module, suffix=suffix, kind=kind, platform=m.group("plat"))
    m = _PYPY_RE.match(suffix)
    if m:
        return ExtensionSuffix(module=module, suffix=suffix, kind="pypy", platform=m.group("plat"))
    m = _PYD_RE.match(suffix)
    if m:
        return ExtensionSuffix(
            module=module, suffix=suffix, kind="windows",
            python_version=(int(m.group("ver")), int(m.group("minor"))),
            abi_flags=m.group("flags"), platform=m.group("plat"),
        )
    if suffix == ".pyd":
        return ExtensionSuffix(module=module, suffix=suffix, kind="windows")
    if suffix == ".so":
        return ExtensionSuffix(module=module, suffix=suffix, kind="bare")
    return None


def multiarch(arch: str, libc: str, python_version: tuple[int, int] | None = None) -> str | None:
    """CPython's multiarch triplet for a target, e.g. ``("x86_64", "glibc")`` → ``x86_64-linux-gnu``.

    CPython detects musl only from 3.11 (bpo-43112; rewritten in 3.13 by gh-95855): a CPython 3.10 or older
    built on musl calls itself ``x86_64-linux-gnu``, and so do the extensions built for it (numpy's and
    lxml's cp39/cp310 musllinux wheels). Pass *python_version* to get the triplet that interpreter uses.
    """
    if libc == "musl" and python_version is not None and python_version < (3, 11):
        libc = "glibc"
    return _MULTIARCH.get((arch, libc))


def extension_suffixes(
    python_version: tuple[int, int],
    *,
    multiarch: str | None,
    free_threaded: bool = False,
    debug: bool = False,
) -> tuple[str, ...]:
    """``importlib.machinery.EXTENSION_SUFFIXES`` of a CPython build on Linux, best first.

    Follows ``Python/dynload_shlib.c``: the versioned ``SOABI`` suffix, then (3.15 on) the
    ``abi3[t]-<multiarch>`` one, then ``.abi3.so`` (not on free-threaded 3.15+ builds; 3.13/3.14 t-builds
    still list it), then ``.so``. A debug build also accepts the non-debug versioned name (3.8+).
    """
    major, minor = python_version
    flags = ("t" if free_threaded else "") + ("d" if debug else "")
    if python_version <= (3, 7):
        flags += "m" if not debug else ""
    plat = f"-{multiarch}" if multiarch else ""
    out = [f".cpython-{major}{minor}{flags}{plat}.so"]
    if debug and python_version >= (3, 8):
        out.append(f".cpython-{major}{minor}{'t' if free_threaded else ''}{plat}.so")
    if python_version >= (3, 15):
        if free_threaded:
            out += [f".abi3t{plat}.so", ".abi3t.so"]
        else:
            out += [f".abi3{plat}.so", ".abi3.so"]
    elif python_version >= (3, 2):
        out.append(".abi3.so")
    out.append(".so")
    return tuple(out)


def wheel_arch(arch: str) -> str:
    """The architecture word wheel platform tags use (``i686`` for 32-bit x86, else the ``uname -m`` name)."""
    return {"i386": "i686", "arm64": "aarch64"}.get(arch, arch)


def platform_tags(arch: str, libc: str, libc_version: tuple[int, ...]) -> tuple[str, ...]:
    """Wheel platform tags a Linux target accepts, best first (PEP 600 / PEP 656), plus ``linux_<arch>``.

    Computed from the target's libc, never from the host. A glibc target yields ``manylinux_2_<m>`` from its
    own minor down to the architecture's floor, with the legacy aliases after their twins.
    """
    warch = wheel_arch(arch)
    tags: list[str] = []
    if libc == "glibc" and len(libc_version) >= 2 and libc_version[0] == 2:
        floor = _MANYLINUX_FLOOR.get(warch, 17)
        for minor in range(libc_version[1], floor - 1, -1):
            tags.append(f"manylinux_2_{minor}_{warch}")
            legacy = _LEGACY.get(minor)
            if legacy and warch in _LEGACY_ARCHES[minor]:
                tags.append(f"{legacy}_{warch}")
    elif libc == "musl" and len(libc_version) >= 2 and libc_version[0] == 1:
        for minor in range(libc_version[1], -1, -1):
            tags.append(f"musllinux_1_{minor}_{warch}")
    tags.append(f"linux_{warch}")
    return tuple(tags)


def python_tags(
    python_version: tuple[int, int],
    platforms: tuple[str, ...],
    *,
    free_threaded: bool = False,
    debug: bool = False,
) -> tuple[str, ...]:
    """Every wheel tag a CPython of *python_version* accepts on *platforms*, best first.

    ``packaging.tags`` does the ordering; the ABI list is given explicitly so that nothing is read from
    the interpreter abigate itself runs on.
    """
    nodot = f"{python_version[0]}{python_version[1]}"
    abi = f"cp{nodot}{'t' if free_threaded else ''}{'d' if debug else ''}"
    abis = [abi]
    if debug and python_version >= (3, 8):
        abis.append(f"cp{nodot}{'t' if free_threaded else ''}")
    seen: dict[str, None] = {}
    tags: list[Tag] = list(cpython_tags(python_version, abis=abis, platforms=list(platforms)))
    tags += compatible_tags(python_version, interpreter=f"cp{nodot}", platforms=list(platforms))
    for tag in tags:
        seen.setdefault(str(tag), None)
    return tuple(seen)
