"""Compressed streams recognised by content and decompressed under a budget (abigate.compression)."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
from collections.abc import Callable

import pytest

from abigate.compression import DecompressionLimit, is_tar_header, open_decompressed, sniff_compression


def _zstd(data: bytes) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from backports import zstd  # type: ignore[import-not-found,no-redef,unused-ignore]
    return zstd.compress(data)  # type: ignore[no-any-return]


FORMATS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("gzip", gzip.compress),
    ("bzip2", bz2.compress),
    ("xz", lzma.compress),
    ("zstd", _zstd),
]
DATA = b"\x7fELF" + bytes(range(256)) * 4000


@pytest.mark.parametrize(("kind", "compress"), FORMATS, ids=[k for k, _ in FORMATS])
def test_round_trip_by_content(kind: str, compress: Callable[[bytes], bytes]) -> None:
    blob = compress(DATA)
    assert sniff_compression(blob[:16]) == kind
    assert open_decompressed(io.BytesIO(blob), kind, max_output=len(DATA)).read() == DATA  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "compress"), FORMATS, ids=[k for k, _ in FORMATS])
def test_a_stream_past_its_budget_is_refused(kind: str, compress: Callable[[bytes], bytes]) -> None:
    blob = compress(bytes(10_000_000))  # a "bomb": 10 MB of zeros, a few KB compressed
    with pytest.raises(DecompressionLimit, match="expands past"):
        open_decompressed(io.BytesIO(blob), kind, max_output=1_000_000).read()  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "compress"), FORMATS, ids=[k for k, _ in FORMATS])
def test_a_truncated_stream_is_one_oserror(kind: str, compress: Callable[[bytes], bytes]) -> None:
    blob = compress(DATA)
    with pytest.raises(OSError, match="corrupt or truncated"):
        open_decompressed(io.BytesIO(blob[: len(blob) // 2]), kind, max_output=len(DATA)).read()  # type: ignore[arg-type]


def test_xz_concatenated_streams_are_read_in_turn() -> None:
    blob = lzma.compress(b"first ") + lzma.compress(b"second")
    assert open_decompressed(io.BytesIO(blob), "xz", max_output=100).read() == b"first second"


def test_an_xz_header_claiming_a_huge_dictionary_is_refused() -> None:
    # LZMA2 with a 1.5 GiB dictionary: the decoder would reserve it before producing a byte.
    filters = [{"id": lzma.FILTER_LZMA2, "dict_size": 1536 * 1024 * 1024}]
    blob = lzma.compress(b"tiny", format=lzma.FORMAT_XZ, filters=filters)
    with pytest.raises((DecompressionLimit, OSError)):
        open_decompressed(io.BytesIO(blob), "xz", max_output=100).read()


def test_plain_bytes_are_not_compressed() -> None:
    assert sniff_compression(b"\x7fELF\x02\x01") is None
    assert sniff_compression(b"PK\x03\x04") is None


def test_tar_headers_ustar_gnu_and_v7() -> None:
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
            info = tarfile.TarInfo("lib/libfoo.so.1")
            info.size = 3
            tar.addfile(info, io.BytesIO(b"abc"))
        assert is_tar_header(buf.getvalue()[:512]), fmt
    v7 = bytearray(buf.getvalue()[:512])
    v7[257:265] = bytes(8)  # no ustar magic: only the checksum can tell
    checksum = sum(v7[:148]) + 8 * 0x20 + sum(v7[156:512])
    v7[148:156] = f"{checksum:06o}\x00 ".encode()
    assert is_tar_header(bytes(v7))
    assert not is_tar_header(bytes(512))
    assert not is_tar_header(b"x" * 512)
    assert not is_tar_header(b"ustar")
    # Blanks inside the checksum field (a data file in scipy's wheel): not a header, and no crash.
    odd = bytearray(b"a" * 512)
    odd[148:156] = b"1 1 67 7"
    assert not is_tar_header(bytes(odd))
