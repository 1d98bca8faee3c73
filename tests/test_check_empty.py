"""Nothing to check is a usage error; something without native files passes, and says so (issue 7, item 5).

A gate pointed at the wrong path (an empty build folder, a pattern that matched nothing, an empty zip) must
not be green. An artifact with files but no ELF/Mach-O/PE file passes — there is nothing to load — with a
note in the text report and ``native_files`` in the JSON document.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from abigate.cli import main
from conftest import M, write_zip

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "src/abigate/resources/check.schema.json").read_text(encoding="utf-8"))
EXAMPLE = str(ROOT / "examples" / "lambda-demo" / "function")
PROFILE = ("-p", "debian-12", "--no-config")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def _assert_nothing_to_check(rc: int, out: str, err: str, path: Path | str) -> None:
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1, err
    assert err.startswith(f"abigate: error: {path}: nothing to check"), err


# -- nothing at all: exit 2 ----------------------------------------------------------------------------------


def test_an_empty_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "build"
    empty.mkdir()
    rc, out, err = run(capsys, "check", str(empty), *PROFILE)
    _assert_nothing_to_check(rc, out, err, empty)
    assert "no files" in err


def test_a_folder_of_empty_folders_is_a_usage_error(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out" / "python" / "lib").mkdir(parents=True)
    (tmp_path / "out" / "bin").mkdir()
    rc, out, err = run(capsys, "check", str(tmp_path / "out"), *PROFILE)
    _assert_nothing_to_check(rc, out, err, tmp_path / "out")
    assert "only empty folders" in err


def test_an_empty_zip_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = write_zip(tmp_path / "function.zip", [])
    rc, out, err = run(capsys, "check", str(empty), *PROFILE)
    _assert_nothing_to_check(rc, out, err, empty)
    # a zip holding only folder entries holds no files either
    dirs = write_zip(tmp_path / "dirs.zip", [M("python/", directory=True), M("python/lib/", directory=True)])
    rc, out, err = run(capsys, "check", str(dirs), *PROFILE)
    _assert_nothing_to_check(rc, out, err, dirs)


def test_one_empty_path_among_several_fails_the_run(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    rc, out, err = run(capsys, "check", EXAMPLE, str(tmp_path / "empty"), *PROFILE, "--python", "3.11")
    _assert_nothing_to_check(rc, out, err, tmp_path / "empty")


def test_a_pattern_that_matched_nothing_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The shell passes an unmatched pattern through as written.
    pattern = str(tmp_path / "dist" / "*.whl")
    rc, out, err = run(capsys, "check", pattern, *PROFILE)
    assert (rc, out) == (2, "")
    assert err == (f"abigate: error: {pattern}: no such file or directory; "
                   "the pattern matched nothing to check\n")


# -- a file is not nothing -----------------------------------------------------------------------------------


def test_a_zero_byte_zip_is_an_unreadable_archive_not_nothing(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    zero = tmp_path / "function.zip"
    zero.write_bytes(b"")
    rc, out, _ = run(capsys, "check", str(zero), *PROFILE, "--format", "json")
    assert rc == 1
    (art,) = json.loads(out)["artifacts"]
    assert [f["code"] for f in art["findings"]] == ["ABG001"]


def test_files_without_native_files_pass_with_a_note(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "function"
    (src / "app").mkdir(parents=True)
    (src / "app" / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    (src / "empty.bin").write_bytes(b"")  # a 0-byte file is a file: read, and not native
    rc, out, err = run(capsys, "check", str(src), *PROFILE)
    assert (rc, err) == (0, "")
    assert f"note: {src}: no native files: nothing to load" in out.splitlines()
    rc, out, _ = run(capsys, "check", str(src), *PROFILE, "--format", "json")
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert rc == 0 and doc["artifacts"][0]["native_files"] == 0
    assert f"{src}: no native files: nothing to load" in doc["notes"]


def test_native_files_are_counted_nested_archives_included(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    so = (ROOT / "testdata" / "elf" / "python" / "good.cpython-311-x86_64-linux-gnu.so").read_bytes()
    inner = write_zip(tmp_path / "inner.zip", [M("b.so", so)]).read_bytes()
    outer = write_zip(tmp_path / "outer.zip", [M("a.so", so), M("layer.zip", inner), M("README", "x")])
    rc, out, _ = run(capsys, "check", str(outer), EXAMPLE, *PROFILE, "--python", "3.11", "--format", "json")
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert [a["native_files"] for a in doc["artifacts"]] == [2, 1]
    assert not any("no native files" in n for n in doc["notes"])
    rc, out, _ = run(capsys, "check", str(outer), *PROFILE, "--python", "3.11")
    assert "no native files" not in out
