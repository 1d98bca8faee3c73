"""The deploy contract: an in-toto attestation of a check, and its verification at deploy time. Pure.

A pipeline builds an artifact once and promotes the same bytes through staging and production. ``abigate
check --attest FILE`` records, at build time, *which* bytes were judged against *which* resolved profiles by
*which* rules, and the verdicts; ``abigate verify`` answers at each later stage, without scanning again,
"is this the artifact that passed, and does its target still mean what it meant then?".

The record is an in-toto Statement v1
(https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md):

* ``_type`` :data:`STATEMENT_TYPE`; ``subject``: one entry per artifact checked (its file name and
  ``digest.sha256``; several artifacts make one statement with several subjects, as in-toto allows);
* ``predicateType`` :data:`PREDICATE_TYPE`; ``predicate``: see :func:`build_predicate` and
  ``docs/deploy-contract.md``, which is the user-facing definition.

Signing is deliberately not done here: ``cosign attest-blob`` wraps the predicate in a signed DSSE envelope
(a Sigstore bundle), and :func:`parse_attestation` reads the statement out of such an envelope or bundle as
well as from the plain file. Checking the signature is cosign's job (``cosign verify-blob-attestation``).

Verification (:func:`verify`) is pure: the caller supplies the artifact's digest and the digest each profile
resolves to *now*; the result lists every reason the artifact may not go on.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

from abigate import __version__
from abigate._records import Record
from abigate.digests import rule_catalogue_digest
from abigate.evaluate import Waiver
from abigate.findings import Finding, Report

__all__ = [
    "IN_TOTO_PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "Attestation",
    "AttestationError",
    "AttestedProfile",
    "Outcome",
    "ProfileSource",
    "build_statement",
    "parse_attestation",
    "render_statement",
    "rfc3339",
    "verify",
    "waivers_applied",
]

#: the in-toto Statement layer, version 1.
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
#: abigate's predicate: the outcome of ``abigate check``. A new major version only for an incompatible change.
PREDICATE_TYPE = "https://abigate.dev/attestation/check/v1"
#: DSSE ``payloadType`` of an in-toto statement (what ``cosign attest-blob`` writes).
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class AttestationError(ValueError):
    """The attestation cannot be read: not JSON, not an in-toto statement, or not abigate's predicate."""


class ProfileSource(Record):
    """How a profile was named on the command line, so that a later stage can resolve it again."""

    #: the resolved profile's id.
    id: str
    #: the ``--profile`` value as given: a built-in id, a file path, or ``image``.
    source: str
    #: the ``--python`` choice in effect (``None``: the profile's own default).
    python: str | None


def rfc3339(moment: datetime) -> str:
    """*moment* in UTC, to the second, as RFC 3339 (``2026-11-26T02:08:00Z``)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _subject_name(path: str) -> str:
    """The artifact's file name (``dist/x.whl`` → ``x.whl``): where it lies differs from stage to stage."""
    return posixpath.basename(path.replace("\\", "/").rstrip("/")) or path


def _finding_counts(findings: Sequence[Finding]) -> dict[str, Any]:
    counts: dict[str, Any] = {"errors": 0, "warnings": 0, "infos": 0, "waived": 0}
    codes: dict[str, int] = {}
    for f in findings:
        if f.waived is not None:
            counts["waived"] += 1
            continue
        counts[{"error": "errors", "warning": "warnings", "info": "infos"}[f.severity.value]] += 1
        codes[f.code] = codes.get(f.code, 0) + 1
    counts["codes"] = dict(sorted(codes.items()))
    return counts


def waivers_applied(findings: Sequence[Finding], waivers: Sequence[Waiver], today: date | None
                    ) -> list[dict[str, Any]]:
    """Each waiver that covered at least one finding, with its reason, expiry and how many it covered.

    A finding is credited to the first active waiver that matches it, as
    :func:`abigate.evaluate.apply_waivers` applies them; expired waivers covered nothing.
    """
    active = [w for w in waivers if w.expires is None or today is None or today <= w.expires]
    used: dict[int, int] = {}
    for f in findings:
        if f.waived is None:
            continue
        for i, w in enumerate(active):
            if w.matches(f):
                used[i] = used.get(i, 0) + 1
                break
    return [
        {"code": w.code, "path": w.path, "profile": w.profile, "reason": w.reason,
         "expires": w.expires.isoformat() if w.expires else None, "findings": used[i]}
        for i, w in enumerate(active) if i in used
    ]


def build_statement(report: Report, sources: Sequence[ProfileSource], *, waivers: Sequence[Waiver],
                    today: date | None, moment: datetime) -> dict[str, Any]:
    """The in-toto statement for *report* (every artifact must have a digest).

    :param sources: how each profile of the report was named (same ids as ``report.profiles``).
    :param moment: when the check ran (the CLI passes now, or ``SOURCE_DATE_EPOCH`` for a reproducible build).
    """
    by_id = {s.id: s for s in sources}
    subjects = []
    artifacts = []
    for art in report.artifacts:
        if art.sha256 is None:
            raise ValueError(f"{art.path}: no digest to attest")
        name = _subject_name(art.path)
        subjects.append({"name": name, "digest": {"sha256": art.sha256}})
        artifacts.append({
            "name": name,
            "digest": {"sha256": art.sha256},
            "kind": art.kind,
            "verdicts": dict(art.verdicts),
            "findings": {pid: _finding_counts([f for f in art.findings if f.profile == pid])
                         for pid in art.verdicts},
        })
    profiles = []
    for prof in report.profiles:
        failing, _ = report.profile_verdict(prof.id)
        src = by_id[prof.id]
        profiles.append({
            "id": prof.id,
            "digest": {"sha256": prof.sha256},
            "source": src.source,
            "python": src.python,
            "verdict": "fail" if failing else "pass",
        })
    findings = [f for a in report.artifacts for f in a.findings]
    predicate = {
        "abigate": {"version": __version__},
        "rules": {
            "catalogue": {"sha256": rule_catalogue_digest()},
            "select": list(report.select),
            "ignore": list(report.ignore),
            "fail_on": report.fail_on.value,
        },
        "profiles": profiles,
        "artifacts": artifacts,
        "waivers": waivers_applied(findings, waivers, today),
        "verdict": "fail" if report.failed else "pass",
        "time": rfc3339(moment),
    }
    return {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": PREDICATE_TYPE,
            "predicate": predicate}


def render_statement(statement: Mapping[str, Any]) -> str:
    """The statement as indented JSON with sorted keys, ending in a newline."""
    return json.dumps(statement, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- reading ------------------------------------------------------------------------------------------------


class AttestedProfile(Record):
    """One profile as the attestation records it."""

    id: str
    sha256: str
    source: str
    python: str | None
    verdict: str


class Attestation(Record):
    """What :func:`verify` needs from a statement, validated."""

    #: subject digests (sha256 hex) → subject name.
    subjects: Mapping[str, str]
    profiles: tuple[AttestedProfile, ...]
    #: artifact digest → profile id → verdict.
    verdicts: Mapping[str, Mapping[str, str]]
    abigate_version: str
    time: str


def _unwrap(doc: Any) -> Any:
    """The statement inside a DSSE envelope or a Sigstore bundle (``cosign attest-blob``), else *doc*."""
    if isinstance(doc, dict) and isinstance(doc.get("dsseEnvelope"), dict):
        doc = doc["dsseEnvelope"]
    if isinstance(doc, dict) and "payload" in doc and "payloadType" in doc:
        if doc["payloadType"] != IN_TOTO_PAYLOAD_TYPE:
            raise AttestationError(f"the envelope holds {doc['payloadType']!r}, not an in-toto statement")
        try:
            return json.loads(base64.b64decode(str(doc["payload"]), validate=True))
        except (binascii.Error, ValueError) as exc:
            raise AttestationError(f"the envelope's payload is not base64 JSON ({exc})") from None
    return doc


def _field(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise AttestationError(f"{where}{key} is missing or not a {kind.__name__}")
    return value


def _digest(entry: Mapping[str, Any], where: str) -> str:
    digest = entry.get("digest")
    value = digest.get("sha256") if isinstance(digest, dict) else None
    if not isinstance(value, str) or not _HEX64.match(value):
        raise AttestationError(f"{where}digest.sha256 is missing or not 64 lower-case hex digits")
    return value


def parse_attestation(text: str) -> Attestation:
    """Read an abigate check attestation: the plain statement, a DSSE envelope or a Sigstore bundle.

    :raises AttestationError: with one line saying what is wrong.
    """
    try:
        doc = _unwrap(json.loads(text))
    except json.JSONDecodeError as exc:
        raise AttestationError(f"not JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise AttestationError("not JSON (nested too deeply)") from None
    if not isinstance(doc, dict):
        raise AttestationError("not an in-toto statement (a JSON object was expected)")
    if doc.get("_type") != STATEMENT_TYPE:
        raise AttestationError(f"not an in-toto Statement v1 (_type is {doc.get('_type')!r})")
    if doc.get("predicateType") != PREDICATE_TYPE:
        raise AttestationError("not an abigate check attestation (predicateType is "
                               f"{doc.get('predicateType')!r}, "
                               f"expected {PREDICATE_TYPE})")
    subjects_raw = _field(doc, "subject", list, "")
    if not subjects_raw:
        raise AttestationError("subject is empty")
    subjects: dict[str, str] = {}
    for i, entry in enumerate(subjects_raw):
        if not isinstance(entry, dict):
            raise AttestationError(f"subject[{i}] is not an object")
        subjects[_digest(entry, f"subject[{i}].")] = str(entry.get("name", ""))
    pred = _field(doc, "predicate", dict, "")
    profiles = []
    for i, entry in enumerate(_field(pred, "profiles", list, "predicate.")):
        where = f"predicate.profiles[{i}]."
        if not isinstance(entry, dict):
            raise AttestationError(f"predicate.profiles[{i}] is not an object")
        python = entry.get("python")
        verdict = _field(entry, "verdict", str, where)
        if verdict not in ("pass", "fail"):
            raise AttestationError(f"{where}verdict is {verdict!r}, not pass or fail")
        profiles.append(AttestedProfile(
            id=_field(entry, "id", str, where), sha256=_digest(entry, where),
            source=_field(entry, "source", str, where),
            python=python if isinstance(python, str) else None, verdict=verdict))
    if not profiles:
        raise AttestationError("predicate.profiles is empty")
    verdicts: dict[str, dict[str, str]] = {}
    for i, entry in enumerate(_field(pred, "artifacts", list, "predicate.")):
        where = f"predicate.artifacts[{i}]."
        if not isinstance(entry, dict):
            raise AttestationError(f"predicate.artifacts[{i}] is not an object")
        given = _field(entry, "verdicts", dict, where)
        if any(v not in ("pass", "fail") for v in given.values()):
            raise AttestationError(f"{where}verdicts holds a verdict other than pass or fail")
        verdicts[_digest(entry, where)] = {str(k): str(v) for k, v in given.items()}
    abigate_info = pred.get("abigate")
    version = abigate_info.get("version") if isinstance(abigate_info, dict) else None
    return Attestation(subjects=subjects, profiles=tuple(profiles), verdicts=verdicts,
                       abigate_version=str(version or "unknown"), time=str(pred.get("time", "")))


# -- verifying ----------------------------------------------------------------------------------------------


class Outcome(Record):
    """The answer of :func:`verify`: ``ok`` only when *reasons* is empty."""

    reasons: tuple[str, ...]
    #: the profiles judged (ids), in the order checked.
    profiles: tuple[str, ...]
    #: the subject name the artifact matched, when its digest matched one.
    subject: str | None

    @property
    def ok(self) -> bool:
        return not self.reasons


def verify(att: Attestation, artifact: str, digest: str, wanted: Sequence[str],
           current: Mapping[str, str | None]) -> Outcome:
    """Whether *artifact* (whose bytes hash to *digest*) may go on under the attestation *att*.

    :param wanted: profile ids to require (every one must be attested); empty: every attested profile.
    :param current: profile id → the digest it resolves to now (``None``: it cannot be resolved).
    """
    ids = list(wanted) or [p.id for p in att.profiles]
    subject = att.subjects.get(digest)
    if subject is None:
        attested = ", ".join(f"{d} ({n})" if n else d for d, n in sorted(att.subjects.items()))
        return Outcome(reasons=((f"{artifact}: sha256 {digest} matches no subject of the attestation "
                                f"(it attests {attested}): these are not the bytes that were checked"),),
                       profiles=tuple(ids), subject=None)
    reasons = []
    by_id = {p.id: p for p in att.profiles}
    verdicts = att.verdicts.get(digest)
    if verdicts is None:
        reasons.append(f"{artifact}: the attestation names it as a subject but records no verdict for it")
        verdicts = {}
    for pid in ids:
        prof = by_id.get(pid)
        if prof is None:
            known = ", ".join(p.id for p in att.profiles)
            reasons.append(f"{pid}: not attested (the attestation covers {known}); "
                           "run abigate check against it")
            continue
        verdict = verdicts.get(pid)
        if verdict != "pass":
            reasons.append(f"{pid}: attested {(verdict or 'no verdict').upper()} for {artifact}")
        now = current.get(pid)
        if now is None:
            reasons.append(f"{pid}: cannot be resolved here to compare with the attested profile")
        elif now != prof.sha256:
            reasons.append(f"{pid}: the profile changed since the check (attested sha256 {prof.sha256}, now "
                           f"{now}): re-check the artifact against it")
    return Outcome(reasons=tuple(reasons), profiles=tuple(ids), subject=subject)
