"""The tar family, standard input, sdists and conda packages (issue 8), end to end through the CLI.

Every archive is built here in memory (tarfile, gzip/bz2/lzma/zstd, zipfile, json) around ELF files from
``testdata/elf``; verdicts come from ``abigate check``/``scan`` as a user runs them.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import sys
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from abigate import tarball
from abigate.cli import main
from abigate.errors import UsageError
from abigate.scan import scan_path

TESTDATA = Path(__file__).resolve().parent.parent / "testdata" / "elf"
NEW = (TESTDATA / "glibc" / "v2_34.so").read_bytes()  # needs GLIBC_2.34 (pthread_create, dlopen…)
OLD = (TESTDATA / "glibc" / "v2_17.so").read_bytes()
CHAIN = TESTDATA / "bundle" / "chain_rpath"  # pkg/_ext.so → liba (RPATH $ORIGIN/../pkg.libs) → libb
LAMBDA = "aws-lambda-python3.11"  # glibc 2.26, x86_64


@dataclass(frozen=True)
class T:
    """One tar member: a file (*data*), a symlink (*link*), a hard link (*hard*) or another type."""

    name: str
    data: bytes = b""
    link: str | None = None
    hard: str | None = None
    type: bytes = tarfile.REGTYPE
    size: int | None = None  # a declared size other than len(data)


def make_tar(members: Iterable[T], compression: str = "") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for m in members:
            info = tarfile.TarInfo(m.name)
            if m.link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, m.link
                tf.addfile(info)
            elif m.hard is not None:
                info.type, info.linkname = tarfile.LNKTYPE, m.hard
                tf.addfile(info)
            elif m.type != tarfile.REGTYPE:
                info.type = m.type
                tf.addfile(info)
            else:
                info.size = len(m.data)
                tf.addfile(info, io.BytesIO(m.data))
    return compress(buf.getvalue(), compression)


def compress(data: bytes, compression: str) -> bytes:
    if compression == "gz":
        return gzip.compress(data, mtime=0)
    if compression == "bz2":
        return bz2.compress(data)
    if compression == "xz":
        return lzma.compress(data)
    if compression == "zst":
        try:
            from compression import zstd  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            from backports import zstd  # type: ignore[import-not-found,no-redef,unused-ignore]
        # With a content checksum, as the zstd command line writes by default.
        options = {zstd.CompressionParameter.checksum_flag: 1}
        return zstd.compress(data, options=options)  # type: ignore[no-any-return]
    return data


def layer(lib: bytes) -> list[T]:
    """A container-layer-like tree: a library under /opt-style lib/ with its dev link, and Python code."""
    return [
        T("./lib/libfoo.so.1", lib),
        T("./lib/libfoo.so", link="libfoo.so.1"),
        T("./python/app/__init__.py", b"import ctypes\n"),
    ]


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", *args, "--jobs", "1"])
    out, _err = capsys.readouterr()
    return code, out


def scan_text(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    main(["scan", *args, "--jobs", "1"])
    return capsys.readouterr().out


# -- the tar family -------------------------------------------------------------------------------------


@pytest.mark.parametrize("comp", ["", "gz", "bz2", "xz", "zst"])
def test_a_layer_needing_glibc_2_34_fails_lambda_311_in_every_tar_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], comp: str
) -> None:
    # Named .bin on purpose: the content, not the name, says tar.
    path = tmp_path / "layer.bin"
    path.write_bytes(make_tar(layer(NEW), comp))
    code, out = check(capsys, str(path), "-p", LAMBDA)
    assert code == 1, out
    assert "GLIBC_2.34" in out and "lib/libfoo.so.1" in out
    text = scan_text(capsys, str(path))
    assert f"read as {'tar.' + comp if comp else 'tar'}, 3 members" in text
    assert "link: lib/libfoo.so -> libfoo.so.1 (lib/libfoo.so.1)" in text


def test_the_same_layer_built_for_glibc_2_17_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "layer.tar.gz"
    path.write_bytes(make_tar(layer(OLD), "gz"))
    code, out = check(capsys, str(path), "-p", LAMBDA)
    assert code == 0, out


def _chain(link_liba: bool) -> list[T]:
    files = {p.relative_to(CHAIN).as_posix(): p.read_bytes() for p in CHAIN.rglob("*") if p.is_file()}
    liba = files.pop("pkg.libs/liba-5e6f7a8b.so.1")
    members = [T(name, data) for name, data in sorted(files.items())]
    members.append(T("pkg.libs/liba.so.1.0.0", liba))
    if link_liba:
        members.append(T("pkg.libs/liba-5e6f7a8b.so.1", link="liba.so.1.0.0"))
    return members


@pytest.mark.parametrize("comp", ["", "gz"])
def test_a_symlink_inside_the_tar_lets_the_resolver_find_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], comp: str
) -> None:
    linked, unlinked = tmp_path / "linked.tar", tmp_path / "unlinked.tar"
    linked.write_bytes(make_tar(_chain(True), comp))
    unlinked.write_bytes(make_tar(_chain(False), comp))
    code, out = check(capsys, str(unlinked), "-p", "debian-12", "--select", "ABG401")
    assert code == 1 and "liba-5e6f7a8b.so.1" in out, out  # the test can fail: without the link it is missing
    code, out = check(capsys, str(linked), "-p", "debian-12", "--select", "ABG401")
    assert code == 0, out


def test_a_hard_link_is_the_bytes_of_an_earlier_member(tmp_path: Path) -> None:
    path = tmp_path / "h.tar.xz"
    path.write_bytes(
        make_tar([T("lib/libfoo.so.1", NEW), T("lib/libfoo-copy.so.1", hard="./lib/libfoo.so.1")], "xz")
    )
    art = scan_path(path, jobs=1)
    assert sorted(nf.member for nf in art.native_files) == ["lib/libfoo-copy.so.1", "lib/libfoo.so.1"]
    assert all(nf.elf is not None and nf.elf.max_glibc == "GLIBC_2.34" for nf in art.native_files)
    assert art.problems == ()


def test_tars_nest_in_zips_and_zips_and_wheels_in_tars(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inner_tar = make_tar(layer(NEW), "zst")
    wheel = io.BytesIO()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("pkg/_x.so", NEW)
        zf.writestr("pkg/layer.tar.zst", inner_tar)
    outer = make_tar(
        [
            T("wheels/pkg-1.0-py3-none-any.whl", wheel.getvalue()),
            T("more/inner.tar", make_tar([T("deep/libbar.so", NEW)])),
        ],
        "gz",
    )
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("layers/outer.tgz", outer)
    art = scan_path(bundle, jobs=1)
    found = {(a.read_as, nf.path) for a in art.walk() for nf in a.native_files}
    base = f"{bundle}!layers/outer.tgz"
    assert found == {
        ("wheel", f"{base}!wheels/pkg-1.0-py3-none-any.whl!pkg/_x.so"),
        ("tar.zst", f"{base}!wheels/pkg-1.0-py3-none-any.whl!pkg/layer.tar.zst!lib/libfoo.so.1"),
        ("tar", f"{base}!more/inner.tar!deep/libbar.so"),
    }
    code, out = check(capsys, str(bundle), "-p", LAMBDA)
    assert code == 1 and out.count("GLIBC_2.34") >= 3


def test_nesting_deeper_than_the_limit_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    data = make_tar([T("lib/libz.so", NEW)], "gz")
    for level in range(6):
        data = make_tar([T(f"level{level}.tar.gz", data)], "gz")
    path = tmp_path / "deep.tgz"
    path.write_bytes(data)
    art = scan_path(path, jobs=1)
    kinds = {p.kind for a in art.walk() for p in a.problems}
    assert "nesting-too-deep" in kinds


# -- standard input and non-seekable paths -------------------------------------------------------------


class _Stdin(io.TextIOWrapper):
    pass


def _feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(io.BufferedReader(io.BytesIO(data))))


@pytest.mark.parametrize("comp", ["", "gz"])
def test_stdin_gives_the_same_verdict_as_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, comp: str
) -> None:
    data = make_tar(layer(NEW), comp)
    path = tmp_path / "layer.tar"
    path.write_bytes(data)
    file_code, file_out = check(capsys, str(path), "-p", LAMBDA, "--format", "json")
    _feed_stdin(monkeypatch, data)
    stdin_code, stdin_out = check(capsys, "-", "-p", LAMBDA, "--format", "json")
    assert (file_code, stdin_code) == (1, 1)
    file_doc, stdin_doc = json.loads(file_out), json.loads(stdin_out)
    assert [f["code"] for f in _findings(file_doc)] == [f["code"] for f in _findings(stdin_doc)]
    assert "<stdin>" in stdin_out and str(path) not in stdin_out


def _findings(doc: dict[str, object]) -> list[dict[str, object]]:
    return [f for a in doc["artifacts"] for f in a["findings"]]  # type: ignore[attr-defined]


def test_a_zip_on_stdin_is_read_as_a_zip(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("lib/libfoo.so.1", NEW)
    _feed_stdin(monkeypatch, buf.getvalue())
    code, out = check(capsys, "-", "-p", LAMBDA)
    assert code == 1 and "GLIBC_2.34" in out and "corrupt" not in out


def test_a_fifo_is_refused_not_read(tmp_path: Path) -> None:
    # Issue 11: a FIFO without a writer blocked `open` forever; the stream a user means is given as "-".
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="a FIFO, not a regular file or a folder; to check a stream, give -"):
        scan_path(fifo, jobs=1)


def test_stdin_beyond_the_memory_limit_spills_to_a_temporary_file_that_is_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from abigate import scan as scan_module

    spill = tmp_path / "tmp"
    spill.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill))
    monkeypatch.setattr(scan_module, "STDIN_IN_MEMORY", 1024)
    monkeypatch.setattr(tarball, "SPOOL_MEMORY", 0)
    _feed_stdin(monkeypatch, make_tar([*layer(NEW), T("pad.bin", os.urandom(200_000))], "gz"))
    code, out = check(capsys, "-", "-p", LAMBDA)
    assert code == 1 and "GLIBC_2.34" in out
    assert list(spill.iterdir()) == []


# -- sdists and conda packages ---------------------------------------------------------------------------


def test_an_sdist_is_read_with_a_note_and_its_binaries_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pkg-1.0.tar.gz"
    path.write_bytes(
        make_tar(
            [
                T("pkg-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"),
                T("pkg-1.0/setup.py", b"from setuptools import setup\nsetup()\n"),
                T("pkg-1.0/vendor/libfoo.so", NEW),
            ],
            "gz",
        )
    )
    text = scan_text(capsys, str(path))
    assert "read as sdist (tar.gz)" in text and f"note: {path}: pkg-1.0 is a source distribution" in text
    code, out = check(capsys, str(path), "-p", LAMBDA)
    assert code == 1 and "vendor/libfoo.so" in out
    assert f"note: {path}: pkg-1.0 is a source distribution: pip builds it on the target" in out


def _index(subdir: str, depends: list[str]) -> bytes:
    return json.dumps(
        {
            "name": "libfoo",
            "version": "1.0",
            "build": "h0_0",
            "build_number": 0,
            "subdir": subdir,
            "depends": depends,
        }
    ).encode()


def _dot_conda(path: Path, lib: bytes, subdir: str, depends: list[str]) -> Path:
    info = make_tar([T("info/index.json", _index(subdir, depends))], "zst")
    pkg = make_tar([T("lib/libfoo.so.1", lib), T("lib/libfoo.so", link="libfoo.so.1")], "zst")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
        zf.writestr("info-libfoo-1.0-h0_0.tar.zst", info)
        zf.writestr("pkg-libfoo-1.0-h0_0.tar.zst", pkg)
    return path


def test_a_dot_conda_package_is_judged_like_a_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _dot_conda(tmp_path / "good.conda", OLD, "linux-64", ["__glibc >=2.17,<3.0.a0"])
    code, out = check(capsys, str(good), "-p", LAMBDA)
    assert code == 0, out
    text = scan_text(capsys, str(good))
    assert "read as conda package (.conda)" in text
    assert "conda: libfoo 1.0 build h0_0; subdir linux-64; depends: __glibc >=2.17,<3.0.a0" in text
    bad = _dot_conda(tmp_path / "bad.conda", NEW, "linux-64", ["__glibc >=2.17,<3.0.a0"])
    code, out = check(capsys, str(bad), "-p", LAMBDA)
    assert code == 1 and "GLIBC_2.34" in out and "lib/libfoo.so.1" in out and "ABG307" not in out
    parts = {
        a.path.replace(str(bad), "bad.conda"): (a.kind, a.read_as) for a in scan_path(bad, jobs=1).walk()
    }
    assert parts == {
        "bad.conda": ("conda", "conda package (.conda)"),
        "bad.conda!info-libfoo-1.0-h0_0.tar.zst": ("tar", "tar.zst: the package's info/ folder"),
        "bad.conda!pkg-libfoo-1.0-h0_0.tar.zst": ("tar", "tar.zst: the files the package installs"),
    }


@pytest.mark.parametrize(
    ("subdir", "depends", "expected"),
    [
        ("linux-aarch64", [], "built for linux-aarch64 (aarch64); the target is x86_64"),
        (
            "linux-64",
            ["__glibc >=2.28,<3.0.a0"],
            "depends on __glibc >=2.28,<3.0.a0; the target has glibc 2.26",
        ),
        ("osx-arm64", [], "built for osx-arm64 (macOS)"),
    ],
)
def test_abg307_a_legacy_conda_package_for_another_platform_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], subdir: str, depends: list[str], expected: str
) -> None:
    path = tmp_path / "libfoo-1.0-h0_0.tar.bz2"
    path.write_bytes(
        make_tar([T("info/index.json", _index(subdir, depends)), T("lib/libfoo.so.1", OLD)], "bz2")
    )
    code, out = check(capsys, str(path), "-p", LAMBDA, "--select", "ABG307")
    assert code == 1 and "ABG307" in out and expected in out, out
    text = scan_text(capsys, str(path))
    assert "read as conda package (tar.bz2)" in text


def test_abg307_silent_for_a_matching_legacy_conda_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "libfoo-1.0-h0_0.tar.bz2"
    path.write_bytes(
        make_tar(
            [T("info/index.json", _index("linux-64", ["__glibc >=2.17"])), T("lib/libfoo.so.1", OLD)], "bz2"
        )
    )
    code, out = check(capsys, str(path), "-p", LAMBDA)
    assert code == 0, out


# -- bad input -------------------------------------------------------------------------------------------


def _kinds(path: Path, **limits: int) -> dict[str, set[str]]:
    art = scan_path(path, jobs=1, **limits)  # type: ignore[arg-type]
    out: dict[str, set[str]] = {}
    for a in art.walk():
        for p in a.problems:
            out.setdefault(p.path.rsplit("!", 1)[-1] if "!" in p.path else "", set()).add(p.kind)
    return out


def test_unsafe_names_devices_and_outside_hard_links_are_findings_and_the_rest_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil.tar.gz"
    path.write_bytes(
        make_tar(
            [
                T("../escape.so", OLD),
                T("/etc/abs.so", OLD),
                T("dev/null", type=tarfile.CHRTYPE),
                T("dev/fifo", type=tarfile.FIFOTYPE),
                T("lib/out.so", hard="../../etc/shadow"),
                T("lib/ghost.so", hard="lib/not-there.so"),
                T("lib/up.so", link="../../../../etc/passwd"),
                T("lib/libfoo.so.1", NEW),
            ],
            "gz",
        )
    )
    kinds = _kinds(path)
    assert kinds["../escape.so"] == {"path-traversal"}
    assert kinds["/etc/abs.so"] == {"path-traversal"}
    assert kinds["dev/null"] == {"special-file"} and kinds["dev/fifo"] == {"special-file"}
    assert kinds["lib/out.so"] == {"path-traversal"}
    assert kinds["lib/ghost.so"] == {"link-target-missing"}
    assert kinds["lib/up.so"] == {"symlink-escape"}
    code, out = check(capsys, str(path), "-p", LAMBDA)
    assert code == 1
    assert "ABG001" in out and "ABG003" in out and "GLIBC_2.34" in out  # the good member is still judged
    assert not (tmp_path / "escape.so").exists() and not Path("/etc/abs.so").exists()


def test_a_truncated_gzip_stream_keeps_what_was_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = make_tar([T("lib/libfoo.so.1", NEW), T("data/blob.bin", os.urandom(300_000))], "gz")
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(whole[: len(whole) - 50_000])
    art = scan_path(path, jobs=1)
    assert [nf.member for nf in art.native_files] == ["lib/libfoo.so.1"]
    problems = {(p.path, p.kind) for p in art.problems}
    assert (str(path), "truncated") in problems or (str(path), "corrupt-archive") in problems, problems
    assert any(p.path.endswith("!data/blob.bin") for p in art.problems)
    code, out = check(capsys, str(path), "-p", LAMBDA)
    assert code == 1 and "ABG001" in out and "GLIBC_2.34" in out


def test_a_tar_bomb_is_stopped_by_declared_size_and_by_actual_expansion(tmp_path: Path) -> None:
    path = tmp_path / "bomb.tar.gz"
    path.write_bytes(make_tar([T("lib/libfoo.so.1", NEW), T("zeros.bin", bytes(3_000_000))], "gz"))
    declared = _kinds(path, max_member_size=1_000_000)
    assert declared["zeros.bin"] == {"tar-bomb"}
    expanded = _kinds(path, max_total_size=10_000_000_000)
    assert "zeros.bin" not in expanded
    # The stream budget: stop decompressing at Limits.max_total_size plain bytes, whatever the headers say.
    art = scan_path(path, jobs=1, max_total_size=2_000_000)
    assert any(p.kind == "tar-bomb" for p in art.problems)
    assert [nf.member for nf in art.native_files] == ["lib/libfoo.so.1"]


def test_too_many_members_is_reported_and_reading_stops(tmp_path: Path) -> None:
    path = tmp_path / "many.tar"
    path.write_bytes(make_tar([T(f"f{i}.txt", b"x") for i in range(50)]))
    art = scan_path(path, jobs=1, max_members=10)
    assert art.member_count == 10
    assert [p.kind for p in art.problems] == ["too-many-members"]


def test_garbage_after_a_gzip_magic_is_reported_and_a_lone_gzip_file_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    noise = tmp_path / "noise.tar.gz"
    noise.write_bytes(b"\x1f\x8b" + os.urandom(5000))
    code, out = check(capsys, str(noise), "-p", LAMBDA)
    assert code == 1 and "ABG001" in out and "Traceback" not in out  # never pass what was not read
    art = scan_path(noise, jobs=1)
    assert art.kind == "file" and art.read_as == "gzip-compressed data that cannot be decoded"
    assert [p.kind for p in art.problems] == ["corrupt-archive"]
    lone = tmp_path / "notes.txt.gz"
    lone.write_bytes(gzip.compress(b"just text\n" * 100))
    art = scan_path(lone, jobs=1)
    assert art.read_as.startswith("gzip-compressed file (not a tar") and art.problems == ()


def test_plain_tar_members_are_read_in_place_by_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from abigate import scan as scan_module

    monkeypatch.setattr(scan_module, "PARALLEL_MIN_TOTAL", 0)
    big = NEW + bytes(5 << 20)  # over PARALLEL_MIN_SIZE: parsed in a worker that reopens the tar by offset
    path = tmp_path / "big.tar"
    path.write_bytes(make_tar([T("a/liba.so", big), T("b/libb.so", big), T("c/libc.so", big)]))
    serial = scan_path(path, jobs=1)
    parallel = scan_path(path, jobs=2)
    assert serial == parallel
    assert [nf.elf.max_glibc for nf in parallel.native_files if nf.elf] == ["GLIBC_2.34"] * 3


def test_members_spooled_from_a_compressed_tar_are_parsed_by_workers_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from abigate.archive import DataRef, FileSource, open_ref

    from abigate import scan as scan_module

    monkeypatch.setattr(tarball, "SPOOL_MEMORY", 0)  # every kept member goes to the anonymous file
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_TOTAL", 0)  # 15 MB of large members: workers start
    submitted: list[str] = []
    real_submit = scan_module._Scanner._submit

    def spy(self: scan_module._Scanner, ref: DataRef) -> object:
        submitted.append(ref.disk_path or "")
        return real_submit(self, ref)

    monkeypatch.setattr(scan_module._Scanner, "_submit", spy)
    big = NEW + bytes(5 << 20)
    path = tmp_path / "big.tar.gz"
    path.write_bytes(make_tar([T("a/liba.so", big), T("b/libb.so", big), T("c/libc.so", big)], "gz"))
    with open(path, "rb") as fh:
        container = tarball.TarContainer(FileSource(fh, str(path)), compression="gzip")
        try:
            entry = next(e for e in container.entries if e.name == "b/libb.so")
            ref = container.data_ref(entry, "b/libb.so")
            if ref is None:
                pytest.skip("no /proc/<pid>/fd here: spooled members are parsed in the parent")
            assert ref.disk_path is not None and ref.disk_path.startswith("/proc/")
            other, stream = open_ref(ref)  # what a worker does
            with other:
                assert stream.read(len(big)) == big
        finally:
            container.close()
    serial = scan_path(path, jobs=1)
    parallel = scan_path(path, jobs=2)
    assert serial == parallel and serial.problems == ()
    assert [nf.elf.max_glibc for nf in parallel.native_files if nf.elf] == ["GLIBC_2.34"] * 3
    assert len(submitted) == 3 and all(p.startswith("/proc/") for p in submitted)


@pytest.mark.parametrize("comp", ["gz", "bz2", "xz", "zst"])
def test_corrupt_compressed_data_is_a_problem_not_a_traceback(tmp_path: Path, comp: str) -> None:
    # zlib.error and ZstdError are no OSError: they once escaped the decompressing stream.
    data = bytearray(make_tar([T("lib/libfoo.so.1", NEW), T("data/blob.bin", os.urandom(200_000))], comp))
    data[300:364] = bytes(range(64))  # inside the compressed header and library: decoders notice
    path = tmp_path / f"corrupt.tar.{comp}"
    path.write_bytes(bytes(data))
    art = scan_path(path, jobs=1)
    assert {p.kind for p in art.problems} <= {"corrupt-archive", "truncated"} and art.problems
    assert "corrupt or truncated" in art.problems[0].message


@pytest.mark.skipif(not Path("/dev/stdin").exists(), reason="no /dev/stdin here")
@pytest.mark.parametrize("argument", ["-", "/dev/stdin"])
def test_a_real_pipe_into_the_command_line(argument: str) -> None:
    # Before issue 8, `cat x | abigate check /dev/stdin` called the archive corrupt, and "-" did not exist.
    import subprocess

    pipe_run = subprocess.run(
        [sys.executable, "-m", "abigate", "check", argument, "-p", LAMBDA],
        input=make_tar(layer(NEW), "gz"), capture_output=True, check=False,
    )
    assert pipe_run.returncode == 1, pipe_run.stderr
    assert b"GLIBC_2.34" in pipe_run.stdout and b"corrupt" not in pipe_run.stdout
    name = b"<stdin>" if argument == "-" else b"/dev/stdin"
    assert pipe_run.stdout.startswith(name + b": FAIL on aws-lambda-python3.11")


def test_scan_json_of_every_new_format_follows_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from importlib import resources

    import jsonschema  # type: ignore[import-untyped,unused-ignore]

    schema = json.loads(resources.files("abigate").joinpath("resources/scan.schema.json").read_text())
    legacy = tmp_path / "libfoo-1.0-h0_0.tar.bz2"
    legacy.write_bytes(make_tar([T("info/index.json", _index("linux-64", [])), T("lib/libfoo.so.1", OLD)], "bz2"))
    sdist = tmp_path / "pkg-1.0.tar.gz"
    sdist.write_bytes(make_tar([T("pkg-1.0/PKG-INFO", b"Name: pkg\n"), T("pkg-1.0/../x", b"")], "gz"))
    dot_conda = _dot_conda(tmp_path / "x.conda", NEW, "linux-64", [])
    main(["scan", str(legacy), str(sdist), str(dot_conda), "--format", "json", "--jobs", "1"])
    doc = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(schema).validate(doc)
    arts = doc["artifacts"]
    assert [a["read_as"] for a in arts] == ["conda package (tar.bz2)", "sdist (tar.gz)", "conda package (.conda)"]
    assert arts[0]["conda"]["subdir"] == "linux-64" and arts[1]["notes"] and arts[1]["problems"]


def test_a_native_member_expanding_like_a_bomb_is_not_copied_to_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tarball, "_DENSE_CHECK_FROM", 1 << 20)  # judged after 1 MiB instead of 256 MiB
    spill = tmp_path / "tmp"
    spill.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill))
    bomb = NEW + bytes(40 << 20)  # an ELF header, then 40 MiB of zeros: zstd stores it in a few kB
    path = tmp_path / "bomb.tar.zst"
    path.write_bytes(make_tar([T("lib/libbomb.so", bomb), T("lib/libfoo.so.1", NEW)], "zst"))
    assert path.stat().st_size < 100_000
    art = scan_path(path, jobs=1)
    assert {(p.path.rsplit("!", 1)[-1], p.kind) for p in art.problems} == {("lib/libbomb.so", "tar-bomb")}
    assert [nf.member for nf in art.native_files] == ["lib/libfoo.so.1"]  # the rest is still judged
    assert list(spill.iterdir()) == []
    # A real library compresses a few times over, far from the limit: kept and judged.
    real = tmp_path / "real.tar.zst"
    real.write_bytes(make_tar([T("lib/libreal.so", NEW + os.urandom(3 << 20))], "zst"))
    assert [nf.member for nf in scan_path(real, jobs=1).native_files] == ["lib/libreal.so"]


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME])
@pytest.mark.parametrize("comp", ["", "gz"])
def test_an_extended_header_declaring_gigabytes_is_refused_before_it_is_read(
    tmp_path: Path, kind: bytes, comp: str
) -> None:
    good = make_tar([T("lib/libfoo.so.1", NEW)])[: 512 + -(-len(NEW) // 512) * 512]  # header and data only
    header = tarfile.TarInfo("././@LongLink")
    header.type, header.size = kind, 3 << 30  # tarfile would read 3 GiB into memory
    hostile = good + header.tobuf(format=tarfile.USTAR_FORMAT) + b"x" * 8192
    path = tmp_path / "hostile.tar"
    path.write_bytes(compress(hostile, comp))
    art = scan_path(path, jobs=1)
    assert [nf.member for nf in art.native_files] == ["lib/libfoo.so.1"]
    (problem,) = art.problems
    assert problem.kind == "corrupt-archive" and "declares 3221225472 bytes" in problem.message
