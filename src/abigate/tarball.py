"""Read the tar family (``.tar``, ``.tar.gz``, ``.tar.bz2``, ``.tar.xz``, ``.tar.zst``) as containers.

Recognised by content: :func:`detect` looks for a compression magic (:mod:`abigate.compression`) and then a
tar header in the first plain block; the name of the file never decides.

Two ways of reading, one :class:`TarContainer`:

* **plain tar** (any :class:`~abigate.archive.Source`: a file, a window on an outer archive, memory): the
  headers are walked by offset and a member's bytes are read where they lie, like a stored zip member —
  nothing is copied, and worker processes reopen the file at the member's offset;
* **compressed tar**: a compressed stream can only be read forward, once. The listing pass reads every
  header and the first :data:`abigate.native.HEAD_SIZE` bytes of every regular member. Members that need a
  second look — native binaries, nested archives, the metadata files the scanner reads (``*.dist-info/…``,
  ``info/index.json``, ``PKG-INFO``) — are kept whole: in memory up to :data:`SPOOL_MEMORY`, beyond it in
  one anonymous :func:`tempfile.TemporaryFile` that the operating system removes when it is closed (never
  visible under a name on Linux, and never left behind). Every other member keeps only its first bytes,
  enough for the scanner to see it is not native. Memory stays bounded whatever the archive holds.

Links: a symlink member is a link (its text is the link target, resolved inside the artifact by
:func:`abigate.archive.resolve_link`); a hard link is a second name for the bytes of an earlier member. A hard
link whose target is absolute, climbs out with ``..`` or is no earlier member is reported and not followed.

Safety: ``..`` and absolute names (``path-traversal``), device files and FIFOs (``special-file``), members
declaring more than the limits (``tar-bomb``), a stream expanding past ``Limits.max_total_size``
(``tar-bomb``), a truncated or corrupt stream (``truncated``/``corrupt-archive``), more members than
``Limits.max_members`` (``too-many-members``): each is a problem on that member or on the archive, and the
members read before it are still judged.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import tarfile
import threading
import zlib
from collections.abc import Callable
from typing import BinaryIO, Literal

from abigate import archive
from abigate._records import Record
from abigate.archive import (
    DEFAULT_LIMITS,
    Container,
    DataRef,
    Entry,
    FileSource,
    Limits,
    MemberError,
    MemorySource,
    Source,
    StoredStream,
)
from abigate.compression import (
    Compression,
    DecompressionLimit,
    is_tar_header,
    open_decompressed,
    sniff_compression,
)
from abigate.native import HEAD_SIZE, sniff

__all__ = [
    "SPOOL_MEMBER_IN_MEMORY",
    "SPOOL_MEMORY",
    "AnonFileSource",
    "TarContainer",
    "TarFormat",
    "decode_error",
    "detect",
    "looks_like_tar_name",
    "looks_like_tar_start",
    "may_be_tar",
    "peek_plain",
    "proc_fd_path",
    "sdist_root",
]

TarFormat = Literal["tar", "tar.gz", "tar.bz2", "tar.xz", "tar.zst"]

_SUFFIX: dict[Compression, TarFormat] = {
    "gzip": "tar.gz",
    "bzip2": "tar.bz2",
    "xz": "tar.xz",
    "zstd": "tar.zst",
}

#: kept member bytes of one compressed tar held in memory; beyond this they go to an anonymous temporary file.
SPOOL_MEMORY = 32 << 20
#: a kept member larger than this goes to the temporary file directly, whatever memory is left.
SPOOL_MEMBER_IN_MEMORY = 8 << 20
#: bytes of a member that is not kept: the scanner's first probe reads this much.
_STUB = 64
#: bytes copied per step from the decompressed stream into the spool.
_COPY_CHUNK = 1 << 20
#: a kept member's expansion ratio is judged once this much of it is copied (decoders read ahead).
_DENSE_CHECK_FROM = 256 << 20
#: plain bytes read ahead to recognise a compressed tar (the first header block).
_PEEK = 512

#: files the scanner reads whole, kept by the listing pass even though they are not binaries.
_METADATA_BASENAMES = frozenset({"WHEEL", "METADATA", "RECORD"})


def detect(source: Source, head: bytes) -> TarFormat | None:
    """The tar format of *source*, whose first bytes are *head* (at least 512 when it is that long), or None.

    A compressed stream is decompressed only as far as its first block; a compressed file that is not a tar
    (a lone ``.gz``) is not a tar.
    """
    kind = sniff_compression(head)
    if kind is None:
        return "tar" if is_tar_header(head[:512]) else None
    # From the first MiB alone when the decoder gives a block from it (a cut or corrupt tail is then still
    # a tar, reported as truncated by the container); else decode as a stream.
    plain = peek_plain(source.pread(0, 1 << 20))
    if plain is not None:
        return _SUFFIX[kind] if is_tar_header(plain[:512]) else None
    try:
        stream = open_decompressed(io.BufferedReader(source.fileobj()), kind, max_output=1 << 20)
        try:
            block = stream.read(_PEEK)
        finally:
            stream.close()
    except (OSError, EOFError, DecompressionLimit, ValueError):
        return None
    return _SUFFIX[kind] if is_tar_header(block) else None


def peek_plain(head: bytes) -> bytes | None:
    """The plain bytes the compressed *head* (the first few KiB of a stream) decodes to, or ``None`` when
    that cannot be told from so little (a decoder that needs a whole block first: bzip2's reach 900 kB)."""
    kind = sniff_compression(head)
    plain: bytes
    try:
        if kind == "gzip":
            plain = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, _PEEK)
        elif kind == "bzip2":
            plain = bz2.BZ2Decompressor().decompress(head, _PEEK)
        elif kind == "xz":
            plain = lzma.LZMADecompressor().decompress(head, _PEEK)
        elif kind == "zstd":
            try:
                from compression import zstd  # type: ignore[import-not-found,unused-ignore]
            except ImportError:
                from backports import zstd  # type: ignore[import-not-found,no-redef,unused-ignore]
            plain = zstd.ZstdDecompressor().decompress(head, _PEEK)
        else:
            return None
    except Exception:  # noqa: BLE001 - corrupt data (zlib.error, LZMAError, ZstdError…): not a readable tar
        return b""
    # Less than a block from this much input: the decoder waits for a whole block; cannot tell yet.
    return plain if len(plain) >= _PEEK else None


def may_be_tar(head: bytes) -> bool:
    """Whether a member starting with *head* (512 plain or 4096 compressed bytes) may be a tar, worth opening:
    a tar header, or a compressed stream whose first plain block is one (or cannot be decoded from *head*)."""
    if sniff_compression(head) is None:
        return is_tar_header(head[:512])
    plain = peek_plain(head)
    return plain is None or is_tar_header(plain[:512])


def decode_error(source: Source, head: bytes) -> str | None:
    """Why the compressed stream *source* (starting with *head*) cannot be decoded at its start, or None when
    it can (then it is simply not a tar). A stream that cannot be decoded is reported, never taken for an
    opaque file that holds nothing."""
    kind = sniff_compression(head)
    if kind is None:
        return None
    try:
        stream = open_decompressed(io.BufferedReader(source.fileobj()), kind, max_output=1 << 20)
        try:
            stream.read(_PEEK)
        finally:
            stream.close()
    except DecompressionLimit:
        return None
    except OSError as exc:
        return str(exc)
    return None


def looks_like_tar_start(probe: bytes) -> bool:
    """Whether the first (64) bytes of a member may begin a tar archive, compressed or not, so that the
    scanner reads 512 bytes to decide. A tar header starts with a NUL-padded name; text rarely has a NUL."""
    if sniff_compression(probe) is not None:
        return True
    if not probe or probe[0] == 0:
        return False
    return b"\x00" in probe or (b"\n" not in probe and b"\r" not in probe)  # C-speed: once per member


def looks_like_tar_name(name: str) -> bool:
    """Whether a member's name says "tar" (or conda package): a failure to decode it is then reported."""
    return name.lower().endswith((".tar", ".tgz", ".tbz2", ".txz", ".tzst", ".conda")) or ".tar." in name.lower()


def sdist_root(names: list[str]) -> str | None:
    """``name-version`` when every member lies under one folder holding ``PKG-INFO`` (an sdist), else None."""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) != 1:
        return None
    top = next(iter(tops))
    return top if f"{top}/PKG-INFO" in names and "-" in top else None


def _is_kept_name(name: str) -> bool:
    """Metadata the scanner reads whole: dist-info files, a conda ``info/index.json``, an sdist's PKG-INFO."""
    parent, _, base = name.rpartition("/")
    if base in _METADATA_BASENAMES and parent.endswith(".dist-info"):
        return True
    return name == "info/index.json" or (base == "PKG-INFO" and "/" not in parent)


def _normalise(name: str) -> str:
    """Tar names often start with ``./``; the artifact-relative path does not."""
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/") if name not in ("/", "") else name


#: pax and GNU long-name headers are read whole by :mod:`tarfile`; a larger one is refused unread.
MAX_EXTENDED_HEADER = 1 << 20


class _ExtendedHeaderTooLarge(tarfile.TarError):
    """A pax or GNU long-name header declares more bytes than :data:`MAX_EXTENDED_HEADER`."""


class _CheckedTarInfo(tarfile.TarInfo):
    """Refuses an extended header (pax, GNU long name or link) declaring more than
    :data:`MAX_EXTENDED_HEADER` bytes before :mod:`tarfile` reads it into memory: a header of a few hundred
    bytes may declare gigabytes."""

    def _proc_member(self, tf: tarfile.TarFile) -> tarfile.TarInfo:
        extended = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                    tarfile.GNUTYPE_LONGLINK)
        if self.type in extended and self.size > MAX_EXTENDED_HEADER:
            raise _ExtendedHeaderTooLarge(f"an extended (pax or long-name) header declares {self.size} bytes, "
                                          f"more than the {MAX_EXTENDED_HEADER} read for one")
        return super()._proc_member(tf)  # type: ignore[misc,no-any-return]


class _ForwardReader(io.RawIOBase):
    """A decompressed stream that :mod:`tarfile` may ``seek`` *forward* (by reading and discarding), so the
    archive is walked with the same code as a plain file, without ``tarfile``'s own stream layer."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def read(self, n: int = -1, /) -> bytes:
        data = self._inner.read() if n is None or n < 0 else self._inner.read(n)
        self._pos += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        if whence == 1:
            offset += self._pos
        elif whence != 0:
            raise io.UnsupportedOperation("a compressed tar cannot seek from its end")
        if offset < self._pos:
            raise io.UnsupportedOperation("a compressed tar can only be read forward")
        while self._pos < offset:
            if not self.read(min(offset - self._pos, _COPY_CHUNK)):
                break
        return self._pos


def proc_fd_path(fd: int) -> str | None:
    """``/proc/<pid>/fd/<fd>`` when this process's open file *fd* can be reopened through it (Linux), even
    unlinked; ``None`` elsewhere. Worker processes read an anonymous temporary file this way."""
    path = f"/proc/{os.getpid()}/fd/{fd}"
    try:
        check = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    os.close(check)
    return path


class AnonFileSource(FileSource):
    """A region of an anonymous temporary file (it has no name on disk).

    Worker processes reopen it through :func:`proc_fd_path` where the system offers one (*proc* is that
    path, checked once when the file is made); elsewhere it has no location and its members are parsed in
    the parent. The file must stay open until every worker is done with it.
    """

    def __init__(self, fh: io.BufferedRandom, path: str, base: int = 0, size: int | None = None,
                 lock: threading.Lock | None = None, *, proc: str | None = None) -> None:
        super().__init__(fh, path, base, size, lock)  # type: ignore[arg-type]
        self._proc = proc
        self._rfh = fh

    def disk_location(self) -> tuple[str, int] | None:
        return (self._proc, self.base) if self._proc is not None else None

    def window(self, start: int, length: int) -> AnonFileSource:
        start = max(0, min(start, self.size))
        length = max(0, min(length, self.size - start))
        return AnonFileSource(self._rfh, self.path, self.base + start, length, self._lock, proc=self._proc)


class _Spool:
    """Kept member bytes: small ones in memory (up to :data:`SPOOL_MEMORY` in all), the rest appended to one
    anonymous temporary file created on first use and closed (so removed) with the container."""

    def __init__(self) -> None:
        self.memory = 0
        self._file: io.BufferedRandom | None = None
        self._proc: str | None = None
        self._end = 0

    def keep(self, first: bytes, rest: BinaryIO, size: int,
             too_dense: Callable[[int], bool] | None = None) -> tuple[Source | None, int]:
        """Store *first* then the rest of the member (``size`` bytes in all): ``(source, bytes stored)``.

        *too_dense* is asked, as the member is copied to the file, whether so many plain bytes from so little
        input make it a bomb; then nothing is kept (the file is cut back) and the source is ``None``.
        """
        if size <= SPOOL_MEMBER_IN_MEMORY and self.memory + size <= SPOOL_MEMORY:
            buf = bytearray(first)
            while len(buf) < size:
                chunk = rest.read(min(_COPY_CHUNK, size - len(buf)))
                if not chunk:
                    break
                buf += chunk
            self.memory += len(buf)
            return MemorySource(bytes(buf)), len(buf)
        if self._file is None:
            import tempfile  # only a compressed tar needs a spool file (~4 ms of imports)

            self._file = tempfile.TemporaryFile(prefix="abigate-")  # noqa: SIM115 - closed by close()
            self._proc = proc_fd_path(self._file.fileno())
        fh = self._file
        fh.seek(self._end)
        fh.write(first)
        done = len(first)
        while done < size:
            chunk = rest.read(min(_COPY_CHUNK, size - done))
            if not chunk:
                break
            fh.write(chunk)
            done += len(chunk)
            if too_dense is not None and too_dense(done):
                fh.truncate(self._end)
                return None, done
        fh.flush()
        start = self._end
        self._end += done
        source = AnonFileSource(fh, "<spool>", start, done, proc=self._proc)
        return source, done

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _Data(Record, frozen=False, kw_only=False):
    """Where one member's bytes are: the whole member, or only its first bytes (``complete`` False)."""

    source: Source
    complete: bool


class TarContainer(Container):
    """A tar archive, plain or compressed (*compression*), listed in one forward pass over *source*."""

    def __init__(
        self, source: Source, limits: Limits = DEFAULT_LIMITS, compression: Compression | None = None
    ) -> None:
        self.source = source
        self.compression = compression
        self.problems = []
        self.entries = []
        self._data: dict[int, _Data] = {}  # entry index → bytes
        self._links: dict[int, str] = {}  # symlink entry index → link text
        self._spool = _Spool()
        self._stream: BinaryIO | None = None
        self._reader: _ForwardReader | None = None
        self._raw: BinaryIO | None = None  # the compressed input, to measure how much was read
        #: where the data of the last regular member ends in the plain stream (to tell a cut member).
        self._last_end = 0
        try:
            self._list(limits)
        except DecompressionLimit as exc:
            self._stopped("tar-bomb", f"{exc}; the members after it were not read")
        except (tarfile.TarError, OSError, EOFError, ValueError, UnicodeError) as exc:
            kind = "truncated" if "truncated" in str(exc) or "end of data" in str(exc) else "corrupt-archive"
            where = "at its start" if not self.entries else f"after {self.entries[-1].name!r}"
            self._stopped(
                kind,
                f"the tar stream cannot be read {where}: {archive._one_line(exc)}; "
                "the members after it were not read",
            )
        finally:
            if self._stream is not None:
                self._stream.close()

    def _stopped(self, kind: str, message: str) -> None:
        """The pass ended early: a problem on the archive, and on the member being read if it was cut."""
        self.problems.append((kind, message))
        if self.entries:
            last = self.entries[-1]
            cut = last.index not in self._data or (
                self._reader is not None and self._reader.tell() < self._last_end
            )
            if last.type == "file" and last.readable and cut:
                last.readable = last.index in self._data and self._data[last.index].complete
                last.problems.append((kind, "the stream ended or failed inside this member's data"))

    # -- listing ------------------------------------------------------------------------------------

    def _list(self, limits: Limits) -> None:
        fileobj: BinaryIO
        if self.compression is None:
            fileobj = io.BufferedReader(self.source.fileobj(), buffer_size=64 * 1024)
        else:
            raw = io.BufferedReader(self.source.fileobj(), buffer_size=1 << 20)
            self._raw = raw
            self._stream = open_decompressed(raw, self.compression, max_output=limits.max_total_size)
            self._reader = _ForwardReader(self._stream)
            fileobj = self._reader  # type: ignore[assignment]
        tf = tarfile.TarFile(fileobj=fileobj, mode="r", errorlevel=2, tarinfo=_CheckedTarInfo)
        by_name: dict[str, int] = {}  # regular member name → entry index (hard-link targets)
        link_names: set[str] = set()  # symlink member names (duplicates)
        total = 0
        over_total = False
        count = 0
        while True:
            info = tf.next()
            # tarfile keeps every TarInfo it reads; only the entries are needed here.
            tf.members.clear()  # type: ignore[attr-defined]
            if info is None:
                # Read a compressed stream to its end: its checksum (gzip CRC-32, xz CRC-64, bzip2's block
                # CRCs) is only checked there, and damage inside members nobody re-read shows only then.
                if self._reader is not None:
                    while self._reader.read(_COPY_CHUNK):
                        pass
                break
            name = _normalise(info.name)
            if name in ("", "."):
                continue
            if info.isdir():
                self.entries.append(Entry(name=name, index=len(self.entries), type="dir", size=0))
                continue
            count += 1
            if count > limits.max_members:
                self.problems.append(
                    (
                        "too-many-members",
                        f"the archive holds more than {limits.max_members} members; the rest were not read",
                    )
                )
                return
            index = len(self.entries)
            entry = Entry(name=name, index=index, type="file", size=info.size if info.isreg() else 0)
            entry.problems.extend(archive._name_problems(name))
            if name in by_name or name in link_names:
                entry.problems.append(
                    (
                        "duplicate-name",
                        ("another member has the same name; the later one "
                        "replaces it when the archive is extracted"),
                    )
                )
            self.entries.append(entry)
            if info.issym():
                entry.type = "symlink"
                self._links[index] = info.linkname
                link_names.add(name)
                continue
            if info.islnk():
                self._hard_link(entry, info.linkname, by_name)
                continue
            if not info.isreg():
                entry.type = "special"
                entry.readable = False
                what = (
                    "a device file"
                    if info.ischr() or info.isblk()
                    else "a FIFO"
                    if info.isfifo()
                    else "not a regular file"
                )
                entry.problems.append(
                    (
                        "special-file",
                        f"{what}; not read (extracting it creates a device node or pipe, not a file)",
                    )
                )
                continue
            if info.sparse is not None:
                entry.readable = False
                entry.problems.append(
                    (
                        "unsupported-compression",
                        "a sparse member (GNU tar --sparse); abigate does not read sparse members",
                    )
                )
                continue
            if info.size > limits.max_member_size:
                entry.readable = False
                entry.problems.append(
                    (
                        "tar-bomb",
                        (f"declares {info.size} bytes, more than the limit of "
                        f"{limits.max_member_size}; not read"),
                    )
                )
                continue
            total += info.size
            if total > limits.max_total_size:
                entry.readable = False
                if not over_total:
                    over_total = True
                    self.problems.append(
                        (
                            "tar-bomb",
                            (f"the members declare more than {limits.max_total_size} "
                            "bytes in total; the members beyond that were not read"),
                        )
                    )
                continue
            by_name[name] = index
            self._last_end = info.offset_data + info.size
            if self.compression is None:
                end = info.offset_data + info.size
                if end > self.source.size:
                    entry.problems.append(
                        (
                            "truncated",
                            (f"the member's data runs past the end of the archive "
                            f"({end} > {self.source.size} bytes)"),
                        )
                    )
                    entry.readable = False
                    continue
                self._data[index] = _Data(self.source.window(info.offset_data, info.size), True)
                entry.header_offset = info.offset_data
            else:
                self._keep(tf, info, entry, limits)

    def _hard_link(self, entry: Entry, linkname: str, by_name: dict[str, int]) -> None:
        target = _normalise(linkname)
        problems = archive._name_problems(target)
        if problems:
            entry.readable = False
            entry.problems.append(
                ("path-traversal", f"a hard link to {linkname!r}, outside the archive; not followed")
            )
            return
        at = by_name.get(target)
        if at is None or at not in self._data:
            entry.readable = False
            entry.problems.append(
                (
                    "link-target-missing",
                    (f"a hard link to {linkname!r}, which is no earlier "
                    "regular member of the archive; tar cannot create it"),
                )
            )
            return
        entry.size = self.entries[at].size
        self._data[entry.index] = self._data[at]
        by_name[entry.name] = entry.index

    def _keep(self, tf: tarfile.TarFile, info: tarfile.TarInfo, entry: Entry, limits: Limits) -> None:
        """Read the member's first bytes and keep it whole when the scanner will need it again."""
        member = tf.extractfile(info)
        assert member is not None  # a regular file
        head = member.read(min(info.size, HEAD_SIZE))
        keep = (
            sniff(head) is not None
            or archive.is_zip_head(head)
            or sniff_compression(head) is not None
            or is_tar_header(head[:512])
            or (_is_kept_name(entry.name) and info.size <= limits.max_metadata_size)
        )
        if keep:
            raw, start = self._raw, self._raw.tell() if self._raw is not None else 0

            def too_dense(done: int) -> bool:
                # Past 256 MiB, more than Limits.max_ratio plain bytes per compressed byte read meanwhile:
                # a bomb (gzip cannot exceed 1032:1; real libraries compress 3-10:1), not copied further.
                if raw is None or done < _DENSE_CHECK_FROM:
                    return False
                return done > limits.max_ratio * max(1, raw.tell() - start)

            source, stored = self._spool.keep(head, member, info.size, too_dense)  # type: ignore[arg-type]
            if source is None:
                entry.readable = False
                used = max(1, raw.tell() - start) if raw is not None else 0
                message = (f"{stored} bytes decompressed from about {used} (ratio above {limits.max_ratio:g}); "
                           "not kept")
                entry.problems.append(("tar-bomb", message))
                return
            if stored < info.size:
                entry.problems.append(("truncated", f"the data ends after {stored} of {info.size} bytes"))
                entry.size = stored
            self._data[entry.index] = _Data(source, True)
        else:
            stub = head[: len(head) if head[:2] == b"MZ" else _STUB]
            self._data[entry.index] = _Data(MemorySource(stub), False)

    # -- reading --------------------------------------------------------------------------------------

    def _bytes(self, entry: Entry) -> _Data:
        data = self._data.get(entry.index)
        if data is None:
            raise MemberError("unreadable", "the member's bytes were not kept")
        return data

    def open(self, entry: Entry, display: str) -> StoredStream:
        data = self._bytes(entry)
        # A member not kept is seen through its first bytes only, which is all the scanner reads of it.
        size = entry.size if data.complete else data.source.size
        return StoredStream(data.source, size, None, display)

    def data_ref(self, entry: Entry, display: str) -> DataRef | None:
        data = self._data.get(entry.index)
        if data is None or not data.complete:
            return None
        where = data.source.disk_location()
        if where is None:
            return None
        return DataRef(
            display=display,
            disk_path=where[0],
            disk_offset=where[1],
            method=archive.METHOD_STORED,
            compressed_size=entry.size,
            size=entry.size,
            crc=None,
        )

    def nested_source(self, entry: Entry, display: str, limits: Limits) -> Source:
        data = self._bytes(entry)
        if not data.complete:
            raise MemberError("unreadable", "the member was not recognised as an archive while listing")
        return data.source

    def read_link(self, entry: Entry) -> str:
        """The target of a symlink member as stored."""
        return self._links.get(entry.index, "")

    def names(self) -> list[str]:
        """Every member and folder name, in archive order."""
        return [e.name for e in self.entries]

    def close(self) -> None:
        self._spool.close()
