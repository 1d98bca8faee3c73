"""ABG207 against the host's real loader: when does glibc abort on a provider that defines no versions?

A requester linked against a *versioned* build of ``libfoo.so.1`` (node ``FOO_1.0``) is loaded with ``ctypes``
in a fresh interpreter next to three builds of the provider, each compiled here with gcc:

* ``versioned`` — the build it was linked against (loads everywhere);
* ``bare`` — no version script and nothing imported from libc, so neither ``.gnu.version_d`` nor
  ``.gnu.version_r``: glibc ≤ 2.40 leaves ``l_versyms`` unset and ``check_match`` asserts (the abort);
* ``libc-user`` — no version script, but it calls ``getenv`` from libc and so carries ``.gnu.version_r``:
  glibc has a version table for it and accepts the unversioned definition (PySide6's ``libqsqlpsql.so``
  needs ``RHPG_9.6`` from Debian 12's ``libpq.so.5``, which is exactly this).

The requesters: a strong reference, a weak one, and one whose ``.gnu.version`` entry is patched to
"global" so that ``FOO_1.0`` stays in ``.gnu.version_r`` with no symbol bound to it (a marker node).

Both verdicts are computed at test time: the loader's exit status, and whether ``abigate check`` against a
profile captured from this host puts an error on the requester or its provider. They must agree on every
case; on this host's glibc the abort case must also be present when glibc is ≤ 2.40 (so the test can fail).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from abigate.cli import main
from abigate.elf import read_elf_bytes
from abigate.evaluate import Selection, evaluate
from abigate.facts import ArtifactFacts, NativeFile
from abigate.profile import Library, Profile
from abigate.rules.testing import artifact, elf, glibc_profile, native, need, vdef

PROVIDERS = ("versioned", "bare", "libc-user")
REQUESTERS = ("strong", "weak", "marker")

_FOO = "int foo_value(void) { return 42; }\n"
_FOO_LIBC = "#include <stdlib.h>\nint foo_value(void) { return getenv(\"ABIGATE_NEVER_SET\") ? 0 : 42; }\n"
_MAP = "FOO_1.0 { global: foo_value; local: *; };\n"
_STRONG = "extern int foo_value(void);\nint use_value(void) { return foo_value(); }\n"
_WEAK = ("extern int foo_value(void) __attribute__((weak));\n"
         "int use_value(void) { return foo_value ? foo_value() : -1; }\n")
_CDLL = "import ctypes, sys; ctypes.CDLL(sys.argv[1])"


def _host_ok() -> tuple[bool, str]:
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return False, "needs an x86_64 Linux host"
    if shutil.which("gcc") is None:
        return False, "needs gcc"
    if not platform.libc_ver()[0] == "glibc":
        return False, "needs a glibc host"
    return True, ""


_OK, _WHY = _host_ok()
needs_host = pytest.mark.skipif(not _OK, reason=_WHY)


def _gcc(*argv: str | Path, cwd: Path) -> None:
    subprocess.run(["gcc", *map(str, argv)], cwd=cwd, check=True, capture_output=True, timeout=120)


def _global_versym(path: Path, symbol: str) -> None:
    """Set *symbol*'s ``.gnu.version`` entry to 1 (global): its node stays required, no symbol bound to it."""
    data = bytearray(path.read_bytes())
    with open(path, "rb") as fh:
        f = ELFFile(fh)
        versym = f.get_section_by_name(".gnu.version")
        dynsym = f.get_section_by_name(".dynsym")
        assert versym is not None and isinstance(dynsym, SymbolTableSection)
        index = next(i for i, sym in enumerate(dynsym.iter_symbols()) if sym.name == symbol)
        at = versym["sh_offset"] + 2 * index
    assert data[at:at + 2] == (2).to_bytes(2, "little")
    data[at:at + 2] = (1).to_bytes(2, "little")
    path.write_bytes(bytes(data))


def _build(root: Path) -> None:
    src = root / "src"
    src.mkdir()
    for name, text in (("foo.c", _FOO), ("foo_libc.c", _FOO_LIBC), ("foo.map", _MAP), ("strong.c", _STRONG),
                       ("weak.c", _WEAK)):
        (src / name).write_text(text)
    prov = root / "providers"
    for p in PROVIDERS:
        (prov / p).mkdir(parents=True)
    so = "-Wl,-soname,libfoo.so.1"
    _gcc("-shared", "-fPIC", so, "-Wl,--version-script=foo.map", "foo.c", "-o",
         prov / "versioned" / "libfoo.so.1", cwd=src)
    _gcc("-shared", "-fPIC", "-nostdlib", so, "foo.c", "-o", prov / "bare" / "libfoo.so.1", cwd=src)
    _gcc("-shared", "-fPIC", so, "foo_libc.c", "-o", prov / "libc-user" / "libfoo.so.1", cwd=src)
    req = root / "requesters"
    req.mkdir()
    for r, source in (("strong", "strong.c"), ("weak", "weak.c"), ("marker", "strong.c")):
        _gcc("-shared", "-fPIC", f"-Wl,-soname,libuse_{r}.so", source, "-Wl,--no-as-needed",
             f"-L{prov / 'versioned'}", "-l:libfoo.so.1", "-Wl,-rpath,$ORIGIN/lib", "-o",
             req / f"libuse_{r}.so", cwd=src)
    _global_versym(req / "libuse_marker.so", "foo_value")
    for r in REQUESTERS:
        for p in PROVIDERS:
            case = root / "cases" / f"{r}-{p}"
            (case / "lib").mkdir(parents=True)
            shutil.copy2(req / f"libuse_{r}.so", case / f"libuse_{r}.so")
            shutil.copy2(prov / p / "libfoo.so.1", case / "lib" / "libfoo.so.1")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not _OK:
        pytest.skip(_WHY)
    root = Path(os.path.realpath(tmp_path_factory.mktemp("abg207")))
    _build(root)
    return root


def _load(path: Path) -> tuple[bool, str]:
    # A fresh interpreter per case: nothing loaded by an earlier case can satisfy a later one.
    run = subprocess.run([sys.executable, "-I", "-c", _CDLL, str(path)], capture_output=True, text=True,
                         timeout=60, check=False)
    lines = run.stderr.strip().splitlines()
    return run.returncode == 0, lines[-1] if lines else ""


@pytest.fixture(scope="module")
def matrix(built: Path) -> dict[str, tuple[bool, str, list[dict[str, Any]]]]:
    """case → (the loader loaded it, its last stderr line, abigate's error findings on it)."""
    root = built
    cases = sorted(p.name for p in (root / "cases").iterdir())
    with ThreadPoolExecutor(max_workers=4) as pool:
        loads = {c: pool.submit(_load, root / "cases" / c / f"libuse_{c.split('-', 1)[0]}.so") for c in cases}
        profile = root / "host.toml"
        assert main(["profile", "capture", "-o", str(profile)]) == 0
        out = root / "report.json"
        main(["check", *(str(root / "cases" / c) for c in cases), "--profile", str(profile), "--format",
              "json", "--output", str(out), "--no-config"])
        report = json.loads(out.read_text(encoding="utf-8"))
        errors = {Path(a["path"]).name: [f for f in a["findings"]
                                         if f["severity"] == "error" and f["waived"] is None]
                  for a in report["artifacts"]}
        return {c: (*loads[c].result(), errors[c]) for c in cases}


def _host_glibc() -> tuple[int, int]:
    major, minor = platform.libc_ver()[1].split(".")[:2]
    return int(major), int(minor)


@needs_host
def test_the_requesters_are_what_they_claim(built: Path) -> None:
    needs = {}
    for r in REQUESTERS:
        facts = read_elf_bytes((built / "requesters" / f"libuse_{r}.so").read_bytes()).elf
        assert facts is not None
        needs[r] = {n.version: n.symbols for n in facts.version_needs if n.library == "libfoo.so.1"}
    assert needs == {"strong": {"FOO_1.0": ("foo_value",)}, "weak": {"FOO_1.0": ("foo_value",)},
                     "marker": {"FOO_1.0": ()}}
    bare = read_elf_bytes((built / "providers" / "bare" / "libfoo.so.1").read_bytes()).elf
    user = read_elf_bytes((built / "providers" / "libc-user" / "libfoo.so.1").read_bytes()).elf
    assert bare is not None and user is not None
    assert bare.version_defs == () and bare.version_needs == ()
    assert user.version_defs == () and {n.library for n in user.version_needs} == {"libc.so.6"}


@needs_host
@pytest.mark.parametrize("case", [f"{r}-{p}" for r in REQUESTERS for p in PROVIDERS])
def test_abigate_agrees_with_the_loader(matrix: dict[str, tuple[bool, str, list[dict[str, Any]]]],
                                        case: str) -> None:
    loaded, message, errors = matrix[case]
    assert (not errors) == loaded, (case, message, errors)
    if not loaded:
        # The prediction names the loader's cause, not just "fails".
        assert any(f["code"] == "ABG207" for f in errors), errors
        assert "check_match" in message, message


@needs_host
def test_the_abort_is_real_on_this_glibc(matrix: dict[str, tuple[bool, str, list[dict[str, Any]]]]) -> None:
    aborts = sorted(c for c, (loaded, _m, _e) in matrix.items() if not loaded)
    if _host_glibc() <= (2, 40):
        # Exactly the references bound to FOO_1.0 on a provider without any version table.
        assert aborts == ["strong-bare", "weak-bare"]
    else:
        assert aborts == []


# ---- the same decisions on synthetic facts (no compiler needed) --------------------------------------

_G236 = glibc_profile("glibc-2.36", version=(2, 36))
_EXT = "pkg/_x.cpython-311-x86_64-linux-gnu.so"


def _requester(symbols: tuple[str, ...] = ("foo_open",)) -> NativeFile:
    return native(_EXT, elf(
        needed=("libfoo.so.1", "libc.so.6"), rpath=("$ORIGIN/../pkg.libs",),
        python_init_exports=("PyInit__x",),
        version_needs=(need("libfoo.so.1", "FOO_1.0", *symbols), need("libc.so.6", "GLIBC_2.2.5", "free"))))


def _wheel(*files: NativeFile) -> ArtifactFacts:
    return artifact("dist/pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", files)


def _codes(facts: ArtifactFacts, profile: Profile = _G236) -> list[tuple[str, str]]:
    return [(f.code, f.severity.value) for f in evaluate(facts, profile, Selection(select=("ABG207",)))]


def test_bundled_provider_without_any_version_table_aborts() -> None:
    foo = native("pkg.libs/libfoo.so.1", elf(soname="libfoo.so.1"))
    assert _codes(_wheel(_requester(), foo)) == [("ABG207", "error")]


def test_bundled_provider_with_version_needs_loads() -> None:
    foo = native("pkg.libs/libfoo.so.1", elf(soname="libfoo.so.1",
                                              version_needs=(need("libc.so.6", "GLIBC_2.2.5", "getenv"),)))
    assert _codes(_wheel(_requester(), foo)) == []


def test_marker_node_on_a_bare_provider_loads() -> None:
    foo = native("pkg.libs/libfoo.so.1", elf(soname="libfoo.so.1"))
    assert _codes(_wheel(_requester(symbols=()), foo)) == []


def test_bundled_provider_with_definitions_is_not_this_rule() -> None:
    foo = native("pkg.libs/libfoo.so.1", elf(soname="libfoo.so.1", version_defs=(vdef("FOO_1.0", 2),)))
    assert _codes(_wheel(_requester(), foo)) == []


def test_glibc_2_41_accepts_a_bare_provider() -> None:
    foo = native("pkg.libs/libfoo.so.1", elf(soname="libfoo.so.1"))
    assert _codes(_wheel(_requester(), foo), glibc_profile("glibc-2.41", version=(2, 41))) == []


def test_system_provider_read_unversioned_is_a_note_not_an_abort() -> None:
    # The PySide6 case: libqsqlpsql.so needs RHPG_9.6 from libpq.so.5; Debian 12's libpq.so.5 defines no
    # versions but needs libc's, so it loads. A profile does not record version needs: say so, do not fail.
    profile = glibc_profile("glibc-2.36-pq", version=(2, 36),
                            extra={"libpq.so.5": Library(soname="libpq.so.5", exact=True)})
    e = native("PySide6/Qt/plugins/sqldrivers/libqsqlpsql.so", elf(
        needed=("libpq.so.5", "libc.so.6"),
        version_needs=(need("libpq.so.5", "RHPG_9.6", "PQexec"), need("libc.so.6", "GLIBC_2.2.5", "free"))))
    assert _codes(_wheel(e), profile) == [("ABG207", "info")]
