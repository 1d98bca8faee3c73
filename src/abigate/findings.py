"""Findings, verdicts and the report of one ``abigate check`` run. Pure data, no I/O.

A :class:`Finding` is a rule's violation stamped with the rule's code and severity and located (profile,
artifact, member, distribution). A :class:`Report` holds every finding of every artifact for every profile,
one verdict per artifact per profile, and computes the exit status: nothing else decides it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from abigate._records import Record, field
from abigate.rules._base import Severity

__all__ = ["ArtifactResult", "Finding", "ProfileRef", "Report", "Verdict", "finding_sort_key"]

Verdict = Literal["pass", "fail"]


class Finding(Record):
    """One problem, located and classified."""

    code: str
    slug: str
    severity: Severity
    #: id of the profile the finding is about.
    profile: str
    #: display path of the artifact given on the command line.
    artifact: str
    #: display path of what is wrong (``artifact!member``, or the artifact itself).
    path: str
    #: path inside the innermost container (``""`` for the artifact itself).
    member: str
    distribution: str | None = None
    library: str | None = None
    versions: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    #: what is wrong, with the values.
    message: str
    #: further lines for people (per-version symbols, search paths, loading chain).
    details: tuple[str, ...] = ()
    #: what to do.
    hint: str
    #: the error the target's loader or interpreter would print, when predictable.
    loader_message: str | None = None
    #: the reason of the ``[tool.abigate]`` waiver that covers this finding; ``None`` if not waived.
    waived: str | None = None

    def __init__(self, *, code: str, slug: str, severity: Severity, profile: str, artifact: str, path: str,
                 member: str, distribution: str | None = None, library: str | None = None,
                 versions: tuple[str, ...] = (), symbols: tuple[str, ...] = (), message: str,
                 details: tuple[str, ...] = (), hint: str, loader_message: str | None = None,
                 waived: str | None = None) -> None:
        # Written out: 20,000 failing files checked against two profiles make 80,000, where the generic
        # record __init__ costs half as much again. tests/test_records.py checks it against the fields.
        _set = object.__setattr__
        _set(self, "code", code)
        _set(self, "slug", slug)
        _set(self, "severity", severity)
        _set(self, "profile", profile)
        _set(self, "artifact", artifact)
        _set(self, "path", path)
        _set(self, "member", member)
        _set(self, "distribution", distribution)
        _set(self, "library", library)
        _set(self, "versions", versions)
        _set(self, "symbols", symbols)
        _set(self, "message", message)
        _set(self, "details", details)
        _set(self, "hint", hint)
        _set(self, "loader_message", loader_message)
        _set(self, "waived", waived)

    def counts_against(self, fail_on: Severity) -> bool:
        """Whether this finding fails the gate at threshold *fail_on* (waived findings never do)."""
        return self.waived is None and self.severity.rank >= fail_on.rank

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (schema ``abigate.check/2``, ``finding``)."""
        return {
            "code": self.code,
            "slug": self.slug,
            "severity": self.severity.value,
            "profile": self.profile,
            "artifact": self.artifact,
            "path": self.path,
            "member": self.member,
            "distribution": self.distribution,
            "library": self.library,
            "versions": list(self.versions),
            "symbols": list(self.symbols),
            "message": self.message,
            "details": list(self.details),
            "hint": self.hint,
            "loader_message": self.loader_message,
            "waived": self.waived,
        }


def finding_sort_key(f: Finding) -> tuple[Any, ...]:
    """Deterministic order: artifact, distribution, file, worst first, code, profile, then the text."""
    return (
        f.artifact,
        f.distribution or "",
        f.path,
        -f.severity.rank,
        f.code,
        f.profile,
        f.library or "",
        f.message,
    )


class ProfileRef(Record):
    """What a report says about each profile it used."""

    id: str
    title: str
    arch: str
    libc: str
    libc_version: str
    python: str | None = None
    origin: str | None = None
    #: sha256 of the resolved profile (:func:`abigate.digests.profile_digest`).
    sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "arch": self.arch,
            "libc": self.libc,
            "libc_version": self.libc_version,
            "python": self.python,
            "origin": self.origin,
            "sha256": self.sha256,
        }


class ArtifactResult(Record):
    """Every finding about one artifact, and its verdict per profile."""

    path: str
    kind: str
    findings: tuple[Finding, ...]
    #: profile id → verdict, in the order the profiles were given.
    verdicts: Mapping[str, Verdict]
    #: ELF, Mach-O and PE files found, nested archives included (``None`` when the report was built without
    #: the scan, e.g. from findings alone); 0 means the artifact passes because nothing in it is loaded.
    native_files: int | None = None
    #: sha256 of the artifact's bytes (:attr:`abigate.facts.ArtifactFacts.sha256`); ``None`` for a folder.
    sha256: str | None = None

    @property
    def failed(self) -> bool:
        return any(v == "fail" for v in self.verdicts.values())


class Report(Record):
    """The outcome of one run."""

    profiles: tuple[ProfileRef, ...]
    artifacts: tuple[ArtifactResult, ...]
    fail_on: Severity = Severity.ERROR
    #: run-level remarks for people: expired waivers, rules skipped for lack of profile data…
    notes: tuple[str, ...] = ()
    #: selection in effect, for the record (codes/prefixes).
    select: tuple[str, ...] = ("ABG",)
    ignore: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        profiles: Sequence[ProfileRef],
        artifacts: Sequence[tuple[str, str, Sequence[Finding]]],
        fail_on: Severity = Severity.ERROR,
        notes: Sequence[str] = (),
        select: Sequence[str] = ("ABG",),
        ignore: Sequence[str] = (),
    ) -> Report:
        """Assemble a report from (artifact path, kind, findings) triples; sorts and computes verdicts."""
        results = []
        for path, kind, findings in artifacts:
            ordered = tuple(sorted(findings, key=finding_sort_key))
            verdicts: dict[str, Verdict] = {}
            for prof in profiles:
                bad = any(f.profile == prof.id and f.counts_against(fail_on) for f in ordered)
                verdicts[prof.id] = "fail" if bad else "pass"
            results.append(ArtifactResult(path=path, kind=kind, findings=ordered, verdicts=verdicts))
        counts = {"error": 0, "warning": 0, "info": 0, "waived": 0}
        for res in results:
            for f in res.findings:
                counts["waived" if f.waived else f.severity.value] += 1
        return cls(
            profiles=tuple(profiles),
            artifacts=tuple(results),
            fail_on=fail_on,
            notes=tuple(notes),
            select=tuple(select),
            ignore=tuple(ignore),
            counts=counts,
        )

    @property
    def failed(self) -> bool:
        """True when at least one artifact fails for at least one profile."""
        return any(a.failed for a in self.artifacts)

    def exit_status(self, *, exit_zero: bool = False) -> int:
        """0 when every artifact passes for every profile (or *exit_zero*), else 1."""
        return 0 if exit_zero or not self.failed else 1

    def profile_verdict(self, profile_id: str) -> tuple[int, int]:
        """(failing artifacts, all artifacts) for one profile."""
        verdicts = [a.verdicts.get(profile_id) for a in self.artifacts]
        return sum(v == "fail" for v in verdicts), len(verdicts)
