"""The rule catalogue: unique codes and slugs, documented sections, a test per rule, selection, generated docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_rule_cases import CASES

from abigate.rules import RULES, UnknownRuleError, by_code, is_selected, resolve_selector, select_rules
from abigate.rules._base import DOC_SECTIONS
from abigate.rules.docs import catalogue_markdown, catalogue_table, rule_text

ROOT = Path(__file__).resolve().parents[2]


def test_codes_and_slugs_are_unique_and_well_formed() -> None:
    codes = [r.code for r in RULES]
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes), "RULES is kept in code order"
    assert len({r.slug for r in RULES}) == len(RULES)
    for r in RULES:
        assert re.fullmatch(r"ABG\d{3}", r.code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.slug)


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_docstring_has_every_section(rule) -> None:  # type: ignore[no-untyped-def]
    assert 0 < len(rule.title) <= 80, rule.title
    sections = rule.sections()
    assert list(sections) == list(DOC_SECTIONS)
    assert all(body.strip() for body in sections.values())
    assert rule.code in sections["Example"], "the example shows a finding line with the code"


def test_why_it_matters_quotes_a_runtime_error_for_load_failures() -> None:
    # Every rule about loading says what the user would see: a quoted message in backticks.
    for r in RULES:
        if r.family in ("binary", "versions", "python", "libraries") and r.severity.value == "error":
            assert "``" in r.section("Why it matters"), r.code


def test_every_rule_has_a_firing_and_a_silent_case() -> None:
    fired = {c.code for c in CASES if c.fires}
    silent = {c.code for c in CASES if not c.fires}
    assert fired == {r.code for r in RULES}
    assert silent == {r.code for r in RULES}


def test_lookup_by_code_or_slug() -> None:
    assert by_code("abg201").slug == "missing-symbol-version"
    assert by_code("missing-symbol-version").code == "ABG201"
    with pytest.raises(UnknownRuleError, match="ABG999"):
        by_code("ABG999")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ABG2", "ABG2"),
        ("abg20", "ABG20"),
        ("ALL", "ABG"),
        ("ABG", "ABG"),
        ("wrong-libc", "ABG210"),
        ("A", "ABG"),
    ],
)
def test_resolve_selector(text: str, expected: str) -> None:
    assert resolve_selector(text) == expected


@pytest.mark.parametrize("text", ["ABG9", "ABG2011", "XYZ", "", "no-such-rule"])
def test_resolve_selector_rejects_unknown(text: str) -> None:
    with pytest.raises(UnknownRuleError):
        resolve_selector(text)


def test_selection_most_specific_wins() -> None:
    assert is_selected("ABG201", ["ABG"], ["ABG2"]) is False
    assert is_selected("ABG201", ["ABG201"], ["ABG2"]) is True
    assert is_selected("ABG201", ["ABG2"], ["ABG2"]) is False
    assert is_selected("ABG301", ["ABG2"], []) is False
    assert [r.code for r in select_rules(["ABG5"])] == ["ABG501", "ABG502"]
    assert "ABG201" not in [r.code for r in select_rules(ignore=["missing-symbol-version"])]


def test_rendering() -> None:
    table = catalogue_table()
    assert table.splitlines()[0].split()[:4] == ["CODE", "SLUG", "SEVERITY", "FAMILY"]
    assert len(table.splitlines()) == len(RULES) + 1
    text = rule_text(by_code("ABG201"))
    assert text.startswith("ABG201 missing-symbol-version (error by default, family versions)")
    assert "Why it matters:" in text and "version `GLIBC_2.34' not found" in text


def test_docs_rules_md_is_current() -> None:
    # Regenerate with: python scripts/gen_rule_docs.py
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == catalogue_markdown()
