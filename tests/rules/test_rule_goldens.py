"""Golden text and JSON reports for every firing rule case (reviewed text, regenerated with ABIGATE_UPDATE_GOLDEN=1).

Every rule appears in ``tests/golden/check/rules.txt``; ``tests/golden/check/mixed.json`` shows one artifact with
findings of several families, a waived one, and two profiles, validated against the published schema.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import jsonschema
from test_rule_cases import CASES, P, ext, run, wheel

from abigate.evaluate import Selection, Waiver, check, profile_ref
from abigate.findings import Report
from abigate.reporters.check_json import render_json
from abigate.reporters.check_text import render_text
from abigate.rules import RULES
from abigate.rules.testing import elf, glibc_profile, native, need

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "check"
SCHEMA = json.loads(
    (ROOT / "src" / "abigate" / "resources" / "check.schema.json").read_text(encoding="utf-8")
)
UPDATE = os.environ.get("ABIGATE_UPDATE_GOLDEN") == "1"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_every_firing_case_text_golden() -> None:
    blocks = []
    for case in CASES:
        if not case.fires:
            continue
        facts = case.facts()
        findings = run(facts, case.profile, case.code)
        report = Report.build(
            profiles=[profile_ref(case.profile)], artifacts=[(facts.path, facts.kind, findings)]
        )
        blocks.append(f"### {case.code} {case.id}\n{render_text(report, verbosity='verbose')}")
    text = "\n".join(blocks)
    for rule in RULES:
        assert f"### {rule.code} " in text
    check_golden("rules.txt", text)


def _mixed_report() -> Report:
    e = ext(
        needed=("libc.so.6", "libssl.so.3"),
        gnu_stack_flags=7,
        version_needs=(
            need("libc.so.6", "GLIBC_2.34", "pthread_create"),
            need("libc.so.6", "GLIBC_2.17", "memcpy"),
        ),
    )
    other = native("pkg/_y.cpython-312-x86_64-linux-gnu.so", elf(python_init_exports=("PyInit__y",)))
    arm = native("pkg/_z.cpython-311-aarch64-linux-gnu.so", elf("aarch64"))
    facts = wheel(e, other, arm)
    staging = glibc_profile("glibc-2.34", version=(2, 34))
    waiver = Waiver(
        code="ABG110", path="*/_x.*", reason="patched with execstack -c at deploy", expires=date(2099, 1, 1)
    )
    return check(
        [facts, wheel(ext(), path="dist/clean-1.0-cp311-cp311-manylinux_2_17_x86_64.whl")],
        [P, staging],
        Selection(waivers=(waiver,), today=date(2026, 1, 1)),
    )


def test_mixed_report_json_golden_matches_schema() -> None:
    text = render_json(_mixed_report())
    jsonschema.validate(json.loads(text), SCHEMA)
    check_golden("mixed.json", text)


def test_mixed_report_text_goldens_for_each_verbosity() -> None:
    report = _mixed_report()
    for verbosity in ("quiet", "normal", "verbose"):
        check_golden(f"mixed-{verbosity}.txt", render_text(report, verbosity=verbosity))  # type: ignore[arg-type]
