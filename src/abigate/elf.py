"""abigate's ELF reader: the facts a dynamic loader acts on, read from a forward-only stream.

Why not pyelftools on the hot path: it needs random access (it starts with the section headers, which sit
at the very end of a file) and builds a Python object per symbol. A 434 MB ``libtorch_cpu.so`` inside a
wheel is a deflate stream: random access would mean inflating it to memory or disk. This reader needs
only what the loader uses — the ELF header, program headers, ``PT_DYNAMIC``, ``PT_INTERP``, notes, and the
tables ``PT_DYNAMIC`` points at (``.dynstr``, ``.dynsym``, ``.gnu.version``, ``.gnu.version_r``,
``.gnu.version_d``, hash tables) — and reads whole tables at once with :mod:`array` slicing.
``abigate.elf_pyelftools`` produces the same facts with pyelftools; the tests compare the two and
``benchmarks/scan_benchmark.py`` shows the difference in speed.

How the stream is read (see :class:`_Source`): bytes are kept from offset 0 up to a *prefix cap*
(12 MiB), everything later is read forward and dropped unless asked for. Linkers put the dynamic-linking
tables near the start and ``PT_DYNAMIC`` near the end, so one pass suffices and memory stays bounded.
If a file's tables lie beyond the prefix, a second pass (``reopen``) keeps a window over them instead.

Every malformed input ends as a :class:`NativeRead` with ``error`` set (and whatever facts were read
before the problem); nothing here raises for bad bytes.
"""

from __future__ import annotations

import struct
import sys
import zlib
from array import array
from collections.abc import Callable

from abigate.facts import ElfFacts, GnuProperty, LoadSegment, VersionDef, VersionNeed
from abigate.limits import DEFAULT_LIMITS, BudgetExceeded, Limits
from abigate.native import NativeRead, Readable

__all__ = ["ARCH_NAMES", "PREFIX_CAP", "arch_name", "read_elf", "read_elf_bytes"]

#: bytes kept from the start of a streamed file (dynamic tables normally lie within it).
PREFIX_CAP = 12 << 20
#: the most a second pass may keep when the tables lie beyond the prefix. Only giants get there: the
#: tables of TensorFlow's libtensorflow_cc.so.2 take 97 MB (an 82 MB .dynstr for 447,000 symbols).
WINDOW_CAP = 256 << 20
#: reading chunk for skipping forward.
_CHUNK = 1 << 20
#: a second pass keeps a ``.dynstr`` at least this large compressed (:class:`_PackedTable`), not whole.
PACK_STRTAB_FROM = 4 << 20

# Program header types and dynamic tags (glibc elf/elf.h).
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_TLS = 1, 2, 3, 4, 7
PT_GNU_STACK, PT_GNU_PROPERTY = 0x6474E551, 0x6474E553
DT_NULL, DT_NEEDED, DT_HASH, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT = 0, 1, 4, 5, 6, 10, 11
DT_SONAME, DT_RPATH, DT_TEXTREL, DT_RUNPATH, DT_FLAGS, DT_RELR = 14, 15, 22, 29, 30, 36
DT_RELA, DT_REL, DT_JMPREL = 7, 17, 23
DT_GNU_HASH, DT_VERSYM, DT_FLAGS_1 = 0x6FFFFEF5, 0x6FFFFFF0, 0x6FFFFFFB
DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFC, 0x6FFFFFFD, 0x6FFFFFFE, 0x6FFFFFFF
DT_AUDIT, DT_DEPAUDIT, DT_AUXILIARY, DT_FILTER = 0x6FFFFEFC, 0x6FFFFEFB, 0x7FFFFFFD, 0x7FFFFFFF
DF_TEXTREL, DF_1_PIE = 0x4, 0x08000000
NT_GNU_PROPERTY_TYPE_0 = 5
VER_FLG_WEAK = 0x2

#: e_machine → architecture name as ``uname -m`` and wheel tags spell it.
ARCH_NAMES: dict[int, str] = {
    3: "i686", 62: "x86_64", 183: "aarch64", 40: "armv7l", 20: "ppc", 21: "ppc64", 22: "s390x",
    243: "riscv64", 258: "loongarch64", 8: "mips", 2: "sparc", 43: "sparc64", 50: "ia64", 6: "i486",
}

# Defensive limits for hostile files: a real library is far below each.
_MAX_PHNUM = 4096
_MAX_DYN = 1 << 16
_MAX_VERNEED = 1 << 14
#: bytes a second pass keeps for .gnu.version_r / .gnu.version_d (glibc's libc.so.6 needs 1.4 KB).
_VERSION_TABLE_CAP = 256 << 10


def arch_name(machine: int, elf_class: int, little: bool) -> str:
    """Architecture name for ``e_machine`` given the class and byte order (``em-<n>`` when unknown)."""
    name = ARCH_NAMES.get(machine)
    if name is None:
        return f"em-{machine}"
    if name == "ppc64":
        return "ppc64le" if little else "ppc64"
    if name == "s390x" and elf_class == 32:
        return "s390"
    if name == "riscv64" and elf_class == 32:
        return "riscv32"
    if name == "aarch64" and not little:
        return "aarch64_be"
    if name == "mips":
        return ("mips64" if elf_class == 64 else "mips") + ("el" if little else "")
    return name


class _Truncated(Exception):
    """A read ran past the end of the file."""


class _Rewind(Exception):
    """A forward-only stream was asked for bytes it has already passed and not kept.

    ``ranges`` (set by the table reader) are the byte ranges a second pass must keep.
    """

    def __init__(self, off: int, ranges: tuple[tuple[int, int], ...] = (),
                 strtab: tuple[int, int] | None = None) -> None:
        super().__init__(f"offset {off:#x} was passed and not kept")
        self.off = off
        self.ranges = ranges
        #: the ``.dynstr`` range among *ranges*: a second pass keeps it compressed (:class:`_PackedTable`).
        self.strtab = strtab


class _Window:
    """Bytes ``[lo, hi)`` of the file, filled in order as the stream passes them."""

    __slots__ = ("buf", "filled", "hi", "lo")

    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        # Allocated once at its final size: growing a bytearray chunk by chunk would briefly hold two
        # copies when it is reallocated.
        self.buf = bytearray(hi - lo)
        self.filled = 0

    def feed(self, chunk: bytes, start: int) -> None:
        lo = max(start, self.lo + self.filled)
        hi = min(start + len(chunk), self.hi)
        if lo < hi and lo == self.lo + self.filled:
            self.buf[self.filled:self.filled + hi - lo] = memoryview(chunk)[lo - start:hi - start]
            self.filled += hi - lo


class _PackedTable:
    """A string table kept zlib-compressed in blocks, for the giant whose tables a second pass must keep.

    TensorFlow's ``libtensorflow_cc.so.2`` has an 82 MB ``.dynstr`` of which the facts need a few MB (the
    imported names, the version names, DT_NEEDED…). Kept compressed (about 6:1 for symbol names, at zlib's
    fastest level) and decompressed a block at a time, with a few blocks cached, it costs ~15 MB instead of
    82: lookups come mostly in symbol order, which is the order the linker wrote the strings in.
    """

    BLOCK = 1 << 18
    CACHED = 8

    def __init__(self, size: int) -> None:
        self.size = size
        self._blocks: list[bytes] = []
        self._pending = bytearray()
        self._cache: dict[int, bytes] = {}

    def __len__(self) -> int:
        return self.size

    def feed(self, data: bytes | memoryview) -> None:
        self._pending += data
        while len(self._pending) >= self.BLOCK:
            self._blocks.append(zlib.compress(bytes(self._pending[:self.BLOCK]), 1))
            del self._pending[:self.BLOCK]

    def finish(self) -> None:
        if self._pending:
            self._blocks.append(zlib.compress(bytes(self._pending), 1))
            self._pending = bytearray()

    def _block(self, i: int) -> bytes:
        got = self._cache.pop(i, None)
        if got is None:
            got = zlib.decompress(self._blocks[i])
            if len(self._cache) >= self.CACHED:
                del self._cache[next(iter(self._cache))]
        self._cache[i] = got  # most recently used last
        return got

    def __getitem__(self, key: slice) -> bytes:
        start, stop, _ = key.indices(self.size)
        parts = []
        while start < stop:
            i, at = divmod(start, self.BLOCK)
            block = self._block(i)
            take = block[at:at + (stop - start)]
            if not take:
                break
            parts.append(take)
            start += len(take)
        return b"".join(parts)

    def cstr(self, off: int) -> bytes:
        """The bytes from *off* up to the next NUL (or the table's end)."""
        parts = []
        while off < self.size:
            i, at = divmod(off, self.BLOCK)
            block = self._block(i)
            end = block.find(b"\0", at)
            if end >= 0:
                parts.append(block[at:end])
                break
            parts.append(block[at:])
            off += len(block) - at
        return b"".join(parts)

    def find_all(self, needles: tuple[bytes, ...]) -> set[int]:
        """Offsets of every occurrence of each needle, in one sweep over the blocks."""
        out: set[int] = set()
        overlap = max(len(n) for n in needles) - 1
        tail = b""
        for i in range(len(self._blocks)):
            base = i * self.BLOCK - len(tail)
            data = tail + zlib.decompress(self._blocks[i])
            for found in _find_all(data, needles):
                out.add(base + found)
            tail = data[-overlap:] if overlap else b""
        return out


class _PackedWindow(_Window):
    """A :class:`_Window` whose bytes go into a :class:`_PackedTable` (``buf``) as they pass."""

    def __init__(self, lo: int, hi: int) -> None:  # no bytearray of the whole range: that is the point
        self.lo, self.hi = lo, hi
        self.buf = _PackedTable(hi - lo)  # type: ignore[assignment]
        self.filled = 0

    def feed(self, chunk: bytes, start: int) -> None:
        lo = max(start, self.lo + self.filled)
        hi = min(start + len(chunk), self.hi)
        if lo < hi and lo == self.lo + self.filled:
            table: _PackedTable = self.buf  # type: ignore[assignment]
            table.feed(memoryview(chunk)[lo - start:hi - start])
            self.filled += hi - lo
            if self.filled == self.hi - self.lo:
                table.finish()


class _Source:
    """Random reads over a forward-only stream, keeping bounded windows of what passes by.

    Reads at or beyond the current position advance the stream (dropping bytes, except those inside a keep
    window); reads inside a window or a range already served are answered from memory; anything else raises
    :class:`_Rewind`. A seekable stream is simply seeked and nothing is kept.
    """

    def __init__(
        self, head: bytes, rest: Readable, size: int, keep: list[tuple[int, int]] | None = None,
        packed: tuple[int, int] | None = None,
    ) -> None:
        self.size = size
        self.head = head
        self.rest = rest
        try:
            self.seekable = bool(rest.seekable())
        except (AttributeError, OSError, ValueError):
            self.seekable = False
        self.pos = len(head)  # absolute offset of the next byte `rest` yields
        if keep is None:
            keep = [(0, PREFIX_CAP)]
        self.windows: list[_Window] = []
        if not self.seekable:
            for lo, hi in _merge([(max(0, lo), min(hi, size)) for lo, hi in keep]):
                window = _PackedWindow(lo, hi) if (lo, hi) == packed else _Window(lo, hi)
                window.feed(head, 0)
                self.windows.append(window)
        self.served: list[tuple[int, bytes]] = []

    def read_at(self, off: int, n: int) -> bytes:
        """Exactly *n* bytes at *off*; :class:`_Truncated` if the file is shorter."""
        if n < 0 or off < 0 or off + n > self.size:
            raise _Truncated(f"{n} bytes at offset {off:#x} lie beyond the end of the file ({self.size} bytes)")
        end = off + n
        if end <= len(self.head):
            return self.head[off:end]
        if self.seekable:
            self.rest.seek(off)
            return self._read_exact(n)
        for w in self.windows:
            if w.lo <= off and end <= w.lo + w.filled:
                if off == w.lo and end == w.hi:
                    # A whole table kept by the second pass: hand it over without a copy (never mutated).
                    return w.buf  # type: ignore[return-value]
                return bytes(w.buf[off - w.lo:end - w.lo])
        if off < self.pos:
            # Only what lies behind can have been served; reads ahead (the common case) skip the search, so
            # thousands of small reads of a hostile table cost no more than one each.
            for start, data in self.served:
                if start <= off and end <= start + len(data):
                    return data[off - start:end - start]
            # Partly behind us: still fine when a window holds everything from *off* up to now.
            for w in self.windows:
                if w.lo <= off and w.lo + w.filled == self.pos and end <= w.hi:
                    self._advance(end)
                    return bytes(w.buf[off - w.lo:end - w.lo])
            raise _Rewind(off)
        self._advance(off)
        data = self._read_exact(n)
        self._feed(data, self.pos)
        self.pos += n
        if not any(w.lo <= off and end <= w.lo + w.filled for w in self.windows):
            self.served.append((off, data))  # what a window holds is not kept twice
        return data

    def _read_exact(self, n: int) -> bytes:
        parts = []
        left = n
        while left > 0:
            chunk = self.rest.read(left)
            if not chunk:
                raise _Truncated(f"the file ended early (expected {n} more bytes)")
            parts.append(chunk)
            left -= len(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _feed(self, chunk: bytes, start: int) -> None:
        for w in self.windows:
            w.feed(chunk, start)

    def _advance(self, off: int) -> None:
        while self.pos < off:
            chunk = self.rest.read(min(_CHUNK, off - self.pos))
            if not chunk:
                raise _Truncated(f"the file ended at offset {self.pos:#x} (expected {self.size} bytes)")
            self._feed(chunk, self.pos)
            self.pos += len(chunk)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-empty, non-overlapping union of *ranges*.

    Ranges that only touch stay apart, so that each table keeps its own window and a read of a whole table
    is served without a copy.
    """
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(r for r in ranges if r[0] < r[1]):
        if out and lo < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def read_elf_bytes(data: bytes, limits: Limits = DEFAULT_LIMITS) -> NativeRead:
    """Read an ELF file held in memory (tests and small files)."""
    return read_elf(data[:4096], _SeekableBytes(data, min(4096, len(data))), len(data), limits=limits)


#: strings up to this long are interned (symbol, library and version names; not a crafted 20 KB one).
_INTERN_UP_TO = 512


class _Strings:
    """The strings of ``.dynstr`` a file's facts keep, under the file's string budget.

    Each offset is decoded once and the same ``str`` is handed out again (60,000 DT_NEEDED entries naming
    one 20 KB string keep 20 KB, not 1.2 GB); every reference counts against
    ``Limits.max_strings_per_file`` and every distinct string's bytes against
    ``Limits.max_string_bytes_per_file``. Past either, :class:`BudgetExceeded` ends the reading.
    """

    __slots__ = ("_bytes", "_cache", "_count", "_max_bytes", "_max_count", "_paths", "table")

    def __init__(self, table: bytes | _PackedTable, limits: Limits) -> None:
        self.table = table
        self._cache: dict[int, str] = {}
        self._paths: dict[int, tuple[str, ...]] = {}
        self._count = 0
        self._bytes = 0
        self._max_count = limits.max_strings_per_file
        self._max_bytes = limits.max_string_bytes_per_file

    def __call__(self, off: int) -> str:
        self._count += 1
        if self._count > self._max_count:
            raise BudgetExceeded(f"the file names more than {self._max_count} strings (the budget of strings "
                                 "kept per file)")
        got = self._cache.get(off)
        if got is None:
            got = _cstr(self.table, off)
            if len(got) <= _INTERN_UP_TO:
                # One object per distinct name over all files: 20,000 libraries importing the same symbols
                # and versions share them (the interpreter drops an interned string nothing refers to).
                got = sys.intern(got)
            self._bytes += len(got)
            if self._bytes > self._max_bytes:
                raise BudgetExceeded(f"the file's strings take more than {self._max_bytes} bytes (the budget of "
                                     "string bytes kept per file)")
            self._cache[off] = got
        return got

    def paths(self, off: int) -> tuple[str, ...]:
        """The non-empty ``:``-separated parts of the string at *off* (an RPATH/RUNPATH), split once."""
        got = self._paths.get(off)
        if got is None:
            got = tuple(p for p in self(off).split(":") if p)
            self._count += len(got)
            self._paths[off] = got
        else:
            self._count += 1
        return got


class _SeekableBytes:
    """A minimal seekable reader over bytes already in memory."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def read(self, n: int = -1, /) -> bytes:
        end = len(self.data) if n < 0 else min(len(self.data), self.pos + n)
        out = self.data[self.pos:end]
        self.pos = end
        return out

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0, /) -> int:
        self.pos = offset
        return offset


def read_elf(
    head: bytes,
    rest: Readable,
    size: int,
    *,
    reopen: Callable[[], Readable] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> NativeRead:
    """Read the ELF file whose first bytes are *head*; see the module docstring.

    :param reopen: returns a fresh stream positioned at byte 0, for the rare file whose dynamic tables lie
        beyond the prefix kept during the first pass. Without it such a file is reported as unreadable.
    :param limits: the budgets of strings kept and table entries walked; past one, the result carries
        ``budget`` (and ``error``) and the facts read before it.
    """
    partial: dict[str, object] = {}
    try:
        ranges: tuple[tuple[int, int], ...] | None = None
        packed: tuple[int, int] | None = None
        try:
            facts = _parse(_Source(head, rest, size), partial, limits)
        except _Rewind as rw:
            # Leave the except block before the second pass: the traceback would keep the first pass's
            # window alive.
            ranges = rw.ranges
            if rw.strtab is not None and rw.strtab[1] - rw.strtab[0] >= PACK_STRTAB_FROM:
                packed = rw.strtab
        if ranges is not None:
            if reopen is None:
                raise _Truncated(
                    "the dynamic-linking tables lie beyond the first "
                    f"{PREFIX_CAP} bytes and the stream cannot be read twice"
                )
            if not ranges or sum(hi - lo for lo, hi in ranges) > WINDOW_CAP:
                raise _Truncated(f"the dynamic-linking tables take more than {WINDOW_CAP >> 20} MiB; not read")
            # Second pass: keep exactly the byte ranges of the tables, wherever they lie.
            stream = reopen()
            head2 = _read_upto(stream, len(head))
            partial.clear()
            try:
                facts = _parse(_Source(head2, stream, size, keep=[(0, len(head2)), *ranges], packed=packed),
                               partial, limits)
            except _Rewind:
                raise _Truncated("the dynamic-linking tables could not be read in two passes") from None
        return NativeRead(kind="elf", elf=facts)
    except BudgetExceeded as exc:
        return NativeRead(kind="elf", elf=_partial_facts(partial), error=f"budget exceeded: {exc.message}",
                          budget=exc.message)
    except _Truncated as exc:
        return NativeRead(kind="elf", elf=_partial_facts(partial), error=f"truncated or malformed ELF: {exc}")
    except (struct.error, ValueError, IndexError, OverflowError, UnicodeError, MemoryError, KeyError) as exc:
        return NativeRead(kind="elf", elf=_partial_facts(partial), error=f"malformed ELF: {exc}")


def _read_upto(stream: Readable, n: int) -> bytes:
    parts = []
    while n > 0:
        chunk = stream.read(n)
        if not chunk:
            break
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _partial_facts(partial: dict[str, object]) -> ElfFacts | None:
    """Facts from the header alone, when parsing failed later: rules can still judge class and machine."""
    fields = partial.get("header")
    if not isinstance(fields, dict):
        return None
    return ElfFacts(**fields)


def _parse(src: _Source, partial: dict[str, object], limits: Limits) -> ElfFacts:
    ident = src.read_at(0, 16) if src.size >= 16 else b""
    if len(ident) < 16:
        raise _Truncated(f"file too short for an ELF header ({src.size} bytes)")
    ei_class, ei_data, ei_version, osabi, abiversion = ident[4], ident[5], ident[6], ident[7], ident[8]
    if ei_class not in (1, 2):
        raise ValueError(f"invalid ELF class {ei_class} (byte 4 must be 1 or 2)")
    if ei_data not in (1, 2):
        raise ValueError(f"invalid ELF data encoding {ei_data} (byte 5 must be 1 or 2)")
    little = ei_data == 1
    bo = "<" if little else ">"
    is64 = ei_class == 2
    ehsize = 64 if is64 else 52
    if src.size < ehsize:
        raise _Truncated(f"file too short for an ELF{32 * ei_class} header ({src.size} < {ehsize} bytes)")
    eh = src.read_at(16, ehsize - 16)
    if is64:
        (e_type, e_machine, e_version, e_entry, e_phoff, _shoff, e_flags, _ehsz, e_phentsize, e_phnum,
         _shentsize, _shnum, _shstrndx) = struct.unpack(bo + "HHIQQQIHHHHHH", eh)
    else:
        (e_type, e_machine, e_version, e_entry, e_phoff, _shoff, e_flags, _ehsz, e_phentsize, e_phnum,
         _shentsize, _shnum, _shstrndx) = struct.unpack(bo + "HHIIIIIHHHHHH", eh)
    elf_class = 64 if is64 else 32
    header: dict[str, object] = dict(
        elf_class=elf_class, byte_order="little" if little else "big", machine=e_machine,
        arch=arch_name(e_machine, elf_class, little), flags=e_flags, osabi=osabi, abi_version=abiversion,
        ident_version=ei_version, version=e_version, nonzero_padding=any(ident[9:16]),
        type=_type_word(e_type, 0), e_type=e_type, has_dynamic=False,
    )
    partial["header"] = header
    anomalies: list[str] = []

    # ---- program headers -------------------------------------------------------------------------
    phent = 56 if is64 else 32
    if e_phnum and e_phentsize != phent:
        raise ValueError(f"e_phentsize is {e_phentsize}, expected {phent}")
    if e_phnum > _MAX_PHNUM:
        raise ValueError(f"{e_phnum} program headers (limit {_MAX_PHNUM})")
    phdrs = []
    if e_phnum:
        raw = src.read_at(e_phoff, e_phnum * phent)
        fmt = bo + ("IIQQQQQQ" if is64 else "IIIIIIII")
        for entry in struct.iter_unpack(fmt, raw):
            if is64:
                p_type, p_flags, p_offset, p_vaddr, _pa, p_filesz, p_memsz, p_align = entry
            else:
                p_type, p_offset, p_vaddr, _pa, p_filesz, p_memsz, p_flags, p_align = entry
            phdrs.append((p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz, p_align))

    loads = tuple(
        LoadSegment(offset=o, vaddr=v, filesz=fs, memsz=ms, align=al, flags=fl)
        for (t, fl, o, v, fs, ms, al) in phdrs if t == PT_LOAD
    )
    for seg in loads:
        if seg.offset + seg.filesz > src.size:
            raise _Truncated(
                f"PT_LOAD at offset {seg.offset:#x} + {seg.filesz:#x} extends past the end of the file "
                f"({src.size} bytes)"
            )
    gnu_stack = next((fl for (t, fl, *_r) in phdrs if t == PT_GNU_STACK), None)
    tls = next((ms for (t, _f, _o, _v, _fs, ms, _a) in phdrs if t == PT_TLS), None)
    header.update(load_segments=loads, gnu_stack_flags=gnu_stack, tls_size=tls)

    # Small segments first, in file order, so a forward-only stream passes each once.
    wanted = sorted(
        (o, t, fs, al) for (t, _f, o, _v, fs, _m, al) in phdrs
        if t in (PT_INTERP, PT_NOTE, PT_GNU_PROPERTY, PT_DYNAMIC) and fs > 0
    )
    interp: str | None = None
    props: dict[int, int | None] = {}
    dyn_raw: bytes | None = None
    for off, ptype, filesz, align in wanted:
        if ptype == PT_DYNAMIC:
            if filesz > _MAX_DYN * (16 if is64 else 8):
                raise ValueError(f"PT_DYNAMIC of {filesz} bytes is implausibly large")
            dyn_raw = src.read_at(off, filesz)
        elif ptype == PT_INTERP:
            raw_interp = src.read_at(off, min(filesz, 4096))
            interp = _cstr(raw_interp, 0)
        else:
            if filesz > (1 << 20):
                anomalies.append(f"note segment of {filesz} bytes skipped")
                continue
            _parse_notes(src.read_at(off, filesz), bo, 8 if align == 8 else 4, is64, props)
    header.update(interpreter=interp)
    gnu_properties = tuple(GnuProperty(type=k, value=v) for k, v in sorted(props.items()))
    header.update(gnu_properties=gnu_properties)

    if dyn_raw is None:
        libc, evidence = _libc_flavour(interp, (), ())
        header.update(libc=libc, libc_evidence=evidence, anomalies=tuple(anomalies))
        return ElfFacts(**header)  # type: ignore[arg-type]

    # ---- dynamic section -------------------------------------------------------------------------
    header["has_dynamic"] = True
    dyn_fmt = bo + ("qQ" if is64 else "iI")
    tags: dict[int, int] = {}
    needed_off: list[int] = []
    rpath_off: list[int] = []
    runpath_off: list[int] = []
    filter_off: list[int] = []
    soname_off: int | None = None
    for d_tag, d_val in struct.iter_unpack(dyn_fmt, dyn_raw[: len(dyn_raw) - len(dyn_raw) % (16 if is64 else 8)]):
        if d_tag == DT_NULL:
            break
        if d_tag == DT_NEEDED:
            needed_off.append(d_val)
        elif d_tag == DT_RPATH:
            rpath_off.append(d_val)
        elif d_tag == DT_RUNPATH:
            runpath_off.append(d_val)
        elif d_tag == DT_SONAME:
            soname_off = d_val
        elif d_tag in (DT_AUDIT, DT_DEPAUDIT, DT_AUXILIARY, DT_FILTER):
            filter_off.append(d_val)
        else:
            tags.setdefault(d_tag, d_val)

    def to_offset(addr: int, what: str) -> int:
        for seg in loads:
            if seg.vaddr <= addr < seg.vaddr + seg.filesz:
                return seg.offset + (addr - seg.vaddr)
        raise ValueError(f"{what} address {addr:#x} lies in no PT_LOAD segment")

    dt_flags = tags.get(DT_FLAGS, 0)
    dt_flags_1 = tags.get(DT_FLAGS_1, 0)
    header.update(
        dt_flags=dt_flags, dt_flags_1=dt_flags_1, type=_type_word(e_type, dt_flags_1),
        has_relr=DT_RELR in tags, has_textrel=DT_TEXTREL in tags or bool(dt_flags & DF_TEXTREL),
    )

    # Offsets of every table, so that a forward-only stream can be told what to keep on a second pass.
    strtab_off = to_offset(tags[DT_STRTAB], "DT_STRTAB") if DT_STRTAB in tags else None
    strsz = tags.get(DT_STRSZ, 0)
    if strtab_off is None or strsz == 0:
        if needed_off or soname_off is not None or rpath_off or runpath_off:
            raise ValueError("dynamic entries name strings but DT_STRTAB/DT_STRSZ is missing")
        libc, evidence = _libc_flavour(interp, (), ())
        header.update(libc=libc, libc_evidence=evidence, anomalies=tuple(anomalies))
        return ElfFacts(**header)  # type: ignore[arg-type]
    if strtab_off + strsz > src.size:
        raise _Truncated(f"DT_STRTAB ({strsz} bytes at {strtab_off:#x}) extends past the end of the file")
    symtab_off = to_offset(tags[DT_SYMTAB], "DT_SYMTAB") if DT_SYMTAB in tags else None
    versym_off = to_offset(tags[DT_VERSYM], "DT_VERSYM") if DT_VERSYM in tags else None
    verneed_off = to_offset(tags[DT_VERNEED], "DT_VERNEED") if DT_VERNEED in tags else None
    verdef_off = to_offset(tags[DT_VERDEF], "DT_VERDEF") if DT_VERDEF in tags else None
    hash_off = to_offset(tags[DT_HASH], "DT_HASH") if DT_HASH in tags else None
    gnu_hash_off = to_offset(tags[DT_GNU_HASH], "DT_GNU_HASH") if DT_GNU_HASH in tags else None
    # Should the tables lie where a forward-only first pass dropped them, a second pass keeps exactly these
    # ranges: each table from its start to the next known thing's start (tables are laid out back to back,
    # also when patchelf moved some of them to the end of the file), small ones capped. The known things
    # include what is not a table read here (PT_DYNAMIC, notes, relocations): patchelf puts .dynamic right
    # after .dynsym, and a table's extent must never be taken to run over it.
    starts = sorted({x for x in (strtab_off, symtab_off, versym_off, verneed_off, verdef_off, hash_off,
                                 gnu_hash_off) if x is not None})
    others = [o for (t, _f, o, _v, fs, _m, _a) in phdrs
              if t in (PT_INTERP, PT_NOTE, PT_GNU_PROPERTY, PT_DYNAMIC) and fs > 0]
    for tag in (DT_RELA, DT_REL, DT_JMPREL, DT_RELR):
        if tag in tags:
            try:
                others.append(to_offset(tags[tag], "relocation table"))
            except ValueError:
                pass  # not the loader's business here; the tables this reader needs decide validity
    bounds = sorted(set(starts) | set(others))

    def next_bound(start: int) -> int:
        """The nearest known file offset after *start* (or the file's end): where its table must stop."""
        return next((b for b in bounds if b > start), src.size)

    ranges = []
    for start in starts:
        nxt = next_bound(start)
        if start == strtab_off:
            stop = start + strsz
        elif start in (verneed_off, verdef_off):
            stop = min(nxt, start + _VERSION_TABLE_CAP)
        else:
            stop = min(nxt, start + WINDOW_CAP)
        ranges.append((start, min(stop, src.size)))
    table_ranges = tuple(ranges)
    strtab_range = (strtab_off, min(strtab_off + strsz, src.size))
    try:
        strtab = src.read_at(strtab_off, strsz)
    except _Rewind as rw:
        raise _Rewind(rw.off, table_ranges, strtab_range) from None

    s = _Strings(strtab, limits)
    try:
        facts = _read_tables(src, strtab, s, tags, bo, is64, symtab_off, versym_off, verneed_off,
                             verdef_off, hash_off, gnu_hash_off, next_bound, anomalies, limits)
    except _Rewind as rw:
        raise _Rewind(rw.off, table_ranges, strtab_range) from None
    # A name listed twice is loaded once (the loader finds it already loaded) and a folder listed twice is
    # searched once to any effect: keep the first of each, in order, so a table that repeats one long string
    # thousands of times costs one copy in the facts and in every report.
    needed = tuple(dict.fromkeys(s(o) for o in dict.fromkeys(needed_off)))
    rpath = tuple(dict.fromkeys(p for o in dict.fromkeys(rpath_off) for p in s.paths(o)))
    runpath = tuple(dict.fromkeys(p for o in dict.fromkeys(runpath_off) for p in s.paths(o)))
    version_needs = facts["version_needs"]
    assert isinstance(version_needs, tuple)
    libc, evidence = _libc_flavour(interp, needed, tuple(n.version for n in version_needs))
    header.update(
        facts, soname=s(soname_off) if soname_off is not None else None, needed=needed, rpath=rpath,
        runpath=runpath, filters=tuple(s(o) for o in filter_off), libc=libc, libc_evidence=evidence,
        anomalies=tuple(anomalies),
    )
    return ElfFacts(**header)  # type: ignore[arg-type]


def _read_tables(
    src: _Source, strtab: bytes | _PackedTable, s: Callable[[int], str], tags: dict[int, int],
    bo: str, is64: bool, symtab_off: int | None, versym_off: int | None, verneed_off: int | None,
    verdef_off: int | None, hash_off: int | None, gnu_hash_off: int | None,
    next_bound: Callable[[int], int], anomalies: list[str], limits: Limits,
) -> dict[str, object]:
    """Read the symbol and version tables, in file order.

    *next_bound* gives, for a table's offset, the offset of the next thing known to lie in the file (another
    table, ``PT_DYNAMIC``, a note, relocations, or the end): no table runs over it.
    """
    word = 8 if is64 else 4
    # Version requirements: (index → [library, version, hash, weak]).
    needs: list[tuple[int, str, str, int, bool]] = []
    if verneed_off is not None:
        count = tags.get(DT_VERNEEDNUM, 0)
        if count > _MAX_VERNEED:
            raise ValueError(f"DT_VERNEEDNUM is {count} (limit {_MAX_VERNEED})")
        off = verneed_off
        seen = 0
        for _ in range(count):
            vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack(bo + "HHIII", src.read_at(off, 16))
            if vn_version != 1:
                anomalies.append(f"Elf_Verneed version {vn_version} at {off:#x}")
            library = s(vn_file)
            aux = off + vn_aux
            for _ in range(vn_cnt):
                vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack(
                    bo + "IHHII", src.read_at(aux, 16))
                needs.append((vna_other, library, s(vna_name), vna_hash, bool(vna_flags & VER_FLG_WEAK)))
                seen += 1
                if seen > _MAX_VERNEED:
                    raise ValueError("too many version requirements")
                if vna_next == 0:
                    break
                aux += vna_next
            if vn_next == 0:
                break
            off += vn_next
    defs: list[VersionDef] = []
    defined: set[tuple[str, tuple[str, ...]]] = set()
    if verdef_off is not None:
        count = tags.get(DT_VERDEFNUM, 0)
        if count > _MAX_VERNEED:
            raise ValueError(f"DT_VERDEFNUM is {count} (limit {_MAX_VERNEED})")
        off = verdef_off
        for _ in range(count):
            _vd_version, vd_flags, vd_ndx, vd_cnt, vd_hash, vd_aux, vd_next = struct.unpack(
                bo + "HHHHIII", src.read_at(off, 20))
            vd_names = []
            aux = off + vd_aux
            for _ in range(min(vd_cnt, 256)):
                vda_name, vda_next = struct.unpack(bo + "II", src.read_at(aux, 8))
                vd_names.append(s(vda_name))
                if vda_next == 0:
                    break
                aux += vda_next
            if vd_names and (vd_names[0], tuple(vd_names[1:])) not in defined:
                # A repeated definition adds nothing the loader looks at (it matches by name and hash): kept
                # once, so a crafted table cannot multiply the facts and the output.
                defined.add((vd_names[0], tuple(vd_names[1:])))
                defs.append(VersionDef(name=vd_names[0], index=vd_ndx, flags=vd_flags, hash=vd_hash,
                                       parents=tuple(vd_names[1:])))
            if vd_next == 0:
                break
            off += vd_next

    # Symbol count: DT_HASH's nchain, or the end of the longest DT_GNU_HASH chain.
    nsyms = 0
    if symtab_off is not None:
        if hash_off is not None:
            _nbucket, nsyms = struct.unpack(bo + "II", src.read_at(hash_off, 8))
        elif gnu_hash_off is not None:
            nsyms = _gnu_hash_count(src, gnu_hash_off, bo, word, limits.max_table_entries,
                                    next_bound(gnu_hash_off))
        else:
            anomalies.append("no DT_HASH or DT_GNU_HASH: dynamic symbols not counted")
        syment = 24 if is64 else 16
        if tags.get(DT_SYMENT, syment) != syment:
            raise ValueError(f"DT_SYMENT is {tags.get(DT_SYMENT)}, expected {syment}")
        if nsyms * syment > src.size:
            raise ValueError(f"{nsyms} dynamic symbols cannot fit in a {src.size}-byte file")
        if hash_off is None:
            # DT_GNU_HASH covers only exported symbols: imports may lie past its last chain (always, in a
            # file that exports nothing). Something else always follows .dynsym (.dynstr for GNU ld and
            # gold, .gnu.version for lld, .dynamic after patchelf), so the gap up to the next known offset
            # bounds the table; .gnu.version holds one entry per symbol, so the gap after it bounds it too.
            # Nothing known after it (the file's end): no bound, no extension.
            after = next_bound(symtab_off)
            gap = (after - symtab_off) // syment if after < src.size else 0
            if versym_off is not None:
                gap = min(gap, (next_bound(versym_off) - versym_off) // 2)
            if gap > nsyms and gap * syment <= min(src.size, 1 << 28):
                nsyms = _plausible_symbols(src.read_at(symtab_off, gap * syment), nsyms, len(strtab),
                                           bo, is64)

    imports_by_index: dict[int, list[str]] = {}
    unversioned: list[str] = []
    weak: list[str] = []
    init_exports: list[str] = []
    if nsyms:
        assert symtab_off is not None
        raw_syms = src.read_at(symtab_off, nsyms * (24 if is64 else 16))
        versym: array[int] | None = None
        if versym_off is not None:
            versym = array("H")
            versym.frombytes(src.read_at(versym_off, nsyms * 2))
            if _swap(bo):
                versym.byteswap()
        words: array[int] | memoryview
        halves: array[int] | memoryview
        if _swap(bo):
            words = array("I")
            words.frombytes(raw_syms)
            words.byteswap()
            halves = array("H")
            halves.frombytes(raw_syms)
            halves.byteswap()
        else:  # same byte order as this machine: view the table in place, no copy
            words = memoryview(raw_syms).cast("I")
            halves = memoryview(raw_syms).cast("H")
        if is64:
            # Elf64_Sym: st_name u32 | st_info u8 | st_other u8 | st_shndx u16 | st_value u64 | st_size u64
            names = words[0::6]
            shndx = halves[3::12]
            info = raw_syms[4::24]
            other = raw_syms[5::24]
        else:
            # Elf32_Sym: st_name u32 | st_value u32 | st_size u32 | st_info u8 | st_other u8 | st_shndx u16
            names = words[0::4]
            shndx = halves[7::8]
            info = raw_syms[12::16]
            other = raw_syms[13::16]
        init_offsets = _find_all(strtab, (b"PyInit", b"PyModExport_"))
        for i in range(1, nsyms):
            name_off = names[i]
            if shndx[i] == 0:  # SHN_UNDEF: an import
                if name_off == 0:
                    continue
                bind = info[i] >> 4
                name = s(name_off)
                if bind == 2:  # STB_WEAK
                    weak.append(name)
                v = (versym[i] & 0x7FFF) if versym is not None else 1
                if v >= 2:
                    imports_by_index.setdefault(v, []).append(name)
                else:
                    unversioned.append(name)
            elif name_off in init_offsets:
                bind = info[i] >> 4
                if bind in (1, 2) and (other[i] & 3) == 0:  # GLOBAL/WEAK, STV_DEFAULT
                    name = s(name_off)
                    if name.startswith(("PyInit_", "PyInitU_", "PyModExport_")):
                        init_exports.append(name)

    # One fact per (library, version): the loader checks each pair, and a table that repeats a pair thousands
    # of times (a crafted file; ld writes each pair once) must not become thousands of facts and lines of
    # output. A repeated pair is weak only when every requirement of it is; its symbols are the union.
    merged: dict[tuple[str, str], tuple[int, int, bool, set[str]]] = {}
    for (idx, lib, ver, h, wk) in needs:
        syms = imports_by_index.get(idx, ())
        first = merged.get((lib, ver))
        if first is None:
            merged[(lib, ver)] = (idx, h, wk, set(syms))
        else:
            first[3].update(syms)
            if first[2] and not wk:
                merged[(lib, ver)] = (first[0], first[1], False, first[3])
    version_needs = tuple(
        VersionNeed(library=lib, version=ver, hash=h, weak=wk, index=idx, symbols=tuple(sorted(syms)))
        for (lib, ver), (idx, h, wk, syms) in merged.items()
    )
    known = {idx for (idx, *_r) in needs} | {d.index for d in defs}
    for idx in sorted(set(imports_by_index) - known):
        anomalies.append(f"{len(imports_by_index[idx])} undefined symbol(s) use version index {idx}, "
                         "which no version requirement defines")
    return dict(
        version_needs=version_needs, version_defs=tuple(defs),
        unversioned_imports=tuple(sorted(set(unversioned))), weak_imports=tuple(sorted(set(weak))),
        python_init_exports=tuple(sorted(set(init_exports))), dynamic_symbol_count=nsyms,
    )


def _plausible_symbols(raw: bytes, start: int, strsz: int, bo: str, is64: bool) -> int:
    """Extend a symbol count from *start* over entries of *raw* that look like real symbols.

    Stops at the first entry that cannot be a symbol (name outside ``.dynstr``, unknown type or binding,
    bits outside the visibility field, a local binding: every ``STB_LOCAL`` symbol precedes the global
    ones, and DT_GNU_HASH never starts before them) and drops trailing all-zero padding.
    """
    syment = 24 if is64 else 16
    fmt = bo + ("IBBH" if is64 else "IIIBBH")
    count = start
    last_real = start
    for i in range(start, len(raw) // syment):
        fields = struct.unpack_from(fmt, raw, i * syment)
        name, info, other = (fields[0], fields[1], fields[2]) if is64 else (fields[0], fields[3], fields[4])
        if name >= strsz or (info & 0xF) not in (0, 1, 2, 3, 4, 5, 6, 10) or (info >> 4) not in (1, 2, 10) \
                or other & ~3:
            break
        count = i + 1
        if raw[i * syment:(i + 1) * syment].strip(b"\0"):
            last_real = i + 1
    return max(start, min(count, last_real))


def _gnu_hash_count(src: _Source, off: int, bo: str, word: int, max_entries: int, bound: int) -> int:
    """Number of dynamic symbols, from the end of the longest ``DT_GNU_HASH`` chain.

    The chain is read in growing blocks and searched in C for the first word with its low bit set (the
    chain's end): a hostile chain that never ends costs a few block reads up to the file's end or
    ``Limits.max_table_entries``, not one Python-level read per entry. Blocks stop at *bound* (the next
    known table) while the chain is before it: a second pass keeps the hash table's bytes only up to there.
    """
    nbuckets: int
    symoffset: int
    nbuckets, symoffset, bloom_size, _shift = struct.unpack(bo + "IIII", src.read_at(off, 16))
    if nbuckets > (1 << 24) or bloom_size > (1 << 24):
        raise ValueError(f"DT_GNU_HASH with {nbuckets} buckets / {bloom_size} bloom words is implausible")
    buckets_off = off + 16 + bloom_size * word
    buckets = array("I")
    buckets.frombytes(src.read_at(buckets_off, nbuckets * 4))
    if _swap(bo):
        buckets.byteswap()
    last = max(buckets, default=0)
    if last < symoffset:
        return symoffset
    chains_off = buckets_off + nbuckets * 4
    low_byte = 0 if bo == "<" else 3
    idx = last
    block = 256
    while True:
        start = chains_off + (idx - symoffset) * 4
        limit = bound if start < bound else src.size
        n = min(block, (limit - start) // 4) or min(block, (src.size - start) // 4)
        if n <= 0:
            raise _Truncated(f"the DT_GNU_HASH chain at {start:#x} runs past the end of the file")
        end = src.read_at(start, n * 4)[low_byte::4].translate(_ODD).find(1)
        if end >= 0:
            return idx + end + 1
        idx += n
        if idx - last > max_entries:
            raise BudgetExceeded(f"a DT_GNU_HASH chain runs over more than {max_entries} entries (the budget "
                                 "of table entries walked)")
        block = min(block * 4, 1 << 16)


#: byte → 1 when odd, 0 when even: finds a word whose low bit is set with ``bytes.translate`` + ``find``.
_ODD = bytes(i & 1 for i in range(256))


def _parse_notes(data: bytes, bo: str, align: int, is64: bool, props: dict[int, int | None]) -> None:
    """Collect ``NT_GNU_PROPERTY_TYPE_0`` entries from a note segment into *props*."""
    off = 0
    while off + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from(bo + "III", data, off)
        name_start = off + 12
        # The descriptor starts at the next `align` boundary after the name (gABI; 8 for ELF64
        # .note.gnu.property), counted from the segment start, which is itself aligned.
        desc_start = _align(name_start + namesz, align)
        desc_end = desc_start + descsz
        if desc_end > len(data):
            return
        name = data[name_start:name_start + namesz]
        if ntype == NT_GNU_PROPERTY_TYPE_0 and name == b"GNU\0":
            p = desc_start
            pad = 8 if is64 else 4
            while p + 8 <= desc_end:
                pr_type, pr_datasz = struct.unpack_from(bo + "II", data, p)
                value: int | None = None
                if pr_datasz in (4, 8) and p + 8 + pr_datasz <= desc_end:
                    value = int.from_bytes(data[p + 8:p + 8 + pr_datasz], "little" if bo == "<" else "big")
                props.setdefault(pr_type, value)
                p += 8 + _align(pr_datasz, pad)
        off = _align(desc_end, align)


def _align(n: int, a: int) -> int:
    return (n + a - 1) & ~(a - 1)


def _swap(bo: str) -> bool:
    return (bo == "<") != (sys.byteorder == "little")


def _cstr(table: bytes | bytearray | _PackedTable, off: int) -> str:
    """The NUL-terminated string at *off*; a missing terminator ends it at the table's end."""
    if off >= len(table):
        raise ValueError(f"string offset {off:#x} outside a {len(table)}-byte string table")
    if isinstance(table, _PackedTable):
        return table.cstr(off).decode("utf-8", "backslashreplace")
    end = table.find(b"\0", off)
    if end < 0:
        end = len(table)
    return table[off:end].decode("utf-8", "backslashreplace")


def _find_all(table: bytes | _PackedTable, needles: tuple[bytes, ...]) -> set[int]:
    if isinstance(table, _PackedTable):
        return table.find_all(needles)
    out: set[int] = set()
    for needle in needles:
        i = table.find(needle)
        while i >= 0:
            out.add(i)
            i = table.find(needle, i + 1)
    return out


def _type_word(e_type: int, flags_1: int) -> str:
    if e_type == 3:
        return "pie" if flags_1 & DF_1_PIE else "shared"
    return {1: "relocatable", 2: "executable", 4: "core"}.get(e_type, "other")


def _libc_flavour(
    interp: str | None, needed: tuple[str, ...], versions: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    """Decide glibc / musl / none / unknown from the interpreter, NEEDED entries and version needs."""
    glibc: list[str] = []
    musl: list[str] = []
    if interp:
        base = interp.rsplit("/", 1)[-1]
        if base.startswith("ld-musl-"):
            musl.append(f"PT_INTERP {interp}")
        elif base.startswith(("ld-linux", "ld64.so", "ld.so")):
            glibc.append(f"PT_INTERP {interp}")
    for name in needed:
        if name.startswith("libc.musl-") or name == "libc.so":
            musl.append(f"DT_NEEDED {name}")
        elif name == "libc.so.6" or name.startswith("ld-linux"):
            glibc.append(f"DT_NEEDED {name}")
    glibc_nodes = sorted({v for v in versions if v.startswith("GLIBC_")})
    if glibc_nodes:
        glibc.append(f"version needs {', '.join(glibc_nodes[:3])}{'…' if len(glibc_nodes) > 3 else ''}")
    if glibc and musl:
        return "unknown", tuple(glibc + musl)
    if glibc:
        return "glibc", tuple(glibc)
    if musl:
        return "musl", tuple(musl)
    return "none", ()
