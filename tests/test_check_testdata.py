"""abigate check on the real binaries of testdata/elf (built by scripts/build_testdata.py): facts read from
real files, findings as the loader behaves (loader.md). Skipped for files that are not there."""

from __future__ import annotations

from pathlib import Path

import pytest

from abigate.evaluate import Selection, evaluate
from abigate.profiles import load_profile
from abigate.scan import scan_path

ELF = Path(__file__).resolve().parents[1] / "testdata" / "elf"

CASES = [
    # path under testdata/elf, profile, rules selected, expected codes
    ("bundle/chain_rpath", "debian-12", "ABG", set()),
    ("bundle/chain_runpath", "debian-12", "ABG", {"ABG402"}),
    ("bundle/version_missing", "debian-12", "ABG", {"ABG208"}),
    ("bundle/version_ok", "debian-12", "ABG", set()),
    ("arch/aarch64-glibc2.17.so", "debian-12", "ABG", {"ABG103"}),
    ("arch/i386-glibc2.17.so", "debian-12", "ABG", {"ABG102"}),
    ("arch/x86_64-musl.so", "debian-12", "ABG", {"ABG210"}),
    ("arch/aarch64-glibc2.17.so", "debian-12-arm64", "ABG", set()),
    ("stack/execstack.so", "debian-13", "ABG1", {"ABG110"}),
    ("stack/noexecstack.so", "debian-13", "ABG1", set()),
    ("isa/x86_64_v3.so", "aws-lambda-python3.12", "ABG111", {"ABG111"}),
    ("odd/glibc_private.so", "debian-12", "ABG202", {"ABG202"}),
    ("odd/relr.so", "debian-11", "ABG203", {"ABG203"}),
    ("odd/relr.so", "debian-12", "ABG2", set()),
    ("nonelf/_probe.cpython-312-darwin.so", "debian-12", "ABG", {"ABG101"}),
    ("cxx/glibcxx_3_4_30.so", "debian-11", "ABG201", {"ABG201"}),
]


@pytest.mark.parametrize(
    ("path", "profile", "select", "expected"), CASES, ids=[f"{p}-{prof}" for p, prof, _, _ in CASES]
)
def test_real_binaries(path: str, profile: str, select: str, expected: set[str]) -> None:
    target = ELF / path
    if not target.exists():
        pytest.skip(f"{target} not built")
    # A Lambda runtime runs its own Python (--python may not replace it); the others are given 3.11.
    python = None if profile.startswith("aws-lambda-") else "3.11"
    findings = evaluate(
        scan_path(target, jobs=1), load_profile(profile, python=python), Selection(select=(select,))
    )
    assert {f.code for f in findings if f.severity.value == "error"} == expected, [
        (f.code, f.message) for f in findings
    ]
