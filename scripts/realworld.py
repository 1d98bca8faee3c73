#!/usr/bin/env python3
"""The real-world tier (issue 7): abigate on hundreds of public wheels, against their own policy and against
real loaders in Debian root filesystems. One command reruns all of it; ``docs/realworld.md`` explains it.

Unit tests cannot tell whether abigate is right about the wheels people install: they only hold what their
authors thought of. This script asks two outside judges instead:

1. **policy** — every wheel was accepted for the platform tag it carries (auditwheel repaired it for that
   policy), so ``abigate check WHEEL -p <policy profile of its own tag>`` must pass unless abigate names a
   real violation; each failure is checked against ``readelf`` and labelled.
2. **loaders** — the real glibc of Debian 11, 12 and 13 (``debootstrap``), asked through ``ctypes.CDLL``
   under each chroot's own ``python3`` for every ELF file of every x86_64 wheel, compared file by file with
   ``abigate check`` against ``abigate profile from-rootfs`` of the same tree.

Nothing is downloaded into the repository: wheels, profiles and raw results live in a cache folder
(``~/.cache/abigate-realworld`` by default). Every subprocess has a timeout and an address-space cap, so a
hang or a runaway is recorded as a result instead of stopping the run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from packaging.tags import Tag
from packaging.utils import parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LIST = ROOT / "scripts" / "realworld_wheels.txt"
DEFAULT_RESULTS = ROOT / "docs" / "realworld-results.md"
DEFAULT_CACHE = Path(os.environ.get("ABIGATE_REALWORLD_CACHE", "~/.cache/abigate-realworld")).expanduser()
DEFAULT_ROOTFS = Path("/work/rw/rootfs")
SUITES: dict[str, str] = {"bullseye": "Debian 11", "bookworm": "Debian 12", "trixie": "Debian 13"}
#: ``<suite>-desktop`` trees add the libraries wheels commonly expect from the system (GL, GLU, glib,
#: xkbcommon, OpenMP, TBB, Kerberos, D-Bus, fontconfig, X11 bits): in a bare minbase tree those loads all fail
#: alike, so the lookups that matter (found by SONAME or by file name, versions) would go untested.
DESKTOP_PACKAGES: tuple[str, ...] = (
    "libgomp1",
    "libglu1-mesa",
    "libgl1",
    "libegl1",
    "libxkbcommon0",
    "libfontconfig1",
    "libxcursor1",
    "libxft2",
    "libxinerama1",
    "libbrotli1",
    "libgssapi-krb5-2",
    "libdbus-1-3",
    "libwayland-client0",
    "libx11-xcb1",
    "libxrender1",
    "libxext6",
    "libsm6",
    "libice6",
    "libfreetype6",
    "libzstd1",
)
#: per suite: the packages whose names differ (trixie's 64-bit time_t renames, TBB's soname bump).
DESKTOP_SUITE_PACKAGES: dict[str, tuple[str, ...]] = {
    "bullseye": ("libglib2.0-0", "libtbb2"),
    "bookworm": ("libglib2.0-0", "libtbb12"),
    "trixie": ("libglib2.0-0t64", "libtbb12"),
}
#: the musl tree: Debian's own musl package (1.2.3 on Debian 12) copied out of this host, no Python.
MUSL_SUITE = "musl-host"
DEFAULT_SUITES = [*SUITES, *(f"{s}-desktop" for s in SUITES), MUSL_SUITE]
DEFAULT_PYTHONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
DEFAULT_ARCHES = ("x86_64", "aarch64")
#: platform ceilings pip is asked for: (libc, newest glibc minor or musl minor).
TARGETS: dict[str, tuple[str, int]] = {
    "glibc2_17": ("glibc", 17),
    "glibc2_28": ("glibc", 28),
    "glibc2_39": ("glibc", 39),
    "musl1_2": ("musl", 2),
}
#: rule-code prefixes a dynamic loader itself enforces (archive readability, ELF header, symbol versions,
#: libraries); ABG3xx (Python) and ABG5xx (sizes) are invisible to ``dlopen`` and not compared.
LOADER_LEVEL = ("ABG0", "ABG1", "ABG2", "ABG4")


# --- Subprocesses with limits -------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Run:
    """One finished (or killed) subprocess: what it printed, how long it took, how much memory it held."""

    cmd: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool
    max_rss_mb: float
    #: user + system CPU seconds of the process: what it cost, which a busy machine does not inflate the way
    #: it inflates wall time (the tier runs checks in parallel, and other work may share the cores).
    cpu_seconds: float = 0.0


def _limits(mem_mb: int) -> Callable[[], None]:
    """A ``preexec_fn`` that caps the child's address space, so a runaway fails fast instead of swapping."""

    def apply() -> None:
        if mem_mb > 0:
            cap = mem_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.setsid()  # its own process group: a timeout kills the whole tree

    return apply


def run_limited(
    cmd: Sequence[str],
    *,
    timeout: float,
    mem_mb: int,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run *cmd* with a wall-clock *timeout* and an address-space cap; never raises for the child's failure.

    Output goes to temporary files rather than pipes so the parent can wait with ``wait4`` (which reports
    the child's own peak RSS, unlike ``getrusage(RUSAGE_CHILDREN)`` across threads).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=_limits(mem_mb),  # noqa: PLW1509 - only setrlimit and setsid
            env=env,
        )
        if stdin is not None:
            assert proc.stdin is not None
            try:
                proc.stdin.write(stdin.encode())
                proc.stdin.close()
            except BrokenPipeError:
                pass
        timed_out = False
        status = 0
        rss_kb = 0
        cpu = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                rss_kb = usage.ru_maxrss
                cpu = usage.ru_utime + usage.ru_stime
                break
            if time.monotonic() - start > timeout:
                timed_out = True
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                _, status, usage = os.wait4(proc.pid, 0)
                rss_kb = usage.ru_maxrss
                cpu = usage.ru_utime + usage.ru_stime
                break
            time.sleep(0.005)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            cmd=list(cmd),
            returncode=None if timed_out else proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            seconds=round(seconds, 3),
            timed_out=timed_out,
            max_rss_mb=round(rss_kb / 1024, 1),
            cpu_seconds=round(cpu, 3),
        )


# --- The corpus ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One pinned project version of the list and the combinations pip is asked for."""

    name: str
    version: str
    pythons: tuple[str, ...]
    arches: tuple[str, ...]
    targets: tuple[str, ...]


def read_list(path: Path) -> list[Entry]:
    """Parse the committed list (format in its header)."""
    entries: list[Entry] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        spec, *opts = line.split()
        if "==" not in spec:
            raise SystemExit(f"{path}:{lineno}: expected NAME==VERSION, got {spec!r}")
        name, version = spec.split("==", 1)
        values: dict[str, tuple[str, ...]] = {
            "py": DEFAULT_PYTHONS,
            "arch": DEFAULT_ARCHES,
            "target": tuple(TARGETS),
        }
        for opt in opts:
            key, _, val = opt.partition("=")
            if key not in values or not val:
                raise SystemExit(f"{path}:{lineno}: unknown option {opt!r}")
            values[key] = tuple(v for v in val.split(",") if v)
        for t in values["target"]:
            if t not in TARGETS:
                raise SystemExit(f"{path}:{lineno}: unknown target {t!r}")
        entries.append(Entry(name, version, values["py"], values["arch"], values["target"]))
    return entries


def platforms(arch: str, target: str) -> list[str]:
    """The ``--platform`` values for a ceiling, best first (pip 23 does not expand ``manylinux_2_X``)."""
    libc, top = TARGETS[target]
    if libc == "musl":
        return [f"musllinux_1_{m}_{arch}" for m in range(top, -1, -1)]
    plats = [f"manylinux_2_{m}_{arch}" for m in range(top, 4, -1)]
    plats.insert(plats.index(f"manylinux_2_17_{arch}") + 1, f"manylinux2014_{arch}")
    if arch in ("x86_64", "i686"):
        plats.insert(plats.index(f"manylinux_2_12_{arch}") + 1, f"manylinux2010_{arch}")
        plats.append(f"manylinux1_{arch}")
    return plats


def pip_download_cmd(entry: Entry, py: str, arch: str, target: str, dest: Path) -> list[str]:
    """``pip download`` of exactly one wheel for one combination, isolated from this machine's pip config."""
    nodot = py.replace(".", "")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--isolated",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        "--python-version",
        py,
        "--implementation",
        "cp",
        "--abi",
        f"cp{nodot}",
        "--abi",
        "abi3",
        "--abi",
        "none",
        "-d",
        str(dest),
    ]
    for plat in platforms(arch, target):
        cmd += ["--platform", plat]
    cmd.append(f"{entry.name}=={entry.version}")
    return cmd


_SAVED = re.compile(r"(?:Saved|File was already downloaded) (\S+\.whl)")


def download(entries: list[Entry], cache: Path, jobs: int, log: Callable[[str], None]) -> list[Path]:
    """Fetch each combination's wheel into ``cache/wheels`` (skipping ones resolved before); return the files.

    ``resolved.json`` remembers which file (or none) each combination gave, so a rerun asks pip nothing for
    what it already has.
    """
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    resolved_path = cache / "resolved.json"
    resolved: dict[str, str | None] = {}
    if resolved_path.exists():
        resolved = json.loads(resolved_path.read_text(encoding="utf-8"))
    lock = threading.Lock()
    todo: list[tuple[str, Entry, str, str, str]] = []
    for e in entries:
        for py in e.pythons:
            for arch in e.arches:
                for target in e.targets:
                    key = f"{e.name}=={e.version}|{py}|{arch}|{target}"
                    have = resolved.get(key, "?")
                    if key in resolved and (have is None or (wheels / str(have)).exists()):
                        continue
                    todo.append((key, e, py, arch, target))
    log(f"download: {len(todo)} pip calls to make ({len(resolved)} combinations cached)")
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PIP_CONSTRAINT="")
    env.pop("PIP_FIND_LINKS", None)
    done = [0]

    def one(item: tuple[str, Entry, str, str, str]) -> None:
        key, e, py, arch, target = item
        r = run_limited(pip_download_cmd(e, py, arch, target, wheels), timeout=600, mem_mb=0, env=env)
        found = _SAVED.findall(r.stdout)
        name = Path(found[-1]).name if found and r.returncode == 0 else None
        if r.returncode != 0 and "No matching distribution" not in r.stderr + r.stdout:
            log(f"  pip failed for {key}: {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
            return  # network trouble: not remembered, retried next time
        with lock:
            resolved[key] = name
            done[0] += 1
            if done[0] % 50 == 0:
                log(f"  {done[0]}/{len(todo)} combinations resolved")
                _write_json(resolved_path, resolved)

    # One project version's combinations run one after another: two pips saving the same file into the same
    # folder at once can make one of them fail; different projects never share a file.
    groups: dict[str, list[tuple[str, Entry, str, str, str]]] = {}
    for item in todo:
        groups.setdefault(item[0].split("|", 1)[0], []).append(item)

    def project(items: list[tuple[str, Entry, str, str, str]]) -> None:
        for item in items:
            one(item)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(project, groups.values()))
    _write_json(resolved_path, resolved)
    keys = {f"{e.name}=={e.version}|" for e in entries}
    names = sorted({n for k, n in resolved.items() if n and any(k.startswith(p) for p in keys)})
    return [wheels / n for n in names if (wheels / n).exists()]


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


# --- What a wheel is ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class WheelInfo:
    """The facts of a wheel's file name this tier needs."""

    name: str
    arch: str
    libc: str  # glibc | musl
    libc_min: tuple[int, int]  # the oldest glibc / musl its tags claim
    python: str  # X.Y or X.Yt: the Python its tags claim (abi3: its minimum; py3-none: 3.12)
    abi3: bool
    universal: bool  # py3-none: no Python ABI at all


_MANY = re.compile(r"^manylinux_(\d+)_(\d+)_(.+)$")
_MUSL = re.compile(r"^musllinux_(\d+)_(\d+)_(.+)$")
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def _platform(plat: str) -> tuple[str, tuple[int, int], str] | None:
    if m := _MANY.match(plat):
        return "glibc", (int(m[1]), int(m[2])), m[3]
    if m := _MUSL.match(plat):
        return "musl", (int(m[1]), int(m[2])), m[3]
    prefix, _, arch = plat.partition("_")
    if prefix in _LEGACY:
        return "glibc", _LEGACY[prefix], arch
    return None


def _python_of(tag: Tag) -> tuple[tuple[int, int], str, bool, bool]:
    """(sort key, X.Y[t], abi3, universal) of one tag."""
    interp, abi = tag.interpreter, tag.abi
    m = re.match(r"^(?:cp|py)(\d)(\d+)?$", interp)
    if abi == "none" or not m or m[2] is None:
        return (3, 12), "3.12", False, True
    ver = (int(m[1]), int(m[2]))
    text = f"{ver[0]}.{ver[1]}"
    if abi == "abi3":
        # the oldest Python of the corpus stands in for an older abi3 minimum (cp36-abi3, cp37-abi3)
        ver = max(ver, (3, 8))
        return ver, f"{ver[0]}.{ver[1]}", True, False
    if abi.endswith("t"):
        return ver, text + "t", False, False
    return ver, text, False, False


def wheel_info(path: Path) -> WheelInfo | None:
    """Platform and Python of a Linux wheel from its file name; ``None`` for anything else."""
    name, _, _, tags = parse_wheel_filename(path.name)
    plats = [p for p in (_platform(t.platform) for t in tags) if p]
    if not plats:
        return None
    libc = plats[0][0]
    arch = plats[0][2]
    libc_min = min(p[1] for p in plats if p[0] == libc)
    py = min(_python_of(t) for t in tags)
    return WheelInfo(str(name), arch, libc, libc_min, py[1], py[2], py[3])


def policy_profiles(abigate: Sequence[str]) -> list[tuple[str, str, str, tuple[int, int]]]:
    """The built-in policy profiles as (id, arch, libc, version), from ``abigate profile list``."""
    out = subprocess.run([*abigate, "profile", "list"], capture_output=True, text=True, check=True).stdout
    rows: list[tuple[str, str, str, tuple[int, int]]] = []
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5 and parts[1] == "policy":
            major, minor = parts[4].split(".")[:2]
            rows.append((parts[0], parts[2], parts[3], (int(major), int(minor))))
    return rows


def policy_for(info: WheelInfo, policies: list[tuple[str, str, str, tuple[int, int]]]) -> str | None:
    """The lowest built-in policy at or above what the wheel's tags claim (manylinux_2_24 → 2_28)."""
    fits = sorted(
        (ver, pid)
        for pid, arch, libc, ver in policies
        if arch == info.arch and libc == info.libc and ver >= info.libc_min
    )
    return fits[0][1] if fits else None


# --- Policy part --------------------------------------------------------------------------------------------


def _errors(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        f
        for a in report.get("artifacts", [])
        for f in a.get("findings", [])
        if f.get("severity") == "error" and not f.get("waived")
    ]


def _json(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _extract(wheel: Path, member: str, dest: Path) -> Path | None:
    try:
        with zipfile.ZipFile(wheel) as zf:
            target = dest / member
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            return target
    except (KeyError, OSError, zipfile.BadZipFile):
        return None


#: what auditwheel's manylinux policies allow a wheel to need from the system (PEP 599/600 and the
#: policy files auditwheel ships), plus the dynamic loader every glibc system has.
MANYLINUX_ALLOWED = {
    "libgcc_s.so.1",
    "libstdc++.so.6",
    "libm.so.6",
    "libdl.so.2",
    "librt.so.1",
    "libc.so.6",
    "libnsl.so.1",
    "libutil.so.1",
    "libpthread.so.0",
    "libresolv.so.2",
    "libX11.so.6",
    "libXext.so.6",
    "libXrender.so.1",
    "libICE.so.6",
    "libSM.so.6",
    "libGL.so.1",
    "libgobject-2.0.so.0",
    "libgthread-2.0.so.0",
    "libglib-2.0.so.0",
    "libz.so.1",
    "libexpat.so.1",
    "libcrypt.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "libmvec.so.1",
}
#: musllinux (PEP 656; auditwheel's musllinux policies): only musl's own libc; libgcc_s and libstdc++ must be
#: bundled.
MUSLLINUX_ALLOWED = {"libc.so", "ld-musl-x86_64.so.1", "ld-musl-aarch64.so.1"}


def verify_finding(
    finding: dict[str, Any],
    elf: Path | None,
    info: WheelInfo,
    policy_glibc: tuple[int, int],
    wheel_members: set[str],
) -> tuple[str, str, list[str]]:
    """Judge one error finding with ``readelf``: (verdict real|false|unverified, why, evidence lines)."""
    code = str(finding.get("code", ""))
    member = str(finding.get("member") or "")
    lib = finding.get("library")
    if elf is None:
        return "unverified", "member not a file of the wheel (artifact-level finding)", []
    r = run_limited(["readelf", "-hdlVW", "--dyn-syms", str(elf)], timeout=60, mem_mb=2048)
    text = r.stdout
    lines = text.splitlines()
    etype = next((ln.split(":", 1)[1].strip() for ln in lines if ln.strip().startswith("Type:")), "?")
    interp = any("Requesting program interpreter" in ln for ln in lines)
    program = etype.startswith("EXEC") or (etype.startswith("DYN") and interp)
    if r.returncode != 0 and not text:
        return (
            ("real" if code.startswith("ABG0") else "unverified"),
            "readelf cannot read it either",
            r.stderr.strip().splitlines()[:3],
        )
    evidence: list[str] = [f"Type: {etype}" + (" with PT_INTERP (a program)" if interp else "")]
    if code == "ABG002":
        return "false", "readelf reads the extracted member fine (ELF header OK)", evidence
    if code == "ABG204":
        relr = [ln.strip() for ln in lines if "(RELR" in ln]
        evidence += relr[:2]
        if relr:
            return (
                "real",
                (
                    "readelf -d shows DT_RELR; musl supports it only from 1.2.4 and the policy admits musl "
                    "1.2.0 (auditwheel does not check it; today's musllinux_1_2 build image links with it)"
                ),
                evidence,
            )
        return "false", "readelf -d shows no DT_RELR", evidence
    if code.startswith("ABG2") and finding.get("versions"):
        versions = [str(v) for v in finding["versions"]]
        shown = [
            ln.strip() for ln in lines if any(re.search(rf"Name: {re.escape(v)}\b", ln) for v in versions)
        ]
        evidence += shown[:6]
        newer = [
            v
            for v in versions
            if (m := re.match(r"GLIBC_(\d+)\.(\d+)", v)) and (int(m[1]), int(m[2])) > policy_glibc
        ]
        if shown and newer:
            return (
                "real",
                f"readelf -V: needs {', '.join(newer)} > glibc {policy_glibc[0]}.{policy_glibc[1]}",
                evidence,
            )
        if shown:
            return (
                "unverified",
                "the versions are needed; whether the policy lacks them needs a look",
                evidence,
            )
        return "false", "readelf -V shows no such version need", evidence
    if code.startswith("ABG4") and lib:
        needed = [ln.strip() for ln in lines if "(NEEDED)" in ln or "PATH)" in ln]
        evidence += [" ".join(ln.split()[1:]) for ln in needed if f"[{lib}]" in ln or "PATH)" in ln][:3]
        in_wheel = sorted(m for m in wheel_members if m.rsplit("/", 1)[-1] == lib)
        allowed = MUSLLINUX_ALLOWED if info.libc == "musl" else MANYLINUX_ALLOWED
        if not any(f"[{lib}]" in ln for ln in needed):
            return "false", f"readelf -d: no NEEDED {lib}", evidence
        if lib in allowed:
            return (
                "false",
                f"{lib} is a library the policy lets every wheel need (always on the system)",
                evidence,
            )
        if in_wheel:
            return (
                "unverified",
                f"{lib} is in the wheel ({in_wheel[0]}) but not on this file's search path"
                + (f" (a program, {etype}: a wrapper may set LD_LIBRARY_PATH)" if program else ""),
                evidence,
            )
        if program:
            # No wrapper can provide a library the wheel does not ship and the policy does not allow.
            return (
                "real",
                f"NEEDED {lib}: not in the wheel and not a library the policy allows (a program, {etype}: it "
                "cannot start on a system with only what the policy allows)",
                evidence,
            )
        return "real", f"NEEDED {lib}: not in the wheel and not a library the policy allows", evidence
    if code == "ABG306" or "PyInit" in str(finding.get("message", "")):
        exports = [ln.split()[-1] for ln in lines if "PyInit_" in ln and " UND " not in ln]
        py_imports = [
            ln.split()[-1] for ln in lines if " UND " in ln and re.search(r"\b_?Py", ln.split()[-1])
        ]
        evidence.append(f"exports {exports[:3] or 'no PyInit_'}; {len(py_imports)} undefined Py* symbols")
        stem = member.rsplit("/", 1)[-1].split(".", 1)[0]
        if stem == "__init__" and "/" in member:
            pkg = member.rsplit("/", 2)[-2]
            if f"PyInit_{pkg}" in [e.split("@")[0] for e in exports]:
                return (
                    "false",
                    f"package __init__ extension: CPython imports PyInit_{pkg}, which it exports",
                    evidence,
                )
        if not exports and not py_imports:
            return "false", "no PyInit_ and no Py* imports: a ctypes/cffi library, never imported", evidence
        return "unverified", "Python-level finding", evidence
    if code == "ABG301" and info.libc == "musl" and "-linux-gnu" in member:
        major_minor = tuple(int(x) for x in info.python.rstrip("t").split("."))
        if major_minor < (3, 11):
            return (
                "false",
                (
                    "CPython up to 3.10 names its extensions '-linux-gnu' on musl too (every cp38-cp310 "
                    "musllinux wheel of the corpus does; cp311+ use '-linux-musl'), so Python "
                    + info.python
                    + " on musl imports this suffix"
                ),
                evidence,
            )
    if code.startswith("ABG3"):
        return "unverified", "Python-level finding (tags / suffix / ABI), no ELF evidence", evidence
    return "unverified", "no automatic readelf judgement for this rule", evidence


def policy_one(
    wheel: Path,
    args: argparse.Namespace,
    policies: list[tuple[str, str, str, tuple[int, int]]],
    abigate: list[str],
    env: dict[str, str],
) -> dict[str, Any]:
    """Check and scan one wheel against its own policy; verify each failure's findings with readelf."""
    info = wheel_info(wheel)
    res: dict[str, Any] = {"wheel": wheel.name, "size_mb": round(wheel.stat().st_size / 2**20, 1)}
    if info is None:
        res["status"] = "skipped: not a Linux wheel"
        return res
    profile = policy_for(info, policies)
    res.update(profile=profile, python=info.python, arch=info.arch, libc=info.libc)
    if profile is None:
        res["status"] = "skipped: no built-in policy at or above its tag"
        return res
    check = run_limited(
        [
            *abigate,
            "check",
            str(wheel),
            "-p",
            profile,
            "--python",
            info.python,
            "--format",
            "json",
            "--no-config",
            "-j",
            "1",
        ],
        timeout=args.timeout,
        mem_mb=args.mem_mb,
        env=env,
    )
    scan_cmd = [*abigate, "scan", str(wheel), "--format", "json", "-j", "1"]
    scan = run_limited(scan_cmd, timeout=args.timeout, mem_mb=args.mem_mb, env=env)
    check_s, scan_s = check.seconds, scan.seconds
    check_cpu, scan_cpu = check.cpu_seconds, scan.cpu_seconds
    # Timing noise (start-up, a busy machine) is one-sided: the fastest of --repeat runs is the cost.
    for _ in range(max(0, args.repeat - 1)):
        if check.timed_out or scan.timed_out:
            break
        again = run_limited(list(check.cmd), timeout=args.timeout, mem_mb=args.mem_mb, env=env)
        check_s, check_cpu = min(check_s, again.seconds), min(check_cpu, again.cpu_seconds)
        again = run_limited(scan_cmd, timeout=args.timeout, mem_mb=args.mem_mb, env=env)
        scan_s, scan_cpu = min(scan_s, again.seconds), min(scan_cpu, again.cpu_seconds)
    # The ratio compares CPU seconds (single process: -j 1), the cost a busy machine does not distort.
    res.update(
        check_s=check_s,
        scan_s=scan_s,
        check_cpu_s=check_cpu,
        scan_cpu_s=scan_cpu,
        check_rss_mb=check.max_rss_mb,
        scan_rss_mb=scan.max_rss_mb,
        check_rc=check.returncode,
        scan_rc=scan.returncode,
        ratio=round(check_cpu / scan_cpu, 2) if scan_cpu else None,
    )
    if check.timed_out:
        res["status"] = "hang"
        res["detail"] = f"check killed after {args.timeout:.0f} s (peak {check.max_rss_mb} MB)"
        return res
    if "MemoryError" in check.stderr:
        res["status"] = "hang"
        res["detail"] = (
            f"check ran out of its {args.mem_mb} MiB address space after {check.seconds:.0f} s "
            f"(MemoryError; scan: {scan.seconds:.1f} s, {scan.max_rss_mb} MB)"
        )
        return res
    report = _json(check.stdout)
    if report is None or check.returncode not in (0, 1):
        res["status"] = "error"
        res["detail"] = (
            f"exit {check.returncode}: " + " | ".join(check.stderr.strip().splitlines()[-3:])[:600]
        )
        return res
    errors = _errors(report)
    res["status"] = "pass" if check.returncode == 0 else "fail"
    if not errors:
        return res
    policy_glibc = next(v for pid, _, _, v in policies if pid == profile)
    with zipfile.ZipFile(wheel) as zf:
        members = set(zf.namelist())
    verified: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rw-policy-") as tmp:
        extracted: dict[str, Path | None] = {}
        for f in errors:
            member = str(f.get("member") or "")
            if "!" in member:
                member = member.split("!")[-1]
            if member and member not in extracted:
                extracted[member] = _extract(wheel, member, Path(tmp)) if member in members else None
            verdict, why, evidence = verify_finding(f, extracted.get(member), info, policy_glibc, members)
            verified.append(
                {
                    "code": f.get("code"),
                    "member": f.get("member"),
                    "library": f.get("library"),
                    "message": f.get("message"),
                    "loader_message": f.get("loader_message"),
                    "readelf": verdict,
                    "why": why,
                    "evidence": evidence,
                }
            )
    res["findings"] = verified
    return res


def run_policy(
    wheels: list[Path],
    args: argparse.Namespace,
    abigate: list[str],
    env: dict[str, str],
    log: Callable[[str], None],
) -> list[dict[str, Any]]:
    """The policy part over every wheel, *jobs* at a time."""
    policies = policy_profiles(abigate)
    done = [0]
    lock = threading.Lock()

    def one(w: Path) -> dict[str, Any]:
        r = policy_one(w, args, policies, abigate, env)
        with lock:
            done[0] += 1
            if r.get("status") not in ("pass",) or done[0] % 25 == 0:
                log(
                    f"  policy {done[0]}/{len(wheels)} {w.name}: {r.get('status')} "
                    f"{r.get('check_s', '')}s/{r.get('scan_s', '')}s"
                )
        return r

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        return list(pool.map(one, wheels))


# --- Loader part --------------------------------------------------------------------------------------------

#: runs under the chroot's own python3 (3.9+): dlopen each file in a forked child so a crash, a hang or a
#: constructor's side effects cannot touch the next file; prints one JSON line per file.
LOADER_SCRIPT = r"""
import ctypes, json, os, select, signal, sys, time
req = json.load(sys.stdin)
for path in req["files"]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            ctypes.CDLL(path)
            msg = {"status": "ok"}
        except OSError as e:
            msg = {"status": "error", "error": str(e)}
        except BaseException as e:
            msg = {"status": "error", "error": type(e).__name__ + ": " + str(e)}
        os.write(w, json.dumps(msg).encode())
        os._exit(0)
    os.close(w)
    chunks, deadline = [], time.time() + req["timeout"]
    while True:
        left = deadline - time.time()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select([r], [], [], left)
        if ready:
            data = os.read(r, 65536)
            if not data:
                break
            chunks.append(data)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    raw = b"".join(chunks)
    if raw:
        msg = json.loads(raw.decode())
    elif time.time() >= deadline:
        msg = {"status": "timeout", "error": "no answer within %ss" % req["timeout"]}
    else:
        msg = {"status": "crash", "error": "child died: status %d (signal %d)" % (status, status & 127)}
    msg["path"] = path
    print(json.dumps(msg), flush=True)
"""


def chroot_python(rootfs: Path) -> str:
    """X.Y of the chroot's python3."""
    out = subprocess.run(
        ["chroot", str(rootfs), "python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip()


def rootfs_profile(rootfs: Path, suite: str, cache: Path, abigate: list[str], env: dict[str, str]) -> Path:
    """``abigate profile from-rootfs`` of the tree, written next to the wheels.

    Made afresh on every run (a few seconds): the profile is part of what is measured, and it changes
    with the abigate that makes it.
    """
    out = cache / "profiles" / f"{suite}.toml"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [*abigate, "profile", "from-rootfs", str(rootfs), "--id", f"rootfs-{suite}", "-o", str(out)],
        check=True,
        env=env,
    )
    return out


def loader_candidates(wheels: list[Path], py: str) -> list[Path]:
    """x86_64 glibc wheels a chroot with Python *py* imports: its own cpXY, abi3 up to it, py3-none; with no
    Python (*py* empty: the musl tree), every x86_64 musllinux wheel."""
    if not py:
        return [
            w for w in wheels if (i := wheel_info(w)) is not None and i.arch == "x86_64" and i.libc == "musl"
        ]
    major_minor = tuple(int(x) for x in py.split("."))
    chosen: list[Path] = []
    for w in wheels:
        info = wheel_info(w)
        if info is None or info.arch != "x86_64" or info.libc != "glibc":
            continue
        if info.universal:
            chosen.append(w)
        elif info.abi3:
            if tuple(int(x) for x in info.python.split(".")) <= major_minor:
                chosen.append(w)
        elif info.python == py:
            chosen.append(w)
    return chosen


def _is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


@dataclasses.dataclass(frozen=True, slots=True)
class Dyn:
    """The dynamic-section facts the classification needs, read with pyelftools (not abigate's reader)."""

    soname: str | None
    needed: tuple[str, ...]
    rpath: bool
    runpath: bool
    program: bool = False  # has PT_INTERP: a program, run rather than dlopened


def dynamic_facts(path: Path) -> Dyn:
    """SONAME, NEEDED and whether RPATH / RUNPATH are set; empty for a file pyelftools cannot read."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    soname: str | None = None
    needed: list[str] = []
    rpath = runpath = program = False
    try:
        with open(path, "rb") as fh:
            elf = ELFFile(fh)
            program = any(seg["p_type"] == "PT_INTERP" for seg in elf.iter_segments())
            for sec in elf.iter_sections():
                if not isinstance(sec, DynamicSection):
                    continue
                for tag in sec.iter_tags():
                    if tag.entry.d_tag == "DT_NEEDED":
                        needed.append(str(getattr(tag, "needed")))  # noqa: B009 - set by pyelftools per tag
                    elif tag.entry.d_tag == "DT_SONAME":
                        soname = str(getattr(tag, "soname"))  # noqa: B009
                    elif tag.entry.d_tag == "DT_RPATH":
                        rpath = True
                    elif tag.entry.d_tag == "DT_RUNPATH":
                        runpath = True
    except (ELFError, OSError, ValueError, KeyError, AssertionError):
        pass
    return Dyn(soname, tuple(needed), rpath, runpath, program)


def closures(facts: dict[str, Dyn]) -> dict[str, set[str]]:
    """For each member, the members it loads through DT_NEEDED (by SONAME or file name, anywhere in the
    wheel: an over-approximation of the loader's search, enough to attribute a failure to a dependency)."""
    by_name: dict[str, list[str]] = {}
    for m, d in facts.items():
        for name in {m.rsplit("/", 1)[-1], d.soname or ""} - {""}:
            by_name.setdefault(name, []).append(m)
    out: dict[str, set[str]] = {}
    for root in facts:
        seen: set[str] = set()
        todo = [root]
        while todo:
            cur = todo.pop()
            for need in facts[cur].needed:
                for dep in by_name.get(need, []):
                    if dep not in seen and dep != root:
                        seen.add(dep)
                        todo.append(dep)
        out[root] = seen
    return out


#: glibc: "libx.so.1: cannot open shared object file";
#: musl: "Error loading shared library libx.so.1: No such".
_MISSING = re.compile(
    r"(?:Error loading shared library )?(\S+?):? (?:cannot open shared object file|No such file)"
)
#: glibc: "undefined symbol: sym"; musl: "Error relocating /path: sym: symbol not found".
_UNDEF = re.compile(r"(?:undefined symbol: (\S+?)(?:,|$|\s)|Error relocating \S+: (\S+): symbol not found)")


def _loads(by_path: dict[str, dict[str, Any]], member: str) -> bool:
    """Whether the loader run loaded *member*."""
    return by_path.get(member, {}).get("status") == "ok"


def _check_json(
    abigate: list[str], wheel: Path, profile: str, python: str, args: argparse.Namespace, env: dict[str, str]
) -> tuple[Run, dict[str, Any] | None, str]:
    """``abigate check WHEEL -p PROFILE --python X.Y --format json`` under the tier's limits: the run, the
    parsed report, and ``ok`` / ``hang`` / ``error``."""
    check = run_limited(
        [*abigate, "check", str(wheel), "-p", profile, "--python", python, "--format", "json", "--no-config",
         "-j", "1"],
        timeout=args.timeout,
        mem_mb=args.mem_mb,
        env=env,
    )
    report = _json(check.stdout) if not check.timed_out else None
    ok = report is not None and check.returncode in (0, 1)
    status = "ok" if ok else ("hang" if check.timed_out else "error")
    return check, report, status


def classify(
    member: str,
    loader: dict[str, Any],
    errs: list[dict[str, Any]],
    warns: list[dict[str, Any]],
    failing_deps: dict[str, list[dict[str, Any]]],
    rpath_loaders: list[str],
    requires: frozenset[str],
    wheel_files: set[str],
    info: WheelInfo,
    chroot_py: str,
    abigate_status: str,
    loads_via: list[str] | None = None,
) -> dict[str, Any]:
    """One file's agreement class and, for a disagreement, the reason (explained or not).

    The loader run dlopens every file alone, which is not how every file is used. A library that fails alone
    but is in the load closure of a file that loads is loaded fine as that file's dependency: it agrees with
    abigate's pass (``agree-load``, the reason says through what). A program is run, not dlopened, and a
    difference abigate explains by design (another Python, a declared dependency's library) is not a
    comparison of the same thing: both are ``not-comparable``, counted apart from false passes.
    """
    loads = loader.get("status") == "ok"
    msg = str(loader.get("error") or "")
    fails = bool(errs)
    row: dict[str, Any] = {
        "member": member,
        "loader": "ok" if loads else loader.get("status", "?"),
        "loader_message": msg,
        "findings": [f"{f.get('code')} {f.get('message')}" for f in errs],
    }
    if abigate_status != "ok":
        row.update(
            cls="abigate-" + abigate_status,
            explained=False,
            why=f"abigate check did not finish ({abigate_status})",
        )
        return row
    if loads and not fails:
        row.update(cls="agree-load")
        return row
    if not loads and fails:
        row.update(cls="agree-fail")
        return row
    if not loads:  # abigate passes, the loader refuses
        if failing_deps:
            named = [
                d
                for d, fs in failing_deps.items()
                if d.rsplit("/", 1)[-1] in msg or any(str(f.get("library") or "\0") in msg for f in fs)
            ]
            dep = (named or sorted(failing_deps))[0]
            first = failing_deps[dep][0]
            row.update(
                cls="agree-fail",
                why=f"fails through its bundled dependency {dep}, which abigate fails "
                f"({first.get('code')} {first.get('message')})"
                + ("" if named else "; the loader stopped at another cause first"),
            )
            return row
        if loads_via:
            row.update(
                cls="agree-load",
                why=f"loads as a dependency of {loads_via[0]}, which loads; dlopened alone: {msg}",
            )
            return row
        explained, why = _explain_false_pass(
            msg, loader, warns, wheel_files, info, chroot_py, rpath_loaders, requires
        )
        row.update(cls="not-comparable" if explained else "false-pass", explained=explained, why=why)
        return row
    row["cls"] = "false-reject"
    row.update(explained=False, why=_explain_false_reject(errs, wheel_files))
    return row


def _normalize(name: str) -> str:
    """A distribution or folder name compared as packaging compares names (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _explain_false_pass(
    msg: str,
    loader: dict[str, Any],
    warns: list[dict[str, Any]],
    wheel_files: set[str],
    info: WheelInfo,
    chroot_py: str,
    rpath_loaders: list[str],
    requires: frozenset[str],
) -> tuple[bool, str]:
    """(explained by design, why) for a file the loader refuses and abigate passes."""
    if (
        "cannot dynamically load position-independent executable" in msg
        or "cannot dynamically load executable" in msg
    ):
        return True, "a program: executed, never dlopened (abigate judges it as a program)"
    if loader.get("program"):
        return True, f"a program (PT_INTERP): run, never dlopened; the loader's dlopen of it: {msg}"
    if loader.get("status") in ("timeout", "crash"):
        return False, f"dlopen {loader.get('status')}: {msg} (a constructor hung or crashed)"
    warned = [f for f in warns if f.get("library") and str(f["library"]) in msg]
    if warned:
        w = warned[0]
        text = str(w.get("message"))
        dirs = {_normalize(d) for d in re.findall(r"\$ORIGIN/\.\./([A-Za-z0-9_.-]+)/", text)}
        if dirs & requires:
            dist = min(dirs & requires)
            return True, (
                f"{w.get('library')} belongs to {dist}, a declared dependency (Requires-Dist) this tier does "
                f"not install; abigate warns ({w.get('code')}: expected outside the artifact)"
            )
        return False, f"abigate only warns ({w.get('code')} {text})"
    if m := _MISSING.search(msg):
        lib = m[1].rsplit("/", 1)[-1]
        bundled = sorted(f for f in wheel_files if f.rsplit("/", 1)[-1] == lib)
        if bundled and rpath_loaders:
            return True, (
                f"{lib} is bundled ({bundled[0]}); this file is loaded by {rpath_loaders[0]}, whose DT_RPATH "
                "covers its whole load chain; dlopened alone, this file's own search path misses it"
            )
        if bundled:
            return False, (
                f"{lib} is bundled ({bundled[0]}) but unreachable from this file's own search path, and no "
                "file with a DT_RPATH loads this one"
            )
        if re.match(r"lib(python3|cu|nv|torch|c10|mkl|mpi|omp)", lib):
            return True, f"{lib} comes from another distribution or the interpreter, not this wheel"
        return False, f"{lib} is found neither in the wheel nor in the rootfs, and abigate says nothing"
    if m := _UNDEF.search(msg):
        sym = m[1] or m[2]
        if not chroot_py and re.match(r"_?Py", sym):
            return (
                True,
                f"{sym} is a Python C-API symbol and this tree has no Python: only an interpreter has it",
            )
        if re.match(r"_?Py|_Py", sym):
            if info.python.rstrip("t") != chroot_py and not info.abi3:
                return True, f"extension for Python {info.python} on Python {chroot_py}: {sym} is not there"
            return True, (
                f"{sym} is a Python C-API symbol: dlopen of a bundled library outside the interpreter's "
                "import (python3's own symbols are global, but this one is absent in this Python)"
            )
        return True, (
            f"undefined {sym}: an underlinked bundled library that relies on a sibling loaded before it "
            "(RTLD_GLOBAL or its extension's NEEDED list); dlopened alone it fails"
        )
    return False, "unexplained"


#: names musl's loader resolves to itself whatever the tree holds ("lib" + one of these + "."): ldso/dynlink.c
_MUSL_RESERVED = re.compile(r"^lib(c|pthread|rt|m|dl|util|xnet)\.")


def _explain_false_reject(errs: list[dict[str, Any]], wheel_files: set[str]) -> str:
    """Why abigate failed a file the loader loaded: every error, with what the loader evidently found."""
    parts: list[str] = []
    for f in errs:
        code = str(f.get("code"))
        lib = f.get("library")
        text = f"{code} {f.get('message')}"
        if (
            lib
            and code.startswith("ABG4")
            and _MUSL_RESERVED.match(str(lib))
            and "musl" in str(f.get("profile"))
        ):
            text += (
                f" — musl's loader resolves every reserved 'libc.*' / 'libm.*' … name to itself, so "
                f"{lib} needs no file; the profile of a musl tree without Alpine's symlink lacks it"
            )
            parts.append(text)
            continue
        if lib and code.startswith("ABG4"):
            bundled = sorted(x for x in wheel_files if x.rsplit("/", 1)[-1] == lib)
            text += f" — yet the loader found {lib}" + (f" (bundled: {bundled[0]})" if bundled else "")
        parts.append(text)
    return "unexplained: " + "; ".join(parts)


def _split_findings(
    report: dict[str, Any] | None,
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]], list[str], list[str]]:
    """A check report's findings: loader-level errors and warnings by member, artifact-level loader-level
    errors, and Python-level errors (which ``dlopen`` cannot see)."""
    errs_by: dict[str, list[dict[str, Any]]] = {}
    warns_by: dict[str, list[dict[str, Any]]] = {}
    artifact_level: list[str] = []
    python_level: list[str] = []
    for a in (report or {}).get("artifacts", []):
        for f in a.get("findings", []):
            if f.get("waived"):
                continue
            member = str(f.get("member") or "").split("!")[-1]
            loader_level = str(f.get("code", "")).startswith(LOADER_LEVEL)
            if f.get("severity") == "error" and loader_level:
                if member:
                    errs_by.setdefault(member, []).append(f)
                else:
                    artifact_level.append(f"{f.get('code')} {f.get('message')}")
            elif f.get("severity") == "warning" and member:
                warns_by.setdefault(member, []).append(f)
            elif f.get("severity") == "error":
                python_level.append(f"{member}: {f.get('code')} {f.get('message')}")
    return errs_by, warns_by, artifact_level, python_level


def loaders_one(
    wheel: Path,
    suite: str,
    rootfs: Path,
    profile: Path,
    chroot_py: str,
    args: argparse.Namespace,
    abigate: list[str],
    env: dict[str, str],
) -> dict[str, Any]:
    """Unpack one wheel in the chroot, dlopen each ELF file there, check the wheel against its profile."""
    info = wheel_info(wheel)
    assert info is not None
    rel = Path("tmp") / "rw" / wheel.name.removesuffix(".whl")
    where = rootfs / rel
    res: dict[str, Any] = {"wheel": wheel.name, "suite": suite, "python": chroot_py}
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    try:
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(where)
        files = sorted(p for p in where.rglob("*") if p.is_file() and not p.is_symlink() and _is_elf(p))
        members = [str(p.relative_to(where)) for p in files]
        wheel_files = {str(p.relative_to(where)) for p in where.rglob("*") if p.is_file()}
        facts = {m: dynamic_facts(where / m) for m in members}
        requires = frozenset(
            _normalize(re.split(r"[\s;<>=!~\[(]", line.split(":", 1)[1].strip())[0])
            for meta in where.glob("*.dist-info/METADATA")
            for line in meta.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.lower().startswith("requires-dist:")
        )
        res["files"] = len(members)
        by_path: dict[str, dict[str, Any]] = {}
        if chroot_py:
            req = json.dumps({"files": ["/" + str(rel / m) for m in members], "timeout": args.load_timeout})
            load = run_limited(
                ["chroot", str(rootfs), "python3", "-I", "-c", LOADER_SCRIPT],
                timeout=args.load_timeout * max(1, len(members)) + 60,
                mem_mb=0,
                stdin=req,
            )
            for line in load.stdout.splitlines():
                d = _json(line)
                if d and "path" in d:
                    by_path[str(d["path"]).removeprefix("/" + str(rel) + "/")] = d
        else:
            by_path = {m: _musl_load(rootfs, "/" + str(rel / m), args.load_timeout) for m in members}
    finally:
        if not args.keep_unpacked:
            shutil.rmtree(where, ignore_errors=True)
    check, report, status = _check_json(abigate, wheel, str(profile), chroot_py or info.python, args, env)
    res["check_s"] = check.seconds
    if status == "error":
        res["check_error"] = (
            f"exit {check.returncode}: " + " | ".join(check.stderr.strip().splitlines()[-3:])[:600]
        )
    errs_by, warns_by, artifact_level, python_level = _split_findings(report)
    if python_level:
        res["python_level"] = python_level
    res["artifact_level"] = artifact_level
    reach = closures(facts)
    rows = []
    for m in members:
        loader = by_path.get(m, {"status": "missing", "error": "no answer from the loader script"})
        rpath_loaders = sorted(p for p, deps in reach.items() if m in deps and facts[p].rpath)
        loads_via = sorted(p for p, deps in reach.items() if m in deps and _loads(by_path, p))
        # a wheel's .data/scripts/ holds programs (a static-pie has no PT_INTERP to tell)
        program = facts[m].program or (".data/scripts/" in m)
        if program and loader.get("status") in ("crash", "error", "timeout"):
            loader = dict(loader, program=True)
        rows.append(
            classify(
                m,
                loader,
                errs_by.get(m, []),
                warns_by.get(m, []),
                {d: errs_by[d] for d in sorted(reach[m]) if d in errs_by},
                rpath_loaders,
                requires,
                wheel_files,
                info,
                chroot_py,
                status,
                loads_via,
            )
        )
    res["rows"] = rows
    builtin = BUILTIN_PROFILES.get(suite) if args.builtin else None
    if builtin is not None:
        res["builtin"] = builtin
        res["builtin_rows"] = _builtin_rows(
            wheel,
            builtin,
            rootfs,
            members,
            by_path,
            facts,
            reach,
            requires,
            wheel_files,
            info,
            chroot_py,
            args,
            abigate,
            env,
        )
    return res


#: the built-in profile each bare tree is a real instance of (a ``-desktop`` tree has more than any of them).
BUILTIN_PROFILES = {"bullseye": "debian-11", "bookworm": "debian-12", "trixie": "debian-13"}
_BUILTIN_LIBS: dict[str, set[str]] = {}


def _builtin_libraries(profile: str, abigate: list[str], env: dict[str, str]) -> set[str]:
    """The library names (SONAMEs and file names) a built-in profile provides."""
    if profile not in _BUILTIN_LIBS:
        out = subprocess.run(
            [*abigate, "profile", "show", profile, "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        libs: set[str] = set()
        for name, lib in (json.loads(out).get("libraries") or {}).items():
            libs.add(name)
            libs.update(str(f) for f in (lib.get("files") or []) if isinstance(lib, dict))
        _BUILTIN_LIBS[profile] = libs
    return _BUILTIN_LIBS[profile]


def _builtin_rows(
    wheel: Path,
    builtin: str,
    rootfs: Path,
    members: list[str],
    by_path: dict[str, dict[str, Any]],
    facts: dict[str, Dyn],
    reach: dict[str, set[str]],
    requires: frozenset[str],
    wheel_files: set[str],
    info: WheelInfo,
    chroot_py: str,
    args: argparse.Namespace,
    abigate: list[str],
    env: dict[str, str],
) -> list[dict[str, Any]]:
    """The same loader verdicts against the *built-in* profile of this Debian release: does the shipped
    profile describe a real bare Debian? A library the tree has and the profile lacks is a false reject
    (a profile gap); one the profile lists and the bare tree lacks is a difference by design."""
    _, report, status = _check_json(abigate, wheel, builtin, chroot_py or info.python, args, env)
    errs_by, warns_by, _, _ = _split_findings(report)
    libs = _builtin_libraries(builtin, abigate, env)
    rows = []
    for m in members:
        loader = by_path.get(m, {"status": "missing", "error": "no answer from the loader script"})
        rpath_loaders = sorted(p for p, deps in reach.items() if m in deps and facts[p].rpath)
        loads_via = sorted(p for p, deps in reach.items() if m in deps and _loads(by_path, p))
        row = classify(
            m,
            loader,
            errs_by.get(m, []),
            warns_by.get(m, []),
            {d: errs_by[d] for d in sorted(reach[m]) if d in errs_by},
            rpath_loaders,
            requires,
            wheel_files,
            info,
            chroot_py,
            status,
            loads_via,
        )
        missing = _MISSING.search(str(row.get("loader_message") or ""))
        if row["cls"] == "false-pass" and not row.get("explained") and missing and missing[1] in libs:
            row.update(explained=True, why=f"{builtin} lists {missing[1]}; this bare tree lacks the package")
        if row["cls"] == "false-reject":
            found = []
            for f in errs_by.get(m, []):
                lib = str(f.get("library") or "")
                for d in ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib"):
                    if lib and (rootfs / d / lib).exists():
                        found.append(f"{lib} is /{d}/{lib} in the tree")
            row["why"] = (
                f"profile gap: {'; '.join(found)}, missing from {builtin}. " if found else ""
            ) + str(row.get("why"))
        rows.append(row)
    return rows


def run_loaders(
    wheels: list[Path],
    args: argparse.Namespace,
    abigate: list[str],
    env: dict[str, str],
    log: Callable[[str], None],
) -> list[dict[str, Any]]:
    """The loader part over every ready rootfs and every wheel its python3 imports."""
    results: list[dict[str, Any]] = []
    for suite in args.suites:
        rootfs = args.rootfs_dir / suite
        if not ensure_rootfs(rootfs, suite, log):
            log(f"loaders: {suite}: no rootfs, skipped")
            continue
        py = "" if suite.startswith("musl") else chroot_python(rootfs)
        profile = rootfs_profile(rootfs, suite, args.cache, abigate, env)
        chosen = loader_candidates(wheels, py)
        log(f"loaders: {suite} (python {py}): {len(chosen)} wheels")
        results += _loaders_suite(chosen, suite, rootfs, profile, py, args, abigate, env, log)
    return results


def _loaders_suite(
    chosen: list[Path],
    suite: str,
    rootfs: Path,
    profile: Path,
    py: str,
    args: argparse.Namespace,
    abigate: list[str],
    env: dict[str, str],
    log: Callable[[str], None],
) -> list[dict[str, Any]]:
    """The loader part for one tree, *jobs* wheels at a time."""
    done = [0]
    lock = threading.Lock()

    def one(w: Path) -> dict[str, Any]:
        r = loaders_one(w, suite, rootfs, profile, py, args, abigate, env)
        with lock:
            done[0] += 1
            c = Counter(row["cls"] for row in r.get("rows", []))
            bad = {k: v for k, v in c.items() if not k.startswith("agree")}
            if bad or done[0] % 20 == 0:
                log(f"  {suite} {done[0]}/{len(chosen)} {w.name}: {dict(c)}")
        return r

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        return list(pool.map(one, chosen))


#: a dlopen driver for the musl tree: one file per run, so a crash (DT_RELR on musl < 1.2.4) is that file's.
MUSL_DL_C = r"""
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    puts(h ? "ok" : dlerror());
    return h ? 0 : 1;
}
"""


def _musl_load(rootfs: Path, path: str, timeout: int) -> dict[str, Any]:
    """dlopen *path* with the musl tree's own loader (``chroot TREE /dl PATH``)."""
    r = run_limited(["chroot", str(rootfs), "/dl", path], timeout=timeout, mem_mb=0)
    text = r.stdout.strip()
    if r.timed_out:
        return {"status": "timeout", "error": f"no answer within {timeout}s"}
    if r.returncode == 0 and text == "ok":
        return {"status": "ok"}
    if r.returncode is not None and r.returncode < 0:
        return {"status": "crash", "error": f"child died: signal {-r.returncode}"}
    return {"status": "error", "error": text or r.stderr.strip()}


def ensure_musl_tree(rootfs: Path, log: Callable[[str], None]) -> bool:
    """A tree holding only this host's musl (Debian's ``musl`` package: 1.2.3 on Debian 12) and a dlopen
    driver built with ``musl-gcc``: the real musl loader, for the musllinux wheels."""
    loader = Path("/lib/ld-musl-x86_64.so.1")
    if not loader.exists() or shutil.which("musl-gcc") is None:
        log("loaders: musl tree needs the host's musl and musl-gcc (apt-get install musl musl-tools)")
        return False
    if rootfs.exists():
        shutil.rmtree(rootfs)
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "tmp").mkdir()
    libdir = rootfs / "lib" / "x86_64-linux-musl"
    libdir.mkdir(parents=True)
    shutil.copy2(loader.resolve(), libdir / "libc.so")  # musl's libc is its loader
    (rootfs / "lib" / loader.name).symlink_to("x86_64-linux-musl/libc.so")
    if Path("/etc/ld-musl-x86_64.path").exists():
        shutil.copy2("/etc/ld-musl-x86_64.path", rootfs / "etc" / "ld-musl-x86_64.path")
    src = rootfs / "tmp" / "dl.c"
    src.write_text(MUSL_DL_C, encoding="utf-8")
    subprocess.run(["musl-gcc", "-O1", "-o", str(rootfs / "dl"), str(src)], check=True)
    (rootfs / ".abigate-ready").touch()
    return True


def ensure_rootfs(rootfs: Path, suite: str, log: Callable[[str], None]) -> bool:
    """A Debian tree with python3 from ``debootstrap`` (cached; ``.abigate-ready`` marks a complete one)."""
    if (rootfs / ".abigate-ready").exists():
        return True
    if suite.startswith("musl"):
        return ensure_musl_tree(rootfs, log)
    if shutil.which("debootstrap") is None:
        log("loaders: debootstrap not installed (apt-get install debootstrap)")
        return False
    base, _, variant = suite.partition("-")
    packages = ["python3"]
    if variant == "desktop":
        packages += [*DESKTOP_PACKAGES, *DESKTOP_SUITE_PACKAGES.get(base, ())]
    elif variant:
        log(f"loaders: unknown tree variant {suite!r} (known: SUITE, SUITE-desktop)")
        return False
    log(f"loaders: debootstrap {base} ({len(packages)} packages) into {rootfs} (a few minutes)")
    if rootfs.exists():
        shutil.rmtree(rootfs)
    rootfs.parent.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(
        [
            "debootstrap",
            "--variant=minbase",
            "--include=" + ",".join(packages),
            base,
            str(rootfs),
            "http://deb.debian.org/debian",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        log(f"loaders: debootstrap {suite} failed: {r.stderr.strip()[-300:]}")
        return False
    (rootfs / ".abigate-ready").touch()
    return True


# --- Report -------------------------------------------------------------------------------------------------


def _fail_kind(p: dict[str, Any]) -> str | None:
    """A failing wheel is *real* if readelf confirms one of its findings, *false* if every finding is
    refuted, else *unverified*; ``None`` for a wheel that does not fail."""
    if p.get("status") != "fail":
        return None
    kinds = {str(f.get("readelf")) for f in p.get("findings", [])}
    if "real" in kinds:
        return "real"
    if kinds == {"false"}:
        return "false"
    return "unverified"


def summarize(policy: list[dict[str, Any]], loaders: list[dict[str, Any]]) -> dict[str, Any]:
    """The table's numbers."""
    checked = [p for p in policy if p.get("status") in ("pass", "fail", "hang", "error")]
    ratios = sorted(p["ratio"] for p in checked if p.get("ratio") is not None)
    # start-up (~0.3 s for both commands) dominates small wheels; the goal is about real work
    big = sorted(p["ratio"] for p in checked if p.get("ratio") is not None and p.get("size_mb", 0) >= 10)
    rows = [row for r in loaders for row in r.get("rows", [])]
    brows = [row for r in loaders for row in r.get("builtin_rows", [])]
    cls = Counter(row["cls"] for row in rows)
    return {
        "wheels": len({p["wheel"] for p in policy} | {r["wheel"] for r in loaders}),
        "policy_wheels": len(checked),
        "policy_pass": sum(p["status"] == "pass" for p in checked),
        "policy_fail": sum(p["status"] == "fail" for p in checked),
        "policy_fail_real": sum(_fail_kind(p) == "real" for p in checked),
        "policy_fail_relr": sum(
            _fail_kind(p) == "real"
            and {str(f["code"]) for f in p.get("findings", []) if f.get("readelf") == "real"} == {"ABG204"}
            for p in checked
        ),
        "policy_fail_false": sum(_fail_kind(p) == "false" for p in checked),
        "policy_fail_unverified": sum(_fail_kind(p) == "unverified" for p in checked),
        "policy_hang": sum(p["status"] == "hang" for p in checked),
        "policy_error": sum(p["status"] == "error" for p in checked),
        "ratio_median": ratios[len(ratios) // 2] if ratios else None,
        "ratio_max": ratios[-1] if ratios else None,
        "ratio_over": sum(r > 1.3 for r in ratios),
        "ratio_big_median": big[len(big) // 2] if big else None,
        "ratio_big_max": big[-1] if big else None,
        "ratio_big_over": f"{sum(r > 1.3 for r in big)} of {len(big)}",
        "loader_wheels": len(loaders),
        "files": len(rows),
        "agree_load": cls["agree-load"],
        "agree_fail": cls["agree-fail"],
        "agree_as_dependency": sum(
            r["cls"] == "agree-load" and str(r.get("why", "")).startswith("loads as a dependency")
            for r in rows
        ),
        "not_comparable": cls["not-comparable"],
        "false_pass": cls["false-pass"],
        "false_pass_unexplained": sum(r["cls"] == "false-pass" and not r.get("explained") for r in rows),
        "false_reject": cls["false-reject"],
        "false_reject_unexplained": sum(r["cls"] == "false-reject" and not r.get("explained") for r in rows),
        "loader_hangs": sum(r["loader"] in ("timeout", "crash") for r in rows),
        "builtin_files": len(brows),
        "builtin_agree": sum(r["cls"].startswith("agree") for r in brows),
        "builtin_false_pass": f"{sum(r['cls'] == 'false-pass' for r in brows)} "
        f"({sum(r['cls'] == 'false-pass' and not r.get('explained') for r in brows)} unexplained)",
        "builtin_false_reject": sum(r["cls"] == "false-reject" for r in brows),
        "check_hangs": sum(r.get("cls", "").startswith("abigate-") for r in rows),
    }


def table(s: dict[str, Any]) -> str:
    """The summary as a Markdown table (printed and committed)."""

    def fmt(v: Any) -> str:
        return "-" if v is None else str(v)

    lines = ["| measure | value |", "|---|---|"]
    labels = [
        ("wheels (distinct files)", "wheels"),
        ("policy: wheels checked against their own tag's policy", "policy_wheels"),
        ("policy: pass", "policy_pass"),
        ("policy: fail", "policy_fail"),
        ("… with a violation readelf confirms", "policy_fail_real"),
        ("… … whose only confirmed violation is DT_RELR on musl (ABG204)", "policy_fail_relr"),
        ("… every finding refuted by readelf (false rejects)", "policy_fail_false"),
        ("… neither (needs a person)", "policy_fail_unverified"),
        ("policy: check hangs (timeout)", "policy_hang"),
        ("policy: check errors (exit 2/3, bad JSON)", "policy_error"),
        ("check/scan CPU time ratio: median", "ratio_median"),
        ("check/scan CPU time ratio: max", "ratio_max"),
        ("wheels with check > 1.3× scan", "ratio_over"),
        ("check/scan ratio, wheels ≥ 10 MB: median", "ratio_big_median"),
        ("check/scan ratio, wheels ≥ 10 MB: max", "ratio_big_max"),
        ("wheels ≥ 10 MB with check > 1.3× scan", "ratio_big_over"),
        ("loaders: wheel × rootfs runs", "loader_wheels"),
        ("loaders: ELF files dlopened", "files"),
        ("agree: both load", "agree_load"),
        ("… of them as a dependency of a file that loads (fail dlopened alone)", "agree_as_dependency"),
        ("agree: both fail", "agree_fail"),
        ("not comparable: programs (run, not dlopened), another Python, a declared dependency's library",
         "not_comparable"),
        ("false passes (abigate passes, loader fails)", "false_pass"),
        ("… of them unexplained", "false_pass_unexplained"),
        ("false rejects (abigate fails, loader loads)", "false_reject"),
        ("… of them unexplained", "false_reject_unexplained"),
        ("loader hangs / crashes", "loader_hangs"),
        ("built-in debian-11/12/13 vs the bare trees: files", "builtin_files"),
        ("… agree", "builtin_agree"),
        ("… false passes (the profile lists a library the bare tree lacks: by design)", "builtin_false_pass"),
        ("… false rejects (the bare tree has what the profile lacks: a profile gap)", "builtin_false_reject"),
        ("files whose check hung or errored", "check_hangs"),
    ]
    for label, key in labels:
        lines.append(f"| {label} | {fmt(s.get(key))} |")
    return "\n".join(lines)


def write_results(
    path: Path, policy: list[dict[str, Any]], loaders: list[dict[str, Any]], meta: dict[str, Any]
) -> None:
    """``docs/realworld-results.md``: the table, every policy failure with its readelf verdict, every
    loader disagreement with its explanation, and the exact files."""
    s = summarize(policy, loaders)
    out: list[str] = [
        "# Real-world results",
        "",
        (
            "Generated by `python scripts/realworld.py`; how to rerun and what each number means: "
            "[realworld.md](realworld.md). "
            + " ".join(
                f"{part.capitalize()} part: {m.get('when')}, abigate {m.get('abigate')}."
                for part, m in sorted(meta.items())
            )
        ),
        "",
        table(s),
        "",
        "## Policy: failures against the wheel's own policy",
        "",
        (
            "Each error finding, judged with `readelf -hdlVW --dyn-syms` of the extracted member: **real** "
            "(the violation is there), **false** (abigate is wrong), **unverified** (needs a person)."
        ),
        "",
    ]
    kinds: Counter[tuple[str, str, str]] = Counter()
    for p in policy:
        for f in p.get("findings", []):
            kinds[(str(f["code"]), str(f["readelf"]), re.sub(r"\S+\.so\S*", "LIB", str(f["why"]))[:240])] += 1
    out += ["| findings | rule | readelf | why |", "|---|---|---|---|"]
    out += [f"| {n} | {code} | {verdict} | {why} |" for (code, verdict, why), n in kinds.most_common()]
    out.append("")
    for p in sorted(policy, key=lambda x: x["wheel"]):
        if p.get("status") in ("hang", "error"):
            out.append(f"- `{p['wheel']}` on `{p.get('profile')}`: **{p['status']}** — {p.get('detail')}")
    for p in sorted(policy, key=lambda x: x["wheel"]):
        if p.get("status") != "fail":
            continue
        out.append(f"- `{p['wheel']}` on `{p['profile']}` (--python {p['python']}):")
        seen: Counter[tuple[str, str, str]] = Counter()
        for f in p.get("findings", []):
            key = (str(f["code"]), str(f.get("library")), str(f["why"]))
            seen[key] += 1
            if seen[key] > 3:
                continue
            ev = "; ".join(f["evidence"][:4])
            out.append(
                f"  - {f['code']} `{f['member']}`: {f['message']} — **{f['readelf']}**: {f['why']}"
                + (f" (readelf: {ev})" if ev else "")
            )
        more = sum(n - 3 for n in seen.values() if n > 3)
        if more:
            out.append(f"  - … and {more} more findings of the same kinds")
    out += [
        "",
        "## Policy: check/scan time",
        "",
        (
            "CPU seconds (user + system) of each process, the fastest of the repeats; wall seconds beside "
            "them. The ratio is of CPU seconds: the tier runs checks in parallel, which inflates wall time "
            "unevenly."
        ),
        "",
        "| wheel | MB | check CPU s | scan CPU s | ratio | check wall s | scan wall s | check peak MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    timed = sorted((p for p in policy if p.get("ratio") is not None), key=lambda x: -float(x["ratio"]))
    for p in timed[:25]:
        out.append(
            f"| `{p['wheel']}` | {p['size_mb']} | {p.get('check_cpu_s')} | {p.get('scan_cpu_s')} | "
            f"{p['ratio']} | {p['check_s']} | {p['scan_s']} | {p.get('check_rss_mb')} |"
        )
    out += [
        "",
        "## Loaders: every disagreement",
        "",
        (
            "Per file: the chroot's `python3` `ctypes.CDLL` verdict against `abigate check` (loader-level "
            "rules ABG0/1/2/4xx, errors) with the rootfs profile. `explained` means a difference by design."
        ),
        "",
    ]
    out += [
        (
            "| tree | wheels | files | agree-load | agree-fail | not comparable | false-pass (unexplained) | "
            "false-reject (unexplained) | check hung/errored |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for suite in sorted({r["suite"] for r in loaders}):
        runs = [r for r in loaders if r["suite"] == suite]
        rows = [row for r in runs for row in r.get("rows", [])]
        c = Counter(row["cls"] for row in rows)
        fp_u = sum(row["cls"] == "false-pass" and not row.get("explained") for row in rows)
        fr_u = sum(row["cls"] == "false-reject" and not row.get("explained") for row in rows)
        out.append(
            f"| {suite} | {len(runs)} | {len(rows)} | {c['agree-load']} | {c['agree-fail']} | "
            f"{c['not-comparable']} | {c['false-pass']} ({fp_u}) | {c['false-reject']} ({fr_u}) | "
            f"{sum(k.startswith('abigate-') for k in c.elements())} |"
        )
    out += ["", "### Unexplained disagreements (abigate's mistakes, or the tier's)", ""]
    explained: list[str] = []
    for r in sorted(loaders, key=lambda x: (x["suite"], x["wheel"])):
        for row in r.get("rows", []):
            if row["cls"].startswith("agree"):
                continue
            line = (
                f"- {row['cls']} {r['suite']} `{r['wheel']}` `{row['member']}`: loader: "
                f"`{row['loader_message'] or 'loads'}`; abigate: {'; '.join(row['findings']) or 'pass'}; "
                f"why: {row.get('why')}"
            )
            (explained if row.get("explained") else out).append(line)
    if out[-1] == "":
        out.append("None.")
    out += [
        "",
        "### Not comparable (the loader run dlopens the file; the target runs or imports it otherwise)",
        "",
        *(explained or ["None."]),
    ]
    out += [
        "",
        "## Built-in Debian profiles against the bare trees",
        "",
        (
            "The same loader verdicts (bare minbase trees only) against `abigate check -p debian-11/12/13`: "
            "a false reject means the shipped profile lacks something a bare Debian has."
        ),
        "",
    ]
    bad: Counter[tuple[str, str, str]] = Counter()
    for r in sorted(loaders, key=lambda x: (x["suite"], x["wheel"])):
        for row in r.get("builtin_rows", []):
            if row["cls"].startswith("agree"):
                continue
            if row.get("explained"):
                bad[
                    (
                        str(r.get("builtin")),
                        str(row["cls"]),
                        re.sub(r"\S+\.so\S*", "LIB", str(row.get("why"))),
                    )
                ] += 1
                continue
            out.append(
                f"- {row['cls']} {r['builtin']} `{r['wheel']}` `{row['member']}`: loader: "
                f"`{row['loader_message'] or 'loads'}`; abigate: {'; '.join(row['findings']) or 'pass'}; "
                f"why: {row.get('why')}"
            )
    out += [f"- {n} × explained {cls} on {b}: {why}" for (b, cls, why), n in sorted(bad.items())]
    out += ["", "## Files", "", "<details><summary>every wheel checked</summary>", ""]
    out += [
        f"- `{p['wheel']}` → `{p.get('profile')}` {p.get('status')}"
        for p in sorted(policy, key=lambda x: x["wheel"])
    ]
    out += ["", "</details>", ""]
    path.write_text("\n".join(out), encoding="utf-8")


# --- Main ---------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--only",
        choices=("download", "policy", "loaders", "report"),
        help="run one part (results of the other part are read back from the cache for the report); "
        "report: only rewrite the Markdown report from the cached results",
    )
    ap.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help="cache folder (env ABIGATE_REALWORLD_CACHE)"
    )
    ap.add_argument("--wheels-list", type=Path, default=DEFAULT_LIST, help="the project list")
    ap.add_argument("--rootfs-dir", type=Path, default=DEFAULT_ROOTFS, help="where the Debian trees live")
    ap.add_argument(
        "--suites",
        nargs="+",
        default=DEFAULT_SUITES,
        help="Debian trees for the loader part: SUITE (minbase + python3) or SUITE-desktop "
        "(+ common libraries)",
    )
    ap.add_argument("--limit", type=int, default=0, help="only the first N wheels (0: all)")
    ap.add_argument("--match", default="", help="only wheels whose file name contains this text")
    ap.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2)), help="parallel checks")
    ap.add_argument(
        "--timeout", type=float, default=120.0, help="seconds per abigate run before it is a hang"
    )
    ap.add_argument(
        "--no-builtin",
        dest="builtin",
        action="store_false",
        help="skip comparing the bare trees' loader verdicts with the built-in debian-11/12/13 profiles",
    )
    ap.add_argument(
        "--repeat", type=int, default=1, help="time check and scan N times each; keep the fastest"
    )
    ap.add_argument("--load-timeout", type=int, default=30, help="seconds per dlopen")
    ap.add_argument("--mem-mb", type=int, default=4096, help="address-space cap per abigate run (MiB)")
    ap.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="the Markdown report to write")
    ap.add_argument("--keep-unpacked", action="store_true", help="leave wheels unpacked in the rootfs")
    ap.add_argument(
        "--abigate-src",
        type=Path,
        default=None,
        help="run abigate from this src/ folder (e.g. a snapshot of a commit) instead of the install",
    )
    args = ap.parse_args(argv)
    args.cache = args.cache.expanduser()
    args.cache.mkdir(parents=True, exist_ok=True)

    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"[{time.monotonic() - t0:7.1f}s] {msg}", file=sys.stderr, flush=True)

    env = dict(os.environ)
    # Time abigate as an installed tool runs: with its bytecode cached. Some machines set
    # PYTHONDONTWRITEBYTECODE, which recompiles every module on every run and inflates check (which imports
    # more modules than scan) far more than any user sees.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.abigate_src:
        env["PYTHONPATH"] = str(args.abigate_src.resolve())
    abigate = [sys.executable, "-m", "abigate"]
    version = subprocess.run(
        [*abigate, "--version"], capture_output=True, text=True, env=env, check=False
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    where = f"{commit} + working tree"
    if args.abigate_src:
        stamp = args.abigate_src.resolve().parent / "COMMIT"  # written by whoever made the snapshot
        where = f"{stamp.read_text().strip()} (snapshot)" if stamp.exists() else str(args.abigate_src)
    log(f"abigate {version or '?'} from {where}")

    wheels = (
        []
        if args.only == "report"
        else download(read_list(args.wheels_list), args.cache, max(2, args.jobs * 2), log)
    )
    if args.match:
        wheels = [w for w in wheels if args.match in w.name]
    if args.limit:
        wheels = wheels[: args.limit]
    log(f"{len(wheels)} wheels in {args.cache / 'wheels'}")
    if args.only == "download":
        return 0
    partial = "-partial" if (args.limit or args.match) else ""
    policy_path = args.cache / f"policy-results{partial}.json"
    loaders_path = args.cache / f"loader-results{partial}.json"
    meta_path = args.cache / f"run-meta{partial}.json"
    meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    policy: list[dict[str, Any]] = []
    loaders: list[dict[str, Any]] = []
    if args.only in (None, "policy"):
        policy = run_policy(wheels, args, abigate, {k: v for k, v in env.items()}, log)
        _write_json(policy_path, policy)
        meta["policy"] = {"when": now, "abigate": where, "repeat": args.repeat, "jobs": args.jobs}
        _write_json(meta_path, meta)
    elif policy_path.exists():
        policy = json.loads(policy_path.read_text(encoding="utf-8"))
    if args.only in (None, "loaders"):
        loaders = run_loaders(wheels, args, abigate, env, log)
        if loaders_path.exists():  # a rerun of some trees keeps the others' last results
            loaders += [
                r
                for r in json.loads(loaders_path.read_text(encoding="utf-8"))
                if r["suite"] not in args.suites
            ]
        _write_json(loaders_path, loaders)
        meta["loaders"] = {"when": now, "abigate": where, "suites": args.suites}
        _write_json(meta_path, meta)
    elif loaders_path.exists():
        loaders = json.loads(loaders_path.read_text(encoding="utf-8"))
    s = summarize(policy, loaders)
    print(table(s))
    if not args.limit and not args.match:
        write_results(args.results, policy, loaders, meta)
        log(f"wrote {args.results}")
    log(f"raw results: {policy_path}, {loaders_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
