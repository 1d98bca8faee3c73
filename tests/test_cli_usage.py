"""Usage errors: one line, ``abigate: error: …`` with a hint, exit 2 — not click's four lines (issue 12)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from abigate.cli import main


@pytest.mark.parametrize(("args", "line"), [
    (["check", "x.whl", "--pythn", "3.12"], "abigate: error: no such option: --pythn (did you mean --python?)"),
    (["check", "x.whl", "--profle", "debian-12"],
     "abigate: error: no such option: --profle (did you mean --profile?)"),
    (["check", "x.whl", "--p", "debian-12"],
     "abigate: error: no such option: --p (did you mean --profile or --python or --progress?)"),
    (["scan", "x.whl", "--colour", "never"], "abigate: error: no such option: --colour (did you mean --color?)"),
    (["chek", "x.whl"], "abigate: error: no such command: chek (did you mean check?)"),
    (["profile", "shw", "debian-12"], "abigate: error: no such command: shw (did you mean show?)"),
    (["scan"], "abigate: error: missing argument 'PATH...' (see 'abigate scan --help')"),
    (["check", "x.whl", "-Z"], "abigate: error: no such option: -Z (see 'abigate check --help')"),
    (["scan", "x.whl", "--format", "xml"],
     "abigate: error: invalid value for '--format': 'xml' is not one of 'text', 'json' (see 'abigate scan --help')"),
])
def test_usage_error_is_one_line_with_a_hint(args: list[str], line: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", line + "\n")


def test_option_missing_its_value_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "x.whl", "--jobs"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("abigate: error: option '--jobs' requires an argument")


def test_a_group_alone_still_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    main(["profile"])
    out, err = capsys.readouterr()
    assert "Commands:" in out + err and "list" in out + err


def test_console_script_prints_one_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "abigate", "check", "x.whl", "--pythn", "3.12"],
                          capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "abigate: error: no such option: --pythn (did you mean --python?)\n"
