"""ABG0xx — the artifact itself: what could not be read, or is unsafe to unpack. Never silently skipped."""

from __future__ import annotations

from collections.abc import Iterator

from abigate.facts import NativeFile, Problem
from abigate.limits import BUDGET_EXCEEDED
from abigate.rules._base import Context, Severity, Violation, rule

__all__ = ["budget_exceeded", "digest_mismatch", "malformed_binary", "unreadable_artifact", "unsafe_archive"]

#: Problem kinds that describe a container one must not unpack as is (as opposed to one that cannot be read).
_UNSAFE = frozenset({"path-traversal", "symlink-escape", "duplicate-name", "hardlink-outside"})
#: Problem kinds of a blob whose bytes are not the ones its digest names (ABG004 owns them).
_DIGEST = frozenset({"digest-mismatch"})
#: Problem kinds of a budget of ``abigate.limits`` that was hit (ABG005 owns them).
_BUDGET = frozenset({BUDGET_EXCEEDED})


def _member_of(ctx: Context, path: str) -> str:
    prefix = ctx.artifact.path + "!"
    return path[len(prefix) :] if path.startswith(prefix) else ""


def _problems(ctx: Context, unsafe: bool) -> Iterator[Problem]:
    # A malformed native file may be reported both as a Problem and as NativeFile.error; ABG002 owns it then.
    errored = {nf.path for nf in ctx.artifact.native_files if nf.error}
    for problem in sorted(ctx.artifact.problems, key=lambda p: (p.path, p.kind, p.message)):
        if problem.kind in _DIGEST or problem.kind in _BUDGET:
            continue
        if (problem.kind in _UNSAFE) == unsafe and problem.path not in errored:
            yield problem


@rule("ABG001", "unreadable-artifact", severity=Severity.ERROR, scope="artifact")
def unreadable_artifact(ctx: Context) -> Iterator[Violation]:
    """Part of the artifact could not be read (corrupt, encrypted, zip bomb).

    What it checks:
    Every problem the reader met while opening the artifact and its members: a damaged zip directory,
    an encrypted member, a compression method it cannot decode, a member whose declared size or
    compression ratio exceeds the safety limits (a zip bomb), nesting too deep, too many members.

    Why it matters:
    What abigate cannot read it cannot vouch for. The deploy tool or ``pip`` may still unpack it, and the
    native files inside would then load unchecked. A gate that skipped them silently would pass an
    artifact it never saw (auditwheel skips ELF files missing from RECORD, for example).

    Example:
    ``bundle.zip!data/blob.bin: ABG001 member is encrypted (zip flag bit 0)``

    How to fix:
    Rebuild the artifact with a standard tool (``python -m build``, ``zip -r``); do not encrypt members;
    if a member is legitimately huge, waive this code for that path in ``[tool.abigate]`` with a reason.

    References:
    PKZIP APPNOTE 6.3.10 (general purpose flag bit 0, compression methods).
    """
    for problem in _problems(ctx, unsafe=False):
        yield Violation(
            message=f"{problem.kind}: {problem.message}",
            hint="rebuild the artifact with a standard tool; abigate cannot check what it cannot read",
            path=problem.path,
            member=_member_of(ctx, problem.path),
        )


@rule("ABG002", "malformed-binary", severity=Severity.ERROR)
def malformed_binary(ctx: Context, nf: NativeFile) -> Iterator[Violation]:
    """A file that starts like ELF, Mach-O or PE cannot be parsed (truncated, damaged).

    What it checks:
    Native files recognised by their magic bytes whose headers or tables could not be read: a file cut
    short (Git LFS fetch failed, download interrupted), a program header table outside the file, a
    section that overflows.

    Why it matters:
    The loader stops at the same place: ``file too short``, ``ELF file's phentsize not the expected
    size``, ``object file has no dynamic section``; CPython turns it into ``ImportError``.

    Example:
    ``pkg-1.0-py3-none-any.whl!pkg/_native.so: ABG002 cannot be read: truncated program header table``

    How to fix:
    Rebuild or re-download the file; check that the build did not store a Git LFS pointer or a partial
    download in the artifact.

    References:
    glibc ``elf/dl-load.c`` (``open_verify``); docs/loader.md#not-a-loadable-elf-file.
    """
    if nf.error and not nf.budget:  # a budget hit is ABG005's
        # No loader message is predicted: the reader's limits (a member it cannot seek in) are not the loader's.
        yield Violation(
            message=f"cannot be read: {nf.error}",
            hint="check that the file is complete (not a Git LFS pointer or a partial download) and rebuild it; "
            "if it loads fine elsewhere, report it to abigate",
        )


@rule("ABG003", "unsafe-archive", severity=Severity.ERROR, scope="artifact")
def unsafe_archive(ctx: Context) -> Iterator[Violation]:
    """The artifact has paths that escape its root or collide (zip slip).

    What it checks:
    Members named ``../x`` or ``/etc/x``, symbolic links that point outside the artifact, and two members
    with the same name. abigate never extracts them; it reports them.

    Why it matters:
    Unpacking such an archive writes outside the target directory (zip slip) or depends on which copy
    wins. A library reached through an escaping symlink is not the one that was checked.

    Example:
    ``function.zip!../../etc/cron.d/x: ABG003 path-traversal: member path leaves the archive``

    How to fix:
    Rebuild the archive from a clean directory; replace symlinks that point outside with the files
    themselves.

    References:
    Snyk "Zip Slip" advisory (2018); PKZIP APPNOTE 4.4.17 (file names).
    """
    for problem in _problems(ctx, unsafe=True):
        yield Violation(
            message=f"{problem.kind}: {problem.message}",
            hint="rebuild the archive from a clean directory; do not ship links or names that leave it",
            path=problem.path,
            member=_member_of(ctx, problem.path),
        )


@rule("ABG004", "digest-mismatch", severity=Severity.ERROR, scope="artifact")
def digest_mismatch(ctx: Context) -> Iterator[Violation]:
    """A container image blob (layer, config) does not hash to its digest.

    What it checks:
    Every blob of a ``docker save`` tarball or OCI image layout is hashed while it is read, and the sha256
    (or sha384/sha512) is compared with the digest its manifest or index names it by: the descriptor's
    ``digest`` for OCI, the ``blobs/sha256/<hex>`` file name or the config's ``rootfs.diff_ids`` for
    ``docker save``. The rest of the image is still judged; this finding says the bytes judged are not
    the bytes the image claims.

    Why it matters:
    A registry, ``docker load`` and ``podman load`` refuse a blob whose digest does not match
    (``unexpected EOF``, ``digest mismatch``, ``layer does not match its diff id``): the image would
    not even be pulled or loaded. A mismatch also means the file was damaged or altered after it was
    built, so what was checked is not what was signed or pushed.

    Example:
    ``app.tar!blobs/sha256/63db…: ABG004 layer 2 hashes to sha256:3a74…, the manifest: sha256:63db…``

    How to fix:
    Save or copy the image again (``docker save``, ``skopeo copy``); check the transfer (a truncated
    download, a text-mode copy that rewrote line endings); never edit a layer in place.

    References:
    OCI image specification, "Descriptors" (digests) and "Image Layout" (``blobs/<alg>/<encoded>``);
    Docker image specification v1.2, ``rootfs.diff_ids``.
    """
    for problem in sorted(ctx.artifact.problems, key=lambda p: (p.path, p.kind, p.message)):
        if problem.kind in _DIGEST:
            yield Violation(
                message=f"{problem.kind}: {problem.message}",
                hint="save or copy the image again; a blob that does not match its digest would not load",
                path=problem.path,
                member=_member_of(ctx, problem.path),
            )


@rule("ABG005", "budget-exceeded", severity=Severity.ERROR, scope="artifact")
def budget_exceeded(ctx: Context) -> Iterator[Violation]:
    """Part of the artifact hit a reading budget, so it was not read whole.

    What it checks:
    Every budget a reader works under (``docs/reliability.md#budgets``): strings kept from one binary
    (count and bytes), entries walked in one table (a hash chain, version records), load commands of a
    Mach-O fat file, path components walked to resolve one symlink, bytes inflated for one artifact,
    library lookups the resolver makes for one artifact. A binary, member or artifact that would exceed
    one is reported here, with what was read before.

    Why it matters:
    Real artifacts stay far below every budget; an input that crosses one is crafted or broken (a 1.7 KB
    zip naming one 20 KB string 60,000 times, a hash chain that never ends). What abigate stopped reading
    it cannot vouch for, so the gate fails rather than pass it unseen. The loader meets the same file with
    ``cannot open shared object file: File name too long`` or hours of symbol lookups.

    Example:
    ``app.zip!lib/libx.so: ABG005 budget exceeded: a DT_GNU_HASH chain runs over more than 16777216 entries
    (the budget of table entries walked)``

    How to fix:
    Rebuild the file with a standard toolchain; if a real artifact hits a budget, report it to abigate with
    the file (the budgets are set from measured real-world maxima), or waive ABG005 for that path with a
    reason.

    References:
    docs/reliability.md#budgets (every budget, its default and what hitting it gives).
    """
    for nf in ctx.artifact.native_files:
        if nf.budget:
            yield Violation(
                message=f"budget exceeded: {nf.budget}",
                hint="rebuild the file; abigate stopped reading it and cannot vouch for the rest",
                path=nf.path,
                member=nf.member,
            )
    for problem in sorted(ctx.artifact.problems, key=lambda p: (p.path, p.kind, p.message)):
        if problem.kind in _BUDGET:
            yield Violation(
                message=f"budget exceeded: {problem.message}",
                hint="rebuild the artifact; abigate stopped reading it and cannot vouch for the rest",
                path=problem.path,
                member=_member_of(ctx, problem.path),
            )
    if ctx.resolution.budget:
        yield Violation(
            message=f"budget exceeded: {ctx.resolution.budget}",
            hint="abigate stopped resolving the libraries of this artifact and cannot vouch for the rest",
            path=ctx.artifact.path,
        )
