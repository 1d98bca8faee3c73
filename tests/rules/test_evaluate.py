"""evaluate/check: preconditions (one cause, one finding), severities, waivers, verdicts, order, exit status."""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

from test_rule_cases import EXT, P, ext, run, wheel

from abigate.evaluate import Selection, Waiver, check, evaluate
from abigate.findings import Report
from abigate.rules import Severity
from abigate.rules.testing import artifact, elf, glibc_profile, native, need

NEEDS_2_34 = (need("libc.so.6", "GLIBC_2.34", "pthread_create"),)
LAMBDA_312 = glibc_profile("lambda-3.12", version=(2, 34), python=(3, 12))


def test_wrong_architecture_gives_one_finding_not_twenty() -> None:
    bad = native(
        EXT, elf("aarch64", needed=("libc.so.6", "libssl.so.3"), version_needs=NEEDS_2_34, gnu_stack_flags=7)
    )
    assert [f.code for f in run(wheel(bad))] == ["ABG103"]


def test_musl_object_on_glibc_is_only_wrong_libc() -> None:
    musl = ext(libc="musl", needed=("libc.musl-x86_64.so.1",), version_needs=())
    assert [f.code for f in run(wheel(musl))] == ["ABG210"]


def test_malformed_file_is_reported_and_never_skipped() -> None:
    broken = native(EXT, None, elf=None, error="section header table outside the file")
    findings = run(wheel(broken))
    assert [f.code for f in findings] == ["ABG002"]
    assert findings[0].severity is Severity.ERROR


def test_severity_override_from_configuration() -> None:
    facts = wheel(ext(gnu_stack_flags=7))
    sel = Selection(severity=MappingProxyType({"ABG110": Severity.ERROR}))
    assert [(f.code, f.severity) for f in evaluate(facts, P, sel)] == [("ABG110", Severity.ERROR)]


def test_ignore_by_prefix_and_slug() -> None:
    facts = wheel(ext(version_needs=NEEDS_2_34, gnu_stack_flags=7))
    assert {f.code for f in run(facts)} == {"ABG110", "ABG201"}
    assert [f.code for f in evaluate(facts, P, Selection(ignore=("ABG2",)))] == ["ABG110"]
    assert [f.code for f in evaluate(facts, P, Selection(ignore=("executable-stack",)))] == ["ABG201"]


def test_finding_carries_location_versions_symbols_and_loader_message() -> None:
    f = run(wheel(ext(version_needs=NEEDS_2_34 + (need("libc.so.6", "GLIBC_2.33", "stat64"),))))[0]
    assert (f.code, f.slug, f.profile, f.artifact) == ("ABG201", "missing-symbol-version", P.id, wheel().path)
    assert f.path == f"{wheel().path}!{EXT}" and f.member == EXT
    assert (f.library, f.versions, f.symbols) == (
        "libc.so.6",
        ("GLIBC_2.34", "GLIBC_2.33"),
        ("pthread_create", "stat64"),
    )
    assert f.details == ("GLIBC_2.34: pthread_create", "GLIBC_2.33: stat64")
    # glibc names only the first missing node, in .gnu.version_r order.
    assert f.loader_message == f"libc.so.6: version `GLIBC_2.34' not found (required by {EXT})"
    assert "needs glibc ≥ 2.34" in f.hint


def test_hint_names_profiles_that_would_work() -> None:
    facts = wheel(ext(version_needs=NEEDS_2_34))
    old = glibc_profile("glibc-2.28", version=(2, 28))
    findings = evaluate(
        facts, P, alternatives=[old, LAMBDA_312, glibc_profile("arm", version=(2, 40), arch="aarch64")]
    )
    assert "(satisfied by: lambda-3.12)" in findings[0].hint


def test_derived_sets_compare_numerically_exact_sets_by_membership() -> None:
    # A derived set (from a version number) satisfies nodes up to its newest one; an exact set only its members.
    facts = wheel(ext(version_needs=(need("libc.so.6", "GLIBC_2.25", "getrandom"),)))
    assert run(facts) == []
    exact = glibc_profile("exact", exact=True, version=(2, 26))
    without = exact.libraries["libc.so.6"].versions - {"GLIBC_2.25"}
    libs = dict(exact.libraries)
    libs["libc.so.6"] = type(libs["libc.so.6"])(soname="libc.so.6", versions=without, exact=True)
    from abigate._records import replace

    assert [f.code for f in run(facts, replace(exact, libraries=MappingProxyType(libs)))] == ["ABG201"]


def test_nested_artifact_files_are_checked() -> None:
    inner = artifact("fn.zip!pkg.whl", [ext(version_needs=NEEDS_2_34)])
    outer = artifact("fn.zip", [], kind="zip", nested=(inner,))
    findings = run(outer)
    assert [(f.code, f.artifact, f.path) for f in findings] == [("ABG201", "fn.zip", f"fn.zip!pkg.whl!{EXT}")]


def test_waivers_apply_with_reason_and_expire_with_a_note() -> None:
    facts = wheel(ext(version_needs=NEEDS_2_34))
    keep = Waiver(code="ABG2", path="*/_x.*.so", reason="tested on the real image", expires=date(2030, 1, 1))
    old = Waiver(code="ABG201", path="*", reason="old excuse", expires=date(2020, 1, 1))
    today = date(2026, 6, 1)
    report = check([facts], [P], Selection(waivers=(keep,), today=today))
    (f,) = report.artifacts[0].findings
    assert f.waived == "tested on the real image"
    assert report.artifacts[0].verdicts == {P.id: "pass"} and report.exit_status() == 0
    assert report.counts["waived"] == 1 and report.counts["error"] == 0
    report = check([facts], [P], Selection(waivers=(old,), today=today))
    assert report.artifacts[0].findings[0].waived is None
    assert report.notes == (
        "waiver ABG201 on * expired on 2020-01-01 and no longer applies (reason was: old excuse)",
    )
    assert report.exit_status() == 1


def test_waiver_for_one_profile_only() -> None:
    facts = wheel(ext(version_needs=NEEDS_2_34))
    other = glibc_profile("other-2.26", version=(2, 26))
    w = Waiver(code="ABG201", reason="staging only", profile="other-2.26")
    report = check([facts], [P, other], Selection(waivers=(w,)))
    assert report.artifacts[0].verdicts == {P.id: "fail", "other-2.26": "pass"}


def test_one_verdict_per_artifact_per_profile_and_exit_status() -> None:
    needs_234 = wheel(ext(version_needs=NEEDS_2_34), path="a.whl")
    clean = wheel(ext(), path="b.whl")
    prod = glibc_profile("prod", version=(2, 34))
    report = check([needs_234, clean], [P, prod])
    assert [dict(a.verdicts) for a in report.artifacts] == [
        {P.id: "fail", "prod": "pass"},
        {P.id: "pass", "prod": "pass"},
    ]
    assert report.profile_verdict(P.id) == (1, 2)
    assert report.exit_status() == 1 and report.exit_status(exit_zero=True) == 0


def test_fail_on_warning() -> None:
    facts = wheel(ext(gnu_stack_flags=7))
    assert check([facts], [P]).exit_status() == 0
    assert check([facts], [P], fail_on=Severity.WARNING).exit_status() == 1


def test_order_is_deterministic_and_worst_first_within_a_file() -> None:
    e = ext(version_needs=NEEDS_2_34, gnu_stack_flags=7, needed=("libc.so.6", "libssl.so.3"))
    other = native(
        "pkg/_a.cpython-311-x86_64-linux-gnu.so",
        elf(needed=("libffi.so.8",), python_init_exports=("PyInit__a",)),
    )
    findings = run(wheel(e, other))
    assert [(f.member.split("/")[-1][:2], f.code) for f in findings] == [
        ("_a", "ABG401"),
        ("_x", "ABG201"),
        ("_x", "ABG401"),
        ("_x", "ABG110"),
    ]
    assert run(wheel(other, e)) == findings


def test_empty_report() -> None:
    report = Report.build(profiles=[], artifacts=[])
    assert report.exit_status() == 0 and not report.failed


def test_profile_without_python_says_python_rules_were_skipped() -> None:
    no_python = glibc_profile("os-only", python=None)
    facts = wheel(ext(member="pkg/_x.cpython-312-x86_64-linux-gnu.so"))
    report = check([facts], [no_python])
    assert report.artifacts[0].findings == ()
    assert report.notes == (
        "os-only names no Python interpreter, so the Python rules (ABG3xx) were skipped; pass --python X.Y",
    )
    assert check([facts], [no_python], Selection(ignore=("ABG3",))).notes == ()
