"""``abigate check --format github``: workflow-command escaping, severities, locations, goldens.

Goldens live in tests/golden/check/; regenerate with ``ABIGATE_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from abigate._records import replace
from abigate.cli import main
from abigate.findings import Finding, ProfileRef, Report
from abigate.reporters.check_github import (
    SUMMARY_BYTES,
    SUMMARY_ROWS,
    escape_data,
    escape_property,
    md_cell,
    render_github,
    render_summary,
)
from abigate.rules import Severity

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "check"
UPDATE = os.environ.get("ABIGATE_UPDATE_GOLDEN") == "1"

#: ``::name key=value,key=value::message`` with nothing unescaped that would end a field early.
_COMMAND_RE = re.compile(r"^::(error|warning|notice)(?: ((?:[a-z]+=[^,:\r\n]*)(?:,[a-z]+=[^,:\r\n]*)*))?::([^\r\n]*)$")


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def _unescape(text: str) -> str:
    # The runner's decoding, in reverse order of the encoding.
    return (text.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r")
            .replace("%25", "%"))


def parse(line: str) -> tuple[str, dict[str, str], str]:
    m = _COMMAND_RE.match(line)
    assert m is not None, line
    props = dict(p.split("=", 1) for p in m.group(2).split(",")) if m.group(2) else {}
    return m.group(1), {k: _unescape(v) for k, v in props.items()}, _unescape(m.group(3))


def finding(code: str, severity: Severity, path: str, message: str, **kw: object) -> Finding:
    artifact = str(kw.pop("artifact", path.partition("!")[0]))
    fields: dict[str, object] = {
        "code": code, "slug": f"slug-{code.lower()}", "severity": severity, "profile": "lambda",
        "artifact": artifact, "path": path, "member": path.rpartition("!")[2] if "!" in path else "",
        "message": message, "hint": "do the fix",
    }
    fields.update(kw)
    return Finding(**fields)  # type: ignore[arg-type]


LAMBDA = ProfileRef(id="lambda", title="Lambda", arch="x86_64", libc="glibc", libc_version="2.26", python="3.11")
DEBIAN = ProfileRef(id="debian", title="Debian", arch="x86_64", libc="glibc", libc_version="2.36", python="3.11")


def _report(profiles: tuple[ProfileRef, ...] = (LAMBDA,)) -> Report:
    odd = "dist/odd, name: 100%.zip"
    findings = [
        finding("ABG201", Severity.ERROR, "dist/fn.zip!pkg/_x.so", "needs GLIBC_2.34 from libc.so.6",
                details=("GLIBC_2.34: dlopen",), symbols=("dlopen",),
                loader_message="libc.so.6: version `GLIBC_2.34' not found"),
        finding("ABG403", Severity.WARNING, "dist/fn.zip!vendor/w-1.0-py3-none-any.whl!w/lib.so",
                "libcublas.so.12 expected outside the artifact", artifact="dist/fn.zip"),
        finding("ABG110", Severity.INFO, "dist/fn.zip!pkg/_y.so", "asks for an executable stack\r\nsecond line"),
        finding("ABG501", Severity.WARNING, "dist/fn.zip", "unpacks to 300 MiB", waived="measured: fine with layers"),
        finding("ABG103", Severity.ERROR, f"{odd}!a,b:c.so", "is for aarch64 (50% of files)", artifact=odd),
    ]
    by_artifact: dict[str, list[Finding]] = {}
    for f in findings:
        for prof in profiles:
            by_artifact.setdefault(f.artifact, []).append(replace(f, profile=prof.id))
    return Report.build(
        profiles=profiles,
        artifacts=[(path, "zip", found) for path, found in sorted(by_artifact.items())],
        notes=["waiver ABG2 on * expired on 2020-01-01 and no longer applies (reason was: old)"],
    )


def test_escaping_matches_the_actions_toolkit() -> None:
    assert escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"
    # % first, so an escape sequence already in the text is not decoded by the runner.
    assert escape_data("%0A") == "%250A"


def test_one_command_per_finding_then_notes_and_summary() -> None:
    lines = render_github(_report()).splitlines()
    parsed = [parse(line) for line in lines]
    # The waived finding is hidden by default; 4 findings (errors first, then warnings, then notices, each
    # in the report's order), one note, the summary.
    assert [(name, props.get("title")) for name, props, _ in parsed] == [
        ("error", "ABG201 slug-abg201"),
        ("error", "ABG103 slug-abg103"),
        ("warning", "ABG403 slug-abg403"),
        ("notice", "ABG110 slug-abg110"),
        ("notice", "abigate note"),
        ("notice", "abigate summary"),
    ]
    _, props, message = parsed[1]
    # file= is the archive on disk; the member goes into the message; specials survive the round trip.
    assert props["file"] == "dist/odd, name: 100%.zip"
    assert message.splitlines() == ["is for aarch64 (50% of files) (member a,b:c.so)", "fix: do the fix"]
    _, props, message = parsed[2]
    assert props["file"] == "dist/fn.zip"
    assert message.startswith("libcublas.so.12 expected outside the artifact (member vendor/w-1.0-py3-none-any.whl!w/lib.so)")
    assert parsed[3][2].startswith("asks for an executable stack\r\nsecond line (member pkg/_y.so)")
    assert parsed[0][2].splitlines() == [
        "needs GLIBC_2.34 from libc.so.6 (member pkg/_x.so)",
        "GLIBC_2.34: dlopen",
        "loader: libc.so.6: version `GLIBC_2.34' not found",
        "fix: do the fix",
    ]
    assert parsed[-1][2].startswith("2 errors, 1 warning, 1 info, 1 waived in 2 artifacts; lambda: FAIL")


def test_quiet_and_verbose() -> None:
    quiet = [parse(line) for line in render_github(_report(), verbosity="quiet").splitlines()]
    assert [name for name, _, _ in quiet] == ["error", "error", "notice", "notice"]
    verbose = [parse(line) for line in render_github(_report(), verbosity="verbose").splitlines()]
    waived = [m for _, p, m in verbose if p.get("title") == "ABG501 slug-abg501"]
    assert len(waived) == 1 and waived[0].endswith("waived: measured: fine with layers")
    assert [name for name, p, _ in verbose if p.get("title") == "ABG501 slug-abg501"] == ["notice"]
    assert any("symbols: dlopen" in m for _, _, m in verbose)


def test_golden_with_two_profiles_is_deterministic() -> None:
    report = _report((LAMBDA, DEBIAN))
    text = render_github(report)
    assert text == render_github(_report((LAMBDA, DEBIAN)))
    assert "[debian]" in text and "[lambda]" in text
    check_golden("github.txt", text)


def test_cli_example_golden(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    rc = main(["check", "examples/lambda-demo/function", "-p", "aws-lambda-python3.11", "-p", "debian-12",
               "--python", "3.11", "--no-config", "--format", "github"])
    out, err = capsys.readouterr()
    assert (rc, err) == (1, "")
    for line in out.splitlines():
        parse(line)
    check_golden("example-github.txt", out)


# -- GitHub's limits: 10 annotations of each kind per step, and the job summary ---------------------------


def _many(errors: int, warnings: int, infos: int) -> Report:
    found = [finding("ABG201", Severity.ERROR, f"dist/a.whl!pkg/_e{i:03}.so", f"error {i}")
             for i in range(errors)]
    found += [finding("ABG403", Severity.WARNING, f"dist/a.whl!pkg/_w{i:03}.so", f"warning {i}")
              for i in range(warnings)]
    found += [finding("ABG110", Severity.INFO, f"dist/a.whl!pkg/_i{i:03}.so", f"info {i}")
              for i in range(infos)]
    return Report.build(profiles=(LAMBDA,), artifacts=[("dist/a.whl", "wheel", found)])


def test_at_most_ten_annotations_of_each_kind_then_one_line_counting_the_rest() -> None:
    parsed = [parse(line) for line in render_github(_many(130, 12, 3), summary=True).splitlines()]
    kinds = [name for name, _, _ in parsed]
    assert kinds.count("error") == 10 and kinds.count("warning") == 10 and kinds.count("notice") == 5
    assert kinds[:20] == ["error"] * 10 + ["warning"] * 10
    # The first ten of the report's order, not any ten.
    assert [m.splitlines()[0] for _, _, m in parsed[:10]] == [f"error {i} (member pkg/_e{i:03}.so)"
                                                              for i in range(10)]
    more = [m for _, p, m in parsed if p.get("title") == "abigate: more findings"]
    assert more == [("120 errors, 2 warnings more not annotated (GitHub shows 10 of each kind per step): "
                     "they are all in the job summary")]
    assert parsed[-1][1]["title"] == "abigate summary"
    assert parsed[-1][2].startswith("130 errors, 12 warnings, 3 info in 1 artifact")
    # Without a job summary, the line says where else to look.
    plain = render_github(_many(11, 0, 0))
    assert "abigate check --format text or json lists them all" in plain


def test_notices_keep_room_for_the_summary() -> None:
    parsed = [parse(line) for line in render_github(_many(0, 0, 30)).splitlines()]
    assert [name for name, _, _ in parsed] == ["notice"] * 10
    assert [p["title"] for _, p, _ in parsed[-2:]] == ["abigate: more findings", "abigate summary"]
    assert parsed[-2][2].startswith("22 notices more not annotated")
    # Exactly ten notices fit with no line about more.
    assert len(render_github(_many(0, 0, 9)).splitlines()) == 10


def test_nothing_cut_means_no_line_about_more() -> None:
    text = render_github(_many(10, 10, 0))
    assert "more not annotated" not in text and len(text.splitlines()) == 21


def test_summary_has_verdicts_counts_and_every_finding_errors_first() -> None:
    md = render_summary(_report((LAMBDA, DEBIAN)))
    lines = md.splitlines()
    assert lines[0] == "### abigate: ❌ incompatible"
    assert "| Artifact | <code>lambda</code> | <code>debian</code> |" in lines
    assert "| <code>dist/fn.zip</code> | ❌ fail (1 error) | ❌ fail (1 error) |" in lines
    assert "| <code>dist/odd, name: 100%.zip</code> | ❌ fail (1 error) | ❌ fail (1 error) |" in lines
    rows = [ln for ln in lines if ln.startswith("| ") and "ABG" in ln]
    assert len(rows) == 10  # 5 findings × 2 profiles, the waived ones included
    marks = ["| ❌ error"] * 4 + ["| ⚠️ warning"] * 2 + ["| ℹ️ info"] * 2 + ["| waived"] * 2
    assert [r.split(" | ")[0] for r in rows] == marks
    assert "waived: measured: fine with layers" in rows[-1]
    assert "- waiver ABG2 on \\* expired on 2020-01-01" in md
    assert render_summary(_report()) == render_summary(_report())


def test_summary_escapes_what_comes_from_the_artifact() -> None:
    hostile = "dist/x.zip!<img src=x onerror=alert(1)>|`*_[a](b)\n## h.so"
    report = Report.build(profiles=(LAMBDA,), artifacts=[("dist/x.zip", "zip", [
        finding("ABG201", Severity.ERROR, hostile, "needs | <b>bold</b>")])])
    md = render_summary(report)
    assert "<img" not in md and "<b>" not in md
    row = next(ln for ln in md.splitlines() if "ABG201" in ln)
    # Escaped pipes do not add columns: severity, rule, file, problem, fix.
    assert len(re.split(r"(?<!\\)\|", row)) == 7
    assert md_cell("a|b") == "a\\|b" and md_cell("x\ny") == "x y" and md_cell("&lt;") == "&amp;lt;"


def test_summary_is_bounded() -> None:
    md = render_summary(_many(2000, 0, 0))
    rows = [ln for ln in md.splitlines() if ln.startswith("| ❌ error")]
    assert len(rows) == SUMMARY_ROWS
    assert f"… and {2000 - SUMMARY_ROWS} more problems not listed here" in md
    assert len(md.encode()) <= SUMMARY_BYTES


def test_a_passing_run_has_a_green_summary() -> None:
    report = Report.build(profiles=(LAMBDA,), artifacts=[("dist/ok.whl", "wheel", [])])
    lines = render_summary(report).splitlines()
    assert lines[0] == "### abigate: ✅ compatible"
    assert "| <code>dist/ok.whl</code> | ✅ pass |" in lines
    assert not any("| Severity |" in ln for ln in lines)


def test_the_cli_appends_the_summary_when_github_step_summary_is_set(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    args = ["check", "examples/lambda-demo/function", "-p", "aws-lambda-python3.11", "--no-config"]
    rc = main([*args, "--format", "github"])
    _, err = capsys.readouterr()
    assert (rc, err) == (1, "")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### abigate: ❌ incompatible\n")
    assert "| <code>examples/lambda-demo/function</code> | ❌ fail" in text
    # Other formats leave the job summary alone.
    assert main([*args, "--format", "json"]) == 1
    capsys.readouterr()
    assert summary.read_text(encoding="utf-8") == text


def test_one_root_cause_is_one_annotation_and_one_row_naming_the_files() -> None:
    found = [finding("ABG103", Severity.ERROR, f"dist/a.whl!pkg/_m{i:02}.so", "is for aarch64, not x86_64",
                     distribution="a") for i in range(30)]
    report = Report.build(profiles=(LAMBDA,), artifacts=[("dist/a.whl", "wheel", found)])
    parsed = [parse(line) for line in render_github(report).splitlines()]
    assert [name for name, _, _ in parsed] == ["error", "notice"]
    lines = parsed[0][2].splitlines()
    assert lines[0] == "is for aarch64, not x86_64 (member pkg/_m00.so)"
    assert lines[-1] == ("same problem on 29 more files: " + ", ".join(f"pkg/_m{i:02}.so" for i in range(1, 11))
                         + ", … (19 more)")
    assert parsed[1][2].startswith("30 errors")  # the counts still count every finding
    # -v: every finding on its own (so GitHub's limit applies).
    verbose = render_github(report, verbosity="verbose")
    assert verbose.count("::error ") == 10 and "20 errors more not annotated" in verbose
    rows = [ln for ln in render_summary(report).splitlines() if ln.startswith("| ❌ error")]
    assert len(rows) == 1 and "same problem on 29 more files" in rows[0]
    assert "[ABG103](https://github.com/abigate/abigate/blob/main/docs/rules.md#abg103)" in rows[0]
