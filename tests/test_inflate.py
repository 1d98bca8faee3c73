"""ISA-L and zlib inflate zip members to the same bytes, and corrupt members to the same problems.

The backend is picked once per process (:mod:`abigate.inflate`); each test forces one through
``ABIGATE_INFLATE`` after forgetting the earlier choice. The ISA-L side is skipped where the ``isal``
package is not installed; the real-wheel test is skipped where the real-world cache is absent (unit tests
download nothing).
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from abigate import archive, inflate
from abigate.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(p for p in (ROOT / "testdata" / "elf").rglob("*") if p.is_file() and not p.is_symlink())
REALWORLD_WHEELS = Path.home() / ".cache" / "abigate-realworld" / "wheels"

try:
    import isal  # type: ignore[import-not-found,unused-ignore]  # noqa: F401

    HAVE_ISAL = True
except ImportError:
    HAVE_ISAL = False

BACKENDS = ["zlib", pytest.param("isal", marks=pytest.mark.skipif(not HAVE_ISAL, reason="isal not installed"))]


@pytest.fixture
def use_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A function that forces the inflate backend for the rest of the test."""

    def use(name: str) -> None:
        monkeypatch.setenv(inflate.ENV_VAR, name)
        monkeypatch.setattr(inflate, "_chosen", None)
        assert inflate.backend() == name

    yield use


def _deflate(data: bytes, level: int) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _read(comp: bytes, size: int, crc: int, reads: list[int]) -> tuple[bytes, list[tuple[str, str]]]:
    """Everything an :class:`~abigate.archive.InflateStream` delivers in reads of the given sizes, and its
    problems."""
    stream = archive.InflateStream(archive.MemorySource(comp), archive.METHOD_DEFLATED, size, crc, "m")
    parts = [stream.read(n) for n in reads]
    parts.append(stream.read())
    return b"".join(parts), list(stream.problems)


def test_fixtures_are_there() -> None:
    assert len(FIXTURES) >= 20


@pytest.mark.parametrize("backend", BACKENDS)
def test_fixtures_inflate_to_their_bytes(backend: str, use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(backend)
    for path in FIXTURES:
        data = path.read_bytes()
        for level in (1, 6, 9):
            comp = _deflate(data, level)
            got, problems = _read(comp, len(data), zlib.crc32(data), [64, 4096, 1 << 16])
            assert problems == [], path
            assert got == data == zlib.decompress(comp, -15), path
    assert inflate.crc32(b"abigate") == zlib.crc32(b"abigate")


def _realworld_members(limit_bytes: int = 48 << 20) -> list[tuple[Path, zipfile.ZipInfo]]:
    """A handful of deflated members of real wheels: the largest ELF member of a few wheels, spread over
    the cache in a fixed order, up to *limit_bytes* in all (so the test stays quick)."""
    wheels = sorted(REALWORLD_WHEELS.glob("*.whl"))
    chosen: list[tuple[Path, zipfile.ZipInfo]] = []
    total = 0
    for wheel in wheels[:: max(1, len(wheels) // 12)]:
        try:
            with zipfile.ZipFile(wheel) as zf:
                infos = [i for i in zf.infolist() if i.compress_type == zipfile.ZIP_DEFLATED
                         and ".so" in i.filename and i.file_size <= 16 << 20]
        except (OSError, zipfile.BadZipFile):
            continue
        if infos:
            biggest = max(infos, key=lambda i: i.file_size)
            if total + biggest.file_size > limit_bytes:
                continue
            chosen.append((wheel, biggest))
            total += biggest.file_size
    return chosen


@pytest.mark.skipif(not HAVE_ISAL, reason="isal not installed")
@pytest.mark.skipif(not REALWORLD_WHEELS.is_dir(), reason="no real-world wheel cache")
def test_real_wheel_members_inflate_as_zlib_does(use_backend) -> None:  # type: ignore[no-untyped-def]
    members = _realworld_members()
    if not members:
        pytest.skip("no deflated extension modules in the real-world cache")
    use_backend("isal")
    for wheel, info in members:
        with wheel.open("rb") as fh:
            container = archive.ZipContainer(archive.FileSource(fh, str(wheel)))
            entry = next(e for e in container.entries if e.name == info.filename)
            stream = container.open(entry, f"{wheel.name}!{info.filename}")
            got = stream.read()
            assert stream.problems == [], info.filename
        with zipfile.ZipFile(wheel) as zf:  # zipfile inflates with zlib and checks the CRC
            assert got == zf.read(info), f"{wheel.name}!{info.filename}"


def _corrupt_cases() -> list[tuple[bytes, int, int, list[int]]]:
    """Fixture members deflated, then damaged in one to three bits, with a read pattern each (fixed seed)."""
    rng = random.Random(20261126)
    cases = []
    for path in FIXTURES[:30]:
        data = path.read_bytes()
        comp = _deflate(data, 6)
        for _ in range(4):
            damaged = bytearray(comp)
            for _ in range(rng.randint(1, 3)):
                damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
            reads = [rng.choice([64, 4096, 1 << 16]) for _ in range(4)]
            cases.append((bytes(damaged), len(data), zlib.crc32(data), reads))
    return cases


@pytest.mark.skipif(not HAVE_ISAL, reason="isal not installed")
def test_corrupt_members_get_zlibs_problems(use_backend) -> None:  # type: ignore[no-untyped-def]
    """ISA-L rejects (or stops on) damaged data where zlib does, but with its own messages; abigate replays
    such a member with zlib, so the problem a report shows does not depend on the machine."""
    cases = _corrupt_cases()
    use_backend("zlib")
    expected = [_read(*case) for case in cases]
    use_backend("isal")
    got = [_read(*case) for case in cases]
    assert any(p for _, p in expected if p and p[0][0] == "corrupt-member")  # the cases do test something

    def kinds_and_texts(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
        # Where ISA-L accepted a damaged block header zlib refuses up front, it delivered some bytes first:
        # the problem is the same, its position may be later.
        return [(k, re.sub(r"after \d+ bytes", "after N bytes", m)) for k, m in problems]

    for case, (zdata, zproblems), (idata, iproblems) in zip(cases, expected, got):
        assert kinds_and_texts(iproblems) == kinds_and_texts(zproblems), case[3]
        if not zproblems:
            assert idata == zdata
    same = sum(e == g for e, g in zip(expected, got))
    assert same >= len(cases) - 3  # bytes and positions agree too, but for that rare leniency


@pytest.mark.skipif(not HAVE_ISAL, reason="isal not installed")
def test_isal_error_without_reader_is_a_zlib_error(use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend("isal")
    with pytest.raises(zlib.error):
        inflate.RawInflater().decompress(b"\xff" * 64, 1 << 16)


def test_unknown_backend_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(inflate.ENV_VAR, "zstd")
    monkeypatch.setattr(inflate, "_chosen", None)
    with pytest.raises(UsageError, match="ABIGATE_INFLATE=zstd"):
        inflate.backend()


@pytest.mark.parametrize("backend", BACKENDS)
def test_version_names_the_inflate_library(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(inflate.ENV_VAR, backend)
    proc = subprocess.run([sys.executable, "-m", "abigate", "--version"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(rf"abigate, version \S+ \(inflate: {backend} \d[\w.]*\)\n", proc.stdout), proc.stdout


def test_scan_verbose_names_the_inflate_library(tmp_path: Path, use_backend,  # type: ignore[no-untyped-def]
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from abigate.cli import main

    use_backend("zlib")
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("demo/__init__.py", "")
    assert main(["scan", str(wheel), "-v", "--jobs", "1"]) == 0
    captured = capsys.readouterr()
    assert f"zip members inflated with zlib {zlib.ZLIB_RUNTIME_VERSION}" in captured.err
    assert "inflated with" not in captured.out  # the report is the same on every machine
