"""``-o FILE``: the report is written atomically with the mode the shell's ``>`` would give it (issue 12)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ELF_STUB

from abigate.cli import main
from abigate.commands.scan import write_atomically


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process umask after a test that sets its own."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_new_report_gets_the_umask_mode(tmp_path: Path, umask: None, mask: int, expected: int) -> None:
    os.umask(mask)
    target = tmp_path / "report.txt"
    write_atomically(str(target), "hello\n")
    assert target.read_text() == "hello\n"
    assert _mode(target) == expected
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]  # no temporary file left


def test_replaced_report_keeps_its_mode(tmp_path: Path, umask: None) -> None:
    os.umask(0o022)
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o640)
    write_atomically(str(target), "new")
    assert (target.read_text(), _mode(target)) == ("new", 0o640)


@pytest.mark.parametrize("command", ["scan", "check"])
def test_cli_output_option_uses_the_umask(tmp_path: Path, umask: None, command: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    os.umask(0o022)
    lib = tmp_path / "lib.so"
    lib.write_bytes(ELF_STUB)
    out = tmp_path / "out" / "report.txt"
    out.parent.mkdir()
    args = [command, str(lib), "-o", str(out), "--jobs", "1"]
    if command == "check":
        args += ["-p", "debian-12", "--no-config"]
    assert main(args) in (0, 1)
    assert out.read_text()
    assert _mode(out) == 0o644
    assert capsys.readouterr().out == ""


def test_interrupted_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.txt"
    target.write_text("previous")

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(str(target), "new")
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
    assert target.read_text() == "previous"
