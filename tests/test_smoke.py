"""Post-deploy smoke test against the host's real loader, the way a pipeline runs it (issue 9, part 6).

A deploy zip holds a good extension module, an extension needing a library nobody ships, a library needing
GLIBC_2.41, a library that loads, and a program. ``abigate smoke`` writes the script; the zip is unpacked
into a fresh folder (the "target"); the script runs there with the host's ``python3`` and, when pyenv has
one, CPython 3.8, each printing its JSON report; ``abigate smoke --compare`` then sets each report against
abigate's prediction for a profile captured from this host: no file may disagree. Against profiles that do
not describe this host (a newer glibc, musl) the comparison must find the disagreements.

Nothing here is a recorded answer: what loads is what the host's loader says at test time, and the checks
that depend on the host's glibc read its version.
"""

from __future__ import annotations

import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from abigate.facts import ExtensionSuffix, NativeFile
from abigate.smoke import import_target

ROOT = Path(__file__).resolve().parents[1]
ELF = ROOT / "testdata" / "elf"
SCHEMA = json.loads((ROOT / "src" / "abigate" / "resources" / "smoke.schema.json")
                    .read_text(encoding="utf-8"))


def _host_glibc() -> tuple[int, ...] | None:
    text = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else None
    if not text or not text.startswith("glibc "):
        return None
    return tuple(int(p) for p in text.split()[1].split(".")[:2])


GLIBC = _host_glibc()
HOST_OK = sys.platform == "linux" and platform.machine() == "x86_64" and GLIBC is not None
needs_host = pytest.mark.skipif(not HOST_OK, reason="the fixtures are x86-64 glibc Linux binaries")
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to build the extensions")


def abigate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "abigate", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)


def gcc(out: Path, source: str, *extra: str) -> None:
    src = out.with_suffix(".c")
    src.write_text(source, encoding="utf-8")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(out), str(src), *extra], check=True, timeout=120,
                   capture_output=True)


def interpreters() -> list[str]:
    """The host's python3, and pyenv's CPython 3.8 when there is one."""
    found = [p for p in (shutil.which("python3"),) if p]
    found += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.8*/bin/python")))[:1]
    return found


@pytest.fixture(scope="module")
def host_toml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``abigate profile capture`` of this machine: the target is the host itself."""
    work = tmp_path_factory.mktemp("host")
    run = abigate("profile", "capture", "-o", "host.toml", cwd=work)
    assert run.returncode == 0, run.stderr
    return work / "host.toml"


@pytest.fixture(scope="module")
def deploy(tmp_path_factory: pytest.TempPathFactory, host_toml: Path) -> Path:
    """``app.zip`` (the artifact), ``smoke.py`` (generated from it) and ``host.toml`` (this machine)."""
    work = tmp_path_factory.mktemp("smoke")
    build = work / "build"
    app = work / "app"
    for folder in (build, app / "pkg", app / "lib"):
        folder.mkdir(parents=True)
    # An extension module whose one DT_NEEDED library is not shipped: linked against a stub left behind.
    gcc(build / "libabigatemissing.so.1", "int abigate_missing_fn(void) { return 0; }\n",
        "-Wl,-soname,libabigatemissing.so.1")
    gcc(app / "pkg" / "missingdep.abi3.so",
        "extern int abigate_missing_fn(void);\n"
        "void *PyInit_missingdep(void) { return (void *)(long)abigate_missing_fn(); }\n",
        f"-L{build}", "-l:libabigatemissing.so.1")
    (app / "pkg" / "missingdep.abi3.c").unlink()
    (app / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    shutil.copy(ELF / "python" / "good.abi3.so", app / "good.abi3.so")
    shutil.copy(ELF / "glibc" / "v2_41.so", app / "lib" / "libnew.so")
    shutil.copy(ELF / "glibc" / "v2_17.so", app / "lib" / "libold.so")
    shutil.copy(ELF / "odd" / "exe_pie", app / "tool")
    with zipfile.ZipFile(work / "app.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(app.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(app).as_posix())
    run = abigate("smoke", "app.zip", "-o", "smoke.py", cwd=work)
    assert run.returncode == 0, run.stderr
    assert "loads 4 files of app.zip (1 skipped)" in run.stderr
    shutil.copy(host_toml, work / "host.toml")
    return work


def run_on_target(deploy: Path, python: str, name: str) -> tuple[int, dict[str, Any], Path]:
    """Unpack the zip into a fresh folder with the script beside it and run ``python smoke.py`` there."""
    target = deploy / f"target-{name}"
    with zipfile.ZipFile(deploy / "app.zip") as zf:
        zf.extractall(target)
    shutil.copy(deploy / "smoke.py", target / "smoke.py")
    report = deploy / f"report-{name}.json"
    # -I -S: no site-packages, no PYTHON* variables: the script needs nothing but the standard library.
    run = subprocess.run([python, "-I", "-S", "smoke.py", "-o", str(report)], cwd=target, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.stderr == ""
    doc = json.loads(report.read_text(encoding="utf-8"))
    jsonschema.validate(doc, SCHEMA)
    return run.returncode, doc, report


@needs_host
@needs_gcc
@pytest.mark.loader
@pytest.mark.parametrize("python", interpreters())
def test_script_loads_like_the_runtime_and_agrees_with_abigate(deploy: Path, python: str) -> None:
    name = f"py{len(python)}-{abs(hash(python)) % 10000}"
    rc, doc, report = run_on_target(deploy, python, name)
    assert doc["schema"] == "abigate.smoke/1"
    assert doc["artifact"]["name"] == "app.zip"
    results = {r["path"]: r for r in doc["results"]}
    assert sorted(results) == ["good.abi3.so", "lib/libnew.so", "lib/libold.so", "pkg/missingdep.abi3.so"]
    assert doc["skipped"] == [{"path": "tool", "kind": "program", "why": "a program is run, not loaded"}]
    assert results["pkg/missingdep.abi3.so"]["module"] == "pkg.missingdep"
    assert not results["pkg/missingdep.abi3.so"]["ok"]
    missing = results["pkg/missingdep.abi3.so"]["error"]
    assert "libabigatemissing.so.1: cannot open shared object file" in missing
    assert results["lib/libold.so"]["ok"]
    assert GLIBC is not None
    if GLIBC < (2, 41):
        assert not results["lib/libnew.so"]["ok"]
        assert "version `GLIBC_2.41' not found" in results["lib/libnew.so"]["error"]
    assert rc == 1 and doc["verdict"] == "fail"
    # the loop: abigate's prediction for this host against what the host's loader did
    run = abigate("smoke", "--compare", str(report), "app.zip", "-p", "host.toml", cwd=deploy)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1].endswith(": 4 agree, 0 false passes, 0 false rejects")


@needs_host
@needs_gcc
@pytest.mark.loader
def test_compare_finds_false_passes_and_false_rejects(deploy: Path) -> None:
    _, _, report = run_on_target(deploy, sys.executable, "compare")
    # musl: every glibc file is predicted to fail, but the glibc files that loaded here did load
    run = abigate("smoke", "--compare", str(report), "app.zip", "-p", "alpine-3.20", cwd=deploy)
    assert run.returncode == 1
    assert ("false reject: lib/libold.so (ctypes): loaded on the target; abigate predicted: ABG210"
            in run.stdout)
    assert GLIBC is not None
    if GLIBC < (2, 41):
        # glibc 2.41 predicts that libnew.so loads; this host's loader refused it
        run = abigate("smoke", "--compare", str(report), "app.zip", "-p", "debian-13", cwd=deploy)
        assert run.returncode == 1
        lines = run.stdout.splitlines()
        assert lines[0].startswith("false pass: lib/libnew.so (ctypes): abigate predicted it loads; "
                                   "the target said: OSError: ")
        assert lines[-1].endswith("3 agree, 1 false pass, 0 false rejects")


LAYOUTS = json.loads((ROOT / "testdata" / "MANIFEST.json").read_text(encoding="utf-8"))["layouts"]


@needs_host
@pytest.mark.loader
@pytest.mark.parametrize("layout", ["bundle/chain_rpath", "bundle/chain_runpath", "bundle/version_missing"])
def test_bundled_libraries_load_through_the_file_that_needs_them(tmp_path: Path, host_toml: Path,
                                                                 layout: str) -> None:
    """``chain_rpath``: ``pkg/_ext.so`` (DT_RPATH) → ``liba`` → ``libb``. liba alone cannot find libb (only
    the RPATH of its loader reaches it), yet it loads in use: the script loads it through ``_ext.so``. With
    ``chain_runpath`` the same load fails (RUNPATH is not inherited), and abigate predicts both."""
    lay = LAYOUTS[layout]
    app = tmp_path / "app"
    for rel in lay["files"]:
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "testdata" / lay["root"] / rel, app / rel)
    assert abigate("smoke", "app", "-o", "smoke.py", cwd=tmp_path).returncode == 0
    run = subprocess.run([sys.executable, "-I", "smoke.py", "app", "-o", "report.json"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300, check=False)
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, SCHEMA)
    results = {r["path"]: r for r in doc["results"]}
    entry = results[lay["entry"]]
    assert entry["ok"] is lay["entry_loads_on_host"]
    assert run.returncode == (0 if lay["entry_loads_on_host"] else 1)
    if layout == "bundle/chain_rpath":
        liba = results["pkg.libs/liba-5e6f7a8b.so.1"]
        assert (liba["ok"], liba["via"]) == (True, "pkg/_ext.so")
    compared = abigate("smoke", "--compare", "report.json", "app", "-p", str(host_toml), cwd=tmp_path)
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert " 0 false passes, 0 false rejects" in compared.stdout


@needs_host
@needs_gcc
@pytest.mark.loader
def test_python_failures_after_the_load_are_told_apart(tmp_path: Path, host_toml: Path) -> None:
    """A package whose ``__init__.py`` fails (a missing pure-Python dependency) and a module whose init
    function fails: the loader loaded both, so they are no false pass, but the target still fails."""
    app = tmp_path / "app"
    (app / "pkgfail").mkdir(parents=True)
    (app / "pkgfail" / "__init__.py").write_text('raise ImportError("needs dateutil")\n', encoding="utf-8")
    shutil.copy(ELF / "python" / "good.abi3.so", app / "pkgfail" / "good.abi3.so")
    gcc(app / "initfail.abi3.so", "void *PyInit_initfail(void) { return 0; }\n")
    (app / "initfail.abi3.c").unlink()
    assert abigate("smoke", "app", "-o", "smoke.py", cwd=tmp_path).returncode == 0
    run = subprocess.run([sys.executable, "-I", "smoke.py", "app", "-o", "report.json"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 1
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, SCHEMA)
    results = {r["path"]: r for r in doc["results"]}
    assert (results["pkgfail/good.abi3.so"]["stage"], results["pkgfail/good.abi3.so"]["error"]) == (
        "package", "ImportError: needs dateutil")
    assert results["initfail.abi3.so"]["stage"] == "init"
    failed_init = results["initfail.abi3.so"]["error"]
    assert "initialization of initfail failed without raising an exception" in failed_init
    compared = abigate("smoke", "--compare", "report.json", "app", "-p", str(host_toml), cwd=tmp_path)
    assert compared.returncode == 0, compared.stdout
    lines = compared.stdout.splitlines()
    assert lines[0].startswith("python error: initfail.abi3.so (extension): loaded as predicted, then "
                               "its module")
    assert lines[-1].endswith("2 agree, 0 false passes, 0 false rejects "
                              "(2 loaded but failed in Python code: not a loading problem)")


@needs_host
@needs_gcc
@pytest.mark.loader
def test_a_crash_or_a_missing_file_does_not_hide_the_rest(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    gcc(app / "libcrash.so", "#include <signal.h>\n"
        "__attribute__((constructor)) static void boom(void) { raise(SIGSEGV); }\n")
    (app / "libcrash.c").unlink()
    shutil.copy(ELF / "glibc" / "v2_17.so", app / "libfine.so")
    shutil.copy(ELF / "glibc" / "v2_17.so", app / "libgone.so")
    assert abigate("smoke", "app", "-o", "smoke.py", cwd=tmp_path).returncode == 0
    (app / "libgone.so").unlink()  # deployed without it
    run = subprocess.run([sys.executable, "-I", "smoke.py", str(app)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, check=False)
    assert run.returncode == 1
    doc = json.loads(run.stdout)
    jsonschema.validate(doc, SCHEMA)
    results = {r["path"]: r for r in doc["results"]}
    assert results["libcrash.so"]["error"] == "the loading process was killed by SIGSEGV"
    assert results["libfine.so"]["ok"]
    assert results["libgone.so"]["error"].startswith("not found: ")


def test_script_refuses_a_root_that_is_no_folder_and_is_stdlib_only(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    shutil.copy(ELF / "glibc" / "v2_17.so", tmp_path / "app" / "libfine.so")
    assert abigate("smoke", "app", "-o", "smoke.py", cwd=tmp_path).returncode == 0
    script = (tmp_path / "smoke.py").read_text(encoding="utf-8")
    assert script.isascii() and "abigate" not in [
        line.split()[1] for line in script.splitlines() if line.startswith(("import ", "from "))]
    run = subprocess.run([sys.executable, "-I", "smoke.py", "nowhere"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, check=False)
    assert run.returncode == 2 and run.stdout == "" and "is not a folder" in run.stderr
    # without -o the script goes to standard output, ready to redirect
    assert abigate("smoke", "app", cwd=tmp_path).stdout == script


def test_compare_refuses_a_report_of_another_artifact_and_a_malformed_one(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    shutil.copy(ELF / "glibc" / "v2_17.so", tmp_path / "a" / "lib.so")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as zf:
        zf.write(tmp_path / "a" / "lib.so", "lib.so")
    other = {"schema": "abigate.smoke/1", "artifact": {"name": "b.zip", "sha256": "0" * 64, "kind": "zip"},
             "python": {"version": "3.11.7"}, "results": []}
    (tmp_path / "other.json").write_text(json.dumps(other), encoding="utf-8")
    run = abigate("smoke", "--compare", "other.json", "a.zip", "-p", "debian-12", cwd=tmp_path)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "the report is about b.zip" in run.stderr
    (tmp_path / "bad.json").write_text('{"schema": "abigate.check/2"}', encoding="utf-8")
    run = abigate("smoke", "--compare", "bad.json", "a.zip", "-p", "debian-12", cwd=tmp_path)
    assert run.returncode == 2 and "not an abigate smoke report" in run.stderr
    run = abigate("smoke", "--compare", "other.json", "a.zip", cwd=tmp_path)
    assert run.returncode == 2 and "--compare needs --profile" in run.stderr


def _ext(member: str) -> NativeFile:
    base = member.rsplit("/", 1)[-1]
    module, _, rest = base.partition(".")
    return NativeFile(path=f"x.zip!{member}", member=member, size=0, kind="elf",
                      extension=ExtensionSuffix(module=module, suffix="." + rest, kind="abi3"))


@pytest.mark.parametrize("member, members, expected", [
    ("pkg/sub/_x.abi3.so", (), ("", "pkg.sub._x")),
    ("apsw/__init__.abi3.so", (), ("", "apsw")),
    # an AWS Lambda layer: /opt/python and /opt/python/lib/python3.X/site-packages are on sys.path
    ("python/numpy/_core/_m.abi3.so", (), ("python", "numpy._core._m")),
    ("python/lib/python3.12/site-packages/pkg/_x.abi3.so", (),
     ("python/lib/python3.12/site-packages", "pkg._x")),
    # the site-packages of a container image (the last one in the path: a virtualenv's)
    ("usr/lib/python3/dist-packages/numpy/_core/_m.abi3.so", (),
     ("usr/lib/python3/dist-packages", "numpy._core._m")),
    ("opt/venv/lib/python3.12/site-packages/pkg/_x.abi3.so", (),
     ("opt/venv/lib/python3.12/site-packages", "pkg._x")),
    # a real top-level package named python
    ("python/_x.abi3.so", ("python/__init__.py",), ("", "python._x")),
    # a wheel's data folder is installed into site-packages
    ("demo-1.0.data/platlib/demo_ext.abi3.so", (), ("demo-1.0.data/platlib", "demo_ext")),
    # not a dotted name from the root: by its bare name from its own folder
    ("lib-dynload/_x.abi3.so", (), ("lib-dynload", "_x")),
])
def test_import_target(member: str, members: tuple[str, ...], expected: tuple[str, str]) -> None:
    assert import_target(_ext(member), frozenset(members)) == expected
