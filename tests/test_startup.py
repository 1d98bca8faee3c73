"""What a wheel check imports and reads: only what it uses (start-up cost, issue 10).

Timings stay in ``benchmarks/``; this pins the *modules* and *files*, which is where start-up regressions
come from: the container-image reader, ``importlib.resources``, the dataclass machinery, and the TOML files
of profiles the run did not name (the "satisfied by" hints read the generated index instead).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import make_wheel

ROOT = Path(__file__).parents[1]
ELF = ROOT / "testdata" / "elf"

#: run abigate's CLI in a fresh interpreter; print the modules it imported and the profile files it opened.
_PROBE = """
import builtins, json, sys
opened = []
real_open = builtins.open
def spy(file, *args, **kwargs):
    if str(file).endswith(".toml"):
        opened.append(str(file).rsplit("/", 1)[-1])
    return real_open(file, *args, **kwargs)
builtins.open = spy
from abigate.cli import main
code = main(sys.argv[1:])
sys.stderr.write("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules), "opened": sorted(opened)}))
"""


def _run(*args: str) -> dict[str, Any]:
    run = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=False,
                         cwd=ROOT)
    result: dict[str, Any] = json.loads(run.stderr.rsplit("\n", 1)[-1])
    return result


def _wheel(tmp_path: Path, source: str, member: str) -> Path:
    return make_wheel(tmp_path, "demo", "1.0", "cp311-cp311-manylinux_2_17_x86_64",
                      {member: (ELF / source).read_bytes()})


def test_a_wheel_check_imports_no_image_reader_resources_or_dataclasses(tmp_path: Path) -> None:
    got = _run("check", str(_wheel(tmp_path, "python/good.cpython-311-x86_64-linux-gnu.so",
                                   "good.cpython-311-x86_64-linux-gnu.so")), "-p", "debian-12", "--no-config")
    assert got["code"] == 0
    modules = set(got["modules"])
    assert {"abigate.scan", "abigate.evaluate", "abigate.reporters.check_text"} <= modules  # the real run
    unused = {"abigate.image", "importlib.resources", "dataclasses", "tempfile", "gzip",
              "packaging.metadata", "email.policy",
              "abigate.reporters.check_json", "abigate.reporters.check_github", "abigate.profiles._index"}
    assert sorted(unused & modules) == []


def test_a_failing_check_reads_only_the_profiles_it_names(tmp_path: Path) -> None:
    """The "satisfied by" hint names other built-ins from the generated index, not from their TOML files."""
    wheel = _wheel(tmp_path, "glibc/v2_34.so", "demo/libv.so")
    got = _run("check", str(wheel), "-p", "debian-11", "--no-config")
    assert got["code"] == 1
    assert "abigate.profiles._index" in got["modules"]
    assert got["opened"] == ["debian-11.toml"]


def test_profile_list_parses_no_profile() -> None:
    got = _run("profile", "list")
    assert got["code"] == 0 and got["opened"] == []
