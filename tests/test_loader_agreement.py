"""Agreement with the real loader (issue 4): ``abigate check`` against a profile captured from THIS host
predicts exactly what ``ctypes.CDLL`` and a real ``import`` in a fresh interpreter do here.

No false pass, no false reject. Both verdicts are computed at test time — the manifest's recorded
``loads_on_host`` is never used as an answer, only the facts of what each fixture *is* (its format and, for
extension modules, its module name).

The matrix (every case is a folder, wheel or zip under one temporary root):

* every committed fixture in ``testdata/MANIFEST.json`` that something would load: ELF shared objects and
  extension modules of every glibc level, architecture and libc, plus the Mach-O and PE files, each alone
  in its own folder. Left out of the agreement, by design: the two executables (``odd/exe_pie``,
  ``odd/exe_nonpie``), which are run, never dlopened — a CDLL of a program fails on every host and says
  nothing about the program (``test_programs_are_run_not_loaded`` shows both sides). They come back
  renamed as extension modules, where the loader's refusal is a real failure (ABG107);
* every bundle layout (``layouts`` in the manifest), assembled with the bundled names kept, plus each layout
  zipped (abigate reads the zip, the loader loads the extracted copy: the verdict must not change), one as a
  wheel, and each layout's extension alone (its bundled library missing);
* cases built from the fixtures: the glibc ladder in one folder, the abi3 module renamed to other
  suffixes (module name kept), a module renamed so its ``PyInit_`` no longer matches, programs renamed as
  modules, and a bundled library replaced by what the loader refuses (a symlink stub, a Git LFS pointer, a
  32-bit, an aarch64 and a musl file, a DF_1_NOOPEN, ET_REL, 4 KiB static-TLS, unknown-ISA or glibc 2.41 one).

The loader runs are one fresh interpreter each, side by side in threads; abigate runs once, in-process.
Also checked: the exit status of ``abigate check`` is 1 on the whole matrix and 0 on a folder of the cases
that load.

Verdicts:

1. the loader: ``python -I -c "import ctypes, sys; ctypes.CDLL(sys.argv[1])" FILE`` for plain libraries;
   for extension modules a ``python -I`` that puts the folder on ``sys.path`` and imports the module by
   name — the import is what counts for a module (CDLL would ignore its suffix and its ``PyInit_``);
2. abigate: ``abigate check ARTIFACT... --profile host.toml --python X.Y --format json`` (one run for the
   whole matrix). A case **fails** iff an error-severity finding is on the loaded file (its member path) or
   on the artifact itself (``member`` empty); for a bundle, on the extension or any library it loads — every
   file of a layout is loaded by its entry, so that is every finding of the bundle's artifact.

When both say "fails", one of those findings must name the loader's cause: the same key part of the
message (``version `GLIBC_2.38' not found`` and ``GLIBC_2.38`` in ``versions``; the missing library;
``wrong ELF class``; ``invalid ELF header``; ``CPU ISA level``; ``No module named``; ``PyInit_x``…).

Where abigate and the loader differ *by design*, :data:`INHERENT` says so, with the reason, and the test
asserts that exact divergence (so it cannot quietly widen).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import machinery
from pathlib import Path
from typing import Any

import pytest
from conftest import make_wheel

from abigate.cli import main

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT / "testdata"
MANIFEST: dict[str, Any] = json.loads((TESTDATA / "MANIFEST.json").read_text(encoding="utf-8"))
FILES: dict[str, dict[str, Any]] = {f["path"]: f for f in MANIFEST["files"]}
LAYOUTS: dict[str, dict[str, Any]] = MANIFEST["layouts"]
PY = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _host_supported() -> tuple[bool, str]:
    """The committed fixtures target x86-64 glibc Linux; elsewhere the matrix would mean nothing."""
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return (
            False,
            f"the fixtures are x86-64 Linux binaries; this host is {sys.platform} {platform.machine()}",
        )
    libc = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else None
    if not libc or not libc.startswith("glibc "):
        return False, "the fixtures are glibc binaries; this host's libc is not glibc"
    return True, ""


_SUPPORTED, _WHY = _host_supported()
pytestmark = [pytest.mark.loader, pytest.mark.skipif(not _SUPPORTED, reason=_WHY)]

#: files a loader never opens by design: programs are executed, not dlopened (see the module docstring).
EXECUTABLES = frozenset({"elf/odd/exe_pie", "elf/odd/exe_nonpie"})


# --- The matrix --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One thing the loader loads, and where abigate sees it."""

    id: str
    #: the artifact abigate checks, relative to the matrix root (a folder, a ``.zip`` or a ``.whl``).
    artifact: str
    #: member path of the loaded file inside the artifact.
    member: str
    #: Python module name when the file is an extension module (its import is the verdict), else ``None``.
    module: str | None = None
    #: members whose findings count; ``None``: every finding of the artifact (bundles).
    counted: tuple[str, ...] | None = None
    #: the artifact is an archive: the loader loads the copy extracted under this folder of the root.
    extracted: str | None = None
    #: a program, which is executed and never dlopened: outside the agreement (see the module docstring).
    program: bool = False

    def load_path(self, root: Path) -> Path:
        """The file the loader opens."""
        base = root / self.extracted if self.extracted else root / self.artifact
        return base / self.member


#: a builder assembles its artifact(s) under the matrix root.
Builder = Callable[[Path], None]


@dataclass(slots=True)
class Matrix:
    """Cases, and how to build them; filled at import time so the cases can be parametrized."""

    cases: list[Case] = field(default_factory=list)
    builders: list[Builder] = field(default_factory=list)


MATRIX = Matrix()


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


def _single(case_id: str, src: Path, name: str, module: str | None, *, program: bool = False) -> None:
    """A case of one file alone in its own folder, under the file name *name*."""
    art = _safe(case_id)

    def build(root: Path) -> None:
        _copy(src, root / art / name)

    MATRIX.builders.append(build)
    MATRIX.cases.append(
        Case(id=case_id, artifact=art, member=name, module=module, counted=(name,), program=program)
    )


def _layout_files(name: str) -> Iterator[tuple[str, Path]]:
    lay = LAYOUTS[name]
    for rel in lay["files"]:
        yield rel, TESTDATA / lay["root"] / rel


def _add_fixtures() -> None:
    for path, entry in sorted(FILES.items()):
        if entry["layout"] is not None:
            continue  # layout members are loaded through their layout (below), and each alone
        py = entry["expect"]["python"]
        base = Path(path).name
        case_id = f"{'program' if path in EXECUTABLES else 'fixture'}:{path.removeprefix('elf/')}"
        _single(case_id, TESTDATA / path, base, py["module"] if py else None, program=path in EXECUTABLES)


def _add_layouts() -> None:
    for name, lay in sorted(LAYOUTS.items()):
        short = name.removeprefix("bundle/")
        entry = lay["entry"]
        art = f"layout_{short}"

        def build(root: Path, name: str = name, art: str = art) -> None:
            for rel, src in _layout_files(name):
                _copy(src, root / art / rel)

        MATRIX.builders.append(build)
        MATRIX.cases.append(Case(id=f"layout:{short}", artifact=art, member=entry))

        # The same tree as a deploy zip: abigate reads the archive, the loader the extracted copy.
        zname = f"zip_{short}.zip"

        def build_zip(root: Path, name: str = name, zname: str = zname) -> None:
            out = root / "extracted" / zname
            with zipfile.ZipFile(root / zname, "w", zipfile.ZIP_DEFLATED) as zf:
                for rel, src in _layout_files(name):
                    zf.write(src, rel)
            with zipfile.ZipFile(root / zname) as zf:
                zf.extractall(out)

        MATRIX.builders.append(build_zip)
        MATRIX.cases.append(
            Case(id=f"zip:{short}", artifact=zname, member=entry, extracted=f"extracted/{zname}")
        )

        # The extension without its bundled libraries: the missing-library case.
        MATRIX.cases.append(
            Case(id=f"missing-libs:{short}", artifact=f"nolibs_{short}", member=entry, counted=(entry,))
        )

        def build_alone(root: Path, name: str = name, short: str = short, entry: str = entry) -> None:
            _copy(TESTDATA / LAYOUTS[name]["root"] / entry, root / f"nolibs_{short}" / entry)

        MATRIX.builders.append(build_alone)

        # Each bundled library on its own (what a CDLL of it alone does: its own DT_NEEDED only).
        for rel in lay["files"]:
            if rel != entry:
                _single(
                    f"bundled-alone:{short}/{Path(rel).name}",
                    TESTDATA / lay["root"] / rel,
                    Path(rel).name,
                    None,
                )

    # One layout as a wheel too: the wheel code path (no deploy-root LD_LIBRARY_PATH, tags checked).
    wname = "bundle_wheel"
    whl = "agbundle-1.0-py3-none-linux_x86_64.whl"

    def build_wheel(root: Path) -> None:
        files: dict[str, bytes | str] = {
            rel: src.read_bytes() for rel, src in _layout_files("bundle/chain_runpath")
        }
        make_wheel(root, "agbundle", "1.0", "py3-none-linux_x86_64", files)
        with zipfile.ZipFile(root / whl) as zf:
            zf.extractall(root / "extracted" / wname)

    MATRIX.builders.append(build_wheel)
    MATRIX.cases.append(
        Case(id="wheel:chain_runpath", artifact=whl, member="pkg/_ext.so", extracted=f"extracted/{wname}")
    )


def _add_ladder() -> None:
    """The glibc version ladder side by side in one folder: per-file verdicts inside one artifact."""
    ladder = sorted(p for p in FILES if p.startswith("elf/glibc/"))

    def build(root: Path) -> None:
        for p in ladder:
            _copy(TESTDATA / p, root / "ladder" / Path(p).name)

    MATRIX.builders.append(build)
    for p in ladder:
        name = Path(p).name
        MATRIX.cases.append(Case(id=f"ladder:{name}", artifact="ladder", member=name, counted=(name,)))


def _add_renamed_modules() -> None:
    """Extension modules under other names. The source is the abi3 build (``Py_LIMITED_API`` 3.8), so
    whatever suffix the host accepts, the module inside is valid for it."""
    abi3 = TESTDATA / "elf/python/good.abi3.so"
    arch = f"{platform.machine()}-linux-gnu"
    suffixes = {
        "cp310": f".cpython-310-{arch}.so",
        "cp311": f".cpython-311-{arch}.so",
        "cp312": f".cpython-312-{arch}.so",
        "cp313": f".cpython-313-{arch}.so",
        "cp313t": f".cpython-313t-{arch}.so",
        "host": machinery.EXTENSION_SUFFIXES[0],
        "abi3": ".abi3.so",
        "bare": ".so",
        "musl": f".cpython-{sys.version_info[0]}{sys.version_info[1]}-{platform.machine()}-linux-musl.so",
        "aarch64": f".cpython-{sys.version_info[0]}{sys.version_info[1]}-aarch64-linux-gnu.so",
        "pypy": f".pypy310-pp73-{arch}.so",
        "debug": f".cpython-{sys.version_info[0]}{sys.version_info[1]}d-{arch}.so",
    }
    for label, suffix in dict(sorted(suffixes.items())).items():
        _single(f"suffix:{label}({suffix})", abi3, f"good{suffix}", "good")
    # Another module name: the file no longer carries its PyInit_ (PyInit_good inside, renamed.*).
    _single("module-renamed:renamed.abi3.so", abi3, "renamed.abi3.so", "renamed")
    # Programs named as modules: the loader refuses them before looking for PyInit_.
    host = machinery.EXTENSION_SUFFIXES[0]
    for exe in sorted(EXECUTABLES):
        stem = Path(exe).name
        _single(f"program-as-module:{stem}{host}", TESTDATA / exe, f"{stem}{host}", stem)


def _add_bad_bundled() -> None:
    """The ``rpath`` layout with its bundled library replaced by something the loader refuses before it binds
    the extension's symbols. (A replacement the loader accepts ends in ``undefined symbol: bundled_value``,
    which abigate cannot judge: profiles list version nodes, not every symbol of the system libraries and
    the interpreter that could provide it.)"""
    lay = LAYOUTS["bundle/rpath"]
    lib = next(r for r in lay["files"] if r != lay["entry"])
    replacements: dict[str, bytes | Path] = {
        # a zip tool that flattened a symlink into a text file holding the target's name (< 64 bytes)
        "symlink-stub": b"libbundled-1a2b3c4d.so.1.0\n",
        # a Git LFS pointer committed instead of the library (> 64 bytes)
        "lfs-pointer": b"version https://git-lfs.github.com/spec/v1\noid sha256:"
        + b"0" * 64
        + b"\nsize 16384\n",
        "i386": TESTDATA / "elf/arch/i386-glibc2.17.so",
        "nodlopen": TESTDATA / "elf/odd/nodlopen.so",
        "relocatable": TESTDATA / "elf/odd/relocatable.so",
        "static-tls-4096": TESTDATA / "elf/odd/static_tls_4096.so",
        "isa-unknown-bit": TESTDATA / "elf/isa/x86_64_unknown_bit.so",
        "glibc-2.41": TESTDATA / "elf/glibc/v2_41.so",
        "musl": TESTDATA / "elf/arch/x86_64-musl.so",
        "aarch64": TESTDATA / "elf/arch/aarch64-glibc2.17.so",
    }
    for label, repl in replacements.items():
        art = f"badlib_{label}"

        def build(root: Path, art: str = art, repl: bytes | Path = repl) -> None:
            for rel, src in _layout_files("bundle/rpath"):
                _copy(src, root / art / rel)
            target = root / art / lib
            if isinstance(repl, Path):
                shutil.copyfile(repl, target)
            else:
                target.write_bytes(repl)

        MATRIX.builders.append(build)
        MATRIX.cases.append(Case(id=f"bad-bundled:{label}", artifact=art, member=lay["entry"]))


_add_fixtures()
_add_layouts()
_add_ladder()
_add_renamed_modules()
_add_bad_bundled()
CASES: dict[str, Case] = {c.id: c for c in MATRIX.cases}
assert len(CASES) == len(MATRIX.cases), "duplicate case id"


#: Divergences by design: case id → (loader succeeds?, abigate code, abigate severity, why). The test
#: asserts exactly this (the loader's verdict and the finding), so an entry cannot hide another disagreement.
INHERENT: dict[str, tuple[bool, str, str, str]] = {
    # Policy: GLIBC_PRIVATE binds to one glibc build. It loads here because the fixture was built on this very
    # build; the profile cannot tell which build an artifact came from, so ABG202 rejects it everywhere.
    "fixture:odd/glibc_private.so": (True, "ABG202", "error", "GLIBC_PRIVATE is policy-rejected"),
    # A CDLL of a .dylib/.pyd fails (`invalid ELF header`), but nothing on Linux opens those names — no
    # import suffix, no DT_NEEDED of an ELF file names them — so ABG101 only warns: an unused stray file.
    "fixture:nonelf/probe.arm64.dylib": (False, "ABG101", "warning", "Linux never opens a .dylib"),
    "fixture:nonelf/probe.x86_64.dylib": (False, "ABG101", "warning", "Linux never opens a .dylib"),
    "fixture:nonelf/_mod.cp311-win_amd64.pyd": (False, "ABG101", "warning", "Linux never opens a .pyd"),
}


# --- The two verdicts --------------------------------------------------------------------------------------

_CDLL = "import ctypes, sys; ctypes.CDLL(sys.argv[1])"
_IMPORT = "import importlib, sys; sys.path.insert(0, sys.argv[1]); importlib.import_module(sys.argv[2])"


@dataclass(frozen=True, slots=True)
class LoaderVerdict:
    """What the host did with one case: the verdict that counts, and for a module also its CDLL."""

    ok: bool
    #: the last line of stderr (``OSError: …``, ``ImportError: …``), ``""`` when it loaded.
    message: str
    #: extension modules only: a plain ``ctypes.CDLL`` of the same file (shown, and checked for coherence).
    cdll: LoaderVerdict | None = None


def _run(argv: list[str]) -> LoaderVerdict:
    # A fresh interpreter per run: nothing loaded by an earlier case can satisfy a later one.
    run = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    lines = run.stderr.strip().splitlines()
    return LoaderVerdict(run.returncode == 0, lines[-1] if run.returncode and lines else "")


def _run_loader(case: Case, root: Path) -> LoaderVerdict:
    path = case.load_path(root)
    cdll = _run([sys.executable, "-I", "-c", _CDLL, str(path)])
    if case.module is None:
        return cdll
    imported = _run([sys.executable, "-I", "-c", _IMPORT, str(path.parent), case.module])
    return LoaderVerdict(imported.ok, imported.message, cdll)


@dataclass(frozen=True, slots=True)
class World:
    root: Path
    profile: Path
    loader: dict[str, LoaderVerdict] = field(repr=False)
    #: artifact (relative to root) → its findings from one ``abigate check`` run over the whole matrix.
    findings: dict[str, list[dict[str, Any]]] = field(repr=False)
    exit_status: int = 0


def _check(root: Path, profile: Path, artifacts: list[str], out: Path) -> tuple[int, dict[str, Any]]:
    argv = [
        "check",
        *(str(root / a) for a in artifacts),
        "--profile",
        str(profile),
        "--python",
        PY,
        "--format",
        "json",
        "--output",
        str(out),
        "--no-config",
    ]
    rc = main(argv)
    return rc, json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def host_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``abigate profile capture`` of this machine: the target is the host itself."""
    path = tmp_path_factory.mktemp("profile") / "host.toml"
    assert main(["profile", "capture", "-o", str(path)]) == 0
    return path


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, host_profile: Path) -> World:
    root = Path(os.path.realpath(tmp_path_factory.mktemp("matrix")))
    for build in MATRIX.builders:
        build(root)
    # The loader runs are independent subprocesses: run them side by side while abigate checks in-process.
    with ThreadPoolExecutor(max_workers=max(4, 2 * (os.cpu_count() or 1))) as pool:
        futures = {c.id: pool.submit(_run_loader, c, root) for c in MATRIX.cases}
        artifacts = sorted({c.artifact for c in MATRIX.cases})
        rc, report = _check(root, host_profile, artifacts, root.parent / "report.json")
        loader = {cid: f.result() for cid, f in futures.items()}
    by_path = {str(root / a): a for a in artifacts}
    findings = {by_path[a["path"]]: a["findings"] for a in report["artifacts"]}
    assert set(findings) == set(artifacts)
    return World(root=root, profile=host_profile, loader=loader, findings=findings, exit_status=rc)


def _counted(world: World, case: Case) -> list[dict[str, Any]]:
    """The findings that decide *case*: on the loaded file (bundles: any file) or on the artifact."""
    return [
        f
        for f in world.findings[case.artifact]
        if f["waived"] is None and (case.counted is None or f["member"] in case.counted or f["member"] == "")
    ]


# --- Causes ------------------------------------------------------------------------------------------------

#: (pattern, cause name): the key part of a loader or interpreter message, in both glibc's and abigate's
#: spelling (paths differ: glibc prints the absolute path, abigate the member path; only base names count).
_CAUSES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), name)
    for p, name in (
        (r"version `([^']+)' not found", "version"),
        (r"([^\s:]+): cannot open shared object file", "cannot-open"),
        (r"wrong ELF class: (ELFCLASS\d+)", "elf-class"),
        (r"([^\s:]+): invalid ELF header", "not-elf"),
        # glibc checks the size before the magic: a non-ELF file under 64 bytes (a symlink flattened into
        # a text file naming its target) is "file too short". abigate does not record the size of members
        # that are not native files, so ABG404 always says "invalid ELF header": same cause, other words.
        (r"([^\s:]+): file too short", "not-elf"),
        (r"(CPU ISA level is lower than required)", "isa"),
        (r"(only ET_DYN and ET_EXEC can be loaded)", "e_type"),
        (r"(cannot dynamically load (?:position-independent )?executable)", "e_type"),
        (r"(shared object cannot be dlopen\(\)ed)", "e_type"),
        (r"(cannot allocate memory in static TLS block)", "static-tls"),
        (r"(cannot enable executable stack)", "exec-stack"),
        (r"undefined symbol: ([^\s,]+)", "undefined-symbol"),
        (r"No module named '([^']+)'", "no-module"),
        (r"module export function \(([^)]+)\)", "module-init"),
        (r"(ELF file OS ABI invalid|ELF file ABI version invalid|nonzero padding in e_ident)", "ident"),
        (r"(ELF load command [a-z/ ]+ not page-aligned)", "page-align"),
    )
)


def cause(message: str | None) -> tuple[str, str] | None:
    """``("version", "GLIBC_2.38")``, ``("cannot-open", "libb.so.1")``…; ``None`` when not recognised."""
    if not message:
        return None
    for pattern, name in _CAUSES:
        m = pattern.search(message)
        if m:
            return name, os.path.basename(m.group(1))
    return None


def _names_cause(finding: dict[str, Any], real: tuple[str, str]) -> bool:
    if cause(finding["loader_message"]) == real:
        return True
    kind, key = real
    # A musl object's DT_NEEDED "libc.so" meets glibc's linker script where the libc development package is
    # installed ("…/libc.so: invalid ELF header") and nothing where it is not ("libc.so: cannot open…").
    # Profiles do not record development packages, so ABG210 names the first; either is the same cause.
    if finding["code"] == "ABG210" and real in (("cannot-open", "libc.so"), ("not-elf", "libc.so")):
        return True
    # glibc names only the first missing node; abigate lists them all in `versions`.
    if kind == "version" and key in finding["versions"]:
        return True
    return kind == "cannot-open" and finding["library"] == key


# --- Tests -------------------------------------------------------------------------------------------------


def _describe(world: World, case: Case) -> str:
    lv = world.loader[case.id]
    cdll = f"; its CDLL: {'ok' if lv.cdll.ok else lv.cdll.message}" if lv.cdll else ""
    found = [
        (f["code"], f["severity"], f["member"], f["loader_message"]) for f in world.findings[case.artifact]
    ]
    return f"loader: {'ok' if lv.ok else lv.message}{cdll}\nabigate findings: {found}"


@pytest.mark.parametrize("case_id", [c.id for c in MATRIX.cases if not c.program])
def test_abigate_predicts_the_host_loader(world: World, case_id: str) -> None:
    """The case loads on this host exactly when abigate has no error for it; if not, both name one cause."""
    case = CASES[case_id]
    lv = world.loader[case_id]
    counted = _counted(world, case)
    errors = [f for f in counted if f["severity"] == "error"]
    why = _describe(world, case)
    if case_id in INHERENT:
        loads, code, severity, _reason = INHERENT[case_id]
        assert lv.ok is loads, why
        assert any(f["code"] == code and f["severity"] == severity for f in counted), why
        assert [f for f in errors if f["code"] != code] == [], why
        return
    assert cause(lv.message) is not None or lv.ok, f"unrecognised loader message; {why}"
    if lv.ok:
        assert errors == [], f"false reject: {why}"
        return
    assert errors, f"false pass: {why}"
    real = cause(lv.message)
    assert real is not None
    assert any(_names_cause(f, real) for f in errors), f"abigate names another cause than {real}; {why}"


@pytest.mark.parametrize("case_id", [c.id for c in MATRIX.cases if c.program])
def test_programs_are_run_not_loaded(world: World, case_id: str) -> None:
    """Why programs are outside the agreement: the loader refuses to dlopen every program, by design, while
    the program itself runs fine; abigate judges what running needs and does not call it unloadable."""
    case = CASES[case_id]
    lv = world.loader[case_id]
    refusal = {"exe_pie": "position-independent executable", "exe_nonpie": "executable"}[case.member]
    assert not lv.ok and cause(lv.message) == ("e_type", f"cannot dynamically load {refusal}"), lv.message
    assert [f for f in _counted(world, case) if f["code"] == "ABG107"] == [], _describe(world, case)
    program = case.load_path(world.root)
    program.chmod(0o755)
    run = subprocess.run([str(program)], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0 and run.stdout.startswith("abigate fixture"), run.stderr


def test_the_matrix_covers_what_issue_4_asks_for(world: World) -> None:
    """Failing and passing cases of each kind exist, so agreement is not vacuous."""
    reasons = {(cause(v.message) or ("?", ""))[0] for v in world.loader.values() if not v.ok}
    assert {
        "version",
        "cannot-open",
        "elf-class",
        "not-elf",
        "isa",
        "static-tls",
        "no-module",
        "module-init",
        "e_type",
    } <= reasons
    assert sum(v.ok for v in world.loader.values()) >= 15


def test_the_import_decides_for_extension_modules(world: World) -> None:
    """A module that dlopens fine can still fail to import (a suffix the host ignores, a missing PyInit_):
    the matrix holds such cases, abigate fails them, and an import never succeeds where CDLL fails."""
    modules = [c for c in MATRIX.cases if c.module is not None]
    for case in modules:
        v = world.loader[case.id]
        assert v.cdll is not None and (v.cdll.ok or not v.ok), _describe(world, case)
    import_only = [
        c for c in modules if world.loader[c.id].cdll == LoaderVerdict(True, "") and not world.loader[c.id].ok
    ]
    causes = {cause(world.loader[c.id].message) or ("?", "") for c in import_only}
    assert {kind for kind, _ in causes} >= {"no-module", "module-init"}
    assert all(any(f["severity"] == "error" for f in _counted(world, c)) for c in import_only)


def test_exit_status_over_the_whole_matrix(world: World, tmp_path: Path) -> None:
    """1 while any case fails (the run the matrix was judged from); 0 on a folder of the cases that load."""
    assert world.exit_status == 1
    assert (
        main(
            [
                "check",
                str(world.root),
                "--profile",
                str(world.profile),
                "--python",
                PY,
                "--no-config",
                "--quiet",
            ]
        )
        == 1
    )
    passing = tmp_path / "loadable"
    chosen = set()
    for case in MATRIX.cases:
        if (
            world.loader[case.id].ok
            and case.id not in INHERENT
            and not case.artifact.endswith((".zip", ".whl"))
        ):
            chosen.add(case.artifact)
    # A folder shared by loading and refused files (the ladder) goes in only if everything in it loads.
    for case in MATRIX.cases:
        if case.artifact in chosen and (not world.loader[case.id].ok or case.id in INHERENT):
            chosen.discard(case.artifact)
    assert len(chosen) >= 10
    for art in sorted(chosen):
        shutil.copytree(world.root / art, passing / art)
    rc = main(
        ["check", str(passing), "--profile", str(world.profile), "--python", PY, "--no-config", "--quiet"]
    )
    assert rc == 0
