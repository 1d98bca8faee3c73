"""Several artifacts over several worker processes: the same facts, in the same order, as one process.

With several paths each worker reads whole artifacts (largest first); standard input, FIFOs and other
non-regular paths are read by the parent meanwhile. Nothing here times anything: the speed-up is measured
by the benchmark.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import M, make_wheel, write_zip

from abigate.errors import UsageError
from abigate.scan import scan_paths

ROOT = Path(__file__).resolve().parent.parent
ELF = ROOT / "testdata" / "elf"


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Wheels, a zip holding a wheel, a folder and a bare ELF file, of different sizes (so the workers
    take them in another order than the command line's)."""
    tmp = tmp_path_factory.mktemp("jobs")
    sos = sorted(p for p in (ELF / "glibc").iterdir() if p.is_file())
    paths = []
    for i, so in enumerate(sos[:4]):
        files: dict[str, bytes | str] = {f"demo{i}/_ext{j}.so": so.read_bytes() for j in range(i + 1)}
        paths.append(make_wheel(tmp, f"demo{i}", "1.0", "cp312-cp312-manylinux_2_17_x86_64", files))
    (tmp / "inner").mkdir()
    inner = make_wheel(tmp / "inner", "inner", "2.0", "py3-none-any", {"inner/x.so": sos[0].read_bytes()})
    paths.append(write_zip(tmp / "bundle.zip", [M("deps/inner-2.0-py3-none-any.whl", inner.read_bytes()),
                                                M("lib/libz.so", (ELF / "arch" / "aarch64-musl.so").read_bytes())]))
    paths.append(ELF / "arch")
    paths.append(ELF / "glibc" / "v2_28.so")
    return [str(p) for p in paths]


def test_same_facts_same_order_with_any_number_of_jobs(artifacts: list[str]) -> None:
    one = scan_paths(artifacts, jobs=1)
    assert [a.path for a in one] == [p.rstrip("/") for p in artifacts]
    for jobs in (2, 3, 16):
        assert scan_paths(artifacts, jobs=jobs) == one
    assert scan_paths(list(reversed(artifacts)), jobs=2) == tuple(reversed(one))


def test_cli_output_is_the_same_with_workers(artifacts: list[str]) -> None:
    """With --progress the drawing thread runs while the pool forks (see abigate.commands.progress)."""
    def run(jobs: str, *more: str) -> bytes:
        proc = subprocess.run([sys.executable, "-m", "abigate", "scan", *artifacts, "--jobs", jobs,
                               "--format", "json", *more], capture_output=True, check=False, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert run("2", "--progress") == run("1")


def test_an_unreadable_path_fails_the_same_way(artifacts: list[str], tmp_path: Path) -> None:
    """A socket passes the up-front checks but cannot be opened: the same one-line error with workers."""
    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        paths = [*artifacts[:2], str(sock_path), *artifacts[2:]]
        with pytest.raises(UsageError) as sequential:
            scan_paths(paths, jobs=1)
        with pytest.raises(UsageError) as parallel:
            scan_paths(paths, jobs=2)
    assert str(parallel.value) == str(sequential.value)
    assert str(sock_path) in str(parallel.value)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_with_several_artifacts_leaves_no_worker(artifacts: list[str]) -> None:
    """Workers read the artifacts while the parent waits on standard input; Ctrl-C ends them all."""
    from test_cli_interrupt import interrupt_scan

    interrupt_scan(artifacts)


def test_one_artifact_larger_than_the_rest_is_read_by_the_parent(artifacts: list[str], tmp_path: Path) -> None:
    """Its large members then go to the pool; the facts are still those of a sequential scan."""
    from abigate.scan import _dominant

    assert _dominant({0: 10, 1: 3, 2: None, 3: 6}) == 0
    assert _dominant({0: 10, 1: 4, 2: 6}) is None  # not larger than the others together
    assert _dominant({0: 10, 1: None}) is None  # a single one for the pool: nothing to share
    small = sorted(artifacts, key=lambda p: os.path.getsize(p) if os.path.isfile(p) else 1 << 40)[:2]
    big = tmp_path / "big-1.0-py3-none-any.whl"
    big.write_bytes(Path(artifacts[3]).read_bytes())
    paths = [small[0], str(big), small[1]]
    assert sum(os.path.getsize(p) for p in small) < os.path.getsize(big)
    assert scan_paths(paths, jobs=2) == scan_paths(paths, jobs=1)


def test_without_a_pool_everything_is_read_here(artifacts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Where processes cannot be pooled (no /dev/shm or sem_open, as in AWS Lambda) the scan runs in one."""
    import concurrent.futures

    def no_pool(*args: object, **kwargs: object) -> None:
        raise NotImplementedError("sem_open")

    expected = scan_paths(artifacts, jobs=1)
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)
    assert scan_paths(artifacts, jobs=2) == expected


def test_a_large_file_is_hashed_by_a_worker(artifacts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The sha256 in the report is the file's, whether a worker or the parent computed it."""
    import hashlib

    from abigate import scan as scan_module

    wheel = artifacts[3]
    expected = hashlib.sha256(Path(wheel).read_bytes()).hexdigest()
    monkeypatch.setattr(scan_module, "DIGEST_IN_POOL_MIN", 0)
    calls: list[str] = []
    real_submit = scan_module._Scanner.submit

    def spy(self: object, fn: object, *args: object) -> object:
        calls.append(getattr(fn, "__name__", ""))
        return real_submit(self, fn, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(scan_module._Scanner, "submit", spy)
    assert scan_paths([wheel], jobs=2)[0].sha256 == expected
    assert calls == ["_digest_job"]
    assert scan_paths([wheel], jobs=1)[0].sha256 == expected
    identity = scan_module._identity(os.stat(wheel))
    assert scan_module._digest_job(wheel, identity) == expected
    assert scan_module._digest_job(wheel, (*identity[:3], identity[3] + 1)) is None  # not the file held open
