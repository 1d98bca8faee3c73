"""Profiles know what a glibc/musl target really has (issue 7): its dynamic loader, every library its glibc
installs, and the file names a DT_NEEDED entry may hold instead of a soname.

Reference facts below were measured on Debian's ``libc6`` packages (2.31-13+deb11u11, 2.36-9+deb12u14,
2.41-12+deb13u5; amd64 and arm64) with abigate's ELF reader and ``readelf -V``, and read in glibc 2.43's
``*.abilist`` files; they are not outputs of the code under test.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from abigate import glibc_versions as gv
from abigate.cli import main
from abigate.errors import ProfileError
from abigate.loaders import GLIBC_LOADERS, loader_soname, loader_sonames
from abigate.profiles import builtin_ids, load_profile, parse_profile_text

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_LIBM = ROOT / "testdata" / "elf" / "glibc" / "libm_2_29.so"   # needs libm.so.6 GLIBC_2.29 only


# ---------------------------------------------------------------------------------------------------------
# the arch -> loader table


@pytest.mark.parametrize(("libc", "arch", "names"), [
    ("glibc", "x86_64", ("ld-linux-x86-64.so.2",)),
    ("glibc", "aarch64", ("ld-linux-aarch64.so.1",)),
    ("glibc", "i686", ("ld-linux.so.2",)),
    ("glibc", "ppc64le", ("ld64.so.2",)),
    ("glibc", "s390x", ("ld64.so.1",)),
    ("glibc", "armv7l", ("ld-linux-armhf.so.3",)),
    ("musl", "x86_64", ("ld-musl-x86_64.so.1", "libc.musl-x86_64.so.1")),
    ("musl", "aarch64", ("ld-musl-aarch64.so.1", "libc.musl-aarch64.so.1")),
    ("musl", "i686", ("ld-musl-i386.so.1", "libc.musl-x86.so.1")),
    ("musl", "armv7l", ("ld-musl-armhf.so.1", "libc.musl-armv7.so.1")),
])
def test_loader_table(libc: str, arch: str, names: tuple[str, ...]) -> None:
    # loader.md §8 (PT_INTERP per arch); musl's own arch names vs Alpine's CARCH for the alias.
    assert loader_sonames(libc, arch) == names
    assert loader_soname(libc, arch) == names[0]


def test_unknown_arch_or_libc_has_no_loader() -> None:
    assert loader_soname("glibc", "vax") is None and loader_sonames("bionic", "x86_64") == ()


def test_probe_carries_the_same_table() -> None:
    """The stdlib-only probe cannot import abigate: its copy of the table must not drift."""
    spec = importlib.util.spec_from_file_location("abigate_probe", ROOT / "src/abigate/resources/probe.py")
    assert spec is not None and spec.loader is not None
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    assert probe._GLIBC_LOADERS == GLIBC_LOADERS


# ---------------------------------------------------------------------------------------------------------
# validation


BARE = 'id = "t"\nkind = "runtime"\narch = "{arch}"\n[libc]\nfamily = "{family}"\nversion = "{version}"\n'


@pytest.mark.parametrize(("arch", "family", "version", "loader"), [
    ("x86_64", "glibc", "2.34", "ld-linux-x86-64.so.2"),
    ("aarch64", "glibc", "2.28", "ld-linux-aarch64.so.1"),
    ("x86_64", "musl", "1.2.5", "ld-musl-x86_64.so.1"),
])
def test_validation_rejects_a_profile_without_its_loader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arch: str, family: str, version: str, loader: str
) -> None:
    text = BARE.format(arch=arch, family=family, version=version)
    with pytest.raises(ProfileError) as info:
        parse_profile_text(text + '[libraries."libz.so.1"]\nversions = []\n')
    (problem,) = info.value.problems
    assert f"lacks the dynamic loader {loader}" in problem and f'[libraries."{loader}"]' in problem
    path = tmp_path / "p.toml"
    path.write_text(text)
    assert main(["profile", "validate", str(path)]) == 2
    assert f"lacks the dynamic loader {loader}" in capsys.readouterr().err
    # With the loader it loads.
    entry = 'derive = "glibc"' if family == "glibc" else "versions = []"
    p = parse_profile_text(text + f'[libraries."{loader}"]\n{entry}\n')
    lib = p.library(loader)
    assert lib is not None
    if family == "glibc":
        assert ("GLIBC_2.2.5" if arch == "x86_64" else "GLIBC_2.17") in lib.versions
        assert "GLIBC_PRIVATE" not in lib.versions


def test_loader_is_inherited_and_cannot_be_removed() -> None:
    child = 'id = "c"\nkind = "runtime"\nextends = "debian-12"\n'
    assert parse_profile_text(child).library("ld-linux-x86-64.so.2") is not None
    with pytest.raises(ProfileError) as info:
        parse_profile_text(child + 'remove_libraries = ["ld-linux-x86-64.so.2"]\n')
    assert any("lacks the dynamic loader ld-linux-x86-64.so.2" in problem for problem in info.value.problems)


def test_a_library_missing_from_that_glibc_release_is_named() -> None:
    text = ('id = "c"\nkind = "os"\nextends = "debian-12-arm64"\n'
            '[libraries."libmvec.so.1"]\nderive = "glibc"\n')
    with pytest.raises(ProfileError) as info:
        parse_profile_text(text)
    assert "glibc 2.36 has no libmvec.so.1 on aarch64" in info.value.problems[0]


@pytest.mark.parametrize("value", ['["/lib/libc-2.31.so"]', '"libc-2.31.so"', '[""]'])
def test_files_must_be_plain_file_names(value: str) -> None:
    text = BARE.format(arch="x86_64", family="glibc", version="2.31")
    text += f'[libraries."ld-linux-x86-64.so.2"]\nderive = "glibc"\nfiles = {value}\n'
    with pytest.raises(ProfileError) as info:
        parse_profile_text(text)
    assert any("must be a list of file names" in problem for problem in info.value.problems)


# ---------------------------------------------------------------------------------------------------------
# built-in profiles


def _glibc_release(pid: str) -> tuple[int, ...]:
    return load_profile(pid).libc_version[:2]


@pytest.mark.parametrize("pid", builtin_ids())
def test_every_builtin_provides_its_loader(pid: str) -> None:
    p = load_profile(pid)
    for name in loader_sonames(p.libc, p.arch):
        lib = p.library(name)
        assert lib is not None, f"{pid} lacks {name}"
        if p.libc == "glibc":
            base = "GLIBC_2.2.5" if p.arch == "x86_64" else "GLIBC_2.17"
            assert base in lib.versions and "GLIBC_PRIVATE" not in lib.versions
            # glibc >= 2.34 gave every loader __rtld_version_placeholder@GLIBC_2.34 (measured, Debian 12/13).
            assert ("GLIBC_2.34" in lib.versions) == (p.libc_version >= (2, 34))


#: what glibc installs on every target (Debian's libc6 file lists, all three releases, both arches).
ALWAYS = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1",
          "libresolv.so.2", "libanl.so.1", "libBrokenLocale.so.1", "libthread_db.so.1", "libnss_files.so.2",
          "libnss_dns.so.2", "libnss_compat.so.2", "libcrypt.so.1"}


OS_GLIBC = [p for p in builtin_ids()
            if load_profile(p).kind in ("os", "runtime") and load_profile(p).libc == "glibc"]


@pytest.mark.parametrize("pid", OS_GLIBC)
def test_os_and_runtime_profiles_hold_every_glibc_library(pid: str) -> None:
    p = load_profile(pid)
    release = p.libc_version[:2]
    missing = sorted(name for name in ALWAYS if p.library(name) is None)
    assert not missing, f"{pid} lacks {missing}"
    # libmvec: x86_64 since 2.22, aarch64 since 2.38 (glibc's libmvec.abilist; Debian 12 arm64 has none,
    # Debian 13 arm64 has it). av's bundled x265 needs it and loads on Debian 11.
    has_mvec = (p.arch == "x86_64" and release >= (2, 22)) or (p.arch == "aarch64" and release >= (2, 38))
    assert (p.library("libmvec.so.1") is not None) == has_mvec, pid
    assert (p.library("libc_malloc_debug.so.0") is not None) == (release >= (2, 34)), pid


def test_x86_64_os_profiles_have_libmvec() -> None:
    for pid in ("debian-11", "debian-12", "debian-13", "ubuntu-20.04", "amazonlinux-2", "rhel-8",
                "aws-lambda-python3.12-x86_64", "azure-functions-python3.10", "google-22", "heroku-24"):
        lib = load_profile(pid).library("libmvec.so.1")
        assert lib is not None and "GLIBC_2.22" in lib.versions, pid
    assert load_profile("debian-13-arm64").library("libmvec.so.1") is not None
    assert load_profile("debian-12-arm64").library("libmvec.so.1") is None


#: nodes measured on Debian's libc6 packages (GLIBC_PRIVATE left out: it is not for outsiders).
MEASURED: list[tuple[str, str, str, set[str]]] = [
    ("debian-11", "libmvec.so.1", "x86_64", {"GLIBC_2.22"}),
    ("debian-12", "libmvec.so.1", "x86_64", {"GLIBC_2.22", "GLIBC_2.35"}),
    ("debian-13-arm64", "libmvec.so.1", "aarch64", {"GLIBC_2.38", "GLIBC_2.39", "GLIBC_2.40", "GLIBC_2.41"}),
    ("debian-11", "ld-linux-x86-64.so.2", "x86_64", {"GLIBC_2.2.5", "GLIBC_2.3", "GLIBC_2.4"}),
    ("debian-12", "ld-linux-x86-64.so.2", "x86_64", {"GLIBC_2.2.5", "GLIBC_2.3", "GLIBC_2.4", "GLIBC_2.34",
                                                     "GLIBC_2.35"}),
    ("debian-12-arm64", "ld-linux-aarch64.so.1", "aarch64", {"GLIBC_2.17", "GLIBC_2.34", "GLIBC_2.35"}),
    ("debian-12", "libc_malloc_debug.so.0", "x86_64",
     {"GLIBC_2.2.5", "GLIBC_2.10", "GLIBC_2.16", "GLIBC_2.33"}),
    ("debian-12", "libthread_db.so.1", "x86_64", {"GLIBC_2.2.5", "GLIBC_2.3", "GLIBC_2.3.3"}),
    ("debian-13", "libanl.so.1", "x86_64", {"GLIBC_2.2.5"}),
    ("debian-11", "libnsl.so.1", "x86_64", {"GLIBC_2.2.5"}),
    ("debian-13", "libnss_files.so.2", "x86_64", set()),
    ("debian-11", "libm.so.6", "x86_64",
     {"GLIBC_2.2.5", "GLIBC_2.4", "GLIBC_2.15", "GLIBC_2.18", "GLIBC_2.23", "GLIBC_2.24", "GLIBC_2.25",
      "GLIBC_2.26", "GLIBC_2.27", "GLIBC_2.28", "GLIBC_2.29", "GLIBC_2.31"}),
    ("debian-12", "libcrypt.so.1", "x86_64", {"GLIBC_2.2.5", "XCRYPT_2.0", "XCRYPT_4.3", "XCRYPT_4.4"}),
]


@pytest.mark.parametrize(("pid", "soname", "arch", "nodes"), MEASURED)
def test_nodes_equal_debians_real_files(pid: str, soname: str, arch: str, nodes: set[str]) -> None:
    lib = load_profile(pid).library(soname)
    assert lib is not None and set(lib.versions) == nodes


def test_libc_gains_the_merged_libpthread_node_with_2_34() -> None:
    # pthread_clockjoin_np@GLIBC_2.31 lived in libpthread until 2.33 and in libc from 2.34 (Debian 12: libc
    # defines GLIBC_2.31; Debian 11's libc tops out at GLIBC_2.30).
    for arch in ("x86_64", "aarch64"):
        assert "GLIBC_2.31" not in (gv.glibc_nodes(arch, "libc.so.6", (2, 31)) or set())
        assert "GLIBC_2.31" not in (gv.glibc_nodes(arch, "libc.so.6", (2, 33)) or set())
        assert "GLIBC_2.31" in (gv.glibc_nodes(arch, "libc.so.6", (2, 34)) or set())


def test_debian_13_x86_64_carries_the_backported_markers() -> None:
    # libc6 2.41-12+deb13u5 (and the debootstrapped trixie tree) define both markers (loader.md §5).
    lib = load_profile("debian-13").library("libc.so.6")
    markers = {"GLIBC_ABI_GNU2_TLS", "GLIBC_ABI_DT_X86_64_PLT", "GLIBC_ABI_DT_RELR"}
    assert lib is not None and markers <= lib.versions
    arm = load_profile("debian-13-arm64").library("libc.so.6")
    assert arm is not None and "GLIBC_ABI_GNU2_TLS" not in arm.versions


#: auditwheel's lib_whitelist (runtimes.md §7): 22 names for 2_5, libexpat from 2_12, libmvec from 2_24.
WHITELIST_2_5 = {"libgcc_s.so.1", "libstdc++.so.6", "libm.so.6", "libdl.so.2", "librt.so.1", "libc.so.6",
                 "libnsl.so.1", "libutil.so.1", "libpthread.so.0", "libresolv.so.2", "libX11.so.6",
                 "libXext.so.6", "libXrender.so.1", "libICE.so.6", "libSM.so.6", "libGL.so.1",
                 "libgobject-2.0.so.0", "libgthread-2.0.so.0", "libglib-2.0.so.0", "libz.so.1",
                 "libatomic.so.1", "libanl.so.1"}


@pytest.mark.parametrize("pid", [p for p in builtin_ids() if load_profile(p).kind == "policy"])
def test_policies_hold_their_whitelist_plus_the_loader(pid: str) -> None:
    p = load_profile(pid)
    loaders = set(loader_sonames(p.libc, p.arch))
    if p.libc == "musl":
        expected = {"libc.so", "libz.so.1"} | loaders
    else:
        expected = WHITELIST_2_5 | {"libexpat.so.1"} | loaders
        if not pid.startswith("manylinux2014"):
            expected.add("libmvec.so.1")
    assert set(p.libraries) == expected


def test_policy_description_says_so() -> None:
    from abigate.profiles._resolve import load_document

    doc = load_document("manylinux_2_28_x86_64")
    assert "lib_whitelist" in doc.data["description"] and "dynamic loader" in doc.data["description"]


# ---------------------------------------------------------------------------------------------------------
# DT_NEEDED by file name


def test_old_glibc_file_names_are_provided() -> None:
    # glibc < 2.34 installs libc-2.31.so etc. (Debian 11's libc6 file list); from 2.34 on files carry the
    # soname.
    d11 = load_profile("debian-11")
    assert d11.library("libc-2.31.so") is d11.library("libc.so.6")
    assert d11.library("ld-2.31.so") is d11.library("ld-linux-x86-64.so.2")
    assert d11.library("libthread_db-1.0.so") is d11.library("libthread_db.so.1")
    assert d11.library("libstdc++.so.6.0.28") is d11.library("libstdc++.so.6")
    assert load_profile("debian-12").library("libc-2.36.so") is None
    assert load_profile("debian-12").library("libcrypt.so.1.1.0") is not None
    assert load_profile("amazonlinux-2").library("libm-2.26.so") is not None


def _profile(tmp_path: Path, libm: str) -> Path:
    path = tmp_path / "fname.toml"
    path.write_text('id = "fname"\nkind = "os"\narch = "x86_64"\n[libc]\nfamily = "glibc"\nversion = "2.36"\n'
                    '[libraries."ld-linux-x86-64.so.2"]\nderive = "glibc"\n'
                    '[libraries."libc.so.6"]\nderive = "glibc"\n' + libm)
    return path


def _codes(capsys: pytest.CaptureFixture[str], profile: Path) -> list[str]:
    main(["check", str(FIXTURE_LIBM), "-p", str(profile), "--no-config", "--format", "json"])
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return [f["code"] for a in doc["artifacts"] for f in a["findings"]]


def test_a_dt_needed_file_name_is_provided(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The fixture needs ``libm.so.6``; the target's library of that *file* has another soname. The loader
    opens files by name, so it loads; abigate looked the name up as a soname only (ABG401)."""
    lib = '[libraries."libmath.so.6"]\nversions = ["GLIBC_2.2.5", "GLIBC_2.29"]\n'
    assert "ABG401" in _codes(capsys, _profile(tmp_path, lib))
    provided = _profile(tmp_path, lib + 'files = ["libm.so.6"]\n')
    p = load_profile(str(provided))
    found = p.library("libm.so.6")
    assert found is not None and found.soname == "libmath.so.6"
    assert _codes(capsys, provided) == []
    # The file-named library's version nodes are checked like any other's.
    old = _profile(tmp_path, '[libraries."libmath.so.6"]\nversions = ["GLIBC_2.2.5"]\n'
                             'files = ["libm.so.6"]\n')
    codes = _codes(capsys, old)
    assert codes and "ABG401" not in codes


def test_a_soname_wins_over_a_file_name() -> None:
    text = BARE.format(arch="x86_64", family="glibc", version="2.31")
    text += ('[libraries."ld-linux-x86-64.so.2"]\nderive = "glibc"\n'
             '[libraries."libz.so.1"]\nversions = ["ZLIB_1.2.9"]\n'
             '[libraries."libother.so.2"]\nversions = []\nfiles = ["libz.so.1", "libother.so.2.0"]\n')
    p = parse_profile_text(text)
    z = p.library("libz.so.1")
    other = p.library("libother.so.2.0")
    assert z is not None and z.soname == "libz.so.1"
    assert other is not None and other.soname == "libother.so.2"
