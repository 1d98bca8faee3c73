"""``abigate check`` and ``abigate rules`` end to end: exit codes 0/1/2/3, goldens, JSON schema, config, colour.

Goldens live in tests/golden/check/; regenerate them with ``ABIGATE_UPDATE_GOLDEN=1 pytest tests/test_check_cli.py``
and review the diff.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import jsonschema
import pytest

from abigate.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "check"
SCHEMA = json.loads(
    (ROOT / "src" / "abigate" / "resources" / "check.schema.json").read_text(encoding="utf-8")
)
UPDATE = os.environ.get("ABIGATE_UPDATE_GOLDEN") == "1"
EXAMPLE = "examples/lambda-demo/function"
LAMBDA = "aws-lambda-python3.11"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Paths in reports are as given; run from the repository root so goldens hold relative paths.
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NO_COLOR", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


# -- the shipped example, end to end (scan → profiles → evaluate → render) -------------------------------------


def test_example_fails_on_lambda_311_and_passes_on_debian_12_text(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(
        capsys, "check", EXAMPLE, "-p", LAMBDA, "-p", "debian-12", "--python", "3.11", "--no-config"
    )
    assert (rc, err) == (1, "")
    check_golden("example.txt", out)


def test_example_json_matches_schema_and_golden(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(
        capsys,
        "check",
        EXAMPLE,
        "-p",
        LAMBDA,
        "-p",
        "debian-12",
        "--python",
        "3.11",
        "--no-config",
        "--format",
        "json",
    )
    assert rc == 1
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["artifacts"][0]["verdicts"] == {"aws-lambda-python3.11-x86_64": "fail", "debian-12": "pass"}
    assert {f["versions"][0] for f in doc["artifacts"][0]["findings"]} == {"GLIBC_2.34", "GLIBC_2.29"}
    check_golden("example.json", out)


def test_exit_0_when_compatible(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "check", EXAMPLE, "-p", "debian-12", "--python", "3.11", "--no-config")
    assert rc == 0
    assert (
        out.splitlines()[-1]
        == "summary: 0 errors, 0 warnings, 0 info in 1 artifact; debian-12: PASS (0 of 1 artifact failing)"
    )


def test_exit_zero_and_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", EXAMPLE, "-p", LAMBDA, "--no-config", "--exit-zero")[0] == 0
    # ignoring the only failing rule makes it pass
    assert run(capsys, "check", EXAMPLE, "-p", LAMBDA, "--no-config", "--ignore", "ABG2")[0] == 0
    assert (
        run(
            capsys,
            "check",
            EXAMPLE,
            "-p",
            LAMBDA,
            "--no-config",
            "--select",
            "ABG1,ABG3",
            "--fail-on",
            "warning",
        )[0]
        == 0
    )


def test_quiet_and_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    _, quiet, _ = run(capsys, "check", EXAMPLE, "-p", "debian-12", "--python", "3.11", "--no-config", "-q")
    assert quiet.splitlines() == [
        "summary: 0 errors, 0 warnings, 0 info in 1 artifact; debian-12: PASS (0 of 1 artifact failing)"
    ]
    _, verbose, _ = run(capsys, "check", EXAMPLE, "-p", LAMBDA, "--no-config", "-v")
    assert verbose.startswith("profile aws-lambda-python3.11-x86_64: ")
    assert "symbols: pthread_create, pthread_join, stat64" in verbose


def test_output_file_and_colour(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    rc, out, _ = run(
        capsys, "check", EXAMPLE, "-p", LAMBDA, "--no-config", "--format", "json", "-o", str(target)
    )
    assert (rc, out) == (1, "")
    jsonschema.validate(json.loads(target.read_text(encoding="utf-8")), SCHEMA)
    _, plain, _ = run(capsys, "check", EXAMPLE, "-p", LAMBDA, "--no-config")
    assert "\x1b[" not in plain
    _, coloured, _ = run(capsys, "check", EXAMPLE, "-p", LAMBDA, "--no-config", "--color", "always")
    assert "\x1b[31m" in coloured


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from abigate.commands.check import use_colour

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert use_colour("auto", to_file=False) is True
    assert use_colour("auto", to_file=True) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour("auto", to_file=False) is False
    assert use_colour("always", to_file=False) is True
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    monkeypatch.delenv("NO_COLOR")
    assert use_colour("auto", to_file=False) is False


# -- exit 2: usage, configuration and profile errors --------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", EXAMPLE, "-p", "no-such-runtime", "--no-config"], "no-such-runtime"),
        (["check", "does/not/exist.whl", "-p", LAMBDA, "--no-config"], "does/not/exist.whl"),
        (["check", EXAMPLE, "-p", LAMBDA, "--no-config", "--select", "ABG999"], "ABG999"),
        (["check", EXAMPLE, "-p", LAMBDA, "--no-config", "--format", "xml"], "xml"),
        (["check", EXAMPLE, "--no-config"], "no target profile"),
        (["check", EXAMPLE, "-p", LAMBDA, "--no-config", "-q", "-v"], "cannot be used together"),
        (["check", EXAMPLE, "-p", LAMBDA, "--config", "nope.toml"], "nope.toml"),
        (["rules", "ABG999"], "ABG999"),
    ],
    ids=[
        "unknown-profile",
        "missing-path",
        "unknown-rule",
        "bad-format",
        "no-profile",
        "quiet-verbose",
        "missing-config",
        "unknown-rule-doc",
    ],
)
def test_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    rc, out, err = run(capsys, *args)
    assert rc == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_exit_2_on_invalid_config_lists_every_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cfg = tmp_path / "pyproject.toml"
    cfg.write_text(
        '[tool.abigate]\nprofiles = ["debian-12"]\ncolour = "red"\n'
        '[[tool.abigate.waivers]]\ncode = "ABG201"\n',
        encoding="utf-8",
    )
    rc, _, err = run(capsys, "check", EXAMPLE, "--config", str(cfg))
    assert rc == 2
    assert "unknown key 'colour'" in err and "'reason' is required" in err


def test_exit_3_on_internal_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import abigate.evaluate

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("synthetic bug")

    monkeypatch.setattr(abigate.evaluate, "check", boom)
    rc, out, err = run(capsys, "check", EXAMPLE, "-p", LAMBDA, "--no-config")
    assert rc == 3
    assert "internal error: RuntimeError: synthetic bug" in err


# -- configuration ----------------------------------------------------------------------------------------


def test_config_found_upwards_supplies_profiles_and_waivers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.abigate]\nprofiles = ["aws-lambda-python3.11-x86_64"]\n'
        '[[tool.abigate.waivers]]\ncode = "ABG201"\npath = "*/_demo.*.so"\nreason = "only imported on the 3.12 stage"\n'
        '[[tool.abigate.waivers]]\ncode = "ABG1"\nreason = "old"\nexpires = 2020-01-31\n',
        encoding="utf-8",
    )
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    rc, out, _ = run(capsys, "check", str(ROOT / EXAMPLE))
    assert rc == 0
    assert "note: waiver ABG1 on * expired on 2020-01-31 and no longer applies (reason was: old)" in out
    assert "2 waived" in out.splitlines()[-1]
    rc, out, _ = run(capsys, "check", str(ROOT / EXAMPLE), "-v")
    assert "waived: only imported on the 3.12 stage" in out
    # the command line wins over the configuration, and --no-config ignores it
    assert run(capsys, "check", str(ROOT / EXAMPLE), "-p", "debian-12", "--python", "3.11")[0] == 0
    assert run(capsys, "check", str(ROOT / EXAMPLE), "--no-config")[0] == 2


# -- abigate rules -----------------------------------------------------------------------------------------


def test_rules_listing_and_one_rule(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "rules")
    assert rc == 0 and out.splitlines()[0].startswith("CODE")
    assert any(line.startswith("ABG201  missing-symbol-version") for line in out.splitlines())
    rc, out, _ = run(capsys, "rules", "missing-symbol-version")
    assert rc == 0 and out.startswith("ABG201 missing-symbol-version")
    check_golden("rule-ABG201.txt", out)


@pytest.mark.loader
@pytest.mark.skipif(
    not (sys.platform == "linux" and sys.version_info[:2] == (3, 11) and os.uname().machine == "x86_64"),
    reason="the example is a CPython 3.11 x86-64 extension",
)
def test_example_verdict_agrees_with_the_host_loader(capsys: pytest.CaptureFixture[str]) -> None:
    """The host (glibc ≥ 2.34) imports the example exactly when abigate says a profile of its glibc passes."""
    import platform
    import subprocess

    libc, version = platform.libc_ver()
    host = tuple(int(x) for x in version.split(".")[:2]) if libc == "glibc" and version else (0, 0)
    proc = subprocess.run(
        [sys.executable, "-c", "import demo; print(demo.probe('/'))"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / EXAMPLE)},
        check=False,
    )
    profile = "debian-12" if host >= (2, 36) else "aws-lambda-python3.11"
    rc, _, _ = run(capsys, "check", EXAMPLE, "-p", profile, "--python", "3.11", "--no-config")
    assert (proc.returncode == 0) == (rc == 0), proc.stderr
