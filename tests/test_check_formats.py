"""The pipeline formats as pipelines read them: SARIF validated against the OASIS schema, JUnit parsed by a
JUnit reader, GitLab Code Quality checked field by field, run through the real command in a subprocess.

The SARIF 2.1.0 schema is not part of this repository: CI has a copy of ``shared/`` beside the checkout
(``../shared/schemas``); a developer machine has ``/work/shared/schemas``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from junitparser import Failure, JUnitXml
from test_check_rollup import GOOD, build_noise_zip

from abigate.reporters._pipeline import RULES_DOC_URL, stable_name
from abigate.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
ARM = ROOT / "testdata" / "elf" / "arch" / "aarch64-glibc2.17.so"
_SCHEMA_DIRS = (ROOT.parent / "shared" / "schemas", Path("/work/shared/schemas"))
SARIF_SCHEMA = next((d / "sarif-schema-2.1.0.json" for d in _SCHEMA_DIRS
                     if (d / "sarif-schema-2.1.0.json").is_file()), None)

pytestmark = pytest.mark.skipif(not (GOOD.exists() and ARM.exists()), reason="testdata/elf not built")


def abigate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "abigate", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def arm_wheel(path: Path) -> Path:
    """A wheel whose four extension modules are built for aarch64: one ABG103 per file, one problem."""
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(4):
            zf.write(ARM, f"pkg/_m{i}.so")
    return path


@pytest.fixture
def work(tmp_path: Path) -> Path:
    build_noise_zip(tmp_path / "fn.zip")
    (tmp_path / "dist").mkdir()
    arm_wheel(tmp_path / "dist" / "pkg-1.0-py3-none-any.whl")
    return tmp_path


ARGS = ("check", "fn.zip", "dist/pkg-1.0-py3-none-any.whl", "-p", "aws-lambda-python3.12", "--no-config")


def sarif(work: Path, *args: str) -> dict[str, Any]:
    run = abigate(*args, "--format", "sarif", cwd=work)
    assert run.returncode == 1, run.stderr
    doc: dict[str, Any] = json.loads(run.stdout)
    return doc


@pytest.mark.skipif(SARIF_SCHEMA is None, reason="SARIF 2.1.0 schema not found in ../shared/schemas or "
                                                  "/work/shared/schemas")
def test_sarif_validates_against_the_oasis_schema(work: Path) -> None:
    assert SARIF_SCHEMA is not None
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    doc = sarif(work, *ARGS)
    jsonschema.validate(doc, schema)
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1


def test_sarif_driver_lists_every_rule_with_its_docs(work: Path) -> None:
    driver = sarif(work, *ARGS)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "abigate" and driver["version"] and driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [r.code for r in RULES]
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in driver["rules"]:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        url, _, anchor = rule["helpUri"].partition("#")
        assert url == RULES_DOC_URL and f"## {anchor.upper()}\n" in page


def test_sarif_results_roll_up_and_locate(work: Path) -> None:
    run = sarif(work, *ARGS)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("ABG302", "error")] * 2 + [("ABG103", "error")]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert "region" not in r["locations"][0]["physicalLocation"]
    alpha, _, arm = results
    assert alpha["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "fn.zip", "uriBaseId": "%SRCROOT%", "index": 0}
    assert alpha["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "fn.zip!alpha-1.0.dist-info"
    related = [loc["logicalLocations"][0]["fullyQualifiedName"] for loc in alpha["relatedLocations"]]
    assert related == [f"fn.zip!alpha/{sub}good.cpython-311-x86_64-linux-gnu.so"
                       for sub in ("", "sub1/", "sub2/")]
    assert "same cause: ABG301 on 3 files" in alpha["message"]["text"]
    arm_uri = arm["locations"][0]["physicalLocation"]["artifactLocation"]
    assert arm_uri == {"uri": "dist/pkg-1.0-py3-none-any.whl", "uriBaseId": "%SRCROOT%", "index": 1}
    assert len(arm["relatedLocations"]) == 3
    # The files checked, with the digest of the bytes judged.
    assert run["artifacts"] == [
        {"location": {"uri": name, "uriBaseId": "%SRCROOT%"},
         "hashes": {"sha-256": hashlib.sha256((work / name).read_bytes()).hexdigest()}}
        for name in ("fn.zip", "dist/pkg-1.0-py3-none-any.whl")]


def test_sarif_uri_is_absolute_outside_the_current_folder(work: Path) -> None:
    (work / "sub").mkdir()
    run = sarif(work / "sub", "check", str(work / "fn.zip"), "-p", "aws-lambda-python3.12", "--no-config")
    uri = run["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": (work / "fn.zip").as_uri(), "index": 0}


def fingerprints(doc: dict[str, Any]) -> list[str]:
    return [r["partialFingerprints"]["abigate/v1"] for r in doc["runs"][0]["results"]]


def test_fingerprints_are_stable_across_runs_and_versions(work: Path) -> None:
    first = sarif(work, *ARGS)
    assert fingerprints(first) == fingerprints(sarif(work, *ARGS))
    assert len(set(fingerprints(first))) == 3
    assert all(r["partialFingerprints"]["primaryLocationLineHash"] == r["partialFingerprints"]["abigate/v1"]
               for r in first["runs"][0]["results"])
    # The next release of the same wheel: the same problem keeps its fingerprint.
    (work / "dist" / "pkg-1.0-py3-none-any.whl").rename(work / "dist" / "pkg-1.1-py3-none-any.whl")
    bumped = sarif(work, "check", "fn.zip", "dist/pkg-1.1-py3-none-any.whl", "-p", "aws-lambda-python3.12",
                   "--no-config")
    assert fingerprints(bumped) == fingerprints(first)
    # Another target is another problem.
    other = sarif(work, "check", "fn.zip", "dist/pkg-1.1-py3-none-any.whl", "-p", "aws-lambda-python3.13",
                  "--no-config")
    assert not set(fingerprints(other)) & set(fingerprints(first))


def test_stable_name_drops_versions_and_graft_hashes_only() -> None:
    assert stable_name("dist/numpy-2.4.4-cp311-cp311-manylinux_2_28_x86_64.whl!numpy-2.4.4.dist-info") == (
        "dist/numpy-*-cp311-cp311-manylinux_2_28_x86_64.whl!numpy-*.dist-info")
    assert stable_name("w.whl!numpy.libs/libscipy_openblas64_-fdde5778.so") == (
        "w.whl!numpy.libs/libscipy_openblas64_-*.so")
    assert stable_name("build/function.zip!pkg/_x.cpython-311-x86_64-linux-gnu.so") == (
        "build/function.zip!pkg/_x.cpython-311-x86_64-linux-gnu.so")


def test_sarif_marks_waived_findings_as_suppressed(work: Path) -> None:
    (work / "pyproject.toml").write_text(
        '[tool.abigate]\n[[tool.abigate.waivers]]\n'
        'code = "ABG103"\npath = "pkg/*"\nreason = "not imported"\n',
        encoding="utf-8")
    run = abigate("check", "dist/pkg-1.0-py3-none-any.whl", "-p", "aws-lambda-python3.12",
                  "--format", "sarif",
                  cwd=work)
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "external", "justification": "not imported"}]


def test_junit_parses_as_one_suite_per_profile_and_one_case_per_artifact(work: Path) -> None:
    out = work / "report.xml"
    run = abigate(*ARGS, "-p", "aws-lambda-python3.11", "--format", "junit", "-o", str(out), cwd=work)
    assert run.returncode == 1, run.stderr
    xml = JUnitXml.fromfile(str(out))
    suites = {suite.name: suite for suite in xml}
    assert list(suites) == ["aws-lambda-python3.12-x86_64", "aws-lambda-python3.11-x86_64"]
    cases = {suite: {case.name: case for case in s} for suite, s in suites.items()}
    assert all(list(c) == ["fn.zip", "dist/pkg-1.0-py3-none-any.whl"] for c in cases.values())
    on312 = cases["aws-lambda-python3.12-x86_64"]
    (failure,) = on312["fn.zip"].result
    assert isinstance(failure, Failure) and failure.type == "ABG302"
    assert failure.message.startswith("2 problems (8 findings) on aws-lambda-python3.12-x86_64")
    listed = re.findall(r"fn\.zip!\S+\.so", failure.text or "")
    assert len(listed) == 6 and len(set(listed)) == 6
    # Built for 3.11: passes there; the aarch64 wheel fails everywhere.
    assert cases["aws-lambda-python3.11-x86_64"]["fn.zip"].is_passed
    assert not cases["aws-lambda-python3.11-x86_64"]["dist/pkg-1.0-py3-none-any.whl"].is_passed
    counts = {name: (suite.tests, suite.failures) for name, suite in suites.items()}
    assert counts == {"aws-lambda-python3.12-x86_64": (2, 2), "aws-lambda-python3.11-x86_64": (2, 1)}


def test_gitlab_code_quality_issues(work: Path) -> None:
    run = abigate(*ARGS, "--format", "gitlab", cwd=work)
    assert run.returncode == 1, run.stderr
    issues = json.loads(run.stdout)
    assert [i["check_name"] for i in issues] == ["ABG302", "ABG302", "ABG103"]
    for issue in issues:
        assert issue["description"].startswith(issue["check_name"] + " ")
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["lines"]["begin"] == 1
        assert re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
    assert [i["location"]["path"] for i in issues] == ["fn.zip", "fn.zip", "dist/pkg-1.0-py3-none-any.whl"]
    assert len({i["fingerprint"] for i in issues}) == 3
    assert "(and ABG301 on 3 files of this distribution)" in issues[0]["description"]
    assert issues[2]["description"].endswith("(and 3 more files)")


def test_statistics_only_with_formats_for_people(work: Path) -> None:
    run = abigate(*ARGS, "--statistics", "--format", "sarif", cwd=work)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "abigate: error: --statistics prints a table for people; it cannot be used with --format sarif"]
    run = abigate(*ARGS, "--statistics", "--format", "concise", cwd=work)
    assert run.stdout.splitlines()[:3] == ["6  ABG301  extension-suffix-rejected  error",
                                           "4  ABG103  wrong-machine              error",
                                           "2  ABG302  wheel-tags-rejected        error"]


def test_help_names_every_format(work: Path) -> None:
    text = abigate("check", "--help", cwd=work).stdout
    for fmt in ("text", "concise", "json", "sarif", "junit", "gitlab", "github"):
        assert fmt in text
    assert "--statistics" in text and "docs/output.md" in text


def test_sarif_for_a_folder_locates_each_file_and_lists_no_digest(work: Path) -> None:
    (work / "deploy" / "pkg").mkdir(parents=True)
    for i in range(2):
        (work / "deploy" / "pkg" / f"_m{i}.so").write_bytes(ARM.read_bytes())
    run = sarif(work, "check", "deploy", "-p", "aws-lambda-python3.12", "--no-config")["runs"][0]
    assert run["artifacts"] == []
    (result,) = run["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "deploy/pkg/_m0.so", "uriBaseId": "%SRCROOT%"}
    assert [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["relatedLocations"]] == [
        "deploy/pkg/_m1.so"]
