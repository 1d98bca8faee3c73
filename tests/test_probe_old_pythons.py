"""The probe script under every Python a target may hold, run exactly as its docstring tells users to run it.

The probe is copied to machines abigate never sees; their Python may be 2.7 (CentOS 7) or 3.6 (RHEL 8's
platform python). Those users must read one line saying which Python is needed, not a usage error from the
interpreter or a SyntaxError. The interpreters come from pyenv (``$PYENV_ROOT`` or ``~/.pyenv``); a version
that is not installed is skipped.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from abigate.cli import main

PROBE = Path(__file__).parents[1] / "src" / "abigate" / "resources" / "probe.py"
PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
OLD = ["2.7", "3.6", "3.7"]
SUPPORTED = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]


def _interpreter(version: str) -> Path:
    """The newest pyenv CPython *version*.x, or skip."""
    found = sorted(PYENV.glob(f"{version}.*/bin/python"), key=lambda p: [int(x) for x in
                                                                            re.findall(r"\d+", p.parts[-3])])
    if not found:
        pytest.skip(f"pyenv has no Python {version}")
    return found[-1]


def _documented_flags() -> list[str]:
    """The interpreter options of the command line the probe's docstring prints for users."""
    line = next(ln for ln in PROBE.read_text(encoding="ascii").splitlines() if "probe.py > target.toml" in ln)
    words = shlex.split(line.split("#", 1)[0])
    assert words[0] == "python3" and words[-3:] == ["probe.py", ">", "target.toml"], line
    return words[1:-3]


def _run(python: Path, script: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run([str(python), *_documented_flags(), str(script), *args], capture_output=True,
                          text=True, check=False, cwd=cwd, env=env, timeout=120)


@pytest.mark.parametrize("version", OLD)
def test_an_old_python_gets_one_line_naming_the_version_needed(version: str, tmp_path: Path) -> None:
    run = _run(_interpreter(version), PROBE, tmp_path)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith("probe: needs Python 3.8 or newer; this is Python " + version), run.stderr


@pytest.mark.parametrize("version", SUPPORTED)
def test_every_supported_python_runs_the_probe(version: str, tmp_path: Path) -> None:
    """--help goes through every import and the version check, so the whole file compiled and loaded."""
    run = _run(_interpreter(version), PROBE, tmp_path, "--help")
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "abigate profile probe" in run.stdout


def test_capture_with_an_old_python_reports_the_version_needed(capsys: pytest.CaptureFixture[str]) -> None:
    python = _interpreter("2.7")
    assert main(["profile", "capture", "--python", str(python)]) == 2
    err = capsys.readouterr().err
    assert "needs Python 3.8 or newer" in err and err.count("\n") == 1, err


def test_the_probe_is_ascii_and_checks_the_version_first() -> None:
    """What lets Python 2.7 reach the check: no non-ASCII byte, and nothing but ``import sys`` before it."""
    raw = PROBE.read_bytes()
    raw.decode("ascii")
    code = [ln for ln in raw.decode().splitlines() if ln and not ln.startswith("#")]
    start = next(i for i, ln in enumerate(code) if ln.startswith("import "))
    assert code[start:start + 2] == ["import sys", "if sys.version_info < (3, 8):"]


def test_a_module_next_to_the_copied_probe_does_not_shadow_the_stdlib(tmp_path: Path) -> None:
    """Without -I the script's directory leads sys.path; the probe drops it before its other imports."""
    script = tmp_path / "probe.py"
    script.write_bytes(PROBE.read_bytes())
    (tmp_path / "json.py").write_text("raise SystemExit('json.py next to the probe was imported')\n")
    run = _run(Path(sys.executable), script, tmp_path, "--help")
    assert run.returncode == 0, run.stderr


def _system_pythons() -> list[Path]:
    return sorted(p for p in Path("/usr/bin").glob("python3.*") if re.fullmatch(r"python3\.\d+", p.name))


@pytest.mark.parametrize("python", [*_system_pythons(), *(PYENV.glob("3.1[0-3].*/bin/python"))],
                         ids=lambda p: str(p))
def test_shared_libpython_is_what_the_interpreter_links(python: Path, tmp_path: Path) -> None:
    """Debian's /usr/bin/python3.X says Py_ENABLE_SHARED = 1 (it ships libpython3.X.so for embedding) but is
    linked statically; a pyenv build with --enable-shared links libpython. The probe must tell them apart."""
    readelf = shutil.which("readelf")
    if readelf is None or not sys.platform.startswith("linux"):
        pytest.skip("needs Linux and readelf")
    dynamic = subprocess.run([readelf, "-d", str(python.resolve())], capture_output=True, text=True, check=True)
    linked = "[libpython" in dynamic.stdout
    code = ("import runpy, sys; m = runpy.run_path(sys.argv[1], run_name='probe'); "
            "print(m['python_info']()['shared_libpython'])")
    run = subprocess.run([str(python), "-E", "-s", "-c", code, str(PROBE)], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    assert run.stdout.strip() == str(linked)
