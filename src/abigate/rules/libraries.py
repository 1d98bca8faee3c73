"""ABG4xx — needed libraries: does every DT_NEEDED entry resolve, inside the artifact or on the target?

The search itself is ``abigate.resolve`` (RPATH/RUNPATH/$ORIGIN as glibc or musl does it); these rules only
turn its outcomes into findings. ``libpython`` entries are ABG305's, not reported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from abigate.facts import NativeFile
from abigate.resolve import Resolved
from abigate.rules._base import Context, Severity, Violation, rule

__all__ = ["bundled_not_elf", "library_not_found", "library_outside_artifact", "library_unreachable"]

_LIBPYTHON = re.compile(r"^libpython\d+\.\d+[dmt]*\.so")


def _outcomes(ctx: Context, nf: NativeFile, kind: str) -> Iterator[Resolved]:
    assert nf.elf is not None
    # A name listed twice is loaded once (and a crafted file may list one name 60,000 times): one outcome.
    for needed in dict.fromkeys(nf.elf.needed):
        res = ctx.resolution.get(nf.member, needed)
        if res is not None and res.kind == kind and not _LIBPYTHON.match(needed):
            yield res


def _chain_text(res: Resolved) -> str | None:
    if len(res.chain) < 2:
        return None
    return "loaded via " + " → ".join(reversed(res.chain))


#: folders a detail line names before it counts the rest.
_FOLDERS_SHOWN = 50


def _folders(folders: tuple[str, ...]) -> str:
    """*folders* joined, the first :data:`_FOLDERS_SHOWN` named and the rest counted (an RPATH may list
    30,000)."""
    text = ", ".join(d or "." for d in folders[:_FOLDERS_SHOWN])
    if len(folders) > _FOLDERS_SHOWN:
        text += f" and {len(folders) - _FOLDERS_SHOWN:,} more"
    return text


def _searched_text(res: Resolved) -> str | None:
    if not res.searched:
        return None
    return "searched in the artifact: " + _folders(res.searched)


def _target_dirs_text(res: Resolved) -> str | None:
    if not res.target_dirs:
        return None
    return (
        "searched on the target: " + _folders(res.target_dirs)
        + " (an absolute path, often the build machine's; the target has there only what the profile lists)"
    )


def _program_text(res: Resolved) -> str | None:
    if res.root_role != "program":
        return None
    return (
        f"met only when {res.root} is run: a program's wrapper script may set LD_LIBRARY_PATH to the bundled "
        "folder, so this is a warning"
    )


def _details(*lines: str | None) -> tuple[str, ...]:
    return tuple(line for line in lines if line)


def _not_found(res: Resolved) -> str:
    """What glibc prints when the search for *res* fails: a file of the other ELF class on the way changes
    "cannot open shared object file" into "wrong ELF class" (``found_other_class`` in ``elf/dl-load.c``)."""
    if res.other_class is not None:
        return f"{res.needed}: wrong ELF class: ELFCLASS{res.other_class}"
    return f"{res.needed}: cannot open shared object file: No such file or directory"


@rule("ABG401", "library-not-found", severity=Severity.ERROR, needs=("elf", "target", "libc"))
def library_not_found(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A needed library is neither bundled in the artifact nor provided by the target.

    What it checks:
    Each ``DT_NEEDED`` name, searched as the target's loader does: ``DT_RPATH`` of the file and of the
    objects that loaded it (when the file has no ``DT_RUNPATH``), the file's own ``DT_RUNPATH``, ``$ORIGIN``
    expanded to the file's folder, then the libraries the profile lists (its ``LD_LIBRARY_PATH``, cache and
    default directories).
    An absolute ``DT_RUNPATH``/``DT_RPATH`` entry (``/home/ci/build/lib``, a leaked build path) names a
    folder of the target, which holds only what the profile lists, so it saves nothing.

    Why it matters:
    ``ImportError: libssl.so.1.1: cannot open shared object file: No such file or directory``. The most
    common deploy failure: the build machine had the library (OpenSSL, libffi, libgfortran, libgomp,
    libcrypt.so.1…), the target does not. manylinux never allows libssl, libcrypto or libffi from the system.

    Example:
    ``function.zip!psycopg2/_psycopg.cpython-311-x86_64-linux-gnu.so: ABG401 needs libpq.so.5, which is neither
    in the artifact nor on aws-lambda-python3.11``

    How to fix:
    Bundle the library (``auditwheel repair`` for wheels; copy it into the zip's ``lib/`` folder, which
    Lambda searches); use a "-binary" package that bundles it; or pick a runtime that provides it.

    References:
    glibc ``elf/dl-load.c`` (``_dl_map_object``); PEP 600 (library whitelist);
    docs/loader.md#finding-needed-libraries; docs/runtimes.md#manylinux-and-musllinux-policies.
    """
    for res in _outcomes(ctx, nf, "missing"):
        yield Violation(
            message=f"needs {res.needed}, which is neither in the artifact nor on {ctx.profile.id}",
            hint="bundle the library in the artifact (auditwheel repair, or the zip's lib/ folder) or target a "
            "runtime that provides it",
            details=_details(_searched_text(res), _target_dirs_text(res), _chain_text(res)),
            library=res.needed,
            loader_message=_not_found(res),
        )


@rule("ABG402", "bundled-library-unreachable", severity=Severity.ERROR, needs=("elf", "target", "libc"))
def library_unreachable(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A needed library is in the artifact, but no search path reaches it.

    What it checks:
    A ``DT_NEEDED`` name that the target does not provide and that the search paths miss, while a file of
    that name exists elsewhere in the artifact. The classic case: the extension has
    ``DT_RUNPATH=$ORIGIN/../pkg.libs`` and finds ``liba``, but ``liba``'s own dependency ``libb`` in the same
    folder is not found, because RUNPATH applies only to the object that carries it (DT_RPATH would be
    inherited by ``liba``).

    Why it matters:
    ``OSError: libb-1234abcd.so.1: cannot open shared object file: No such file or directory`` although the
    file is right there.

    An error, except when the lookup is met only on the way to a *program* (an executable shipped in the
    artifact, such as ``torch/bin/test_shim`` or a cmeel tool): programs are often started by a wrapper that
    sets ``LD_LIBRARY_PATH`` to the bundled folder, so there it is a warning. Anything Python imports or
    loads keeps the error.

    Example:
    ``pkg.whl!pkg.libs/liba.so.1: ABG402 needs libb.so.1; pkg.libs/libb.so.1 is in the artifact but not on any
    search path of pkg.libs/liba.so.1``

    How to fix:
    Give the library that needs it its own ``$ORIGIN`` RUNPATH (``patchelf --set-rpath '$ORIGIN'``), or use
    DT_RPATH on the loading module (``patchelf --force-rpath``), as ``auditwheel repair`` does.

    References:
    glibc ``elf/dl-load.c`` (RUNPATH not inherited); docs/loader.md#finding-needed-libraries.
    """
    for res in _outcomes(ctx, nf, "unreachable"):
        extra = None
        if res.other_class is not None:
            extra = f"the file on its search path is {res.other_class}-bit, so the loader skips it"
        elif res.runpath_of_loader:
            extra = (
                f"the DT_RUNPATH of {res.runpath_of_loader} would find it, but RUNPATH does not apply to the "
                "dependencies of what it loads"
            )
        yield Violation(
            message=f"needs {res.needed}; {', '.join(res.candidates)} is in the artifact but not on any search path "
            f"of {nf.member}",
            hint=(
                f"start {res.root.rsplit('/', 1)[-1]} through a wrapper that sets LD_LIBRARY_PATH, or give "
                f"{nf.member.rsplit('/', 1)[-1]} an $ORIGIN RUNPATH to that folder (patchelf --set-rpath)"
                if res.root_role == "program"
                else f"give {nf.member.rsplit('/', 1)[-1]} an $ORIGIN RUNPATH to that folder (patchelf --set-rpath), "
                "or use DT_RPATH on the loading module (patchelf --force-rpath)"
            ),
            details=_details(extra, _program_text(res), _searched_text(res), _chain_text(res)),
            library=res.needed,
            loader_message=_not_found(res),
            severity=Severity.WARNING if res.root_role == "program" else None,
        )


@rule("ABG403", "library-outside-artifact", severity=Severity.WARNING, needs=("elf", "target", "libc"))
def library_outside_artifact(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A needed library is expected outside the artifact.

    What it checks:
    ``DT_NEEDED`` names the artifact does not contain and the target does not provide, when the file's
    search path leaves the artifact: ``$ORIGIN/../../nvidia/cublas/lib`` (a library from another wheel),
    or ``$LIB``/``$PLATFORM``. An absolute path such as ``/opt/conda/lib`` is not enough: it is a folder of
    the target, which has only what the profile lists, so such a library is ABG401.

    Why it matters:
    It loads only if that other distribution or directory is present on the target. Checking the wheel
    alone cannot tell; checking the whole deploy zip or environment can.

    Example:
    ``torch-2.5.0-cp312-cp312-manylinux_2_28_x86_64.whl!torch/lib/libtorch_cuda.so: ABG403 needs
    libcublas.so.12, expected outside the artifact ($ORIGIN/../../nvidia/cublas/lib)``

    How to fix:
    Check the complete environment instead (the deploy zip or site-packages folder), or bundle the library;
    replace build-machine absolute paths with ``$ORIGIN``-relative ones.

    References:
    docs/loader.md#finding-needed-libraries.
    """
    for res in _outcomes(ctx, nf, "outside"):
        yield Violation(
            message=f"needs {res.needed}, expected outside the artifact ({_folders(res.outside)}); "
            f"{ctx.profile.id} does not provide it",
            hint="check the complete environment (deploy zip or site-packages folder) or bundle the library",
            details=_details(_chain_text(res)),
            library=res.needed,
        )


@rule("ABG404", "bundled-library-not-elf", severity=Severity.ERROR, needs=("elf", "target", "libc"))
def bundled_not_elf(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """The search for a needed library reaches a file that is not ELF.

    What it checks:
    The first file the search finds for a ``DT_NEEDED`` name, when it is not an ELF file: a symlink that a
    zip tool stored as a text file holding the target name, a Git LFS pointer, a Mach-O library. glibc
    stops at it instead of searching further.

    Why it matters:
    ``pkg.libs/libfoo.so.1: invalid ELF header``.

    Example:
    ``function.zip!lib/libxml2.so.2: ABG404 the search for libxml2.so.2 from lxml/etree.so reaches lib/libxml2.so.2,
    which is not an ELF file``

    How to fix:
    Zip with ``zip -y`` off (store the real files, not links) or copy the library's real file under the
    needed name; fetch LFS objects before packaging.

    References:
    glibc ``elf/dl-load.c`` ``open_verify``; docs/loader.md#finding-needed-libraries,
    docs/loader.md#not-a-loadable-elf-file.
    """
    for res in _outcomes(ctx, nf, "not-elf"):
        yield Violation(
            message=f"the search for {res.needed} reaches {res.member}, which is not an ELF file",
            hint="store the library's real file under that name (not a symlink stub or LFS pointer)",
            details=_details(f"found via {res.via}" if res.via else None, _chain_text(res)),
            library=res.needed,
            loader_message=f"{res.member}: invalid ELF header",
        )
