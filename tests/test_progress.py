"""Progress on standard error: after a second, on a terminal only (or when asked), erased at the end.

The slow scans are real subprocesses reading standard input (``-``) that the test holds open, so the scan
waits as long as the test wants (a FIFO path, used before, is refused since issue 11), with standard error
on a pseudo-terminal (``pty``) or on a pipe. All of them run at once, so
the whole file costs about two seconds.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from abigate.commands.progress import DELAY, describe, want_progress
from abigate.scan import ScanProgress, scan_paths

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


class _Run:
    """``abigate scan -`` with stderr on a pty (``tty=True``) or a pipe; what it wrote, as it comes."""

    def __init__(self, *, tty: bool, env: dict[str, str], args: tuple[str, ...] = ()) -> None:
        import pty

        self.name = "-"  # progress names the argument as given
        self.err = b""
        self.times: list[float] = []
        self.started = time.monotonic()
        if tty:
            self.master, slave = pty.openpty()
        else:
            self.master, slave = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "abigate", "scan", "-", "--jobs", "1", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=slave, env=env,
        )
        os.close(slave)

    def pump(self) -> None:
        """Take whatever stderr holds now, noting when it came."""
        while select.select([self.master], [], [], 0)[0]:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: the pty's other side is closed
                return
            if not chunk:
                return
            self.err += chunk
            self.times.append(time.monotonic() - self.started)

    def finish(self) -> tuple[int, str]:
        """Feed standard input a small plain file, let the scan end, return its status and all of stderr."""
        out, _ = self.proc.communicate(b"just some text\n", timeout=60)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            before = len(self.err)
            self.pump()
            if len(self.err) == before:
                break
            time.sleep(0.05)
        os.close(self.master)
        assert b"1 artifact scanned" in out
        return self.proc.returncode, self.err.decode("utf-8", "replace")


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    env["TERM"] = "xterm"
    env["COLUMNS"] = "400"  # the pty says 0 columns; long tmp paths must not be cut
    src = str(Path(__file__).resolve().parent.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def test_progress_only_for_a_person_at_a_terminal(tmp_path: Path) -> None:
    runs: dict[str, _Run] = {}
    cases = {
        "tty": {"tty": True, "env": _env(NO_COLOR="1")},
        "pipe": {"tty": False, "env": _env()},
        "ci": {"tty": True, "env": _env(CI="true")},
        "dumb": {"tty": True, "env": _env(TERM="dumb")},
        "off": {"tty": True, "env": _env(), "args": ("--no-progress",)},
        "forced-pipe": {"tty": False, "env": _env(CI="1"), "args": ("--progress",)},
    }
    for name, kwargs in cases.items():
        runs[name] = _Run(**kwargs)  # type: ignore[arg-type]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until the terminal and the forced pipe show it (both, or time out)
        for run in runs.values():
            run.pump()
        if b"abigate: reading" in runs["tty"].err and b"abigate: reading" in runs["forced-pipe"].err:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    results = {name: run.finish() for name, run in runs.items()}
    for name, (status, _) in results.items():
        assert status == 0, (name, results[name])

    tty = results["tty"][1]
    assert f"abigate: reading {runs['tty'].name}" in tty
    # Not before the delay (the process also needs time to start, which only makes it later).
    assert runs["tty"].times[0] >= DELAY * 0.9
    assert tty.startswith("\r") and tty.endswith("\r\x1b[K")  # redrawn in place, erased at the end
    assert "\x1b[" not in tty.replace("\x1b[K", "")  # no colour: NO_COLOR is set (and none is used anyway)

    forced = results["forced-pipe"][1]
    assert f"abigate: reading {runs['forced-pipe'].name}\n" in forced
    assert "\r" not in forced and "\x1b" not in forced  # plain lines in a log

    for quiet in ("pipe", "ci", "dumb", "off"):
        assert "abigate:" not in results[quiet][1], (quiet, results[quiet][1])


def test_a_quick_scan_shows_nothing(tmp_path: Path) -> None:
    import pty

    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("demo/__init__.py", "")
    master, slave = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "abigate", "scan", str(wheel)], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=slave, env=_env(), check=False, timeout=60)
    os.close(slave)
    err = b""
    while select.select([master], [], [], 0.1)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    assert proc.returncode == 0
    assert err == b""


def test_want_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert want_progress(None, Tty()) is True  # type: ignore[arg-type]
    assert want_progress(False, Tty()) is False  # type: ignore[arg-type]
    monkeypatch.setenv("CI", "true")
    assert want_progress(None, Tty()) is False  # type: ignore[arg-type]
    assert want_progress(True, Tty()) is True  # type: ignore[arg-type]


def test_progress_reports_members_then_artifacts(tmp_path: Path) -> None:
    """One artifact: member by member. Several with workers: artifact by artifact, the sizes on disk."""
    paths = []
    for i in range(3):
        path = tmp_path / f"a{i}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for j in range(5):
                zf.writestr(f"m{j}.txt", "x" * 100)
        paths.append(str(path))
    seen: list[ScanProgress] = []
    scan_paths(paths[:1], jobs=1, progress=seen.append)
    assert [(s.members_done, s.members_total, s.bytes_done) for s in seen] == [
        (i, 5, 100 * i) for i in range(5)]
    assert describe(seen[-1], paths[0]).endswith("a0.zip: 4/5 members, 400 B of 500 B")

    seen.clear()
    scan_paths(paths, jobs=2, progress=seen.append)
    assert seen[0].artifacts_done == 0 and seen[-1].artifacts_done == 3
    assert all(s.members_total == 0 and s.artifacts_total == 3 for s in seen)
    total = sum(os.path.getsize(p) for p in paths)
    assert seen[-1].bytes_done == seen[-1].bytes_total == total
    assert describe(seen[-1], paths[0]).startswith("3/3 artifacts, ")
