"""`profile diff`: golden text and JSON for a real migration, plus small hand-made cases."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from abigate.cli import main
from abigate.profilediff import diff_profiles, render_diff_text
from abigate.profiles import load_profile, parse_profile_text

GOLDEN = Path(__file__).parent / "golden" / "profile"
UPDATE = os.environ.get("ABIGATE_UPDATE_GOLDEN") == "1"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("a", "b", "name"), [
    ("aws-lambda-python3.11-x86_64", "aws-lambda-python3.12-x86_64", "diff-lambda-311-312"),
    ("debian-12", "debian-13", "diff-debian-12-13"),
])
def test_diff_golden(a: str, b: str, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "diff", a, b]) == 0
    check_golden(f"{name}.txt", capsys.readouterr().out)
    assert main(["profile", "diff", a, b, "--format", "json"]) == 0
    out = capsys.readouterr().out
    check_golden(f"{name}.json", out)
    json.loads(out)


def test_diff_lists_what_breaks() -> None:
    d = diff_profiles(load_profile("aws-lambda-python3.11-x86_64"), load_profile("aws-lambda-python3.12-x86_64"))
    assert d["fields"]["libc"] == {"from": "glibc 2.26", "to": "glibc 2.34"}
    assert "libffi.so.6" in d["libraries_lost"] and "libssl.so.3" in d["libraries_gained"]
    assert d["fields"]["python"]["to"]["best_platform_tag"] == "manylinux_2_34_x86_64"
    assert "GLIBC_2.34" in d["libraries_changed"]["libc.so.6"]["nodes_gained"]


def test_diff_of_identical_and_node_loss() -> None:
    base = ('kind = "os"\narch = "x86_64"\n[libc]\nfamily = "glibc"\nversion = "2.36"\n'
            '[libraries."ld-linux-x86-64.so.2"]\nderive = "glibc"\n')
    a = parse_profile_text('id = "a"\n' + base + '[libraries."libfoo.so.1"]\nversions = ["FOO_1", "FOO_2"]\n')
    b = parse_profile_text('id = "b"\n' + base + '[libraries."libfoo.so.1"]\nversions = ["FOO_1"]\n')
    assert diff_profiles(a, a)["identical"]
    d = diff_profiles(a, b)
    assert d["libraries_changed"]["libfoo.so.1"]["nodes_lost"] == ["FOO_2"]
    assert d["libraries_changed"]["libfoo.so.1"]["max"] == {"FOO": {"from": "FOO_2", "to": "FOO_1"}}


_BASE = ('kind = "os"\narch = "x86_64"\n[libc]\nfamily = "glibc"\nversion = "2.31"\n'
         '[libraries."ld-linux-x86-64.so.2"]\nderive = "glibc"\n')


def test_a_version_one_side_does_not_record_is_unknown_not_changed() -> None:
    """A capture records no version for libm; the built-in derives 2.31. That is no downgrade to "None"."""
    a = parse_profile_text('id = "builtin"\nx86_isa_level = 1\n' + _BASE
                           + '[libraries."libm.so.6"]\nversions = ["GLIBC_2.2.5"]\nversion = "2.31"\n')
    b = parse_profile_text('id = "captured"\n' + _BASE
                           + '[libraries."libm.so.6"]\nversions = ["GLIBC_2.2.5"]\n')
    d = diff_profiles(a, b)
    assert "libm.so.6" not in d["libraries_changed"]
    assert d["library_version_unknown"] == {"to": ["libm.so.6"]} and not d["identical"]
    assert diff_profiles(b, a)["library_version_unknown"] == {"from": ["libm.so.6"]}
    text = render_diff_text(d)
    assert "None" not in text
    assert "  library version not recorded in captured (1): libm.so.6\n" in text
    assert "  x86_isa_level: 1 -> (not recorded)\n" in text


def test_diff_shows_the_other_file_names() -> None:
    """A DT_NEEDED naming libz.so.1.2.11 loads on A and not on B: the files key is part of the difference."""
    lib = '[libraries."libz.so.1"]\nversions = ["ZLIB_1.2.9"]\nfiles = [{}]\n'
    a = parse_profile_text('id = "a"\n' + _BASE + lib.format('"libz.so.1.2.11"'))
    b = parse_profile_text('id = "b"\n' + _BASE + lib.format('"libz.so.1.3.1", "libz.so"'))
    d = diff_profiles(a, b)
    assert d["libraries_changed"]["libz.so.1"] == {"files_lost": ["libz.so.1.2.11"],
                                                   "files_gained": ["libz.so", "libz.so.1.3.1"]}
    text = render_diff_text(d)
    assert "  libz.so.1: files lost libz.so.1.2.11; files gained libz.so, libz.so.1.3.1\n" in text
