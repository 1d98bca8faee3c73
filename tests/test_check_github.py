"""``abigate check --format github``: workflow-command escaping, severities, locations, goldens.

Goldens live in tests/golden/check/; regenerate with ``ABIGATE_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from abigate.cli import main
from abigate.findings import Finding, ProfileRef, Report
from abigate.reporters.check_github import escape_data, escape_property, render_github
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
    # The waived finding is hidden by default; 4 findings, one note, the summary.
    assert [(name, props.get("title")) for name, props, _ in parsed] == [
        ("error", "ABG201 slug-abg201"),
        ("notice", "ABG110 slug-abg110"),
        ("warning", "ABG403 slug-abg403"),
        ("error", "ABG103 slug-abg103"),
        ("notice", "abigate note"),
        ("notice", "abigate summary"),
    ]
    _, props, message = parsed[3]
    # file= is the archive on disk; the member goes into the message; specials survive the round trip.
    assert props["file"] == "dist/odd, name: 100%.zip"
    assert message.splitlines() == ["is for aarch64 (50% of files) (member a,b:c.so)", "fix: do the fix"]
    _, props, message = parsed[2]
    assert props["file"] == "dist/fn.zip"
    assert message.startswith("libcublas.so.12 expected outside the artifact (member vendor/w-1.0-py3-none-any.whl!w/lib.so)")
    assert parsed[1][2].startswith("asks for an executable stack\r\nsecond line (member pkg/_y.so)")
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
