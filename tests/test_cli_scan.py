"""``abigate scan``: exit codes, text and JSON output, the JSON schema, --output, and a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ELF_STUB, M, make_wheel, make_zip, write_zip

from abigate import facts as facts_module
from abigate import scanreport
from abigate._records import Record, fields
from abigate.cli import main
from abigate.facts import ElfFacts, VersionNeed

SCHEMA = json.loads(resources.files("abigate").joinpath("resources/scan.schema.json").read_text())


def _validate(doc: Any) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    return make_wheel(tmp_path, "demo", "1.0", "cp312-cp312-manylinux_2_17_x86_64",
                      {"demo/_x.cpython-312-x86_64-linux-gnu.so": ELF_STUB, "demo/__init__.py": ""})


def test_text_output_and_exit_0(wheel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(wheel), "--jobs", "1"]) == 0
    out, err = capsys.readouterr()
    assert err == ""  # no progress line when stderr is not a terminal
    assert out.startswith(f"{wheel}\n  read as wheel, 5 members")
    assert "filename tags: cp312-cp312-manylinux_2_17_x86_64" in out
    assert "distribution: demo==1.0 at demo-1.0.dist-info" in out
    assert "  demo/_x.cpython-312-x86_64-linux-gnu.so  [elf, 64 B]" in out
    assert "extension suffix: .cpython-312-x86_64-linux-gnu.so (cpython, 3.12, x86_64-linux-gnu)" in out
    assert out.endswith("1 artifact scanned; everything was read\n")


def test_json_output_is_valid_deterministic_and_complete(wheel: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    bundle = write_zip(tmp_path / "bundle.zip", [M(wheel.name, wheel.read_bytes()), M("l.so", link="x/../y.so")])
    assert main(["scan", str(bundle), str(wheel), "--format", "json", "--jobs", "1"]) == 0
    first = capsys.readouterr().out
    assert main(["scan", str(bundle), str(wheel), "--format", "json", "--jobs", "2"]) == 0
    assert capsys.readouterr().out == first
    doc = json.loads(first)
    _validate(doc)
    assert doc["schema"] == "abigate.scan/2"
    assert [a["path"] for a in doc["artifacts"]] == [str(bundle), str(wheel)]
    nested = doc["artifacts"][0]["nested"][0]
    assert nested["native_files"][0]["path"] == f"{bundle}!{wheel.name}!demo/_x.cpython-312-x86_64-linux-gnu.so"
    # A header with no program headers maps nothing, so the x86-64 default (executable) does not apply.
    assert nested["native_files"][0]["elf"]["exec_stack"] is False
    assert doc["artifacts"][0]["links"] == [{"member": "l.so", "path": f"{bundle}!l.so", "resolved": "y.so",
                                             "target": "x/../y.so"}]


def _dataclass_names() -> dict[str, type[Record]]:
    return {name: obj for name, obj in vars(facts_module).items()
            if isinstance(obj, type) and issubclass(obj, Record) and obj.__module__ == facts_module.__name__}


@pytest.mark.parametrize(
    ("cls", "definition"),
    [("ArtifactFacts", "artifact"), ("WheelInfo", "wheel"), ("Distribution", "distribution"),
     ("NativeFile", "native_file"), ("ElfFacts", "elf"), ("VersionNeed", "version_need"),
     ("VersionDef", "version_def"), ("LoadSegment", "load_segment"), ("GnuProperty", "gnu_property"),
     ("ExtensionSuffix", "extension"), ("MachOFacts", "macho"), ("MachOArch", "macho_arch"), ("PeFacts", "pe"),
     ("Link", "link"), ("Problem", "problem"), ("CondaInfo", "conda")],
)
def test_schema_covers_every_fact_field(cls: str, definition: str) -> None:
    names = {f.name for f in fields(_dataclass_names()[cls])}
    properties = set(SCHEMA["$defs"][definition]["properties"])
    derived = {"artifact": {"max_glibc"}, "native_file": {"role"},
               "elf": {"exec_stack", "x86_isa_needed", "x86_isa_level", "min_load_alignment", "max_glibc",
                       "static_tls"}}.get(definition, set())
    assert properties == names | derived


def test_every_fact_class_is_in_the_schema() -> None:
    assert len(_dataclass_names()) == 16  # update the parametrisation above when a fact class is added


def test_schema_accepts_a_rich_elf(wheel: Path) -> None:
    # The stub has empty tables; check the schema against filled ones as well.
    elf = ElfFacts(elf_class=64, byte_order="little", machine=62, arch="x86_64", flags=0, osabi=0, abi_version=0,
                   ident_version=1, version=1, nonzero_padding=False, type="shared", e_type=3, has_dynamic=True,
                   needed=("libc.so.6",), version_needs=(VersionNeed(library="libc.so.6", version="GLIBC_2.34",
                                                                     hash=1, weak=False, index=2,
                                                                     symbols=tuple(f"s{i}" for i in range(9))),),
                   gnu_stack_flags=6)
    nf = facts_module.NativeFile(path="a!b", member="b", size=1, kind="elf", elf=elf)
    art = facts_module.ArtifactFacts(path="a", kind="zip", native_files=(nf,))
    doc = json.loads(scanreport.render_json([art]))
    _validate(doc)
    assert doc["artifacts"][0]["max_glibc"] == "GLIBC_2.34"
    assert len(doc["artifacts"][0]["native_files"][0]["elf"]["version_needs"][0]["symbols"]) == 9
    text = scanreport.render_text([art])
    assert "        GLIBC_2.34: s0, s1, s2, s3, s4 and 4 more" in text
    assert "exec stack: no; ISA level: not declared; min PT_LOAD align: n/a; max GLIBC: GLIBC_2.34" in text


def test_unreadable_artifact_exits_1_and_is_reported(tmp_path: Path, wheel: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    assert main(["scan", str(broken), str(wheel), "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert f"problem [corrupt-archive] {broken}: not a readable zip archive" in out
    assert "2 artifacts scanned; 1 problem reading them" in out
    assert main(["scan", str(broken), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    _validate(doc)
    assert doc["artifacts"][0]["problems"][0]["kind"] == "corrupt-archive"


def test_native_file_error_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_zip(tmp_path / "t.zip", [M("short.so", ELF_STUB[:30])])
    assert main(["scan", str(path)]) == 1
    assert "    error: " in capsys.readouterr().out


def test_missing_path_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "nope.whl")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"abigate: error: {tmp_path / 'nope.whl'}: no such file or directory\n"


@pytest.mark.parametrize("args", [["scan"], ["scan", "x", "--jobs", "0"], ["scan", "x", "--format", "xml"]])
def test_bad_usage_exits_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2


def test_output_file_is_written_atomically_and_alone(wheel: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    target = out_dir / "scan.json"
    target.write_text("old")
    assert main(["scan", str(wheel), "--format", "json", "--output", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert os.listdir(out_dir) == ["scan.json"]  # no temporary file left behind
    _validate(json.loads(target.read_text()))


def test_output_into_a_missing_folder_is_a_usage_error(wheel: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(wheel), "-o", str(tmp_path / "no" / "such" / "dir.json")]) == 2
    assert "--output" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["scan"], ["check", "-p", "debian-12"]])
def test_output_naming_a_folder_is_a_usage_error_that_writes_nothing(
        wheel: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    # Fuzzing tier: the temporary file of the atomic write was made beside the folder before the rename failed.
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    assert main([*command, str(wheel), "--format", "json", "-o", str(work / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a folder" in err
    assert sorted(os.listdir(work)) == ["out"] and os.listdir(work / "out") == []


def test_real_subprocess(wheel: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ABIGATE_DEBUG"}
    proc = subprocess.run([sys.executable, "-m", "abigate", "scan", str(wheel), "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    _validate(doc)
    assert doc["artifacts"][0]["wheel"]["name"] == "demo"
    bad = tmp_path / "bad.whl"
    bad.write_bytes(make_zip([M("a", "b")])[:40])
    proc = subprocess.run([sys.executable, "-m", "abigate", "scan", str(bad)], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout


def test_has_failures_looks_into_nested_artifacts() -> None:
    problem = facts_module.Problem(path="a!b", kind="encrypted", message="m")
    inner = facts_module.ArtifactFacts(path="a!b", kind="zip", problems=(problem,))
    assert scanreport.has_failures([facts_module.ArtifactFacts(path="a", kind="zip", nested=(inner,))])
    assert not scanreport.has_failures([facts_module.ArtifactFacts(path="a", kind="zip")])


def test_typing_literal_kinds_match_the_schema() -> None:
    kinds = typing.get_args(facts_module.ArtifactKind)
    assert set(SCHEMA["$defs"]["artifact"]["properties"]["kind"]["enum"]) == set(kinds)


def test_engine_option(wheel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(wheel), "--engine", "pyelftools", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["artifacts"][0]["native_files"][0]["elf"]["arch"] == "x86_64"
    assert main(["scan", str(wheel), "--engine", "readelf"]) == 2


def test_scan_shows_each_files_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An extension, a ctypes library (named like a module; no PyInit_, no C API) and a program.
    import zipfile

    from abigate.roles import assign_roles
    from abigate.scan import scan_path

    elf_dir = Path(__file__).resolve().parent.parent / "testdata" / "elf"
    whl = tmp_path / "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    with zipfile.ZipFile(whl, "w") as zf:
        zf.write(elf_dir / "python" / "good.cpython-311-x86_64-linux-gnu.so", "good.cpython-311-x86_64-linux-gnu.so")
        zf.write(elf_dir / "bundle" / "rpath" / "pkg.libs" / "libbundled-1a2b3c4d.so.1", "demo/_raw.abi3.so")
        zf.write(elf_dir / "odd" / "exe_pie", "demo/bin/hello")
    roles = dict(assign_roles(scan_path(str(whl))))
    assert roles == {
        "good.cpython-311-x86_64-linux-gnu.so": "extension",
        "demo/_raw.abi3.so": "ctypes",
        "demo/bin/hello": "program",
    }
    assert main(["scan", "--format", "json", str(whl)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {nf["member"]: nf["role"] for nf in doc["artifacts"][0]["native_files"]} == roles
    assert main(["scan", str(whl)]) == 0
    text = capsys.readouterr().out
    assert "role: ctypes/cffi library" in text
    assert "role: program (run, not loaded)" in text


@pytest.mark.parametrize("command", [["scan", "--format", "json"], ["check", "-p", "debian-12", "-v"]])
def test_a_reader_that_goes_away_mid_report_is_status_0_and_silent(tmp_path: Path, command: list[str]) -> None:
    """Reports are written in pieces now; a closed pipe (`| head -1`) must end the run as it did when the
    report was written whole: no traceback, no message, status 0."""
    lib = (Path(__file__).parents[1] / "testdata" / "elf" / "stack").glob("*.so")
    data = next(iter(sorted(lib))).read_bytes()
    big = write_zip(tmp_path / "many.zip", [M(f"pkg/lib{i}.so", data) for i in range(2_000)])
    with subprocess.Popen([sys.executable, "-m", "abigate", *command, str(big)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # the reader goes away with most of the report unwritten (beyond a pipe's 64 KiB)
        err = proc.stderr.read()
        status = proc.wait(timeout=120)
    assert status == 0, err
    assert err == b""
