#!/usr/bin/env python3
"""Measure abigate against baselines taken in the same run, print the ratios and whether each target is met.

Targets (issue 10, "Faster than the zlib floor"; issue 7 for check against scan):

1. **torch**: the PyTorch CPU wheel, the whole ``abigate check -p debian-12 --python 3.11`` process in at most
   **0.6×** the time Python's zlib needs, single-threaded, to inflate the wheel's ELF members (the floor,
   measured here), and at most **100 MB** of memory over all its processes (PSS summed over the process tree,
   sampled every 10 ms; the largest single process's peak RSS from ``wait4`` is printed too). The plain
   ``abigate scan`` of the same wheel is measured against the earlier target of 1.5× the floor;
2. **small**: the cryptography 46 wheel (4.5 MB, one 13 MB extension), the whole ``abigate check -p
   aws-lambda-python3.12-x86_64`` process: median at most **0.10 s** (an idle machine is assumed: the
   bare interpreter start-up is printed for scale), and at least **3×** faster than ``auditwheel show`` of
   the same wheel (auditwheel installed into a throwaway venv for this run);
3. **check vs scan**: ``abigate check`` against the wheel's own manylinux policy costs at most **1.3×**
   ``abigate scan`` of it, on ortools, pyside6_essentials and the largest wheels found (CPU seconds from
   ``wait4``, which a busy machine inflates less than wall time; wall time is printed too);
4. **folder**: 100+ real wheels given on one command line, ``abigate scan --jobs 2`` wall time at most
   **0.6×** ``--jobs 1``;
5. **memory sweep**: ``abigate check`` of every wheel of the real-world tier (and TensorFlow's) against its
   own policy stays at or under **100 MB** (PSS over the process tree, sampled);
6. **imports**: ``python -X importtime`` of the small check: the top items, for where start-up goes.

Also measured, for the record: abigate's own ELF reader against the pyelftools engine on the same bytes.

Every process is timed with :func:`time.perf_counter` around it and ``os.wait4`` for its CPU time and peak
RSS; repeated runs report the median. By default this checkout is installed into a throwaway venv (a
regular install, bytecode compiled, as users have it) and ``PYTHONDONTWRITEBYTECODE`` is removed from the
environment; ``--in-place`` times the current interpreter's abigate instead. Nothing is written outside
temporary folders and ``~/.cache/abigate-bench`` (where the cryptography 46 wheel is downloaded when missing).

Usage::

    python benchmarks/scan_benchmark.py [--torch W] [--small W] [--graph W …] [--runs N] [--skip SECTION …]
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Sequence
from typing import NamedTuple

_CACHE = os.path.expanduser("~/.cache/abigate-bench")
_RW_CACHE = os.path.expanduser(os.environ.get("ABIGATE_REALWORLD_CACHE", "~/.cache/abigate-realworld"))
_RW_WHEELS = os.path.join(_RW_CACHE, "wheels")
TORCH_GLOBS = ["/opt/wheels/torch-*+cpu-*.whl", "/opt/wheels/torch-*.whl", "/opt/pypi*/files/torch-*.whl"]
SMALL_GLOBS = [
    f"{d}/cryptography-46.*-abi3-manylinux_2_34_x86_64.whl" for d in ("/opt/pypi*/files", _RW_WHEELS, _CACHE)
]
TENSORFLOW_GLOBS = [
    "/opt/pypi*/files/tensorflow_cpu-*manylinux*_x86_64.whl",
    f"{_RW_WHEELS}/tensorflow*manylinux*_x86_64.whl",
]
GRAPH_GLOBS = [
    [
        "/opt/pypi*/files/ortools-9.15*manylinux*_x86_64.whl",
        f"{_RW_WHEELS}/ortools-9.15*manylinux*_x86_64.whl",
    ],
    [
        "/opt/pypi*/files/pyside6_essentials-*manylinux*_x86_64.whl",
        f"{_RW_WHEELS}/pyside6_essentials-*manylinux*_x86_64.whl",
    ],
]
SECTIONS = ("torch", "inflate", "small", "graphs", "folder", "sweep", "imports", "engines")

#: the built-in policy profiles by the glibc / musl version a wheel's tags name (the lowest at or above it).
_MANYLINUX = {
    (2, 17): "manylinux2014",
    (2, 28): "manylinux_2_28",
    (2, 31): "manylinux_2_31",
    (2, 34): "manylinux_2_34",
    (2, 35): "manylinux_2_35",
    (2, 39): "manylinux_2_39",
}
_MUSLLINUX = {(1, 2): "musllinux_1_2"}


class Target(NamedTuple):
    name: str
    measured: str
    goal: str
    met: bool


RESULTS: list[Target] = []


def report(name: str, measured: str, goal: str, met: bool) -> None:
    """Print one target with MET / NOT MET, and keep it for the summary."""
    RESULTS.append(Target(name, measured, goal, met))
    print(f"  => {name}: {measured} (target {goal}) {'MET' if met else 'NOT MET'}")


def find(patterns: Sequence[str]) -> str | None:
    for pattern in patterns:
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[-1]
    return None


def _env() -> dict[str, str]:
    """The environment of timed runs: bytecode caching allowed (as for any pip-installed tool), no colour."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NO_COLOR"] = "1"
    return env


# -- processes ------------------------------------------------------------------------------------------


class Run(NamedTuple):
    wall: float
    cpu: float
    #: peak RSS of the largest single process (``wait4``), KiB.
    maxrss_kb: int
    #: peak of the summed PSS of the process tree (sampled), KiB; 0 when not sampled.
    tree_kb: int
    code: int
    stderr: str


def _pss_kb(pid: int) -> int:
    """Proportional set size of one process (shared pages counted once over all); RSS where unavailable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, IndexError, ValueError):
        return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def tree_pss_kb(root: int) -> int:
    """The summed PSS of *root* and its descendants (forked workers share the parent's pages: PSS counts
    each shared page once over all of them, where summing RSS would count it once per process)."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _pss_kb(pid)
        stack.extend(_children(pid))
    return total


def run(cmd: Sequence[str], *, sample: bool = False, env: dict[str, str] | None = None) -> Run:
    """Run *cmd* once: wall (perf_counter), CPU and peak RSS (wait4), optionally the tree's peak PSS."""
    peak = 0
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env or _env())
        done = threading.Event()

        def sampler() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_pss_kb(proc.pid))
                done.wait(0.01)

        thread = threading.Thread(target=sampler, daemon=True) if sample else None
        if thread is not None:
            thread.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        if thread is not None:
            thread.join()
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, peak, proc.returncode, text)


def runs_of(cmd: Sequence[str], n: int, *, warm: bool = True) -> list[Run]:
    """*n* runs of *cmd* after one warm-up run (bytecode, page cache)."""
    if warm:
        run(cmd)
    return [run(cmd) for _ in range(n)]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ok(r: Run, cmd: Sequence[str]) -> bool:
    if r.code not in (0, 1):
        print(f"  !! exit {r.code}: {' '.join(cmd)}\n{r.stderr.strip()[-2000:]}", file=sys.stderr)
        return False
    return True


# -- the floor --------------------------------------------------------------------------------------------


def elf_members(path: str) -> list[zipfile.ZipInfo]:
    """Members whose first bytes are the ELF magic (found by content, as abigate does)."""
    out = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            with zf.open(info) as fh:
                if fh.read(4) == b"\x7fELF":
                    out.append(info)
    return out


def zlib_floor(path: str, members: list[zipfile.ZipInfo]) -> tuple[float, float]:
    """Wall and CPU seconds of Python's zlib inflating *members* in one thread (256 KiB reads)."""
    start, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as fh:
        for info in members:
            fh.seek(info.header_offset)
            header = fh.read(30)
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            left = info.compress_size
            d = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
            while left:
                chunk = fh.read(min(left, 1 << 18))
                left -= len(chunk)
                if d is not None:
                    d.decompress(chunk)
            if d is not None:
                d.flush()
    return time.perf_counter() - start, time.process_time() - cpu


# -- helpers --------------------------------------------------------------------------------------------


def own_policy(path: str) -> tuple[str, str] | None:
    """(profile id, Python) of the policy a wheel's own tags name (as the real-world tier picks it)."""
    from packaging.utils import parse_wheel_filename

    try:
        _, _, _, tags = parse_wheel_filename(os.path.basename(path))
    except ValueError:
        return None
    glibc: tuple[int, int] | None = None
    musl: tuple[int, int] | None = None
    arch = None
    python = None
    for tag in tags:
        m = re.fullmatch(r"(manylinux|musllinux)_(\d+)_(\d+)_(\w+)", tag.platform)
        legacy = re.fullmatch(r"manylinux(2014|2010|1)_(\w+)", tag.platform)
        if m:
            version = (int(m.group(2)), int(m.group(3)))
            if m.group(1) == "manylinux":
                glibc = version if glibc is None else min(glibc, version)
            else:
                musl = version if musl is None else min(musl, version)
            arch = m.group(4)
        elif legacy:
            glibc = (2, 17) if glibc is None else min(glibc, (2, 17))
            arch = legacy.group(2)
        if tag.interpreter.startswith("cp3") and tag.interpreter[3:].rstrip("t").isdigit():
            minor = int(tag.interpreter[3:].rstrip("t"))
            python = f"3.{max(minor, 8)}" if tag.abi == "abi3" else f"3.{minor}"
            if tag.abi.endswith("t"):
                python += "t"
    if arch is None:
        return None
    suffix = "_x86_64" if arch == "x86_64" else "_aarch64" if arch == "aarch64" else None
    if suffix is None:
        return None
    table = _MANYLINUX if glibc is not None else _MUSLLINUX
    want = glibc if glibc is not None else musl
    assert want is not None
    fits = [v for v in table if v >= want]
    if not fits:
        return None
    return f"{table[min(fits)]}{suffix}", python or "3.12"


def install_into_venv(folder: str, *packages: str) -> str:
    """A venv in *folder* with *packages* installed (regular installs, bytecode compiled); its python."""
    subprocess.run([sys.executable, "-m", "venv", folder], check=True)
    python = os.path.join(folder, "bin", "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", *packages], check=True, env=_env())
    return python


def small_wheel() -> str | None:
    """The cryptography 46 wheel: found on this machine, or downloaded into ``~/.cache/abigate-bench``."""
    found = find(SMALL_GLOBS)
    if found:
        return found
    os.makedirs(_CACHE, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            "manylinux_2_34_x86_64",
            "--python-version",
            "3.12",
            "--implementation",
            "cp",
            "cryptography==46.*",
            "-d",
            _CACHE,
        ],
        check=False,
    )
    return find(SMALL_GLOBS)


def load_average() -> str:
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "?"


# -- sections ------------------------------------------------------------------------------------------


def section_torch(abigate: list[str], wheel: str) -> None:
    print(f"\n[torch] {os.path.basename(wheel)} ({os.path.getsize(wheel) / 1e6:.0f} MB)")
    members = elf_members(wheel)
    total = sum(i.file_size for i in members)
    print(f"  ELF members: {len(members)}, {total / 1e6:.0f} MB uncompressed")
    check_cmd = [*abigate, "check", wheel, "-p", "debian-12", "--python", "3.11", "--format", "json"]
    scan_cmd = [*abigate, "scan", wheel, "--format", "json"]
    run(check_cmd)  # warm-up: bytecode, page cache
    # Interleaved, so that a machine whose load changes over the minutes treats the floor and abigate alike.
    floors, checks, scans = [], [], []
    for _ in range(3):
        floors.append(zlib_floor(wheel, members))
        checks.append(run(check_cmd))
        scans.append(run(scan_cmd))
    if not (all(ok(r, check_cmd) for r in checks) and all(ok(r, scan_cmd) for r in scans)):
        report("torch check vs zlib floor", "failed", "<= 0.6x", False)
        return
    floor, floor_cpu = median([f[0] for f in floors]), median([f[1] for f in floors])
    check_wall, check_cpu = median([r.wall for r in checks]), median([r.cpu for r in checks])
    scan_wall, scan_cpu = median([r.wall for r in scans]), median([r.cpu for r in scans])
    print(
        f"  floor: Python zlib inflating them, one thread: wall {floor:.2f} s, CPU {floor_cpu:.2f} s "
        f"(median of 3: {', '.join(f'{f[0]:.2f}' for f in floors)})"
    )
    print(
        f"  abigate check -p debian-12 --python 3.11: wall {check_wall:.2f} s, CPU {check_cpu:.2f} s, all "
        f"processes (median of 3) -> CPU {check_cpu / floor_cpu:.2f}x the floor's"
    )
    print(f"  abigate scan:                             wall {scan_wall:.2f} s, CPU {scan_cpu:.2f} s")
    report(
        "torch: whole check / zlib floor",
        f"{check_wall / floor:.2f}x ({check_wall:.2f} s / {floor:.2f} s)",
        "<= 0.6x",
        check_wall / floor <= 0.6,
    )
    report("torch: whole scan / zlib floor", f"{scan_wall / floor:.2f}x", "<= 1.5x", scan_wall / floor <= 1.5)
    mem = run(check_cmd, sample=True)
    print(
        f"  memory of the check: largest single process {mem.maxrss_kb / 1024:.0f} MB RSS (wait4); "
        f"sampled run took {mem.wall:.2f} s"
    )
    report(
        "torch: check peak memory, all processes (PSS sum)",
        f"{mem.tree_kb / 1024:.0f} MB",
        "<= 100 MB",
        0 < mem.tree_kb <= 100 * 1024,
    )


def section_small(abigate: list[str], python: str, wheel: str, runs: int, auditwheel: str | None) -> None:
    print(f"\n[small] {os.path.basename(wheel)} ({os.path.getsize(wheel) / 1e6:.1f} MB)")
    bare = runs_of([python, "-c", "pass"], runs)
    check_cmd = [*abigate, "check", wheel, "-p", "aws-lambda-python3.12-x86_64"]
    scan_cmd = [*abigate, "scan", wheel]
    checks = runs_of(check_cmd, runs)
    scans = runs_of(scan_cmd, runs)
    if not (ok(checks[0], check_cmd) and ok(scans[0], scan_cmd)):
        report("small: whole check", "failed", "<= 0.10 s", False)
        return
    bare_wall = median([r.wall for r in bare])
    check_wall = median([r.wall for r in checks])
    print(f"  bare interpreter start-up:     wall {bare_wall * 1000:.0f} ms (median of {runs})")
    print(
        f"  abigate scan:                  wall {median([r.wall for r in scans]) * 1000:.0f} ms, CPU "
        f"{median([r.cpu for r in scans]) * 1000:.0f} ms"
    )
    print(
        f"  abigate check -p aws-lambda-python3.12-x86_64: wall {check_wall * 1000:.0f} ms "
        f"(min {min(r.wall for r in checks) * 1000:.0f}), CPU {median([r.cpu for r in checks]) * 1000:.0f} ms"
    )
    report("small: whole check, median wall", f"{check_wall * 1000:.0f} ms", "<= 100 ms", check_wall <= 0.10)
    phases = [p for p in (_phases(python, wheel) for _ in range(5)) if p is not None]
    if phases:
        names = list(phases[0])
        print(
            "  where the check's CPU goes (in one process, median of runs, ms): "
            + ", ".join(f"{n} {median([p[n] for p in phases]) * 1000:.0f}" for n in names)
        )
    if auditwheel is None:
        print("  auditwheel: not available (pass --auditwheel or allow the venv install)")
        return
    aw_cmd = [auditwheel, "show", wheel]
    aws = runs_of(aw_cmd, runs)
    if aws[0].code != 0:
        print(f"  !! auditwheel show failed: {aws[0].stderr.strip()[-500:]}")
        return
    aw_wall = median([r.wall for r in aws])
    aw_cpu = median([r.cpu for r in aws])
    print(f"  auditwheel show:               wall {aw_wall * 1000:.0f} ms, CPU {aw_cpu * 1000:.0f} ms")
    report(
        "small: auditwheel show / abigate check",
        f"{aw_wall / check_wall:.1f}x faster",
        ">= 3x",
        aw_wall / check_wall >= 3,
    )


#: the steps of ``abigate check`` timed in one process (CPU seconds each), for :func:`_phases`.
_PHASES = """
import sys, time
clock = time.process_time
t = [clock()]
import abigate.cli, abigate.commands.check, abigate.scan, abigate.evaluate, abigate.config, abigate.profiles
import abigate.reporters.check_text, abigate.digests
t.append(clock())
from abigate.profiles import LazyProfiles, load_profile
profile = load_profile(sys.argv[2])
t.append(clock())
from abigate.scan import scan_paths
facts = scan_paths([sys.argv[1]], jobs=1)
t.append(clock())
from abigate.evaluate import Selection, check
report = check(facts, [profile], Selection(), alternatives=LazyProfiles())
t.append(clock())
from abigate.reporters.check_text import render_text
render_text(report, color=False, verbosity="normal")
t.append(clock())
print(" ".join(f"{b - a:.6f}" for a, b in zip(t, t[1:])))
"""


def _phases(python: str, wheel: str) -> dict[str, float] | None:
    """CPU seconds of the check's steps: imports, the profile, the scan, the rules, the report."""
    out = subprocess.run(
        [python, "-c", _PHASES, wheel, "aws-lambda-python3.12-x86_64"],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    if out.returncode != 0:
        print(f"  !! {out.stderr.strip()[-300:]}")
        return None
    values = [float(v) for v in out.stdout.split()]
    return dict(zip(("imports", "profile", "scan (read + sha256)", "rules", "report"), values))


def section_graphs(abigate: list[str], wheels: list[str], runs: int) -> None:
    print("\n[check vs scan] own policy, CPU seconds (wait4), median")
    worst = 0.0
    for wheel in wheels:
        policy = own_policy(wheel)
        if policy is None:
            print(f"  {os.path.basename(wheel)}: no policy for its tags, skipped")
            continue
        profile, py = policy
        scan_cmd = [*abigate, "scan", wheel, "--format", "json"]
        check_cmd = [
            *abigate,
            "check",
            wheel,
            "-p",
            profile,
            "--python",
            py,
            "--format",
            "json",
            "--no-config",
        ]
        scans = runs_of(scan_cmd, runs)
        checks = runs_of(check_cmd, runs, warm=False)
        if not (ok(scans[0], scan_cmd) and ok(checks[0], check_cmd)):
            continue
        s_cpu, c_cpu = median([r.cpu for r in scans]), median([r.cpu for r in checks])
        s_wall, c_wall = median([r.wall for r in scans]), median([r.wall for r in checks])
        ratio = c_cpu / s_cpu
        worst = max(worst, ratio)
        print(
            f"  {os.path.basename(wheel)[:60]:60} ({os.path.getsize(wheel) / 1e6:4.0f} MB) -p {profile}: "
            f"scan {s_cpu:.2f} s, check {c_cpu:.2f} s CPU -> {ratio:.2f}x (wall {c_wall / s_wall:.2f}x)"
        )
        parts = os.path.basename(wheel)[: -len(".whl")].split("-")
        arch = "aarch64" if "aarch64" in parts[-1] else "x86_64"
        report(f"check/scan {parts[0]} {parts[1]} {arch}", f"{ratio:.2f}x", "<= 1.3x", ratio <= 1.3)


def section_folder(abigate: list[str], count: int) -> None:
    """``--jobs 2`` against ``--jobs 1`` on *count* real wheels (every k-th of the cache in name order, all
    sizes), best of two each, alternating so that a busy spell hurts both sides."""
    every = sorted(glob.glob(f"{_RW_WHEELS}/*.whl"))
    wheels = every[:: max(1, len(every) // count)][:count]
    size = sum(map(os.path.getsize, wheels))
    print(
        f"\n[folder] {len(wheels)} real wheels ({size / 1e6:.0f} MB) on one command line: abigate scan "
        "--jobs 1 vs --jobs 2"
    )
    if len(wheels) < 100:
        print("  fewer than 100 wheels in the real-world cache (run scripts/realworld.py --only download)")
        return
    one = [*abigate, "scan", "--format", "json", "--jobs", "1", *wheels]
    two = [*abigate, "scan", "--format", "json", "--jobs", "2", *wheels]
    run(one)  # warm the page cache
    r1, r2 = [], []
    for _ in range(2):
        r1.append(run(one))
        r2.append(run(two))
    if not (ok(r1[0], one) and ok(r2[0], two)):
        report("folder: --jobs 2 / --jobs 1", "failed", "<= 0.6x", False)
        return
    w1, w2 = min(r.wall for r in r1), min(r.wall for r in r2)
    print(
        f"  --jobs 1: {w1:.1f} s wall, {min(r.cpu for r in r1):.1f} s CPU; --jobs 2: {w2:.1f} s wall, "
        f"{min(r.cpu for r in r2):.1f} s CPU (best of 2 each; on a shared machine the CPU split shows what "
        "the cores did when the wall ratio cannot)"
    )
    report("folder: wall --jobs 2 / --jobs 1", f"{w2 / w1:.2f}x", "<= 0.6x", w2 / w1 <= 0.6)


def section_inflate(abigate: list[str], wheel: str) -> None:
    """ISA-L against zlib as abigate's inflate library (``ABIGATE_INFLATE``), ``scan --jobs 1`` of *wheel*."""
    print(f"\n[inflate] abigate scan --jobs 1 of {os.path.basename(wheel)}, each inflate library, best of 2")
    cmd = [*abigate, "scan", "--format", "json", "--jobs", "1", wheel]
    best: dict[str, Run] = {}
    for _ in range(2):
        for lib in ("zlib", "isal"):
            env = _env()
            env["ABIGATE_INFLATE"] = lib
            got = run(cmd, env=env)
            if lib not in best or got.wall < best[lib].wall:
                best[lib] = got
    z, i = best["zlib"], best["isal"]
    print(f"  ABIGATE_INFLATE=zlib: {z.wall:.2f} s wall, {z.cpu:.2f} s CPU")
    print(f"  ABIGATE_INFLATE=isal: {i.wall:.2f} s wall, {i.cpu:.2f} s CPU -> {i.wall / z.wall:.2f}x zlib's "
          f"wall, {i.cpu / z.cpu:.2f}x its CPU")


def section_sweep(abigate: list[str], extra: list[str]) -> None:
    wheels = sorted(glob.glob(f"{_RW_WHEELS}/*.whl")) + extra
    print(f"\n[memory sweep] abigate check of {len(wheels)} wheels against their own policy, PSS sampled")
    rows: list[tuple[int, int, float, str]] = []
    for wheel in wheels:
        policy = own_policy(wheel)
        args = ["-p", policy[0], "--python", policy[1]] if policy else ["-p", "debian-12"]
        cmd = [*abigate, "check", wheel, *args, "--format", "json", "--no-config"]
        r = run(cmd, sample=True)
        if not ok(r, cmd):
            continue
        rows.append((max(r.tree_kb, 0), r.maxrss_kb, r.wall, os.path.basename(wheel)))
    rows.sort(reverse=True)
    for tree, single, wall, name in rows[:8]:
        print(f"  {tree / 1024:5.0f} MB PSS ({single / 1024:4.0f} MB largest RSS) {wall:6.2f} s  {name}")
    over = [r for r in rows if r[0] > 100 * 1024]
    worst = rows[0] if rows else (0, 0, 0.0, "-")
    report(
        f"memory: every real wheel ({len(rows)})",
        f"max {worst[0] / 1024:.0f} MB ({worst[3]}), {len(over)} over 100 MB",
        "<= 100 MB",
        bool(rows) and not over,
    )


def section_imports(python: str, wheel: str) -> None:
    cmd = [python, "-X", "importtime", "-m", "abigate", "check", wheel, "-p", "aws-lambda-python3.12-x86_64"]
    print("\n[imports] python -X importtime of the small check (per module: the minimum of 5 runs, ms)")
    selfs: dict[str, list[int]] = {}
    cums: dict[str, list[int]] = {}
    depth: dict[str, int] = {}
    for _ in range(5):
        r = run(cmd)
        for line in r.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
            if m:
                selfs.setdefault(m.group(4), []).append(int(m.group(1)))
                cums.setdefault(m.group(4), []).append(int(m.group(2)))
                depth[m.group(4)] = len(m.group(3))
    best_self = {k: min(v) for k, v in selfs.items()}
    best_cum = {k: min(v) for k, v in cums.items()}
    total = sum(v for k, v in best_cum.items() if depth[k] == 1)
    print(f"  {len(best_self)} modules; top-level imports {total / 1000:.0f} ms in all")
    print(
        "  largest cumulative:",
        ", ".join(f"{k} {v / 1000:.1f}" for k, v in sorted(best_cum.items(), key=lambda kv: -kv[1])[:12]),
    )
    print(
        "  largest self:      ",
        ", ".join(f"{k} {v / 1000:.1f}" for k, v in sorted(best_self.items(), key=lambda kv: -kv[1])[:12]),
    )
    groups: dict[str, int] = {}
    for k, v in best_self.items():
        groups[k.split(".")[0]] = groups.get(k.split(".")[0], 0) + v
    print(
        "  by package (self): ",
        ", ".join(f"{k} {v / 1000:.1f}" for k, v in sorted(groups.items(), key=lambda kv: -kv[1])[:12]),
    )


def section_engines(python: str, torch: str | None, small: str | None) -> None:
    print("\n[engines] abigate's ELF reader against the pyelftools engine, same bytes in memory")
    code = (
        "import io, sys, time, zipfile\n"
        "from abigate.elf import read_elf_bytes\n"
        "from abigate.elf_pyelftools import read_elf_pyelftools\n"
        "path, member = sys.argv[1], sys.argv[2]\n"
        "with zipfile.ZipFile(path) as zf:\n"
        "    infos = [i for i in zf.infolist() if member in ('', i.filename)]\n"
        "    info = max(infos, key=lambda i: i.file_size) if not member else infos[0]\n"
        "    data = zf.read(info)\n"
        "t = time.perf_counter(); ours = read_elf_bytes(data); own = time.perf_counter() - t\n"
        "t = time.perf_counter(); theirs = read_elf_pyelftools(io.BytesIO(data))\n"
        "ref = time.perf_counter() - t\n"
        "print(info.filename, info.file_size, own, ref, ours.elf == theirs.elf)\n"
    )
    for wheel, member in ((torch, "torch/lib/libtorch_python.so"), (small, "")):
        if wheel is None:
            continue
        out = subprocess.run(
            [python, "-c", code, wheel, member], capture_output=True, text=True, env=_env(), check=False
        )
        if out.returncode != 0:
            print(f"  !! {out.stderr.strip()[-300:]}")
            continue
        name, size, own, ref, same = out.stdout.split()
        print(
            f"  {name} ({int(size) / 1e6:.0f} MB): own {float(own) * 1000:.1f} ms, pyelftools "
            f"{float(ref) * 1000:.0f} ms -> {float(ref) / float(own):.0f}x faster; same facts: {same}"
        )


# -- main ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--torch", default=find(TORCH_GLOBS), help="the large wheel (default: PyTorch CPU)")
    parser.add_argument("--small", default=None, help="the small wheel (default: cryptography 46)")
    parser.add_argument(
        "--graph",
        action="append",
        help="a wheel for check vs scan (repeatable; default: "
        "ortools, pyside6_essentials, TensorFlow and the three largest real-world wheels)",
    )
    parser.add_argument("--runs", type=int, default=9, help="runs per median for the small wheel")
    parser.add_argument("--folder-count", type=int, default=120, help="wheels for the --jobs comparison")
    parser.add_argument("--skip", action="append", choices=SECTIONS, default=[], help="leave a section out")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, default=[], help="run only these sections"
    )
    parser.add_argument("--auditwheel", help="an auditwheel executable (default: installed into a temp venv)")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="time the abigate of this interpreter instead of a fresh regular install",
    )
    args = parser.parse_args()

    def wanted(section: str) -> bool:
        return section not in args.skip and (not args.only or section in args.only)

    work = tempfile.mkdtemp(prefix="abigate-bench-")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    python = sys.executable
    if not args.in_place:
        print(f"installing this checkout into a throwaway venv ({work}/venv) ...")
        python = install_into_venv(os.path.join(work, "venv"), repo)
    abigate = [python, "-m", "abigate"]
    version = subprocess.run(
        [*abigate, "--version"], capture_output=True, text=True, env=_env(), check=False
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"{version} at {commit}; {os.cpu_count()} CPUs; load average at start {load_average()}")

    small = args.small or small_wheel()
    if wanted("torch"):
        if args.torch:
            section_torch(abigate, args.torch)
        else:
            print("\n[torch] no PyTorch wheel found (pass --torch)")
    if wanted("inflate") and args.torch:
        section_inflate(abigate, args.torch)
    if wanted("small"):
        if small:
            auditwheel = args.auditwheel
            if auditwheel is None:
                try:
                    aw_python = install_into_venv(os.path.join(work, "auditwheel"), "auditwheel")
                    auditwheel = os.path.join(os.path.dirname(aw_python), "auditwheel")
                except subprocess.CalledProcessError as exc:
                    print(f"  auditwheel could not be installed: {exc}")
            section_small(abigate, python, small, args.runs, auditwheel)
        else:
            print("\n[small] no cryptography 46 wheel found or downloadable (pass --small)")
    tensorflow = find(TENSORFLOW_GLOBS)
    if wanted("graphs"):
        graphs = args.graph or [w for w in (find(g) for g in GRAPH_GLOBS) if w]
        if not args.graph:
            largest = sorted(glob.glob(f"{_RW_WHEELS}/*.whl"), key=os.path.getsize, reverse=True)
            graphs += [w for w in largest if w not in graphs][:3]
            graphs += [w for w in (tensorflow, args.torch) if w and w not in graphs]
        section_graphs(abigate, graphs, max(3, args.runs // 3))
    if wanted("folder"):
        section_folder(abigate, args.folder_count)
    if wanted("sweep"):
        section_sweep(abigate, [w for w in (tensorflow,) if w])
    if wanted("imports") and small:
        section_imports(python, small)
    if wanted("engines"):
        section_engines(python, args.torch, small)

    print(f"\nload average at the end: {load_average()}")
    print("\nsummary")
    for t in RESULTS:
        print(f"  {'MET    ' if t.met else 'NOT MET'}  {t.name}: {t.measured} (target {t.goal})")
    return 0 if all(t.met for t in RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
