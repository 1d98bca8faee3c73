"""Text reports are handed to their sink a few thousand lines at a time, never built whole.

Fuzzing tier (issue 11): ``scan -v`` of a zip holding 20,000 copies of one library built its 90 MB text in
one string on top of every file's facts (197 MiB, goal 150 MB). The pieces must join to exactly the text
the whole-string renderer gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import M, write_zip

from abigate import scanreport
from abigate.cli import main
from abigate.evaluate import check
from abigate.profiles import load_profile
from abigate.reporters import check_text
from abigate.scan import scan_path

TESTDATA = Path(__file__).resolve().parent.parent / "testdata" / "elf"
LIB = (TESTDATA / "glibc" / "v2_34.so").read_bytes()


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    return write_zip(folder / "many.zip", [M(f"lib/libm{i}.so", LIB) for i in range(1500)])


def _pieces(write: object) -> list[str]:
    pieces: list[str] = []
    write(pieces.append)  # type: ignore[operator]
    return pieces


@pytest.mark.parametrize("verbosity", ["normal", "verbose", "quiet"])
def test_scan_text_is_written_in_pieces_equal_to_the_whole(many: Path, verbosity: scanreport.Verbosity) -> None:
    facts = [scan_path(many), scan_path(TESTDATA / "bundle")]
    pieces = _pieces(lambda sink: scanreport.write_text(facts, sink, verbosity=verbosity))
    whole = scanreport.render_text(facts, verbosity=verbosity)
    assert "".join(pieces) == whole
    if verbosity != "quiet":
        # 1,500 files of ~11 lines: several pieces, none near the whole report.
        assert len(pieces) > 1
        assert max(map(len, pieces)) < len(whole) // 2


def test_scan_text_keeps_blank_lines_between_artifacts_and_before_the_summary(tmp_path: Path) -> None:
    one = write_zip(tmp_path / "one.zip", [M("a.so", LIB)])
    text = scanreport.render_text([scan_path(one), scan_path(one)])
    assert text.startswith(f"{one}\n")
    assert text.count(f"\n\n{one}\n") == 1
    assert text.endswith("max GLIBC: GLIBC_2.34\n\n2 artifacts scanned; everything was read\n")


def test_cli_scan_verbose_prints_the_same_text(many: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "-v", "--jobs", "1", str(many)]) == 0
    assert capsys.readouterr().out == scanreport.render_text([scan_path(many)], verbosity="verbose")


def test_check_text_is_written_in_pieces_equal_to_the_whole(many: Path) -> None:
    report = check([scan_path(many)], [load_profile("debian-11")])
    assert len(report.artifacts[0].findings) >= 1500  # each copy needs GLIBC_2.34, which Debian 11 lacks
    pieces = _pieces(lambda sink: check_text.write_text(report, sink, verbosity="verbose"))
    whole = check_text.render_text(report, verbosity="verbose")
    assert "".join(pieces) == whole
    assert len(pieces) > 1
