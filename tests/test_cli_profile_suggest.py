"""Suggestions for a mistyped profile id weigh the architecture and the versions typed (issue 12)."""

from __future__ import annotations

import pytest

from abigate.cli import main
from abigate.profiles._resolve import builtin_ids
from abigate.profiles._suggest import suggest_profiles


@pytest.mark.parametrize(("typo", "first"), [
    ("aws-lambda-python3.11-amd64", "aws-lambda-python3.11-x86_64"),
    ("aws-lambda-python3.11-x64", "aws-lambda-python3.11-x86_64"),
    ("aws-lambda-python3.12-aarch64x", "aws-lambda-python3.12-arm64"),  # not an alias, still close
    ("manylinux_2_28_amd64", "manylinux_2_28_x86_64"),
    ("manylinux_2_34_arm64", "manylinux_2_34_aarch64"),
    ("musllinux_1_2_arm64", "musllinux_1_2_aarch64"),
    ("debian-12-amd64", "debian-12"),
    ("alpine-3.21-x86-64", "alpine-3.21"),
    ("ubuntu-22.04-amd64", "ubuntu-22.04"),
    ("azure-functions-3.11", "azure-functions-python3.11"),
    ("debian12", "debian-12"),
])
def test_first_suggestion(typo: str, first: str) -> None:
    assert typo not in builtin_ids()
    assert suggest_profiles(typo, builtin_ids())[0] == first


def test_arch_outranks_a_one_letter_difference() -> None:
    """amd64 is one letter from arm64, but no arm64 profile may come before an x86_64 one."""
    got = suggest_profiles("aws-lambda-python3.11-amd64", builtin_ids())
    assert got and all(s.endswith("-x86_64") for s in got)


def test_python_version_outranks_other_versions() -> None:
    got = suggest_profiles("aws-lambda-python3.13-arm", builtin_ids())
    assert got[0] == "aws-lambda-python3.13-arm64"


def test_nothing_close_suggests_nothing() -> None:
    assert suggest_profiles("zzzz", builtin_ids()) == []


def test_cli_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "x.whl", "-p", "aws-lambda-python3.11-amd64", "--no-config"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("abigate: error: unknown profile 'aws-lambda-python3.11-amd64'; "
                          "did you mean aws-lambda-python3.11-x86_64, ")
