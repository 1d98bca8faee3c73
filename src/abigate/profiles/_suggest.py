"""Suggest built-in profile ids for a mistyped one, weighing the architecture and the versions named.

Plain string similarity ranks ``aws-lambda-python3.11-amd64`` closest to the ``…-arm64`` ids (``amd64`` and
``arm64`` differ by one letter) though the user plainly meant x86_64. So the architecture is read out of
both names first, under any of its usual spellings, and compared as a fact; the rest of the name is compared
as text, and a candidate carrying every version number the user typed (``3.11``, ``12``) ranks higher.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["suggest_profiles"]

#: spellings of an architecture as a separate word of an id → the canonical machine name.
_ARCH_WORDS = re.compile(
    r"(?<![a-z0-9])(x86[-_]?64|amd64|x64|intel64|aarch64|arm64|armv8|arm64v8)(?![a-z0-9])", re.IGNORECASE
)
_AARCH64 = {"aarch64", "arm64", "armv8", "arm64v8"}
_VERSIONS = re.compile(r"\d+(?:\.\d+)*")


def _split(profile_id: str) -> tuple[str, str | None]:
    """``aws-lambda-python3.11-amd64`` → (``aws-lambda-python3.11``, ``x86_64``); no arch word → None."""
    arch = None
    match = _ARCH_WORDS.search(profile_id)
    if match:
        arch = "aarch64" if match.group(1).lower() in _AARCH64 else "x86_64"
    rest = _ARCH_WORDS.sub("", profile_id).lower()
    return re.sub(r"[-_.]+$", "", re.sub(r"[-_]{2,}", "-", rest)), arch


def suggest_profiles(name: str, known: Sequence[str], *, limit: int = 3) -> list[str]:
    """Up to *limit* ids from *known* that *name* probably meant, best first (none when nothing is close).

    A built-in id naming no architecture is x86_64 (``debian-12``; ``-arm64`` marks the other one).
    """
    import difflib  # only to suggest a name: kept off every run's start-up

    base, arch = _split(name)
    wanted = set(_VERSIONS.findall(base))
    scored = []
    for candidate in known:
        cbase, carch = _split(candidate)
        similarity = difflib.SequenceMatcher(None, base, cbase).ratio()
        if similarity < 0.5:
            continue
        score = similarity
        if arch is not None:
            score += 0.25 if arch == (carch or "x86_64") else -0.25
        if wanted and wanted <= set(_VERSIONS.findall(cbase)):
            score += 0.15
        scored.append((-score, candidate))
    return [candidate for _, candidate in sorted(scored)[:limit]]
