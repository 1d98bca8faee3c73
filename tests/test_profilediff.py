"""`profile diff`: golden text and JSON for a real migration, plus small hand-made cases."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from abigate.cli import main
from abigate.profilediff import diff_profiles
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
