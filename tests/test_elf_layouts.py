"""Table layouts that real tools produce and the linker does not: the shapes behind false ABG002 verdicts.

auditwheel's patchelf rewrites a library by moving ``.gnu.hash``, ``.dynsym``, ``.dynamic`` and ``.dynstr`` to
the end of the file while ``.gnu.version`` and ``.gnu.version_r`` stay at the front (opencv_python_headless
5.0.0.93's ``cv2.abi3.so`` is laid out so). With only ``DT_GNU_HASH`` the reader has to bound ``.dynsym`` by
what follows it; after patchelf that is ``.dynamic``, whose entries (``DT_NEEDED`` = 1, a string offset) look
like symbols. Taking them for symbols gave bogus imports, and on a second streaming pass a read of
``.gnu.version`` past its kept window, reported as a malformed file. The file here is built byte by byte to
that shape, small enough to commit to memory, with section headers so readelf and pyelftools can judge it.
"""

from __future__ import annotations

import io
import shutil
import struct
from pathlib import Path

import pytest

import abigate.elf as elfmod
from abigate.elf import read_elf, read_elf_bytes
from abigate.elf_pyelftools import read_elf_pyelftools
from abigate.native import HEAD_SIZE
from readelf_oracle import readelf

#: where the moved tables start: beyond the small prefix the streaming test allows.
FAR = 0x20000
SMALL_PREFIX = 0x8000


def _elf_hash(name: bytes) -> int:
    h = 0
    for c in name:
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


def _gnu_hash(name: bytes) -> int:
    h = 5381
    for c in name:
        h = (h * 33 + c) & 0xFFFFFFFF
    return h


def patchelf_layout() -> bytes:
    """An x86_64 shared library: versions at the front, hash/dynsym/dynamic/dynstr moved to *FAR*.

    It imports ``puts@GLIBC_2.2.5`` from ``libc.so.6`` and exports ``far_export``.
    """
    strs = [b"", b"libc.so.6", b"GLIBC_2.2.5", b"puts", b"far_export", b"libfar.so"]
    dynstr = b"\0".join(strs) + b"\0"

    def so(s: bytes) -> int:
        return dynstr.index(b"\0" + s + b"\0") + 1

    # Past the head a reader is always given, inside the small prefix of the streaming test.
    versym_off, verneed_off, text_off = 0x1200, 0x1208, 0x1400
    gnu_hash_off = FAR
    dynsym_off = gnu_hash_off + 0x20
    dynamic_off = dynsym_off + 3 * 24
    n_dyn = 11
    dynstr_off = dynamic_off + n_dyn * 16
    shstr = b"\0.gnu.version\0.gnu.version_r\0.text\0.gnu.hash\0.dynsym\0.dynamic\0.dynstr\0.shstrtab\0"
    shstr_off = dynstr_off + len(dynstr)
    shoff = (shstr_off + len(shstr) + 7) & ~7
    nsec = 9
    size = shoff + nsec * 64
    out = bytearray(size)

    # Symbols: the null one, an import bound to version index 2, an export (the only hashed symbol).
    struct.pack_into("<IBBHQQ", out, dynsym_off + 24, so(b"puts"), 0x12, 0, 0, 0, 0)
    struct.pack_into("<IBBHQQ", out, dynsym_off + 48, so(b"far_export"), 0x12, 0, 3, text_off, 4)
    struct.pack_into("<3H", out, versym_off, 0, 2, 1)
    struct.pack_into("<HHIII", out, verneed_off, 1, 1, so(b"libc.so.6"), 16, 0)
    struct.pack_into("<IHHII", out, verneed_off + 16, _elf_hash(b"GLIBC_2.2.5"), 0, 2, so(b"GLIBC_2.2.5"), 0)
    out[text_off:text_off + 4] = b"\xc3\x90\x90\x90"
    # DT_GNU_HASH: one bucket, symbols from index 2 on are hashed, a one-word bloom filter that passes all.
    struct.pack_into("<IIII", out, gnu_hash_off, 1, 2, 1, 6)
    struct.pack_into("<QII", out, gnu_hash_off + 16, 0xFFFFFFFFFFFFFFFF, 2, _gnu_hash(b"far_export") | 1)
    dyn = [(1, so(b"libc.so.6")), (14, so(b"libfar.so")), (0x6FFFFEF5, gnu_hash_off), (5, dynstr_off),
           (6, dynsym_off), (10, len(dynstr)), (11, 24), (0x6FFFFFF0, versym_off),
           (0x6FFFFFFE, verneed_off), (0x6FFFFFFF, 1), (0, 0)]
    assert len(dyn) == n_dyn
    for i, (tag, val) in enumerate(dyn):
        struct.pack_into("<qQ", out, dynamic_off + 16 * i, tag, val)
    out[dynstr_off:dynstr_off + len(dynstr)] = dynstr
    out[shstr_off:shstr_off + len(shstr)] = shstr

    # ELF header, PT_LOAD over the whole file (offset = address), PT_DYNAMIC.
    out[0:16] = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    struct.pack_into("<HHIQQQIHHHHHH", out, 16, 3, 62, 1, 0, 64, shoff, 0, 64, 56, 2, 64, nsec, 8)
    struct.pack_into("<IIQQQQQQ", out, 64, 1, 5, 0, 0, 0, size, size, 0x1000)
    struct.pack_into("<IIQQQQQQ", out, 120, 2, 6, dynamic_off, dynamic_off, dynamic_off, n_dyn * 16,
                     n_dyn * 16, 8)

    def name(s: bytes) -> int:
        return shstr.index(b"\0" + s + b"\0") + 1

    sections = [  # name, type, flags, offset, size, link, info, align, entsize
        (b".gnu.version", 0x6FFFFFFF, 2, versym_off, 6, 5, 0, 2, 2),
        (b".gnu.version_r", 0x6FFFFFFE, 2, verneed_off, 32, 7, 1, 8, 0),
        (b".text", 1, 6, text_off, 4, 0, 0, 16, 0),
        (b".gnu.hash", 0x6FFFFFF6, 2, gnu_hash_off, 32, 5, 0, 8, 0),
        (b".dynsym", 11, 2, dynsym_off, 72, 7, 1, 8, 24),
        (b".dynamic", 6, 3, dynamic_off, n_dyn * 16, 7, 0, 8, 16),
        (b".dynstr", 3, 2, dynstr_off, len(dynstr), 0, 0, 1, 0),
    ]
    for i, (nm, typ, fl, off, sz, link, info, al, ent) in enumerate(sections, start=1):
        struct.pack_into("<IIQQQQIIQQ", out, shoff + 64 * i, name(nm), typ, fl, off, off, sz, link, info, al,
                         ent)
    struct.pack_into("<IIQQQQIIQQ", out, shoff + 64 * 8, name(b".shstrtab"), 3, 0, 0, shstr_off, len(shstr),
                     0, 0, 1, 0)
    return bytes(out)


class _ForwardOnly:
    """A stream that cannot seek, like an inflating zip member."""

    def __init__(self, data: bytes) -> None:
        self.raw = io.BytesIO(data)

    def read(self, n: int = -1, /) -> bytes:
        return self.raw.read(n)

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0, /) -> int:
        raise OSError("not seekable")


def test_dynamic_after_dynsym_is_not_read_as_symbols() -> None:
    data = patchelf_layout()
    result = read_elf_bytes(data)
    assert result.error is None, result.error
    facts = result.elf
    assert facts is not None
    assert facts.dynamic_symbol_count == 3
    assert facts.unversioned_imports == ()
    assert [(n.library, n.version, n.symbols) for n in facts.version_needs] == [
        ("libc.so.6", "GLIBC_2.2.5", ("puts",))]
    assert facts.anomalies == ()
    assert facts.needed == ("libc.so.6",) and facts.soname == "libfar.so"


def test_pyelftools_reads_the_same_facts() -> None:
    theirs = read_elf_pyelftools(io.BytesIO(patchelf_layout()))
    assert theirs.error is None
    assert read_elf_bytes(patchelf_layout()).elf == theirs.elf


@pytest.mark.skipif(shutil.which("readelf") is None, reason="GNU readelf not installed")
def test_readelf_reads_the_same_symbols(tmp_path: Path) -> None:
    path = tmp_path / "libfar.so"
    path.write_bytes(patchelf_layout())
    oracle = readelf(str(path))
    facts = read_elf_bytes(path.read_bytes()).elf
    assert facts is not None
    assert oracle.nsyms == facts.dynamic_symbol_count == 3
    assert oracle.needs == {(n.library, n.version): list(n.symbols) for n in facts.version_needs}
    assert sorted(set(oracle.unversioned_und)) == list(facts.unversioned_imports)


def test_far_tables_are_read_on_a_second_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # The streamed shape of the opencv wheel: the first pass keeps only the prefix, the hash table lies
    # beyond it and was passed, so a second pass keeps the table ranges; .gnu.version must stay in its own.
    data = patchelf_layout()
    monkeypatch.setattr(elfmod, "PREFIX_CAP", SMALL_PREFIX)
    reopened: list[int] = []

    def reopen() -> _ForwardOnly:
        reopened.append(1)
        return _ForwardOnly(data)

    streamed = read_elf(data[:HEAD_SIZE], _ForwardOnly(data[HEAD_SIZE:]), len(data), reopen=reopen)
    assert reopened == [1]
    assert streamed.error is None, streamed.error
    assert streamed == read_elf_bytes(data)
