"""ELF inputs: mutations of real small libraries, and crafted files that amplify a few bytes into work.

``elf`` family — a real ELF from ``testdata/elf`` with a few targeted mutations: ELF header fields,
program headers, ``PT_DYNAMIC`` entries, the tables the dynamic section points at (``.dynstr``,
``.dynsym``, ``.gnu.version``, ``.gnu.version_r``, ``.gnu.version_d``, ``DT_HASH``, ``DT_GNU_HASH``),
section headers (which only the pyelftools engine reads), truncation; as a single file or inside a zip.

``amplification`` family — small files built from scratch whose tables make a naive reader do a lot:
tens of thousands of ``DT_NEEDED`` entries naming one long string, version-needed and version-defined
entries sharing one long name, a ``DT_GNU_HASH`` chain of millions of entries (or one that never ends),
a ``DT_HASH`` claiming billions of symbols, an ``RPATH`` of thousands of folders, a dozen libraries that
each need all the others through an RPATH to every folder, and thousands of tiny ELF files in one zip.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

from fuzzing.case import ARTIFACT_EXITS, Case
from fuzzing.common import artifact_argv, interesting_int
from fuzzing.seeds import pick_elf
from fuzzing.zips import DEFLATED, STORED, Member, build_zip, compress

__all__ = ["ElfBuilder", "gen_amplification", "gen_elf", "mutate_elf"]

DT = {
    "NEEDED": 1,
    "HASH": 4,
    "STRTAB": 5,
    "SYMTAB": 6,
    "STRSZ": 10,
    "SYMENT": 11,
    "SONAME": 14,
    "RPATH": 15,
    "RUNPATH": 29,
    "GNU_HASH": 0x6FFFFEF5,
    "VERSYM": 0x6FFFFFF0,
    "VERDEF": 0x6FFFFFFC,
    "VERDEFNUM": 0x6FFFFFFD,
    "VERNEED": 0x6FFFFFFE,
    "VERNEEDNUM": 0x6FFFFFFF,
}
_TABLE_TAGS = (4, 5, 6, 0x6FFFFEF5, 0x6FFFFFF0, 0x6FFFFFFC, 0x6FFFFFFE)


def _layout(data: bytes) -> tuple[str, bool, dict[str, tuple[int, int]]] | None:
    """Byte order, class and the regions worth mutating of a well-formed ELF file."""
    if len(data) < 52 or data[:4] != b"\x7fELF":
        return None
    is64 = data[4] == 2
    bo = "<" if data[5] == 1 else ">"
    if is64:
        phoff, shoff = struct.unpack_from(bo + "QQ", data, 32)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(bo + "HHHH", data, 54)
    else:
        phoff, shoff = struct.unpack_from(bo + "II", data, 28)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(bo + "HHHH", data, 42)
    regions = {
        "ehdr": (0, 64 if is64 else 52),
        "phdr": (phoff, phoff + phnum * phentsize),
        "shdr": (shoff, shoff + shnum * shentsize),
    }
    loads: list[tuple[int, int, int]] = []
    dyn: tuple[int, int] | None = None
    for i in range(phnum):
        off = phoff + i * phentsize
        if off + phentsize > len(data):
            break
        if is64:
            p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from(bo + "IIQQQQ", data, off)
        else:
            p_type, p_offset, p_vaddr, _, p_filesz = struct.unpack_from(bo + "IIIII", data, off)
        if p_type == 1:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == 2:
            dyn = (p_offset, p_offset + p_filesz)
    if dyn:
        regions["dynamic"] = dyn
        ent = 16 if is64 else 8
        for off in range(dyn[0], min(dyn[1], len(data)) - ent + 1, ent):
            tag, val = struct.unpack_from(bo + ("qQ" if is64 else "iI"), data, off)
            if tag in _TABLE_TAGS:
                for vaddr, poff, size in loads:
                    if vaddr <= val < vaddr + size:
                        start = val - vaddr + poff
                        regions[f"table-{tag:x}"] = (start, min(len(data), start + 512))
    return bo, is64, {k: v for k, v in regions.items() if v[0] < v[1] <= len(data)}


def mutate_elf(rng: random.Random, data: bytes, rounds: int) -> tuple[str, bytes]:
    """*data* with *rounds* targeted mutations; the name of the first region touched."""
    info = _layout(data)
    buf = bytearray(data)
    first = ""
    if info is None:
        return "raw", bytes(buf)
    bo, is64, regions = info
    for _ in range(rounds):
        region = rng.choice(sorted(regions))
        first = first or region
        start, end = regions[region]
        op = rng.random()
        if op < 0.45:  # an aligned word set to an interesting value
            width = rng.choice((2, 4, 8) if is64 else (2, 4))
            off = start + rng.randrange(max(1, (end - start) // width)) * width
            if off + width <= len(buf):
                fmt = bo + {2: "H", 4: "I", 8: "Q"}[width]
                struct.pack_into(fmt, buf, off, interesting_int(rng, width * 8))
        elif op < 0.8:
            for _ in range(rng.randrange(1, 6)):
                i = rng.randrange(start, end)
                buf[i] ^= 1 << rng.randrange(8)
        elif op < 0.9 and region == "dynamic":  # repeat one entry over the rest of the section
            ent = 16 if is64 else 8
            first_off = start + rng.randrange(max(1, (end - start) // ent)) * ent
            entry = bytes(buf[first_off : first_off + ent])
            for off in range(first_off, end - ent + 1, ent):
                buf[off : off + ent] = entry
        else:
            i = rng.randrange(start, end)
            buf[i : i + 8] = rng.randbytes(8)
    if rng.random() < 0.1:
        del buf[rng.randrange(len(buf)) :]
    return first or "none", bytes(buf[: len(data) + 8])


def gen_elf(rng: random.Random, d: Path) -> Case:
    """A mutated real ELF file, alone or in a zip."""
    _, data = pick_elf(rng)
    region, mutated = mutate_elf(rng, data, rng.choice((1, 1, 2, 3, 8)))
    if rng.random() < 0.35:
        name = rng.choice(("_ext.cpython-311-x86_64-linux-gnu.so", "libx.so.1", "prog"))
    else:
        name = "a.whl" if rng.random() < 0.3 else "a.zip"
        method = rng.choice((STORED, DEFLATED))
        zdata = build_zip(
            [
                Member(b"pkg/__init__.py", b""),
                Member(b"pkg/_ext.cpython-311-x86_64-linux-gnu.so", mutated, method=method),
            ]
        )
        mutated = zdata
    (d / name).write_bytes(mutated)
    return Case("elf", region, artifact_argv(rng, name, engines=True), str(d), ARTIFACT_EXITS)


class ElfBuilder:
    """A minimal little-endian x86_64 ``ET_DYN``: one ``PT_LOAD`` mapping the whole file at address 0
    (so addresses are offsets), a ``PT_DYNAMIC``, and whatever tables are added."""

    def __init__(self) -> None:
        self.blob = bytearray(64 + 2 * 56)
        self.dynamic: list[tuple[int, int]] = []

    def add(self, data: bytes, align: int = 8) -> int:
        """Append *data*; its offset (= address)."""
        while len(self.blob) % align:
            self.blob.append(0)
        off = len(self.blob)
        self.blob += data
        return off

    def tag(self, name: str | int, value: int) -> None:
        self.dynamic.append((DT[name] if isinstance(name, str) else name, value))

    def build(self) -> bytes:
        entries = b"".join(struct.pack("<qQ", t, v & (2**64 - 1)) for t, v in self.dynamic) + bytes(16)
        dyn = self.add(entries)
        size = len(self.blob)
        struct.pack_into(
            "<4sBBBBB7xHHIQQQIHHHHHH",
            self.blob,
            0,
            b"\x7fELF",
            2,
            1,
            1,
            0,
            0,
            3,
            62,
            1,
            0,
            64,
            0,
            0,
            64,
            56,
            2,
            64,
            0,
            0,
        )
        struct.pack_into("<IIQQQQQQ", self.blob, 64, 1, 5, 0, 0, 0, size, size, 0x1000)
        struct.pack_into("<IIQQQQQQ", self.blob, 120, 2, 6, dyn, dyn, dyn, len(entries), len(entries), 8)
        return bytes(self.blob)


def _needed_shared(rng: random.Random) -> bytes:
    b = ElfBuilder()
    strtab = b"\0" + b"l" * rng.choice((100, 5000, 20000)) + b".so\0"
    st = b.add(strtab, 1)
    b.tag("STRTAB", st)
    b.tag("STRSZ", len(strtab))
    for _ in range(rng.choice((1000, 20000, 60000))):
        b.tag("NEEDED", 1)
    return b.build()


def _verneed_shared(rng: random.Random, define: bool) -> bytes:
    b = ElfBuilder()
    strtab = b"\0" + b"V" * rng.choice((100, 4000, 20000)) + b"\0libc.so.6\0"
    st = b.add(strtab, 1)
    count = rng.choice((100, 4000, 16000))
    aux = rng.choice((1, 4))
    if define:  # Verdef (20 bytes) + Verdaux (8 bytes) each, all naming string 1
        recs = b"".join(
            struct.pack("<HHHHIII", 1, 0, i + 1, aux, 0, 20, 20 + 8 * aux if i < count - 1 else 0)
            + b"".join(struct.pack("<II", 1, 8 if j < aux - 1 else 0) for j in range(aux))
            for i in range(count)
        )
        b.tag("VERDEF", b.add(recs))
        b.tag("VERDEFNUM", count)
    else:  # Verneed (16 bytes) + Vernaux (16 bytes) each
        recs = b"".join(
            struct.pack("<HHIII", 1, aux, 1, 16, 16 + 16 * aux if i < count - 1 else 0)
            + b"".join(struct.pack("<IHHII", 0, 0, j + 2, 1, 16 if j < aux - 1 else 0) for j in range(aux))
            for i in range(count)
        )
        b.tag("VERNEED", b.add(recs))
        b.tag("VERNEEDNUM", count)
    b.tag("STRTAB", st)
    b.tag("STRSZ", len(strtab))
    b.tag("NEEDED", len(strtab) - 10)
    return b.build()


def _gnu_hash(rng: random.Random) -> bytes:
    b = ElfBuilder()
    strtab = b"\0libc.so.6\0f\0"
    st = b.add(strtab, 1)
    n = rng.choice((1000, 100000, 1000000, 4000000))
    ends = rng.random() < 0.6
    chain = bytearray(4 * n)
    if ends:
        struct.pack_into("<I", chain, 4 * (n - 1), 1)
    head = struct.pack("<IIII", 1, 1, 1, 6) + struct.pack("<Q", 2**64 - 1) + struct.pack("<I", 1)
    b.tag("GNU_HASH", b.add(head + bytes(chain)))
    syms = b.add(bytes(24) + struct.pack("<IBBHQQ", 11, 0x12, 0, 0, 0, 0))
    b.tag("SYMTAB", syms)
    b.tag("SYMENT", 24)
    b.tag("STRTAB", st)
    b.tag("STRSZ", len(strtab))
    b.tag("NEEDED", 1)
    return b.build()


def _sysv_hash(rng: random.Random) -> bytes:
    b = ElfBuilder()
    strtab = b"\0libc.so.6\0"
    st = b.add(strtab, 1)
    b.tag("HASH", b.add(struct.pack("<II", 1, rng.choice((0xFFFFFFFF, 1 << 28, 5_000_000))) + bytes(8)))
    b.tag("SYMTAB", b.add(bytes(48)))
    b.tag("SYMENT", 24)
    b.tag("VERSYM", b.add(bytes(4)))
    b.tag("STRTAB", st)
    b.tag("STRSZ", len(strtab))
    return b.build()


def _symbols_shared(rng: random.Random) -> bytes:
    b = ElfBuilder()
    strtab = b"\0libc.so.6\0" + b"s" * rng.choice((100, 5000)) + b"\0GLIBC_2.99\0"
    st = b.add(strtab, 1)
    n = rng.choice((1000, 50000, 200000))
    sym_name = 11
    syms = bytes(24) + struct.pack("<IBBHQQ", sym_name, 0x12, 0, 0, 0, 0) * (n - 1)
    b.tag("SYMTAB", b.add(syms))
    b.tag("SYMENT", 24)
    b.tag("HASH", b.add(struct.pack("<II", 1, n) + bytes(4) + bytes(4 * n)))
    b.tag("VERSYM", b.add(struct.pack("<H", 0) + struct.pack("<H", 2) * (n - 1)))
    ver = len(strtab) - 12
    b.tag("VERNEED", b.add(struct.pack("<HHIII", 1, 1, 1, 16, 0) + struct.pack("<IHHII", 0, 0, 2, ver, 0)))
    b.tag("VERNEEDNUM", 1)
    b.tag("STRTAB", st)
    b.tag("STRSZ", len(strtab))
    b.tag("NEEDED", 1)
    return b.build()


def _rpath(rng: random.Random) -> bytes:
    b = ElfBuilder()
    n = rng.choice((100, 3000, 30000))
    parts = rng.choice((["$ORIGIN/../x"], ["$ORIGIN"], ["/usr/lib", "$ORIGIN/$ORIGIN/$LIB"], [""]))
    rpath = ":".join(parts[i % len(parts)] + f"/{i}" for i in range(n)).encode()
    strtab = b"\0libneeded.so.1\0" + rpath + b"\0"
    st = b.add(strtab, 1)
    b.tag("STRTAB", st)
    b.tag("STRSZ", len(strtab))
    b.tag(rng.choice(("RPATH", "RUNPATH")), 16)
    for _ in range(rng.choice((1, 50))):
        b.tag("NEEDED", 1)
    return b.build()


def _lib(soname: str, needed: list[str], rpath: str) -> bytes:
    b = ElfBuilder()
    strings = [soname, rpath, *needed]
    strtab = b"\0" + b"\0".join(s.encode() for s in strings) + b"\0"
    offs, pos = [], 1
    for s in strings:
        offs.append(pos)
        pos += len(s.encode()) + 1
    b.tag("STRTAB", b.add(strtab, 1))
    b.tag("STRSZ", len(strtab))
    b.tag("SONAME", offs[0])
    b.tag("RPATH", offs[1])
    for o in offs[2:]:
        b.tag("NEEDED", o)
    return b.build()


def _graph(rng: random.Random) -> list[Member]:
    k = rng.choice((6, 9, 12, 16))
    names = [f"lib{i}.so" for i in range(k)]
    rpath = (
        ":".join(f"$ORIGIN/../d{i}" for i in range(k))
        + ":$ORIGIN:"
        + ":".join(f"$ORIGIN/../d{i}/../d{(i + 1) % k}" for i in range(k))
    )
    members = [
        Member(f"d{i}/{n}".encode(), _lib(n, [m for m in names if m != n] + ["libmissing.so.9"], rpath))
        for i, n in enumerate(names)
    ]
    members.append(Member(b"d0/_ext.cpython-311-x86_64-linux-gnu.so", _lib("_ext.so", names, rpath)))
    return members


def _many_tiny(rng: random.Random) -> list[Member]:
    n = rng.choice((1000, 5000, 20000))
    payloads = []
    for i in range(16):
        lib = _lib(f"libt{i}.so", [f"libt{(i + 1) % 16}.so", "libc.so.6"], "$ORIGIN")
        payloads.append((lib, compress(DEFLATED, lib)))
    return [
        Member(f"t/libt{i}.so".encode(), payloads[i % 16][0], payload=payloads[i % 16][1]) for i in range(n)
    ]


def gen_amplification(rng: random.Random, d: Path) -> Case:
    """A crafted ELF (or a zip of them) whose tables multiply a few bytes into work or memory."""
    kind = rng.choice(
        (
            "needed-shared",
            "verneed-shared",
            "verdef-shared",
            "gnu-hash",
            "sysv-hash",
            "symbols-shared",
            "rpath",
            "graph",
            "many-tiny",
        )
    )
    members: list[Member]
    if kind == "graph":
        members = _graph(rng)
    elif kind == "many-tiny":
        members = _many_tiny(rng)
    else:
        data = {
            "needed-shared": _needed_shared,
            "gnu-hash": _gnu_hash,
            "sysv-hash": _sysv_hash,
            "symbols-shared": _symbols_shared,
            "rpath": _rpath,
        }.get(kind)
        elf = data(rng) if data else _verneed_shared(rng, define=kind == "verdef-shared")
        if rng.random() < 0.3:
            (d / "libamp.so").write_bytes(elf)
            return Case("amplification", kind, artifact_argv(rng, "libamp.so"), str(d), ARTIFACT_EXITS)
        members = [Member(b"pkg/_ext.cpython-311-x86_64-linux-gnu.so", elf, method=DEFLATED)]
    (d / "amp.zip").write_bytes(build_zip(members))
    return Case("amplification", kind, artifact_argv(rng, "amp.zip"), str(d), ARTIFACT_EXITS)
