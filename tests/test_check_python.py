"""``--python`` and ``python = …`` in ``[tool.abigate]``: select, supply, or refuse (issue 7, item 5).

A runtime profile (Lambda, Azure Functions, Google's runtimes) *is* the Pythons it lists: asking for another
is a usage error (exit 2), never a silent override. An OS or captured profile, or one that lists no Python
(manylinux policies, Heroku), takes the Python given. Versions that CPython never released are refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from abigate.cli import main
from abigate.errors import ProfileError
from abigate.profiles import load_profile

ROOT = Path(__file__).resolve().parents[1]
#: a CPython 3.11 x86-64 extension that needs glibc 2.34: passes on Lambda python3.12 (AL2023, glibc 2.34).
EXAMPLE = str(ROOT / "examples" / "lambda-demo" / "function")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def _profile_python(out: str) -> str | None:
    doc = json.loads(out)
    (profile,) = doc["profiles"]
    python = profile["python"]
    assert python is None or isinstance(python, str)
    return python


# -- a runtime with one Python -------------------------------------------------------------------------------


def test_python_contradicting_a_runtime_s_only_python_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    # Before: the profile's 3.12 was silently replaced by 3.11 and this cp311 extension passed.
    rc, out, err = run(capsys, "check", EXAMPLE, "-p", "aws-lambda-python3.12", "--python", "3.11",
                       "--no-config")
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1, err
    assert "aws-lambda-python3.12-x86_64 runs Python 3.12" in err and "--python 3.11" in err
    assert "aws-lambda-python3.11-x86_64" in err  # the profile that does run 3.11


def test_python_agreeing_with_the_runtime_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "check", EXAMPLE, "-p", "aws-lambda-python3.12", "--python", "3.12",
                       "--no-config", "--format", "json")
    assert rc in (0, 1) and err == ""
    assert _profile_python(out) == "3.12"


def test_a_free_threading_mismatch_also_contradicts(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "check", EXAMPLE, "-p", "aws-lambda-python3.13", "--python", "3.13t",
                     "--no-config")
    assert rc == 2 and "runs Python 3.13" in err


def test_one_contradicting_profile_among_several_is_enough(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "check", EXAMPLE, "-p", "debian-12", "-p", "aws-lambda-python3.12",
                     "--python", "3.11", "--no-config")
    assert rc == 2 and "aws-lambda-python3.12-x86_64" in err


# -- profiles that select or take a Python -------------------------------------------------------------------


def test_a_runtime_with_several_pythons_selects_one_and_refuses_others(
        capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "check", EXAMPLE, "-p", "google-22", "--python", "3.10", "--no-config",
                       "--format", "json")
    assert rc in (0, 1) and err == ""
    assert _profile_python(out) == "3.10"
    rc, out, err = run(capsys, "check", EXAMPLE, "-p", "google-22", "--python", "3.9", "--no-config")
    assert (rc, out) == (2, "")
    assert "google-22 runs Python 3.13, 3.12, 3.11, 3.10" in err


@pytest.mark.parametrize("profile", ["manylinux2014_x86_64", "heroku-24", "debian-12", "debian-13"])
def test_a_policy_an_os_or_a_runtime_without_python_takes_the_one_given(
        capsys: pytest.CaptureFixture[str], profile: str) -> None:
    # debian-12 ships 3.11 but the python:3.12-bookworm image is Debian 12 with CPython 3.12.
    rc, out, err = run(capsys, "check", EXAMPLE, "-p", profile, "--python", "3.12", "--no-config",
                       "--format", "json")
    assert rc in (0, 1) and err == ""
    assert _profile_python(out) == "3.12"


def test_profile_show_follows_the_same_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "profile", "show", "aws-lambda-python3.12", "--python", "3.11")[0] == 2
    assert run(capsys, "profile", "show", "debian-12", "--python", "3.12")[0] == 0
    with pytest.raises(ProfileError, match="runs Python 3.12"):
        load_profile("aws-lambda-python3.12-arm64", python="3.11")


# -- versions that do not exist ------------------------------------------------------------------------------


@pytest.mark.parametrize("python",
                         ["3.99", "3.16", "3.5", "2.7", "4.0", "3.12t", "3.6t", "cp399", "3", "three"])
def test_unknown_versions_are_refused(capsys: pytest.CaptureFixture[str], python: str) -> None:
    rc, out, err = run(capsys, "check", EXAMPLE, "-p", "debian-12", "--python", python, "--no-config")
    assert (rc, out) == (2, "")
    assert err.startswith("abigate: error: --python ") and err.count("\n") == 1, err


@pytest.mark.parametrize("python", ["3.6", "3.9", "3.14", "3.15", "3.13t", "3.14t", "cp313t", "python3.12"])
def test_every_real_cpython_is_accepted(python: str) -> None:
    assert load_profile("debian-12", python=python).python is not None


# -- the same rules for [tool.abigate] -----------------------------------------------------------------------


def _pyproject(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[tool.abigate]\n{body}\n", encoding="utf-8")
    return path


def test_config_python_contradicting_its_profile_names_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _pyproject(tmp_path, 'profiles = ["aws-lambda-python3.12"]\npython = "3.11"')
    rc, out, err = run(capsys, "check", EXAMPLE, "--config", str(cfg))
    assert (rc, out) == (2, "")
    assert str(cfg) in err and "python = \"3.11\"" in err and "runs Python 3.12" in err
    assert err.count("\n") == 1, err
    # the command line wins over the configuration, and is then the one judged
    rc, _, err = run(capsys, "check", EXAMPLE, "--config", str(cfg), "--python", "3.12")
    assert rc in (0, 1) and err == ""


def test_config_python_that_does_not_exist_names_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _pyproject(tmp_path, 'profiles = ["debian-12"]\npython = "3.99"')
    rc, _, err = run(capsys, "check", EXAMPLE, "--config", str(cfg))
    assert rc == 2 and str(cfg) in err and "3.99" in err


def test_config_python_for_a_profile_without_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _pyproject(tmp_path, 'profiles = ["manylinux_2_34_x86_64"]\npython = "3.11"')
    rc, out, err = run(capsys, "check", EXAMPLE, "--config", str(cfg), "--format", "json")
    assert rc in (0, 1) and err == ""
    assert _profile_python(out) == "3.11"
