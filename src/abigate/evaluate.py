"""Facts + profile + selection → findings. Pure: no files, no clock, no host.

``evaluate`` runs every selected rule over one artifact (and its nested artifacts) for one profile. It is the
only place that:

* stamps a violation with its rule's code, slug and severity (a rule cannot emit the wrong code);
* applies preconditions (``Rule.needs``) so one cause gives one finding: a file for the wrong architecture
  gets ABG103 and no symbol-version, library or Python findings; a musl file on glibc gets ABG210 only;
* applies severity overrides and waivers from the configuration (waivers need a reason; expired ones stop
  applying and the report says so);
* sorts findings deterministically.

``check`` does that for several artifacts and profiles and builds the :class:`~abigate.findings.Report`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import TypeVar

from abigate._records import Record, field, replace
from abigate.digests import profile_digest
from abigate.facts import ArtifactFacts, NativeFile
from abigate.findings import Finding, ProfileRef, Report, finding_sort_key
from abigate.pathglob import glob_matches
from abigate.profile import Profile
from abigate.resolve import resolve_artifact
from abigate.rules import Rule, Severity, resolve_selector, select_rules
from abigate.rules._base import Context, Violation
from abigate.rules.arch import format_mismatch
from abigate.rules.versions import libc_mismatch

__all__ = ["Selection", "Waiver", "apply_waivers", "check", "evaluate", "profile_ref"]


class Waiver(Record):
    """An accepted finding: ``{code = "ABG201", path = "*/libfoo.so", reason = "…", expires = 2026-12-31}``."""

    #: a code, prefix or slug.
    code: str
    #: a path glob (:mod:`abigate.pathglob`: ``*`` within one segment, ``**`` across them; a glob without
    #: ``/`` matches the file name at any depth) tried on the finding's display path and its member path.
    path: str = "*"
    #: why it is accepted; required, printed with the finding.
    reason: str
    #: the last day the waiver applies; ``None`` for no expiry.
    expires: date | None = None
    #: restrict to one profile id.
    profile: str | None = None

    def matches(self, finding: Finding) -> bool:
        """Whether this waiver covers *finding* (ignoring expiry)."""
        code = resolve_selector(self.code)
        if not finding.code.startswith(code):
            return False
        if self.profile is not None and self.profile != finding.profile:
            return False
        return any(glob_matches(self.path, p) for p in (finding.path, finding.member) if p)

    @property
    def label(self) -> str:
        return f"{self.code} on {self.path}" + (f" for {self.profile}" if self.profile else "")


class Selection(Record):
    """Which rules run and how their findings are graded: the merged result of config and command line."""

    select: tuple[str, ...] = ("ABG",)
    ignore: tuple[str, ...] = ()
    #: code → severity overrides.
    severity: Mapping[str, Severity] = field(default_factory=lambda: MappingProxyType({}))
    waivers: tuple[Waiver, ...] = ()
    #: the date expiry is judged against (the CLI passes today's; tests pass a fixed one).
    today: date | None = None

    def rules(self) -> tuple[Rule, ...]:
        """The enabled rules, in code order."""
        return select_rules(self.select, self.ignore)


#: what a rule's ``needs`` may ask of a file: an ELF file read without error, whose class and machine are the
#: target's, whose C library is the target's.
_PRECONDITIONS = frozenset({"elf", "target", "libc"})


def _met_needs(nf: NativeFile, profile: Profile) -> frozenset[str] | None:
    """The preconditions *nf* meets on *profile* (``None``: it is no readable ELF file, so only rules that
    need nothing apply). Worked out once per file and profile, not once per rule: 30 rules on 20,000 files
    made 600,000 format checks."""
    elf = nf.elf
    if elf is None or nf.error:
        return None
    met = {"elf"}
    if format_mismatch(elf, profile) is None:
        met.add("target")
    if not libc_mismatch(nf, profile):
        met.add("libc")
    return frozenset(met)


_T = TypeVar("_T", str, tuple[str, ...])


def _one(shared: dict[object, object], value: _T) -> _T:
    """*value*, or the equal one already kept in *shared*."""
    kept = shared.setdefault(("text", value), value)
    return kept  # type: ignore[return-value]


def _stamp(rule: Rule, v: Violation, ctx: Context, nf: NativeFile | None, selection: Selection) -> Finding:
    # Thousands of files failing one way repeat one message, hint and detail list: keep one copy of each
    # (80,000 findings on 20,000 copies of one library took ~60 MB of duplicate text).
    shared = ctx.memo
    severity = selection.severity.get(rule.code) or v.severity or rule.severity
    default_path = nf.path if nf is not None else ctx.artifact.path
    default_member = nf.member if nf is not None else ""
    return Finding(
        code=rule.code,
        slug=rule.slug,
        severity=severity,
        profile=ctx.profile.id,
        artifact=ctx.root.path,
        path=v.path or default_path,
        member=v.member if v.member is not None else default_member,
        distribution=v.distribution or (nf.distribution if nf is not None else None),
        library=v.library,
        versions=_one(shared, v.versions),
        symbols=_one(shared, v.symbols),
        message=_one(shared, v.message),
        details=_one(shared, v.details),
        hint=_one(shared, v.hint),
        loader_message=v.loader_message,
    )


def evaluate(
    facts: ArtifactFacts,
    profile: Profile,
    selection: Selection | None = None,
    *,
    alternatives: Sequence[Profile] = (),
) -> list[Finding]:
    """Every finding of the selected rules for *facts* (nested artifacts included) on *profile*, sorted.

    Waivers are applied (see :func:`apply_waivers`); their notes are only available through :func:`check`.

    :param alternatives: other profiles a finding may suggest ("satisfied by: …"), e.g. the built-ins.
    """
    selection = selection or Selection()
    rules = selection.rules()
    out: list[Finding] = []
    for art in facts.walk():
        files = {nf.member: nf for nf in art.native_files}
        ctx = Context(
            artifact=art,
            root=facts,
            profile=profile,
            resolution=resolve_artifact(art, profile),
            alternatives=alternatives,
            files=files,
        )
        ordered = sorted(art.native_files, key=lambda nf: nf.path)
        met = [(nf, _met_needs(nf, profile)) for nf in ordered]
        add = out.append
        for rule in rules:
            if rule.scope == "artifact":
                for v in rule.check(ctx):  # type: ignore[call-arg]
                    add(_stamp(rule, v, ctx, None, selection))
                continue
            always = not rule.needs
            needs = rule.needs & _PRECONDITIONS
            check_file = rule.check
            # 40 rules × 20,000 files × 2 profiles is 1.6 M calls: no generator object or extend per call.
            for nf, has in met:
                if always or (has is not None and needs <= has):
                    for v in check_file(ctx, nf):  # type: ignore[call-arg]
                        add(_stamp(rule, v, ctx, nf, selection))
    findings, _ = apply_waivers(out, selection.waivers, selection.today)
    return sorted(findings, key=finding_sort_key)


def apply_waivers(
    findings: Iterable[Finding], waivers: Sequence[Waiver], today: date | None
) -> tuple[list[Finding], list[str]]:
    """Mark waived findings (first matching waiver's reason); return them and notes on expired waivers."""
    active = [w for w in waivers if w.expires is None or today is None or today <= w.expires]
    # Tested on the date, not by `w not in active`: that comparison is quadratic in the number of waivers.
    notes = [
        f"waiver {w.label} expired on {w.expires.isoformat()} and no longer applies (reason was: {w.reason})"
        for w in waivers
        if w.expires is not None and today is not None and today > w.expires
    ]
    out = []
    for f in findings:
        match = next((w for w in active if w.matches(f)), None)
        out.append(replace(f, waived=match.reason) if match is not None else f)
    return out, notes


def profile_ref(profile: Profile) -> ProfileRef:
    """The summary of *profile* that reports carry."""
    py = profile.python
    return ProfileRef(
        id=profile.id,
        title=profile.title,
        arch=profile.arch,
        libc=profile.libc,
        libc_version=profile.libc_version_text,
        python=py.version_text if py else None,
        origin=profile.origin,
        sha256=profile_digest(profile),
    )


def check(
    artifacts: Sequence[ArtifactFacts],
    profiles: Sequence[Profile],
    selection: Selection | None = None,
    *,
    fail_on: Severity = Severity.ERROR,
    alternatives: Sequence[Profile] = (),
) -> Report:
    """Evaluate every artifact against every profile and build the report (one verdict per pair)."""
    selection = selection or Selection()
    unwaived = replace(selection, waivers=())
    per_artifact = []
    for facts in artifacts:
        found: list[Finding] = []
        for profile in profiles:
            found.extend(evaluate(facts, profile, unwaived, alternatives=alternatives))
        per_artifact.append((facts, found))
    _, notes = apply_waivers((), selection.waivers, selection.today)
    if any(r.family == "python" for r in selection.rules()):
        # Say so rather than pass silently: without an interpreter the Python rules have nothing to compare with.
        notes += [
            f"{p.id} names no Python interpreter, so the Python rules (ABG3xx) were skipped; pass --python X.Y"
            for p in profiles
            if p.python is None
        ]
    results = []
    for facts, found in per_artifact:
        waived, _ = apply_waivers(found, selection.waivers, selection.today)
        results.append((facts.path, facts.kind, waived))
    return Report.build(
        profiles=[profile_ref(p) for p in profiles],
        artifacts=results,
        fail_on=fail_on,
        notes=notes,
        select=[resolve_selector(s) for s in selection.select],
        ignore=[resolve_selector(s) for s in selection.ignore],
    )
