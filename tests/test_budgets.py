"""Issue 11: every crafted input that used to take gigabytes or hang is bounded by a budget of ``abigate.limits``.

Each input is built here, in-process, and small. Where the bound is about memory, the scan runs in a
subprocess whose peak RSS is measured (and whose address space is capped, so that a regression fails fast
with an error rather than taking the machine's memory); where it is about time, the work is bounded by a
budget whose exhaustion is asserted, never by a timer.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from conftest import M, make_zip, write_zip

from abigate import archive, elf
from abigate.limits import Limits
from abigate.scan import scan_path

DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_SYMTAB, DT_RPATH = 0, 1, 5, 10, 6, 15
DT_GNU_HASH, DT_VERNEED, DT_VERNEEDNUM, DT_VERDEF, DT_VERDEFNUM = 0x6FFFFEF5, 0x6FFFFFFE, 0x6FFFFFFF, 0x6FFFFFFC, 0x6FFFFFFD

#: peak RSS a scan of a tiny crafted input may take (the interpreter and abigate alone take ~40 MB).
RSS_BOUND_MB = 150


def build_elf(blobs: Sequence[bytes], dynamic: Callable[[list[int]], list[tuple[int, int]]]) -> bytes:
    """An ELF64 little-endian x86-64 shared object: headers, *blobs* (8-aligned), then ``PT_DYNAMIC``.

    One ``PT_LOAD`` maps the whole file at address 0, so a blob's address is its offset; *dynamic* gets the
    blobs' offsets and returns the dynamic entries (``DT_NULL`` is appended).
    """
    off = 64 + 2 * 56
    offsets = []
    body = bytearray()
    for blob in blobs:
        pad = -(off + len(body)) % 8
        body += b"\0" * pad
        offsets.append(off + len(body))
        body += blob
    body += b"\0" * (-(off + len(body)) % 8)
    entries = [*dynamic(offsets), (DT_NULL, 0)]
    dyn = b"".join(struct.pack("<qQ", tag, val) for tag, val in entries)
    dyn_off = off + len(body)
    total = dyn_off + len(dyn)
    header = (b"\x7fELF\x02\x01\x01" + b"\0" * 9
              + struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 64, 0, 0, 64, 56, 2, 64, 0, 0))
    load = struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, total, total, 0x1000)
    dynamic_ph = struct.pack("<IIQQQQQQ", 2, 6, dyn_off, dyn_off, dyn_off, len(dyn), len(dyn), 8)
    return header + load + dynamic_ph + bytes(body) + dyn


def _strtab(*strings: bytes) -> tuple[bytes, list[int]]:
    table = b"\0"
    offs = []
    for s in strings:
        offs.append(len(table))
        table += s + b"\0"
    return table, offs


def peak_rss(args: Sequence[str], tmp_path: Path, *, cap_mb: int = 1024,
             cpu_seconds: int = 60) -> tuple[int, str, str, float]:
    """``(exit code, stdout, stderr, peak RSS in MB)`` of ``python -m abigate *args`` in a fresh process.

    A wrapper process starts abigate, so that ``RUSAGE_CHILDREN`` holds abigate's peak alone; abigate's
    address space is capped at *cap_mb* and its CPU time at *cpu_seconds*, so a regression ends in an error
    (or SIGXCPU) instead of gigabytes or a hang. The CPU cap is a bound on runaway work, far above the
    expected cost, not a timing.
    """
    wrapper = textwrap.dedent(f"""
        import resource, subprocess, sys
        def cap():
            resource.setrlimit(resource.RLIMIT_AS, ({cap_mb} << 20, {cap_mb} << 20))
            resource.setrlimit(resource.RLIMIT_CPU, ({cpu_seconds}, {cpu_seconds}))
        p = subprocess.run([sys.executable, "-m", "abigate", *sys.argv[1:]], capture_output=True, text=True,
                           preexec_fn=cap)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        sys.stderr.write("\\nRSS_KB=%d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        sys.exit(p.returncode)
    """)
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, env=env,
                          check=False, cwd=tmp_path, timeout=120)
    stderr, _, rss = proc.stderr.rpartition("RSS_KB=")
    return proc.returncode, proc.stdout, stderr, int(rss) / 1024


def _assert_clean(code: int, stderr: str, rss: float) -> None:
    assert "Traceback" not in stderr and "MemoryError" not in stderr, stderr[-2000:]
    assert code in (0, 1), (code, stderr[-2000:])
    assert rss < RSS_BOUND_MB, f"peak RSS {rss:.0f} MB"


# -- ELF strings -------------------------------------------------------------------------------------------


def needed_bomb() -> bytes:
    """60,000 DT_NEEDED entries all naming one 20 KB string (issue 11: 1.7 KB zip → 3.5 GB)."""
    table, (name,) = _strtab(b"a" * 20_000)
    return build_elf([table], lambda o: [(DT_STRTAB, o[0]), (DT_STRSZ, len(table))]
                     + [(DT_NEEDED, name)] * 60_000)


def test_a_repeated_needed_string_is_kept_once() -> None:
    read = elf.read_elf_bytes(needed_bomb())
    assert read.error is None and read.elf is not None
    # 60,000 entries naming one library load it once: one fact, not 60,000 copies of 20 KB in every report.
    assert read.elf.needed == ("a" * 20_000,)


def test_repeated_needed_and_rpath_entries_keep_the_first_of_each_in_order() -> None:
    table, (a, b, rp1, rp2) = _strtab(b"liba.so", b"libb.so", b"/x:/y:/x", b"/y:/z")
    data = build_elf([table], lambda o: [(DT_STRTAB, o[0]), (DT_STRSZ, len(table)), (DT_NEEDED, b),
                                         (DT_NEEDED, a), (DT_NEEDED, b), (DT_RPATH, rp1), (DT_RPATH, rp2)])
    read = elf.read_elf_bytes(data)
    assert read.elf is not None
    assert read.elf.needed == ("libb.so", "liba.so")
    assert read.elf.rpath == ("/x", "/y", "/z")


def needed_suffix_bomb(count: int = 60_000) -> bytes:
    """*count* DT_NEEDED entries naming *distinct* strings: each a suffix of one 20 KB string."""
    table, (name,) = _strtab(b"a" * 20_000)
    return build_elf([table], lambda o: [(DT_STRTAB, o[0]), (DT_STRSZ, len(table))]
                     + [(DT_NEEDED, name + i % 19_000) for i in range(count)])


def test_verbose_scan_of_the_needed_bomb_is_not_amplified(tmp_path: Path) -> None:
    """Fuzzing tier F7: ``scan -v`` printed the 20 KB name 60,000 times (300 MB of text, 1.2 GB RSS)."""
    bomb = write_zip(tmp_path / "bomb.zip", [M("pkg/_ext.cpython-311-x86_64-linux-gnu.so", needed_bomb())])
    code, out, err, rss = peak_rss(["scan", "-v", str(bomb)], tmp_path)
    _assert_clean(code, err, rss)
    assert out.count("a" * 20_000) == 1
    assert len(out) < 1 << 20


def test_needed_bomb_is_bounded_end_to_end(tmp_path: Path) -> None:
    bomb = write_zip(tmp_path / "bomb.zip", [M("lib/libx.so", needed_bomb())])
    assert bomb.stat().st_size < 4096
    code, _out, err, rss = peak_rss(["check", "-q", "--profile", "debian-12", str(bomb)], tmp_path)
    _assert_clean(code, err, rss)
    assert code == 1  # a 20 KB library name is never found


def test_string_count_budget_is_a_finding() -> None:
    limits = Limits(max_strings_per_file=1000)
    read = elf.read_elf_bytes(needed_suffix_bomb(), limits)
    assert read.budget is not None and "1000 strings" in read.budget
    assert read.error is not None and read.error.startswith("budget exceeded")
    assert read.elf is not None and read.elf.machine == 62  # the header facts are kept


def test_string_bytes_budget_counts_distinct_strings() -> None:
    names = [b"lib%05d.so" % i + b"x" * 100 for i in range(200)]
    table, offs = _strtab(*names)
    data = build_elf([table], lambda o: [(DT_STRTAB, o[0]), (DT_STRSZ, len(table))]
                     + [(DT_NEEDED, x) for x in offs])
    assert elf.read_elf_bytes(data, Limits(max_string_bytes_per_file=200 * 111)).budget is None
    read = elf.read_elf_bytes(data, Limits(max_string_bytes_per_file=10_000))
    assert read.budget is not None and "10000 bytes" in read.budget


def _verneed_bomb(count: int) -> bytes:
    """*count* Elf_Verneed records, each needing one version, all naming one 20 KB string."""
    table, (long_name,) = _strtab(b"V" * 20_000)
    recs = bytearray()
    for i in range(count):
        nxt = 32 if i < count - 1 else 0
        recs += struct.pack("<HHIII", 1, 1, long_name, 16, nxt)
        recs += struct.pack("<IHHII", 0, 0, 2 + i % 100, long_name, 0)
    return build_elf([table, bytes(recs)], lambda o: [
        (DT_STRTAB, o[0]), (DT_STRSZ, len(table)), (DT_VERNEED, o[1]), (DT_VERNEEDNUM, count)])


def _verdef_bomb(count: int) -> bytes:
    """*count* Elf_Verdef records with 256 names each, all the same 20 KB string."""
    table, (long_name,) = _strtab(b"D" * 20_000)
    recs = bytearray()
    for i in range(count):
        nxt = 20 + 8 if i < count - 1 else 0
        recs += struct.pack("<HHHHIII", 1, 0, i + 1, 1, 0, 20, nxt)
        recs += struct.pack("<II", long_name, 0)
    return build_elf([table, bytes(recs)], lambda o: [
        (DT_STRTAB, o[0]), (DT_STRSZ, len(table)), (DT_VERDEF, o[1]), (DT_VERDEFNUM, count)])


def test_version_records_sharing_one_name_keep_it_once() -> None:
    for data in (_verneed_bomb(16_000), _verdef_bomb(16_000)):
        read = elf.read_elf_bytes(data)
        assert read.error is None and read.elf is not None
        # 16,000 records naming one (library, version) pair, or defining one name, are one fact: the loader
        # checks the pair once, and 16,000 copies of a 20 KB name made 643 MB of scan JSON (fuzzing tier).
        assert len(read.elf.version_needs) + len(read.elf.version_defs) == 1
        names = [n.version for n in read.elf.version_needs] + [d.name for d in read.elf.version_defs]
        assert names[0] in ("V" * 20_000, "D" * 20_000)


def test_repeated_version_needs_merge_their_symbols_and_weakness() -> None:
    """Two requirements of one (library, version) pair: symbols are the union; weak only when both are."""
    table, (lib, ver, sym_a, sym_b) = _strtab(b"libc.so.6", b"GLIBC_2.34", b"a_sym", b"b_sym")
    recs = struct.pack("<HHIII", 1, 2, lib, 16, 0)
    recs += struct.pack("<IHHII", 0, 2, 2, ver, 16)  # weak (VER_FLG_WEAK), index 2
    recs += struct.pack("<IHHII", 0, 0, 3, ver, 0)  # strong, index 3
    data = build_elf([table, recs], lambda o: [
        (DT_STRTAB, o[0]), (DT_STRSZ, len(table)), (DT_VERNEED, o[1]), (DT_VERNEEDNUM, 1)])
    read = elf.read_elf_bytes(data)
    assert read.elf is not None
    (need,) = read.elf.version_needs
    assert (need.library, need.version, need.weak, need.index) == ("libc.so.6", "GLIBC_2.34", False, 2)


def test_version_bombs_are_bounded_end_to_end(tmp_path: Path) -> None:
    bomb = write_zip(tmp_path / "v.zip", [M("lib/libv.so", _verneed_bomb(16_000)),
                                          M("lib/libd.so", _verdef_bomb(16_000))])
    code, _out, err, rss = peak_rss(["check", "-q", "--profile", "debian-12", str(bomb)], tmp_path)
    _assert_clean(code, err, rss)
    code, out, err, rss = peak_rss(["scan", "--format", "json", str(bomb)], tmp_path)
    _assert_clean(code, err, rss)
    assert len(out) < 1 << 20  # the output is not amplified either


# -- tables walked -----------------------------------------------------------------------------------------


class _Counting:
    """A forward-only stream over bytes that counts its reads (an inflating zip member behaves so)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.reads = 0

    def read(self, n: int = -1, /) -> bytes:
        self.reads += 1
        end = len(self.data) if n < 0 else min(len(self.data), self.pos + n)
        out = self.data[self.pos:end]
        self.pos = end
        return out

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0, /) -> int:
        raise OSError("not seekable")


def gnu_hash_chain(entries: int) -> bytes:
    """An ELF whose only DT_GNU_HASH chain runs over *entries* words with the end bit never set."""
    table, _ = _strtab(b"libc.so.6")
    gnu = struct.pack("<IIII", 1, 1, 1, 6) + b"\0" * 8 + struct.pack("<I", 1) + b"\0" * (4 * entries)
    return build_elf([table, b"\0" * 24, gnu], lambda o: [
        (DT_STRTAB, o[0]), (DT_STRSZ, len(table)), (DT_SYMTAB, o[1]), (DT_GNU_HASH, o[2])])


def test_a_hash_chain_that_never_ends_is_read_in_blocks() -> None:
    data = gnu_hash_chain(2_000_000)  # 8 MB of chain: one read per entry took minutes on a zip member
    stream = _Counting(data[4096:])
    read = elf.read_elf(data[:4096], stream, len(data))
    assert read.error is not None  # the chain's end lies in the dynamic section: too many symbols for the file
    assert stream.reads < 1000, stream.reads


def test_a_hash_chain_longer_than_the_budget_is_a_finding() -> None:
    read = elf.read_elf_bytes(gnu_hash_chain(300_000), Limits(max_table_entries=100_000))
    assert read.budget is not None and "100000 entries" in read.budget


def test_hash_chain_in_a_compressed_member_end_to_end(tmp_path: Path) -> None:
    bomb = write_zip(tmp_path / "chain.zip", [M("lib/libx.so", gnu_hash_chain(4_000_000))])
    assert bomb.stat().st_size < 64 << 10
    code, out, err, rss = peak_rss(["scan", "--format", "json", str(bomb)], tmp_path)
    assert code == 1 and "Traceback" not in err, err[-2000:]
    assert rss < RSS_BOUND_MB
    (nf,) = json.loads(out)["artifacts"][0]["native_files"]
    assert nf["error"]


# -- symlinks ----------------------------------------------------------------------------------------------


def _link_maze(count: int = 40) -> dict[str, str]:
    """*count* links whose 4 KiB texts walk through each other: ``l{i}`` → ``x/x/…/../../…/l{i+1}``.

    Each hop goes 800 folders down and back up: a join of the path reached per component made one link
    cost 800² steps per hop, 40 hops per link, for every link.
    """
    body = "x/" * 800 + "../" * 800
    return {f"l{i}": f"{body}l{(i + 1) % count}" for i in range(count)}


def test_link_resolution_is_bounded_per_link() -> None:
    links = _link_maze()
    resolved, problem = archive.resolve_link("l0", links["l0"], links)
    assert (resolved, problem) == (None, "budget-exceeded")
    # Within the step budget the same walk ends as the kernel's would: 40 hops, then a loop.
    assert archive.resolve_link("l0", links["l0"], links, max_steps=1 << 30)[1] == "symlink-loop"


def test_link_resolution_is_bounded_per_artifact() -> None:
    links = {f"d/l{i}": "../" + "a/" * 100 + f"t{i}" for i in range(100)}
    budget = [1000]
    outcomes = [archive.resolve_link(name, text, links, budget=budget) for name, text in links.items()]
    assert outcomes[0] == ("a/" * 100 + "t0", None)
    assert outcomes[-1] == (None, "budget-exceeded")


def test_crafted_links_in_a_zip_end_in_a_finding(tmp_path: Path) -> None:
    links = _link_maze()
    bomb = write_zip(tmp_path / "links.zip", [M(name, link=text) for name, text in links.items()])
    facts = scan_path(bomb, jobs=1)
    kinds = {p.kind for p in facts.problems}
    assert "budget-exceeded" in kinds


# -- Mach-O ------------------------------------------------------------------------------------------------


def fat_at_one_offset(slices: int = 30, cmds: int = 255, cmdsize: int = 65536) -> bytes:
    """A fat file whose *slices* entries all name one thin dylib with *cmds* 64 KiB LC_LOAD_DYLIB commands."""
    cmd = struct.pack("<IIIIII", 0xC, cmdsize, 24, 0, 0, 0) + b"a" * (cmdsize - 25) + b"\0"
    thin = struct.pack("<4siiIIIII", b"\xcf\xfa\xed\xfe", 0x01000007, 3, 6, cmds, cmds * cmdsize, 0, 0)
    thin += cmd * cmds
    fat = struct.pack(">II", 0xCAFEBABE, slices)
    fat += struct.pack(">iiIII", 0x01000007, 3, 4096, len(thin), 12) * slices
    return fat + b"\0" * (4096 - len(fat)) + thin


def test_fat_slices_at_one_offset_are_read_once() -> None:
    from abigate.macho import read_macho

    data = fat_at_one_offset()
    read = read_macho(data[:4096], _Counting(data[4096:]), len(data))
    assert read.error is None and read.macho is not None
    assert len(read.macho.arches) == 30
    assert len({id(a) for a in read.macho.arches}) == 1


def test_fat_slices_together_have_one_budget() -> None:
    from abigate.macho import read_macho

    # Two distinct slices of 9 MiB of load commands each: 18 MiB in all, past the 16 MiB budget.
    one = fat_at_one_offset(slices=1, cmds=144)
    thin = one[4096:]
    fat = struct.pack(">II", 0xCAFEBABE, 2) + struct.pack(">iiIII", 0x01000007, 3, 4096, len(thin), 12) \
        + struct.pack(">iiIII", 0x0100000C, 0, 4096 + len(thin), len(thin), 12)
    data = fat + b"\0" * (4096 - len(fat)) + thin + thin
    read = read_macho(data[:4096], _Counting(data[4096:]), len(data))
    assert read.budget is not None and "load commands" in read.budget


def test_fat_bomb_is_bounded_end_to_end(tmp_path: Path) -> None:
    bomb = write_zip(tmp_path / "fat.zip", [M("lib/libx.dylib", fat_at_one_offset())])
    assert bomb.stat().st_size < 200 << 10
    code, _out, err, rss = peak_rss(["check", "-q", "--profile", "debian-12", str(bomb)], tmp_path)
    _assert_clean(code, err, rss)


# -- zip structure -----------------------------------------------------------------------------------------


def _raw_zip(blob: bytes, entries: list[tuple[str, int, int]]) -> bytes:
    """*blob* (local headers and data, written by the caller) + a central directory of stored *entries*
    ``(name, local header offset, size)`` + the end record."""
    cd = b""
    for name, offset, size in entries:
        raw = name.encode()
        cd += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0, 0, 0, 0, 0, size, size,
                          len(raw), 0, 0, 0, 0, 0o100644 << 16, offset) + raw
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(cd), len(blob), 0)
    return blob + cd + eocd


def _local(name: str, size: int) -> bytes:
    raw = name.encode()
    return struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, size, size, len(raw), 0) + raw


def overlapping_zip(count: int = 50, kernel: int = 1 << 20) -> bytes:
    """Fifield-style: each entry's data runs over the local headers of the entries after it and a kernel."""
    names = [f"m{i:04d}.so" for i in range(count)]
    headers = [_local(n, 0) for n in names]  # sizes patched below
    total_after = [sum(len(h) for h in headers[i + 1:]) + kernel for i in range(count)]
    headers = [_local(n, total_after[i]) for i, n in enumerate(names)]
    blob = b"".join(headers) + b"\0" * kernel
    offsets = [sum(len(h) for h in headers[:i]) for i in range(count)]
    return _raw_zip(blob, [(n, offsets[i], total_after[i]) for i, n in enumerate(names)])


def test_overlapping_entries_are_not_inflated() -> None:
    c = archive.ZipContainer(archive.MemorySource(overlapping_zip()))
    bombs = [e for e in c.entries if any(k == "zip-bomb" for k, _ in e.problems)]
    assert len(bombs) == 49 and not any(e.readable for e in bombs)
    (last,) = [e for e in c.entries if e.readable]
    assert last.name == "m0049.so"


def test_entries_sharing_one_local_header_are_overlaps() -> None:
    blob = _local("k.bin", 4096) + b"\0" * 4096
    data = _raw_zip(blob, [(f"k{i}.bin", 0, 4096) for i in range(100)])
    c = archive.ZipContainer(archive.MemorySource(data))
    assert sum(e.readable for e in c.entries) == 1


def test_real_zips_have_no_overlaps(tmp_path: Path) -> None:
    data = make_zip([M("a.so", b"x" * 5000), M("b/", directory=True), M("c.txt", "hi"), M("d.bin", b"")])
    c = archive.ZipContainer(archive.MemorySource(data))
    assert all(e.readable and not e.problems for e in c.entries)


def test_an_end_record_that_undercounts_does_not_pass_the_member_limit() -> None:
    data = bytearray(make_zip([M(f"f{i}.txt", "x", compression=0) for i in range(300)]))
    at = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, at + 8, 1, 1)  # "1 entry on this disk, 1 in all"
    c = archive.ZipContainer(archive.MemorySource(bytes(data)), Limits(max_members=100))
    assert [k for k, _ in c.problems] == ["too-many-members"]
    assert c.entries == []


def _nested_chain(tmp_path: Path, levels: int, pad: int) -> Path:
    """Zips nested *levels* deep, each compressed inside the next, each inner one holding *pad* bytes of
    stored zeros (so it is large once inflated, small compressed).

    Written to disk as it is built (memory-light); the outermost zip is a few hundred KB.
    """
    import zipfile

    inner: Path | None = None
    zeros = b"\0" * (1 << 20)
    for level in range(levels):
        path = tmp_path / f"level{level}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            if level < levels - 1:
                with zf.open(zipfile.ZipInfo("pad.bin"), "w", force_zip64=True) as fh:
                    for _ in range(pad >> 20):
                        fh.write(zeros)
            if inner is not None:
                zf.write(inner, "inner.zip", compress_type=zipfile.ZIP_DEFLATED)
                inner.unlink()
        inner = path
    assert inner is not None
    outer = tmp_path / "outer.zip"
    inner.rename(outer)
    return outer


def test_compressed_nested_zips_spill_instead_of_filling_memory(tmp_path: Path) -> None:
    outer = _nested_chain(tmp_path, levels=4, pad=48 << 20)
    assert outer.stat().st_size < 1 << 20
    code, _out, err, rss = peak_rss(["check", "-q", "--profile", "debian-12", str(outer)], tmp_path)
    _assert_clean(code, err, rss)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outer.zip"]  # no temporary file left behind


# -- decoders ----------------------------------------------------------------------------------------------


def _lzma_member(data: bytes, dict_size: int) -> bytes:
    """A zip whose one LZMA member (an ELF file) claims a dictionary of *dict_size* bytes."""
    import zipfile

    raw = bytearray(make_zip([M("lib/libz.so", data, compression=zipfile.ZIP_LZMA)]))
    at = raw.find(b"PK\x03\x04")
    name_len, extra_len = struct.unpack_from("<HH", raw, at + 26)
    props = at + 30 + name_len + extra_len + 4  # after the 4-byte LZMA version/size header
    struct.pack_into("<I", raw, props + 1, dict_size)
    return bytes(raw)


def _elf_with_far_dynamic(size: int) -> bytes:
    """An ELF file whose PT_DYNAMIC follows *size* bytes that compress about 60:1 (read through)."""
    import random

    rng = random.Random(size)
    pad = b"".join(rng.randbytes(16) + b"\0" * 1008 for _ in range(size >> 10))
    table, (lib,) = _strtab(b"libc.so.6")
    return build_elf([table, pad], lambda o: [(DT_STRTAB, o[0]), (DT_STRSZ, len(table)), (DT_NEEDED, lib)])


def test_an_lzma_dictionary_beyond_the_member_is_never_allocated(tmp_path: Path) -> None:
    # A 4 GiB dictionary claimed by a 2 MiB member: decoded with a 2 MiB one, the same bytes.
    path = tmp_path / "small.zip"
    path.write_bytes(_lzma_member(_elf_with_far_dynamic(2 << 20), 0xFFFFFFFF))
    facts = scan_path(path, jobs=1)
    assert facts.problems == ()
    (nf,) = facts.native_files
    assert nf.error is None and nf.elf is not None and nf.elf.needed == ("libc.so.6",)


def test_an_lzma_dictionary_beyond_the_budget_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    path.write_bytes(_lzma_member(_elf_with_far_dynamic(6 << 20), 0xFFFFFFFF))
    facts = scan_path(path, jobs=1, max_decoder_memory=4 << 20)
    assert [(p.kind, "decoder memory" in p.message) for p in facts.problems] == [("budget-exceeded", True)]
    code, _out, err, rss = peak_rss(["check", "-q", "--profile", "debian-12", str(path)], tmp_path)
    _assert_clean(code, err, rss)


# -- sparse files ------------------------------------------------------------------------------------------


def test_a_sparse_file_in_a_folder_is_read_bounded(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    with open(folder / "big.bin", "wb") as fh:
        fh.truncate(3 << 29)  # 1.5 GiB, no block written
    (folder / "lib.so").write_bytes(_elf_with_far_dynamic(4096))
    code, _out, err, rss = peak_rss(["check", "-q", "--profile", "debian-12", str(folder)], tmp_path)
    _assert_clean(code, err, rss)


# -- the resolver ------------------------------------------------------------------------------------------


def _library(soname: str, needed: Sequence[str], rpath: str = "") -> bytes:
    strings = [soname.encode(), *(n.encode() for n in needed)] + ([rpath.encode()] if rpath else [])
    table, offs = _strtab(*strings)
    return build_elf([table], lambda o: [(DT_STRTAB, o[0]), (DT_STRSZ, len(table)), (14, offs[0])]
                     + [(DT_NEEDED, x) for x in offs[1:1 + len(needed)]]
                     + ([(DT_RPATH, offs[-1])] if rpath else []))


def test_libraries_that_all_need_each_other_through_every_folder(tmp_path: Path) -> None:
    # Issue 11: ten libraries, each needing the nine others, with an RPATH to every folder: the old resolver
    # walked every loading order (factorial).
    names = [f"libm{i}.so" for i in range(10)]
    rpath = ":".join(f"$ORIGIN/../d{i}" for i in range(10))
    members = [M(f"d{i}/{name}", _library(name, [n for n in names if n != name] + ["libc.so.6"], rpath))
               for i, name in enumerate(names)]
    bomb = write_zip(tmp_path / "mesh.zip", members)
    code, out, err, rss = peak_rss(["check", "--format", "json", "--profile", "debian-12", str(bomb)], tmp_path)
    _assert_clean(code, err, rss)
    assert code == 0, out[-2000:]


def test_thousands_of_tiny_elf_files_resolve() -> None:
    # Issue 11: 20,000 tiny ELF files met a quadratic loop in resolve.py (since rebuilt: about 0.2 ms a file,
    # linear). Their facts are built here, each an extension needing one bundled library; 3,000 keep the test
    # short (a quadratic walk would still be 9 M steps).
    from abigate.resolve import resolve_artifact
    from abigate.rules.testing import artifact, glibc_profile, native
    from abigate.rules.testing import elf as elf_facts

    shared = native("pkg/libshared.so", elf_facts(soname="libshared.so", needed=("libc.so.6",)))
    exts = [native(f"pkg/m{i}.cpython-311-x86_64-linux-gnu.so",
                   elf_facts(needed=("libshared.so", "libc.so.6"), runpath=("$ORIGIN",)))
            for i in range(3_000)]
    facts = artifact("many.whl", [shared, *exts])
    resolution = resolve_artifact(facts, glibc_profile("glibc-2.28", version=(2, 28)))
    outcome = resolution.get("pkg/m2999.cpython-311-x86_64-linux-gnu.so", "libshared.so")
    assert outcome is not None and outcome.kind == "bundled" and outcome.member == "pkg/libshared.so"
    assert len(resolution.entries) == 2 * 3_000 + 1


def _searches(members: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Folder searches made resolving *members* tiny libraries that each load a cycle of 16 through
    ``$ORIGIN`` (the fuzzing tier's many-tiny zip: only the first 16 are found by any name)."""
    from abigate import resolve
    from abigate.rules.testing import artifact, glibc_profile, native
    from abigate.rules.testing import elf as elf_facts

    files = [native(f"t/libt{i}.so", elf_facts(soname=f"libt{i % 16}.so",
                                                needed=(f"libt{(i + 1) % 16}.so", "libc.so.6"), rpath=("$ORIGIN",)))
             for i in range(members)]
    searches = 0
    real_search = resolve._Resolver._search

    def counting(self: resolve._Resolver, *args: object) -> resolve.Resolved:
        nonlocal searches
        searches += 1
        return real_search(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(resolve._Resolver, "_search", counting)
    resolution = resolve.resolve_artifact(artifact("tiny.zip", files), glibc_profile("glibc-2.28", version=(2, 28)))
    assert resolution.budget is None
    outcome = resolution.get(f"t/libt{members - 1}.so", "libt0.so")
    assert outcome is not None and outcome.kind == "bundled" and outcome.member == "t/libt0.so"
    return searches


def test_roots_sharing_one_closure_search_it_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fuzzing tier F11: each of 20,000 tiny libraries was a root of its own, and the 16 libraries of the
    cycle it loads were searched again for every root (their inherited path differed only by which root
    began the chain): 32 searches a root, seconds a profile. A folder already on the path adds nothing, so
    paths are interned by what they search, and a library walked with the same path is not walked again."""
    searches = _searches(2_000, monkeypatch)
    assert searches <= 3 * 2_000 + 64


def test_an_rpath_of_30000_folders_is_searched_in_linear_time(tmp_path: Path) -> None:
    """Fuzzing tier F11: the folders searched were a list checked with ``in`` (30,000 folders: 10 s a name).
    The finding names the first 50 folders and counts the rest."""
    rpath = ":".join(f"$ORIGIN/../x/{i}" for i in range(30_000))
    ext = _library("_ext.so", ["libneeded.so.1"], rpath)
    bomb = write_zip(tmp_path / "rpath.zip", [M("pkg/_ext.cpython-311-x86_64-linux-gnu.so", ext)])
    code, out, err, rss = peak_rss(["check", "--format", "json", "-p", "ubuntu-20.04", "-p", "debian-12", str(bomb)],
                                   tmp_path, cpu_seconds=5)
    _assert_clean(code, err, rss)
    details = [d for f in json.loads(out)["artifacts"][0]["findings"] for d in f["details"]]
    assert any(d.startswith("searched in the artifact: x/0, x/1,") and d.endswith(" and 29,950 more")
               for d in details), details


# -- issue 10: a giant's string table on the second pass ---------------------------------------------------


def test_a_second_pass_keeps_a_large_string_table_compressed(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_elf import _ForwardOnly
    from test_elf_layouts import SMALL_PREFIX, patchelf_layout

    data = patchelf_layout()
    expected = elf.read_elf_bytes(data)
    monkeypatch.setattr(elf, "PREFIX_CAP", SMALL_PREFIX)
    monkeypatch.setattr(elf, "PACK_STRTAB_FROM", 0)
    monkeypatch.setattr(elf._PackedTable, "BLOCK", 7)  # strings and needles straddle blocks
    packed: list[int] = []
    real_init = elf._PackedTable.__init__

    def spy(self: elf._PackedTable, size: int) -> None:
        packed.append(size)
        real_init(self, size)

    monkeypatch.setattr(elf._PackedTable, "__init__", spy)
    streamed = elf.read_elf(data[:4096], _ForwardOnly(io.BytesIO(data[4096:])), len(data),
                            reopen=lambda: _ForwardOnly(io.BytesIO(data)))
    assert packed, "the second pass packed .dynstr"
    assert streamed == expected


def test_packed_table_lookups() -> None:
    table = b"\0libc.so.6\0PyInit_x\0GLIBC_2.17\0PyInit_yy\0tail-without-nul"
    packed = elf._PackedTable(len(table))
    packed.BLOCK = 5  # type: ignore[misc]
    for i in range(0, len(table), 3):
        packed.feed(table[i:i + 3])
    packed.finish()
    for off in range(len(table)):
        assert elf._cstr(packed, off) == elf._cstr(table, off)
    assert elf._find_all(packed, (b"PyInit", b"GLIBC_")) == elf._find_all(table, (b"PyInit", b"GLIBC_"))
    assert packed[3:20] == table[3:20] and len(packed) == len(table)


def test_bytes_inflated_per_artifact_are_budgeted_across_nested_zips(tmp_path: Path) -> None:
    elf_file = _elf_with_far_dynamic(1 << 20)
    inner = make_zip([M(f"lib/l{i}.so", elf_file) for i in range(4)])
    path = write_zip(tmp_path / "outer.zip", [M("a.so", elf_file), M("inner.zip", inner)])
    assert scan_path(path, jobs=1).problems == ()
    facts = scan_path(path, jobs=1, limits=Limits(max_inflated_per_artifact=3 << 20))
    problems = [p for a in facts.walk() for p in a.problems if p.kind == "budget-exceeded"]
    assert len(problems) == 1 and "inflated for this artifact" in problems[0].message


# -- long path names (fuzzing tier F8) ---------------------------------------------------------------------


def _deep_name(depth: int) -> str:
    return "d/" * depth + "libdeep.so"


def test_a_tar_member_50000_folders_deep_is_bounded(tmp_path: Path) -> None:
    """A 100 KB GNU long name made the findings' rollup build every dotted module name: 1.5 GB, exit 3."""
    import tarfile

    layer = tmp_path / "layer.tar"
    with tarfile.open(layer, "w", format=tarfile.GNU_FORMAT) as tf:
        info = tarfile.TarInfo(_deep_name(50_000))
        data = needed_bomb()[:200]  # an ELF header the reader rejects as truncated: one finding on the member
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    code, out, err, rss = peak_rss(["check", "-p", "manylinux2014_x86_64", "-j", "1", str(layer)], tmp_path)
    _assert_clean(code, err, rss)
    assert code == 1 and "libdeep.so" in out


def test_an_image_path_longer_than_path_max_is_a_budget_finding(tmp_path: Path) -> None:
    """In a container layer, a path no loader can open is skipped with ABG005, not walked folder by folder
    (which took 17 s and 2 GB, ending in MemoryError, for one 100 KB name)."""
    from imagebuild import Item, docker_save

    image = docker_save(tmp_path / "img.tar", [[Item("usr/lib/x.so", b"hi")],
                                                [Item(_deep_name(50_000), needed_bomb()[:200])]])
    code, out, err, rss = peak_rss(["check", "-p", "debian-12", "--format", "json", str(image)], tmp_path)
    _assert_clean(code, err, rss)
    findings = json.loads(out)["artifacts"][0]["findings"]
    (budget,) = [f for f in findings if f["code"] == "ABG005"]
    assert "longer than the 4096" in budget["message"]
    assert Limits().max_path_bytes == 4096
