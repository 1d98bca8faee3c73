"""Whole-stream compression formats, recognised by content and decompressed as a stream. No files written.

Tar archives, container image layers and conda packages arrive compressed as one stream (gzip, bzip2, xz,
zstandard). This module recognises the format from the first bytes — never from the name — and wraps a
readable binary stream in a decompressing one, so callers read the plain bytes sequentially without holding
either form whole.

Budgets: every decompressing stream counts what it produced and raises :class:`DecompressionLimit` past
*max_output* bytes, so a small compressed file cannot expand without bound (a "tar bomb"). xz and zstandard
also bound the memory the decoder itself may take (the dictionary or window a hostile header declares).

zstandard is the standard library's ``compression.zstd`` from Python 3.14 and the ``backports.zstd`` package
(the same API) before; it is imported only when a zstandard stream is met.
"""

from __future__ import annotations

import bz2
import io
import lzma
from typing import BinaryIO, Literal

from abigate.limits import MAX_DECODER_MEMORY

__all__ = [
    "MAX_DECODER_MEMORY",
    "Compression",
    "DecompressionLimit",
    "is_tar_header",
    "open_decompressed",
    "sniff_compression",
]

Compression = Literal["gzip", "bzip2", "xz", "zstd"]

# The most memory a decoder may use for its dictionary or window (xz, zstandard): see abigate.limits.

_MAGIC: tuple[tuple[bytes, Compression], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


class DecompressionLimit(Exception):
    """A stream expanded past its budget, or its decoder asked for more memory than allowed."""


#: every magic at once: one ``startswith`` rejects the usual member (called about three times per member).
_ANY_MAGIC = tuple(magic for magic, _ in _MAGIC)


def sniff_compression(head: bytes) -> Compression | None:
    """The compression format that *head* (the first bytes of a stream) starts with, if any."""
    if not head.startswith(_ANY_MAGIC):
        return None
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def is_tar_header(block: bytes) -> bool:
    """Whether *block* (the first 512 bytes of a stream) is a tar header: POSIX ``ustar`` magic, or an old
    (v7) header whose checksum field matches its bytes."""
    if len(block) < 512:
        return False
    if block[257:262] == b"ustar":
        return True
    field = block[148:156].split(b"\x00", 1)[0].strip()
    if not field or field.translate(None, b"01234567"):  # anything but octal digits left: not a number
        # Octal digits with leading or trailing blanks only: scipy ships data whose bytes put "1 1 67 7" there.
        return False
    stored = int(field, 8)
    unsigned = sum(block[:148]) + 8 * 0x20 + sum(block[156:512])
    return stored == unsigned and block[0] != 0


class _Limited(io.RawIOBase):
    """A read-only stream over a decompressor that refuses to produce more than *limit* bytes."""

    def __init__(self, inner: BinaryIO, limit: int, what: str) -> None:
        self._inner = inner
        self._limit = limit
        self._done = 0
        self._what = what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        try:
            # read1: what the decoder has now, so the bytes before a truncated tail are delivered first.
            read1 = getattr(self._inner, "read1", None)
            data = read1(len(view)) if read1 is not None else self._inner.read(len(view))
        except MemoryError:
            raise DecompressionLimit(f"the {self._what} decoder needs more memory than allowed") from None
        except Exception as exc:  # noqa: BLE001 - zlib.error, ZstdError, LZMAError, EOFError, OSError…
            # A truncated or corrupt stream: say so in one line, as an OSError the readers already handle.
            raise OSError(f"{self._what} stream is corrupt or truncated: {exc}") from None
        if not data:
            return 0
        self._done += len(data)
        if self._done > self._limit:
            raise DecompressionLimit(
                f"the {self._what} stream expands past {self._limit:,} bytes (the limit for one stream)")
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


class _XzReader(io.RawIOBase):
    """xz with the decoder's memory bounded (``lzma.LZMAFile`` has no ``memlimit``); concatenated streams
    are read one after the other, as ``xz -d`` does."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._dec = lzma.LZMADecompressor(memlimit=MAX_DECODER_MEMORY)
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        while not self._eof:
            if self._dec.eof:
                rest = self._dec.unused_data
                self._dec = lzma.LZMADecompressor(memlimit=MAX_DECODER_MEMORY)
                if not rest:
                    rest = self._raw.read(64 * 1024)
                    if not rest:
                        self._eof = True
                        break
                data = self._dec.decompress(rest, len(view))
            elif self._dec.needs_input:
                chunk = self._raw.read(64 * 1024)
                if not chunk:
                    raise EOFError("compressed stream ended before the end-of-stream marker")
                data = self._dec.decompress(chunk, len(view))
            else:
                data = self._dec.decompress(b"", len(view))
            if data:
                view[: len(data)] = data
                return len(data)
        return 0


def _zstd_file(raw: BinaryIO) -> BinaryIO:
    try:
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from backports import zstd  # type: ignore[import-not-found,no-redef,unused-ignore]
    # window_log_max bounds the decoder's window: 2**27 = 128 MiB (MAX_DECODER_MEMORY).
    options = {zstd.DecompressionParameter.window_log_max: MAX_DECODER_MEMORY.bit_length() - 1}
    return zstd.ZstdFile(raw, mode="rb", options=options)  # type: ignore[no-any-return]


def open_decompressed(raw: BinaryIO, kind: Compression, *, max_output: int) -> BinaryIO:
    """A binary stream of the plain bytes of *raw*, compressed as *kind*, read sequentially.

    :param max_output: reading past this many plain bytes raises :class:`DecompressionLimit`.
    :raises DecompressionLimit: the stream expands past *max_output*, or a decoder needs more memory than
        :data:`MAX_DECODER_MEMORY`.
    :raises OSError: (when read) the stream is corrupt or truncated.
    """
    inner: BinaryIO
    if kind == "gzip":
        import gzip  # not for wheels and zips, which never need it

        inner = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    elif kind == "bzip2":
        inner = bz2.BZ2File(raw, mode="rb")  # type: ignore[assignment]
    elif kind == "xz":
        inner = io.BufferedReader(_XzReader(raw))
    else:
        inner = _zstd_file(raw)
    return io.BufferedReader(_Limited(inner, max_output, kind), buffer_size=256 * 1024)
