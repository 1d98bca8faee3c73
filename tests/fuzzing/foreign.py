"""``macho-pe`` family: Mach-O and PE files whose counts lie.

Fat Mach-O files with up to hundreds of slices all at one offset (each slice read again), ``nfat_arch`` far
past the data, thin files whose ``ncmds``/``sizeofcmds`` or load-command sizes lie, dylib name offsets
past the command; PE files with huge ``NumberOfSections``, optional-header sizes, import directories that
point at themselves or run off the file, and thousands of imported DLL names sharing one string. Each
starts from the real Mach-O and PE files of ``testdata/elf/nonelf``.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

from fuzzing.case import ARTIFACT_EXITS, Case
from fuzzing.common import artifact_argv, interesting_int
from fuzzing.seeds import native
from fuzzing.zips import DEFLATED, STORED, Member, build_zip

__all__ = ["gen_macho_pe"]

_THIN = ("nonelf/probe.x86_64.dylib", "nonelf/probe.arm64.dylib")
_FAT = "nonelf/_probe.cpython-312-darwin.so"
_PE = "nonelf/_mod.cp311-win_amd64.pyd"


def _fat_same_offset(rng: random.Random) -> bytes:
    thin = native(rng.choice(_THIN))
    n = rng.choice((2, 30, 31, 200, 1000))
    off = 4096
    head = struct.pack(">II", 0xCAFEBABE, n) + b"".join(
        struct.pack(">iiIII", 0x0100000C, 0, off, len(thin), 12) for _ in range(n)
    )
    return head + bytes(off - len(head)) + thin if len(head) <= off else head + thin


def _mutate_counts(rng: random.Random, data: bytes, fields: list[tuple[int, str]]) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        off, fmt = rng.choice(fields)
        if off + struct.calcsize(fmt) <= len(buf):
            struct.pack_into(fmt, buf, off, interesting_int(rng, struct.calcsize(fmt) * 8))
    return bytes(buf)


def _macho(rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(("fat-same-offset", "fat-counts", "thin-counts", "thin-cmdsize"))
    if kind == "fat-same-offset":
        return kind, _fat_same_offset(rng)
    if kind == "fat-counts":
        fat = native(_FAT)
        fields = [(4, ">I")] + [(8 + 20 * i + j, ">I") for i in range(2) for j in (8, 12, 16)]
        return kind, _mutate_counts(rng, fat, fields)
    thin = native(rng.choice(_THIN))
    if kind == "thin-counts":
        return kind, _mutate_counts(rng, thin, [(16, "<I"), (20, "<I"), (4, "<I"), (12, "<I")])
    buf = bytearray(thin)  # rewrite load command sizes and dylib name offsets
    off = 32
    ncmds = struct.unpack_from("<I", buf, 16)[0]
    for _ in range(min(ncmds, 64)):
        if off + 8 > len(buf):
            break
        cmd, size = struct.unpack_from("<II", buf, off)
        if rng.random() < 0.3:
            struct.pack_into("<I", buf, off + 4, interesting_int(rng, 32))
        if cmd in (0xC, 0x80000018) and rng.random() < 0.5 and off + 12 <= len(buf):
            struct.pack_into("<I", buf, off + 8, interesting_int(rng, 32))
        if size < 8:
            break
        off += size
    return kind, bytes(buf)


def _pe(rng: random.Random) -> tuple[str, bytes]:
    pe = bytearray(native(_PE))
    pe_off = struct.unpack_from("<I", pe, 0x3C)[0]
    coff = pe_off + 4
    opt = coff + 20
    kind = rng.choice(("sections", "optsize", "lfanew", "imports", "import-self", "dll-names"))
    if kind == "sections":
        struct.pack_into("<H", pe, coff + 2, interesting_int(rng, 16))
    elif kind == "optsize":
        struct.pack_into("<H", pe, coff + 16, interesting_int(rng, 16))
    elif kind == "lfanew":
        struct.pack_into("<I", pe, 0x3C, interesting_int(rng, 32))
    elif kind in ("imports", "import-self"):
        dd = opt + (112 if struct.unpack_from("<H", pe, opt)[0] == 0x20B else 96) + 8
        if kind == "imports":
            struct.pack_into("<II", pe, dd, interesting_int(rng, 32), interesting_int(rng, 32))
        else:
            rva = struct.unpack_from("<I", pe, dd)[0]
            struct.pack_into("<I", pe, dd, max(0, rva - rng.choice((0, 12, 20, 4096))))
    else:  # many import descriptors naming one DLL: grow the file with a table of them
        dd = opt + (112 if struct.unpack_from("<H", pe, opt)[0] == 0x20B else 96) + 8
        nsec = struct.unpack_from("<H", pe, coff + 2)[0]
        opt_size = struct.unpack_from("<H", pe, coff + 16)[0]
        sec = opt + opt_size + 40 * (nsec - 1)
        vsize, vaddr, rawsize, rawptr = struct.unpack_from("<IIII", pe, sec + 8)
        n = rng.choice((100, 4000, 50000))
        name_rva = vaddr + rawsize
        table = b"KERNEL32.dll\0".ljust(16, b"\0") + struct.pack("<IIIII", 1, 0, 0, name_rva, 1) * n
        pe += bytes(rawptr + rawsize - len(pe)) if len(pe) < rawptr + rawsize else b""
        pe[rawptr + rawsize :] = table
        struct.pack_into("<IIII", pe, sec + 8, vsize + len(table), vaddr, rawsize + len(table), rawptr)
        struct.pack_into("<II", pe, dd, name_rva + 16, 20 * n)
    return kind, bytes(pe)


def gen_macho_pe(rng: random.Random, d: Path) -> Case:
    """A Mach-O or PE file with lying counts, alone or in a zip."""
    is_pe = rng.random() < 0.4
    kind, data = _pe(rng) if is_pe else _macho(rng)
    name = "_mod.cp311-win_amd64.pyd" if is_pe else "_probe.cpython-312-darwin.so"
    if rng.random() < 0.6:
        data = build_zip([Member(f"pkg/{name}".encode(), data, method=rng.choice((STORED, DEFLATED)))])
        name = "a.zip"
    (d / name).write_bytes(data)
    return Case("macho-pe", kind, artifact_argv(rng, name), str(d), ARTIFACT_EXITS)
