"""Recognise native binaries by content and read their facts from a forward-only byte stream.

This is the boundary between the artifact readers (``archive``, ``scan``), which know how to get bytes
out of a zip member or a file, and the binary parsers (``elf``, ``macho``, ``pe``), which know what the
bytes mean. It never raises for bad content: a truncated or malformed file comes back as a
:class:`NativeRead` whose ``error`` says what is wrong.

Usage by a reader::

    head = stream.read(HEAD_SIZE)
    kind = sniff(head)
    if kind is not None:
        result = read_native(head, stream, size)

``stream`` continues right after ``head``. If ``stream.seekable()`` is true, the parser may
``stream.seek(offset)`` to absolute offsets *within the member* (0 = the member's first byte) to skip what it
does not need; otherwise it reads forward and discards. It stops reading as soon as it has what it needs,
so the caller must not assume the stream was read to its end.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Protocol

from abigate._records import Record
from abigate.facts import ElfFacts, MachOFacts, NativeKind, PeFacts
from abigate.limits import DEFAULT_LIMITS, Limits

__all__ = ["HEAD_SIZE", "NativeRead", "Readable", "read_native", "read_native_file", "sniff"]

#: how many bytes a reader should pass as ``head``: enough for every magic and for small headers.
HEAD_SIZE = 4096

_MACHO_MAGICS = {b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe"}
_FAT_MAGICS = {b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"}


class Readable(Protocol):
    """The part of a binary file object the parsers use."""

    def read(self, n: int = -1, /) -> bytes: ...

    def seekable(self) -> bool: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...


class NativeRead(Record):
    """The outcome of reading one native file."""

    kind: NativeKind
    elf: ElfFacts | None = None
    macho: MachOFacts | None = None
    pe: PeFacts | None = None
    #: one line saying why the file could not be read past its magic; ``None`` on success.
    error: str | None = None
    #: the budget (``abigate.limits``) whose exhaustion stopped the reading, when one did; ``error`` says so too.
    budget: str | None = None


def sniff(head: bytes) -> NativeKind | None:
    """Classify *head* (the first bytes of a file) as ``elf``, ``macho``, ``pe`` or ``None``.

    Mach-O fat files share ``0xcafebabe`` with Java class files; a fat header has a small architecture
    count where a class file has its version numbers, so counts above 30 are taken as Java.

    >>> sniff(b"\\x7fELF\\x02\\x01\\x01")
    'elf'
    >>> sniff(b"\\xca\\xfe\\xba\\xbe\\x00\\x00\\x00\\x34") is None   # Java 8 class file
    True
    >>> sniff(b"#!/bin/sh") is None
    True
    """
    magic = head[:4]
    if magic == b"\x7fELF":
        return "elf"
    if magic in _MACHO_MAGICS:
        return "macho"
    if magic in _FAT_MAGICS and len(head) >= 8:
        (nfat,) = struct.unpack(">I", head[4:8])
        return "macho" if 0 < nfat <= 30 else None
    if head[:2] == b"MZ" and len(head) >= 0x40:
        (pe_offset,) = struct.unpack("<I", head[0x3C:0x40])
        if pe_offset + 4 <= len(head):
            return "pe" if head[pe_offset:pe_offset + 4] == b"PE\0\0" else None
        # The PE header lies beyond the head: still a DOS/PE candidate; read_native decides.
        return "pe" if pe_offset < (1 << 20) else None
    return None


def read_native(
    head: bytes, rest: Readable, size: int, *, reopen: Callable[[], Readable] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> NativeRead:
    """Parse the native file whose first bytes are *head* and whose remaining bytes follow in *rest*.

    :param head: the bytes already read (at least what :func:`sniff` saw).
    :param rest: the stream positioned right after *head*.
    :param size: the total size of the file in bytes (from the zip directory or ``stat``).
    :param reopen: returns a new stream over the same file from byte 0; the ELF reader uses it for the
        rare file whose dynamic tables lie beyond the prefix it keeps (see :mod:`abigate.elf`).
    :param limits: the budgets the parsers work under (strings kept, table entries walked, fat slices).
    """
    kind = sniff(head)
    if kind == "elf":
        from abigate import elf

        return elf.read_elf(head, rest, size, reopen=reopen, limits=limits)
    if kind == "macho":
        from abigate import macho

        return macho.read_macho(head, rest, size, limits=limits)
    if kind == "pe":
        from abigate import pe

        return pe.read_pe(head, rest, size, limits=limits)
    raise ValueError("read_native() called on bytes that sniff() does not recognise")


def read_native_file(path: str) -> NativeRead | None:
    """Read one file on disk; ``None`` when it is not a native binary. ``OSError`` propagates."""
    import os

    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(HEAD_SIZE)
        if sniff(head) is None:
            return None
        return read_native(head, fh, size)
