"""Text report: a finding repeated on many files of one artifact is collapsed unless ``-v`` (goldens reviewed).

Regenerate goldens with ``ABIGATE_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

from abigate.evaluate import check
from abigate.facts import ArtifactFacts, Distribution, NativeFile
from abigate.findings import Report
from abigate.reporters.check_text import COLLAPSE_MIN, COLLAPSE_SHOWN, render_text
from abigate.rules.testing import artifact, elf, glibc_profile, native, need

GOLDEN = Path(__file__).parent / "golden" / "check"
UPDATE = os.environ.get("ABIGATE_UPDATE_GOLDEN") == "1"
WHEEL = "dist/pkg-1.0-cp311-cp311-manylinux_2_17_aarch64.whl"
P = glibc_profile("glibc-2.26", version=(2, 26))


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def arm_ext(i: int, **kw: object) -> NativeFile:
    return native(f"pkg/_m{i}.cpython-311-aarch64-linux-gnu.so",
                  elf("aarch64", python_init_exports=(f"PyInit__m{i}",)), **kw)  # type: ignore[arg-type]


def x86_ext(name: str, glibc: str) -> NativeFile:
    return native(f"pkg/{name}.cpython-311-x86_64-linux-gnu.so",
                  elf(version_needs=(need("libc.so.6", glibc, "dlopen"),), python_init_exports=(f"PyInit_{name}",)))


def report(facts: ArtifactFacts, *profiles: object) -> Report:
    return check([facts], list(profiles) or [P])  # type: ignore[arg-type]


def headers(text: str) -> list[str]:
    """The file lines of a report (4-space indent)."""
    return [line.strip() for line in text.splitlines() if line.startswith("    ") and not line.startswith("     ")]


def test_wrong_architecture_wheel_shows_three_files_and_a_count() -> None:
    facts = artifact(WHEEL, [arm_ext(i) for i in range(12)])
    text = render_text(report(facts))
    assert text.count("ABG103 error") == COLLAPSE_SHOWN
    assert headers(text) == [f"pkg/_m{i}.cpython-311-aarch64-linux-gnu.so" for i in (0, 1, 10)]
    assert "and 9 more files with the same finding (-v lists them)" in text
    # The summary still counts every finding.
    assert "summary: 12 errors," in text
    verbose = render_text(report(facts), verbosity="verbose")
    assert verbose.count("ABG103 error") == 12 and "more files" not in verbose
    quiet = render_text(report(facts), verbosity="quiet")
    assert quiet.count("ABG103 error") == COLLAPSE_SHOWN and "and 9 more files" in quiet


def test_few_repeats_are_all_shown() -> None:
    facts = artifact(WHEEL, [arm_ext(i) for i in range(COLLAPSE_MIN - 1)])
    text = render_text(report(facts))
    assert text.count("ABG103 error") == COLLAPSE_MIN - 1 and "more file" not in text


def test_findings_that_differ_beyond_the_file_name_are_not_merged() -> None:
    # Five files each needing a different glibc: five different messages, nothing collapsed.
    facts = artifact(WHEEL, [x86_ext(f"_v{i}", f"GLIBC_2.{30 + i}") for i in range(6)])
    text = render_text(report(facts))
    assert text.count("ABG201 error") == 6 and "more file" not in text


def test_a_hidden_file_keeps_its_other_findings_and_groups_span_distributions() -> None:
    dists = (Distribution(name="a", version="1", dist_info="a-1.dist-info", root=""),
             Distribution(name="b", version="1", dist_info="b-1.dist-info", root=""))
    files = [arm_ext(i, distribution="a==1") for i in range(3)]
    files += [arm_ext(i, distribution="b==1") for i in range(3, 6)]
    facts = artifact("fn.zip", files, kind="zip", distributions=dists)
    text = render_text(report(facts))
    # Three shown (all from a==1), then b==1's three are hidden: no b==1 heading is left.
    assert "  a==1" in text and "  b==1" not in text
    assert "and 3 more files with the same finding" in text
    # Per profile: two targets give two groups, each collapsed on its own.
    multi = render_text(report(facts, P, glibc_profile("glibc-2.34", version=(2, 34))))
    assert multi.count("and 3 more files with the same finding") == 2


def test_collapsed_and_verbose_goldens() -> None:
    files = [arm_ext(i) for i in range(7)] + [x86_ext("_new", "GLIBC_2.34")]
    facts = artifact(WHEEL, files)
    rep = report(facts)
    check_golden("collapsed-normal.txt", render_text(rep))
    check_golden("collapsed-verbose.txt", render_text(rep, verbosity="verbose"))
