"""The same :class:`~abigate.facts.ElfFacts` as :mod:`abigate.elf`, computed with pyelftools.

pyelftools is the reference ELF library, and this engine is its use in abigate: an independent second
reading that the test suite compares with abigate's own reader on every fixture and host library, and that
``abigate scan --engine pyelftools`` offers for cross-checking a suspicious verdict. It needs random
access (a file on disk or bytes in memory), so it is not used for streamed zip members by default;
``benchmarks/scan_benchmark.py`` measures both engines on the same inputs.

pyelftools raises many exception types on hostile input (eliben/pyelftools#612, #667), so everything it
raises is caught here and reported as the file's ``error``.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO

from abigate.elf import (
    _MAX_VERNEED,
    DF_1_PIE,
    DF_TEXTREL,
    DT_AUDIT,
    DT_AUXILIARY,
    DT_DEPAUDIT,
    DT_FILTER,
    DT_RELR,
    _libc_flavour,
    arch_name,
)
from abigate.facts import ElfFacts, GnuProperty, LoadSegment, VersionDef, VersionNeed
from abigate.native import NativeRead

__all__ = ["read_elf_pyelftools"]


def read_elf_pyelftools(stream: BinaryIO | bytes) -> NativeRead:
    """Read a whole ELF file with pyelftools. *stream* must be seekable (or bytes)."""
    from elftools.common.exceptions import ELFError

    if isinstance(stream, bytes | bytearray):
        stream = io.BytesIO(stream)
    try:
        return NativeRead(kind="elf", elf=_facts(stream))
    except (ELFError, Exception) as exc:  # noqa: BLE001 - pyelftools' exception types are open-ended
        return NativeRead(kind="elf", error=f"malformed ELF (pyelftools): {type(exc).__name__}: {exc}")


def _facts(stream: BinaryIO) -> ElfFacts:
    from elftools.elf.dynamic import DynamicSegment
    from elftools.elf.elffile import ELFFile

    elf = ELFFile(stream)
    hdr = elf.header
    ident = hdr["e_ident"]
    little = elf.little_endian
    elf_class = elf.elfclass
    e_type_raw = {"ET_NONE": 0, "ET_REL": 1, "ET_EXEC": 2, "ET_DYN": 3, "ET_CORE": 4}.get(hdr["e_type"], -1)
    stream.seek(7)
    raw_ident = stream.read(16)
    loads = []
    gnu_stack = None
    tls = None
    interp = None
    props: dict[int, int | None] = {}
    dyn: Any = None
    for seg in elf.iter_segments():
        ptype = seg["p_type"]
        if ptype == "PT_LOAD":
            loads.append(LoadSegment(offset=seg["p_offset"], vaddr=seg["p_vaddr"], filesz=seg["p_filesz"],
                                     memsz=seg["p_memsz"], align=seg["p_align"], flags=seg["p_flags"]))
        elif ptype == "PT_GNU_STACK":
            gnu_stack = seg["p_flags"]
        elif ptype == "PT_TLS":
            tls = seg["p_memsz"]
        elif ptype == "PT_INTERP":
            interp = seg.get_interp_name()
        elif ptype == "PT_NOTE":  # PT_GNU_PROPERTY points at a note that a PT_NOTE also covers
            for note in seg.iter_notes():
                if note["n_type"] == "NT_GNU_PROPERTY_TYPE_0":
                    for prop in note["n_desc"]:
                        pr_type = prop["pr_type"]
                        code = _PROPERTY_CODES.get(pr_type, pr_type) if isinstance(pr_type, str) else pr_type
                        value = prop["pr_data"] if isinstance(prop["pr_data"], int) else None
                        props.setdefault(code, value)
        elif isinstance(seg, DynamicSegment):
            dyn = seg
    fields: dict[str, Any] = dict(
        elf_class=elf_class, byte_order="little" if little else "big", machine=_machine_code(hdr["e_machine"]),
        flags=hdr["e_flags"], osabi=raw_ident[0], abi_version=raw_ident[1],
        ident_version=1 if ident["EI_VERSION"] == "EV_CURRENT" else 0,
        version=1 if hdr["e_version"] == "EV_CURRENT" else 0, nonzero_padding=any(raw_ident[2:9]),
        e_type=e_type_raw, has_dynamic=dyn is not None, interpreter=interp, load_segments=tuple(loads),
        gnu_stack_flags=gnu_stack, tls_size=tls,
        gnu_properties=tuple(GnuProperty(type=k, value=v) for k, v in sorted(props.items())),
    )
    fields["arch"] = arch_name(fields["machine"], elf_class, little)
    needed: list[str] = []
    rpath: list[str] = []
    runpath: list[str] = []
    filters: list[str] = []
    soname = None
    dt_flags = dt_flags_1 = 0
    has_relr = textrel = False
    if dyn is not None:
        for tag in dyn.iter_tags():
            t = tag.entry.d_tag
            if t == "DT_NEEDED":
                needed.append(tag.needed)
            elif t == "DT_SONAME":
                soname = tag.soname
            elif t == "DT_RPATH":
                rpath += [p for p in tag.rpath.split(":") if p]
            elif t == "DT_RUNPATH":
                runpath += [p for p in tag.runpath.split(":") if p]
            elif t == "DT_FLAGS":
                dt_flags = tag.entry.d_val
            elif t == "DT_FLAGS_1":
                dt_flags_1 = tag.entry.d_val
            elif t == "DT_TEXTREL":
                textrel = True
            elif t in ("DT_RELR", DT_RELR):
                has_relr = True
            elif t in ("DT_AUDIT", "DT_DEPAUDIT", "DT_AUXILIARY", "DT_FILTER", DT_AUDIT, DT_DEPAUDIT,
                       DT_AUXILIARY, DT_FILTER):
                filters.append(dyn.get_string(tag.entry.d_val))
    e_type_word = {1: "relocatable", 2: "executable", 4: "core"}.get(e_type_raw, "other")
    if e_type_raw == 3:
        e_type_word = "pie" if dt_flags_1 & DF_1_PIE else "shared"
    # Repeats are loaded or searched once: keep the first of each, as the fast reader does.
    fields.update(type=e_type_word, soname=soname, needed=tuple(dict.fromkeys(needed)),
                  rpath=tuple(dict.fromkeys(rpath)), runpath=tuple(dict.fromkeys(runpath)),
                  filters=tuple(filters), dt_flags=dt_flags, dt_flags_1=dt_flags_1,
                  has_relr=has_relr, has_textrel=textrel or bool(dt_flags & DF_TEXTREL))

    needs_raw: list[tuple[int, str, str, int, bool]] = []
    defs: list[VersionDef] = []
    verneed = elf.get_section_by_name(".gnu.version_r")
    verdef = elf.get_section_by_name(".gnu.version_d")
    versym = elf.get_section_by_name(".gnu.version")
    dynsym = elf.get_section_by_name(".dynsym")
    if verneed is not None:
        for vn, auxes in _versions(verneed, "vn"):
            for aux in auxes:
                needs_raw.append((aux.entry["vna_other"], vn.name, aux.name, aux.entry["vna_hash"],
                                  bool(aux.entry["vna_flags"] & 2)))
    if verdef is not None:
        for vd, auxes in _versions(verdef, "vd"):
            names = [a.name for a in auxes]
            if names:
                defs.append(VersionDef(name=names[0], index=vd.entry["vd_ndx"], flags=vd.entry["vd_flags"],
                                       hash=vd.entry["vd_hash"], parents=tuple(names[1:])))
    by_index: dict[int, list[str]] = {}
    unversioned: list[str] = []
    weak: list[str] = []
    inits: list[str] = []
    nsyms = 0
    if dynsym is not None:
        nsyms = dynsym.num_symbols()
        for i, sym in enumerate(dynsym.iter_symbols()):
            if i == 0:
                continue
            if sym["st_shndx"] == "SHN_UNDEF":
                if not sym.name:
                    continue
                if sym["st_info"]["bind"] == "STB_WEAK":
                    weak.append(sym.name)
                v = versym.get_symbol(i)["ndx"] if versym is not None else 1
                v = v if isinstance(v, int) else {"VER_NDX_LOCAL": 0, "VER_NDX_GLOBAL": 1}.get(v, 1)
                v &= 0x7FFF
                if v >= 2:
                    by_index.setdefault(v, []).append(sym.name)
                else:
                    unversioned.append(sym.name)
            elif (sym.name.startswith(("PyInit_", "PyInitU_", "PyModExport_"))
                  and sym["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK")
                  and sym["st_other"]["visibility"] == "STV_DEFAULT"):
                inits.append(sym.name)
    version_needs = tuple(
        VersionNeed(library=lib, version=ver, hash=h, weak=wk, index=idx,
                    symbols=tuple(sorted(set(by_index.get(idx, ())))))
        for (idx, lib, ver, h, wk) in needs_raw
    )
    libc, evidence = _libc_flavour(interp, tuple(needed), tuple(n.version for n in version_needs))
    fields.update(
        version_needs=version_needs, version_defs=tuple(defs), unversioned_imports=tuple(sorted(set(unversioned))),
        weak_imports=tuple(sorted(set(weak))), python_init_exports=tuple(sorted(set(inits))),
        dynamic_symbol_count=nsyms, libc=libc, libc_evidence=evidence,
    )
    return ElfFacts(**fields)


#: version records (entries and their auxiliaries) read from one section, as abigate's own reader allows.
MAX_VERSION_RECORDS = _MAX_VERNEED


def _versions(section: Any, prefix: str) -> list[tuple[Any, list[Any]]]:
    """The entries of a ``.gnu.version_r`` (*prefix* ``vn``) or ``.gnu.version_d`` (``vd``) section, each with
    its auxiliaries, read the way the loader and :mod:`abigate.elf` read them.

    pyelftools walks ``sh_info`` entries and ``vn_cnt`` auxiliaries whatever the ``next`` offsets say: a
    fuzzed ``sh_info = 0xffffffff`` with ``vn_next = 0`` yields the same entry four billion times (871 MB
    before it was stopped). glibc stops at a ``next`` of 0, and so does this; beyond
    :data:`MAX_VERSION_RECORDS` records the file is reported malformed, as abigate's reader does.
    """
    out: list[tuple[Any, list[Any]]] = []
    records = 0
    for entry, auxes in section.iter_versions():
        kept = []
        for aux in auxes:
            records += 1
            if records > MAX_VERSION_RECORDS:
                raise ValueError(f"more than {MAX_VERSION_RECORDS} version records in {section.name}")
            kept.append(aux)
            if aux.entry[f"{prefix}a_next"] == 0:
                break
        out.append((entry, kept))
        records += 1
        if records > MAX_VERSION_RECORDS:
            raise ValueError(f"more than {MAX_VERSION_RECORDS} version records in {section.name}")
        if entry.entry[f"{prefix}_next"] == 0:
            break
    return out


_PROPERTY_CODES = {
    "GNU_PROPERTY_STACK_SIZE": 1,
    "GNU_PROPERTY_NO_COPY_ON_PROTECTED": 2,
    "GNU_PROPERTY_X86_FEATURE_1_AND": 0xC0000002,
    "GNU_PROPERTY_X86_ISA_1_NEEDED": 0xC0008002,
    "GNU_PROPERTY_X86_ISA_1_USED": 0xC0010002,
    "GNU_PROPERTY_X86_FEATURE_2_USED": 0xC0010001,
    "GNU_PROPERTY_AARCH64_FEATURE_1_AND": 0xC0000000,
    "GNU_PROPERTY_1_NEEDED": 0xB0008000,
}


def _machine_code(name: str | int) -> int:
    if isinstance(name, int):
        return name
    from elftools.elf.enums import ENUM_E_MACHINE

    return int(ENUM_E_MACHINE.get(name, -1))
