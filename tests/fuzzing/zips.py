"""Zip files written byte by byte, so every field can lie: structure attacks and resource attacks.

``zip`` family — the container itself: truncated or bit-flipped central directories, end records whose
counts, sizes or offsets lie, entries that overlap (two central entries on one local header, Fifield
style), zip64 records with absurd values, the encryption flag, unsupported methods, member names with
``../``, absolute paths, NUL, backslashes, non-UTF-8 bytes and duplicates, symlink members (loops, chains,
absolute or escaping targets, 4 KiB link texts).

``resource`` family — what costs memory or time: declared bombs (a small member claiming gigabytes),
actual bombs (deflate, bzip2 and LZMA of zeros), an LZMA member claiming a 4 GiB dictionary, nested zips
and tars (deep, compressed, holding a bomb), huge member counts, an end record claiming one entry over a
central directory of thousands, many tiny ELF files, and gzip/xz/bzip2 tar bombs.
"""

from __future__ import annotations

import bz2
import functools
import io
import lzma
import random
import struct
import tarfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

from fuzzing.case import ARTIFACT_EXITS, Case
from fuzzing.common import artifact_argv, interesting_int
from fuzzing.seeds import pick_elf

__all__ = ["Member", "build_zip", "compress", "gen_resource", "gen_zip", "package_members"]

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14
S_IFLNK, S_IFREG = 0o120000, 0o100000


@dataclass
class Member:
    """One zip member; every ``None`` field is computed honestly, anything else is written as given."""

    name: bytes
    data: bytes = b""
    method: int = DEFLATED
    payload: bytes | None = None  # the compressed bytes as stored
    flags: int = 0
    mode: int | None = S_IFREG | 0o644
    crc: int | None = None
    usize: int | None = None
    csize: int | None = None
    local_name: bytes | None = None
    offset_of: int | None = None  # central entry points at this earlier member's local header
    zip64: bool = False


def compress(method: int, data: bytes, *, lzma_dict: int | None = None) -> bytes:
    """*data* as a zip member of *method* stores it (LZMA with its 4-byte header and properties)."""
    if method == DEFLATED:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if method == BZIP2:
        return bz2.compress(data, 9)
    if method == LZMA:
        filt = {"id": lzma.FILTER_LZMA1, "dict_size": 1 << 20}
        raw = lzma.compress(data, format=lzma.FORMAT_RAW, filters=[filt])
        props = bytes(lzma._encode_filter_properties(filt))  # type: ignore[attr-defined]
        if lzma_dict is not None:
            props = props[:1] + struct.pack("<I", lzma_dict & 0xFFFFFFFF)
        return struct.pack("<BBH", 9, 4, len(props)) + props + raw
    return data


@functools.cache
def zeros_bomb(method: int, size: int) -> bytes:
    """*size* zero bytes compressed with *method* (cached: a 1 GiB deflate bomb takes a second to make)."""
    chunk = bytes(1 << 20)
    if method == DEFLATED:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        parts = [c.compress(chunk) for _ in range(size >> 20)]
        return b"".join(parts) + c.flush()
    if method == BZIP2:
        b = bz2.BZ2Compressor(9)
        parts = [b.compress(chunk) for _ in range(size >> 20)]
        return b"".join(parts) + b.flush()
    filt = {"id": lzma.FILTER_LZMA1, "dict_size": 1 << 20}
    lz = lzma.LZMACompressor(format=lzma.FORMAT_RAW, filters=[filt])
    parts = [lz.compress(chunk) for _ in range(size >> 20)]
    props = bytes(lzma._encode_filter_properties(filt))  # type: ignore[attr-defined]
    return struct.pack("<BBH", 9, 4, len(props)) + props + b"".join(parts) + lz.flush()


def build_zip(
    members: list[Member],
    *,
    count: int | None = None,
    cd_offset: int | None = None,
    cd_size: int | None = None,
    zip64_eocd: bool = False,
    eocd64_count: int | None = None,
    comment: bytes = b"",
    prefix: bytes = b"",
) -> bytes:
    """A zip of *members*; the end record's fields may be overridden to lie."""
    out = io.BytesIO()
    out.write(prefix)
    offsets: list[int] = []
    centrals: list[bytes] = []
    for m in members:
        payload = compress(m.method, m.data) if m.payload is None else m.payload
        crc = zlib.crc32(m.data) if m.crc is None else m.crc
        usize = len(m.data) if m.usize is None else m.usize
        csize = len(payload) if m.csize is None else m.csize
        here = out.tell()
        offsets.append(here)
        extra = b""
        u32, c32, o32 = usize & 0xFFFFFFFF, csize & 0xFFFFFFFF, here
        if m.zip64:
            extra = struct.pack("<HHQQ", 1, 16, usize & (2**64 - 1), csize & (2**64 - 1))
            u32 = c32 = 0xFFFFFFFF
        lname = m.name if m.local_name is None else m.local_name
        out.write(
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                45 if m.zip64 else 20,
                m.flags & 0xFFFF,
                m.method & 0xFFFF,
                0,
                0x21,
                crc & 0xFFFFFFFF,
                c32,
                u32,
                len(lname) & 0xFFFF,
                len(extra),
            )
        )
        out.write(lname + extra + payload)
        if m.offset_of is not None and offsets:
            o32 = offsets[min(m.offset_of, len(offsets) - 1)]
        cextra = b""
        if m.zip64:
            cextra = struct.pack("<HHQQQ", 1, 24, usize & (2**64 - 1), csize & (2**64 - 1), o32)
            o32 = 0xFFFFFFFF
        eattr = ((m.mode or 0) << 16) & 0xFFFFFFFF
        centrals.append(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                0x0314,
                45 if m.zip64 else 20,
                m.flags & 0xFFFF,
                m.method & 0xFFFF,
                0,
                0x21,
                crc & 0xFFFFFFFF,
                c32,
                u32,
                len(m.name) & 0xFFFF,
                len(cextra),
                0,
                0,
                0,
                eattr,
                o32 & 0xFFFFFFFF,
            )
            + m.name
            + cextra
        )
    start = out.tell()
    for c in centrals:
        out.write(c)
    size = out.tell() - start
    n = len(members) if count is None else count
    off = start if cd_offset is None else cd_offset
    sz = size if cd_size is None else cd_size
    if zip64_eocd:
        here = out.tell()
        n64 = n if eocd64_count is None else eocd64_count
        out.write(
            struct.pack(
                "<4sQHHIIQQQQ",
                b"PK\x06\x06",
                44,
                45,
                45,
                0,
                0,
                n64 & (2**64 - 1),
                n64 & (2**64 - 1),
                sz & (2**64 - 1),
                off & (2**64 - 1),
            )
        )
        out.write(struct.pack("<4sIQI", b"PK\x06\x07", 0, here, 1))
        n16, sz32, off32 = 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF
    else:
        n16, sz32, off32 = n & 0xFFFF, sz & 0xFFFFFFFF, off & 0xFFFFFFFF
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n16, n16, sz32, off32, len(comment) & 0xFFFF))
    out.write(comment)
    return out.getvalue()


def package_members(rng: random.Random, *, elf: bytes | None = None) -> list[Member]:
    """An ordinary wheel-like member list: a package with one real extension and some Python files."""
    name, data = pick_elf(rng) if elf is None else ("x.so", elf)
    ext = rng.choice(
        (
            "_ext.cpython-311-x86_64-linux-gnu.so",
            "_ext.abi3.so",
            "libfoo.so.1",
            "_ext.cpython-312-x86_64-linux-gnu.so",
        )
    )
    members = [
        Member(b"pkg/__init__.py", b"from . import _ext\n"),
        Member(b"pkg/" + ext.encode(), data, method=rng.choice((STORED, DEFLATED, DEFLATED, BZIP2, LZMA))),
    ]
    if rng.random() < 0.5:
        members.append(
            Member(
                b"pkg-1.0.dist-info/WHEEL",
                b"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n",
            )
        )
    if rng.random() < 0.3:
        members.append(Member(b"pkg/more/" + name.replace("/", "_").encode(), data))
    return members


_NAMES = (
    b"../../etc/passwd",
    b"/etc/shadow",
    b"pkg/\x00evil.so",
    b"..\\..\\win.so",
    b"pkg/../../x.so",
    b"C:\\x.so",
    b"pkg//_ext.so",
    b"./pkg/_ext.so",
    b"pkg/\xff\xfe.so",
    b"",
    b"/",
    b"pkg/" + b"a" * 300,
    b"pkg/" + b"d/" * 2000 + b"x.so",
    b"\x1b[31mred.so",
    b"pkg/_ext.so\n",
    b"pkg/ .so",
    b"..",
)


def _flip(rng: random.Random, data: bytes, start: int, end: int, n: int) -> bytes:
    buf = bytearray(data)
    if end <= start:
        return data
    for _ in range(n):
        i = rng.randrange(start, end)
        buf[i] = rng.randrange(256) if rng.random() < 0.5 else buf[i] ^ (1 << rng.randrange(8))
    return bytes(buf)


def _symlinks(rng: random.Random) -> list[Member]:
    kind = rng.choice(("loop", "self", "chain", "escape", "absolute", "long", "dir-loop", "many-long"))
    lm = functools.partial(Member, method=STORED, mode=S_IFLNK | 0o777)
    if kind == "loop":
        return [lm(b"pkg/a.so", b"b.so"), lm(b"pkg/b.so", b"a.so")]
    if kind == "self":
        return [lm(b"pkg/a.so", b"a.so"), lm(b"pkg/d", b".")]
    if kind == "chain":
        n = rng.choice((10, 100, 1000))
        return [lm(f"pkg/l{i}.so".encode(), f"l{i + 1}.so".encode()) for i in range(n)]
    if kind == "escape":
        return [lm(b"pkg/a.so", b"../../../../../../etc/passwd"), lm(b"pkg/lib", b"../..")]
    if kind == "absolute":
        return [lm(b"pkg/a.so", b"/lib/x86_64-linux-gnu/libc.so.6"), lm(b"pkg/z", b"/dev/zero")]
    if kind == "long":
        return [lm(b"pkg/a.so", b"/".join([b"."] * 2048)), lm(b"pkg/b.so", b"../" * 1365 + b"b.so")]
    if kind == "dir-loop":
        return [lm(b"pkg/d1", b"d2/x"), lm(b"pkg/d2", b"../pkg/d1/y"), lm(b"pkg/e", b"d1/d2/d1/d2/e")]
    return [
        lm(f"pkg/s{i}".encode(), b"/".join([b"..", f"s{(i + 1) % 20}".encode()] * 600)) for i in range(20)
    ]


def gen_zip(rng: random.Random, d: Path) -> Case:
    """A zip whose structure is wrong somewhere."""
    members = package_members(rng)
    kind = rng.choice(
        (
            "truncate",
            "flip-cd",
            "flip-any",
            "count",
            "cd-offset",
            "overlap",
            "zip64",
            "encrypted",
            "method",
            "names",
            "duplicates",
            "symlinks",
            "sizes",
            "local-name",
            "prefix",
        )
    )
    opts: dict[str, object] = {}
    if kind == "count":
        opts["count"] = interesting_int(rng, 16)
    elif kind == "cd-offset":
        opts[rng.choice(("cd_offset", "cd_size"))] = interesting_int(rng, 32)
    elif kind == "overlap":
        for i in range(rng.randrange(2, 60)):
            members.append(Member(f"pkg/o{i}.so".encode(), b"", offset_of=rng.randrange(len(members))))
    elif kind == "zip64":
        for m in members:
            m.zip64 = rng.random() < 0.7
            if rng.random() < 0.3:
                m.usize = interesting_int(rng, 64)
        opts["zip64_eocd"] = True
        if rng.random() < 0.5:
            opts["eocd64_count"] = interesting_int(rng, 64)
        if rng.random() < 0.3:
            opts["cd_offset"] = interesting_int(rng, 64)
    elif kind == "encrypted":
        for m in members:
            if rng.random() < 0.7:
                m.flags |= rng.choice((1, 1 | 0x40, 8, 0x800 | 1))
    elif kind == "method":
        for m in members:
            m.method = rng.choice((1, 6, 9, 93, 95, 98, 99, 0xFFFF, STORED, LZMA))
    elif kind == "names":
        for m in members:
            if rng.random() < 0.6:
                m.name = rng.choice(_NAMES) + (m.name[-8:] if rng.random() < 0.5 else b"")
    elif kind == "duplicates":
        dup = rng.choice(members)
        members += [
            replace(dup, data=dup.data[: rng.randrange(len(dup.data) + 1)])
            for _ in range(rng.randrange(1, 50))
        ]
    elif kind == "symlinks":
        members += _symlinks(rng)
    elif kind == "sizes":
        for m in members:
            setattr(m, rng.choice(("usize", "csize", "crc")), interesting_int(rng, 32))
    elif kind == "local-name":
        for m in members:
            m.local_name = rng.choice(_NAMES)
    elif kind == "prefix":
        opts["prefix"] = rng.randbytes(rng.choice((1, 100, 70000)))
        if rng.random() < 0.5:
            opts["comment"] = b"PK\x05\x06" + rng.randbytes(40)
    data = build_zip(members, **opts)  # type: ignore[arg-type]
    if kind == "truncate":
        data = data[: rng.randrange(len(data))]
    elif kind == "flip-cd":
        cd = data.rfind(b"PK\x01\x02")
        data = _flip(rng, data, max(0, cd - 200), len(data), rng.randrange(1, 12))
    elif kind == "flip-any":
        data = _flip(rng, data, 0, len(data), rng.randrange(1, 40))
    name = rng.choice(("a.zip", "pkg-1.0-cp311-cp311-linux_x86_64.whl", "function.zip", "layer.zip"))
    (d / name).write_bytes(data)
    return Case("zip", kind, artifact_argv(rng, name), str(d), ARTIFACT_EXITS)


def _nest(rng: random.Random, inner: bytes, depth: int) -> bytes:
    for i in range(depth):
        method = rng.choice((STORED, DEFLATED))
        inner = build_zip([Member(f"n{i}.zip".encode(), inner, method=method)])
    return inner


@functools.cache
def tar_bomb(fmt: str, size: int) -> bytes:
    """A tar holding one member of *size* zero bytes, compressed with *fmt* (cached)."""
    info = tarfile.TarInfo("big.so")
    info.size = size
    comp: zlib._Compress | bz2.BZ2Compressor | lzma.LZMACompressor
    if fmt == "gz":
        comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    elif fmt == "xz":
        comp = lzma.LZMACompressor(preset=1)
    else:
        comp = bz2.BZ2Compressor(9)
    parts = [comp.compress(info.tobuf(format=tarfile.GNU_FORMAT))]
    chunk = bytes(1 << 20)
    parts += [comp.compress(chunk) for _ in range(size >> 20)]
    parts.append(comp.compress(bytes(1024)))
    return b"".join(parts) + comp.flush()


@functools.cache
def _padded_wheel(elf_name: str, pad: int) -> bytes:
    """A wheel holding an extension and *pad* compressible bytes (cached)."""
    from fuzzing.seeds import native

    return build_zip(
        [
            Member(b"pkg/_ext.so", native(elf_name)),
            Member(b"pad.bin", b"", payload=zeros_bomb(DEFLATED, pad), crc=0, usize=pad),
        ]
    )


def gen_resource(rng: random.Random, d: Path) -> Case:
    """An input that asks for a lot of memory or time: bombs, nesting, counts, dictionaries."""
    kind = rng.choice(
        (
            "declared",
            "actual",
            "lzma-dict",
            "nested",
            "deep",
            "nested-bomb",
            "count",
            "count-lie",
            "many-elf",
            "tar-bomb",
            "nested-compressed-big",
        )
    )
    name = "a.zip"
    if kind == "declared":
        m = Member(b"pkg/_ext.so", b"\x7fELF" + bytes(60), usize=rng.choice((1 << 31, 0xFFFFFFFF, 1 << 40)))
        data = (
            build_zip(
                [m],
            )
            if not (m.usize or 0) >> 32
            else build_zip([replace(m, zip64=True)], zip64_eocd=True)
        )
    elif kind == "actual":
        method = rng.choice((DEFLATED, DEFLATED, BZIP2, LZMA))
        size = rng.choice((64, 256, 1024)) << 20 if method == DEFLATED else rng.choice((64, 256)) << 20
        payload = zeros_bomb(method, size)
        lie = rng.random() < 0.5
        m = Member(
            rng.choice((b"pkg/_ext.so", b"data.bin", b"inner.zip")),
            b"",
            method=method,
            payload=payload,
            crc=0,
            usize=100 if lie else size & 0xFFFFFFFF,
        )
        data = build_zip([m, *package_members(rng)])
    elif kind == "lzma-dict":
        _, elf = pick_elf(rng)
        payload = compress(LZMA, elf + bytes(rng.choice((0, 1 << 20, 8 << 20))), lzma_dict=0xFFFFFFFF)
        data = build_zip([Member(b"pkg/_ext.so", elf, method=LZMA, payload=payload, crc=0, usize=len(elf))])
    elif kind == "nested":
        data = _nest(rng, build_zip(package_members(rng)), rng.randrange(1, 12))
        name = "bundle.zip"
    elif kind == "deep":
        data = _nest(rng, build_zip(package_members(rng)), rng.choice((30, 100, 400)))
    elif kind == "nested-bomb":
        inner = build_zip(
            [Member(b"pkg/_ext.so", b"", payload=zeros_bomb(DEFLATED, 256 << 20), crc=0, usize=(256 << 20))]
        )
        data = _nest(rng, inner, rng.randrange(1, 4))
    elif kind == "nested-compressed-big":
        inner = _padded_wheel(pick_elf(rng)[0], rng.choice((64, 200)) << 20)
        payload = compress(DEFLATED, inner)
        data = build_zip(
            [Member(f"w{i}.whl".encode(), inner, payload=payload) for i in range(rng.randrange(1, 4))]
        )
    elif kind == "count":
        n = rng.choice((1000, 10000, 70000))
        data = build_zip([Member(f"f/{i}.py".encode(), b"", method=STORED) for i in range(n)])
    elif kind == "count-lie":
        n = rng.choice((5000, 50000))
        members = [Member(f"f/{i}".encode(), b"", method=STORED) for i in range(n)]
        data = build_zip(members, count=1)
    elif kind == "many-elf":
        _, elf = pick_elf(rng)
        payload = compress(DEFLATED, elf)
        n = rng.choice((500, 2000, 5000, 20000))
        data = build_zip([Member(f"pkg/m{i}.so".encode(), elf, payload=payload) for i in range(n)])
    else:
        fmt = rng.choice(("gz", "xz", "bz2"))
        name, data = f"layer.tar.{fmt}", tar_bomb(fmt, rng.choice((64, 256)) << 20)
    (d / name).write_bytes(data)
    return Case("resource", kind, artifact_argv(rng, name), str(d), ARTIFACT_EXITS)
