"""`profile from-rootfs`: trees assembled in the test from real host libraries and from aarch64 builds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from abigate.cli import main
from abigate.errors import ProfileError
from abigate.native import read_native_file
from abigate.profiles import load_profile
from abigate.rootfs import profile_from_rootfs, resolve_in_root

HOST_LIBDIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64")


def _host_lib(name: str) -> Path | None:
    for d in HOST_LIBDIRS:
        p = Path(d) / name
        if p.exists():
            return p.resolve()
    return None


def test_resolve_in_root_never_escapes(tmp_path: Path) -> None:
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "usr/lib/os-release").write_text("ID=test\n")
    (tmp_path / "etc").mkdir()
    os.symlink("/usr/lib/os-release", tmp_path / "etc/os-release")            # absolute: inside the root
    os.symlink("../../../../../../etc/passwd", tmp_path / "etc/escape")         # climbs above the root
    assert resolve_in_root(str(tmp_path), "/etc/os-release") == str(tmp_path / "usr/lib/os-release")
    assert resolve_in_root(str(tmp_path), "/etc/escape") == str(tmp_path / "etc/passwd")
    os.symlink("loop", tmp_path / "loop")
    with pytest.raises(OSError):
        resolve_in_root(str(tmp_path), "/loop")


@pytest.fixture()
def host_tree(tmp_path: Path) -> Path:
    """A Debian-like tree made of copies of the host's real x86_64 glibc libraries."""
    libc = _host_lib("libc.so.6")
    if libc is None or sys.platform != "linux" or os.uname().machine != "x86_64":
        pytest.skip("needs an x86_64 glibc host")
    root = tmp_path / "root"
    multi = root / "lib/x86_64-linux-gnu"
    multi.mkdir(parents=True)
    for name in ("libc.so.6", "libm.so.6", "libpthread.so.0", "ld-linux-x86-64.so.2"):
        src = _host_lib(name)
        if src is not None:
            shutil.copy(src, multi / name)
    # Other names of a library: glibc < 2.34's real file, reached through the soname link, in a directory
    # the loader searches by file name; and a copy in a directory only ld.so.conf lists (found only through
    # ld.so.cache, which is keyed by soname: not a file name the loader would open).
    os.rename(multi / "libm.so.6", multi / "libm-2.31.so")
    os.symlink("libm-2.31.so", multi / "libm.so.6")
    (root / "opt/conf").mkdir(parents=True)
    shutil.copy(multi / "libm-2.31.so", root / "opt/conf/libm-conf.so")
    # A library reached through an *absolute* symlink that only exists inside the tree.
    libz = _host_lib("libz.so.1")
    if libz is not None:
        (root / "opt/zlib").mkdir(parents=True)
        shutil.copy(libz, root / "opt/zlib/libz.so.1.9.9")
        os.symlink("/opt/zlib/libz.so.1.9.9", multi / "libz.so.1")
    os.symlink("libz.so.1", multi / "libz.so")                                     # dev link: not a soname
    (multi / "libnotelf.so.1").write_text("not an ELF file\n")
    (root / "lib64").mkdir()
    os.symlink("/lib/x86_64-linux-gnu/libc.so.6", root / "lib64/libc.so.6")
    (root / "usr/lib").mkdir(parents=True)
    (root / "usr/lib/os-release").write_text('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Test Debian 12"\n')
    (root / "etc/ld.so.conf.d").mkdir(parents=True)
    os.symlink("/usr/lib/os-release", root / "etc/os-release")
    (root / "etc/ld.so.conf").write_text("include /etc/ld.so.conf.d/*.conf\n")
    (root / "etc/ld.so.conf.d/x86_64-linux-gnu.conf").write_text("# multiarch\n/lib/x86_64-linux-gnu\n")
    (root / "etc/ld.so.conf.d/zz-opt.conf").write_text("/opt/conf\n")
    (root / "usr/bin").mkdir()
    (root / "usr/bin/python3.11").write_bytes(b"\x7fELF fake")
    return root


def test_from_rootfs_reads_host_libraries(host_tree: Path) -> None:
    data = profile_from_rootfs(str(host_tree), profile_id="tree")
    assert data["arch"] == "x86_64" and data["os"] == {"id": "debian", "version": "12", "name": "Test Debian 12"}
    libs = data["libraries"]
    real = read_native_file(str(host_tree / "lib/x86_64-linux-gnu/libc.so.6"))
    assert real is not None and real.elf is not None
    assert set(libs["libc.so.6"]["versions"]) == {d.name for d in real.elf.version_defs if not d.is_base}
    assert libs["libc.so.6"]["path"] == "/lib/x86_64-linux-gnu/libc.so.6"
    assert "libnotelf.so.1" not in libs and "libz.so" not in libs
    if "libz.so.1" in libs:
        assert any(v.startswith("ZLIB_") for v in libs["libz.so.1"]["versions"])
    ldd = subprocess.run(["ldd", "--version"], capture_output=True, text=True, check=False).stdout
    assert data["libc"]["family"] == "glibc" and data["libc"]["version"] in ldd.splitlines()[0]
    assert data["library_paths"][0] == "/lib/x86_64-linux-gnu"
    assert data["python"][0]["version"] == "3.11" and data["python"][0]["executable"] == "/usr/bin/python3.11"


def test_from_rootfs_records_file_names_and_the_loader(host_tree: Path) -> None:
    libs = profile_from_rootfs(str(host_tree), profile_id="tree")["libraries"]
    # The loader is recorded exactly, with the nodes of the real file.
    loader = libs["ld-linux-x86-64.so.2"]
    assert loader["exact"] and loader["path"] == "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
    real = read_native_file(str(host_tree / "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"))
    assert real is not None and real.elf is not None
    assert set(loader["versions"]) == {d.name for d in real.elf.version_defs if not d.is_base}
    # libm's real file name is recorded; the ld.so.conf-only copy and the soname itself are not.
    assert libs["libm.so.6"]["files"] == ["libm-2.31.so"]
    assert "libm-2.31.so" not in libs and "libm-conf.so" not in libs
    if "libz.so.1" in libs:
        assert "libz.so" in libs["libz.so.1"]["files"]                       # the dev link, by file name
    assert "files" not in libs["libc.so.6"]


def test_from_rootfs_file_names_resolve_dt_needed(host_tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "tree.toml"
    assert main(["profile", "from-rootfs", str(host_tree), "--id", "tree", "-o", str(out)]) == 0
    p = load_profile(str(out))
    libm = p.library("libm-2.31.so")
    assert libm is not None and libm.soname == "libm.so.6" and libm.exact
    assert p.library("libm-conf.so") is None


def test_from_rootfs_command_output_validates(host_tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "tree.toml"
    assert main(["profile", "from-rootfs", str(host_tree), "--id", "tree", "-o", str(out)]) == 0
    p = load_profile(str(out))
    libc = p.library("libc.so.6")
    assert p.kind == "captured" and libc is not None and libc.exact


#: aarch64 libraries that define version nodes, built by scripts/build_testdata.py (see testdata/README.md).
ROOTFS_FIXTURES = Path(__file__).resolve().parent.parent / "testdata" / "elf" / "rootfs" / "aarch64"


def test_from_rootfs_cross_architecture(tmp_path: Path) -> None:
    """A Debian-style aarch64 tree read on this (other-architecture) machine, without running anything."""
    root = tmp_path / "arm"
    multi = root / "usr/lib/aarch64-linux-gnu"
    multi.mkdir(parents=True)
    os.symlink("usr/lib", root / "lib")                                            # merged /usr, relative link
    shutil.copy(ROOTFS_FIXTURES / "libc.so.6", multi / "libc.so.6")
    shutil.copy(ROOTFS_FIXTURES / "libfoo.so.1.2", multi / "libfoo.so.1.2")
    os.symlink("libfoo.so.1.2", multi / "libfoo.so.1")
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text('ID=debian\nVERSION_ID="10"\n')
    data = profile_from_rootfs(str(root))
    assert data["arch"] == "aarch64" and data["libc"] == {"family": "glibc", "version": "2.28"}
    assert data["libraries"]["libc.so.6"]["versions"] == ["GLIBC_2.17", "GLIBC_2.18", "GLIBC_2.28"]
    assert data["libraries"]["libfoo.so.1"]["versions"] == ["FOO_1.0", "FOO_1.2"]
    assert "libfoo.so.1.2" not in data["libraries"]
    assert data["libraries"]["libfoo.so.1"]["files"] == ["libfoo.so.1.2"]       # the real file, by name
    # This tree has no loader file: it is still recorded, derived from the tree's glibc and marked so.
    assert data["libraries"]["ld-linux-aarch64.so.1"] == {"derive": "glibc 2.28"}
    assert data["provenance"]["libraries.ld-linux-aarch64.so.1"]["confidence"] == "inferred"
    assert data["id"] == "rootfs-debian-10-aarch64"
    out = tmp_path / "arm.toml"
    assert main(["profile", "from-rootfs", str(root), "-o", str(out)]) == 0
    p = load_profile(str(out), python="3.11")
    assert p.python is not None and p.python.extension_suffixes[0] == ".cpython-311-aarch64-linux-gnu.so"
    loader = p.library("ld-linux-aarch64.so.1")
    assert loader is not None and not loader.exact and "GLIBC_2.17" in loader.versions
    foo = p.library("libfoo.so.1.2")
    assert foo is not None and foo.soname == "libfoo.so.1"


def test_from_rootfs_musl_tree(tmp_path: Path) -> None:
    """A musl tree: the loader file is recognised and the version comes from the apk database."""
    libc = _host_lib("libc.so.6")
    if libc is None:
        pytest.skip("needs a host ELF library to stand in for musl's loader")
    root = tmp_path / "alpine"
    (root / "lib/apk/db").mkdir(parents=True)
    shutil.copy(libc, root / "lib/ld-musl-x86_64.so.1")
    os.symlink("ld-musl-x86_64.so.1", root / "lib/libc.musl-x86_64.so.1")
    (root / "lib/apk/db/installed").write_text("C:Q1abc\nP:musl\nV:1.2.5-r9\n")
    data = profile_from_rootfs(str(root))
    assert data["libc"] == {"family": "musl", "version": "1.2.5"}
    assert {"libc.so", "ld-musl-x86_64.so.1", "libc.musl-x86_64.so.1"} <= set(data["libraries"])
    assert "ld-linux-x86-64.so.2" not in data["libraries"]          # a musl tree has no glibc loader


def test_from_rootfs_musl_reads_its_path_file_not_ld_so_conf(tmp_path: Path) -> None:
    """musl searches what /etc/ld-musl-<ARCH>.path lists (Debian's musl: /usr/lib/x86_64-linux-musl), never
    ld.so.conf; the real-world tier's musl tree came out with only /lib and /usr/lib before."""
    libc = _host_lib("libc.so.6")
    if libc is None:
        pytest.skip("needs a host ELF library to stand in for musl's loader")
    root = tmp_path / "musl"
    (root / "lib/apk/db").mkdir(parents=True)
    (root / "usr/lib/x86_64-linux-musl").mkdir(parents=True)
    (root / "opt/glibc-only").mkdir(parents=True)
    (root / "etc").mkdir()
    shutil.copy(libc, root / "lib/ld-musl-x86_64.so.1")
    (root / "lib/apk/db/installed").write_text("C:Q1abc\nP:musl\nV:1.2.3-r0\n")
    (root / "etc/ld-musl-x86_64.path").write_text("/usr/lib/x86_64-linux-musl\n/lib:/usr/lib\n")
    (root / "etc/ld.so.conf").write_text("/opt/glibc-only\n")
    data = profile_from_rootfs(str(root))
    assert data["library_paths"] == ["/usr/lib/x86_64-linux-musl", "/lib", "/usr/lib"]
    # A path file without /lib (Debian's musl package): the loader is still recorded, and the profile loads.
    (root / "etc/ld-musl-x86_64.path").write_text("/usr/lib/x86_64-linux-musl\n")
    data = profile_from_rootfs(str(root))
    assert data["library_paths"] == ["/usr/lib/x86_64-linux-musl"]
    assert "ld-musl-x86_64.so.1" in data["libraries"]
    (root / "etc/ld-musl-x86_64.path").unlink()
    assert profile_from_rootfs(str(root))["library_paths"] == ["/lib", "/usr/lib"]


@pytest.mark.parametrize("make", ["missing", "file", "empty"])
def test_unreadable_rootfs_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], make: str) -> None:
    target = tmp_path / "x"
    if make == "file":
        target.write_text("x")
    elif make == "empty":
        target.mkdir()
    with pytest.raises(ProfileError):
        profile_from_rootfs(str(target))
    assert main(["profile", "from-rootfs", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
