"""``abigate check`` with no argument checks ``[tool.abigate] artifacts`` (issue 9, part 4).

The globs are taken from the folder of the configuration file, matches are sorted and checked once each,
nothing matched is a one-line exit 2 naming the globs, and no key at all is the "nothing to check" usage
error with a hint about the key.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_wheel

from abigate.cli import main
from abigate.config import parse_config
from abigate.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
OLD = (ROOT / "testdata/elf/glibc/v2_17.so").read_bytes()
NEW = (ROOT / "testdata/elf/glibc/v2_34.so").read_bytes()
#: glibc 2.26: a library needing GLIBC_2.34 fails there, one needing 2.17 passes.
PROFILE = "amazonlinux-2"
TAG = "py3-none-manylinux_2_17_x86_64"


def project(tmp_path: Path, artifacts: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.abigate]\nprofiles = ["{PROFILE}"]\nartifacts = {artifacts}\n', encoding="utf-8")
    (tmp_path / "dist").mkdir()
    (tmp_path / "build").mkdir()
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["check", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def checked(out: str) -> list[str]:
    return [a["path"] for a in json.loads(out)["artifacts"]]


def test_the_globs_are_checked_sorted_and_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    proj = project(tmp_path, '["dist/*.whl", "dist/b*.whl", "build/**/*.whl"]')
    make_wheel(proj / "dist", "b", "1.0", TAG, {"b/libb.so": OLD})
    make_wheel(proj / "dist", "a", "1.0", TAG, {"a/liba.so": OLD})
    (proj / "build" / "x" / "y").mkdir(parents=True)
    make_wheel(proj / "build" / "x" / "y", "c", "1.0", TAG, {"c/libc_.so": OLD})
    monkeypatch.chdir(proj)
    rc, out, err = run(capsys, "--format", "json")
    assert (rc, err) == (0, "")
    assert checked(out) == ["build/x/y/c-1.0-py3-none-manylinux_2_17_x86_64.whl",
                            "dist/a-1.0-py3-none-manylinux_2_17_x86_64.whl",
                            "dist/b-1.0-py3-none-manylinux_2_17_x86_64.whl"]


def test_an_incompatible_artifact_fails_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    proj = project(tmp_path, '["dist/*.whl"]')
    make_wheel(proj / "dist", "a", "1.0", TAG, {"a/liba.so": NEW})
    monkeypatch.chdir(proj)
    rc, out, _ = run(capsys, "--format", "json")
    assert rc == 1
    assert {f["code"] for a in json.loads(out)["artifacts"] for f in a["findings"]} >= {"ABG201"}


def test_globs_are_relative_to_the_config_file_not_the_working_directory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    proj = project(tmp_path, '"dist/*.whl"')
    make_wheel(proj / "dist", "a", "1.0", TAG, {"a/liba.so": OLD})
    (proj / "src" / "pkg").mkdir(parents=True)
    monkeypatch.chdir(proj / "src" / "pkg")  # found by walking up, as pre-commit's hooks run at the root
    rc, out, _ = run(capsys, "--format", "json")
    assert rc == 0 and checked(out) == [str(proj / "dist" / "a-1.0-py3-none-manylinux_2_17_x86_64.whl")]
    elsewhere = tmp_path.parent / f"{tmp_path.name}-other"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    rc, out, _ = run(capsys, "--format", "json", "--config", str(proj / "pyproject.toml"))
    assert rc == 0 and len(checked(out)) == 1


def test_arguments_replace_the_list(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    proj = project(tmp_path, '["dist/*.whl"]')
    make_wheel(proj / "dist", "a", "1.0", TAG, {"a/liba.so": NEW})
    good = make_wheel(proj / "build", "b", "1.0", TAG, {"b/libb.so": OLD})
    monkeypatch.chdir(proj)
    rc, out, _ = run(capsys, str(good.relative_to(proj)), "--format", "json")
    assert rc == 0 and checked(out) == [str(good.relative_to(proj))]


def test_nothing_matched_is_one_line_exit_2_naming_the_globs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    proj = project(tmp_path, '["dist/*.whl", "build/function.zip"]')
    monkeypatch.chdir(proj)
    rc, out, err = run(capsys)
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1, err
    assert err.startswith(f"abigate: error: {proj / 'pyproject.toml'}: artifacts: nothing matches "
                          "'dist/*.whl', 'build/function.zip'"), err


def test_a_glob_that_matched_nothing_beside_others_is_a_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    proj = project(tmp_path, '["dist/*.whl", "build/function.zip"]')
    make_wheel(proj / "dist", "a", "1.0", TAG, {"a/liba.so": OLD})
    monkeypatch.chdir(proj)
    rc, out, _ = run(capsys, "--format", "json")
    assert rc == 0
    assert any("'build/function.zip' matched nothing" in n for n in json.loads(out)["notes"])


def test_no_key_and_no_argument_says_how_to_name_the_artifacts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[tool.abigate]\nprofiles = ["{PROFILE}"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for args in ((), ("--no-config", "-p", PROFILE)):
        rc, out, err = run(capsys, *args)
        assert (rc, out) == (2, "")
        assert err.count("\n") == 1 and err.startswith("abigate: error: nothing to check: "), err
        assert "artifacts = " in err


@pytest.mark.parametrize(("value", "problem"), [
    ("1", "artifacts: expected a string or a list of strings"),
    ('[""]', "artifacts: a glob must not be empty"),
])
def test_bad_values_are_configuration_errors(value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"artifacts": json.loads(value)})
    assert any(problem in p for p in info.value.problems)  # type: ignore[attr-defined]
