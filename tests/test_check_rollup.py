"""Findings with one root cause roll up into one problem (abigate.rollup), never across distributions; the
text report shows each rollup once with its files, ``-v`` shows every finding, the JSON keeps every one.

Goldens are reviewed; regenerate them with ``ABIGATE_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from abigate.evaluate import check
from abigate.facts import ArtifactFacts, Distribution, NativeFile
from abigate.findings import Report
from abigate.reporters.check_concise import render_concise
from abigate.reporters.check_text import ROLLUP_SHOWN, render_text
from abigate.rollup import roll_up
from abigate.rules.testing import artifact, elf, glibc_profile, native, need

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "check"
UPDATE = os.environ.get("ABIGATE_UPDATE_GOLDEN") == "1"
WHEEL = "dist/pkg-1.0-cp311-cp311-manylinux_2_17_aarch64.whl"
P = glibc_profile("glibc-2.26", version=(2, 26))
P312 = glibc_profile("glibc-2.34", version=(2, 34), python=(3, 12))
GOOD = ROOT / "testdata" / "elf" / "python" / "good.cpython-311-x86_64-linux-gnu.so"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def arm_ext(i: int, **kw: object) -> NativeFile:
    return native(f"pkg/_m{i}.cpython-311-aarch64-linux-gnu.so",
                  elf("aarch64", python_init_exports=(f"PyInit__m{i}",)), **kw)  # type: ignore[arg-type]


def x86_ext(name: str, glibc: str, folder: str = "pkg", **kw: object) -> NativeFile:
    return native(f"{folder}/{name}.cpython-311-x86_64-linux-gnu.so",
                  elf(version_needs=(need("libc.so.6", glibc, "dlopen"),),
                      python_init_exports=(f"PyInit_{name}",)),
                  **kw)  # type: ignore[arg-type]


def report(facts: ArtifactFacts, *profiles: object) -> Report:
    return check([facts], list(profiles) or [P])  # type: ignore[arg-type]


def headers(text: str) -> list[str]:
    """The file lines of a report (4-space indent)."""
    return [line.strip() for line in text.splitlines()
            if line.startswith("    ") and not line.startswith("     ")]


def two_distributions() -> ArtifactFacts:
    """A deploy zip of two distributions built for CPython 3.11, three extension modules each."""
    tags = ("cp311-cp311-manylinux_2_17_x86_64",)
    dists = tuple(Distribution(name=name, version=version, dist_info=f"{name}-{version}.dist-info", root="",
                               wheel_tags=tags) for name, version in (("alpha", "1.0"), ("beta", "2.0")))
    files = [x86_ext(f"_a{i}", "GLIBC_2.17", "alpha", distribution="alpha==1.0") for i in range(3)]
    files += [x86_ext(f"_b{i}", "GLIBC_2.17", "beta", distribution="beta==2.0") for i in range(3)]
    return artifact("fn.zip", files, kind="zip", distributions=dists)


def test_wrong_architecture_wheel_is_one_problem_listing_its_files() -> None:
    facts = artifact(WHEEL, [arm_ext(i) for i in range(12)])
    text = render_text(report(facts))
    assert text.count("ABG103 error") == 1
    assert headers(text) == ["pkg/_m0.cpython-311-aarch64-linux-gnu.so"]
    assert "same finding on 11 more files:" in text
    listed = [line.strip() for line in text.splitlines() if line.startswith(" " * 23 + "pkg/_m")]
    assert len(listed) == ROLLUP_SHOWN
    assert "… and 3 more files (-v or --format json lists every one)" in text
    # The summary still counts every finding.
    assert "summary: 12 errors," in text
    verbose = render_text(report(facts), verbosity="verbose")
    assert verbose.count("ABG103 error") == 12 and "more file" not in verbose
    quiet = render_text(report(facts), verbosity="quiet").splitlines()
    assert quiet[0] == (f"{WHEEL}!pkg/_m0.cpython-311-aarch64-linux-gnu.so: ABG103 is built for aarch64; "
                        "glibc-2.26 is 64-bit x86_64 (and 11 more files)")
    assert len(quiet) == 2 and quiet[1].startswith("summary: 12 errors")


def test_two_repeats_roll_up_and_one_stays_single() -> None:
    text = render_text(report(artifact(WHEEL, [arm_ext(0), arm_ext(1)])))
    assert text.count("ABG103 error") == 1 and "same finding on 1 more file:" in text
    text = render_text(report(artifact(WHEEL, [arm_ext(0)])))
    assert text.count("ABG103 error") == 1 and "same finding" not in text


def test_findings_that_differ_beyond_the_file_name_are_not_merged() -> None:
    # Each file needs a different glibc: different messages, nothing rolled up.
    facts = artifact(WHEEL, [x86_ext(f"_v{i}", f"GLIBC_2.{30 + i}") for i in range(6)])
    text = render_text(report(facts))
    assert text.count("ABG201 error") == 6 and "same finding" not in text


def test_rollups_never_cross_distributions() -> None:
    dists = (Distribution(name="a", version="1", dist_info="a-1.dist-info", root=""),
             Distribution(name="b", version="1", dist_info="b-1.dist-info", root=""))
    files = [arm_ext(i, distribution="a==1") for i in range(3)]
    files += [arm_ext(i, distribution="b==1") for i in range(3, 6)]
    facts = artifact("fn.zip", files, kind="zip", distributions=dists)
    rep = report(facts)
    text = render_text(rep)
    # One problem per distribution, each naming only its own files.
    assert "  a==1" in text and "  b==1" in text
    assert text.count("same finding on 2 more files:") == 2
    a_block = text[text.index("  a==1"):text.index("  b==1")]
    assert "_m1." in a_block and "_m3." not in a_block
    problems = roll_up(rep.artifacts[0].findings)
    assert [{f.distribution for f in r.findings} for r in problems] == [{"a==1"}, {"b==1"}]
    # Per profile: two targets give two rollups per distribution.
    multi = render_text(report(facts, P, glibc_profile("glibc-2.34", version=(2, 34))))
    assert multi.count("same finding on 2 more files:") == 4


def test_wrong_python_rolls_abg301_into_each_distributions_abg302() -> None:
    rep = report(two_distributions(), P312)
    codes = sorted(f.code for f in rep.artifacts[0].findings)
    assert codes == ["ABG301"] * 6 + ["ABG302"] * 2
    problems = roll_up(rep.artifacts[0].findings)
    assert [(r.kind, r.head.code, r.head.distribution, len(r.files())) for r in problems] == [
        ("cause", "ABG302", "alpha==1.0", 3), ("cause", "ABG302", "beta==2.0", 3)]
    text = render_text(rep)
    assert text.count("ABG302 error") == 2 and "ABG301 error" not in text
    assert text.count("same cause: ABG301 on 3 files of this distribution:") == 2
    alpha = text[text.index("  alpha==1.0"):text.index("  beta==2.0")]
    assert "alpha/_a2.cpython-311" in alpha and "beta/" not in alpha
    concise = render_concise(rep).splitlines()
    assert concise[:2] == [
        ("fn.zip!alpha-1.0.dist-info: ABG302 no tag of alpha 1.0 is accepted by Python 3.12 on glibc-2.34 "
         "(best accepted: cp312-cp312-manylinux_2_34_x86_64) (and ABG301 on 3 files of this distribution)"),
        ("fn.zip!beta-2.0.dist-info: ABG302 no tag of beta 2.0 is accepted by Python 3.12 on glibc-2.34 "
         "(best accepted: cp312-cp312-manylinux_2_34_x86_64) (and ABG301 on 3 files of this distribution)"),
    ]
    assert concise[2].startswith("summary: 8 errors,")
    # -v: every finding on its own line.
    assert len(render_concise(rep, verbosity="verbose").splitlines()) == 9


def test_a_waived_finding_never_joins_an_unwaived_one() -> None:
    from abigate._records import replace

    rep = report(artifact(WHEEL, [arm_ext(i) for i in range(4)]))
    findings = list(rep.artifacts[0].findings)
    findings[1] = replace(findings[1], waived="vendored test helper")
    problems = roll_up(findings)
    assert sorted((r.kind, len(r.findings)) for r in problems) == [("repeat", 3), ("single", 1)]


def test_collapsed_and_verbose_goldens() -> None:
    files = [arm_ext(i) for i in range(7)] + [x86_ext("_new", "GLIBC_2.34")]
    facts = artifact(WHEEL, files)
    rep = report(facts)
    check_golden("collapsed-normal.txt", render_text(rep))
    check_golden("collapsed-verbose.txt", render_text(rep, verbosity="verbose"))


def build_noise_zip(path: Path) -> Path:
    """A real deploy zip: two distributions built for CPython 3.11 (WHEEL tags and three real cp311 extension
    modules each, testdata's ``good`` module in three packages)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, version in (("alpha", "1.0"), ("beta", "2.0")):
            info = f"{name}-{version}.dist-info"
            zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
            zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n"
                                         "Tag: cp311-cp311-manylinux_2_17_x86_64\n")
            record = [f"{info}/METADATA,,", f"{info}/WHEEL,,", f"{info}/RECORD,,"]
            for sub in ("", "sub1/", "sub2/"):
                zf.writestr(f"{name}/{sub}__init__.py", "")
                zf.write(GOOD, f"{name}/{sub}good.cpython-311-x86_64-linux-gnu.so")
                record += [f"{name}/{sub}__init__.py,,",
                           f"{name}/{sub}good.cpython-311-x86_64-linux-gnu.so,,"]
            # RECORD says which files belong to which distribution (pip writes it).
            zf.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def abigate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "abigate", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.skipif(not GOOD.exists(), reason="testdata/elf/python not built")
def test_noise_case_end_to_end(tmp_path: Path) -> None:
    """Built for 3.11, checked against 3.12: two problems for people, every finding in the JSON."""
    build_noise_zip(tmp_path / "fn.zip")
    base = ("check", "fn.zip", "-p", "aws-lambda-python3.12", "--no-config")
    text = abigate(*base, cwd=tmp_path)
    assert text.returncode == 1, text.stderr
    assert text.stdout.count("ABG302 error") == 2 and "ABG301 error" not in text.stdout
    assert text.stdout.count("same cause: ABG301 on 3 files of this distribution:") == 2
    quiet = abigate(*base, "-q", cwd=tmp_path).stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in quiet] == [
        "fn.zip!alpha-1.0.dist-info", "fn.zip!beta-2.0.dist-info", "summary"]
    assert not any(word in "\n".join(quiet) for word in ("loader:", "fix:"))
    doc = json.loads(abigate(*base, "--format", "json", cwd=tmp_path).stdout)
    found = doc["artifacts"][0]["findings"]
    assert sorted(f["code"] for f in found) == ["ABG301"] * 6 + ["ABG302"] * 2
    assert {f["member"] for f in found if f["code"] == "ABG301"} == {
        f"{name}/{sub}good.cpython-311-x86_64-linux-gnu.so" for name in ("alpha", "beta")
        for sub in ("", "sub1/", "sub2/")}
    stats = abigate(*base, "--statistics", cwd=tmp_path).stdout.splitlines()
    assert stats[:2] == ["6  ABG301  extension-suffix-rejected  error",
                         "2  ABG302  wheel-tags-rejected        error"]
    assert stats[-1].startswith("summary: 8 errors")
    # The same zip moved into a folder of its own: still two problems (nothing depends on the folder).
    shutil.move(tmp_path / "fn.zip", tmp_path / "fn2.zip")
    assert abigate("check", "fn2.zip", "-p", "aws-lambda-python3.12", "--no-config", "--format", "concise",
                   cwd=tmp_path).stdout.count("ABG302") == 2


def test_files_no_record_claims_roll_up_per_top_level_folder() -> None:
    files = [native(f"{pkg}/_m{i}.cpython-311-aarch64-linux-gnu.so", elf("aarch64"))
             for pkg in ("numpy", "pandas") for i in range(3)]
    problems = roll_up(report(artifact("fn.zip", files, kind="zip")).artifacts[0].findings)
    assert [[f.member.split("/")[0] for f in r.findings] for r in problems] == [["numpy"] * 3, ["pandas"] * 3]
