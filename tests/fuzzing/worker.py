"""The warm worker: import abigate once, then fork one child per input and measure it.

Run as ``python worker.py`` (the runner starts it, optionally under ``strace``). It reads one JSON request
per line on standard input and answers one JSON line on standard output. For each request it forks a
child that puts itself in its own process group, points its standard output and error at anonymous memory
files (``memfd_create``: nothing on disk), sets ``RLIMIT_AS``, changes to the case's folder and calls
``abigate.cli.main(argv)`` exactly as the ``abigate`` command does; its return value is the exit status.
The worker waits on a pidfd with the case's wall-clock limit, kills the child's whole process group when the
limit passes, and takes the child's peak RSS from ``os.wait4``'s rusage (which includes the pool workers a
scan forks and reaps).

Why fork rather than ``python -m abigate``: a fresh interpreter costs ~0.2 s of start-up per input, about
twenty times the work of a small input, and the long run needs 100,000 inputs an hour on two cores. The
child starts from the worker's memory, so its peak RSS includes the ~30 MB of the warm interpreter — the
same order as a real process's start-up, which ``tests/test_fuzz_sample.py`` also measures with real
subprocesses.

A request with ``"exec": true`` makes the child exec a real ``python -m abigate`` instead (the sample of
real processes): its peak RSS is then measured from the small worker, not from whatever large process
started the run — Linux carries the pre-``exec`` high-water mark of a forked process into ``ru_maxrss``,
so a subprocess of a 400 MB pytest process would report 400 MB.

Before each fork the worker calls ``access("/nonexistent-abigate-fuzz/<id>")``: under ``strace`` that line
marks where the next case's system calls begin, so a write can be traced back to its input even when PIDs
are reused.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import resource
import select
import signal
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

MARKER = "/nonexistent-abigate-fuzz/"
#: exit status of a child whose command succeeded but whose written profile did not validate.
EXIT_INVALID_OUTPUT = 97
#: exit status of a child in which something escaped ``main`` (it never returns an exception).
EXIT_ESCAPED = 99
_KEEP = 6000  # bytes of stderr returned (head and tail)


def _silently(main: object, argv: list[str]) -> None:
    """Run *argv* in this process with output discarded, to import and cache what the children will use."""
    assert callable(main)
    null = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1), os.dup(2)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        main(argv)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (null, *saved):
            os.close(fd)


def _warm_up(main: object) -> None:
    """Import every subcommand and reader, and load the built-in profiles, before the first fork."""
    import abigate.commands.check
    import abigate.commands.profile
    import abigate.commands.scan  # noqa: F401

    here = Path(__file__).resolve().parents[2]
    elf = here / "testdata" / "elf" / "glibc" / "v2_28.so"
    with tempfile.TemporaryDirectory(prefix="abigate-fuzz-warm-") as tmp:
        zpath = Path(tmp, "warm.zip")
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
            if elf.exists():
                zf.write(elf, "pkg/_x.cpython-311-x86_64-linux-gnu.so")
            zf.writestr("pkg/__init__.py", "")
        (Path(tmp) / "etc").mkdir()
        (Path(tmp) / "etc" / "os-release").write_text('ID=debian\nVERSION_ID="12"\n')
        from fuzzing.seeds import PROFILES

        for pid in (*PROFILES, "manylinux_2_28_x86_64", "google-22"):
            _silently(main, ["check", str(zpath), "-p", pid, "-q"])
        for argv in (
            ["check", str(zpath), "-p", "debian-12", "-q"],
            ["scan", str(zpath), "-q"],
            ["check", str(zpath), "-p", "aws-lambda-python3.12", "--format", "json"],
            ["profile", "from-rootfs", tmp],
            ["profile", "validate", "/nonexistent.toml"],
        ):
            _silently(main, argv)


def _child(req: dict[str, object], out: int, err: int, main: object, keep: tuple[int, ...]) -> None:
    """The forked child: never returns."""
    status = EXIT_ESCAPED
    try:
        os.setpgid(0, 0)
        for fd in keep:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        limit = int(req.get("as_limit") or 0)  # type: ignore[call-overload]
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        cpu = int(req.get("cpu_limit") or 0)  # type: ignore[call-overload]
        if cpu:  # SIGXCPU at the limit: a spin is caught by its own work, not by how busy the machine is
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        os.chdir(str(req["cwd"]))
        if req.get("exec"):  # a real `python -m abigate` process, as a user runs it
            argv = [sys.executable, "-m", "abigate", *[str(a) for a in req["argv"]]]  # type: ignore[attr-defined]
            if not req.get("validate"):
                os.execv(sys.executable, argv)
            # the profile written must validate too: run both, as a shell would
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
            import subprocess

            status = subprocess.call(argv)
            if (
                status == 0
                and subprocess.call(
                    [sys.executable, "-m", "abigate", "profile", "validate", str(req["validate"])]
                )
                != 0
            ):
                status = EXIT_INVALID_OUTPUT
            return
        assert callable(main)
        status = int(main(list(req["argv"])))  # type: ignore[call-overload]
        target = req.get("validate")
        if status == 0 and target:
            sys.stdout.flush()
            if main(["profile", "validate", str(target)]) != 0:
                status = EXIT_INVALID_OUTPUT
    except BaseException:  # noqa: BLE001 - the verdict is made from what reached stderr
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        if status < 0:  # a real process killed by a signal: die of the same one, so the verdict is the same
            signal.signal(-status, signal.SIG_DFL)
            os.kill(os.getpid(), -status)
        os._exit(status & 0xFF)


def _read_memfd(fd: int) -> tuple[int, str]:
    size = os.fstat(fd).st_size
    if size <= _KEEP:
        data = os.pread(fd, size, 0)
    else:
        # the marker line is indented, so a cut multi-problem message still reads as one error
        tail = os.pread(fd, _KEEP // 2, size - _KEEP // 2).partition(b"\n")[2]  # from a line's start
        data = os.pread(fd, _KEEP // 2, 0) + b"\n  [...]\n" + tail
    return size, data.decode("utf-8", "replace")


def run_one(req: dict[str, object], main: object, keep: tuple[int, ...]) -> dict[str, object]:
    """Fork, run, wait with the time limit; the answer line for *req*."""
    out = os.memfd_create("abigate-fuzz-out")
    err = os.memfd_create("abigate-fuzz-err")
    try:
        os.access(MARKER + str(req["id"]), os.F_OK)
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(req, out, err, main, keep)
        timed_out = False
        pidfd = os.pidfd_open(pid)
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            if not poller.poll(int(float(req.get("timeout") or 10) * 1000)):  # type: ignore[arg-type]
                timed_out = True
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        finally:
            os.close(pidfd)
        _, wstatus, usage = os.wait4(pid, 0)
        wall = time.monotonic() - start
        try:  # pool workers the child left behind share its process group
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        out_size, _ = _read_memfd(out)
        _, err_text = _read_memfd(err)
    finally:
        os.close(out)
        os.close(err)
    return {
        "id": req["id"],
        "pid": pid,
        "rc": os.waitstatus_to_exitcode(wstatus),
        "timed_out": timed_out,
        "real": bool(req.get("exec")),
        "wall": round(wall, 4),
        "cpu": round(usage.ru_utime + usage.ru_stime, 3),
        "maxrss_kb": usage.ru_maxrss,
        "stdout_bytes": out_size,
        "stderr": err_text,
    }


def serve() -> None:
    """Answer requests until standard input closes."""
    sys.dont_write_bytecode = (
        True  # a lazy import in a child must not write __pycache__ (not abigate's write)
    )
    from abigate.cli import main

    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    answers = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    _warm_up(main)
    gc.collect()
    gc.freeze()  # the children's copy-on-write pages stay shared
    os.write(answers, b'{"ready": true}\n')
    keep = (requests.fileno(), answers)
    buf = b""
    while True:
        chunk = requests.read(1 << 16)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            answer = run_one(json.loads(line), main, keep)
            os.write(answers, json.dumps(answer).encode() + b"\n")


if __name__ == "__main__":
    serve()
