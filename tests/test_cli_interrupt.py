"""Ctrl-C: exit 130 with one line, and no worker process left behind (issue 12).

A real subprocess scans a zip whose two large native members start the worker pool, then blocks reading
standard input (which the test never closes); the test interrupts it as a terminal would, by sending SIGINT
to the whole process group, so the workers receive it too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ELF_STUB

from abigate.scan import PARALLEL_MIN_SIZE, PARALLEL_MIN_TOTAL

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _children(pid: int) -> list[int]:
    """The direct children of *pid*, from /proc/PID/task/*/children."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            found += [int(x) for x in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except FileNotFoundError:
            pass
    return found


def _alive(pid: int) -> bool:
    """Whether *pid* still runs (a zombie nobody reaped counts as gone: it runs nothing)."""
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError):
        return False
    return state not in ("Z", "X")


@pytest.fixture(scope="module")
def big_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two stored ELF-headed members large enough that ``scan`` parses them in worker processes."""
    size = max(PARALLEL_MIN_SIZE, PARALLEL_MIN_TOTAL // 2 + (1 << 20))
    path = tmp_path_factory.mktemp("interrupt") / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(2):
            zf.writestr(f"pkg/_big{i}.so", ELF_STUB + bytes(size))
    return path


def interrupt_scan(paths: list[str], *, group: bool = True) -> None:
    """Run ``abigate scan PATHS - --jobs 2``, wait for two workers, send SIGINT (to the whole process group
    when *group*, as a terminal does, else to the parent alone) and assert exit 130, the one line, and no
    worker left."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "abigate", "scan", *paths, "-", "--jobs", "2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
            workers = _children(proc.pid)
        assert len(workers) >= 2, "the worker pool never started"
        time.sleep(0.3)  # the artifacts are done: the scan now waits on standard input
        if group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130
    assert err.decode() == "abigate: interrupted\n"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    assert [w for w in workers if _alive(w)] == []


@pytest.mark.parametrize("group", [True, False], ids=["process-group", "parent-only"])
def test_ctrl_c_exits_130_with_one_line_and_no_worker_left(big_zip: Path, group: bool) -> None:
    interrupt_scan([str(big_zip)], group=group)


def test_interrupt_inside_a_command_is_130(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """In-process: click must not turn the interrupt into its Abort (which was exit 1, "aborted")."""
    from abigate import scan as scan_module
    from abigate.cli import main

    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(scan_module, "scan_paths", interrupted)
    assert main(["scan", os.devnull]) == 130
    assert capsys.readouterr().err == "abigate: interrupted\n"
