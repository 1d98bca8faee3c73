"""Mach-O reader (thin and fat): architectures, file type, minimum OS and linked dylibs.

abigate gates Linux targets, so a Mach-O file in a deploy zip is itself the finding (``invalid ELF header``
at import); these facts make the message precise ("built for macOS 11.0 arm64") and let the scan report
what a macOS wheel needs. Reads forward only, like the ELF reader, and never raises for bad bytes.
"""

from __future__ import annotations

import struct

from abigate.elf import _Rewind, _Source, _Truncated
from abigate.facts import MachOArch, MachOFacts
from abigate.limits import DEFAULT_LIMITS, BudgetExceeded, Limits
from abigate.native import NativeRead, Readable

__all__ = ["read_macho"]

# cputype values (mach/machine.h); CPU_ARCH_ABI64 = 0x01000000.
_CPU = {7: "i386", 0x01000007: "x86_64", 12: "arm", 0x0100000C: "arm64", 0x0200000C: "arm64_32",
        18: "ppc", 0x01000012: "ppc64"}
_PLATFORMS = {1: "macos", 2: "ios", 3: "tvos", 4: "watchos", 5: "bridgeos", 6: "maccatalyst",
              7: "ios-simulator", 8: "tvos-simulator", 9: "watchos-simulator", 10: "driverkit", 11: "visionos"}
LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB = 0xC, 0x80000018, 0x8000001F
LC_VERSION_MIN_MACOSX, LC_VERSION_MIN_IPHONEOS, LC_BUILD_VERSION = 0x24, 0x25, 0x32
#: load-command bytes read from one file, all slices together (a real slice has a few KB of them).
_MAX_CMDS_BYTES = 16 << 20


def _version(v: int) -> str:
    """Mach-O packed version ``X<<16 | Y<<8 | Z`` → ``"X.Y"`` or ``"X.Y.Z"``."""
    x, y, z = v >> 16, (v >> 8) & 0xFF, v & 0xFF
    return f"{x}.{y}.{z}" if z else f"{x}.{y}"


def read_macho(head: bytes, rest: Readable, size: int, *, limits: Limits = DEFAULT_LIMITS) -> NativeRead:
    """Read a Mach-O file whose first bytes are *head*; see :func:`abigate.native.read_native`.

    A fat file's slices are read once per distinct offset (30 entries naming one offset are one slice), and
    the load commands of all slices together are read up to 16 MiB; past it the result carries ``budget``.
    """
    src = _Source(head, rest, size)
    budget = [_MAX_CMDS_BYTES]
    try:
        magic = head[:4]
        if magic in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"):
            is64 = magic == b"\xca\xfe\xba\xbf"
            (nfat,) = struct.unpack(">I", src.read_at(4, 4))
            if not 0 < nfat <= limits.max_fat_slices:
                raise ValueError(f"fat header declares {nfat} architectures")
            entsize = 32 if is64 else 20
            raw = src.read_at(8, nfat * entsize)
            slices = []
            for i in range(nfat):
                if is64:
                    _ct, _cs, offset, _sz, _al, _res = struct.unpack_from(">iiQQII", raw, i * entsize)
                else:
                    _ct, _cs, offset, _sz, _al = struct.unpack_from(">iiIII", raw, i * entsize)
                slices.append(offset)
            read: dict[int, MachOArch] = {}
            for off in sorted(slices):
                if off not in read:
                    read[off] = _read_thin(src, off, budget)
            arches = tuple(read[off] for off in sorted(slices))
            return NativeRead(kind="macho", macho=MachOFacts(fat=True, arches=arches))
        return NativeRead(kind="macho", macho=MachOFacts(fat=False, arches=(_read_thin(src, 0, budget),)))
    except BudgetExceeded as exc:
        return NativeRead(kind="macho", error=f"budget exceeded: {exc.message}", budget=exc.message)
    except (_Truncated, _Rewind) as exc:
        return NativeRead(kind="macho", error=f"truncated or malformed Mach-O: {exc}")
    except (struct.error, ValueError, IndexError, OverflowError) as exc:
        return NativeRead(kind="macho", error=f"malformed Mach-O: {exc}")


def _read_thin(src: _Source, base: int, budget: list[int]) -> MachOArch:
    """One thin Mach-O at *base*; its load commands are taken from ``budget[0]`` (bytes left to read)."""
    magic = src.read_at(base, 4)
    if magic in (b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        bo = "<"
    elif magic in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf"):
        bo = ">"
    else:
        raise ValueError(f"slice at {base:#x} is not a Mach-O header")
    is64 = magic in (b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf")
    hdr_size = 32 if is64 else 28
    cputype, cpusubtype, filetype, ncmds, sizeofcmds, _flags = struct.unpack(
        bo + "iiIIII", src.read_at(base + 4, 24))
    if sizeofcmds > _MAX_CMDS_BYTES or ncmds > sizeofcmds // 8 + 1:
        raise ValueError(f"{ncmds} load commands in {sizeofcmds} bytes")
    budget[0] -= sizeofcmds
    if budget[0] < 0:
        raise BudgetExceeded(f"the slices' load commands take more than {_MAX_CMDS_BYTES} bytes in all")
    cmds = src.read_at(base + hdr_size, sizeofcmds)
    min_os: str | None = None
    platform: str | None = None
    dylibs: list[str] = []
    off = 0
    for _ in range(ncmds):
        if off + 8 > len(cmds):
            break
        cmd, cmdsize = struct.unpack_from(bo + "II", cmds, off)
        if cmdsize < 8:
            raise ValueError(f"load command of {cmdsize} bytes")
        body = cmds[off:off + cmdsize]
        if cmd in (LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB) and len(body) >= 12:
            (name_off,) = struct.unpack_from(bo + "I", body, 8)
            name = body[name_off:].split(b"\0", 1)[0]
            dylibs.append(name.decode("utf-8", "backslashreplace"))
        elif cmd == LC_BUILD_VERSION and len(body) >= 16:
            plat, minos = struct.unpack_from(bo + "II", body, 8)
            platform = _PLATFORMS.get(plat, f"platform-{plat}")
            min_os = _version(minos)
        elif cmd in (LC_VERSION_MIN_MACOSX, LC_VERSION_MIN_IPHONEOS) and len(body) >= 12 and min_os is None:
            (ver,) = struct.unpack_from(bo + "I", body, 8)
            platform = "macos" if cmd == LC_VERSION_MIN_MACOSX else "ios"
            min_os = _version(ver)
        off += cmdsize
    cputype_u = cputype & 0xFFFFFFFF
    arch = _CPU.get(cputype_u, f"cpu-{cputype_u:#x}")
    if arch == "arm64" and (cpusubtype & 0xFF) == 2:
        arch = "arm64e"
    return MachOArch(arch=arch, cputype=cputype_u, cpusubtype=cpusubtype & 0xFFFFFFFF, filetype=filetype,
                     min_os=min_os, platform=platform, dylibs=tuple(dylibs))
