"""Scan artifacts into :class:`abigate.facts.ArtifactFacts`: containers (``archive``) + binaries (``native``).

Every member is classified by its *content*: the first :data:`abigate.native.HEAD_SIZE` bytes are inflated
and given to :func:`abigate.native.sniff`; names and ``RECORD`` decide nothing. Zips found inside (by
their magic) are scanned as nested artifacts up to a depth limit. Nothing is extracted to disk.

Large native members are parsed in worker processes that reopen the archive by path (the parent keeps
sniffing meanwhile); small ones, and everything inside in-memory nested archives, are parsed in the
parent. The result does not depend on the number of workers: every list is sorted before it is frozen.

Public API: :func:`scan_path` and :func:`scan_paths`. A path that does not exist or cannot be opened is a
:class:`abigate.errors.UsageError`; everything wrong *inside* an artifact is a :class:`Problem` fact.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from abigate import archive, compression, conda, tarball
from abigate._records import Record, field, replace
from abigate.archive import (
    Container,
    DataRef,
    Entry,
    FileContainer,
    FileSource,
    FolderContainer,
    Limits,
    MemberError,
    ZipContainer,
)
from abigate.digests import file_sha256
from abigate.errors import UsageError
from abigate.facts import (
    ArtifactFacts,
    ArtifactKind,
    CondaInfo,
    Distribution,
    Link,
    NativeFile,
    Problem,
    WheelInfo,
)
from abigate.image_options import ImageOptions
from abigate.native import HEAD_SIZE, NativeRead, read_native, sniff
from abigate.pyabi import parse_extension_name

if TYPE_CHECKING:  # the pool machinery (multiprocessing, pickle, sockets) is imported only when a pool starts
    from concurrent.futures import Future, ProcessPoolExecutor

_T = TypeVar("_T")

__all__ = [
    "ENGINES", "PARALLEL_MIN_SIZE", "PYELFTOOLS_MAX_IN_MEMORY", "ProgressCallback", "ScanProgress",
    "default_jobs", "scan_path", "scan_paths",
]

#: native members at least this large (uncompressed) are parsed in a worker process when ``jobs > 1``;
#: below it, the fork/pickle round trip costs more than the parse.
PARALLEL_MIN_SIZE = 4 << 20
#: workers start only for a container whose large members (at least two) add up to this much: for one
#: large extension in a small wheel the parent would only wait for the worker, and the fork costs time.
PARALLEL_MIN_TOTAL = 64 << 20
#: a compressed ELF member larger than this is not inflated into memory for the pyelftools engine.
PYELFTOOLS_MAX_IN_MEMORY = 256 << 20
#: a file at least this large is hashed (sha256, for the report) by a worker while the parent scans it, when
#: there are workers: about 0.15 s of CPU for PyTorch's 190 MB wheel, taken off the parent's critical path.
DIGEST_IN_POOL_MIN = 64 << 20
#: ELF readers ``scan_paths(engine=…)`` accepts: abigate's streaming reader, or pyelftools as a cross-check.
ENGINES = ("abigate", "pyelftools")

#: dist-info files read whole (each capped by ``Limits.max_metadata_size``): tags, name and version, files.
_METADATA_FILES = ("WHEEL", "METADATA", "RECORD")
#: bytes read first from every member: enough for every magic except PE's, whose "MZ" asks for more.
_PROBE_SIZE = 64
#: a native member this small is read whole before it is parsed, and identical ones are parsed once; the
#: memo holds at most _SMALL_KEPT_BYTES of their bytes.
_SMALL_MEMBER = 64 << 10
_SMALL_KEPT_BYTES = 16 << 20
#: bytes read from a member that may start a tar: the first header block (a compressed one: its magic).
_TAR_PROBE_SIZE = 512
#: the path that means standard input, and how the report names it.
STDIN = "-"
STDIN_DISPLAY = "<stdin>"
#: standard input (or a FIFO) is held in memory up to this size, then in an anonymous temporary file.
STDIN_IN_MEMORY = 64 << 20
#: ``read_as`` when the reader did not say more than the kind.
_DEFAULT_READ_AS = {"directory": "folder", "wheel": "wheel", "zip": "zip", "file": "file"}


def default_jobs() -> int:
    """The CPUs this process may run on (its affinity mask or cgroup-less CPU count), at least 1."""
    process_cpu_count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if process_cpu_count is not None:
        return max(1, process_cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class ScanProgress:
    """Where a scan is, for a progress display (read-only by convention; one is made per member).

    While one artifact is read member by member, *artifact* is its (or a nested archive's) display path and
    the member and byte counts are its own (bytes: uncompressed sizes of the members handled so far). When
    several artifacts are read in worker processes the parent only learns when one is finished: then
    *artifact* is the last one finished, the member counts are 0, and the byte counts are the artifacts'
    sizes on disk. A plain slotted class: a record's generic ``__init__`` would cost more, once per member.
    """

    __slots__ = ("artifact", "artifacts_done", "artifacts_total", "bytes_done", "bytes_total", "members_done",
                 "members_total")

    def __init__(self, artifact: str, members_done: int, members_total: int, bytes_done: int,
                 bytes_total: int, artifacts_done: int, artifacts_total: int) -> None:
        self.artifact = artifact
        self.members_done = members_done
        self.members_total = members_total
        self.bytes_done = bytes_done
        self.bytes_total = bytes_total
        self.artifacts_done = artifacts_done
        self.artifacts_total = artifacts_total

    def __repr__(self) -> str:
        return (f"ScanProgress({self.artifact!r}, members {self.members_done}/{self.members_total}, bytes "
                f"{self.bytes_done}/{self.bytes_total}, artifacts {self.artifacts_done}/{self.artifacts_total})")


#: a progress callback; called often (once per member), so it must be cheap.
ProgressCallback = Callable[[ScanProgress], None]


# -- reading one native member (parent and workers) ---------------------------------------------------


def _parse(head: bytes, stream: archive.StoredStream | archive.InflateStream, size: int,
           engine: str = "abigate",
           reopen: Callable[[], archive.StoredStream | archive.InflateStream] | None = None,
           limits: Limits = archive.DEFAULT_LIMITS) -> NativeRead:
    """Run the binary parser; a parser bug on hostile bytes becomes the file's error, not a traceback."""
    kind = sniff(head)
    assert kind is not None
    try:
        if engine == "pyelftools" and kind == "elf":
            return _parse_pyelftools(head, stream, size)
        return read_native(head, stream, size, reopen=reopen, limits=limits)
    except MemberError as exc:
        return NativeRead(kind=kind, error=exc.message)
    except OSError as exc:
        return NativeRead(kind=kind, error=f"read failed: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 - see docstring: never let one member end the scan
        return NativeRead(kind=kind, error=f"parser failed: {type(exc).__name__}: {exc}")


def _parse_pyelftools(head: bytes, stream: archive.StoredStream | archive.InflateStream, size: int) -> NativeRead:
    """The cross-check engine: pyelftools needs random access, so a compressed member is held in memory."""
    from abigate.elf_pyelftools import read_elf_pyelftools

    if isinstance(stream, archive.StoredStream):
        stream.seek(0)
        return read_elf_pyelftools(stream)  # type: ignore[arg-type]
    if size > PYELFTOOLS_MAX_IN_MEMORY:
        return NativeRead(kind="elf", error=f"{size} bytes compressed in the archive: too large to hold in memory "
                                            "for the pyelftools engine (use the default engine)")
    return read_elf_pyelftools(head + stream.read(size - len(head)))


def _worker_ignores_sigint() -> None:
    """Pool initializer: Ctrl-C reaches the whole process group, but only the parent should handle it.

    A worker that took the interrupt would die printing a traceback of its own; the parent instead
    terminates its workers and reports one line (``abigate.cli``).
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _sigint_held(hold: bool) -> Iterator[None]:
    """Block SIGINT while the pool forks its workers, and deliver it afterwards.

    A Ctrl-C landing inside ``fork``'s at-fork hooks is swallowed as an "Exception ignored" message (the
    scan then runs on), and a worker taking it before its initializer ignores SIGINT dies with a traceback.
    """
    import signal

    if not hold or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _read_job(ref: DataRef, engine: str = "abigate",
              limits: Limits = archive.DEFAULT_LIMITS) -> tuple[NativeRead | None, list[tuple[str, str]]]:
    """Worker entry point: reopen the member by path, parse it, return the result and stream problems."""
    try:
        fh, stream = archive.open_ref(ref, limits.max_decoder_memory)
    except OSError as exc:
        return None, [("unreadable", f"cannot reopen {ref.disk_path}: {exc.strerror or exc}")]
    with fh:
        try:
            head = stream.read(HEAD_SIZE)
        except OSError as exc:
            return None, [("unreadable", f"read failed: {exc.strerror or exc}")]
        if sniff(head) is None:  # the file changed under us
            return None, [("unreadable", "the member no longer holds a native binary")]
        reopened: list[io.BufferedReader] = []

        def reopen() -> archive.StoredStream | archive.InflateStream:
            fh2, stream2 = archive.open_ref(ref, limits.max_decoder_memory)
            reopened.append(fh2)
            return stream2

        try:
            result = _parse(head, stream, ref.size, engine, reopen, limits)
        finally:
            for extra in reopened:
                extra.close()
        return result, list(stream.problems)


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    """What tells one file's content from another's without reading it: device, inode, size, mtime."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _digest_job(path: str, identity: tuple[int, int, int, int]) -> str | None:
    """Worker entry point: the sha256 of *path*, when it is still the file the parent holds open (same
    :func:`_identity` before and after hashing); else ``None`` and the parent hashes its own handle."""
    try:
        with open(path, "rb") as fh:
            if _identity(os.fstat(fh.fileno())) != identity:
                return None
            digest = file_sha256(fh)
            return digest if _identity(os.fstat(fh.fileno())) == identity else None
    except OSError:
        return None


# -- mutable state while one artifact is read ---------------------------------------------------------


class _PendingNative(Record, frozen=False):
    entry: Entry
    display: str
    kind: str
    result: NativeRead | Future[tuple[NativeRead | None, list[tuple[str, str]]]] | None
    ref: DataRef | None = None


class _Builder(Record, frozen=False):
    """Everything gathered about one (possibly nested) artifact before it is frozen."""

    display: str
    kind: ArtifactKind
    #: how member display paths are formed: ``display!member`` in archives, ``display/member`` in folders.
    sep: str
    natives: list[_PendingNative] = field(default_factory=list)
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # member → (display, target)
    problems: list[Problem] = field(default_factory=list)
    nested: list[_Builder] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)  # member path → text (WHEEL, RECORD)
    total_size: int = 0
    #: bytes of the archive itself (``ArtifactFacts.zipped_size``); ``None`` for folders and single files.
    zipped_size: int | None = None
    #: ``ArtifactFacts.read_as``: what the input was understood to be.
    read_as: str = ""
    notes: list[str] = field(default_factory=list)
    conda: CondaInfo | None = None

    def member_display(self, name: str) -> str:
        if self.kind == "file":
            return self.display
        return f"{self.display}{self.sep}{name}"

    def problem(self, path: str, kind: str, message: str) -> None:
        self.problems.append(Problem(path=path, kind=kind, message=message))


class _Scanner:
    """One scan run: limits, the (lazily started) worker pool, progress reporting."""

    def __init__(self, *, jobs: int | None, limits: Limits, progress: ProgressCallback | None,
                 engine: str = "abigate") -> None:
        self.engine = engine
        self.jobs = default_jobs() if jobs is None else max(1, jobs)
        self.limits = limits
        self.progress = progress
        #: artifacts finished and given, for :class:`ScanProgress` (set by :func:`scan_paths`).
        self.artifacts_done = 0
        self.artifacts_total = 1
        self._pool: ProcessPoolExecutor | None = None
        self._pool_broken = False
        #: which image of a multi-platform index, and which layers, a container image is judged on.
        self.image_options = ImageOptions()
        #: what a native member of at most ``_SMALL_MEMBER`` bytes gave, by its bytes (``_SMALL_KEPT_BYTES`` of
        #: them at most).
        self._small: dict[bytes, NativeRead] = {}
        self._small_bytes = 0

    # -- pool ----------------------------------------------------------------------------------------

    def _submit(self, ref: DataRef) -> Future[tuple[NativeRead | None, list[tuple[str, str]]]] | None:
        if self.jobs <= 1 or self._pool_broken:
            return None
        return self.submit(_read_job, ref, self.engine, self.limits)

    def submit(self, fn: Callable[..., _T], *args: object) -> Future[_T] | None:
        """Run ``fn(*args)`` in the (lazily started) pool; ``None`` when the pool is broken."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        if self._pool_broken:
            return None
        starting = self._pool is None
        try:
            if self._pool is None:
                # fork: workers start in ~1 ms and need nothing sent but the job's arguments; they reopen files.
                ctx = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
                self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx,
                                                 initializer=_worker_ignores_sigint)
            with _sigint_held(starting):  # a submit may fork a worker
                return self._pool.submit(fn, *args)
        except (BrokenProcessPool, RuntimeError, OSError, NotImplementedError, ImportError):
            # No pool here (no /dev/shm or sem_open, as in AWS Lambda; fork refused): read in this process.
            self._pool_broken = True
            return None

    def close(self, *, interrupted: bool = False) -> None:
        """Stop the pool; when *interrupted* (Ctrl-C, an error) kill the workers rather than await their jobs."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        workers = list((getattr(pool, "_processes", None) or {}).values()) if interrupted else []
        for proc in workers:
            proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        for proc in workers:
            proc.join(5)

    # -- artifacts -----------------------------------------------------------------------------------

    def scan(self, path: str) -> ArtifactFacts:
        """Scan one artifact and record the sha256 of its bytes (:mod:`abigate.digests`; none for a folder)."""
        display = os.fspath(path)
        if display == STDIN:
            hashed = hashlib.sha256()
            with _spool_stream(sys.stdin.buffer, STDIN_DISPLAY, hashed) as source:
                facts = _scan_image(self, STDIN_DISPLAY, source) or self._scan_source(STDIN_DISPLAY, source)
            return replace(facts, sha256=hashed.hexdigest())
        try:
            st = os.stat(display)
        except OSError as exc:
            raise UsageError(f"{display}: {exc.strerror or 'cannot be read'}") from None
        if not stat.S_ISREG(st.st_mode):
            return self._scan_path(display, st)
        try:
            pinned = open(display, "rb")  # noqa: SIM115 - closed below; the digest is of the file judged
        except OSError as exc:
            raise UsageError(f"{display}: {exc.strerror or 'cannot be read'}") from None
        with pinned:
            identity = _identity(os.fstat(pinned.fileno()))
            hashing = (self.submit(_digest_job, display, identity)
                       if self.jobs > 1 and st.st_size >= DIGEST_IN_POOL_MIN else None)
            facts = self._scan_path(display, st)
            digest = None
            if hashing is not None:
                try:
                    digest = hashing.result()
                except Exception:  # noqa: BLE001 - the worker died: hash here
                    digest = None
            try:
                if digest is None:
                    digest = file_sha256(pinned)
            except OSError as exc:
                raise UsageError(f"{display}: {exc.strerror or 'cannot be read'}") from None
        return replace(facts, sha256=digest)

    def _scan_path(self, display: str, st: os.stat_result) -> ArtifactFacts:
        # docker save / OCI layout: before folders and tars (a pipe or FIFO is read once, below, instead).
        regular = stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)
        as_image = _scan_image(self, display) if regular else None
        if as_image is not None:
            return as_image
        if os.path.isdir(display):
            builder = _Builder(display=display.rstrip("/") or "/", kind="directory", sep="/")
            container: Container = FolderContainer(display, self.limits)
            try:
                self._scan_container(container, builder, depth=0)
            finally:
                container.close()
            return self._freeze(builder)
        try:
            fh = open(display, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise UsageError(f"{display}: {exc.strerror or 'cannot be read'}") from None
        with fh:
            if not stat.S_ISREG(st.st_mode):
                # /dev/stdin or /dev/fd/0 (check_artifact_paths refuses every other special file): read
                # once, forward, like standard input.
                hashed = hashlib.sha256()
                with _spool_stream(fh, display, hashed) as source:
                    facts = _scan_image(self, display, source) or self._scan_source(display, source)
                return replace(facts, sha256=hashed.hexdigest())
            return self._scan_source(display, FileSource(fh, os.path.abspath(display), 0, st.st_size))

    def _scan_source(self, display: str, source: archive.Source) -> ArtifactFacts:
        """Scan the artifact whose bytes are *source*: by content a tar, a zip, or a single file."""
        try:
            head = source.pread(0, HEAD_SIZE)
        except OSError as exc:
            raise UsageError(f"{display}: {exc.strerror or 'cannot be read'}") from None
        tar = _open_tar_family(source, head, self.limits) if sniff(head) is None else None
        if tar is not None:
            builder = _Builder(display=display, kind="tar", sep="!", zipped_size=source.size, read_as=tar[1])
            try:
                self._scan_container(tar[0], builder, depth=0)
                _classify_tar(tar[0], builder)
            finally:
                self._settle_all(builder)
                tar[0].close()
            return self._freeze(builder)
        as_zip = sniff(head) is None and (
            archive.is_zip_head(head) or archive.looks_like_archive_name(display)
            or _has_zip_directory(source))
        if not as_zip:
            builder = _Builder(display=display, kind="file", sep="!")
            if isinstance(source, FileSource) and not isinstance(source, tarball.AnonFileSource):
                single: Container = FileContainer(display, source.size)
            else:
                single = _SourceFileContainer(display, source)
            compressed = compression.sniff_compression(head)
            if compressed is not None:
                builder.read_as = f"{compressed}-compressed file (not a tar archive; not decompressed)"
                error = tarball.decode_error(source, head)
                if error is not None:
                    builder.read_as = f"{compressed}-compressed data that cannot be decoded"
                    builder.problem(display, "corrupt-archive", f"{error}; its content was not read")
            self._scan_container(single, builder, depth=0)
            return self._freeze(builder)
        kind: ArtifactKind = "wheel" if display.lower().endswith(".whl") else "zip"
        builder = _Builder(display=display, kind=kind, sep="!", zipped_size=source.size)
        zipc = ZipContainer(source, self.limits)
        self._scan_container(zipc, builder, depth=0)
        _classify_zip(zipc, builder)
        return self._freeze(builder)

    def _scan_container(self, container: Container, builder: _Builder, depth: int) -> None:
        for kind, message in container.problems:
            builder.problem(builder.display, kind, message)
        total = len(container.entries)
        # Large members first, largest first: when they turn out to be native they go to the workers at once
        # and parse while the parent sniffs the thousands of small ones (the result is sorted anyway).
        big = sorted((e for e in container.entries if e.size >= PARALLEL_MIN_SIZE), key=lambda e: (-e.size, e.index))
        order = big + [e for e in container.entries if e.size < PARALLEL_MIN_SIZE]
        parallel = len(big) >= 2 and sum(e.size for e in big) >= PARALLEL_MIN_TOTAL
        progress = self.progress
        bytes_total = sum(e.size for e in order) if progress is not None else 0
        bytes_done = 0
        for done, entry in enumerate(order, 1):
            if progress is not None:
                progress(ScanProgress(builder.display, done - 1, total, bytes_done, bytes_total,
                                      self.artifacts_done, self.artifacts_total))
                bytes_done += entry.size
            self._scan_entry(container, builder, entry, depth, parallel)

    def _scan_entry(self, container: Container, builder: _Builder, entry: Entry, depth: int,
                    parallel: bool = False) -> None:
        display = builder.member_display(entry.name)
        for kind, message in entry.problems:
            builder.problem(display, kind, message)
        if entry.type == "dir":
            builder.dirs.append(entry.name)
            return
        builder.members.append(entry.name)
        builder.total_size += entry.size
        if not entry.readable or entry.type == "special":
            return
        try:
            if entry.type == "symlink":
                builder.links[entry.name] = (display, self._link_text(container, entry, display))
                return
            if _is_metadata(entry.name):
                data = container.read_all(entry, display, self.limits.max_metadata_size)
                if sniff(data[:HEAD_SIZE]) is None and not archive.is_zip_head(data):
                    builder.metadata[entry.name] = data.decode("utf-8", "replace")
                    return
                # content, not the name, decides: a binary named like dist-info metadata is still read
            self._scan_content(container, builder, entry, display, depth, parallel)
        except MemberError as exc:
            builder.problem(display, exc.kind, exc.message)
        except OSError as exc:
            builder.problem(display, "unreadable", f"read failed: {exc.strerror or exc}")

    def _link_text(self, container: Container, entry: Entry, display: str) -> str:
        if isinstance(container, (FolderContainer, tarball.TarContainer)):
            return container.read_link(entry)
        data = container.read_all(entry, display, archive.MAX_LINK_SIZE)
        return data.decode("utf-8", "replace")

    def _scan_content(self, container: Container, builder: _Builder, entry: Entry, display: str,
                      depth: int, parallel: bool = False) -> None:
        stream = container.open(entry, display)
        try:
            # A 64-byte probe settles almost every member (inflating 4 KiB for each of 12,000 members
            # doubles the cost of a scan); only native candidates and zips get the full head.
            head = stream.read(_PROBE_SIZE)
            probe_kind = sniff(head)
            if head[:2] == b"MZ" or probe_kind is not None or archive.is_zip_head(head):
                head += stream.read(HEAD_SIZE - len(head))
                probe_kind = sniff(head)
            elif (len(head) == _PROBE_SIZE and tarball.looks_like_tar_start(head)
                  and not isinstance(container, (FileContainer, _SourceFileContainer))):
                want = HEAD_SIZE if compression.sniff_compression(head) is not None else _TAR_PROBE_SIZE
                head += stream.read(want - len(head))
                if _tar_family_head(head):
                    _close(stream)
                    self._scan_nested(container, builder, entry, display, depth, head)
                    return
                # still None: sniff looks past the first 8 bytes only for "MZ", which took the branch above
            kind = probe_kind  # sniff(head) of the head as read, computed once
            if kind is not None:
                pending = _PendingNative(entry=entry, display=display, kind=kind, result=None)
                builder.natives.append(pending)
                if parallel and entry.size >= PARALLEL_MIN_SIZE and self.jobs > 1:
                    ref = container.data_ref(entry, display)
                    future = self._submit(ref) if ref is not None else None
                    if future is not None:
                        pending.result, pending.ref = future, ref
                        return
                small = entry.size <= _SMALL_MEMBER
                if small and len(head) < entry.size:
                    head += stream.read(entry.size - len(head))  # the parser reads almost all of it anyway
                whole = small and len(head) == entry.size
                known = self._small.get(head) if whole else None
                if known is None:
                    known = _parse(head, stream, entry.size, self.engine, lambda: container.open(entry, display),
                                   self.limits)
                    if whole and self._small_bytes + len(head) <= _SMALL_KEPT_BYTES:
                        # What a member gives depends on its bytes alone, and a crafted zip may hold one
                        # library 20,000 times: identical small members are read once (and share their facts).
                        self._small[head] = known
                        self._small_bytes += len(head)
                pending.result = known
            elif archive.is_zip_head(head):
                _close(stream)
                self._scan_nested(container, builder, entry, display, depth)
                return
            for pkind, message in stream.problems:
                builder.problem(display, pkind, message)
        finally:
            _close(stream)

    def _scan_nested(self, container: Container, builder: _Builder, entry: Entry, display: str,
                     depth: int, head: bytes = b"") -> None:
        named = archive.looks_like_archive_name(entry.name)
        if depth + 1 > self.limits.max_nesting_depth:
            builder.problem(display, "nesting-too-deep", f"an archive nested more than "
                                                         f"{self.limits.max_nesting_depth} levels deep; not opened")
            return
        source = container.nested_source(entry, display, self.limits)
        try:
            budget = container.budget if isinstance(container, ZipContainer) else None
            self._scan_nested_source(source, builder, entry, display, depth, head, named, budget)
        finally:
            source.close()  # a compressed nested archive spilled to a temporary file: every worker is done

    def _scan_nested_source(self, source: archive.Source, builder: _Builder, entry: Entry, display: str,
                            depth: int, head: bytes, named: bool,
                            budget: archive.InflateBudget | None) -> None:
        if head and not archive.is_zip_head(head):
            tar = _open_tar_family(source, head, self.limits)
            if tar is None:  # not a tar after all (a lone .gz, or a header that only looked like one)
                error = tarball.decode_error(source, head)
                if error is not None and tarball.looks_like_tar_name(entry.name):
                    builder.problem(display, "corrupt-archive", f"{error}; its content was not read")
                return
            child = _Builder(display=display, kind="tar", sep="!", zipped_size=entry.size, read_as=tar[1])
            builder.nested.append(child)
            try:
                self._scan_container(tar[0], child, depth + 1)
                _classify_tar(tar[0], child)
            finally:
                self._settle_all(child)
                tar[0].close()
            return
        nested = ZipContainer(source, self.limits, budget)
        if not nested.entries and any(k == "corrupt-archive" for k, _ in nested.problems) and not named:
            return  # data that merely starts with "PK" under a name that does not claim to be a zip
        kind: ArtifactKind = "wheel" if entry.name.lower().endswith(".whl") else "zip"
        # Taken out and uploaded, a nested archive is its own bytes, whatever it takes inside the outer zip.
        child = _Builder(display=display, kind=kind, sep="!", zipped_size=entry.size)
        builder.nested.append(child)
        try:
            self._scan_container(nested, child, depth + 1)
            _classify_zip(nested, child)
        finally:
            self._settle_all(child)  # workers reading its members (or members of what it nests) are done
            nested.close()

    # -- freezing -------------------------------------------------------------------------------------

    def _freeze(self, builder: _Builder) -> ArtifactFacts:
        if builder.kind == "conda" and builder.conda is None:
            builder.conda = _conda_info(builder)
        distributions = _distributions(builder)
        owner: dict[str, str] = {}
        for dist in distributions:  # sorted by dist_info: the first RECORD listing a file wins
            for path in dist.record or ():
                owner.setdefault(path, dist.key)
        natives = [self._native(builder, p, owner) for p in builder.natives]
        links = []
        link_texts = {name: text for name, (_, text) in builder.links.items()}
        steps_left = [self.limits.max_link_steps_per_artifact]
        for name, (display, text) in builder.links.items():
            resolved, problem = archive.resolve_link(name, text, link_texts, self.limits.max_symlink_hops,
                                                     self.limits.max_link_steps, steps_left)
            if problem == "budget-exceeded":
                builder.problem(display, problem, f"resolving the link takes more than "
                                f"{self.limits.max_link_steps} path steps, or the artifact's links more than "
                                f"{self.limits.max_link_steps_per_artifact} (the link-resolution budgets)")
            elif problem == "symlink-escape":
                builder.problem(display, problem, f"the link target {text!r} points outside the artifact")
            elif problem == "symlink-loop":
                builder.problem(display, problem, f"the link target {text!r} leads to a symlink loop")
            links.append(Link(path=display, member=name, target=text, resolved=resolved))
        wheel = _wheel_info(builder, distributions) if builder.kind == "wheel" else None
        return ArtifactFacts(
            path=builder.display,
            kind=builder.kind,
            read_as=builder.read_as or _DEFAULT_READ_AS.get(builder.kind, builder.kind),
            wheel=wheel,
            conda=builder.conda,
            notes=tuple(builder.notes),
            distributions=tuple(distributions),
            native_files=tuple(sorted(natives, key=lambda n: (n.member, n.path))),
            links=tuple(sorted(links, key=lambda link: link.member)),
            problems=tuple(sorted(set(builder.problems), key=lambda p: (p.path, p.kind, p.message))),
            nested=tuple(sorted((self._freeze(child) for child in builder.nested), key=lambda a: a.path)),
            member_count=len(builder.members),
            total_size=builder.total_size,
            zipped_size=builder.zipped_size,
            members=tuple(sorted(builder.members)),
        )

    def _settle(self, builder: _Builder, pending: _PendingNative) -> NativeRead | None:
        """The parse result of *pending*, waiting for its worker (problems the worker met are recorded)."""
        result = pending.result
        if result is not None and not isinstance(result, NativeRead):  # a Future from the pool
            from concurrent.futures.process import BrokenProcessPool

            try:
                result, problems = result.result()
            except (BrokenProcessPool, OSError, RuntimeError):
                # A worker died (killed, out of memory): read this member here instead.
                assert pending.ref is not None
                result, problems = _read_job(pending.ref, self.engine, self.limits)
            for kind, message in problems:
                builder.problem(pending.display, kind, message)
            pending.result = result
        return result

    def _settle_all(self, builder: _Builder) -> None:
        """Wait for every worker reading *builder* (and what it nests): before a spool file they read closes."""
        for pending in builder.natives:
            self._settle(builder, pending)
        for child in builder.nested:
            self._settle_all(child)

    def _native(self, builder: _Builder, pending: _PendingNative, owner: dict[str, str]) -> NativeFile:
        result = self._settle(builder, pending)
        entry = pending.entry
        error = None
        if result is None:
            error = "could not be read"
            result = NativeRead(kind=pending.kind)  # type: ignore[arg-type]
        return NativeFile(
            path=pending.display,
            member=entry.name,
            size=entry.size,
            kind=result.kind,
            elf=result.elf,
            macho=result.macho,
            pe=result.pe,
            extension=parse_extension_name(entry.name),
            distribution=owner.get(posixpath.normpath(entry.name)),
            error=error or result.error,
            budget=result.budget,
        )


# -- the tar family, conda packages and standard input (issue 8) -----------------------------------------
# Kept together so other formats (container images) can hook into detection next to it.


def _tar_family_head(head: bytes) -> bool:
    """Whether a member starting with *head* may be a tar (plain or compressed), worth opening."""
    return tarball.may_be_tar(head)


def _open_tar_family(source: archive.Source, head: bytes,
                     limits: Limits) -> tuple[tarball.TarContainer, str] | None:
    """``(container, read_as)`` when *source* (starting with *head*) is a tar, plain or compressed."""
    fmt = tarball.detect(source, head)
    if fmt is None:
        return None
    kind = compression.sniff_compression(head)
    return tarball.TarContainer(source, limits, kind), fmt


def _classify_tar(container: tarball.TarContainer, builder: _Builder) -> None:
    """A tar that is an sdist or a legacy conda package says so (kind, read_as, note)."""
    names = [e.name for e in container.entries]
    if conda.INDEX_JSON in names:
        builder.kind = "conda"
        builder.read_as = f"conda package ({builder.read_as})"
        return
    root = tarball.sdist_root(names)
    if root is not None:
        builder.kind = "sdist"
        builder.read_as = f"sdist ({builder.read_as})"
        builder.notes.append(f"{builder.display}: {root} is a source distribution: pip builds it on the "
                             "target, so what loads there depends on that build; binaries shipped inside "
                             "are still judged")


def _classify_zip(container: ZipContainer, builder: _Builder) -> None:
    """A zip holding ``metadata.json`` and ``pkg-*.tar.zst`` is a ``.conda`` package."""
    if conda.is_dot_conda([e.name for e in container.entries]):
        builder.kind = "conda"
        builder.read_as = "conda package (.conda)"
        for child in builder.nested:  # its two tars are parts of this package, not packages of their own
            part = child.display.rsplit("!", 1)[-1]
            fmt = child.read_as.removeprefix("conda package (").removesuffix(")")
            if part.startswith("info-"):
                child.kind, child.read_as = "tar", f"{fmt}: the package's info/ folder"
            elif part.startswith("pkg-"):
                child.read_as = f"{fmt}: the files the package installs"


def _conda_info(builder: _Builder) -> CondaInfo | None:
    """``info/index.json`` of a conda package: its own member (``.tar.bz2``), or inside ``info-*.tar.zst``."""
    for b in (builder, *builder.nested):
        text = b.metadata.get(conda.INDEX_JSON)
        if text is not None:
            info = conda.parse_index(text)
            if info is None:
                builder.problem(b.member_display(conda.INDEX_JSON), "malformed-metadata",
                                "info/index.json is not a JSON object")
            return info
    builder.problem(builder.display, "malformed-metadata",
                    "a conda package without a readable info/index.json")
    return None


@contextmanager
def _spool_stream(stream: BinaryIO, display: str,
                  digest: hashlib._Hash | None = None) -> Iterator[archive.Source]:
    """The bytes of a non-seekable stream (standard input, a FIFO) as a :class:`~abigate.archive.Source`.

    Read once to its end: into memory up to :data:`STDIN_IN_MEMORY`, then into an anonymous temporary file
    (unlinked on creation where the system allows, and closed — so gone — when the scan ends). *digest* is
    fed every chunk as it is read: the stream's sha256 without a second pass over the spooled copy.
    """
    read = stream.read
    buf = bytearray()
    spill: io.BufferedRandom | None = None
    try:
        while True:
            try:
                chunk = read(1 << 20)
            except OSError as exc:
                raise UsageError(f"{display}: {exc.strerror or exc}") from None
            if not chunk:
                break
            if digest is not None:
                digest.update(chunk)
            if spill is None:
                buf += chunk
                if len(buf) > STDIN_IN_MEMORY:
                    import tempfile  # only a large standard input needs it (~4 ms of imports)

                    spill = tempfile.TemporaryFile(prefix="abigate-stdin-")  # noqa: SIM115 - closed below
                    spill.write(buf)
                    buf = bytearray()
            else:
                spill.write(chunk)
        if spill is None:
            yield archive.MemorySource(bytes(buf))
        else:
            spill.flush()
            yield tarball.AnonFileSource(spill, display, 0, spill.tell(),
                                         proc=tarball.proc_fd_path(spill.fileno()))
    finally:
        if spill is not None:
            spill.close()


class _SourceFileContainer(Container):
    """A single file read from a :class:`~abigate.archive.Source` (standard input that is no archive)."""

    def __init__(self, display: str, source: archive.Source) -> None:
        self.source = source
        self.problems = []
        name = display.replace("\\", "/").rsplit("/", 1)[-1]
        self.entries = [Entry(name=name, index=0, type="file", size=source.size)]

    def open(self, entry: Entry, display: str) -> archive.StoredStream:
        return archive.StoredStream(self.source, entry.size, None, display)

    def data_ref(self, entry: Entry, display: str) -> DataRef | None:
        where = self.source.disk_location()
        if where is None:
            return None
        return DataRef(display=display, disk_path=where[0], disk_offset=where[1], method=archive.METHOD_STORED,
                       compressed_size=entry.size, size=entry.size, crc=None)


def _may_be_image(path: str) -> bool:
    """False when *path* cannot hold a container image, decided without importing the image reader.

    A necessary condition of :func:`abigate.image.open_image`: a folder holds ``oci-layout`` or
    ``manifest.json``; a file is compressed or starts with a tar header. It keeps the reader's imports
    (``tarfile``, ``hashlib``, ``json``: ~9 ms) off the start-up of a wheel or zip check.
    """
    if os.path.isdir(path):
        return any(os.path.isfile(os.path.join(path, name)) for name in ("oci-layout", "manifest.json"))
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return True  # the reader decides, and says why, as before
    return compression.sniff_compression(head[:8]) is not None or compression.is_tar_header(head)


def _scan_image(
    scanner: _Scanner, display: str, source: archive.Source | None = None
) -> ArtifactFacts | None:
    """A container image (``docker save`` tar, OCI layout folder or tar) as its merged layers, else ``None``.

    One image is judged as one artifact whose members are container paths; with
    ``ImageOptions.all_platforms`` each image of a multi-platform index is a nested artifact of its own.
    *source*: the image tar's bytes when read once from a pipe (standard input), spooled by the caller.
    """
    if source is None and not _may_be_image(display):
        return None
    from abigate import image as image_mod

    img = image_mod.open_image(display, source)
    if img is None:
        return None
    opts = scanner.image_options
    try:
        chosen, note = image_mod.select_platforms(img, opts.arch, opts.all_platforms)
        several = len(chosen) > 1
        read_as = (f"{img.format} image index with {len(chosen)} platforms" if several
                   else img.describe(chosen[0]) if chosen else f"{img.format} image")
        top = _Builder(display=img.display, kind="image", sep="!", read_as=read_as)
        for path, kind, message in img.problems:
            top.problem(path, kind, message)
        top.notes.extend(img.notes)
        if note:
            top.notes.append(note)
        if not chosen and img.platforms:
            listed = ", ".join(p.platform or "unknown" for p in img.platforms)
            top.problem(img.display, "no-matching-platform", f"the index holds no image for {opts.arch} "
                                                             f"(it holds {listed}); nothing was judged")
        elif not chosen and not img.problems:
            top.problem(img.display, "bad-manifest", "the image lists no manifests; nothing was judged")
        for pimage in chosen:
            builder = top
            if several:
                nested = f"{img.display}!{pimage.platform or 'unknown'}"
                builder = _Builder(display=nested, kind="image", sep="!",
                                   read_as=img.describe(pimage))
                top.nested.append(builder)
            keep_from = 0
            if opts.runtime_split:
                keep_from, why = image_mod.base_layer_count(pimage)
                builder.notes.append(image_mod.split_note(img, pimage, keep_from, why))
            tree, member_problems = image_mod.merge_layers(img, pimage, keep_from=keep_from,
                                                           limits=scanner.limits)
            try:
                for path, kind, message in member_problems:
                    builder.problem(path, kind, message)
                scanner._scan_container(tree, builder, depth=0)
            finally:
                tree.close()
        return scanner._freeze(top)
    finally:
        img.close()


def _close(stream: object) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        close()


def _has_zip_directory(source: archive.Source) -> bool:
    """Whether a file without a zip name or magic still ends with a zip directory (a self-extracting zip)."""
    tail = source.pread(max(0, source.size - 22), 22)
    return tail[:4] == b"PK\x05\x06"


def _is_metadata(name: str) -> bool:
    parent, _, base = name.rpartition("/")
    return (base in _METADATA_FILES and parent.endswith(".dist-info")) or name == conda.INDEX_JSON


def _distributions(builder: _Builder) -> list[Distribution]:
    """Every ``*.dist-info`` in the artifact, named as its ``METADATA`` names it.

    Name and version come from ``METADATA`` (what pip shows) when it states them, else from the folder name
    (``name-version.dist-info``, what a dist-info without METADATA still says). ``Tag`` lines are expanded
    into the set of tags they stand for. A ``RECORD`` that cannot be read is a ``malformed-metadata``
    problem and owns no files (ownership only groups findings; content still decides what is checked).
    """
    found = archive.iter_dist_info_dirs([*builder.members, *builder.dirs])
    dists = []
    for dist_info in found:
        parent, _, base = dist_info.rpartition("/")
        stem = base[: -len(".dist-info")]
        name, sep, version = stem.rpartition("-")
        if not sep:
            name, version = stem, ""
        metadata_text = builder.metadata.get(f"{dist_info}/METADATA")
        if metadata_text is not None:
            meta_name, meta_version = archive.parse_dist_metadata(metadata_text)
            name, version = meta_name or name, meta_version or version
        root = f"{parent}/" if parent else ""
        wheel_text = builder.metadata.get(f"{dist_info}/WHEEL")
        tags = archive.parse_wheel_metadata(wheel_text)[0] if wheel_text is not None else ()
        record_text = builder.metadata.get(f"{dist_info}/RECORD")
        record = None
        if record_text is not None:
            try:
                record = archive.parse_record(record_text, root)
            except ValueError as exc:
                builder.problem(builder.member_display(f"{dist_info}/RECORD"), "malformed-metadata",
                                f"RECORD is {exc}")
        dists.append(Distribution(name=name, version=version, dist_info=dist_info, root=root,
                                  wheel_tags=tags, record=record))
    return dists


def _wheel_info(builder: _Builder, distributions: list[Distribution]) -> WheelInfo | None:
    filename = builder.display.rsplit("!", 1)[-1].replace("\\", "/").rsplit("/", 1)[-1]
    try:
        name, version, build, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        builder.problem(builder.display, "invalid-wheel-filename", str(exc).splitlines()[0])
        return None
    own = [d for d in distributions if not d.root and canonicalize_name(d.name) == name]
    if not own:
        own = [d for d in distributions if not d.root]
    metadata_tags: tuple[str, ...] = ()
    purelib = None
    if own:
        text = builder.metadata.get(f"{own[0].dist_info}/WHEEL")
        if text is not None:
            metadata_tags, purelib = archive.parse_wheel_metadata(text)
    return WheelInfo(
        name=str(name),
        version=str(version),
        build=f"{build[0]}{build[1]}" if build else None,
        filename_tags=tuple(sorted(str(t) for t in tags)),
        metadata_tags=metadata_tags,
        root_is_purelib=purelib,
    )


# -- several artifacts at once ------------------------------------------------------------------------


def _scan_artifact_job(item: str, limits: Limits, engine: str,
                       image_options: ImageOptions) -> ArtifactFacts | UsageError:
    """Worker entry point: scan one whole artifact by path, without a pool of its own.

    A :class:`UsageError` (the path vanished, a file that cannot be opened) is returned, not raised, so
    that the parent raises it in the order of the command line, as a sequential scan would.
    """
    scanner = _Scanner(jobs=1, limits=limits, progress=None, engine=engine)
    scanner.image_options = image_options
    try:
        return scanner.scan(item)
    except UsageError as exc:
        return exc


def _poolable(item: str) -> int | None:
    """The size on disk of *item* when a worker may read it by path (a regular file or a folder), else
    ``None`` (standard input, a FIFO or a device is read once, by the parent)."""
    if item == STDIN:
        return None
    try:
        st = os.stat(item)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode):
        return st.st_size
    return 0 if stat.S_ISDIR(st.st_mode) else None


def _dominant(sizes: dict[int, int | None]) -> int | None:
    """The index of an artifact larger on disk than all the other pool-readable ones together, if any."""
    poolable = {i: size for i, size in sizes.items() if size is not None}
    if len(poolable) < 2:
        return None
    top = max(poolable, key=lambda i: (poolable[i], -i))
    return top if poolable[top] > sum(poolable.values()) - poolable[top] else None


def _scan_many(scanner: _Scanner, items: Sequence[str]) -> tuple[ArtifactFacts, ...]:
    """Scan several artifacts, one per worker process, and return their facts in the order of *items*.

    The cores are shared at one level at a time: with several artifacts each worker reads a whole artifact
    with no pool of its own (so at most ``jobs`` artifacts are open at once, each read in bounded chunks),
    largest first, so that a big wheel met last does not leave the other cores idle at the end. Standard
    input and FIFOs are read by the parent meanwhile. Facts are plain data: nothing else crosses processes.

    One artifact larger than all the others together (PyTorch next to a few small wheels) would leave the
    other workers idle once they are done with the small ones; the parent reads that one itself, and its
    large native members go to the same pool (queued behind the small artifacts) as for a single artifact.
    """
    from concurrent.futures import FIRST_COMPLETED, wait

    disk = {i: _poolable(item) for i, item in enumerate(items)}  # None: only the parent can read it
    dominant = _dominant(disk)
    results: dict[int, ArtifactFacts | UsageError] = {}
    futures: dict[Future[ArtifactFacts | UsageError], int] = {}
    by_size = sorted((i for i, size in disk.items() if size is not None and i != dominant),
                     key=lambda i: (-(disk[i] or 0), i))
    for i in by_size:
        future = scanner.submit(_scan_artifact_job, items[i], scanner.limits, scanner.engine,
                                scanner.image_options)
        if future is not None:  # else the pool broke: the parent reads it below
            futures[future] = i
    pooled = set(futures.values())
    scanner.artifacts_total = len(items)
    bytes_total = sum(size or 0 for size in disk.values())
    bytes_done = 0
    last = items[0]

    def report() -> None:
        if scanner.progress is not None:
            scanner.progress(ScanProgress(last, 0, 0, bytes_done, bytes_total, len(results), len(items)))

    report()
    for i, item in enumerate(items):  # what the workers do not read, in order, while they run
        if i not in pooled:
            scanner.artifacts_done = len(results)
            try:
                results[i] = scanner.scan(item)
            except UsageError as exc:  # raised below in the order of the command line, as for the workers'
                results[i] = exc
            bytes_done += disk[i] or 0
            last = item
            report()
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
        for future in done:
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception:  # noqa: BLE001 - a worker died (killed, out of memory): read it here instead
                results[i] = _scan_artifact_job(items[i], scanner.limits, scanner.engine, scanner.image_options)
            bytes_done += disk[i] or 0
            last = items[i]
        report()
    ordered = [results[i] for i in range(len(items))]
    for outcome in ordered:
        if isinstance(outcome, UsageError):
            raise outcome
    return tuple(outcome for outcome in ordered if not isinstance(outcome, UsageError))


# -- public API ---------------------------------------------------------------------------------------


def _not_an_artifact(path: str) -> str | None:
    """Why *path* is refused as an artifact (one line), or ``None``: only a regular file or a folder is read.

    A FIFO blocks until a writer comes, a device such as ``/dev/zero`` never ends, a ``/proc`` file's size
    is a fiction: the stream a user means is given as ``-`` (standard input), so ``/dev/stdin`` and
    ``/dev/fd/0``, which are standard input by name, are read like it.
    """
    import stat as stat_module

    from abigate.inputfile import special_file_reason

    try:
        st = os.stat(path)
    except OSError:
        return None  # reported by the scan itself, with the system's words
    if stat_module.S_ISDIR(st.st_mode):
        return None
    if path in ("/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"):
        try:
            if os.path.samestat(st, os.fstat(0)):
                return None
        except OSError:
            pass
    reason = special_file_reason(path, st)
    if reason is None:
        return None
    return (f"{path}: {reason}, not a regular file or a folder; to check a stream, give - and redirect it to "
            "standard input")


def check_artifact_paths(items: Iterable[str]) -> None:
    """Refuse, before anything is read, a path that does not exist, cannot be read, or is neither a regular
    file nor a folder (:func:`_not_an_artifact`); ``-`` is standard input. :raises UsageError: one line."""
    for item in items:
        if item == STDIN:
            continue
        if not os.path.exists(item):
            raise UsageError(f"{item}: no such file or directory")
        if not os.access(item, os.R_OK):
            raise UsageError(f"{item}: permission denied")
        refused = _not_an_artifact(item)
        if refused:
            raise UsageError(refused)


def scan_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    jobs: int | None = None,
    max_nesting_depth: int = archive.MAX_NESTING_DEPTH,
    max_members: int = archive.MAX_MEMBERS,
    max_member_size: int = archive.MAX_MEMBER_SIZE,
    max_total_size: int = archive.MAX_TOTAL_SIZE,
    max_ratio: float = archive.MAX_RATIO,
    max_nested_in_memory: int = archive.MAX_NESTED_IN_MEMORY,
    max_metadata_size: int = archive.MAX_METADATA_SIZE,
    max_decoder_memory: int = archive.MAX_DECODER_MEMORY,
    progress: ProgressCallback | None = None,
    engine: str = "abigate",
    image_options: ImageOptions | None = None,
    limits: Limits | None = None,
) -> tuple[ArtifactFacts, ...]:
    """Scan several artifacts with one worker pool; the result is in the order of *paths*.

    Every path is checked first, so a typo fails in a moment rather than after a long scan. The result does
    not depend on *jobs*: with several paths each worker reads whole artifacts; with one, workers parse its
    large native members (see :func:`_scan_many` and :class:`_Scanner`).

    :param jobs: worker processes (default: the CPUs this process may use, :func:`default_jobs`; 1 = none).
    :param progress: called with a :class:`ScanProgress` as reading advances (from this process only).
    :param engine: ``abigate`` (streaming, the default) or ``pyelftools`` (a slower independent reading).
    :param image_options: for container images: the platform to pick, every platform, or only the layers
        above the image's base (see :class:`abigate.image.ImageOptions`).
    :param limits: every budget at once (:class:`abigate.limits.Limits`); when given, the ``max_*`` keyword
        arguments are ignored.
    :raises UsageError: a path does not exist or cannot be read, or *engine* is unknown.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown ELF engine {engine!r} (choose from {', '.join(ENGINES)})")
    items: Sequence[str] = [os.fspath(p) for p in paths]
    check_artifact_paths(items)
    if limits is None:
        limits = Limits(
            max_nesting_depth=max_nesting_depth, max_members=max_members, max_member_size=max_member_size,
            max_total_size=max_total_size, max_ratio=max_ratio, max_nested_in_memory=max_nested_in_memory,
            max_metadata_size=max_metadata_size, max_decoder_memory=max_decoder_memory,
        )
    scanner = _Scanner(jobs=jobs, limits=limits, progress=progress, engine=engine)
    if image_options is not None:
        scanner.image_options = image_options
    try:
        if len(items) > 1 and scanner.jobs > 1:
            result = _scan_many(scanner, items)
        else:
            scanner.artifacts_total = len(items)
            result = ()
            for item in items:
                result += (scanner.scan(item),)
                scanner.artifacts_done += 1
    except BaseException:
        scanner.close(interrupted=True)
        raise
    scanner.close()
    return result


def scan_path(
    path: str | os.PathLike[str],
    *,
    jobs: int | None = None,
    max_nesting_depth: int = archive.MAX_NESTING_DEPTH,
    max_members: int = archive.MAX_MEMBERS,
    max_member_size: int = archive.MAX_MEMBER_SIZE,
    max_total_size: int = archive.MAX_TOTAL_SIZE,
    max_ratio: float = archive.MAX_RATIO,
    max_nested_in_memory: int = archive.MAX_NESTED_IN_MEMORY,
    max_metadata_size: int = archive.MAX_METADATA_SIZE,
    max_decoder_memory: int = archive.MAX_DECODER_MEMORY,
    progress: ProgressCallback | None = None,
    engine: str = "abigate",
    image_options: ImageOptions | None = None,
    limits: Limits | None = None,
) -> ArtifactFacts:
    """Scan one wheel, zip, folder or file (see :func:`scan_paths` for the keyword arguments)."""
    return scan_paths(
        [path], jobs=jobs, max_nesting_depth=max_nesting_depth, max_members=max_members,
        max_member_size=max_member_size, max_total_size=max_total_size, max_ratio=max_ratio,
        max_nested_in_memory=max_nested_in_memory, max_metadata_size=max_metadata_size,
        max_decoder_memory=max_decoder_memory, progress=progress, engine=engine, image_options=image_options,
        limits=limits,
    )[0]
