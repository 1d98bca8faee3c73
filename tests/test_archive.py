"""The container layer: member streams, zip listing checks, hostile archives, folders, symlink resolution."""

from __future__ import annotations

import doctest
import io
import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from abigate import archive
from abigate.archive import (
    FileSource,
    FolderContainer,
    Limits,
    MemberError,
    MemorySource,
    ZipContainer,
    resolve_link,
)
from conftest import BZIP2, DEFLATED, ELF_STUB, LZMA, STORED, M, make_wheel, make_zip, patch_member

ELF = Path(__file__).resolve().parent.parent / "testdata" / "elf"


def _container(data: bytes, **limits: int) -> ZipContainer:
    return ZipContainer(MemorySource(data), Limits(**limits))  # type: ignore[arg-type]


def _entry(c: ZipContainer, name: str) -> archive.Entry:
    return next(e for e in c.entries if e.name == name)


def _read_all(c: ZipContainer, name: str, chunk: int = 7) -> tuple[bytes, list[tuple[str, str]]]:
    stream = c.open(_entry(c, name), name)
    parts = []
    while True:
        data = stream.read(chunk)
        if not data:
            break
        parts.append(data)
    return b"".join(parts), stream.problems


def test_doctests() -> None:
    assert doctest.testmod(archive).failed == 0


# -- streams ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", [STORED, DEFLATED, BZIP2, LZMA])
def test_every_supported_method_reads_back_exactly(method: int) -> None:
    payload = os.urandom(3000) + b"\0" * 200_000 + bytes(range(256)) * 50
    c = _container(make_zip([M("m.bin", payload, compression=method)]))
    data, problems = _read_all(c, "m.bin", chunk=65_537)
    assert data == payload
    assert problems == []


@pytest.mark.parametrize("chunk", [7, 4096, 1 << 20])
def test_output_held_by_zlib_after_its_last_input_byte_is_delivered(chunk: int) -> None:
    # A long run ends in matches whose output zlib still holds when the input is used up (a bug seen here).
    payload = b"a" * 1_000_000
    c = _container(make_zip([M("run.bin", payload)]))
    assert _read_all(c, "run.bin", chunk=chunk) == (payload, [])


def test_small_reads_return_exactly_what_was_asked() -> None:
    payload = bytes(range(256)) * 100
    c = _container(make_zip([M("m.bin", payload)]))
    stream = c.open(_entry(c, "m.bin"), "m.bin")
    assert stream.read(4) == payload[:4]
    assert stream.read(10_000) == payload[4:10_004]
    assert stream.read(-1) == payload[10_004:]
    assert stream.read(1) == b""


def test_stored_stream_seeks_to_offsets_inside_the_member() -> None:
    payload = bytes(range(256)) * 64
    c = _container(make_zip([M("a.txt", b"x" * 99), M("m.bin", payload, compression=STORED)]))
    stream = c.open(_entry(c, "m.bin"), "m.bin")
    assert stream.seekable()
    stream.seek(1000)
    assert stream.read(5) == payload[1000:1005]
    stream.seek(10)
    assert stream.read(3) == payload[10:13]
    stream.seek(len(payload) - 2)
    assert stream.read(100) == payload[-2:]


def test_inflate_stream_is_forward_only() -> None:
    payload = bytes(range(256)) * 64
    c = _container(make_zip([M("m.bin", payload)]))
    stream = c.open(_entry(c, "m.bin"), "m.bin")
    assert not stream.seekable()
    stream.seek(5000)  # forward: inflates and discards
    assert stream.read(3) == payload[5000:5003]
    with pytest.raises(io.UnsupportedOperation):
        stream.seek(0)


@pytest.mark.parametrize("method", [STORED, DEFLATED])
def test_crc_mismatch_is_reported_when_read_to_the_end(method: int) -> None:
    data = patch_member(make_zip([M("m.bin", b"payload" * 100, compression=method)]), "m.bin", crc=0x1234)
    _, problems = _read_all(_container(data), "m.bin")
    assert [k for k, _ in problems] == ["crc-mismatch"]


def test_crc_is_not_judged_when_the_member_is_not_read_to_its_end() -> None:
    data = patch_member(make_zip([M("m.bin", os.urandom(50_000))]), "m.bin", crc=0x1234)
    c = _container(data)
    stream = c.open(_entry(c, "m.bin"), "m.bin")
    stream.read(4096)
    assert stream.problems == []


def test_member_inflating_past_its_declared_size_stops_there() -> None:
    payload = b"A" * 10_000
    data = patch_member(make_zip([M("m.bin", payload)]), "m.bin", size=1000)
    data_read, problems = _read_all(_container(data), "m.bin", chunk=4096)
    assert data_read == payload[:1000]
    assert "zip-bomb" in [k for k, _ in problems]


def test_member_shorter_than_declared_is_truncated() -> None:
    payload = os.urandom(1000)
    data = patch_member(make_zip([M("m.bin", payload)]), "m.bin", size=5000)
    data_read, problems = _read_all(_container(data), "m.bin")
    assert data_read == payload
    assert [k for k, _ in problems] == ["truncated"]


def test_corrupt_deflate_data_ends_the_stream_with_a_problem() -> None:
    payload = os.urandom(20_000)
    raw = bytearray(make_zip([M("m.bin", payload, compression=DEFLATED)]))
    start = raw.find(b"m.bin") + len("m.bin")
    raw[start:start + 64] = b"\xff" * 64  # clobber the first deflate block header
    data_read, problems = _read_all(_container(bytes(raw)), "m.bin")
    assert len(data_read) < len(payload)
    assert problems and problems[0][0] == "corrupt-member"


def test_member_data_past_the_end_of_the_archive_is_truncated() -> None:
    data = patch_member(make_zip([M("m.bin", b"x" * 100, compression=STORED)]), "m.bin",
                        compressed_size=10_000_000, size=10_000_000)
    c = _container(data)
    with pytest.raises(MemberError) as info:
        c.open(_entry(c, "m.bin"), "m.bin")
    assert info.value.kind == "truncated"


def test_bad_local_header_signature() -> None:
    raw = bytearray(make_zip([M("a.txt", "hello"), M("b.txt", "world")]))
    first_local = raw.find(b"PK\x03\x04")
    raw[first_local:first_local + 4] = b"XX\x03\x04"
    c = _container(bytes(raw))
    with pytest.raises(MemberError) as info:
        c.open(_entry(c, "a.txt"), "a.txt")
    assert info.value.kind == "bad-local-header"
    assert _read_all(c, "b.txt")[0] == b"world"


# -- listing checks -----------------------------------------------------------------------------------


def test_directories_symlinks_and_files_are_told_apart() -> None:
    c = _container(make_zip([M("pkg/", directory=True), M("pkg/a.so", ELF_STUB), M("pkg/b.so", link="a.so")]))
    kinds = {e.name: e.type for e in c.entries}
    assert kinds == {"pkg": "dir", "pkg/a.so": "file", "pkg/b.so": "symlink"}


def test_encrypted_member_is_flagged_and_not_read() -> None:
    data = patch_member(make_zip([M("secret.so", ELF_STUB), M("ok.txt", "x")]), "secret.so", flags=1)
    c = _container(data)
    entry = _entry(c, "secret.so")
    assert not entry.readable
    assert [k for k, _ in entry.problems] == ["encrypted"]
    assert _entry(c, "ok.txt").readable


def test_unsupported_compression_is_flagged() -> None:
    data = patch_member(make_zip([M("a.bin", "x" * 100)]), "a.bin", method=9)
    entry = _entry(_container(data), "a.bin")
    assert not entry.readable
    assert entry.problems[0][0] == "unsupported-compression"
    assert "deflate64" in entry.problems[0][1]


def test_declared_zip_bombs_are_not_inflated() -> None:
    zeros = b"\0" * (2 << 20)
    c = _container(make_zip([M("ratio.bin", zeros), M("big.bin", b"y" * 10, compression=STORED)]),
                   max_ratio=10, max_member_size=1 << 30)
    assert _entry(c, "ratio.bin").problems[0][0] == "zip-bomb"
    assert _entry(c, "big.bin").readable
    data = patch_member(make_zip([M("huge.bin", "x")]), "huge.bin", size=0xFFFF_FFF0)
    huge = _entry(_container(data), "huge.bin")
    assert not huge.readable
    assert huge.problems[0][0] == "zip-bomb"


def test_zeros_at_deflates_ceiling_are_not_a_bomb() -> None:
    # onnx 1.23.1's wheel holds a 2,560,015-byte all-zero tensor deflated to 2,520 bytes (1016:1), near
    # deflate's hard ceiling of 1032:1. The default limit must accept anything deflate can really produce.
    zeros = b"\0" * 2_560_015
    c = _container(make_zip([M("input_0.pb", zeros)]))
    entry = _entry(c, "input_0.pb")
    assert entry.size > 1000 * entry.compressed_size  # the shape that used to be reported
    assert entry.readable and entry.problems == []
    assert _read_all(c, "input_0.pb", chunk=1 << 20) == (zeros, [])
    # Declaring more than deflate can yield from the same bytes is still refused, never inflated.
    lying = patch_member(make_zip([M("input_0.pb", zeros)]), "input_0.pb",
                         size=(archive.MAX_RATIO + 1) * entry.compressed_size)
    assert [k for k, _ in _entry(_container(lying), "input_0.pb").problems] == ["zip-bomb"]


def test_total_declared_size_limit_stops_inflation_after_the_limit() -> None:
    c = _container(make_zip([M(f"m{i}.bin", b"z" * 1000) for i in range(5)]), max_total_size=2500)
    assert [e.readable for e in c.entries] == [True, True, False, False, False]
    assert [k for k, _ in c.problems] == ["zip-bomb"]


def test_too_many_members_refuses_the_directory() -> None:
    c = _container(make_zip([M(f"m{i}", "x") for i in range(5)]), max_members=4)
    assert c.entries == []
    assert [k for k, _ in c.problems] == ["too-many-members"]


def test_duplicate_names_are_flagged_and_both_kept() -> None:
    c = _container(make_zip([M("a.so", ELF_STUB), M("a.so", b"other")]))
    assert [e.name for e in c.entries] == ["a.so", "a.so"]
    assert c.entries[0].problems == []
    assert [k for k, _ in c.entries[1].problems] == ["duplicate-name"]


@pytest.mark.parametrize("name", ["../evil.so", "a/../../evil.so", "/etc/evil.so", "C:/evil.so", "a\\..\\..\\x"])
def test_path_traversal_names_are_flagged_but_still_readable(name: str) -> None:
    c = _container(make_zip([M(name, ELF_STUB)]))
    (entry,) = c.entries
    assert [k for k, _ in entry.problems] == ["path-traversal"]
    assert entry.readable


@pytest.mark.parametrize("mangle", ["not-a-zip", "truncated", "bad-directory"])
def test_corrupt_archives_are_a_problem_not_an_exception(mangle: str) -> None:
    good = make_zip([M("a.so", ELF_STUB), M("b.txt", "hello")])
    if mangle == "not-a-zip":
        data = b"this is not a zip file at all" * 10
    elif mangle == "truncated":
        data = good[: len(good) // 2]
    else:
        cd = good.find(b"PK\x01\x02")
        data = good[:cd] + b"\xee" * (len(good) - cd - 22) + good[-22:]
    c = _container(data)
    assert c.entries == []
    assert [k for k, _ in c.problems] == ["corrupt-archive"]


def test_zip64_members_work() -> None:
    data = make_zip([M("pkg/a.so", ELF_STUB), M("b.txt", "hello", compression=STORED)], force_zip64=True)
    name_len, extra_len = struct.unpack_from("<HH", data, 26)
    assert data[30 + name_len:32 + name_len] == b"\x01\x00"  # really zip64: a zip64 extra field (id 1)
    assert extra_len >= 20
    c = _container(data)
    assert c.problems == []
    assert _read_all(c, "pkg/a.so")[0] == ELF_STUB
    assert _read_all(c, "b.txt") == (b"hello", [])


def test_zip64_end_records_work(monkeypatch: pytest.MonkeyPatch) -> None:
    # zipfile writes the zip64 end-of-directory records past 65,535 entries; lower its threshold instead.
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)
    data = make_zip([M("pkg/a.so", ELF_STUB), M("b.txt", "hello", compression=STORED)])
    monkeypatch.undo()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    assert archive._zip_entry_count(MemorySource(data), 10) == 2
    assert [k for k, _ in _container(data, max_members=1).problems] == ["too-many-members"]
    c = _container(data)
    assert c.problems == []
    assert _read_all(c, "pkg/a.so")[0] == ELF_STUB
    assert _read_all(c, "b.txt") == (b"hello", [])


# -- nested sources -----------------------------------------------------------------------------------


def test_stored_nested_archive_is_a_window_on_the_outer_file(tmp_path: Path) -> None:
    inner = make_zip([M("x.so", ELF_STUB)])
    outer = tmp_path / "outer.zip"
    outer.write_bytes(make_zip([M("pad.txt", "p" * 333), M("inner.whl", inner, compression=STORED)]))
    with open(outer, "rb") as fh:
        c = ZipContainer(FileSource(fh, str(outer)))
        source = c.nested_source(_entry(c, "inner.whl"), "outer.zip!inner.whl", archive.DEFAULT_LIMITS)
        assert isinstance(source, FileSource)  # zero copy: no bytes held
        location = source.disk_location()
        assert location is not None and location[0] == str(outer) and location[1] > 0
        assert source.pread(0, source.size) == inner


def test_compressed_nested_archive_is_inflated_under_a_cap() -> None:
    inner = make_zip([M("x.so", ELF_STUB)]) + b"\0" * 5000
    c = _container(make_zip([M("inner.zip", inner)]))
    source = c.nested_source(_entry(c, "inner.zip"), "inner.zip", archive.DEFAULT_LIMITS)
    assert isinstance(source, MemorySource) and source.pread(0, source.size) == inner
    # Beyond the cap: an anonymous temporary file, closed (so gone) with the source.
    spilled = c.nested_source(_entry(c, "inner.zip"), "inner.zip", Limits(max_nested_in_memory=1000))
    assert not isinstance(spilled, MemorySource) and spilled.pread(0, spilled.size) == inner
    assert spilled.pread(100, 50) == inner[100:150] and spilled.window(100, 50).pread(0, 50) == inner[100:150]
    spilled.close()
    spilled.close()  # closing twice is harmless


def test_memory_source_windows_do_not_copy() -> None:
    src = MemorySource(b"0123456789")
    win = src.window(2, 5)
    assert win.pread(0, 100) == b"23456"
    assert win.window(1, 2).pread(0, 10) == b"34"
    assert src.disk_location() is None


# -- folders ------------------------------------------------------------------------------------------


def test_folder_walk_records_links_and_never_follows_them(tmp_path: Path) -> None:
    root = tmp_path / "app"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.so").write_bytes(ELF_STUB)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.so").write_bytes(ELF_STUB)
    (root / "escape").symlink_to(outside)
    (root / "loop").symlink_to(root)
    (root / "pkg" / "b.so").symlink_to("a.so")
    c = FolderContainer(str(root))
    by_name = {e.name: e.type for e in c.entries}
    assert by_name == {"pkg": "dir", "pkg/a.so": "file", "pkg/b.so": "symlink", "escape": "symlink",
                       "loop": "symlink"}
    assert c.read_link(_entry(c, "pkg/b.so")) == "a.so"  # type: ignore[arg-type]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_folder_fifo_is_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    c = FolderContainer(str(tmp_path))
    (entry,) = c.entries
    assert entry.type == "special" and not entry.readable
    assert entry.problems[0][0] == "special-file"


def test_folder_member_limit(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"f{i}").write_text("x")
    c = FolderContainer(str(tmp_path), Limits(max_members=3))
    assert len([e for e in c.entries if e.type == "file"]) == 3
    assert [k for k, _ in c.problems] == ["too-many-members"]


# -- symlink resolution -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "target", "links", "expected"),
    [
        ("lib/libz.so", "libz.so.1.3", {}, ("lib/libz.so.1.3", None)),
        ("a/b/c", "../../d", {}, ("d", None)),
        ("lib/libz.so", "libz.so.1", {"lib/libz.so.1": "libz.so.1.3"}, ("lib/libz.so.1.3", None)),
        ("x", "libs/y.so", {"libs": "real/libs"}, ("real/libs/y.so", None)),  # through a linked folder
        ("lib/x", "../../etc/passwd", {}, (None, "symlink-escape")),
        ("lib/x", "/usr/lib/libc.so.6", {}, (None, "symlink-escape")),
        ("x", "y", {"y": "/abs"}, (None, "symlink-escape")),
        ("a", "b", {"a": "b", "b": "a"}, (None, "symlink-loop")),
        ("d/x", "x", {"d/x": "x"}, (None, "symlink-loop")),
    ],
)
def test_resolve_link(link: str, target: str, links: dict[str, str], expected: tuple[str | None, str | None]) -> None:
    all_links = {link: target, **links}
    assert resolve_link(link, target, all_links) == expected


def test_record_and_wheel_parsing() -> None:
    tags, purelib = archive.parse_wheel_metadata("Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: b\nTag: a\n\nTag: c\n")
    assert tags == ("a", "b") and purelib is True
    record = archive.parse_record('pkg/a.so,sha256=x,1\n"pkg/with,comma.py",,\n\n../../bin/x,,\n', "python/lib/")
    assert record == ("bin/x", "python/lib/pkg/a.so", "python/lib/pkg/with,comma.py")


def test_zipfile_is_only_used_for_the_directory() -> None:
    # The member data path never goes through zipfile.ZipFile.open (the slow per-member path).
    c = _container(make_zip([M("a.txt", "hello")]))
    original = zipfile.ZipFile.open
    try:
        zipfile.ZipFile.open = None  # type: ignore[assignment,method-assign]
        assert _read_all(c, "a.txt")[0] == b"hello"
    finally:
        zipfile.ZipFile.open = original  # type: ignore[method-assign]


# -- the central directory read in one pass, against zipfile ------------------------------------------------


def _zipfile_listing(data: bytes) -> list[archive._CentralEntry]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [archive._CentralEntry(
            i.filename, i.orig_filename.encode("utf-8" if i.flag_bits & 0x800 else "cp437", "replace"),
            i.flag_bits, i.create_system, i.external_attr, i.compress_type, i.CRC, i.compress_size, i.file_size,
            i.header_offset) for i in zf.infolist()]


def _fast_listing(data: bytes) -> list[archive._CentralEntry] | None:
    return archive._read_central_directory(archive.MemorySource(data))


def _zip_with(write: Callable[[zipfile.ZipFile], None], **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", **kwargs) as zf:
        write(zf)
    return buf.getvalue()


def _varied(zf: zipfile.ZipFile) -> None:
    zf.writestr("plain.txt", b"x" * 100, compress_type=zipfile.ZIP_DEFLATED)
    zf.writestr("dir/", b"")
    zf.writestr("ünïcode/名前.so", b"\x7fELF", compress_type=zipfile.ZIP_STORED)
    link = zipfile.ZipInfo("link")
    link.create_system = 3
    link.external_attr = (0o120777 << 16)
    zf.writestr(link, "plain.txt")
    extra = zipfile.ZipInfo("with-extra.txt")
    extra.extra = struct.pack("<HH5s", 0x5455, 5, b"\x01\x00\x00\x00\x00") + struct.pack("<HH", 0x7875, 0)
    zf.writestr(extra, b"extra")
    zf.writestr("cafX.txt", b"1")  # ASCII, so no UTF-8 flag: made cp437 below


def test_central_directory_fast_read_matches_zipfile(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "demo", "1.0", "cp311-cp311-manylinux_2_17_x86_64",
                       {"demo/_x.so": (ELF / "glibc" / "v2_34.so").read_bytes(), "demo/__init__.py": ""})
    varied = _zip_with(_varied)
    cp437 = varied.replace(b"cafX", b"caf\x82")  # a name in cp437 (no UTF-8 flag): "café"
    prefixed = b"#!/bin/sh\nexit 0\n" + varied  # a self-extracting style prefix: offsets shift by "concat"
    for data in (wheel.read_bytes(), varied, cp437, prefixed):
        fast = _fast_listing(data)
        assert fast is not None
        assert fast == _zipfile_listing(data)
    assert [e.filename for e in _fast_listing(cp437) or []][-1] == "caf\xe9.txt"


@pytest.mark.parametrize("case", ["comment", "zip64-extra", "nul-in-name", "truncated-directory",
                                  "bad-extra", "not-a-zip"])
def test_central_directory_fast_read_leaves_the_unusual_to_zipfile(case: str) -> None:
    """What the one-pass reader does not handle exactly as zipfile does, it declines (``None``)."""
    if case == "comment":
        def commented(zf: zipfile.ZipFile) -> None:
            zf.writestr("a", b"1")
            zf.comment = b"hello"

        data = _zip_with(commented)
    elif case == "zip64-extra":
        info = zipfile.ZipInfo("a")
        info.extra = struct.pack("<HH", 0x0001, 0)  # a ZIP64 field with nothing to replace
        data = _zip_with(lambda zf: zf.writestr(info, b"1"))
    elif case == "nul-in-name":
        data = _zip_with(lambda zf: zf.writestr("a.so#.txt", b"1")).replace(b"a.so#", b"a.so\0")
    elif case == "truncated-directory":
        good = _zip_with(lambda zf: zf.writestr("a", b"1"))
        eocd = good.rfind(b"PK\x05\x06")
        data = good[:eocd - 5] + good[eocd:]
    elif case == "bad-extra":
        info = zipfile.ZipInfo("a")
        info.extra = struct.pack("<HH", 0x5455, 40)  # says 40 bytes follow; none do
        data = _zip_with(lambda zf: zf.writestr(info, b"1"))
    else:
        data = b"not a zip at all, long enough to hold an end record" * 2
    assert _fast_listing(data) is None
    # and the container still reads (or refuses) it as zipfile does
    container = archive.ZipContainer(archive.MemorySource(data))
    assert container.entries or container.problems
