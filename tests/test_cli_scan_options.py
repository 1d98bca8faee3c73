"""``abigate scan -q/-v/--color`` (as ``check`` has them) and the examples in every ``--help`` (issue 12)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pytest
from conftest import ELF_STUB, M, make_wheel, write_zip

from abigate import scanreport
from abigate.cli import cli, main
from abigate.facts import ArtifactFacts, ElfFacts, NativeFile, VersionNeed
from abigate.scan import scan_paths

ESC = "\x1b["


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    return make_wheel(tmp_path, "demo", "1.0", "cp312-cp312-manylinux_2_17_x86_64",
                      {"demo/_x.cpython-312-x86_64-linux-gnu.so": ELF_STUB, "demo/__init__.py": ""})


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return write_zip(tmp_path / "t.zip", [M("short.so", ELF_STUB[:30]), M("ok.so", ELF_STUB)])


def _rich() -> ArtifactFacts:
    need = VersionNeed(library="libc.so.6", version="GLIBC_2.34", hash=1, weak=False, index=2,
                       symbols=tuple(f"s{i}" for i in range(9)))
    elf = ElfFacts(elf_class=64, byte_order="little", machine=62, arch="x86_64", flags=0, osabi=0,
                   abi_version=0, ident_version=1, version=1, nonzero_padding=False, type="shared", e_type=3,
                   has_dynamic=True, needed=("libc.so.6",), version_needs=(need,),
                   unversioned_imports=("u1", "u2"), gnu_stack_flags=6)
    native = NativeFile(path="a!b", member="b", size=1, kind="elf", elf=elf)
    return ArtifactFacts(path="a", kind="zip", native_files=(native,))


def test_quiet_shows_only_what_could_not_be_read(wheel: Path, broken: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(wheel), str(broken), "-q", "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == str(broken)
    assert lines[1].startswith("  short.so: error: ")
    assert str(wheel) not in out and "ok.so" not in out and "read as" not in out
    assert lines[-1] == "2 artifacts scanned; 1 problem reading them"


def test_quiet_when_everything_was_read_prints_the_summary_only(wheel: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(wheel), "--quiet", "--jobs", "1"]) == 0
    assert capsys.readouterr().out == "1 artifact scanned; everything was read\n"


def test_verbose_names_every_symbol() -> None:
    normal = scanreport.render_text([_rich()])
    verbose = scanreport.render_text([_rich()], verbosity="verbose")
    assert "GLIBC_2.34: s0, s1, s2, s3, s4 and 4 more" in normal
    assert "unversioned imports: 2" in normal
    assert "GLIBC_2.34: s0, s1, s2, s3, s4, s5, s6, s7, s8\n" in verbose
    assert "unversioned imports: u1, u2" in verbose


def test_verbose_option(wheel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(wheel), "-v", "--jobs", "1"]) == 0
    assert capsys.readouterr().out.endswith("everything was read\n")


def test_quiet_and_verbose_conflict(wheel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(wheel), "-q", "-v"]) == 2
    assert "--quiet and --verbose cannot be used together" in capsys.readouterr().err


def test_color_always_never_auto(wheel: Path, broken: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(broken), "--color", "always", "--jobs", "1"]) == 1
    coloured = capsys.readouterr().out
    assert ESC in coloured
    assert click.unstyle(coloured) == scanreport.render_text(scan_paths([str(broken)], jobs=1))
    assert main(["scan", str(broken), "--color", "never", "--jobs", "1"]) == 1
    assert ESC not in capsys.readouterr().out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["scan", str(broken), "--jobs", "1"]) == 1
    assert ESC not in capsys.readouterr().out


def test_color_auto_is_off_in_a_file_and_json_is_never_coloured(
        wheel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    out = tmp_path / "r.txt"
    assert main(["scan", str(wheel), "-o", str(out), "--jobs", "1"]) == 0
    assert ESC not in out.read_text()
    assert main(["scan", str(wheel), "--color", "always", "--format", "json", "--jobs", "1"]) == 0
    assert ESC not in capsys.readouterr().out


def _help(*words: str) -> str:
    command: click.Command = cli
    ctx = click.Context(cli, info_name="abigate")
    for word in words:
        assert isinstance(command, click.Group)
        found = command.get_command(ctx, word)
        assert found is not None, word
        command = found
        ctx = click.Context(command, info_name=word, parent=ctx)
    return command.get_help(ctx)


def _profile_subcommands() -> list[str]:
    from abigate.commands.profile import profile

    return sorted(profile.commands)


@pytest.mark.parametrize("words", [("scan",), ("check",), ("rules",), ("profile",),
                                   *[("profile", name) for name in _profile_subcommands()]],
                         ids=lambda w: " ".join(w))
def test_help_has_examples(words: tuple[str, ...]) -> None:
    text = _help(*words)
    assert "Examples:" in text
    examples = text.split("Examples:", 1)[1].split("\n\n", 1)[0]
    assert f"abigate {' '.join(words)}" in examples, examples
