"""Shared pytest helpers: build wheels and zips (in memory or in ``tmp_path``) from given members.

Everything is built at test time with :mod:`zipfile` (or byte by byte for hostile archives), so no binary
archive is committed. A member is a :class:`M`: name, content, compression, and optionally a symlink target.

    data = make_zip([M("pkg/a.so", ELF_BYTES), M("lib.so", link="pkg/a.so"), M("x.whl", make_zip([...]))])
    path = write_zip(tmp_path / "bundle.zip", [...])
    whl = make_wheel(tmp_path, "demo", "1.0", "cp312-cp312-manylinux_2_17_x86_64", {"demo/_x.so": ELF})
"""

from __future__ import annotations

import base64
import hashlib
import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["ELF_STUB", "M", "make_wheel", "make_zip", "write_zip"]

#: 64-byte ELF64 little-endian x86-64 header followed by nothing: enough for ``sniff``; the parser reports
#: it as truncated/malformed, which is what archive-layer tests want (content found, error carried).
ELF_STUB = (b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x03\x00\x3e\x00\x01\x00\x00\x00" + b"\0" * 40)[:64]

STORED = zipfile.ZIP_STORED
DEFLATED = zipfile.ZIP_DEFLATED
BZIP2 = zipfile.ZIP_BZIP2
LZMA = zipfile.ZIP_LZMA


@dataclass(frozen=True)
class M:
    """One member to put in a test zip."""

    name: str
    data: bytes | str = b""
    compression: int = DEFLATED
    #: when set, the member is a symlink (S_IFLNK in external_attr) whose content is this target.
    link: str | None = None
    #: Unix permission bits for regular files.
    mode: int = 0o644
    #: make the member look like a directory.
    directory: bool = False


def make_zip(members: list[M], *, force_zip64: bool = False, comment: bytes = b"") -> bytes:
    """A zip archive holding *members*, in order (duplicates allowed), as bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.comment = comment
        for m in members:
            info = zipfile.ZipInfo(m.name, date_time=(2024, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.compress_type = m.compression
            if m.link is not None:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                data: bytes = m.link.encode()
            elif m.directory:
                info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
                data = b""
            else:
                info.external_attr = (stat.S_IFREG | m.mode) << 16
                data = m.data.encode() if isinstance(m.data, str) else m.data
            if force_zip64:
                with zf.open(info, "w", force_zip64=True) as fh:
                    fh.write(data)
            else:
                if m.name in zf.NameToInfo:
                    with pytest.warns(UserWarning, match="Duplicate name"):
                        zf.writestr(info, data)
                else:
                    zf.writestr(info, data)
    return buf.getvalue()


def write_zip(path: Path, members: list[M], **kwargs: object) -> Path:
    """:func:`make_zip` written to *path*."""
    path.write_bytes(make_zip(members, **kwargs))  # type: ignore[arg-type]
    return path


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def make_wheel(
    folder: Path,
    name: str,
    version: str,
    tag: str,
    files: dict[str, bytes | str],
    *,
    record: bool = True,
    wheel_tags: list[str] | None = None,
    unlisted: dict[str, bytes] | None = None,
    purelib: bool = False,
) -> Path:
    """Write ``{name}-{version}-{tag}.whl`` into *folder* with *files*, a WHEEL file and a RECORD.

    :param unlisted: extra members left out of RECORD (to show content wins over RECORD).
    """
    dist_info = f"{name}-{version}.dist-info"
    tags = wheel_tags if wheel_tags is not None else [tag]
    wheel_text = "Wheel-Version: 1.0\nGenerator: abigate-tests\nRoot-Is-Purelib: " + (
        "true" if purelib else "false") + "\n" + "".join(f"Tag: {t}\n" for t in tags)
    members = [M(p, d) for p, d in files.items()]
    members.append(M(f"{dist_info}/WHEEL", wheel_text))
    members.append(M(f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"))
    if record:
        lines = []
        for m in members:
            data = m.data.encode() if isinstance(m.data, str) else m.data
            lines.append(f"{m.name},{_record_hash(data)},{len(data)}")
        lines.append(f"{dist_info}/RECORD,,")
        members.append(M(f"{dist_info}/RECORD", "\n".join(lines) + "\n"))
    for path, data in (unlisted or {}).items():
        members.append(M(path, data))
    return write_zip(folder / f"{name}-{version}-{tag}.whl", members)


@pytest.fixture
def elf_stub() -> bytes:
    """The minimal ELF header used by archive-layer tests."""
    return ELF_STUB


_CENTRAL = "<4s4B4HL2L5H2L"  # the 46-byte central directory header, as zipfile spells it


def patch_member(data: bytes, name: str, *, flags: int | None = None, method: int | None = None,
                 crc: int | None = None, compressed_size: int | None = None, size: int | None = None,
                 local: bool = True) -> bytes:
    """Rewrite header fields of member *name* in a zip built by :func:`make_zip` (not zip64).

    The central directory entry is always patched; the local header too when *local* is true.
    Crafting hostile archives this way keeps each test's intent visible in one call.
    """
    import struct

    buf = bytearray(data)
    raw = name.encode()
    at = 0
    while True:
        at = buf.find(b"PK\x01\x02", at)
        if at < 0:
            raise KeyError(name)
        fields = list(struct.unpack_from(_CENTRAL, buf, at))
        nlen = fields[12]
        if bytes(buf[at + 46:at + 46 + nlen]) == raw:
            break
        at += 4
    offset = fields[-1]
    # Field positions in _CENTRAL: sig, 4 version bytes, flags, method, time, date, crc, csize, usize, ...
    names = {"flags": 5, "method": 6, "crc": 9, "compressed_size": 10, "size": 11}
    values = {"flags": flags, "method": method, "crc": crc, "compressed_size": compressed_size, "size": size}
    for key, value in values.items():
        if value is not None:
            fields[names[key]] = value
    struct.pack_into(_CENTRAL, buf, at, *fields)
    if local:
        lfields = list(struct.unpack_from("<4s5H3L2H", buf, offset))
        lnames = {"flags": 2, "method": 3, "crc": 6, "compressed_size": 7, "size": 8}
        for key, value in values.items():
            if value is not None:
                lfields[lnames[key]] = value
        struct.pack_into("<4s5H3L2H", buf, offset, *lfields)
    return bytes(buf)
