"""A profile offering several Pythons says, in the text report, which one it judged against (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ELF_STUB, make_wheel

from abigate.cli import main

NOTE = ("note: google-22 runs Python 3.13, 3.12, 3.11, 3.10: judged against 3.13, its default; "
        "pass --python X.Y to judge another\n")


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    return make_wheel(tmp_path, "demo", "1.0", "cp311-cp311-manylinux_2_17_x86_64",
                      {"demo/_x.cpython-311-x86_64-linux-gnu.so": ELF_STUB, "demo/__init__.py": ""})


@pytest.mark.parametrize("extra", [[], ["-q"], ["-v"]])
def test_multi_python_profile_names_the_python_judged(wheel: Path, extra: list[str],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(wheel), "-p", "google-22", "--no-config", "--jobs", "1", *extra])
    assert NOTE in capsys.readouterr().out


@pytest.mark.parametrize("args", [["-p", "google-22", "--python", "3.11"],
                                  ["-p", "aws-lambda-python3.11-x86_64"],
                                  ["-p", "debian-12", "--python", "3.11"]])
def test_no_note_when_the_python_is_chosen_or_the_only_one(wheel: Path, args: list[str],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(wheel), *args, "--no-config", "--jobs", "1"])
    assert "judged against" not in capsys.readouterr().out


def test_python_from_configuration_counts_as_chosen(wheel: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.abigate]\npython = "3.11"\n')
    main(["check", str(wheel), "-p", "google-22", "--config", str(config), "--jobs", "1"])
    assert "judged against" not in capsys.readouterr().out
