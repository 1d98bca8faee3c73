"""`profile probe` / `capture` on THIS machine, compared with the host's own tools (ldd, uname, readelf).

These tests deliberately depend on the host: they check that what the probe reports is what the host's
tools report. They are skipped where those tools are missing (non-Linux, no readelf).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from abigate import glibc_versions as gv
from abigate.cli import main
from abigate.profiles import load_profile

PROBE = Path(__file__).parents[1] / "src" / "abigate" / "resources" / "probe.py"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("readelf") is None,
                                reason="needs Linux and readelf")


def _run(cmd: list[str]) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the probe exactly as a user would on a bare target: python3 -I, no abigate on the path."""
    python = shutil.which("python3") or sys.executable
    out = tmp_path_factory.mktemp("probe") / "host.toml"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run = subprocess.run([python, "-I", str(PROBE)], capture_output=True, text=True, check=False, env=env,
                         cwd=out.parent)
    assert run.returncode == 0, run.stderr
    out.write_text(run.stdout)
    return out


def _host_glibc() -> str | None:
    ldd = subprocess.run(["ldd", "--version"], capture_output=True, text=True, check=False)
    m = re.search(r"(\d+\.\d+)\s*$", (ldd.stdout or ldd.stderr).splitlines()[0] if ldd.stdout or ldd.stderr else "")
    return m.group(1) if m and "GLIBC" in (ldd.stdout + ldd.stderr).upper() else None


def test_probe_is_stdlib_only_and_38_compatible() -> None:
    tree = ast.parse(PROBE.read_text(), feature_version=(3, 8))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module is not None
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


def test_probe_matches_host_tools(probed: Path) -> None:
    p = load_profile(str(probed))
    assert p.kind == "captured"
    assert p.arch == os.uname().machine == _run(["uname", "-m"]).strip()
    glibc = _host_glibc()
    if glibc is None:
        pytest.skip("host libc is not glibc")
    assert p.libc == "glibc" and p.libc_version_text == glibc
    libc = p.library("libc.so.6")
    assert libc is not None and libc.exact and libc.path is not None
    readelf = _run(["readelf", "-V", "--wide", os.path.realpath(libc.path)])
    verdef = readelf.split("Version definition section")[1].split("Version needs section")[0]
    names = set(re.findall(r"Name: (\S+)", verdef)) - {"libc.so.6"}
    assert libc.versions == names
    assert p.page_size == os.sysconf("SC_PAGE_SIZE")
    py = p.python
    assert py is not None and py.executable is not None
    target = subprocess.run([py.executable, "-I", "-c", "import sys, importlib.machinery as m;"
                             "print('%d.%d' % sys.version_info[:2]); print(' '.join(m.EXTENSION_SUFFIXES))"],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    assert py.version_text.rstrip("t") == target[0] and list(py.extension_suffixes) == target[1].split()


def test_derived_glibc_sets_agree_with_the_real_library(probed: Path) -> None:
    """The tables abigate derives from must give a subset of what the real libc.so.6 defines."""
    p = load_profile(str(probed))
    if p.libc != "glibc":
        pytest.skip("host libc is not glibc")
    compared = 0
    for soname in gv.glibc_sonames(p.arch):
        real = p.library(soname)
        derived = gv.glibc_nodes(p.arch, soname, p.libc_version)
        if real is None or derived is None or soname == "libcrypt.so.1":   # libxcrypt on most hosts
            continue
        compared += 1
        assert derived <= real.versions, (soname, sorted(derived - real.versions))
        # Every numbered node of the real file is derived too (symbol-less ones such as x86_64 libm's
        # GLIBC_2.4 and the 2.34 merge's libc GLIBC_2.31 included); GLIBC_PRIVATE and the patch-level
        # markers (GLIBC_ABI_GNU2_TLS …) are deliberately not.
        numbered = {n for n in real.versions if re.fullmatch(r"GLIBC_[\d.]+", n)}
        assert numbered <= derived, (soname, sorted(numbered - derived))
    assert compared >= 10


def test_capture_records_the_loader_and_file_names(probed: Path) -> None:
    from abigate.loaders import loader_soname

    p = load_profile(str(probed))
    loader = p.library(loader_soname(p.libc, p.arch) or "")
    assert loader is not None and loader.exact and loader.path is not None
    # Every recorded file name is a real name in the library's directory, resolving to the same file.
    named = [(lib, name) for lib in p.libraries.values() for name in lib.files]
    assert named, "a glibc host has real files named other than their soname (libz.so.1.2.13, …)"
    for lib, name in named:
        assert lib.path is not None and name not in p.libraries
        candidates = [os.path.join(d, name) for d in p.library_paths]
        same = [c for c in candidates if os.path.exists(c) and os.path.samefile(c, lib.path)]
        assert same, (lib.soname, name)
        assert p.library(name) is lib


def test_probe_finds_the_loader_through_pt_interp() -> None:
    """Even when no search directory holds the loader under its soname, the probe records it: it is the
    PT_INTERP of the interpreter running the probe."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("abigate_probe", PROBE)
    assert spec is not None and spec.loader is not None
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    arch = probe.normalise_arch(os.uname().machine)
    interp = probe.read_interp(os.path.realpath(sys.executable))
    if interp is None or _host_glibc() is None:
        pytest.skip("needs a dynamically linked glibc python")
    libraries: dict[str, dict[str, object]] = {}
    probe.add_loader(libraries, arch, "glibc", sys.executable)
    (name,) = libraries
    assert name == probe._GLIBC_LOADERS[arch] and libraries[name]["path"] == interp
    assert libraries[name]["versions"]


def test_capture_command_writes_a_valid_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cap.toml"
    assert main(["profile", "capture", "--id", "this-host", "-o", str(out)]) == 0
    assert main(["profile", "validate", str(out)]) == 0
    assert "this-host: captured" in capsys.readouterr().out
    p = load_profile(str(out))
    assert p.python is not None and p.python.version == sys.version_info[:2]


def test_capture_rejects_output_that_is_not_a_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "fakepython"
    fake.write_text("#!/bin/sh\necho 'this is not toml ['\n")
    fake.chmod(0o755)
    assert main(["profile", "capture", "--python", str(fake)]) == 2
    err = capsys.readouterr().err
    assert "not a valid profile" in err and err.count("\n") == 1


def test_probe_command_prints_the_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "probe"]) == 0
    assert capsys.readouterr().out == PROBE.read_text()
