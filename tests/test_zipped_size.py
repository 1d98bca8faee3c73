"""The zipped size of an artifact (``ArtifactFacts.zipped_size``) and the upload-limit rule ABG502 on real scans.

The fire/silent cases on built facts live in ``tests/rules/test_rule_cases.py``; here the size comes from
``scan_path`` on files written in the test, and the built-in Lambda profiles carry the documented limit.
"""

from __future__ import annotations

import os
from pathlib import Path

from conftest import DEFLATED, ELF_STUB, STORED, M, make_wheel, make_zip, write_zip

from abigate._records import replace
from abigate.evaluate import Selection, evaluate
from abigate.profile import Limits
from abigate.profiles import load_profile
from abigate.rules import Severity
from abigate.rules.testing import glibc_profile
from abigate.scan import scan_path

#: AWS Lambda's direct-upload limit, 50 MB (runtimes.md §2, A4), in bytes.
LAMBDA_ZIPPED = 52_428_800


def test_zip_and_wheel_carry_their_file_size(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "function.zip", [M("lib/x.so", ELF_STUB), M("pad.bin", b"a" * 5000)])
    facts = scan_path(path, jobs=1)
    assert facts.zipped_size == path.stat().st_size
    # Deflate shrinks the padding: the zipped size is the file's, not the members' total.
    assert facts.zipped_size < facts.total_size
    whl = make_wheel(tmp_path, "demo", "1.0", "py3-none-manylinux_2_17_x86_64", {"demo/x.so": ELF_STUB})
    assert scan_path(whl, jobs=1).zipped_size == whl.stat().st_size


def test_nested_archive_is_sized_as_its_own_bytes(tmp_path: Path) -> None:
    # Highly compressible padding: inside the outer zip the member takes far less than its own size.
    inner = make_zip([M("x.so", ELF_STUB), M("pad.bin", b"\0" * 20_000, compression=STORED)])
    for compression in (STORED, DEFLATED):
        outer = write_zip(tmp_path / f"bundle-{compression}.zip", [M("inner.zip", inner, compression=compression)])
        (child,) = scan_path(outer, jobs=1).nested
        assert child.zipped_size == len(inner)


def test_folders_and_single_files_have_no_zipped_size(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "x.so").write_bytes(ELF_STUB)
    assert scan_path(folder, jobs=1).zipped_size is None
    assert scan_path(folder / "x.so", jobs=1).zipped_size is None


def test_builtin_lambda_profiles_state_the_documented_upload_limit() -> None:
    for pid in ("aws-lambda-python3.9-x86_64", "aws-lambda-python3.12-arm64", "aws-lambda-python3.14-x86_64"):
        assert load_profile(pid).limits.max_zipped_bytes == LAMBDA_ZIPPED


def test_abg502_on_a_scanned_zip_over_and_under_the_limit(tmp_path: Path) -> None:
    # Random bytes do not compress, so the file is about as large as its content.
    path = write_zip(tmp_path / "function.zip", [M("blob.bin", os.urandom(30_000), compression=STORED)])
    facts = scan_path(path, jobs=1)
    size = facts.zipped_size
    assert size is not None and size > 30_000
    over = replace(glibc_profile("tight"), limits=Limits(max_zipped_bytes=size - 1))
    (finding,) = evaluate(facts, over, Selection(select=("ABG502",)))
    assert (finding.code, finding.slug, finding.severity) == ("ABG502", "zipped-size-limit", Severity.WARNING)
    assert finding.path == str(path) and finding.member == ""
    assert f"({size} bytes)" in finding.message and f"({size - 1} bytes)" in finding.message
    exact = replace(over, limits=Limits(max_zipped_bytes=size))
    assert evaluate(facts, exact, Selection(select=("ABG502",))) == []


def test_abg502_ignores_nested_archives_and_folders(tmp_path: Path) -> None:
    inner = make_zip([M("blob.bin", os.urandom(30_000), compression=STORED)])
    outer = write_zip(tmp_path / "bundle.zip", [M("inner.zip", inner, compression=STORED)])
    facts = scan_path(outer, jobs=1)
    # The limit sits between the nested archive's size and the outer one's: only the outer zip is uploaded.
    assert facts.zipped_size is not None and facts.nested[0].zipped_size is not None
    profile = replace(glibc_profile("tight"), limits=Limits(max_zipped_bytes=facts.zipped_size))
    assert evaluate(facts, profile, Selection(select=("ABG502",))) == []
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "blob.bin").write_bytes(os.urandom(30_000))
    tiny = replace(profile, limits=Limits(max_zipped_bytes=1))
    assert evaluate(scan_path(folder, jobs=1), tiny, Selection(select=("ABG502",))) == []
