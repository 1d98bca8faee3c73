"""Parse GNU readelf's output into the same shape as abigate's ELF facts (test oracle only)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field


@dataclass
class ReadelfView:
    machine: str = ""
    elf_class: int = 0
    e_type: str = ""
    needed: list[str] = field(default_factory=list)
    soname: str | None = None
    rpath: list[str] = field(default_factory=list)
    runpath: list[str] = field(default_factory=list)
    interp: str | None = None
    #: (library, version) → sorted undefined symbols bound to it
    needs: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    weak_needs: set[tuple[str, str]] = field(default_factory=set)
    defs: list[str] = field(default_factory=list)
    nsyms: int = 0
    gnu_stack: str | None = None  # "RW" / "RWE"
    unversioned_und: list[str] = field(default_factory=list)


_DYN_RE = re.compile(r"\((NEEDED|SONAME|RPATH|RUNPATH)\)\s+\S.*?: \[(.*)\]")


def readelf(path: str) -> ReadelfView:
    """Run ``readelf -hldV --dyn-syms -W`` on *path* and parse what the tests compare."""
    out = subprocess.run(
        ["readelf", "-hlVd", "--dyn-syms", "-W", path], capture_output=True, text=True, check=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    ).stdout
    v = ReadelfView()
    section = None
    current_lib = None
    index_to_need: dict[int, tuple[str, str]] = {}
    for line in out.splitlines():
        s = line.strip()
        if s.startswith("Class:"):
            v.elf_class = 64 if "ELF64" in s else 32
        elif s.startswith("Machine:"):
            v.machine = s.split(":", 1)[1].strip()
        elif s.startswith("Type:") and not v.e_type:
            v.e_type = s.split(":", 1)[1].strip().split()[0]
        elif s.startswith("[Requesting program interpreter:"):
            v.interp = s.split(":", 1)[1].strip().rstrip("]")
        elif s.startswith("GNU_STACK"):
            parts = s.split()
            v.gnu_stack = "".join(p for p in parts[6:-1] if p in ("R", "W", "E", "RW", "RWE", "RE"))
        m = _DYN_RE.search(line)
        if m:
            kind, val = m.groups()
            if kind == "NEEDED":
                v.needed.append(val)
            elif kind == "SONAME":
                v.soname = val
            elif kind == "RPATH":
                v.rpath += [p for p in val.split(":") if p]
            else:
                v.runpath += [p for p in val.split(":") if p]
        if s.startswith("Version needs section"):
            section = "verneed"
            continue
        if s.startswith("Version definition section"):
            section = "verdef"
            continue
        if s.startswith("Version symbols section") or s.startswith("Symbol table"):
            section = "other"
        if section == "verneed":
            m1 = re.match(r"(?:0x)?[0-9a-f]+: Version: \d+\s+File: (\S+)\s+Cnt: \d+", s)
            if m1:
                current_lib = m1.group(1)
                continue
            m2 = re.match(r"(?:0x)?[0-9a-f]+:\s+Name: (\S+)\s+Flags: (.*?)\s+Version: (\d+)", s)
            if m2 and current_lib:
                key = (current_lib, m2.group(1))
                v.needs.setdefault(key, [])
                index_to_need[int(m2.group(3))] = key
                if "WEAK" in m2.group(2):
                    v.weak_needs.add(key)
        elif section == "verdef":
            m3 = re.match(r"(?:0x)?[0-9a-f]+: Rev: \d+\s+Flags: (\S+)\s+Index: \d+\s+Cnt: \d+\s+Name: (\S+)", s)
            if m3 and "BASE" not in m3.group(1):
                v.defs.append(m3.group(2))
    # Dynamic symbols: "Num: Value Size Type Bind Vis Ndx Name[@VER (n)]"
    in_dynsym = False
    for line in out.splitlines():
        if line.startswith("Symbol table '.dynsym'"):
            in_dynsym = True
            v.nsyms = int(re.search(r"contains (\d+) entr", line).group(1))
            continue
        if in_dynsym:
            if not line.strip():
                in_dynsym = False
                continue
            parts = line.split()
            if len(parts) < 8 or not parts[0].rstrip(":").isdigit() or parts[0] == "0:":
                continue
            ndx, name = parts[6], parts[7]
            if ndx != "UND":
                continue
            m4 = re.match(r"(.*?)@(\S+?)(?: \((\d+)\))?$", " ".join(parts[7:]))
            if m4 and m4.group(3):
                key = index_to_need.get(int(m4.group(3)))
                if key:
                    v.needs[key].append(m4.group(1))
                    continue
            v.unversioned_und.append(name.split("@")[0])
    for key in v.needs:
        v.needs[key] = sorted(set(v.needs[key]))
    return v
