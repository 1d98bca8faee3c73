"""ABG3xx — Python: extension suffixes, wheel tags, abi3 minimum, free-threading, libpython, module entry points.

All judged against the profile's interpreter (``Profile.python``: suffixes and tags computed for the target
by ``abigate.pyabi``, never for the host). A profile without a Python interpreter skips these rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from abigate.facts import NativeFile
from abigate.profile import Profile, PythonRuntime
from abigate.pyabi import wheel_arch
from abigate.roles import init_name, is_importable_extension
from abigate.rules._base import Context, Severity, Violation, rule

__all__ = [
    "abi3_too_new",
    "extension_suffix_rejected",
    "free_threading_mismatch",
    "links_libpython",
    "missing_module_init",
    "module_name",
    "wheel_tags_rejected",
]

_LIBPYTHON = re.compile(r"^libpython\d+\.\d+[dmt]*\.so")
_LIBC_TAG = re.compile(r"^(?P<kind>manylinux|musllinux)_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.+)$")
_ABI3_TAG = re.compile(r"^cp3(?P<minor>\d+)-abi3-(?P<plat>.+)$")
#: folders under which a deploy zip installs packages (Lambda layers, ``pip install --target python``).
_SITE_PREFIXES = re.compile(r"^(?:python/)?(?:lib/python3\.\d+t?/site-packages/)?")


def module_name(ctx: Context, nf: NativeFile) -> str:
    """The dotted name Python imports *nf* as: ``pkg/sub/_x.cpython-312-….so`` → ``pkg.sub._x``."""
    member = nf.member
    for dist in ctx.artifact.distributions:
        if nf.distribution == dist.key and dist.root and member.startswith(dist.root):
            member = member[len(dist.root) :]
            break
    else:
        member = _SITE_PREFIXES.sub("", member, count=1)
    parts = member.split("/")
    stem = nf.extension.module if nf.extension is not None else parts[-1].split(".")[0]
    if stem == "__init__" and len(parts) > 1:
        # A package's __init__ extension is imported as the package itself.
        return ".".join(parts[:-1])
    return ".".join([*parts[:-1], stem])


def _is_ft_toggle(nf: NativeFile, py: PythonRuntime) -> bool:
    """True when the suffix differs from an accepted one only by the free-threading ``t`` flag."""
    ext = nf.extension
    return (
        ext is not None
        and ext.kind == "cpython"
        and ext.python_version == py.version
        and ("t" in ext.abi_flags) != py.free_threaded
    )


def _describe_suffix(nf: NativeFile) -> str:
    ext = nf.extension
    assert ext is not None
    if ext.kind == "cpython" and ext.python_version:
        text = f"CPython {ext.python_version[0]}.{ext.python_version[1]}{ext.abi_flags}"
        return text + (f" on {ext.platform}" if ext.platform else "")
    if ext.kind == "pypy":
        return "PyPy"
    return ext.kind + (f" on {ext.platform}" if ext.platform else "")


@rule("ABG301", "extension-suffix-rejected", severity=Severity.ERROR, needs=("elf", "target"))
def extension_suffix_rejected(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """An extension module suffix the target interpreter does not import.

    What it checks:
    The suffix of every importable extension module (``.cpython-312-x86_64-linux-gnu.so``, ``.abi3.so``,
    ``.pypy310-pp73-….so``) against the target interpreter's ``EXTENSION_SUFFIXES``: another Python version,
    another multiarch (``-linux-musl`` on glibc), PyPy on CPython. A plain ``.so`` is accepted by every
    version. Suffixes that differ only by the free-threading ``t`` are ABG304.

    Why it matters:
    The import system never looks at the file: ``ModuleNotFoundError: No module named 'pkg._x'`` — often
    far from the cause (a wheel for 3.12 installed into a 3.11 deploy zip with ``pip --target``).

    Example:
    ``function.zip!pkg/_x.cpython-312-x86_64-linux-gnu.so: ABG301 is built for CPython 3.12; Python 3.11 on
    aws-lambda-python3.11 imports .cpython-311-x86_64-linux-gnu.so, .abi3.so, .so``

    How to fix:
    Install with the target's Python version (``pip install --python-version 3.11 --only-binary=:all:``) or
    build with the target's interpreter; use ``abi3`` wheels to cover several versions.

    References:
    CPython ``Python/dynload_shlib.c``; PEP 3149, PEP 384; docs/loader.md#python-extension-modules.
    """
    py = ctx.profile.python
    ext = nf.extension
    if py is None or not py.extension_suffixes or ext is None or not is_importable_extension(nf):
        return
    if ext.suffix in py.extension_suffixes or _is_ft_toggle(nf, py):
        return
    yield Violation(
        message=f"is built for {_describe_suffix(nf)} ({ext.suffix}); Python {py.version_text} on {ctx.profile.id} "
        f"imports {', '.join(py.extension_suffixes)}",
        hint=f"install or build this package for Python {py.version_text} on {ctx.profile.arch} "
        f"(pip install --python-version {py.version[0]}.{py.version[1]} --only-binary=:all: …)",
        loader_message=f"ModuleNotFoundError: No module named '{module_name(ctx, nf)}'",
    )


def _platform_why(plat: str, profile: Profile) -> str:
    """`` (needs glibc ≥ 2.34; the target has 2.26)`` for a manylinux/musllinux tag of the target's arch."""
    m = _LIBC_TAG.match(plat)
    if m is None:
        return ""
    family = "glibc" if m.group("kind") == "manylinux" else "musl"
    if wheel_arch(profile.arch) != m.group("arch"):
        return f" (built for {m.group('arch')}; the target is {profile.arch})"
    if family != profile.libc:
        return f" (built for {family}; the target uses {profile.libc})"
    return f" (needs {family} ≥ {m.group('major')}.{m.group('minor')}; the target has {profile.libc_version_text})"


def _tag_reasons(tags: tuple[str, ...], py: PythonRuntime, profile: Profile) -> tuple[list[str], bool]:
    """Why none of *tags* is accepted: reason lines, and whether the only reason is an abi3 minimum."""
    accepted_platforms = {t.split("-")[2] for t in py.tags if t.count("-") == 2}
    accepted_pyabi = {tuple(t.split("-")[:2]) for t in py.tags if t.count("-") == 2}
    reasons: list[str] = []
    abi3_only = True
    for tag in tags:
        parts = tag.split("-")
        if len(parts) != 3:
            reasons.append(f"{tag}: not a valid tag")
            abi3_only = False
            continue
        interp, abi, plat = parts
        m = _ABI3_TAG.match(tag)
        if plat not in accepted_platforms:
            reasons.append(f"{tag}: platform {plat} is not accepted{_platform_why(plat, profile)}")
            abi3_only = False
        elif m and int(m.group("minor")) > py.version[1] and py.version[0] == 3:
            reasons.append(f"{tag}: abi3 for Python ≥ 3.{m.group('minor')}")
        elif (interp, abi) not in accepted_pyabi:
            reasons.append(f"{tag}: {interp}-{abi} is not accepted by Python {py.version_text}")
            abi3_only = False
    return reasons, abi3_only


def _tag_sources(ctx: Context) -> Iterator[tuple[str, str, str | None, tuple[str, ...]]]:
    """(what, path, distribution, tags): the wheel's file name, or each installed distribution's WHEEL tags."""
    art = ctx.artifact
    if art.wheel is not None:
        yield (
            f"wheel {art.path.rsplit('!', 1)[-1].rsplit('/', 1)[-1]}",
            art.path,
            None,
            art.wheel.filename_tags,
        )
        return
    for dist in sorted(art.distributions, key=lambda d: d.dist_info):
        if dist.wheel_tags:
            yield f"{dist.name} {dist.version}", f"{art.path}!{dist.dist_info}", dist.key, dist.wheel_tags


@rule("ABG302", "wheel-tags-rejected", severity=Severity.ERROR, scope="artifact")
def wheel_tags_rejected(ctx: Context) -> Iterator[Violation]:
    """A wheel, or a distribution in a deploy zip, whose tags the target rejects.

    What it checks:
    The wheel's file-name tags — or, in a zip or folder, the ``Tag`` lines of each ``*.dist-info/WHEEL`` —
    against the tags the profile's interpreter accepts, computed from the profile (``packaging.tags`` given
    the target's Python version, ABI and platforms; never the host's). Reports why each tag is refused:
    its platform (``manylinux_2_34_x86_64`` on glibc 2.26, ``macosx_…``, another arch) or its interpreter.
    abi3 wheels refused only for their minimum Python version are ABG303.

    Why it matters:
    pip would refuse to install the wheel on the target (``is not a supported wheel on this platform``);
    a deploy zip built with ``pip install --target`` on another machine contains it anyway, and its native
    files then fail as ABG201/ABG301 say.

    Example:
    ``cryptography-44.0.1-cp39-abi3-manylinux_2_34_x86_64.whl: ABG302 no tag is accepted by Python 3.11 on
    aws-lambda-python3.11``

    How to fix:
    Download wheels for the target: ``pip download --platform manylinux2014_x86_64 --python-version 3.11
    --implementation cp --only-binary=:all:``; build for the oldest platform the target needs.

    References:
    PEP 425, PEP 600, PEP 656; ``packaging.tags``; docs/loader.md#python-extension-modules.
    """
    py = ctx.profile.python
    if py is None or not py.tags:
        return
    accepted = set(py.tags)
    for what, path, dist, tags in _tag_sources(ctx):
        if not tags or accepted.intersection(tags):
            continue
        reasons, abi3_only = _tag_reasons(tags, py, ctx.profile)
        if abi3_only:
            continue
        yield Violation(
            message=f"no tag of {what} is accepted by Python {py.version_text} on {ctx.profile.id} "
            f"(best accepted: {py.tags[0]})",
            hint="install wheels built for the target (pip --platform/--python-version/--only-binary=:all:)",
            details=tuple(reasons[:8])
            + ((f"… (+{len(reasons) - 8} more tags)",) if len(reasons) > 8 else ()),
            path=path,
            member=path.split("!", 1)[1] if "!" in path else "",
            distribution=dist,
            loader_message=f"ERROR: {what.split(' ', 1)[-1]} is not a supported wheel on this platform."
            if what.startswith("wheel ")
            else None,
        )


@rule("ABG303", "abi3-too-new", severity=Severity.ERROR, scope="artifact")
def abi3_too_new(ctx: Context) -> Iterator[Violation]:
    """An abi3 (stable ABI) wheel built for a newer minimum Python than the target's.

    What it checks:
    Tags ``cp3X-abi3-<platform>`` whose platform the target accepts but whose ``3.X`` is above the target
    interpreter's version, when no other tag of the wheel is accepted. ``.abi3.so`` file names carry no
    version, so the tag is the only record of the minimum.

    Why it matters:
    The module may call stable-ABI functions added after the target's version: ``undefined symbol:
    PyType_FromMetaclass`` at import, or pip's ``not a supported wheel``.

    Example:
    ``pkg-1.0-cp312-abi3-manylinux_2_17_x86_64.whl: ABG303 abi3 wheel for Python ≥ 3.12; the target runs 3.11``

    How to fix:
    Build the abi3 wheel with ``Py_LIMITED_API`` set to the oldest Python you deploy to (``--py-limited-api
    cp311``), or install the version-specific wheel.

    References:
    PEP 384, PEP 652 (``Misc/stable_abi.toml``); docs/loader.md#python-extension-modules.
    """
    py = ctx.profile.python
    if py is None or not py.tags:
        return
    accepted = set(py.tags)
    for what, path, dist, tags in _tag_sources(ctx):
        if not tags or accepted.intersection(tags):
            continue
        reasons, abi3_only = _tag_reasons(tags, py, ctx.profile)
        if not abi3_only:
            continue
        minimum = min(int(m.group("minor")) for t in tags if (m := _ABI3_TAG.match(t)))
        yield Violation(
            message=f"{what} is an abi3 build for Python ≥ 3.{minimum}; {ctx.profile.id} runs Python {py.version_text}",
            hint=f"build the abi3 wheel for Python {py.version[0]}.{py.version[1]} (Py_LIMITED_API) or install a "
            "version-specific wheel",
            details=tuple(reasons[:8]),
            path=path,
            member=path.split("!", 1)[1] if "!" in path else "",
            distribution=dist,
        )


@rule("ABG304", "free-threading-mismatch", severity=Severity.ERROR, needs=("elf", "target"))
def free_threading_mismatch(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """Free-threaded build mismatch (``t`` on a GIL build, the reverse, abi3 on 3.13t).

    What it checks:
    The ``t`` flag of ``.cpython-313t-….so`` against whether the target interpreter is free-threaded;
    ``.abi3.so`` modules on free-threaded 3.13/3.14, which import them although the stable ABI does not
    cover free-threading.

    Why it matters:
    A suffix mismatch is ``ModuleNotFoundError``; an abi3 module on 3.13t/3.14t imports and then corrupts
    reference counts (cpython#120901; 3.15 adds a guard, gh-137956).

    Example:
    ``pkg.whl!pkg/_x.cpython-313t-x86_64-linux-gnu.so: ABG304 is built for free-threaded CPython 3.13t;
    the target's Python 3.13 has the GIL``

    How to fix:
    Install the wheel matching the target's build (``cp313`` vs ``cp313t``); build version-specific wheels
    for free-threaded Python rather than abi3.

    References:
    PEP 703, PEP 803; cpython#120901, gh-137956; docs/loader.md#python-extension-modules.
    """
    py = ctx.profile.python
    ext = nf.extension
    if py is None or ext is None or not is_importable_extension(nf):
        return
    loader = f"ModuleNotFoundError: No module named '{module_name(ctx, nf)}'"
    if _is_ft_toggle(nf, py) and py.extension_suffixes and ext.suffix not in py.extension_suffixes:
        if py.free_threaded:
            msg = (
                f"is built for the GIL build of CPython {py.version[0]}.{py.version[1]}; the target's Python "
                f"{py.version_text} is free-threaded"
            )
        else:
            msg = (
                f"is built for free-threaded CPython {py.version[0]}.{py.version[1]}t; the target's Python "
                f"{py.version_text} has the GIL"
            )
        yield Violation(
            message=msg,
            hint="install the wheel for the target's build (cp3XY vs cp3XYt)",
            loader_message=loader,
        )
    elif ext.kind == "abi3" and py.free_threaded and py.version < (3, 15):
        yield Violation(
            message=f"is an abi3 module; free-threaded Python {py.version_text} imports it but the stable ABI does "
            "not support free-threading (crashes, cpython#120901)",
            hint="install a version-specific cp3XYt wheel for free-threaded Python",
        )


@rule("ABG305", "links-libpython", severity=Severity.ERROR, needs=("elf", "target"))
def links_libpython(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """The file is linked to ``libpython3.X.so``.

    What it checks:
    ``DT_NEEDED`` entries matching ``libpython<X>.<Y>[dmt]*.so*``. An error when the profile does not
    provide that library (manylinux, Debian and Lambda interpreters are statically linked); a warning when
    it does (a second interpreter copy, or the wrong version, may be loaded).

    Why it matters:
    ``libpython3.11.so.1.0: cannot open shared object file: No such file or directory``. Extensions must
    leave C-API symbols undefined for the interpreter to provide (not linked since 3.8, except Android).

    Example:
    ``pkg.whl!pkg/_x.cpython-311-x86_64-linux-gnu.so: ABG305 is linked to libpython3.11.so.1.0``

    How to fix:
    Build the extension without ``-lpython3.X`` (setuptools, meson-python and maturin do this by default;
    check ``python3-config --ldflags --embed`` misuse); ``auditwheel repair`` removes the entry.

    References:
    pypa/manylinux#255; auditwheel ``repair.py``; docs/loader.md#python-extension-modules.
    """
    elf = nf.elf
    assert elf is not None
    for needed in elf.needed:
        if not _LIBPYTHON.match(needed):
            continue
        provided = ctx.profile.library(needed) is not None
        yield Violation(
            message=f"is linked to {needed}"
            + (
                ""
                if not provided
                else f"; {ctx.profile.id} provides it, but "
                "extensions should take the C API from the running interpreter"
            ),
            hint="link without -lpython3.X (auditwheel repair removes the entry)",
            library=needed,
            severity=Severity.WARNING if provided else None,
            loader_message=None
            if provided
            else f"{needed}: cannot open shared object file: No such file or directory",
        )


@rule("ABG306", "missing-module-init", severity=Severity.ERROR, needs=("elf", "target"))
def missing_module_init(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """An extension module that does not export ``PyInit_<name>``.

    What it checks:
    For every importable extension module: a defined, default-visibility ``PyInit_<module>`` (or
    ``PyInitU_…`` for non-ASCII names, ``PyModExport_<module>`` from 3.15) where ``<module>`` is the file
    name up to the first dot — or, for a package's ``__init__`` extension (``apsw/__init__.cpython-311-….so``),
    the package's name. Catches renamed modules and hidden entry points (``-fvisibility=hidden`` without
    ``PyMODINIT_FUNC``). A file is an importable extension when its name has an extension suffix *and* it
    exports an entry point or imports CPython's C API (``Py*``); a file named like one with neither is a
    library loaded with ``ctypes`` or cffi (pycryptodome's ``Crypto/Cipher/_raw_aes.abi3.so``) and is not
    checked (``docs/loader-model.md``).

    Why it matters:
    ``ImportError: dynamic module does not define module export function (PyInit__x)``.

    Example:
    ``pkg.whl!pkg/_x.cpython-312-x86_64-linux-gnu.so: ABG306 does not export PyInit__x (exports PyInit_x)``

    How to fix:
    Name the file after the module its ``PyInit_`` function creates; declare the function with
    ``PyMODINIT_FUNC`` so it is exported.

    References:
    PEP 489, PEP 793; CPython ``Python/importdl.c``; docs/loader.md#python-extension-modules.
    """
    elf = nf.elf
    ext = nf.extension
    assert elf is not None
    if ext is None or not is_importable_extension(nf):
        return
    module = init_name(nf) or ext.module
    exports = set(elf.python_init_exports)
    if f"PyInit_{module}" in exports or f"PyModExport_{module}" in exports:
        return
    if not module.isascii() and any(e.startswith("PyInitU_") for e in exports):
        return
    others = sorted(exports)
    yield Violation(
        message=f"does not export PyInit_{module}"
        + (f" (exports {', '.join(others[:3])})" if others else ""),
        hint="name the file after the module its PyInit_ function creates and declare it with PyMODINIT_FUNC",
        symbols=(f"PyInit_{module}",),
        loader_message=f"ImportError: dynamic module does not define module export function (PyInit_{module})",
    )
