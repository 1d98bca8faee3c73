"""Integrity of the committed native fixtures (testdata/elf) and their manifest.

Other test modules take ``testdata/MANIFEST.json`` ``expect`` blocks as ground truth, so these
tests make sure that ground truth is still attached to the bytes it describes: every entry exists
with the recorded hash, and the cheap facts agree with binutils' ``readelf`` (an independent
parser).  The host-loader facts are re-measured only on a host like the one that recorded them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

TESTDATA = Path(__file__).resolve().parents[1] / "testdata"
MANIFEST_PATH = TESTDATA / "MANIFEST.json"
MANIFEST: dict[str, Any] = json.loads(MANIFEST_PATH.read_text())
ENTRIES: list[dict[str, Any]] = MANIFEST["files"]
ELF_ENTRIES = [e for e in ENTRIES if e["expect"]["format"] == "elf"]
IDS = [e["path"] for e in ENTRIES]
ELF_IDS = [e["path"] for e in ELF_ENTRIES]

needs_readelf = pytest.mark.skipif(shutil.which("readelf") is None, reason="binutils readelf not installed")

#: readelf's "Machine:" text for each manifest arch.
READELF_MACHINE = {
    "x86_64": "Advanced Micro Devices X86-64",
    "aarch64": "AArch64",
    "i386": "Intel 80386",
    "arm": "ARM",
    "ppc64le": "PowerPC64",
    "riscv64": "RISC-V",
    "s390x": "IBM S/390",
}


def readelf(path: Path, *flags: str) -> str:
    """readelf -W output for one file."""
    return subprocess.run(
        ["readelf", "-W", *flags, str(path)], capture_output=True, text=True, check=True
    ).stdout


def test_manifest_header() -> None:
    """The manifest says what produced it and on which host the loader facts were measured."""
    assert MANIFEST["schema"] == 1
    assert MANIFEST["generator"] == "scripts/build_testdata.py"
    assert set(MANIFEST["host"]) == {"machine", "libc", "python", "x86_64_level"}
    assert len(ENTRIES) >= 60
    assert IDS == sorted(IDS), "entries are sorted by path"
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_file_matches_manifest(entry: dict[str, Any]) -> None:
    """Each fixture exists with the recorded size and sha256, and its sources are committed."""
    path = TESTDATA / entry["path"]
    data = path.read_bytes()
    assert len(data) == entry["size"]
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    for src in [entry["source"], *entry["inputs"]]:
        assert (TESTDATA / src).is_file(), src
    for parent in entry["derived_from"]:
        assert parent in IDS
    assert entry["command"] and entry["description"] and entry["compiler"]


def test_no_unlisted_files() -> None:
    """Nothing under testdata/elf escapes the manifest (a stale fixture would have no ground truth)."""
    on_disk = {str(p.relative_to(TESTDATA)) for p in (TESTDATA / "elf").rglob("*") if p.is_file()}
    assert on_disk == set(IDS)


def test_expect_keys_are_uniform() -> None:
    """Within one format every entry carries exactly the same expect keys."""
    by_format: dict[str, set[frozenset[str]]] = {}
    for e in ENTRIES:
        by_format.setdefault(e["expect"]["format"], set()).add(frozenset(e["expect"]))
    assert set(by_format) == {"elf", "macho", "macho-fat", "pe"}
    for fmt, keysets in by_format.items():
        assert len(keysets) == 1, f"{fmt}: inconsistent expect keys"
    common = {"format", "arch", "loads_on_host", "host_error", "host_error_contains"}
    for keysets in by_format.values():
        assert common <= next(iter(keysets))


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_declared_error_text_is_in_measured_error(entry: dict[str, Any]) -> None:
    """host_error_contains is a stable substring of the measured message (or absent)."""
    x = entry["expect"]
    if x["host_error_contains"] is not None:
        assert x["loads_on_host"] is False
        assert x["host_error_contains"] in x["host_error"]
    assert (x["host_error"] is None) == x["loads_on_host"]


def test_layouts_list_their_files() -> None:
    """Every bundling layout's files are manifest entries under its root, with one pkg/ entry point."""
    for name, lay in MANIFEST["layouts"].items():
        assert lay["root"] == f"elf/{name}"
        for rel in lay["files"]:
            assert f"{lay['root']}/{rel}" in IDS
        assert lay["entry"] == "pkg/_ext.so"


@needs_readelf
@pytest.mark.parametrize("entry", ELF_ENTRIES, ids=ELF_IDS)
def test_elf_header_agrees_with_readelf(entry: dict[str, Any]) -> None:
    """Class, data encoding, machine and type agree with readelf -h."""
    x = entry["expect"]
    out = readelf(TESTDATA / entry["path"], "-h")
    assert re.search(rf"Class:\s+ELF{x['class']}\b", out)
    assert re.search(rf"Data:\s+2's complement, {x['endian']} endian", out)
    assert re.search(rf"Machine:\s+{re.escape(READELF_MACHINE[x['arch']])}$", out, re.M)
    assert re.search(rf"Type:\s+{x['elf_type'][3:]} ", out)


@needs_readelf
@pytest.mark.parametrize("entry", ELF_ENTRIES, ids=ELF_IDS)
def test_elf_dynamic_and_versions_agree_with_readelf(entry: dict[str, Any]) -> None:
    """DT_NEEDED, SONAME, RPATH/RUNPATH and version needs agree with readelf -d / -V."""
    x = entry["expect"]
    path = TESTDATA / entry["path"]
    dyn = readelf(path, "-d")
    assert re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", dyn) == x["needed"]
    for tag, key in (("SONAME", "soname"), ("RPATH", "rpath"), ("RUNPATH", "runpath")):
        m = re.search(rf"\({tag}\)\s+Library \w+: \[(.*)\]", dyn)
        assert (m.group(1) if m else None) == x[key], tag
    names = re.findall(r"Name: (\S+)\s+Flags: \S+\s+Version:", readelf(path, "-V"))
    assert names == [v["version"] for v in x["verneed"]]
    if x["max_glibc"] is not None:
        assert x["max_glibc"] in names


@needs_readelf
@pytest.mark.parametrize("entry", ELF_ENTRIES, ids=ELF_IDS)
def test_elf_stack_and_isa_agree_with_readelf(entry: dict[str, Any]) -> None:
    """PT_GNU_STACK flags and the x86 ISA note agree with readelf -l / -n."""
    x = entry["expect"]
    path = TESTDATA / entry["path"]
    m = re.search(r"^\s+GNU_STACK\s.*\s(RWE|RW |R E|R  )\s+\S+$", readelf(path, "-l"), re.M)
    assert (m.group(1).strip() if m else None) == x["gnu_stack"]
    isa = re.search(r"x86 ISA needed: (.*)$", readelf(path, "-n"), re.M)
    assert (isa is not None) == (x["x86_isa_needed"] is not None)


def test_named_scenarios_exist() -> None:
    """Spot checks on the scenarios other test modules rely on by name."""
    by_path = {e["path"]: e["expect"] for e in ENTRIES}
    assert by_path["elf/glibc/v2_38.so"]["max_glibc"] == "GLIBC_2.38"
    assert by_path["elf/glibc/multi.so"]["glibc_versions"] == ["GLIBC_2.25", "GLIBC_2.29", "GLIBC_2.33"]
    assert by_path["elf/arch/s390x-glibc2.17.so"]["endian"] == "big"
    assert by_path["elf/arch/i386-glibc2.17.so"]["class"] == 32
    assert by_path["elf/stack/no_gnu_stack.so"]["gnu_stack"] is None
    assert by_path["elf/odd/relr.so"]["glibc_markers"] == ["GLIBC_ABI_DT_RELR"]
    assert by_path["elf/odd/attrib.stripped.so"]["stripped"] is True
    assert by_path["elf/cxx/glibcxx_3_4_30.so"]["max_versions"]["GLIBCXX"] == "GLIBCXX_3.4.30"
    assert by_path["elf/python/good.abi3.so"]["python"]["abi3"] is True


def test_nonelf_magic() -> None:
    """Mach-O, fat Mach-O and PE fixtures carry the magic their format key claims."""
    for e in ENTRIES:
        x, data = e["expect"], (TESTDATA / e["path"]).read_bytes()
        if x["format"] == "macho":
            magic, cputype, _, filetype = struct.unpack_from("<IiII", data)
            assert (magic, filetype) == (0xFEEDFACF, x["filetype"])
            assert cputype == x["cputype"]
        elif x["format"] == "macho-fat":
            magic, n = struct.unpack_from(">II", data)
            assert (magic, n) == (0xCAFEBABE, len(x["arches"]))
            for i, s in enumerate(x["slices"]):
                cputype, _, off, size, align = struct.unpack_from(">iiIII", data, 8 + 20 * i)
                assert (cputype, off, size, align) == (s["cputype"], s["offset"], s["size"], s["align"])
                assert off % (1 << align) == 0
                assert struct.unpack_from("<I", data, off)[0] == 0xFEEDFACF
        elif x["format"] == "pe":
            pe = struct.unpack_from("<I", data, 0x3C)[0]
            assert data[:2] == b"MZ" and data[pe : pe + 4] == b"PE\0\0"
            assert struct.unpack_from("<H", data, pe + 4)[0] == x["pe_machine"]


# --- Host loader agreement -------------------------------------------------------------------

_PROBE = """
import ctypes, sys
try:
    ctypes.CDLL(sys.argv[1])
except OSError as e:
    print(e)
"""


def _same_host() -> bool:
    """True when this host matches the one that recorded loads_on_host (glibc, arch, CPU level)."""
    host = MANIFEST["host"]
    libc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    if os.uname().machine != host["machine"] or libc != host["libc"]:
        return False
    flags = ""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    # Only the v4 fixture depends on the CPU beyond baseline x86-64.
    return ("avx512f" in flags) == (int(host["x86_64_level"]) >= 4)


@pytest.mark.loader
@pytest.mark.skipif(not _same_host(), reason="loader facts were measured on a different host")
@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_host_loader_agrees(entry: dict[str, Any]) -> None:
    """ctypes.CDLL in a fresh interpreter gives the recorded outcome and message."""
    x = entry["expect"]
    lay = entry["layout"]
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.realpath(tmp)
        if lay:
            shutil.copytree(TESTDATA / lay["root"], root, dirs_exist_ok=True)
            target = os.path.join(root, lay["relpath"])
        else:
            target = os.path.join(root, Path(entry["path"]).name)
            shutil.copy(TESTDATA / entry["path"], target)
        out = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _PROBE, target], capture_output=True, text=True, check=True
        ).stdout.strip()
    if x["loads_on_host"]:
        assert out == ""
    else:
        assert out.replace(root, "<dir>") == x["host_error"].removeprefix("OSError: ")
