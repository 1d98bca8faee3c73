"""Run cases on warm workers and judge each outcome against the rules of issue 11.

A verdict lists the rules a case broke (empty: it behaved):

* ``traceback`` — exit 3 (abigate's "internal error"), a child that died with something escaping ``main``,
  or ``Traceback`` on stderr;
* ``wrong-exit`` — an exit status the case does not allow, an exit 2 whose stderr is not one
  ``abigate: …`` line (continuation lines indented), or a profile that abigate wrote and then rejected;
* ``hang`` — the CPU-time limit (``RLIMIT_CPU``, SIGXCPU) or the wall-clock limit passed (the child's
  process group is killed): a spin is caught by the CPU it burns, whatever the load of the machine, and a
  block (a FIFO with no writer) by the wall clock;
* ``memory`` — a ``MemoryError`` (the address-space limit was hit) or death by SIGKILL without a timeout;
* ``rss`` — peak RSS above the bound;
and, from :meth:`Runner.traced` once the run is over, ``writes`` — with ``strace``, a file created,
opened for writing, renamed, removed or changed outside the case's ``out/`` folder (anonymous ``O_TMPFILE``
files are counted separately: they have no name and vanish when closed).
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuzzing.case import Case
from fuzzing.worker import EXIT_ESCAPED, EXIT_INVALID_OUTPUT, MARKER

__all__ = ["Outcome", "Runner", "judge"]

_WORKER = str(Path(__file__).with_name("worker.py"))

#: system calls that can name a file to create or change, plus ``access`` for the case markers.
_TRACED = (
    "open,openat,openat2,creat,mkdir,mkdirat,unlink,unlinkat,rename,renameat,renameat2,link,linkat,"
    "symlink,symlinkat,chmod,fchmodat,truncate,mknod,mknodat,utimes,utimensat,chown,fchownat,"
    "lchown,setxattr,lsetxattr,removexattr,lremovexattr,access"
)
_PID = re.compile(r"^(?:\[pid\s+(\d+)\]|(\d+))\s+")
_RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>")
_LINE = re.compile(r"^(\w+)\((.*)\)\s+=\s+(-?\d+)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_OPEN_WRITE = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND")
_CHANGES = frozenset(
    {
        "creat",
        "mkdir",
        "mkdirat",
        "unlink",
        "unlinkat",
        "rename",
        "renameat",
        "renameat2",
        "link",
        "linkat",
        "symlink",
        "symlinkat",
        "chmod",
        "fchmodat",
        "truncate",
        "mknod",
        "mknodat",
        "utimes",
        "utimensat",
        "chown",
        "fchownat",
        "lchown",
        "setxattr",
        "lsetxattr",
        "removexattr",
        "lremovexattr",
    }
)


@dataclass
class Outcome:
    """What happened to one case."""

    rc: int
    timed_out: bool
    wall: float
    maxrss_kb: int
    stderr: str
    stdout_bytes: int = 0
    cpu: float = 0.0
    real: bool = False  # run as a real `python -m abigate` process rather than a forked call of main


def _one_line(stderr: str) -> bool:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return bool(lines) and lines[0].startswith("abigate: ") and all(x[:1].isspace() for x in lines[1:])


def judge(case: Case, out: Outcome, rss_limit_kb: int) -> list[str]:
    """The rules *case* broke (see the module docstring)."""
    broken: list[str] = []
    if out.timed_out or out.rc == -signal.SIGXCPU:
        broken.append("hang")
    elif "MemoryError" in out.stderr or out.rc == -9:
        broken.append("memory")
    elif out.rc in (3, EXIT_ESCAPED) or "Traceback (most recent call last)" in out.stderr:
        broken.append("traceback")
    elif (
        out.rc == EXIT_INVALID_OUTPUT
        or out.rc not in case.allowed
        or out.rc == 2
        and case.argv[:2] != ["profile", "validate"]
        and not _one_line(out.stderr)
    ):
        broken.append("wrong-exit")
    if out.maxrss_kb > rss_limit_kb:
        broken.append("rss")
    return broken


class _Tracer(threading.Thread):
    """Reads one worker's ``strace`` output and keeps, per case id, the writes outside its ``out/``."""

    def __init__(self, stream: object, allowed: dict[str, tuple[str, str]]) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.allowed = allowed  # case id → (cwd, out folder); filled by the runner before submitting
        self.writes: dict[str, list[str]] = {}
        self.tmpfiles: dict[str, int] = {}
        self.lock = threading.Lock()
        self.server_pid = ""
        self.current = ""

    def run(self) -> None:
        unfinished: dict[str, str] = {}
        for raw in self.stream:  # type: ignore[attr-defined]
            line = raw.decode("utf-8", "replace").rstrip("\n")
            m = _PID.match(line)
            pid = (m.group(1) or m.group(2)) if m else None
            body = line[m.end() :] if m else line
            pid = pid or "leader"  # strace leaves the first traced process's lines unprefixed
            if body.endswith("<unfinished ...>"):
                unfinished[pid] = body[: -len("<unfinished ...>")].rstrip()
                continue
            resumed = _RESUMED.match(body)
            if resumed:
                body = unfinished.pop(pid, resumed.group(1) + "(") + body[resumed.end() :]
            self._line(pid, body, line)

    def _line(self, pid: str, body: str, line: str) -> None:
        m = _LINE.match(body)
        if not m:
            return
        call, args, ret = m.groups()
        if call == "access" and MARKER in args:
            self.server_pid = pid
            self.current = args.split(MARKER, 1)[1].split('"', 1)[0]
            return
        if not self.current or pid == self.server_pid or int(ret) < 0:
            return
        if call.startswith("open") or call == "creat":
            if "O_TMPFILE" in args:
                with self.lock:
                    self.tmpfiles[self.current] = self.tmpfiles.get(self.current, 0) + 1
                return
            if call != "creat" and not _OPEN_WRITE.search(args):
                return
        elif call not in _CHANGES:
            return
        if call == "utimensat" and "NULL" in args.split(",")[1:2]:
            return  # futimens on an open descriptor: not a path
        self._record(call, args, line)

    def _record(self, call: str, args: str, line: str) -> None:
        paths = _QUOTED.findall(args)
        cwd, out = self.allowed.get(self.current, ("/", "/nonexistent"))
        ok = True
        for p in paths or [""]:
            full = os.path.normpath(os.path.join(cwd, p))
            if full.startswith("/dev/shm/sem."):
                continue  # multiprocessing's POSIX semaphore for a worker pool: made and unlinked at once
            if full == os.devnull or not (full == out or full.startswith(out + os.sep)):
                ok = False
        if not ok:
            with self.lock:
                self.writes.setdefault(self.current, []).append(line[:300])


class _Worker:
    def __init__(self, strace: bool, env: dict[str, str], allowed: dict[str, tuple[str, str]]) -> None:
        cmd = [sys.executable, _WORKER]
        self.tracer: _Tracer | None = None
        if strace:
            cmd = ["strace", "-f", "--seccomp-bpf", "-qq", "-y", "-s", "512", "-e", f"trace={_TRACED}", *cmd]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if strace else subprocess.DEVNULL,
            env=env,
        )
        if strace:
            self.tracer = _Tracer(self.proc.stderr, allowed)
            self.tracer.start()
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()
        if b"ready" not in ready:
            raise RuntimeError(f"fuzz worker did not start: {ready!r}")
        self.busy: str | None = None

    def send(self, case_id: str, req: dict[str, object]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(req).encode() + b"\n")
        self.proc.stdin.flush()
        self.busy = case_id

    def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("fuzz worker died")
        answer: dict[str, Any] = json.loads(line)
        self.busy = None
        return answer

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        if self.tracer:
            self.tracer.join(timeout=30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


class Runner:
    """A pool of warm workers; :meth:`run` yields each case with its outcome as workers finish."""

    def __init__(
        self,
        workers: int = 2,
        *,
        strace: bool = False,
        timeout: float = 10.0,
        cpu_limit: int = 0,
        as_limit: int = 1536 << 20,
        env: dict[str, str] | None = None,
    ) -> None:
        self.timeout = timeout
        self.cpu_limit = cpu_limit
        self.as_limit = as_limit
        self.allowed: dict[str, tuple[str, str]] = {}
        base = dict(os.environ if env is None else env)
        base.pop("ABIGATE_DEBUG", None)
        base["NO_COLOR"] = "1"
        src = str(Path(__file__).resolve().parents[2] / "src")
        tests = str(Path(__file__).resolve().parents[1])
        base["PYTHONPATH"] = os.pathsep.join([src, tests, *filter(None, [base.get("PYTHONPATH", "")])])
        self.workers = [_Worker(strace, base, self.allowed) for _ in range(workers)]

    def close(self) -> None:
        for w in self.workers:
            w.close()

    def traced(self) -> tuple[dict[str, list[str]], dict[str, int]]:
        """After :meth:`close`: per case id, the writes ``strace`` saw, and the anonymous temporary files.

        Read only once the workers have exited, because ``strace``'s output trails the answers.
        """
        writes: dict[str, list[str]] = {}
        tmpfiles: dict[str, int] = {}
        for w in self.workers:
            if w.tracer:
                writes.update(w.tracer.writes)
                tmpfiles.update(w.tracer.tmpfiles)
        return writes, tmpfiles

    def __enter__(self) -> Runner:  # noqa: PYI034 - Self needs Python 3.11; nothing subclasses Runner
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self, cases: Iterable[tuple[str, Case]], *, real_every: int = 0
    ) -> Iterator[tuple[str, Case, Outcome]]:
        """Run each ``(id, case)``; ids must be unique and free of ``"`` and newlines.

        Every *real_every*-th case (0: none) runs as a real ``python -m abigate`` process instead of a forked
        call of ``main``.
        """
        sent = 0
        pending: dict[str, Case] = {}
        source = iter(cases)
        sel = selectors.DefaultSelector()
        for w in self.workers:
            assert w.proc.stdout is not None
            sel.register(w.proc.stdout, selectors.EVENT_READ, w)
        exhausted = False
        try:
            while True:
                for w in self.workers:
                    if w.busy is None and not exhausted:
                        try:
                            case_id, case = next(source)
                        except StopIteration:
                            exhausted = True
                            break
                        pending[case_id] = case
                        sent += 1
                        self.allowed[case_id] = (case.cwd, os.path.join(case.cwd, "out"))
                        w.send(
                            case_id,
                            {
                                "id": case_id,
                                "argv": case.argv,
                                "cwd": case.cwd,
                                "timeout": self.timeout,
                                "as_limit": self.as_limit,
                                "cpu_limit": self.cpu_limit,
                                "validate": case.validate,
                                # A NUL byte cannot be in a real process's argv (execve refuses it, as
                                # any shell would): such a case is run forked, as main(argv).
                                "exec": bool(real_every) and sent % real_every == 0
                                and not any("\0" in str(a) for a in case.argv),
                            },
                        )
                if not any(w.busy for w in self.workers):
                    return
                for key, _ in sel.select():
                    w = key.data
                    ans = w.receive()
                    case_id = str(ans["id"])
                    case = pending.pop(case_id)
                    yield (
                        case_id,
                        case,
                        Outcome(
                            rc=int(ans["rc"]),
                            timed_out=bool(ans["timed_out"]),
                            wall=float(ans["wall"]),
                            maxrss_kb=int(ans["maxrss_kb"]),
                            stderr=str(ans["stderr"]),
                            stdout_bytes=int(ans["stdout_bytes"]),
                            cpu=float(ans.get("cpu", 0.0)),
                            real=bool(ans.get("real")),
                        ),
                    )
        finally:
            sel.close()
            for w in self.workers:  # a consumer that stopped early: collect the answers still owed
                if w.busy is not None:
                    w.receive()
