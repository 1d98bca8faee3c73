"""``abigate check --format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. Pure.

One ``run``. ``tool.driver`` names abigate, its version and home page, and lists every rule of the catalogue
(not only those that fired, so ``ruleIndex`` is stable for a release): id, slug as name, title as short
description, "What it checks" and "Why it matters" as full description, "How to fix" as help, ``helpUri`` to
the rule's section of ``docs/rules.md`` on the project's repository, and the default level.

One ``result`` per problem (findings with one root cause roll up, :mod:`abigate.rollup`; the rolled-in files
are ``relatedLocations`` and are named in the message). Each result has ``ruleId``, ``ruleIndex``, a
``level`` from the severity (error, warning, note), a message (what, details, the loader's predicted error,
the fix), and one location: physically the file on disk (the wheel or zip for anything inside one; its URI
relative to the current folder when it is under it, as code scanning wants paths relative to the checkout,
else an absolute ``file://`` URI), logically the member (``path!member``). A binary has no lines, so there is
no ``region``: code scanning shows a file-level alert, and ``upload-sarif`` does not hash the file's "first
line" for a fingerprint. ``partialFingerprints`` carry abigate's own fingerprint (see
:mod:`abigate.reporters._pipeline`) under ``abigate/v1`` and under ``primaryLocationLineHash``, the key code
scanning matches alerts with. Waived findings are results with an external ``suppression`` giving the waiver's
reason, which code scanning shows as dismissed. Run notes go to ``invocations[0].toolExecutionNotifications``.
``run.artifacts`` lists each checked file with the sha256 of the bytes judged (a folder has none and is not
listed); a location in such a file points at it by ``index``.

The document is built whole and dumped once with sorted keys: two runs on the same inputs give the same bytes.
"""

from __future__ import annotations

import posixpath
from typing import Any

from abigate import __version__
from abigate._jsontext import dumps_indented
from abigate.findings import Finding, Report
from abigate.reporters._pipeline import (
    INFORMATION_URI,
    Fingerprints,
    disk_path,
    file_uri,
    rule_doc_url,
)
from abigate.rollup import Rollup, roll_up
from abigate.rules import RULES, Rule
from abigate.rules._base import Severity

__all__ = ["MAX_RELATED", "SARIF_SCHEMA", "render_sarif", "to_sarif"]

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
#: code scanning keeps at most 1,000 related locations per result; the message still counts them all.
MAX_RELATED = 1000
#: files a rolled-up result's message names before "… and N more".
_MESSAGE_FILES = 20


def _text(doc: str) -> str:
    """A docstring section as plain paragraphs: RST ````code```` → `code`, wrapped lines joined.

    Lines of a bullet list (``- …``, ``* …``) keep their own line.
    """
    paragraphs = []
    for block in doc.replace("``", "`").strip().split("\n\n"):
        out: list[str] = []
        for line in block.splitlines():
            line = line.strip()
            if out and not line.startswith(("- ", "* ")):
                out[-1] += " " + line
            else:
                out.append(line)
        paragraphs.append("\n".join(out))
    return "\n\n".join(paragraphs)


def _descriptor(rule: Rule) -> dict[str, Any]:
    full = "\n\n".join(
        _text(rule.section(s)) for s in ("What it checks", "Why it matters") if rule.section(s)
    )
    fix = _text(rule.section("How to fix"))
    return {
        "id": rule.code,
        "name": rule.slug,
        "shortDescription": {"text": _text(rule.title)},
        "fullDescription": {"text": full or _text(rule.title)},
        "help": {"text": fix or _text(rule.title)},
        "helpUri": rule_doc_url(rule),
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["abigate", rule.family]},
    }


def _artifact_location(path: str, base: str | None, index: int | None = None) -> dict[str, Any]:
    uri, relative = file_uri(path, base)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    if index is not None:
        artifact["index"] = index
    return artifact


def _location(f: Finding, base: str | None, indexes: dict[str, int]) -> dict[str, Any]:
    path = disk_path(f)
    artifact = _artifact_location(path, base, indexes.get(path))
    logical = {
        "fullyQualifiedName": f.path,
        "name": posixpath.basename(f.member) if f.member else posixpath.basename(f.path),
        "kind": "module" if f.member and f.code not in ("ABG302", "ABG303") else "resource",
    }
    return {"physicalLocation": {"artifactLocation": artifact}, "logicalLocations": [logical]}


def _message(r: Rollup, multi: bool) -> str:
    f = r.head
    inner = f.path.partition("!")[2]
    head = f.message + (f" (in {inner})" if inner else "")
    if multi:
        head += f" [{f.profile}]"
    lines = [head, *f.details]
    if f.loader_message:
        lines.append(f"loader: {f.loader_message}")
    lines.append(f"fix: {f.hint}")
    files = r.files()
    if files:
        if r.kind == "cause":
            codes = ", ".join(r.other_codes)
            lines.append(f"same cause: {codes} on {len(files)} files of this distribution:")
        else:
            lines.append(f"same finding on {len(files)} more files:")
        lines.extend(f"  {p}" for p in files[:_MESSAGE_FILES])
        if len(files) > _MESSAGE_FILES:
            lines.append(f"  … and {len(files) - _MESSAGE_FILES} more")
    return "\n".join(lines)


def to_sarif(report: Report, *, base: str | None = None) -> dict[str, Any]:
    """The SARIF log for *report*; paths under *base* (the current folder) become relative URIs."""
    index = {rule.code: i for i, rule in enumerate(RULES)}
    multi = len(report.profiles) > 1
    # The files checked, with the sha256 of the bytes that were judged (a folder has none: not listed).
    files = [res for res in report.artifacts if res.sha256 and res.path == disk_path_of(res.path)]
    indexes = {res.path: i for i, res in enumerate(files)}
    fingerprint = Fingerprints()
    results = []
    for res in report.artifacts:
        for r in roll_up(res.findings):
            f = r.head
            fp = fingerprint(r)
            result: dict[str, Any] = {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": _LEVEL[r.severity],
                "message": {"text": _message(r, multi)},
                "locations": [_location(f, base, indexes)],
                "partialFingerprints": {"abigate/v1": fp, "primaryLocationLineHash": fp},
                "properties": {
                    "profile": f.profile,
                    "artifact": res.path,
                    "distribution": f.distribution,
                    "findings": len(r.findings),
                },
            }
            others = r.others[:MAX_RELATED]
            if others:
                result["relatedLocations"] = [
                    {**_location(o, base, indexes), "id": i, "message": {"text": f"{o.code} {o.message}"}}
                    for i, o in enumerate(others, start=1)
                ]
            if f.waived is not None:
                result["suppressions"] = [{"kind": "external", "justification": f.waived}]
            results.append(result)
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if report.notes:
        invocation["toolExecutionNotifications"] = [
            {"level": "note", "message": {"text": note}} for note in report.notes
        ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "abigate",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule) for rule in RULES],
            }
        },
        "invocations": [invocation],
        "artifacts": [
            {"location": _artifact_location(res.path, base), "hashes": {"sha-256": res.sha256}}
            for res in files
        ],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"profiles": [p.id for p in report.profiles]},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def disk_path_of(display: str) -> str:
    """The on-disk part of a display path (standard input has none: ``<stdin>`` is kept out)."""
    return "" if display.startswith("<") else display.partition("!")[0]


def render_sarif(report: Report, *, base: str | None = None) -> str:
    """The SARIF log as indented JSON text ending in a newline."""
    return dumps_indented(to_sarif(report, base=base)) + "\n"
