"""Read wheels, zips, folders and single files as *containers of members*, without extracting anything.

This is the only module that imports :mod:`zipfile`, and it uses it for one thing: parsing the central
directory. Member data is read directly: each member's local header is parsed here and its bytes are
inflated with :mod:`zlib` (or :mod:`bz2`/:mod:`lzma`) in bounded chunks, so that sniffing the first 4 KiB
of each of 12,000 members costs a few microseconds each and nothing is ever written to disk or held whole.

What lives here:

* **sources** — random-access bytes: a file on disk (:class:`FileSource`), a window on one (a stored
  nested zip, read zero-copy), or a buffer in memory (a compressed nested zip, inflated under a cap);
* **member streams** — :class:`StoredStream` (seekable window) and :class:`InflateStream` (forward only),
  both of which check the CRC when read to their end and record what went wrong instead of raising;
* **containers** — :class:`ZipContainer`, :class:`FolderContainer`, :class:`FileContainer`: the list of
  members with the safety checks that can be decided from the directory alone (encryption, zip bombs,
  path traversal, duplicates, member counts, unsupported compression);
* small pure helpers: symlink resolution inside an artifact root, ``WHEEL``, ``METADATA`` and ``RECORD``
  parsing (with ``email``, ``packaging`` and ``csv``).

What does not: deciding what a member *is* (``native.sniff``), parsing binaries (``elf``/``macho``/``pe``),
building facts (``scan``).
"""

from __future__ import annotations

import bz2
import csv
import email.message
import email.parser
import io
import lzma
import operator
import os
import posixpath
import stat
import struct
import threading
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Literal, NamedTuple

from packaging.tags import parse_tag

from abigate import inflate
from abigate._records import Record, field
from abigate.limits import (
    DEFAULT_LIMITS,
    MAX_LINK_SIZE,
    MAX_DECODER_MEMORY,
    MAX_LINK_STEPS,
    MAX_MEMBER_SIZE,
    MAX_MEMBERS,
    MAX_METADATA_SIZE,
    MAX_NESTED_IN_MEMORY,
    MAX_NESTING_DEPTH,
    MAX_RATIO,
    MAX_SYMLINK_HOPS,
    MAX_TOTAL_SIZE,
    RATIO_MIN_SIZE,
    BUDGET_EXCEEDED,
    Limits,
)

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_DECODER_MEMORY",
    "MAX_LINK_SIZE",
    "MAX_MEMBERS",
    "MAX_MEMBER_SIZE",
    "MAX_METADATA_SIZE",
    "MAX_NESTED_IN_MEMORY",
    "MAX_NESTING_DEPTH",
    "MAX_RATIO",
    "MAX_SYMLINK_HOPS",
    "MAX_TOTAL_SIZE",
    "RATIO_MIN_SIZE",
    "Container",
    "DataRef",
    "Entry",
    "FileContainer",
    "FileSource",
    "FolderContainer",
    "InflateStream",
    "Limits",
    "MemberError",
    "MemorySource",
    "Source",
    "StoredStream",
    "InflateBudget",
    "ZipContainer",
    "is_zip_head",
    "looks_like_archive_name",
    "expand_tags",
    "open_data",
    "parse_dist_metadata",
    "parse_record",
    "parse_wheel_metadata",
    "resolve_link",
]

# -- limits ---------------------------------------------------------------------------------------------
# Stated once in abigate.limits; re-exported here for the callers that import them from this module.

#: compressed bytes read per step while inflating: large enough that a 100 MB member takes few syscalls,
#: small enough that the input buffer stays well under the memory budget.
_READ_CHUNK = 1 << 20
#: first read of a member: its local header (30 bytes + name + extra field) and the start of its data.
_FIRST_READ = 1 << 10

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIG = b"PK\x03\x04"
_CENTRAL_SIG = b"PK\x01\x02"
_EOCD_SIG = b"PK\x05\x06"
_EOCD64_LOCATOR_SIG = b"PK\x06\x07"
_EOCD64_SIG = b"PK\x06\x06"

METHOD_STORED = 0
METHOD_DEFLATED = 8
METHOD_BZIP2 = 12
METHOD_LZMA = 14
_SUPPORTED_METHODS = frozenset({METHOD_STORED, METHOD_DEFLATED, METHOD_BZIP2, METHOD_LZMA})
_METHOD_NAMES = {1: "shrink", 6: "implode", 9: "deflate64", 93: "zstandard", 95: "xz", 98: "ppmd", 99: "AES"}

_ARCHIVE_SUFFIXES = (".whl", ".zip", ".egg", ".jar")




class MemberError(Exception):
    """A member cannot be read at all; ``kind`` is the :class:`abigate.facts.Problem` kind to report."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


# -- sources --------------------------------------------------------------------------------------------


class Source:
    """Random-access bytes of known size: a whole archive, or a window on one."""

    size: int

    def pread(self, offset: int, n: int) -> bytes:
        """Up to *n* bytes at *offset* (fewer only at the end)."""
        raise NotImplementedError

    def window(self, start: int, length: int) -> Source:
        """The bytes ``[start, start + length)`` as a source of their own, without copying."""
        raise NotImplementedError

    def disk_location(self) -> tuple[str, int] | None:
        """``(path, offset)`` when these bytes are a region of a file on disk (so a worker can reopen it)."""
        return None

    def fileobj(self) -> io.RawIOBase:
        """A seekable file object over the source, for :class:`zipfile.ZipFile`."""
        return _SourceIO(self)

    def close(self) -> None:
        """Release what the source owns (a spilled nested archive's temporary file); windows own nothing."""


class FileSource(Source):
    """A region of an open file, read with ``os.pread`` (or seek+read under a lock where there is none)."""

    def __init__(self, fh: io.BufferedReader, path: str, base: int = 0, size: int | None = None,
                 _lock: threading.Lock | None = None) -> None:
        self._fh = fh
        self._fd = fh.fileno()
        self.path = path
        self.base = base
        self.size = os.fstat(self._fd).st_size - base if size is None else size
        # Shared by every window on the same file: it guards seek+read where there is no pread.
        self._lock = _lock or threading.Lock()

    def pread(self, offset: int, n: int) -> bytes:
        n = max(0, min(n, self.size - offset))
        if n == 0 or offset < 0:
            return b""
        pos = self.base + offset
        if hasattr(os, "pread"):
            data = os.pread(self._fd, n, pos)
            while len(data) < n:  # a regular file returns short only at its end; be safe anyway
                more = os.pread(self._fd, n - len(data), pos + len(data))
                if not more:
                    break
                data += more
            return data
        with self._lock:  # pragma: no cover - Windows has no pread
            self._fh.seek(pos)
            return self._fh.read(n)

    def window(self, start: int, length: int) -> FileSource:
        start = max(0, min(start, self.size))
        length = max(0, min(length, self.size - start))
        return FileSource(self._fh, self.path, self.base + start, length, self._lock)

    def disk_location(self) -> tuple[str, int] | None:
        return (self.path, self.base)

    def fileobj(self) -> io.RawIOBase:
        return _SourceIO(self)


class MemorySource(Source):
    """Bytes in memory (a nested archive that had to be inflated)."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")
        self.size = len(self._view)

    def pread(self, offset: int, n: int) -> bytes:
        if offset < 0:
            return b""
        return bytes(self._view[offset:offset + max(0, n)])

    def window(self, start: int, length: int) -> MemorySource:
        return MemorySource(self._view[start:start + max(0, length)])


class _SourceIO(io.RawIOBase):
    """A read-only, seekable file object over a :class:`Source` (what :mod:`zipfile` needs)."""

    def __init__(self, source: Source) -> None:
        super().__init__()
        self._source = source
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            pos = offset
        elif whence == 1:
            pos = self._pos + offset
        else:
            pos = self._source.size + offset
        if pos < 0:
            raise OSError("negative seek position")
        self._pos = pos
        return pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._source.pread(self._pos, len(buffer))
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def read(self, n: int = -1, /) -> bytes:
        if n is None or n < 0:
            n = self._source.size - self._pos
        data = self._source.pread(self._pos, n)
        self._pos += len(data)
        return data


# -- member streams -------------------------------------------------------------------------------------


class DataRef(Record):
    """Where a member's bytes are and how they are encoded: everything needed to read it, picklable.

    A worker process receives one of these, reopens ``disk_path`` and reads the member itself.
    """

    #: display path of the member, for messages.
    display: str
    #: the file holding the bytes, when they are on disk (``None`` for an in-memory nested archive).
    disk_path: str | None
    #: absolute offset of the member's (compressed) data in ``disk_path``.
    disk_offset: int
    method: int
    compressed_size: int
    size: int
    #: CRC-32 from the zip directory; ``None`` for plain files.
    crc: int | None


class _StreamBase:
    """Shared bookkeeping: position, running CRC, and problems met while reading."""

    def __init__(self, size: int, crc: int | None, display: str) -> None:
        self.size = size
        self._expected_crc = crc
        self._crc = 0
        self._crc_pos = 0  # the CRC covers bytes [0, _crc_pos) read in order
        self._pos = 0
        self._display = display
        self._finished = False
        #: ``(kind, message)`` pairs: CRC mismatch, truncated data, corrupt compressed data, bombs.
        self.problems: list[tuple[str, str]] = []

    def tell(self) -> int:
        return self._pos

    def _account(self, data: bytes) -> None:
        if self._expected_crc is not None and self._crc_pos == self._pos:
            self._crc = inflate.crc32(data, self._crc)
            self._crc_pos += len(data)
        self._pos += len(data)

    def _check_crc(self) -> None:
        if self._expected_crc is None or self._crc_pos != self.size or self.problems:
            # A short or corrupt member already has its problem; a CRC over part of it says nothing more.
            return
        if self._crc != self._expected_crc:
            self.problems.append(("crc-mismatch", f"CRC-32 is {self._crc:08x}, the zip directory says "
                                                  f"{self._expected_crc:08x}"))

    @property
    def read_to_end(self) -> bool:
        """Whether every byte was delivered (so the CRC was checked when there is one)."""
        return self._pos >= self.size


class StoredStream(_StreamBase):
    """A stored member or a plain file: a seekable window whose offsets start at the member's first byte."""

    def __init__(self, source: Source, size: int, crc: int | None, display: str,
                 prefetched: bytes = b"") -> None:
        super().__init__(size, crc, display)
        self._source = source
        self._prefetched = prefetched[:size]

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0, /) -> int:
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            offset += self.size
        self._pos = max(0, offset)
        return self._pos

    def read(self, n: int = -1, /) -> bytes:
        remaining = self.size - self._pos
        if remaining <= 0:
            return b""
        n = remaining if n is None or n < 0 else min(n, remaining)
        pre = self._prefetched
        if self._pos + n <= len(pre):
            data = pre[self._pos:self._pos + n]
        else:
            data = self._source.pread(self._pos, n)
        if len(data) < n:
            self.problems.append(("truncated", f"the data ends after {self._pos + len(data)} of {self.size} bytes"))
            # Pretend the end is here so the parser sees a short file, not a hang.
            self.size = self._pos + len(data)
        self._account(data)
        if self._pos >= self.size and not self._finished:
            self._finished = True
            self._check_crc()
        return data


class _Decompressor:
    """One interface over zlib (raw deflate), bz2 and zip's LZMA framing, always with an output cap."""

    def __init__(self, method: int, pread: Callable[[int, int], bytes] | None = None, size: int = -1,
                 max_memory: int = MAX_DECODER_MEMORY) -> None:
        self.method = method
        self._size = size
        self._max_memory = max_memory
        self._zlib = inflate.RawInflater(pread, size) if method == METHOD_DEFLATED else None
        self._other: bz2.BZ2Decompressor | lzma.LZMADecompressor | None = (
            bz2.BZ2Decompressor() if method == METHOD_BZIP2 else None)
        self._lzma_header = b""

    @property
    def eof(self) -> bool:
        if self._zlib is not None:
            return self._zlib.eof
        return self._other is not None and self._other.eof

    @property
    def has_pending(self) -> bool:
        """Whether output may come without more input."""
        if self._zlib is not None:
            return bool(self._zlib.unconsumed_tail)
        return self._other is not None and not self._other.needs_input and not self._other.eof

    def drain(self, max_out: int) -> bytes:
        """Output still held once all input is consumed (zlib only; bz2/lzma report it as ``has_pending``)."""
        if self._zlib is None or self._zlib.eof:
            return b""
        return self._zlib.decompress(b"", max_out)

    def decompress(self, data: bytes, max_out: int) -> bytes:
        if self._zlib is not None:
            if not data:
                data = self._zlib.unconsumed_tail
            return self._zlib.decompress(data, max_out)
        if self._other is None:  # LZMA: a 4-byte version/size header and the properties come first
            self._lzma_header += data
            if len(self._lzma_header) < 4:
                return b""
            (psize,) = struct.unpack("<H", self._lzma_header[2:4])
            if len(self._lzma_header) < 4 + psize:
                return b""
            props = self._lzma_header[4:4 + psize]
            if len(props) < 5:
                raise lzma.LZMAError("LZMA properties too short")
            d = props[0]
            lc, lp, pb = d % 9, (d // 9) % 5, d // 45
            (dict_size,) = struct.unpack("<I", props[1:5])
            # No match reaches further back than the output's start: a dictionary beyond the declared size is
            # never used, and liblzma would still fill that much (a header claiming 4 GiB took 546 MB).
            if self._size >= 0:
                dict_size = min(dict_size, max(self._size, 4096))
            if dict_size > self._max_memory:
                raise _DecoderBudget(f"the LZMA dictionary of {dict_size} bytes is more than the decoder "
                                     f"memory budget of {self._max_memory} bytes")
            self._other = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[{
                "id": lzma.FILTER_LZMA1, "lc": lc, "lp": lp, "pb": pb, "dict_size": dict_size}])
            data = self._lzma_header[4 + psize:]
            self._lzma_header = b""
        if self._other.eof:
            return b""
        return self._other.decompress(data, max_out)


class InflateBudget:
    """Bytes that may still be inflated for one artifact, nested archives included (shared by its zips)."""

    __slots__ = ("left", "limit", "_reported")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit
        self._reported = False

    def charge(self, n: int) -> bool:
        """Take *n* bytes; ``False`` once the budget is spent."""
        self.left -= n
        return self.left >= 0

    def report(self) -> bool:
        """``True`` the first time only: one problem says the budget was spent, not one per member."""
        first = not self._reported
        self._reported = True
        return first


class _DecoderBudget(Exception):
    """A decoder would need more memory than ``Limits.max_decoder_memory``."""


class InflateStream(_StreamBase):
    """A compressed member, inflated forward only in bounded steps.

    It never delivers more than the declared size; output beyond it is a ``zip-bomb`` problem and output
    short of it ``truncated``. Corrupt compressed data ends the stream early (``corrupt-member``): the
    parser then sees a short file, and the problem is reported next to whatever the parser says.
    """

    def __init__(self, source: Source, method: int, size: int, crc: int | None, display: str,
                 prefetched: bytes = b"", max_memory: int = MAX_DECODER_MEMORY,
                 budget: InflateBudget | None = None) -> None:
        super().__init__(size, crc, display)
        self._budget = budget
        self._source = source
        self._in_pos = 0  # compressed bytes consumed from source
        self._prefetched = prefetched
        self._dec = _Decompressor(method, source.pread, size, max_memory)
        self._dead = False
        self._buf = b""  # output produced but not yet delivered

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0, /) -> int:
        """Forward seeks only (by inflating and discarding); the parser is told :meth:`seekable` is false."""
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            offset += self.size
        if offset < self._pos:
            raise io.UnsupportedOperation("cannot seek backwards in a compressed member")
        while self._pos < offset:
            if not self.read(min(offset - self._pos, _READ_CHUNK)):
                break
        return self._pos

    def _next_input(self) -> bytes:
        if self._prefetched:
            data, self._prefetched = self._prefetched, b""
        else:
            data = self._source.pread(self._in_pos, _READ_CHUNK)
        self._in_pos += len(data)
        return data

    def _inflate(self, max_out: int) -> bytes:
        """Up to *max_out* fresh bytes of output; ``b""`` at the end of the data or on an error."""
        if self._dead:
            return b""
        try:
            while True:
                if self._dec.eof:
                    return b""
                if self._dec.has_pending:
                    out = self._dec.decompress(b"", max_out)
                else:
                    data = self._next_input()
                    if not data:
                        # zlib may still hold output (the tail of a long match) after its last input byte.
                        return self._dec.drain(max_out)
                    out = self._dec.decompress(data, max_out)
                if out:
                    if self._budget is not None and not self._budget.charge(len(out)):
                        self._dead = True
                        if self._budget.report():
                            self.problems.append((BUDGET_EXCEEDED, f"more than {self._budget.limit} "
                                                  "bytes inflated for this artifact (the budget of bytes "
                                                  "inflated per artifact); the members after this one were "
                                                  "not read"))
                        return b""
                    return out
        except _DecoderBudget as exc:
            self._dead = True
            self.problems.append((BUDGET_EXCEEDED, str(exc)))
            return b""
        except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as exc:
            self._dead = True
            self.problems.append(("corrupt-member", f"compressed data is corrupt after {self._pos} bytes: {exc}"))
            return b""

    def read(self, n: int = -1, /) -> bytes:
        remaining = self.size - self._pos
        if remaining <= 0:
            return b""
        n = remaining if n is None or n < 0 else min(n, remaining)
        parts = []
        got = 0
        if self._buf:
            take = self._buf[:n]
            self._buf = self._buf[n:]
            parts.append(take)
            got = len(take)
        while got < n:
            out = self._inflate(n - got)
            if not out:
                break
            need = n - got
            if len(out) > need:
                self._buf = out[need:]
                out = out[:need]
            parts.append(out)
            got += len(out)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self._account(data)
        if got < n:
            if not self._dead:
                self.problems.append(("truncated", f"the data inflates to {self._pos} bytes, the zip directory "
                                                   f"says {self.size}"))
            self.size = self._pos
        if self._pos >= self.size and not self._finished:
            self._finished = True
            self._finish()
        return data

    def _finish(self) -> None:
        """At the declared end: the compressed data must end here too, and the CRC must match."""
        if not self._dead and not self._buf and not self._dec.eof:
            # One more byte of output would mean the member inflates past its declared size.
            extra = self._inflate(1)
            if extra:
                self.problems.append(("zip-bomb", f"the data inflates past its declared size of {self.size} bytes"))
        elif self._buf:
            self.problems.append(("zip-bomb", f"the data inflates past its declared size of {self.size} bytes"))
        self._check_crc()


def open_data(source: Source, ref: DataRef, prefetched: bytes = b"", max_memory: int = MAX_DECODER_MEMORY,
              budget: InflateBudget | None = None) -> StoredStream | InflateStream:
    """A stream over a member's data, where *source* holds exactly the member's compressed bytes."""
    if ref.method == METHOD_STORED:
        return StoredStream(source, ref.size, ref.crc, ref.display, prefetched)
    return InflateStream(source, ref.method, ref.size, ref.crc, ref.display, prefetched, max_memory, budget)


def open_ref(ref: DataRef, max_memory: int = MAX_DECODER_MEMORY) -> tuple[io.BufferedReader,
                                                                          StoredStream | InflateStream]:
    """Reopen a member on disk from its :class:`DataRef` (used by worker processes)."""
    assert ref.disk_path is not None
    fh = open(ref.disk_path, "rb")  # noqa: SIM115 - the caller closes it
    source = FileSource(fh, ref.disk_path, ref.disk_offset, ref.compressed_size)
    return fh, open_data(source, ref, max_memory=max_memory)


# -- containers -----------------------------------------------------------------------------------------

EntryType = Literal["file", "dir", "symlink", "special"]


class Entry(Record, frozen=False):
    """One member as listed by its container, before its content is looked at."""

    #: path inside the container as stored (``/``-separated).
    name: str
    #: position in the container's listing (the tie-breaker for duplicate names).
    index: int
    type: EntryType
    #: declared uncompressed size.
    size: int
    #: ``(kind, message)`` problems known from the listing alone.
    problems: list[tuple[str, str]] = field(default_factory=list)
    #: False when the content must not be read (encrypted, bomb, unsupported compression…).
    readable: bool = True
    # zip details
    compressed_size: int = 0
    method: int = METHOD_STORED
    crc: int | None = None
    header_offset: int = 0
    raw_name: bytes = b""
    #: for folder entries: the absolute path on disk.
    disk_path: str | None = None

    def __init__(self, *, name: str, index: int, type: EntryType, size: int,  # noqa: A002 - the field
                 problems: list[tuple[str, str]] | None = None, readable: bool = True,
                 compressed_size: int = 0, method: int = METHOD_STORED, crc: int | None = None,
                 header_offset: int = 0, raw_name: bytes = b"", disk_path: str | None = None) -> None:
        # Written out: one Entry is made per member (12,000 for the PyTorch wheel), where the generic
        # record __init__ would cost twice as much.
        self.name = name
        self.index = index
        self.type = type
        self.size = size
        self.problems = [] if problems is None else problems
        self.readable = readable
        self.compressed_size = compressed_size
        self.method = method
        self.crc = crc
        self.header_offset = header_offset
        self.raw_name = raw_name
        self.disk_path = disk_path


class Container:
    """The members of one artifact (or nested archive) and a way to read each one."""

    #: problems with the container as a whole (``(kind, message)``).
    problems: list[tuple[str, str]]
    entries: list[Entry]

    def open(self, entry: Entry, display: str) -> StoredStream | InflateStream:
        """A stream over the member's content; raises :class:`MemberError` when it cannot even start."""
        raise NotImplementedError

    def data_ref(self, entry: Entry, display: str) -> DataRef | None:
        """A picklable reference to the member's bytes when they are on disk, for a worker process."""
        return None

    def nested_source(self, entry: Entry, display: str, limits: Limits) -> Source:
        """The member's bytes as a :class:`Source`: a window when stored, inflated in memory otherwise."""
        raise NotImplementedError

    def read_all(self, entry: Entry, display: str, cap: int) -> bytes:
        """The whole member (small metadata files and link targets), CRC-checked; :class:`MemberError` if not."""
        if entry.size > cap:
            raise MemberError("too-large", f"{entry.size} bytes is more than the {cap} bytes read for this file")
        stream = self.open(entry, display)
        try:
            data = stream.read(entry.size)
        finally:
            _close(stream)
        if stream.problems:
            kind, message = stream.problems[0]
            raise MemberError(kind, message)
        return data

    def close(self) -> None:
        """Release the open file, if any."""


def _close(stream: object) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        close()


def _zip_entry_count(source: Source, limit: int) -> int | None:
    """How many entries the central directory holds (at most *limit* + 1), or ``None`` if no end record.

    Read before :mod:`zipfile` parses the directory, so that a hostile count is refused before a million
    ``ZipInfo`` objects are built. The end record's own count may lie (one entry claimed, a million in the
    directory, which :mod:`zipfile` reads by its size): the directory's entry signatures are counted instead,
    in 1 MiB blocks, stopping past *limit*. The larger of the two is returned.
    """
    tail_len = min(source.size, 22 + 0xFFFF)
    tail = source.pread(source.size - tail_len, tail_len)
    at = tail.rfind(_EOCD_SIG)
    if at < 0 or at + 22 > len(tail):
        return None
    count: int
    cd_size: int
    _, _, _, _, count, cd_size, _, _ = struct.unpack("<4sHHHHIIH", tail[at:at + 22])
    cd_end = source.size - tail_len + at
    if count == 0xFFFF or cd_size == 0xFFFFFFFF:
        loc_at = at - 20
        if loc_at >= 0 and tail[loc_at:loc_at + 4] == _EOCD64_LOCATOR_SIG:
            (eocd64_off,) = struct.unpack("<Q", tail[loc_at + 8:loc_at + 16])
            rec = source.pread(eocd64_off, 56)
            if len(rec) == 56 and rec[:4] == _EOCD64_SIG:
                count, cd_size = struct.unpack("<QQ", rec[32:48])
                cd_end = source.size - tail_len + loc_at - 56
    if count > limit:
        return count
    # zipfile finds the directory the same way: it ends where the end records start.
    start = max(0, cd_end - min(cd_size, cd_end))
    found = 0
    carry = b""
    pos = start
    while pos < cd_end and found <= limit:
        block = carry + source.pread(pos, min(_READ_CHUNK, cd_end - pos))
        if len(block) == len(carry):
            break
        pos += len(block) - len(carry)
        found += block.count(_CENTRAL_SIG)
        carry = block[-3:]
    return max(count, found)


class _CentralEntry(NamedTuple):
    """The fields of one central directory record that the listing uses, as :class:`zipfile.ZipInfo` has them."""

    filename: str
    #: the stored name's bytes (``orig_filename`` encoded back as it was decoded; for cp437 and valid UTF-8
    #: that is the bytes as stored).
    raw_name: bytes
    flag_bits: int
    create_system: int
    external_attr: int
    compress_type: int
    CRC: int  # zipfile's name
    compress_size: int
    file_size: int
    header_offset: int


_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_ZIP_MAX_EXTRACT_VERSION = 63  # zipfile.MAX_EXTRACT_VERSION: above it zipfile refuses the archive


def _read_central_directory(source: Source) -> list[_CentralEntry] | None:
    """The central directory in one read and one pass, as :mod:`zipfile` would list it; ``None`` for
    anything unusual (an archive comment, ZIP64, a directory that does not add up, a name with a NUL, a zip64
    or malformed extra field, a version zipfile refuses…), which :mod:`zipfile` then reads.

    Why: building a ``ZipInfo`` per member (and zipfile's reads through a file object) took 55 ms of the 105
    ms spent listing PyTorch's 12,248 members, on every run. Mirrors ``zipfile._RealGetContents`` (CPython
    3.10–3.13) for the archives it accepts; ``tests/test_archive.py`` compares the two on real wheels.
    """
    size = source.size
    if size < 22 + 20:
        return None
    tail = source.pread(size - 42, 42)
    eocd = tail[20:]
    # zipfile's first try: an end record with no comment, last in the file; and no ZIP64 locator before it.
    if len(tail) != 42 or eocd[:4] != _EOCD_SIG or eocd[-2:] != b"\0\0" or tail[:4] == _EOCD64_LOCATOR_SIG:
        return None
    cd_size, cd_offset = struct.unpack_from("<II", eocd, 12)
    location = size - 22
    concat = location - cd_size - cd_offset
    start = cd_offset + concat
    if start < 0:
        return None
    data = source.pread(start, cd_size)
    if len(data) != cd_size:
        return None
    out: list[_CentralEntry] = []
    append = out.append
    unpack = _CENTRAL.unpack_from
    pos = 0
    sep_fix = os.sep != "/"
    while pos < cd_size:
        if pos + 46 > cd_size:
            return None
        (sig, _create_version, create_system, extract_version, _reserved, flags, method, _t, _d, crc,
         csize, usize, name_len, extra_len, comment_len, _disk, _internal, external, offset) = unpack(data, pos)
        end = pos + 46 + name_len + extra_len + comment_len
        if sig != _CENTRAL_SIG or end > cd_size or extract_version > _ZIP_MAX_EXTRACT_VERSION:
            return None
        raw = data[pos + 46:pos + 46 + name_len]
        try:
            name = raw.decode("utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError:
            return None
        if "\0" in name or (sep_fix and os.sep in name):
            return None
        if extra_len:
            extra = data[pos + 46 + name_len:pos + 46 + name_len + extra_len]
            while len(extra) >= 4:  # zipfile's _decodeExtra: a ZIP64 or truncated field is its business
                tp, ln = struct.unpack_from("<HH", extra)
                if ln + 4 > len(extra) or tp == 0x0001:
                    return None
                extra = extra[ln + 4:]
        append(_CentralEntry(name, raw, flags, create_system, external, method, crc, csize, usize,
                             offset + concat))
        pos = end
    return out


def is_zip_head(head: bytes) -> bool:
    """Whether *head* starts like a zip archive (a local file header, or the record of an empty zip)."""
    return head[:4] in (_LOCAL_SIG, _EOCD_SIG)


def looks_like_archive_name(name: str) -> bool:
    """Whether a file name says "zip": a failure to open such a member is reported, not ignored."""
    return name.lower().endswith(_ARCHIVE_SUFFIXES)


def _name_problems(name: str) -> list[tuple[str, str]]:
    """Path-traversal checks on a stored name: absolute, drive letters, ``..`` components, backslashes."""
    if name.startswith(("/", "\\")) or (len(name) >= 2 and name[1] == ":" and name[0].isalpha()):
        return [("path-traversal", "absolute path name: extracting it would write outside the target folder")]
    if ".." in name and ".." in name.replace("\\", "/").split("/"):  # the test first: once per member
        return [("path-traversal", "'..' in the path: extracting it would write outside the target folder")]
    return []


class ZipContainer(Container):
    """A zip archive (wheel, deploy zip, layer) read from a :class:`Source`."""

    def __init__(self, source: Source, limits: Limits = DEFAULT_LIMITS,
                 budget: InflateBudget | None = None) -> None:
        self.source = source
        self.problems = []
        self.entries = []
        #: bytes this zip (and the artifact it belongs to: nested zips share the outer one's) may inflate.
        self.budget = budget if budget is not None else InflateBudget(limits.max_inflated_per_artifact)
        self._spills: list[Source] = []
        self._max_decoder_memory = limits.max_decoder_memory
        counted = _zip_entry_count(source, limits.max_members)
        if counted is not None and counted > limits.max_members:
            self.problems.append(("too-many-members", f"the zip directory holds {counted} entries, more than "
                                                      f"the limit of {limits.max_members}; nothing was read"))
            return
        listing = _read_central_directory(source)
        if listing is None:  # anything unusual: zipfile reads it, and its error is the message
            try:
                with zipfile.ZipFile(source.fileobj()) as zf:
                    infos = zf.infolist()
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error,
                    NotImplementedError, IndexError, KeyError, OverflowError) as exc:
                self.problems.append(("corrupt-archive", f"not a readable zip archive: {_one_line(exc)}"))
                return
            listing = [_CentralEntry(
                info.filename, info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace"),
                info.flag_bits, info.create_system, info.external_attr, info.compress_type, info.CRC,
                info.compress_size, info.file_size, info.header_offset) for info in infos]
        self._list(listing, limits)

    def _list(self, listing: list[_CentralEntry], limits: Limits) -> None:
        seen: set[str] = set()
        total = 0
        over_total = False
        for index, info in enumerate(listing):
            name = info.filename
            mode = (info.external_attr >> 16) if info.create_system == 3 else 0
            if name.endswith("/") or stat.S_ISDIR(mode):
                etype: EntryType = "dir"
            elif stat.S_ISLNK(mode):
                etype = "symlink"
            else:
                etype = "file"
            entry = Entry(
                name=name.rstrip("/") if etype == "dir" else name, index=index, type=etype, size=info.file_size,
                compressed_size=info.compress_size, method=info.compress_type, crc=info.CRC,
                header_offset=info.header_offset, raw_name=info.raw_name,
            )
            if etype == "dir":
                self.entries.append(entry)
                continue
            entry.problems.extend(_name_problems(name))
            if name in seen:
                entry.problems.append(("duplicate-name", "another member has the same name; which one is "
                                                         "extracted depends on the tool"))
            seen.add(name)
            if info.flag_bits & 0x1:
                entry.readable = False
                entry.problems.append(("encrypted", "the member is encrypted; its content cannot be checked"))
            elif info.compress_type not in _SUPPORTED_METHODS:
                entry.readable = False
                method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
                entry.problems.append(("unsupported-compression", f"compressed with {method}, which abigate "
                                                                  "cannot read"))
            elif info.file_size > limits.max_member_size:
                entry.readable = False
                entry.problems.append(("zip-bomb", f"declares {info.file_size} bytes uncompressed, more than the "
                                                   f"limit of {limits.max_member_size}; not inflated"))
            elif (info.file_size >= limits.ratio_min_size and info.compress_type != METHOD_STORED
                  and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
                entry.readable = False
                entry.problems.append(("zip-bomb", f"declares {info.file_size} bytes from {info.compress_size} "
                                                   f"compressed (ratio above {limits.max_ratio:g}); not inflated"))
            total += info.file_size
            if total > limits.max_total_size and entry.readable:
                entry.readable = False
                if not over_total:
                    over_total = True
                    self.problems.append(("zip-bomb", f"the members declare more than {limits.max_total_size} "
                                                      "bytes in total; the members beyond that were not inflated"))
            self.entries.append(entry)
        self._mark_overlaps()

    def _mark_overlaps(self) -> None:
        """Members whose data runs into the next member's local header are not inflated (``zip-bomb``).

        An "overlapping" zip bomb (Fifield, 2019) lets every entry's compressed data cover the entries after
        it, so a few MB inflate as many full-size members, each sharing one highly compressed kernel; nested,
        it took hours. No tool writes overlapping entries, so the directory alone tells: sorted by offset, an
        entry's local header (30 bytes and its name, at least) and data must end before the next one starts.
        """
        order = sorted(self.entries, key=operator.attrgetter("header_offset", "index"))
        for here, after in zip(order, order[1:]):
            if here.type == "dir":
                continue
            end = here.header_offset + _LOCAL_HEADER.size + len(here.raw_name) + here.compressed_size
            if end > after.header_offset:
                if here.readable:
                    here.readable = False
                    here.problems.append(("zip-bomb", "the member's data overlaps the next member's (an "
                                                      "overlapping zip bomb); not inflated"))

    def _locate(self, entry: Entry, display: str) -> tuple[int, bytes]:
        """Parse the local header: ``(offset of the data, first bytes of the data)``."""
        first = self.source.pread(entry.header_offset,
                                  _LOCAL_HEADER.size + len(entry.raw_name) + 256 + min(entry.compressed_size,
                                                                                       _FIRST_READ))
        if len(first) < _LOCAL_HEADER.size or first[:4] != _LOCAL_SIG:
            raise MemberError("bad-local-header", f"no local file header at offset {entry.header_offset}")
        fields = _LOCAL_HEADER.unpack_from(first)
        name_len, extra_len = fields[9], fields[10]
        start = _LOCAL_HEADER.size + name_len + extra_len
        local_name = first[_LOCAL_HEADER.size:_LOCAL_HEADER.size + name_len]
        if entry.raw_name and local_name != entry.raw_name and len(first) >= _LOCAL_HEADER.size + name_len:
            raise MemberError("bad-local-header", f"the local header names {local_name.decode('utf-8', 'replace')!r}, "
                                                  "the directory another name")
        data_offset = entry.header_offset + start
        if data_offset + entry.compressed_size > self.source.size:
            raise MemberError("truncated", f"the member's data runs past the end of the archive "
                                           f"({data_offset + entry.compressed_size} > {self.source.size} bytes)")
        return data_offset, first[start:start + entry.compressed_size]

    def open(self, entry: Entry, display: str) -> StoredStream | InflateStream:
        # The hot path (once per member): no DataRef, one pread for header and first bytes.
        data_offset, prefetched = self._locate(entry, display)
        window = self.source.window(data_offset, entry.compressed_size)
        if entry.method == METHOD_STORED:
            return StoredStream(window, entry.size, entry.crc, display, prefetched)
        return InflateStream(window, entry.method, entry.size, entry.crc, display, prefetched,
                             self._max_decoder_memory, self.budget)

    def _ref(self, entry: Entry, display: str, data_offset: int) -> DataRef:
        where = self.source.disk_location()
        return DataRef(display=display, disk_path=where[0] if where else None,
                       disk_offset=(where[1] if where else 0) + data_offset, method=entry.method,
                       compressed_size=entry.compressed_size, size=entry.size, crc=entry.crc)

    def data_ref(self, entry: Entry, display: str) -> DataRef | None:
        if self.source.disk_location() is None:
            return None
        if entry.method != METHOD_STORED and not self.budget.charge(entry.size):
            # A worker would inflate it outside the budget: charged here, and past the budget the parent reads
            # it (and stops where the budget says).
            self.budget.left += entry.size
            return None
        data_offset, _ = self._locate(entry, display)
        return self._ref(entry, display, data_offset)

    def nested_source(self, entry: Entry, display: str, limits: Limits) -> Source:
        data_offset, prefetched = self._locate(entry, display)
        if entry.method == METHOD_STORED:
            if entry.compressed_size != entry.size:
                raise MemberError("corrupt-archive", "a stored member whose sizes differ")
            return self.source.window(data_offset, entry.size)
        stream = open_data(self.source.window(data_offset, entry.compressed_size),
                           self._ref(entry, display, data_offset), prefetched, limits.max_decoder_memory,
                           self.budget)
        if entry.size <= limits.max_nested_in_memory:
            buf = bytearray()
            while True:
                chunk = stream.read(_READ_CHUNK * 4)
                if not chunk:
                    break
                buf += chunk
            if stream.problems:
                kind, message = stream.problems[0]
                raise MemberError(kind, message)
            return MemorySource(buf)
        # Larger: into an anonymous temporary file (unlinked at once; gone when closed, or when the process
        # ends), so that nesting several such archives takes no memory. Closed by close() on the source.
        import tempfile  # only here: a wheel check imports no more than it needs (tests/test_startup.py)

        spill = tempfile.TemporaryFile(prefix="abigate-nested-")  # noqa: SIM115 - owned by the source
        try:
            while True:
                chunk = stream.read(_READ_CHUNK * 4)
                if not chunk:
                    break
                spill.write(chunk)
            spill.flush()
        except BaseException:
            spill.close()
            raise
        if stream.problems:
            spill.close()
            kind, message = stream.problems[0]
            raise MemberError(kind, message)
        source = _SpillSource(spill, display)
        self._spills.append(source)
        return source

    def close(self) -> None:
        for spill in self._spills:
            spill.close()
        self._spills = []


class _AnonWindow(FileSource):
    """A region of an anonymous temporary file: located for worker processes by its ``/proc`` path only."""

    def __init__(self, fh: io.BufferedRandom, display: str, base: int, size: int, proc: str | None,
                 lock: threading.Lock | None = None) -> None:
        super().__init__(fh, display, base, size, lock)  # type: ignore[arg-type]
        self._proc = proc
        self._rfh = fh

    def disk_location(self) -> tuple[str, int] | None:
        return (self._proc, self.base) if self._proc is not None else None

    def window(self, start: int, length: int) -> _AnonWindow:
        start = max(0, min(start, self.size))
        length = max(0, min(length, self.size - start))
        return _AnonWindow(self._rfh, self.path, self.base + start, length, self._proc, self._lock)


class _SpillSource(_AnonWindow):
    """A compressed nested archive inflated into an anonymous temporary file, which it owns and closes.

    Worker processes reopen it through ``/proc/<pid>/fd/<n>`` where the system offers that path; elsewhere
    it has no location and its members are parsed in the parent.
    """

    def __init__(self, fh: io.BufferedRandom, display: str) -> None:
        from abigate.tarball import proc_fd_path

        super().__init__(fh, display, 0, fh.tell(), proc_fd_path(fh.fileno()))
        self._spill: io.BufferedRandom | None = fh

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None


class FolderContainer(Container):
    """An unpacked folder. Symlinks are recorded, never followed, so a walk can neither loop nor escape."""

    def __init__(self, root: str, limits: Limits = DEFAULT_LIMITS) -> None:
        self.root = root
        self.problems = []
        self.entries = []
        #: files of nested archives, kept open while their members are read; closed by :meth:`close`.
        self._open_files: list[io.BufferedReader] = []
        self._walk(limits)

    def _walk(self, limits: Limits) -> None:
        pending: deque[str] = deque([""])
        count = 0
        while pending:
            rel_dir = pending.popleft()
            abs_dir = os.path.join(self.root, rel_dir) if rel_dir else self.root
            try:
                with os.scandir(abs_dir) as it:
                    items = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                self.entries.append(Entry(name=rel_dir or ".", index=len(self.entries), type="dir", size=0,
                                          readable=False,
                                          problems=[("unreadable", f"cannot list the folder: {_os_error(exc)}")]))
                continue
            subdirs = []
            for item in items:
                rel = f"{rel_dir}/{item.name}" if rel_dir else item.name
                try:
                    st = item.stat(follow_symlinks=False)
                except OSError as exc:
                    self.entries.append(Entry(name=rel, index=len(self.entries), type="special", size=0,
                                              readable=False,
                                              problems=[("unreadable", f"cannot stat: {_os_error(exc)}")]))
                    continue
                if stat.S_ISDIR(st.st_mode):
                    self.entries.append(Entry(name=rel, index=len(self.entries), type="dir", size=0))
                    subdirs.append(rel)
                    continue
                count += 1
                if count > limits.max_members:
                    self.problems.append(("too-many-members", f"the folder holds more than {limits.max_members} "
                                                              "files; the rest were not read"))
                    return
                if stat.S_ISLNK(st.st_mode):
                    self.entries.append(Entry(name=rel, index=len(self.entries), type="symlink", size=0,
                                              disk_path=item.path))
                elif stat.S_ISREG(st.st_mode):
                    self.entries.append(Entry(name=rel, index=len(self.entries), type="file", size=st.st_size,
                                              disk_path=item.path))
                else:
                    # Opening a FIFO would block and a device could be anything: never read these.
                    self.entries.append(Entry(name=rel, index=len(self.entries), type="special", size=0,
                                              readable=False, disk_path=item.path,
                                              problems=[("special-file", "not a regular file (FIFO, socket or "
                                                                         "device); not read")]))
            pending.extend(subdirs)

    def open(self, entry: Entry, display: str) -> StoredStream:
        assert entry.disk_path is not None
        try:
            fh = open(entry.disk_path, "rb")  # noqa: SIM115 - closed through the stream
        except OSError as exc:
            raise MemberError("unreadable", f"cannot open: {_os_error(exc)}") from None
        return _OwnedStoredStream(fh, entry.disk_path, entry.size, display)

    def data_ref(self, entry: Entry, display: str) -> DataRef | None:
        return DataRef(display=display, disk_path=entry.disk_path, disk_offset=0, method=METHOD_STORED,
                       compressed_size=entry.size, size=entry.size, crc=None)

    def nested_source(self, entry: Entry, display: str, limits: Limits) -> Source:
        assert entry.disk_path is not None
        try:
            fh = open(entry.disk_path, "rb")  # noqa: SIM115 - kept for the life of the scan, closed by close()
        except OSError as exc:
            raise MemberError("unreadable", f"cannot open: {_os_error(exc)}") from None
        self._open_files.append(fh)
        return FileSource(fh, entry.disk_path)

    def read_link(self, entry: Entry) -> str:
        """The text of a symlink in the folder."""
        assert entry.disk_path is not None
        try:
            return os.readlink(entry.disk_path)
        except OSError as exc:
            raise MemberError("unreadable", f"cannot read the link: {_os_error(exc)}") from None

    def close(self) -> None:
        for fh in self._open_files:
            fh.close()
        self._open_files = []


class _OwnedStoredStream(StoredStream):
    """A :class:`StoredStream` over a file it opened itself (a folder member), closed with it."""

    def __init__(self, fh: io.BufferedReader, path: str, size: int, display: str) -> None:
        super().__init__(FileSource(fh, path, 0, size), size, None, display)
        self._fh = fh

    def close(self) -> None:
        self._fh.close()


class FileContainer(Container):
    """A single file given on its own: one member, named after the file."""

    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.problems = []
        self.entries = [Entry(name=os.path.basename(path), index=0, type="file", size=size, disk_path=path)]

    def open(self, entry: Entry, display: str) -> StoredStream:
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed through the stream
        except OSError as exc:
            raise MemberError("unreadable", f"cannot open: {_os_error(exc)}") from None
        return _OwnedStoredStream(fh, self.path, entry.size, display)

    def data_ref(self, entry: Entry, display: str) -> DataRef | None:
        return DataRef(display=display, disk_path=self.path, disk_offset=0, method=METHOD_STORED,
                       compressed_size=entry.size, size=entry.size, crc=None)


def _os_error(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- symlinks -------------------------------------------------------------------------------------------


def resolve_link(link: str, target: str, links: Mapping[str, str],
                 max_hops: int = MAX_SYMLINK_HOPS, max_steps: int = MAX_LINK_STEPS,
                 budget: list[int] | None = None) -> tuple[str | None, str | None]:
    """Resolve a symlink *inside* an artifact, never touching the file system.

    The walk goes component by component like the kernel's, following other links of the artifact
    (*links* maps link path → link text) and applying ``..`` to the path reached so far.

    The walk is bounded: at most *max_steps* components (expanded links included) for this link, and, when
    *budget* is given (a one-item list: steps left for the whole artifact), that many across every link
    resolved with it. The path reached so far is kept as one string and the lengths of its prefixes, so a
    step costs one short copy whatever the depth (a 4 KiB link text used to cost a join per component).

    :returns: ``(resolved path, None)``, or ``(None, "symlink-escape")`` when the target leaves the artifact
        root (absolute, or too many ``..``), ``(None, "symlink-loop")`` after *max_hops* links, or
        ``(None, "budget-exceeded")`` past *max_steps* or the artifact's *budget*.

    >>> resolve_link("pkg/libfoo.so", "libfoo.so.1", {})
    ('pkg/libfoo.so.1', None)
    >>> resolve_link("a/x", "../../etc/passwd", {})
    (None, 'symlink-escape')
    >>> resolve_link("a", "b", {"a": "b", "b": "a"})
    (None, 'symlink-loop')
    """
    if target.startswith("/"):
        return None, "symlink-escape"
    here = ""
    cuts: list[int] = []  # len(here) before each component was appended
    for c in link.split("/")[:-1]:
        if c not in ("", "."):
            cuts.append(len(here))
            here = f"{here}/{c}" if here else c
    todo = deque(target.split("/"))
    hops = 0
    steps = 0
    while todo:
        steps += 1
        if steps > max_steps:
            return None, "budget-exceeded"
        if budget is not None:
            budget[0] -= 1
            if budget[0] < 0:
                return None, "budget-exceeded"
        part = todo.popleft()
        if part in ("", "."):
            continue
        if part == "..":
            if not cuts:
                return None, "symlink-escape"
            here = here[:cuts.pop()]
            continue
        cuts.append(len(here))
        here = f"{here}/{part}" if here else part
        if here in links:
            hops += 1
            if hops > max_hops:
                return None, "symlink-loop"
            text = links[here]
            here = here[:cuts.pop()]
            if text.startswith("/"):
                return None, "symlink-escape"
            todo.extendleft(reversed(text.split("/")))
    return here, None


# -- wheel metadata -------------------------------------------------------------------------------------


# Why not wheel-inspect: it reads a wheel *file* (or an unpacked folder) whole — md5 and sha256 of the file,
# and every RECORD digest — which took 5.1 s on tensorflow_cpu 2.21.0 (274 MB) where abigate's whole scan took
# 4.4 s; it cannot read a dist-info inside a deploy zip or a nested archive without extracting it; it returns
# ``Tag`` lines verbatim (``…manylinux_2_17_x86_64.manylinux2014_x86_64`` stays one string), so the expansion
# below would still be ours; and it brings six more dependencies (readme_renderer, docutils, Pygments…).
# The three files are small texts in formats the standard library and packaging already read: email headers
# (``email.parser`` for WHEEL, and for METADATA as ``packaging.metadata`` reads it) and CSV (``csv`` for
# RECORD).


def _headers(text: str) -> email.message.Message:
    """The header block of an email-style file (``WHEEL``, ``METADATA``); the body is not parsed.

    ``compat32`` keeps values as the strings written (no RFC 2047 decoding, no ``Header`` objects for
    plain text); whatever the parser cannot read as a header ends the block, as in pip and packaging.
    ``compat32`` is the parser's documented default: naming it would import ``email.policy``, and with it
    the header registry and its parser (~3 ms of every run's start-up) that ``compat32`` never uses.
    """
    return email.parser.HeaderParser().parsestr(text)


def expand_tags(value: str) -> tuple[str, ...]:
    """Every tag a ``Tag``/file-name tag set stands for, as :func:`packaging.tags.parse_tag` expands it.

    A compressed set (PEP 425: ``.``-joined alternatives in any part) is several tags; a value packaging
    refuses (not three parts, an empty part) is kept verbatim so a rule can name it.

    >>> expand_tags("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")
    ('cp311-cp311-manylinux2014_x86_64', 'cp311-cp311-manylinux_2_17_x86_64')
    >>> expand_tags("cp311-cp311")
    ('cp311-cp311',)
    """
    value = value.strip()
    if not value:
        return ()
    try:
        return tuple(sorted(str(tag) for tag in parse_tag(value)))
    except ValueError:  # packaging.tags.InvalidTag is a ValueError
        return (value,)


def parse_wheel_metadata(text: str) -> tuple[tuple[str, ...], bool | None]:
    """``(Tag values, Root-Is-Purelib)`` from a ``WHEEL`` file (email headers), tags expanded and sorted.

    Tags are the *set* the ``Tag`` lines stand for: ``Tag: py2.py3-none-any`` is two tags, and a tag
    written both compressed and expanded counts once, so sets from the file name and ``WHEEL`` compare.

    >>> parse_wheel_metadata("Wheel-Version: 1.0\\nRoot-Is-Purelib: false\\nTag: cp312-cp312-linux_x86_64\\n")
    (('cp312-cp312-linux_x86_64',), False)
    """
    headers = _headers(text)
    tags: set[str] = set()
    for value in headers.get_all("Tag") or ():
        tags.update(expand_tags(str(value)))
    raw = headers.get("Root-Is-Purelib")
    purelib = None if raw is None else str(raw).strip().lower() == "true"
    return tuple(sorted(tags)), purelib


def parse_dist_metadata(text: str) -> tuple[str | None, str | None]:
    """``(Name, Version)`` from a ``METADATA`` file, each ``None`` when absent, empty or repeated.

    Read as :func:`packaging.metadata.parse_email` reads these two fields — the standard email parser with
    the ``compat32`` policy, a field given more than once left out — and never raising on a malformed file;
    the caller then falls back to the ``.dist-info`` folder name. ``packaging.metadata`` itself is not
    imported: it pulls in ``packaging.requirements``, markers, specifiers and licences (~10 ms, a tenth of a
    small wheel's check) for two header values; ``tests/test_wheel_metadata.py`` compares the two readings.
    """
    headers = _headers(text)

    def single(field: str) -> str | None:
        values = headers.get_all(field) or []
        return (str(values[0]).strip() or None) if len(values) == 1 else None

    return single("Name"), single("Version")


def parse_record(text: str, root: str) -> tuple[str, ...]:
    """The paths a ``RECORD`` lists, mapped from the distribution's *root* to the container root, sorted.

    :raises ValueError: the CSV cannot be read (a field beyond :func:`csv.field_size_limit`, a NUL byte on
        older Pythons); the caller reports it rather than guessing which files the distribution owns.

    >>> parse_record("pkg/a.so,sha256=x,10\\n../../bin/tool,,\\n", "python/lib/")
    ('bin/tool', 'python/lib/pkg/a.so')
    """
    paths: set[str] = set()
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ValueError(f"not a readable CSV file: {exc}") from None
    for row in rows:
        if not row or not row[0]:
            continue
        path = row[0].replace("\\", "/")
        if path.startswith("/"):
            paths.add(path)
            continue
        joined = posixpath.normpath(posixpath.join(root, path)) if root else posixpath.normpath(path)
        paths.add(joined)
    return tuple(sorted(paths))


def iter_dist_info_dirs(names: Iterator[str] | list[str]) -> list[str]:
    """Every ``*.dist-info`` directory named in a list of member paths (and folder paths), sorted."""
    found: set[str] = set()
    for name in names:
        parts = name.split("/")
        for i, part in enumerate(parts):
            if part.endswith(".dist-info") and len(part) > len(".dist-info"):
                found.add("/".join(parts[:i + 1]))
                break
    return sorted(found)


#: a progress callback: ``(artifact display path, members done, members total)``.
ProgressCallback = Callable[[str, int, int], None]
