"""The rule catalogue: the explicit ``RULES`` tuple, lookup by code or slug, selection by code or prefix.

Codes are ``ABG`` + three digits; the hundreds digit is the family (0 artifact, 1 binary format and loader
requirements, 2 libc and symbol versions, 3 Python, 4 libraries, 5 limits). A code is never reused or
renumbered: a retired rule stays in the catalogue marked as removed.
"""

from __future__ import annotations

from collections.abc import Iterable

from abigate.rules import arch, artifact, conda, libraries, limits, python, versions
from abigate.rules._base import FAMILIES, Context, Rule, Severity, Violation

__all__ = [
    "FAMILIES",
    "RULES",
    "Context",
    "Rule",
    "Severity",
    "UnknownRuleError",
    "Violation",
    "by_code",
    "is_selected",
    "resolve_selector",
    "select_rules",
]

#: every rule, in code order. Adding a rule means adding it here (and a test that fires it).
RULES: tuple[Rule, ...] = (
    artifact.unreadable_artifact,
    artifact.malformed_binary,
    artifact.unsafe_archive,
    artifact.digest_mismatch,
    artifact.budget_exceeded,
    arch.not_elf,
    arch.wrong_class,
    arch.wrong_machine,
    arch.wrong_byte_order,
    arch.unsupported_osabi,
    arch.invalid_elf_ident,
    arch.not_dlopenable,
    arch.exec_stack,
    arch.x86_isa_level,
    arch.load_alignment,
    arch.static_tls,
    versions.missing_version,
    versions.glibc_private,
    versions.missing_marker,
    versions.unsupported_relr,
    versions.weak_version_missing,
    versions.unverifiable_versions,
    versions.unversioned_provider,
    versions.bundled_version_missing,
    versions.wrong_libc,
    python.extension_suffix_rejected,
    python.wheel_tags_rejected,
    python.abi3_too_new,
    python.free_threading_mismatch,
    python.links_libpython,
    python.missing_module_init,
    conda.conda_platform_rejected,
    libraries.library_not_found,
    libraries.library_unreachable,
    libraries.library_outside_artifact,
    libraries.bundled_not_elf,
    limits.unzipped_size,
    limits.zipped_size,
)

_BY_CODE = {r.code: r for r in RULES}
_BY_SLUG = {r.slug: r for r in RULES}


class UnknownRuleError(ValueError):
    """A code, prefix or slug that names no rule."""


def by_code(code_or_slug: str) -> Rule:
    """The rule with this code (``ABG201``, case-insensitive) or slug (``missing-symbol-version``)."""
    key = code_or_slug.strip()
    rule = _BY_CODE.get(key.upper()) or _BY_SLUG.get(key.lower())
    if rule is None:
        raise UnknownRuleError(f"unknown rule {code_or_slug!r} (see `abigate rules`)")
    return rule


def resolve_selector(selector: str) -> str:
    """Normalise a ``--select``/``--ignore`` entry to a code or code prefix; slugs become their code.

    ``abg2`` → ``ABG2``; ``missing-symbol-version`` → ``ABG201``; ``ALL`` → ``ABG``. Raises
    :class:`UnknownRuleError` for anything matching no rule.
    """
    text = selector.strip()
    if text.lower() in _BY_SLUG:
        return _BY_SLUG[text.lower()].code
    upper = text.upper()
    if upper == "ALL":
        return "ABG"
    if upper and "ABG".startswith(upper):
        return "ABG"
    if upper.startswith("ABG") and any(code.startswith(upper) for code in _BY_CODE):
        return upper
    raise UnknownRuleError(f"unknown rule or prefix {selector!r} (see `abigate rules`)")


def is_selected(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """Whether *code* is enabled: the most specific matching selector wins (``ignore ABG2`` + ``select ABG201``).

    A tie between select and ignore at the same length goes to ignore.
    """
    best_select = max((len(s) for s in select if code.startswith(s)), default=-1)
    best_ignore = max((len(s) for s in ignore if code.startswith(s)), default=-1)
    return best_select >= 0 and best_select > best_ignore


def select_rules(select: Iterable[str] = ("ABG",), ignore: Iterable[str] = ()) -> tuple[Rule, ...]:
    """The rules enabled by *select* and *ignore* (codes, prefixes or slugs), in code order."""
    sel = [resolve_selector(s) for s in select]
    ign = [resolve_selector(s) for s in ignore]
    return tuple(r for r in RULES if is_selected(r.code, sel, ign))


def _check_catalogue() -> None:
    # Import-time sanity: a duplicated code or slug is a programming error, caught by any test run.
    if len(_BY_CODE) != len(RULES) or len(_BY_SLUG) != len(RULES):
        raise RuntimeError("duplicate rule code or slug in abigate.rules.RULES")


_check_catalogue()
