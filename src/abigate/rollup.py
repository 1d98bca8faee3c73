"""Roll findings with one root cause up into one reported problem. Pure: findings in, groups out.

A wheel built for Python 3.11 and checked against 3.12 gives one ABG302 for the distribution plus one ABG301
per extension module: dozens of findings, one cause, one fix. A wheel for the wrong architecture gives one
ABG103 per file. People (the text report, ``-q``, ``--format concise``) and the pipeline formats (SARIF,
JUnit, GitLab) want one problem each; the JSON report keeps every finding, and the counts always include
them all.

Two kinds of rollup, never crossing a container (the artifact, or a wheel nested in it), a distribution (or,
for files no ``RECORD`` claims, a top-level folder), a profile, a severity or a waiver:

* ``cause``: the ABG301 findings on the files of a distribution whose tags ABG302 rejects join that ABG302
  (the head): pip would not have installed it, and its modules are not imported for the same reason.
* ``repeat``: findings of one rule whose texts are the same but for the file's own names (path, member,
  base name, dotted module name) join the first of them.

Everything else is a ``single``. Order: each rollup sits where its head is in the input (report order).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Literal

from abigate._records import Record
from abigate.findings import Finding
from abigate.rules._base import Severity

__all__ = ["CAUSE_CODE", "EFFECT_CODES", "Rollup", "roll_up"]

RollupKind = Literal["single", "repeat", "cause"]

#: the distribution-level finding that explains its files' findings …
CAUSE_CODE = "ABG302"
#: … and the file-level findings it explains.
EFFECT_CODES = frozenset({"ABG301"})


class Rollup(Record, kw_only=False):
    """One reported problem: a finding (``head``), and the findings it stands for (head first)."""

    kind: RollupKind
    findings: tuple[Finding, ...]

    @property
    def head(self) -> Finding:
        return self.findings[0]

    @property
    def others(self) -> tuple[Finding, ...]:
        """The findings rolled into the head (none for a ``single``)."""
        return self.findings[1:]

    @property
    def severity(self) -> Severity:
        return max((f.severity for f in self.findings), key=lambda s: s.rank)

    @property
    def other_codes(self) -> tuple[str, ...]:
        """Codes of the rolled-in findings, sorted, without repeats."""
        return tuple(sorted({f.code for f in self.others}))

    def files(self) -> tuple[str, ...]:
        """Display paths of the rolled-in findings' files, in report order, without repeats."""
        return tuple(dict.fromkeys(f.path for f in self.others))

    def members(self) -> tuple[str, ...]:
        """Member paths (inside their container) of the rolled-in findings' files, as :meth:`files`."""
        return tuple(dict.fromkeys(f.member or f.path for f in self.others))

    def counts_against(self, fail_on: Severity) -> bool:
        return any(f.counts_against(fail_on) for f in self.findings)


def container(f: Finding) -> str:
    """The display path of the (possibly nested) archive or folder *f*'s file is in; for a finding about a
    whole wheel (no member), the wheel itself.

    >>> container(Finding(code="X", slug="x", severity=Severity.ERROR, profile="p", artifact="a.zip",
    ...     path="a.zip!w.whl!m/x.so", member="m/x.so", message="", hint=""))
    'a.zip!w.whl'
    """
    if f.member and f.path.endswith(f.member) and len(f.path) > len(f.member):
        return f.path[: -len(f.member) - 1]
    return f.path


#: how many of a member's innermost folders ``_names`` turns into dotted module names.
_MAX_MODULE_DEPTH = 32


def _names(f: Finding) -> list[str]:
    """The texts naming *f*'s own file, longest first: display path, member, base name, quoted module names.

    ``pkg/sub/_x.cpython-311-x86_64-linux-gnu.so`` is imported as ``'pkg.sub._x'`` (or ``'sub._x'`` under a
    site root such as ``python/``): ModuleNotFoundError quotes it, so the quoted forms are blanked too.
    """
    folder, base = posixpath.split(f.member)
    # Only the innermost folders can be part of a dotted module name worth blanking; all of them would make
    # a member 50,000 folders deep (a hostile tar's long name) cost gigabytes of quoted forms.
    parts = [p for p in folder.split("/") if p][-_MAX_MODULE_DEPTH:] + [base.split(".", 1)[0]]
    names = [f.path, f.member, base] + ["'" + ".".join(parts[i:]) + "'" for i in range(len(parts))]
    return sorted({n for n in names if n.strip("'")}, key=len, reverse=True)


def pattern(f: Finding) -> tuple[object, ...]:
    """What makes two findings "the same" but for their file: every text with the file's names blanked."""
    names = _names(f)

    def blank(text: str) -> str:
        for name in names:
            text = text.replace(name, "\0")
        return text

    return (f.code, f.severity, f.profile, f.waived, f.library, blank(f.message),
            tuple(blank(d) for d in f.details), blank(f.hint), blank(f.loader_message or ""))


def _scope(f: Finding) -> tuple[str, str, str]:
    """(profile, container, distribution) a rollup never crosses.

    A file no ``RECORD`` assigns to a distribution (a deploy folder assembled by hand, a zip without
    ``.dist-info``) counts as part of its top-level folder, the import package it most likely belongs to, so
    that ``numpy/`` and ``pandas/`` files never share a rollup either.
    """
    if f.distribution is not None:
        return f.profile, container(f), f.distribution
    top = f.member.split("/", 1)[0] if "/" in f.member else ""
    return f.profile, container(f), "/" + top


def roll_up(findings: Sequence[Finding], *, min_repeat: int = 2) -> list[Rollup]:
    """Group *findings* (in report order) into rollups, in the order of their heads.

    :param min_repeat: fewest files a ``repeat`` rollup stands for (below it, each stays a ``single``).
    """
    members: dict[int, list[int]] = {}
    kinds: dict[int, RollupKind] = {}
    taken: set[int] = set()
    # Causes first: an ABG302 about a wheel (no distribution) covers the wheel's files; one about a
    # distribution in a zip or folder covers that distribution's files in the same container.
    causes: dict[tuple[object, ...], int] = {}
    for pos, f in enumerate(findings):
        if f.code == CAUSE_CODE:
            if f.distribution is None:
                key: tuple[object, ...] = (f.profile, f.path, None, f.severity, f.waived)
            else:
                key = (f.profile, container(f), f.distribution, f.severity, f.waived)
            causes.setdefault(key, pos)
    if causes:
        for pos, f in enumerate(findings):
            if f.code not in EFFECT_CODES or not f.member:
                continue
            where = container(f)
            head = causes.get((f.profile, where, None, f.severity, f.waived))
            if head is None and f.distribution is not None:
                head = causes.get((f.profile, where, f.distribution, f.severity, f.waived))
            if head is not None:
                members.setdefault(head, [head]).append(pos)
                kinds[head] = "cause"
                taken.add(pos)
    taken.update(members)
    repeats: dict[tuple[object, ...], list[int]] = {}
    for pos, f in enumerate(findings):
        if pos not in taken and f.member:
            repeats.setdefault((_scope(f), pattern(f)), []).append(pos)
    for positions in repeats.values():
        if len(positions) >= max(min_repeat, 2):
            members[positions[0]] = positions
            kinds[positions[0]] = "repeat"
            taken.update(positions)
    out = []
    for pos, f in enumerate(findings):
        if pos in members:
            out.append(Rollup(kinds[pos], tuple(findings[i] for i in members[pos])))
        elif pos not in taken:
            out.append(Rollup("single", (f,)))
    return out
