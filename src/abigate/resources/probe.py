#!/usr/bin/env python3
# -*- coding: ascii -*-
"""abigate profile probe: describe THIS machine as an abigate runtime profile (TOML, or JSON with --json).

Run it on the target (a Lambda container, a CI image, a server) with any CPython >= 3.8 and nothing else:

    python3 -E -s probe.py > target.toml       # then: abigate profile validate target.toml

It reads, without changing anything: the C library and its version, the CPU architecture, page size and
x86-64 ISA level, the Python interpreter running it (version, ABI flags, extension suffixes, GIL or
free-threaded, shared libpython), the loader's search path (LD_LIBRARY_PATH, /etc/ld.so.conf, defaults) and
every shared library found there with the symbol-version nodes it defines (.gnu.version_d, read directly
from the ELF file: headers, dynamic section and version definitions only) and the other file names it is
found under, and the dynamic loader (from the search path, else the PT_INTERP of this Python).

Standard library only: this file is copied to machines where abigate is not installed. Part of abigate
(``abigate profile probe`` prints it; ``abigate profile capture`` runs it).
"""

# Whoever runs this may hold an old interpreter (a CentOS 7 python is 2.7), and the one answer they should get
# is the version line below, not "Unknown option: -I" or a SyntaxError. So the command line above avoids -I
# (new in 3.4; -E and -s date from 2.6), this file is ASCII with a coding cookie (2.7 rejects a non-ASCII
# byte without one), and all of it parses under Python 2.7: nothing runs before the check below except the
# compiler, so one f-string or walrus anywhere in the file would take the message's place (a test runs
# this file under every interpreter pyenv holds).
import sys

if sys.version_info < (3, 8):
    sys.stderr.write("probe: needs Python 3.8 or newer; this is Python %s (%s)\n"
                     % (sys.version.split()[0], sys.executable))
    sys.exit(2)

if __name__ == "__main__" and not sys.flags.isolated and not getattr(sys.flags, "safe_path", False):
    # What -I also did: a script's own directory comes first on sys.path, so a json.py or re.py lying next
    # to the copied probe would shadow the standard library module of that name.
    del sys.path[0]

import glob
import json
import os
import platform
import re
import struct
import sys
import sysconfig

PROBE_VERSION = 1

# ---------------------------------------------------------------------------------------------------------
# ELF: just enough to read DT_SONAME and the version definitions of a shared library.

_PT_LOAD, _PT_DYNAMIC, _PT_INTERP = 1, 2, 3
_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_STRSZ, _DT_SONAME = 0, 1, 5, 10, 14
_DT_VERDEF, _DT_VERDEFNUM = 0x6FFFFFFC, 0x6FFFFFFD
_VER_FLG_BASE = 1
_MACHINES = {3: "i686", 62: "x86_64", 183: "aarch64", 40: "armv7l", 21: "ppc64", 22: "s390x",
             243: "riscv64", 258: "loongarch64"}


class ElfError(Exception):
    """Not an ELF shared library this probe can read."""


def _read_at(fh, offset, size):
    fh.seek(offset)
    data = fh.read(size)
    if len(data) != size:
        raise ElfError("truncated")
    return data


def read_elf_versions(path, needed_out=None):
    """Return (machine, soname, [defined version nodes]) of the ELF file at *path*.

    Follows the loader's view: program headers -> PT_DYNAMIC -> DT_VERDEF, with addresses mapped through the
    PT_LOAD segments, so stripped files work. Raises ElfError for anything that is not a readable ELF.
    The DT_NEEDED names are appended to the list *needed_out* when one is given.
    """
    with open(path, "rb") as fh:
        ident = fh.read(64)
        if len(ident) < 52 or ident[:4] != b"\x7fELF":
            raise ElfError("not ELF")
        is64 = ident[4] == 2
        end = "<" if ident[5] == 1 else ">"
        if is64:
            e_machine, = struct.unpack(end + "H", ident[18:20])
            e_phoff, = struct.unpack(end + "Q", ident[32:40])
            e_phentsize, e_phnum = struct.unpack(end + "HH", ident[54:58])
            ph_fmt, dyn_fmt = end + "IIQQQQQQ", end + "qQ"
        else:
            e_machine, = struct.unpack(end + "H", ident[18:20])
            e_phoff, = struct.unpack(end + "I", ident[28:32])
            e_phentsize, e_phnum = struct.unpack(end + "HH", ident[42:46])
            ph_fmt, dyn_fmt = end + "IIIIIIII", end + "iI"
        if e_phnum == 0 or e_phnum > 512 or e_phentsize < struct.calcsize(ph_fmt):
            raise ElfError("no program headers")
        table = _read_at(fh, e_phoff, e_phentsize * e_phnum)
        loads, dynamic = [], None
        for i in range(e_phnum):
            raw = struct.unpack(ph_fmt, table[i * e_phentsize:i * e_phentsize + struct.calcsize(ph_fmt)])
            if is64:
                p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = raw[:6]
            else:
                p_type, p_offset, p_vaddr, _paddr, p_filesz = raw[:5]
            if p_type == _PT_LOAD:
                loads.append((p_vaddr, p_offset, p_filesz))
            elif p_type == _PT_DYNAMIC:
                dynamic = (p_offset, p_filesz)
        machine = _MACHINES.get(e_machine, "em-%d" % e_machine)
        if machine == "ppc64" and end == "<":
            machine = "ppc64le"
        if dynamic is None:
            return machine, None, []

        def to_offset(addr):
            for vaddr, offset, filesz in loads:
                if vaddr <= addr < vaddr + filesz:
                    return addr - vaddr + offset
            raise ElfError("address outside the file")

        entry = struct.calcsize(dyn_fmt)
        raw_dyn = _read_at(fh, dynamic[0], min(dynamic[1], entry * 4096))
        tags, needed = {}, []
        for i in range(len(raw_dyn) // entry):
            tag, value = struct.unpack(dyn_fmt, raw_dyn[i * entry:(i + 1) * entry])
            if tag == _DT_NULL:
                break
            if tag == _DT_NEEDED:
                needed.append(value)
            tags.setdefault(tag, value)
        if _DT_STRTAB not in tags:
            return machine, None, []
        strtab = to_offset(tags[_DT_STRTAB])
        strsz = tags.get(_DT_STRSZ, 1 << 20)
        strings = _read_at(fh, strtab, strsz) if strsz < (64 << 20) else b""

        def string(offset):
            stop = strings.find(b"\0", offset)
            return strings[offset:stop if stop >= 0 else len(strings)].decode("utf-8", "replace")

        soname = string(tags[_DT_SONAME]) if _DT_SONAME in tags else None
        if needed_out is not None:
            needed_out.extend(string(offset) for offset in needed)
        versions = []
        if _DT_VERDEF in tags:
            pos = to_offset(tags[_DT_VERDEF])
            for _ in range(min(tags.get(_DT_VERDEFNUM, 0), 4096)):
                vd = _read_at(fh, pos, 20)
                _vd_version, vd_flags, _ndx, _cnt, _hash, vd_aux, vd_next = struct.unpack(end + "HHHHIII", vd)
                name_off, = struct.unpack(end + "I", _read_at(fh, pos + vd_aux, 4))
                if not vd_flags & _VER_FLG_BASE:
                    versions.append(string(name_off))
                if vd_next == 0:
                    break
                pos += vd_next
        return machine, soname, versions


def read_interp(path):
    """The PT_INTERP path of the ELF program at *path* (its dynamic loader), or None."""
    try:
        with open(path, "rb") as fh:
            ident = fh.read(64)
            if len(ident) < 52 or ident[:4] != b"\x7fELF":
                return None
            is64, end = ident[4] == 2, "<" if ident[5] == 1 else ">"
            if is64:
                e_phoff, = struct.unpack(end + "Q", ident[32:40])
                e_phentsize, e_phnum = struct.unpack(end + "HH", ident[54:58])
                ph_fmt = end + "IIQQQQQQ"
            else:
                e_phoff, = struct.unpack(end + "I", ident[28:32])
                e_phentsize, e_phnum = struct.unpack(end + "HH", ident[42:46])
                ph_fmt = end + "IIIIIIII"
            size = struct.calcsize(ph_fmt)
            if e_phnum > 512 or e_phentsize < size:
                return None
            table = _read_at(fh, e_phoff, e_phentsize * e_phnum)
            for i in range(e_phnum):
                raw = struct.unpack(ph_fmt, table[i * e_phentsize:i * e_phentsize + size])
                p_type = raw[0]
                offset, filesz = (raw[2], raw[5]) if is64 else (raw[1], raw[4])
                if p_type == _PT_INTERP and 0 < filesz < 4096:
                    return _read_at(fh, offset, filesz).split(b"\0", 1)[0].decode("utf-8", "replace")
    except (OSError, ElfError, struct.error):
        return None
    return None


# ---------------------------------------------------------------------------------------------------------
# The machine


def read_os_release(root="/"):
    """Fields of /etc/os-release (or /usr/lib/os-release)."""
    for name in ("etc/os-release", "usr/lib/os-release"):
        try:
            with open(os.path.join(root, name), encoding="utf-8") as fh:
                text = fh.read()
        except OSError:
            continue
        out = {}
        for line in text.splitlines():
            key, eq, value = line.partition("=")
            if eq and key.strip() and not key.startswith("#"):
                out[key.strip()] = value.strip().strip("\"'")
        return out
    return {}


def normalise_arch(machine):
    return {"amd64": "x86_64", "i386": "i686", "i586": "i686", "arm64": "aarch64"}.get(machine, machine)


def detect_libc(arch):
    """('glibc'|'musl', 'X.Y[.Z]', evidence)."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError, AttributeError):
        text = None
    if text and text.startswith("glibc "):
        return "glibc", text.split()[1], "os.confstr(CS_GNU_LIBC_VERSION)"
    try:
        import ctypes

        fn = ctypes.CDLL(None).gnu_get_libc_version
        fn.restype = ctypes.c_char_p
        return "glibc", fn().decode(), "gnu_get_libc_version()"
    except (OSError, AttributeError, ImportError):
        pass
    for loader in sorted(glob.glob("/lib/ld-musl-*.so.1")):
        import subprocess

        try:
            run = subprocess.run([loader], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        except (OSError, subprocess.SubprocessError):
            continue
        m = re.search(br"Version ([0-9.]+)", run.stderr + run.stdout)
        if m:
            return "musl", m.group(1).decode(), loader + " (Version line)"
    raise SystemExit("probe: cannot tell which C library this machine uses")


_ISA_LEVELS = (
    (2, {"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"}),
    (3, {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}),
    (4, {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
)


def x86_isa_level(cpuinfo_text):
    """Highest x86-64 micro-architecture level every CPU listed in /proc/cpuinfo supports (1-4)."""
    level_sets = [set(line.split(":", 1)[1].split()) for line in cpuinfo_text.splitlines()
                  if line.startswith("flags")]
    if not level_sets:
        return None
    common = set.intersection(*level_sets)
    level = 1
    for candidate, needed in _ISA_LEVELS:
        if needed <= common:
            level = candidate
        else:
            break
    return level


def _read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def ld_so_conf_dirs(root="/", conf="etc/ld.so.conf", seen=None):
    """Directories listed in ld.so.conf and its ``include`` files, in order (paths as on the target)."""
    seen = set() if seen is None else seen
    out = []
    path = os.path.join(root, conf.lstrip("/"))
    if path in seen:
        return out
    seen.add(path)
    for line in _read_text(path).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("hwcap"):
            continue
        if line.startswith("include"):
            for pattern in line.split()[1:]:
                if not pattern.startswith("/"):
                    pattern = os.path.join(os.path.dirname("/" + conf.lstrip("/")), pattern)
                for match in sorted(glob.glob(os.path.join(root, pattern.lstrip("/")))):
                    out += ld_so_conf_dirs(root, "/" + os.path.relpath(match, root), seen)
            continue
        for item in re.split(r"[:,\s]+", line):
            if item.startswith("/"):
                out.append(item.rstrip("/") or "/")
    return out


def default_dirs(arch, libc):
    """The loader's built-in directories (glibc: the system dirs, incl. Debian multiarch; musl: its default)."""
    if libc == "musl":
        return ["/lib", "/usr/local/lib", "/usr/lib"]
    multiarch = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu", "i686": "i386-linux-gnu",
                 "armv7l": "arm-linux-gnueabihf", "ppc64le": "powerpc64le-linux-gnu",
                 "s390x": "s390x-linux-gnu", "riscv64": "riscv64-linux-gnu"}.get(arch)
    out = ["/lib/" + multiarch, "/usr/lib/" + multiarch] if multiarch else []
    if arch in ("x86_64", "aarch64", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64"):
        out += ["/lib64", "/usr/lib64"]
    return out + ["/lib", "/usr/lib"]


def search_path(arch, libc, environ):
    paths = [p for p in environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    if libc == "musl":
        musl_path = _read_text("/etc/ld-musl-%s.path" % arch)
        extra = [p for p in re.split(r"[:\n]", musl_path) if p.strip()]
        paths += [p.strip() for p in extra] or default_dirs(arch, libc)
    else:
        paths += ld_so_conf_dirs("/") + default_dirs(arch, libc)
    out, seen = [], set()
    for path in paths:
        real = os.path.realpath(path)
        if real in seen or not os.path.isdir(path):
            continue
        seen.add(real)
        out.append(path)
    return out


_LIB_NAME = re.compile(r"^(lib|ld)[^/]*\.so(\.[0-9]+)*$")


def scan_libraries(paths, arch, by_name=()):
    """{soname: {'path', 'versions'[, 'files']}} for every library of *arch* a DT_NEEDED name would find.

    Other names of a library (its real file ``libz.so.1.2.13``, ``libgomp.so.1.0.0``) found in a directory of
    *by_name* (those the loader searches by file name: LD_LIBRARY_PATH and glibc's defaults; every one for
    musl) are listed under ``files``: a DT_NEEDED holding such a file name loads that library too.
    """
    found = {}
    other_names = {}
    parsed = {}
    for directory in paths:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            if name in found or not _LIB_NAME.match(name):
                continue
            path = os.path.join(directory, name)
            real = os.path.realpath(path)
            if real not in parsed:
                try:
                    parsed[real] = read_elf_versions(real) if os.path.isfile(real) else None
                except (ElfError, OSError, struct.error, UnicodeDecodeError):
                    parsed[real] = None
            info = parsed[real]
            if info is None or info[0] != arch:
                continue
            _machine, soname, versions = info
            # The loader matches DT_NEEDED against file names in the search path, and DT_NEEDED holds
            # sonames: record a file under its name when that name is its soname (or it has none). musl's
            # loader also answers to libc.musl-<arch>.so.1 and ld-musl-<arch>.so.1.
            if soname is not None and soname != name and not re.match(r"^(ld-musl-|libc\.musl-)", name):
                if directory in by_name:
                    other_names.setdefault(soname, set()).add(name)
                continue
            found[name] = {"path": path, "versions": sorted(set(versions), key=_node_key)}
    for soname, names in other_names.items():
        extra = sorted(names - set(found))
        if soname in found and extra:
            found[soname]["files"] = extra
    return found


_GLIBC_LOADERS = {"x86_64": "ld-linux-x86-64.so.2", "aarch64": "ld-linux-aarch64.so.1",
                  "i686": "ld-linux.so.2", "armv7l": "ld-linux-armhf.so.3", "ppc64le": "ld64.so.2",
                  "ppc64": "ld64.so.1",
                  "s390x": "ld64.so.1", "riscv64": "ld-linux-riscv64-lp64d.so.1",
                  "loongarch64": "ld-linux-loongarch-lp64d.so.1"}


def add_loader(libraries, arch, family, executable):
    """Record the dynamic loader even where no search directory holds it under its soname: it is the
    PT_INTERP of the interpreter running this probe (abigate.loaders holds the same table)."""
    want = _GLIBC_LOADERS.get(arch) if family == "glibc" else None
    if want is None or want in libraries or any(want in e.get("files", ()) for e in libraries.values()):
        return
    interp = read_interp(os.path.realpath(executable)) if executable else None
    if not interp:
        return
    try:
        machine, soname, versions = read_elf_versions(os.path.realpath(interp))
    except (ElfError, OSError, struct.error, UnicodeDecodeError):
        return
    if machine == arch and soname == want:
        libraries[want] = {"path": interp, "versions": sorted(set(versions), key=_node_key)}


def _node_key(name):
    m = re.match(r"^(.*?)_(\d+(?:\.\d+)*)$", name)
    if not m:
        return (name, 1, ())
    return (m.group(1), 0, tuple(int(x) for x in m.group(2).split(".")))


def links_libpython(executable):
    """Whether the interpreter at *executable* loads libpython3.X.so.

    Py_ENABLE_SHARED alone is not the answer: Debian and Ubuntu build libpython3.X.so (for embedding) with
    Py_ENABLE_SHARED = 1 but link /usr/bin/python3.X statically. The executable's DT_NEEDED is; when it
    cannot be read (not ELF, unreadable), the build flag is the best there is.
    """
    shared = bool(sysconfig.get_config_var("Py_ENABLE_SHARED"))
    if not shared or not executable:
        return shared
    needed = []
    try:
        read_elf_versions(os.path.realpath(executable), needed)
    except (ElfError, OSError, struct.error, UnicodeDecodeError):
        return shared
    return any(name.startswith("libpython") for name in needed)


def python_info():
    import importlib.machinery

    gil_disabled = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    return {
        "version": "%d.%d" % sys.version_info[:2],
        "implementation": sys.implementation.name,
        "free_threaded": gil_disabled,
        "debug": hasattr(sys, "gettotalrefcount"),
        "executable": sys.executable,
        "shared_libpython": links_libpython(sys.executable),
        "extension_suffixes": list(importlib.machinery.EXTENSION_SUFFIXES),
        "full_version": platform.python_version(),
        "abiflags": getattr(sys, "abiflags", ""),
    }


def build_profile(environ=None, profile_id=None):
    environ = os.environ if environ is None else environ
    arch = normalise_arch(os.uname().machine)
    family, version, evidence = detect_libc(arch)
    osr = read_os_release("/")
    host = platform.node() or "localhost"
    paths = search_path(arch, family, environ)
    if family == "musl":
        by_name = set(paths)
    else:
        by_name = {p for p in environ.get("LD_LIBRARY_PATH", "").split(":") if p}
        by_name |= set(default_dirs(arch, family))
    libraries = scan_libraries(paths, arch, by_name)
    add_loader(libraries, arch, family, sys.executable)
    try:
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        page_size = 4096
    isa = x86_isa_level(_read_text("/proc/cpuinfo")) if arch == "x86_64" else None
    tunables = environ.get("GLIBC_TUNABLES", "")
    exec_stack_allowed = re.search(r"glibc\.rtld\.execstack=2", tunables) is not None
    version_tuple = tuple(int(x) for x in version.split(".") if x.isdigit())
    refuses = family == "glibc" and version_tuple >= (2, 41) and not exec_stack_allowed
    pid = profile_id or "captured-%s-%s-%s" % (osr.get("ID", "linux"), osr.get("VERSION_ID", "unknown"), arch)
    profile = {
        "schema": 1,
        "id": pid,
        "title": "%s (%s), captured on %s" % (osr.get("PRETTY_NAME", "Linux"), arch, host),
        "kind": "captured",
        "generator": "abigate probe %d, Python %s" % (PROBE_VERSION, platform.python_version()),
        "arch": arch,
        "page_size": page_size,
    }
    if isa is not None:
        profile["x86_isa_level"] = isa
    profile["refuses_exec_stack"] = refuses
    profile["library_paths"] = paths
    os_table = {k: v for k, v in (("id", osr.get("ID")), ("version", osr.get("VERSION_ID")),
                                  ("name", osr.get("PRETTY_NAME"))) if v}
    if os_table:
        profile["os"] = os_table
    profile["libc"] = {"family": family, "version": version}
    if family == "musl" and "libc.so" not in libraries:
        # musl resolves DT_NEEDED "libc.so" to itself without a file of that name.
        musl = [v for k, v in sorted(libraries.items()) if k.startswith("ld-musl-")]
        if musl:
            libraries["libc.so"] = {"path": musl[0]["path"], "versions": []}
    libs = {}
    for name in sorted(libraries):
        entry = {"versions": libraries[name]["versions"], "exact": True, "path": libraries[name]["path"]}
        if libraries[name].get("files"):
            entry["files"] = libraries[name]["files"]
        if family == "glibc" and name == "libc.so.6":
            entry["version"] = version
        libs[name] = entry
    profile["libraries"] = libs
    py = python_info()
    profile["python"] = [{k: py[k] for k in ("version", "implementation", "free_threaded", "debug", "executable",
                                             "shared_libpython", "extension_suffixes")}]
    profile["sources"] = {"probe": {"url": "capture:%s" % host, "title": "abigate probe run on the target"}}
    cite = {"confidence": "verified", "sources": ["probe"]}
    profile["provenance"] = {
        "arch": dict(cite, note="os.uname().machine"),
        "libc": dict(cite, note=evidence),
        "page_size": dict(cite, note="os.sysconf(SC_PAGE_SIZE)"),
        "library_paths": dict(cite, note="LD_LIBRARY_PATH, ld.so.conf and the loader's default directories"),
        "refuses_exec_stack": dict(cite, note="glibc >= 2.41 unless GLIBC_TUNABLES sets glibc.rtld.execstack=2"),
    }
    if isa is not None:
        profile["provenance"]["x86_isa_level"] = dict(cite, note="flags common to every CPU in /proc/cpuinfo")
    return profile


# ---------------------------------------------------------------------------------------------------------
# Output


def _toml_key(name):
    return name if re.match(r"^[A-Za-z0-9_-]+$", name) else json.dumps(name)


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        one = "[" + ", ".join(_toml_value(v) for v in value) + "]"
        if len(one) <= 100:
            return one
        return "[\n" + "".join("    %s,\n" % _toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join("%s = %s" % (_toml_key(k), _toml_value(v)) for k, v in value.items()) + " }"
    raise TypeError(type(value).__name__)


def to_toml(profile):
    lines = ["# Captured by the abigate probe. Check it with: abigate profile validate FILE"]
    for key, value in profile.items():
        if not isinstance(value, (dict, list)) or (isinstance(value, list) and not
                                                    (value and isinstance(value[0], dict))):
            lines.append("%s = %s" % (_toml_key(key), _toml_value(value)))
    for key in ("os", "libc"):
        if key in profile:
            lines += ["", "[%s]" % key] + ["%s = %s" % (_toml_key(k), _toml_value(v))
                                           for k, v in profile[key].items()]
    for name, entry in profile["libraries"].items():
        lines += ["", "[libraries.%s]" % _toml_key(name)]
        lines += ["%s = %s" % (_toml_key(k), _toml_value(v)) for k, v in entry.items()]
    for entry in profile["python"]:
        lines += ["", "[[python]]"] + ["%s = %s" % (_toml_key(k), _toml_value(v)) for k, v in entry.items()]
    for key in ("sources", "provenance"):
        lines += ["", "[%s]" % key] + ["%s = %s" % (_toml_key(k), _toml_value(v))
                                       for k, v in profile[key].items()]
    return "\n".join(lines) + "\n"


def main(argv):
    fmt, profile_id = "toml", None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--json":
            fmt = "json"
        elif arg == "--id" and args:
            profile_id = args.pop(0)
        elif arg in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        else:
            sys.stderr.write("probe: unknown argument %r (use --json, --id ID)\n" % arg)
            return 2
    if not sys.platform.startswith("linux"):
        sys.stderr.write("probe: this machine is not Linux (%s); profiles describe Linux targets\n" % sys.platform)
        return 2
    profile = build_profile(profile_id=profile_id)
    if fmt == "json":
        sys.stdout.write(json.dumps(profile, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(to_toml(profile))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
