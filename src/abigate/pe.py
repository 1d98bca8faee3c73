"""PE/COFF reader: machine, PE32/PE32+ and imported DLLs of a Windows DLL, ``.pyd`` or ``.exe``.

A PE file in an artifact for Linux is the finding itself; the machine and the imported ``python3XY.dll``
make the message precise. Forward-only, bounded, never raises for bad bytes.
"""

from __future__ import annotations

import struct

from abigate.elf import _Rewind, _Source, _Truncated
from abigate.facts import PeFacts
from abigate.limits import DEFAULT_LIMITS, Limits
from abigate.native import NativeRead, Readable

__all__ = ["read_pe"]

_MACHINES = {0x14C: "x86", 0x8664: "x86_64", 0xAA64: "arm64", 0x1C4: "armv7", 0xA641: "arm64ec"}
_MAX_SECTIONS = 96
_MAX_IMPORTS = 4096


def read_pe(head: bytes, rest: Readable, size: int, *, limits: Limits = DEFAULT_LIMITS) -> NativeRead:
    """Read a PE file whose first bytes are *head*; see :func:`abigate.native.read_native`.

    Its tables are small and capped here (96 sections, 4,096 imports of at most 256 bytes each), far below
    *limits*; the parameter keeps the readers' signatures alike.
    """
    del limits
    src = _Source(head, rest, size)
    try:
        (pe_off,) = struct.unpack("<I", src.read_at(0x3C, 4))
        if src.read_at(pe_off, 4) != b"PE\0\0":
            raise ValueError("no PE signature after the DOS header")
        machine, nsections, _ts, _symptr, _nsyms, opt_size, _chars = struct.unpack(
            "<HHIIIHH", src.read_at(pe_off + 4, 20))
        arch = _MACHINES.get(machine, f"pe-{machine:#x}")
        fmt: str | None = None
        imports: list[str] = []
        if opt_size >= 2:
            opt_off = pe_off + 24
            opt = src.read_at(opt_off, opt_size)
            (magic,) = struct.unpack_from("<H", opt, 0)
            fmt = {0x10B: "PE32", 0x20B: "PE32+"}.get(magic)
            if fmt is not None and nsections <= _MAX_SECTIONS:
                dd_off = 96 if fmt == "PE32" else 112  # data directories within the optional header
                if len(opt) >= dd_off + 16:
                    imp_rva, _imp_size = struct.unpack_from("<II", opt, dd_off + 8)
                    sections = src.read_at(opt_off + opt_size, nsections * 40)
                    imports = _imports(src, sections, nsections, imp_rva)
        return NativeRead(kind="pe", pe=PeFacts(machine=machine, arch=arch, format=fmt, imports=tuple(imports)))
    except (_Truncated, _Rewind) as exc:
        return NativeRead(kind="pe", error=f"truncated or malformed PE: {exc}")
    except (struct.error, ValueError, IndexError, OverflowError) as exc:
        return NativeRead(kind="pe", error=f"malformed PE: {exc}")


def _imports(src: _Source, sections: bytes, nsections: int, rva: int) -> list[str]:
    if rva == 0:
        return []
    spans = []
    for i in range(nsections):
        vsize, vaddr, rawsize, rawptr = struct.unpack_from("<IIII", sections, i * 40 + 8)
        spans.append((vaddr, max(vsize, rawsize), rawptr))

    def to_off(r: int) -> int:
        for vaddr, span, rawptr in spans:
            if vaddr <= r < vaddr + span:
                return rawptr + (r - vaddr)
        raise ValueError(f"RVA {r:#x} lies in no section")

    names: list[str] = []
    # Descriptors and names are read in file order where possible; a forward-only stream copes as long as
    # names follow the descriptor table, which is how linkers lay them out.
    desc_off = to_off(rva)
    name_rvas = []
    for i in range(_MAX_IMPORTS):
        desc = src.read_at(desc_off + i * 20, 20)
        if desc == b"\0" * 20:
            break
        name_rvas.append(struct.unpack_from("<I", desc, 12)[0])
    for name_rva in sorted(name_rvas):
        off = to_off(name_rva)
        raw = src.read_at(off, min(256, src.size - off))
        names.append(raw.split(b"\0", 1)[0].decode("ascii", "backslashreplace"))
    return sorted(names, key=str.lower)
