"""Bad input is exit 2 with one line naming the file, never a hang, a MemoryError or an internal error (issue 11).

Each case runs ``python -m abigate`` in a subprocess with a timeout, as a user or a CI job would: what
matters is the exit status and the first line on stderr, and that the run ends at all (a FIFO with no
writer used to block ``open`` forever, ``-p /dev/zero`` read until memory ran out).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")

#: a run that should take a second; generous for a loaded CI machine, short enough to catch a hang.
TIMEOUT = 60


def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """``python -m abigate ARGS`` → (status, stdout, stderr); a hang fails the test instead of blocking it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        proc = subprocess.run([sys.executable, "-m", "abigate", *args], capture_output=True, text=True,
                              timeout=TIMEOUT, cwd=cwd, env=env, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"abigate {' '.join(args)} did not end within {TIMEOUT} s")
    return proc.returncode, proc.stdout, proc.stderr


def assert_bad_input(status: int, err: str, *words: str) -> None:
    """Exit 2, an ``abigate: error:`` first line holding *words*, no traceback, no "internal error"."""
    assert status == 2, err
    first = err.splitlines()[0] if err else ""
    assert first.startswith("abigate: error: "), err
    for word in words:
        assert word in first, err
    assert "Traceback" not in err and "internal error" not in err


PROFILE = """\
schema = 1
id = "tiny"
kind = "os"
arch = "x86_64"
[libc]
family = "glibc"
version = "2.36"
[libraries."ld-linux-x86-64.so.2"]
derive = "glibc"
"""


# -- only regular files ------------------------------------------------------------------------------------


@needs_fifo
@pytest.mark.parametrize("command", ["check", "scan"])
def test_a_fifo_as_the_artifact_is_refused_without_blocking(tmp_path: Path, command: str) -> None:
    os.mkfifo(tmp_path / "pipe")
    extra = ["-p", "debian-12"] if command == "check" else []
    status, _, err = run(command, str(tmp_path / "pipe"), *extra, "--no-config" if command == "check" else "-q")
    assert_bad_input(status, err, "pipe", "FIFO")


@needs_dev_zero
def test_a_device_as_the_artifact_is_refused() -> None:
    status, _, err = run("check", "/dev/zero", "-p", "debian-12", "--no-config")
    assert_bad_input(status, err, "/dev/zero", "character device")


def test_a_proc_file_as_the_artifact_is_refused() -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("no /proc here")
    status, _, err = run("scan", "/proc/self/status")
    assert_bad_input(status, err, "/proc/self/status", "/proc")


@needs_fifo
def test_a_fifo_as_the_image_of_profile_image_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    status, _, err = run("check", str(tmp_path / "pipe"), "-p", "image", "--no-config")
    assert_bad_input(status, err, "pipe", "FIFO")
    status, _, err = run("profile", "from-image", str(tmp_path / "pipe"))
    assert_bad_input(status, err, "pipe", "FIFO")


@needs_fifo
def test_a_fifo_profile_and_extends_target_are_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.toml")
    status, _, err = run("profile", "show", str(tmp_path / "pipe.toml"))
    assert_bad_input(status, err, "pipe.toml", "FIFO")
    (tmp_path / "child.toml").write_text('id = "child"\nextends = "pipe.toml"\n')
    status, _, err = run("check", sys.executable, "-p", str(tmp_path / "child.toml"), "--no-config")
    assert_bad_input(status, err, "pipe.toml", "FIFO")


@needs_dev_zero
def test_dev_zero_as_a_profile_an_extends_target_or_a_config_is_refused(tmp_path: Path) -> None:
    status, _, err = run("check", sys.executable, "-p", "/dev/zero", "--no-config")
    assert_bad_input(status, err, "/dev/zero", "character device")
    (tmp_path / "child.toml").write_text('id = "child"\nextends = "/dev/zero"\n')
    status, _, err = run("profile", "validate", str(tmp_path / "child.toml"))
    assert status == 2 and "/dev/zero" in err and "character device" in err, err
    (tmp_path / "pyproject.toml").write_text('[tool.abigate]\nprofiles = ["/dev/zero"]\n')
    status, _, err = run("check", sys.executable, cwd=tmp_path)
    assert_bad_input(status, err, "/dev/zero", "character device")
    status, _, err = run("check", sys.executable, "-p", "debian-12", "--config", "/dev/zero")
    assert_bad_input(status, err, "/dev/zero", "character device")


def test_a_profile_larger_than_its_budget_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from abigate.inputfile import MAX_PROFILE_BYTES

    big = tmp_path / "big.toml"
    with open(big, "wb") as fh:  # sparse: the size is refused from fstat, nothing is read
        fh.truncate(MAX_PROFILE_BYTES + 1)
    status, _, err = run("profile", "show", str(big))
    assert_bad_input(status, err, "big.toml", f"more than the {MAX_PROFILE_BYTES}")


@needs_fifo
@pytest.mark.parametrize("which", ["etc/os-release", "etc/ld.so.conf", "etc/ld.so.conf.d/x.conf"])
def test_a_fifo_in_a_rootfs_is_named_not_read(tmp_path: Path, which: str) -> None:
    root = tmp_path / "root"
    (root / "etc/ld.so.conf.d").mkdir(parents=True)
    (root / "etc/ld.so.conf").write_text("include /etc/ld.so.conf.d/*.conf\n")
    target = root / which
    if target.exists():
        target.unlink()
    os.mkfifo(target)
    status, _, err = run("profile", "from-rootfs", str(root))
    assert_bad_input(status, err, "/" + which, "not a regular file")


# -- version numbers ---------------------------------------------------------------------------------------


def test_an_absurd_python_in_a_profile_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(PROFILE + '\n[[python]]\nversion = "3.100000"\n')
    status, _, err = run("check", sys.executable, "-p", str(tmp_path / "p.toml"), "--no-config")
    assert status == 2 and "python[0].version" in err, err


@pytest.mark.parametrize("version", ["3.100000", "3." + "1" * 5000])
def test_an_absurd_python_option_or_config_value_is_one_bounded_line(tmp_path: Path, version: str) -> None:
    status, _, err = run("check", sys.executable, "-p", "debian-12", "--python", version, "--no-config")
    assert_bad_input(status, err, "--python 3.1")
    assert len(err) < 300
    (tmp_path / "pyproject.toml").write_text(f'[tool.abigate]\nprofiles = ["debian-12"]\npython = "{version}"\n')
    status, _, err = run("check", sys.executable, cwd=tmp_path)
    assert_bad_input(status, err, "pyproject.toml")
    assert len(err) < 400


@pytest.mark.parametrize("libc", ['"2.100000"', '"2.' + "1" * 5000 + '"'])
def test_an_absurd_libc_version_in_a_profile_is_exit_2(tmp_path: Path, libc: str) -> None:
    (tmp_path / "p.toml").write_text(PROFILE.replace('"2.36"', libc))
    status, _, err = run("check", sys.executable, "-p", str(tmp_path / "p.toml"), "--no-config")
    assert status == 2 and "libc.version" in err and len(err) < 600, err


# -- exit 2, not 3 -----------------------------------------------------------------------------------------


def test_tool_that_is_not_a_table_above_the_working_folder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("tool = 5\n")
    (tmp_path / "sub").mkdir()
    status, _, err = run("check", sys.executable, "-p", "debian-12", cwd=tmp_path / "sub")
    assert_bad_input(status, err, "pyproject.toml", "'tool' must be a table")


def test_a_pyproject_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "\xff"\n')
    status, _, err = run("check", sys.executable, "-p", "debian-12", cwd=tmp_path)
    assert_bad_input(status, err, "pyproject.toml", "not UTF-8")


@pytest.mark.parametrize("where", ["profile", "config"])
@pytest.mark.parametrize("body", ["x = " + "[" * 5000 + "]" * 5000,
                                  "x = 1" + "0" * 5000,
                                  "".join(f"[t{'.t' * 4999}]")])
def test_toml_too_deep_or_an_integer_too_long(tmp_path: Path, where: str, body: str) -> None:
    if where == "profile":
        (tmp_path / "p.toml").write_text(body + "\n")
        status, _, err = run("profile", "validate", str(tmp_path / "p.toml"))
        name = "p.toml"
    else:
        (tmp_path / "pyproject.toml").write_text("[tool.abigate]\n" + body + "\n")
        status, _, err = run("check", sys.executable, "-p", "debian-12", cwd=tmp_path)
        name = "pyproject.toml"
    assert_bad_input(status, err, name, "invalid TOML")
    assert len(err) < 400


def test_a_long_extends_chain_is_bounded(tmp_path: Path) -> None:
    from abigate.inputfile import MAX_EXTENDS_DEPTH

    for i in range(1500):
        parent = f'"c{i + 1}.toml"' if i < 1499 else '"debian-12"'
        (tmp_path / f"c{i}.toml").write_text(f'id = "c{i}"\nextends = {parent}\n')
    status, _, err = run("check", sys.executable, "-p", str(tmp_path / "c0.toml"), "--no-config")
    assert_bad_input(status, err, f"deeper than {MAX_EXTENDS_DEPTH}")


def test_an_extends_diamond_reads_each_file_once(tmp_path: Path) -> None:
    # Each level extends both files of the next: 2**30 paths through 60 files, which used to be walked.
    levels = 30
    for i in range(levels):
        for side in "ab":
            parent = f'["l{i + 1}a.toml", "l{i + 1}b.toml"]' if i < levels - 1 else '"debian-12"'
            (tmp_path / f"l{i}{side}.toml").write_text(f'id = "l{i}{side}"\nextends = {parent}\n')
    status, out, err = run("profile", "show", str(tmp_path / "l0a.toml"))
    assert status == 0, err
    assert 'id = "l0a"' in out


def test_many_unknown_config_keys_are_counted_not_listed(tmp_path: Path) -> None:
    keys = "".join(f"k{i} = 1\n" for i in range(30_000))
    (tmp_path / "pyproject.toml").write_text('[tool.abigate]\nprofiles = ["debian-12"]\n' + keys)
    status, _, err = run("check", sys.executable, cwd=tmp_path)
    assert_bad_input(status, err, "pyproject.toml")
    assert "'k0'" in err and "and 29995 more" in err and len(err.splitlines()) <= 3


def test_too_many_waivers_is_exit_2(tmp_path: Path) -> None:
    from abigate.inputfile import MAX_WAIVERS

    waiver = "[[tool.abigate.waivers]]\ncode = 'ABG201'\nreason = 'r'\npath = 'lib/x{}*.so'\n"
    body = "".join(waiver.format(i) for i in range(20_000))
    (tmp_path / "pyproject.toml").write_text('[tool.abigate]\nprofiles = ["debian-12"]\n' + body)
    status, _, err = run("check", sys.executable, cwd=tmp_path)
    assert_bad_input(status, err, "pyproject.toml")
    assert f"more than the {MAX_WAIVERS}" in err and len(err.splitlines()) <= 3


def test_many_profile_problems_are_listed_within_a_bound(tmp_path: Path) -> None:
    from abigate.inputfile import MAX_LISTED_PROBLEMS

    (tmp_path / "p.toml").write_text(PROFILE + "".join(f"k{i} = 1\n" for i in range(5000)))
    status, _, err = run("profile", "validate", str(tmp_path / "p.toml"))
    assert status == 2 and "5000 problems" in err, err
    assert len(err.splitlines()) == MAX_LISTED_PROBLEMS + 2 and "and 4980 more" in err


def _host_libc() -> Path | None:
    for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"):
        if (Path(d) / "libc.so.6").exists():
            return (Path(d) / "libc.so.6").resolve()
    return None


def test_from_rootfs_on_symlink_loops_ends(tmp_path: Path) -> None:
    libc = _host_libc()
    if libc is None or os.uname().machine != "x86_64":
        pytest.skip("needs an x86_64 glibc host")
    root = tmp_path / "root"
    (root / "usr/lib/x86_64-linux-gnu").mkdir(parents=True)
    shutil.copy(libc, root / "usr/lib/x86_64-linux-gnu/libc.so.6")
    (root / "etc").mkdir()
    for link, target in (("lib", "/lib"), ("lib64", "/lib64"), ("bin", "/bin"), ("usr/bin", "/usr/bin"),
                         ("usr/local", "/usr/local"), ("etc/os-release", "/etc/os-release")):
        os.symlink(target, root / link)
    (root / "etc/ld.so.conf").write_text("/lib/x\ninclude /lib/*.conf\n")
    status, out, err = run("profile", "from-rootfs", str(root))
    assert status in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err
    if status == 0:
        assert 'family = "glibc"' in out


def test_from_rootfs_with_an_include_whose_path_keeps_growing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc/ld.so.conf.d").mkdir(parents=True)
    (root / "etc/ld.so.conf").write_text("include /etc/ld.so.conf.d/*.conf\n")
    # Names itself through "..": a new path each time (…/../ld.so.conf.d/../ld.so.conf.d/a.conf), one file.
    (root / "etc/ld.so.conf.d/a.conf").write_text("include ../ld.so.conf.d/*.conf\n/opt/lib\n")
    status, _, err = run("profile", "from-rootfs", str(root))
    assert_bad_input(status, err, "no C library found")


# -- profiles abigate writes always validate ---------------------------------------------------------------


def _host_tree(tmp_path: Path) -> Path:
    libc = _host_libc()
    if libc is None or os.uname().machine != "x86_64":
        pytest.skip("needs an x86_64 glibc host")
    root = tmp_path / "root"
    multi = root / "lib/x86_64-linux-gnu"
    multi.mkdir(parents=True)
    shutil.copy(libc, multi / "libc.so.6")
    (root / "etc").mkdir()
    return root


def test_from_rootfs_escapes_control_characters_of_os_release(tmp_path: Path) -> None:
    root = _host_tree(tmp_path)
    (root / "etc/os-release").write_text('ID=odd\nVERSION_ID="1\x7f"\nPRETTY_NAME="Odd\x7f \x1b[31mLinux\x85"\n')
    status, out, err = run("profile", "from-rootfs", str(root), "--id", "odd")
    assert status == 0, err
    assert "\x7f" not in out and "\x1b" not in out and "\x85" not in out
    assert "\\u007f" in out and "\\u001b" in out
    (tmp_path / "odd.toml").write_text(out)
    from abigate.profiles import load_profile

    profile = load_profile(str(tmp_path / "odd.toml"))
    assert profile.os_name == "Odd\x7f \x1b[31mLinux\x85" and profile.os_version == "1\x7f"


def test_from_rootfs_keeps_a_non_utf8_file_name_as_the_elf_reader_names_it(tmp_path: Path) -> None:
    from abigate.elf import _cstr
    from abigate.profiles import load_profile

    root = _host_tree(tmp_path)
    multi = root / "lib/x86_64-linux-gnu"
    raw = b"libc-\xff\xfe.so"  # another name of libc.so.6, in a folder glibc searches by file name
    os.symlink("libc.so.6", os.path.join(os.fsencode(multi), raw))
    status, out, err = run("profile", "from-rootfs", str(root), "--id", "odd")
    assert status == 0, err
    out.encode("utf-8")  # valid UTF-8 text, no lone surrogates
    (tmp_path / "odd.toml").write_text(out, encoding="utf-8")
    profile = load_profile(str(tmp_path / "odd.toml"))
    needed = _cstr(raw + b"\0", 0)  # what a DT_NEEDED entry holding those bytes is read as
    assert needed == "libc-\\xff\\xfe.so"
    lib = profile.library(needed)
    assert lib is not None and lib.soname == "libc.so.6"


# -- the pyelftools engine ---------------------------------------------------------------------------------


def _fuzzed_verneed(tmp_path: Path) -> Path:
    """A copy of a host library whose ``.gnu.version_r`` claims 0xffffffff entries, the first one pointing at
    itself (``vn_next = 0``): pyelftools walked it four billion times."""
    from elftools.elf.elffile import ELFFile

    for candidate in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                      "/lib64/libz.so.1", sys.executable):
        path = Path(candidate)
        if path.exists():
            data = bytearray(path.resolve().read_bytes())
            with open(path.resolve(), "rb") as fh:
                elf = ELFFile(fh)
                section = elf.get_section_by_name(".gnu.version_r")
                if section is None or not elf.little_endian or elf.elfclass != 64:
                    continue
                index = next(i for i, s in enumerate(elf.iter_sections()) if s.name == ".gnu.version_r")
                header = elf.header["e_shoff"] + index * elf.header["e_shentsize"]
                entry = section["sh_offset"]
            data[header + 44:header + 48] = (0xFFFFFFFF).to_bytes(4, "little")  # sh_info
            data[entry + 12:entry + 16] = (0).to_bytes(4, "little")  # vn_next
            out = tmp_path / "libfuzzed.so.1"
            out.write_bytes(bytes(data))
            return out
    pytest.skip("no 64-bit little-endian library with version requirements on this host")


def test_pyelftools_engine_bounds_a_fuzzed_version_section(tmp_path: Path) -> None:
    from abigate.elf_pyelftools import read_elf_pyelftools

    lib = _fuzzed_verneed(tmp_path)
    with open(lib, "rb") as fh:
        result = read_elf_pyelftools(fh)
    # Read as the loader reads it: the first entry, then vn_next = 0 ends the table.
    assert result.error is None and result.elf is not None
    assert 0 < len({(n.library, n.version) for n in result.elf.version_needs}) == len(result.elf.version_needs)
    status, out, err = run("scan", str(lib), "--engine", "pyelftools", "-j", "1")
    assert status == 0, err
    assert "libfuzzed.so.1" in out


def test_from_rootfs_refuses_an_os_release_value_too_long_to_be_real(tmp_path: Path) -> None:
    """Fuzzing tier F10: an 8 MB PRETTY_NAME was copied into the title and the OS table, and the 16 MB
    profile written was then refused by ``profile validate`` (more than a profile may hold)."""
    root = _host_tree(tmp_path)
    (root / "etc/os-release").write_text("ID=odd\nPRETTY_NAME=" + "x" * 300 + "\n")
    status, out, err = run("profile", "from-rootfs", str(root), "--id", "odd")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "PRETTY_NAME is 300 characters long" in err and "os-release" in err


def test_from_rootfs_profile_id_taken_from_an_odd_os_release_validates(tmp_path: Path) -> None:
    from abigate.profiles import load_profile

    root = _host_tree(tmp_path)
    (root / "etc/os-release").write_text('ID="a b/../c\x7f"\nVERSION_ID="1 2\x1b"\n')
    out_file = tmp_path / "out.toml"
    status, _out, err = run("profile", "from-rootfs", str(root), "-o", str(out_file))
    assert status == 0, err
    profile = load_profile(str(out_file))
    assert profile.os_version == "1 2\x1b"
